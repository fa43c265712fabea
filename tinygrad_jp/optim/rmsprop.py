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
        lr = float(group["lr"])
        alpha = float(group["alpha"])
        eps = float(group["eps"])
        weight_decay = float(group["weight_decay"])
        momentum = float(group["momentum"])
        centered = bool(group["centered"])
        for p, g in self._params_with_grad(group):
            w = p.data
            state = self.state[p]
            if not state:
                state["step"] = 0
                state["square_avg"] = np.zeros_like(w)
            if momentum > 0 and "momentum_buffer" not in state:
                state["momentum_buffer"] = np.zeros_like(w)
            if centered and "grad_avg" not in state:
                state["grad_avg"] = np.zeros_like(w)
            state["step"] += 1
            h = state["square_avg"]
            tmp = self._buffer(p)
            if weight_decay != 0:
                decayed = self._buffer(p, 1)
                np.multiply(w, weight_decay, out=decayed)
                decayed += g
                g = decayed
            h *= alpha
            np.multiply(g, g, out=tmp)
            tmp *= 1 - alpha
            h += tmp
            if centered:
                c = state["grad_avg"]
                np.subtract(g, c, out=tmp)  # lerp, as in PyTorch
                tmp *= 1 - alpha
                c += tmp
                np.multiply(c, c, out=tmp)
                np.subtract(h, tmp, out=tmp)
                np.sqrt(tmp, out=tmp)
            else:
                np.sqrt(h, out=tmp)
            tmp += eps
            np.divide(g, tmp, out=tmp)
            if momentum > 0:
                b = state["momentum_buffer"]
                b *= momentum
                b += tmp
                np.multiply(b, lr, out=tmp)
            else:
                tmp *= lr
            w -= tmp
