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
