"""Pooling on strided views: at most kh·kw slice operations per call, no pixel loops.

``max_pool2d`` keeps, for each output, which kernel position won (one small int per
output, only when a gradient will be needed); ties go to the first position in
row-major window order, as in PyTorch, so exactly one input gets the gradient.
Backward scatters with one masked copy per kernel position. Each op has an adjoint
op, so higher-order gradients work:
``MaxPool2d → MaxPoolScatter → MaxPoolGather → MaxPoolScatter ...`` and
``AvgPool2d ↔ AvgPoolScatter``.
"""
import numpy as np

from ..autograd import Function, is_grad_enabled
from ..devices import device_of, is_device_array, to_device
from ..kernels import for_array
from .conv import empty_in_layout, empty_like_layout, is_channels_last, layout_of
from .parallel import over_batch


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

    def frame(self, x, fill):
        """``x`` inside a padded frame filled with ``fill`` (``x`` itself if unpadded)."""
        if not self.framed:
            return x
        n, c, h, w = self.shape
        out = empty_like_layout((n, c, self.hp, self.wp), x)
        out.fill(fill)
        out[:, :, self.ph:self.ph + h, self.pw:self.pw + w] = x
        return out

    def crop(self, xp):
        if not self.framed:
            return xp
        n, c, h, w = self.shape
        inner = xp[:, :, self.ph:self.ph + h, self.pw:self.pw + w]
        out = empty_like_layout(self.shape, xp)
        np.copyto(out, inner)
        return out

    def tiles_exactly(self):
        """True when the windows cover the frame once each (kernel == stride, no gaps)."""
        return (self.dh * (self.kh - 1) + 1 == self.sh and self.dw * (self.kw - 1) + 1 ==
                self.sw and self.dh == 1 and self.dw == 1 and self.oh * self.sh == self.hp
                and self.ow * self.sw == self.wp)

    def index_dtype(self):
        return np.dtype(np.int8 if self.kh * self.kw <= 127 else np.int32)


class _Tiles:
    """Physical-order views of exactly tiled windows (kernel == stride, no padding).

    Work happens on the array in its memory order, (N, H, W, C) for channels-last data
    and (N, C, H, W) otherwise, so every temporary shares one layout and every pass is
    a contiguous sweep.
    """

    def __init__(self, g, channels_last):
        self.g, self.cl = g, channels_last

    def phys(self, a):
        """The array in memory order (a view)."""
        return a.transpose(0, 2, 3, 1) if self.cl else a

    def logical(self, a):
        return a.transpose(0, 3, 1, 2) if self.cl else a

    def windows(self, a):
        """6-D view of a physical array, raising rather than silently copying."""
        g = self.g
        n = a.shape[0]
        v = a.view()
        if self.cl:
            v.shape = (n, g.oh, g.kh, g.ow, g.kw, a.shape[3])
        else:
            v.shape = (n, a.shape[1], g.oh, g.kh, g.ow, g.kw)
        return v

    def col(self, v, j):
        """Kernel column j of the windows: (N, OH, kh, OW, C) or (N, C, OH, kh, OW)."""
        return v[:, :, :, :, j, :] if self.cl else v[..., j]

    def row(self, b, i):
        """Kernel row i of a column-reduced array: (N, OH, OW, C) or (N, C, OH, OW)."""
        return b[:, :, i] if self.cl else b[:, :, :, i]

    def cell(self, v, i, j):
        return v[:, :, i, :, j, :] if self.cl else v[:, :, :, i, :, j]


def _select(won, a, b):
    """``a`` where ``won`` else ``b`` for small int / bool arrays (np.where is several
    times slower than these whole-array ops)."""
    if a.dtype == np.bool_ and b.dtype == np.bool_:
        return (won & a) | (b & ~won)
    return b + won * (a - b)


def _output_like(shape, x, dtype=None):
    """Pooled outputs stay channels-last after a channels-last input; otherwise they
    are plain NCHW, so a following flatten is free (every pass still runs along W)."""
    if is_channels_last(x):
        return empty_like_layout(shape, x, dtype)
    return np.empty(shape, x.dtype if dtype is None else dtype)


def _tiled_max(x, g, need_index):
    """Max over non-overlapping windows, the batch split over threads."""
    out = _output_like(g.out_shape, x)
    idx = _output_like(g.out_shape, x, g.index_dtype()) if need_index else None
    over_batch(lambda b: _tiled_max_part(x[b], g, out[b], None if idx is None else idx[b]),
               x.shape[0], x.nbytes)
    return out, idx


