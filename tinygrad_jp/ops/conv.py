"""Convolution through im2col / col2im on strided views, and unfold / fold.

How ``conv2d`` works (the curriculum's im2col):

1. The input is padded and laid out channels-last, ``(N, Hp, Wp, C)``.
2. ``as_strided`` makes a *view* ``(N, OH, OW, kh, kw, C)``: for every output pixel the
   ``kh·kw·C`` input values under the filter. No data moves.
3. One copy turns the view into the column matrix ``col`` of shape
   ``(N·OH·OW, kh·kw·C)``; the weight becomes ``(F, kh·kw·C)``.
4. One GEMM, ``col @ Wᵀ``, gives ``(N·OH·OW, F)``, which *is* the output in
   channels-last memory order: the result is returned as a transposed view of logical
   shape ``(N, F, OH, OW)``, so no transpose copy is ever made. NumPy's elementwise ops
   keep that memory order, so ReLU, pooling and the next convolution read it for free.

The backward pass is three bilinear ops that are each other's derivatives, so
``create_graph=True`` works to any order:

* ``Conv2d(x, w)``               → the output ``y``
* ``ConvInputGrad(g, w)``        → ∂L/∂x: GEMM ``g @ W`` then col2im (kh·kw slice-adds);
  it is also ``conv_transpose2d``
* ``ConvWeightGrad(x, g)``       → ∂L/∂w: GEMM ``gᵀ @ col``

Large temporary matrices live in per-thread workspaces that are reused from call to call
(a fresh 50 MB array costs several times more than refilling an old one, because the
operating system must hand over and zero every page).
"""
import ctypes
import os
import sys
import threading

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..autograd import Function, is_grad_enabled
from ..devices import array_module, is_device_array
from ..kernels import for_array
from ..tensor import Tensor
from .parallel import over_batch

# A column matrix up to this size is kept for the weight gradient; a larger one is
# rebuilt in backward (one strided copy), which keeps a deep network's peak memory low.
COL_SAVE_BYTES = 32 * 2 ** 20
# Column matrices are built and multiplied a slice of the batch of about this size at a
# time: the slice is still in the CPU's cache when the GEMM reads it back, which makes a
# DeepConvNet convolution up to twice as fast as one whole-batch matrix (that goes out
# to main memory and back), and VGG on 224×224 images never needs gigabytes for one.
COL_CHUNK_BYTES = 6 * 2 ** 20
# One input channel: the transposed columns are long slab copies and the GEMM runs best
# on the whole batch (SimpleConvNet inference at batch 1000: 66 ms in one piece, 87 ms
# in 6 MB slices), so they are sliced only to bound memory.
ONE_CHANNEL_CHUNK_BYTES = 64 * 2 ** 20
# Workspaces above this size are not kept between calls.
WORKSPACE_KEEP_BYTES = 256 * 2 ** 20

_local = threading.local()


def tune_malloc():
    """Ask glibc to keep freed memory instead of returning it to the OS after each step.

    A training step allocates and frees the same activation-sized arrays every time.
    By default glibc gives the top of the heap back to the kernel once more than a
    few MB are free, so the next step pays a page fault (and the zeroing of a 4 KB
    page) for every page it touches again: about 0.3 ms per MB, a fifth of a
    SimpleConvNet step. Keeping up to 512 MB cached (and serving arrays below 32 MB
    from the heap) removes that; resident memory then stays at its peak, like
    PyTorch's caching allocators. Linux/glibc only; set TINYGRAD_JP_MALLOC_TUNING=0 to
    leave the allocator alone. Returns True when the settings were applied.
    """
    if os.environ.get("TINYGRAD_JP_MALLOC_TUNING", "1") == "0" or \
            not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
    ok = mallopt(m_mmap_threshold, 32 * 2 ** 20)
    ok &= mallopt(m_trim_threshold, 512 * 2 ** 20)
    ok &= mallopt(m_top_pad, 64 * 2 ** 20)
    return bool(ok)


MALLOC_TUNED = tune_malloc()


