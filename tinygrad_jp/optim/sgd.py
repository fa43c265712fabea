"""Stochastic gradient descent, with optional (Nesterov) momentum and weight decay."""
import numpy as np

from ..kernels import for_array
from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent (PyTorch's ``torch.optim.SGD``, same update rule).

    For each parameter ``w`` with gradient ``g``, at every step::

        g = g + weight_decay * w                  (if weight_decay != 0)
        b = g                       on the first step,
        b = momentum * b + (1 - dampening) * g    afterwards   (if momentum != 0)
        g = g + momentum * b   if nesterov  else  g = b
        w = w - lr * g

    The curriculum's Momentum ``V = μV − ε∇E; w += V`` is ``SGD(lr=ε, momentum=μ)``:
    with ``V = −ε b`` both give the same ``w`` at every step while ``lr`` is constant.

    Args:
        params: iterable of Tensors or of group dicts.
        lr: learning rate ε (default 1e-3, as in PyTorch 2).
        momentum: momentum factor μ (default 0).
        dampening: dampening of the momentum (default 0).
        weight_decay: coupled L2 penalty λ: adds ``λ w`` to the gradient, the gradient
            of ``½ λ ‖w‖²`` (default 0).
        nesterov: Nesterov momentum (needs momentum > 0 and dampening = 0).

    State per parameter: ``momentum_buffer`` (only when momentum != 0).
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov)
        super().__init__(params, defaults)

    def _validate(self, group):
        self._check(group, "lr", low=0)
        self._check(group, "momentum", low=0)
        self._check(group, "dampening")
        self._check(group, "weight_decay", low=0)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "SGD: Nesterov momentum requires a momentum and zero dampening, got "
                f"nesterov=True with momentum={group['momentum']!r} and "
                f"dampening={group['dampening']!r}")

    def _step_group(self, group):
        lr, momentum, dampening, weight_decay = self._hyper(
            group, "lr", "momentum", "dampening", "weight_decay")
        nesterov = bool(group["nesterov"])
        for p, g in self._params_with_grad(group):
            w = p.data
            kernels = for_array(w)
            if hasattr(kernels, "sgd_update") and kernels.sgd_update(
                    w, g, self.state[p].get("momentum_buffer") if momentum else None, lr=lr,
                    l2=weight_decay, momentum=momentum, dampening=dampening,
                    nesterov=nesterov):
                continue     # a GPU: the update below, fused into one kernel
            tmp = self._buffer(p)
            g = self._weight_decayed(p, g, weight_decay, 0)   # g + λw (in tmp)
            if momentum != 0:
                state = self.state[p]
                b = state.get("momentum_buffer")
                if b is None:
                    b = state["momentum_buffer"] = g.astype(w.dtype, copy=True)   # b = g
                else:
                    b *= momentum                             # b = μ b
                    if dampening != 0:
                        b += (1 - dampening) * g              #     + (1 − dampening) g
                    else:
                        b += g                                #     + g
                if nesterov:
                    # tmp may already hold g (with weight decay), so use a second buffer
                    ahead = self._buffer(p, 1)
                    np.multiply(b, momentum, out=ahead)       # μ b
                    ahead += g                                # g = g + μ b
                    g = ahead
                else:
                    g = b                                     # g = b
            np.multiply(g, lr, out=tmp)                       # lr · g
            w -= tmp                                          # w = w − lr · g
