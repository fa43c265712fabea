"""Linear, activations (leaky ReLU, GELU), padding and the interpolation matrices.

Every op here has a backward written with Tensor ops, so ``create_graph`` works.
ReLU is ``ops.elementwise.Relu`` (``Relu`` here is the same class).
"""
import math

import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from .elementwise import PositiveMask, Relu  # noqa: F401  (F.relu's op, one for all)


def _const(array):
    return Tensor._wrap(array)


class Linear(Function):
    """y = x @ Wᵀ + b with W of shape (out, in), x of shape (..., in): one GEMM."""

    def forward(self, x, w, b=None):
        out = np.matmul(x.data, w.data.T)
        if b is not None:
            out += b.data
        self.has_bias = b is not None
        self.save_for_backward(x, w)
        return out

    def backward(self, grad):
        x, w = self.saved
        need = self.needs_input_grad
        gx = gw = gb = None
        if need[0]:
            gx = grad @ w                                   # (..., out) @ (out, in)
        if need[1] or (self.has_bias and need[2]):
            g2 = grad if grad.ndim == 2 else grad.reshape(-1, grad.shape[-1])
            if need[1]:
                x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
                gw = g2.T @ x2                              # (out, N) @ (N, in)
            if self.has_bias and need[2]:
                gb = g2.sum(0)
        return (gx, gw, gb) if self.has_bias else (gx, gw)


class LeakyRelu(Function):
    """x where x > 0, else slope·x; the gradient at 0 is the slope, as in PyTorch."""

    def forward(self, x, slope):
        factor = np.where(x.data > 0, x.data.dtype.type(1), x.data.dtype.type(slope))
        self.save_for_backward(factor)
        return x.data * factor

    def backward(self, grad):
        return grad * _const(self.saved[0])


# ---------------------------------------------------------------------- erf for GELU
_SQRT_PI = math.sqrt(math.pi)


def _erf_series(z):
    """erf(z) for |z| < 3 from 2/√π·e^(−z²)·Σ 2ⁿz^(2n+1)/(1·3···(2n+1)): all terms
    positive, so there is no cancellation; 90 terms reach double precision at |z| = 3."""
    z2 = z * z
    term = z.copy()
    total = z.copy()
    for n in range(1, 90):
        term = term * (2.0 * z2 / (2 * n + 1))
        total = total + term
    return 2.0 / _SQRT_PI * np.exp(-z2) * total


def _erfc_fraction(z):
    """erfc(z) for z ≥ 3 from its continued fraction (evaluated bottom-up)."""
    frac = np.zeros_like(z)
    for n in range(60, 0, -1):
        frac = (n / 2.0) / (z + frac)
    return np.exp(-z * z) / _SQRT_PI / (z + frac)


def erfc(x):
    """The complementary error function, elementwise, accurate to ~1e-15 (float64)."""
    z = np.asarray(x, dtype=np.float64)
    a = np.abs(z)
    small = a < 3.0
    out = np.empty_like(z)
    out[small] = 1.0 - _erf_series(a[small])
    out[~small] = _erfc_fraction(a[~small])
    return np.where(z < 0, 2.0 - out, out)


def normal_cdf(x):
    """Φ(x) = ½·erfc(−x/√2), accurate in both tails."""
    return 0.5 * erfc(-np.asarray(x, dtype=np.float64) / math.sqrt(2.0))


