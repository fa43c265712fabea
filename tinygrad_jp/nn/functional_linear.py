"""``linear``: ``input @ weight.T + bias``, the op of ``nn.Linear``."""
import numpy as np

from ..ops import nn_misc as _misc
from ._checks import _float_tensor, _same_dtype

__all__ = ["linear"]


def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` with ``weight`` of shape (out_features, in_features)."""
    op = "linear"
    x = _float_tensor(input, op)
    w = _float_tensor(weight, op, "weight")
    b = None if bias is None else _float_tensor(bias, op, "bias")
    if w.ndim != 2:
        raise RuntimeError(f"{op}: weight must be 2-D (out_features, in_features), got "
                           f"shape {w.shape}")
    if x.ndim == 0 or x.shape[-1] != w.shape[1]:
        hint = ""
        if x.ndim > 2 and int(np.prod(x.shape[1:])) == w.shape[1]:
            hint = " (flatten the input first, e.g. x.flatten(1) or nn.Flatten())"
        raise RuntimeError(f"{op}: input of shape {x.shape} does not match weight "
                           f"{w.shape}: expected the last dimension to be {w.shape[1]}"
                           f"{hint}")
    if b is not None and b.shape != (w.shape[0],):
        raise RuntimeError(f"{op}: bias must have shape ({w.shape[0]},), got {b.shape}")
    _same_dtype(op, x, ("weight", w), ("bias", b))
    if b is None:
        return _misc.Linear.apply(x, w)
    return _misc.Linear.apply(x, w, b)