def _tiled_max_part(x, g, out, idx):
    """A tournament along kw, then along kh, written into ``out`` (and ``idx``).

    Strict comparisons and this order (columns inside a row first, then rows) make the
    winner the first maximum in row-major window order, PyTorch's tie rule.
    """
    tiles = _Tiles(g, is_channels_last(x))
    v = tiles.windows(tiles.phys(x))
    o = tiles.phys(out)
    if g.kh == 2 and g.kw == 2:
        _max_2x2(tiles, v, o, None if idx is None else tiles.phys(idx))
        return
    dt = g.index_dtype()
    col = None                       # winning column so far (bool while kw == 2)
    if g.kw == 1:
        best = tiles.col(v, 0)
    else:
        first = tiles.col(v, 0)
        cand = tiles.col(v, 1)
        if idx is not None:
            col = np.greater(cand, first)
        best = np.maximum(first, cand)
    for j in range(2, g.kw):
        cand = tiles.col(v, j)
        if idx is not None:
            won = np.greater(cand, best)
            col = _select(won, np.asarray(j, dt), col.astype(dt, copy=False))
        np.maximum(best, cand, out=best)
    if g.kh == 1:
        np.copyto(o, tiles.row(best, 0))
    else:
        np.maximum(tiles.row(best, 0), tiles.row(best, 1), out=o)
    if idx is None:
        for i in range(2, g.kh):
            np.maximum(o, tiles.row(best, i), out=o)
        return
    row = None
    pick = None if col is None else tiles.row(col, 0)
    running = tiles.row(best, 0)
    for i in range(1, g.kh):
        cand = tiles.row(best, i)
        won = np.greater(cand, running)
        row = won if row is None else _select(won, np.asarray(i, dt),
                                              row.astype(dt, copy=False))
        if pick is not None:
            pick = _select(won, tiles.row(col, i), pick)
        if i >= 2:
            np.maximum(o, cand, out=o)
        running = o
    target = tiles.phys(idx)
    if row is None:
        if pick is None:
            target.fill(0)
        else:
            np.copyto(target, pick, casting="unsafe")
    else:
        np.multiply(row, dt.type(g.kw), out=target, casting="unsafe")
        if pick is not None:
            np.add(target, pick, out=target, casting="unsafe")


def _max_2x2(tiles, v, out, idx):
    """The common 2×2 / stride-2 pool: three pairwise maxima, and the winner of each
    window from three comparisons (each strict, so ties go to the first position in
    row-major order: a before b, c before d, the top pair before the bottom pair)."""
    a, b = tiles.cell(v, 0, 0), tiles.cell(v, 0, 1)
    c, d = tiles.cell(v, 1, 0), tiles.cell(v, 1, 1)
    top = np.maximum(a, b)
    bottom = np.maximum(c, d)
    np.maximum(top, bottom, out=out)
    if idx is None:
        return
    right_top = np.greater(b, a)
    right_bottom = np.greater(d, c)
    down = np.greater(bottom, top)
    # index = 2·down + (right_bottom if down else right_top); the selection is done
    # with xor / and on the bools (a masked copy is many times slower)
    flip = np.bitwise_xor(right_top, right_bottom, out=right_bottom)
    np.bitwise_and(flip, down, out=flip)
    right = np.bitwise_xor(right_top, flip, out=right_top)
    np.add(down.view(np.int8), down.view(np.int8), out=idx)
    np.add(idx, right.view(np.int8), out=idx)


def _like(ref, a):
    """``a`` copied into the memory layout of ``ref``."""
    out = empty_like_layout(a.shape, ref, a.dtype)
    np.copyto(out, a)
    return out


def max_pool_forward(x, g, need_index):
    """Window maxima of array ``x`` and, if asked, the winning position of each window."""
    if g.tiles_exactly() and not g.framed:
        return _tiled_max(x, g, need_index)
    xp = g.frame(x, -np.inf)
    out = _output_like(g.out_shape, x)
    idx = None
    if need_index:
        idx = empty_like_layout(g.out_shape, out, g.index_dtype())
        idx.fill(0)
    for p, rs, cs in g.positions():
        window = xp[:, :, rs, cs]
        if p == 0:
            np.copyto(out, window)
            continue
        if idx is not None:
            # strictly greater: on ties the first position keeps the gradient
            idx = _select(np.greater(window, out), np.asarray(p, idx.dtype), idx)
        np.maximum(out, window, out=out)
    if idx is not None and layout_of(out) != layout_of(idx):
        idx = _like(out, idx)
    return out, idx


