"""One image in the three forms a torchvision-style transform meets, and back.

PIL images (what the data sets return), NumPy arrays H×W or H×W×C (channels last, as
``np.asarray(pil_image)`` gives them) and Tensors C×H×W (after ``ToTensor``). The
transforms of :mod:`tinygrad_jp.data.transforms` work on float C×H×W arrays, so each
torchvision-style transform turns its input into one, applies the batch transform to
that single image, and gives the result back in the input's own form and dtype.
"""
import numpy as np

__all__ = ["is_pil", "to_chw", "from_chw"]


def is_pil(img):
    """True for a PIL image (recognised without importing PIL)."""
    return hasattr(img, "getbands") and hasattr(img, "mode") and hasattr(img, "size")


def _is_tensor(img):
    return hasattr(img, "grad_fn") and isinstance(getattr(img, "data", None), np.ndarray)


def to_chw(img, fn):
    """``(float C×H×W array, form)``; ``form`` tells :func:`from_chw` what to give back."""
    if is_pil(img):
        a = np.asarray(img)
        form = ("pil", img.mode, a.dtype, a.ndim)
        chw = a[None] if a.ndim == 2 else a.transpose(2, 0, 1)
    elif _is_tensor(img):
        a = img.data
        if a.ndim not in (2, 3):
            raise ValueError(f"{fn}: expected a Tensor image (C, H, W) or (H, W), got shape "
                             f"{tuple(a.shape)}; per-sample transforms take one image")
        form = ("tensor", None, a.dtype, a.ndim)
        chw = a[None] if a.ndim == 2 else a
    elif isinstance(img, np.ndarray):
        if img.ndim not in (2, 3):
            raise ValueError(f"{fn}: expected an image array (H, W) or (H, W, C), got shape "
                             f"{img.shape}")
        form = ("ndarray", None, img.dtype, img.ndim)
        chw = img[None] if img.ndim == 2 else img.transpose(2, 0, 1)
    else:
        raise TypeError(f"{fn}: expected a PIL image, a NumPy array (H, W[, C]) or a Tensor "
                        f"(C, H, W), got {type(img).__name__}")
    if not np.issubdtype(chw.dtype, np.floating):
        chw = chw.astype(np.float32)
    return chw, form


def from_chw(chw, form):
    """The C×H×W array ``chw`` in the form (and dtype) :func:`to_chw` recorded."""
    kind, mode, dtype, ndim = form
    if np.issubdtype(dtype, np.integer) or dtype == np.bool_:
        info = np.iinfo(dtype) if dtype != np.bool_ else None
        lo, hi = (0, 1) if info is None else (info.min, info.max)
        chw = np.clip(np.rint(chw), lo, hi)
    chw = chw.astype(dtype, copy=False)
    if kind == "tensor":
        from ..tensor import Tensor
        return Tensor(np.ascontiguousarray(chw[0] if ndim == 2 else chw))
    hwc = np.ascontiguousarray(chw[0] if ndim == 2 else chw.transpose(1, 2, 0))
    if kind == "ndarray":
        return hwc
    from PIL import Image
    out = Image.fromarray(hwc)
    return out if out.mode == mode else out.convert(mode)
