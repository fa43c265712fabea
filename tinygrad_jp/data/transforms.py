"""Augmentation on NumPy image batches, vectorised over the batch.

Every transform takes a float batch N×C×H×W (or a single image C×H×W) with values
in [0, 1] and returns an array of the same shape and dtype. Random transforms draw
from ``rng=`` when given (a ``numpy.random.Generator``) and otherwise from the global
generator :func:`tinygrad_jp.random.get_rng`, so ``tg.manual_seed(s)`` makes them
reproducible. Each random draw is one array call for the whole batch: there is no
Python loop over samples or pixels.

The curriculum's augmentations (the lab report) are :class:`RandomAffine` (inverse mapping
with bilinear sampling), :class:`GaussianNoise` (``x * (1 + N(0, std))``) and
:class:`Thicken` (stroke thickening by a 3×3 filter, clipped); the usual ones are
:class:`RandomCrop`, :class:`RandomHorizontalFlip`, :class:`RandomErasing`,
:class:`Cutout`, :class:`Normalize` and :func:`mixup`.
"""
import math
import numbers

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import random as _random

__all__ = ["Transform", "Compose", "Normalize", "RandomAffine", "GaussianNoise", "Thicken",
           "RandomCrop", "RandomHorizontalFlip", "RandomErasing", "Cutout", "mixup",
           "warp_affine", "SEED003_THICKEN_KERNEL"]

# The stroke-thickening filter of the curriculum's report (the NumPy lab report, "thickfiltering").
SEED003_THICKEN_KERNEL = np.array([[0.5, 0.5, 0.5], [0.5, 5.0, 0.5], [0.5, 0.5, 0.5]])

_CHANNEL_COUNTS = (1, 3, 4)


def _as_batch(x, fn):
    """Validate ``x`` as a float CHW image or NCHW batch; return (NCHW view, was_single)."""
    if not isinstance(x, np.ndarray):
        hint = " (for a Tensor pass t.numpy())" if hasattr(x, "numpy") else ""
        raise TypeError(f"{fn}: expected a NumPy array, got {type(x).__name__}{hint}")
    if not np.issubdtype(x.dtype, np.floating):
        raise TypeError(
            f"{fn}: expected a float image array (float32, values in [0, 1]), got dtype "
            f"{x.dtype}" + (" -- convert with x.astype(np.float32) / 255"
                            if x.dtype == np.uint8 else ""))
    if x.ndim not in (3, 4):
        extra = " (add a channel axis with x[None])" if x.ndim == 2 else ""
        raise ValueError(f"{fn}: expected a batch (N, C, H, W) or an image (C, H, W), got "
                         f"shape {x.shape}{extra}")
    c, last = x.shape[-3], x.shape[-1]
    if last in _CHANNEL_COUNTS and c not in _CHANNEL_COUNTS and c > 4:
        perm = "x.transpose(0, 3, 1, 2)" if x.ndim == 4 else "x.transpose(2, 0, 1)"
        layout = "(N, H, W, C)" if x.ndim == 4 else "(H, W, C)"
        want = "(N, C, H, W)" if x.ndim == 4 else "(C, H, W)"
        raise ValueError(f"{fn}: got shape {x.shape}, which looks channels-last {layout}; "
                         f"expected channels-first {want}: use {perm}")
    return (x[None], True) if x.ndim == 3 else (x, False)


def _pair(v, name, fn, symmetric=False, positive=False):
    """A number or a (lo, hi) pair -> (lo, hi); a single number v means (-v, v) if symmetric."""
    if isinstance(v, numbers.Real):
        if symmetric:
            if v < 0:
                raise ValueError(f"{fn}: {name} must be non-negative, got {v}")
            return (-float(v), float(v))
        return (float(v), float(v))
    try:
        lo, hi = (float(a) for a in v)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{fn}: {name} must be a number or a pair (lo, hi), got {v!r}") from e
    if lo > hi:
        raise ValueError(f"{fn}: {name} range {(lo, hi)} has lo > hi")
    if positive and lo <= 0:
        raise ValueError(f"{fn}: {name} must be positive, got {(lo, hi)}")
    return (lo, hi)


def _prob(p, fn):
    if not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{fn}: p must be a probability in [0, 1], got {p!r}")
    return float(p)