def flat_indices(idx, g):
    """PyTorch's ``return_indices``: flat positions of the maxima in each input plane."""
    k = idx.astype(np.int64)
    rows = (np.arange(g.oh) * g.sh - g.ph)[:, None] + (k // g.kw) * g.dh
    cols = (np.arange(g.ow) * g.sw - g.pw)[None, :] + (k % g.kw) * g.dw
    return rows * g.shape[3] + cols


class MaxPool2d(Function):
    """Max over each window; remembers the winning position for backward."""

    def forward(self, x, geometry):
        self.geo = geometry
        if is_device_array(x.data):          # a GPU: the generic kernels
            out, self.idx = for_array(x.data).max_pool2d(x.data, geometry)
            self.layout = None
            return out
        out, self.idx = max_pool_forward(x.data, geometry,
                                         is_grad_enabled() and x.requires_grad)
        self.layout = layout_of(x.data)
        return out

    def backward(self, grad):
        return MaxPoolScatter.apply(grad, geometry=self.geo, idx=self.idx,
                                    layout=self.layout)


class MaxPoolScatter(Function):
    """Put each output gradient at its window's winning input position."""

    def forward(self, grad, geometry, idx, layout):
        g = self.geo = geometry
        self.idx, self.layout = idx, layout
        gd = grad.data
        if is_device_array(gd):
            return for_array(gd).max_pool2d_scatter(gd, g, idx)
        n, c = g.shape[:2]
        frame_shape = (n, c, g.hp, g.wp)
        dxp = empty_in_layout(frame_shape, layout, gd.dtype)
        if layout_of(idx) != layout_of(gd):
            gd = _like(idx, gd)          # one copy, so every pass below is contiguous
        exact = g.tiles_exactly()
        if exact and not g.framed:
            # every input element belongs to exactly one window: write, no zero-fill
            tiles = _Tiles(g, is_channels_last(dxp))
            view = tiles.windows(tiles.phys(dxp))
            gp, ip = tiles.phys(gd), tiles.phys(idx)

            def scatter(b):
                for p in range(g.kh * g.kw):
                    np.multiply(gp[b], ip[b] == p,
                                out=tiles.cell(view, p // g.kw, p % g.kw)[b])
            over_batch(scatter, n, dxp.nbytes)
        else:
            dxp.fill(0)
            for p, rs, cs in g.positions():
                target = dxp[:, :, rs, cs]
                np.add(target, gd, out=target, where=idx == p)
        return g.crop(dxp)

    @property
    def name(self):
        return "MaxPool2DWithIndicesBackward"

    def backward(self, grad):
        return MaxPoolGather.apply(grad, geometry=self.geo, idx=self.idx,
                                   layout=self.layout)


class MaxPoolGather(Function):
    """Read each window's winning input position (the adjoint of the scatter)."""

    def forward(self, h, geometry, idx, layout):
        g = self.geo = geometry
        self.idx, self.layout = idx, layout
        if is_device_array(h.data):
            return for_array(h.data).max_pool2d_gather(h.data, g, idx)
        hp = g.frame(h.data, 0)
        out = empty_like_layout(g.out_shape, idx, h.data.dtype)
        out.fill(0)
        for p, rs, cs in g.positions():
            np.copyto(out, hp[:, :, rs, cs], where=idx == p)
        return out

    def backward(self, grad):
        return MaxPoolScatter.apply(grad, geometry=self.geo, idx=self.idx,
                                    layout=self.layout)


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
    """Mean over each window: kh·kw slice-adds, then one division."""

    def forward(self, x, geometry, divisor):
        g = self.geo = geometry
        self.divisor = divisor
        if is_device_array(x.data):
            return for_array(x.data).window_sum(x.data, g) / to_device(divisor, device_of(x.data))
        xp = g.frame(x.data, 0)
        out = _output_like(g.out_shape, x.data)
        for p, rs, cs in g.positions():
            if p == 0:
                np.copyto(out, xp[:, :, rs, cs])
            else:
                np.add(out, xp[:, :, rs, cs], out=out)
        np.divide(out, divisor, out=out)
        return out

    def backward(self, grad):
        return AvgPoolScatter.apply(grad, geometry=self.geo, divisor=self.divisor)


class AvgPoolScatter(Function):
    """Spread each output gradient evenly over its window (AvgPool2d's adjoint)."""

    def forward(self, grad, geometry, divisor):
        g = self.geo = geometry
        self.divisor = divisor
        if is_device_array(grad.data):
            share = grad.data / to_device(divisor, device_of(grad.data))
            return for_array(share).window_spread(share, g)
        share = grad.data / divisor
        n, c = g.shape[:2]
        dxp = empty_like_layout((n, c, g.hp, g.wp), share)
        dxp.fill(0)
        for _, rs, cs in g.positions():
            target = dxp[:, :, rs, cs]
            np.add(target, share, out=target)
        return g.crop(dxp)

    @property
    def name(self):
        return "AvgPool2DBackward"

    def backward(self, grad):
        return AvgPool2d.apply(grad, geometry=self.geo, divisor=self.divisor)


__all__ = ["max_pool_forward", "flat_indices", "MaxPool2d", "MaxPoolScatter",
           "MaxPoolGather", "AvgPool2d", "AvgPoolScatter", "pool_out_size", "make_geometry"]


def make_geometry(shape, kernel, stride, padding, dilation, ceil_mode):
    """Build the window geometry (validated by the caller)."""
    return _Geometry(shape, kernel, stride, padding, dilation, ceil_mode)

