"""``DataLoader``: batches, shuffling that follows ``tg.manual_seed``, batch-level
transforms, and worker processes that load batches in parallel."""
import math
import numbers

import numpy as np

from .. import random as _random
from .collate import collate_arrays, to_tensors

__all__ = ["DataLoader"]


class BatchMaker:
    """How one batch is made from its indices: the part of a ``DataLoader`` that runs in
    a worker process (so it holds only what a worker needs, and pickles for ``spawn``).

    Every batch is made inside ``tg.random.using_generator`` with a generator seeded by
    ``(epoch seed, batch number)``: random per-sample transforms then draw the same
    numbers whichever process makes the batch, so ``num_workers=4`` gives exactly the
    batches of ``num_workers=0``.
    """

    def __init__(self, dataset, collate_fn, transform):
        self.dataset = dataset
        self.collate_fn = collate_fn
        self.transform = transform

    def make(self, batch_number, indices, epoch_seed):
        """The batch: NumPy arrays (default collation) or what ``collate_fn`` returns."""
        with _random.using_generator(np.random.default_rng([epoch_seed, batch_number])):
            if self.collate_fn is not None:
                return self.collate_fn([self.dataset[int(i)] for i in indices])
            batch = self._gather(indices)
            if self.transform is not None:
                if isinstance(batch, tuple):
                    batch = (np.asarray(self.transform(batch[0])),) + batch[1:]
                else:
                    batch = np.asarray(self.transform(batch))
            return batch

    def _gather(self, indices):
        get_batch = getattr(self.dataset, "get_batch", None)
        if get_batch is not None:
            return get_batch(indices)
        return collate_arrays([self.dataset[int(i)] for i in indices])


def _check_int(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"DataLoader: {name} must be an int, got {type(value).__name__} "
                        f"{value!r}")
    if value < minimum:
        kind = "a positive" if minimum == 1 else "a non-negative"
        raise ValueError(f"DataLoader: {name} must be {kind} int, got {value}")
    return int(value)


