"""Running sums and products along one dimension (``cumsum``, ``cumprod``)."""
import numpy as np

from ..autograd import Function
from ..tensor import Tensor, where


def reverse_cumsum(t, dim):
    """Σ_{j ≥ i} t_j along ``dim``: the adjoint of a running sum."""
    return t.flip(dim).cumsum(dim).flip(dim)


class Cumsum(Function):
    """y_i = Σ_{j ≤ i} x_j. Each x_i feeds every later y_j, so the gradient is the
    running sum of the incoming gradient taken from the other end."""

    def forward(self, a, dim):
        self.dim = dim
        return np.cumsum(a.data, axis=dim)

    def backward(self, grad):
        return reverse_cumsum(grad, self.dim)


class Cumprod(Function):
    """y_i = Π_{j ≤ i} x_j.

    ∂y_j/∂x_i (j ≥ i) is the product of x_0..x_j without x_i. With no zero in x that is
    y_j / x_i, so the gradient is reverse_cumsum(g·y) / x (PyTorch's formula). With a
    zero the division is 0/0, so the products-without-x_i are formed directly: an
    n×n table whose row i is x with x_i replaced by 1, run through cumprod. Both
    branches are Tensor ops, so the backward can be differentiated again.
    """

    def forward(self, a, dim):
        out = np.cumprod(a.data, axis=dim)
        self.dim = dim
        self.save_for_backward(a, out)
        return out

    def backward(self, grad):
        x, out = self.saved
        d = self.dim
        if not (x.data == 0).any():
            return reverse_cumsum(grad * self.output(out), d) / x
        xm, gm = x.movedim(d, -1), grad.movedim(d, -1)
        n = xm.shape[-1]
        eye = Tensor._wrap(np.eye(n, dtype=bool))
        one = Tensor._wrap(np.ones((), dtype=x.dtype))
        # without_i[..., i, k] = 1 if k == i else x_k;  its cumprod along k at column j
        # is Π_{k ≤ j, k ≠ i} x_k
        without_i = where(eye, one, xm.unsqueeze(-2).expand(xm.shape[:-1] + (n, n)))
        later = Tensor._wrap(np.triu(np.ones((n, n), dtype=x.dtype)))   # j ≥ i
        gx = (without_i.cumprod(-1) * later * gm.unsqueeze(-2)).sum(-1)
        return gx.movedim(-1, d)
