"""CPU pooling kernels: window max and its scatter / gather, window sums.

The window max (with its argmax) and its scatter are the compiled loops of
:mod:`.cpu_loops`, one sweep over the input on every core (``_compiled_*`` below).
Where numba cannot be imported, and only there, they run as the NumPy kernels of this
file (``_numpy_*``: strided views, at most kh·kw slice operations per call, no pixel
loops). The gather (double backward only) and the window sums are NumPy kernels.

The window max keeps, for each output, which kernel position won (one small int per
output, int8 when the window has at most 127 cells); ties go to the first position in
row-major window order, as in PyTorch. Work follows the input's memory order
(channels-last data stays channels-last), and exactly tiled windows (kernel ==
stride, the common 2×2 pool) take a tournament path whose batch is split over threads.

``g`` is the pooling geometry of ``ops/pool.py`` (``shape``, ``kh``, ``kw``, ``sh``,
``sw``, ``ph``, ``pw``, ``dh``, ``dw``, ``oh``, ``ow``, ``hp``, ``wp``, ``framed``,
``out_shape``, ``positions()``).
"""
import numpy as np

from . import compiled
from .memory import (empty_in_layout, empty_like_layout, is_channels_last, layout_of,
                     reshaped_view)
from .threads import numba_threads, over_batch

__all__ = ["max_pool2d", "window_max", "max_pool2d_scatter", "max_pool2d_gather",
           "window_sum", "window_spread"]


def _frame(x, g, fill):
    """``x`` inside the padded frame filled with ``fill`` (``x`` itself if unpadded)."""
    if not g.framed:
        return x
    n, c, h, w = g.shape
    out = empty_like_layout((n, c, g.hp, g.wp), x)
    out.fill(fill)
    out[:, :, g.ph:g.ph + h, g.pw:g.pw + w] = x
    return out


def _crop(xp, g):
    if not g.framed:
        return xp
    n, c, h, w = g.shape
    out = empty_like_layout(g.shape, xp)
    np.copyto(out, xp[:, :, g.ph:g.ph + h, g.pw:g.pw + w])
    return out


def _tiles_exactly(g):
    """True when the windows cover the frame once each (kernel == stride, no gaps)."""
    return (g.dh * (g.kh - 1) + 1 == g.sh and g.dw * (g.kw - 1) + 1 == g.sw and
            g.dh == 1 and g.dw == 1 and g.oh * g.sh == g.hp and g.ow * g.sw == g.wp)


def _index_dtype(g):
    return np.dtype(np.int8 if g.kh * g.kw <= 127 else np.int32)


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
        if self.cl:
            return reshaped_view(a, (n, g.oh, g.kh, g.ow, g.kw, a.shape[3]))
        return reshaped_view(a, (n, a.shape[1], g.oh, g.kh, g.ow, g.kw))

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
    idx = _output_like(g.out_shape, x, _index_dtype(g)) if need_index else None
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
    dt = _index_dtype(g)
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


def _max_pool(x, g, need_index):
    """Window maxima of array ``x`` and, if asked, the winning position of each window."""
    if _tiles_exactly(g) and not g.framed:
        return _tiled_max(x, g, need_index)
    xp = _frame(x, g, -np.inf)
    out = _output_like(g.out_shape, x)
    idx = None
    if need_index:
        idx = empty_like_layout(g.out_shape, out, _index_dtype(g))
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


# --------------------------------------------------------------- the compiled loops
def _loops():
    """The compiled loops, on the thread setting; None where numba is missing."""
    loops = compiled.loops()
    if loops is not None:
        import numba
        want = numba_threads()
        if numba.get_num_threads() != want:     # numba's setting is per calling thread
            numba.set_num_threads(want)
    return loops


def _work_dtype(dtype):
    """The dtype the loops run in for ``dtype`` (exact for a max: a wider float, bytes
    for bools) and the window cells' value outside the input."""
    if dtype == np.float16:
        return np.dtype(np.float32), -np.inf
    if dtype == np.bool_:
        return np.dtype(np.uint8), 0
    if dtype.kind == "f":
        return dtype, -np.inf
    return dtype, np.iinfo(dtype).min


def _geometry_args(g):
    return (g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw)


def _is_2x2(g):
    """The common pool: 2×2 windows, stride 2, no padding or dilation, every window
    inside the input."""
    return (g.kh, g.kw, g.sh, g.sw, g.dh, g.dw) == (2, 2, 2, 2, 1, 1) and not g.framed