def _check_rng(rng, fn):
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError(f"{fn}: rng must be a numpy.random.Generator or None, got "
                        f"{type(rng).__name__}")
    return rng


class Transform:
    """Base class: validates the input layout, applies ``_apply`` to an NCHW batch.

    Subclasses implement ``_apply(x, rng)`` for a float N×C×H×W array; single C×H×W
    images are handled here by adding and removing the batch axis.
    """
    rng = None

    def _apply(self, x, rng):
        raise NotImplementedError(f"{type(self).__name__} must implement _apply(x, rng)")

    def __call__(self, x):
        batch, single = _as_batch(x, type(self).__name__)
        rng = self.rng if self.rng is not None else _random.get_rng()
        out = self._apply(batch, rng)
        return out[0] if single else out

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items()
                         if k != "rng" and not k.startswith("_"))
        return f"{type(self).__name__}({args})"


class Compose:
    """Apply transforms in order: ``Compose([RandomAffine(10), GaussianNoise(0.1)])``."""

    def __init__(self, transforms):
        transforms = list(transforms)
        for t in transforms:
            if not callable(t):
                raise TypeError(f"Compose: every transform must be callable, got "
                                f"{type(t).__name__}")
        self.transforms = transforms

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self):
        inner = "".join(f"\n    {t!r}," for t in self.transforms)
        return f"Compose([{inner}\n])"


class Normalize(Transform):
    """``(x - mean) / std`` per channel; ``mean``/``std`` are numbers or one per channel."""

    def __init__(self, mean, std):
        self.mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
        self.std = np.atleast_1d(np.asarray(std, dtype=np.float64))
        if self.mean.ndim != 1 or self.std.ndim != 1:
            raise ValueError("Normalize: mean and std must be numbers or 1-d sequences")
        if np.any(self.std <= 0):
            raise ValueError(f"Normalize: std must be positive, got {self.std.tolist()}")

    def _apply(self, x, rng):
        c = x.shape[1]
        for name, v in (("mean", self.mean), ("std", self.std)):
            if v.size not in (1, c):
                raise ValueError(f"Normalize: {name} has {v.size} values but the batch "
                                 f"{x.shape} has {c} channels")
        mean = self.mean.astype(x.dtype).reshape(1, -1, 1, 1)
        std = self.std.astype(x.dtype).reshape(1, -1, 1, 1)
        return (x - mean) / std


def warp_affine(x, matrices, fill=0.0, mode="bilinear"):
    """Resample each image of ``x`` (N×C×H×W) through its own affine map.

    ``matrices`` (N×2×3, or 2×3 for all) map *output* pixel coordinates ``(col, row, 1)``
    to the *input* coordinates to read (inverse mapping), which are sampled bilinearly
    (``mode='bilinear'``) or from the nearest pixel (``mode='nearest'``, which copies
    pixel values exactly); points outside the image read ``fill``. All samples and all
    four bilinear neighbours are gathered with one fancy index.
    """
    if mode not in ("bilinear", "nearest"):
        raise ValueError(f"warp_affine: mode must be 'bilinear' or 'nearest', got {mode!r}")
    batch, single = _as_batch(x, "warp_affine")
    n, c, h, w = batch.shape
    m = np.asarray(matrices, dtype=np.float64)
    if m.shape == (2, 3):
        m = np.broadcast_to(m, (n, 2, 3))
    if m.shape != (n, 2, 3):
        raise ValueError(f"warp_affine: matrices must have shape ({n}, 2, 3) or (2, 3) for "
                         f"a batch of {n}, got {m.shape}")
    rows, cols = np.mgrid[0:h, 0:w]
    cols = cols.reshape(1, -1).astype(np.float64)
    rows = rows.reshape(1, -1).astype(np.float64)
    sx = m[:, 0, 0, None] * cols + m[:, 0, 1, None] * rows + m[:, 0, 2, None]
    sy = m[:, 1, 0, None] * cols + m[:, 1, 1, None] * rows + m[:, 1, 2, None]
    # Snap coordinates within rounding error of a pixel centre, so that exact maps
    # (90° turns, whole-pixel shifts, the identity) copy pixels exactly.
    for s in (sx, sy):
        r = np.round(s)
        snap = np.abs(s - r) < 1e-6
        s[snap] = r[snap]
    flat = batch.reshape(n, c, h * w)
    if mode == "nearest":
        xi, yi = np.rint(sx), np.rint(sy)
        valid = (xi >= 0) & (xi <= w - 1) & (yi >= 0) & (yi <= h - 1)
        idx = (np.clip(yi, 0, h - 1) * w + np.clip(xi, 0, w - 1)).astype(np.intp)
        out = flat[np.arange(n)[:, None, None], np.arange(c)[None, :, None], idx[:, None]]
        out = np.where(valid[:, None], out, np.asarray(fill, dtype=batch.dtype))
        out = out.reshape(n, c, h, w)
        return out[0] if single else out
    x0, y0 = np.floor(sx), np.floor(sy)
    fx, fy = sx - x0, sy - y0
    xs = np.stack([x0, x0 + 1, x0, x0 + 1], axis=1)           # (n, 4, P)
    ys = np.stack([y0, y0, y0 + 1, y0 + 1], axis=1)
    wts = np.stack([(1 - fx) * (1 - fy), fx * (1 - fy), (1 - fx) * fy, fx * fy], axis=1)
    valid = (xs >= 0) & (xs <= w - 1) & (ys >= 0) & (ys <= h - 1)
    flat_idx = (np.clip(ys, 0, h - 1) * w + np.clip(xs, 0, w - 1)).astype(np.intp)
    gathered = flat[np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None],
                    flat_idx[:, None]]                         # (n, c, 4, P)
    wv = np.where(valid, wts, 0.0)[:, None]
    out = (gathered * wv).sum(axis=2)
    if fill != 0:
        out += fill * np.where(valid, 0.0, wts).sum(axis=1)[:, None]
    out = out.reshape(n, c, h, w).astype(batch.dtype, copy=False)
    return out[0] if single else out