def workspace(slot, shape, dtype):
    """A reusable, uninitialised array of ``shape`` for temporary use inside one op.

    Each ``slot`` names one buffer per thread; the buffer grows to the largest request
    and is reused, so repeated steps do not pay page faults. The result is valid only
    until the next ``workspace`` call with the same slot.
    """
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = {}
    dtype = np.dtype(dtype)
    size = 1
    for s in shape:
        size *= s
    if size * dtype.itemsize > WORKSPACE_KEEP_BYTES:
        return np.empty(shape, dtype)
    key = (slot, dtype)
    buf = pool.get(key)
    if buf is None or buf.size < size:
        buf = pool[key] = np.empty(max(size, 1), dtype)
    return buf[:size].reshape(shape)


def clear_workspaces():
    """Free the calling thread's workspace buffers (they are re-made on demand)."""
    _local.pool = {}


def layout_of(a):
    """The memory order of an array's axes, slowest first (ties keep the logical order):
    (0, 1, 2, 3) for NCHW, (0, 2, 3, 1) for channels-last."""
    return tuple(sorted(range(a.ndim), key=lambda i: (-a.strides[i], i)))


def empty_in_layout(shape, order, dtype):
    """An empty array of logical ``shape`` whose memory order of axes is ``order``."""
    if len(order) != len(shape):
        return np.empty(shape, dtype)
    phys = np.empty([shape[i] for i in order], dtype)
    return phys.transpose(np.argsort(order))


def is_channels_last(a):
    """True when a 4-D array's channel axis is the fastest-varying one in memory."""
    return a.ndim == 4 and a.shape[1] > 1 and a.strides[1] == a.itemsize and \
        a.strides[3] > a.itemsize


def empty_like_layout(shape, ref, dtype=None):
    """An empty array of ``shape`` with the memory order of ``ref`` (same ndim)."""
    return empty_in_layout(shape, layout_of(ref), ref.dtype if dtype is None else dtype)


def out_size(size, k, s, p, d=1):
    """Output length of a convolution / pooling window along one axis."""
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _padded_nhwc(x, ph, pw, slot):
    """``x`` (N, C, H, W), any strides → C-contiguous (N, H+2ph, W+2pw, C), zero border."""
    n, c, h, w = x.shape
    xt = x.transpose(0, 2, 3, 1)
    if ph == 0 and pw == 0 and xt.flags.c_contiguous:
        return xt
    buf = workspace(slot, (n, h + 2 * ph, w + 2 * pw, c), x.dtype)
    if ph:
        buf[:, :ph] = 0
        buf[:, h + ph:] = 0
    if pw:
        buf[:, ph:h + ph, :pw] = 0
        buf[:, ph:h + ph, w + pw:] = 0
    inner = buf[:, ph:h + ph, pw:w + pw]
    over_batch(lambda b: np.copyto(inner[b], xt[b]), n, xt.nbytes)
    return buf


def _windows(xp, kh, kw, oh, ow, sh, sw, dh, dw):
    """Read-only view (N, OH, OW, kh, kw, C) of a padded channels-last array."""
    s0, s1, s2, s3 = xp.strides
    return as_strided(xp, (xp.shape[0], oh, ow, kh, kw, xp.shape[3]),
                      (s0, s1 * sh, s2 * sw, s1 * dh, s2 * dw, s3), writeable=False)


def im2col(x, kernel, stride, padding, dilation, out=None, ones=False):
    """The column matrix (N·OH·OW, kh·kw·C) of ``x`` (N, C, H, W), channels fastest.

    With ``ones`` it has one more column of ones, so that a bias rides along in the
    GEMM (and its gradient comes out of the weight-gradient GEMM) instead of costing
    a pass over the output. Written into ``out`` when given, else into a workspace.
    """
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    n, c, h, w = x.shape
    oh, ow = out_size(h, kh, sh, ph, dh), out_size(w, kw, sw, pw, dw)
    xp = _padded_nhwc(x, ph, pw, "pad")
    view = _windows(xp, kh, kw, oh, ow, sh, sw, dh, dw)
    k = kh * kw * c
    if out is None:
        out = workspace("col1" if ones else "col", (n * oh * ow, k + ones), x.dtype)
    body = out[:, :k] if ones else out
    target = body.view()
    target.shape = view.shape              # a view of the column block, never a copy
    over_batch(lambda b: np.copyto(target[b], view[b]), n, target.size * x.itemsize)
    if ones:
        out[:, k] = 1
    return out


