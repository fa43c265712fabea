"""``tinygrad_jp.nn.functional``: PyTorch's functional API (``import ... as F``).

Every function takes and returns Tensors, checks its arguments at the call (naming the
op and the offending shapes, dtypes or values), and is differentiable to any order
(``create_graph=True``). Convolution and pooling run on strided views with one GEMM
per layer (see ``tinygrad_jp/ops/conv.py`` for the im2col walk-through).

>>> import tinygrad_jp as tg
>>> import tinygrad_jp.nn.functional as F
>>> x = tg.randn(1, 1, 6, 6)
>>> F.conv2d(x, tg.randn(1, 1, 2, 2), stride=1, padding=1).shape
(1, 1, 7, 7)
"""
import numbers

import numpy as np

from .. import devices as _devices
from .. import functional as _core
from ..autograd import no_grad
from ..ops import adaptive_pool as _adaptive
from ..ops import antialias as _antialias
from ..ops import conv as _conv
from ..ops import conv_grouped as _grouped
from ..ops import cubic as _cubic
from ..ops import loss as _loss
from ..ops import nn_misc as _misc
from ..ops import norm as _norm
from ..ops import pool as _pool
from ..random import get_rng
from ..tensor import Tensor

__all__ = [
    "linear", "conv2d", "conv_transpose2d", "unfold", "fold",
    "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d",
    "batch_norm", "layer_norm", "group_norm", "instance_norm", "local_response_norm",
    "dropout", "relu", "leaky_relu", "sigmoid", "tanh", "gelu", "softmax", "log_softmax",
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "pad", "interpolate",
]  # and, at the end of this file, the functions of the modules imported there


# ---------------------------------------------------------------------- argument checks
def _tensor(x, op, name="input"):
    if isinstance(x, Tensor):
        return x
    if isinstance(x, np.ndarray):
        return Tensor(x)
    raise TypeError(f"{op}: {name} must be a Tensor, got {type(x).__name__}")


def _float_tensor(x, op, name="input"):
    x = _tensor(x, op, name)
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be a floating point tensor, got dtype "
                        f"{x.dtype} (convert it first, e.g. {name}.float())")
    return x


def _same_dtype(op, ref, *others):
    """Parameters must share the input's dtype (no silent float64 upcasts)."""
    for name, t in others:
        if t is not None and t.dtype != ref.dtype:
            raise TypeError(f"{op}: {name} has dtype {t.dtype} but the input has dtype "
                            f"{ref.dtype}; convert one of them (.float() / .double())")


def _ints(value, n, op, name):
    """An int or a sequence of n ints → tuple of n ints."""
    if isinstance(value, (numbers.Integral, np.integer)) and not isinstance(value, bool):
        return (int(value),) * n
    if isinstance(value, (tuple, list)) and len(value) == n and all(
            isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, bool)
            for v in value):
        return tuple(int(v) for v in value)
    raise TypeError(f"{op}: {name} must be an int or a tuple of {n} ints, got {value!r}")


def _positive(values, op, name):
    if any(v <= 0 for v in values):
        raise ValueError(f"{op}: {name} must be positive, got {values}")
    return values


def _non_negative(values, op, name):
    if any(v < 0 for v in values):
        raise ValueError(f"{op}: {name} must be non-negative, got {values}")
    return values


def _batched_4d(x, op):
    """Accept (N, C, H, W) or an unbatched (C, H, W) like PyTorch."""
    if x.ndim == 4:
        return x, False
    if x.ndim == 3:
        return x.unsqueeze(0), True
    raise RuntimeError(f"{op}: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
                       f"shape {x.shape}")


# ---------------------------------------------------------------------- linear / conv
def linear(input, weight, bias=None):
    """``input @ weight.T + bias`` with ``weight`` of shape (out_features, in_features)."""
    op = "linear"
    x = _float_tensor(input, op)
    w = _float_tensor(weight, op, "weight")
    b = None if bias is None else _float_tensor(bias, op, "bias")
    if w.ndim != 2:
        raise RuntimeError(f"{op}: weight must be 2-D (out_features, in_features), got "
                           f"shape {w.shape}")
    if x.ndim == 0 or x.shape[-1] != w.shape[1]:
        hint = ""
        if x.ndim > 2 and int(np.prod(x.shape[1:])) == w.shape[1]:
            hint = " (flatten the input first, e.g. x.flatten(1) or nn.Flatten())"
        raise RuntimeError(f"{op}: input of shape {x.shape} does not match weight "
                           f"{w.shape}: expected the last dimension to be {w.shape[1]}"
                           f"{hint}")
    if b is not None and b.shape != (w.shape[0],):
        raise RuntimeError(f"{op}: bias must have shape ({w.shape[0]},), got {b.shape}")
    _same_dtype(op, x, ("weight", w), ("bias", b))
    if b is None:
        return _misc.Linear.apply(x, w)
    return _misc.Linear.apply(x, w, b)


def _groups(groups, op):
    if isinstance(groups, bool) or not isinstance(groups, (numbers.Integral, np.integer)):
        raise TypeError(f"{op}: groups must be an int, got {groups!r}")
    if groups <= 0:
        raise ValueError(f"{op}: groups must be positive, got {groups}")
    return int(groups)