def _compiled_max_pool(loops, x, g, need_index):
    """Window maxima and winners in one sweep; channels-last data stays channels-last."""
    work, low = _work_dtype(x.dtype)
    channels_last = is_channels_last(x)
    out = _output_like(g.out_shape, x, work)
    idt = _index_dtype(g)
    idx = (empty_like_layout(g.out_shape, out, idt) if need_index
           else np.empty((1, 1, 1, 1), idt))
    if channels_last:
        xs = np.ascontiguousarray(x.transpose(0, 2, 3, 1), dtype=work)
        with compiled.LOCK:
            loops.pool_max_nhwc(xs, *_geometry_args(g), xs.dtype.type(low),
                                out.transpose(0, 2, 3, 1),
                                idx.transpose(0, 2, 3, 1) if need_index else idx, need_index)
    else:
        xs = np.ascontiguousarray(x, dtype=work)
        with compiled.LOCK:
            if _is_2x2(g):
                loops.pool_max_2x2_nchw(xs, out, idx, need_index)
            else:
                loops.pool_max_nchw(xs, *_geometry_args(g), xs.dtype.type(low), out, idx,
                                    need_index)
    if work != x.dtype:
        out = out.astype(x.dtype)
    return out, (idx if need_index else None)


def _compiled_scatter(loops, grad, g, idx):
    """Zero each input plane and add each output gradient at its window's winner."""
    work = np.dtype(np.float32) if grad.dtype == np.float16 else grad.dtype
    if is_channels_last(idx):
        dx = empty_in_layout(g.shape, layout_of(idx), work)
        gs = np.ascontiguousarray(grad.transpose(0, 2, 3, 1), dtype=work)
        ids = np.ascontiguousarray(idx.transpose(0, 2, 3, 1))
        with compiled.LOCK:
            loops.pool_scatter_nhwc(gs, ids, *_geometry_args(g), dx.transpose(0, 2, 3, 1))
    else:
        dx = np.empty(g.shape, work)
        gs, ids = np.ascontiguousarray(grad, dtype=work), np.ascontiguousarray(idx)
        with compiled.LOCK:
            loops.pool_scatter_nchw(gs, ids, *_geometry_args(g), dx)
    return dx if work == grad.dtype else dx.astype(grad.dtype)


# ----------------------------------------------------------- the kernels (generic names)
def max_pool2d(x, g):
    """Window maxima of ``x`` and the winning position (0 … kh·kw − 1) of each window."""
    loops = _loops()
    if loops is not None:
        return _compiled_max_pool(loops, x, g, True)
    return _max_pool(x, g, True)


def window_max(x, g):
    """Window maxima only (no gradient will be needed: no index is made)."""
    loops = _loops()
    if loops is not None:
        return _compiled_max_pool(loops, x, g, False)[0]
    return _max_pool(x, g, False)[0]


def max_pool2d_scatter(grad, g, idx):
    """Each output gradient to its window's winning input position. The result has the
    memory order of the pooled input (read from ``idx``, made in that order)."""
    loops = _loops()
    if loops is not None:
        return _compiled_scatter(loops, grad, g, idx)
    n, c = g.shape[:2]
    frame_shape = (n, c, g.hp, g.wp)
    dxp = empty_in_layout(frame_shape, layout_of(idx), grad.dtype)
    if layout_of(idx) != layout_of(grad):
        grad = _like(idx, grad)          # one copy, so every pass below is contiguous
    if _tiles_exactly(g) and not g.framed:
        # every input element belongs to exactly one window: write, no zero-fill
        tiles = _Tiles(g, is_channels_last(dxp))
        view = tiles.windows(tiles.phys(dxp))
        gp, ip = tiles.phys(grad), tiles.phys(idx)

        def scatter(b):
            for p in range(g.kh * g.kw):
                np.multiply(gp[b], ip[b] == p, out=tiles.cell(view, p // g.kw, p % g.kw)[b])
        over_batch(scatter, n, dxp.nbytes)
    else:
        dxp.fill(0)
        for p, rs, cs in g.positions():
            target = dxp[:, :, rs, cs]
            np.add(target, grad, out=target, where=idx == p)
    return _crop(dxp, g)


def max_pool2d_gather(h, g, idx):
    """Read each window's winning input position of ``h`` (the scatter's adjoint)."""
    hp = _frame(h, g, 0)
    out = empty_like_layout(g.out_shape, idx, h.dtype)
    out.fill(0)
    for p, rs, cs in g.positions():
        np.copyto(out, hp[:, :, rs, cs], where=idx == p)
    return out


def window_sum(x, g):
    """The sum over each window (average pooling before its division): kh·kw adds."""
    xp = _frame(x, g, 0)
    out = _output_like(g.out_shape, x)
    for p, rs, cs in g.positions():
        if p == 0:
            np.copyto(out, xp[:, :, rs, cs])
        else:
            np.add(out, xp[:, :, rs, cs], out=out)
    return out


def window_spread(share, g):
    """Each output's ``share`` added to every input of its window (window_sum's adjoint)."""
    n, c = g.shape[:2]
    dxp = empty_like_layout((n, c, g.hp, g.wp), share)
    dxp.fill(0)
    for _, rs, cs in g.positions():
        target = dxp[:, :, rs, cs]
        np.add(target, share, out=target)
    return _crop(dxp, g)
