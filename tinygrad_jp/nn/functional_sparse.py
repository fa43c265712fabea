"""Class indices to vectors: ``one_hot`` and ``embedding`` (a lookup table whose rows
are learned)."""
import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor, where
from ._checks import _float_tensor, _tensor

__all__ = ["one_hot", "embedding"]


def _indices(x, op, name="input"):
    x = _tensor(x, op, name)
    if x.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: {name} must be an integer (int64) tensor of indices, "
                           f"got dtype {x.dtype}")
    return x


def one_hot(tensor, num_classes=-1):
    """int64 indices of shape ``(*)`` → int64 one-hot vectors of shape
    ``(*, num_classes)``; ``num_classes=-1`` uses the largest index + 1."""
    op = "one_hot"
    idx = _indices(tensor, op, "tensor").data
    if idx.size and idx.min() < 0:
        raise RuntimeError(f"{op}: class values must be non-negative, got {idx.min()}")
    if num_classes == -1:
        if not idx.size:
            raise RuntimeError(f"{op}: can not infer the number of classes from an empty "
                               "tensor; pass num_classes")
        num_classes = int(idx.max()) + 1
    if idx.size and idx.max() >= num_classes:
        raise RuntimeError(f"{op}: class values must be smaller than num_classes "
                           f"({num_classes}), got {idx.max()}")
    return Tensor._wrap((idx[..., None] == np.arange(num_classes)).astype(np.int64))


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by the int64 indices
    ``input`` of any shape: the result has shape ``input.shape + (embedding_dim,)``.

    The row at ``padding_idx`` gets no gradient. With ``max_norm``, the rows looked up
    are first rescaled in place to norm ≤ max_norm, as in PyTorch. Gradients are
    always dense (``sparse`` is accepted and ignored)."""
    op = "embedding"
    idx = _indices(input, op)
    w = _float_tensor(weight, op, "weight")
    if w.ndim != 2:
        raise RuntimeError(f"{op}: weight must be 2-D (num_embeddings, embedding_dim), got "
                           f"shape {w.shape}")
    n = w.shape[0]
    if idx.data.size and (idx.data.min() < 0 or idx.data.max() >= n):
        bad = idx.data.min() if idx.data.min() < 0 else idx.data.max()
        raise IndexError(f"{op}: index {bad} is out of range for a table of {n} rows")
    if scale_grad_by_freq:
        raise NotImplementedError(f"{op}: scale_grad_by_freq=True is not supported")
    if max_norm is not None:
        rows = np.unique(idx.data)
        with no_grad():
            norms = np.linalg.norm(w.data[rows], ord=norm_type, axis=1, keepdims=True)
            scale = np.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
            w.data[rows] *= scale.astype(w.dtype)
    out = w.index_select(0, idx.reshape(-1)).reshape(idx.shape + (w.shape[1],))
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise ValueError(f"{op}: padding_idx {padding_idx} must be within the {n} rows")
        pad = Tensor._wrap((idx.data == padding_idx % n)[..., None])
        out = where(pad, out.detach(), out)
    return out
