"""Padding and resizing: ``pad`` (constant, reflect, replicate, circular) and
``interpolate`` (nearest, area, bilinear, bicubic, antialiased)."""
import numbers

import numpy as np

from .. import devices as _devices
from ..ops import antialias as _antialias
from ..ops import cubic as _cubic
from ..ops import nn_misc as _misc
from ..tensor import Tensor
from ._checks import _float_tensor, _ints, _positive, _tensor
from .functional_pool import adaptive_avg_pool2d

__all__ = ["pad", "interpolate"]


def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` dims; ``pad`` lists (left, right) for the last
    dim first, then the one before, as in PyTorch: ``F.pad(x, (1, 1, 2, 0))`` pads W by
    1 on each side and H by 2 on top. Modes: 'constant' (negative pads crop),
    'reflect', 'replicate', 'circular'."""
    op = "pad"
    x = _tensor(input, op)
    if not isinstance(pad, (tuple, list)) or len(pad) % 2 or not all(
            isinstance(p, (numbers.Integral, np.integer)) for p in pad):
        raise TypeError(f"{op}: pad must be a tuple of an even number of ints, got {pad!r}")
    k = len(pad) // 2
    if k > x.ndim:
        raise RuntimeError(f"{op}: pad {tuple(pad)} has {k} dims of padding but the input "
                           f"has only {x.ndim} dims (shape {x.shape})")
    pairs = [(0, 0)] * x.ndim
    for i in range(k):
        pairs[x.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    if mode == "constant":
        fill = 0.0 if value is None else value
        crop = tuple(slice(-a if a < 0 else None, (s + b) if b < 0 else None)
                     for s, (a, b) in zip(x.shape, pairs, strict=True))
        if any(a < 0 or b < 0 for a, b in pairs):
            x = x[crop]
            pairs = [(max(a, 0), max(b, 0)) for a, b in pairs]
            if any(s <= 0 for s in x.shape):
                raise RuntimeError(f"{op}: negative padding {tuple(pad)} leaves nothing of "
                                   f"the input")
        if all(a == 0 and b == 0 for a, b in pairs):
            return x
        return _misc.ConstantPad.apply(x, pads=tuple(pairs), value=fill)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(f"{op}: mode must be 'constant', 'reflect', 'replicate' or "
                         f"'circular', got {mode!r}")
    if value not in (None, 0, 0.0):
        raise ValueError(f"{op}: value is only used with mode='constant'")
    out = x
    for d, (a, b) in enumerate(pairs):
        if a == 0 and b == 0:
            continue
        size = x.shape[d]
        if a < 0 or b < 0:
            raise ValueError(f"{op}: negative padding is only supported in constant mode")
        if mode == "reflect" and (a >= size or b >= size):
            raise ValueError(f"{op}: reflect padding ({a}, {b}) must be smaller than the "
                             f"input size {size} of dim {d}")
        if mode == "circular" and (a > size or b > size):
            raise ValueError(f"{op}: circular padding ({a}, {b}) must be at most the input "
                             f"size {size} of dim {d}")
        idx = _misc.pad_indices(size, a, b, mode)
        out = out[(slice(None),) * d + (idx,)]
    return out


_INTERPOLATE_MODES = ("nearest", "nearest-exact", "area", "linear", "bilinear", "bicubic")


def _axis_scale(mode, spatial, n_in, n_out, scale, antialias=False):
    """The scale factor one axis is resized with: the user's, or None (the size ratio)
    where PyTorch's CPU kernels ignore it. They do so along an axis that keeps its
    size, in 'linear', 'bilinear' and antialiased modes (a copy) and in 2-D 'nearest',
    whose kernel also maps a doubled axis by halving the index. So, with
    ``scale_factor=1.1`` on 6 pixels (6 out), those modes copy the pixels while 1-D
    'nearest', 'nearest-exact' and plain 'bicubic' sample at i / 1.1. Checked against
    PyTorch 2.13."""
    if scale is None:
        return None
    if (antialias or mode in ("linear", "bilinear")) and n_out == n_in:
        return None
    if mode == "nearest" and spatial == 2 and n_out in (n_in, 2 * n_in):
        return None
    return scale


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize (N, C, H, W) images (or (N, C, L) signals) to ``size`` or by
    ``scale_factor``: mode 'nearest' (PyTorch's floor rule), 'nearest-exact' (the
    nearest pixel centre), 'area' (adaptive average pooling), 'bilinear' / 'linear' or
    'bicubic' (PyTorch's cubic convolution with A = −0.75 and the border pixels
    repeated; it can overshoot the input's range, as in PyTorch), all equal to
    PyTorch's for align_corners False and True. ``antialias=True`` ('bilinear' and
    'bicubic') averages every input pixel under a filter stretched by the shrink
    ratio, as Pillow and PyTorch do, so a downscaled image does not alias. Linear and
    cubic resizing are separable, so they are two small matrix products,
    differentiable as they are."""
    op = "interpolate"
    x = _float_tensor(input, op)
    if x.ndim not in (3, 4):
        raise RuntimeError(f"{op}: expected a 3-D or 4-D input, got shape {x.shape}")
    spatial = x.ndim - 2
    if mode not in _INTERPOLATE_MODES:
        if mode == "trilinear":
            raise NotImplementedError(f"{op}: mode 'trilinear' resizes 5-D volumes, which "
                                      "this 2-D framework does not have (supported: "
                                      f"{', '.join(map(repr, _INTERPOLATE_MODES))})")
        raise ValueError(f"{op}: unknown mode {mode!r}; supported modes are "
                         f"{', '.join(map(repr, _INTERPOLATE_MODES))}")
    if mode in ("nearest", "nearest-exact", "area") and align_corners is not None:
        raise ValueError(f"{op}: align_corners can only be set with the linear and cubic "
                         "modes ('linear', 'bilinear', 'bicubic')")
    needs = {"linear": 3, "bilinear": 4, "bicubic": 4}.get(mode, x.ndim)
    if x.ndim != needs:
        raise RuntimeError(f"{op}: mode {mode!r} needs a {needs}-D input, got shape "
                           f"{x.shape}")
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{op}: give exactly one of size and scale_factor")
    in_sizes = x.shape[2:]
    if size is not None:
        sizes = _positive(_ints(size, spatial, op, "size"), op, "size")
        scales = (None,) * spatial
    else:
        if isinstance(scale_factor, (tuple, list)):
            scales = tuple(float(s) for s in scale_factor)
        else:
            scales = (float(scale_factor),) * spatial
        if len(scales) != spatial or any(s <= 0 for s in scales):
            raise ValueError(f"{op}: scale_factor must be positive, one per spatial dim, "
                             f"got {scale_factor!r}")
        sizes = tuple(int(np.floor(n * s)) for n, s in zip(in_sizes, scales, strict=True))
        if recompute_scale_factor:
            scales = (None,) * spatial
        if min(sizes) <= 0:
            raise ValueError(f"{op}: scale_factor {scale_factor!r} makes the output size "
                             f"{sizes} of an input of shape {x.shape} empty")
    if antialias and mode not in ("bilinear", "bicubic"):
        raise ValueError(f"{op}: antialias=True works with the modes 'bilinear' and "
                         f"'bicubic' (4-D input), got mode {mode!r}")
    if mode == "area":
        # PyTorch's 'area' is adaptive average pooling to the output size
        if spatial == 1:
            return adaptive_avg_pool2d(x.unsqueeze(2), (1, sizes[0])).squeeze(2)
        return adaptive_avg_pool2d(x, sizes)
    out = x
    for k in range(spatial):
        axis = 2 + k
        n_in, n_out = in_sizes[k], sizes[k]
        scale = _axis_scale(mode, spatial, n_in, n_out, scales[k], antialias)
        if mode in ("nearest", "nearest-exact"):
            idx = _misc.nearest_indices(n_in, n_out, scale, exact=mode == "nearest-exact")
            out = out[(slice(None),) * axis + (idx,)]
        else:
            if antialias:
                m = _antialias.antialias_weights(n_in, n_out, mode, bool(align_corners),
                                                 scale)
            else:
                weights = _cubic.cubic_weights if mode == "bicubic" else _misc.linear_weights
                m = weights(n_in, n_out, bool(align_corners), scale)
            m = Tensor._wrap(_devices.to_device(m.astype(x.dtype), x.device))
            if axis == x.ndim - 1:
                out = out @ m.T
            else:
                out = m @ out
    return out
