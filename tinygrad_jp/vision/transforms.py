"""torchvision's ``transforms``: per-sample transforms with torchvision's names,
arguments and defaults.

``from torchvision import transforms`` becomes ``from tinygrad_jp.vision import
transforms``. Each transform takes *one* image: a PIL image (what the data sets of
:mod:`tinygrad_jp.vision.datasets` return), a NumPy array H×W or H×W×C, or a Tensor
C×H×W, and gives the result back in the same form. :class:`ToTensor` turns a PIL image
or a uint8 array H×W×C into a float32 Tensor C×H×W in [0, 1]; :class:`Normalize` then
works on Tensors. The geometry is that of :mod:`tinygrad_jp.data.transforms` (whose
vectorised transforms work on whole N×C×H×W batches), applied to the one image.

Random transforms draw from the global generator, so ``tg.manual_seed(s)`` makes them
reproducible, and a ``DataLoader`` with worker processes gives the same images as one
without.
"""
import enum
import numbers

import numpy as np

from .. import random as _random
from ..data import transforms as _batch
from ._image import from_chw, is_pil, to_chw

__all__ = ["Compose", "ToTensor", "Normalize", "Resize", "CenterCrop", "RandomCrop",
           "RandomHorizontalFlip", "RandomRotation", "RandomAffine", "Lambda",
           "InterpolationMode"]

# Compose only calls its transforms in order: the batch version serves as it is.
Compose = _batch.Compose


class InterpolationMode(str, enum.Enum):
    """How pixels between grid points are read, as torchvision's enum of the same name."""
    NEAREST = "nearest"
    BILINEAR = "bilinear"


def _interpolation(mode, fn):
    try:
        return InterpolationMode(mode).value
    except ValueError:
        raise ValueError(f"{fn}: interpolation must be InterpolationMode.NEAREST or "
                         f"InterpolationMode.BILINEAR, got {mode!r}") from None


def _fill(fill, fn):
    if not isinstance(fill, numbers.Real):
        raise TypeError(f"{fn}: fill must be a number (one value for every channel), got "
                        f"{fill!r}")
    return float(fill)


class ToTensor:
    """A PIL image or an array H×W×C (or H×W) → a Tensor C×H×W.

    uint8 values (PIL modes ``'L'``, ``'RGB'``, ...) are scaled to float32 in [0, 1];
    arrays of another dtype keep their values and dtype, as in torchvision.
    """

    def __call__(self, pic):
        from ..tensor import Tensor
        if is_pil(pic):
            a = np.asarray(pic)
            if pic.mode == "1":
                a = a.astype(np.uint8) * 255
        elif isinstance(pic, np.ndarray):
            a = pic
        else:
            raise TypeError(f"ToTensor: pic should be a PIL image or a NumPy array, got "
                            f"{type(pic).__name__}")
        if a.ndim not in (2, 3):
            raise ValueError(f"ToTensor: pic should be 2 or 3 dimensional (H, W[, C]), got "
                             f"shape {a.shape}")
        chw = a[None] if a.ndim == 2 else a.transpose(2, 0, 1)
        if chw.dtype == np.uint8:
            chw = chw.astype(np.float32) / 255.0
        return Tensor(np.ascontiguousarray(chw))

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    """``(tensor - mean) / std`` per channel of a Tensor image C×H×W."""

    def __init__(self, mean, std, inplace=False):
        self._normalize = _batch.Normalize(mean, std)
        self.mean, self.std, self.inplace = mean, std, inplace

    def __call__(self, tensor):
        from ..tensor import Tensor
        if not isinstance(tensor, Tensor):
            raise TypeError(f"Normalize: expected a Tensor image (C, H, W), got "
                            f"{type(tensor).__name__}; put transforms.ToTensor() before "
                            "Normalize in the Compose")
        a = tensor.data if np.issubdtype(tensor.dtype, np.floating) else None
        if a is None:
            raise TypeError(f"Normalize: expected a float Tensor, got dtype {tensor.dtype}")
        out = self._normalize(a)
        if self.inplace:
            tensor.data[...] = out
            return tensor
        return Tensor(out)

    def __repr__(self):
        return f"Normalize(mean={self.mean}, std={self.std})"


class RandomHorizontalFlip:
    """Mirror the image left-right with probability ``p``."""

    def __init__(self, p=0.5):
        self.p = p
        self._flip = _batch.RandomHorizontalFlip(p)

    def __call__(self, img):
        chw, form = to_chw(img, "RandomHorizontalFlip")
        return from_chw(self._flip(chw), form)

    def __repr__(self):
        return f"RandomHorizontalFlip(p={self.p})"


