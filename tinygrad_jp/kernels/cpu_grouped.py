"""CPU grouped convolution kernels (``groups > 1``), depthwise convolution included.

With ``groups = G`` the C input channels and F output channels are split into G
groups; output channel ``g·F/G + f`` sees only the input channels
``g·C/G … (g+1)·C/G − 1`` and its weight has shape (C/G, kh, kw), so the full weight
is (F, C/G, kh, kw) as in PyTorch. Two ways to compute it, both without a Python loop
over groups, channels, batch or pixels:

* **General groups** (more than one input *and* output channel per group): one im2col
  of the whole input, ``(N·OH·OW, kh·kw·C)`` with channels fastest, is copied into
  ``(N·OH·OW, G, kh·kw·C/G)``, and one batched ``np.matmul`` over the G groups
  against the (G, kh·kw·C/G, F/G) weights writes the output in channels-last order.
* **Channel-wise groups** (one input or one output channel per group: depthwise
  convolution, with or without a channel multiplier, and its transpose): a GEMM with an
  inner dimension of kh·kw is mostly overhead, so every channel is convolved with its
  own filter by one ``np.einsum`` over a strided window view of the padded input (no
  column matrix is built). A channel multiplier m (F = m·C) first repeats each input
  channel m times; m input channels per output channel (C = m·F) are summed after.

All arrays are handled channels-last, ``(N, H, W, C)`` in memory, like ``cpu_conv``:
outputs are returned as transposed views of logical shape (N, C, H, W).
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from .cpu_conv import Columns, im2col, out_size
from .memory import workspace

__all__ = ["grouped_conv2d", "grouped_conv2d_input_grad", "grouped_conv2d_weight_grad",
           "grouped_conv2d_with_columns", "grouped_weight_grad_with_columns",
           "is_channelwise"]

# A grouped column matrix up to this size is kept from forward for the weight
# gradient; a larger one is rebuilt in backward (the same rule as cpu_conv's).
COL_SAVE_BYTES = 32 * 2 ** 20


# ---------------------------------------------------------------------- layout helpers
def _nhwc(a):
    """(N, C, H, W) array → C-contiguous (N, H, W, C); free for channels-last data."""
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1))


def _logical(a):
    """(N, H, W, C) in memory → the (N, C, H, W) view the rest of the library expects."""
    return a.transpose(0, 3, 1, 2)


def _padded(a, top, bottom, left, right, slot):
    """``a`` (N, H, W, C) inside a zero border, in a reused workspace (valid until the
    next call with the same ``slot``); only the border is zeroed, not the whole frame."""
    if not (top or bottom or left or right):
        return a
    n, h, w, c = a.shape
    buf = workspace(slot, (n, h + top + bottom, w + left + right, c), a.dtype)
    buf[:, :top] = 0
    buf[:, top + h:] = 0
    buf[:, top:top + h, :left] = 0
    buf[:, top:top + h, left + w:] = 0
    buf[:, top:top + h, left:left + w] = a
    return buf


def _windows(ap, kernel, out_hw, stride, dilation):
    """Read-only view (N, OH, OW, kh, kw, C) of a padded channels-last array: for every
    output pixel the kh·kw input pixels under the filter. No data moves."""
    s0, s1, s2, s3 = ap.strides
    (kh, kw), (oh, ow), (sh, sw), (dh, dw) = kernel, out_hw, stride, dilation
    return as_strided(ap, (ap.shape[0], oh, ow, kh, kw, ap.shape[3]),
                      (s0, s1 * sh, s2 * sw, s1 * dh, s2 * dw, s3), writeable=False)


def _split(w_shape, groups):
    """(F, C/G, kh, kw), G → (G, C/G, F/G, kh, kw) as plain ints."""
    f, cg, kh, kw = w_shape
    return groups, cg, f // groups, kh, kw


def is_channelwise(w_shape, groups):
    """True when each group has one input channel or one output channel (depthwise
    convolution, with or without a channel multiplier, or its transpose)."""
    _, cg, fg, _, _ = _split(w_shape, groups)
    return cg == 1 or fg == 1


# ------------------------------------------------------- channel-wise groups (einsum)
# With one input channel per group (Cg = 1) every output channel e = g·Fg + f reads
# input channel g; with one output channel per group (Fg = 1) output channel g sums the
# per-channel results of input channels g·Cg + c. Both become a per-channel ("expanded")
# convolution over E = max(C, F) channels whose filters are simply w.reshape(E, kh, kw):
# repeat the input Fg times, convolve each channel with its own filter, sum Cg at a time.

def _expand(a, times):
    """Repeat every channel (last axis) ``times`` times: c → c·times … c·times+times−1."""
    return np.repeat(a, times, axis=-1) if times > 1 else a


def _reduce(a, size):
    """Sum channels (last axis) in consecutive blocks of ``size``."""
    if size == 1:
        return a
    return a.reshape(a.shape[:-1] + (-1, size)).sum(axis=-1)


def _filters(w):
    """(F, Cg, kh, kw) with Cg == 1 or F/G == 1 → (kh, kw, E), one filter per channel."""
    f, cg, kh, kw = w.shape
    return np.ascontiguousarray(w.reshape(f * cg, kh, kw).transpose(1, 2, 0))


def _per_channel(xp, filters, out_hw, stride, dilation):
    """Σ_ij xp[n, oh·sh + i·dh, ow·sw + j·dw, e] · filters[i, j, e] → (N, OH, OW, E):
    every channel of the padded channels-last ``xp`` convolved with its own filter, in
    one einsum pass (each output sums its kh·kw products while the window is in cache;
    a multiply-add per kernel position would sweep the whole output kh·kw times)."""
    n, _, _, e = xp.shape
    oh, ow = out_hw
    kh, kw = filters.shape[:2]
    s0, s1, s2, s3 = xp.strides
    if stride[1] == 1 and s2 == e * s3:
        # unit stride along W: for one kernel position the OW·E values of an output row
        # are one contiguous run of the input, so einsum's inner loop covers OW·E
        # elements instead of E (about 3× faster for a 3×3 depthwise conv)
        view = as_strided(xp, (n, oh, kh, kw, ow * e),
                          (s0, s1 * stride[0], s1 * dilation[0], s2 * dilation[1], s3),
                          writeable=False)
        tiled = np.broadcast_to(filters[:, :, None, :], (kh, kw, ow, e))
        out = np.einsum("nhijq,ijq->nhq", view, tiled.reshape(kh, kw, ow * e))
        return out.reshape(n, oh, ow, e)
    view = _windows(xp, (kh, kw), out_hw, stride, dilation)
    return np.einsum("nhwijc,ijc->nhwc", view, filters)


def _channelwise_forward(xn, w, groups, stride, padding, dilation):
    """Output (N, OH, OW, F) of a channel-wise grouped conv of ``xn`` (N, H, W, C)."""
    _, cg, fg, kh, kw = _split(w.shape, groups)
    n, h, wd, c = xn.shape
    oh = out_size(h, kh, stride[0], padding[0], dilation[0])
    ow = out_size(wd, kw, stride[1], padding[1], dilation[1])
    (ph, pw) = padding
    xp = _expand(_padded(xn, ph, ph, pw, pw, "gpad"), fg)
    return _reduce(_per_channel(xp, _filters(w), (oh, ow), stride, dilation), cg)


def _channelwise_weight_grad(xn, gn, w_shape, groups, stride, padding, dilation):
    """∂L/∂w (F, Cg, kh, kw) from the input (N, H, W, C) and output gradient
    (N, OH, OW, F), both channels-last."""
    _, cg, fg, kh, kw = _split(w_shape, groups)
    # the gradient's size, not the input's, decides the windows: the input of a
    # conv_transpose2d with an output_padding can be larger than its windows reach
    oh, ow = gn.shape[1:3]
    (ph, pw) = padding
    xp = _expand(_padded(xn, ph, ph, pw, pw, "gpad"), fg)
    view = _windows(xp, (kh, kw), (oh, ow), stride, dilation)
    # per-sample sums first, then the sum over the batch: einsum adds sequentially, and
    # one float32 running sum over all N·OH·OW products loses ~20× more precision
    gw = np.einsum("nhwijc,nhwc->nijc", view, _expand(gn, cg)).sum(axis=0)  # (kh, kw, E)
    return np.ascontiguousarray(gw.transpose(2, 0, 1)).reshape(w_shape)


def _channelwise_input_grad(gn, w, x_shape, groups, stride, padding, dilation):
    """∂L/∂x (N, H, W, C) from the output gradient (N, OH, OW, F) and the weight."""
    _, cg, fg, kh, kw = _split(w.shape, groups)
    n, _, h, wd = x_shape
    _, oh, ow, _ = gn.shape
    ge = _expand(gn, cg)                                 # (N, OH, OW, E)
    filters = _filters(w)
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    qh, qw = dh * (kh - 1) - ph, dw * (kw - 1) - pw
    if stride == (1, 1) and qh >= 0 and qw >= 0:
        # stride 1: the transposed convolution is a plain convolution of the gradient,
        # padded by d·(k−1) − p, with the flipped filters (one einsum pass, no scatter).
        # The bottom / right padding also absorbs an output_padding.
        gp = _padded(ge, qh, h + dh * (kh - 1) - qh - oh, qw, wd + dw * (kw - 1) - qw - ow,
                     "gpadg")
        de = _per_channel(gp, filters[::-1, ::-1], (h, wd), (1, 1), dilation)
    else:
        # col2im: each kernel position adds its share onto the pixels it came from
        dep = np.zeros((n, h + 2 * ph, wd + 2 * pw, ge.shape[3]), gn.dtype)
        part = np.empty_like(ge)
        for i in range(kh):
            for j in range(kw):
                target = dep[:, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                             j * dw:j * dw + sw * (ow - 1) + 1:sw]
                np.multiply(ge, filters[i, j], out=part)
                np.add(target, part, out=target)
        de = dep[:, ph:ph + h, pw:pw + wd]
    return np.ascontiguousarray(_reduce(de, fg))


# ------------------------------------------------------------ general groups (bmm)
def _grouped_cols(x, kernel, out_hw, groups, params):
    """The column matrix of ``x`` (N, C, H, W) split by group: (N·OH·OW, G, kh·kw·Cg).

    im2col gives (rows, kh·kw, G, Cg) in a reused workspace; one copy moves each
    group's kh·kw·Cg values next to each other, so that every group is an ordinary
    (rows, kh·kw·Cg) matrix (with a row stride) for the batched GEMM. ``out_hw`` may be
    smaller than im2col's output (the weight gradient of a conv_transpose2d with an
    output_padding): the surplus windows are dropped in the same copy.
    """
    stride, padding, dilation = params
    n, c = x.shape[:2]
    kh, kw = kernel
    full_h = out_size(x.shape[2], kh, stride[0], padding[0], dilation[0])
    full_w = out_size(x.shape[3], kw, stride[1], padding[1], dilation[1])
    col = im2col(x, kernel, stride, padding, dilation)
    col = col.reshape(n, full_h, full_w, kh * kw, groups, c // groups)
    oh, ow = out_hw
    out = np.empty((n, oh, ow, groups, kh * kw, c // groups), x.dtype)
    np.copyto(out, col[:, :oh, :ow].transpose(0, 1, 2, 4, 3, 5))
    return out.reshape(n * oh * ow, groups, kh * kw * (c // groups))


def _group_matrices(w, groups):
    """(F, Cg, kh, kw) → (G, kh·kw·Cg, Fg): each group's weight in the columns' order."""
    g, cg, fg, kh, kw = _split(w.shape, groups)
    return np.ascontiguousarray(
        w.reshape(g, fg, cg, kh, kw).transpose(0, 3, 4, 2, 1)).reshape(g, kh * kw * cg, fg)


def _rows(g):
    """(N, F, OH, OW) → (N·OH·OW, F) matrix, free when ``g`` is channels-last."""
    n, f, oh, ow = g.shape
    return _nhwc(g).reshape(n * oh * ow, f)


def _general_forward(cols, w, groups):
    """(rows, G, Fg): one batched GEMM over the groups, written channels-last."""
    wm = _group_matrices(w, groups)
    out = np.empty((cols.shape[0], groups, wm.shape[2]), cols.dtype)
    np.matmul(cols.transpose(1, 0, 2), wm, out=out.transpose(1, 0, 2))
    return out


def _general_weight_grad(cols, g_rows, w_shape, groups):
    """∂L/∂w: (G, kh·kw·Cg, rows) @ (G, rows, Fg), one batched GEMM."""
    g, cg, fg, kh, kw = _split(w_shape, groups)
    rows = g_rows.reshape(-1, g, fg).transpose(1, 0, 2)
    gm = np.matmul(cols.transpose(1, 2, 0), rows)                   # (G, kh·kw·Cg, Fg)
    gm = gm.reshape(g, kh, kw, cg, fg).transpose(0, 4, 3, 1, 2)     # (G, Fg, Cg, kh, kw)
    return np.ascontiguousarray(gm).reshape(w_shape)


def _general_input_grad(g_rows, w, x_shape, groups, params, out_hw):
    """∂L/∂x (N, H, W, C) from the gradient rows (N·OH·OW, F): col2im, one kernel
    position at a time. Each position is one batched GEMM over the groups into a reused
    (rows, C) buffer and one strided slice-add onto the pixels it came from, so no
    column-gradient matrix kh·kw times the input's size is ever made."""
    (sh, sw), (ph, pw), (dh, dw) = params
    g, cg, fg, kh, kw = _split(w.shape, groups)
    n, c, h, wd = x_shape
    oh, ow = out_hw
    rows = g_rows.shape[0]
    # (F, Cg, kh, kw) → (kh·kw, G, Fg, Cg): one (Fg, Cg) matrix per position and group
    wk = np.ascontiguousarray(w.reshape(g, fg, cg, kh * kw).transpose(3, 0, 1, 2))
    grouped_rows = g_rows.reshape(rows, g, fg).transpose(1, 0, 2)      # (G, rows, Fg)
    part = workspace("gdcol", (rows, g, cg), g_rows.dtype)
    part4 = part.reshape(n, oh, ow, c)
    dxp = np.zeros((n, h + 2 * ph, wd + 2 * pw, c), g_rows.dtype)
    for i in range(kh):
        for j in range(kw):
            np.matmul(grouped_rows, wk[i * kw + j], out=part.transpose(1, 0, 2))
            target = dxp[:, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                         j * dw:j * dw + sw * (ow - 1) + 1:sw]
            np.add(target, part4, out=target)
    if ph or pw:
        return np.ascontiguousarray(dxp[:, ph:ph + h, pw:pw + wd])
    return dxp


