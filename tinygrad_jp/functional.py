"""Function forms of Tensor methods: ``tg.exp(t)`` is ``t.exp()``."""
from .tensor import _as_tensor

__all__ = ["exp", "log", "sqrt", "abs", "sign", "sin", "cos", "tanh", "sigmoid", "relu",
           "clamp", "softmax", "log_softmax"]


def exp(t):
    return _as_tensor(t, "exp").exp()


def log(t):
    return _as_tensor(t, "log").log()


def sqrt(t):
    return _as_tensor(t, "sqrt").sqrt()


def abs(t):  # noqa: A001
    return _as_tensor(t, "abs").abs()


def sign(t):
    return _as_tensor(t, "sign").sign()


def sin(t):
    return _as_tensor(t, "sin").sin()


def cos(t):
    return _as_tensor(t, "cos").cos()


def tanh(t):
    return _as_tensor(t, "tanh").tanh()


def sigmoid(t):
    return _as_tensor(t, "sigmoid").sigmoid()


def relu(t):
    return _as_tensor(t, "relu").relu()


def clamp(t, min=None, max=None):  # noqa: A002
    return _as_tensor(t, "clamp").clamp(min, max)


def softmax(t, dim=-1):
    return _as_tensor(t, "softmax").softmax(dim)


def log_softmax(t, dim=-1):
    return _as_tensor(t, "log_softmax").log_softmax(dim)
