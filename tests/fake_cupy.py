"""A stand-in for CuPy on a machine without a GPU: NumPy underneath, but it behaves as
CuPy does at the border between host and device, so the CUDA code paths can be tested
on a CPU (CI has no GPU):

* implicit conversion to NumPy fails (``np.asarray(gpu_array)`` raises ``TypeError``, as
  CuPy's ``__array__`` does); ``.get()`` / ``asnumpy`` copy to the host explicitly;
* mixing a NumPy array into a device computation fails (CuPy: "Unsupported type");
* NumPy functions called on device arrays return device arrays (CuPy implements
  ``__array_ufunc__`` and ``__array_function__``), reductions give 0-d arrays.

It catches most host/device mistakes: an op that builds a helper array with
``np.zeros(shape)`` and combines it with its input, a result left on the host, a
``float()`` hidden in a hot loop is still allowed (CuPy allows it too).
"""
import types

import numpy as np

_HOST_REFUSED = ("Implicit conversion to a NumPy array is not allowed. Please use `.get()` "
                 "to construct a NumPy array explicitly.")


class _Device:
    id = 0

    def __init__(self, index=0):
        self.id = int(index)

    def synchronize(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _unwrap(x, strict=True):
    """Device array → its NumPy array; a host array where a device one is needed →
    TypeError (as CuPy)."""
    if isinstance(x, ndarray):
        return x._a
    if isinstance(x, np.ndarray):
        if strict:
            raise TypeError(f"Unsupported type {type(x)}")
        return x
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v, strict) for v in x)
    if isinstance(x, dict):
        return {k: _unwrap(v, strict) for k, v in x.items()}
    return x


def _wrap(x):
    if isinstance(x, np.ndarray):
        return ndarray(x)
    if isinstance(x, np.generic):
        return ndarray(np.asarray(x))          # CuPy's reductions give 0-d arrays
    if isinstance(x, tuple):
        return tuple(_wrap(v) for v in x)
    if isinstance(x, list):
        return [_wrap(v) for v in x]
    return x


