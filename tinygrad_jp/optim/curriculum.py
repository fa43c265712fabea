"""The curriculum's 2-D comparison of optimizers, with the real optimizer classes.

The course (and the book ゼロから作る Deep Learning, ch. 6, ``optimizer_compare_naive.py``)
minimises ``f(x, y) = x²/20 + y²`` from ``(−7, 2)`` for 30 steps with four update rules
and plots the paths. :func:`optimizer_paths` does the same through
:mod:`tinygrad_jp.optim` and autograd, with arguments chosen so that the numbers are the
textbook's (Deep Learning from Scratch):

========  ================================  =============================================
name      textbook class (from Scratch)     here
========  ================================  =============================================
SGD       ``SGD(lr=0.95)``                  ``optim.SGD(lr=0.95)``
Momentum  ``Momentum(lr=0.1)`` (μ = 0.9)    ``optim.SGD(lr=0.1, momentum=0.9)``
AdaGrad   ``AdaGrad(lr=1.5)``, θ = 1e-7     ``optim.Adagrad(lr=1.5, eps=1e-7)``
Adam      ``Adam(lr=0.3)``, β = 0.9, 0.999  ``optim.Adam(lr=0.3, betas=(0.9, 0.999))``
                                            with ``eps`` set each step to
                                            :func:`textbook_adam_eps` (see below)
========  ================================  =============================================

The textbook's Adam folds the bias corrections into the step size,
``lr_t = lr·√(1−β2^t)/(1−β1^t)``, and adds its 1e-7 to ``√v``; PyTorch adds ``eps`` to
``√v̂ = √v/√(1−β2^t)``. The two agree exactly when ``eps = 1e-7/√(1−β2^t)``, which
changes with the step ``t``; a constant ``eps`` cannot match it (on this problem the
closest constant, 1e-6, still differs by 2.5e-6). Since Adam reads ``group['eps']`` at
every step, setting it before each step reproduces the textbook to rounding.
"""
import math

import numpy as np

from ..tensor import Tensor
from .adagrad import Adagrad
from .adam import Adam
from .sgd import SGD

__all__ = ["f", "optimizer_paths", "textbook_adam_eps", "TEXTBOOK_OPTIMIZERS"]

#: name → (optimizer class, keyword arguments) of the curriculum's comparison
TEXTBOOK_OPTIMIZERS = {
    "SGD": (SGD, {"lr": 0.95}),
    "Momentum": (SGD, {"lr": 0.1, "momentum": 0.9}),
    "AdaGrad": (Adagrad, {"lr": 1.5, "eps": 1e-7}),
    "Adam": (Adam, {"lr": 0.3, "betas": (0.9, 0.999)}),
}


def f(x, y):
    """The comparison's function ``x²/20 + y²`` (Tensors or numbers)."""
    return x ** 2 / 20.0 + y ** 2


def textbook_adam_eps(step, eps=1e-7, beta2=0.999):
    """The PyTorch ``eps`` that makes :class:`Adam` equal the textbook's Adam at ``step``.

    The textbook updates ``w −= lr·√(1−β2^t)/(1−β1^t) · m/(√v + eps)``; PyTorch
    updates ``w −= lr/(1−β1^t) · m/(√v/√(1−β2^t) + eps')``. Equal for
    ``eps' = eps/√(1−β2^t)``.
    """
    return eps / math.sqrt(1.0 - beta2 ** step)


def optimizer_paths(steps=30, start=(-7.0, 2.0), optimizers=None):
    """Minimise ``f(x, y) = x²/20 + y²`` with each optimizer; return the paths.

    Args:
        steps: number of updates (30 in the curriculum).
        start: the starting point ``(x, y)``.
        optimizers: ``{name: (class, kwargs)}``; default :data:`TEXTBOOK_OPTIMIZERS`.
            An ``Adam`` with no ``eps`` in its kwargs gets the per-step
            :func:`textbook_adam_eps`, so its path is the textbook's.

    Returns:
        ``{name: ndarray of shape (steps + 1, 2)}``: row 0 is ``start``, row ``k`` the
        point after ``k`` updates (the textbook's script records rows 0..steps−1).
        Gradients come from autograd in float64.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"optimizer_paths: steps must be a non-negative int, got {steps!r}")
    start = np.asarray(start, dtype=np.float64)
    if start.shape != (2,):
        raise ValueError(f"optimizer_paths: start must be a point (x, y), got shape "
                         f"{start.shape}")
    optimizers = TEXTBOOK_OPTIMIZERS if optimizers is None else optimizers
    paths = {}
    for name, (cls, kwargs) in optimizers.items():
        point = Tensor(start.copy(), requires_grad=True)
        opt = cls([point], **kwargs)
        textbook_eps = cls is Adam and "eps" not in kwargs
        path = np.empty((steps + 1, 2))
        path[0] = point.data
        for k in range(1, steps + 1):
            opt.zero_grad()
            f(point[0], point[1]).backward()
            if textbook_eps:
                group = opt.param_groups[0]
                group["eps"] = textbook_adam_eps(k, beta2=group["betas"][1])
            opt.step()
            path[k] = point.data
        paths[name] = path
    return paths
