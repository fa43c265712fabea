"""Data sets, the ``DataLoader`` and augmentation.

``data`` knows NumPy, not the autograd graph: datasets hold NumPy arrays, transforms
work on NumPy batches, and only the ``DataLoader`` hands batches over as Tensors.
"""
from . import transforms
from ._store import ENV_VAR, ChecksumError, DatasetError, DatasetNotFoundError, cache_dir
from .collate import default_collate
from .dataset import Dataset, Subset, TensorDataset, random_split
from .datasets import (
    CIFAR10,
    MNIST,
    SAMPLE_DIR,
    FashionMNIST,
    load_fashion_mnist,
    load_mnist,
    load_sample,
    one_hot,
)
from .idx import IDXFormatError, read_idx, write_idx
from .loader import DataLoader
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                      SubsetRandomSampler, WeightedRandomSampler)
from .workers import WorkerInfo, get_worker_info
from .transforms import mixup

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split", "DataLoader",
           "default_collate", "get_worker_info", "WorkerInfo", "MNIST", "FashionMNIST", "CIFAR10",
           "load_mnist", "load_fashion_mnist", "load_sample", "one_hot", "mixup",
           "transforms", "read_idx", "write_idx", "cache_dir", "SAMPLE_DIR", "ENV_VAR",
           "DatasetError", "DatasetNotFoundError", "ChecksumError", "IDXFormatError",
           "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]
