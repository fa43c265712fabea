"""torchvision's ``datasets``: MNIST, FashionMNIST and CIFAR10 with torchvision's
signature and per-sample items.

``from torchvision import datasets`` becomes ``from tinygrad_jp.vision import
datasets``. ``datasets.MNIST(root, train=True, transform=None, target_transform=None,
download=False)``: ``ds[i]`` is ``(image, label)`` with the image a PIL image (mode
``'L'`` for the MNISTs, ``'RGB'`` for CIFAR-10) passed through ``transform``, and the
label an int passed through ``target_transform``; ``ds.data`` is uint8 N×H×W (the
MNISTs) or N×H×W×C (CIFAR-10) and ``ds.targets`` int64, as NumPy arrays.

The files are found and checked by :mod:`tinygrad_jp.data` (these classes read through
its data sets): in ``root`` (torchvision's ``root/MNIST/raw`` layout included), then
``$TINYGRAD_JP_DATA``, Debian's ``dataset-fashion-mnist`` package for Fashion-MNIST,
and the download cache; only ``download=True`` with no verified copy anywhere
downloads.
"""
from .. import data as _data

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "VisionDataset"]


class VisionDataset(_data.Dataset):
    """Images in ``data`` (uint8, one per row) with int ``targets``, served one by one as
    ``(transform(PIL image), target_transform(label))``."""

    def __init__(self, source, root, train, transform, target_transform):
        if transform is not None and not callable(transform):
            raise TypeError(f"{type(self).__name__}: transform must be callable, got "
                            f"{type(transform).__name__}")
        if target_transform is not None and not callable(target_transform):
            raise TypeError(f"{type(self).__name__}: target_transform must be callable, got "
                            f"{type(target_transform).__name__}")
        self.root, self.train = root, train
        self.transform, self.target_transform = transform, target_transform
        self.classes = list(source.classes)
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self.location = source.location
        # torchvision keeps the images channels-last (PIL's layout); the data sets of
        # tinygrad_jp.data keep N×C×H×W: this is a view, not a copy
        images = source.data.transpose(0, 2, 3, 1)
        self.data = images[..., 0] if images.shape[-1] == 1 else images
        self.targets = source.targets

    def __len__(self):
        return self.data.shape[0]

    def __getitem__(self, index):
        from PIL import Image                  # Pillow comes with matplotlib
        img = Image.fromarray(self.data[index])
        target = int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __repr__(self):
        lines = [f"Dataset {type(self).__name__}",
                 f"    Number of datapoints: {len(self)}",
                 f"    Root location: {self.root}",
                 f"    Split: {'Train' if self.train else 'Test'}"]
        if self.transform is not None:
            lines.append("    StandardTransform\n    Transform: "
                         + repr(self.transform).replace("\n", "\n               "))
        return "\n".join(lines)


class MNIST(VisionDataset):
    """The MNIST digits: 60,000 training or 10,000 test images 28×28, labels 0-9."""

    def __init__(self, root, train=True, transform=None, target_transform=None,
                 download=False):
        source = _data.MNIST(root=root, train=train, download=download)
        super().__init__(source, root, train, transform, target_transform)


class FashionMNIST(VisionDataset):
    """Zalando's Fashion-MNIST: 60,000 / 10,000 clothing images 28×28 in 10 classes.

    ``sample=True`` (tinygrad_jp's own) reads the 10,000 / 2,000-image sample that ships
    inside the package instead; then ``root`` is not used (pass ``None``).
    """

    def __init__(self, root, train=True, transform=None, target_transform=None,
                 download=False, sample=False):
        if sample:
            source = _data.FashionMNIST(train=train, sample=True)
        else:
            source = _data.FashionMNIST(root=root, train=train, download=download)
        super().__init__(source, root, train, transform, target_transform)


class CIFAR10(VisionDataset):
    """CIFAR-10: 50,000 / 10,000 colour images 32×32 in 10 classes (read from the
    binary version; ``data`` is uint8 N×32×32×3 as in torchvision)."""

    def __init__(self, root, train=True, transform=None, target_transform=None,
                 download=False):
        source = _data.CIFAR10(root=root, train=train, download=download)
        super().__init__(source, root, train, transform, target_transform)
