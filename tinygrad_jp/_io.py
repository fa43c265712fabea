"""Atomic file writes, shared by every part that saves something (weights, optimizer
state, checkpoints, data files, rendered graphs): nothing is ever left half-written."""
import contextlib
import os
import tempfile

import numpy as np

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text", "to_jsonable"]


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path`` to write to. When the block succeeds the
    file is flushed to disk, given the usual permissions and renamed over ``path``, so
    a reader sees the old file or the new one, never half of one; when it fails (or is
    interrupted) the temporary file is removed and ``path`` is untouched."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot write {path!r}: directory {directory!r} does not "
                                "exist")
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=directory)
    os.close(fd)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        umask = os.umask(0)     # mkstemp makes files private (0600); undo that
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path, data):
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)


def atomic_write_text(path, text):
    """:func:`atomic_write_bytes` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


def to_jsonable(value):
    """``value`` with NumPy scalars, tuples and small arrays turned into JSON types."""
    if isinstance(value, (bool, int, str, type(None))):
        return value
    if isinstance(value, float):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    raise TypeError(f"cannot store a value of type {type(value).__name__} as JSON: {value!r}")
