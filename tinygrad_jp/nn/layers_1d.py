"""1-D layers over signals (N, C, L), PyTorch's ``Conv1d``, ``ConvTranspose1d``,
``MaxPool1d`` and ``AvgPool1d``: the parameters have PyTorch's shapes and
initialisation, and the work is done by ``F.conv1d`` & co. (the 2-D ops over a height
of one, ``nn/functional_1d.py``)."""
import math

from . import functional as F
from . import init
from .layers import _param
from .module import Module

__all__ = ["Conv1d", "ConvTranspose1d", "MaxPool1d", "AvgPool1d"]


def _one(value, name, layer, positive=True):
    """An int or a 1-tuple → a 1-tuple, as PyTorch's 1-D layers store their settings."""
    if isinstance(value, (tuple, list)) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, int) or value < (1 if positive else 0):
        kind = "a positive" if positive else "a non-negative"
        raise ValueError(f"{layer}: {name} must be {kind} int, got {value!r}")
    return (value,)


class _Conv1dBase(Module):
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 groups, bias, padding_mode, output_padding, dtype):
        super().__init__()
        name = type(self).__name__
        for label, value in (("in_channels", in_channels), ("out_channels", out_channels),
                             ("groups", groups)):
            _one(value, label, name)
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels "
                             f"({out_channels}) must be divisible by groups ({groups})")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _one(kernel_size, "kernel_size", name)
        self.stride = _one(stride, "stride", name)
        self.dilation = _one(dilation, "dilation", name)
        self.output_padding = _one(output_padding, "output_padding", name, positive=False)
        if isinstance(padding, str):
            if padding not in ("same", "valid") or self._transposed:
                raise ValueError(f"{name}: invalid padding {padding!r}")
            self.padding = padding
        else:
            self.padding = _one(padding, "padding", name, positive=False)
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

    def reset_parameters(self):
        """PyTorch's default: kaiming_uniform_(a=√5) weight, U(±1/√fan_in) bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in else 0.0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, " \
            f"stride={self.stride}"
        if self.padding != (0,):
            s += f", padding={self.padding}"
        if self.dilation != (1,):
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,):
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_Conv1dBase):
    """1-D convolution: ``weight`` (out_channels, in_channels // groups, k), input
    (N, C, L) → (N, out_channels, (L + 2·padding − dilation·(k − 1) − 1) // stride + 1)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, 0, dtype)
        if device is not None:
            self.to(device)

    def forward(self, input):
        if self.padding_mode == "zeros":
            return F.conv1d(input, self.weight, self.bias, self.stride, self.padding,
                            self.dilation, self.groups)
        if self.padding == "same":
            total = self.dilation[0] * (self.kernel_size[0] - 1)
            left, right = total // 2, total - total // 2
        else:
            left = right = 0 if self.padding == "valid" else self.padding[0]
        return F.conv1d(F.pad(input, (left, right), mode=self.padding_mode), self.weight,
                        self.bias, self.stride, 0, self.dilation, self.groups)


class ConvTranspose1d(_Conv1dBase):
    """Transposed 1-D convolution (Conv1d's gradient w.r.t. its input), for upsampling:
    ``weight`` (in_channels, out_channels // groups, k)."""

    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, dtype)
        if device is not None:
            self.to(device)

    def forward(self, input):
        return F.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding,
                                  self.output_padding, self.groups, self.dilation)


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
        self.kernel_size = _one(kernel_size, "kernel_size", "AvgPool1d")
        self.stride = _one(stride if stride is not None else kernel_size, "stride",
                           "AvgPool1d")
        self.padding = _one(padding, "padding", "AvgPool1d", positive=False)
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input):
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
