"""AdaDelta: step sizes in the units of the parameters, no learning rate needed."""
import numpy as np

from .optimizer import Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    r"""AdaDelta (PyTorch's ``torch.optim.Adadelta``, same update rule and defaults).

    For each parameter ``w`` with gradient ``g``::

        g  = g + weight_decay * w                       (if weight_decay != 0)
        h  = ρ h + (1 − ρ) g²                           (state 'square_avg')
        Δw = √(s + eps) / √(h + eps) · g
        s  = ρ s + (1 − ρ) Δw²                          (state 'acc_delta')
        w  = w − lr · Δw

    With the default ``lr=1.0`` this is Zeiler's AdaDelta and the NumPy lab report's form
    ``h = ρh + (1−ρ)δ²; Δw = −√(s+ε)/√(h+ε) δ; s = ρs + (1−ρ)Δw²; w += Δw``:
    ``Adadelta(lr=1.0, rho=ρ, eps=ε)``. The ratio √(s+ε)/√(h+ε) has the units of w
    per unit of gradient, so Δw has the units of w.

    Args:
        lr: scale of the update (default 1.0).
        rho: decay ρ of both running averages, in [0, 1] (default 0.9).
        eps: added under both roots, must be > 0 (default 1e-6).
        weight_decay: coupled L2 penalty (default 0).

    State per parameter: ``step`` (int), ``square_avg``, ``acc_delta``.
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay)
        super().__init__(params, defaults)

    def _validate(self, group):
        self._check(group, "lr", low=0)
        self._check(group, "rho", low=0, high=1)
        self._check(group, "eps", low=0, low_open=True)
        self._check(group, "weight_decay", low=0)

    def _step_group(self, group):
        lr, rho, eps, weight_decay = self._hyper(group, "lr", "rho", "eps", "weight_decay")
        for p, g in self._params_with_grad(group):
            w = p.data
            state = self._state_of(p, square_avg=0, acc_delta=0)
            state["step"] += 1
            h, s = state["square_avg"], state["acc_delta"]
            tmp, delta = self._buffer(p), self._buffer(p, 1)
            g = self._weight_decayed(p, g, weight_decay, 2)   # g + λw
            h *= rho                                          # ρ h
            np.multiply(g, g, out=tmp)                        # g²
            tmp *= 1 - rho                                    # (1 − ρ) g²
            h += tmp                                          # h = ρ h + (1 − ρ) g²
            np.add(h, eps, out=tmp)                           # h + eps
            np.sqrt(tmp, out=tmp)                             # √(h + eps)
            np.add(s, eps, out=delta)                         # s + eps
            np.sqrt(delta, out=delta)                         # √(s + eps)
            delta /= tmp                                      # √(s + eps) / √(h + eps)
            delta *= g                                        # Δw = √(s + eps) / √(h + eps) · g
            s *= rho                                          # ρ s
            np.multiply(delta, delta, out=tmp)                # Δw²
            tmp *= 1 - rho                                    # (1 − ρ) Δw²
            s += tmp                                          # s = ρ s + (1 − ρ) Δw²
            delta *= lr                                       # lr · Δw
            w -= delta                                        # w = w − lr · Δw
