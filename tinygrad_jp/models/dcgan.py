"""The GAN of the NumPy lab report as a DCGAN pair, optionally conditional on class labels."""
import numbers

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..tensor import Tensor, cat
from ._common import positive_int

__all__ = ["DCGANGenerator", "DCGANDiscriminator"]


def _check_image_size(image_size, where):
    image_size = positive_int(image_size, "image_size", where)
    if image_size % 4:
        raise ValueError(f"{where}: image_size must be a multiple of 4 (two 2x up/down-"
                         f"samplings), got {image_size}")
    return image_size


def _one_hot(labels, num_classes, n, dtype, where):
    """Labels (ints, array or int Tensor) of length ``n`` → one-hot ``(n, num_classes)``."""
    if labels is None:
        raise TypeError(f"{where}: this model is conditional (num_classes={num_classes}); "
                        "pass the class labels, e.g. model(z, labels)")
    # the labels are read on the host; the one-hot goes where the network runs
    array = np.asarray(labels.cpu().data if isinstance(labels, Tensor) else labels)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{where}: labels must be integers, got dtype {array.dtype}")
    if array.shape != (n,):
        raise RuntimeError(f"{where}: expected {n} labels of shape ({n},), got shape "
                           f"{array.shape}")
    if n and (array.min() < 0 or array.max() >= num_classes):
        raise ValueError(f"{where}: labels must be in [0, {num_classes}), got values in "
                         f"[{array.min()}, {array.max()}]")
    out = np.zeros((n, num_classes), dtype=dtype)
    out[np.arange(n), array] = 1
    return out


