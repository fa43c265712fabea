"""3-D convolution and pooling over volumes (N, C, D, H, W), built on the 2-D ops.

A 3-D kernel of depth kd is kd 2-D kernels, one per depth offset i, so

    conv3d(x, w)[:, :, od] = Σ_i conv2d(x[:, :, od·sd − pd + i·dd], w[:, :, i])

The depth slices of every output position at offset i are one strided slice of the
(padded) input; folding the depth into the batch, each offset is one conv2d call, with
conv2d's im2col and GEMM, and the gradients (to any order) are those of the ops used.
Max and average pooling are separable: the window's max (or mean) over depth, then the
2-D pool over height and width. Shapes, arguments and defaults are PyTorch's.
"""
import math

import numpy as np

from .. import creation
from ..tensor import stack, tensor
from ._checks import _float_tensor, _ints
from .functional_conv import conv2d, conv_transpose2d
from .functional_pool import avg_pool2d, max_pool2d
from .functional_resize import pad

__all__ = ["conv3d", "conv_transpose3d", "max_pool3d", "avg_pool3d"]


def _triple(value, op, name):
    return _ints(value, 3, op, name)


def _volume(input, op):
    x = _float_tensor(input, op)
    if x.ndim not in (4, 5):
        raise RuntimeError(f"{op}: expected a 4-D (C, D, H, W) or 5-D (N, C, D, H, W) "
                           f"input, got shape {tuple(x.shape)}")
    return (x.unsqueeze(0), True) if x.ndim == 4 else (x, False)


def _kernel(weight, op):
    w = _float_tensor(weight, op, "weight")
    if w.ndim != 5:
        raise RuntimeError(f"{op}: expected a 5-D weight (out, in/groups, kd, kh, kw), got "
                           f"shape {tuple(w.shape)}")
    return w


def _depth_slices(x, kd, sd, dd, out_depth):
    """For each depth offset i: the input planes the outputs' windows read there,
    (N, C, OD, H, W), one strided slice each."""
    return [x[:, :, i * dd:i * dd + sd * (out_depth - 1) + 1:sd] for i in range(kd)]


def _fold_depth(v):
    """(N, C, D, H, W) → (N·D, C, H, W): the depth joins the batch."""
    n, c, d, h, w = v.shape
    return v.permute(0, 2, 1, 3, 4).reshape(n * d, c, h, w)


