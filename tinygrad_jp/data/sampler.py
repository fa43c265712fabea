"""Samplers: the order in which a ``DataLoader`` visits a data set, PyTorch's names.

A sampler is an iterable of sample indices (``DataLoader(ds, sampler=...)``); a batch
sampler is an iterable of lists of indices (``DataLoader(ds, batch_sampler=...)``).
Random samplers draw from their ``generator`` (a ``numpy.random.Generator`` or an int
seed) or else from the global generator, so ``tg.manual_seed(s)`` makes them
reproducible.
"""
import numbers

import numpy as np

from .. import random as _random

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]


def _generator(generator, name):
    if generator is None or isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, bool) or not isinstance(generator, numbers.Integral):
        raise TypeError(f"{name}: generator must be a numpy.random.Generator or an int "
                        f"seed, got {type(generator).__name__}")
    return np.random.default_rng(int(generator))


def _count(value, name, what):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{name}: {what} should be a positive integer, got {value!r}")
    return int(value)


class Sampler:
    """Base class: subclasses define ``__iter__`` (sample indices) and usually
    ``__len__``."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) − 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation of the data set, or ``num_samples`` indices drawn with
    ``replacement=True``."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        name = "RandomSampler"
        self.data_source = data_source
        self.replacement = bool(replacement)
        self._num_samples = None if num_samples is None else \
            _count(num_samples, name, "num_samples")
        self.generator = _generator(generator, name)

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        rng = self.generator if self.generator is not None else _random.get_rng()
        n = len(self.data_source)
        if self.replacement:
            return iter(rng.integers(0, n, self.num_samples).tolist())
        # without replacement, more than n samples are whole permutations one after another
        rounds = -(-self.num_samples // n)
        order = np.concatenate([rng.permutation(n) for _ in range(rounds)])
        return iter(order[:self.num_samples].tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order."""

    def __init__(self, indices, generator=None):
        self.indices = list(indices)
        self.generator = _generator(generator, "SubsetRandomSampler")

    def __iter__(self):
        rng = self.generator if self.generator is not None else _random.get_rng()
        return iter([self.indices[i] for i in rng.permutation(len(self.indices))])

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices 0 … len(weights) − 1 drawn with probability proportional
    to ``weights`` (with replacement by default): the usual cure for imbalanced
    classes."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        name = "WeightedRandomSampler"
        w = np.asarray(weights.numpy() if hasattr(weights, "numpy") else weights,
                       dtype=np.float64).reshape(-1)
        if w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError(f"{name}: weights must be finite, non-negative and not all "
                             f"zero, got {w}")
        self.weights = w
        self.num_samples = _count(num_samples, name, "num_samples")
        self.replacement = bool(replacement)
        if not self.replacement and self.num_samples > np.count_nonzero(w):
            raise ValueError(f"{name}: cannot draw {self.num_samples} samples without "
                             f"replacement from {np.count_nonzero(w)} non-zero weights")
        self.generator = _generator(generator, name)

    def __iter__(self):
        rng = self.generator if self.generator is not None else _random.get_rng()
        picked = rng.choice(self.weights.size, self.num_samples, replace=self.replacement,
                            p=self.weights / self.weights.sum())
        return iter(picked.tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size`` (the last one
    shorter unless ``drop_last``)."""

    def __init__(self, sampler, batch_size, drop_last):
        self.sampler = sampler
        self.batch_size = _count(batch_size, "BatchSampler", "batch_size")
        self.drop_last = bool(drop_last)

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(int(index))
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