class DataLoader:
    """Iterate over a dataset in mini-batches of Tensors.

    Parameters follow ``torch.utils.data.DataLoader``:

    - ``batch_size`` (int > 0), ``shuffle``, ``drop_last`` (drop the last short batch).
    - ``sampler``: the order of the samples instead of ``shuffle`` (any iterable of
      indices, e.g. a :class:`~tinygrad_jp.data.WeightedRandomSampler`);
      ``batch_sampler``: the batches themselves (an iterable of index lists), instead
      of ``batch_size``, ``shuffle``, ``sampler`` and ``drop_last``.
    - ``collate_fn``: turns a list of samples into a batch; the default stacks arrays and
      Tensors and turns numbers into int64 / float64 Tensors, field by field
      (:func:`~tinygrad_jp.data.default_collate`).
    - ``num_workers``: with ``N > 0``, N worker processes make the batches in parallel
      (batch ``b`` by worker ``b % N``, as PyTorch does) and the loader hands them over
      in order. The batches are *the same* as with ``num_workers=0``, random per-sample
      transforms included: each batch draws from its own generator, seeded from the
      epoch's seed and the batch's number. ``prefetch_factor`` (default 2) batches are
      in flight per worker; ``persistent_workers=True`` keeps the processes between
      epochs; ``worker_init_fn(worker_id)`` runs first in each worker; ``timeout``
      (seconds, 0 = wait forever) bounds the wait for one batch;
      ``multiprocessing_context`` (``'fork'``, ``'spawn'``, ...) picks how workers start.
    - ``pin_memory``: accepted and ignored. It asks PyTorch to copy batches into
      page-locked memory for a faster transfer to a GPU; NumPy batches already live in
      ordinary host memory, so there is nothing to do here.
    - ``generator``: a ``numpy.random.Generator`` (or an int seed) for the shuffling
      order and the epoch seeds. Without it they are drawn from the global generator
      :func:`tinygrad_jp.random.get_rng`, so ``tg.manual_seed(s)`` makes every epoch
      reproducible.
    - ``transform`` (tinygrad_jp's own): a callable applied to the *whole* input batch
      (the first array of each batch, a NumPy array such as N×C×H×W float32) before it
      becomes a Tensor, e.g. a :mod:`tinygrad_jp.data.transforms` pipeline.

    Each batch is a tuple of Tensors, one per field of the samples (``x, y = batch``);
    a dataset whose samples are single arrays yields single Tensors. Datasets with a
    ``get_batch(indices)`` method (``TensorDataset``, ``MNIST``, ``FashionMNIST``,
    ``CIFAR10`` of :mod:`tinygrad_jp.data`) are gathered with one vectorised fancy index
    per batch; other datasets are gathered sample by sample and collated.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
                 *, num_workers=0, collate_fn=None,
                 pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, prefetch_factor=None,
                 persistent_workers=False, pin_memory_device="", transform=None):
        batch_size = _check_int(batch_size, "batch_size", 1)
        num_workers = _check_int(num_workers, "num_workers", 0)
        try:
            n = len(dataset)
        except TypeError as e:
            raise TypeError(f"DataLoader: dataset must define __len__, got "
                            f"{type(dataset).__name__}") from e
        if n == 0:
            raise ValueError(f"DataLoader: the dataset ({type(dataset).__name__}) is empty; "
                             "there is nothing to load")
        for name, fn in (("transform", transform), ("collate_fn", collate_fn),
                         ("worker_init_fn", worker_init_fn)):
            if fn is not None and not callable(fn):
                raise TypeError(f"DataLoader: {name} must be callable, got "
                                f"{type(fn).__name__}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle "
                             "(a RandomSampler shuffles)")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None
                                          or drop_last):
            raise ValueError("DataLoader: batch_sampler option is mutually exclusive with "
                             "batch_size, shuffle, sampler, and drop_last")
        for name, order in (("sampler", sampler), ("batch_sampler", batch_sampler)):
            if order is not None and not hasattr(order, "__iter__"):
                raise TypeError(f"DataLoader: {name} must be iterable, got "
                                f"{type(order).__name__}")
        if transform is not None and collate_fn is not None:
            raise ValueError("DataLoader: pass either transform= (applied to the input batch "
                             "after the default collation) or collate_fn=, not both; apply "
                             "the transform inside your collate_fn")
        if num_workers == 0 and (prefetch_factor is not None or persistent_workers):
            what = "prefetch_factor" if prefetch_factor is not None else "persistent_workers"
            raise ValueError(f"DataLoader: {what} option needs num_workers > 0 (worker "
                             "processes); with num_workers=0 the main process loads")
        if generator is not None and not isinstance(generator, np.random.Generator):
            if isinstance(generator, bool) or not isinstance(generator, numbers.Integral):
                raise TypeError("DataLoader: generator must be a numpy.random.Generator or "
                                f"an int seed, got {type(generator).__name__}")
            generator = np.random.default_rng(int(generator))
        if not isinstance(timeout, numbers.Real) or timeout < 0:
            raise ValueError(f"DataLoader: timeout should be a non-negative number, got "
                             f"{timeout!r}")
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.drop_last = bool(drop_last)
        self.num_workers = num_workers
        self.collate_fn = collate_fn
        self.pin_memory = bool(pin_memory)        # a no-op: see the class docstring
        self.pin_memory_device = pin_memory_device
        self.timeout = float(timeout)
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = (2 if prefetch_factor is None and num_workers else
                                prefetch_factor)
        if self.prefetch_factor is not None:
            self.prefetch_factor = _check_int(self.prefetch_factor, "prefetch_factor", 1)
        self.persistent_workers = bool(persistent_workers)
        self.transform = transform
        self.generator = generator
        self._pool = None           # the worker processes kept by persistent_workers

    def __len__(self):
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        n = len(self.sampler if self.sampler is not None else self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _epoch(self):
        """This epoch's sample order, cut into batches, and its seed."""
        # The global generator is looked up per epoch (not stored) so that a
        # tg.manual_seed() between epochs takes effect.
        rng = self.generator if self.generator is not None else _random.get_rng()
        if self.batch_sampler is not None:
            batches = [np.asarray(list(b), dtype=np.intp) for b in self.batch_sampler]
            return batches, int(rng.integers(2 ** 63))
        if self.sampler is not None:
            order = np.asarray([int(i) for i in self.sampler], dtype=np.intp)
        else:
            n = len(self.dataset)
            order = rng.permutation(n) if self.shuffle else np.arange(n)
        seed = int(rng.integers(2 ** 63))
        n = len(order)
        stop = n - n % self.batch_size if self.drop_last else n
        return [order[s:s + self.batch_size] for s in range(0, stop, self.batch_size)], seed

    def _finish(self, batch):
        # default collation gives NumPy arrays; a collate_fn's result is handed over as is
        return to_tensors(batch) if self.collate_fn is None else batch

    def __iter__(self):
        batches, seed = self._epoch()
        maker = BatchMaker(self.dataset, self.collate_fn, self.transform)
        if self.num_workers == 0:
            return (self._finish(maker.make(b, idx, seed)) for b, idx in enumerate(batches))
        from .workers import WorkerPool
        if not self.persistent_workers:
            return self._iterate_and_close(WorkerPool(self, maker, seed), batches, seed)
        if self._pool is None:
            self._pool = WorkerPool(self, maker, seed)
        return (self._finish(b) for b in self._pool.run_epoch(batches, seed))

    def _iterate_and_close(self, pool, batches, seed):
        try:
            for batch in pool.run_epoch(batches, seed):
                yield self._finish(batch)
        finally:
            pool.shutdown()

    def __repr__(self):
        workers = f", num_workers={self.num_workers}" if self.num_workers else ""
        return (f"DataLoader({type(self.dataset).__name__}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last}{workers}, "
                f"batches={len(self)})")