def _conv_args(op, x, w, b, stride, padding, dilation, groups, transposed=False):
    """Validated (stride, padding, dilation, groups, extra): ``extra`` is the one more
    row / column of zeros that padding='same' puts at the bottom / right when the
    dilated kernel's total padding is odd (PyTorch's rule)."""
    groups = _groups(groups, op)
    if w.ndim != 4:
        raise RuntimeError(f"{op}: weight must be 4-D, got shape {w.shape}")
    stride = _positive(_ints(stride, 2, op, "stride"), op, "stride")
    dilation = _positive(_ints(dilation, 2, op, "dilation"), op, "dilation")
    kh, kw = w.shape[2:]
    extra = (0, 0)
    if isinstance(padding, str):
        if padding == "valid":
            padding = (0, 0)
        elif padding == "same" and not transposed:
            if stride != (1, 1):
                raise ValueError(f"{op}: padding='same' is not supported for strided "
                                 f"convolutions (stride {stride})")
            totals = (dilation[0] * (kh - 1), dilation[1] * (kw - 1))
            padding = (totals[0] // 2, totals[1] // 2)
            extra = (totals[0] % 2, totals[1] % 2)
        else:
            raise ValueError(f"{op}: padding must be an int, a tuple, 'valid' or 'same', "
                             f"got {padding!r}")
    padding = _non_negative(_ints(padding, 2, op, "padding"), op, "padding")
    with_groups = f" with groups={groups}" if groups != 1 else ""
    if transposed:
        # weight (in_channels, out_channels / groups, kh, kw)
        if w.shape[0] % groups:
            raise RuntimeError(f"{op}: weight of shape {tuple(w.shape)} has {w.shape[0]} "
                               f"input channels, which is not divisible by groups={groups}")
        channels, out_ch = w.shape[0], w.shape[1] * groups
    else:
        # weight (out_channels, in_channels / groups, kh, kw)
        if w.shape[0] % groups:
            raise RuntimeError(f"{op}: weight of shape {tuple(w.shape)} has {w.shape[0]} "
                               f"output channels, which is not divisible by "
                               f"groups={groups}")
        channels, out_ch = w.shape[1] * groups, w.shape[0]
    if x.shape[1] != channels:
        raise RuntimeError(f"{op}: expected input with {channels} channels (weight "
                           f"{tuple(w.shape)}{with_groups}), got input of shape "
                           f"{tuple(x.shape)}")
    if b is not None and b.shape != (out_ch,):
        raise RuntimeError(f"{op}: bias must have shape ({out_ch},), got {b.shape}")
    _same_dtype(op, x, ("weight", w), ("bias", b))
    return stride, padding, dilation, groups, extra


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution (cross-correlation) as in PyTorch.

    ``input`` (N, C, H, W), ``weight`` (F, C / groups, kh, kw), ``bias`` (F,); output
    (N, F, OH, OW) with ``OH = (H + 2·padding − dilation·(kh − 1) − 1) // stride + 1``.
    Computed by im2col on a strided view and one GEMM; the result is stored
    channels-last in memory (a transposed view), which the next layers read directly.

    ``groups = G`` splits the channels into G independent convolutions (output
    channels ``g·F/G …`` see input channels ``g·C/G …``); ``groups = C`` is depthwise
    convolution (see ``tinygrad_jp/ops/conv_grouped.py``). ``padding='same'`` keeps
    the size; when the dilated kernel needs an odd total padding, the extra row and
    column go at the bottom and right, as in PyTorch.
    """
    op = "conv2d"
    x = _float_tensor(input, op)
    w = _float_tensor(weight, op, "weight")
    b = None if bias is None else _float_tensor(bias, op, "bias")
    x, unbatched = _batched_4d(x, op)
    stride, padding, dilation, groups, extra = _conv_args(op, x, w, b, stride, padding,
                                                          dilation, groups)
    if extra != (0, 0):
        # padding='same' with an even (dilated) kernel: PyTorch puts the odd row /
        # column of zeros at the bottom / right
        x = pad(x, (0, extra[1], 0, extra[0]))
    kh, kw = w.shape[2:]
    hp, wp = x.shape[2] + 2 * padding[0], x.shape[3] + 2 * padding[1]
    eh, ew = dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1
    if eh > hp or ew > wp:
        raise RuntimeError(f"{op}: kernel size ({kh}, {kw}) (dilated ({eh}, {ew})) is "
                           f"larger than the padded input ({hp}, {wp}) (input "
                           f"{tuple(x.shape)}, padding {padding})")
    args = (x, w) if b is None else (x, w, b)
    if groups == 1:
        out = _conv.Conv2d.apply(*args, stride=stride, padding=padding, dilation=dilation)
    else:
        out = _grouped.GroupedConv2d.apply(*args, stride=stride, padding=padding,
                                           dilation=dilation, groups=groups)
    return out.squeeze(0) if unbatched else out


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """Transposed convolution (the gradient of conv2d w.r.t. its input), as in PyTorch.

    ``weight`` is (in_channels, out_channels / groups, kh, kw); the output size is
    ``(H − 1)·stride − 2·padding + dilation·(kh − 1) + output_padding + 1``.
    With ``groups = G`` it is the transpose of a grouped conv2d.
    """
    op = "conv_transpose2d"
    x = _float_tensor(input, op)
    w = _float_tensor(weight, op, "weight")
    b = None if bias is None else _float_tensor(bias, op, "bias")
    x, unbatched = _batched_4d(x, op)
    stride, padding, dilation, groups, _ = _conv_args(op, x, w, b, stride, padding,
                                                      dilation, groups, transposed=True)
    output_padding = _non_negative(_ints(output_padding, 2, op, "output_padding"), op,
                                   "output_padding")
    for o, s, d in zip(output_padding, stride, dilation, strict=True):
        if o >= s and o >= d:
            raise ValueError(f"{op}: output_padding {output_padding} must be smaller than "
                             f"either stride {stride} or dilation {dilation}")
    kh, kw = w.shape[2:]
    n, _, h, wd = x.shape
    oh = (h - 1) * stride[0] - 2 * padding[0] + dilation[0] * (kh - 1) + output_padding[0] + 1
    ow = (wd - 1) * stride[1] - 2 * padding[1] + dilation[1] * (kw - 1) + output_padding[1] + 1
    if oh <= 0 or ow <= 0:
        raise RuntimeError(f"{op}: the output size ({oh}, {ow}) is not positive (input "
                           f"{tuple(x.shape)}, kernel ({kh}, {kw}), padding {padding})")
    x_shape = (n, w.shape[1] * groups, oh, ow)
    params = (stride, padding, dilation)
    if groups == 1:
        out = _conv.ConvInputGrad.apply(x, w, x_shape=x_shape, params=params)
    else:
        out = _grouped.GroupedConvInputGrad.apply(x, w, x_shape=x_shape, params=params,
                                                  groups=groups)
    if b is not None:
        out = out + b.reshape(1, -1, 1, 1)
    return out.squeeze(0) if unbatched else out


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: (N, C, H, W) → (N, C·kh·kw, L), L the number of windows (PyTorch's order)."""
    op = "unfold"
    x = _float_tensor(input, op)
    if x.ndim != 4:
        raise RuntimeError(f"{op}: expected a 4-D (N, C, H, W) input, got shape {x.shape}")
    kernel = _positive(_ints(kernel_size, 2, op, "kernel_size"), op, "kernel_size")
    dilation = _positive(_ints(dilation, 2, op, "dilation"), op, "dilation")
    padding = _non_negative(_ints(padding, 2, op, "padding"), op, "padding")
    stride = _positive(_ints(stride, 2, op, "stride"), op, "stride")
    for k, d, p, s in zip(kernel, dilation, padding, x.shape[2:], strict=True):
        if d * (k - 1) + 1 > s + 2 * p:
            raise RuntimeError(f"{op}: kernel size {kernel} is larger than the padded input "
                               f"({x.shape[2] + 2 * padding[0]}, {x.shape[3] + 2 * padding[1]})")
    return _conv.Unfold.apply(x, kernel=kernel, dilation=dilation, padding=padding,
                              stride=stride)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im: (N, C·kh·kw, L) → (N, C, H, W), summing overlapping windows."""
    op = "fold"
    x = _float_tensor(input, op)
    out_hw = _positive(_ints(output_size, 2, op, "output_size"), op, "output_size")
    kernel = _positive(_ints(kernel_size, 2, op, "kernel_size"), op, "kernel_size")
    dilation = _positive(_ints(dilation, 2, op, "dilation"), op, "dilation")
    padding = _non_negative(_ints(padding, 2, op, "padding"), op, "padding")
    stride = _positive(_ints(stride, 2, op, "stride"), op, "stride")
    if x.ndim != 3:
        raise RuntimeError(f"{op}: expected a 3-D (N, C·kh·kw, L) input, got {x.shape}")
    kk = kernel[0] * kernel[1]
    blocks = [_conv.out_size(s, k, st, p, d) for s, k, st, p, d in
              zip(out_hw, kernel, stride, padding, dilation, strict=True)]
    if x.shape[1] % kk or x.shape[2] != blocks[0] * blocks[1] or min(blocks) <= 0:
        raise RuntimeError(f"{op}: input of shape {x.shape} does not fit output_size "
                           f"{out_hw} with kernel {kernel}: expected (N, C·{kk}, "
                           f"{blocks[0] * blocks[1]})")
    return _conv.Fold.apply(x, output_size=out_hw, kernel=kernel, dilation=dilation,
                            padding=padding, stride=stride)


# ---------------------------------------------------------------------- pooling
def _pool_geometry(op, x, kernel_size, stride, padding, dilation, ceil_mode):
    kernel = _positive(_ints(kernel_size, 2, op, "kernel_size"), op, "kernel_size")
    stride = kernel if stride is None or (isinstance(stride, (list, tuple)) and
                                          len(stride) == 0) else stride
    stride = _positive(_ints(stride, 2, op, "stride"), op, "stride")
    padding = _non_negative(_ints(padding, 2, op, "padding"), op, "padding")
    dilation = _positive(_ints(dilation, 2, op, "dilation"), op, "dilation")
    for p, k, d in zip(padding, kernel, dilation, strict=True):
        if p > (d * (k - 1) + 1) // 2:
            raise ValueError(f"{op}: padding {padding} should be at most half of the "
                             f"kernel size {kernel}")
    geo = _pool.make_geometry(x.shape, kernel, stride, padding, dilation, ceil_mode)
    if geo.oh <= 0 or geo.ow <= 0:
        raise RuntimeError(f"{op}: kernel size {kernel} is larger than the padded input "
                           f"({x.shape[2] + 2 * padding[0]}, {x.shape[3] + 2 * padding[1]}) "
                           f"(input {tuple(x.shape)})")
    return geo


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over kh×kw windows (stride defaults to the kernel size; padding is −∞).

    On ties the gradient goes to the first maximal element of the window (row-major),
    exactly one element, as in PyTorch. ``return_indices=True`` also returns the
    flat index of each maximum in its input plane.
    """
    op = "max_pool2d"
    x = _float_tensor(input, op)
    x, unbatched = _batched_4d(x, op)
    geo = _pool_geometry(op, x, kernel_size, stride, padding, dilation, ceil_mode)
    out = _pool.MaxPool2d.apply(x, geometry=geo)
    if return_indices:
        _, idx = _pool.max_pool_forward(x.data, geo, need_index=True)
        indices = Tensor._wrap(_pool.flat_indices(idx, geo))
        if unbatched:
            return out.squeeze(0), indices.squeeze(0)
        return out, indices
    return out.squeeze(0) if unbatched else out


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over kh×kw windows; zero padding counts in the divisor when
    ``count_include_pad`` (PyTorch's default)."""
    op = "avg_pool2d"
    x = _float_tensor(input, op)
    x, unbatched = _batched_4d(x, op)
    geo = _pool_geometry(op, x, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and divisor_override <= 0:
        raise ValueError(f"{op}: divisor_override must be positive, got {divisor_override}")
    divisor = _pool._avg_divisor(geo, count_include_pad, divisor_override, x.dtype)
    out = _pool.AvgPool2d.apply(x, geometry=geo, divisor=divisor)
    return out.squeeze(0) if unbatched else out


def _adaptive_matrix(in_size, out_size, dtype):
    """(out, in) averaging matrix of PyTorch's adaptive bins [⌊i·in/out⌋, ⌈(i+1)·in/out⌉)."""
    m = np.zeros((out_size, in_size), dtype)
    for i in range(out_size):  # one row per output cell: a tiny constant matrix
        start = (i * in_size) // out_size
        end = -((-(i + 1) * in_size) // out_size)
        m[i, start:end] = 1.0 / (end - start)
    return m


def _adaptive_size(op, x, output_size):
    """(OH, OW) from an int or a pair in which None keeps that input size."""
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != 2:
            raise TypeError(f"{op}: output_size must be an int or a pair, got {output_size}")
        sizes = tuple(x.shape[2 + i] if s is None else s for i, s in enumerate(output_size))
    else:
        sizes = (output_size, output_size)
    return _positive(_ints(sizes, 2, op, "output_size"), op, "output_size")


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size (None keeps that input size)."""
    op = "adaptive_avg_pool2d"
    x = _float_tensor(input, op)
    x, unbatched = _batched_4d(x, op)
    oh, ow = _adaptive_size(op, x, output_size)
    h, w = x.shape[2:]
    if (oh, ow) == (1, 1):
        out = x.mean(dim=(2, 3), keepdim=True)
    elif h % oh == 0 and w % ow == 0:
        out = avg_pool2d(x, (h // oh, w // ow))
    else:
        # adaptive averaging is separable: A_h · x · A_wᵀ with constant matrices
        # the averaging matrices are made on the host, and used where x lives
        ah = Tensor._wrap(_devices.to_device(_adaptive_matrix(h, oh, x.dtype), x.device))
        awt = Tensor._wrap(_devices.to_device(_adaptive_matrix(w, ow, x.dtype).T.copy(),
                                              x.device))
        out = (ah @ x) @ awt
    return out.squeeze(0) if unbatched else out


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size (an int or a pair; None keeps that input size).

    Output cell i of an axis covers PyTorch's bin [⌊i·in/out⌋, ⌈(i+1)·in/out⌉) (bins
    may overlap when the size does not divide). On ties the gradient goes to the first
    maximum of the bin in row-major order, as in PyTorch. ``return_indices=True`` also
    returns the flat index (row·W + column, int64) of each maximum in its input plane.
    """
    op = "adaptive_max_pool2d"
    x = _float_tensor(input, op)
    x, unbatched = _batched_4d(x, op)
    if min(x.shape[2:]) <= 0:
        raise RuntimeError(f"{op}: expected an input with non-empty spatial dims, got "
                           f"shape {tuple(x.shape)}")
    sizes = _adaptive_size(op, x, output_size)
    out = _adaptive.AdaptiveMaxPool2d.apply(x, output_size=sizes)
    if return_indices:
        node = out.grad_fn
        if isinstance(node, _adaptive.AdaptiveMaxPool2d):
            index = node.index          # the recorded node already holds the winners
        else:
            index = _adaptive.adaptive_max_pool(x.data, sizes)[1]
        indices = Tensor._wrap(index)
        if unbatched:
            return out.squeeze(0), indices.squeeze(0)
        return out, indices
    return out.squeeze(0) if unbatched else out


# ---------------------------------------------------------------------- normalisation
def _channel_param(t, c, nd, op, name, ref):
    if t is None:
        return None
    t = _float_tensor(t, op, name)
    if t.shape != (c,):
        raise RuntimeError(f"{op}: {name} must have shape ({c},) for an input with {c} "
                           f"channels, got {t.shape}")
    _same_dtype(op, ref, (name, t))
    return t.reshape((1, c) + (1,) * (nd - 2))


def _affine(xhat, weight, bias):
    out = xhat
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def _update_running(running, value, momentum):
    """running ← (1 − momentum)·running + momentum·value, in place, outside the graph."""
    with no_grad():
        data = running.data
        data *= 1.0 - momentum
        data += (momentum * value).astype(data.dtype, copy=False)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalisation over (N, C) or (N, C, H, W) (or any (N, C, ...)).

    training=True: normalise with the batch mean and biased variance, and update
    ``running_mean`` / ``running_var`` in place (if given) with the batch mean and the
    *unbiased* variance, by ``momentum``. training=False: use the running statistics.
    """
    op = "batch_norm"
    x = _float_tensor(input, op)
    if x.ndim < 2:
        raise RuntimeError(f"{op}: expected an input of at least 2 dims (N, C, ...), got "
                           f"shape {x.shape}")
    c, nd = x.shape[1], x.ndim
    w = _channel_param(weight, c, nd, op, "weight", x)
    b = _channel_param(bias, c, nd, op, "bias", x)
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and (not isinstance(t, Tensor) or t.shape != (c,)):
            raise RuntimeError(f"{op}: {name} must be a Tensor of shape ({c},), got "
                               f"{getattr(t, 'shape', type(t).__name__)}")
    axes = (0,) + tuple(range(2, nd))
    count = x.data.size // c
    if training:
        if count <= 1:
            raise ValueError(f"{op}: expected more than 1 value per channel when training, "
                             f"got input of shape {x.shape}")
        stats = _norm.moments(x.data, axes)
        mean, var = stats[0].reshape(c), stats[1].reshape(c)
        xhat = _norm.Normalize.apply(x, axes=axes, eps=eps, stats=stats)
        if running_mean is not None:
            _update_running(running_mean, mean, momentum)
        if running_var is not None:
            _update_running(running_var, var * (count / (count - 1)), momentum)
        return _affine(xhat, w, b)
    if running_mean is None or running_var is None:
        raise ValueError(f"{op}: running_mean and running_var must be given when "
                         "training=False")
    shape = (1, c) + (1,) * (nd - 2)
    inv = 1.0 / np.sqrt(running_var.data.astype(x.dtype) + x.dtype.type(eps))
    mean = running_mean.data.astype(x.dtype).reshape(shape)
    scale = Tensor._wrap(inv.reshape(shape))
    if w is not None:
        scale = scale * w
    out = (x - Tensor._wrap(mean)) * scale
    return out if b is None else out + b


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last ``len(normalized_shape)`` dims, then scale and shift."""
    op = "layer_norm"
    x = _float_tensor(input, op)
    if isinstance(normalized_shape, (numbers.Integral, np.integer)):
        normalized_shape = (int(normalized_shape),)
    normalized_shape = tuple(int(s) for s in normalized_shape)
    k = len(normalized_shape)
    if k == 0 or x.ndim < k or tuple(x.shape[-k:]) != normalized_shape:
        raise RuntimeError(f"{op}: normalized_shape {normalized_shape} does not match the "
                           f"last dims of the input of shape {x.shape}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != normalized_shape:
            raise RuntimeError(f"{op}: {name} must have shape {normalized_shape}, got "
                               f"{t.shape}")
    w = None if weight is None else _float_tensor(weight, op, "weight")
    b = None if bias is None else _float_tensor(bias, op, "bias")
    _same_dtype(op, x, ("weight", w), ("bias", b))
    xhat = _norm.Normalize.apply(x, axes=tuple(range(x.ndim - k, x.ndim)), eps=eps)
    return _affine(xhat, w, b)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalise each sample over groups of ``C / num_groups`` channels (and all
    spatial positions), then a per-channel scale and shift."""
    op = "group_norm"
    x = _float_tensor(input, op)
    if x.ndim < 2:
        raise RuntimeError(f"{op}: expected an input of at least 2 dims, got {x.shape}")
    n, c = x.shape[:2]
    if not isinstance(num_groups, (numbers.Integral, np.integer)) or num_groups <= 0 \
            or c % num_groups:
        raise ValueError(f"{op}: num_groups ({num_groups}) must be a positive divisor of "
                         f"the number of channels ({c})")
    w = _channel_param(weight, c, x.ndim, op, "weight", x)
    b = _channel_param(bias, c, x.ndim, op, "bias", x)
    grouped = x.reshape(n, int(num_groups), -1)
    xhat = _norm.Normalize.apply(grouped, axes=(2,), eps=eps).reshape(x.shape)
    return _affine(xhat, w, b)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalise each (sample, channel) plane over its spatial positions.

    With running statistics given and ``use_input_stats``, they are updated with the
    batch average of the per-instance mean and unbiased variance, as in PyTorch.
    """
    op = "instance_norm"
    x = _float_tensor(input, op)
    if x.ndim < 3:
        raise RuntimeError(f"{op}: expected an input of at least 3 dims (N, C, ...), got "
                           f"shape {x.shape}")
    c, nd = x.shape[1], x.ndim
    w = _channel_param(weight, c, nd, op, "weight", x)
    b = _channel_param(bias, c, nd, op, "bias", x)
    axes = tuple(range(2, nd))
    if not use_input_stats:
        return batch_norm(x, running_mean, running_var, weight, bias, False, momentum, eps)
    count = int(np.prod(x.shape[2:]))
    if count <= 1:
        raise ValueError(f"{op}: expected more than 1 spatial element per channel, got "
                         f"input of shape {x.shape}")
    stats = _norm.moments(x.data, axes)
    xhat = _norm.Normalize.apply(x, axes=axes, eps=eps, stats=stats)
    if running_mean is not None or running_var is not None:
        mean, var = stats[0], stats[1]
        if running_mean is not None:
            _update_running(running_mean, mean.reshape(x.shape[:2]).mean(0), momentum)
        if running_var is not None:
            unbiased = var.reshape(x.shape[:2]) * (count / (count - 1))
            _update_running(running_var, unbiased.mean(0), momentum)
    return _affine(xhat, w, b)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """AlexNet's LRN: x / (k + alpha/size · Σ_{nearby channels} x²)^beta, with the sum
    over ``size`` channels centred on each channel (zero beyond the edges)."""
    op = "local_response_norm"
    x = _float_tensor(input, op)
    if x.ndim < 3:
        raise RuntimeError(f"{op}: expected an input of at least 3 dims (N, C, ...), got "
                           f"shape {x.shape}")
    if not isinstance(size, (numbers.Integral, np.integer)) or size <= 0:
        raise ValueError(f"{op}: size must be a positive int, got {size!r}")
    c = x.shape[1]
    sq = x * x
    pads = [(0, 0)] * x.ndim
    pads[1] = (size // 2, (size - 1) // 2)
    padded = _misc.ConstantPad.apply(sq, pads=tuple(pads), value=0.0)
    total = None
    for i in range(size):  # one slice per channel offset of the window
        part = padded[:, i:i + c]
        total = part if total is None else total + part
    div = (total * (alpha / size) + k) ** beta
    return x / div


# ---------------------------------------------------------------------- activations
def relu(input, inplace=False):
    """max(x, 0); the gradient at 0 is 0. One pass, no mask kept: the same values as the
    core ``Tensor.relu``, tuned for the large activations of CNNs."""
    x = _tensor(input, "relu")
    if x.dtype.kind != "f":
        return _core.relu(x)
    return _misc.Relu.apply(x)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x for x > 0, ``negative_slope``·x otherwise."""
    x = _float_tensor(input, "leaky_relu")
    return _misc.LeakyRelu.apply(x, slope=float(negative_slope))


def sigmoid(input):
    """1 / (1 + e^(−x)), stable for large |x| (delegates to the core op)."""
    return _core.sigmoid(input)


def tanh(input):
    """tanh(x) (delegates to the core op)."""
    return _core.tanh(input)


def gelu(input, approximate="none"):
    """x·Φ(x) with Φ the standard normal CDF, or its tanh approximation."""
    x = _float_tensor(input, "gelu")
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _misc.Gelu.apply(x, approximate=approximate)


def softmax(input, dim=None, dtype=None):
    """exp(x) / Σ exp(x) along ``dim`` (stable; delegates to the core op)."""
    x = _tensor(input, "softmax")
    if dtype is not None:
        x = x.to(dtype)
    return x.softmax(-1 if dim is None else dim)


def log_softmax(input, dim=None, dtype=None):
    """x − logsumexp(x) along ``dim`` (stable; delegates to the core op)."""
    x = _tensor(input, "log_softmax")
    if dtype is not None:
        x = x.to(dtype)
    return x.log_softmax(-1 if dim is None else dim)


def dropout(input, p=0.5, training=True, inplace=False):
    """Inverted dropout: zero each element with probability ``p`` and scale the rest by
    1/(1−p), so evaluation needs no rescaling. The identity when not training or p=0;
    p=1 gives zeros. The mask comes from ``tinygrad_jp.random.get_rng()`` on the CPU,
    and from the GPU's own generator (seeded by ``tg.manual_seed`` too) on CUDA."""
    x = _float_tensor(input, "dropout")
    if not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0.0
    if x.is_cuda:     # drawn where it is used: no mask crosses the bus every step
        keep = _devices.array_module(x.data).random.random(x.shape, dtype=np.float32) >= p
    else:
        keep = get_rng().random(x.shape, dtype=np.float32) >= p
    mask = np.multiply(keep, x.dtype.type(1.0 / (1.0 - p)), dtype=x.dtype)
    return x * Tensor._wrap(mask)


# ---------------------------------------------------------------------- losses
_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(op, reduction, size_average=None, reduce=None):
    if size_average is not None or reduce is not None:
        raise TypeError(f"{op}: size_average and reduce are deprecated; use reduction=")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'none', 'mean' or 'sum', got "
                         f"{reduction!r}")


class TargetError(IndexError, ValueError):
    """A class index outside [0, C) (an IndexError as in PyTorch, and a ValueError)."""


def _class_weight(weight, c, op, ref):
    if weight is None:
        return None
    weight = _float_tensor(weight, op, "weight")
    if weight.shape != (c,):
        raise RuntimeError(f"{op}: weight must have shape ({c},) (one per class), got "
                           f"{weight.shape}")
    return weight


def _check_index_target(op, x, target, ignore_index):
    """Validate integer class targets against logits / log-probabilities ``x``."""
    t = target.data
    if x.ndim < 1:
        raise RuntimeError(f"{op}: input must have a class dimension, got shape {x.shape}")
    if x.ndim == 1:
        expected = ()
        c = x.shape[0]
    else:
        c = x.shape[1]
        expected = (x.shape[0],) + x.shape[2:]
    if t.shape != expected:
        if x.ndim >= 2 and t.ndim >= 1 and t.shape[0] != x.shape[0]:
            raise RuntimeError(f"{op}: expected input batch_size ({x.shape[0]}) to match "
                               f"target batch_size ({t.shape[0]}) (input {x.shape}, target "
                               f"{t.shape})")
        raise RuntimeError(f"{op}: target of shape {t.shape} does not fit input of shape "
                           f"{x.shape}: expected class indices of shape {expected}")
    bad = (t < 0) | (t >= c)
    if ignore_index is not None:
        bad &= t != ignore_index
    if bad.any():
        value = int(t[bad].flat[0])
        raise TargetError(f"{op}: target {value} is out of bounds: class indices must be in "
                          f"[0, {c}) for an input with C={c} classes")
    return c


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy of logits ``input`` (N, C) or (N, C, d1, ...).

    ``target`` is either class indices (int64, shape (N,) or (N, d1, ...)) — computed
    by one fused, stable log-softmax op — or class probabilities / one-hot floats of
    the input's shape. ``weight`` rescales classes, ``ignore_index`` skips targets,
    ``label_smoothing`` mixes the target with the uniform distribution.
    """
    op = "cross_entropy"
    if size_average is not None or reduce is not None:
        raise TypeError(f"{op}: size_average and reduce are deprecated; use reduction=")
    x = _float_tensor(input, op)
    target = _tensor(target, op, "target")
    _check_reduction(op, reduction)
    if not isinstance(label_smoothing, numbers.Real) or not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
    if x.ndim == 0:
        raise RuntimeError(f"{op}: input must have a class dimension, got a 0-d tensor")
    unbatched = x.ndim == 1
    if unbatched:
        x = x.unsqueeze(0)
    c = x.shape[1]
    w = _class_weight(weight, c, op, x)
    if w is not None and w.dtype != x.dtype:
        w = w.to(x.dtype)
    if target.dtype.kind == "f":
        t_shape = target.shape if not unbatched else (1,) + target.shape
        if tuple(t_shape) != tuple(x.shape):
            raise TypeError(
                f"{op}: target has dtype {target.dtype} and shape {target.shape}, but class "
                f"indices must be integers: use target.long(), or pass class probabilities "
                f"of the input's shape {tuple(input.shape)}")
        t = target if not unbatched else target.unsqueeze(0)
        if t.dtype != x.dtype:
            t = t.to(x.dtype)
        loss = _loss.cross_entropy_probabilities(x, t, w, reduction, float(label_smoothing))
        return loss.squeeze(0) if unbatched and reduction == "none" else loss
    if target.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold class indices (int64) or probabilities "
                        f"(float), got dtype {target.dtype}")
    t = target if not unbatched else target.reshape(1)
    _check_index_target(op, x, t, ignore_index)
    tdata = t.data if t.data.dtype == np.int64 else t.data.astype(np.int64)
    loss = _loss.CrossEntropyIndex.apply(x, target=tdata,
                                         weight=None if w is None else w.data,
                                         ignore_index=ignore_index, reduction=reduction,
                                         smoothing=float(label_smoothing))
    return loss.squeeze(0) if unbatched and reduction == "none" else loss


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of log-probabilities ``input`` (N, C) or (N, C, d1, ...)
    at integer class ``target``; mean weighted by the targets' class weights."""
    op = "nll_loss"
    if size_average is not None or reduce is not None:
        raise TypeError(f"{op}: size_average and reduce are deprecated; use reduction=")
    x = _float_tensor(input, op)
    target = _tensor(target, op, "target")
    _check_reduction(op, reduction)
    if target.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold class indices (int64), got dtype "
                        f"{target.dtype} (use target.long())")
    unbatched = x.ndim == 1
    if unbatched:
        x, target = x.unsqueeze(0), target.reshape(1)
    c = _check_index_target(op, x, target, ignore_index)
    w = _class_weight(weight, c, op, x)
    loss = _loss.nll_loss(x, target.data.astype(np.int64, copy=False), w, ignore_index,
                          reduction)
    return loss.squeeze(0) if unbatched and reduction == "none" else loss


def _pair_shapes(op, x, t):
    if tuple(x.shape) != tuple(t.shape):
        raise RuntimeError(f"{op}: input of shape {x.shape} and target of shape {t.shape} "
                           "differ; PyTorch would broadcast them (usually a bug), "
                           "tinygrad_jp refuses: reshape one, e.g. target.view_as(input)")


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Mean squared error. Unlike PyTorch (which broadcasts with a warning), shapes
    must match exactly: a (N, 1) vs (N,) mix-up raises instead of silently giving an
    (N, N) loss."""
    op = "mse_loss"
    x = _float_tensor(input, op)
    t = _tensor(target, op, "target")
    _check_reduction(op, reduction, size_average, reduce)
    _pair_shapes(op, x, t)
    d = x - t
    return _loss.reduce_loss(d * d, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Mean absolute error (shapes must match exactly, see :func:`mse_loss`)."""
    op = "l1_loss"
    x = _float_tensor(input, op)
    t = _tensor(target, op, "target")
    _check_reduction(op, reduction, size_average, reduce)
    _pair_shapes(op, x, t)
    return _loss.reduce_loss((x - t).abs(), reduction)


def _bce_common(op, x, t, weight, reduction, size_average=None, reduce=None):
    _check_reduction(op, reduction, size_average, reduce)
    if tuple(x.shape) != tuple(t.shape):
        raise ValueError(f"{op}: target size {t.shape} must be the same as input size "
                         f"{x.shape}")
    if t.dtype != x.dtype:
        t = t.to(x.dtype)
    w = None
    if weight is not None:
        w = _float_tensor(weight, op, "weight")
        try:
            np.broadcast_shapes(w.shape, x.shape)
        except ValueError:
            raise RuntimeError(f"{op}: weight of shape {w.shape} does not broadcast to the "
                               f"input's shape {x.shape}") from None
    return t, w


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """−w·(t·log x + (1 − t)·log(1 − x)) for probabilities x in [0, 1]; each log is
    clamped to ≥ −100, as in PyTorch, so x = 0 or 1 gives a finite loss."""
    op = "binary_cross_entropy"
    x = _float_tensor(input, op)
    t = _float_tensor(target, op, "target")
    t, w = _bce_common(op, x, t, weight, reduction, size_average, reduce)
    if x.data.size and (np.nanmin(x.data) < 0 or np.nanmax(x.data) > 1):
        raise ValueError(f"{op}: all elements of input should be between 0 and 1 (got "
                         f"min {x.data.min():.4g}, max {x.data.max():.4g}); use "
                         "binary_cross_entropy_with_logits for raw scores")
    loss = _loss.BinaryCrossEntropy.apply(x, t)
    if w is not None:
        loss = loss * w
    return _loss.reduce_loss(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction="mean", pos_weight=None):
    """Sigmoid + binary cross-entropy in one stable op (finite for logits of ±1e4).
    ``pos_weight`` (broadcast along the last dim) weights the positive term."""
    op = "binary_cross_entropy_with_logits"
    x = _float_tensor(input, op)
    t = _float_tensor(target, op, "target")
    t, w = _bce_common(op, x, t, weight, reduction, size_average, reduce)
    if pos_weight is not None:
        pw = _float_tensor(pos_weight, op, "pos_weight")
        try:
            np.broadcast_shapes(pw.shape, x.shape)
        except ValueError:
            raise RuntimeError(f"{op}: pos_weight of shape {pw.shape} does not broadcast to "
                               f"the input's shape {x.shape}") from None
        if pw.dtype != x.dtype:
            pw = pw.to(x.dtype)
        loss = _loss.BinaryCrossEntropyWithLogits.apply(x, t, pw)
    else:
        loss = _loss.BinaryCrossEntropyWithLogits.apply(x, t)
    if w is not None:
        loss = loss * w
    return _loss.reduce_loss(loss, reduction)


# ---------------------------------------------------------------------- pad / resize
def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` dims; ``pad`` lists (left, right) for the last
    dim first, then the one before, as in PyTorch: ``F.pad(x, (1, 1, 2, 0))`` pads W by
    1 on each side and H by 2 on top. Modes: 'constant' (negative pads crop),
    'reflect', 'replicate', 'circular'."""
    op = "pad"
    x = _tensor(input, op)
    if not isinstance(pad, (tuple, list)) or len(pad) % 2 or not all(
            isinstance(p, (numbers.Integral, np.integer)) for p in pad):
        raise TypeError(f"{op}: pad must be a tuple of an even number of ints, got {pad!r}")
    k = len(pad) // 2
    if k > x.ndim:
        raise RuntimeError(f"{op}: pad {tuple(pad)} has {k} dims of padding but the input "
                           f"has only {x.ndim} dims (shape {x.shape})")
    pairs = [(0, 0)] * x.ndim
    for i in range(k):
        pairs[x.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    if mode == "constant":
        fill = 0.0 if value is None else value
        crop = tuple(slice(-a if a < 0 else None, (s + b) if b < 0 else None)
                     for s, (a, b) in zip(x.shape, pairs, strict=True))
        if any(a < 0 or b < 0 for a, b in pairs):
            x = x[crop]
            pairs = [(max(a, 0), max(b, 0)) for a, b in pairs]
            if any(s <= 0 for s in x.shape):
                raise RuntimeError(f"{op}: negative padding {tuple(pad)} leaves nothing of "
                                   f"the input")
        if all(a == 0 and b == 0 for a, b in pairs):
            return x
        return _misc.ConstantPad.apply(x, pads=tuple(pairs), value=fill)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(f"{op}: mode must be 'constant', 'reflect', 'replicate' or "
                         f"'circular', got {mode!r}")
    if value not in (None, 0, 0.0):
        raise ValueError(f"{op}: value is only used with mode='constant'")
    out = x
    for d, (a, b) in enumerate(pairs):
        if a == 0 and b == 0:
            continue
        size = x.shape[d]
        if a < 0 or b < 0:
            raise ValueError(f"{op}: negative padding is only supported in constant mode")
        if mode == "reflect" and (a >= size or b >= size):
            raise ValueError(f"{op}: reflect padding ({a}, {b}) must be smaller than the "
                             f"input size {size} of dim {d}")
        if mode == "circular" and (a > size or b > size):
            raise ValueError(f"{op}: circular padding ({a}, {b}) must be at most the input "
                             f"size {size} of dim {d}")
        idx = _misc.pad_indices(size, a, b, mode)
        out = out[(slice(None),) * d + (idx,)]
    return out


_INTERPOLATE_MODES = ("nearest", "nearest-exact", "area", "linear", "bilinear", "bicubic")


def _axis_scale(mode, spatial, n_in, n_out, scale, antialias=False):
    """The scale factor one axis is resized with: the user's, or None (the size ratio)
    where PyTorch's CPU kernels ignore it. They do so along an axis that keeps its
    size, in 'linear', 'bilinear' and antialiased modes (a copy) and in 2-D 'nearest',
    whose kernel also maps a doubled axis by halving the index. So, with
    ``scale_factor=1.1`` on 6 pixels (6 out), those modes copy the pixels while 1-D
    'nearest', 'nearest-exact' and plain 'bicubic' sample at i / 1.1. Checked against
    PyTorch 2.13."""
    if scale is None:
        return None
    if (antialias or mode in ("linear", "bilinear")) and n_out == n_in:
        return None
    if mode == "nearest" and spatial == 2 and n_out in (n_in, 2 * n_in):
        return None
    return scale


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize (N, C, H, W) images (or (N, C, L) signals) to ``size`` or by
    ``scale_factor``: mode 'nearest' (PyTorch's floor rule), 'nearest-exact' (the
    nearest pixel centre), 'area' (adaptive average pooling), 'bilinear' / 'linear' or
    'bicubic' (PyTorch's cubic convolution with A = −0.75 and the border pixels
    repeated; it can overshoot the input's range, as in PyTorch), all equal to
    PyTorch's for align_corners False and True. ``antialias=True`` ('bilinear' and
    'bicubic') averages every input pixel under a filter stretched by the shrink
    ratio, as Pillow and PyTorch do, so a downscaled image does not alias. Linear and
    cubic resizing are separable, so they are two small matrix products,
    differentiable as they are."""
    op = "interpolate"
    x = _float_tensor(input, op)
    if x.ndim not in (3, 4):
        raise RuntimeError(f"{op}: expected a 3-D or 4-D input, got shape {x.shape}")
    spatial = x.ndim - 2
    if mode not in _INTERPOLATE_MODES:
        if mode == "trilinear":
            raise NotImplementedError(f"{op}: mode 'trilinear' resizes 5-D volumes, which "
                                      "this 2-D framework does not have (supported: "
                                      f"{', '.join(map(repr, _INTERPOLATE_MODES))})")
        raise ValueError(f"{op}: unknown mode {mode!r}; supported modes are "
                         f"{', '.join(map(repr, _INTERPOLATE_MODES))}")
    if mode in ("nearest", "nearest-exact", "area") and align_corners is not None:
        raise ValueError(f"{op}: align_corners can only be set with the linear and cubic "
                         "modes ('linear', 'bilinear', 'bicubic')")
    needs = {"linear": 3, "bilinear": 4, "bicubic": 4}.get(mode, x.ndim)
    if x.ndim != needs:
        raise RuntimeError(f"{op}: mode {mode!r} needs a {needs}-D input, got shape "
                           f"{x.shape}")
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: give exactly one of size and scale_factor")
    in_sizes = x.shape[2:]
    if size is not None:
        sizes = _positive(_ints(size, spatial, op, "size"), op, "size")
        scales = (None,) * spatial
    else:
        if isinstance(scale_factor, (tuple, list)):
            scales = tuple(float(s) for s in scale_factor)
        else:
            scales = (float(scale_factor),) * spatial
        if len(scales) != spatial or any(s <= 0 for s in scales):
            raise ValueError(f"{op}: scale_factor must be positive, one per spatial dim, "
                             f"got {scale_factor!r}")
        sizes = tuple(int(np.floor(n * s)) for n, s in zip(in_sizes, scales, strict=True))
        if recompute_scale_factor:
            scales = (None,) * spatial
        if min(sizes) <= 0:
            raise ValueError(f"{op}: scale_factor {scale_factor!r} makes the output size "
                             f"{sizes} of an input of shape {x.shape} empty")
    if antialias and mode not in ("bilinear", "bicubic"):
        raise ValueError(f"{op}: antialias=True works with the modes 'bilinear' and "
                         f"'bicubic' (4-D input), got mode {mode!r}")
    if mode == "area":
        # PyTorch's 'area' is adaptive average pooling to the output size
        if spatial == 1:
            return adaptive_avg_pool2d(x.unsqueeze(2), (1, sizes[0])).squeeze(2)
        return adaptive_avg_pool2d(x, sizes)
    out = x
    for k in range(spatial):
        axis = 2 + k
        n_in, n_out = in_sizes[k], sizes[k]
        scale = _axis_scale(mode, spatial, n_in, n_out, scales[k], antialias)
        if mode in ("nearest", "nearest-exact"):
            idx = _misc.nearest_indices(n_in, n_out, scale, exact=mode == "nearest-exact")
            out = out[(slice(None),) * axis + (idx,)]
        else:
            if antialias:
                m = _antialias.antialias_weights(n_in, n_out, mode, bool(align_corners),
                                                 scale)
            else:
                weights = _cubic.cubic_weights if mode == "bicubic" else _misc.linear_weights
                m = weights(n_in, n_out, bool(align_corners), scale)
            m = Tensor._wrap(_devices.to_device(m.astype(x.dtype), x.device))
            if axis == x.ndim - 1:
                out = out @ m.T
            else:
                out = m @ out
    return out



# More functions, one module per concept; they use the argument checks above.
from . import functional_activation as _activation  # noqa: E402
from . import functional_attention as _attention  # noqa: E402
from . import functional_distance as _distance  # noqa: E402
from . import functional_loss as _losses  # noqa: E402
from . import functional_sparse as _sparse  # noqa: E402
from .functional_activation import *  # noqa: E402, F403
from .functional_attention import *  # noqa: E402, F403
from .functional_distance import *  # noqa: E402, F403
from .functional_loss import *  # noqa: E402, F403
from .functional_sparse import *  # noqa: E402, F403

__all__ += [*_activation.__all__, *_attention.__all__, *_sparse.__all__, *_distance.__all__,
            *_losses.__all__]


def __getattr__(name):
    """A missing PyTorch name says what to use instead (see tinygrad_jp/_hints.py)."""
    from .._hints import missing
    raise missing(__name__, name, globals())
