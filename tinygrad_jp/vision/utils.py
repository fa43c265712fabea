"""torchvision's ``utils``: a batch of images as one grid picture, and saved as a file.

``from torchvision.utils import make_grid, save_image`` becomes ``from
tinygrad_jp.vision.utils import make_grid, save_image`` (the GAN's sample sheets, the
augmentation previews).
"""
import io
import math

import numpy as np

from .._io import atomic_write_bytes
from ..devices import to_device

__all__ = ["make_grid", "save_image"]


def _images(tensor, fn):
    """A float (B, C, H, W) host array of the images, from a Tensor, an array or a list."""
    from ..tensor import Tensor
    if isinstance(tensor, (list, tuple)):
        return np.concatenate([_images(t, fn) for t in tensor])
    a = to_device(tensor.data, "cpu") if isinstance(tensor, Tensor) else np.asarray(tensor)
    if a.ndim == 2:
        a = a[None]
    if a.ndim == 3:
        a = a[None] if a.shape[0] in (1, 3) else a[:, None]
    if a.ndim != 4:
        raise ValueError(f"{fn}: expected images (B, C, H, W), (C, H, W) or (H, W), got "
                         f"shape {a.shape}")
    return a.astype(np.float32, copy=False)


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None,
              scale_each=False, pad_value=0.0):
    """The images of a batch (B, C, H, W) side by side, ``nrow`` to a row, with
    ``padding`` pixels of ``pad_value`` between them: a Tensor (3, H', W') (one-channel
    images are repeated into three, as torchvision does).

    ``normalize=True`` shifts and scales the values into [0, 1], using ``value_range``
    (min, max) when given, else the batch's own (or each image's, ``scale_each=True``).
    """
    from ..tensor import Tensor
    fn = "make_grid"
    images = _images(tensor, fn).copy()
    if int(nrow) < 1 or int(padding) < 0:
        raise ValueError(f"{fn}: nrow must be ≥ 1 and padding ≥ 0, got nrow={nrow}, "
                         f"padding={padding}")
    if normalize:
        groups = images if scale_each else images[None]
        for group in groups:
            lo, hi = value_range if value_range is not None else (group.min(), group.max())
            np.clip(group, lo, hi, out=group)
            group -= lo
            group /= max(hi - lo, 1e-5)
    if images.shape[1] == 1:
        images = np.repeat(images, 3, axis=1)
    b, c, h, w = images.shape
    if b == 1:
        return Tensor(images[0])
    cols = min(int(nrow), b)
    rows = math.ceil(b / cols)
    step_h, step_w = h + padding, w + padding
    grid = np.full((c, rows * step_h + padding, cols * step_w + padding), pad_value,
                   np.float32)
    for k in range(b):      # one slice copy per image: a grid holds tens of them
        r, q = divmod(k, cols)
        grid[:, r * step_h + padding:r * step_h + padding + h,
             q * step_w + padding:q * step_w + padding + w] = images[k]
    return Tensor(grid)


def save_image(tensor, fp, format=None, **grid_kwargs):  # noqa: A002 (torchvision's name)
    """Write images (a batch goes through :func:`make_grid` with ``grid_kwargs``) to the
    file ``fp`` as PNG, JPEG, ... (by its suffix, or ``format``). Values are taken in
    [0, 1] and rounded to 8 bits; the file is written atomically."""
    from PIL import Image
    grid = make_grid(tensor, **grid_kwargs).numpy()
    pixels = np.clip(grid * 255 + 0.5, 0, 255).astype(np.uint8).transpose(1, 2, 0)
    buffer = io.BytesIO()
    image = Image.fromarray(pixels)
    if hasattr(fp, "write"):
        image.save(fp, format=format or "PNG")
        return
    image.save(buffer, format=format or Image.registered_extensions().get(
        str(fp)[str(fp).rfind("."):].lower(), "PNG"))
    atomic_write_bytes(fp, buffer.getvalue())
