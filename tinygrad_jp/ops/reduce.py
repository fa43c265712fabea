"""Reductions and the softmax family. ``axis`` is None (all) or a sorted tuple of dims."""
import numpy as np

from ..autograd import Function
from ..devices import array_module, as_array
from ..tensor import Tensor, cat


def _restore_dims(grad, in_shape, axis, keepdim):
    """Reshape a reduced gradient so it broadcasts against the input again."""
    if keepdim or axis is None and grad.ndim == len(in_shape):
        return grad
    if axis is None:
        return grad.reshape((1,) * len(in_shape))
    shape = list(grad.shape)
    for a in axis:
        shape.insert(a, 1)
    return grad.reshape(tuple(shape))


class Sum(Function):
    def forward(self, a, axis, keepdim):
        self.in_shape, self.axis, self.keepdim = a.data.shape, axis, keepdim
        # the method, not np.sum: a third of the cost on small arrays, CuPy's too
        return as_array(a.data.sum(axis=axis, keepdims=keepdim))

    def backward(self, grad):
        grad = _restore_dims(grad, self.in_shape, self.axis, self.keepdim)
        return grad.broadcast_to(self.in_shape)


class Mean(Function):
    def forward(self, a, axis, keepdim):
        self.in_shape, self.axis, self.keepdim = a.data.shape, axis, keepdim
        out = as_array(np.mean(a.data, axis=axis, keepdims=keepdim))
        self.count = a.data.size // max(out.size, 1)
        return out

    def backward(self, grad):
        grad = _restore_dims(grad, self.in_shape, self.axis, self.keepdim)
        return grad.broadcast_to(self.in_shape) / float(max(self.count, 1))


class _Extreme(Function):
    """max/min over ``axis``; ties share the gradient evenly (PyTorch's amax rule)."""

    reduce = None

    def forward(self, a, axis, keepdim):
        self.axis, self.keepdim = axis, keepdim
        out = type(self).reduce(a.data, axis=axis, keepdims=True)
        self.save_for_backward(a.data, out)
        return as_array(out if keepdim else np.squeeze(out, axis=axis))

    def backward(self, grad):
        x, out = self.saved
        hits = (x == out)
        share = hits / hits.sum(axis=self.axis, keepdims=True)
        grad = _restore_dims(grad, x.shape, self.axis, self.keepdim)
        return grad * Tensor._wrap(share.astype(grad.dtype))


class Max(_Extreme):
    reduce = staticmethod(np.max)


class Min(_Extreme):
    reduce = staticmethod(np.min)


class SelectAlongDim(Function):
    """``max(dim)`` / ``min(dim)`` values: the gradient goes to the returned index only."""

    def forward(self, a, dim, keepdim, mode):
        x = a.data
        idx = (np.argmax if mode == "max" else np.argmin)(x, axis=dim)
        idx = np.expand_dims(idx, dim)
        self.dim, self.keepdim, self.in_shape, self.mode = dim, keepdim, x.shape, mode
        self.save_for_backward(idx)
        out = np.take_along_axis(x, idx, axis=dim)
        return out if keepdim else np.squeeze(out, axis=dim)

    @property
    def name(self):
        return "MaxBackward" if self.mode == "max" else "MinBackward"

    def backward(self, grad):
        (idx,) = self.saved
        if not self.keepdim:
            grad = grad.unsqueeze(self.dim)
        return ScatterAlongDim.apply(grad, index=idx, dim=self.dim, shape=self.in_shape)


class ScatterAlongDim(Function):
    """Put values at ``index`` along ``dim`` into zeros of ``shape`` (the adjoint of a gather)."""

    def forward(self, src, index, dim, shape):
        self.index, self.dim = index, dim
        out = array_module(src.data).zeros(shape, dtype=src.data.dtype)
        np.put_along_axis(out, index, src.data, axis=dim)
        return out

    def backward(self, grad):
        return GatherAlongDim.apply(grad, index=self.index, dim=self.dim)


class GatherAlongDim(Function):
    """``take_along_axis``: pick one element per position along ``dim``."""

    def forward(self, a, index, dim):
        self.index, self.dim, self.in_shape = index, dim, a.data.shape
        return np.take_along_axis(a.data, index, axis=dim)

    def backward(self, grad):
        return ScatterAlongDim.apply(grad, index=self.index, dim=self.dim, shape=self.in_shape)


def _exclusive_prod(t, dim):
    """The product of all other elements along ``dim``, exact even with zeros: the running
    product of the elements before times that of the elements after (Tensor ops, so
    that it can be differentiated again)."""
    m = t.movedim(dim, -1) if t.ndim > 1 else t
    one = Tensor._wrap(array_module(t.data).ones(m.shape[:-1] + (1,), t.dtype))
    before = cat([one, m[..., :-1]], -1).cumprod(-1)
    after = cat([m[..., 1:], one], -1).flip(-1).cumprod(-1).flip(-1)
    excl = before * after
    return excl.movedim(-1, dim) if t.ndim > 1 else excl


class Prod(Function):
    """The product. Its gradient, the product of the other elements, is computed without
    dividing by x, so zeros are exact, and from Tensor ops, so it can be differentiated
    again."""

    def forward(self, a, axis, keepdim):
        self.axis, self.keepdim, self.in_shape = axis, keepdim, a.data.shape
        self.save_for_backward(a)
        return as_array(np.prod(a.data, axis=axis, keepdims=keepdim))

    def backward(self, grad):
        (a,) = self.saved
        axis = self.axis
        if axis is None:
            excl = _exclusive_prod(a.reshape(-1), 0).reshape(self.in_shape)
        else:
            excl = _exclusive_prod(a, axis)
        grad = _restore_dims(grad, self.in_shape, None if axis is None else (axis,),
                             self.keepdim)
        return grad * excl


class Softmax(Function):
    def forward(self, a, dim):
        x = a.data
        e = np.exp(x - x.max(axis=dim, keepdims=True))
        out = e / e.sum(axis=dim, keepdims=True)
        self.dim = dim
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        y = self.output(self.saved[0])
        gy = grad * y
        return gy - y * gy.sum(self.dim, keepdim=True)


class LogSoftmax(Function):
    def forward(self, a, dim):
        x = a.data
        shifted = x - x.max(axis=dim, keepdims=True)
        out = shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))
        self.dim = dim
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        y = self.output(self.saved[0])
        return grad - y.exp() * grad.sum(self.dim, keepdim=True)
