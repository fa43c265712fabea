"""``nn.utils``: gradient clipping, weight penalties to add to a loss, and flattening
parameters into one vector.

Penalties (differentiable scalars, to add to the loss)::

    l1_penalty(params)              = Σ |w|
    l2_penalty(params)              = ½ Σ w²          (gradient: w)
    elastic_net_penalty(params, r)  = r · Σ|w| + (1 − r) · ½ Σ w²

so ``loss = criterion(out, y) + lam * nn.utils.l2_penalty(weights)`` is the curriculum's
weight decay ½λ‖W‖² (gradient λW), and ``lam * l1_penalty(weights)`` is L1 (gradient
λ·sign(w), 0 at 0). Pass only the weights to leave biases unpenalised, e.g.
``[p for n, p in model.named_parameters() if n.endswith('weight')]``.
"""
import math

import numpy as np

from ..tensor import Tensor, cat
from .module import Module

__all__ = ["clip_grad_norm_", "clip_grad_value_", "get_total_norm", "l1_penalty",
           "l2_penalty", "elastic_net_penalty", "parameters_to_vector",
           "vector_to_parameters"]


def _tensor_list(parameters, op):
    if isinstance(parameters, Tensor):
        return [parameters]
    if isinstance(parameters, Module):
        return list(parameters.parameters())
    try:
        items = list(parameters)
    except TypeError:
        raise TypeError(f"{op}: expected a Tensor, an iterable of Tensors or a Module, got "
                        f"{type(parameters).__name__}") from None
    for i, p in enumerate(items):
        if not isinstance(p, Tensor):
            raise TypeError(f"{op}: element {i} is a {type(p).__name__}, not a Tensor")
    return items


def _norm_type(norm_type, op):
    try:
        value = float(norm_type)
    except (TypeError, ValueError):
        raise ValueError(f"{op}: norm_type must be a number or 'inf', got "
                         f"{norm_type!r}") from None
    if value < 0 and not math.isinf(value):
        raise ValueError(f"{op}: norm_type must be non-negative, got {norm_type}")
    return value


def _vector_norm(array, p):
    a = np.abs(array.astype(np.float64, copy=False)).ravel()
    if math.isinf(p):
        return float(a.max(initial=0.0)) if p > 0 else float(a.min(initial=np.inf))
    if p == 0:
        return float(np.count_nonzero(a))
    if p == 1:
        return float(a.sum())
    if p == 2:
        return float(np.sqrt(np.dot(a, a)))
    return float((a ** p).sum() ** (1.0 / p))


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False):
    """The ``norm_type``-norm of all ``tensors`` taken together (as one long vector),
    as a 0-d Tensor."""
    tensors = _tensor_list(tensors, "get_total_norm")
    p = _norm_type(norm_type, "get_total_norm")
    if not tensors:
        return Tensor._wrap(np.array(0.0, dtype=np.float32))
    norms = np.array([_vector_norm(t.data, p) for t in tensors])
    total = _vector_norm(norms, p)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           "`parameters` is non-finite, so it cannot be clipped. To disable "
                           "this error and scale the gradients by the non-finite norm "
                           "anyway, set `error_if_nonfinite=False`")
    return Tensor._wrap(np.array(total, dtype=tensors[0].data.dtype))


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Rescale the gradients in place so that their total ``norm_type``-norm (all
    gradients as one vector) is at most ``max_norm``; returns the norm *before* clipping
    as a 0-d Tensor.

    Each gradient is multiplied by ``min(1, max_norm / (total_norm + 1e-6))``, as in
    PyTorch. ``norm_type`` may be ``float('inf')`` (the largest absolute entry).
    Parameters whose ``.grad`` is None are skipped.
    """
    params = _tensor_list(parameters, "clip_grad_norm_")
    max_norm = float(max_norm)
    if max_norm < 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be non-negative, got {max_norm}")
    grads = [p.grad for p in params if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    if not grads:
        return total
    coef = min(max_norm / (float(total.data) + 1e-6), 1.0)
    if coef < 1.0:
        for g in grads:
            g.data *= np.asarray(coef, dtype=g.data.dtype)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient element into ``[-clip_value, clip_value]`` in place."""
    params = _tensor_list(parameters, "clip_grad_value_")
    clip_value = float(clip_value)
    if clip_value < 0:
        raise ValueError(f"clip_grad_value_: clip_value must be non-negative, got "
                         f"{clip_value}")
    for p in params:
        if p.grad is not None:
            np.clip(p.grad.data, -clip_value, clip_value, out=p.grad.data)


def _sum_terms(terms):
    total = None
    for t in terms:
        total = t if total is None else total + t
    if total is None:
        return Tensor._wrap(np.array(0.0, dtype=np.float32))
    return total


def l1_penalty(params):
    """Σ|w| over all ``params`` (a differentiable 0-d Tensor; gradient sign(w), 0 at 0)."""
    return _sum_terms(p.abs().sum() for p in _tensor_list(params, "l1_penalty"))


def l2_penalty(params):
    """½ Σ w² over all ``params`` (a differentiable 0-d Tensor; gradient w)."""
    total = _sum_terms((p * p).sum() for p in _tensor_list(params, "l2_penalty"))
    return total * 0.5


def elastic_net_penalty(params, l1_ratio=0.5):
    """``l1_ratio`` · Σ|w| + (1 − ``l1_ratio``) · ½ Σ w² (a differentiable 0-d Tensor).

    ``l1_ratio=1`` is :func:`l1_penalty`, ``l1_ratio=0`` is :func:`l2_penalty`.
    """
    if isinstance(l1_ratio, bool) or not isinstance(l1_ratio, (int, float)) or not (
            0.0 <= l1_ratio <= 1.0):
        raise ValueError(f"elastic_net_penalty: l1_ratio must be in [0, 1], got "
                         f"{l1_ratio!r}")
    params = _tensor_list(params, "elastic_net_penalty")
    return l1_ratio * l1_penalty(params) + (1.0 - l1_ratio) * l2_penalty(params)


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated into one 1-D Tensor (differentiable)."""
    params = _tensor_list(parameters, "parameters_to_vector")
    if not params:
        raise RuntimeError("parameters_to_vector: got no parameters")
    return cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-D ``vec`` into the parameters, in place."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected vec to be a Tensor, got "
                        f"{type(vec).__name__}")
    params = _tensor_list(parameters, "vector_to_parameters")
    total = sum(p.data.size for p in params)
    if vec.ndim != 1 or vec.shape[0] != total:
        raise RuntimeError(f"vector_to_parameters: vec has shape {tuple(vec.shape)}, but the "
                           f"parameters hold {total} elements")
    offset = 0
    for p in params:
        n = p.data.size
        p.data[...] = vec.data[offset:offset + n].reshape(p.shape)
        offset += n
