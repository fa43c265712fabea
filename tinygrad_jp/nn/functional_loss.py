"""More losses of ``nn.functional``: the Kullback-Leibler divergence and the two
robust regression losses (smooth L1, Huber), quadratic near 0 and linear beyond."""
import numpy as np

from ..ops import loss as _loss
from ..tensor import Tensor, where
from .functional import _check_reduction, _float_tensor, _pair_shapes, _tensor

__all__ = ["kl_div", "smooth_l1_loss", "huber_loss"]

def kl_div(input, target, size_average=None, reduce=None, reduction="mean",
           log_target=False):
    """KL(target ‖ q) pointwise, with ``input`` = log q (log-probabilities, e.g. from
    ``log_softmax``) and ``target`` = probabilities (or log-probabilities with
    ``log_target=True``): target·(log target − input), 0 where target = 0.

    ``reduction='batchmean'`` (sum / batch size) is the true KL divergence per sample;
    'mean' averages over every element, as in PyTorch."""
    op = "kl_div"
    x = _float_tensor(input, op)
    t = _tensor(target, op, "target")
    t = t if t.dtype == x.dtype else t.to(x.dtype)
    batchmean = reduction == "batchmean"
    _check_reduction(op, "sum" if batchmean else reduction, size_average, reduce)
    _pair_shapes(op, x, t)
    if log_target:
        loss = t.exp() * (t - x)
    else:
        # 0·log 0 is taken as 0; the clamp keeps log(0) = −∞ out of the graph, where
        # its 0·∞ would turn the (unused) gradient of that branch into NaN
        positive = Tensor._wrap(t.data > 0)
        tiny = float(np.finfo(t.dtype).tiny)
        t_log_t = where(positive, t * t.clamp(min=tiny).log(), 0.0)
        loss = t_log_t - t * x
    if batchmean:
        return loss.sum() / (x.shape[0] if x.ndim else 1)
    return _loss.reduce_loss(loss, reduction)


def _robust(op, input, target, reduction, size_average, reduce, width, quadratic, linear):
    x = _float_tensor(input, op)
    t = _tensor(target, op, "target")
    t = t if t.dtype == x.dtype else t.to(x.dtype)
    _check_reduction(op, reduction, size_average, reduce)
    _pair_shapes(op, x, t)
    r = x - t
    a = r.abs()
    return _loss.reduce_loss(where(a < width, quadratic(r), linear(a)), reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean",
                   beta=1.0):
    """½r²/β where |r| < β, |r| − ½β beyond (r = input − target): L1 with the corner at
    0 rounded off; ``beta=0`` is exactly L1."""
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    return _robust("smooth_l1_loss", input, target, reduction, size_average, reduce, beta,
                   lambda r: r * r * (0.5 / beta) if beta else r * 0.0,
                   lambda a: a - 0.5 * beta)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """½r² where |r| < δ, δ(|r| − ½δ) beyond: squared error for small residuals,
    absolute error (scaled by δ) for outliers. Equals δ · smooth_l1_loss(β = δ)."""
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    if weight is not None:
        raise NotImplementedError("huber_loss: weight= is not supported")
    return _robust("huber_loss", input, target, reduction, None, None, delta,
                   lambda r: r * r * 0.5, lambda a: (a - 0.5 * delta) * delta)
