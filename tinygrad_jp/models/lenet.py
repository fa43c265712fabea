"""LeNet-5, with the shapes of the course's lecture notes."""
from .. import nn
from ._common import CurriculumMixin, check_image_input, make_activation, positive_int

__all__ = ["LeNet"]


class LeNet(CurriculumMixin, nn.Module):
    """LeNet-5: (32,32,3) → (28,28,6) → (14,14,6) → (10,10,16) → (5,5,16) → 120 → 84 → 10.

    ``conv1`` 5×5 → activation → 2×2 pool → ``conv2`` 5×5 → activation → 2×2 pool →
    ``flatten`` (16·5·5 = 400) → ``fc1`` 120 → activation → ``fc2`` 84 → activation →
    ``fc3`` (logits). ``activation`` is ``'relu'`` (default), ``'tanh'`` or ``'sigmoid'``
    (the 1998 network used tanh-like units and average pooling: ``pool='avg'``).

    The network expects 32×32 inputs; for 28×28 MNIST images pass ``padding=2`` (the
    first conv pads the image back to 32×32, as in the usual PyTorch port)::

        LeNet(in_channels=1, num_classes=10, padding=2)   # 1×28×28 → 10, 61,706 params
        LeNet()                                           # 3×32×32 → 10, 62,006 params
    """

    def __init__(self, in_channels=3, num_classes=10, padding=0, activation="relu",
                 pool="max"):
        super().__init__()
        where = "LeNet"
        in_channels = positive_int(in_channels, "in_channels", where)
        num_classes = positive_int(num_classes, "num_classes", where)
        if padding not in (0, 1, 2):
            raise ValueError(f"{where}: padding must be 0 (32×32 inputs), 1 (30×30) or 2 "
                             f"(28×28), got {padding!r}")
        if pool not in ("max", "avg"):
            raise ValueError(f"{where}: pool must be 'max' or 'avg', got {pool!r}")
        make_activation(activation, where)
        size = 32 - 2 * padding
        self.input_dim = (in_channels, size, size)
        pool_cls = nn.MaxPool2d if pool == "max" else nn.AvgPool2d

        self.conv1 = nn.Conv2d(in_channels, 6, 5, padding=padding)
        self.act1 = make_activation(activation, where)
        self.pool1 = pool_cls(2, stride=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.act2 = make_activation(activation, where)
        self.pool2 = pool_cls(2, stride=2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.act3 = make_activation(activation, where)
        self.fc2 = nn.Linear(120, 84)
        self.act4 = make_activation(activation, where)
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x):
        """Logits of shape ``(N, num_classes)``."""
        c, h, w = self.input_dim
        check_image_input(x, self.input_dim,
                          f"LeNet(in_channels={c}, padding={(32 - h) // 2})")
        for module in self.children():
            x = module(x)
        return x
