"""Matrix multiplication (2-D and batched; `tensor.matmul` reshapes 1-D operands)."""
import numpy as np

from ..autograd import Function


class MatMul(Function):
    """a @ b for operands of at least 2 dims; batch dims broadcast (the engine sums the
    gradient of a broadcast operand back to its shape)."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return np.matmul(a.data, b.data)

    def backward(self, grad):
        a, b = self.saved
        return (grad @ b.transpose(-1, -2) if self.needs_input_grad[0] else None,
                a.transpose(-1, -2) @ grad if self.needs_input_grad[1] else None)


class Norm2(Function):
    """The Euclidean norm √(Σ x²) over ``axis`` (None: all). Its gradient x / ‖x‖ is
    0/0 at x = 0; like PyTorch it is taken as 0 there (x is 0, and ‖x‖ is read as 1)."""

    def forward(self, a, axis, keepdim):
        self.axis, self.keepdim, self.in_shape = axis, keepdim, a.data.shape
        out = np.sqrt(np.sum(a.data * a.data, axis=axis, keepdims=keepdim))
        out = np.asarray(out)
        self.save_for_backward(a, out)
        return out

    @property
    def name(self):
        return "NormBackward"

    def backward(self, grad):
        from .elementwise import where_const
        from .reduce import _restore_dims
        x, out = self.saved
        norm = _restore_dims(self.output(out), self.in_shape, self.axis, self.keepdim)
        grad = _restore_dims(grad, self.in_shape, self.axis, self.keepdim)
        return grad * x / where_const(norm.data == 0, 1.0, norm)
