"""Small file helpers shared by the training package: atomic writes, the guarded JSON
reader and hashes."""
import hashlib
import json
import math


from .._io import atomic_write_bytes, atomic_write_text, load_json, to_jsonable

__all__ = ["atomic_write_bytes", "atomic_write_text", "atomic_write_json", "load_json",
           "sha256_file", "to_jsonable"]


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