def _padding(padding, fn):
    """torchvision's padding: one int, (left/right, top/bottom) or (left, top, right, bottom)."""
    if isinstance(padding, numbers.Integral):
        padding = (padding,)
    padding = tuple(int(p) for p in padding)
    if len(padding) == 1:
        padding = padding * 4
    elif len(padding) == 2:
        padding = padding * 2
    if len(padding) != 4 or any(p < 0 for p in padding):
        raise ValueError(f"{fn}: padding must be a non-negative int or a sequence of 2 or 4 "
                         f"ints, got {padding}")
    return padding


def _size(size, fn):
    if isinstance(size, numbers.Integral):
        size = (int(size),)
    size = tuple(int(v) for v in size)
    if len(size) not in (1, 2) or any(v <= 0 for v in size):
        raise ValueError(f"{fn}: size must be a positive int or a pair (h, w) of them, got "
                         f"{size}")
    return size


class Resize:
    """Resize to ``size``: an int matches the *shorter* edge to it and keeps the aspect
    ratio (the longer edge becomes ``int(size · long / short)``, at most ``max_size``);
    a pair (h, w) gives the exact size. ``BILINEAR`` (the default, with
    ``antialias=True`` as in torchvision) or ``NEAREST``."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
                 antialias=True):
        fn = "Resize"
        self.size = _size(size, fn)
        if max_size is not None and (len(self.size) != 1 or max_size <= self.size[0]):
            raise ValueError(f"{fn}: max_size={max_size} needs an int size smaller than it, "
                             f"got size={size}")
        self.interpolation = _interpolation(interpolation, fn)
        self.max_size, self.antialias = max_size, bool(antialias)

    def output_size(self, h, w):
        """(height, width) of the resized image for an input of h × w."""
        if len(self.size) == 2:
            return self.size
        short, long = (h, w) if h <= w else (w, h)
        new_short, new_long = self.size[0], int(self.size[0] * long / short)
        if self.max_size is not None and new_long > self.max_size:
            new_short, new_long = int(self.max_size * new_short / new_long), self.max_size
        return (new_short, new_long) if h <= w else (new_long, new_short)

    def __call__(self, img):
        from ..nn import functional as F
        from ..tensor import Tensor
        chw, form = to_chw(img, "Resize")
        size = self.output_size(*chw.shape[1:])
        if size == tuple(chw.shape[1:]):
            return from_chw(chw, form)
        bilinear = self.interpolation == "bilinear"
        out = F.interpolate(Tensor(chw[None]), size=size,
                            mode="bilinear" if bilinear else "nearest",
                            align_corners=False if bilinear else None,
                            antialias=self.antialias and bilinear)
        return from_chw(out.numpy()[0], form)

    def __repr__(self):
        return f"Resize(size={self.size}, interpolation={self.interpolation})"


class CenterCrop:
    """Crop ``size`` (an int for a square, or (h, w)) out of the middle; an image smaller
    than ``size`` is first padded with zeros all round, as in torchvision."""

    def __init__(self, size):
        size = _size(size, "CenterCrop")
        self.size = size * 2 if len(size) == 1 else size

    def __call__(self, img):
        chw, form = to_chw(img, "CenterCrop")
        (ch, cw), (h, w) = self.size, chw.shape[1:]
        if ch > h or cw > w:
            dh, dw = max(ch - h, 0), max(cw - w, 0)
            chw = np.pad(chw, ((0, 0), (dh // 2, (dh + 1) // 2), (dw // 2, (dw + 1) // 2)))
            h, w = chw.shape[1:]
        top, left = int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0))
        return from_chw(chw[:, top:top + ch, left:left + cw], form)

    def __repr__(self):
        return f"CenterCrop(size={self.size})"


class RandomCrop:
    """Crop ``size`` (an int for a square, or (h, w)) at a random place.

    ``padding`` first pads the borders (one int, (left/right, top/bottom) or (left, top,
    right, bottom)) with ``fill`` (``padding_mode='constant'``) or by ``'edge'``,
    ``'reflect'`` or ``'symmetric'``; ``pad_if_needed=True`` pads an image smaller than
    ``size`` up to it.
    """

    _NUMPY_MODES = {"constant": "constant", "edge": "edge", "reflect": "reflect",
                    "symmetric": "symmetric"}

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0,
                 padding_mode="constant"):
        fn = "RandomCrop"
        self.size = (int(size), int(size)) if isinstance(size, numbers.Integral) else \
            tuple(int(s) for s in size)
        self.padding = None if padding is None else _padding(padding, fn)
        if padding_mode not in self._NUMPY_MODES:
            raise ValueError(f"{fn}: padding_mode must be one of "
                             f"{', '.join(self._NUMPY_MODES)}, got {padding_mode!r}")
        self.pad_if_needed, self.fill, self.padding_mode = pad_if_needed, _fill(fill, fn), \
            padding_mode
        self._crop = _batch.RandomCrop(self.size)

    def _pad(self, chw, left, top, right, bottom):
        width = ((0, 0), (top, bottom), (left, right))
        if self.padding_mode == "constant":
            return np.pad(chw, width, constant_values=self.fill)
        return np.pad(chw, width, mode=self._NUMPY_MODES[self.padding_mode])

    def __call__(self, img):
        chw, form = to_chw(img, "RandomCrop")
        if self.padding is not None:
            chw = self._pad(chw, *self.padding)
        if self.pad_if_needed:
            dh, dw = max(self.size[0] - chw.shape[1], 0), max(self.size[1] - chw.shape[2], 0)
            chw = self._pad(chw, dw, dh, dw, dh)
        if self.size[0] > chw.shape[1] or self.size[1] > chw.shape[2]:
            raise ValueError(f"RandomCrop: required crop size {self.size} is larger than the "
                             f"input image size {chw.shape[1:]}; pass padding= or "
                             "pad_if_needed=True")
        return from_chw(self._crop(chw), form)

    def __repr__(self):
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomAffine:
    """Random rotation, translation, scale and shear, with torchvision's arguments.

    - ``degrees``: the angle is drawn from (-degrees, +degrees) or (min, max); positive
      turns counter-clockwise.
    - ``translate=(a, b)``: shifts drawn from -W·a..W·a and -H·b..H·b pixels.
    - ``scale=(lo, hi)``, ``shear`` (a number, 2 or 4 values, in degrees).
    - ``interpolation``: ``InterpolationMode.NEAREST`` (the default, as in torchvision)
      or ``BILINEAR``; ``fill``: the value of pixels from outside the image.
    ``center`` other than the image centre is not supported.
    """

    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation=InterpolationMode.NEAREST, fill=0, center=None):
        fn = type(self).__name__
        if center is not None:
            raise ValueError(f"{fn}: center= is not supported; the image turns about its "
                             "centre")
        self._affine = _batch.RandomAffine(degrees, translate=translate, scale=scale,
                                           shear=shear, fill=_fill(fill, fn))
        self.degrees = self._affine.degrees
        self.translate, self.scale, self.shear = translate, scale, shear
        self.interpolation = _interpolation(interpolation, fn)
        self.fill = float(fill)

    def __call__(self, img):
        chw, form = to_chw(img, type(self).__name__)
        _, h, w = chw.shape
        forward = self._affine.sample_matrices(1, h, w, _random.get_rng())
        inverse = np.linalg.inv(forward)[:, :2, :]
        out = _batch.warp_affine(chw[None], inverse, fill=self.fill, mode=self.interpolation)
        return from_chw(out[0], form)

    def __repr__(self):
        return (f"{type(self).__name__}(degrees={self.degrees}, translate={self.translate}, "
                f"scale={self.scale}, shear={self.shear}, interpolation={self.interpolation})")


class RandomRotation(RandomAffine):
    """Turn the image by an angle drawn from (-degrees, +degrees) or (min, max).

    ``interpolation`` (``NEAREST`` by default), ``fill`` as in :class:`RandomAffine`;
    ``expand=True`` grows the canvas to hold the whole turned image (its size depends
    on the angle drawn, as in torchvision); otherwise the output keeps the input's size.
    """

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False,
                 center=None, fill=0):
        super().__init__(degrees, interpolation=interpolation, fill=fill, center=center)
        self.expand = bool(expand)

    def __call__(self, img):
        if not self.expand:
            return super().__call__(img)
        chw, form = to_chw(img, "RandomRotation")
        _, h, w = chw.shape
        turn = self._affine.sample_matrices(1, h, w, _random.get_rng())[0, :2, :2]
        # the bounding box of the turned image (less a rounding tolerance, as torchvision)
        cos, sin = abs(turn[0, 0]), abs(turn[0, 1])
        out_w = int(np.ceil(w * cos + h * sin - 1e-4))
        out_h = int(np.ceil(h * cos + w * sin - 1e-4))
        # on a canvas of the output's size, turn about the image's centre and move that
        # centre to the canvas's
        canvas = np.full((chw.shape[0], max(h, out_h), max(w, out_w)), self.fill, chw.dtype)
        canvas[:, :h, :w] = chw
        image_centre = np.array([(w - 1) / 2.0, (h - 1) / 2.0])
        out_centre = np.array([(out_w - 1) / 2.0, (out_h - 1) / 2.0])
        forward = np.eye(3)
        forward[:2, :2] = turn
        forward[:2, 2] = out_centre - turn @ image_centre
        inverse = np.linalg.inv(forward)[:2, :]
        out = _batch.warp_affine(canvas[None], inverse, fill=self.fill,
                                 mode=self.interpolation)[0]
        return from_chw(out[:, :out_h, :out_w], form)

    def __repr__(self):
        return (f"RandomRotation(degrees={self.degrees}, interpolation={self.interpolation}, "
                f"expand={self.expand})")


class Lambda:
    """Apply a user function as a transform: ``Lambda(lambda x: x.repeat(3, 1, 1))``."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Lambda: argument should be callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return "Lambda()"
