"""Adaptive max pooling: the maximum over PyTorch's adaptive bins, any input size.

Output cell ``i`` of an axis of length ``in`` pooled to ``out`` covers the input range
``[⌊i·in/out⌋, ⌈(i+1)·in/out⌉)``. The bins may overlap and differ in size (by at most
one or two), so there is no single stride: instead every window is gathered at once
through an index table of shape (out, k) per axis, k the largest bin, in which a
shorter bin repeats its last index. A repeated element equals an earlier one of the
same window, so it never changes the maximum nor wins a tie: ``argmax`` over the
window in row-major order then picks the first maximum, PyTorch's rule, and exactly
one input gets each output's gradient.

Like max pooling in ``pool.py``, the backward pair are each other's adjoints, so
higher-order gradients work: ``AdaptiveMaxPool2d → MaxIndexScatter → MaxIndexGather →
MaxIndexScatter ...``.
"""
import numpy as np

from ..autograd import Function
from ..devices import array_module, device_of, to_device

__all__ = ["adaptive_bins", "adaptive_max_pool", "AdaptiveMaxPool2d", "MaxIndexScatter",
           "MaxIndexGather"]


def adaptive_bins(in_size, out_size):
    """(start, end) arrays of PyTorch's adaptive bins: [⌊i·in/out⌋, ⌈(i+1)·in/out⌉)."""
    i = np.arange(out_size, dtype=np.int64)
    start = (i * in_size) // out_size
    end = -((-(i + 1) * in_size) // out_size)
    return start, end


def _window_table(in_size, out_size):
    """(out, k) input index of every position of every bin; shorter bins repeat their
    last index (see the module docstring for why that is harmless)."""
    start, end = adaptive_bins(in_size, out_size)
    k = int((end - start).max())
    return np.minimum(start[:, None] + np.arange(k), end[:, None] - 1)


def adaptive_max_pool(x, out_hw):
    """Maxima (N, C, OH, OW) of array ``x`` (N, C, H, W) over the adaptive bins, and
    the flat index (row·W + column, int64) of each maximum in its H×W plane."""
    n, c, h, w = x.shape
    oh, ow = out_hw
    xp = array_module(x)              # the index tables go where x lives
    rows = to_device(_window_table(h, oh), device_of(x))
    cols = to_device(_window_table(w, ow), device_of(x))
    kh, kw = rows.shape[1], cols.shape[1]
    # one gather: (N, C, OH, OW, kh, kw), every window's values in row-major order
    windows = x[:, :, rows[:, None, :, None], cols[None, :, None, :]]
    flat = windows.reshape(n, c, oh, ow, kh * kw)
    best = flat.argmax(axis=-1)                       # first maximum, PyTorch's tie rule
    out = np.take_along_axis(flat, best[..., None], axis=-1)[..., 0]
    r = rows[xp.arange(oh)[:, None], best // kw]
    q = cols[xp.arange(ow)[None, :], best % kw]
    return out, r * w + q


class AdaptiveMaxPool2d(Function):
    """Max over PyTorch's adaptive bins of (N, C, H, W) → (N, C, OH, OW); remembers the
    winning input of each output for backward."""

    def forward(self, x, output_size):
        out, self.index = adaptive_max_pool(x.data, output_size)
        self.in_shape = x.data.shape
        return out

    @property
    def name(self):
        return "AdaptiveMaxPool2DBackward"

    def backward(self, grad):
        return MaxIndexScatter.apply(grad, index=self.index, in_shape=self.in_shape)


class MaxIndexScatter(Function):
    """Add each output gradient (N, C, OH, OW) onto its winning input: (N, C, H, W).

    Overlapping bins can share a winner, so the gradients are summed (one bincount
    over the flattened planes, no loop)."""

    def forward(self, grad, index, in_shape):
        self.index, self.in_shape = index, in_shape
        n, c, h, w = in_shape
        gd = grad.data
        xp = array_module(gd)
        plane = (xp.arange(n * c, dtype=np.int64) * (h * w)).reshape(n, c, 1, 1)
        total = np.bincount((plane + index).ravel(), weights=gd.ravel(),
                            minlength=n * c * h * w)
        return total.astype(gd.dtype, copy=False).reshape(in_shape)

    def backward(self, grad):
        return MaxIndexGather.apply(grad, index=self.index, in_shape=self.in_shape)


class MaxIndexGather(Function):
    """Read each output's winning input from ``h`` (N, C, H, W): the scatter's adjoint."""

    def forward(self, h, index, in_shape):
        self.index, self.in_shape = index, in_shape
        n, c = in_shape[:2]
        planes = h.data.reshape(n, c, -1)
        picked = np.take_along_axis(planes, index.reshape(n, c, -1), axis=2)
        return picked.reshape(index.shape)

    def backward(self, grad):
        return MaxIndexScatter.apply(grad, index=self.index, in_shape=self.in_shape)
