"""AdaGrad: per-coordinate learning rates from the sum of squared gradients."""
import numpy as np

from .optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""AdaGrad (PyTorch's ``torch.optim.Adagrad``, same update rule and defaults).

    For each parameter ``w`` with gradient ``g``, at step ``t = 1, 2, ...``::

        g   = g + weight_decay * w                (if weight_decay != 0)
        clr = lr / (1 + (t − 1) · lr_decay)
        h   = h + g²                              (state 'sum', starts at
                                                   initial_accumulator_value)
        w   = w − clr · g / (√h + eps)

    The curriculum's AdaGrad ``h += (∇E)²; w −= ε ∇E / (√h + θ)`` is
    ``Adagrad(lr=ε, eps=θ)`` (Deep Learning from Scratch: θ = 1e-7, h₀ = 0); the formula
    written with ``h₀ = θ`` is ``Adagrad(lr=ε, eps=θ, initial_accumulator_value=θ)``.

    Args:
        lr: learning rate (default 1e-2).
        lr_decay: learning-rate decay per step (default 0).
        weight_decay: coupled L2 penalty (default 0).
        initial_accumulator_value: starting value of ``h`` (default 0).
        eps: added to √h, must be > 0 (default 1e-10).

    State per parameter: ``step`` (int), ``sum``.
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10):
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value)
        super().__init__(params, defaults)

    def _validate(self, group):
        self._check(group, "lr", low=0)
        self._check(group, "lr_decay", low=0)
        self._check(group, "weight_decay", low=0)
        self._check(group, "initial_accumulator_value", low=0)
        self._check(group, "eps", low=0, low_open=True)

    def _step_group(self, group):
        lr, lr_decay, eps, weight_decay, init = self._hyper(
            group, "lr", "lr_decay", "eps", "weight_decay", "initial_accumulator_value")
        for p, g in self._params_with_grad(group):
            w = p.data
            state = self._state_of(p, sum=init)                # h₀ = initial_accumulator_value
            state["step"] += 1
            t = state["step"]
            h = state["sum"]
            tmp = self._buffer(p)
            g = self._weight_decayed(p, g, weight_decay, 1)   # g + λw
            clr = lr / (1 + (t - 1) * lr_decay)               # clr = lr / (1 + (t − 1)·lr_decay)
            np.multiply(g, g, out=tmp)                        # g²
            h += tmp                                          # h = h + g²
            np.sqrt(h, out=tmp)                               # √h
            tmp += eps                                        # √h + eps
            np.divide(g, tmp, out=tmp)                        # g / (√h + eps)
            tmp *= clr                                        # clr · g / (√h + eps)
            w -= tmp                                          # w = w − clr · g / (√h + eps)
