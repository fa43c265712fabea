"""Activation layers: ReLU, LeakyReLU, Sigmoid, Tanh, Softmax, LogSoftmax, GELU, the
ELU family, the hard ones, the smooth ones and GLU — thin modules over
``nn.functional`` and the Tensor methods."""
from . import functional as F
from .layers import _check_tensor
from .module import Module

__all__ = ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "GELU",
           "ELU", "CELU", "SELU", "ReLU6", "Hardtanh", "Hardsigmoid", "Hardswish",
           "Softplus", "Softsign", "SiLU", "Mish", "LogSigmoid", "GLU"]


class ReLU(Module):
    """max(0, x) elementwise (``inplace`` is accepted for PyTorch compatibility and
    ignored: results are always new tensors)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        _check_tensor("ReLU", input)
        return F.relu(input)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """x where x > 0, else ``negative_slope``·x."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input):
        _check_tensor("LeakyReLU", input)
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace
                                                          else "")


class Sigmoid(Module):
    """1 / (1 + exp(−x)), computed stably for large |x|."""

    def forward(self, input):
        _check_tensor("Sigmoid", input)
        return input.sigmoid()


class Tanh(Module):
    """tanh(x)."""

    def forward(self, input):
        _check_tensor("Tanh", input)
        return input.tanh()


def _softmax_dim(ndim):
    # PyTorch's legacy choice when dim is None
    return 0 if ndim in (0, 1, 3) else 1


class Softmax(Module):
    """softmax along ``dim`` (give it: ``Softmax(dim=1)`` for (N, classes) scores)."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        _check_tensor("Softmax", input)
        dim = _softmax_dim(input.ndim) if self.dim is None else self.dim
        return F.softmax(input, dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log(softmax(x)) along ``dim``, computed as x − logsumexp(x) (stable); pair it with
    ``NLLLoss``, or use ``CrossEntropyLoss`` on raw scores instead."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        _check_tensor("LogSoftmax", input)
        dim = _softmax_dim(input.ndim) if self.dim is None else self.dim
        return F.log_softmax(input, dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class GELU(Module):
    """x·Φ(x) (``approximate='none'``) or its tanh approximation (``'tanh'``)."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got "
                             f"{approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        _check_tensor("GELU", input)
        if self.approximate == "none":
            return F.gelu(input)
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class _Activation(Module):
    """A module that applies ``function`` with the arguments it was built with; the
    arguments show in its repr, as in PyTorch (``ELU(alpha=1.0)``)."""

    function = None         # the nn.functional function, set by each subclass
    arguments = ()          # names of the constructor's arguments, in order
    defaults = {}           # their default values

    def __init__(self, *args, **kwargs):
        super().__init__()
        names = type(self).arguments
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__} takes at most {len(names)} arguments "
                            f"({', '.join(names)}), got {len(args)}")
        values = dict(type(self).defaults)
        values.update(zip(names, args, strict=False))
        for key, value in kwargs.items():
            if key not in names:
                raise TypeError(f"{type(self).__name__}: unexpected argument {key!r}")
            values[key] = value
        for key in names:
            setattr(self, key, values[key])

    def forward(self, input):
        _check_tensor(type(self).__name__, input)
        kwargs = {k: getattr(self, k) for k in type(self).arguments if k != "inplace"}
        return type(self).function(input, **kwargs)

    def extra_repr(self):
        shown = [f"{k}={getattr(self, k)!r}" for k in type(self).arguments
                 if k != "inplace" or getattr(self, k)]
        return ", ".join(shown)


def _activation(name, function, defaults, doc):
    """Make an activation module class named ``name`` (arguments and defaults as in
    PyTorch's)."""
    return type(name, (_Activation,), {
        "function": staticmethod(function), "arguments": tuple(defaults),
        "defaults": defaults, "__doc__": doc, "__module__": __name__})


ELU = _activation("ELU", F.elu, {"alpha": 1.0, "inplace": False},
                  "x for x > 0, α(eˣ − 1) otherwise.")
CELU = _activation("CELU", F.celu, {"alpha": 1.0, "inplace": False},
                   "x for x > 0, α(e^(x/α) − 1) otherwise.")
SELU = _activation("SELU", F.selu, {"inplace": False},
                   "scale · elu(x, α) with the self-normalising constants.")
ReLU6 = _activation("ReLU6", F.relu6, {"inplace": False}, "min(max(x, 0), 6).")
Hardtanh = _activation("Hardtanh", F.hardtanh,
                       {"min_val": -1.0, "max_val": 1.0, "inplace": False},
                       "x limited to [min_val, max_val].")
Hardsigmoid = _activation("Hardsigmoid", F.hardsigmoid, {"inplace": False},
                          "0 below −3, 1 above 3, x/6 + 1/2 between.")
Hardswish = _activation("Hardswish", F.hardswish, {"inplace": False},
                        "x · hardsigmoid(x).")
Softplus = _activation("Softplus", F.softplus, {"beta": 1.0, "threshold": 20.0},
                       "log(1 + e^(βx)) / β, and x where βx > threshold.")
Softsign = _activation("Softsign", F.softsign, {}, "x / (1 + |x|).")
SiLU = _activation("SiLU", F.silu, {"inplace": False}, "x · σ(x) (swish).")
Mish = _activation("Mish", F.mish, {"inplace": False}, "x · tanh(softplus(x)).")
LogSigmoid = _activation("LogSigmoid", F.logsigmoid, {}, "log σ(x), stable.")
GLU = _activation("GLU", F.glu, {"dim": -1},
                  "Split ``dim`` in halves a, b; return a · σ(b).")
