"""Optimizer state dicts to and from safetensors + JSON (checkpoints without pickle).

An optimizer's ``state_dict()`` is ``{'state': {i: {name: ndarray | number}},
'param_groups': [{hyper-parameters..., 'params': [i, ...]}]}``. It splits into

* ``arrays``: ``{'state.<i>.<name>': ndarray}``, every array of the state, and
* ``meta``: a JSON-serialisable dict with the rest (``param_groups`` and the scalar
  state such as ``step``),

which :func:`save_file` writes as one safetensors file (the JSON goes into the file's
string metadata), atomically (a temporary file, then ``os.replace``)::

    from tinygrad_jp.optim import serialization
    serialization.save_file(opt.state_dict(), "ckpt/optimizer.safetensors")
    opt.load_state_dict(serialization.load_file("ckpt/optimizer.safetensors"))

A trainer that writes its own checkpoint format can use
:func:`flatten_state_dict` / :func:`unflatten_state_dict` and store the two parts
wherever it likes; a scheduler's ``state_dict()`` is already plain JSON.
"""
import json
import math
import os

import numpy as np

from .._io import atomic_write_bytes, load_json, to_jsonable
from ..devices import CPU, is_device_array, to_device
from ..tensor import Tensor

__all__ = ["flatten_state_dict", "unflatten_state_dict", "save_file", "load_file"]

FORMAT = "tinygrad_jp.optim.state_dict/1"
_META_KEY = "tinygrad_jp.optim"


def _jsonable(value, where):
    try:
        return to_jsonable(value)
    except TypeError:
        raise TypeError(f"flatten_state_dict: {where} has a value of type "
                        f"{type(value).__name__} that cannot be stored as JSON") from None


def flatten_state_dict(state_dict):
    """Split an optimizer state dict into ``(arrays, meta)``.

    ``arrays`` maps ``'state.<param index>.<name>'`` to contiguous ndarrays; ``meta``
    is JSON-serialisable (``json.dumps(meta)`` works) and holds everything else.
    """
    arrays = {}
    scalars = {}
    for index, entries in state_dict["state"].items():
        kept = {}
        for name, value in entries.items():
            if isinstance(value, Tensor):
                value = value.data
            if is_device_array(value):
                value = to_device(value, CPU)      # GPU state saves to the same file
            if isinstance(value, np.ndarray):
                if "." in str(name):
                    raise ValueError(f"flatten_state_dict: state name {name!r} contains '.'")
                arrays[f"state.{int(index)}.{name}"] = np.ascontiguousarray(value)
            else:
                kept[str(name)] = _jsonable(value, f"state[{index}][{name!r}]")
        scalars[str(int(index))] = kept
    meta = {"format": FORMAT, "state": scalars,
            "param_groups": _jsonable(state_dict["param_groups"], "param_groups")}
    return arrays, meta


def unflatten_state_dict(arrays, meta):
    """Rebuild the state dict that :func:`flatten_state_dict` split (integer keys again)."""
    if meta.get("format") != FORMAT:
        raise ValueError(f"unflatten_state_dict: unknown format {meta.get('format')!r} "
                         f"(expected {FORMAT!r})")
    state = {int(k): dict(v) for k, v in meta["state"].items()}
    for key, array in arrays.items():
        prefix, index, name = key.split(".", 2)
        if prefix != "state":
            raise ValueError(f"unflatten_state_dict: unexpected array key {key!r}")
        state.setdefault(int(index), {})[name] = np.asarray(array)
    return {"state": state, "param_groups": [dict(g) for g in meta["param_groups"]]}


def _dumps(meta):
    # JSON has no infinities; PyTorch-style group values are finite, but be explicit.
    def check(v):
        if isinstance(v, float) and not math.isfinite(v):
            raise ValueError(f"save_file: cannot store the non-finite value {v} as JSON")
        if isinstance(v, list):
            for x in v:
                check(x)
        if isinstance(v, dict):
            for x in v.values():
                check(x)
    check(meta)
    return json.dumps(meta)


def save_file(state_dict, path):
    """Write an optimizer state dict to ``path`` as safetensors (atomically)."""
    from safetensors.numpy import save

    arrays, meta = flatten_state_dict(state_dict)
    blob = save(arrays, metadata={_META_KEY: _dumps(meta)})
    atomic_write_bytes(path, blob)


def load_file(path):
    """Read a state dict written by :func:`save_file`."""
    from safetensors import safe_open

    arrays = {}
    with safe_open(os.fspath(path), framework="numpy") as f:
        metadata = f.metadata() or {}
        for key in f.keys():
            arrays[key] = f.get_tensor(key)
    if _META_KEY not in metadata:
        raise ValueError(f"load_file: {path} is not an optimizer state file (no "
                         f"{_META_KEY!r} metadata)")
    meta = load_json(metadata[_META_KEY], path, op="load_file",
                     what="its optimizer-state metadata")
    return unflatten_state_dict(arrays, meta)
