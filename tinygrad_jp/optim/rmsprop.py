"""RMSprop: gradients scaled by a running root-mean-square."""
import numpy as np

from .optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop (PyTorch's ``torch.optim.RMSprop``, same update rule and defaults).

    For each parameter ``w`` with gradient ``g``::

        g   = g + weight_decay * w                    (if weight_decay != 0)
        h   = α h + (1 − α) g²                        (state 'square_avg')
        c   = α c + (1 − α) g;  h̃ = h − c²            (if centered; state 'grad_avg')
        d   = √h (or √h̃) + eps
        b   = momentum · b + g / d;  w = w − lr · b   (if momentum > 0)
        w   = w − lr · g / d                          (otherwise)

    The curriculum's RMSProp ``h = αh + (1 − α)(∇E)²; w −= ε ∇E / (√h + θ)`` (the code
    of Deep Learning from Scratch: decay_rate = α = 0.99, θ = 1e-7) is
    ``RMSprop(lr=ε, alpha=α, eps=θ)``.
    The variant written ``ε ∇E / √(h + θ)`` puts θ under the root and differs slightly.

    Args:
        lr: learning rate (default 1e-2).
        alpha: smoothing constant α (default 0.99).
        eps: added to the root, must be > 0 (default 1e-8).
        weight_decay: coupled L2 penalty (default 0).
        momentum: momentum factor (default 0).
        centered: normalise by an estimate of the variance instead of the raw second
            moment (default False).

    State per parameter: ``step`` (int), ``square_avg``, ``momentum_buffer`` (if
    momentum > 0), ``grad_avg`` (if centered).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered)
        super().__init__(params, defaults)

    def _validate(self, group):
        self._check(group, "lr", low=0)
        self._check(group, "eps", low=0, low_open=True)
        self._check(group, "momentum", low=0)
        self._check(group, "weight_decay", low=0)
        self._check(group, "alpha", low=0)

    def _step_group(self, group):
        lr, alpha, eps, weight_decay, momentum = self._hyper(
            group, "lr", "alpha", "eps", "weight_decay", "momentum")
        centered = bool(group["centered"])
        for p, g in self._params_with_grad(group):
            w = p.data
            state = self._state_of(p, square_avg=0)
            if momentum > 0:
                self._state_array(state, p, "momentum_buffer")
            if centered:
                self._state_array(state, p, "grad_avg")
            state["step"] += 1
            h = state["square_avg"]
            tmp = self._buffer(p)
            g = self._weight_decayed(p, g, weight_decay, 1)   # g + λw
            h *= alpha                                        # α h
            np.multiply(g, g, out=tmp)                        # g²
            tmp *= 1 - alpha                                  # (1 − α) g²
            h += tmp                                          # h = α h + (1 − α) g²
            if centered:
                c = state["grad_avg"]
                np.subtract(g, c, out=tmp)                    # g − c   (a lerp, as in PyTorch)
                tmp *= 1 - alpha                              # (1 − α)(g − c)
                c += tmp                                      # c = α c + (1 − α) g
                np.multiply(c, c, out=tmp)                    # c²
                np.subtract(h, tmp, out=tmp)                  # h̃ = h − c²
                np.sqrt(tmp, out=tmp)                         # √h̃
            else:
                np.sqrt(h, out=tmp)                           # √h
            tmp += eps                                        # d = √h + eps
            np.divide(g, tmp, out=tmp)                        # g / d
            if momentum > 0:
                b = state["momentum_buffer"]
                b *= momentum                                 # μ b
                b += tmp                                      # b = μ b + g / d
                np.multiply(b, lr, out=tmp)                   # lr · b
            else:
                tmp *= lr                                     # lr · g / d
            w -= tmp                                          # w = w − lr · (b or g / d)
