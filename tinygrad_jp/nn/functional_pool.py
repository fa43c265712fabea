"""Pooling: ``max_pool2d``, ``avg_pool2d`` and the adaptive ones, which pool to a fixed
output size (``adaptive_avg_pool2d``, ``adaptive_max_pool2d``)."""
import numpy as np

from .. import devices as _devices
from ..ops import adaptive_pool as _adaptive
from ..ops import pool as _pool
from ..tensor import Tensor
from ._checks import _batched_4d, _float_tensor, _ints, _pool_args, _positive

__all__ = ["max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d"]


def _pool_input(input, op):
    """A floating-point (N, C, H, W) tensor, and whether a batch dimension was added."""
    return _batched_4d(_float_tensor(input, op), op)


def _pool_geometry(op, x, window, ceil_mode):
    """The windows of a checked ``window`` (``_pool_args``) over the input ``x``."""
    kernel, stride, padding, dilation = window
    geo = _pool.make_geometry(x.shape, kernel, stride, padding, dilation, ceil_mode)
    if geo.oh <= 0 or geo.ow <= 0:
        raise RuntimeError(f"{op}: kernel size {kernel} is larger than the padded input "
                           f"({x.shape[2] + 2 * padding[0]}, {x.shape[3] + 2 * padding[1]}) "
                           f"(input {tuple(x.shape)})")
    return geo


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over kh×kw windows (stride defaults to the kernel size; padding is −∞).

    On ties the gradient goes to the first maximal element of the window (row-major),
    exactly one element, as in PyTorch. ``return_indices=True`` also returns the
    flat index of each maximum in its input plane.
    """
    op = "max_pool2d"
    x, unbatched = _pool_input(input, op)
    window = _pool_args(op, kernel_size, stride, padding, dilation)
    return _max_pool2d(x, unbatched, window, ceil_mode, return_indices)


def _max_pool2d(x, unbatched, window, ceil_mode, return_indices):
    """``max_pool2d`` of a checked input and window (``nn.MaxPool2d`` calls it directly:
    its window was checked when it was set)."""
    geo = _pool_geometry("max_pool2d", x, window, ceil_mode)
    out = _pool.MaxPool2d.apply(x, geometry=geo)
    if return_indices:
        _, idx = _pool.max_pool_forward(x.data, geo, need_index=True)
        indices = Tensor._wrap(_pool.flat_indices(idx, geo))
        if unbatched:
            return out.squeeze(0), indices.squeeze(0)
        return out, indices
    return out.squeeze(0) if unbatched else out


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over kh×kw windows; zero padding counts in the divisor when
    ``count_include_pad`` (PyTorch's default)."""
    op = "avg_pool2d"
    x, unbatched = _pool_input(input, op)
    window = _pool_args(op, kernel_size, stride, padding, 1)
    return _avg_pool2d(x, unbatched, window, ceil_mode, count_include_pad, divisor_override)


def _avg_pool2d(x, unbatched, window, ceil_mode, count_include_pad, divisor_override):
    """``avg_pool2d`` of a checked input and window (``nn.AvgPool2d`` calls it directly)."""
    op = "avg_pool2d"
    geo = _pool_geometry(op, x, window, ceil_mode)
    if divisor_override is not None and divisor_override <= 0:
        raise ValueError(f"{op}: divisor_override must be positive, got {divisor_override}")
    divisor = _pool._avg_divisor(geo, count_include_pad, divisor_override, x.dtype)
    out = _pool.AvgPool2d.apply(x, geometry=geo, divisor=divisor)
    return out.squeeze(0) if unbatched else out


def _adaptive_matrix(in_size, out_size, dtype):
    """(out, in) averaging matrix of PyTorch's adaptive bins [⌊i·in/out⌋, ⌈(i+1)·in/out⌉)."""
    m = np.zeros((out_size, in_size), dtype)
    for i in range(out_size):  # one row per output cell: a tiny constant matrix
        start = (i * in_size) // out_size
        end = -((-(i + 1) * in_size) // out_size)
        m[i, start:end] = 1.0 / (end - start)
    return m


def _adaptive_size(op, x, output_size):
    """(OH, OW) from an int or a pair in which None keeps that input size."""
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != 2:
            raise TypeError(f"{op}: output_size must be an int or a pair, got {output_size}")
        sizes = tuple(x.shape[2 + i] if s is None else s for i, s in enumerate(output_size))
    else:
        sizes = (output_size, output_size)
    return _positive(_ints(sizes, 2, op, "output_size"), op, "output_size")


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size (None keeps that input size)."""
    op = "adaptive_avg_pool2d"
    x = _float_tensor(input, op)
    x, unbatched = _batched_4d(x, op)
    oh, ow = _adaptive_size(op, x, output_size)
    h, w = x.shape[2:]
    if (oh, ow) == (1, 1):
        out = x.mean(dim=(2, 3), keepdim=True)
    elif h % oh == 0 and w % ow == 0:
        out = avg_pool2d(x, (h // oh, w // ow))
    else:
        # adaptive averaging is separable: A_h · x · A_wᵀ with constant matrices
        # the averaging matrices are made on the host, and used where x lives
        ah = Tensor._wrap(_devices.to_device(_adaptive_matrix(h, oh, x.dtype), x.device))
        awt = Tensor._wrap(_devices.to_device(_adaptive_matrix(w, ow, x.dtype).T.copy(),
                                              x.device))
        out = (ah @ x) @ awt
    return out.squeeze(0) if unbatched else out


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size (an int or a pair; None keeps that input size).

    Output cell i of an axis covers PyTorch's bin [⌊i·in/out⌋, ⌈(i+1)·in/out⌉) (bins
    may overlap when the size does not divide). On ties the gradient goes to the first
    maximum of the bin in row-major order, as in PyTorch. ``return_indices=True`` also
    returns the flat index (row·W + column, int64) of each maximum in its input plane.
    """
    op = "adaptive_max_pool2d"
    x = _float_tensor(input, op)
    x, unbatched = _batched_4d(x, op)
    if min(x.shape[2:]) <= 0:
        raise RuntimeError(f"{op}: expected an input with non-empty spatial dims, got "
                           f"shape {tuple(x.shape)}")
    sizes = _adaptive_size(op, x, output_size)
    out = _adaptive.AdaptiveMaxPool2d.apply(x, output_size=sizes)
    if return_indices:
        node = out.grad_fn
        if isinstance(node, _adaptive.AdaptiveMaxPool2d):
            index = node.index          # the recorded node already holds the winners
        else:
            index = _adaptive.adaptive_max_pool(x.data, sizes)[1]
        indices = Tensor._wrap(index)
        if unbatched:
            return out.squeeze(0), indices.squeeze(0)
        return out, indices
    return out.squeeze(0) if unbatched else out
