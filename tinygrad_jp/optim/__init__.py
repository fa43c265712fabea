"""tinygrad_jp.optim: PyTorch's optimizers and learning-rate schedulers, on NumPy.

>>> from tinygrad_jp import optim
>>> opt = optim.Adam(model.parameters(), lr=1e-3)            # doctest: +SKIP
>>> opt.zero_grad(); loss.backward(); opt.step()             # doctest: +SKIP

Same class names, arguments, defaults and update rules as ``torch.optim``, so the same
hyper-parameters give the same trajectory. The curriculum's formulas map onto these
classes (see docs/en/optim.md): Momentum → ``SGD(lr=ε, momentum=μ)``, AdaGrad →
``Adagrad(lr=ε, eps=θ)``, RMSProp → ``RMSprop(lr=ε, alpha=ρ, eps=θ)``, AdaDelta →
``Adadelta(rho=ρ, eps=ε)``, Adam → ``Adam(lr=α, betas=(β1, β2), eps=ε)``.
"""
from . import curriculum, lr_scheduler, serialization
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer, required
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "required", "SGD", "Adam", "AdamW", "Adagrad", "RMSprop",
           "Adadelta", "lr_scheduler", "serialization", "curriculum"]

