"""More losses of ``nn.functional``: the Kullback-Leibler divergence and the two
robust regression losses (smooth L1, Huber), quadratic near 0 and linear beyond."""
import numbers

import numpy as np

from ..ops import loss as _loss
from ..tensor import Tensor, where
from ._checks import _float_tensor, _tensor

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "kl_div", "smooth_l1_loss", "huber_loss"]


_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(op, reduction, size_average=None, reduce=None):
    if size_average is not None or reduce is not None:
        raise TypeError(f"{op}: size_average and reduce are deprecated; use reduction=")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'none', 'mean' or 'sum', got "
                         f"{reduction!r}")


class TargetError(IndexError, ValueError):
    """A class index outside [0, C) (an IndexError as in PyTorch, and a ValueError)."""


def _class_weight(weight, c, op, ref):
    if weight is None:
        return None
    weight = _float_tensor(weight, op, "weight")
    if weight.shape != (c,):
        raise RuntimeError(f"{op}: weight must have shape ({c},) (one per class), got "
                           f"{weight.shape}")
    return weight


def _check_index_target(op, x, target, ignore_index):
    """Validate integer class targets against logits / log-probabilities ``x``."""
    t = target.data
    if x.ndim < 1:
        raise RuntimeError(f"{op}: input must have a class dimension, got shape {x.shape}")
    if x.ndim == 1:
        expected = ()
        c = x.shape[0]
    else:
        c = x.shape[1]
        expected = (x.shape[0],) + x.shape[2:]
    if t.shape != expected:
        if x.ndim >= 2 and t.ndim >= 1 and t.shape[0] != x.shape[0]:
            raise RuntimeError(f"{op}: expected input batch_size ({x.shape[0]}) to match "
                               f"target batch_size ({t.shape[0]}) (input {x.shape}, target "
                               f"{t.shape})")
        raise RuntimeError(f"{op}: target of shape {t.shape} does not fit input of shape "
                           f"{x.shape}: expected class indices of shape {expected}")
    bad = (t < 0) | (t >= c)
    if ignore_index is not None:
        bad &= t != ignore_index
    if bad.any():
        value = int(t[bad].flat[0])
        raise TargetError(f"{op}: target {value} is out of bounds: class indices must be in "
                          f"[0, {c}) for an input with C={c} classes")
    return c


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
                  reduce=None, reduction="mean", label_smoothing=0.0):
    """Softmax cross-entropy of logits ``input`` (N, C) or (N, C, d1, ...).

    ``target`` is either class indices (int64, shape (N,) or (N, d1, ...)) — computed
    by one fused, stable log-softmax op — or class probabilities / one-hot floats of
    the input's shape. ``weight`` rescales classes, ``ignore_index`` skips targets,
    ``label_smoothing`` mixes the target with the uniform distribution.
    """
    op = "cross_entropy"
    if size_average is not None or reduce is not None:
        raise TypeError(f"{op}: size_average and reduce are deprecated; use reduction=")
    x = _float_tensor(input, op)
    target = _tensor(target, op, "target")
    _check_reduction(op, reduction)
    if not isinstance(label_smoothing, numbers.Real) or not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}")
    if x.ndim == 0:
        raise RuntimeError(f"{op}: input must have a class dimension, got a 0-d tensor")
    unbatched = x.ndim == 1
    if unbatched:
        x = x.unsqueeze(0)
    c = x.shape[1]
    w = _class_weight(weight, c, op, x)
    if w is not None and w.dtype != x.dtype:
        w = w.to(x.dtype)
    if target.dtype.kind == "f":
        t_shape = target.shape if not unbatched else (1,) + target.shape
        if tuple(t_shape) != tuple(x.shape):
            raise TypeError(
                f"{op}: target has dtype {target.dtype} and shape {target.shape}, but class "
                f"indices must be integers: use target.long(), or pass class probabilities "
                f"of the input's shape {tuple(input.shape)}")
        t = target if not unbatched else target.unsqueeze(0)
        if t.dtype != x.dtype:
            t = t.to(x.dtype)
        loss = _loss.cross_entropy_probabilities(x, t, w, reduction, float(label_smoothing))
        return loss.squeeze(0) if unbatched and reduction == "none" else loss
    if target.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold class indices (int64) or probabilities "
                        f"(float), got dtype {target.dtype}")
    t = target if not unbatched else target.reshape(1)
    _check_index_target(op, x, t, ignore_index)
    tdata = t.data if t.data.dtype == np.int64 else t.data.astype(np.int64)
    loss = _loss.CrossEntropyIndex.apply(x, target=tdata,
                                         weight=None if w is None else w.data,
                                         ignore_index=ignore_index, reduction=reduction,
                                         smoothing=float(label_smoothing))
    return loss.squeeze(0) if unbatched and reduction == "none" else loss


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood of log-probabilities ``input`` (N, C) or (N, C, d1, ...)
    at integer class ``target``; mean weighted by the targets' class weights."""
    op = "nll_loss"
    if size_average is not None or reduce is not None:
        raise TypeError(f"{op}: size_average and reduce are deprecated; use reduction=")
    x = _float_tensor(input, op)
    target = _tensor(target, op, "target")
    _check_reduction(op, reduction)
    if target.dtype.kind not in "iu":
        raise TypeError(f"{op}: target must hold class indices (int64), got dtype "
                        f"{target.dtype} (use target.long())")
    unbatched = x.ndim == 1
    if unbatched:
        x, target = x.unsqueeze(0), target.reshape(1)
    c = _check_index_target(op, x, target, ignore_index)
    w = _class_weight(weight, c, op, x)
    loss = _loss.nll_loss(x, target.data.astype(np.int64, copy=False), w, ignore_index,
                          reduction)
    return loss.squeeze(0) if unbatched and reduction == "none" else loss


