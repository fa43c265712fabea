"""The interpolation matrix of PyTorch's antialiased resizing (``antialias=True``).

Shrinking an image by plain bilinear or bicubic interpolation reads only the 2 or 4
input pixels nearest to each output pixel and skips the rest, so fine patterns alias
into false ones. Antialiased resizing (Pillow's algorithm, which PyTorch follows)
widens the filter by the shrink ratio instead: an output pixel averages every input
pixel under the stretched triangle (bilinear) or cubic (bicubic, A = −0.5 as in
Pillow) filter, and the weights of each output pixel are normalised to sum to 1, so
pixels cut off at the border are left out rather than repeated. When enlarging, the
filter keeps its width and this is ordinary interpolation with that border rule.

Like the other resizing modes it is separable, so the 1-D rule is an (out, in)
matrix ``M`` and the image is resized by two small matrix products, whose backward
is the transposed products.
"""
import numpy as np

from .cubic import _far, _near

__all__ = ["antialias_weights"]

# half-width of each filter at ratio 1, in input pixels
_HALF_WIDTH = {"bilinear": 1.0, "bicubic": 2.0}
PILLOW_CUBIC_A = -0.5


def _filter(mode, t):
    t = np.abs(t)
    if mode == "bilinear":
        return np.maximum(0.0, 1.0 - t)
    a = PILLOW_CUBIC_A
    return np.where(t < 1, _near(t, a), np.where(t < 2, _far(t, a), 0.0))


def antialias_weights(in_size, out_size, mode, align_corners, scale=None):
    """(out, in) float64 matrix of PyTorch's antialiased 1-D resizing, ``mode``
    'bilinear' or 'bicubic'.

    ``ratio`` is input pixels per output pixel: ``(in − 1)/(out − 1)`` with
    ``align_corners``, else ``1/scale`` when the user gave a scale factor and ``in/out``
    otherwise. Output pixel ``o`` is centred at ``ratio·(o + 0.5)`` and reads the input
    pixels within ``half_width·max(ratio, 1)`` of it, weighted by the filter at
    distance ``(j + 0.5 − centre)/max(ratio, 1)``.
    """
    if align_corners:
        ratio = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    else:
        ratio = 1.0 / scale if scale else in_size / out_size
    stretch = max(ratio, 1.0)
    support = _HALF_WIDTH[mode] * stretch
    centre = ratio * (np.arange(out_size) + 0.5)
    # PyTorch truncates toward zero here (a C cast); a negative start is clipped to 0
    first = np.maximum((centre - support + 0.5).astype(np.int64), 0)
    stop = np.minimum((centre + support + 0.5).astype(np.int64), in_size)
    taps = first[:, None] + np.arange(max(int((stop - first).max()), 1))
    inside = taps < stop[:, None]
    w = np.where(inside, _filter(mode, (taps + 0.5 - centre[:, None]) / stretch), 0.0)
    total = w.sum(axis=1, keepdims=True)
    w = np.divide(w, total, out=np.zeros_like(w), where=total != 0)
    m = np.zeros((out_size, in_size))
    rows = np.broadcast_to(np.arange(out_size)[:, None], taps.shape)
    # taps past the last pixel carry weight 0; clipping them keeps the indices valid
    np.add.at(m, (rows, np.minimum(taps, in_size - 1)), w)
    return m
