"""Convolutions and their im2col / col2im: ``conv2d``, ``conv_transpose2d``, ``unfold``,
``fold``. Convolution runs on strided views with one GEMM per layer (see
``tinygrad_jp/ops/conv.py`` for the im2col walk-through; grouped and depthwise
convolution in ``ops/conv_grouped.py``)."""
import numbers

import numpy as np

from ..ops import conv as _conv
from ..ops import conv_grouped as _grouped
from ._checks import _batched_4d, _float_tensor, _ints, _non_negative, _positive, _same_dtype
from .functional_resize import pad

__all__ = ["conv2d", "conv_transpose2d", "unfold", "fold"]


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
