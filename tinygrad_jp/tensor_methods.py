"""More Tensor methods under PyTorch's names, grouped by concept: the exp / log family
and rounding, running sums and products, rearranging (flip, roll, movedim, tile,
tril / triu), gather / scatter and masks, sorting, products (outer, einsum),
interpolation and sampling.

They are written as methods of :class:`TensorMethods` and copied onto ``Tensor`` once,
when ``tensor.py`` is imported (see :func:`attach`), so that ``tensor.py`` stays a
readable core. Each method's function form (``tg.cumsum(x, 0)``) is generated from the
one table in ``tinygrad_jp/functional.py``.
"""
import numbers

import numpy as np

from . import dtypes
from . import random as _random
from .devices import array_module
from .ops import einsum as _einsum
from .ops import elementwise as _ew
from .ops import exp_log as _exp_log
from .ops import rounding as _rounding
from .ops import scan as _scan
from .ops import shape as _shape
from .tensor import Tensor, _as_tensor, _dim, _MinMaxResult, _shape_arg, where

__all__ = ["TensorMethods", "attach", "einsum", "numpy_aliases"]


def numpy_aliases(op, dim, keepdim, axis, keepdims):
    """NumPy's argument names that PyTorch also accepts: ``axis=`` for ``dim=`` and
    ``keepdims=`` for ``keepdim=``. Returns the (dim, keepdim) to use."""
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{op}: got both dim={dim!r} and its alias axis={axis!r}")
        dim = axis
    if keepdims is not None:
        keepdim = keepdims
    return dim, keepdim


def _dims(dims, ndim, op):
    """An int or a sequence of ints → a tuple of distinct non-negative dims."""
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    out = tuple(_dim(d, ndim, op) for d in dims)
    if len(set(out)) != len(out):
        raise RuntimeError(f"{op}: dim {out} appears multiple times in the list of dims")
    return out


def _index_array(index, op, name="index"):
    if not isinstance(index, Tensor):
        index = Tensor(index) if isinstance(index, (np.ndarray, list, tuple)) else None
    if index is None or index.dtype.kind not in "iu":
        got = "a non-tensor" if index is None else f"dtype {index.dtype}"
        raise RuntimeError(f"{op}: {name} must be an integer (int64) tensor, got {got}")
    return index.data


def _along(x, dim, index, op):
    """Index arrays that pick ``x[i_0, ..., index[i_0, ..., i_n], ..., i_n]`` for every
    position of ``index`` (torch.gather's rule): ``index`` has ``x``'s number of dims
    and may be smaller than ``x`` in the others."""
    idx = _index_array(index, op)
    if idx.ndim != x.ndim:
        raise RuntimeError(f"{op}: index of shape {idx.shape} must have as many dims as the "
                           f"input of shape {x.shape}")
    for k, (i, s) in enumerate(zip(idx.shape, x.shape, strict=True)):
        if k != dim and i > s:
            raise RuntimeError(f"{op}: index of shape {idx.shape} is larger than the input "
                               f"of shape {x.shape} in dim {k} (only dim {dim} may differ)")
    if idx.size and (idx.min() < 0 or idx.max() >= x.shape[dim]):
        bad = idx.min() if idx.min() < 0 else idx.max()
        raise RuntimeError(f"{op}: index {bad} is out of bounds for dim {dim} with size "
                           f"{x.shape[dim]}")
    full = tuple(idx if k == dim else
                 np.arange(idx.shape[k]).reshape([-1 if j == k else 1 for j in range(x.ndim)])
                 for k in range(x.ndim))
    # on a GPU the index arrays go there too (an index may be given on the CPU)
    return full if type(x.data) is np.ndarray else _shape.index_to_device(full, x.data)


def _sort_indices(x, dim, descending):
    """A stable argsort; descending sorts −x so equal elements keep their order."""
    if descending:
        x = -(x if x.dtype.kind in "fi" else x.astype(np.int64))
    return np.argsort(x, axis=dim, kind="stable")


