"""The one thread setting of the CPU kernels, and splitting NumPy passes over threads.

``tg.set_num_threads(n)`` (or ``TINYGRAD_JP_NUM_THREADS=n``; default: the cores this
process may run on) is the number of threads every CPU pass may use:

- the compiled loops (:mod:`.cpu_loops`, numba ``prange``) run on that many of numba's
  threads (at most the ``NUMBA_NUM_THREADS`` numba started with);
- BLAS (the GEMMs) is limited to that many through threadpoolctl when it is installed
  and ``set_num_threads`` is called; without threadpoolctl BLAS keeps its own setting
  (``OPENBLAS_NUM_THREADS`` / ``OMP_NUM_THREADS``, by default also the cores). The
  loops and the GEMMs run one after the other, never at once, so the two do not
  oversubscribe the cores;
- the NumPy copies that remain (im2col's), split over the batch below.

NumPy releases the GIL inside copies and ufunc loops, so splitting one large pass over
the batch dimension and running the parts on a few Python threads uses several cores.
Passes smaller than ``MIN_BYTES`` always run inline, where a thread hand-off would cost
more than it saves.

On a machine busy with other processes a helper thread may wait milliseconds for a
core, and a step made of dozens of passes would stall on every one of them. So when a
helper starts later than ``STALL_SECONDS`` after it was handed its part, passes run
inline for the next ``BACKOFF_SECONDS``; on an idle machine helpers start within
microseconds and the splitting stays on.
"""
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

MIN_BYTES = 1 << 20
STALL_SECONDS = 0.002
BACKOFF_SECONDS = 2.0


def _default_threads():
    env = os.environ.get("TINYGRAD_JP_NUM_THREADS")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            pass
    return usable_cores()


def usable_cores():
    """The number of cores this process may run on (its CPU affinity where the OS
    tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


_threads = _default_threads()
_executor = None
_executor_pid = None
_lock = threading.Lock()
_busy = threading.local()
_inline_until = 0.0


def num_threads():
    """How many threads a large pass is split over."""
    return _threads


def set_num_threads(n):
    """Use ``n`` threads on the CPU: the compiled loops, the split NumPy passes, and BLAS
    when threadpoolctl is installed (1 runs everything on one core)."""
    global _threads, _executor
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"set_num_threads: n must be a positive int, got {n!r}")
    with _lock:
        if _executor is not None and _executor_pid == os.getpid():
            _executor.shutdown(wait=True)
        _executor = None
        _threads = n
    apply_to_numba()
    _limit_blas(n)


def numba_threads():
    """The number of numba threads a loop runs on: the setting, at most the number of
    threads numba started with."""
    import numba
    return max(1, min(_threads, numba.config.NUMBA_NUM_THREADS))


def apply_to_numba():
    """Give numba's loops the thread setting (in the calling thread: numba's setting is
    per thread, so the loops' callers also check it before each launch)."""
    numba = sys.modules.get("numba")
    if numba is None:
        return                          # numba not loaded yet: done when it is
    numba.set_num_threads(numba_threads())


def _limit_blas(n):
    """Limit BLAS to ``n`` threads through threadpoolctl; without it, leave BLAS alone."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return False
    threadpool_limits(n, user_api="blas")
    return True


def _pool():
    global _executor, _executor_pid
    # a forked child (e.g. a data-loading worker) inherits the pool object but not its
    # threads: it makes a pool of its own
    if _executor is None or _executor_pid != os.getpid():
        with _lock:
            if _executor is None or _executor_pid != os.getpid():
                _executor = ThreadPoolExecutor(max_workers=_threads - 1,
                                               thread_name_prefix="tinygrad_jp")
                _executor_pid = os.getpid()
    return _executor


def over_batch(fn, n, nbytes):
    """Call ``fn(part)`` for slices ``part`` covering ``range(n)``, in parallel when the
    pass moves at least MIN_BYTES; returns when every part is done. ``fn`` must only
    touch its own slice of its outputs."""
    global _inline_until
    parts = min(_threads, n)
    if parts <= 1 or nbytes < MIN_BYTES or getattr(_busy, "inside", False):
        fn(slice(0, n))
        return
    now = time.perf_counter()
    if now < _inline_until:
        fn(slice(0, n))
        return
    bounds = [n * i // parts for i in range(parts + 1)]
    slices = [slice(bounds[i], bounds[i + 1]) for i in range(parts)]
    futures = [_pool().submit(_run_inside, fn, s, now) for s in slices[1:]]
    try:
        _run_inside(fn, slices[0], None)
    finally:
        late = max(f.result() for f in futures)
    if late > STALL_SECONDS:
        _inline_until = time.perf_counter() + BACKOFF_SECONDS


def _run_inside(fn, part, submitted):
    """Run one part; return how long it waited for a thread (0 on the caller's)."""
    late = 0.0 if submitted is None else time.perf_counter() - submitted
    # a part never splits again (no nested waiting on the same small pool)
    _busy.inside = True
    try:
        fn(part)
    finally:
        _busy.inside = False
    return late
