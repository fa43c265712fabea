"""Normalisation ops. One fused op, :class:`Normalize`, standardises over given axes
(x̂ = (x − mean) / sqrt(var + eps), biased variance); batch, layer, group and instance
norm are that op plus a per-channel affine map, each in a few lines of
``tinygrad_jp.nn.functional``.

Normalize's backward is the classic formula ``dx = invstd · (g − mean(g) − x̂·mean(g·x̂))``
written once with Tensor ops: it uses the x̂ and invstd the forward saved, or, when the
backward is itself recorded (``create_graph=True``), recomputes them from x with
recorded ops, so second derivatives work.
"""
import numpy as np

from ..autograd import Function, is_grad_enabled
from ..tensor import Tensor


def moments(x, axes):
    """Mean and biased variance of an array over ``axes`` (kept as size-1 dims)."""
    mean = x.mean(axis=axes, keepdims=True)
    centred = x - mean
    var = np.mean(np.square(centred), axis=axes, keepdims=True)
    return mean, var, centred


class Normalize(Function):
    """x̂ = (x − mean) / sqrt(var + eps) over ``axes`` (a tuple), statistics of the batch."""

    def forward(self, x, axes, eps, stats=None):
        mean, var, centred = moments(x.data, axes) if stats is None else stats
        invstd = 1.0 / np.sqrt(var + x.data.dtype.type(eps))
        out = centred
        out *= invstd
        self.axes, self.eps = axes, eps
        self.save_for_backward(x, out, invstd)
        return out

    def backward(self, grad):
        x, xhat, invstd = self.saved
        axes = self.axes
        if is_grad_enabled():
            # recorded: x̂ and invstd as functions of x, so their derivatives are tracked
            centred = x - x.mean(dim=axes, keepdim=True)
            inv = ((centred * centred).mean(dim=axes, keepdim=True) + self.eps).rsqrt()
            xh = centred * inv
        else:
            inv, xh = Tensor._wrap(invstd), Tensor._wrap(xhat)
        return inv * (grad - grad.mean(dim=axes, keepdim=True)
                      - xh * (grad * xh).mean(dim=axes, keepdim=True))
