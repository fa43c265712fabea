"""``nn.MultiheadAttention``: attention in ``num_heads`` subspaces side by side, with
learned projections in and out (Vaswani et al. 2017), as in PyTorch."""
import math

import numpy as np

from .. import creation
from ..tensor import Tensor, cat
from . import functional as F
from . import init
from .functional_attention import attention
from .layers import Linear, _check_device, _param, _positive_int
from .module import Module

__all__ = ["MultiheadAttention"]


def _additive(mask, masked_when, op, name):
    """A mask → what to add to the scores. In ``nn.MultiheadAttention`` a bool True
    means *masked out* (the opposite of ``F.scaled_dot_product_attention``)."""
    if mask is None:
        return None
    if isinstance(mask, Tensor) and mask.dtype != np.bool_:
        if mask.dtype.kind != "f":
            raise TypeError(f"{op}: {name} must be a bool or a float tensor, got dtype "
                            f"{mask.dtype}")
        return mask
    m = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype == np.bool_:
        return np.where(m == masked_when, -np.inf, 0.0)
    if m.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be a bool or a float tensor, got dtype {m.dtype}")
    return m


class MultiheadAttention(Module):
    """``MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True,
    add_bias_kv=False, add_zero_attn=False, kdim=None, vdim=None, batch_first=False)``.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True,
    attn_mask=None, average_attn_weights=True, is_causal=False)`` returns
    ``(attn_output, attn_output_weights)``. Shapes are (L, N, E) for the query and
    (S, N, E) for key and value, or (N, L, E) / (N, S, E) with ``batch_first=True``, or
    unbatched (L, E). The weights are (N, L, S), averaged over the heads, or
    (N, num_heads, L, S) with ``average_attn_weights=False``; ``None`` with
    ``need_weights=False``.

    Masks: ``key_padding_mask`` (N, S) and ``attn_mask`` (L, S) or (N·num_heads, L, S);
    in a bool mask True means *may not attend* (padding, the future), a float mask is
    added to the scores. ``is_causal=True`` is only a hint, as in PyTorch: pass the
    causal ``attn_mask`` too.

    Parameters have PyTorch's names, shapes and initialisation (``in_proj_weight``
    (3E, E) Xavier-uniform, ``in_proj_bias`` zeros, ``out_proj`` a ``Linear(E, E)``
    with zero bias; ``q_proj_weight`` / ``k_proj_weight`` / ``v_proj_weight`` instead
    when ``kdim`` or ``vdim`` differ from E; ``bias_k`` / ``bias_v`` (1, 1, E)
    Xavier-normal with ``add_bias_kv``), so a PyTorch ``state_dict`` loads as is.
    ``add_bias_kv`` appends the learned key and value to every sequence, and
    ``add_zero_attn`` a zero key and value, so the weights are (…, S + 1) or (…, S + 2).
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
        super().__init__()
        _check_device(device)
        name = "MultiheadAttention"
        self.embed_dim = _positive_int(embed_dim, "embed_dim", name)
        self.num_heads = _positive_int(num_heads, "num_heads", name)
        if embed_dim % num_heads:
            raise ValueError(f"{name}: embed_dim ({embed_dim}) must be divisible by "
                             f"num_heads ({num_heads})")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{name}: dropout must be a probability in [0, 1], got {dropout}")
        self.kdim = embed_dim if kdim is None else _positive_int(kdim, "kdim", name)
        self.vdim = embed_dim if vdim is None else _positive_int(vdim, "vdim", name)
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.head_dim = embed_dim // num_heads
        self.dropout, self.batch_first = float(dropout), bool(batch_first)
        if self._qkv_same_embed_dim:
            self.in_proj_weight = _param((3 * embed_dim, embed_dim), dtype)
            self.q_proj_weight = self.k_proj_weight = self.v_proj_weight = None
        else:
            self.in_proj_weight = None
            self.q_proj_weight = _param((embed_dim, embed_dim), dtype)
            self.k_proj_weight = _param((embed_dim, self.kdim), dtype)
            self.v_proj_weight = _param((embed_dim, self.vdim), dtype)
        self.in_proj_bias = _param((3 * embed_dim,), dtype) if bias else None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype)
        # add_bias_kv: one learned key and value appended to every sequence;
        # add_zero_attn: then a zero key and value per head (a place to attend to nothing)
        if add_bias_kv:
            self.bias_k = _param((1, 1, embed_dim), dtype)
            self.bias_v = _param((1, 1, embed_dim), dtype)
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = bool(add_zero_attn)
        self._reset_parameters()

    def _reset_parameters(self):
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def _projections(self):
        e = self.embed_dim
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            weights = (w[:e], w[e:2 * e], w[2 * e:])
        else:
            weights = (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        b = self.in_proj_bias
        biases = (None,) * 3 if b is None else (b[:e], b[e:2 * e], b[2 * e:])
        return weights, biases

    def _check_inputs(self, query, key, value):
        op = "MultiheadAttention"
        for name, t, width in (("query", query, self.embed_dim), ("key", key, self.kdim),
                               ("value", value, self.vdim)):
            if not isinstance(t, Tensor):
                raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
            if t.ndim != query.ndim or t.ndim not in (2, 3):
                raise RuntimeError(f"{op}: query, key and value must all be 3-D (batched) or "
                                   f"all 2-D (unbatched), got shapes {query.shape}, "
                                   f"{key.shape}, {value.shape}")
            if t.shape[-1] != width:
                raise RuntimeError(f"{op}: {name} has {t.shape[-1]} features (shape "
                                   f"{t.shape}) but the layer expects {width}")
        if key.shape[:-1] != value.shape[:-1]:
            raise RuntimeError(f"{op}: key and value must have the same length and batch, got "
                               f"shapes {key.shape} and {value.shape}")
        if query.ndim == 3:
            batch_dim = 0 if self.batch_first else 1
            if query.shape[batch_dim] != key.shape[batch_dim]:
                layout = "(N, L, E)" if self.batch_first else "(L, N, E)"
                raise RuntimeError(f"{op}: query and key have batch sizes "
                                   f"{query.shape[batch_dim]} and {key.shape[batch_dim]} "
                                   f"(shapes {query.shape}, {key.shape}, layout {layout}; "
                                   "batch_first=" + str(self.batch_first) + ")")

    def _extra_keys(self, k, v, mask):
        """``add_bias_kv`` and ``add_zero_attn``: keys and values (N, H, S, D) grow by the
        learned bias and / or a zero, which every query may attend to (the mask gets a
        zero column for each)."""
        n, heads, _, d = k.shape
        extra = []
        if self.bias_k is not None:
            extra.append((self.bias_k.reshape(1, heads, 1, d).expand(n, heads, 1, d),
                          self.bias_v.reshape(1, heads, 1, d).expand(n, heads, 1, d)))
        if self.add_zero_attn:
            zero = creation.zeros(n, heads, 1, d, dtype=k.dtype, device=k.device)
            extra.append((zero, zero))
        for extra_k, extra_v in extra:
            k, v = cat([k, extra_k], dim=2), cat([v, extra_v], dim=2)
            if mask is not None:
                mask = F.pad(mask, (0, 1))
        return k, v, mask

    def _mask(self, key_padding_mask, attn_mask, n, length, source):
        """The masks as one additive mask that broadcasts to (N, H, L, S)."""
        op = "MultiheadAttention"
        kpm = _additive(key_padding_mask, True, op, "key_padding_mask")
        am = _additive(attn_mask, True, op, "attn_mask")
        if kpm is not None:
            if tuple(kpm.shape) not in ((n, source), (source,)):
                raise RuntimeError(f"{op}: key_padding_mask should have shape (N, S) = "
                                   f"{(n, source)}, got {tuple(kpm.shape)}")
            kpm = kpm.reshape(n if len(kpm.shape) == 2 else 1, 1, 1, source)
        if am is not None:
            if tuple(am.shape) == (length, source):
                pass
            elif tuple(am.shape) == (n * self.num_heads, length, source):
                am = am.reshape(n, self.num_heads, length, source)
            else:
                raise RuntimeError(f"{op}: attn_mask should have shape (L, S) = "
                                   f"{(length, source)} or (N*num_heads, L, S) = "
                                   f"{(n * self.num_heads, length, source)}, got "
                                   f"{tuple(am.shape)}")
        if kpm is None or am is None:
            return kpm if am is None else am
        return kpm + am

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        """Attention of ``query`` over ``key`` / ``value``: ``(output, weights)``."""
        self._check_inputs(query, key, value)
        if is_causal and attn_mask is None:
            raise RuntimeError("MultiheadAttention: is_causal=True is a hint that attn_mask "
                               "is the causal mask, so pass attn_mask too, e.g. "
                               "attn_mask=tg.ones(L, L, dtype=tg.bool).triu(1) (True = may "
                               "not attend)")
        batched = query.ndim == 3
        if not batched:
            query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
        elif not self.batch_first:
            query, key, value = (t.transpose(0, 1) for t in (query, key, value))
        n, length, _ = query.shape
        source = key.shape[1]
        (wq, wk, wv), (bq, bk, bv) = self._projections()
        heads = (n, -1, self.num_heads, self.head_dim)
        q, k, v = (F.linear(x, w, b).reshape(heads).transpose(1, 2)     # (N, H, L|S, D)
                   for x, w, b in ((query, wq, bq), (key, wk, bk), (value, wv, bv)))
        mask = self._mask(key_padding_mask, attn_mask, n, length, source)
        k, v, mask = self._extra_keys(k, v, mask)
        out, weights = attention(q, k, v, mask, self.dropout if self.training else 0.0,
                                 1.0 / math.sqrt(self.head_dim), "MultiheadAttention")
        out = self.out_proj(out.transpose(1, 2).reshape(n, length, self.embed_dim))
        if not batched:
            out = out.squeeze(0)
        elif not self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(1)
        return out, (weights if batched else weights.squeeze(0))
