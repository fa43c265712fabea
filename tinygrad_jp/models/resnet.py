"""ResNet with basic blocks: torchvision's ResNet-18 and the CIFAR ResNet-20 of the paper."""
import numbers

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..tensor import Tensor, cat
from ._common import CurriculumMixin, positive_int

__all__ = ["BasicBlock", "ResNet", "resnet18", "resnet20", "resnet32", "resnet44",
           "resnet56"]


def _conv3x3(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1,
                     bias=False)


class ZeroPadShortcut(nn.Module):
    """Option A shortcut of He et al. (2015): subsample by ``stride`` and zero-pad the
    new channels; no parameters. (Option B is a 1×1 conv + batch norm.)"""

    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.in_planes, self.planes, self.stride = in_planes, planes, stride

    def forward(self, x):
        """``(N, in_planes, H, W)`` → ``(N, planes, ⌈H/stride⌉, ⌈W/stride⌉)``."""
        if self.stride != 1:
            x = x[:, :, ::self.stride, ::self.stride]
        extra = self.planes - self.in_planes
        if extra == 0:
            return x
        before = extra // 2
        n, _, h, w = x.shape
        parts = [x]
        if before:
            parts.insert(0, Tensor._wrap(np.zeros((n, before, h, w), dtype=x.dtype)))
        parts.append(Tensor._wrap(np.zeros((n, extra - before, h, w), dtype=x.dtype)))
        return cat(parts, dim=1)

    def extra_repr(self):
        return f"{self.in_planes}, {self.planes}, stride={self.stride}"


class BasicBlock(nn.Module):
    """Two 3×3 convs with batch norm and a skip connection: ``relu(F(x) + shortcut(x))``.

    The same module as torchvision's ``BasicBlock`` (attributes ``conv1``, ``bn1``,
    ``relu``, ``conv2``, ``bn2``, ``downsample``), so state-dict keys match.
    ``downsample`` is the shortcut when the shape changes (``None`` otherwise).
    """

    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = _conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2 = _conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        """``relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))``."""
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet(CurriculumMixin, nn.Module):
    """A residual network of :class:`BasicBlock` stages, in torchvision's layout.

    ``layers`` gives the number of blocks per stage and ``widths`` their channels; the
    first block of every stage after the first halves the resolution. Two stems:

    * ``stem='imagenet'``: ``conv1`` 7×7/2 (64) → ``bn1`` → ``relu`` → ``maxpool`` 3×3/2;
      :func:`resnet18` is ``ResNet(BasicBlock, [2, 2, 2, 2])`` (11,689,512 parameters at
      1000 classes, torchvision's figure and keys).
    * ``stem='cifar'``: ``conv1`` 3×3 (16) → ``bn1`` → ``relu``, no max-pool;
      :func:`resnet20` is three stages of three blocks with 16/32/64 channels.

    ``shortcut`` chooses the projection when a block changes shape: ``'B'`` (1×1 conv +
    batch norm, torchvision's ``downsample``) or ``'A'`` (subsample and zero-pad, no
    parameters: the paper's CIFAR networks). Then ``avgpool`` (global) and ``fc``.
    Convs are He-initialised (fan-out), batch norms start at γ=1, β=0.
    """

    def __init__(self, block=BasicBlock, layers=(2, 2, 2, 2), num_classes=1000,
                 in_channels=3, widths=(64, 128, 256, 512), stem="imagenet", shortcut="B"):
        super().__init__()
        where = "ResNet"
        num_classes = positive_int(num_classes, "num_classes", where)
        in_channels = positive_int(in_channels, "in_channels", where)
        layers = [positive_int(n, "layers entry", where) for n in layers]
        widths = [positive_int(c, "widths entry", where) for c in widths]
        if len(layers) != len(widths) or not layers:
            raise ValueError(f"{where}: layers {layers} and widths {widths} must be non-empty "
                             "and of the same length")
        if shortcut not in ("A", "B"):
            raise ValueError(f"{where}: shortcut must be 'A' (zero-pad) or 'B' (1x1 conv), "
                             f"got {shortcut!r}")
        self.in_channels = in_channels
        self.shortcut = shortcut
        self.inplanes = widths[0]
        if stem == "imagenet":
            self.conv1 = nn.Conv2d(in_channels, self.inplanes, kernel_size=7, stride=2,
                                   padding=3, bias=False)
            self.bn1 = nn.BatchNorm2d(self.inplanes)
            self.relu = nn.ReLU()
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        elif stem == "cifar":
            self.conv1 = _conv3x3(in_channels, self.inplanes)
            self.bn1 = nn.BatchNorm2d(self.inplanes)
            self.relu = nn.ReLU()
            self.maxpool = nn.Identity()
        else:
            raise ValueError(f"{where}: stem must be 'imagenet' or 'cifar', got {stem!r}")
        self.stem = stem
        self.num_stages = len(layers)
        for i, (n, planes) in enumerate(zip(layers, widths, strict=True)):
            setattr(self, f"layer{i + 1}",
                    self._make_layer(block, planes, n, stride=1 if i == 0 else 2))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[-1] * block.expansion, num_classes)
        self._init_weights()

    def _make_layer(self, block, planes, blocks, stride):
        downsample = None
        out_planes = planes * block.expansion
        if stride != 1 or self.inplanes != out_planes:
            if self.shortcut == "B":
                downsample = nn.Sequential(
                    nn.Conv2d(self.inplanes, out_planes, kernel_size=1, stride=stride,
                              bias=False),
                    nn.BatchNorm2d(out_planes))
            else:
                downsample = ZeroPadShortcut(self.inplanes, out_planes, stride)
        mods = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = out_planes
        mods += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*mods)

    def _init_weights(self):
        # torchvision: kaiming_normal_(mode="fan_out", nonlinearity="relu"); BN γ=1, β=0.
        with no_grad():
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)

    @property
    def stages(self):
        """The residual stages ``layer1`` … ``layerN`` (each an ``nn.Sequential``)."""
        return [getattr(self, f"layer{i + 1}") for i in range(self.num_stages)]

    def forward(self, x):
        """Logits of shape ``(N, num_classes)`` for any input size the stem accepts."""
        if not isinstance(x, Tensor) or x.ndim != 4 or x.shape[1] != self.in_channels:
            raise RuntimeError(f"ResNet(in_channels={self.in_channels}): expected input of "
                               f"shape (N, {self.in_channels}, H, W), got "
                               f"{getattr(x, 'shape', type(x).__name__)}")
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for stage in self.stages:
            x = stage(x)
        x = self.avgpool(x).flatten(1)
        return self.fc(x)


