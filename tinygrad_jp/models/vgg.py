"""VGG16 with torchvision's layout, a configurable input size and block-wise freezing."""
import numbers

from .. import nn
from ..autograd import no_grad
from ..tensor import Tensor
from ._common import CurriculumMixin, positive_int

__all__ = ["VGG16", "vgg16", "vgg16_bn"]

# Configuration "D" of Simonyan & Zisserman: channels of each 3×3 conv, "M" = max-pool.
_CFG_D = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
          512, 512, 512, "M")


class VGG16(CurriculumMixin, nn.Module):
    """VGG16 (13 convs in 5 blocks + 3 Linear), laid out like ``torchvision.models.vgg16``.

    Submodules: ``features`` (the convolutional base: 13 ``Conv2d`` 3×3/pad 1 with ReLU
    [and ``BatchNorm2d`` when ``batch_norm=True``], a 2×2 max-pool closing each block),
    ``avgpool`` (adaptive, to the feature map of ``input_size``: 7×7 at 224) and
    ``classifier``. State-dict keys are torchvision's (``features.0.weight`` …
    ``classifier.6.bias``); ``VGG16()`` has 138,357,544 parameters, its conv base
    14,714,688 on 3 input channels (the seed's Keras figure).

    * ``input_size``: an int or ``(H, W)``; the classifier's input is
      512·⌊H/32⌋·⌊W/32⌋ (8192 at 128×128, 25088 at 224×224).
    * ``include_top=False`` keeps only ``features``: ``forward`` returns the feature maps
      ``(N, 512, H/32, W/32)``, like Keras' ``VGG16(include_top=False)``.
    * ``classifier_hidden``: width of the two hidden Linear layers (4096); ``None`` or
      ``0`` gives the seed-004 head ``Dropout → Linear(512·h·w, num_classes)``.

    Fine-tuning as in the Keras lab report (train only block 5 and the head)::

        model = VGG16(num_classes=2, input_size=128, classifier_hidden=None)
        model.freeze_features(except_last_blocks=1)
        nn.summary(model, (1, 3, 128, 128))   # 14,731,074 total, 7,095,810 trainable
    """

    def __init__(self, num_classes=1000, in_channels=3, input_size=224, batch_norm=False,
                 include_top=True, classifier_hidden=4096, dropout=0.5):
        super().__init__()
        where = "VGG16"
        num_classes = positive_int(num_classes, "num_classes", where)
        in_channels = positive_int(in_channels, "in_channels", where)
        if isinstance(input_size, numbers.Integral):
            input_size = (input_size, input_size)
        if not (isinstance(input_size, (tuple, list)) and len(input_size) == 2):
            raise ValueError(f"{where}: input_size must be an int or (height, width), got "
                             f"{input_size!r}")
        h, w = (positive_int(v, "input_size", where) for v in input_size)
        if h < 32 or w < 32:
            raise ValueError(f"{where}: input_size {h}x{w} is too small; five 2x2 poolings "
                             "need at least 32x32")
        if not 0 <= dropout < 1:
            raise ValueError(f"{where}: dropout must be in [0, 1), got {dropout}")
        self.in_channels = in_channels
        self.input_size = (h, w)
        self.include_top = bool(include_top)

        layers, blocks, block, channels = [], [], [], in_channels
        for v in _CFG_D:
            if v == "M":
                block.append(len(layers))
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
                blocks.append(tuple(block))
                block = []
                continue
            block.append(len(layers))
            layers.append(nn.Conv2d(channels, v, kernel_size=3, padding=1))
            if batch_norm:
                block.append(len(layers))
                layers.append(nn.BatchNorm2d(v))
            block.append(len(layers))
            layers.append(nn.ReLU())
            channels = v
        self.features = nn.Sequential(*layers)
        self._blocks = tuple(blocks)  # indices into ``features`` of each block's layers

        if self.include_top:
            fh, fw = h // 32, w // 32
            self.avgpool = nn.AdaptiveAvgPool2d((fh, fw))
            flat = 512 * fh * fw
            if classifier_hidden:
                hidden = positive_int(classifier_hidden, "classifier_hidden", where)
                self.classifier = nn.Sequential(
                    nn.Linear(flat, hidden),
                    nn.ReLU(),
                    nn.Dropout(p=dropout),
                    nn.Linear(hidden, hidden),
                    nn.ReLU(),
                    nn.Dropout(p=dropout),
                    nn.Linear(hidden, num_classes),
                )
            else:
                self.classifier = nn.Sequential(nn.Dropout(p=dropout),
                                                nn.Linear(flat, num_classes))
        self._init_weights()

    def _init_weights(self):
        # torchvision's VGG init: He (fan-out) for convs, N(0, 0.01) for Linear, biases 0.
        with no_grad():
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.zeros_(m.bias)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.ones_(m.weight)
                    nn.init.zeros_(m.bias)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, mean=0.0, std=0.01)
                    nn.init.zeros_(m.bias)

    @property
    def blocks(self):
        """The five blocks of ``features``, each a list of its modules (convs, [BN],
        ReLUs and the closing max-pool), input to output."""
        return [[self.features[i] for i in block] for block in self._blocks]

    def freeze_features(self, except_last_blocks=0):
        """Freeze the conv base except its last ``except_last_blocks`` blocks (0…5).

        Sets ``requires_grad`` to False on the parameters of blocks ``1 … 5-k`` and to
        True on the last ``k`` blocks, so calling it again with another ``k`` unfreezes
        or refreezes blocks; the classifier is left as it is. Frozen parameters get no
        ``.grad`` and count as non-trainable in ``nn.summary``. (Batch-norm running
        statistics of frozen blocks still update in train mode, as in PyTorch; call
        ``.eval()`` on those layers to keep them fixed.) Returns ``self``.
        """
        if (isinstance(except_last_blocks, bool)
                or not isinstance(except_last_blocks, numbers.Integral)):
            raise TypeError("VGG16.freeze_features: except_last_blocks must be an int, got "
                            f"{type(except_last_blocks).__name__}")
        n = len(self._blocks)
        if not 0 <= except_last_blocks <= n:
            raise ValueError(f"VGG16.freeze_features: except_last_blocks must be in 0…{n}, "
                             f"got {except_last_blocks}")
        for b, block in enumerate(self.blocks):
            trainable = b >= n - except_last_blocks
            for module in block:
                module.requires_grad_(trainable)
        return self

    def forward(self, x):
        """Logits ``(N, num_classes)``, or the feature maps when ``include_top=False``."""
        if not isinstance(x, Tensor) or x.ndim != 4 or x.shape[1] != self.in_channels:
            raise RuntimeError(f"VGG16(in_channels={self.in_channels}): expected input of "
                               f"shape (N, {self.in_channels}, H, W), got "
                               f"{getattr(x, 'shape', type(x).__name__)}")
        x = self.features(x)
        if not self.include_top:
            return x
        x = self.avgpool(x)
        x = x.flatten(1)
        return self.classifier(x)


def vgg16(num_classes=1000, in_channels=3, **kwargs):
    """``VGG16(...)``: torchvision's ``vgg16`` layout (138,357,544 parameters)."""
    return VGG16(num_classes=num_classes, in_channels=in_channels, **kwargs)


def vgg16_bn(num_classes=1000, in_channels=3, **kwargs):
    """``VGG16(..., batch_norm=True)``: torchvision's ``vgg16_bn`` layout."""
    return VGG16(num_classes=num_classes, in_channels=in_channels, batch_norm=True, **kwargs)