def im2col_t(x, kernel, stride, padding, dilation, out=None, ones=False):
    """Transposed column matrix (kh·kw [+1], N·OH·OW) of a single-channel ``x``.

    With one input channel a kernel position's values are a shifted copy of the
    image, so each row is one strided slab copy with long contiguous runs, several
    times faster than gathering kh·kw-long windows.
    """
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    n, _, h, w = x.shape
    oh, ow = out_size(h, kh, sh, ph, dh), out_size(w, kw, sw, pw, dw)
    img = x[:, 0]
    if ph or pw:
        buf = workspace("padt", (n, h + 2 * ph, w + 2 * pw), x.dtype)
        buf[:, :ph] = 0
        buf[:, h + ph:] = 0
        buf[:, ph:h + ph, :pw] = 0
        buf[:, ph:h + ph, w + pw:] = 0
        inner = buf[:, ph:h + ph, pw:w + pw]
        over_batch(lambda b: np.copyto(inner[b], img[b]), n, img.nbytes)
        img = buf
    s0, s1, s2 = img.strides
    view = as_strided(img, (kh, kw, n, oh, ow), (s1 * dh, s2 * dw, s0, s1 * sh, s2 * sw),
                      writeable=False)
    k = kh * kw
    if out is None:
        out = workspace("colt", (k + ones, n * oh * ow), x.dtype)
    target = out[:k].view()
    target.shape = view.shape
    over_batch(lambda b: np.copyto(target[:, :, b], view[:, :, b]), n,
               target.size * x.itemsize)
    if ones:
        out[k] = 1
    return out


def _as_rows(g):
    """(N, F, OH, OW) → (N·OH·OW, F) matrix, free when ``g`` is channels-last."""
    n, f, oh, ow = g.shape
    gt = g.transpose(0, 2, 3, 1)
    if not gt.flags.c_contiguous:
        gt = np.ascontiguousarray(gt)
    return gt.reshape(n * oh * ow, f)


def _weight_from_matrix(m, w_shape):
    """(F, kh·kw·C) in im2col's column order → a C-contiguous (F, C, kh, kw) array."""
    f, c, kh, kw = w_shape
    if c == 1:
        return np.ascontiguousarray(m).reshape(w_shape)
    return np.ascontiguousarray(m.reshape(f, kh, kw, c).transpose(0, 3, 1, 2))


def _weight_matrix(w):
    """(F, C, kh, kw) → (F, kh·kw·C), the column order of :func:`im2col`."""
    f = w.shape[0]
    if w.shape[1] == 1:
        return w.reshape(f, -1)
    return np.ascontiguousarray(w.transpose(0, 2, 3, 1)).reshape(f, -1)


