"""Tensor creation functions (``tg.zeros``, ``tg.randn``, ...), all with ``dtype=`` and
``requires_grad=``; random ones draw from the generator that ``tg.manual_seed`` seeds."""
import numpy as np

from . import dtypes
from .random import get_rng
from .tensor import Tensor, _shape_arg

__all__ = ["zeros", "ones", "empty", "full", "zeros_like", "ones_like", "full_like", "arange",
           "linspace", "eye", "randn", "rand", "randint", "randn_like", "rand_like", "from_numpy",
           "as_tensor", "is_tensor"]


def _make(array, dtype, requires_grad, default=dtypes.DEFAULT_FLOAT):
    dtype = dtypes.to_dtype(dtype) if dtype is not None else default
    t = Tensor._wrap(np.asarray(array, dtype=dtype))
    if requires_grad:
        t.requires_grad_(True)
    return t


def zeros(*shape, dtype=None, requires_grad=False):
    return _make(np.zeros(_shape_arg(shape)), dtype, requires_grad)


def ones(*shape, dtype=None, requires_grad=False):
    return _make(np.ones(_shape_arg(shape)), dtype, requires_grad)


def empty(*shape, dtype=None, requires_grad=False):
    return _make(np.empty(_shape_arg(shape)), dtype, requires_grad)


def full(shape, fill_value, dtype=None, requires_grad=False):
    if dtype is None:
        dtype = dtypes.result_dtype(fill_value)
    return _make(np.full(_shape_arg((shape,)), fill_value), dtype, requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    return _make(np.zeros(t.shape), dtype or t.dtype, requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return _make(np.ones(t.shape), dtype or t.dtype, requires_grad)


def full_like(t, fill_value, dtype=None, requires_grad=False):
    return _make(np.full(t.shape, fill_value), dtype or t.dtype, requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    """Like ``torch.arange``: int64 for integer arguments, float32 otherwise."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    integral = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    default = dtypes.int64 if integral else dtypes.DEFAULT_FLOAT
    return _make(np.arange(start, end, step), dtype, requires_grad, default)


def linspace(start, end, steps, dtype=None, requires_grad=False):
    return _make(np.linspace(start, end, steps), dtype, requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False):
    return _make(np.eye(n, m), dtype, requires_grad)


def randn(*shape, dtype=None, requires_grad=False):
    """Standard normal samples."""
    return _make(get_rng().standard_normal(_shape_arg(shape)), dtype, requires_grad)


def rand(*shape, dtype=None, requires_grad=False):
    """Uniform samples in [0, 1)."""
    return _make(get_rng().random(_shape_arg(shape)), dtype, requires_grad)


def randint(low, high=None, size=None, dtype=None, requires_grad=False):
    """Integers in [low, high) (int64), as ``torch.randint(low, high, size)``."""
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint: size is required, e.g. tg.randint(0, 10, (3,))")
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    return _make(get_rng().integers(low, high, _shape_arg((size,))), dtype, requires_grad,
                 dtypes.int64)


def randn_like(t, dtype=None, requires_grad=False):
    return randn(*t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def rand_like(t, dtype=None, requires_grad=False):
    return rand(*t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def from_numpy(ndarray):
    """A tensor that shares memory with ``ndarray`` and keeps its dtype (a float64
    array stays float64, as in ``torch.from_numpy``): writes to one show in the other."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: expected np.ndarray, got {type(ndarray).__name__}")
    if ndarray.dtype.kind not in "biuf":
        raise TypeError(f"from_numpy: can't convert an array of dtype {ndarray.dtype}; "
                        "the supported dtypes are bool, integers and floats")
    return Tensor._wrap(ndarray)


def as_tensor(data, dtype=None):
    """``data`` as a tensor without copying when it already is one (or a NumPy array)
    of the wanted dtype; otherwise like :func:`tensor`."""
    if isinstance(data, Tensor) and (dtype is None or data.dtype == dtypes.to_dtype(dtype)):
        return data
    return Tensor(data, dtype=dtype)


def is_tensor(obj):
    """True when ``obj`` is a tinygrad_jp Tensor (or a Parameter)."""
    return isinstance(obj, Tensor)
