"""The engine room: array code behind named kernels, one module per kind of array.

``generic`` is the textbook form written against the NumPy API, which CuPy follows, so
it runs on the GPU as it is: im2col as a view of sliding windows and one GEMM, col2im
and the pooling scatters as kh·kw slice-adds. The tuned CPU engine (workspaces, cache
slices, channels-last layouts, helper threads) still lives in ``ops/conv.py`` and
``ops/pool.py``; the ops send GPU arrays here.
"""
from . import generic

__all__ = ["generic"]
