"""1-D and 3-D layers: PyTorch's ``Conv1d``, ``ConvTranspose1d``, ``MaxPool1d``,
``AvgPool1d`` over signals (N, C, L) and ``Conv3d``, ``ConvTranspose3d``, ``MaxPool3d``,
``AvgPool3d`` over volumes (N, C, D, H, W). The parameters have PyTorch's shapes and
initialisation; the work is done by ``F.conv1d`` & co. (``nn/functional_1d.py``) and
``F.conv3d`` & co. (``nn/functional_3d.py``), both built on the 2-D ops."""

from . import functional as F
from .layers import _ConvNd, _param
from .module import Module

__all__ = ["Conv1d", "ConvTranspose1d", "MaxPool1d", "AvgPool1d", "Conv3d", "ConvTranspose3d",
           "MaxPool3d", "AvgPool3d"]


def _sizes(value, name, layer, dims, positive=True):
    """An int or a tuple of ``dims`` ints → a tuple of ``dims`` ints, as PyTorch's layers
    store their settings."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims
    low = 1 if positive else 0
    if len(values) != dims or any(isinstance(v, bool) or not isinstance(v, int) or v < low
                                  for v in values):
        kind = "positive" if positive else "non-negative"
        raise ValueError(f"{layer}: {name} must be a {kind} int or a tuple of {dims} of "
                         f"them, got {value!r}")
    return values


class _ConvNdBase(Module):
    _transposed = False
    dims = None            # 1 or 3

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 groups, bias, padding_mode, output_padding, dtype):
        super().__init__()
        name = type(self).__name__
        for label, value in (("in_channels", in_channels), ("out_channels", out_channels),
                             ("groups", groups)):
            _sizes(value, label, name, 1)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels "
                             f"({out_channels}) must be divisible by groups ({groups})")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _sizes(kernel_size, "kernel_size", name, self.dims)
        self.stride = _sizes(stride, "stride", name, self.dims)
        self.dilation = _sizes(dilation, "dilation", name, self.dims)
        self.output_padding = _sizes(output_padding, "output_padding", name, self.dims,
                                     positive=False)
        if isinstance(padding, str):
            if padding not in ("same", "valid") or self._transposed:
                raise ValueError(f"{name}: invalid padding {padding!r}")
            self.padding = padding
        else:
            self.padding = _sizes(padding, "padding", name, self.dims, positive=False)
        if padding_mode not in ("zeros", "reflect", "replicate", "circular") or (
                self._transposed and padding_mode != "zeros"):
            raise ValueError(f"{name}: padding_mode {padding_mode!r} is not supported")
        self.padding_mode = padding_mode
        channels = (in_channels, out_channels // groups) if self._transposed else \
            (out_channels, in_channels // groups)
        self.weight = _param(channels + self.kernel_size, dtype)
        if bias:
            self.bias = _param((out_channels,), dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    # PyTorch's default: kaiming_uniform_(a=√5) weight, U(±1/√fan_in) bias, as Conv2d
    reset_parameters = _ConvNd.reset_parameters

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, " \
            f"stride={self.stride}"
        if self.padding != (0,) * self.dims:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self.dims:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self.dims:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class _Conv(_ConvNdBase):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, 0, dtype)
        if device is not None:
            self.to(device)

    def forward(self, input):
        if self.padding_mode == "zeros":
            return self._conv(input, self.weight, self.bias, self.stride, self.padding,
                              self.dilation, self.groups)
        if self.padding == "same":
            totals = [d * (k - 1) for d, k in zip(self.dilation, self.kernel_size, strict=True)]
            sides = [(t // 2, t - t // 2) for t in totals]
        else:
            sides = [(0, 0) if self.padding == "valid" else (p, p) for p in self.padding]
        widths = [w for pair in reversed(sides) for w in pair]     # F.pad: last dim first
        return self._conv(F.pad(input, widths, mode=self.padding_mode), self.weight,
                          self.bias, self.stride, 0, self.dilation, self.groups)


class Conv1d(_Conv):
    """1-D convolution: ``weight`` (out_channels, in_channels // groups, k), input
    (N, C, L) → (N, out_channels, (L + 2·padding − dilation·(k − 1) − 1) // stride + 1)."""

    dims = 1
    _conv = staticmethod(F.conv1d)


class Conv3d(_Conv):
    """3-D convolution: ``weight`` (out_channels, in_channels // groups, kd, kh, kw),
    input (N, C, D, H, W); each output size ``(size + 2·padding − dilation·(k − 1) − 1)
    // stride + 1``."""

    dims = 3
    _conv = staticmethod(F.conv3d)


class _ConvTranspose(_ConvNdBase):
    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, dtype)
        if device is not None:
            self.to(device)

    def forward(self, input):
        return self._conv_transpose(input, self.weight, self.bias, self.stride, self.padding,
                                    self.output_padding, self.groups, self.dilation)


class ConvTranspose1d(_ConvTranspose):
    """Transposed 1-D convolution (Conv1d's gradient w.r.t. its input), for upsampling:
    ``weight`` (in_channels, out_channels // groups, k)."""

    dims = 1
    _conv_transpose = staticmethod(F.conv_transpose1d)


class ConvTranspose3d(_ConvTranspose):
    """Transposed 3-D convolution (Conv3d's gradient w.r.t. its input): ``weight``
    (in_channels, out_channels // groups, kd, kh, kw)."""

    dims = 3
    _conv_transpose = staticmethod(F.conv_transpose3d)


class MaxPool1d(Module):
    """Max pooling over windows of ``kernel_size`` along L; ``stride`` defaults to it."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        return F.max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool1d(Module):
    """Average pooling over windows of ``kernel_size`` along L; ``stride`` defaults to
    it; zeros of the padding count unless ``count_include_pad=False``."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__()
        self.kernel_size = _sizes(kernel_size, "kernel_size", "AvgPool1d", 1)
        self.stride = _sizes(stride if stride is not None else kernel_size, "stride",
                             "AvgPool1d", 1)
        self.padding = _sizes(padding, "padding", "AvgPool1d", 1, positive=False)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input):
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool3d(MaxPool1d):
    """Max pooling over kd×kh×kw windows; ``stride`` defaults to ``kernel_size``."""

    def forward(self, input):
        return F.max_pool3d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)


class AvgPool3d(Module):
    """Average pooling over kd×kh×kw windows; ``stride`` defaults to ``kernel_size``;
    zeros of the padding count unless ``count_include_pad=False``."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return F.avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