# ---------------------------------------------------------- the kernels (generic names)
def grouped_conv2d_with_columns(x, w, b, stride, padding, dilation, groups):
    """Grouped conv2d (N, F, OH, OW), stored channels-last, and the grouped columns for
    the weight gradient when they are small enough to keep (else None)."""
    params = (stride, padding, dilation)
    cols = None
    if is_channelwise(w.shape, groups):
        out = _channelwise_forward(_nhwc(x), w, groups, *params)
    else:
        n, _, h, width = x.shape
        kh, kw = w.shape[2:]
        oh = out_size(h, kh, stride[0], padding[0], dilation[0])
        ow = out_size(width, kw, stride[1], padding[1], dilation[1])
        matrix = _grouped_cols(x, (kh, kw), (oh, ow), groups, params)
        if matrix.nbytes <= COL_SAVE_BYTES:
            cols = Columns(matrix, groups=groups)     # our own copy: safe to keep
        out = _general_forward(matrix, w, groups).reshape(n, oh, ow, -1)
    if b is not None:
        np.add(out, b, out=out)      # channels last: the bias is the fast axis
    return _logical(out), cols


def grouped_conv2d(x, w, b, stride, padding, dilation, groups):
    return grouped_conv2d_with_columns(x, w, b, stride, padding, dilation, groups)[0]


