"""Small file helpers shared by the training package: atomic writes and hashes."""
import hashlib
import json
import math
import os
import tempfile

import numpy as np

__all__ = ["atomic_write_bytes", "atomic_write_text", "atomic_write_json", "sha256_file",
           "to_jsonable"]


def atomic_write_bytes(path, data):
    """Write ``data`` to ``path`` through a temporary file in the same directory, flushed
    to disk and renamed over the target, so a reader sees the old file or the new one,
    never half of one."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                               dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


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


def atomic_write_json(path, obj):
    """Write ``obj`` as JSON, atomically: one top-level key per line, values compact
    (long per-iteration lists stay one line each). Non-finite floats are written as
    Python's ``NaN`` / ``Infinity`` tokens (a diverged loss must still be recordable)."""
    obj = to_jsonable(obj)
    if isinstance(obj, dict) and obj:
        text = "{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}"
                                   for k, v in obj.items()) + "\n}\n"
    else:
        text = json.dumps(obj) + "\n"
    atomic_write_text(path, text)


def sha256_file(path):
    """Hex SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def is_finite(x):
    """``math.isfinite`` that accepts anything float() accepts."""
    return math.isfinite(float(x))
