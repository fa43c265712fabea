"""The exp / log family beyond e: base-2 and base-10 logs, 2^x, and the two functions
that keep their precision near zero, expm1(x) = eˣ − 1 and log1p(x) = log(1 + x)
(for x = 1e-10, ``exp(x) - 1`` loses every digit; ``expm1`` keeps them all)."""
import math

import numpy as np

from ..autograd import Function

LN2 = math.log(2.0)
LN10 = math.log(10.0)


class Log2(Function):
    """log₂(x); d/dx = 1 / (x·ln 2)."""

    def forward(self, a):
        self.save_for_backward(a)
        return np.log2(a.data)

    def backward(self, grad):
        return grad / (self.saved[0] * LN2)


class Log10(Function):
    """log₁₀(x); d/dx = 1 / (x·ln 10)."""

    def forward(self, a):
        self.save_for_backward(a)
        return np.log10(a.data)

    def backward(self, grad):
        return grad / (self.saved[0] * LN10)


class Exp2(Function):
    """2ˣ; d/dx = 2ˣ·ln 2, written with the output."""

    def forward(self, a):
        out = np.exp2(a.data)
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        return grad * self.output(self.saved[0]) * LN2


class Expm1(Function):
    """eˣ − 1, exact near 0; d/dx = eˣ = output + 1."""

    def forward(self, a):
        out = np.expm1(a.data)
        self.save_for_backward(out)
        return out

    def backward(self, grad):
        return grad * (self.output(self.saved[0]) + 1.0)


class Log1p(Function):
    """log(1 + x), exact near 0; d/dx = 1 / (1 + x)."""

    def forward(self, a):
        self.save_for_backward(a)
        return np.log1p(a.data)

    def backward(self, grad):
        return grad / (self.saved[0] + 1.0)
