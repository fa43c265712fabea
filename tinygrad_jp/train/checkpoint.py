"""Training checkpoints: a directory of safetensors files plus a JSON sidecar, no pickle.

A checkpoint directory holds

* ``model.safetensors``: the model's ``state_dict()`` (parameters and buffers), written
  by :func:`tinygrad_jp.save`; it also loads with ``model.load(path)`` or, in PyTorch,
  with ``safetensors.torch.load_file``;
* ``optimizer.safetensors``: the optimizer's ``state_dict()``
  (:mod:`tinygrad_jp.optim.serialization`: arrays as tensors, the rest as JSON);
* ``arrays.safetensors`` (only when needed): arrays kept by callbacks, e.g. the best
  weights of ``EarlyStopping(restore_best_weights=True)``;
* ``trainer.json``: everything else as JSON: completed epochs and batches, the
  scheduler's state, the :class:`History`, the random generators' states, callback
  states, class names, and the SHA-256 of each file above.

Every file is written atomically (a temporary file, then ``os.replace``) and
``trainer.json`` is written last, so a directory without it is an unfinished save.
:func:`save_checkpoint` builds the directory under a temporary name and renames it into
place; :class:`~tinygrad_jp.train.ModelCheckpoint` never overwrites a checkpoint at all:
it writes a new directory and then moves the ``latest`` pointer file, so an interrupted
save always leaves the previous checkpoint complete and in use.
"""
import datetime
import os
import re
import shutil
import tempfile
from collections import OrderedDict

import numpy as np

from .. import random as _random
from ..tensor import Tensor
from ._io import (atomic_write_json, atomic_write_text, load_json, sha256_file,
                  to_jsonable)
from .history import History

__all__ = ["CheckpointError", "Checkpoint", "save_checkpoint", "load_checkpoint",
           "find_checkpoint", "FORMAT"]

FORMAT = "tinygrad_jp.train.checkpoint/1"
STATE_FILE = "trainer.json"
MODEL_FILE = "model.safetensors"
OPTIMIZER_FILE = "optimizer.safetensors"
ARRAYS_FILE = "arrays.safetensors"
LATEST_FILE = "latest"
_NAME = re.compile(r"^ckpt-epoch(\d+)(?:-batch(\d+))?$")


class CheckpointError(RuntimeError):
    """A checkpoint is missing, unfinished, corrupted, or does not fit the model /
    optimizer / scheduler it is restored into. The message names the file and what to
    do."""


