"""1-D convolution and pooling over signals (N, C, L): the 2-D ops over a height of one.

A signal of length L is an image of height 1 and width L, and a kernel of length k a
1×k kernel, so ``conv1d`` is ``conv2d`` on ``x.unsqueeze(-2)`` with the same im2col and
GEMM, and its gradients are conv2d's. Shapes, arguments and defaults are PyTorch's.
"""
from ._checks import _float_tensor, _ints
from .functional_conv import conv2d, conv_transpose2d
from .functional_pool import avg_pool2d, max_pool2d

__all__ = ["conv1d", "conv_transpose1d", "max_pool1d", "avg_pool1d"]


def _length(value, op, name):
    """An int or a 1-tuple (PyTorch accepts both) → the int."""
    return _ints(value, 1, op, name)[0]


def _signal(input, op):
    x = _float_tensor(input, op)
    if x.ndim not in (2, 3):
        raise RuntimeError(f"{op}: expected a 2-D (C, L) or 3-D (N, C, L) input, got shape "
                           f"{tuple(x.shape)}")
    return x


def _conv_weight(weight, op):
    w = _float_tensor(weight, op, "weight")
    if w.ndim != 3:
        raise RuntimeError(f"{op}: expected a 3-D weight (out_channels, in_channels/groups, "
                           f"k), got shape {tuple(w.shape)}")
    return w


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution (cross-correlation) of ``input`` (N, C, L) with ``weight``
    (F, C / groups, k) and ``bias`` (F,) → (N, F, (L + 2·padding − dilation·(k − 1) − 1)
    // stride + 1). ``padding`` may be ``'same'`` or ``'valid'``."""
    op = "conv1d"
    x, w = _signal(input, op), _conv_weight(weight, op)
    pad = padding if isinstance(padding, str) else (0, _length(padding, op, "padding"))
    out = conv2d(x.unsqueeze(-2), w.unsqueeze(-2), bias, (1, _length(stride, op, "stride")),
                 pad, (1, _length(dilation, op, "dilation")), groups)
    return out.squeeze(-2)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """Transposed 1-D convolution (conv1d's gradient w.r.t. its input): ``weight``
    (C, F / groups, k), output length ``(L − 1)·stride − 2·padding + dilation·(k − 1) +
    output_padding + 1``."""
    op = "conv_transpose1d"
    x, w = _signal(input, op), _conv_weight(weight, op)
    out = conv_transpose2d(x.unsqueeze(-2), w.unsqueeze(-2), bias,
                           (1, _length(stride, op, "stride")),
                           (0, _length(padding, op, "padding")),
                           (0, _length(output_padding, op, "output_padding")), groups,
                           (1, _length(dilation, op, "dilation")))
    return out.squeeze(-2)


def _window(op, kernel_size, stride, padding, dilation=1):
    k = _length(kernel_size, op, "kernel_size")
    s = k if stride is None or stride == [] else _length(stride, op, "stride")
    return (1, k), (1, s), (0, _length(padding, op, "padding")), \
        (1, _length(dilation, op, "dilation"))


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over windows of ``kernel_size`` along L (stride defaults to the kernel size;
    padding is −∞). ``return_indices=True`` also returns the position of each maximum."""
    op = "max_pool1d"
    x = _signal(input, op)
    kernel, stride, padding, dilation = _window(op, kernel_size, stride, padding, dilation)
    out = max_pool2d(x.unsqueeze(-2), kernel, stride, padding, dilation, ceil_mode,
                     return_indices)
    if return_indices:
        return out[0].squeeze(-2), out[1].squeeze(-2)
    return out.squeeze(-2)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """Mean over windows of ``kernel_size`` along L; zero padding counts in the divisor
    when ``count_include_pad`` (PyTorch's default)."""
    op = "avg_pool1d"
    x = _signal(input, op)
    kernel, stride, padding, _ = _window(op, kernel_size, stride, padding)
    return avg_pool2d(x.unsqueeze(-2), kernel, stride, padding, ceil_mode,
                      count_include_pad).squeeze(-2)
