"""``Dataset`` and ``TensorDataset``, as in ``torch.utils.data``.

Besides PyTorch's per-sample protocol (``__getitem__`` / ``__len__``) a dataset may
implement the *batch protocol*: a method ``get_batch(indices)`` that takes an integer
index array and returns the whole batch as a tuple of NumPy arrays in one vectorised
gather. :class:`~tinygrad_jp.data.DataLoader` uses it when present, so array-backed
datasets never pay a Python loop per sample.
"""
import math
import numbers

import numpy as np

from .. import random as _random

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split"]


class Dataset:
    """Abstract map-style dataset: subclasses implement ``__getitem__`` and ``__len__``.

    Override ``get_batch(indices)`` as well when the samples live in arrays, so that
    the loader can gather a batch with one fancy-indexing operation.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")


def _to_numpy(a, where):
    # Tensors expose their array as .data; anything else goes through np.asarray.
    data = getattr(a, "data", None)
    if isinstance(data, np.ndarray):
        return data
    if isinstance(a, np.ndarray):
        return a
    try:
        return np.asarray(a)
    except Exception as e:  # noqa: BLE001 - re-raised with context
        raise TypeError(f"{where}: cannot convert {type(a).__name__} to a NumPy array") from e


class TensorDataset(Dataset):
    """Wraps arrays (or Tensors) that share their first dimension.

    ``ds[i]`` is the tuple ``(a[i] for a in arrays)``; ``ds.get_batch(idx)`` gathers
    a whole batch with one fancy index per array. Inputs keep their dtypes.
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset: needs at least one array")
        arrs = tuple(_to_numpy(a, "TensorDataset") for a in arrays)
        for a in arrs:
            if a.ndim == 0:
                raise ValueError("TensorDataset: arrays must have a first (sample) dimension, "
                                 "got a 0-d array")
        sizes = [a.shape[0] for a in arrs]
        if len(set(sizes)) != 1:
            shapes = ", ".join(str(a.shape) for a in arrs)
            raise ValueError(f"TensorDataset: size mismatch between arrays: shapes {shapes} "
                             "must share their first dimension")
        self.arrays = arrs

    def __len__(self):
        return self.arrays[0].shape[0]

    def __getitem__(self, index):
        return tuple(a[index] for a in self.arrays)

    def get_batch(self, indices):
        """The samples at ``indices`` (an int array), one gather per array."""
        return tuple(a[indices] for a in self.arrays)


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order (as PyTorch's ``Subset``).

    ``subset[i]`` is ``dataset[indices[i]]``. When ``dataset`` gathers batches in one go
    (``get_batch``), so does the subset.
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        if isinstance(index, (list, tuple, np.ndarray)):
            return [self.dataset[self.indices[int(i)]] for i in index]
        return self.dataset[self.indices[index]]

    @property
    def get_batch(self):
        """The batch gather of the underlying dataset, through the subset's indices
        (an ``AttributeError`` when the dataset has none, so loaders fall back to
        per-sample access)."""
        inner = self.dataset.get_batch            # AttributeError when there is none
        indices = np.asarray(self.indices)
        return lambda idx: inner(indices[np.asarray(idx)])


def _split_lengths(lengths, n):
    """Whole lengths summing to ``n``; fractions (summing to 1) are turned into counts
    as PyTorch does: floor each, then hand the remainder out one by one from the front."""
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths must not be empty")
    fractional = any(isinstance(v, float) for v in lengths) and math.isclose(sum(lengths), 1)
    if fractional:
        if any(v < 0 or v > 1 for v in lengths):
            raise ValueError(f"random_split: fractions must lie in [0, 1], got {lengths}")
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        return counts
    if any(isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 0
           for v in lengths):
        raise ValueError(f"random_split: lengths must be non-negative ints or fractions that "
                         f"sum to 1, got {lengths}")
    if sum(lengths) != n:
        raise ValueError(f"random_split: sum of input lengths ({sum(lengths)}, {lengths}) "
                         f"does not equal the length of the input dataset ({n})")
    return [int(v) for v in lengths]


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` at random into non-overlapping subsets (:class:`Subset`) of ``lengths``.

    ``lengths`` are counts summing to ``len(dataset)`` or fractions summing to 1, e.g.
    ``random_split(ds, [0.8, 0.2])``. The permutation is drawn from ``generator`` (a
    ``numpy.random.Generator`` or an int seed) or else from the global generator, so
    ``tg.manual_seed(s)`` makes the split reproducible.
    """
    n = len(dataset)
    counts = _split_lengths(lengths, n)
    if generator is None:
        generator = _random.get_rng()
    elif not isinstance(generator, np.random.Generator):
        if isinstance(generator, bool) or not isinstance(generator, numbers.Integral):
            raise TypeError("random_split: generator must be a numpy.random.Generator or an "
                            f"int seed, got {type(generator).__name__}")
        generator = np.random.default_rng(int(generator))
    order = generator.permutation(n)
    bounds = np.cumsum([0] + counts)
    return [Subset(dataset, order[a:b].tolist()) for a, b in zip(bounds[:-1], bounds[1:],
                                                                strict=True)]
