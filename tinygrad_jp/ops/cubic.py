"""The interpolation matrix of PyTorch's bicubic resizing (``mode='bicubic'``).

Bicubic resizing is separable: resizing rows, then columns, with the same 1-D rule.
The 1-D rule is linear in the input, so it is an (out, in) matrix ``M``, and the
resized image is ``M_h · x · M_wᵀ`` — two small matrix products that are
differentiable as they are (their backward is ``M_hᵀ · g · M_w``), with no custom op.

Each output position ``o`` reads the four inputs around its source coordinate
``src`` with Keys' cubic convolution weights (``A = −0.75``, as PyTorch and OpenCV);
reads beyond the border are clamped to the edge pixel, exactly as PyTorch does it.
"""
import numpy as np

__all__ = ["cubic_weights", "CUBIC_A"]

CUBIC_A = -0.75


def _near(t, a):
    """Weight of a tap at distance |t| ≤ 1: ((A + 2)·t − (A + 3))·t² + 1."""
    return ((a + 2) * t - (a + 3)) * t * t + 1


def _far(t, a):
    """Weight of a tap at distance 1 < |t| < 2: ((A·t − 5A)·t + 8A)·t − 4A."""
    return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a


def cubic_weights(in_size, out_size, align_corners, scale=None, a=CUBIC_A):
    """(out, in) float64 matrix of PyTorch's 1-D bicubic interpolation.

    Coordinates as PyTorch's ``upsample_bicubic2d``: with ``align_corners`` the corner
    pixels map onto each other (``src = dst·(in − 1)/(out − 1)``); without, pixel
    centres do (``src = (dst + 0.5)·ratio − 0.5``, *not* clamped at 0, unlike the
    linear modes), where ``ratio`` is ``1/scale`` when the user gave a scale factor and
    ``in/out`` otherwise. Taps outside [0, in − 1] are clamped onto the border.
    """
    dst = np.arange(out_size, dtype=np.float64)
    if align_corners:
        src = dst * ((in_size - 1) / (out_size - 1)) if out_size > 1 else dst * 0.0
    else:
        ratio = (1.0 / scale) if scale else in_size / out_size
        src = (dst + 0.5) * ratio - 0.5
    # PyTorch's guard: the base index stays inside the input, the fraction in [0, 1]
    base = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    t = np.clip(src - base, 0.0, 1.0)
    weights = (_far(t + 1, a), _near(t, a), _near(1 - t, a), _far(2 - t, a))
    m = np.zeros((out_size, in_size))
    rows = np.arange(out_size)
    for k, wk in enumerate(weights):       # the four taps: base − 1 … base + 2
        # np.add.at: near a border several taps clamp onto the same pixel and add up
        np.add.at(m, (rows, np.clip(base - 1 + k, 0, in_size - 1)), wk)
    return m
