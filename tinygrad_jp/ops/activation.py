"""Activations that need their own forward for stability or for PyTorch's exact
gradient at the kinks: ELU, softplus, log-sigmoid, hardtanh. The others (SiLU, Mish,
SELU, CELU, hardswish, ...) are short compositions of these in ``nn.functional``."""
import numpy as np

from ..autograd import Function
from ..tensor import Tensor, where


def _const(array):
    return Tensor._wrap(array)


def softplus_array(x):
    """log(1 + eˣ) = max(x, 0) + log1p(e^(−|x|)): never exponentiates a large x."""
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


class Elu(Function):
    """x for x > 0, α(eˣ − 1) otherwise; d/dx = α·eˣ on the negative side.

    The backward exponentiates min(x, 0), not x: the positive branch is masked out, but
    an overflowing eˣ there would still turn 0 · ∞ into NaN in a second derivative."""

    def forward(self, a, alpha):
        x = a.data
        self.alpha = alpha
        self.save_for_backward(a)
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype,
                                                                             copy=False)

    def backward(self, grad):
        (x,) = self.saved
        positive = _const(x.data > 0)
        slope = where(positive, _const(np.ones((), x.dtype)),
                      x.clamp(max=0.0).exp() * self.alpha)
        return grad * slope


class Softplus(Function):
    """log(1 + e^(βx)) / β, and x itself where βx > ``threshold`` (PyTorch's cut-off,
    where the two agree to float precision); d/dx = σ(βx) below the threshold."""

    def forward(self, a, beta, threshold):
        x = a.data
        self.beta, self.threshold = beta, threshold
        self.save_for_backward(a)
        bx = beta * x
        return np.where(bx > threshold, x, softplus_array(bx) / beta).astype(x.dtype,
                                                                            copy=False)

    def backward(self, grad):
        (x,) = self.saved
        over = _const(x.data * self.beta > self.threshold)
        return grad * where(over, _const(np.ones((), x.dtype)), (x * self.beta).sigmoid())


class LogSigmoid(Function):
    """log σ(x) = −softplus(−x), finite for x = −1e4; d/dx = σ(−x)."""

    def forward(self, a):
        self.save_for_backward(a)
        return (-softplus_array(-a.data)).astype(a.data.dtype, copy=False)

    def backward(self, grad):
        return grad * (-self.saved[0]).sigmoid()


class Hardtanh(Function):
    """x limited to [min_val, max_val]. Unlike ``clamp``, the gradient is zero at the
    limits themselves (PyTorch's hardtanh, hence relu6 and hardsigmoid, do this)."""

    def forward(self, a, min_val, max_val):
        x = a.data
        self.save_for_backward((x > min_val) & (x < max_val))
        return np.clip(x, min_val, max_val).astype(x.dtype, copy=False)

    def backward(self, grad):
        return grad * _const(self.saved[0].astype(grad.dtype))
