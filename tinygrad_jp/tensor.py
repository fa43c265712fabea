"""The Tensor: a NumPy array plus what autograd needs (requires_grad, grad, grad_fn)."""
import math
import numbers

import numpy as np

from . import dtypes
from .autograd import RemovableHandle, _mode
from .devices import CPU, array_module, device, device_of, is_device_array, to_device

__all__ = ["Tensor", "tensor"]

_SUPPORTED_KINDS = frozenset("biuf")


def _to_array(data, dtype, op="Tensor"):
    """Data → ndarray with the dtype rules of API.md (Python floats become float32)."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, np.ndarray) or is_device_array(data):
        array = data
    else:
        if isinstance(data, (list, tuple)) and any(isinstance(x, Tensor) for x in data):
            data = [x.data if isinstance(x, Tensor) else x for x in data]
        try:
            array = np.asarray(data)
        except (ValueError, TypeError) as e:
            raise TypeError(f"{op}: cannot make a tensor from {type(data).__name__}: {e}") \
                from None
        if dtype is None and array.dtype == np.float64 and not isinstance(data, np.generic):
            array = array.astype(dtypes.DEFAULT_FLOAT)
    if dtype is not None:
        dtype = dtypes.to_dtype(dtype, op)
        if array.dtype != dtype:
            array = array.astype(dtype)
    elif array.dtype.kind not in _SUPPORTED_KINDS:
        raise TypeError(f"{op}: unsupported data of dtype {array.dtype} (bool, integer and "
                        "float data are supported)")
    return array


class Tensor:
    """A multi-dimensional array that records the ops applied to it, for autograd.

    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    tensor([2., 4.])
    """

    __slots__ = ("data", "requires_grad", "grad_fn", "__weakref__", "__dict__")
    # Rarely set, so class-level defaults: the hot constructor below need not store them.
    grad = None
    _hooks = None
    name = None
    # NumPy must hand `ndarray * Tensor` to Tensor.__rmul__ instead of looping over us.
    __array_ufunc__ = None

    def __init__(self, data, requires_grad=False, dtype=None):
        self.data = _to_array(data, dtype)
        self.grad_fn = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, data, requires_grad=False, grad_fn=None):
        """Fast internal constructor: ``data`` is already a valid ndarray."""
        t = object.__new__(Tensor)
        t.data = data
        t.requires_grad = requires_grad
        t.grad_fn = grad_fn
        return t

    # ------------------------------------------------------------------ properties
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def is_leaf(self):
        """True for tensors the user made (and for results of ops that needed no grad)."""
        return self.grad_fn is None

    @property
    def T(self):
        if self.data.ndim == 2:          # the common case (a backward's gᵀ), checked free
            return _shape.Permute.apply(self, dims=(1, 0))
        return self.permute(*reversed(range(self.ndim)))

    @property
    def device(self):
        """Where the data lives: ``device('cpu')`` or ``device('cuda', 0)``."""
        if type(self.data) is np.ndarray:
            return CPU
        return device_of(self.data)

    @property
    def is_cuda(self):
        """True when the tensor lives on a GPU."""
        return is_device_array(self.data)

    def size(self, dim=None):
        return self.data.shape if dim is None else self.data.shape[dim]

    def dim(self):
        return self.data.ndim

    def numel(self):
        return self.data.size

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    # ------------------------------------------------------------------ conversion
    def numpy(self):
        """The data as an ndarray (shares memory with the tensor)."""
        if is_device_array(self.data):
            raise TypeError(f"numpy: can't convert {self.device} device type tensor to "
                            "numpy. Use Tensor.cpu() to copy the tensor to host memory "
                            "first.")
        return self.data

    def item(self):
        if self.data.size != 1:
            raise RuntimeError(f"item: a Tensor with {self.data.size} elements cannot be "
                               "converted to a Python scalar")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def detach(self):
        """The same data, cut from the graph (shares memory, requires_grad=False)."""
        return Tensor._wrap(self.data)

    def detach_(self):
        self.grad_fn = None
        self.requires_grad = False
        return self

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.data.dtype.kind != "f":
            raise RuntimeError(f"requires_grad_: only Tensors of floating point dtype can "
                               f"require gradients, got dtype {self.data.dtype}; convert "
                               "first, e.g. t.float()")
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("requires_grad_: you can only change requires_grad of leaf "
                               "tensors; use detach() for a non-leaf")
        self.requires_grad = bool(requires_grad)
        return self

    def clone(self):
        """A copy of the data that stays in the graph (gradient flows back)."""
        return _shape.Clone.apply(self)

    def to(self, *args, device=None, dtype=None, non_blocking=False, copy=False):
        """A copy on another device and/or of another dtype, as ``torch.Tensor.to``:
        ``t.to('cuda')``, ``t.to(tg.float64)``, ``t.to('cuda', tg.float16)``,
        ``t.to(other)`` (other's device and dtype). The tensor itself when nothing
        changes (unless ``copy=True``). Differentiable: gradients flow back across the
        move and between float dtypes. ``non_blocking`` is accepted and ignored."""
        device, dtype = _parse_to(args, device, dtype)
        out = self
        if device is not None and device != out.device:
            out = _shape.ToDevice.apply(out, device=device)
        if dtype is not None and dtype != out.data.dtype:
            out = _shape.Cast.apply(out, dtype=dtype)
        if copy and out is self:
            out = self.clone() if self.requires_grad else Tensor._wrap(self.data.copy())
        return out

    def cuda(self, device=None, non_blocking=False):
        """A copy on the GPU (``device`` = an index or ``'cuda:N'``; the current GPU by
        default); the tensor itself when it is there already."""
        target = _parse_to(("cuda" if device is None else device,), None, None)[0]
        if target.type != "cuda":
            raise ValueError(f"cuda: expected a CUDA device, got {target}")
        return self.to(target)

    def cpu(self):
        """A copy in host memory; the tensor itself when it is there already."""
        return self.to(CPU)

    def type(self, dtype):
        return self.to(dtype)

    def float(self):
        return self.to(dtypes.float32)

    def double(self):
        return self.to(dtypes.float64)

    def long(self):
        return self.to(dtypes.int64)

    def int(self):
        return self.to(dtypes.int32)

    def bool(self):
        return self.to(dtypes.bool_)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise RuntimeError(f"bool: the truth value of a Tensor of shape {self.shape} is "
                               "ambiguous; use .any() or .all()")
        return bool(self.data)

    def __index__(self):
        if self.data.dtype.kind not in "iub" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to "
                            "an index")
        return int(self.data)

    def __array__(self, dtype=None, copy=None):
        data = self.numpy()          # a CUDA tensor refuses, saying to call .cpu()
        return data if dtype is None else data.astype(dtype)

    __hash__ = object.__hash__

    # ------------------------------------------------------------------ autograd
    def backward(self, gradient=None, retain_graph=None, create_graph=False):
        """Compute the gradient of this tensor w.r.t. graph leaves; add it to their ``.grad``.

        A scalar needs no ``gradient``; otherwise pass one of this tensor's shape.
        ``create_graph=True`` records the backward pass for higher-order derivatives
        (and keeps the graph, like ``retain_graph=True``).
        """
        from .autograd import backward
        backward(self, gradient, retain_graph, create_graph)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a return value
        replaces the gradient. Returns a handle whose ``remove()`` unregisters it."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that "
                               "doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn.register_hook(hook)
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return RemovableHandle(self._hooks, hook)

    def retain_grad(self):
        """Keep the gradient of a non-leaf tensor in its ``.grad`` after backward."""
        if self.grad_fn is None:
            return

        def keep(g):
            self.grad = g.detach() if self.grad is None else self.grad + g.detach()
        self.grad_fn.register_hook(keep)

    def zero_(self):
        self.data[...] = 0
        return self

    # ------------------------------------------------------------------ printing
    def __repr__(self):
        host = to_device(self.data, CPU)
        body = np.array2string(host, separator=", ", precision=4, prefix="tensor(")
        extra = []
        if type(self.data) is not np.ndarray:
            extra.append(f"device='{self.device}'")
        if self.data.dtype not in (dtypes.float32, dtypes.int64, dtypes.bool_):
            extra.append(f"dtype={self.data.dtype}")
        if self.grad_fn is not None:
            extra.append(f"grad_fn=<{self.grad_fn.name}>")
        elif self.requires_grad:
            extra.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extra) + ")"

    # ------------------------------------------------------------------ binary operators
    def _operands(self, other, op):
        """Both operands as tensors of PyTorch's result dtype."""
        if type(other) is float and self.data.dtype.kind == "f":  # the common case, fast
            return self, _scalar_constant(other, self.data.dtype, self.data)
        if isinstance(other, Tensor):
            if other.data.dtype is self.data.dtype:
                return self, other
            dt = dtypes.result_dtype(self.data, other.data)
        elif isinstance(other, numbers.Number) and not isinstance(other, np.ndarray):
            if isinstance(other, (bool, np.bool_)):
                other = bool(other)
            elif isinstance(other, numbers.Integral):
                other = int(other)
            elif isinstance(other, numbers.Real):
                other = float(other)
            else:
                raise TypeError(f"{op}: unsupported operand type {type(other).__name__}")
            dt = dtypes.result_dtype(self.data, other)
            return (self if self.data.dtype == dt else self.to(dt),
                    Tensor._wrap(array_module(self.data).asarray(other, dtype=dt)))
        elif isinstance(other, np.ndarray):
            other = Tensor(other)
            dt = dtypes.result_dtype(self.data, other.data)
        else:
            raise TypeError(f"{op}: unsupported operand type(s): Tensor and "
                            f"{type(other).__name__}")
        a = self if self.data.dtype == dt else self.to(dt)
        b = other if other.data.dtype == dt else other.to(dt)
        return a, b

    def _binary(self, fn, other, op, reverse=False):
        a, b = self._operands(other, op)
        if reverse:
            a, b = b, a
        if a.data.shape != b.data.shape and a.data.ndim and b.data.ndim:
            _check_broadcast(op, a.data.shape, b.data.shape)
        return fn.apply(a, b)

    def __add__(self, other):
        return self._binary(_ew.Add, other, "add")

    def __radd__(self, other):
        return self._binary(_ew.Add, other, "add", reverse=True)

    def __sub__(self, other):
        return self._binary(_ew.Sub, other, "sub")

    def __rsub__(self, other):
        return self._binary(_ew.Sub, other, "sub", reverse=True)

    def __mul__(self, other):
        return self._binary(_ew.Mul, other, "mul")

    def __rmul__(self, other):
        return self._binary(_ew.Mul, other, "mul", reverse=True)

    def __truediv__(self, other):
        a = self if self.data.dtype.kind == "f" else self.float() if not (
            isinstance(other, Tensor) and other.data.dtype.kind == "f") else self
        return a._binary(_ew.Div, other, "div")

    def __rtruediv__(self, other):
        a = self if self.data.dtype.kind == "f" else self.float()
        return a._binary(_ew.Div, other, "div", reverse=True)

    def __pow__(self, other):
        return self._binary(_ew.Pow, other, "pow")

    def __rpow__(self, other):
        return self._binary(_ew.Pow, other, "pow", reverse=True)

    def __matmul__(self, other):
        return matmul(self, other)

    def __rmatmul__(self, other):
        return matmul(other, self)

    def __neg__(self):
        return _ew.Neg.apply(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return self.abs()

    def _inplace(self, other, ufunc, op):
        """``x += y`` & co. Under ``no_grad`` (an optimizer step, the demo's
        ``p -= lr * p.grad``) or with no grad involved, the data changes in place. When
        the op would be recorded, the result is a new tensor: writing into a value the
        graph may have saved would silently corrupt gradients."""
        other_requires = isinstance(other, Tensor) and other.requires_grad
        if _mode.enabled and (self.requires_grad or other_requires):
            if self.requires_grad and self.grad_fn is None:
                raise RuntimeError(
                    f"{op}: a leaf Variable that requires grad is being used in an in-place "
                    "operation; to update parameters, wrap it in `with tg.no_grad():`")
            return _OUT_OF_PLACE[op](self, other)
        value = _data(other)
        dt = dtypes.result_dtype(self.data, value if isinstance(value, np.ndarray)
                                 else other)
        if dtypes.kind_rank(dt) > dtypes.kind_rank(self.data.dtype):
            raise RuntimeError(f"{op}: result type {dt} can't be cast to the desired output "
                               f"type {self.data.dtype}")
        try:
            ufunc(self.data, value, out=self.data, casting="unsafe")
        except ValueError:
            raise RuntimeError(f"{op}: output with shape {self.shape} doesn't match the "
                               f"broadcast shape of {self.shape} and "
                               f"{np.shape(value)}") from None
        return self

    def __iadd__(self, other):
        return self._inplace(other, np.add, "add_")

    def __isub__(self, other):
        return self._inplace(other, np.subtract, "sub_")

    def __imul__(self, other):
        return self._inplace(other, np.multiply, "mul_")

    def __itruediv__(self, other):
        return self._inplace(other, np.true_divide, "div_")

    def _compare(self, other, ufunc, op):
        a, b = self._operands(other, op)
        if a.data.shape != b.data.shape:
            _check_broadcast(op, a.data.shape, b.data.shape)
        return Tensor._wrap(ufunc(a.data, b.data))

    def __lt__(self, other):
        return self._compare(other, np.less, "lt")

    def __le__(self, other):
        return self._compare(other, np.less_equal, "le")

    def __gt__(self, other):
        return self._compare(other, np.greater, "gt")

    def __ge__(self, other):
        return self._compare(other, np.greater_equal, "ge")

    def __eq__(self, other):
        return self._compare(other, np.equal, "eq")

    def __ne__(self, other):
        return self._compare(other, np.not_equal, "ne")

    def eq(self, other):
        return self == other

    def ne(self, other):
        return self != other

    def lt(self, other):
        return self < other

    def le(self, other):
        return self <= other

    def gt(self, other):
        return self > other

    def ge(self, other):
        return self >= other

    def __invert__(self):
        if self.data.dtype.kind not in "biu":
            raise TypeError(f"invert: ~ needs a bool or integer tensor, got {self.dtype}")
        return Tensor._wrap(~self.data)

    def __and__(self, other):
        return self._compare(other, np.bitwise_and, "and")

    def __or__(self, other):
        return self._compare(other, np.bitwise_or, "or")

    def __xor__(self, other):
        return self._compare(other, np.bitwise_xor, "xor")

    def logical_not(self):
        return Tensor._wrap(np.logical_not(self.data))

    def all(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """True where every element (along ``dim``) is non-zero."""
        if axis is not None or keepdims is not None:
            dim, keepdim = numpy_aliases("all", dim, keepdim, axis, keepdims)
        return Tensor._wrap(np.all(self.data, axis=_axis(dim, self.ndim), keepdims=keepdim))

    def any(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """True where some element (along ``dim``) is non-zero."""
        if axis is not None or keepdims is not None:
            dim, keepdim = numpy_aliases("any", dim, keepdim, axis, keepdims)
        return Tensor._wrap(np.any(self.data, axis=_axis(dim, self.ndim), keepdims=keepdim))

    def isnan(self):
        return Tensor._wrap(np.isnan(self.data))

    def isfinite(self):
        return Tensor._wrap(np.isfinite(self.data))

    def allclose(self, other, rtol=1e-5, atol=1e-8):
        return bool(np.allclose(self.data, _data(other), rtol=rtol, atol=atol))

    def equal(self, other):
        return bool(np.array_equal(self.data, _data(other)))

    # ------------------------------------------------------------------ arithmetic methods
    def add(self, other, alpha=1):
        return self + (other * alpha if alpha != 1 else other)

    def sub(self, other, alpha=1):
        return self - (other * alpha if alpha != 1 else other)

    def mul(self, other):
        return self * other

    def div(self, other):
        return self / other

    def pow(self, exponent):
        return self ** exponent

    def neg(self):
        return -self

    def matmul(self, other):
        return matmul(self, other)

    def mm(self, other):
        return matmul(self, other)

    def dot(self, other):
        return matmul(self, other)

    # ------------------------------------------------------------------ elementwise
    def _unary(self, fn, op, **params):
        if self.data.dtype.kind != "f":
            return fn.apply(self.float(), **params)
        return fn.apply(self, **params)

    def exp(self):
        return self._unary(_ew.Exp, "exp")

    def log(self):
        return self._unary(_ew.Log, "log")

    def sqrt(self):
        return self._unary(_ew.Sqrt, "sqrt")

    def rsqrt(self):
        return self.sqrt().reciprocal()

    def reciprocal(self):
        return 1.0 / self

    def square(self):
        return self * self

    def sin(self):
        return self._unary(_ew.Sin, "sin")

    def cos(self):
        return self._unary(_ew.Cos, "cos")

    def tanh(self):
        return self._unary(_ew.Tanh, "tanh")

    def sigmoid(self):
        return self._unary(_ew.Sigmoid, "sigmoid")

    def relu(self):
        return _ew.Relu.apply(self)

    def abs(self):
        return _ew.Abs.apply(self)

    def sign(self):
        return _ew.Sign.apply(self)

    def clamp(self, min=None, max=None):
        """Limit values to [min, max]; the gradient passes where min <= x <= max."""
        if min is None and max is None:
            raise ValueError("clamp: at least one of min and max must be given")
        return _ew.Clamp.apply(self, min=min, max=max)

    clip = clamp

    def maximum(self, other):
        return maximum(self, other)

    def minimum(self, other):
        return minimum(self, other)

    def softmax(self, dim=-1):
        """exp(x) / sum(exp(x)) along ``dim``, stable for large inputs."""
        return _reduce.Softmax.apply(self._float_input(), dim=_dim(dim, self.ndim, "softmax"))

    def log_softmax(self, dim=-1):
        """log(softmax(x)) computed as x - logsumexp(x), stable for large inputs."""
        return _reduce.LogSoftmax.apply(self._float_input(),
                                        dim=_dim(dim, self.ndim, "log_softmax"))

    def logsumexp(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """log Σ exp(x) along ``dim``, without overflow."""
        if axis is not None or keepdims is not None:
            dim, keepdim = numpy_aliases("logsumexp", dim, keepdim, axis, keepdims)
        if dim is None:
            raise TypeError("logsumexp: missing the dim argument")
        m = Tensor._wrap(np.max(self.data, axis=_axis(dim, self.ndim), keepdims=True))
        m = Tensor._wrap(np.where(np.isfinite(m.data), m.data, 0).astype(self.dtype))
        out = (self - m).exp().sum(dim, keepdim=True).log() + m
        return out if keepdim else out.squeeze(dim)

    def _float_input(self):
        return self if self.data.dtype.kind == "f" else self.float()

    # ------------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False, dtype=None, *, axis=None, keepdims=None):
        """The sum over ``dim`` (an int, a tuple, or None for all); bools count as int64."""
        if type(dim) is int and dtype is None and self.data.dtype.kind == "f" and \
                -self.data.ndim <= dim < self.data.ndim and axis is None is keepdims:
            # one dim of a float tensor (a backward's bias gradient): nothing to convert
            return _reduce.Sum.apply(self, axis=(dim % self.data.ndim,), keepdim=keepdim)
        if axis is not None or keepdims is not None:
            dim, keepdim = numpy_aliases("sum", dim, keepdim, axis, keepdims)
        t = self if dtype is None else self.to(dtype)
        if t.data.dtype.kind == "b":
            t = t.long()
        return _reduce.Sum.apply(t, axis=_axis(dim, self.ndim, "sum"), keepdim=keepdim)

    def mean(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The mean over ``dim`` (an int, a tuple, or None for all)."""
        if axis is not None or keepdims is not None:
            dim, keepdim = numpy_aliases("mean", dim, keepdim, axis, keepdims)
        if self.data.dtype.kind != "f":
            raise RuntimeError(f"mean: could not infer output dtype; input dtype must be a "
                               f"floating point dtype, got {self.dtype} (use t.float().mean())")
        return _reduce.Mean.apply(self, axis=_axis(dim, self.ndim, "mean"), keepdim=keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, correction=None, *, axis=None,
            keepdims=None):
        """Variance with Bessel's correction by default (``correction=1``), as in PyTorch."""
        if axis is not None or keepdims is not None:
            dim, keepdim = numpy_aliases("var", dim, keepdim, axis, keepdims)
        if correction is None:
            correction = 1 if unbiased is None or unbiased else 0
        axis = _axis(dim, self.ndim, "var")
        n = self.data.size if axis is None else int(np.prod(
            [self.shape[a] for a in axis]))
        centred = self - self.mean(dim=axis, keepdim=True)
        return (centred * centred).sum(dim=axis, keepdim=keepdim) / max(n - correction, 0)

    def std(self, dim=None, unbiased=None, keepdim=False, correction=None, *, axis=None,
            keepdims=None):
        """Standard deviation: ``var(...).sqrt()`` (Bessel-corrected by default)."""
        if axis is not None or keepdims is not None:
            dim, keepdim = numpy_aliases("std", dim, keepdim, axis, keepdims)
        return self.var(dim, unbiased, keepdim, correction).sqrt()

    def prod(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The product over ``dim`` (one int, or None for all)."""
        if axis is not None or keepdims is not None:
            dim, keepdim = numpy_aliases("prod", dim, keepdim, axis, keepdims)
        if dim is not None and not isinstance(dim, (int, np.integer)):
            raise TypeError(f"prod: dim must be an int or None, got {dim!r}")
        axis = None if dim is None else _dim(dim, self.ndim, "prod")
        return _reduce.Prod.apply(self._float_input() if self.data.dtype.kind == "b" else self,
                                  axis=axis, keepdim=keepdim)

    def _extreme(self, dim, keepdim, op):
        if self.data.size == 0:
            raise RuntimeError(f"{op}: cannot reduce an empty tensor of shape {self.shape}")
        fn = _reduce.Max if op == "max" else _reduce.Min
        if dim is None:
            return fn.apply(self, axis=None, keepdim=False)
        dim = _dim(dim, self.ndim, op)
        values = _reduce.SelectAlongDim.apply(self, dim=dim, keepdim=keepdim, mode=op)
        indices = (np.argmax if op == "max" else np.argmin)(self.data, axis=dim)
        if keepdim:
            indices = np.expand_dims(indices, dim)
        return _MinMaxResult(values, Tensor._wrap(indices.astype(np.int64)))

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The maximum; with ``dim``, a ``(values, indices)`` pair as in PyTorch; with a
        tensor, the elementwise maximum."""
        if axis is not None or keepdims is not None:
            dim, keepdim = numpy_aliases("max", dim, keepdim, axis, keepdims)
        if isinstance(dim, Tensor):
            return maximum(self, dim)
        return self._extreme(dim, keepdim, "max")

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The minimum; with ``dim``, a ``(values, indices)`` pair as in PyTorch; with a
        tensor, the elementwise minimum."""
        if axis is not None or keepdims is not None:
            dim, keepdim = numpy_aliases("min", dim, keepdim, axis, keepdims)
        if isinstance(dim, Tensor):
            return minimum(self, dim)
        return self._extreme(dim, keepdim, "min")

    def amax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The maximum over ``dim`` (no indices); ties share the gradient."""
        if axis is not None or keepdims is not None:
            dim, keepdim = numpy_aliases("amax", dim, keepdim, axis, keepdims)
        return _reduce.Max.apply(self, axis=_axis(dim, self.ndim, "amax"), keepdim=keepdim)

    def amin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The minimum over ``dim`` (no indices); ties share the gradient."""
        if axis is not None or keepdims is not None:
            dim, keepdim = numpy_aliases("amin", dim, keepdim, axis, keepdims)
        return _reduce.Min.apply(self, axis=_axis(dim, self.ndim, "amin"), keepdim=keepdim)

    def argmax(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The index of the maximum (over the flattened tensor without ``dim``)."""
        if axis is not None or keepdims is not None:
            dim, keepdim = numpy_aliases("argmax", dim, keepdim, axis, keepdims)
        return _arg_extreme(self, np.argmax, dim, keepdim, "argmax")

    def argmin(self, dim=None, keepdim=False, *, axis=None, keepdims=None):
        """The index of the minimum (over the flattened tensor without ``dim``)."""
        if axis is not None or keepdims is not None:
            dim, keepdim = numpy_aliases("argmin", dim, keepdim, axis, keepdims)
        return _arg_extreme(self, np.argmin, dim, keepdim, "argmin")

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None, *, axis=None,
             keepdims=None):
        """The vector p-norm over ``dim`` (None: all elements): ``p`` = 2 or 'fro'
        (Euclidean; its gradient at 0 is 0, as in PyTorch), 1, inf, -inf, 0 (the count
        of non-zeros) or any other number."""
        if axis is not None or keepdims is not None:
            dim, keepdim = numpy_aliases("norm", dim, keepdim, axis, keepdims)
        t = self._float_input() if dtype is None else self.to(dtype)
        if p in ("fro", 2, 2.0):
            return _linalg.Norm2.apply(t, axis=_axis(dim, t.ndim, "norm"), keepdim=keepdim)
        return t._pnorm(p, dim, keepdim)

    def _pnorm(self, p, dim, keepdim):
        if isinstance(p, str) and p != "inf":
            raise ValueError(f"norm: p={p!r} is not supported (vector norms: a number, "
                             "'fro' or inf)")
        if p == 0:
            return (self != 0).sum(dim, keepdim=keepdim).to(self.dtype)
        if p in (float("-inf"),):
            return self.abs().amin(dim, keepdim=keepdim)
        if p == 1:
            return self.abs().sum(dim, keepdim=keepdim)
        if p in (float("inf"), "inf"):
            return self.abs().amax(dim, keepdim=keepdim)
        return (self.abs() ** p).sum(dim, keepdim=keepdim) ** (1.0 / p)

    # ------------------------------------------------------------------ shape
    def reshape(self, *shape):
        shape = _shape_arg(shape)
        try:
            new_shape = _resolve_reshape(self.data.shape, shape)
        except ValueError:
            raise RuntimeError(f"reshape: shape {tuple(shape)} is invalid for input of shape "
                               f"{self.shape} ({self.data.size} elements)") from None
        # Even a reshape to the same shape is a new tensor (a view), as in PyTorch: a
        # hook or retain_grad() on the result must not land on the input.
        return _shape.Reshape.apply(self, shape=new_shape)

    def view(self, *shape):
        return self.reshape(*shape)

    def view_as(self, other):
        return self.reshape(other.shape)

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        s = _dim(start_dim, self.ndim, "flatten")
        e = _dim(end_dim, self.ndim, "flatten")
        if s > e:
            raise RuntimeError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        if s == e:
            return self         # PyTorch returns the input itself here, not a view
        shape = self.shape[:s] + (int(np.prod(self.shape[s:e + 1])),) + self.shape[e + 1:]
        return self.reshape(shape)

    def unflatten(self, dim, sizes):
        d = _dim(dim, self.ndim, "unflatten")
        return self.reshape(self.shape[:d] + tuple(sizes) + self.shape[d + 1:])

    def squeeze(self, dim=None):
        if dim is None:
            return self.reshape(tuple(s for s in self.shape if s != 1))
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        dims = {_dim(d, self.ndim, "squeeze") for d in dims}
        return self.reshape(tuple(s for i, s in enumerate(self.shape)
                                  if not (i in dims and s == 1)))

    def unsqueeze(self, dim):
        d = _dim(dim, self.ndim + 1, "unsqueeze")
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def permute(self, *dims):
        given = _shape_arg(dims, "permute", "dims")
        ndim = self.data.ndim
        dims = tuple([_dim(d, ndim, "permute") for d in given])
        if sorted(dims) != list(range(ndim)):
            raise RuntimeError(f"permute: dims {given} are not a permutation of the "
                               f"{ndim} dims of a tensor of shape {self.shape}")
        return _shape.Permute.apply(self, dims=dims)

    def transpose(self, dim0, dim1):
        d0, d1 = _dim(dim0, self.ndim, "transpose"), _dim(dim1, self.ndim, "transpose")
        dims = list(range(self.ndim))
        dims[d0], dims[d1] = dims[d1], dims[d0]
        return self.permute(*dims)

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t: expects a tensor with <= 2 dimensions, got {self.shape}")
        return self.T

    def expand(self, *shape):
        shape = _shape_arg(shape, "expand", "size")
        if len(shape) < self.ndim:
            raise RuntimeError(f"expand: the number of sizes {len(shape)} must be at least "
                               f"the number of dims {self.ndim} (shape {self.shape})")
        lead = len(shape) - self.ndim
        shape = tuple(self.shape[i - lead] if s == -1 and i >= lead else s
                      for i, s in enumerate(shape))
        return self.broadcast_to(shape, op="expand")

    def expand_as(self, other):
        return self.expand(other.shape)

    def broadcast_to(self, shape, op="broadcast_to"):
        shape = _shape_arg((shape,), op, "size")
        try:
            np.broadcast_shapes(self.shape, shape)
            if np.broadcast_shapes(self.shape, shape) != shape:
                raise ValueError
        except ValueError:
            raise RuntimeError(f"{op}: cannot expand shape {self.shape} to {shape}") from None
        return _shape.Expand.apply(self, shape=shape)

    def sum_to(self, shape):
        """Sum broadcast dimensions away so the result has ``shape`` (broadcasting's adjoint)."""
        shape = tuple(shape)
        if shape == self.shape:
            return self
        try:
            if np.broadcast_shapes(shape, self.shape) != self.shape:
                raise ValueError
        except ValueError:
            raise RuntimeError(f"sum_to: cannot sum shape {self.shape} to {shape}") from None
        return _shape.SumTo.apply(self, shape=shape)

    def repeat(self, *sizes):
        sizes = _shape_arg(sizes, "repeat", "repeats")
        if len(sizes) < self.ndim:
            # PyTorch refuses too (NumPy's tile would pad the sizes on the left instead).
            raise RuntimeError(
                f"repeat: the number of repeat sizes ({len(sizes)}, {tuple(sizes)}) can not be "
                f"smaller than the number of dimensions of the tensor ({self.ndim}, shape "
                f"{self.shape}); give one size per dimension, e.g. "
                f"repeat{(1,) * (self.ndim - len(sizes)) + tuple(sizes)}, or use tile")
        t = self.reshape((1,) * (len(sizes) - self.ndim) + self.shape)
        expanded = []
        for s, r in zip(t.shape, sizes, strict=True):
            expanded += [r, s]
        inter = t.reshape(sum(([1, s] for s in t.shape), [])).expand(expanded)
        return inter.reshape(tuple(s * r for s, r in zip(t.shape, sizes, strict=True)))

    def split(self, split_size, dim=0):
        d = _dim(dim, self.ndim, "split")
        n = self.shape[d]
        sizes = ([split_size] * (n // split_size) + ([n % split_size] if n % split_size else [])
                 if isinstance(split_size, int) else list(split_size))
        out, start = [], 0
        for s in sizes:
            index = (slice(None),) * d + (slice(start, start + s),)
            out.append(self[index])
            start += s
        return tuple(out)

    def chunk(self, chunks, dim=0):
        n = self.shape[_dim(dim, self.ndim, "chunk")]
        return self.split(-(-n // chunks), dim)

    def __getitem__(self, index):
        index = _normalise_index(index, self.data.ndim, "getitem")
        if type(self.data) is not np.ndarray:
            index = _shape.index_to_device(index, self.data)
        try:
            return _shape.Index.apply(self, index=index)
        except IndexError as e:
            raise IndexError(f"index: {e} (tensor of shape {self.shape})") from None

    def __setitem__(self, index, value):
        # Writing into a tensor that is part of a graph would corrupt saved values; like
        # PyTorch we allow it on tensors that do not require grad, and under no_grad.
        if self.requires_grad and _mode.enabled:
            raise RuntimeError("setitem: a leaf Variable that requires grad is being used in "
                               "an in-place operation; wrap it in `with tg.no_grad():`")
        index = _normalise_index(index, self.data.ndim, "setitem")
        if type(self.data) is not np.ndarray:
            index = _shape.index_to_device(index, self.data)
        _shape.put(self.data, index, _data(value))

    # In-place updates for optimizers and init (under no_grad).
    def copy_(self, src):
        self.data[...] = _data(src)
        return self

    def fill_(self, value):
        self.data[...] = value
        return self

    def add_(self, other, alpha=1):
        self.data += _data(other) * alpha if alpha != 1 else _data(other)
        return self

    def mul_(self, other):
        self.data *= _data(other)
        return self

    def sub_(self, other, alpha=1):
        self.data -= _data(other) * alpha if alpha != 1 else _data(other)
        return self

    def div_(self, other):
        self.data /= _data(other)
        return self

    def clamp_(self, min=None, max=None):
        np.clip(self.data, min, max, out=self.data)
        return self

    def normal_(self, mean=0.0, std=1.0):
        from .random import get_rng
        self.data[...] = get_rng().normal(mean, std, self.shape)
        return self

    def uniform_(self, a=0.0, b=1.0):
        from .random import get_rng
        self.data[...] = get_rng().uniform(a, b, self.shape)
        return self

    # ------------------------------------------------------------------ notebooks
    def _repr_html_(self):
        """Jupyter's view: a line with shape, dtype and gradient state above ``repr``."""
        import html
        info = [f"shape {tuple(self.data.shape)}", str(self.data.dtype)]
        if self.name:
            info.insert(0, f"'{self.name}'")
        if self.grad_fn is not None:
            info.append(f"grad_fn {self.grad_fn.name}")
        elif self.requires_grad:
            info.append("requires_grad")
        if self.grad is not None:
            info.append(f"grad {tuple(self.grad.shape)}")
        return (f"<div><small>Tensor · {html.escape(' · '.join(info))}</small>"
                f"<pre>{html.escape(repr(self))}</pre></div>")


_OUT_OF_PLACE = {"add_": Tensor.__add__, "sub_": Tensor.__sub__, "mul_": Tensor.__mul__,
                 "div_": Tensor.__truediv__}


class _MinMaxResult(tuple):
    """``(values, indices)`` of ``max(dim=...)`` / ``min(dim=...)``, with named fields."""

    def __new__(cls, values, indices):
        return super().__new__(cls, (values, indices))

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]


_SCALAR_CONSTANTS = {}


def _scalar_constant(value, dtype, like=None):
    """A 0-d constant tensor for a Python float, on the device of the array ``like``;
    the same few constants (learning rates, 1.0, 0.5, eps) recur every step, so they are
    made once per device."""
    on_cpu = like is None or type(like) is np.ndarray
    key = (value, dtype) if on_cpu else (value, dtype, device_of(like))
    t = _SCALAR_CONSTANTS.get(key)
    if t is None or value == 0.0:      # 0.0 and -0.0 share a key but not a sign
        if len(_SCALAR_CONSTANTS) > 4096:
            _SCALAR_CONSTANTS.clear()
        if on_cpu:
            array = np.asarray(value, dtype=dtype)
            array.flags.writeable = False       # shared: nobody may change it
        else:
            array = array_module(like).asarray(value, dtype=dtype)
        t = _SCALAR_CONSTANTS[key] = Tensor._wrap(array)
    return t


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _check_broadcast(op, a, b):
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        raise RuntimeError(f"{op}: shapes {a} and {b} cannot be broadcast together (sizes "
                           "must match or be 1 in every trailing dimension)") from None


_INT_ONLY = frozenset([int])


def _shape_arg(shape, op="reshape", arg="shape"):
    """Accept ``f(2, 3)``, ``f((2, 3))`` and ``f([2, 3])``. Every size must be an int (or
    a NumPy integer, or a 0-d int tensor): like PyTorch, ``'3'`` or ``2.5`` is a
    TypeError naming ``op`` and ``arg``, never silently turned into 3 or 2."""
    if len(shape) == 1 and type(shape[0]) is not int and _is_sequence(shape[0]):
        shape = tuple(shape[0])
    if _INT_ONLY.issuperset(map(type, shape)):
        return tuple(shape)          # the usual case, checked without a loop in Python
    return tuple([_size(s, k, op, arg) for k, s in enumerate(shape, 1)])


def _is_sequence(value):
    """A container of sizes: ``(2, 3)``, ``[2, 3]``, an array of ints; not a string or
    a tensor, nor a 0-d array, which is one size."""
    if isinstance(value, (tuple, list)):
        return True
    if isinstance(value, (str, bytes, Tensor)):
        return False
    if isinstance(value, np.ndarray):
        return value.ndim > 0
    return hasattr(value, "__iter__")


def _size(value, position, op, arg, expected="a tuple of ints"):
    """One size as a Python int; ``expected`` says what ``arg`` must be in the error
    (``eye``'s ``n`` and ``m`` are single ints, not tuples)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (Tensor, np.ndarray)) and value.ndim == 0 and value.dtype.kind in "iu":
        return int(value.item())
    raise TypeError(f"{op}: argument '{arg}' must be {expected}, but got "
                    f"{type(value).__name__} {value!r} at position {position} (sizes are "
                    "whole numbers; convert with int() if that is what you mean)")


def _resolve_reshape(old, new):
    # math.prod, not np.prod: exact, and a tenth of the cost on a few small ints
    size = math.prod(old)
    if new.count(-1) > 1:
        raise ValueError
    if -1 in new:
        known = math.prod([s for s in new if s != -1])
        if known == 0 or size % known:
            raise ValueError
        new = tuple(size // known if s == -1 else s for s in new)
    if math.prod(new) != size or any(s < 0 for s in new):
        raise ValueError
    return tuple(new)


def _dim(d, ndim, op="dim"):
    if not isinstance(d, (int, np.integer)) or isinstance(d, bool):
        raise TypeError(f"{op}: dim must be an int, got {d!r}")
    n = max(ndim, 1)
    if not -n <= d < n:
        raise IndexError(f"{op}: dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {d})")
    return int(d) % n


def _axis(dim, ndim, op="reduce"):
    if dim is None:
        return None
    if isinstance(dim, (tuple, list)):
        axes = tuple(sorted({_dim(d, ndim, op) for d in dim}))
        return axes if ndim else None
    return (_dim(dim, ndim, op),) if ndim else None


def _arg_extreme(t, fn, dim, keepdim, op):
    xp = array_module(t.data)
    if dim is None:
        return Tensor._wrap(xp.asarray(fn(t.data), dtype=np.int64))
    d = _dim(dim, t.ndim, op)
    out = fn(t.data, axis=d)
    if keepdim:
        out = np.expand_dims(out, d)
    return Tensor._wrap(xp.asarray(out, dtype=np.int64))


def _normalise_index(index, ndim, op):
    """Tensors inside an index become arrays, lists become integer arrays, and a tuple
    that mixes integers with advanced indices is split so NumPy gives PyTorch's order.
    A slice step below one is refused, as PyTorch refuses it (NumPy would reverse)."""
    # The step checks are inlined loops, not a helper: this is every x[...]'s hot path.
    if isinstance(index, tuple):
        for item in index:
            if type(item) is slice and item.step is not None and item.step <= 0:
                _reject_step(index, ndim, op)
        if _shape.PLAIN_INDEX_TYPES.issuperset(map(type, index)):
            return index            # the hot path (x[:, 1], x[..., 0]): nothing to convert
        return _shape.torch_index(tuple([_normalise_index_item(i) for i in index]), ndim)
    if type(index) is slice and index.step is not None and index.step <= 0:
        _reject_step((index,), ndim, op)
    return _normalise_index_item(index)


def _reject_step(index, ndim, op):
    """Raise PyTorch's ValueError for the first slice in ``index`` (a tuple) whose step is
    not positive, showing the index and, for a negative step, the ``flip`` to use."""
    position, item = next((k, i) for k, i in enumerate(index)
                          if type(i) is slice and i.step is not None and i.step <= 0)
    shown = "x[" + ", ".join(_index_text(i) for i in index) + "]"
    message = f"{op}: step must be greater than zero, got {item.step} in {shown}"
    if item.step == 0:
        raise ValueError(f"{message} (a step of 0 never advances)")
    dim = _dim_of_index_item(index, position, ndim)
    raise ValueError(f"{message}; PyTorch does not reverse with a negative step as NumPy "
                     f"does: reverse the dim with x.flip({dim}) (tg.flip(x, [{dim}])), then "
                     "slice it with a positive step")


def _index_text(item):
    """One index item as it is written inside x[...]."""
    if type(item) is slice:
        start, stop, step = ("" if v is None else str(v)
                             for v in (item.start, item.stop, item.step))
        return f"{start}:{stop}" + (f":{step}" if step else "")
    if item is Ellipsis:
        return "..."
    if item is None or isinstance(item, (bool, int, np.integer)):
        return repr(item) if not isinstance(item, np.integer) else str(int(item))
    return type(item).__name__         # a list, an array or a tensor: its kind is enough


def _dim_of_index_item(index, position, ndim):
    """The dim of the tensor that ``index[position]`` (a slice) selects along."""
    def consumed(item):    # how many of the tensor's dims an index item uses up
        if item is None or isinstance(item, (bool, np.bool_)):
            return 0                    # None and a bare True/False add a dim instead
        if isinstance(item, list):
            item = np.asarray(item)
        if isinstance(item, (Tensor, np.ndarray)) and item.dtype == np.bool_:
            return item.ndim            # a mask spans as many dims as it has
        return 1
    before = index[:position]
    if any(i is Ellipsis for i in before):
        # the Ellipsis stands for every dim the items after it do not use
        return ndim - sum(consumed(i) for i in index[position:] if i is not Ellipsis)
    return sum(consumed(i) for i in before)


def _normalise_index_item(i):
    if isinstance(i, Tensor):
        i = i.data
    if isinstance(i, list):
        # [] would be a float array; as an index it selects nothing
        i = np.asarray([x.data if isinstance(x, Tensor) else x for x in i]) if i else \
            np.zeros(0, dtype=np.int64)
    if isinstance(i, np.ndarray) and i.dtype.kind == "f":
        raise IndexError(f"tensors used as indices must be long or bool, got {i.dtype}")
    return i


# ---------------------------------------------------------------------- free functions
def tensor(data, requires_grad=False, dtype=None, device=None):
    """Make a tensor (copying the data, like ``torch.tensor``), on ``device`` if given."""
    array = _to_array(data, dtype, "tensor")
    if isinstance(data, (np.ndarray, Tensor)) and array is _data(data):
        array = array.copy()
    if device is not None:
        array = to_device(array, device)
    t = Tensor._wrap(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _parse_to(args, device_arg, dtype_arg):
    """``Tensor.to``'s arguments → (device or None, dtype or None)."""
    device_, dtype_ = device_arg, dtype_arg
    for a in args:
        if isinstance(a, Tensor):
            device_, dtype_ = a.device, a.data.dtype
        elif isinstance(a, (device, str)):
            device_ = a
        elif isinstance(a, int) and not isinstance(a, bool):
            device_ = device("cuda", a)
        else:
            dtype_ = a
    if device_ is not None:
        device_ = device(device_)
    if dtype_ is not None:
        dtype_ = dtypes.to_dtype(dtype_, "to")
    return device_, dtype_


def matmul(a, b):
    """Matrix product with NumPy's / PyTorch's rules for 1-D, 2-D and batched operands."""
    if type(a) is Tensor and type(b) is Tensor and a.data.ndim == 2 == b.data.ndim and \
            a.data.dtype is b.data.dtype and a.data.shape[1] == b.data.shape[0]:
        return _linalg.MatMul.apply(a, b)      # two matrices that fit: nothing to check
    if not isinstance(a, Tensor):
        a = Tensor(a) if isinstance(a, (np.ndarray, list)) else _not_tensor("matmul", a)
    if not isinstance(b, Tensor):
        b = Tensor(b) if isinstance(b, (np.ndarray, list)) else _not_tensor("matmul", b)
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"matmul: both arguments need at least 1 dimension, got shapes "
                           f"{a.shape} and {b.shape}")
    a, b = a._operands(b, "matmul")
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        hint = ""
        if a.ndim >= 2 and b.ndim >= 2 and a.shape[-1] == b.shape[-1]:
            hint = " (did you mean to transpose the second operand, b.T?)"
        raise RuntimeError(f"matmul: shapes {a.shape} and {b.shape} are not aligned: "
                           f"{k_a} (dim -1 of the first) != {k_b} (dim "
                           f"{0 if b.ndim == 1 else -2} of the second){hint}")
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise RuntimeError(f"matmul: batch dimensions of {a.shape} and {b.shape} cannot be "
                           "broadcast together") from None
    squeeze_a, squeeze_b = a.ndim == 1, b.ndim == 1
    if squeeze_a:
        a = a.reshape(1, a.shape[0])
    if squeeze_b:
        b = b.reshape(b.shape[0], 1)
    out = _linalg.MatMul.apply(a, b)
    if squeeze_a and squeeze_b:
        return out.reshape(())
    if squeeze_a:
        return out.squeeze(-2)
    if squeeze_b:
        return out.squeeze(-1)
    return out


def _not_tensor(op, x):
    raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")


def _as_tensor(x, op):
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (np.ndarray, list, tuple, numbers.Number)):
        return Tensor(x)
    raise TypeError(f"{op}: expected a Tensor, a NumPy array or a number, got "
                    f"{type(x).__name__}")


def maximum(a, b):
    """Elementwise maximum; at ties the gradient is split evenly, as in PyTorch."""
    a = _as_tensor(a, "maximum")
    return a._binary(_ew.Maximum, b, "maximum")


def minimum(a, b):
    """Elementwise minimum; at ties the gradient is split evenly, as in PyTorch."""
    a = _as_tensor(a, "minimum")
    return a._binary(_ew.Minimum, b, "minimum")


def where(condition, a, b):
    """``a`` where ``condition`` holds, else ``b`` (broadcasting all three)."""
    cond = _as_tensor(condition, "where").data
    if cond.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor, got {cond.dtype}")
    if isinstance(a, Tensor):
        a, b = a._operands(b, "where")
    elif isinstance(b, Tensor):
        b, a = b._operands(a, "where")
    else:
        a, b = Tensor(a)._operands(b, "where")
    try:
        np.broadcast_shapes(cond.shape, a.shape, b.shape)
    except ValueError:
        raise RuntimeError(f"where: shapes {cond.shape} (condition), {a.shape} and {b.shape} "
                           "cannot be broadcast together") from None
    return _ew.Where.apply(a, b, condition=cond)


def cat(tensors, dim=0, *, axis=None):
    """Join tensors along an existing dimension (``axis=`` is accepted for ``dim=``)."""
    if axis is not None:
        dim = axis
    tensors = [_as_tensor(t, "cat") for t in tensors]
    if not tensors:
        raise RuntimeError("cat: expected a non-empty list of tensors")
    d = _dim(dim, tensors[0].ndim, "cat")
    ref = tensors[0].shape
    for i, t in enumerate(tensors):
        if t.ndim != len(ref) or t.shape[:d] + t.shape[d + 1:] != ref[:d] + ref[d + 1:]:
            raise RuntimeError(f"cat: sizes of tensors must match except in dimension {d}; "
                               f"tensor 0 has shape {ref}, tensor {i} has shape {t.shape}")
    dt = dtypes.result_dtype(*[t.data for t in tensors])
    tensors = [t if t.dtype == dt else t.to(dt) for t in tensors]
    return _shape.Cat.apply(*tensors, dim=d)


def stack(tensors, dim=0, *, axis=None):
    """Join same-shaped tensors along a new dimension (``axis=`` is accepted for
    ``dim=``)."""
    if axis is not None:
        dim = axis
    tensors = [_as_tensor(t, "stack") for t in tensors]
    if not tensors:
        raise RuntimeError("stack: expected a non-empty list of tensors")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack: expects each tensor to be equal size, but got "
                               f"{tensors[0].shape} at entry 0 and {t.shape} at entry {i}")
    d = _dim(dim, tensors[0].ndim + 1, "stack")
    return cat([t.unsqueeze(d) for t in tensors], dim=d)


from .ops import elementwise as _ew  # noqa: E402
from .ops import linalg as _linalg  # noqa: E402
from .ops import reduce as _reduce  # noqa: E402
from .ops import shape as _shape  # noqa: E402
from .tensor_methods import attach as _attach  # noqa: E402
from .tensor_methods import numpy_aliases  # noqa: E402

_attach(Tensor)
