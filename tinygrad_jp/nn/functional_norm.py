"""Normalisation: ``batch_norm``, ``layer_norm``, ``group_norm``, ``instance_norm`` and
AlexNet's ``local_response_norm``."""
import numbers

import numpy as np

from ..autograd import no_grad
from ..ops import nn_misc as _misc
from ..ops import norm as _norm
from ..tensor import Tensor
from ._checks import _float_tensor, _same_dtype

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "local_response_norm"]


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
