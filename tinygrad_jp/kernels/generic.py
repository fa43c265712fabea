"""Convolution and pooling written once against the NumPy API, for any array module that
follows it (CuPy on a GPU). Each function takes and returns arrays of one device.

The shapes: input (N, C, H, W), weight (F, C, kh, kw), output (N, F, OH, OW);
``stride``, ``padding`` and ``dilation`` are (rows, columns) pairs.
"""
import numpy as np

from ..devices import array_module

__all__ = ["conv2d", "conv2d_input_grad", "conv2d_weight_grad", "grouped_conv2d",
           "grouped_conv2d_input_grad", "grouped_conv2d_weight_grad", "unfold", "max_pool2d",
           "max_pool2d_scatter", "max_pool2d_gather", "window_sum", "window_spread", "relu",
           "positive_mask", "window_max", "fold", "conv2d_with_columns",
           "conv2d_weight_grad_with_columns", "conv2d_bias_grad"]


def relu(x):
    """max(x, 0)."""
    return np.maximum(x, 0)


def positive_mask(g, ref):
    """``g`` where ``ref > 0``, else 0: ReLU's backward with ``ref`` its output."""
    return np.multiply(g, ref > 0, dtype=g.dtype)


def _pad(x, padding, fill=0):
    (ph, pw) = padding
    if not (ph or pw):
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)


def _positions(kernel, stride, dilation, out_hw):
    """(i, j, row slice, column slice) of every kernel position in the padded input."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_hw
    for i in range(kh):
        for j in range(kw):
            yield (i, j, slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
                   slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


def windows(x, kernel, stride, dilation):
    """im2col as a view: (N, C, OH, OW, kh, kw), every window of the (padded) input."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    view = np.lib.stride_tricks.sliding_window_view(x, span, axis=(2, 3))
    return view[:, :, ::sh, ::sw, ::dh, ::dw]


def conv2d(x, w, b, stride, padding, dilation):
    """The cross-correlation: the windows times the weights, one GEMM (tensordot)."""
    cols = windows(_pad(x, padding), w.shape[2:], stride, dilation)
    out = np.tensordot(cols, w, axes=([1, 4, 5], [1, 2, 3]))      # (N, OH, OW, F)
    if b is not None:
        out = out + b
    # np.ascontiguousarray would make a host array: ask the array's own module
    return array_module(out).ascontiguousarray(out.transpose(0, 3, 1, 2))


def conv2d_input_grad(g, w, x_shape, stride, padding, dilation):
    """col2im: each kernel position adds its share of ``g`` back where it read."""
    n, c, h, wd = x_shape
    (ph, pw) = padding
    dxp = array_module(g).zeros((n, c, h + 2 * ph, wd + 2 * pw), g.dtype)
    for i, j, rs, cs in _positions(w.shape[2:], stride, dilation, g.shape[2:]):
        part = np.tensordot(g, w[:, :, i, j], axes=([1], [0]))   # (N, OH, OW, C)
        dxp[:, :, rs, cs] += part.transpose(0, 3, 1, 2)
    return dxp[:, :, ph:ph + h, pw:pw + wd]


def conv2d_weight_grad(x, g, w_shape, stride, padding, dilation):
    """``g`` against the windows of ``x``: (F, C, kh, kw)."""
    cols = windows(_pad(x, padding), w_shape[2:], stride, dilation)
    oh, ow = g.shape[2:]
    cols = cols[:, :, :oh, :ow]            # an input longer than g's windows reach
    return np.tensordot(g, cols, axes=([0, 2, 3], [0, 2, 3]))     # (F, C, kh, kw)