class RandomAffine(Transform):
    """Random rotation, translation, scaling and shear, like torchvision's ``RandomAffine``.

    - ``degrees``: rotation angle drawn from (-d, d), or from (lo, hi) given as a pair;
      positive angles turn the image counter-clockwise as displayed (row 0 at the top),
      the same sense as ``np.rot90``.
    - ``translate=(a, b)``: shifts by whole pixels drawn from (-a·W, a·W), (-b·H, b·H).
    - ``scale=(lo, hi)``: zoom factor drawn from the range.
    - ``shear``: x-shear angle in degrees from (-s, s), or a pair (lo, hi), or four
      values (x_lo, x_hi, y_lo, y_hi) that shear along y too.
    - ``fill``: value of pixels mapped from outside the image.

    The per-sample 2×3 matrices are built in one go and the whole batch is resampled
    by :func:`warp_affine` (inverse mapping, bilinear).
    """

    def __init__(self, degrees, translate=None, scale=None, shear=None, fill=0.0, rng=None):
        fn = "RandomAffine"
        self.degrees = _pair(degrees, "degrees", fn, symmetric=True)
        if translate is not None:
            translate = tuple(float(t) for t in translate)
            if len(translate) != 2 or not all(0.0 <= t <= 1.0 for t in translate):
                raise ValueError(f"{fn}: translate must be a pair of fractions in [0, 1], "
                                 f"got {translate}")
        self.translate = translate
        self.scale = None if scale is None else _pair(scale, "scale", fn, positive=True)
        if shear is not None:
            if isinstance(shear, numbers.Real):
                shear = _pair(shear, "shear", fn, symmetric=True) + (0.0, 0.0)
            else:
                shear = tuple(float(s) for s in shear)
                if len(shear) == 2:
                    shear = shear + (0.0, 0.0)
                if len(shear) != 4:
                    raise ValueError(f"{fn}: shear must be a number, 2 or 4 values, got "
                                     f"{shear}")
            if any(abs(s) >= 90 for s in shear):
                raise ValueError(f"{fn}: shear angles must lie in (-90, 90) degrees, "
                                 f"got {shear}")
        self.shear = shear
        self.fill = float(fill)
        self.rng = _check_rng(rng, fn)

    def sample_matrices(self, n, height, width, rng=None):
        """Draw ``n`` forward (input→output) 3×3 pixel-coordinate matrices."""
        rng = rng if rng is not None else (self.rng or _random.get_rng())
        theta = np.deg2rad(rng.uniform(*self.degrees, size=n))
        tx = ty = np.zeros(n)
        if self.translate is not None:
            tx = np.round(rng.uniform(-1, 1, size=n) * self.translate[0] * width)
            ty = np.round(rng.uniform(-1, 1, size=n) * self.translate[1] * height)
        s = np.ones(n) if self.scale is None else rng.uniform(*self.scale, size=n)
        shx = shy = np.zeros(n)
        if self.shear is not None:
            shx = np.deg2rad(rng.uniform(self.shear[0], self.shear[1], size=n))
            shy = np.deg2rad(rng.uniform(self.shear[2], self.shear[3], size=n))
        cos, sin = np.cos(theta), np.sin(theta)
        # Rows grow downwards, so a counter-clockwise turn on screen is [[c, s], [-s, c]].
        rot = np.stack([np.stack([cos, sin], -1), np.stack([-sin, cos], -1)], -2)
        she = np.stack([np.stack([np.ones(n), np.tan(shx)], -1),
                        np.stack([np.tan(shy), np.ones(n)], -1)], -2)
        lin = rot @ she * s[:, None, None]
        centre = np.array([(width - 1) / 2.0, (height - 1) / 2.0])
        fwd = np.zeros((n, 3, 3))
        fwd[:, :2, :2] = lin
        fwd[:, :2, 2] = centre + np.stack([tx, ty], -1) - lin @ centre
        fwd[:, 2, 2] = 1.0
        return fwd

    def _apply(self, x, rng):
        n, _, h, w = x.shape
        inv = np.linalg.inv(self.sample_matrices(n, h, w, rng))
        return warp_affine(x, inv[:, :2, :], fill=self.fill)


