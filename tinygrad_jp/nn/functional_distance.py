"""Lengths and angles of vectors: ``normalize`` and ``cosine_similarity``."""
import numpy as np

from ._checks import _float_tensor

__all__ = ["normalize", "cosine_similarity"]


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """x / max(‖x‖_p, eps) along ``dim``: unit vectors (a zero vector stays zero)."""
    x = _float_tensor(input, "normalize")
    if out is not None:
        raise TypeError("normalize: out= is not supported; use the returned tensor")
    return x / x.norm(p, dim, keepdim=True).clamp(min=eps)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """cos θ = x1·x2 / (‖x1‖‖x2‖) along ``dim``, with each norm at least ``eps``
    (PyTorch's formula: each vector is normalised first, then the dot product is
    taken). The inputs broadcast."""
    op = "cosine_similarity"
    a, b = _float_tensor(x1, op, "x1"), _float_tensor(x2, op, "x2")
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise RuntimeError(f"{op}: x1 of shape {a.shape} and x2 of shape {b.shape} cannot "
                           "be broadcast together") from None
    a, b = a.broadcast_to(shape), b.broadcast_to(shape)
    na = a.norm(2, dim, keepdim=True).clamp(min=eps)
    nb = b.norm(2, dim, keepdim=True).clamp(min=eps)
    return ((a / na) * (b / nb)).sum(dim)
