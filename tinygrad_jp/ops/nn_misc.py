"""Linear, activations (leaky ReLU, GELU), padding and the interpolation matrices.

Every op here has a backward written with Tensor ops, so ``create_graph`` works.
"""
import math

import numpy as np

from ..autograd import Function, is_grad_enabled
from ..tensor import Tensor
from . import parallel
from .conv import layout_of
from ..devices import is_device_array
from ..kernels import for_array
from .parallel import over_batch


def _const(array):
    return Tensor._wrap(array)


# NumPy's maximum against a 0-d zero runs 2-3× slower than against a contiguous
# row of zeros broadcast down the rows (measured on 7 MB: 0.85 ms against 0.34 ms),
# so a large ReLU views its memory as rows of this many elements.
ZERO_ROW = 16384


def memory_rows(a, row):
    """``a``'s elements in memory order as (rows of ``row`` elements, the remainder),
    both views; None when ``a`` is not one contiguous block in some axis order."""
    flat = a.transpose(layout_of(a))
    if not flat.flags.c_contiguous:
        return None
    flat = flat.reshape(-1)
    whole = flat.size - flat.size % row
    return flat[:whole].reshape(-1, row), flat[whole:]


def _max_with_zero_rows(src, dst):
    (rows, rest), (out_rows, out_rest) = src, dst
    zeros = np.zeros(rows.shape[1], rows.dtype)
    over_batch(lambda b: np.maximum(rows[b], zeros, out=out_rows[b]), rows.shape[0],
               rows.nbytes)
    np.maximum(rest, zeros[:rest.size], out=out_rest)


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
        if not is_grad_enabled():
            return self._plain_backward(grad.data)
        x, w = self.saved
        need = self.needs_input_grad
        gx = grad @ w if need[0] else None
        gw = gb = None
        if need[1] or (self.has_bias and need[2]):
            g2 = grad.reshape(-1, grad.shape[-1]) if grad.ndim != 2 else grad
            if need[1]:
                x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
                gw = g2.T @ x2
            if self.has_bias and need[2]:
                gb = g2.sum(0)
        return (gx, gw, gb) if self.has_bias else (gx, gw)

    def _plain_backward(self, g):
        """The same three products on arrays, when no graph of the backward is recorded:
        an MLP step is short enough that building Tensor nodes here would show."""
        x, w = self.saved[0].data, self.saved[1].data
        need = self.needs_input_grad
        gx = gw = gb = None
        if need[0]:
            gx = Tensor._wrap(np.matmul(g, w))
        g2 = g.reshape(-1, g.shape[-1])
        if need[1]:
            gw = Tensor._wrap(np.matmul(g2.T, x.reshape(-1, x.shape[-1])))
        if self.has_bias and need[2]:
            gb = Tensor._wrap(g2.sum(0))
        return (gx, gw, gb) if self.has_bias else (gx, gw)


class Relu(Function):
    """max(x, 0) in one pass; the gradient at 0 is 0, as in PyTorch.

    Nothing extra is kept for backward: the mask is recomputed from the output,
    which the next layer holds anyway (and under ``no_grad`` nothing is kept at all).
    Large arrays are split over the batch and threads.
    """

    def forward(self, x):
        xd = x.data
        if is_device_array(xd):
            out = for_array(xd).relu(xd)
        elif xd.ndim == 0 or xd.nbytes < parallel.MIN_BYTES:     # small: one plain pass
            out = np.maximum(xd, 0)
        else:
            out = np.empty_like(xd)          # same memory order as the input
            src, dst = memory_rows(xd, ZERO_ROW), memory_rows(out, ZERO_ROW)
            if src is None or dst is None:
                over_batch(lambda b: np.maximum(xd[b], 0, out=out[b]), xd.shape[0],
                           xd.nbytes)
            else:
                _max_with_zero_rows(src, dst)
        self.save_for_backward(out)
        return out

    @property
    def name(self):
        return "ReluBackward"

    def backward(self, grad):
        return PositiveMask.apply(grad, ref=self.saved[0])


class PositiveMask(Function):
    """``grad`` where ``ref > 0`` else 0 (ReLU's backward, with ``ref`` its output).
    Linear in ``grad``, so its own backward is the same op."""

    def forward(self, g, ref):
        self.ref = ref
        gd = g.data
        if is_device_array(gd):
            return for_array(gd).positive_mask(gd, ref)
        if gd.ndim == 0 or gd.nbytes < parallel.MIN_BYTES or gd.shape != ref.shape:
            return np.multiply(gd, ref > 0, dtype=gd.dtype)
        out = np.empty_like(ref, dtype=gd.dtype)
        over_batch(lambda b: np.multiply(gd[b], ref[b] > 0, out=out[b], dtype=gd.dtype),
                   gd.shape[0], gd.nbytes)
        return out

    @property
    def name(self):
        return "ThresholdBackward"

    def backward(self, grad):
        return PositiveMask.apply(grad, ref=self.ref)


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
