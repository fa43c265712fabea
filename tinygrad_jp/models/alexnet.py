"""AlexNet: torchvision's layout for 224×224 inputs and a small variant for 28–32 px."""
from .. import nn
from ..tensor import Tensor
from ._common import CurriculumMixin, positive_int

__all__ = ["AlexNet", "alexnet", "alexnet_small"]


class AlexNet(CurriculumMixin, nn.Module):
    """AlexNet (Krizhevsky et al. 2012) as torchvision builds it: ``features`` (five
    convs, ReLU, three overlapping 3×3/2 max-pools), ``avgpool`` (adaptive to 6×6),
    ``classifier`` (Dropout – 4096 – ReLU – Dropout – 4096 – ReLU – ``num_classes``).

    ``AlexNet()`` has 61,100,840 parameters, torchvision's figure, and the same
    state-dict keys (``features.0.weight`` … ``classifier.6.bias``). The LRN layers of the
    paper are left out, as torchvision does.

    ``AlexNet.small(in_channels=1, num_classes=10)`` (or :func:`alexnet_small`) is the
    variant for 28×28 / 32×32 images: five 3×3 convs (64, 192, 384, 256, 256) with
    three 2×2 max-pools, global average pooling (the lecture's "Global Avg Pooling" in
    place of flattening), and a 512-wide classifier with dropout.
    """

    def __init__(self, num_classes=1000, in_channels=3, dropout=0.5, variant="imagenet",
                 hidden_size=None):
        super().__init__()
        where = "AlexNet"
        num_classes = positive_int(num_classes, "num_classes", where)
        in_channels = positive_int(in_channels, "in_channels", where)
        if not 0 <= dropout < 1:
            raise ValueError(f"{where}: dropout must be in [0, 1), got {dropout}")
        if variant == "imagenet":
            hidden = 4096 if hidden_size is None else positive_int(hidden_size, "hidden_size",
                                                                    where)
            self.features = nn.Sequential(
                nn.Conv2d(in_channels, 64, kernel_size=11, stride=4, padding=2),
                nn.ReLU(),
                nn.MaxPool2d(kernel_size=3, stride=2),
                nn.Conv2d(64, 192, kernel_size=5, padding=2),
                nn.ReLU(),
                nn.MaxPool2d(kernel_size=3, stride=2),
                nn.Conv2d(192, 384, kernel_size=3, padding=1),
                nn.ReLU(),
                nn.Conv2d(384, 256, kernel_size=3, padding=1),
                nn.ReLU(),
                nn.Conv2d(256, 256, kernel_size=3, padding=1),
                nn.ReLU(),
                nn.MaxPool2d(kernel_size=3, stride=2),
            )
            pooled = 6
        elif variant == "small":
            hidden = 512 if hidden_size is None else positive_int(hidden_size, "hidden_size",
                                                                   where)
            self.features = nn.Sequential(
                nn.Conv2d(in_channels, 64, kernel_size=3, padding=1),
                nn.ReLU(),
                nn.MaxPool2d(kernel_size=2, stride=2),
                nn.Conv2d(64, 192, kernel_size=3, padding=1),
                nn.ReLU(),
                nn.MaxPool2d(kernel_size=2, stride=2),
                nn.Conv2d(192, 384, kernel_size=3, padding=1),
                nn.ReLU(),
                nn.Conv2d(384, 256, kernel_size=3, padding=1),
                nn.ReLU(),
                nn.Conv2d(256, 256, kernel_size=3, padding=1),
                nn.ReLU(),
                nn.MaxPool2d(kernel_size=2, stride=2),
            )
            pooled = 1
        else:
            raise ValueError(f"{where}: variant must be 'imagenet' or 'small', got {variant!r}")
        self.variant = variant
        self.avgpool = nn.AdaptiveAvgPool2d((pooled, pooled))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout),
            nn.Linear(256 * pooled * pooled, hidden),
            nn.ReLU(),
            nn.Dropout(p=dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, num_classes),
        )

    @classmethod
    def small(cls, in_channels=1, num_classes=10, dropout=0.5, hidden_size=512):
        """The variant for 28×28 / 32×32 inputs (MNIST, CIFAR-10); see the class doc."""
        return cls(num_classes=num_classes, in_channels=in_channels, dropout=dropout,
                   variant="small", hidden_size=hidden_size)

    def forward(self, x):
        """Logits of shape ``(N, num_classes)``."""
        if not isinstance(x, Tensor) or x.ndim != 4:
            raise RuntimeError(f"AlexNet: expected a batch of images (N, C, H, W), got "
                               f"{getattr(x, 'shape', type(x).__name__)}")
        x = self.features(x)
        x = self.avgpool(x)
        x = x.flatten(1)
        return self.classifier(x)


def alexnet(num_classes=1000, in_channels=3, dropout=0.5):
    """torchvision's AlexNet for 224×224 inputs (61,100,840 parameters at 1000 classes)."""
    return AlexNet(num_classes=num_classes, in_channels=in_channels, dropout=dropout)


def alexnet_small(in_channels=1, num_classes=10, dropout=0.5, hidden_size=512):
    """AlexNet for 28×28 / 32×32 inputs; same as ``AlexNet.small``."""
    return AlexNet.small(in_channels=in_channels, num_classes=num_classes, dropout=dropout,
                         hidden_size=hidden_size)
