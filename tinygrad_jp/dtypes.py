"""dtype names and PyTorch's type-promotion rules on top of NumPy dtypes.

NumPy and PyTorch agree when both operands have the same kind, but not across kinds:
NumPy turns ``int64 + float32`` into float64 and ``int / int`` into float64, where
PyTorch gives float32 (its default float dtype). Every binary op asks
:func:`result_dtype` first and casts its operands, so NumPy never promotes on its own.
"""
import numpy as np

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)

half, float, double, long, int = float16, float32, float64, int64, int32  # noqa: A001

DEFAULT_FLOAT = float32

_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}


def kind_rank(dtype):
    """0 for bool, 1 for integers, 2 for floats: PyTorch's promotion categories."""
    return _KIND_RANK[np.dtype(dtype).kind]


def is_floating(dtype):
    return np.dtype(dtype).kind == "f"


def to_dtype(dtype, op="dtype"):
    """Turn ``tg.float32``, ``np.float32``, ``'float32'`` or Python ``float`` into a dtype."""
    if dtype is None:
        return None
    if dtype is _pyfloat:
        return DEFAULT_FLOAT
    if dtype is _pyint:
        return int64
    if dtype is _pybool:
        return bool_
    try:
        dt = np.dtype(dtype)
    except TypeError as e:
        raise TypeError(f"{op}: {dtype!r} is not a dtype (use tg.float32, tg.float64, "
                        f"tg.int64 or tg.bool)") from e
    if dt.kind not in _KIND_RANK:
        raise TypeError(f"{op}: dtype {dt} is not supported (only bool, integer and float "
                        "tensors are)")
    return dt


_pyfloat, _pyint, _pybool = (1.0).__class__, (1).__class__, (True).__class__


def _scalar_dtype(value):
    """The dtype a Python scalar would take as a tensor of its own."""
    if isinstance(value, _pybool):
        return bool_
    if isinstance(value, _pyint):
        return int64
    return DEFAULT_FLOAT


def _promote(a, b):
    """Within one kind the wider dtype; across kinds the higher kind's dtype (int64 with
    float32 is float32, where NumPy says float64)."""
    if a is None:
        return b
    ra, rb = _KIND_RANK[a.kind], _KIND_RANK[b.kind]
    if ra == rb:
        return np.promote_types(a, b)
    return a if ra > rb else b


def result_dtype(*operands):
    """PyTorch's result type of an op over arrays and Python scalars.

    Dimensioned arrays decide; a 0-d array only when it is of a higher kind (bool <
    integer < float) than every dimensioned one; a Python scalar only when it is of a
    higher kind than all arrays (``float32 * 2.5`` stays float32, ``int64 * 2.5`` is
    float32, ``float32 + float64`` is float64).
    """
    dims = zero_d = scalars = None
    for x in operands:
        if isinstance(x, np.ndarray) or hasattr(x, "dtype") and hasattr(x, "ndim"):
            if x.ndim:
                dims = _promote(dims, x.dtype)
            else:
                zero_d = _promote(zero_d, x.dtype)
        else:
            scalars = _promote(scalars, _scalar_dtype(x))
    result = dims
    for candidate in (zero_d, scalars):
        if candidate is not None and (
                result is None or _KIND_RANK[candidate.kind] > _KIND_RANK[result.kind]):
            result = candidate
    return result
