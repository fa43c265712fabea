"""Pooling: the max or the mean over each window, and their adjoints.

``max_pool2d`` remembers, for each output, which kernel position won (only when a
gradient will be needed); ties go to the first position in row-major window order, as
in PyTorch, so exactly one input gets the gradient. Each op has an adjoint op, so
higher-order gradients work:
``MaxPool2d → MaxPoolScatter → MaxPoolGather → MaxPoolScatter ...`` and
``AvgPool2d ↔ AvgPoolScatter``.

The window passes are kernels of the array's device (``tinygrad_jp.kernels``:
``window_max``, ``max_pool2d``, its scatter and gather, ``window_sum``,
``window_spread``); on the CPU at most kh·kw slice operations per call.
"""
import numpy as np

from ..autograd import Function, is_grad_enabled
from ..devices import device_of, to_device
from ..kernels import for_array

__all__ = ["max_pool_forward", "flat_indices", "MaxPool2d", "MaxPoolScatter",
           "MaxPoolGather", "AvgPool2d", "AvgPoolScatter", "pool_out_size", "make_geometry"]


def pool_out_size(size, k, s, p, d, ceil_mode):
    """PyTorch's pooling output length (with ``ceil_mode`` the last window must start
    inside the input or its left padding)."""
    span = size + 2 * p - d * (k - 1) - 1
    if ceil_mode:
        out = -(-span // s) + 1
        if (out - 1) * s >= size + p:
            out -= 1
    else:
        out = span // s + 1
    return out


class _Geometry:
    """Window geometry of one pooling call over a (N, C, H, W) input."""

    def __init__(self, shape, kernel, stride, padding, dilation, ceil_mode):
        n, c, h, w = shape
        (self.kh, self.kw), (self.sh, self.sw) = kernel, stride
        (self.ph, self.pw), (self.dh, self.dw) = padding, dilation
        self.shape = shape
        self.oh = pool_out_size(h, self.kh, self.sh, self.ph, self.dh, ceil_mode)
        self.ow = pool_out_size(w, self.kw, self.sw, self.pw, self.dw, ceil_mode)
        # the padded frame must hold every window, including ceil_mode's last one
        self.hp = max(h + 2 * self.ph, (self.oh - 1) * self.sh + self.dh * (self.kh - 1) + 1)
        self.wp = max(w + 2 * self.pw, (self.ow - 1) * self.sw + self.dw * (self.kw - 1) + 1)
        self.framed = (self.hp, self.wp) != (h, w)

    @property
    def out_shape(self):
        return (self.shape[0], self.shape[1], self.oh, self.ow)

    def positions(self):
        """(index, row slice, column slice) of every kernel position in the padded frame."""
        for i in range(self.kh):
            for j in range(self.kw):
                yield (i * self.kw + j,
                       slice(i * self.dh, i * self.dh + self.sh * (self.oh - 1) + 1, self.sh),
                       slice(j * self.dw, j * self.dw + self.sw * (self.ow - 1) + 1, self.sw))


def flat_indices(idx, g):
    """PyTorch's ``return_indices``: flat positions of the maxima in each input plane."""
    k = idx.astype(np.int64)
    rows = (np.arange(g.oh) * g.sh - g.ph)[:, None] + (k // g.kw) * g.dh
    cols = (np.arange(g.ow) * g.sw - g.pw)[None, :] + (k % g.kw) * g.dw
    return rows * g.shape[3] + cols


def max_pool_forward(x, g, need_index):
    """Window maxima of array ``x`` and, if asked, the winning position of each window
    (else None)."""
    k = for_array(x)
    if need_index:
        return k.max_pool2d(x, g)
    return k.window_max(x, g), None


class MaxPool2d(Function):
    """Max over each window; remembers the winning position for backward."""

    def forward(self, x, geometry):
        self.geo = geometry
        out, self.idx = max_pool_forward(x.data, geometry,
                                         is_grad_enabled() and x.requires_grad)
        return out

    def backward(self, grad):
        return MaxPoolScatter.apply(grad, geometry=self.geo, idx=self.idx)


class MaxPoolScatter(Function):
    """Put each output gradient at its window's winning input position."""

    def forward(self, grad, geometry, idx):
        self.geo, self.idx = geometry, idx
        return for_array(grad.data).max_pool2d_scatter(grad.data, geometry, idx)

    @property
    def name(self):
        return "MaxPool2DWithIndicesBackward"

    def backward(self, grad):
        return MaxPoolGather.apply(grad, geometry=self.geo, idx=self.idx)


class MaxPoolGather(Function):
    """Read each window's winning input position (the adjoint of the scatter)."""

    def forward(self, h, geometry, idx):
        self.geo, self.idx = geometry, idx
        return for_array(h.data).max_pool2d_gather(h.data, geometry, idx)

    def backward(self, grad):
        return MaxPoolScatter.apply(grad, geometry=self.geo, idx=self.idx)


def _avg_divisor(g, count_include_pad, divisor_override, dtype):
    """The divisor of each output: kh·kw, or the number of counted frame cells."""
    if divisor_override:
        return np.asarray(divisor_override, dtype)
    n, c, h, w = g.shape
    counted = np.zeros((g.hp, g.wp), dtype)
    if count_include_pad:
        counted[:h + 2 * g.ph, :w + 2 * g.pw] = 1
    else:
        counted[g.ph:g.ph + h, g.pw:g.pw + w] = 1
    total = np.zeros((g.oh, g.ow), dtype)
    for _, rs, cs in g.positions():
        total += counted[rs, cs]
    if (total == g.kh * g.kw).all():
        return np.asarray(g.kh * g.kw, dtype)
    return total


class AvgPool2d(Function):
    """Mean over each window: the window sums, then one division."""

    def forward(self, x, geometry, divisor):
        self.geo, self.divisor = geometry, divisor
        total = for_array(x.data).window_sum(x.data, geometry)
        return total / to_device(divisor, device_of(total))

    def backward(self, grad):
        return AvgPoolScatter.apply(grad, geometry=self.geo, divisor=self.divisor)


class AvgPoolScatter(Function):
    """Spread each output gradient evenly over its window (AvgPool2d's adjoint)."""

    def forward(self, grad, geometry, divisor):
        self.geo, self.divisor = geometry, divisor
        share = grad.data / to_device(divisor, device_of(grad.data))
        return for_array(share).window_spread(share, geometry)

    @property
    def name(self):
        return "AvgPool2DBackward"

    def backward(self, grad):
        return AvgPool2d.apply(grad, geometry=self.geo, divisor=self.divisor)


def make_geometry(shape, kernel, stride, padding, dilation, ceil_mode):
    """Build the window geometry (validated by the caller)."""
    return _Geometry(shape, kernel, stride, padding, dilation, ceil_mode)
