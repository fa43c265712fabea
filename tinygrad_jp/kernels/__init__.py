"""The engine room: array code behind named kernels, one module per kind of array.

An op's ``forward`` / ``backward`` reads like the textbook and asks ``for_array(a)`` for
the kernels of the device its arrays live on:

- ``generic``: the textbook form written against the NumPy API, which CuPy follows, so it
  runs anywhere as it is (im2col as a view of sliding windows and one GEMM, col2im and
  the pooling scatters as kh·kw slice-adds). The reference, and the kernels of any
  array module without its own.
- ``cuda``: CuPy's fused kernels (``ElementwiseKernel``): im2col / col2im in one launch
  each, window max with its argmax, its scatter, ReLU and its mask. Imported only when
  a CUDA array first reaches an op.

Every module offers the same names with the same arguments; a module without its own
version of a kernel re-exports the generic one.
"""
from ..devices import cuda_module, is_device_array
from . import generic

__all__ = ["generic", "for_array"]

_cuda_kernels = None


def for_array(a):
    """The kernels module for array ``a``'s device."""
    if not is_device_array(a):
        return generic
    global _cuda_kernels
    module = cuda_module()
    if not hasattr(module, "ElementwiseKernel"):
        return generic          # an array module that is not CuPy (the tests' stand-in)
    if _cuda_kernels is None:
        from . import cuda as _cuda_kernels_module
        _cuda_kernels = _cuda_kernels_module
    return _cuda_kernels