# ---------------------------------------------------------------------- arrays in JSON
def split_arrays(obj, prefix, arrays):
    """``obj`` with every ndarray / Tensor replaced by ``{"__array__": key}``; the arrays
    go into ``arrays[key]`` (keys start with ``prefix``). Used for callback states."""
    if isinstance(obj, Tensor):
        obj = obj.data
    if isinstance(obj, np.ndarray):
        key = f"{prefix}.{len(arrays)}"
        arrays[key] = np.ascontiguousarray(obj)
        return {"__array__": key}
    if isinstance(obj, dict):
        return {str(k): split_arrays(v, prefix, arrays) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [split_arrays(v, prefix, arrays) for v in obj]
    return to_jsonable(obj)


def join_arrays(obj, arrays, where="checkpoint"):
    """Inverse of :func:`split_arrays`."""
    if isinstance(obj, dict):
        if set(obj) == {"__array__"}:
            key = obj["__array__"]
            if key not in arrays:
                raise CheckpointError(f"{where}: the array {key!r} named in {STATE_FILE} is "
                                      f"missing from {ARRAYS_FILE}")
            return np.array(arrays[key])
        return {k: join_arrays(v, arrays, where) for k, v in obj.items()}
    if isinstance(obj, list):
        return [join_arrays(v, arrays, where) for v in obj]
    return obj


# ---------------------------------------------------------------------- saving
def _class_name(obj):
    return None if obj is None else type(obj).__name__


def _write_dir(directory, model, optimizer, scheduler, epoch, batch, history, rng_state,
               state, arrays):
    from .. import serialization
    from ..optim import serialization as optim_serialization

    files = {}
    model_state = model.state_dict()
    serialization.save(model_state, os.path.join(directory, MODEL_FILE),
                       metadata={"tinygrad_jp.checkpoint": FORMAT,
                                 "model_class": _class_name(model)})
    files[MODEL_FILE] = None
    if optimizer is not None:
        optim_serialization.save_file(optimizer.state_dict(),
                                      os.path.join(directory, OPTIMIZER_FILE))
        files[OPTIMIZER_FILE] = None
    if arrays:
        serialization.save(arrays, os.path.join(directory, ARRAYS_FILE))
        files[ARRAYS_FILE] = None
    for name in files:
        p = os.path.join(directory, name)
        files[name] = {"sha256": sha256_file(p), "bytes": os.path.getsize(p)}

    from .. import __version__
    payload = {
        "format": FORMAT,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "tinygrad_jp_version": __version__,
        "epoch": int(epoch),
        "batch": int(batch),
        "model_class": _class_name(model),
        "optimizer_class": _class_name(optimizer),
        "scheduler_class": _class_name(scheduler),
        "scheduler": None if scheduler is None else to_jsonable(scheduler.state_dict()),
        "history": None if history is None else history.state_dict(),
        "rng": to_jsonable(_random.get_rng_state() if rng_state is None else rng_state),
        "trainer": to_jsonable(state or {}),
        "files": files,
    }
    # Written last: its presence marks the directory as a complete checkpoint.
    atomic_write_json(os.path.join(directory, STATE_FILE), payload)
    return payload


def save_checkpoint(path, model, optimizer=None, scheduler=None, *, epoch=0, batch=0,
                    history=None, rng_state=None, state=None, arrays=None):
    """Write a checkpoint directory at ``path`` (replacing an existing checkpoint there).

    ``epoch``: completed epochs; ``batch``: batches completed in the epoch after them
    (0 at an epoch boundary). ``rng_state`` defaults to the global generator's state
    (:func:`tinygrad_jp.random.get_rng_state`); ``state`` is an extra JSON-serialisable
    dict; ``arrays`` extra NumPy arrays (name → array). The directory is assembled under
    a temporary name and renamed into place, so ``path`` never holds half a checkpoint.
    Returns ``path``.
    """
    path = os.path.abspath(os.fspath(path))
    parent = os.path.dirname(path)
    if not os.path.isdir(parent):
        raise FileNotFoundError(f"save_checkpoint: directory {parent!r} does not exist")
    if os.path.exists(path) and not os.path.isdir(path):
        raise FileExistsError(f"save_checkpoint: {path!r} exists and is not a directory")
    tmp = tempfile.mkdtemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                           dir=parent)
    try:
        _write_dir(tmp, model, optimizer, scheduler, epoch, batch, history, rng_state,
                   state, arrays)
        os.chmod(tmp, 0o777 & ~_umask())
        if os.path.isdir(path):
            if os.listdir(path) and not os.path.exists(os.path.join(path, STATE_FILE)) \
                    and not os.path.exists(os.path.join(path, MODEL_FILE)):
                raise FileExistsError(f"save_checkpoint: {path!r} is a non-empty directory "
                                      "that is not a checkpoint; refusing to replace it")
            old = tempfile.mkdtemp(prefix="." + os.path.basename(path) + ".", suffix=".old",
                                   dir=parent)
            os.rmdir(old)
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return path


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_latest(root, name):
    """Point ``root/latest`` at checkpoint ``name`` (atomically)."""
    atomic_write_text(os.path.join(root, LATEST_FILE), name + "\n")


def checkpoint_key(name):
    """Sort key ``(epoch, batch)`` of a ModelCheckpoint directory name, or None."""
    m = _NAME.match(name)
    if not m:
        return None
    return int(m.group(1)), int(m.group(2) or 0)


def list_checkpoints(root):
    """Names of the complete ModelCheckpoint directories in ``root``, oldest first."""
    if not os.path.isdir(root):
        return []
    found = []
    for name in os.listdir(root):
        key = checkpoint_key(name)
        if key is not None and os.path.isfile(os.path.join(root, name, STATE_FILE)):
            found.append((key, name))
    return [name for _, name in sorted(found)]


