"""Layers with parameters or shape logic: Linear, Conv2d, ConvTranspose2d (both with
``groups``), pooling (max, average, adaptive average and adaptive max),
Flatten / Unflatten, Upsample, Dropout, Identity.

Each layer keeps PyTorch's constructor arguments, parameter shapes and default
initialisation (``kaiming_uniform_(a=√5)`` for weights, U(−1/√fan_in, 1/√fan_in) for
biases), checks its input at the call with a message naming the layer and both shapes,
and calls the matching function of ``nn.functional``.
"""
import math

import numpy as np

from .. import dtypes as _dtypes
from ..random import get_rng
from ..tensor import Tensor
from . import functional as F
from . import functional_pool as _fpool
from . import init
from ._checks import _pool_args
from .module import Module, Parameter

__all__ = ["Identity", "Linear", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d",
           "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "Flatten", "Unflatten", "Upsample",
           "Dropout", "Dropout2d"]


def _pair(x, name="argument"):
    if isinstance(x, (tuple, list)):
        if len(x) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {x!r}")
        return tuple(int(v) for v in x)
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
        raise TypeError(f"{name} must be an int or a pair of ints, got {x!r}")
    return (int(x), int(x))


def _param(shape, dtype):
    """An uninitialised Parameter (the layer's reset_parameters fills it)."""
    dt = _dtypes.DEFAULT_FLOAT if dtype is None else _dtypes.to_dtype(dtype, "layer")
    if dt.kind != "f":
        raise TypeError(f"layers need a floating-point dtype, got {dt}")
    return Parameter(Tensor._wrap(np.empty(shape, dtype=dt)))


def _check_device(device):
    if device is not None and str(device).split(":")[0] != "cpu":
        raise RuntimeError(f"tinygrad_jp runs on the CPU only, got device={device!r}")


