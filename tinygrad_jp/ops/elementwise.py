"""Elementwise ops. Binary ops receive operands already cast to one dtype; the engine
sums their gradients back over broadcast dimensions."""
import numpy as np

from ..autograd import Function
from ..devices import array_module
from ..kernels import for_array
from ..tensor import Tensor


def _constant(array):
    return Tensor._wrap(array)


class Add(Function):
    def forward(self, a, b):
        return a.data + b.data

    def backward(self, grad):
        return grad, grad


class Sub(Function):
    def forward(self, a, b):
        return a.data - b.data

    def backward(self, grad):
        return grad, (-grad if self.needs_input_grad[1] else None)


class Mul(Function):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a.data * b.data

    def backward(self, grad):
        a, b = self.saved
        return (grad * b if self.needs_input_grad[0] else None,
                grad * a if self.needs_input_grad[1] else None)


class Div(Function):
    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a.data / b.data

    def backward(self, grad):
        a, b = self.saved
        grad_a = grad / b
        grad_b = -grad_a * a / b if self.needs_input_grad[1] else None
        return grad_a if self.needs_input_grad[0] else None, grad_b


class Pow(Function):
    """a ** b. d/da = b·a^(b−1); d/db = a^b·log(a), taken as 0 where a = 0 (as PyTorch)."""

    def forward(self, a, b):
        out = np.power(a.data, b.data)
        self.save_for_backward(a, b, out)
        return out

    def backward(self, grad):
        a, b, out = self.saved
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            grad_a = grad * b * a ** (b - 1)
        if self.needs_input_grad[1]:
            safe_a = where_const(a.data == 0, 1.0, a)
            grad_b = grad * self.output(out) * safe_a.log()
        return grad_a, grad_b


def where_const(mask, value, t):
    """``value`` where ``mask``, else ``t`` (differentiable in ``t``)."""
    return Where.apply(t, Tensor._wrap(np.asarray(value, dtype=t.dtype)), condition=~mask)


class Maximum(Function):
    def forward(self, a, b):
        self.save_for_backward(a.data, b.data)
        return np.maximum(a.data, b.data)

    def backward(self, grad):
        a, b = self.saved
        # ties split the gradient evenly between the operands
        share_a = _constant(((a > b) + 0.5 * (a == b)).astype(grad.dtype))
        return (grad * share_a if self.needs_input_grad[0] else None,
                grad * (1.0 - share_a) if self.needs_input_grad[1] else None)


class Minimum(Function):
    def forward(self, a, b):
        self.save_for_backward(a.data, b.data)
        return np.minimum(a.data, b.data)

    def backward(self, grad):
        a, b = self.saved
        share_a = _constant(((a < b) + 0.5 * (a == b)).astype(grad.dtype))
        return (grad * share_a if self.needs_input_grad[0] else None,
                grad * (1.0 - share_a) if self.needs_input_grad[1] else None)


class Where(Function):
    def forward(self, a, b, condition):
        self.condition = condition
        return np.where(condition, a.data, b.data)

    def backward(self, grad):
        zero = _constant(array_module(grad.data).zeros((), dtype=grad.dtype))
        return (Where.apply(grad, zero, condition=self.condition)
                if self.needs_input_grad[0] else None,
                Where.apply(zero, grad, condition=self.condition)
                if self.needs_input_grad[1] else None)


class Neg(Function):
    def forward(self, a):
        return -a.data

    def backward(self, grad):
        return -grad


class Exp(Function):
    def forward(self, a):
        out = np.exp(a.data)
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        return grad * self.output(self.saved[0])


class Log(Function):
    def forward(self, a):
        self.save_for_backward(a)
        return np.log(a.data)

    def backward(self, grad):
        return grad / self.saved[0]


class Sqrt(Function):
    def forward(self, a):
        out = np.sqrt(a.data)
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        return grad / (2.0 * self.output(self.saved[0]))


class Sin(Function):
    def forward(self, a):
        self.save_for_backward(a)
        return np.sin(a.data)

    def backward(self, grad):
        return grad * self.saved[0].cos()


class Cos(Function):
    def forward(self, a):
        self.save_for_backward(a)
        return np.cos(a.data)

    def backward(self, grad):
        return -grad * self.saved[0].sin()


class Tanh(Function):
    def forward(self, a):
        out = np.tanh(a.data)
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        y = self.output(self.saved[0])
        return grad * (1.0 - y * y)


def stable_sigmoid(x):
    """1 / (1 + e^(−x)) without overflow: only e^(−|x|) is ever computed."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


class Sigmoid(Function):
    """σ(x); backward uses σ' = σ(1 − σ), the curriculum's quiz."""

    def forward(self, a):
        out = stable_sigmoid(a.data)
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        y = self.output(self.saved[0])
        return grad * y * (1.0 - y)


class Relu(Function):
    """max(x, 0); the gradient at 0 is 0, as in PyTorch (``Tensor.relu`` and
    ``F.relu``).

    Nothing extra is kept for backward: the mask is read from the output, which the
    next layer holds anyway (and under ``no_grad`` nothing is kept at all). The passes
    are the ``relu`` / ``positive_mask`` kernels of the array's device.
    """

    def forward(self, x):
        out = for_array(x.data).relu(x.data)
        self.save_for_backward(out)
        return out

    @property
    def name(self):
        return "ReluBackward"

    def backward(self, grad):
        return PositiveMask.apply(grad, ref=self.saved[0])


class PositiveMask(Function):
    """``grad`` where ``ref > 0`` else 0 (ReLU's backward, with ``ref`` its output).
    Linear in ``grad``, so its own backward is the same op."""

    def forward(self, g, ref):
        self.ref = ref
        return for_array(g.data).positive_mask(g.data, ref)

    @property
    def name(self):
        return "ThresholdBackward"

    def backward(self, grad):
        return PositiveMask.apply(grad, ref=self.ref)


class Abs(Function):
    """|x|; the subgradient at 0 is 0, as in PyTorch."""

    def forward(self, a):
        self.save_for_backward(a.data)
        return np.abs(a.data)

    def backward(self, grad):
        return grad * _constant(np.sign(self.saved[0]).astype(grad.dtype))


class Sign(Function):
    """sign(x); its gradient is zero everywhere (and taken as 0 at the jump)."""

    def forward(self, a):
        return np.sign(a.data)

    def backward(self, grad):
        return grad * 0.0


class Clamp(Function):
    """Values limited to [min, max]; gradient passes where min <= x <= max (PyTorch)."""

    def forward(self, a, min=None, max=None):
        x = a.data
        mask = array_module(x).ones(x.shape, dtype=bool)
        if min is not None:
            mask &= x >= min
        if max is not None:
            mask &= x <= max
        self.save_for_backward(mask)
        return np.clip(x, min, max).astype(x.dtype, copy=False)

    def backward(self, grad):
        return grad * _constant(self.saved[0].astype(grad.dtype))


class Tan(Function):
    """tan(x); d/dx = 1 + tan²(x), written with the output so it is one multiply."""

    def forward(self, a):
        out = np.tan(a.data)
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        y = self.output(self.saved[0])
        return grad * (1.0 + y * y)
