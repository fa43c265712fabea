"""Memory for the CPU kernels: reused workspaces, memory layouts, and the allocator.

Nothing here runs at import. :func:`tune_allocator` changes a process-wide setting
(glibc's ``mallopt``), so it is an explicit call (``tg.tune_allocator()``), made by the
benchmarks and by whoever wants it.
"""
import ctypes
import os
import sys
import threading

import numpy as np

__all__ = ["tune_allocator", "workspace", "clear_workspaces", "layout_of", "empty_in_layout",
           "empty_like_layout", "is_channels_last", "reshaped_view"]

# Workspaces above this size are not kept between calls.
WORKSPACE_KEEP_BYTES = 256 * 2 ** 20

_local = threading.local()
_tuned = False


def tune_allocator():
    """Ask glibc to keep freed memory instead of returning it to the OS after each step.

    A training step allocates and frees the same activation-sized arrays every time.
    By default glibc gives the top of the heap back to the kernel once more than a
    few MB are free, so the next step pays a page fault (and the zeroing of a 4 KB
    page) for every page it touches again: about 0.3 ms per MB, up to a fifth of a
    SimpleConvNet step. Keeping up to 512 MB cached (and serving arrays below 32 MB
    from the heap) removes that; resident memory then stays at its peak, like
    PyTorch's caching allocators.

    This changes the whole process (every library's ``malloc``), so tinygrad_jp never
    does it by itself: call it once at the start of a training script. Linux / glibc
    only; ``TINYGRAD_JP_MALLOC_TUNING=0`` makes the call do nothing. Returns True when
    the settings were applied (also on a repeated call), False where they cannot be.
    """
    global _tuned
    if os.environ.get("TINYGRAD_JP_MALLOC_TUNING", "1") == "0" or \
            not sys.platform.startswith("linux"):
        return False
    if _tuned:
        return True
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
    ok = mallopt(m_mmap_threshold, 32 * 2 ** 20)
    ok &= mallopt(m_trim_threshold, 512 * 2 ** 20)
    ok &= mallopt(m_top_pad, 64 * 2 ** 20)
    _tuned = bool(ok)
    return _tuned


def workspace(slot, shape, dtype):
    """A reusable, uninitialised array of ``shape`` for temporary use inside one kernel.

    Each ``slot`` names one buffer per thread; the buffer grows to the largest request
    and is reused, so repeated steps do not pay page faults (a fresh 50 MB array costs
    several times more than refilling an old one: the operating system must hand over
    and zero every page). The result is valid only until the next ``workspace`` call
    with the same slot.
    """
    pool = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = {}
    dtype = np.dtype(dtype)
    size = 1
    for s in shape:
        size *= s
    if size * dtype.itemsize > WORKSPACE_KEEP_BYTES:
        return np.empty(shape, dtype)
    key = (slot, dtype)
    buf = pool.get(key)
    if buf is None or buf.size < size:
        buf = pool[key] = np.empty(max(size, 1), dtype)
    return buf[:size].reshape(shape)


def clear_workspaces():
    """Free the calling thread's workspace buffers (they are re-made on demand)."""
    _local.pool = {}


def reshaped_view(a, shape):
    """``a`` reshaped to ``shape`` as a view; a ``ValueError`` where that would need a
    copy (a kernel writes through the result, so a silent copy would lose the data).
    NumPy 2.5 deprecates assigning ``.shape``, the old way to say this."""
    view = a.reshape(shape)
    if view.size and not np.may_share_memory(view, a):
        raise ValueError(f"reshaped_view: {a.shape} (strides {a.strides}) cannot be "
                         f"viewed as {tuple(shape)} without a copy")
    return view


def layout_of(a):
    """The memory order of an array's axes, slowest first (ties keep the logical order):
    (0, 1, 2, 3) for NCHW, (0, 2, 3, 1) for channels-last."""
    return tuple(sorted(range(a.ndim), key=lambda i: (-a.strides[i], i)))


def empty_in_layout(shape, order, dtype):
    """An empty array of logical ``shape`` whose memory order of axes is ``order``."""
    if len(order) != len(shape):
        return np.empty(shape, dtype)
    phys = np.empty([shape[i] for i in order], dtype)
    return phys.transpose(np.argsort(order))


def is_channels_last(a):
    """True when a 4-D array's channel axis is the fastest-varying one in memory."""
    return a.ndim == 4 and a.shape[1] > 1 and a.strides[1] == a.itemsize and \
        a.strides[3] > a.itemsize


def empty_like_layout(shape, ref, dtype=None):
    """An empty array of ``shape`` with the memory order of ``ref`` (same ndim)."""
    return empty_in_layout(shape, layout_of(ref), ref.dtype if dtype is None else dtype)
