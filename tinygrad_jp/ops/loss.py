"""Loss ops. Cross-entropy with class indices is one fused, stable op (the hot path of
every training step); the others are short compositions of differentiable ops or one
fused op whose backward is written with Tensor ops (so ``create_graph`` works)."""
import numpy as np

from ..autograd import Function, is_grad_enabled
from ..devices import array_module, as_array, is_device_array
from ..kernels import for_array
from ..tensor import Tensor
from .reduce import GatherAlongDim


def _const(array):
    return Tensor._wrap(array)


def _reduce(loss, reduction, denominator=None):
    """Apply ``reduction`` to an elementwise loss tensor."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if denominator is None:
        return loss.mean()
    return loss.sum() / denominator


class CrossEntropyIndex(Function):
    """Fused log-softmax + negative log-likelihood for integer class targets.

    ``x`` is (N, C) or (N, C, d1, ...); ``target`` an int array (N,) or (N, d1, ...).
    The log-sum-exp is shifted by the row maximum, so logits of ±1e4 are exact. With
    ``label_smoothing`` ε the loss is ``(1−ε)·nll + ε/C·Σ_c w_c·(−log p_c)``, normalised
    as PyTorch does. Backward: ``(a + b·Σw)·softmax − a·onehot − b·w`` per sample.
    """

    def forward(self, x, target, weight, ignore_index, reduction, smoothing):
        xd = x.data
        dt = xd.dtype
        rows = getattr(for_array(xd), "cross_entropy_rows", None)   # a device's fused pass
        fused = rows(xd, target, ignore_index) if rows and weight is None and not smoothing \
            else None
        if fused is None:
            loss, prob, safe, wt, valid = self._loss_per_sample(xd, target, weight,
                                                                ignore_index, smoothing)
        else:
            loss, prob, wt, safe = fused
            loss, wt, safe, valid = loss[:, None], wt[:, None], safe[:, None], None
        self.save_for_backward(x, prob)
        self.safe, self.wt, self.weight = safe, wt, weight
        self.valid = valid
        denominator = wt.sum(dtype=dt)
        self.reduction, self.smoothing, self.denominator = reduction, smoothing, denominator
        if reduction == "none":
            return loss.reshape(target.shape)
        total_loss = loss.sum(dtype=dt)
        if reduction == "sum":
            return as_array(total_loss, dt)
        return as_array(total_loss / denominator, dt)

    @staticmethod
    def _loss_per_sample(xd, target, weight, ignore_index, smoothing):
        """(loss (N, 1, ...), softmax, safe targets, weights, mask of counted samples)."""
        xp = array_module(xd)
        dt = xd.dtype
        c = xd.shape[1]
        shifted = xd - xd.max(axis=1, keepdims=True)
        prob = np.exp(shifted)
        total = prob.sum(axis=1, keepdims=True)
        log_total = np.log(total)
        tk = target[:, None]
        valid = None if ignore_index is None else tk != ignore_index
        if valid is not None and not is_device_array(valid) and valid.all():
            valid = None      # (on a GPU the question would stall the queue: keep the mask)
        safe = tk if valid is None else np.where(valid, tk, 0)
        picked = np.take_along_axis(shifted, safe, axis=1) - log_total   # log p_target
        if weight is None:
            wt = xp.ones(tk.shape, dt) if valid is None else valid.astype(dt)
        else:
            wt = weight[safe]
            if valid is not None:
                wt = wt * valid
        loss = -picked * wt
        smooth = None
        if smoothing:
            # Σ_c w_c·(−log p_c) = Σ_c w_c·(log_total − shifted_c)
            if weight is None:
                smooth = c * log_total - shifted.sum(axis=1, keepdims=True)
            else:
                wb = weight.reshape((1, c) + (1,) * (xd.ndim - 2))
                smooth = weight.sum(dtype=dt) * log_total - (shifted * wb).sum(
                    axis=1, keepdims=True)
            if valid is not None:
                smooth = smooth * valid
            loss = (1.0 - smoothing) * loss + (smoothing / c) * smooth
        prob /= total
        return loss, prob, safe, wt, valid

    def _coefficients(self, dt):
        """Per-sample factors a (nll part) and b (smoothing part), before ``grad``."""
        eps, c = self.smoothing, self.saved[1].shape[1]
        # the mean's denominator stays an array: on a GPU, float() would wait for it
        per_sample = self.denominator if self.reduction == "mean" else dt.type(1)
        a = self.wt * (dt.type(1.0 - eps) / per_sample)
        b = None
        if eps:
            ones = array_module(self.wt).ones(self.wt.shape, dt) if self.valid is None else \
                self.valid.astype(dt)
            b = ones * (dt.type(eps / c) / per_sample)
        return a, b

    def backward(self, grad):
        # ∂loss/∂x = g·(scale·softmax(x) − target), per sample: ``target`` holds a at the
        # target class (plus the smoothing's b·w_c on every class), scale = a + b·Σw
        x, prob = self.saved
        dt = prob.dtype
        a, b = self._coefficients(dt)
        target = array_module(prob).zeros(prob.shape, dt)
        np.put_along_axis(target, self.safe, a, axis=1)
        scale = a
        if b is not None:
            if self.weight is None:
                target += b
                scale = a + b * dt.type(prob.shape[1])
            else:
                wb = self.weight.reshape((1, -1) + (1,) * (prob.ndim - 2)).astype(dt)
                target += b * wb
                scale = a + b * self.weight.sum(dtype=dt)
        g = grad.reshape((grad.shape[0], 1) + grad.shape[1:]) if self.reduction == "none" \
            else grad
        # the softmax the forward saved; recorded from x when this backward is itself
        # recorded (create_graph), so that its own derivative is tracked
        p = x.softmax(1) if is_grad_enabled() else _const(prob)
        return (p * _const(scale) - _const(target)) * g


def cross_entropy_probabilities(x, target, weight, reduction, smoothing):
    """Cross-entropy against class probabilities (or one-hot floats) of x's shape."""
    c = x.shape[1]
    logp = x.log_softmax(1)
    t = target
    if smoothing:
        t = t * (1.0 - smoothing) + smoothing / c
    term = logp * t
    if weight is not None:
        term = term * weight.reshape((1, c) + (1,) * (x.ndim - 2))
    loss = -term.sum(1)
    return _reduce(loss, reduction)


