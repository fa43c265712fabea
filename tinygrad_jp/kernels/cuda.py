"""CUDA kernels (CuPy): the passes where a chain of small CuPy calls costs more than the
work, each fused into one launch. Same names and arguments as ``generic``.

Convolution is im2col + one batched GEMM (cuBLAS, through ``cupy.matmul``) + col2im:

    cols[n, (c, i, j), (oy, ox)] = x[n, c, oy·sh − ph + i·dh, ox·sw − pw + j·dw]
    out[n] = W (F, C·kh·kw) @ cols[n]
    dcols[n] = Wᵀ @ g[n]            dW = Σ_n g[n] @ cols[n]ᵀ

col2im and the max-pool scatter are written as gathers: one thread per input element
sums what the windows that read it send back. No atomics, so the result is the same at
every run. Dtypes other than float32 / float64 use the generic kernels.
"""
import cupy

from . import generic
from .generic import (grouped_conv2d, grouped_conv2d_input_grad,  # noqa: F401 (re-exported)
                      grouped_conv2d_weight_grad, unfold, window_spread, window_sum)

__all__ = generic.__all__

_FLOATS = ("float32", "float64")

# Index decomposition shared by the kernels: i runs over the output array's elements.
_IM2COL = cupy.ElementwiseKernel(
    "raw T x, int32 C, int32 H, int32 W, int32 OH, int32 OW, int32 kh, int32 kw, "
    "int32 sh, int32 sw, int32 ph, int32 pw, int32 dh, int32 dw",
    "T col",
    """
    const int L = OH * OW;
    const int ox = i % OW, oy = (i / OW) % OH;
    const int k = (i / L) % (C * kh * kw);
    const long long n = i / ((long long)L * C * kh * kw);
    const int b = k % kw, a = (k / kw) % kh, c = k / (kh * kw);
    const int y = oy * sh - ph + a * dh, xx = ox * sw - pw + b * dw;
    col = (y >= 0 && y < H && xx >= 0 && xx < W)
        ? x[((n * C + c) * H + y) * W + xx] : (T)0;
    """,
    "tinygrad_jp_im2col")

# The gathers' loop: every window (a, b kernel position; oy, ox output) that read the
# input element (y, xx), for the body put in place of BODY to collect from.
_EACH_WINDOW_THAT_READS_YX = """
    for (int a = 0; a < kh; ++a) {
        const int t = y + ph - a * dh;
        if (t < 0 || t % sh) continue;
        const int oy = t / sh;
        if (oy >= OH) continue;
        for (int b = 0; b < kw; ++b) {
            const int u = xx + pw - b * dw;
            if (u < 0 || u % sw) continue;
            const int ox = u / sw;
            if (ox >= OW) continue;
            BODY
        }
    }
"""

_COL2IM = cupy.ElementwiseKernel(
    "raw T col, int32 C, int32 H, int32 W, int32 OH, int32 OW, int32 kh, int32 kw, "
    "int32 sh, int32 sw, int32 ph, int32 pw, int32 dh, int32 dw",
    "T dx",
    """
    const int xx = i % W, y = (i / W) % H, c = (i / (W * H)) % C;
    const long long n = i / ((long long)W * H * C);
    const int L = OH * OW, K = C * kh * kw;
    T acc = 0;
    """ + _EACH_WINDOW_THAT_READS_YX.replace("BODY", """
            acc += col[(n * K + (c * kh + a) * kw + b) * L + oy * OW + ox];
    """) + """
    dx = acc;
    """,
    "tinygrad_jp_col2im")

# Max over each window and the position (0 … kh·kw − 1) of the first maximum; positions
# outside the input count as −∞ (the padding of max pooling).
_WINDOW_MAX = cupy.ElementwiseKernel(
    "raw T x, int32 H, int32 W, int32 OH, int32 OW, int32 kh, int32 kw, "
    "int32 sh, int32 sw, int32 ph, int32 pw, int32 dh, int32 dw",
    "T out, int32 arg",
    """
    const int ox = i % OW, oy = (i / OW) % OH;
    const long long plane = i / ((long long)OW * OH);
    T best = 0;
    int where = 0;
    for (int a = 0; a < kh; ++a) {
        const int y = oy * sh - ph + a * dh;
        for (int b = 0; b < kw; ++b) {
            const int xx = ox * sw - pw + b * dw;
            const T v = (y >= 0 && y < H && xx >= 0 && xx < W)
                ? x[(plane * H + y) * W + xx] : (T)__longlong_as_double(0xfff0000000000000LL);
            if ((a == 0 && b == 0) || v > best) {   // strict: the first maximum wins
                best = v;
                where = a * kw + b;
            }
        }
    }
    out = best;
    arg = where;
    """,
    "tinygrad_jp_window_max")

