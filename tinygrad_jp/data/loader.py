"""``DataLoader``: batches, shuffling that follows ``tg.manual_seed``, batch-level transforms."""
import math
import numbers

import numpy as np

from .. import random as _random

__all__ = ["DataLoader"]


class DataLoader:
    """Iterate over a dataset in mini-batches of Tensors.

    Parameters follow ``torch.utils.data.DataLoader``:

    - ``batch_size`` (int > 0), ``shuffle``, ``drop_last`` (drop the last short batch).
    - ``transform``: a callable applied to the *whole* input batch (the first array of
      each batch, a NumPy array such as N×C×H×W float32) before it becomes a Tensor,
      e.g. a :mod:`tinygrad_jp.data.transforms` pipeline.
    - ``generator``: a ``numpy.random.Generator`` (or an int seed) used for shuffling.
      Without it, every epoch's permutation is drawn from the global generator
      :func:`tinygrad_jp.random.get_rng`, so ``tg.manual_seed(s)`` makes the order
      reproducible.

    Each batch is a tuple of Tensors, one per array of the dataset (``x, y = batch``);
    a dataset whose samples are single arrays yields single Tensors. Datasets with a
    ``get_batch(indices)`` method (``TensorDataset``, ``MNIST``, ``FashionMNIST``,
    ``CIFAR10``) are gathered with one vectorised fancy index per batch; other
    datasets are gathered sample by sample and stacked.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, transform=None,
                 generator=None):
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral):
            raise TypeError(f"DataLoader: batch_size must be an int, got "
                            f"{type(batch_size).__name__} {batch_size!r}")
        if batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size}")
        try:
            n = len(dataset)
        except TypeError as e:
            raise TypeError(f"DataLoader: dataset must define __len__, got "
                            f"{type(dataset).__name__}") from e
        if n == 0:
            raise ValueError(f"DataLoader: the dataset ({type(dataset).__name__}) is empty; "
                             "there is nothing to load")
        if transform is not None and not callable(transform):
            raise TypeError(f"DataLoader: transform must be callable, got "
                            f"{type(transform).__name__}")
        if generator is not None and not isinstance(generator, np.random.Generator):
            if isinstance(generator, bool) or not isinstance(generator, numbers.Integral):
                raise TypeError("DataLoader: generator must be a numpy.random.Generator or "
                                f"an int seed, got {type(generator).__name__}")
            generator = np.random.default_rng(int(generator))
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.transform = transform
        self.generator = generator

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self):
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        # The global generator is looked up per epoch (not stored) so that a
        # tg.manual_seed() between epochs takes effect.
        rng = self.generator if self.generator is not None else _random.get_rng()
        return rng.permutation(n)

    def _gather(self, idx):
        get_batch = getattr(self.dataset, "get_batch", None)
        if get_batch is not None:
            out = get_batch(idx)
            return out if isinstance(out, tuple) else (out,), isinstance(out, tuple)
        samples = [self.dataset[int(i)] for i in idx]
        if isinstance(samples[0], (tuple, list)):
            width = len(samples[0])
            return tuple(np.stack([np.asarray(s[k]) for s in samples])
                         for k in range(width)), True
        return (np.stack([np.asarray(s) for s in samples]),), False

    def __iter__(self):
        # Imported here: data sits below the autograd core in the layering and
        # only needs Tensor at the very end, to hand batches over.
        from ..tensor import Tensor

        order = self._order()
        n = len(order)
        stop = n - n % self.batch_size if self.drop_last else n
        for start in range(0, stop, self.batch_size):
            arrays, is_tuple = self._gather(order[start:start + self.batch_size])
            if self.transform is not None:
                arrays = (np.asarray(self.transform(arrays[0])),) + tuple(arrays[1:])
            tensors = tuple(Tensor(np.ascontiguousarray(a)) for a in arrays)
            yield tensors if is_tuple else tensors[0]

    def __repr__(self):
        return (f"DataLoader({type(self.dataset).__name__}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}, batches={len(self)})")
