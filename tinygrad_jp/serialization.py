"""Weights on disk: ``tg.save(state_dict, path)`` / ``tg.load(path)`` in the safetensors
format, through the ``safetensors`` package's NumPy API.

* Never pickle: a safetensors file is a JSON header plus raw tensor bytes, so loading a
  file cannot run code.
* Atomic: the file is written to a temporary file in the same directory, flushed to
  disk, then renamed over the target (``os.replace``); an interrupted save leaves the
  old file intact.
* Portable: the keys are PyTorch's (``features.0.weight``), so a file saved here loads
  into the same PyTorch model with ``safetensors.torch.load_file`` +
  ``load_state_dict``, and a file saved there with ``safetensors.torch.save_file`` loads
  here.
* Checked: files written here carry a CRC-32 of the tensor bytes in the header, so
  corruption is detected on load; truncated or malformed files raise a
  ``RuntimeError`` naming the file.
"""
import os
import struct
import warnings
import zlib
from collections import OrderedDict

import numpy as np

from ._io import atomic_path, load_json
from .devices import CPU, device, to_device

from .tensor import Tensor

__all__ = ["save", "load", "load_metadata"]

_CRC_KEY = "tinygrad_jp.crc32"
_SUPPORTED = frozenset("biuf")


def _crc32(arrays):
    crc = 0
    for name in sorted(arrays):
        crc = zlib.crc32(name.encode(), crc)
        a = arrays[name]
        crc = zlib.crc32((a if a.flags.c_contiguous else a.copy()).reshape(-1).view(np.uint8), crc)
    return f"{crc:08x}"


def _array_of(name, value):
    if isinstance(value, Tensor):
        array = to_device(value.data, CPU)   # a CUDA tensor saves to the same file
    elif isinstance(value, np.ndarray):
        array = value
    elif hasattr(value, "detach") and hasattr(value, "numpy"):  # a CPU torch.Tensor
        array = value.detach().numpy()
    else:
        raise TypeError(f"save: the value of {name!r} is a {type(value).__name__}; save "
                        "stores a flat dict of tensors (a state_dict). Keep other values "
                        "(epoch, lr) in the metadata dict of strings, or use a training "
                        "checkpoint")
    if array.dtype.kind not in _SUPPORTED:
        raise TypeError(f"save: tensor {name!r} has dtype {array.dtype}, which safetensors "
                        "cannot store")
    # not np.ascontiguousarray: it turns 0-d arrays (num_batches_tracked) into 1-d
    return array if array.flags.c_contiguous else array.copy(order="C")


def _is_module(obj):
    """An ``nn.Module`` (or anything shaped like one), not a mapping or an optimizer."""
    return callable(getattr(obj, "state_dict", None)) and hasattr(obj, "named_modules")


def save(obj, path, metadata=None):
    """Save a state dict to ``path`` as safetensors (atomically).

    ``obj``: a mapping of names to Tensors / NumPy arrays (``model.state_dict()``).
    Given an ``nn.Module`` itself (``torch.save(model, path)`` in PyTorch, which pickles
    the whole object), its ``state_dict()`` is saved and a ``UserWarning`` says so and
    how to load it: ``model.load_state_dict(tg.load(path))`` into a model built by the
    same code. ``metadata``: an optional dict of strings stored in the header (e.g.
    ``{"epoch": "3"}``); read it back with :func:`load_metadata`.
    """
    # A module is known by what it does (a state_dict and named_modules), not by its
    # class: weights on disk are a floor below nn, so this file never imports nn.
    module = obj if _is_module(obj) else None
    if module is not None:
        obj = module.state_dict()
    if not hasattr(obj, "items"):
        raise TypeError(f"save: expected a state dict (a mapping of names to tensors, "
                        f"model.state_dict()), got {type(obj).__name__}")
    arrays = OrderedDict()
    for name, value in obj.items():
        if not isinstance(name, str):
            raise TypeError(f"save: keys must be strings, got {name!r}")
        arrays[name] = _array_of(name, value)
    header = {}
    if metadata is not None:
        if not hasattr(metadata, "items"):
            raise TypeError(f"save: metadata must be a dict of strings, got "
                            f"{type(metadata).__name__}")
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError(f"save: metadata must map strings to strings, got "
                                f"{k!r}: {v!r} (convert values with str())")
            if k == _CRC_KEY:
                raise ValueError(f"save: the metadata key {_CRC_KEY!r} is reserved")
        header.update(metadata)
    header[_CRC_KEY] = _crc32(arrays)

    from safetensors.numpy import save_file
    with atomic_path(path) as tmp:
        save_file(dict(arrays), tmp, metadata=header)
    if module is not None:
        # Warn (once the weights are safely on disk) rather than raise: this call often
        # ends a long training run, and an error would lose what it trained.
        warnings.warn(f"save: a {type(module).__name__} was given, so only its weights "
                      "(its state_dict) were saved: tinygrad_jp never pickles a whole "
                      "model. Build the model with the same code and load them with "
                      f"model.load_state_dict(tg.load({os.fspath(path)!r})); save "
                      "model.state_dict() to silence this warning",
                      UserWarning, stacklevel=2)