def resnet18(num_classes=1000, in_channels=3):
    """ResNet-18 as torchvision builds it: 11,689,512 parameters at 1000 classes."""
    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes=num_classes, in_channels=in_channels)


def _cifar_resnet(depth, num_classes, in_channels, shortcut):
    if isinstance(depth, bool) or not isinstance(depth, numbers.Integral) or \
            (depth - 2) % 6 or depth < 8:
        raise ValueError(f"CIFAR ResNet: depth must be 6n+2 (20, 32, 44, 56, 110), got {depth}")
    n = (depth - 2) // 6
    return ResNet(BasicBlock, [n, n, n], num_classes=num_classes, in_channels=in_channels,
                  widths=(16, 32, 64), stem="cifar", shortcut=shortcut)


def resnet20(num_classes=10, in_channels=3, shortcut="A"):
    """ResNet-20 for 32×32 images (He et al. 2015, §4.2): 3 stages × 3 blocks, 16/32/64
    channels. With the paper's option-A shortcuts it has 269,722 parameters (≈0.27M) at 10
    classes; ``shortcut='B'`` (1×1 conv + BN) adds 2,752."""
    return _cifar_resnet(20, num_classes, in_channels, shortcut)


def resnet32(num_classes=10, in_channels=3, shortcut="A"):
    """CIFAR ResNet-32 (5 blocks per stage, ≈0.46M parameters)."""
    return _cifar_resnet(32, num_classes, in_channels, shortcut)


def resnet44(num_classes=10, in_channels=3, shortcut="A"):
    """CIFAR ResNet-44 (7 blocks per stage, ≈0.66M parameters)."""
    return _cifar_resnet(44, num_classes, in_channels, shortcut)


def resnet56(num_classes=10, in_channels=3, shortcut="A"):
    """CIFAR ResNet-56 (9 blocks per stage, ≈0.85M parameters)."""
    return _cifar_resnet(56, num_classes, in_channels, shortcut)