def col2im_rows(g_rows, w, x_shape, out_hw, kernel, stride, padding, dilation):
    """∂L/∂x (N, C, H, W) (channels-last memory) from the output gradient rows
    (N·OH·OW, F) and the weight (F, C, kh, kw): for each of the kh·kw kernel positions,
    one small GEMM into a reused (rows, C) buffer and one strided slice-add, a
    cache-sized slice of the batch at a time. ``out_hw`` is (OH, OW): an input may be
    longer than its windows reach (conv_transpose2d's output_padding)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    n, c, h, wd = x_shape
    f = w.shape[0]
    oh, ow = out_hw
    # (F, C, kh, kw) → (kh·kw, F, C): one small matrix per kernel position
    w3 = np.ascontiguousarray(w.reshape(f, c, kh * kw).transpose(2, 0, 1))
    hp, wp = h + 2 * ph, wd + 2 * pw
    dx = np.empty((n, h, wd, c), g_rows.dtype)
    rows = oh * ow
    for sl in batch_chunks(n, (rows + hp * wp) * c * g_rows.itemsize):
        m = sl.stop - sl.start
        part = workspace("dcol", (m * rows, c), g_rows.dtype)
        part4 = part.reshape(m, oh, ow, c)
        dxp = workspace("dpad", (m, hp, wp, c), g_rows.dtype)
        dxp.fill(0)
        g_part = g_rows[sl.start * rows:sl.stop * rows]
        for i in range(kh):
            for j in range(kw):
                np.matmul(g_part, w3[i * kw + j], out=part)
                target = dxp[:, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                             j * dw:j * dw + sw * (ow - 1) + 1:sw]
                np.add(target, part4, out=target)
        np.copyto(dx[sl], dxp[:, ph:ph + h, pw:pw + wd])
    return dx.transpose(0, 3, 1, 2)


def input_grad(g, w, x_shape, stride, padding, dilation):
    """∂L/∂x of conv2d. With stride 1, no more output than input channels and an input
    that the windows span exactly, it is a plain convolution of the padded gradient with
    the flipped, transposed kernel (one im2col + one GEMM, no scatter); otherwise
    col2im."""
    f, c, kh, kw = w.shape
    qh = dilation[0] * (kh - 1) - padding[0]
    qw = dilation[1] * (kw - 1) - padding[1]
    spanned = g.shape[2] + qh - padding[0] == x_shape[2] and \
        g.shape[3] + qw - padding[1] == x_shape[3]
    if stride == (1, 1) and f <= c and qh >= 0 and qw >= 0 and spanned:
        flipped = w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)        # (C, F, kh, kw)
        out, _ = conv_forward(g, flipped, None, (1, 1), (qh, qw), dilation)
        return out
    return col2im_rows(_as_rows(g), w, x_shape, g.shape[2:], (kh, kw), stride, padding,
                       dilation)


def batch_chunks(n, bytes_per_sample, limit=None):
    """Slices of the batch whose column matrices stay under ``limit`` bytes
    (COL_CHUNK_BYTES by default)."""
    per = max(1, (limit or COL_CHUNK_BYTES) // max(bytes_per_sample, 1))
    return [slice(i, min(i + per, n)) for i in range(0, n, per)]


def conv_forward(x, w, b, stride, padding, dilation, col_out=None):
    """The array result of conv2d; returns (output, col) with col the column matrix
    when ``col_out`` was given to keep it (else None).

    The columns of a slice of the batch are built and multiplied at once (see
    COL_CHUNK_BYTES); with ``col_out`` each slice is written into its rows of the kept
    matrix, so keeping it costs no second pass."""
    n = x.shape[0]
    f, c, kh, kw = w.shape
    oh = out_size(x.shape[2], kh, stride[0], padding[0], dilation[0])
    ow = out_size(x.shape[3], kw, stride[1], padding[1], dilation[1])
    rows = oh * ow
    k = kh * kw * c + (b is not None)
    wm = w.reshape(f, kh * kw) if c == 1 else _weight_matrix(w)
    if b is not None:
        wm = np.concatenate([wm, b.reshape(f, 1)], axis=1)
    out = np.empty((n * rows, f), x.dtype)
    geometry = ((kh, kw), stride, padding, dilation)
    if c == 1 and col_out is not None:
        # one channel: the kept columns are (K, N·OH·OW), built transposed (one long
        # slab copy per kernel position) and multiplied in one piece
        colt = im2col_t(x, *geometry, out=col_out, ones=b is not None)
        np.matmul(colt.T, wm.T, out=out)
    else:
        limit = ONE_CHANNEL_CHUNK_BYTES if c == 1 else COL_CHUNK_BYTES
        for sl in batch_chunks(n, rows * k * x.itemsize, limit):
            r = slice(sl.start * rows, sl.stop * rows)
            if c == 1:
                part = im2col_t(x[sl], *geometry, ones=b is not None).T
            else:
                part = im2col(x[sl], *geometry, ones=b is not None,
                              out=None if col_out is None else col_out[r])
            np.matmul(part, wm.T, out=out[r])
    return out.reshape(n, oh, ow, f).transpose(0, 3, 1, 2), col_out


class Conv2d(Function):
    """2-D cross-correlation of (N, C, H, W) with weights (F, C, kh, kw) and a bias (F,)."""

    def forward(self, x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
        self.params = (stride, padding, dilation)
        self.has_bias = b is not None
        self.x_shape, self.w_shape = x.data.shape, w.data.shape
        if is_device_array(x.data):          # a GPU: the generic kernels
            self.save_for_backward(x, w, None)
            return for_array(x.data).conv2d(x.data, w.data, None if b is None else b.data,
                                  stride, padding, dilation)
        keep_col = None
        if is_grad_enabled() and w.requires_grad:
            f, c, kh, kw = w.data.shape
            n = x.data.shape[0]
            oh = out_size(x.data.shape[2], kh, stride[0], padding[0], dilation[0])
            ow = out_size(x.data.shape[3], kw, stride[1], padding[1], dilation[1])
            k = kh * kw * c + (b is not None)
            if n * oh * ow * k * x.data.itemsize <= COL_SAVE_BYTES:
                keep_col = np.empty((k, n * oh * ow) if c == 1 else (n * oh * ow, k),
                                    x.data.dtype)
        out, col = conv_forward(x.data, w.data, None if b is None else b.data,
                                stride, padding, dilation, col_out=keep_col)
        self.save_for_backward(x, w, keep_col)
        return out

    def backward(self, grad):
        x, w, col = self.saved
        need = self.needs_input_grad
        gx = gw = gb = None
        if need[0]:
            gx = ConvInputGrad.apply(grad, w, x_shape=self.x_shape, params=self.params)
        want_bias = self.has_bias and need[2]
        f, c, kh, kw = self.w_shape
        k = kh * kw * c
        transposed = c == 1 and col is not None
        if need[1] and not is_grad_enabled() and not is_device_array(x.data):
            # plain backward: one GEMM against the (saved or rebuilt) columns gives the
            # weight gradient and, through the ones column, the bias gradient
            if transposed and not (want_bias and col.shape[0] == k):
                both = (col @ _as_rows(grad.data)).T                  # (F, K [+ 1])
            elif col is not None and not transposed and not (want_bias and
                                                             col.shape[1] == k):
                both = _as_rows(grad.data).T @ col                  # (F, K [+ 1])
            else:
                # rebuild the columns, a slice of the batch at a time if they are large
                rows = _as_rows(grad.data)
                per = rows.shape[0] // self.x_shape[0]
                both = None
                for sl in batch_chunks(self.x_shape[0],
                                       per * (k + 1) * x.data.itemsize):
                    part = im2col(x.data[sl], (kh, kw), *self.params, ones=want_bias)
                    term = rows[sl.start * per:sl.stop * per].T @ part
                    both = term if both is None else both + term
            gw = Tensor._wrap(_weight_from_matrix(both[:, :k], self.w_shape))
            if want_bias:
                gb = Tensor._wrap(both[:, k].copy())
            return (gx, gw, gb) if self.has_bias else (gx, gw)
        if transposed:
            col = None                     # ConvWeightGrad rebuilds the (rows, K) form
        elif col is not None and col.shape[1] > k:
            col = col[:, :k]
        if need[1]:
            gw = ConvWeightGrad.apply(x, grad, w_shape=self.w_shape, params=self.params,
                                      col=col)
        if want_bias:
            gb = grad.sum(dim=(0, 2, 3))
        return (gx, gw, gb) if self.has_bias else (gx, gw)


class ConvInputGrad(Function):
    """The gradient of conv2d w.r.t. its input: ``g`` (N, F, OH, OW) and ``w``
    (F, C, kh, kw) → (N, C, H, W). This is also ``conv_transpose2d``."""

    def forward(self, g, w, x_shape, params):
        self.x_shape, self.params = x_shape, params
        self.save_for_backward(g, w)
        if is_device_array(g.data):
            return for_array(g.data).conv2d_input_grad(g.data, w.data, x_shape, *params)
        return input_grad(g.data, w.data, x_shape, *params)

    @property
    def name(self):
        return "ConvolutionBackward"

    def backward(self, grad):
        g, w = self.saved
        stride, padding, dilation = self.params
        gg = gw = None
        if self.needs_input_grad[0]:
            gg = Conv2d.apply(grad, w, stride=stride, padding=padding, dilation=dilation)
            if gg.shape != g.shape:
                # output_padding rows no window reaches: their windows are cut away
                gg = gg[:, :, :g.shape[2], :g.shape[3]]
        if self.needs_input_grad[1]:
            gw = ConvWeightGrad.apply(grad, g, w_shape=w.shape, params=self.params)
        return gg, gw


class ConvWeightGrad(Function):
    """The gradient of conv2d w.r.t. its weight: input ``x`` and output gradient ``g``
    → (F, C, kh, kw), one GEMM ``gᵀ @ col``."""

    def forward(self, x, g, w_shape, params, col=None):
        self.w_shape, self.params = w_shape, params
        self.save_for_backward(x, g)
        stride, padding, dilation = params
        if is_device_array(x.data):
            return for_array(x.data).conv2d_weight_grad(x.data, g.data, w_shape, *params)
        f, c, kh, kw = w_shape
        if col is None:
            col = im2col(x.data, (kh, kw), stride, padding, dilation)
        n, _, oh, ow = g.data.shape
        if col.shape[0] != n * oh * ow:
            # an input longer than the windows of g reach (conv_transpose2d's
            # output_padding): the windows beyond them are cut away
            full = [out_size(x.data.shape[2 + a], (kh, kw)[a], stride[a], padding[a],
                             dilation[a]) for a in (0, 1)]
            col = col.reshape(n, *full, -1)[:, :oh, :ow].reshape(n * oh * ow, -1)
        return _weight_from_matrix(_as_rows(g.data).T @ col, w_shape)

    @property
    def name(self):
        return "ConvolutionBackwardWeight"

    def backward(self, grad):
        x, g = self.saved
        stride, padding, dilation = self.params
        gx = gg = None
        if self.needs_input_grad[0]:
            gx = ConvInputGrad.apply(g, grad, x_shape=x.shape, params=self.params)
        if self.needs_input_grad[1]:
            gg = Conv2d.apply(x, grad, stride=stride, padding=padding, dilation=dilation)
            if gg.shape != g.shape:
                gg = gg[:, :, :g.shape[2], :g.shape[3]]      # as in ConvInputGrad
        return gx, gg


# ------------------------------------------------------------------ unfold / fold
def _unfold_array(x, kernel, dilation, padding, stride):
    """PyTorch's unfold order: (N, C·kh·kw, L) with C slowest, then kh, kw."""
    if is_device_array(x):
        return for_array(x).unfold(x, kernel, dilation, padding, stride)
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel, dilation, padding, stride
    n, c, h, w = x.shape
    oh, ow = out_size(h, kh, sh, ph, dh), out_size(w, kw, sw, pw, dw)
    xp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), x.dtype)
    xp[:, :, ph:ph + h, pw:pw + w] = x
    s0, s1, s2, s3 = xp.strides
    view = as_strided(xp, (n, c, kh, kw, oh, ow),
                      (s0, s1, s2 * dh, s3 * dw, s2 * sh, s3 * sw), writeable=False)
    return view.reshape(n, c * kh * kw, oh * ow)


