"""CPU kernels written as plain loops, compiled by numba and run on every core.

A memory-bound pass (the window max with its argmax, its scatter) is one sweep over
its input when it is written as loops: each output reads its window once and writes its
maximum and the winning position together, instead of the kh·kw whole-array passes and
temporaries of the NumPy formulation. ``prange`` splits the outer loop over the
threads that ``tg.set_num_threads`` sets (each iteration owns its own slice of the
outputs, so the results do not depend on the number of threads).

The loops are compiled on first use and cached on disk (``cache=True``: numba writes
the machine code next to this file, or under ``NUMBA_CACHE_DIR``), so a later process
loads them in milliseconds. Importing this module imports numba; :mod:`.compiled`
decides whether that happens at all.

The layouts: ``*_nchw`` loops take C-contiguous (N, C, H, W) arrays and run one
(image, channel) plane per iteration; ``*_nhwc`` loops take the physical (N, H, W, C)
view of channels-last arrays and run along C innermost. The geometry is the pooling
geometry of ``ops/pool.py``; a window cell outside the input (padding, or ceil_mode's
last window) counts as ``low`` (−∞, or the integer type's minimum). The winner of a
window is its first maximum in row-major window order (PyTorch's tie rule); a NaN wins
at once and the max is NaN, as in PyTorch.
"""
from numba import njit, prange


@njit(parallel=True, cache=True, nogil=True)
def pool_max_nchw(x, kh, kw, sh, sw, ph, pw, dh, dw, low, out, idx, need_index):
    n, c, h, w = x.shape
    oh, ow = out.shape[2], out.shape[3]
    for nc in prange(n * c):
        b = nc // c
        ch = nc - b * c
        for oy in range(oh):
            y0 = oy * sh - ph
            for ox in range(ow):
                x0 = ox * sw - pw
                best = low
                win = 0
                found_nan = False
                for i in range(kh):
                    y = y0 + i * dh
                    for j in range(kw):
                        xx = x0 + j * dw
                        v = low
                        if 0 <= y < h and 0 <= xx < w:
                            v = x[b, ch, y, xx]
                        if v > best:
                            best = v
                            win = i * kw + j
                        elif v != v:
                            best = v
                            win = i * kw + j
                            found_nan = True
                            break
                    if found_nan:
                        break
                out[b, ch, oy, ox] = best
                if need_index:
                    idx[b, ch, oy, ox] = win


@njit(parallel=True, cache=True, nogil=True)
def pool_max_nhwc(x, kh, kw, sh, sw, ph, pw, dh, dw, low, out, idx, need_index):
    n, h, w, c = x.shape
    oh, ow = out.shape[1], out.shape[2]
    for row in prange(n * oh):
        b = row // oh
        oy = row - b * oh
        y0 = oy * sh - ph
        for ox in range(ow):
            x0 = ox * sw - pw
            for ch in range(c):
                out[b, oy, ox, ch] = low
                if need_index:
                    idx[b, oy, ox, ch] = 0
            for i in range(kh):
                y = y0 + i * dh
                if y < 0 or y >= h:
                    continue
                for j in range(kw):
                    xx = x0 + j * dw
                    if xx < 0 or xx >= w:
                        continue
                    p = i * kw + j
                    for ch in range(c):
                        v = x[b, y, xx, ch]
                        best = out[b, oy, ox, ch]
                        # a NaN already in place stays (best != best)
                        if v > best or (v != v and best == best):
                            out[b, oy, ox, ch] = v
                            if need_index:
                                idx[b, oy, ox, ch] = p


@njit(parallel=True, cache=True, nogil=True)
def pool_scatter_nchw(grad, idx, kh, kw, sh, sw, ph, pw, dh, dw, dx):
    n, c, h, w = dx.shape
    oh, ow = grad.shape[2], grad.shape[3]
    for nc in prange(n * c):
        b = nc // c
        ch = nc - b * c
        for y in range(h):
            for xx in range(w):
                dx[b, ch, y, xx] = 0
        for oy in range(oh):
            for ox in range(ow):
                p = idx[b, ch, oy, ox]
                i = p // kw
                y = oy * sh - ph + i * dh
                xx = ox * sw - pw + (p - i * kw) * dw
                if 0 <= y < h and 0 <= xx < w:
                    dx[b, ch, y, xx] += grad[b, ch, oy, ox]


@njit(parallel=True, cache=True, nogil=True)
def pool_scatter_nhwc(grad, idx, kh, kw, sh, sw, ph, pw, dh, dw, dx):
    n, h, w, c = dx.shape
    oh, ow = grad.shape[1], grad.shape[2]
    # overlapping windows of neighbouring output rows may share an input row: one
    # image per iteration keeps every write of an iteration its own
    for b in prange(n):
        for y in range(h):
            for xx in range(w):
                for ch in range(c):
                    dx[b, y, xx, ch] = 0
        for oy in range(oh):
            for ox in range(ow):
                for ch in range(c):
                    p = idx[b, oy, ox, ch]
                    i = p // kw
                    y = oy * sh - ph + i * dh
                    xx = ox * sw - pw + (p - i * kw) * dw
                    if 0 <= y < h and 0 <= xx < w:
                        dx[b, y, xx, ch] += grad[b, oy, ox, ch]


@njit(inline="always")
def _wins(v, best):
    """True when ``v`` takes the place of ``best`` scanned before it: strictly greater,
    or the first NaN (branch-free, so that the loop vectorises)."""
    return (v > best) | ((v != v) & (best == best))


@njit(parallel=True, cache=True, nogil=True)
def pool_max_2x2_nchw(x, out, idx, need_index):
    """The common 2×2 / stride-2 pool without padding: a tournament of three
    comparisons (a before b, c before d, the top pair before the bottom one), written
    branch-free so that the compiler vectorises it along the row."""
    n, c = x.shape[0], x.shape[1]
    oh, ow = out.shape[2], out.shape[3]
    for nc in prange(n * c):
        b = nc // c
        ch = nc - b * c
        for oy in range(oh):
            top_row = x[b, ch, 2 * oy]
            bottom_row = x[b, ch, 2 * oy + 1]
            o = out[b, ch, oy]
            k = idx[b, ch, oy]
            for ox in range(ow):
                va = top_row[2 * ox]
                vb = top_row[2 * ox + 1]
                vc = bottom_row[2 * ox]
                vd = bottom_row[2 * ox + 1]
                right_top = _wins(vb, va)
                top = vb if right_top else va
                right_bottom = _wins(vd, vc)
                bottom = vd if right_bottom else vc
                down = _wins(bottom, top)
                o[ox] = bottom if down else top
                if need_index:
                    k[ox] = (2 + right_bottom) if down else right_top