def _pair_shapes(op, x, t):
    if tuple(x.shape) != tuple(t.shape):
        raise RuntimeError(f"{op}: input of shape {x.shape} and target of shape {t.shape} "
                           "differ; PyTorch would broadcast them (usually a bug), "
                           "tinygrad_jp refuses: reshape one, e.g. target.view_as(input)")


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Mean squared error. Unlike PyTorch (which broadcasts with a warning), shapes
    must match exactly: a (N, 1) vs (N,) mix-up raises instead of silently giving an
    (N, N) loss."""
    op = "mse_loss"
    x = _float_tensor(input, op)
    t = _tensor(target, op, "target")
    _check_reduction(op, reduction, size_average, reduce)
    _pair_shapes(op, x, t)
    d = x - t
    return _loss.reduce_loss(d * d, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Mean absolute error (shapes must match exactly, see :func:`mse_loss`)."""
    op = "l1_loss"
    x = _float_tensor(input, op)
    t = _tensor(target, op, "target")
    _check_reduction(op, reduction, size_average, reduce)
    _pair_shapes(op, x, t)
    return _loss.reduce_loss((x - t).abs(), reduction)


def _bce_common(op, x, t, weight, reduction, size_average=None, reduce=None):
    _check_reduction(op, reduction, size_average, reduce)
    if tuple(x.shape) != tuple(t.shape):
        raise ValueError(f"{op}: target size {t.shape} must be the same as input size "
                         f"{x.shape}")
    if t.dtype != x.dtype:
        t = t.to(x.dtype)
    w = None
    if weight is not None:
        w = _float_tensor(weight, op, "weight")
        try:
            np.broadcast_shapes(w.shape, x.shape)
        except ValueError:
            raise RuntimeError(f"{op}: weight of shape {w.shape} does not broadcast to the "
                               f"input's shape {x.shape}") from None
    return t, w


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """−w·(t·log x + (1 − t)·log(1 − x)) for probabilities x in [0, 1]; each log is
    clamped to ≥ −100, as in PyTorch, so x = 0 or 1 gives a finite loss."""
    op = "binary_cross_entropy"
    x = _float_tensor(input, op)
    t = _float_tensor(target, op, "target")
    t, w = _bce_common(op, x, t, weight, reduction, size_average, reduce)
    if x.data.size and (np.nanmin(x.data) < 0 or np.nanmax(x.data) > 1):
        raise ValueError(f"{op}: all elements of input should be between 0 and 1 (got "
                         f"min {x.data.min():.4g}, max {x.data.max():.4g}); use "
                         "binary_cross_entropy_with_logits for raw scores")
    loss = _loss.BinaryCrossEntropy.apply(x, t)
    if w is not None:
        loss = loss * w
    return _loss.reduce_loss(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction="mean", pos_weight=None):
    """Sigmoid + binary cross-entropy in one stable op (finite for logits of ±1e4).
    ``pos_weight`` (broadcast along the last dim) weights the positive term."""
    op = "binary_cross_entropy_with_logits"
    x = _float_tensor(input, op)
    t = _float_tensor(target, op, "target")
    t, w = _bce_common(op, x, t, weight, reduction, size_average, reduce)
    if pos_weight is not None:
        pw = _float_tensor(pos_weight, op, "pos_weight")
        try:
            np.broadcast_shapes(pw.shape, x.shape)
        except ValueError:
            raise RuntimeError(f"{op}: pos_weight of shape {pw.shape} does not broadcast to "
                               f"the input's shape {x.shape}") from None
        if pw.dtype != x.dtype:
            pw = pw.to(x.dtype)
        loss = _loss.BinaryCrossEntropyWithLogits.apply(x, t, pw)
    else:
        loss = _loss.BinaryCrossEntropyWithLogits.apply(x, t)
    if w is not None:
        loss = loss * w
    return _loss.reduce_loss(loss, reduction)

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