class GaussianNoise(Transform):
    """Gaussian noise, per pixel and per sample.

    ``mode='multiplicative'`` (the lab report's form): ``x * (1 + N(0, std²))``,
    i.e. the image times noise of mean 1, so the black background stays black.
    ``mode='additive'``: ``x + N(0, std²)``. ``clip=True`` clips the result to [0, 1];
    ``p`` is the probability that a sample gets noise at all.
    """

    def __init__(self, std, mode="multiplicative", p=1.0, clip=False, rng=None):
        if not isinstance(std, numbers.Real) or std < 0:
            raise ValueError(f"GaussianNoise: std must be a non-negative number, got {std!r}")
        if mode not in ("multiplicative", "additive"):
            raise ValueError(f"GaussianNoise: mode must be 'multiplicative' or 'additive', "
                             f"got {mode!r}")
        self.std, self.mode, self.p, self.clip = float(std), mode, _prob(p, "GaussianNoise"), clip
        self.rng = _check_rng(rng, "GaussianNoise")

    def _apply(self, x, rng):
        noise = rng.normal(0.0, self.std, size=x.shape)
        if self.p < 1.0:
            noise *= (rng.random(x.shape[0]) < self.p)[:, None, None, None]
        out = x * (1.0 + noise) if self.mode == "multiplicative" else x + noise
        if self.clip:
            out = np.clip(out, 0.0, 1.0)
        return out.astype(x.dtype, copy=False)


class Thicken(Transform):
    """Thicken strokes (light strokes on a dark background) with a 3×3 filter, clip to [0, 1].

    ``mode='max'``: each pixel becomes the maximum of its 3×3 neighbourhood (a grey
    dilation). ``mode='conv'``: correlation with ``kernel`` (default the curriculum's
    ``[[.5,.5,.5],[.5,5,.5],[.5,.5,.5]]``, the lab report) followed by clipping to [0, 1],
    which is how the report kept values in range. Each sample is thickened with
    probability ``p``.
    """

    def __init__(self, p=1.0, mode="max", kernel=None, rng=None):
        if mode not in ("max", "conv"):
            raise ValueError(f"Thicken: mode must be 'max' or 'conv', got {mode!r}")
        if kernel is not None and mode != "conv":
            raise ValueError("Thicken: kernel is only used with mode='conv'")
        kernel = SEED003_THICKEN_KERNEL if kernel is None else np.asarray(kernel, np.float64)
        if kernel.shape != (3, 3):
            raise ValueError(f"Thicken: kernel must be 3x3, got shape {kernel.shape}")
        self.p, self.mode, self.kernel = _prob(p, "Thicken"), mode, kernel
        self.rng = _check_rng(rng, "Thicken")

    def _filter(self, x):
        if self.mode == "max":
            # -inf padding: the border pixel's maximum is over its real neighbours only.
            xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
            out = sliding_window_view(xp, (3, 3), axis=(2, 3)).max(axis=(-2, -1))
        else:
            xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
            win = sliding_window_view(xp, (3, 3), axis=(2, 3))
            out = np.einsum("nchwij,ij->nchw", win, self.kernel.astype(x.dtype))
        return np.clip(out, 0.0, 1.0)

    def _apply(self, x, rng):
        chosen = rng.random(x.shape[0]) < self.p
        out = np.array(x, copy=True)
        if chosen.any():
            out[chosen] = self._filter(x[chosen])
        return out


