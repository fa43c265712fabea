"""The course's two CNNs for MNIST: ``SimpleConvNet`` and ``DeepConvNet``."""
from .. import nn
from ._common import CurriculumMixin, check_image_input, init_curriculum_, positive_int

__all__ = ["SimpleConvNet", "DeepConvNet"]


def _input_dim(input_dim, where):
    if not isinstance(input_dim, (tuple, list)) or len(input_dim) != 3:
        raise ValueError(f"{where}: input_dim must be (channels, height, width), got "
                         f"{input_dim!r}")
    return tuple(positive_int(v, "input_dim entry", where) for v in input_dim)


def _conv_out(size, kernel, stride, pad):
    return (size + 2 * pad - kernel) // stride + 1


class _Sequenced(CurriculumMixin, nn.Module):
    """A model whose forward runs its children in the order they were registered."""

    def forward(self, x):
        """Logits of shape ``(N, output_size)``."""
        check_image_input(x, self.input_dim, self._where())
        for module in self.children():
            x = module(x)
        return x

    def _where(self):
        return f"{type(self).__name__}(input_dim={self.input_dim})"


class SimpleConvNet(_Sequenced):
    """The course's ``SimpleConvNet``: conv – ReLU – pool – affine – ReLU – affine.

    With the defaults: ``Conv2d(1, 30, 5)`` → ReLU → ``MaxPool2d(2)`` →
    ``Linear(30·12·12 = 4320, 100)`` → ReLU → ``Linear(100, 10)``, giving logits (the
    course's ``SoftmaxWithLoss`` is ``F.cross_entropy`` / :meth:`loss`). Every weight is
    drawn from N(0, ``weight_init_std``²) as in the course (a number, or ``'he'`` /
    ``'xavier'`` for √(2/n) / √(1/n) per layer), biases 0. Layers are named as in the
    course's ``OrderedDict``: ``conv1``, ``relu1``, ``pool1``, ``flatten``, ``affine1``,
    ``relu2``, ``affine2``. 433,890 parameters with the defaults.
    """

    # The course's signature, dict default included (it is only read, never mutated).
    def __init__(self, input_dim=(1, 28, 28),
                 conv_param={"filter_num": 30, "filter_size": 5, "pad": 0,  # noqa: B006
                             "stride": 1},
                 hidden_size=100, output_size=10, weight_init_std=0.01):
        super().__init__()
        where = "SimpleConvNet"
        self.input_dim = _input_dim(input_dim, where)
        defaults = {"filter_num": 30, "filter_size": 5, "pad": 0, "stride": 1}
        unknown = set(conv_param) - set(defaults)
        if unknown:
            raise ValueError(f"{where}: unknown conv_param keys {sorted(unknown)}; expected "
                             f"{sorted(defaults)}")
        p = {**defaults, **conv_param}
        filter_num = positive_int(p["filter_num"], "filter_num", where)
        filter_size = positive_int(p["filter_size"], "filter_size", where)
        stride = positive_int(p["stride"], "stride", where)
        pad = int(p["pad"])
        if pad < 0:
            raise ValueError(f"{where}: pad must be >= 0, got {pad}")
        hidden_size = positive_int(hidden_size, "hidden_size", where)
        output_size = positive_int(output_size, "output_size", where)
        c, h, w = self.input_dim
        conv_h, conv_w = (_conv_out(h, filter_size, stride, pad),
                          _conv_out(w, filter_size, stride, pad))
        if conv_h < 2 or conv_w < 2:
            raise ValueError(f"{where}: a {filter_size}x{filter_size} filter with pad {pad} "
                             f"and stride {stride} leaves {conv_h}x{conv_w} of a {h}x{w} "
                             "input, too small for the 2x2 pooling")
        pool_output_size = filter_num * (conv_h // 2) * (conv_w // 2)
        self.conv_param = p
        self.output_size = output_size

        self.conv1 = nn.Conv2d(c, filter_num, filter_size, stride=stride, padding=pad)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2, stride=2)
        self.flatten = nn.Flatten()
        self.affine1 = nn.Linear(pool_output_size, hidden_size)
        self.relu2 = nn.ReLU()
        self.affine2 = nn.Linear(hidden_size, output_size)
        for layer in (self.conv1, self.affine1, self.affine2):
            init_curriculum_(layer.weight, layer.bias, weight_init_std, where)


class DeepConvNet(_Sequenced):
    """The course's ``DeepConvNet`` ("over 99% on MNIST").

    ``conv–relu–conv–relu–pool`` three times (3×3 filters, 16, 16, 32, 32, 64, 64
    channels, padding 1 except padding 2 on the fourth conv), then
    ``Linear(64·4·4 = 1024, 50)`` – ReLU – ``Dropout(0.5)`` – ``Linear(50, 10)`` –
    ``Dropout(0.5)``. Every weight is He-initialised (N(0, 2/n) with the layer's fan-in),
    biases 0, as in the course. Layers: ``conv1``…``conv6``, ``relu1``…``relu7``,
    ``pool1``…``pool3``, ``flatten``, ``affine1``, ``dropout1``, ``affine2``, ``dropout2``.
    The last dropout acts on the logits in training mode only, like the original; call
    ``model.eval()`` to evaluate. 123,552 parameters for 1×28×28 inputs.
    """

    def __init__(self, input_dim=(1, 28, 28), output_size=10, hidden_size=50,
                 dropout_ratio=0.5):
        super().__init__()
        where = "DeepConvNet"
        self.input_dim = _input_dim(input_dim, where)
        output_size = positive_int(output_size, "output_size", where)
        hidden_size = positive_int(hidden_size, "hidden_size", where)
        c, h, w = self.input_dim
        # Spatial size through the three pools (pad 2 on conv4 grows the map by 2).
        out_h = ((h // 2 + 2) // 2) // 2
        out_w = ((w // 2 + 2) // 2) // 2
        if out_h < 1 or out_w < 1:
            raise ValueError(f"{where}: input {h}x{w} is too small for three 2x2 poolings")
        self.output_size = output_size

        channels = [c, 16, 16, 32, 32, 64, 64]
        for i in range(1, 7):
            pad = 2 if i == 4 else 1
            setattr(self, f"conv{i}", nn.Conv2d(channels[i - 1], channels[i], 3, padding=pad))
            setattr(self, f"relu{i}", nn.ReLU())
            if i % 2 == 0:
                setattr(self, f"pool{i // 2}", nn.MaxPool2d(2, stride=2))
        self.flatten = nn.Flatten()
        self.affine1 = nn.Linear(64 * out_h * out_w, hidden_size)
        self.relu7 = nn.ReLU()
        self.dropout1 = nn.Dropout(dropout_ratio)
        self.affine2 = nn.Linear(hidden_size, output_size)
        self.dropout2 = nn.Dropout(dropout_ratio)
        for i in range(1, 7):
            conv = getattr(self, f"conv{i}")
            init_curriculum_(conv.weight, conv.bias, "he", where)
        for lin in (self.affine1, self.affine2):
            init_curriculum_(lin.weight, lin.bias, "he", where)

    @property
    def convs(self):
        """The six Conv2d layers, input to output."""
        return [getattr(self, f"conv{i}") for i in range(1, 7)]

