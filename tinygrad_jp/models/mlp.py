"""``MultiLayerNet``: the course's fully connected network, as a Module."""
import numbers

import numpy as np

from .. import nn
from ..tensor import Tensor
from ._common import CurriculumMixin, init_curriculum_, make_activation, positive_int

__all__ = ["MultiLayerNet"]


class MultiLayerNet(CurriculumMixin, nn.Module):
    """The fully connected network of the DAY2 course (``common/multi_layer_net.py``).

    Each hidden layer is ``Linear → [BatchNorm1d] → activation → [Dropout]``; the last
    layer is a ``Linear`` giving the logits (the softmax lives in the loss)::

        net = MultiLayerNet(784, [100, 100], 10, activation="relu",
                            weight_init_std="he", weight_decay_lambda=0.1)
        loss = F.cross_entropy(net(x), t) + net.penalty()   # or: net.loss(x, t)

    Arguments are the course's:

    * ``weight_init_std``: ``'relu'``/``'he'`` → N(0, 2/n), ``'sigmoid'``/``'xavier'`` →
      N(0, 1/n) with ``n`` the fan-in of each layer, or a number used as the std of every
      layer (the course's ``0.01``); biases start at 0.
    * ``weight_decay_lambda``: λ of the L2 penalty ½λΣ‖W‖² over the Linear weights
      (not the biases, not batch norm), returned by :meth:`penalty` and added by
      :meth:`loss`. ``forward`` never adds it: add ``net.penalty()`` to your loss.
    * ``use_dropout`` / ``dropout_ratio``: inverted dropout after each hidden activation.
    * ``use_batchnorm``: ``BatchNorm1d`` between each hidden Linear and its activation.

    Layers are attributes named like the course's ``Affine1``…: ``affine1``,
    ``batchnorm1``, ``activation1``, ``dropout1``, …, ``affine{L}``; so the state-dict
    keys are ``affine1.weight``, ``batchnorm1.running_mean``… and :attr:`linears` lists
    the Linear layers in order (for per-layer gradient norms). :meth:`activations`
    returns every hidden activation (the course's activation histograms). Inputs with
    more than 2 dimensions (e.g. ``(N, 1, 28, 28)`` images) are flattened to
    ``(N, input_size)``.
    """

    def __init__(self, input_size, hidden_size_list, output_size, activation="relu",
                 weight_init_std="relu", weight_decay_lambda=0, use_dropout=False,
                 dropout_ratio=0.5, use_batchnorm=False):
        super().__init__()
        where = "MultiLayerNet"
        input_size = positive_int(input_size, "input_size", where)
        output_size = positive_int(output_size, "output_size", where)
        if isinstance(hidden_size_list, numbers.Integral):
            raise TypeError(f"{where}: hidden_size_list must be a list of layer widths, e.g. "
                            f"[{hidden_size_list}], got an int")
        hidden = [positive_int(h, "hidden_size_list entry", where)
                  for h in hidden_size_list]
        if isinstance(weight_decay_lambda, bool) or not isinstance(weight_decay_lambda,
                                                                   numbers.Real):
            raise TypeError(f"{where}: weight_decay_lambda must be a number, got "
                            f"{type(weight_decay_lambda).__name__}")
        if weight_decay_lambda < 0:
            raise ValueError(f"{where}: weight_decay_lambda must be >= 0, got "
                             f"{weight_decay_lambda}")
        if not 0 <= dropout_ratio < 1:
            raise ValueError(f"{where}: dropout_ratio must be in [0, 1), got {dropout_ratio}")
        make_activation(activation, where)  # validate before building anything

        self.input_size = input_size
        self.hidden_size_list = hidden
        self.output_size = output_size
        self.activation = activation
        self.weight_init_std = weight_init_std
        self.weight_decay_lambda = float(weight_decay_lambda)
        self.use_dropout = bool(use_dropout)
        self.dropout_ratio = float(dropout_ratio)
        self.use_batchnorm = bool(use_batchnorm)
        self.hidden_layer_num = len(hidden)

        sizes = [input_size, *hidden, output_size]
        for i in range(1, len(sizes)):
            linear = nn.Linear(sizes[i - 1], sizes[i])
            init_curriculum_(linear.weight, linear.bias, weight_init_std,
                             f"{where} layer affine{i}")
            setattr(self, f"affine{i}", linear)
            if i < len(sizes) - 1:
                if self.use_batchnorm:
                    setattr(self, f"batchnorm{i}", nn.BatchNorm1d(sizes[i]))
                setattr(self, f"activation{i}", make_activation(activation, where))
                if self.use_dropout:
                    setattr(self, f"dropout{i}", nn.Dropout(dropout_ratio))

    @property
    def linears(self):
        """The Linear layers, input to output (``affine1`` … ``affine{L}``)."""
        return [getattr(self, f"affine{i}") for i in range(1, self.hidden_layer_num + 2)]

    @property
    def batchnorms(self):
        """The BatchNorm1d layers (empty unless ``use_batchnorm``)."""
        if not self.use_batchnorm:
            return []
        return [getattr(self, f"batchnorm{i}") for i in range(1, self.hidden_layer_num + 1)]

    def _flat(self, x):
        if not isinstance(x, Tensor):
            raise TypeError(f"MultiLayerNet: expected a Tensor, got {type(x).__name__}")
        if x.ndim > 2:
            x = x.reshape(x.shape[0], -1)
        if x.ndim != 2 or x.shape[1] != self.input_size:
            raise RuntimeError(f"MultiLayerNet(input_size={self.input_size}): expected input "
                               f"of shape (N, {self.input_size}) (or (N, ...) with "
                               f"{self.input_size} features per sample), got {tuple(x.shape)}")
        return x

    def forward(self, x):
        """Logits of shape ``(N, output_size)``."""
        x = self._flat(x)
        for module in self.children():
            x = module(x)
        return x

    def activations(self, x):
        """The output of every hidden activation function for input ``x``, as a list.

        These are what the course plots as histograms to compare weight inits (values
        after dropout are not included).
        """
        x = self._flat(x)
        out = []
        for name, module in self.named_children():
            x = module(x)
            if name.startswith("activation"):
                out.append(x)
        return out

    def penalty(self):
        """½λΣ‖W‖² over the Linear weights (a 0-d Tensor; 0 when λ = 0).

        Add it to the data loss before ``backward()``; :meth:`loss` does. With λ > 0 its
        gradient is λW, the course's ``grad['W'] += weight_decay_lambda * W``.
        """
        weights = [lin.weight for lin in self.linears]
        if self.weight_decay_lambda == 0:
            return Tensor._wrap(np.zeros((), dtype=weights[0].dtype))
        total = (weights[0] * weights[0]).sum()
        for w in weights[1:]:
            total = total + (w * w).sum()
        return total * (0.5 * self.weight_decay_lambda)

    regularization_loss = penalty

    def extra_repr(self):
        return (f"input_size={self.input_size}, hidden_size_list={self.hidden_size_list}, "
                f"output_size={self.output_size}, activation={self.activation!r}")
