"""The argument checks of ``nn``, in one place: ``nn.functional`` and the layers of
``nn/layers*.py`` call the same helpers, so an argument is checked once, with the same
message, whichever way the op is called.

Each helper takes the op's name (``op``) for its message: a wrong call fails at the
call, naming the op and the offending shapes, dtypes or values.
"""
import numbers

import numpy as np

from ..tensor import Tensor


def _tensor(x, op, name="input"):
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return Tensor(x)
    raise TypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}")


def _float_tensor(x, op, name="input"):
    x = _tensor(x, op, name)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be a floating point tensor, got dtype "
                        f"{x.dtype} (convert it first, e.g. {name}.float())")
    return x


def _same_dtype(op, ref, *others):
    """Parameters must share the input's dtype (no silent float64 upcasts)."""
    for name, t in others:
        if t is not None and t.dtype != ref.dtype:
            raise TypeError(f"{op}: {name} has dtype {t.dtype} but the input has dtype "
                            f"{ref.dtype}; convert one of them (.float() / .double())")


def _ints(value, n, op, name):
    """An int or a sequence of n ints → tuple of n ints."""
    if isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, bool):
        return (int(value),) * n
    if isinstance(value, (tuple, list)) and len(value) == n and all(
            isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, bool)
            for v in value):
        return tuple(int(v) for v in value)
    raise TypeError(f"{op}: {name} must be an int or a tuple of {n} ints, got {value!r}")


def _positive(values, op, name):
    if any(v <= 0 for v in values):
        raise ValueError(f"{op}: {name} must be positive, got {values}")
    return values


def _non_negative(values, op, name):
    if any(v < 0 for v in values):
        raise ValueError(f"{op}: {name} must be non-negative, got {values}")
    return values


def _batched_4d(x, op):
    """Accept (N, C, H, W) or an unbatched (C, H, W) like PyTorch."""
    if x.ndim == 4:
        return x, False
    if x.ndim == 3:
        return x.unsqueeze(0), True
    raise RuntimeError(f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
                       f"shape {x.shape}")


def _pool_args(op, kernel_size, stride=None, padding=0, dilation=1):
    """Validated ``(kernel, stride, padding, dilation)`` of a 2-D pooling window, each a
    pair of ints: stride defaults to the kernel; padding is at most half the (dilated)
    kernel, as in PyTorch. ``F.max_pool2d`` / ``F.avg_pool2d`` check their arguments
    with it at every call, ``nn.MaxPool2d`` / ``nn.AvgPool2d`` once, when they are set."""
    kernel = _positive(_ints(kernel_size, 2, op, "kernel_size"), op, "kernel_size")
    stride = kernel if stride is None or (isinstance(stride, (list, tuple)) and
                                          len(stride) == 0) else stride
    stride = _positive(_ints(stride, 2, op, "stride"), op, "stride")
    padding = _non_negative(_ints(padding, 2, op, "padding"), op, "padding")
    dilation = _positive(_ints(dilation, 2, op, "dilation"), op, "dilation")
    for p, k, d in zip(padding, kernel, dilation, strict=True):
        if p > (d * (k - 1) + 1) // 2:
            raise ValueError(f"{op}: padding {padding} should be at most half of the "
                             f"kernel size {kernel}")
    return kernel, stride, padding, dilation
