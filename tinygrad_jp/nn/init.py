"""``nn.init``: weight initialisation, with PyTorch's names and formulas, plus the
curriculum's ``weight_init_std`` names.

Every function fills its tensor in place (without recording a graph), draws from
``tinygrad_jp.random.get_rng()`` (so ``tg.manual_seed`` makes it reproducible) and
returns the tensor.

Fan-in and fan-out follow PyTorch's weight layout: a Linear weight ``(out, in)`` has
fan_in = in, fan_out = out; a Conv2d weight ``(out, in, kh, kw)`` has
fan_in = in·kh·kw, fan_out = out·kh·kw.

The curriculum (ゼロから作る Deep Learning style) names an initialisation by its
``weight_init_std``; :func:`curriculum_std` / :func:`curriculum_normal_` translate:

==========================  ======================  ==================
``weight_init_std``         std of the Gaussian     also known as
==========================  ======================  ==================
``'he'`` / ``'relu'``       √(2 / fan_in)           He, Kaiming normal
``'xavier'`` / ``'sigmoid'`` √(1 / fan_in)          Xavier (the course's form)
a number, e.g. ``0.01``     that number             plain Gaussian
``'zero'`` / ``0``          (all weights 0)         the symmetry quiz
==========================  ======================  ==================
"""
import math
import numbers

import numpy as np

from ..random import get_rng
from ..tensor import Tensor

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_",
           "zeros_", "eye_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
           "kaiming_normal_", "orthogonal_", "curriculum_std", "curriculum_normal_"]


def _check(tensor, op):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"nn.init.{op}: expected a Tensor, got {type(tensor).__name__}")
    return tensor


def _fill(tensor, values):
    # Writing into .data is the no_grad in-place update: no graph, same array object,
    # so optimizers holding the parameter keep working.
    tensor.data[...] = values
    return tensor


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (PyTorch's table).

    linear / conv / sigmoid → 1, tanh → 5/3, relu → √2,
    leaky_relu → √(2 / (1 + negative_slope²)) (slope ``param``, default 0.01), selu → 3/4.
    """
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, numbers.Number):
            negative_slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r} (use one "
                     "of linear, conv2d, sigmoid, tanh, relu, leaky_relu, selu)")


def _calculate_fan_in_and_fan_out(tensor):
    shape = tensor.shape
    if len(shape) < 2:
        raise ValueError(f"nn.init: fan in and fan out can not be computed for tensor with "
                         f"fewer than 2 dimensions (got shape {tuple(shape)})")
    receptive = int(np.prod(shape[2:])) if len(shape) > 2 else 1
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"nn.init: mode {mode!r} not supported, please use one of fan_in, "
                         "fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """Fill with values drawn from U(a, b)."""
    _check(tensor, "uniform_")
    rng = generator or get_rng()
    return _fill(tensor, rng.uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """Fill with values drawn from N(mean, std²)."""
    _check(tensor, "normal_")
    if std < 0:
        raise ValueError(f"nn.init.normal_: std must be non-negative, got {std}")
    rng = generator or get_rng()
    return _fill(tensor, rng.normal(mean, std, tensor.shape))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """Fill with N(mean, std²) values redrawn until they lie in [a, b]."""
    _check(tensor, "trunc_normal_")
    rng = generator or get_rng()
    out = rng.normal(mean, std, tensor.shape)
    bad = (out < a) | (out > b)
    while bad.any():  # each round keeps ≥ the in-range mass, so this ends quickly
        out[bad] = rng.normal(mean, std, int(bad.sum()))
        bad = (out < a) | (out > b)
    return _fill(tensor, out)


def constant_(tensor, val):
    """Fill with the constant ``val``."""
    _check(tensor, "constant_")
    return _fill(tensor, val)


def ones_(tensor):
    """Fill with ones."""
    return constant_(tensor, 1.0)


def zeros_(tensor):
    """Fill with zeros."""
    return constant_(tensor, 0.0)


def eye_(tensor):
    """Fill a 2-D tensor with the identity matrix."""
    _check(tensor, "eye_")
    if tensor.ndim != 2:
        raise ValueError(f"nn.init.eye_: only tensors with 2 dimensions are supported, got "
                         f"shape {tensor.shape}")
    return _fill(tensor, np.eye(*tensor.shape))


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """Glorot/Xavier uniform: U(−a, a) with a = gain·√(6 / (fan_in + fan_out))."""
    _check(tensor, "xavier_uniform_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """Glorot/Xavier normal: N(0, std²) with std = gain·√(2 / (fan_in + fan_out))."""
    _check(tensor, "xavier_normal_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He/Kaiming uniform: U(−bound, bound), bound = gain·√(3 / fan).

    ``gain = calculate_gain(nonlinearity, a)``; ``fan`` is fan_in or fan_out (``mode``).
    PyTorch's defaults (a=0, leaky_relu) give gain √2, i.e. He for ReLU. Linear and Conv
    layers use ``a=√5``, which gives bound = 1/√fan_in.
    """
    _check(tensor, "kaiming_uniform_")
    if 0 in tensor.shape:
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    bound = math.sqrt(3.0) * gain / math.sqrt(fan)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """He/Kaiming normal: N(0, std²), std = gain / √fan.

    With ``nonlinearity='relu'`` (or the default leaky_relu with a=0) std = √(2 / fan_in):
    the curriculum's "He initialisation".
    """
    _check(tensor, "kaiming_normal_")
    if 0 in tensor.shape:
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, generator)