# Each input element collects the gradients of the windows whose maximum it was.
_WINDOW_MAX_SCATTER = cupy.ElementwiseKernel(
    "raw T grad, raw int32 arg, int32 H, int32 W, int32 OH, int32 OW, int32 kh, int32 kw, "
    "int32 sh, int32 sw, int32 ph, int32 pw, int32 dh, int32 dw",
    "T dx",
    """
    const int xx = i % W, y = (i / W) % H;
    const long long plane = i / ((long long)W * H);
    T acc = 0;
    """ + _EACH_WINDOW_THAT_READS_YX.replace("BODY", """
            const long long o = (plane * OH + oy) * OW + ox;
            if (arg[o] == a * kw + b) acc += grad[o];
    """) + """
    dx = acc;
    """,
    "tinygrad_jp_window_max_scatter")

_WINDOW_MAX_GATHER = cupy.ElementwiseKernel(
    "raw T h, int32 arg, int32 H, int32 W, int32 OH, int32 OW, int32 kw, "
    "int32 sh, int32 sw, int32 ph, int32 pw, int32 dh, int32 dw",
    "T out",
    """
    const int ox = i % OW, oy = (i / OW) % OH;
    const long long plane = i / ((long long)OW * OH);
    const int y = oy * sh - ph + (arg / kw) * dh, xx = ox * sw - pw + (arg % kw) * dw;
    out = (y >= 0 && y < H && xx >= 0 && xx < W) ? h[(plane * H + y) * W + xx] : (T)0;
    """,
    "tinygrad_jp_window_max_gather")

# NaN passes through, as np.maximum lets it
_RELU = cupy.ElementwiseKernel("T x", "T y", "y = (x > (T)0 || x != x) ? x : (T)0",
                               "tinygrad_jp_relu")
_POSITIVE_MASK = cupy.ElementwiseKernel("T g, U ref", "T out", "out = ref > (U)0 ? g : (T)0",
                                        "tinygrad_jp_positive_mask")


def _fused(*arrays):
    return all(a.dtype.name in _FLOATS for a in arrays)