# Grouped convolution: G groups of C/G input and F/G output channels each, the same
# windows and GEMMs with a group axis (einsum keeps it batched, no loop over groups).
def grouped_conv2d(x, w, b, stride, padding, dilation, groups):
    n, c = x.shape[:2]
    f = w.shape[0]
    cols = windows(_pad(x, padding), w.shape[2:], stride, dilation)
    cols = cols.reshape((n, groups, c // groups) + cols.shape[2:])  # (N, G, Cg, OH, OW, kh, kw)
    wg = w.reshape((groups, f // groups) + w.shape[1:])            # (G, Fg, Cg, kh, kw)
    out = np.einsum("ngcyxij,gfcij->ngfyx", cols, wg)
    out = out.reshape((n, f) + out.shape[3:])
    if b is not None:
        out = out + b.reshape(1, f, 1, 1)
    return out


def grouped_conv2d_input_grad(g, w, x_shape, stride, padding, dilation, groups):
    n, c, h, wd = x_shape
    (ph, pw) = padding
    f = w.shape[0]
    gg = g.reshape((n, groups, f // groups) + g.shape[2:])          # (N, G, Fg, OH, OW)
    wg = w.reshape((groups, f // groups) + w.shape[1:])            # (G, Fg, Cg, kh, kw)
    dxp = array_module(g).zeros((n, groups, c // groups, h + 2 * ph, wd + 2 * pw), g.dtype)
    for i, j, rs, cs in _positions(w.shape[2:], stride, dilation, g.shape[2:]):
        dxp[:, :, :, rs, cs] += np.einsum("ngfyx,gfc->ngcyx", gg, wg[:, :, :, i, j])
    return dxp.reshape(n, c, h + 2 * ph, wd + 2 * pw)[:, :, ph:ph + h, pw:pw + wd]


def grouped_conv2d_weight_grad(x, g, w_shape, stride, padding, dilation, groups):
    n, c = x.shape[:2]
    f = w_shape[0]
    cols = windows(_pad(x, padding), w_shape[2:], stride, dilation)
    oh, ow = g.shape[2:]
    cols = cols[:, :, :oh, :ow].reshape((n, groups, c // groups, oh, ow) + w_shape[2:])
    gg = g.reshape(n, groups, f // groups, oh, ow)
    dw = np.einsum("ngfyx,ngcyxij->gfcij", gg, cols)
    return dw.reshape(w_shape)


# A device may keep what its forward built (the CPU keeps im2col's column matrix) for
# the weight gradient: ``conv2d_with_columns`` returns it beside the output, opaque to
# the op, and the gradients take it back. Here nothing is kept. These forms call the
# kernels of the array's own device (a device module that lacks them gets these), so a
# device's own conv2d is used.
def _own(a):
    from . import for_array
    return for_array(a)


def conv2d_with_columns(x, w, b, stride, padding, dilation, groups):
    """(conv2d or grouped_conv2d of ``x``, what to keep for the weight gradient)."""
    if groups == 1:
        return _own(x).conv2d(x, w, b, stride, padding, dilation), None
    return _own(x).grouped_conv2d(x, w, b, stride, padding, dilation, groups), None


def conv2d_weight_grad_with_columns(x, g, w_shape, stride, padding, dilation, groups,
                                    cols):
    """∂L/∂w of a (grouped) conv2d; ``cols`` is what ``conv2d_with_columns`` kept."""
    if groups == 1:
        return _own(x).conv2d_weight_grad(x, g, w_shape, stride, padding, dilation)
    return _own(x).grouped_conv2d_weight_grad(x, g, w_shape, stride, padding, dilation,
                                              groups)


def conv2d_bias_grad(g, cols):
    """∂L/∂b: ``g`` summed over batch and pixels, (F,)."""
    return g.sum(axis=(0, 2, 3))


def unfold(x, kernel, dilation, padding, stride):
    """PyTorch's unfold layout (N, C·kh·kw, L) of the windows."""
    n, c = x.shape[:2]
    cols = windows(_pad(x, padding), kernel, stride, dilation)      # (N, C, OH, OW, kh, kw)
    cols = cols.transpose(0, 1, 4, 5, 2, 3)
    return cols.reshape(n, c * kernel[0] * kernel[1], cols.shape[4] * cols.shape[5])


def fold(cols, output_size, kernel, dilation, padding, stride):
    """The adjoint of :func:`unfold`: (N, C·kh·kw, L) → (N, C, H, W), kh·kw slice-adds."""
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel, dilation, padding, stride
    h, w = output_size
    n = cols.shape[0]
    c = cols.shape[1] // (kh * kw)
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    blocks = cols.reshape(n, c, kh, kw, oh, ow)
    out = array_module(cols).zeros((n, c, h + 2 * ph, w + 2 * pw), cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                j * dw:j * dw + sw * (ow - 1) + 1:sw] += blocks[:, :, i, j]
    return out[:, :, ph:ph + h, pw:pw + w].copy()


def max_pool2d(x, g):
    """Max over each window and the index (0 … kh·kw − 1) of the first maximum, for the
    pooling geometry ``g`` (ops/pool.py's ``_Geometry``)."""
    xp = array_module(x)
    frame = _frame(x, g, -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min)
    out = idx = None
    for p, rs, cs in g.positions():
        v = frame[:, :, rs, cs]
        if out is None:
            out, idx = v.copy(), xp.zeros(v.shape, np.int32)
        else:
            better = v > out                       # strict: the first maximum wins
            out = xp.where(better, v, out)
            idx = xp.where(better, np.int32(p), idx)
    return out, idx


def window_max(x, g):
    """The max over each window, without the index (no gradient will be needed)."""
    return _own(x).max_pool2d(x, g)[0]


def max_pool2d_scatter(grad, g, idx):
    """Each output gradient to its window's winning input position."""
    xp = array_module(grad)
    dxp = xp.zeros(grad.shape[:2] + (g.hp, g.wp), grad.dtype)
    zero = xp.zeros((), grad.dtype)
    for p, rs, cs in g.positions():
        dxp[:, :, rs, cs] += xp.where(idx == p, grad, zero)
    return _crop(dxp, g)


def max_pool2d_gather(h, g, idx):
    """Read each window's winning input position of ``h`` (the scatter's adjoint)."""
    xp = array_module(h)
    frame = _frame(h, g, 0)
    out = xp.zeros(g.out_shape, h.dtype)
    for p, rs, cs in g.positions():
        out = xp.where(idx == p, frame[:, :, rs, cs], out)
    return out


def window_sum(x, g):
    """The sum over each window (average pooling before its division)."""
    frame = _frame(x, g, 0)
    out = None
    for _, rs, cs in g.positions():
        out = frame[:, :, rs, cs].copy() if out is None else out + frame[:, :, rs, cs]
    return out


def window_spread(share, g):
    """Each output's ``share`` added to every input of its window (window_sum's adjoint)."""
    dxp = array_module(share).zeros(share.shape[:2] + (g.hp, g.wp), share.dtype)
    for _, rs, cs in g.positions():
        dxp[:, :, rs, cs] += share
    return _crop(dxp, g)


def _frame(x, g, fill):
    """``x`` inside the geometry's padded frame (filled with ``fill``)."""
    if not g.framed:
        return x
    n, c, h, w = g.shape
    out = array_module(x).full((n, c, g.hp, g.wp), fill, x.dtype)
    out[:, :, g.ph:g.ph + h, g.pw:g.pw + w] = x
    return out


def _crop(frame, g):
    if not g.framed:
        return frame
    n, c, h, w = g.shape
    return array_module(frame).ascontiguousarray(frame[:, :, g.ph:g.ph + h, g.pw:g.pw + w])