# The safetensors crate's own bound (MAX_HEADER_SIZE); real headers are a few kilobytes.
_MAX_HEADER_BYTES = 100_000_000
# {"name": {"shape": [2, 3], ...}}: the format nests three levels, no more.
_MAX_HEADER_DEPTH = 3


def _read_header(path):
    """Validate the file's framing and return its JSON header (a dict)."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(8)
        if len(head) < 8:
            raise RuntimeError(f"load: {path} is not a safetensors file: it has only {size} "
                               "bytes (truncated or empty?)")
        (n,) = struct.unpack("<Q", head)
        if n > size - 8:
            _reject_impossible_header(path, head, n, size)
        if n > _MAX_HEADER_BYTES:
            raise RuntimeError(f"load: {path} is corrupted: its header claims {n} bytes, "
                               f"more than the {_MAX_HEADER_BYTES} that safetensors allows")
        raw = f.read(n)
    header = _parse_header(path, raw)
    if not isinstance(header, dict):
        raise RuntimeError(f"load: {path} is corrupted: its header is not a JSON object")
    end = 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            end = max(end, int(info["data_offsets"][1]))
        except (TypeError, KeyError, IndexError, ValueError):
            raise RuntimeError(f"load: {path} is corrupted: bad header entry for "
                               f"{name!r}") from None
    if 8 + n + end > size:
        raise RuntimeError(f"load: {path} is truncated: the tensors need {8 + n + end} bytes "
                           f"but the file has {size} (was the save interrupted?)")
    return header


def _reject_impossible_header(path, head, n, size):
    """The first 8 bytes claim a header longer than the file: say what the file is."""
    # Only here may the first bytes be taken for another format's: a header length
    # of 128 modulo 256 (1 in 32 valid files) also starts with 0x80, like a pickle.
    if head[:2] == b"PK" or head[:1] == b"\x80":
        raise RuntimeError(f"load: {path} looks like a torch.save / pickle checkpoint, "
                           "which tinygrad_jp never unpickles; in PyTorch convert it with "
                           "safetensors.torch.save_file(model.state_dict(), "
                           "'weights.safetensors')")
    raise RuntimeError(f"load: {path} is truncated or corrupted: its header claims "
                       f"{n} bytes but the file has {size} bytes in all")


def _parse_header(path, raw):
    """The header's JSON, checked to nest no deeper than the format does."""
    return load_json(raw, path, op="load", what="its header", max_depth=_MAX_HEADER_DEPTH)


def load_metadata(path):
    """The metadata dict of strings stored by ``save(..., metadata=...)``."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load_metadata: no such file: {path!r}")
    meta = dict(_read_header(path).get("__metadata__") or {})
    meta.pop(_CRC_KEY, None)
    return meta


def load(path, with_metadata=False, map_location=None, weights_only=True):
    """Load a safetensors file into an ordered dict of Tensors (name → Tensor).

    Feed it to ``model.load_state_dict(...)`` (or use ``model.load(path)``, which also
    checks dtypes); ``load_state_dict`` puts each value on its parameter's own device.
    ``map_location`` puts every tensor on a device first (``'cpu'``, ``'cuda'``,
    ``tg.device(...)``), as in PyTorch; ``weights_only`` is accepted for PyTorch's
    scripts and is always true here (a safetensors file holds only tensors: nothing is
    unpickled). With ``with_metadata=True`` returns ``(state_dict, metadata)``.
    Truncated, corrupted (checksum mismatch) or non-safetensors files raise a
    ``RuntimeError`` naming the file.
    """
    if weights_only is False:
        raise ValueError("load: weights_only=False would unpickle arbitrary objects; "
                         "tinygrad_jp files hold tensors only, so leave it True")
    if map_location is not None and not isinstance(map_location, (str, device)):
        raise TypeError("load: map_location must be a device such as 'cpu' or 'cuda', got "
                        f"{type(map_location).__name__}")
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no such file: {path!r}")
    header = _read_header(path)
    from safetensors.numpy import load_file
    try:
        arrays = load_file(path)
    except Exception as e:  # safetensors raises its own SafetensorError
        raise RuntimeError(f"load: {path} is not a valid safetensors file (truncated or "
                           f"corrupted?): {e}") from None
    meta = dict(header.get("__metadata__") or {})
    crc = meta.pop(_CRC_KEY, None)
    if crc is not None and _crc32(arrays) != crc:
        raise RuntimeError(f"load: {path} is corrupted: the tensor bytes do not match the "
                           "checksum written at save time")
    order = sorted(arrays, key=lambda k: header[k]["data_offsets"][0])
    state = OrderedDict()
    for name in order:
        array = arrays[name]
        if not array.flags.writeable:
            array = array.copy()
        if map_location is not None:
            array = to_device(array, map_location)
        state[name] = Tensor._wrap(array)
    return (state, meta) if with_metadata else state
