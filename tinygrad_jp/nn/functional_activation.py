"""Activation functions of ``nn.functional`` beyond relu / sigmoid / tanh / gelu: the
ELU family (elu, celu, selu), the hard ones (hardtanh, relu6, hardsigmoid, hardswish),
the smooth ones (softplus, softsign, silu, mish, logsigmoid) and glu.

ELU, softplus, log-sigmoid and hardtanh are ops of their own (``ops/activation.py``:
stable forwards, PyTorch's gradients at the kinks); the rest are short compositions
of them, so their gradients, to any order, come from the chain rule.
"""
import math

from .. import functional as _core
from ..ops import activation as _act
from ..ops import nn_misc as _misc
from ._checks import _float_tensor, _tensor

__all__ = ["relu", "leaky_relu", "sigmoid", "tanh", "gelu", "softmax", "log_softmax",
           "elu", "celu", "selu", "hardtanh", "relu6", "hardsigmoid", "hardswish",
           "softplus", "softsign", "silu", "mish", "logsigmoid", "glu"]

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


# SELU's constants (Klambauer et al., 2017): they make activations self-normalising
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def elu(input, alpha=1.0, inplace=False):
    """x for x > 0, α(eˣ − 1) otherwise. (``inplace`` is accepted and ignored:
    results are always new tensors.)"""
    return _act.Elu.apply(_float_tensor(input, "elu"), alpha=float(alpha))


def celu(input, alpha=1.0, inplace=False):
    """x for x > 0, α(e^(x/α) − 1) otherwise: ELU with its slope continuous at 0 for
    every α (celu(x, α) = α·elu(x / α))."""
    x = _float_tensor(input, "celu")
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0 (it divides x)")
    return _act.Elu.apply(x / float(alpha), alpha=1.0) * float(alpha)


def selu(input, inplace=False):
    """scale · elu(x, α) with the fixed α ≈ 1.6733, scale ≈ 1.0507 of self-normalising
    networks."""
    return _act.Elu.apply(_float_tensor(input, "selu"), alpha=SELU_ALPHA) * SELU_SCALE


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x limited to [min_val, max_val]; the gradient is 1 strictly inside, 0 outside
    and at the limits (PyTorch's rule)."""
    x = _float_tensor(input, "hardtanh")
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not exceed max_val "
                         f"({max_val})")
    return _act.Hardtanh.apply(x, min_val=float(min_val), max_val=float(max_val))


def relu6(input, inplace=False):
    """min(max(x, 0), 6)."""
    return hardtanh(input, 0.0, 6.0)


def hardsigmoid(input, inplace=False):
    """A piecewise-linear sigmoid: 0 below −3, 1 above 3, x/6 + 1/2 between."""
    return hardtanh(_float_tensor(input, "hardsigmoid") + 3.0, 0.0, 6.0) / 6.0


def hardswish(input, inplace=False):
    """x · hardsigmoid(x) (MobileNetV3's cheap swish)."""
    x = _float_tensor(input, "hardswish")
    return x * hardsigmoid(x)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + e^(βx)) / β, a smooth relu; x itself where βx > ``threshold``."""
    x = _float_tensor(input, "softplus")
    if beta == 0:
        raise ValueError("softplus: beta must not be 0 (it divides the result)")
    return _act.Softplus.apply(x, beta=float(beta), threshold=float(threshold))


def softsign(input):
    """x / (1 + |x|)."""
    x = _float_tensor(input, "softsign")
    return x / (x.abs() + 1.0)


def silu(input, inplace=False):
    """x · σ(x) (also called swish)."""
    x = _float_tensor(input, "silu")
    return x * x.sigmoid()


def mish(input, inplace=False):
    """x · tanh(softplus(x))."""
    x = _float_tensor(input, "mish")
    return x * _act.Softplus.apply(x, beta=1.0, threshold=math.inf).tanh()


def logsigmoid(input):
    """log σ(x), computed as −softplus(−x) so it stays finite for very negative x."""
    return _act.LogSigmoid.apply(_float_tensor(input, "logsigmoid"))


def glu(input, dim=-1):
    """The gated linear unit: split ``dim`` in halves a, b and return a · σ(b)."""
    x = _float_tensor(input, "glu")
    if x.ndim == 0:
        raise RuntimeError("glu: does not support 0-d (scalar) tensors")
    d = dim % x.ndim if -x.ndim <= dim < x.ndim else None
    if d is None:
        raise IndexError(f"glu: dim {dim} is out of range for a tensor of shape {x.shape}")
    if x.shape[d] % 2:
        raise RuntimeError(f"glu: halving dimension must be even, but dimension {d} is "
                           f"size {x.shape[d]} (input shape {x.shape})")
    a, b = x.chunk(2, d)
    return a * b.sigmoid()