class TensorMethods:
    """The methods below become methods of :class:`~tinygrad_jp.Tensor`."""

    # ------------------------------------------------------------ exp / log, trig
    def tan(self):
        """tan(x), elementwise."""
        return self._unary(_ew.Tan, "tan")

    def log2(self):
        """Base-2 logarithm, elementwise."""
        return self._unary(_exp_log.Log2, "log2")

    def log10(self):
        """Base-10 logarithm, elementwise."""
        return self._unary(_exp_log.Log10, "log10")

    def exp2(self):
        """2ˣ, elementwise."""
        return self._unary(_exp_log.Exp2, "exp2")

    def expm1(self):
        """eˣ − 1, exact for small x (where ``x.exp() - 1`` loses its digits)."""
        return self._unary(_exp_log.Expm1, "expm1")

    def log1p(self):
        """log(1 + x), exact for small x."""
        return self._unary(_exp_log.Log1p, "log1p")

    # ------------------------------------------------------------ rounding
    def _step(self, fn, **params):
        if self.data.dtype.kind != "f":
            return self.clone()          # integers are already whole, as in PyTorch
        return fn.apply(self, **params)

    def floor(self):
        """The largest integer ≤ x (the gradient is zero)."""
        return self._step(_rounding.Floor)

    def ceil(self):
        """The smallest integer ≥ x (the gradient is zero)."""
        return self._step(_rounding.Ceil)

    def trunc(self):
        """x rounded towards zero (the gradient is zero)."""
        return self._step(_rounding.Trunc)

    fix = trunc

    def round(self, decimals=0):
        """x rounded half to even (0.5 → 0, 2.5 → 2), to ``decimals`` digits."""
        if not isinstance(decimals, (int, np.integer)) or isinstance(decimals, bool):
            raise TypeError(f"round: decimals must be an int, got {decimals!r}")
        return self._step(_rounding.Round, decimals=int(decimals))

    def remainder(self, other):
        """Python's modulo, as ``torch.remainder`` and ``x % y``: the result has the sign
        of the divisor. For floats it is ``x - floor(x / y) * y``, so the gradient is 1
        for x and −floor(x / y) for y; integers stay integers."""
        return _remainder(self, other)

    def floor_divide(self, other):
        """``floor(x / y)``, as ``torch.floor_divide`` and ``x // y`` (the gradient is
        zero); integers stay integers."""
        return _floor_divide(self, other)

    def clamp_min(self, min):  # noqa: A002
        """``clamp(min=min)``."""
        return self.clamp(min=min)

    def clamp_max(self, max):  # noqa: A002
        """``clamp(max=max)``."""
        return self.clamp(max=max)

    # ------------------------------------------------------------ running sums
    def _scan(self, fn, op, dim, dtype, axis):
        dim, _ = numpy_aliases(op, dim, False, axis, None)
        if dim is None:
            raise TypeError(f"{op}: missing the dim argument (e.g. x.{op}(dim=0))")
        t = self if dtype is None else self.to(dtype)
        if t.data.dtype.kind != "f" and dtype is None:
            t = t.long()                 # PyTorch accumulates integers and bools in int64
        if t.ndim == 0:
            _dim(dim, 0, op)
            return t.clone()
        return fn.apply(t, dim=_dim(dim, t.ndim, op))

    def cumsum(self, dim=None, dtype=None, *, axis=None):
        """Running sum along ``dim``: ``y[i] = x[0] + ... + x[i]``."""
        return self._scan(_scan.Cumsum, "cumsum", dim, dtype, axis)

    def cumprod(self, dim=None, dtype=None, *, axis=None):
        """Running product along ``dim``: ``y[i] = x[0] * ... * x[i]`` (the gradient is
        exact even where x has zeros)."""
        return self._scan(_scan.Cumprod, "cumprod", dim, dtype, axis)

    # ------------------------------------------------------------ rearranging
    def flip(self, *dims):
        """Reverse the order of elements along ``dims`` (a copy, as in PyTorch)."""
        dims = _dims(_shape_arg(dims), self.ndim, "flip")
        if not dims or self.ndim == 0:
            return self.clone()
        return _shape.Flip.apply(self, dims=dims)

    def fliplr(self):
        """``flip(1)``: reverse the columns."""
        return self.flip(1)

    def flipud(self):
        """``flip(0)``: reverse the rows."""
        return self.flip(0)

    def roll(self, shifts, dims=None):
        """Shift elements by ``shifts`` along ``dims``, wrapping around. Without
        ``dims`` the tensor is flattened, rolled and reshaped, as in PyTorch."""
        shifts = (shifts,) if isinstance(shifts, (int, np.integer)) else tuple(shifts)
        if dims is None:
            if len(shifts) != 1:
                raise RuntimeError(f"roll: without dims, shifts must be one int, got "
                                   f"{shifts}")
            return self.flatten().roll(shifts, 0).reshape(self.shape)
        dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
        if len(shifts) != len(dims):
            raise RuntimeError(f"roll: shifts {shifts} and dims {dims} must have the same "
                               "length")
        dims = tuple(_dim(d, self.ndim, "roll") for d in dims)
        if self.ndim == 0:
            return self.clone()
        return _shape.Roll.apply(self, shifts=tuple(int(s) for s in shifts), dims=dims)

    def movedim(self, source, destination):
        """Move dims ``source`` to positions ``destination`` (ints or sequences); the
        other dims keep their order."""
        src = _dims(source, self.ndim, "movedim")
        dst = _dims(destination, self.ndim, "movedim")
        if len(src) != len(dst):
            raise RuntimeError(f"movedim: source {tuple(src)} and destination {tuple(dst)} "
                               "must have the same number of dims")
        order = [d for d in range(self.ndim) if d not in src]
        for d, s in sorted(zip(dst, src, strict=True)):
            order.insert(d, s)
        return self.permute(*order)

    moveaxis = movedim

    def swapaxes(self, axis0, axis1):
        """``transpose(axis0, axis1)``."""
        return self.transpose(axis0, axis1)

    swapdims = swapaxes

    def tile(self, *dims):
        """Repeat the tensor ``dims[i]`` times along dim i; fewer dims than the tensor
        has are padded with 1s at the front (unlike ``repeat``)."""
        dims = _shape_arg(dims)
        dims = (1,) * (self.ndim - len(dims)) + dims
        return self.repeat(dims)

    def narrow(self, dim, start, length):
        """``length`` elements of dim ``dim`` from ``start`` (a slice)."""
        d = _dim(dim, self.ndim, "narrow")
        start = start + self.shape[d] if start < 0 else start
        if not 0 <= start <= start + length <= self.shape[d]:
            raise RuntimeError(f"narrow: start {start} + length {length} exceeds dim {d} "
                               f"of size {self.shape[d]}")
        return self[(slice(None),) * d + (slice(start, start + length),)]

    def _triangle(self, diagonal, op, lower):
        if self.ndim < 2:
            raise RuntimeError(f"{op}: input needs at least 2 dims, got shape {self.shape}")
        n, m = self.shape[-2:]
        # np.tri: True on and below diagonal k
        keep = np.tri(n, m, diagonal, dtype=bool) if lower else ~np.tri(n, m, diagonal - 1,
                                                                         dtype=bool)
        keep = Tensor._wrap(keep).to(self.device)
        return where(keep, self, Tensor._wrap(np.zeros((), self.dtype)))

    def tril(self, diagonal=0):
        """The lower triangle of the last two dims (on and below ``diagonal``), zeros
        elsewhere."""
        return self._triangle(diagonal, "tril", lower=True)

    def triu(self, diagonal=0):
        """The upper triangle of the last two dims (on and above ``diagonal``), zeros
        elsewhere."""
        return self._triangle(diagonal, "triu", lower=False)

    # ------------------------------------------------------------ gather / scatter / masks
    def gather(self, dim, index, *, sparse_grad=False):
        """``out[i][j] = self[index[i][j]][j]`` for dim 0 (and so on): pick one element
        along ``dim`` for every position of ``index``. Repeated indices add up in the
        gradient."""
        d = _dim(dim, self.ndim, "gather")
        return _shape.Gather.apply(self, index=_along(self, d, index, "gather"))

    def _scatter_src(self, dim, index, src, op):
        d = _dim(dim, self.ndim, op)
        idx = _along(self, d, index, op)
        if isinstance(src, numbers.Number) and not isinstance(src, Tensor):
            src = Tensor._wrap(array_module(self.data).full(idx[d].shape, src,
                                                             dtype=self.dtype))
        if not isinstance(src, Tensor):
            raise TypeError(f"{op}: src must be a Tensor or a number, got "
                            f"{type(src).__name__}")
        if src.dtype != self.dtype:
            raise RuntimeError(f"{op}: expected self.dtype to be equal to src.dtype, got "
                               f"{self.dtype} and {src.dtype}")
        shape = idx[d].shape
        if src.ndim != self.ndim or any(i > s for i, s in zip(shape, src.shape, strict=True)):
            raise RuntimeError(f"{op}: src of shape {src.shape} must have the input's dims "
                               f"and be at least as large as the index of shape {shape}")
        return src, idx, tuple(slice(0, s) for s in shape)

    def scatter(self, dim, index, src=None, value=None, *, reduce=None):
        """A copy with ``src`` (a tensor, or a number: ``value``) written at ``index``
        along ``dim``, the inverse of :meth:`gather`. ``reduce='add'`` adds instead."""
        if src is None:
            src = value
        if src is None:
            raise TypeError("scatter: give src (a tensor) or value (a number)")
        if reduce == "add":
            return self.scatter_add(dim, index, src)
        if reduce is not None:
            raise ValueError(f"scatter: reduce must be None or 'add', got {reduce!r} (use "
                             "scatter_reduce for other reductions)")
        src, idx, src_slices = self._scatter_src(dim, index, src, "scatter")
        return _shape.Scatter.apply(self, src, index=idx, src_slices=src_slices)

    def scatter_add(self, dim, index, src):
        """A copy with ``src`` added at ``index`` along ``dim``; repeated indices add up
        (the adjoint of :meth:`gather`)."""
        src, idx, src_slices = self._scatter_src(dim, index, src, "scatter_add")
        return _shape.ScatterAdd.apply(self, src, index=idx, src_slices=src_slices)

    def index_select(self, dim, index):
        """The entries ``index`` (a 1-D integer tensor) along ``dim``."""
        d = _dim(dim, self.ndim, "index_select")
        idx = _index_array(index, "index_select")
        if idx.ndim > 1:
            raise IndexError(f"index_select: index must be 1-D, got shape {idx.shape}")
        idx = idx.reshape(-1)
        size = self.shape[d] if self.ndim else 1
        if idx.size and (idx.min() < 0 or idx.max() >= size):     # no negative ones
            bad = idx.min() if idx.min() < 0 else idx.max()
            raise IndexError(f"index_select: index {bad} is out of range for dim {d} of "
                             f"size {size}")
        return _shape.Gather.apply(self, index=(slice(None),) * d + (idx,))

    def masked_fill(self, mask, value):
        """A copy with ``value`` (a number or a 0-d tensor) where ``mask`` is True;
        ``mask`` is a bool tensor that broadcasts to this tensor's shape."""
        m = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
        if m.dtype != np.bool_:
            raise RuntimeError(f"masked_fill: mask must be a bool tensor, got {m.dtype}")
        try:
            ok = np.broadcast_shapes(m.shape, self.shape) == self.shape
        except ValueError:
            ok = False
        if not ok:
            raise RuntimeError(f"masked_fill: mask of shape {m.shape} does not broadcast to "
                               f"the input's shape {self.shape}")
        if isinstance(value, Tensor):
            if value.ndim:
                raise RuntimeError(f"masked_fill: only a 0-d value tensor is supported, got "
                                   f"shape {value.shape}")
            value = value if value.dtype == self.dtype else value.to(self.dtype)
        else:
            value = Tensor._wrap(np.asarray(value, dtype=self.dtype))
        return where(Tensor._wrap(m), value, self)

    def where(self, condition, other):
        """``tg.where(condition, self, other)``: this tensor where ``condition`` holds,
        ``other`` elsewhere."""
        return where(condition, self, other)

    # ------------------------------------------------------------ sorting
    def sort(self, dim=-1, descending=False, stable=False):
        """``(values, indices)`` sorted along ``dim`` (always stable: equal elements
        keep their order). The gradient flows back to where each value came from."""
        if self.ndim == 0:
            return _MinMaxResult(self.clone(), Tensor._wrap(np.zeros((), np.int64)))
        d = _dim(dim, self.ndim, "sort")
        idx = Tensor._wrap(_sort_indices(self.data, d, descending))
        return _MinMaxResult(self.gather(d, idx), idx)

    def argsort(self, dim=-1, descending=False, stable=False):
        """The indices that sort the tensor along ``dim`` (see :meth:`sort`)."""
        if self.ndim == 0:
            return Tensor._wrap(np.zeros((), np.int64))
        return Tensor._wrap(_sort_indices(self.data, _dim(dim, self.ndim, "argsort"),
                                          descending))

    def topk(self, k, dim=-1, largest=True, sorted=True):  # noqa: A002
        """``(values, indices)`` of the ``k`` largest (or smallest) entries along ``dim``,
        in order."""
        d = _dim(dim, self.ndim, "topk")
        size = self.shape[d] if self.ndim else 1
        if not isinstance(k, (int, np.integer)) or not 0 <= k <= size:
            raise RuntimeError(f"topk: k ({k!r}) is out of range for dim {d} of size {size}")
        if self.ndim == 0:
            return self.sort()
        order = _sort_indices(self.data, d, largest)
        idx = Tensor._wrap(array_module(order).ascontiguousarray(
            order[(slice(None),) * d + (slice(0, k),)]))
        return _MinMaxResult(self.gather(d, idx), idx)

    # ------------------------------------------------------------ products, interpolation
    def outer(self, vec2):
        """The outer product of two 1-D tensors: ``out[i, j] = self[i] * vec2[j]``."""
        vec2 = _as_tensor(vec2, "outer")
        if self.ndim != 1 or vec2.ndim != 1:
            raise RuntimeError(f"outer: expects two 1-D tensors, got shapes {self.shape} "
                               f"and {vec2.shape}")
        return self.unsqueeze(1) * vec2.unsqueeze(0)

    ger = outer

    def lerp(self, end, weight):
        """``self + weight * (end - self)``: weight 0 gives self, 1 gives end."""
        return self + weight * (end - self)

    # ------------------------------------------------------------ sampling
    def multinomial(self, num_samples, replacement=False, *, generator=None):
        """Sample ``num_samples`` category indices per row of this tensor of
        non-negative weights (1-D, or 2-D with one distribution per row), from the
        global generator that ``tg.manual_seed`` seeds."""
        op = "multinomial"
        p = self.data
        if p.ndim not in (1, 2) or p.shape[-1] == 0:
            raise RuntimeError(f"{op}: weights must be 1-D or 2-D and non-empty, got "
                               f"shape {self.shape}")
        if p.dtype.kind != "f":
            raise RuntimeError(f"{op}: weights must be floating point, got {p.dtype}")
        if not np.isfinite(p).all() or (p < 0).any():
            raise RuntimeError(f"{op}: weights must be finite and non-negative")
        if (p.sum(-1) <= 0).any():
            raise RuntimeError(f"{op}: every row of weights must have a positive sum")
        if not isinstance(num_samples, (int, np.integer)) or num_samples <= 0:
            raise RuntimeError(f"{op}: num_samples must be a positive int, got "
                               f"{num_samples!r}")
        if not replacement and num_samples > (p > 0).sum(-1).min():
            raise RuntimeError(f"{op}: cannot draw {num_samples} samples without "
                               f"replacement from {int((p > 0).sum(-1).min())} categories "
                               "of non-zero weight")
        return Tensor._wrap(_random.multinomial(p, int(num_samples), bool(replacement)))