class ndarray:
    """A device array: a NumPy array that refuses to be taken for one."""

    __slots__ = ("_a", "__weakref__")
    device = _Device()

    def __init__(self, a):
        self._a = a

    # -- the host/device border
    def __array__(self, dtype=None, copy=None):
        raise TypeError(_HOST_REFUSED)

    def get(self, stream=None, out=None):
        """Copy to the host (a NumPy array)."""
        return np.array(self._a, copy=True)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "at":
            # CuPy declines ``np.add.at(device_array, ...)``: only ``cupy.add.at`` works
            return NotImplemented
        out = kwargs.pop("out", None)
        kwargs = _unwrap(kwargs)
        if out is not None:
            kwargs["out"] = tuple(_unwrap(o) for o in out)
        result = getattr(ufunc, method)(*_unwrap(inputs), **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _wrap(result)

    def __array_function__(self, func, types_, args, kwargs):
        return _wrap(func(*_unwrap(args), **_unwrap(kwargs)))

    # -- attributes and methods are NumPy's, with device results
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    strides = property(lambda self: self._a.strides)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    # CuPy's flags: no ``writeable`` (its arrays are always writeable)
    flags = property(lambda self: types.SimpleNamespace(
        c_contiguous=self._a.flags.c_contiguous, f_contiguous=self._a.flags.f_contiguous,
        owndata=self._a.flags.owndata))
    T = property(lambda self: ndarray(self._a.T))

    @property
    def base(self):
        return None if self._a.base is None else ndarray(self._a.base)

    def __getattr__(self, name):
        if name.startswith("__"):
            # No __array_interface__ / __array_struct__: NumPy would read the memory
            # through them and convert silently, which CuPy never allows.
            raise AttributeError(name)
        attr = getattr(self._a, name)
        if not callable(attr):
            return attr

        def method(*args, **kwargs):
            return _wrap(attr(*_unwrap(args), **_unwrap(kwargs)))
        return method

    def item(self):
        return self._a.item()

    def tolist(self):
        return self._a.tolist()

    def __getitem__(self, index):
        index = _unwrap(index, strict=False)
        picked = self._a[index]
        if isinstance(picked, np.generic):
            # CuPy's ``a[i, j]`` is a 0-d *view*: a later write to a[i, j] shows in it
            picked = self._a[(index if isinstance(index, tuple) else (index,)) + (Ellipsis,)]
        return _wrap(picked)

    def __setitem__(self, index, value):
        self._a[_unwrap(index, strict=False)] = _unwrap(value, strict=False)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        return (_wrap(v) for v in self._a)

    def __bool__(self):
        return bool(self._a)

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __index__(self):
        return self._a.__index__()

    def __repr__(self):
        return "fake_cupy." + repr(self._a)

    __hash__ = None


def _binary(name):
    def op(self, other):
        return _wrap(getattr(self._a, name)(_unwrap(other)))
    op.__name__ = name
    return op


for _name in ("add", "radd", "sub", "rsub", "mul", "rmul", "truediv", "rtruediv", "floordiv",
              "rfloordiv", "mod", "rmod", "pow", "rpow", "matmul", "rmatmul", "and", "rand",
              "or", "ror", "xor", "rxor", "lt", "le", "gt", "ge", "eq", "ne", "lshift",
              "rshift"):
    setattr(ndarray, f"__{_name}__", _binary(f"__{_name}__"))


def _inplace(name):
    def op(self, other):
        getattr(self._a, name)(_unwrap(other))
        return self
    op.__name__ = name
    return op


for _name in ("iadd", "isub", "imul", "itruediv", "ifloordiv", "ipow", "iand", "ior",
              "ixor", "imod"):
    setattr(ndarray, f"__{_name}__", _inplace(f"__{_name}__"))


def _unary(name):
    def op(self):
        return _wrap(getattr(self._a, name)())
    op.__name__ = name
    return op


for _name in ("neg", "pos", "abs", "invert"):
    setattr(ndarray, f"__{_name}__", _unary(f"__{_name}__"))


# -- the module's functions: NumPy's, taking and giving device arrays
def asarray(a, dtype=None, order=None):
    """Host data (or a device array) → a device array."""
    if isinstance(a, ndarray):
        return a if dtype is None or a.dtype == dtype else a.astype(dtype)
    return ndarray(np.array(_unwrap(a, strict=False), dtype=dtype, order=order or "K",
                            copy=True))


array = asarray


def asnumpy(a, stream=None, out=None):
    """A device array → a NumPy array (anything else through ``np.asarray``)."""
    return a.get() if isinstance(a, ndarray) else np.asarray(a)


def get_array_module(*args):
    return _module if any(isinstance(a, ndarray) for a in args) else np


def ascontiguousarray(a, dtype=None):
    return ndarray(np.ascontiguousarray(_unwrap(a), dtype=dtype))


def _function(name):
    fn = getattr(np, name)

    def wrapper(*args, **kwargs):
        return _wrap(fn(*_unwrap(args), **_unwrap(kwargs)))
    wrapper.__name__ = name
    if isinstance(fn, np.ufunc):
        def at(a, indices, b=None):
            """``cupy.add.at``: in place, on the device array itself."""
            fn.at(a._a, _unwrap(indices), *(() if b is None else (_unwrap(b),)))
        wrapper.at = at
    return wrapper


def __getattr__(name):
    attr = getattr(np, name)
    if isinstance(attr, np.ufunc) or callable(attr) and not isinstance(attr, type):
        return _function(name)
    return attr           # dtypes, constants


class _Random:
    """``cupy.random``: seeded generators that make device arrays."""

    def __init__(self):
        self._rng = np.random.default_rng()

    def seed(self, seed=None):
        self._rng = np.random.default_rng(seed)

    def default_rng(self, seed=None):
        return _Generator(np.random.default_rng(seed))

    def __getattr__(self, name):
        return _function_of(getattr(self._rng, name))


class _Generator:
    def __init__(self, rng):
        self._rng = rng

    def __getattr__(self, name):
        return _function_of(getattr(self._rng, name))


def _function_of(fn):
    def wrapper(*args, **kwargs):
        return _wrap(fn(*_unwrap(args), **_unwrap(kwargs)))
    return wrapper


random = _Random()

cuda = types.SimpleNamespace(
    runtime=types.SimpleNamespace(getDeviceCount=lambda: 1),
    Device=_Device,
    OutOfMemoryError=MemoryError,
    get_current_stream=lambda: types.SimpleNamespace(synchronize=lambda: None),
)


class OutOfMemoryError(MemoryError):
    """CuPy's error when the GPU is full (``cupy.cuda.memory.OutOfMemoryError``)."""


_module = None


def install():
    """Make this module the CUDA array module of tinygrad_jp (undo with uninstall())."""
    global _module
    import sys

    from tinygrad_jp import devices as device
    _module = sys.modules[__name__]
    device._use_cuda_module(_module)
    return _module


def uninstall():
    from tinygrad_jp import devices as device
    device._use_cuda_module(None)


