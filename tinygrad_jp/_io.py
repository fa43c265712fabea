"""File helpers shared by every part that saves or reads something (weights, optimizer
state, checkpoints, histories, data files, rendered graphs): atomic writes, so nothing
is ever left half-written, and one guarded JSON reader, so a hostile file gets a clear
error naming it."""
import contextlib
import json
import os
import tempfile

import numpy as np

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_text", "json_depth",
           "load_json", "to_jsonable"]


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


def load_json(text, path, *, op, what="it", max_depth=None, error=RuntimeError):
    """Parse the JSON document ``text`` (str, or UTF-8 bytes) read from the file ``path``.

    A file that is not UTF-8, not JSON, or nests deeper than Python's JSON decoder can
    follow (it recurses once per level, so 100,000 ``[`` raise a bare RecursionError)
    raises ``error`` saying "``op``: ``path`` is corrupted: ``what`` ...". ``max_depth``
    bounds the nesting further, for formats whose depth is known (a safetensors header
    nests three levels). Every reader of a JSON file or header goes through here.
    """
    where = f"{op}: {path} is corrupted: {what}"
    try:
        value = json.loads(text.decode("utf-8") if isinstance(text, bytes) else text)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise error(f"{where} is not valid JSON ({e})") from None
    except RecursionError:
        bound = "" if max_depth is None else f" (at most {max_depth} levels are expected)"
        raise error(f"{where} nests deeper than the JSON decoder can follow{bound}") \
            from None
    if max_depth is not None:
        depth = json_depth(value)
        if depth > max_depth:
            raise error(f"{where} nests {depth} levels deep; at most {max_depth} are "
                        "expected")
    return value


def json_depth(value):
    """How many levels of lists and dicts nest in ``value`` (a loop, not recursion, so
    any depth the decoder produced can be measured)."""
    depth, stack = 0, [(value, 1)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            value = value.values()
        elif not isinstance(value, list):
            continue
        depth = max(depth, level)
        stack.extend((child, level + 1) for child in value)
    return depth
