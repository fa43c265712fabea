"""Adam and AdamW (decoupled weight decay)."""
import numpy as np

from ..kernels import for_array
from .optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam (PyTorch's ``torch.optim.Adam``, same update rule and defaults).

    For each parameter ``w`` with gradient ``g``, at step ``t = 1, 2, ...``::

        g  = g + weight_decay * w                 (if weight_decay != 0; coupled L2)
        m  = β1 m + (1 − β1) g                    first moment  (state 'exp_avg')
        v  = β2 v + (1 − β2) g²                   second moment (state 'exp_avg_sq')
        m̂  = m / (1 − β1^t),  v̂ = v / (1 − β2^t)  bias corrections
        w  = w − lr · m̂ / (√v̂ + eps)             (amsgrad: v̂ from max over steps of v)

    The bias correction undoes the zero initialisation of ``m`` and ``v``: with
    ``m_0 = 0``, E[m_t] = (1 − β1^t) E[g] (the NumPy lab report derives this).

    Args:
        params: iterable of Tensors or of group dicts.
        lr: learning rate α (default 1e-3).
        betas: (β1, β2), each in [0, 1) (default (0.9, 0.999)).
        eps: added to √v̂, must be > 0 (default 1e-8).
        weight_decay: coupled L2 penalty (added to the gradient; default 0). For
            decoupled decay use :class:`AdamW`.
        amsgrad: use the maximum of all ``v`` so far (state 'max_exp_avg_sq').

    State per parameter: ``step`` (int), ``exp_avg``, ``exp_avg_sq``
    (and ``max_exp_avg_sq`` with amsgrad).
    """

    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False):
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad)
        super().__init__(params, defaults)

    def _validate(self, group):
        name = type(self).__name__
        self._check(group, "lr", low=0)
        self._check(group, "eps", low=0, low_open=True)
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        for i, b in enumerate(betas):
            self._check({"b": b}, "b", low=0, high=1, high_open=True, label=f"betas[{i}]")
        self._check(group, "weight_decay", low=0)

    def _step_group(self, group):
        lr, eps, weight_decay = self._hyper(group, "lr", "eps", "weight_decay")
        beta1, beta2 = float(group["betas"][0]), float(group["betas"][1])
        amsgrad = bool(group["amsgrad"])
        for p, g in self._params_with_grad(group):
            w = p.data
            state = self._state_of(p, exp_avg=0, exp_avg_sq=0)
            if amsgrad:
                self._state_array(state, p, "max_exp_avg_sq")
            state["step"] += 1
            t = state["step"]
            m, v = state["exp_avg"], state["exp_avg_sq"]
            if not amsgrad and hasattr(kernels := for_array(w), "adam_update") and \
                    kernels.adam_update(w, g, m, v, lr=lr, betas=(beta1, beta2), eps=eps, t=t,
                                        l2=0.0 if self._decoupled else weight_decay,
                                        decay=1 - lr * weight_decay if self._decoupled else 1.0):
                continue     # a GPU: the update below, fused into one kernel
            tmp = self._buffer(p)

            if self._decoupled:
                if weight_decay != 0:
                    w *= 1 - lr * weight_decay                # w = w (1 − lr·λ)   (AdamW)
            else:
                g = self._weight_decayed(p, g, weight_decay, 1)   # g + λw   (coupled L2)

            np.subtract(g, m, out=tmp)                        # g − m
            tmp *= 1 - beta1                                  # (1 − β1)(g − m)
            m += tmp                                          # m = β1 m + (1 − β1) g  (a lerp)
            v *= beta2                                        # β2 v
            np.multiply(g, g, out=tmp)                        # g²
            tmp *= 1 - beta2                                  # (1 − β2) g²
            v += tmp                                          # v = β2 v + (1 − β2) g²

            bias_correction1 = 1 - beta1 ** t                 # 1 − β1^t
            bias_correction2_sqrt = (1 - beta2 ** t) ** 0.5   # √(1 − β2^t)
            step_size = lr / bias_correction1                 # lr / (1 − β1^t)
            if amsgrad:
                vmax = state["max_exp_avg_sq"]
                np.maximum(vmax, v, out=vmax)                 # v_max = max(v_max, v)
                np.sqrt(vmax, out=tmp)                        # √v_max
            else:
                np.sqrt(v, out=tmp)                           # √v
            tmp /= bias_correction2_sqrt                      # √v̂ = √v / √(1 − β2^t)
            tmp += eps                                        # √v̂ + eps
            np.divide(m, tmp, out=tmp)                        # m / (√v̂ + eps)
            tmp *= step_size                                  # lr · m̂ / (√v̂ + eps)
            w -= tmp                                          # w = w − lr · m̂ / (√v̂ + eps)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (PyTorch's ``torch.optim.AdamW``).

    Same as :class:`Adam`, except that weight decay shrinks the weights directly,
    ``w = w · (1 − lr · weight_decay)``, before the Adam update, instead of adding
    ``weight_decay · w`` to the gradient (where Adam's normalisation would rescale it).
    Default ``weight_decay=1e-2``.
    """

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad)
