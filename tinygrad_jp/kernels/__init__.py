"""The engine room: array code behind named kernels, one module per kind of array.

An op's ``forward`` / ``backward`` reads like the textbook and asks ``for_array(a)`` for
the kernels of the device its arrays live on:

- ``cpu``: NumPy arrays. Tuned for the CPU: channels-last im2col built and multiplied
  a cache-sized slice of the batch at a time, reused workspaces, column matrices kept
  for the weight gradient, large passes split over threads, and the window max with
  its argmax and its scatter as loops compiled by numba on every core (``cpu_conv``,
  ``cpu_grouped``, ``cpu_pool``, ``cpu_loops``, ``compiled``, ``memory``, ``threads``).
- ``generic``: the textbook form written against the NumPy API, which CuPy follows, so it
  runs anywhere as it is (im2col as a view of sliding windows and one GEMM, col2im and
  the pooling scatters as kh·kw slice-adds). The reference, and the kernels of any
  array module without its own.
- ``cuda``: CuPy's fused kernels (``ElementwiseKernel``): im2col / col2im in one launch
  each, window max with its argmax, its scatter, ReLU and its mask. Imported only when
  a CUDA array first reaches an op.

Every module offers the same names with the same arguments (``generic.__all__``); a
module without its own version of a kernel gets the generic one.

Nothing here changes the process at import. The one process-wide speed setting, glibc's
allocator, is the explicit call :func:`tune_allocator` (``tg.tune_allocator()``); the
number of threads is ``tg.set_num_threads``.
"""
from ..devices import cuda_module, is_device_array
from . import cpu, generic
from .memory import clear_workspaces, tune_allocator

__all__ = ["cpu", "generic", "for_array", "tune_allocator", "clear_workspaces"]

_cuda_kernels = None


def _complete(module):
    """Give a device module the generic form of every kernel it does not define."""
    for name in generic.__all__:
        if not hasattr(module, name):
            setattr(module, name, getattr(generic, name))
    return module


def for_array(a):
    """The kernels module for array ``a``'s device."""
    if not is_device_array(a):
        return cpu
    global _cuda_kernels
    module = cuda_module()
    if not hasattr(module, "ElementwiseKernel"):
        return generic          # an array module that is not CuPy (the tests' stand-in)
    if _cuda_kernels is None:
        from . import cuda as _cuda_kernels_module
        _cuda_kernels = _complete(_cuda_kernels_module)
    return _cuda_kernels


_complete(cpu)