def grouped_conv2d_input_grad(g, w, x_shape, stride, padding, dilation, groups):
    """∂L/∂x (N, C, H, W); also the grouped ``conv_transpose2d``."""
    params = (stride, padding, dilation)
    if is_channelwise(w.shape, groups):
        dx = _channelwise_input_grad(_nhwc(g), w, x_shape, groups, *params)
    else:
        dx = _general_input_grad(_rows(g), w, x_shape, groups, params, g.shape[2:])
    return _logical(dx)


def grouped_weight_grad_with_columns(x, g, w_shape, stride, padding, dilation, groups,
                                     cols):
    """∂L/∂w (F, C/G, kh, kw), from the kept grouped columns when there are some."""
    params = (stride, padding, dilation)
    w_shape = tuple(w_shape)
    if is_channelwise(w_shape, groups):
        return _channelwise_weight_grad(_nhwc(x), _nhwc(g), w_shape, groups, *params)
    matrix = _grouped_cols(x, w_shape[2:], g.shape[2:], groups, params) if cols is None \
        else cols.matrix
    return _general_weight_grad(matrix, _rows(g), w_shape, groups)


def grouped_conv2d_weight_grad(x, g, w_shape, stride, padding, dilation, groups):
    return grouped_weight_grad_with_columns(x, g, w_shape, stride, padding, dilation,
                                            groups, None)