def orthogonal_(tensor, gain=1.0, generator=None):
    """Fill with a (semi-)orthogonal matrix (QR of a Gaussian), scaled by ``gain``."""
    _check(tensor, "orthogonal_")
    if tensor.ndim < 2:
        raise ValueError("nn.init.orthogonal_: only tensors with 2 or more dimensions are "
                         "supported")
    rows = tensor.shape[0]
    cols = tensor.data.size // rows
    rng = generator or get_rng()
    flat = rng.normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, (gain * q).reshape(tensor.shape))


_CURRICULUM_NAMES = {"he": 2.0, "relu": 2.0, "xavier": 1.0, "sigmoid": 1.0}


def curriculum_std(weight_init_std, fan_in):
    """The std the curriculum's ``weight_init_std`` argument stands for.

    ``'he'`` / ``'relu'`` → √(2 / fan_in); ``'xavier'`` / ``'sigmoid'`` → √(1 / fan_in)
    (case-insensitive); a number → that number; ``'zero'`` / ``0`` → 0.
    ``fan_in`` is the number of inputs of one unit (in_features, or in·kh·kw for a conv).
    """
    if isinstance(weight_init_std, str):
        key = weight_init_std.lower()
        if key in ("zero", "zeros"):
            return 0.0
        if key not in _CURRICULUM_NAMES:
            raise ValueError(f"weight_init_std: unknown name {weight_init_std!r}; use 'he' "
                             "(or 'relu'), 'xavier' (or 'sigmoid'), 'zero', or a number "
                             "(the std)")
        if fan_in <= 0:
            raise ValueError(f"weight_init_std: fan_in must be positive, got {fan_in}")
        return math.sqrt(_CURRICULUM_NAMES[key] / fan_in)
    if isinstance(weight_init_std, bool) or not isinstance(weight_init_std, numbers.Real):
        raise TypeError(f"weight_init_std: expected a name or a number, got "
                        f"{type(weight_init_std).__name__}")
    if weight_init_std < 0:
        raise ValueError(f"weight_init_std: a std must be non-negative, got "
                         f"{weight_init_std}")
    return float(weight_init_std)


def curriculum_normal_(tensor, weight_init_std, fan_in=None, generator=None):
    """Initialise ``tensor`` the way the curriculum's ``weight_init_std`` says.

    Draws N(0, std²) with std from :func:`curriculum_std`; ``'zero'`` / ``0`` fills
    zeros (then every hidden unit gets the same update and the symmetry never breaks).
    ``fan_in`` defaults to the PyTorch layout's fan-in of ``tensor``.
    """
    _check(tensor, "curriculum_normal_")
    if fan_in is None:
        fan_in = _calculate_fan_in_and_fan_out(tensor)[0]
    std = curriculum_std(weight_init_std, fan_in)
    if std == 0.0:
        return zeros_(tensor)
    return normal_(tensor, 0.0, std, generator)
