"""Tensor creation functions (``tg.zeros``, ``tg.randn``, ...), all with ``dtype=`` and
``requires_grad=``; random ones draw from the generator that ``tg.manual_seed`` seeds."""
import numpy as np

from . import dtypes
from .random import get_rng
from .tensor import Tensor, _shape_arg

__all__ = ["zeros", "ones", "empty", "full", "zeros_like", "ones_like", "full_like", "arange",
           "linspace", "eye", "randn", "rand", "randint", "randn_like", "rand_like"]


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