class RandomCrop(Transform):
    """Pad by ``padding`` pixels (filled with ``fill``), then crop ``size`` at a random place.

    ``size`` is an int (square) or (h, w); the offsets are drawn per sample and the
    crops gathered from a strided window view in one fancy index.
    """

    def __init__(self, size, padding=0, fill=0.0, rng=None):
        size = (size, size) if isinstance(size, numbers.Integral) else tuple(size)
        if len(size) != 2 or any(int(s) != s or s <= 0 for s in size):
            raise ValueError(f"RandomCrop: size must be a positive int or (h, w), got {size}")
        if not isinstance(padding, numbers.Integral) or padding < 0:
            raise ValueError(f"RandomCrop: padding must be a non-negative int, got {padding!r}")
        self.size, self.padding, self.fill = (int(size[0]), int(size[1])), int(padding), fill
        self.rng = _check_rng(rng, "RandomCrop")

    def _apply(self, x, rng):
        n, _, h, w = x.shape
        ch, cw = self.size
        p = self.padding
        if ch > h + 2 * p or cw > w + 2 * p:
            raise ValueError(f"RandomCrop: crop size {self.size} is larger than the padded "
                             f"image ({h + 2 * p}, {w + 2 * p}) of batch {x.shape}")
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=self.fill) if p else x
        top = rng.integers(0, h + 2 * p - ch + 1, size=n)
        left = rng.integers(0, w + 2 * p - cw + 1, size=n)
        win = sliding_window_view(xp, (ch, cw), axis=(2, 3))  # (n, c, H', W', ch, cw)
        return np.ascontiguousarray(win[np.arange(n), :, top, left])


class RandomHorizontalFlip(Transform):
    """Mirror each sample left-right with probability ``p``."""

    def __init__(self, p=0.5, rng=None):
        self.p = _prob(p, "RandomHorizontalFlip")
        self.rng = _check_rng(rng, "RandomHorizontalFlip")

    def _apply(self, x, rng):
        flip = (rng.random(x.shape[0]) < self.p)[:, None, None, None]
        return np.where(flip, x[..., ::-1], x)


def _erase(x, rng, top, left, hh, ww, chosen, value):
    n, c, h, w = x.shape
    rows = np.arange(h)[None, :, None]
    cols = np.arange(w)[None, None, :]
    mask = ((rows >= top[:, None, None]) & (rows < (top + hh)[:, None, None])
            & (cols >= left[:, None, None]) & (cols < (left + ww)[:, None, None])
            & chosen[:, None, None])[:, None]                  # (n, 1, h, w)
    if isinstance(value, str):
        fill = rng.normal(size=x.shape).astype(x.dtype)
    else:
        fill = np.asarray(value, dtype=x.dtype)
        if fill.ndim == 1:
            if fill.size not in (1, c):
                raise ValueError(f"value has {fill.size} entries but the batch {x.shape} "
                                 f"has {c} channels")
            fill = fill.reshape(1, -1, 1, 1)
    return np.where(mask, fill, x)


