"""Attention: ``softmax(Q Kᵀ · scale + mask) V`` (Vaswani et al. 2017), as PyTorch's
``F.scaled_dot_product_attention``.

It is written with differentiable ops only (matmul, softmax, where, dropout), so its
gradient, to any order, comes from theirs.
"""
import math
import numbers

import numpy as np

from ..tensor import Tensor, where
from ._checks import _float_tensor
from .functional_dropout import dropout

__all__ = ["scaled_dot_product_attention"]


def _mask_array(mask, op, name):
    """A mask as a NumPy array (bool) or as a float Tensor (which may carry a gradient,
    e.g. a learned position bias)."""
    if isinstance(mask, Tensor):
        return mask.data if mask.dtype == np.bool_ else mask
    mask = np.asarray(mask)
    if mask.dtype != np.bool_ and mask.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be a bool or a float tensor, got dtype "
                        f"{mask.dtype}")
    return mask


def _as_additive(mask, dtype):
    """A bool mask (True = may attend) → 0 / -inf to add to the scores."""
    if isinstance(mask, np.ndarray) and mask.dtype == np.bool_:
        return np.where(mask, 0.0, -np.inf).astype(dtype)
    return mask


def attention(query, key, value, additive_mask=None, dropout_p=0.0, scale=None, op="attention"):
    """``(softmax(query @ keyᵀ · scale + additive_mask) @ value, the softmax weights)``.

    ``additive_mask`` is an array or a Tensor that broadcasts to ``(..., L, S)``, with
    ``-inf`` where a query may not look. A query that may look nowhere (a row that is
    all ``-inf``) gets zero weights and a zero output, with no NaN in the gradient.
    """
    scores = (query @ key.transpose(-2, -1)) * scale
    dead = None
    if additive_mask is not None:
        data = additive_mask.data if isinstance(additive_mask, Tensor) else additive_mask
        try:
            np.broadcast_shapes(data.shape, scores.shape)
        except ValueError:
            raise RuntimeError(f"{op}: the attention mask of shape {data.shape} does not "
                               f"broadcast to the scores' shape {scores.shape} "
                               "(..., L, S)") from None
        dead = np.isneginf(data).all(axis=-1, keepdims=True)
        if dead.any():
            # softmax of a row of -inf is 0/0: read such rows as all-zero scores and
            # zero their weights afterwards
            keep = Tensor._wrap((~dead).astype(scores.dtype))
            if isinstance(additive_mask, Tensor):
                zero = Tensor._wrap(np.zeros((), additive_mask.dtype))
                additive_mask = where(Tensor._wrap(dead), zero, additive_mask)
            else:
                additive_mask = np.where(dead, 0.0, data)
        else:
            dead = None
        if isinstance(additive_mask, Tensor):
            if additive_mask.dtype != scores.dtype:
                additive_mask = additive_mask.to(scores.dtype)
        else:
            additive_mask = Tensor._wrap(np.asarray(additive_mask, dtype=scores.dtype))
        scores = scores + additive_mask
    weights = scores.softmax(-1)
    if dead is not None:
        weights = weights * keep
    if dropout_p > 0:
        weights = dropout(weights, dropout_p, training=True)
    return weights @ value, weights


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """Attention of ``query`` (..., L, E) over ``key`` (..., S, E) and ``value``
    (..., S, Ev): ``softmax(query @ keyᵀ · scale + mask) @ value``, of shape (..., L, Ev).

    - ``scale``: defaults to 1/√E.
    - ``attn_mask``: broadcasts to (..., L, S); a bool mask says where a query *may*
      attend (True), a float mask is added to the scores.
    - ``is_causal=True``: query i attends to keys 0..i only (the lower triangle); not
      together with ``attn_mask``.
    - ``dropout_p``: dropout on the attention weights (always applied when > 0, as in
      PyTorch: pass ``dropout_p=p if self.training else 0.0``).
    - ``enable_gqa=True``: key and value may have fewer heads (dim -3) than the query,
      each shared by a group of query heads (grouped-query attention).

    A query that may attend to no key at all gets a zero output (as PyTorch's CPU
    kernel does), not NaN.
    """
    op = "scaled_dot_product_attention"
    q = _float_tensor(query, op, "query")
    k = _float_tensor(key, op, "key")
    v = _float_tensor(value, op, "value")
    for name, t in (("query", q), ("key", k), ("value", v)):
        if t.ndim < 2:
            raise RuntimeError(f"{op}: {name} must have at least 2 dims (..., L, E), got "
                               f"shape {t.shape}")
    if q.shape[-1] != k.shape[-1]:
        raise RuntimeError(f"{op}: query's embedding size {q.shape[-1]} (shape {q.shape}) "
                           f"must equal key's {k.shape[-1]} (shape {k.shape})")
    if k.shape[-2] != v.shape[-2]:
        raise RuntimeError(f"{op}: key and value must have the same sequence length S "
                           f"(dim -2), got key {k.shape} and value {v.shape}")
    if enable_gqa and q.ndim >= 3 and k.shape[-3] != q.shape[-3]:
        hq, hk = q.shape[-3], k.shape[-3]
        if hk == 0 or hq % hk or v.shape[-3] != hk:
            raise RuntimeError(f"{op}: with enable_gqa the query's heads ({hq}) must be a "
                               f"multiple of the key's and value's ({hk}, {v.shape[-3]})")
        k, v = _repeat_heads(k, hq // hk), _repeat_heads(v, hq // hk)
    if not isinstance(dropout_p, numbers.Real) or not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{op}: dropout_p has to be between 0 and 1, got {dropout_p!r}")
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1])
    mask = None
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError(f"{op}: pass either attn_mask or is_causal=True, not both "
                               "(for a causal mask combined with your own, build it with "
                               "tg.ones(L, S, dtype=tg.bool).tril() & mask)")
        mask = np.tril(np.ones((q.shape[-2], k.shape[-2]), dtype=np.bool_))
    elif attn_mask is not None:
        mask = _mask_array(attn_mask, op, "attn_mask")
    out, _ = attention(q, k, v, _as_additive(mask, q.dtype), float(dropout_p), scale, op)
    return out


def _repeat_heads(t, times):
    """(..., H, S, E) → (..., H·times, S, E), each head repeated ``times`` times in a row."""
    shape = t.shape
    t = t.unsqueeze(-3).expand(*shape[:-2], times, *shape[-2:])
    return t.reshape(*shape[:-3], shape[-3] * times, *shape[-2:])
