"""torchvision's places: ``from torchvision import datasets, transforms`` becomes
``from tinygrad_jp.vision import datasets, transforms``.

:mod:`~tinygrad_jp.vision.datasets` serves MNIST, Fashion-MNIST and CIFAR-10 one
sample at a time as PIL images, and :mod:`~tinygrad_jp.vision.transforms` holds the
per-sample transforms (``ToTensor``, ``Normalize``, ``Resize``, ``RandomCrop``, ...),
and :mod:`~tinygrad_jp.vision.utils` lays a batch out as one picture (``make_grid``,
``save_image``). The fast,
batch-vectorised versions of both are in :mod:`tinygrad_jp.data`.
"""
from . import datasets, transforms, utils

__all__ = ["datasets", "transforms", "utils"]
