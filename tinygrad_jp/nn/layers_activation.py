"""Activation layers: ReLU, LeakyReLU, Sigmoid, Tanh, Softmax, LogSoftmax, GELU — thin
modules over ``nn.functional`` and the Tensor methods."""
from . import functional as F
from .layers import _check_tensor
from .module import Module

__all__ = ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "GELU"]


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
