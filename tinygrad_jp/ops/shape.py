"""Shape ops, indexing, concatenation and casts. Each backward is another shape op, so
higher-order gradients flow through them too."""
import numpy as np

from ..autograd import Function
from ..tensor import Tensor


class Reshape(Function):
    def forward(self, a, shape):
        self.in_shape = a.data.shape
        return a.data.reshape(shape)

    def backward(self, grad):
        return grad.reshape(self.in_shape)


class Permute(Function):
    def forward(self, a, dims):
        self.dims = dims
        return a.data.transpose(dims)

    def backward(self, grad):
        return grad.permute(*np.argsort(self.dims).tolist())


class Expand(Function):
    """Broadcast to a larger shape (a read-only view); backward sums back."""

    def forward(self, a, shape):
        self.in_shape = a.data.shape
        return np.broadcast_to(a.data, shape)

    def backward(self, grad):
        return grad.sum_to(self.in_shape)


class SumTo(Function):
    """Sum over broadcast dimensions down to ``shape``: the adjoint of Expand."""

    def forward(self, a, shape):
        self.in_shape = a.data.shape
        return sum_to_shape(a.data, shape)

    def backward(self, grad):
        return grad.broadcast_to(self.in_shape)


def sum_to_shape(x, shape):
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and x.shape[i + lead] != 1)
    out = x.sum(axis=axes, keepdims=True) if axes else x
    return out.reshape(shape)


class Index(Function):
    """``t[index]``, basic or advanced; backward scatters with accumulation."""

    def forward(self, a, index):
        self.index, self.in_shape = index, a.data.shape
        out = a.data[index]
        return np.asarray(out)

    def backward(self, grad):
        return IndexAdd.apply(grad, index=self.index, shape=self.in_shape)


def _is_basic(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (slice, int, np.integer, type(None), type(Ellipsis)))
               for i in items)


class IndexAdd(Function):
    """Zeros of ``shape`` with ``src`` added at ``index``; repeated indices accumulate."""

    def forward(self, src, index, shape):
        self.index = index
        out = np.zeros(shape, dtype=src.data.dtype)
        if _is_basic(index):
            out[index] = src.data      # a basic index never repeats an element
        else:
            np.add.at(out, index, src.data)
        return out

    def backward(self, grad):
        return grad[self.index]


class Cat(Function):
    def forward(self, *tensors, dim):
        self.dim = dim
        self.sizes = [t.data.shape[dim] for t in tensors]
        return np.concatenate([t.data for t in tensors], axis=dim)

    def backward(self, grad):
        grads, start = [], 0
        for size, needed in zip(self.sizes, self.needs_input_grad, strict=True):
            index = (slice(None),) * self.dim + (slice(start, start + size),)
            grads.append(grad[index] if needed else None)
            start += size
        return tuple(grads)


class Cast(Function):
    def forward(self, a, dtype):
        self.in_dtype = a.data.dtype
        return a.data.astype(dtype)

    @property
    def name(self):
        return "ToCopyBackward"

    def backward(self, grad):
        return grad.to(self.in_dtype)


class Clone(Function):
    def forward(self, a):
        return a.data.copy()

    def backward(self, grad):
        return grad


class Flip(Function):
    """Reverse the order along ``dims`` (a copy, like PyTorch's: a view would let a
    write into the result change the input); its own adjoint."""

    def forward(self, a, dims):
        self.dims = dims
        return np.flip(a.data, dims).copy()

    def backward(self, grad):
        return grad.flip(self.dims)


class Roll(Function):
    """Shift elements along ``dims`` with wrap-around; the adjoint shifts back."""

    def forward(self, a, shifts, dims):
        self.shifts, self.dims = shifts, dims
        return np.roll(a.data, shifts, dims)

    def backward(self, grad):
        return grad.roll(tuple(-s for s in self.shifts), self.dims)


class Gather(Index):
    """``gather`` / ``index_select``: advanced indexing with the index arrays built by
    the caller; backward scatters with accumulation (an index may repeat)."""


class Scatter(Function):
    """A copy of ``a`` with ``src`` written at ``index`` (a tuple of index arrays).

    The gradient of ``a`` is zero where it was overwritten; ``src``'s is the gradient
    gathered back from those positions (``src_slices`` trims nothing when ``src`` has
    the index's shape, else pads the gradient back to ``src``'s shape)."""

    def forward(self, a, src, index, src_slices):
        self.index, self.src_slices, self.src_shape = index, src_slices, src.data.shape
        out = a.data.copy()
        out[index] = src.data[src_slices]
        return out

    def backward(self, grad):
        kept = np.ones(grad.shape, dtype=grad.dtype)
        kept[self.index] = 0
        grad_a = grad * Tensor._wrap(kept) if self.needs_input_grad[0] else None
        return grad_a, _gather_back(self, grad) if self.needs_input_grad[1] else None


class ScatterAdd(Function):
    """A copy of ``a`` with ``src`` added at ``index``; repeated indices accumulate."""

    def forward(self, a, src, index, src_slices):
        self.index, self.src_slices, self.src_shape = index, src_slices, src.data.shape
        out = a.data.copy()
        np.add.at(out, index, src.data[src_slices])
        return out

    def backward(self, grad):
        return (grad if self.needs_input_grad[0] else None,
                _gather_back(self, grad) if self.needs_input_grad[1] else None)


def _gather_back(node, grad):
    """The gradient of a scattered ``src``: read back at the index, padded with zeros
    where ``src`` was larger than the index."""
    picked = grad[node.index]
    if picked.shape == node.src_shape:
        return picked
    return IndexAdd.apply(picked, index=node.src_slices, shape=node.src_shape)

