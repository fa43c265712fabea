"""``torch.utils.data``'s names, where a PyTorch script looks for them.

``from torch.utils.data import DataLoader, Dataset`` becomes
``from tinygrad_jp.utils.data import DataLoader, Dataset``, and ``torch.utils.data``
reached as an attribute after ``import tinygrad_jp as torch`` works too. These are the
very objects of :mod:`tinygrad_jp.data`, which also holds the data sets and the
batch-level augmentation.
"""
from ..data import (
    BatchSampler,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    WorkerInfo,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
    default_collate,
    get_worker_info,
    random_split,
)

__all__ = ["DataLoader", "Dataset", "TensorDataset", "Subset", "random_split",
           "default_collate", "get_worker_info", "WorkerInfo", "Sampler", "SequentialSampler",
           "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler"]
