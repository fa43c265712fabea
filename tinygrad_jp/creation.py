"""Tensor creation functions (``tg.zeros``, ``tg.randn``, ...), all with ``dtype=``,
``device=`` and ``requires_grad=``; random ones draw from the generator that
``tg.manual_seed`` seeds (on the host, so a seed gives the same numbers on every
device), the others are made directly on their device."""
import math

import numpy as np

from . import dtypes
from .devices import array_module, to_device
from .random import get_rng
from .tensor import Tensor, _shape_arg
from .tensor import _size as _one_size

__all__ = ["zeros", "ones", "empty", "full", "zeros_like", "ones_like", "full_like", "arange",
           "linspace", "eye", "randn", "rand", "randint", "randn_like", "rand_like", "from_numpy",
           "as_tensor", "is_tensor"]


def _size(op, sizes, names=None):
    """The shape a factory is asked for, checked as PyTorch checks it: ints only (a
    TypeError naming the argument otherwise), none negative. Every factory calls this.

    ``eye`` takes its sizes as separate arguments, each one int (``eye(n, m)``): it
    passes their ``names``, so that an error names ``n`` or ``m`` as PyTorch's does."""
    if names is None:
        shape = _shape_arg(sizes, op, "size")
        if min(shape, default=0) < 0:
            raise RuntimeError(f"{op}: sizes must be non-negative, got {shape}")
        return shape
    shape = tuple(_one_size(value, position, op, name, "an int")
                  for position, (name, value) in enumerate(zip(names, sizes, strict=True), 1))
    for name, value in zip(names, shape, strict=True):
        if value < 0:
            raise RuntimeError(f"{op}: argument '{name}' must be non-negative, got {value}")
    return shape


def _dtype(dtype, default=dtypes.DEFAULT_FLOAT):
    return dtypes.to_dtype(dtype) if dtype is not None else default


def _xp(device):
    """NumPy, or CuPy for a CUDA ``device`` (None: the CPU)."""
    return np if device is None else array_module(device)


def _make(array, requires_grad, device=None):
    if device is not None:
        array = to_device(array, device)
    t = Tensor._wrap(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


# Factories allocate the result in its own dtype: building float64 and casting would
# need three times the result's memory at the peak.
def zeros(*size, dtype=None, device=None, requires_grad=False):
    return _make(_xp(device).zeros(_size("zeros", size), _dtype(dtype)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _make(_xp(device).ones(_size("ones", size), _dtype(dtype)), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    return _make(_xp(device).empty(_size("empty", size), _dtype(dtype)), requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    dtype = _dtype(dtype, dtypes.result_dtype(fill_value))
    return _make(_xp(device).full(_size("full", (size,)), fill_value, dtype), requires_grad)


# The _like factories make their tensor where ``t`` lives unless ``device`` says otherwise.
def zeros_like(t, dtype=None, device=None, requires_grad=False):
    return zeros(*t.shape, dtype=_dtype(dtype, t.dtype), device=device or t.device,
                 requires_grad=requires_grad)


def ones_like(t, dtype=None, device=None, requires_grad=False):
    return ones(*t.shape, dtype=_dtype(dtype, t.dtype), device=device or t.device,
                requires_grad=requires_grad)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False):
    return full(t.shape, fill_value, dtype=_dtype(dtype, t.dtype),
                device=device or t.device, requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """Like ``torch.arange``: int64 for integer arguments, float32 otherwise."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    integral = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    default = dtypes.int64 if integral else dtypes.DEFAULT_FLOAT
    # computed in float64 and rounded, so a float32 range has the same points
    return _make(np.arange(start, end, step).astype(_dtype(dtype, default), copy=False),
                 requires_grad, device)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    return _make(np.linspace(start, end, steps, dtype=_dtype(dtype)), requires_grad, device)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    n, m = _size("eye", (n, n if m is None else m), names=("n", "m"))
    return _make(_xp(device).eye(n, m, dtype=_dtype(dtype)), requires_grad)


# Random numbers are drawn as float64 (or int64), the stream a seed has always given,
# and rounded into the result a slice at a time, so that a large float32 tensor never
# has a float64 twin in memory.
_SAMPLE_SLICE = 1 << 16


def _sample(draw, shape, dtype):
    """``draw(size)`` (a NumPy generator's method) as an array of ``shape`` and ``dtype``."""
    n = math.prod(shape)
    if n <= _SAMPLE_SLICE:
        return draw(shape).astype(dtype, copy=False)
    out = np.empty(n, dtype)
    for start in range(0, n, _SAMPLE_SLICE):
        stop = min(start + _SAMPLE_SLICE, n)
        out[start:stop] = draw(stop - start)
    return out.reshape(shape)


def randn(*size, dtype=None, device=None, requires_grad=False):
    """Standard normal samples."""
    shape = _size("randn", size)
    return _make(_sample(get_rng().standard_normal, shape, _dtype(dtype)), requires_grad,
                 device)


def rand(*size, dtype=None, device=None, requires_grad=False):
    """Uniform samples in [0, 1)."""
    shape = _size("rand", size)
    return _make(_sample(get_rng().random, shape, _dtype(dtype)), requires_grad, device)


def randint(low, high=None, size=None, dtype=None, device=None, requires_grad=False):
    """Integers in [low, high) (int64), as ``torch.randint(low, high, size)``."""
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint: size is required, e.g. tg.randint(0, 10, (3,))")
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    shape = _size("randint", (size,))
    rng = get_rng()
    return _make(_sample(lambda size: rng.integers(low, high, size), shape,
                         _dtype(dtype, dtypes.int64)), requires_grad, device)


def randn_like(t, dtype=None, device=None, requires_grad=False):
    return randn(*t.shape, dtype=dtype or t.dtype, device=device or t.device,
                 requires_grad=requires_grad)


def rand_like(t, dtype=None, device=None, requires_grad=False):
    return rand(*t.shape, dtype=dtype or t.dtype, device=device or t.device,
                requires_grad=requires_grad)


def from_numpy(ndarray):
    """A tensor that shares memory with ``ndarray`` and keeps its dtype (a float64
    array stays float64, as in ``torch.from_numpy``): writes to one show in the other."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(ndarray).__name__}")
    if ndarray.dtype.kind not in "biuf":
        raise TypeError(f"from_numpy: can't convert an array of dtype {ndarray.dtype}; "
                        "the supported dtypes are bool, integers and floats")
    return Tensor._wrap(ndarray)


def as_tensor(data, dtype=None, device=None):
    """``data`` as a tensor without copying when it already is one (or a NumPy array)
    of the wanted dtype and device; otherwise like :func:`tensor`."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype)
    t = Tensor(data, dtype=dtype)
    return t if device is None else t.to(device)


def is_tensor(obj):
    """True when ``obj`` is a tinygrad_jp Tensor (or a Parameter)."""
    return isinstance(obj, Tensor)