def _fold_array(cols, output_size, kernel, dilation, padding, stride):
    """The adjoint of :func:`_unfold_array`: kh·kw slice-adds into (N, C, H, W)."""
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = kernel, dilation, padding, stride
    h, w = output_size
    n = cols.shape[0]
    c = cols.shape[1] // (kh * kw)
    oh, ow = out_size(h, kh, sh, ph, dh), out_size(w, kw, sw, pw, dw)
    blocks = cols.reshape(n, c, kh, kw, oh, ow)
    out = array_module(cols).zeros((n, c, h + 2 * ph, w + 2 * pw), cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                j * dw:j * dw + sw * (ow - 1) + 1:sw] += blocks[:, :, i, j]
    return out[:, :, ph:ph + h, pw:pw + w].copy()


class Unfold(Function):
    """im2col in PyTorch's layout: (N, C, H, W) → (N, C·kh·kw, L)."""

    def forward(self, x, kernel, dilation, padding, stride):
        self.args = (kernel, dilation, padding, stride)
        self.in_hw = x.data.shape[2:]
        return _unfold_array(x.data, *self.args)

    def backward(self, grad):
        return Fold.apply(grad, output_size=self.in_hw, kernel=self.args[0],
                          dilation=self.args[1], padding=self.args[2], stride=self.args[3])


class Fold(Function):
    """col2im in PyTorch's layout: (N, C·kh·kw, L) → (N, C, H, W), overlaps summed."""

    def forward(self, cols, output_size, kernel, dilation, padding, stride):
        self.args = (kernel, dilation, padding, stride)
        return _fold_array(cols.data, output_size, *self.args)

    def backward(self, grad):
        return Unfold.apply(grad, kernel=self.args[0], dilation=self.args[1],
                            padding=self.args[2], stride=self.args[3])