def nll_loss(x, target, weight, ignore_index, reduction):
    """−x[i, target_i]·w[target_i], ignoring ``ignore_index`` (composed from a gather)."""
    tk = target[:, None]
    valid = tk != ignore_index
    safe = np.where(valid, tk, 0)
    dt = x.dtype
    picked = GatherAlongDim.apply(x, index=safe, dim=1)
    wt = valid.astype(dt) if weight is None else (weight.data[safe] * valid).astype(dt)
    loss = -(picked * _const(wt)).squeeze(1)
    if reduction == "mean":
        return loss.sum() / _const(as_array(wt.sum(dtype=dt)))
    return _reduce(loss, reduction)


class BinaryCrossEntropy(Function):
    """−w·(t·log x + (1−t)·log(1−x)) with each log clamped to ≥ −100, as PyTorch."""

    def forward(self, x, t):
        self.save_for_backward(x, t)
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(x.data), -100)
            log_1mx = np.maximum(np.log1p(-x.data), -100)
        return -(t.data * log_x + (1 - t.data) * log_1mx)

    def backward(self, grad):
        x, t = self.saved
        gx = gt = None
        if self.needs_input_grad[0]:
            # PyTorch's form: (x − t) / max(x(1−x), 1e-12)
            gx = grad * (x - t) / (x * (1.0 - x)).clamp(min=1e-12)
        if self.needs_input_grad[1]:
            with np.errstate(divide="ignore"):
                logs = (np.maximum(np.log1p(-x.data), -100) -
                        np.maximum(np.log(x.data), -100))
            gt = grad * _const(logs.astype(x.dtype))
        return gx, gt


class BinaryCrossEntropyWithLogits(Function):
    """Elementwise ``(1−t)·x + L·softplus(−x)``, ``L = 1 + (pos_weight−1)·t``.

    softplus(−x) is computed as ``max(−x, 0) + log1p(exp(−|x|))``, so logits of ±1e4
    give exact, finite losses and gradients.
    """

    def forward(self, x, t, pos_weight=None):
        xd, td = x.data, t.data
        self.save_for_backward(x, t, pos_weight)
        softplus_neg = np.maximum(-xd, 0) + np.log1p(np.exp(-np.abs(xd)))
        if pos_weight is None:
            return (1 - td) * xd + softplus_neg
        lw = 1 + (pos_weight.data - 1) * td
        return (1 - td) * xd + lw * softplus_neg

    def backward(self, grad):
        x, t, pw = self.saved
        gx = gt = gp = None
        if self.needs_input_grad[0]:
            sig = x.sigmoid()
            if pw is None:
                gx = grad * (sig - t)
            else:
                lw = 1 + (pw - 1) * t
                gx = grad * ((1 - t) - lw * (1 - sig))
        if self.needs_input_grad[1] or (pw is not None and self.needs_input_grad[2]):
            softplus_neg = (-x).relu() + ((-x.abs()).exp() + 1).log()
            if self.needs_input_grad[1]:
                gt = grad * (-x if pw is None else -x + (pw - 1) * softplus_neg)
            if pw is not None and self.needs_input_grad[2]:
                gp = grad * t * softplus_neg
        return (gx, gt) if pw is None else (gx, gt, gp)


def reduce_loss(loss, reduction, denominator=None):
    """Public helper: 'none' | 'mean' | 'sum' of an elementwise loss."""
    return _reduce(loss, reduction, denominator)