class RandomErasing(Transform):
    """Erase a random rectangle per sample (Zhong et al. 2017), like torchvision's.

    With probability ``p`` a rectangle of area ``scale`` × image area and aspect ratio
    (log-uniform) in ``ratio`` is set to ``value`` (a number, one number per channel,
    or ``'random'`` for N(0, 1) noise). Rectangles that would not fit are clipped to
    the image.
    """

    def __init__(self, p=0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0.0, rng=None):
        fn = "RandomErasing"
        self.p = _prob(p, fn)
        self.scale = _pair(scale, "scale", fn, positive=True)
        self.ratio = _pair(ratio, "ratio", fn, positive=True)
        if self.scale[1] > 1:
            raise ValueError(f"{fn}: scale must lie in (0, 1], got {self.scale}")
        if isinstance(value, str) and value != "random":
            raise ValueError(f"{fn}: value must be a number, a per-channel sequence or "
                             f"'random', got {value!r}")
        self.value = value
        self.rng = _check_rng(rng, fn)

    def _apply(self, x, rng):
        n, _, h, w = x.shape
        chosen = rng.random(n) < self.p
        area = rng.uniform(*self.scale, size=n) * h * w
        log_r = rng.uniform(math.log(self.ratio[0]), math.log(self.ratio[1]), size=n)
        r = np.exp(log_r)
        hh = np.clip(np.round(np.sqrt(area * r)), 1, h).astype(np.int64)
        ww = np.clip(np.round(np.sqrt(area / r)), 1, w).astype(np.int64)
        top = rng.integers(0, h - hh + 1)
        left = rng.integers(0, w - ww + 1)
        try:
            return _erase(x, rng, top, left, hh, ww, chosen, self.value)
        except ValueError as e:
            raise ValueError(f"RandomErasing: {e}") from None


class Cutout(Transform):
    """Cutout (DeVries & Taylor 2017): a ``size``×``size`` square set to ``fill``.

    The square's centre is uniform over the image, so it may be cut by the border.
    Applied to each sample with probability ``p``.
    """

    def __init__(self, size, p=1.0, fill=0.0, rng=None):
        if not isinstance(size, numbers.Integral) or size <= 0:
            raise ValueError(f"Cutout: size must be a positive int, got {size!r}")
        self.size, self.p, self.fill = int(size), _prob(p, "Cutout"), fill
        self.rng = _check_rng(rng, "Cutout")

    def _apply(self, x, rng):
        n, _, h, w = x.shape
        chosen = rng.random(n) < self.p
        cy = rng.integers(0, h, size=n)
        cx = rng.integers(0, w, size=n)
        top, left = cy - self.size // 2, cx - self.size // 2
        size = np.full(n, self.size)
        try:
            return _erase(x, rng, top, left, size, size, chosen, self.fill)
        except ValueError as e:
            raise ValueError(f"Cutout: {e}") from None


def mixup(x, y, alpha=0.2, rng=None):
    """mixup (Zhang et al. 2018) on a whole batch: returns ``(x_mixed, y_mixed)``.

    ``x`` is any float batch (N, ...), ``y`` the (N, K) one-hot or soft labels (see
    :func:`tinygrad_jp.data.one_hot`). One λ ~ Beta(alpha, alpha) is drawn per batch
    and each sample is mixed with a random partner: ``λ·x + (1-λ)·x[perm]``, the same
    for ``y``. ``alpha=0`` returns the inputs unchanged. Train with a loss that takes
    class probabilities, e.g. ``cross_entropy(logits, y_mixed)``.
    """
    for name, a in (("x", x), ("y", y)):
        if not isinstance(a, np.ndarray):
            hint = " (for a Tensor pass t.numpy())" if hasattr(a, "numpy") else ""
            raise TypeError(f"mixup: {name} must be a NumPy array, got {type(a).__name__}{hint}")
        if not np.issubdtype(a.dtype, np.floating):
            raise TypeError(f"mixup: {name} must be a float array, got dtype {a.dtype}" + (
                "; one-hot encode class indices first with tinygrad_jp.data.one_hot(y, K)"
                if name == "y" else ""))
    if y.ndim != 2:
        raise ValueError(f"mixup: y must be (N, K) one-hot or soft labels, got shape "
                         f"{y.shape}; one-hot encode with tinygrad_jp.data.one_hot(y, K)")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"mixup: x {x.shape} and y {y.shape} have different batch sizes")
    if not isinstance(alpha, numbers.Real) or alpha < 0:
        raise ValueError(f"mixup: alpha must be a non-negative number, got {alpha!r}")
    _check_rng(rng, "mixup")
    if alpha == 0:
        return x, y
    rng = rng if rng is not None else _random.get_rng()
    lam = rng.beta(alpha, alpha)
    perm = rng.permutation(x.shape[0])
    xm = (lam * x + (1.0 - lam) * x[perm]).astype(x.dtype, copy=False)
    ym = (lam * y + (1.0 - lam) * y[perm]).astype(y.dtype, copy=False)
    return xm, ym