# ---------------------------------------------------------------------- loading
def find_checkpoint(path):
    """The checkpoint directory that ``path`` means: ``path`` itself if it holds a
    ``trainer.json``; else the one its ``latest`` file names; else its newest complete
    ``ckpt-*`` directory. Raises ``FileNotFoundError`` / :class:`CheckpointError` with
    what was found."""
    path = os.path.abspath(os.fspath(path))
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"resume: no checkpoint at {path!r} (the path does not exist). Pass the "
            "directory given to ModelCheckpoint(dirpath) or one of its ckpt-* "
            "subdirectories")
    if os.path.isfile(path):
        if os.path.basename(path) == STATE_FILE:
            return os.path.dirname(path)
        raise CheckpointError(
            f"resume: {path!r} is a file; a training checkpoint is a directory (with "
            f"{STATE_FILE}, {MODEL_FILE}, ...). To load weights only, use "
            "model.load(path)")
    if os.path.isfile(os.path.join(path, STATE_FILE)):
        return path
    latest = os.path.join(path, LATEST_FILE)
    complete = list_checkpoints(path)
    if os.path.isfile(latest):
        with open(latest, encoding="utf-8") as f:
            name = f.read().strip()
        target = os.path.join(path, name)
        if name and os.path.isfile(os.path.join(target, STATE_FILE)):
            return target
        others = [n for n in complete if n != name]
        hint = (f" The complete checkpoint(s) {others} are still there: resume from "
                f"{os.path.join(path, others[-1])!r}." if others else "")
        raise CheckpointError(f"resume: {latest!r} points at {name!r}, which is missing or "
                              f"unfinished (no {STATE_FILE}).{hint}")
    if complete:
        return os.path.join(path, complete[-1])
    if os.path.exists(os.path.join(path, MODEL_FILE)):
        raise CheckpointError(
            f"resume: {path!r} is an unfinished checkpoint: it has {MODEL_FILE} but no "
            f"{STATE_FILE} (the save was interrupted). Use an older checkpoint")
    contents = sorted(os.listdir(path))
    raise CheckpointError(
        f"resume: {path!r} holds no checkpoint: no {STATE_FILE}, no {LATEST_FILE!r} "
        f"pointer and no complete ckpt-* directory (contents: {contents[:10]}"
        f"{' ...' if len(contents) > 10 else ''})")


class Checkpoint:
    """A loaded checkpoint (see :func:`load_checkpoint`).

    Attributes: ``path`` (the directory), ``epoch`` (completed epochs), ``batch``
    (batches completed in the epoch after them; 0 at an epoch boundary),
    ``model_state`` (name → Tensor), ``optimizer_state`` (an optimizer state dict or
    None), ``scheduler_state``, ``history`` (a :class:`History` or None), ``rng_state``,
    ``trainer_state`` (the trainer's JSON dict), ``arrays`` (extra arrays),
    ``model_class`` / ``optimizer_class`` / ``scheduler_class`` (names).
    """

    def __init__(self, path, meta, model_state, optimizer_state, arrays):
        self.path = path
        self.meta = meta
        self.epoch = int(meta["epoch"])
        self.batch = int(meta.get("batch", 0))
        self.model_state = model_state
        self.optimizer_state = optimizer_state
        self.scheduler_state = meta.get("scheduler")
        self.history = None
        if meta.get("history") is not None:
            self.history = History()
            self.history.load_state_dict(meta["history"])
        self.rng_state = meta.get("rng")
        self.trainer_state = meta.get("trainer") or {}
        self.arrays = arrays
        self.model_class = meta.get("model_class")
        self.optimizer_class = meta.get("optimizer_class")
        self.scheduler_class = meta.get("scheduler_class")

    def __repr__(self):
        where = f"epoch={self.epoch}" + (f", batch={self.batch}" if self.batch else "")
        return f"Checkpoint({self.path!r}, {where}, model={self.model_class})"

    def restore(self, model, optimizer=None, scheduler=None, rng=True):
        """Load the saved state into ``model`` (and ``optimizer``, ``scheduler``, the
        global random generator when ``rng``).

        The model's ``load_state_dict`` checks every name and shape before it copies
        anything; then the optimizer and scheduler are checked (and the model put back
        if they do not fit). A mismatch raises :class:`CheckpointError` listing every
        mismatched name at once.
        """
        backup = OrderedDict((k, (v.data if isinstance(v, Tensor) else v).copy())
                             for k, v in model.state_dict().items())
        try:
            model.load_state_dict(self.model_state)
        except RuntimeError as e:
            saved_from = (f" (saved from a {self.model_class})"
                          if self.model_class and self.model_class != type(model).__name__
                          else "")
            raise CheckpointError(
                f"resume: the checkpoint {self.path}{saved_from} does not fit this "
                f"{type(model).__name__}; build the same model as the run that saved "
                f"it.\n{e}") from None
        try:
            if optimizer is not None:
                self._check_optimizer(optimizer)
            if scheduler is not None and self.scheduler_state is not None \
                    and self.scheduler_class != type(scheduler).__name__:
                raise CheckpointError(
                    f"resume: {self.path} was saved with the scheduler "
                    f"{self.scheduler_class}, but a {type(scheduler).__name__} was passed")
        except BaseException:
            model.load_state_dict(backup)
            raise
        if optimizer is not None and self.optimizer_state is not None:
            optimizer.load_state_dict(self.optimizer_state)
        if scheduler is not None and self.scheduler_state is not None:
            scheduler.load_state_dict(dict(self.scheduler_state))
        if rng and self.rng_state is not None:
            _random.set_rng_state(self.rng_state)

    def _check_optimizer(self, optimizer):
        if self.optimizer_state is None:
            return
        if self.optimizer_class and self.optimizer_class != type(optimizer).__name__:
            raise CheckpointError(
                f"resume: {self.path} was saved with the optimizer {self.optimizer_class}, "
                f"but a {type(optimizer).__name__} was passed; use the same optimizer (its "
                "moment estimates cannot be converted)")
        groups = optimizer.param_groups
        saved = self.optimizer_state["param_groups"]
        if len(groups) != len(saved) or any(len(g["params"]) != len(s["params"])
                                            for g, s in zip(groups, saved, strict=True)):
            raise CheckpointError(
                f"resume: the optimizer state in {self.path} has parameter groups of sizes "
                f"{[len(s['params']) for s in saved]}, this optimizer has "
                f"{[len(g['params']) for g in groups]}")


