"""Helpers shared by the models: the curriculum's init names, activations, and the
``predict`` / ``loss`` / ``accuracy`` methods of the curriculum's hand-written classes."""
import numbers

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..nn import init as _init  # noqa: F401  (makes ``nn.init`` available)
from ..tensor import Tensor

__all__ = ["init_curriculum_", "make_activation", "as_tensor", "CurriculumMixin",
           "check_image_input"]

_ACTIVATIONS = ("relu", "sigmoid", "tanh")


def init_curriculum_(weight, bias, weight_init_std, where):
    """Draw ``weight`` as the course's ``weight_init_std`` says (``nn.init.curriculum_normal_``:
    'he'/'relu' → N(0, 2/n), 'xavier'/'sigmoid' → N(0, 1/n), a number → that std, with n
    the layer's fan-in) and zero the bias; errors name the model."""
    try:
        nn.init.curriculum_normal_(weight, weight_init_std)
    except (TypeError, ValueError) as e:
        raise type(e)(f"{where}: {e}") from None
    if bias is not None:
        nn.init.zeros_(bias)


def make_activation(name, where):
    """``'relu'`` / ``'sigmoid'`` / ``'tanh'`` → a fresh activation module."""
    if not isinstance(name, str):
        raise TypeError(f"{where}: activation must be a string, got {type(name).__name__}")
    key = name.lower()
    if key not in _ACTIVATIONS:
        raise ValueError(f"{where}: unknown activation {name!r}; choose one of "
                         f"{list(_ACTIVATIONS)}")
    return {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh}[key]()


def as_tensor(x, where):
    """Accept a Tensor or a NumPy array / list (the curriculum passes arrays)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, (np.ndarray, list, tuple)):
        return Tensor(np.asarray(x))
    raise TypeError(f"{where}: expected a Tensor or a NumPy array, got {type(x).__name__}")


def check_image_input(x, expected, where):
    """Raise a clear RuntimeError unless ``x`` is (N, *expected)."""
    if x.ndim != 4 or tuple(x.shape[1:]) != tuple(expected):
        c, h, w = expected
        raise RuntimeError(f"{where}: expected input of shape (N, {c}, {h}, {w}), got "
                           f"{tuple(x.shape)}" + (
                               "; add the channel dimension, e.g. x.reshape(-1, 1, 28, 28)"
                               if x.ndim == 3 or x.ndim == 2 else ""))


def positive_int(value, name, where):
    """Validate a size argument."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{where}: {name} must be an int, got {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{where}: {name} must be positive, got {value}")
    return int(value)


class CurriculumMixin:
    """The methods the course's NumPy classes have: ``predict``, ``loss``, ``accuracy``.

    They accept NumPy arrays as well as Tensors, and targets either as class indices
    ``(N,)`` or one-hot rows ``(N, C)`` (the course's ``one_hot_label=True``).
    """

    def predict(self, x):
        """The network's output (logits, before softmax) in the current train/eval mode."""
        return self(as_tensor(x, f"{type(self).__name__}.predict"))

    def penalty(self):
        """The regularisation term :meth:`loss` adds (``None``: this model has none)."""
        return None

    def loss(self, x, t):
        """Softmax cross-entropy of ``predict(x)`` against ``t``, plus :meth:`penalty`."""
        from ..nn import functional as F
        where = f"{type(self).__name__}.loss"
        y = self.predict(x)
        t = as_tensor(t, where)
        if t.ndim == 2 and t.dtype.kind != "f":
            t = t.float()
        if t.ndim == 2 and t.dtype != y.dtype:
            t = t.to(y.dtype)
        loss = F.cross_entropy(y, t)
        extra = self.penalty()
        return loss if extra is None else loss + extra

    def accuracy(self, x, t, batch_size=100):
        """Fraction of correct argmax predictions, in eval mode, without a graph.

        Evaluates ``batch_size`` samples at a time (unlike the course's version, the
        last partial batch is counted too), then restores the previous mode.
        """
        where = f"{type(self).__name__}.accuracy"
        x = as_tensor(x, where).data
        t = as_tensor(t, where).data
        if t.ndim == 2:
            t = t.argmax(axis=1)
        if len(x) != len(t):
            raise RuntimeError(f"{where}: {len(x)} inputs but {len(t)} targets")
        positive_int(batch_size, "batch_size", where)
        was_training = self.training
        self.eval()
        correct = 0
        try:
            with no_grad():
                for i in range(0, len(x), batch_size):
                    y = self(Tensor(x[i:i + batch_size]))
                    correct += int((y.data.argmax(axis=1) == t[i:i + batch_size]).sum())
        finally:
            self.train(was_training)
        return correct / max(len(x), 1)
