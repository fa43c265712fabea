"""The CPU kernels: NumPy code tuned for the CPU's caches, threads and allocator.

The same names and arguments as :mod:`.generic` (which they replace for NumPy arrays);
the larger families live beside this file:

- ``cpu_conv``: im2col (channels-last, built and multiplied a cache-sized slice of the
  batch at a time), col2im, the weight and bias gradients, unfold / fold;
- ``cpu_grouped``: grouped and depthwise convolution (batched GEMM or einsum);
- ``cpu_pool``: window max with its index, its scatter and gather, window sums (the
  first two run as ``cpu_loops``, numba's compiled loops; ``compiled`` loads them);
- ``memory``: workspaces, memory layouts, the allocator tuning;
- ``threads``: the one thread setting; splitting large NumPy passes over the batch.

This file holds the elementwise ones: ReLU and its mask.
"""
import numpy as np

from . import generic, threads
from .cpu_conv import (conv2d, conv2d_bias_grad, conv2d_input_grad,  # noqa: F401
                       conv2d_weight_grad, conv2d_weight_grad_with_columns,
                       conv2d_with_columns, fold, unfold)
from .cpu_grouped import (grouped_conv2d, grouped_conv2d_input_grad,  # noqa: F401
                          grouped_conv2d_weight_grad)
from .cpu_pool import (max_pool2d, max_pool2d_gather, max_pool2d_scatter,  # noqa: F401
                       window_max, window_spread, window_sum)
from .memory import layout_of
from .threads import over_batch

__all__ = generic.__all__

# NumPy's maximum against a 0-d zero runs 2-3× slower than against a contiguous
# row of zeros broadcast down the rows (measured on 7 MB: 0.85 ms against 0.34 ms),
# so a large ReLU views its memory as rows of this many elements.
ZERO_ROW = 16384


def memory_rows(a, row):
    """``a``'s elements in memory order as (rows of ``row`` elements, the remainder),
    both views; None when ``a`` is not one contiguous block in some axis order."""
    flat = a.transpose(layout_of(a))
    if not flat.flags.c_contiguous:
        return None
    flat = flat.reshape(-1)
    whole = flat.size - flat.size % row
    return flat[:whole].reshape(-1, row), flat[whole:]


def relu(x):
    """max(x, 0) in one pass, in the memory order of ``x``; large arrays run as rows
    against a row of zeros, split over the batch and threads."""
    if x.ndim == 0 or x.nbytes < threads.MIN_BYTES or x.dtype.kind != "f":
        return np.maximum(x, x.dtype.type(0))            # small: one plain pass
    out = np.empty_like(x)                                 # same memory order as x
    src, dst = memory_rows(x, ZERO_ROW), memory_rows(out, ZERO_ROW)
    if src is None or dst is None:
        over_batch(lambda b: np.maximum(x[b], 0, out=out[b]), x.shape[0], x.nbytes)
        return out
    (rows, rest), (out_rows, out_rest) = src, dst
    zeros = np.zeros(rows.shape[1], rows.dtype)
    over_batch(lambda b: np.maximum(rows[b], zeros, out=out_rows[b]), rows.shape[0],
               rows.nbytes)
    np.maximum(rest, zeros[:rest.size], out=out_rest)
    return out


def positive_mask(g, ref):
    """``g`` where ``ref > 0``, else 0: ReLU's backward with ``ref`` its output."""
    if g.ndim == 0 or g.nbytes < threads.MIN_BYTES or g.shape != ref.shape:
        return np.multiply(g, ref > 0, dtype=g.dtype)
    out = np.empty_like(ref, dtype=g.dtype)
    over_batch(lambda b: np.multiply(g[b], ref[b] > 0, out=out[b], dtype=g.dtype),
               g.shape[0], g.nbytes)
    return out