def einsum(equation, *operands):
    """Einstein summation, as ``torch.einsum``: ``einsum('ij,jk->ik', a, b)`` is
    ``a @ b``; ``'...'`` stands for broadcast leading dims; without ``'->'`` the output
    is the letters that appear once, in alphabetical order. Differentiable in every
    operand, to any order."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not isinstance(equation, str):
        raise TypeError(f"einsum: the equation must be a str, got {type(equation).__name__}")
    tensors = [_as_tensor(t, "einsum") for t in operands]
    if not tensors:
        raise RuntimeError("einsum: needs at least one operand")
    dt = dtypes.result_dtype(*[t.data for t in tensors])
    tensors = [t if t.dtype == dt else t.to(dt) for t in tensors]
    return _einsum.apply_einsum(equation, tensors)


def _integer_operands(a, b):
    """The arrays of ``a`` and ``b`` when both are integers (a Python int takes the
    tensor's dtype, as in PyTorch), else ``None``."""
    def array(x, like):
        if isinstance(x, Tensor):
            return x.data
        if isinstance(x, numbers.Integral) and like is not None:
            return np.asarray(x, dtype=like.data.dtype)
        return np.asarray(x)
    tensor = a if isinstance(a, Tensor) else b
    ad, bd = array(a, tensor), array(b, tensor)
    if ad.dtype.kind in "iu" and bd.dtype.kind in "iu":
        if np.any(bd == 0):
            raise ZeroDivisionError("remainder / floor_divide: integer division by zero")
        return ad, bd
    return None


def _remainder(a, b):
    ints = _integer_operands(a, b)
    if ints is not None:
        return Tensor._wrap(ints[0] % ints[1])
    a = a if isinstance(a, Tensor) else Tensor(a, dtype=b.dtype)
    return a - (a / b).floor() * b


def _floor_divide(a, b):
    ints = _integer_operands(a, b)
    if ints is not None:
        return Tensor._wrap(ints[0] // ints[1])
    a = a if isinstance(a, Tensor) else Tensor(a, dtype=b.dtype)
    return (a / b).floor()


def attach(cls):
    """Copy every method of :class:`TensorMethods` onto ``cls`` (the Tensor class).
    A name that ``cls`` already defines is an error, so nothing is overridden silently."""
    for name, member in vars(TensorMethods).items():
        if name.startswith("__"):
            continue
        if name in vars(cls):
            raise RuntimeError(f"Tensor.{name} is defined twice (tensor.py and "
                               "tensor_methods.py)")
        setattr(cls, name, member)
    # Python's operators for them (attach copies no dunder names, so these are explicit)
    cls.__mod__ = lambda self, other: _remainder(self, other)
    cls.__rmod__ = lambda self, other: _remainder(other, self)
    cls.__floordiv__ = lambda self, other: _floor_divide(self, other)
    cls.__rfloordiv__ = lambda self, other: _floor_divide(other, self)