def _out_size(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _geometry(kernel, stride, padding, dilation):
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, padding, dilation
    return kh, kw, sh, sw, ph, pw, dh, dw


def im2col(x, kernel, stride, padding, dilation, out_hw):
    """(N, C·kh·kw, OH·OW): every window of ``x`` as a column, padding read as 0."""
    n, c, h, w = x.shape
    oh, ow = out_hw
    cols = cupy.empty((n, c * kernel[0] * kernel[1], oh * ow), x.dtype)
    _IM2COL(cupy.ascontiguousarray(x), c, h, w, oh, ow,
            *_geometry(kernel, stride, padding, dilation), cols)
    return cols


def col2im(cols, x_shape, kernel, stride, padding, dilation, out_hw):
    """im2col's adjoint: each input element sums the column entries that read it."""
    n, c, h, w = x_shape
    dx = cupy.empty(x_shape, cols.dtype)
    _COL2IM(cols, c, h, w, *out_hw, *_geometry(kernel, stride, padding, dilation), dx)
    return dx


def conv2d(x, w, b, stride, padding, dilation):
    return conv2d_with_columns(x, w, b, stride, padding, dilation, 1)[0]


def conv2d_with_columns(x, w, b, stride, padding, dilation, groups):
    """(the convolution, its columns): the weight gradient reuses the columns."""
    if groups != 1:
        return generic.grouped_conv2d(x, w, b, stride, padding, dilation, groups), None
    if not _fused(x, w):
        return generic.conv2d(x, w, b, stride, padding, dilation), None
    n, _, h, wd = x.shape
    f, _, kh, kw = w.shape
    oh = _out_size(h, kh, stride[0], padding[0], dilation[0])
    ow = _out_size(wd, kw, stride[1], padding[1], dilation[1])
    cols = im2col(x, (kh, kw), stride, padding, dilation, (oh, ow))
    out = cupy.matmul(w.reshape(f, -1), cols)                    # (N, F, OH·OW)
    if b is not None:
        out += b.reshape(1, f, 1)
    return out.reshape(n, f, oh, ow), cols


def conv2d_input_grad(g, w, x_shape, stride, padding, dilation):
    if not _fused(g, w):
        return generic.conv2d_input_grad(g, w, x_shape, stride, padding, dilation)
    n, f, oh, ow = g.shape
    g3 = cupy.ascontiguousarray(g).reshape(n, f, oh * ow)
    dcols = cupy.matmul(w.reshape(f, -1).T, g3)                  # (N, C·kh·kw, OH·OW)
    return col2im(dcols, x_shape, w.shape[2:], stride, padding, dilation, (oh, ow))


def conv2d_weight_grad(x, g, w_shape, stride, padding, dilation):
    return conv2d_weight_grad_with_columns(x, g, w_shape, stride, padding, dilation, 1, None)


def conv2d_weight_grad_with_columns(x, g, w_shape, stride, padding, dilation, groups, cols):
    if groups != 1:
        return generic.grouped_conv2d_weight_grad(x, g, w_shape, stride, padding, dilation,
                                                  groups)
    if not _fused(x, g):
        return generic.conv2d_weight_grad(x, g, w_shape, stride, padding, dilation)
    n, f, oh, ow = g.shape
    if cols is None or cols.shape[2] != oh * ow:
        cols = im2col(x, w_shape[2:], stride, padding, dilation, (oh, ow))
    g3 = cupy.ascontiguousarray(g).reshape(n, f, oh * ow)
    # Σ_n g[n] @ cols[n]ᵀ: a batched GEMM, then a sum over the small (N, F, C·kh·kw)
    return cupy.matmul(g3, cols.transpose(0, 2, 1)).sum(axis=0).reshape(w_shape)


def _pool_args(g):
    return (g.shape[2], g.shape[3], g.oh, g.ow, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw,
            g.dh, g.dw)


def max_pool2d(x, g):
    if not _fused(x):
        return generic.max_pool2d(x, g)
    out = cupy.empty(g.out_shape, x.dtype)
    idx = cupy.empty(g.out_shape, cupy.int32)
    _WINDOW_MAX(cupy.ascontiguousarray(x), *_pool_args(g), out, idx)
    return out, idx


def max_pool2d_scatter(grad, g, idx):
    if not _fused(grad):
        return generic.max_pool2d_scatter(grad, g, idx)
    dx = cupy.empty(g.shape, grad.dtype)
    _WINDOW_MAX_SCATTER(cupy.ascontiguousarray(grad),
                        cupy.ascontiguousarray(idx, dtype=cupy.int32), *_pool_args(g), dx)
    return dx


def max_pool2d_gather(h, g, idx):
    if not _fused(h):
        return generic.max_pool2d_gather(h, g, idx)
    out = cupy.empty(g.out_shape, h.dtype)
    hh, ww, oh, ow, _, kw, sh, sw, ph, pw, dh, dw = _pool_args(g)
    _WINDOW_MAX_GATHER(cupy.ascontiguousarray(h), idx.astype(cupy.int32, copy=False),
                       hh, ww, oh, ow, kw, sh, sw, ph, pw, dh, dw, out)
    return out


def relu(x):
    return _RELU(x) if _fused(x) else generic.relu(x)


def positive_mask(g, ref):
    return _POSITIVE_MASK(g, ref) if _fused(g) else generic.positive_mask(g, ref)


# ---------------------------------------------------------------------- optimizer updates
# One launch per parameter instead of ~12 small ones: the formulas are the optimizers'
# (optim/adam.py, optim/sgd.py), line for line.
_ADAM = cupy.ElementwiseKernel(
    "T g, T l2, T decay, T one_minus_beta1, T beta2, T one_minus_beta2, T bc2_sqrt, T eps, "
    "T step_size",
    "T w, T m, T v",
    """
    const T grad = g + l2 * w;                      // g + λw (coupled L2; λ = 0 without)
    w *= decay;                                     // w (1 − lr·λ) (AdamW; 1 without)
    m += one_minus_beta1 * (grad - m);              // m = β1 m + (1 − β1) g
    v = beta2 * v + one_minus_beta2 * (grad * grad);  // v = β2 v + (1 − β2) g²
    w -= step_size * (m / (sqrt(v) / bc2_sqrt + eps));  // w − lr·m̂ / (√v̂ + eps)
    """,
    "tinygrad_jp_adam")

_SGD = cupy.ElementwiseKernel(
    "T g, T lr, T l2", "T w",
    "w -= lr * (g + l2 * w);",                      # w − lr (g + λw)
    "tinygrad_jp_sgd")

_SGD_MOMENTUM = cupy.ElementwiseKernel(
    "T g, T lr, T l2, T momentum, T keep, bool nesterov", "T w, T b",
    """
    const T grad = g + l2 * w;                      // g + λw
    b = momentum * b + keep * grad;                 // b = μ b + (1 − dampening) g
    w -= lr * (nesterov ? grad + momentum * b : b); // w − lr·(g + μ b | b)
    """,
    "tinygrad_jp_sgd_momentum")


def _same_dtype(*arrays):
    return _fused(arrays[0]) and all(a.dtype == arrays[0].dtype for a in arrays)


def adam_update(w, g, m, v, *, lr, betas, eps, t, l2, decay):
    """Adam's (or AdamW's) step ``t`` in place on ``w``, ``m``, ``v``; False (nothing
    done) where the arrays do not fit the kernel, so the caller runs its array code."""
    if not _same_dtype(w, g, m, v):
        return False
    beta1, beta2 = betas
    s = w.dtype.type
    _ADAM(g, s(l2), s(decay), s(1 - beta1), s(beta2), s(1 - beta2),
          s((1 - beta2 ** t) ** 0.5), s(eps), s(lr / (1 - beta1 ** t)), w, m, v)
    return True


def sgd_update(w, g, buf, *, lr, l2, momentum, dampening, nesterov):
    """SGD's step in place on ``w`` (and the momentum buffer ``buf``); False where the
    kernel does not apply (the first momentum step, which starts the buffer)."""
    if momentum == 0:
        if not _same_dtype(w, g):
            return False
        s = w.dtype.type
        _SGD(g, s(lr), s(l2), w)
        return True
    if buf is None or not _same_dtype(w, g, buf):
        return False
    s = w.dtype.type
    _SGD_MOMENTUM(g, s(lr), s(l2), s(momentum), s(1 - dampening), bool(nesterov), w, buf)
    return True


# ---------------------------------------------------------------------- cross-entropy
# One thread per row: the shifted log-sum-exp, the softmax and the loss of the row.
_CROSS_ENTROPY_ROWS = cupy.ElementwiseKernel(
    "raw T x, int64 t, int32 C, int64 ignore", "raw T prob, T loss, T valid, int64 safe",
    """
    const long long base = (long long)i * C;
    T top = x[base];
    for (int c = 1; c < C; ++c) top = x[base + c] > top ? x[base + c] : top;
    T total = 0;
    for (int c = 0; c < C; ++c) {
        const T e = exp(x[base + c] - top);          // shifted by the row maximum
        prob[base + c] = e;
        total += e;
    }
    for (int c = 0; c < C; ++c) prob[base + c] /= total;
    const bool counted = t != ignore;
    valid = counted ? (T)1 : (T)0;
    safe = counted ? t : 0;                          // an index that may be read
    loss = counted ? log(total) - (x[base + t] - top) : (T)0;   // −log p_target
    """,
    "tinygrad_jp_cross_entropy_rows")


def cross_entropy_rows(x, target, ignore_index):
    """For logits ``x`` (N, C) and class indices ``target`` (N,): the loss of each row
    (0 where the target is ``ignore_index``), the softmax (N, C), a 0/1 row mask of the
    counted rows and the targets with ignored ones replaced by 0. None where the kernel
    does not apply (the caller's array code runs)."""
    if not _fused(x) or x.ndim != 2 or target.dtype != cupy.int64:
        return None
    x = cupy.ascontiguousarray(x)
    n, c = x.shape
    prob = cupy.empty_like(x)
    loss = cupy.empty(n, x.dtype)
    valid = cupy.empty(n, x.dtype)
    safe = cupy.empty(n, cupy.int64)
    _CROSS_ENTROPY_ROWS(x, target, c, -2 ** 62 if ignore_index is None else ignore_index,
                        prob, loss, valid, safe)
    return loss, prob, valid, safe
