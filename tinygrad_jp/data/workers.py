"""Worker processes for ``DataLoader(num_workers=N)``.

Batch ``b`` of an epoch goes to worker ``b % N`` through that worker's task queue
(PyTorch's round robin); every worker puts finished batches on one shared result
queue, and the main process hands them over in batch order, holding early ones back.
Workers send NumPy arrays (Tensors travel as their arrays), so nothing of the
autograd graph crosses a process boundary.
"""
import collections
import multiprocessing
import queue
import time
import traceback

from .collate import from_tensors, restore_tensors

__all__ = ["WorkerPool", "WorkerInfo", "get_worker_info"]

WorkerInfo = collections.namedtuple("WorkerInfo", "id num_workers seed dataset")
WorkerInfo.__doc__ = "What ``get_worker_info()`` returns inside a worker process."

_worker_info = None
_POLL_S = 1.0          # how often the main process checks that its workers still live


def get_worker_info():
    """In a ``DataLoader`` worker process: its :class:`WorkerInfo` (``id``,
    ``num_workers``, ``seed``, ``dataset``, this process's copy); ``None`` in the main
    process. As ``torch.utils.data.get_worker_info``."""
    return _worker_info


class _WorkerError:
    """An exception raised in a worker, carried to the main process with its traceback."""

    def __init__(self, worker_id, exc):
        self.exc_type = type(exc)
        self.message = (f"Caught {type(exc).__name__} in DataLoader worker process "
                        f"{worker_id}.\nOriginal traceback (most recent call last, in the "
                        f"worker):\n{traceback.format_exc()}")

    def reraise(self):
        try:
            err = self.exc_type(self.message)
        except Exception:  # noqa: BLE001 - an exception class with another signature
            err = RuntimeError(self.message)
        raise err


def _worker_loop(maker, worker_id, num_workers, seed, worker_init_fn, tasks, results):
    global _worker_info
    # The main process only stops a worker once it needs none of its results, so a
    # worker may exit without flushing what it still had queued (else it could hang).
    results.cancel_join_thread()
    _worker_info = WorkerInfo(worker_id, num_workers, seed, maker.dataset)
    try:
        if worker_init_fn is not None:
            worker_init_fn(worker_id)
    except Exception as e:  # noqa: BLE001 - sent to the main process
        results.put((None, None, None, _WorkerError(worker_id, e)))
        return
    while True:
        task = tasks.get()
        if task is None:
            return
        epoch, number, indices, epoch_seed = task
        try:
            batch = from_tensors(maker.make(number, indices, epoch_seed))
            results.put((epoch, number, batch, None))
        except Exception as e:  # noqa: BLE001 - sent to the main process
            results.put((epoch, number, None, _WorkerError(worker_id, e)))


class WorkerPool:
    """``loader.num_workers`` processes that make batches with ``maker``; worker ``i``'s
    ``get_worker_info().seed`` is ``seed + i``, as in PyTorch."""

    def __init__(self, loader, maker, seed):
        ctx = loader.multiprocessing_context
        if ctx is None or isinstance(ctx, str):
            ctx = multiprocessing.get_context(ctx)
        self.num_workers = loader.num_workers
        self.prefetch = loader.num_workers * loader.prefetch_factor
        self.timeout = loader.timeout
        self.results = ctx.Queue()
        self.tasks = [ctx.Queue() for _ in range(self.num_workers)]
        self.epoch = 0
        self.workers = []
        for i in range(self.num_workers):
            w = ctx.Process(target=_worker_loop, daemon=True,
                            args=(maker, i, self.num_workers, seed + i, loader.worker_init_fn,
                                  self.tasks[i], self.results))
            w.start()
            self.workers.append(w)

    def run_epoch(self, batches, epoch_seed):
        """Yield the batches (as the workers made them) in order."""
        self.epoch += 1
        epoch = self.epoch                  # results of an abandoned epoch are dropped
        sent, ready = 0, {}
        for number in range(len(batches)):
            while sent < len(batches) and sent < number + self.prefetch:
                self.tasks[sent % self.num_workers].put((epoch, sent, batches[sent],
                                                         epoch_seed))
                sent += 1
            while number not in ready:
                got_epoch, got, batch, error = self._next_result()
                if error is not None:
                    error.reraise()
                if got_epoch == epoch:
                    ready[got] = batch
            yield restore_tensors(ready.pop(number))

    def _next_result(self):
        start = time.monotonic()
        while True:
            try:
                return self.results.get(timeout=_POLL_S)
            except queue.Empty:
                dead = [w for w in self.workers if not w.is_alive()]
                if dead:
                    pids = ", ".join(str(w.pid) for w in dead)
                    codes = ", ".join(str(w.exitcode) for w in dead)
                    self.shutdown()
                    raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited "
                                       f"unexpectedly (exit code(s) {codes}); if it ran out "
                                       "of memory, try fewer workers or a smaller "
                                       "batch_size") from None
                if self.timeout and time.monotonic() - start > self.timeout:
                    self.shutdown()
                    raise RuntimeError(f"DataLoader timed out after {self.timeout:g} "
                                       "seconds waiting for a batch from its workers") from None

    def shutdown(self):
        """Stop the workers (they finish the batch in hand) and release the queues."""
        for q in self.tasks:
            try:
                q.put(None)
            except (OSError, ValueError):    # already closed
                pass
        for w in self.workers:
            w.join(timeout=5)
            if w.is_alive():
                w.terminate()
                w.join()
        for q in (*self.tasks, self.results):
            q.cancel_join_thread()
            q.close()
        self.workers = []

    def __del__(self):
        if self.workers:
            self.shutdown()
