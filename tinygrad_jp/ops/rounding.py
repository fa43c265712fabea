"""Rounding: floor, ceil, trunc, round. Step functions: their derivative is zero
wherever it exists, and PyTorch takes it as zero at the jumps too."""
import numpy as np

from ..autograd import Function


class _Step(Function):
    """A piecewise-constant op; subclasses name the NumPy function."""

    func = None

    def forward(self, a, **params):
        return type(self).func(a.data, **params)

    def backward(self, grad):
        # grad * 0.0 rather than a fresh zeros array: it stays in the graph, so a
        # create_graph backward through it is still recorded (as zero)
        return grad * 0.0


class Floor(_Step):
    func = staticmethod(np.floor)


class Ceil(_Step):
    func = staticmethod(np.ceil)


class Trunc(_Step):
    func = staticmethod(np.trunc)


class Round(_Step):
    """Round half to even (0.5 → 0, 1.5 → 2), as NumPy and PyTorch do; ``decimals``
    rounds to that many digits after the point."""

    func = staticmethod(np.round)
