"""Normalisation layers: BatchNorm1d/2d, LayerNorm, GroupNorm, InstanceNorm2d,
LocalResponseNorm (PyTorch's arguments, buffers and state-dict keys)."""
import numbers

import numpy as np

from .. import dtypes as _dtypes
from ..tensor import Tensor
from . import init
from . import functional as F
from .layers import _check_device, _check_tensor, _param, _positive_int
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm", "InstanceNorm2d",
           "LocalResponseNorm"]


def _float_dtype(dtype):
    return _dtypes.DEFAULT_FLOAT if dtype is None else _dtypes.to_dtype(dtype, "norm layer")


def _register_affine(module, shape, affine, bias, dtype):
    """The optional per-feature ``weight`` and ``bias`` of a norm layer (``None`` entries
    when absent, so the state-dict keys are PyTorch's)."""
    module.register_parameter("weight", _param(shape, dtype) if affine else None)
    module.register_parameter("bias", _param(shape, dtype) if affine and bias else None)


def _reset_affine(module):
    """Weight 1, bias 0 (where they exist)."""
    if module.weight is not None:
        init.ones_(module.weight)
    if module.bias is not None:
        init.zeros_(module.bias)


class _NormBase(Module):
    """Weight/bias (if ``affine``) and running statistics (if ``track_running_stats``)."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        _check_device(device)
        name = type(self).__name__
        self.num_features = _positive_int(num_features, "num_features", name)
        if eps <= 0:
            raise ValueError(f"{name}: eps must be positive, got {eps}")
        if momentum is not None and not 0 <= momentum <= 1:
            raise ValueError(f"{name}: momentum must be in [0, 1] or None, got {momentum}")
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        _register_affine(self, (num_features,), affine, bias, dtype)
        if track_running_stats:
            dt = _float_dtype(dtype)
            self.register_buffer("running_mean", Tensor._wrap(np.zeros(num_features, dt)))
            self.register_buffer("running_var", Tensor._wrap(np.ones(num_features, dt)))
            self.register_buffer("num_batches_tracked",
                                 Tensor._wrap(np.array(0, dtype=np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        """Running mean 0, running variance 1, batch count 0."""
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self):
        """Reset the running statistics; weight 1, bias 0."""
        self.reset_running_stats()
        _reset_affine(self)

    def _name(self):
        return f"{type(self).__name__}({self.num_features})"

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    _ndims = ()
    _layout = ""

    def _check_input(self, input):
        _check_tensor(self._name(), input)
        if input.ndim not in self._ndims:
            raise RuntimeError(f"{self._name()}: expected {self._layout} input, got shape "
                               f"{tuple(input.shape)}")
        if input.shape[1] != self.num_features:
            raise RuntimeError(f"{self._name()}: expected input with {self.num_features} "
                               f"channels, got {tuple(input.shape)}")

    def forward(self, input):
        self._check_input(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            if input.data.size // input.shape[1] <= 1:
                raise ValueError(f"{self._name()}: expected more than 1 value per channel "
                                 f"when training, got input size {tuple(input.shape)} (use "
                                 "a batch larger than 1, or model.eval())")
            self.num_batches_tracked.data += 1
            if self.momentum is None:  # cumulative moving average, as in PyTorch
                factor = 1.0 / float(self.num_batches_tracked.data)
        use_batch_stats = self.training or (self.running_mean is None
                                            and self.running_var is None)
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch_stats, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of ``(N, C)`` or ``(N, C, L)`` inputs over the batch.

    Training: normalise with the batch's mean and (biased) variance and update the
    running statistics, ``running = (1 − momentum)·running + momentum·batch`` (unbiased
    variance; ``momentum=None`` gives the cumulative average). Eval: use the running
    statistics. Then scale by ``weight`` (γ) and shift by ``bias`` (β).
    """

    _ndims = (2, 3)
    _layout = "2-D (N, C) or 3-D (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of ``(N, C, H, W)`` images, per channel over N, H and W.

    Same rules as :class:`BatchNorm1d`; state-dict keys ``weight``, ``bias``,
    ``running_mean``, ``running_var``, ``num_batches_tracked`` (int64, 0-d).
    """

    _ndims = (4,)
    _layout = "4-D (N, C, H, W)"


class InstanceNorm2d(_NormBase):
    """Normalise each channel of each image on its own (over H, W); no affine and no
    running statistics by default, as in PyTorch."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def forward(self, input):
        _check_tensor(self._name(), input)
        if input.ndim not in (3, 4):
            raise RuntimeError(f"{self._name()}: expected a 3-D (C, H, W) or 4-D "
                               f"(N, C, H, W) input, got shape {tuple(input.shape)}")
        channels = input.shape[-3]
        if channels != self.num_features and (self.affine or self.track_running_stats):
            raise RuntimeError(f"{self._name()}: expected input with {self.num_features} "
                               f"channels, got {tuple(input.shape)}")
        if input.ndim == 3:
            return self.forward(input.unsqueeze(0)).squeeze(0)
        # PyTorch's InstanceNorm updates the running statistics but never counts batches
        use_input_stats = self.training or not self.track_running_stats
        momentum = self.momentum if self.momentum is not None else 0.0
        return F.instance_norm(input, self.running_mean, self.running_var, self.weight,
                               self.bias, use_input_stats, momentum, self.eps)


class LayerNorm(Module):
    """Normalise over the last dims given by ``normalized_shape`` (per sample), then
    apply the elementwise affine ``weight``/``bias`` of that shape."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        _check_device(device)
        if isinstance(normalized_shape, numbers.Integral):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        _register_affine(self, self.normalized_shape, elementwise_affine, bias, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        """Weight 1, bias 0."""
        _reset_affine(self)

    def forward(self, input):
        _check_tensor("LayerNorm", input)
        n = len(self.normalized_shape)
        if tuple(input.shape[input.ndim - n:]) != self.normalized_shape or input.ndim < n:
            raise RuntimeError(f"LayerNorm({self.normalized_shape}): expected input with "
                               f"trailing shape {self.normalized_shape}, got input of "
                               f"shape {tuple(input.shape)}")
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Split the channels into ``num_groups`` groups and normalise each group of each
    sample; per-channel affine ``weight``/``bias``."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        _check_device(device)
        _positive_int(num_groups, "num_groups", "GroupNorm")
        _positive_int(num_channels, "num_channels", "GroupNorm")
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self.num_groups = num_groups
        self.num_channels = num_channels
        self.eps = eps
        self.affine = affine
        _register_affine(self, (num_channels,), affine, bias, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        """Weight 1, bias 0."""
        _reset_affine(self)

    def forward(self, input):
        _check_tensor("GroupNorm", input)
        if input.ndim < 2 or input.shape[1] != self.num_channels:
            raise RuntimeError(f"GroupNorm({self.num_groups}, {self.num_channels}): expected "
                               f"input with {self.num_channels} channels, got "
                               f"{tuple(input.shape)}")
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, "
                f"affine={self.affine}, bias={self.bias is not None}")


class LocalResponseNorm(Module):
    """AlexNet's local response normalisation across ``size`` neighbouring channels:
    ``b_c = a_c / (k + α/n · Σ a²)^β``."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size = _positive_int(size, "size", "LocalResponseNorm")
        self.alpha = alpha
        self.beta = beta
        self.k = k

    def forward(self, input):
        _check_tensor("LocalResponseNorm", input)
        if input.ndim < 3:
            raise RuntimeError(f"LocalResponseNorm: expected 3-D or higher input, got shape "
                               f"{tuple(input.shape)}")
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