def _dcgan_init(module):
    # Radford et al.: conv weights N(0, 0.02), batch-norm γ ~ N(1, 0.02), β = 0.
    with no_grad():
        for m in module.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
                nn.init.normal_(m.weight, mean=0.0, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                nn.init.normal_(m.weight, mean=1.0, std=0.02)
                nn.init.zeros_(m.bias)


class DCGANGenerator(nn.Module):
    """The generator of the lab report: noise → Linear → reshape → transposed convs → image.

    With the defaults (``nz=100, ngf=128, image_size=28``): ``Linear(100, 128·7·7)`` →
    reshape ``(128, 7, 7)`` → ``BatchNorm2d`` → ReLU → ``ConvTranspose2d(128, 64, 4, 2, 1)``
    (7→14) → ``BatchNorm2d`` → ReLU → ``ConvTranspose2d(64, out_channels, 4, 2, 1)``
    (14→28) → Tanh (images in [-1, 1]; ``output_activation='sigmoid'`` gives [0, 1]).
    Batch norm after every layer but the last, as the seed recommends for G; DCGAN init.

    ``num_classes`` makes it a conditional generator (the seed's wished-for conditional
    DCGAN): the one-hot label is concatenated to the noise, and ``forward(z, labels)``
    draws the digit you ask for. ``z`` is ``(N, nz)`` (or PyTorch-DCGAN's ``(N, nz, 1, 1)``);
    the output is ``(N, out_channels, image_size, image_size)``.
    """

    def __init__(self, nz=100, ngf=128, out_channels=1, image_size=28, num_classes=None,
                 output_activation="tanh"):
        super().__init__()
        where = "DCGANGenerator"
        self.nz = positive_int(nz, "nz", where)
        ngf = positive_int(ngf, "ngf", where)
        if ngf < 2:
            raise ValueError(f"{where}: ngf must be >= 2, got {ngf}")
        self.out_channels = positive_int(out_channels, "out_channels", where)
        self.image_size = _check_image_size(image_size, where)
        self.num_classes = None if num_classes is None else positive_int(
            num_classes, "num_classes", where)
        if output_activation not in ("tanh", "sigmoid"):
            raise ValueError(f"{where}: output_activation must be 'tanh' or 'sigmoid', got "
                             f"{output_activation!r}")
        self.ngf = ngf
        self.init_size = self.image_size // 4
        in_features = self.nz + (self.num_classes or 0)
        # No bias before batch norm: BN's β does that job.
        self.fc = nn.Linear(in_features, ngf * self.init_size ** 2, bias=False)
        self.main = nn.Sequential(
            nn.BatchNorm2d(ngf),
            nn.ReLU(),
            nn.ConvTranspose2d(ngf, ngf // 2, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(ngf // 2),
            nn.ReLU(),
            nn.ConvTranspose2d(ngf // 2, self.out_channels, 4, stride=2, padding=1),
            nn.Tanh() if output_activation == "tanh" else nn.Sigmoid(),
        )
        _dcgan_init(self)

    def forward(self, z, labels=None):
        """Images ``(N, out_channels, image_size, image_size)`` from noise ``z``."""
        where = "DCGANGenerator"
        if not isinstance(z, Tensor):
            raise TypeError(f"{where}: expected the noise as a Tensor, got {type(z).__name__}")
        if z.ndim == 4 and z.shape[2:] == (1, 1):
            z = z.reshape(z.shape[0], z.shape[1])
        if z.ndim != 2 or z.shape[1] != self.nz:
            raise RuntimeError(f"{where}(nz={self.nz}): expected noise of shape (N, {self.nz}),"
                               f" got {tuple(z.shape)}; e.g. z = tg.randn(N, {self.nz})")
        if self.num_classes is not None:
            onehot = _one_hot(labels, self.num_classes, z.shape[0], z.dtype, where)
            z = cat([z, Tensor._wrap(onehot).to(z.device)], dim=1)
        elif labels is not None:
            raise TypeError(f"{where}: labels given, but the model is not conditional; build "
                            "it with num_classes=...")
        x = self.fc(z).reshape(z.shape[0], self.ngf, self.init_size, self.init_size)
        return self.main(x)

    def sample(self, n, labels=None):
        """``n`` images from fresh N(0, 1) noise, in eval mode and without a graph."""
        from ..creation import randn
        n = positive_int(n, "n", "DCGANGenerator.sample")
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                return self(randn(n, self.nz), labels)
        finally:
            self.train(was_training)


class DCGANDiscriminator(nn.Module):
    """The discriminator of the NumPy lab report: a CNN with LeakyReLU and dropout, one logit out.

    ``Conv2d(in, ndf, 4, 2, 1)`` (28→14) → LeakyReLU(0.2) → Dropout →
    ``Conv2d(ndf, 2·ndf, 4, 2, 1)`` (14→7) → LeakyReLU(0.2) → Dropout → Flatten →
    ``Linear(2·ndf·7·7, 1)``. No batch norm (the seed found it hurt in D); dropout weakens
    D, which the seed used to balance the two players. The output is a logit of shape
    ``(N, 1)``: train with ``nn.BCEWithLogitsLoss`` (smoothed labels such as 0.9 work).

    ``num_classes`` makes it conditional: the one-hot label enters as ``num_classes``
    extra constant image channels; call ``forward(x, labels)``.
    """

    def __init__(self, in_channels=1, image_size=28, ndf=64, dropout=0.3, num_classes=None):
        super().__init__()
        where = "DCGANDiscriminator"
        self.in_channels = positive_int(in_channels, "in_channels", where)
        self.image_size = _check_image_size(image_size, where)
        ndf = positive_int(ndf, "ndf", where)
        if not isinstance(dropout, numbers.Real) or not 0 <= dropout < 1:
            raise ValueError(f"{where}: dropout must be in [0, 1), got {dropout!r}")
        self.num_classes = None if num_classes is None else positive_int(
            num_classes, "num_classes", where)
        final = self.image_size // 4
        self.main = nn.Sequential(
            nn.Conv2d(self.in_channels + (self.num_classes or 0), ndf, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Dropout(dropout),
            nn.Conv2d(ndf, ndf * 2, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Dropout(dropout),
            nn.Flatten(),
            nn.Linear(ndf * 2 * final * final, 1),
        )
        _dcgan_init(self)

    def forward(self, x, labels=None):
        """Logits ``(N, 1)``: large for images judged real."""
        where = "DCGANDiscriminator"
        s = self.image_size
        if not isinstance(x, Tensor) or x.ndim != 4 or x.shape[1:] != (self.in_channels, s, s):
            raise RuntimeError(f"{where}: expected images of shape (N, {self.in_channels}, {s}, "
                               f"{s}), got {getattr(x, 'shape', type(x).__name__)}")
        if self.num_classes is not None:
            n = x.shape[0]
            onehot = _one_hot(labels, self.num_classes, n, x.dtype, where)
            maps = np.broadcast_to(onehot[:, :, None, None], (n, self.num_classes, s, s))
            x = cat([x, Tensor._wrap(np.ascontiguousarray(maps)).to(x.device)], dim=1)
        elif labels is not None:
            raise TypeError(f"{where}: labels given, but the model is not conditional; build "
                            "it with num_classes=...")
        return self.main(x)