def _check_tensor(layer, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{layer}: expected a Tensor input, got {type(x).__name__} (wrap "
                        "arrays with tg.tensor(...))")


def _positive_int(value, name, layer):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{layer}: {name} must be a positive integer, got {value!r}")
    return int(value)


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. to drop a head:
    ``model.fc = nn.Identity()``); any constructor arguments are ignored."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """Fully connected layer ``y = x Wᵀ + b`` (the curriculum's Affine layer).

    ``weight`` has shape ``(out_features, in_features)`` (PyTorch's layout, the transpose
    of the curriculum's ``W``); inputs have shape ``(*, in_features)``.
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        _check_device(device)
        self.in_features = _positive_int(in_features, "in_features", "Linear")
        self.out_features = _positive_int(out_features, "out_features", "Linear")
        self.weight = _param((out_features, in_features), dtype)
        if bias:
            self.bias = _param((out_features,), dtype)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """PyTorch's default: kaiming_uniform_(a=√5) weight, U(±1/√in_features) bias."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features)
            init.uniform_(self.bias, -bound, bound)

    def _name(self):
        return f"Linear({self.in_features}, {self.out_features})"

    def forward(self, input):
        _check_tensor(self._name(), input)
        if input.ndim == 0 or input.shape[-1] != self.in_features:
            hint = ""
            if input.ndim >= 3 and int(np.prod(input.shape[1:])) == self.in_features:
                hint = (" (this looks like an unflattened image: flatten it first with "
                        "nn.Flatten() or x.flatten(1))")
            elif input.ndim >= 3:
                hint = (f" (a {input.ndim}-D input: did you forget to flatten, with "
                        "nn.Flatten() or x.flatten(1)?)")
            raise RuntimeError(f"{self._name()}: expected last dimension "
                               f"{self.in_features}, got input of shape {tuple(input.shape)}"
                               + hint)
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class _ConvNd(Module):
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 groups, bias, padding_mode, output_padding, device, dtype):
        super().__init__()
        name = type(self).__name__
        _check_device(device)
        self.in_channels = _positive_int(in_channels, "in_channels", name)
        self.out_channels = _positive_int(out_channels, "out_channels", name)
        self.groups = _positive_int(groups, "groups", name)
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) must be divisible by "
                             f"groups ({groups})")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels ({out_channels}) must be divisible by "
                             f"groups ({groups})")
        self.kernel_size = _pair(kernel_size, f"{name}: kernel_size")
        self.stride = _pair(stride, f"{name}: stride")
        self.dilation = _pair(dilation, f"{name}: dilation")
        self.output_padding = _pair(output_padding, f"{name}: output_padding")
        for label, value in (("kernel_size", self.kernel_size), ("stride", self.stride),
                             ("dilation", self.dilation)):
            if min(value) <= 0:
                raise ValueError(f"{name}: {label} must be positive, got {value}")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"{name}: invalid padding string {padding!r}, should be one "
                                 "of {'valid', 'same'}")
            if padding == "same" and self.stride != (1, 1):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 "convolutions")
            if self._transposed:
                raise ValueError(f"{name}: padding must be an int or a pair of ints")
            self.padding = padding
        else:
            self.padding = _pair(padding, f"{name}: padding")
            if min(self.padding) < 0:
                raise ValueError(f"{name}: negative padding is not supported, got "
                                 f"{self.padding}")
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(f"{name}: padding_mode must be one of 'zeros', 'reflect', "
                             f"'replicate', 'circular', got {padding_mode!r}")
        if self._transposed and padding_mode != "zeros":
            raise ValueError(f"Only 'zeros' padding mode is supported for {name}")
        self.padding_mode = padding_mode
        if self._transposed:
            shape = (in_channels, out_channels // groups) + self.kernel_size
        else:
            shape = (out_channels, in_channels // groups) + self.kernel_size
        self.weight = _param(shape, dtype)
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
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def _name(self):
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels})"

    def _check_input(self, input):
        _check_tensor(self._name(), input)
        if input.ndim != 4:
            hint = ""
            if input.ndim == 2:
                hint = (" (a flat batch: reshape it to images first, e.g. "
                        "x.reshape(-1, C, H, W))")
            elif input.ndim == 3:
                hint = " (a single image: add the batch dimension with x.unsqueeze(0))"
            raise RuntimeError(f"{self._name()}: expected a 4-D input (N, C, H, W), got "
                               f"shape {tuple(input.shape)}{hint}")
        if input.shape[1] != self.in_channels:
            hint = ""
            if input.shape[-1] == self.in_channels:
                hint = (" (channels last? the layout is (N, C, H, W): use "
                        "x.permute(0, 3, 1, 2))")
            raise RuntimeError(f"{self._name()}: expected input with {self.in_channels} "
                               f"channels, got {tuple(input.shape)}{hint}")

    def extra_repr(self):
        s = ("{in_channels}, {out_channels}, kernel_size={kernel_size}"
             ", stride={stride}")
        if self.padding != (0, 0):
            s += ", padding={padding}"
        if self.dilation != (1, 1):
            s += ", dilation={dilation}"
        if self.output_padding != (0, 0):
            s += ", output_padding={output_padding}"
        if self.groups != 1:
            s += ", groups={groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += ", padding_mode={padding_mode}"
        return s.format(**self.__dict__)


class Conv2d(_ConvNd):
    """2-D convolution (cross-correlation, as in PyTorch), computed by im2col + GEMM.

    ``weight``: ``(out_channels, in_channels // groups, kh, kw)``; input ``(N, C, H, W)``;
    output size ``(H + 2·padding − dilation·(kh − 1) − 1) // stride + 1``.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, 0, device, dtype)

    def _explicit_padding(self):
        """(top, bottom, left, right) for padding='same'/'valid' or a pair."""
        if self.padding == "valid":
            return (0, 0, 0, 0)
        if self.padding == "same":
            out = []
            for k, d in zip(self.kernel_size, self.dilation, strict=True):
                total = d * (k - 1)
                out += [total // 2, total - total // 2]
            return tuple(out)
        ph, pw = self.padding
        return (ph, ph, pw, pw)

    def forward(self, input):
        self._check_input(input)
        top, bottom, left, right = self._explicit_padding()
        extra = {}
        if self.dilation != (1, 1):
            extra["dilation"] = self.dilation
        if self.groups != 1:
            extra["groups"] = self.groups
        if self.padding_mode != "zeros" or top != bottom or left != right:
            mode = "constant" if self.padding_mode == "zeros" else self.padding_mode
            if top or bottom or left or right:
                input = F.pad(input, (left, right, top, bottom), mode=mode)
            return F.conv2d(input, self.weight, self.bias, self.stride, 0, **extra)
        return F.conv2d(input, self.weight, self.bias, self.stride, (top, left), **extra)


class ConvTranspose2d(_ConvNd):
    """Transposed convolution (the gradient of Conv2d w.r.t. its input), for upsampling.

    ``weight``: ``(in_channels, out_channels // groups, kh, kw)``; output size
    ``(H − 1)·stride − 2·padding + dilation·(kh − 1) + output_padding + 1``.
    """

    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, output_padding, device, dtype)
        for op, s, d in zip(self.output_padding, self.stride, self.dilation, strict=True):
            if op >= max(s, d):
                raise ValueError(f"ConvTranspose2d: output_padding {self.output_padding} "
                                 f"must be smaller than either stride {self.stride} or "
                                 f"dilation {self.dilation}")

    def _output_padding(self, input, output_size):
        if output_size is None:
            return self.output_padding
        output_size = tuple(output_size)[-2:]
        if len(output_size) != 2:
            raise ValueError(f"ConvTranspose2d: output_size must have 2 or 4 elements, got "
                             f"{output_size}")
        result = []
        for i in range(2):
            smallest = ((input.shape[2 + i] - 1) * self.stride[i] - 2 * self.padding[i]
                        + self.dilation[i] * (self.kernel_size[i] - 1) + 1)
            largest = smallest + self.stride[i] - 1
            if not smallest <= output_size[i] <= largest:
                raise ValueError(f"ConvTranspose2d: requested an output size of "
                                 f"{output_size}, but valid sizes range from "
                                 f"{smallest} to {largest} in dim {i} (for an input of "
                                 f"{tuple(input.shape[2:])})")
            result.append(output_size[i] - smallest)
        return tuple(result)

    def forward(self, input, output_size=None):
        self._check_input(input)
        output_padding = self._output_padding(input, output_size)
        extra = {}
        if output_padding != (0, 0):
            extra["output_padding"] = output_padding
        if self.groups != 1:
            extra["groups"] = self.groups
        if self.dilation != (1, 1):
            extra["dilation"] = self.dilation
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  **extra)


class _PoolNd(Module):
    def _check_input(self, input):
        _check_tensor(type(self).__name__, input)
        if input.ndim not in (3, 4):
            raise RuntimeError(f"{type(self).__name__}: expected a 3-D (C, H, W) or 4-D "
                               f"(N, C, H, W) input, got shape {tuple(input.shape)}")


class _WindowPool(_PoolNd):
    """A pooling layer over kh×kw windows. Its window (kernel_size, stride, padding,
    dilation) is checked by the same helper as ``F.max_pool2d``'s (``_checks._pool_args``),
    once: when the layer is made, and again only if an attribute is reassigned."""

    def _window(self):
        given = (self.kernel_size, self.stride, self.padding, getattr(self, "dilation", 1))
        if given != self._checked[0]:
            self._checked = (given, _pool_args(type(self).__name__, *given))
        return self._checked[1]


class MaxPool2d(_WindowPool):
    """Max pooling over ``kernel_size`` windows; ``stride`` defaults to ``kernel_size``."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode
        self._checked = (None, None)
        self._window()

    def forward(self, input):
        self._check_input(input)
        x, unbatched = _fpool._pool_input(input, "max_pool2d")
        return _fpool._max_pool2d(x, unbatched, self._window(), self.ceil_mode,
                                  self.return_indices)

    def extra_repr(self):
        return ("kernel_size={kernel_size}, stride={stride}, padding={padding}, "
                "dilation={dilation}, ceil_mode={ceil_mode}".format(**self.__dict__))


class AvgPool2d(_WindowPool):
    """Average pooling over ``kernel_size`` windows; ``stride`` defaults to ``kernel_size``;
    with padding, zeros count in the average unless ``count_include_pad=False``."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override
        self._checked = (None, None)
        self._window()

    def forward(self, input):
        self._check_input(input)
        x, unbatched = _fpool._pool_input(input, "avg_pool2d")
        return _fpool._avg_pool2d(x, unbatched, self._window(), self.ceil_mode,
                                  self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}")


class AdaptiveAvgPool2d(_PoolNd):
    """Average pooling to a fixed ``output_size`` (an int or ``(H, W)``; None keeps that
    dimension), whatever the input size, e.g. ``AdaptiveAvgPool2d(1)`` = global average."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        self._check_input(input)
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(_PoolNd):
    """Max pooling to a fixed ``output_size`` (an int or ``(H, W)``; None keeps that
    dimension), whatever the input size, over PyTorch's adaptive bins. With
    ``return_indices=True`` it returns ``(output, indices)`` like ``F.adaptive_max_pool2d``."""

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size = output_size
        self.return_indices = return_indices

    def forward(self, input):
        self._check_input(input)
        return F.adaptive_max_pool2d(input, self.output_size, self.return_indices)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class Flatten(Module):
    """Flatten dims ``start_dim`` … ``end_dim`` into one: ``(N, C, H, W)`` → ``(N, C·H·W)``
    with the defaults, ready for a Linear layer."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        _check_tensor("Flatten", input)
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dim ``dim`` into ``unflattened_size``: ``Unflatten(1, (1, 28, 28))`` turns
    ``(N, 784)`` into ``(N, 1, 28, 28)``."""

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input):
        _check_tensor("Unflatten", input)
        d = self.dim % max(input.ndim, 1) if isinstance(self.dim, int) else self.dim
        sizes = self.unflattened_size
        known = int(np.prod([s for s in sizes if s != -1]))
        if (-1 not in sizes and known != input.shape[d]) or (
                -1 in sizes and (known == 0 or input.shape[d] % known)):
            raise RuntimeError(f"Unflatten: cannot unflatten dim {self.dim} of size "
                               f"{input.shape[d]} (input shape {tuple(input.shape)}) into "
                               f"{sizes}")
        return input.unflatten(d, sizes)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Upsample(Module):
    """Upsample images by ``scale_factor`` (or to ``size``) with ``mode`` 'nearest',
    'bilinear' or 'bicubic' (through ``F.interpolate``)."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        if (size is None) == (scale_factor is None):
            raise ValueError("Upsample: either size or scale_factor should be defined "
                             "(not both)")
        self.size = size
        if isinstance(scale_factor, (tuple, list)):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor is not None else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        _check_tensor("Upsample", input)
        extra = {}
        if self.align_corners is not None:
            extra["align_corners"] = self.align_corners
        return F.interpolate(input, size=self.size, scale_factor=self.scale_factor,
                             mode=self.mode, **extra)

    def extra_repr(self):
        if self.scale_factor is not None:
            info = "scale_factor=" + repr(self.scale_factor)
        else:
            info = "size=" + repr(self.size)
        return info + ", mode=" + repr(self.mode)


class Dropout(Module):
    """Inverted dropout: in training, zero each element with probability ``p`` and scale
    the rest by 1/(1−p); the identity in ``eval()`` mode."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input):
        _check_tensor(type(self).__name__, input)
        return F.dropout(input, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Dropout):
    """Channel dropout: in training, zero whole feature maps of (N, C, H, W) inputs with
    probability ``p`` (scaling the kept ones by 1/(1−p)); the identity in eval mode."""

    def forward(self, input):
        _check_tensor("Dropout2d", input)
        if input.ndim not in (3, 4):
            raise RuntimeError(f"Dropout2d: expected a 3-D (C, H, W) or 4-D (N, C, H, W) "
                               f"input, got shape {tuple(input.shape)}")
        if not self.training or self.p == 0:
            return input
        shape = input.shape[:-2] + (1, 1)
        keep = get_rng().random(shape) >= self.p
        scale = 0.0 if self.p == 1 else 1.0 / (1.0 - self.p)
        return input * Tensor._wrap((keep * scale).astype(input.dtype))