def load_checkpoint(path):
    """Read and verify a checkpoint; returns a :class:`Checkpoint`.

    ``path`` may be a checkpoint directory or the ``dirpath`` of a ``ModelCheckpoint``
    (its latest checkpoint is used). Missing files, an unfinished save, invalid JSON or
    a SHA-256 mismatch raise :class:`CheckpointError` naming the file.
    """
    from .. import serialization
    from ..optim import serialization as optim_serialization

    directory = find_checkpoint(path)
    state_path = os.path.join(directory, STATE_FILE)
    with open(state_path, "rb") as f:
        meta = load_json(f.read(), state_path, op="resume", error=CheckpointError)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        got = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise CheckpointError(f"resume: {state_path} is not a tinygrad_jp training "
                              f"checkpoint (format {got!r}, expected {FORMAT!r})")
    for key in ("epoch", "files"):
        if key not in meta:
            raise CheckpointError(f"resume: {state_path} is corrupted: no {key!r} entry")
    for name, info in meta["files"].items():
        p = os.path.join(directory, name)
        if not os.path.isfile(p):
            raise CheckpointError(f"resume: the checkpoint {directory} is incomplete: "
                                  f"{name} is missing")
        digest = sha256_file(p)
        if digest != info.get("sha256"):
            raise CheckpointError(
                f"resume: {p} is corrupted: its SHA-256 is {digest}, but {STATE_FILE} "
                f"recorded {info.get('sha256')} when it was saved")
    try:
        model_state = serialization.load(os.path.join(directory, MODEL_FILE))
        optimizer_state = None
        if OPTIMIZER_FILE in meta["files"]:
            optimizer_state = optim_serialization.load_file(
                os.path.join(directory, OPTIMIZER_FILE))
        arrays = {}
        if ARRAYS_FILE in meta["files"]:
            arrays = OrderedDict((k, v.data) for k, v in
                                 serialization.load(os.path.join(directory,
                                                                 ARRAYS_FILE)).items())
    except (OSError, ValueError, RuntimeError) as e:
        raise CheckpointError(f"resume: could not read the checkpoint {directory}: {e}") \
            from None
    return Checkpoint(directory, meta, model_state, optimizer_state, arrays)