class Gelu(Function):
    """x·Φ(x) (``approximate='none'``) or the tanh approximation (``'tanh'``)."""

    def forward(self, x, approximate):
        xd = x.data
        self.approximate = approximate
        self.save_for_backward(x)
        if approximate == "tanh":
            inner = math.sqrt(2.0 / math.pi) * (xd + 0.044715 * xd ** 3)
            return (0.5 * xd * (1.0 + np.tanh(inner))).astype(xd.dtype, copy=False)
        return (xd * normal_cdf(xd)).astype(xd.dtype, copy=False)

    def backward(self, grad):
        (x,) = self.saved
        if self.approximate == "tanh":
            k = math.sqrt(2.0 / math.pi)
            x2 = x * x
            t = (k * (x + 0.044715 * x2 * x)).tanh()
            d = 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * k * (1.0 + 3 * 0.044715 * x2)
            return grad * d
        # d/dx x·Φ(x) = Φ(x) + x·φ(x); Φ is recorded through GeluCdf so it can be
        # differentiated again
        pdf = (x * x * -0.5).exp() * (1.0 / math.sqrt(2.0 * math.pi))
        return grad * (NormalCdf.apply(x) + x * pdf)


class NormalCdf(Function):
    """Φ(x), the standard normal CDF; its derivative is the density φ(x)."""

    def forward(self, x):
        self.save_for_backward(x)
        return normal_cdf(x.data).astype(x.data.dtype, copy=False)

    def backward(self, grad):
        (x,) = self.saved
        return grad * (x * x * -0.5).exp() * (1.0 / math.sqrt(2.0 * math.pi))


# ---------------------------------------------------------------------- padding
class ConstantPad(Function):
    """Pad with a constant; ``pads`` is ((before, after), ...) per dimension, ≥ 0."""

    def forward(self, x, pads, value):
        xd = x.data
        shape = tuple(s + a + b for s, (a, b) in zip(xd.shape, pads, strict=True))
        out = np.empty(shape, xd.dtype)
        out.fill(value)
        self.inner = tuple(slice(a, a + s) for s, (a, _) in zip(xd.shape, pads, strict=True))
        out[self.inner] = xd
        return out

    def backward(self, grad):
        return grad[self.inner]


def pad_indices(size, before, after, mode):
    """Source index of every output position along one axis for the index pad modes."""
    pos = np.arange(-before, size + after)
    if mode == "replicate":
        return np.clip(pos, 0, size - 1)
    if mode == "reflect":
        period = 2 * (size - 1)
        if period == 0:
            return np.zeros_like(pos)
        pos = np.abs(pos) % period
        return np.where(pos >= size, period - pos, pos)
    if mode == "circular":
        return pos % size
    raise ValueError(mode)


# ---------------------------------------------------------------------- interpolation
def linear_weights(in_size, out_size, align_corners, scale=None):
    """(out, in) matrix of 1-D linear interpolation weights, PyTorch's coordinates.

    align_corners=True maps the corner pixels onto each other; False maps pixel
    centres (``src = (dst + 0.5)·in/out − 0.5``, clamped at 0) as PyTorch does.
    ``scale`` is the user's scale factor (PyTorch uses 1/scale_factor when given).
    """
    dst = np.arange(out_size, dtype=np.float64)
    if align_corners:
        src = dst * ((in_size - 1) / (out_size - 1)) if out_size > 1 else dst * 0.0
    else:
        ratio = (1.0 / scale) if scale else in_size / out_size
        src = np.maximum((dst + 0.5) * ratio - 0.5, 0.0)
    lo = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    hi = np.minimum(lo + 1, in_size - 1)
    frac = src - lo
    m = np.zeros((out_size, in_size))
    rows = np.arange(out_size)
    np.add.at(m, (rows, lo), 1.0 - frac)
    np.add.at(m, (rows, hi), frac)
    return m


def nearest_indices(in_size, out_size, scale=None, exact=False):
    """Source index of every output position for mode='nearest' (PyTorch's floor rule),
    or 'nearest-exact' with ``exact`` (the pixel whose centre is nearest: output centres
    at i + 0.5)."""
    ratio = (1.0 / scale) if scale else in_size / out_size
    offset = 0.5 if exact else 0.0
    idx = np.floor((np.arange(out_size, dtype=np.float64) + offset) * ratio).astype(np.int64)
    return np.minimum(idx, in_size - 1)
