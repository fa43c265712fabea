"""Collating: a list of samples becomes one batch, as ``torch.utils.data.default_collate``.

The work is split in two so that worker processes send plain NumPy arrays back to the
main process (cheap to pickle, no graph): :func:`collate_arrays` stacks samples into
arrays, and :func:`to_tensors` wraps the arrays into Tensors at the very end.
"""
import collections.abc
import numbers

import numpy as np

__all__ = ["default_collate", "collate_arrays", "to_tensors", "from_tensors"]


def _is_tensor(x):
    # data sits below the autograd core, so Tensors are recognised by duck typing:
    # a Tensor is the only sample type with both a grad_fn and an ndarray .data
    return hasattr(x, "grad_fn") and isinstance(getattr(x, "data", None), np.ndarray)


def collate_arrays(samples):
    """Stack ``samples`` (a list) into NumPy arrays, keeping their structure.

    Arrays and Tensors are stacked along a new first axis; Python ints become an int64
    array, floats a float64 array, bools a bool array (as in PyTorch); tuples and lists
    are collated field by field, dicts key by key, namedtuples keep their type; strings
    and anything else are returned as a list.
    """
    first = samples[0]
    if _is_tensor(first) or isinstance(first, (np.ndarray, np.generic)):
        arrays = [s.data if _is_tensor(s) else np.asarray(s) for s in samples]
        shapes = {a.shape for a in arrays}
        if len(shapes) != 1:
            raise RuntimeError(f"default_collate: samples of different shapes cannot be "
                               f"stacked into a batch: {sorted(shapes)}; resize them to one "
                               "shape in the dataset's transform, or pass a collate_fn")
        return np.stack(arrays)
    if isinstance(first, bool):
        return np.array(samples, dtype=np.bool_)
    if isinstance(first, numbers.Integral):
        return np.array(samples, dtype=np.int64)
    if isinstance(first, numbers.Real):
        return np.array(samples, dtype=np.float64)
    if isinstance(first, (str, bytes)):
        return list(samples)
    if isinstance(first, collections.abc.Mapping):
        return {k: collate_arrays([s[k] for s in samples]) for k in first}
    if isinstance(first, tuple) and hasattr(first, "_fields"):      # a namedtuple
        return type(first)(*(collate_arrays(list(f)) for f in zip(*samples, strict=True)))
    if isinstance(first, (tuple, list)):
        widths = {len(s) for s in samples}
        if len(widths) != 1:
            raise RuntimeError(f"default_collate: each sample in the batch should have the "
                               f"same number of fields, got {sorted(widths)}")
        fields = [collate_arrays(list(f)) for f in zip(*samples, strict=True)]
        return tuple(fields) if isinstance(first, tuple) else fields
    return list(samples)


def _map_leaves(obj, fn, is_leaf):
    if is_leaf(obj):
        return fn(obj)
    if isinstance(obj, dict):
        return {k: _map_leaves(v, fn, is_leaf) for k, v in obj.items()}
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(_map_leaves(v, fn, is_leaf) for v in obj))
    if isinstance(obj, (tuple, list)):
        return type(obj)(_map_leaves(v, fn, is_leaf) for v in obj)
    return obj


def to_tensors(batch):
    """Wrap every NumPy array in ``batch`` (any nesting of tuples, lists, dicts) as a Tensor."""
    # Imported here: data sits below the autograd core in the layering and only needs
    # Tensor at the very end, to hand batches over.
    from ..tensor import Tensor
    return _map_leaves(batch, lambda a: Tensor(np.ascontiguousarray(a)),
                       lambda o: isinstance(o, np.ndarray))


class _TensorPayload:
    """A Tensor's array on its way from a worker process: rewrapped in the main process."""
    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array


def from_tensors(batch):
    """Replace the Tensors in ``batch`` by payloads that pickle as bare arrays."""
    return _map_leaves(batch, lambda t: _TensorPayload(t.data), _is_tensor)


def restore_tensors(batch):
    """Undo :func:`from_tensors` in the main process."""
    from ..tensor import Tensor
    return _map_leaves(batch, lambda p: Tensor(p.array),
                       lambda o: isinstance(o, _TensorPayload))


def default_collate(batch):
    """Collate a list of samples into a batch of Tensors, as PyTorch's ``default_collate``.

    ``[(x0, y0), (x1, y1), ...]`` becomes ``(X, Y)`` with ``X`` the stacked ``x``'s and
    ``Y`` the labels as an int64 Tensor; see :func:`collate_arrays` for every rule.
    """
    return to_tensors(collate_arrays(batch))
