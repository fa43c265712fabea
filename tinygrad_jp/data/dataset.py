"""``Dataset`` and ``TensorDataset``, as in ``torch.utils.data``.

Besides PyTorch's per-sample protocol (``__getitem__`` / ``__len__``) a dataset may
implement the *batch protocol*: a method ``get_batch(indices)`` that takes an integer
index array and returns the whole batch as a tuple of NumPy arrays in one vectorised
gather. :class:`~tinygrad_jp.data.DataLoader` uses it when present, so array-backed
datasets never pay a Python loop per sample.
"""
import numpy as np

__all__ = ["Dataset", "TensorDataset"]


class Dataset:
    """Abstract map-style dataset: subclasses implement ``__getitem__`` and ``__len__``.

    Override ``get_batch(indices)`` as well when the samples live in arrays, so that
    the loader can gather a batch with one fancy-indexing operation.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")


def _to_numpy(a, where):
    # Tensors expose their array as .data; anything else goes through np.asarray.
    data = getattr(a, "data", None)
    if isinstance(data, np.ndarray):
        return data
    if isinstance(a, np.ndarray):
        return a
    try:
        return np.asarray(a)
    except Exception as e:  # noqa: BLE001 - re-raised with context
        raise TypeError(f"{where}: cannot convert {type(a).__name__} to a NumPy array") from e


class TensorDataset(Dataset):
    """Wraps arrays (or Tensors) that share their first dimension.

    ``ds[i]`` is the tuple ``(a[i] for a in arrays)``; ``ds.get_batch(idx)`` gathers
    a whole batch with one fancy index per array. Inputs keep their dtypes.
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset: needs at least one array")
        arrs = tuple(_to_numpy(a, "TensorDataset") for a in arrays)
        for a in arrs:
            if a.ndim == 0:
                raise ValueError("TensorDataset: arrays must have a first (sample) dimension, "
                                 "got a 0-d array")
        sizes = [a.shape[0] for a in arrs]
        if len(set(sizes)) != 1:
            shapes = ", ".join(str(a.shape) for a in arrs)
            raise ValueError(f"TensorDataset: size mismatch between arrays: shapes {shapes} "
                             "must share their first dimension")
        self.arrays = arrs

    def __len__(self):
        return self.arrays[0].shape[0]

    def __getitem__(self, index):
        return tuple(a[index] for a in self.arrays)

    def get_batch(self, indices):
        """The samples at ``indices`` (an int array), one gather per array."""
        return tuple(a[indices] for a in self.arrays)