def _unfold_depth(v, n):
    """(N·D, C, H, W) → (N, C, D, H, W)."""
    nd, c, h, w = v.shape
    return v.reshape(n, nd // n, c, h, w).permute(0, 2, 1, 3, 4)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-D convolution (cross-correlation) of ``input`` (N, C, D, H, W) with ``weight``
    (F, C / groups, kd, kh, kw) and ``bias`` (F,); each output size is
    ``(size + 2·padding − dilation·(k − 1) − 1) // stride + 1``."""
    op = "conv3d"
    (x, unbatched), w = _volume(input, op), _kernel(weight, op)
    (sd, sh, sw), (pd, ph, pw) = _triple(stride, op, "stride"), _triple(padding, op, "padding")
    dd, dh, dw = _triple(dilation, op, "dilation")
    kd = w.shape[2]
    if pd:
        x = pad(x, (0, 0, 0, 0, pd, pd))
    out_depth = (x.shape[2] - dd * (kd - 1) - 1) // sd + 1
    if out_depth <= 0:
        raise RuntimeError(f"{op}: kernel depth {kd} (dilation {dd}) is larger than the "
                           f"padded input depth {x.shape[2]} (input {tuple(input.shape)})")
    out = None
    for i, planes in enumerate(_depth_slices(x, kd, sd, dd, out_depth)):
        part = conv2d(_fold_depth(planes), w[:, :, i], None, (sh, sw), (ph, pw), (dh, dw),
                      groups)
        out = part if out is None else out + part
    out = _unfold_depth(out, x.shape[0])
    if bias is not None:
        out = out + _float_tensor(bias, op, "bias").reshape(1, -1, 1, 1, 1)
    return out.squeeze(0) if unbatched else out


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """Transposed 3-D convolution (conv3d's gradient w.r.t. its input): ``weight``
    (C, F / groups, kd, kh, kw); each output size is ``(size − 1)·stride − 2·padding +
    dilation·(k − 1) + output_padding + 1``."""
    op = "conv_transpose3d"
    (x, unbatched), w = _volume(input, op), _kernel(weight, op)
    (sd, sh, sw), (pd, ph, pw) = _triple(stride, op, "stride"), _triple(padding, op, "padding")
    (od, oph, opw) = _triple(output_padding, op, "output_padding")
    dd, dh, dw = _triple(dilation, op, "dilation")
    n, _, depth = x.shape[:3]
    kd = w.shape[2]
    out_depth = (depth - 1) * sd - 2 * pd + dd * (kd - 1) + od + 1
    if out_depth <= 0:
        raise RuntimeError(f"{op}: the output depth {out_depth} is not positive (input "
                           f"{tuple(input.shape)}, kernel depth {kd}, padding {pd})")
    folded = _fold_depth(x)
    full = (depth - 1) * sd + dd * (kd - 1) + 1          # before padding is cut off
    out = None
    for i in range(kd):
        planes = _unfold_depth(conv_transpose2d(folded, w[:, :, i], None, (sh, sw), (ph, pw),
                                                (oph, opw), groups, (dh, dw)), n)
        # input plane d lands on output plane d·sd + i·dd: spread the planes sd apart
        if sd > 1:
            gap = creation.zeros(*planes.shape, dtype=planes.dtype, device=planes.device)
            planes = stack([planes] + [gap] * (sd - 1), 3)           # (N, F, D, sd, H, W)
            planes = planes.reshape(planes.shape[:2] + (depth * sd,) + planes.shape[4:])
            planes = planes[:, :, :(depth - 1) * sd + 1]
        planes = pad(planes, (0, 0, 0, 0, i * dd, full - i * dd - planes.shape[2]))
        out = planes if out is None else out + planes
    # cut the padding off both ends; output_padding adds planes at the end
    out = pad(out, (0, 0, 0, 0, -pd, od - pd))
    if bias is not None:
        out = out + _float_tensor(bias, op, "bias").reshape(1, -1, 1, 1, 1)
    return out.squeeze(0) if unbatched else out


def _pool_window(op, kernel_size, stride, padding, dilation, ceil_mode):
    kernel = _triple(kernel_size, op, "kernel_size")
    stride = kernel if stride is None else _triple(stride, op, "stride")
    padding, dilation = _triple(padding, op, "padding"), _triple(dilation, op, "dilation")
    if ceil_mode:
        raise ValueError(f"{op}: ceil_mode=True is not supported for 3-D pooling; pad the "
                         "input so that the windows fit")
    for k, p, d in zip(kernel, padding, dilation, strict=True):
        if p > (d * (k - 1) + 1) // 2:
            raise ValueError(f"{op}: padding {padding} should be at most half the (dilated) "
                             f"kernel size {kernel}")
    return kernel, stride, padding, dilation


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over kd×kh×kw windows (stride defaults to the kernel size; padding is −∞).
    The gradient goes to one maximal element of each window (on exact ties it may be
    another element than PyTorch's)."""
    op = "max_pool3d"
    if return_indices:
        raise ValueError(f"{op}: return_indices=True is not supported for 3-D pooling")
    x, unbatched = _volume(input, op)
    (kd, kh, kw), (sd, sh, sw), (pd, ph, pw), (dd, dh, dw) = _pool_window(
        op, kernel_size, stride, padding, dilation, ceil_mode)
    if pd:
        x = pad(x, (0, 0, 0, 0, pd, pd), value=-math.inf)
    out_depth = (x.shape[2] - dd * (kd - 1) - 1) // sd + 1
    deepest = stack(_depth_slices(x, kd, sd, dd, out_depth), 0).max(0)[0]
    out = _unfold_depth(max_pool2d(_fold_depth(deepest), (kh, kw), (sh, sw), (ph, pw),
                                   (dh, dw)), x.shape[0])
    return out.squeeze(0) if unbatched else out


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over kd×kh×kw windows; zero padding counts in the divisor when
    ``count_include_pad`` (PyTorch's default); ``divisor_override`` replaces the
    divisor."""
    op = "avg_pool3d"
    x, unbatched = _volume(input, op)
    (kd, kh, kw), (sd, sh, sw), (pd, ph, pw), _ = _pool_window(op, kernel_size, stride,
                                                                padding, 1, ceil_mode)
    depth = x.shape[2]
    if pd:
        x = pad(x, (0, 0, 0, 0, pd, pd))
    out_depth = (x.shape[2] - kd) // sd + 1
    total = stack(_depth_slices(x, kd, sd, 1, out_depth), 0).sum(0)
    if divisor_override is not None:
        if divisor_override <= 0:
            raise ValueError(f"{op}: divisor_override must be positive, got "
                             f"{divisor_override}")
        out = avg_pool2d(_fold_depth(total), (kh, kw), (sh, sw), (ph, pw), False, True,
                         divisor_override)
    else:
        # the depth's share of the divisor: kd, or the window's planes inside the input
        if count_include_pad or not pd:
            per_depth = total / kd
        else:
            inside = [min(od * sd - pd + kd, depth) - max(od * sd - pd, 0)
                      for od in range(out_depth)]
            count = tensor(np.asarray(inside, dtype=x.dtype), device=x.device)
            per_depth = total / count.reshape(1, 1, -1, 1, 1)
        out = avg_pool2d(_fold_depth(per_depth), (kh, kw), (sh, sw), (ph, pw), False,
                         count_include_pad)
    out = _unfold_depth(out, x.shape[0])
    return out.squeeze(0) if unbatched else out
