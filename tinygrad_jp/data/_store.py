"""Finding, verifying and downloading data-set files.

Every file the library reads is checked against hard-coded SHA-256 values before use.
A file that does not match is never parsed: the caller gets a :class:`ChecksumError`
naming the file and both hashes (or, with ``download=True``, a fresh copy).
"""
import dataclasses
import gzip
import hashlib
import os
import time
import urllib.request
import warnings
import zlib

__all__ = ["DatasetError", "DatasetNotFoundError", "ChecksumError", "Resource", "Spec",
           "cache_dir", "sha256_file", "locate", "ENV_VAR"]

ENV_VAR = "TINYGRAD_JP_DATA"
_CHUNK = 1 << 20


class DatasetError(RuntimeError):
    """Base class of the data-set errors (a ``RuntimeError``, as in torchvision)."""


class DatasetNotFoundError(DatasetError):
    """No copy of the data set was found, and downloading was not allowed (or failed)."""


class ChecksumError(DatasetError):
    """A file's SHA-256 is not one of the known values for that file."""


@dataclasses.dataclass(frozen=True)
class Resource:
    """One file of a data set.

    ``sha256`` maps each accepted SHA-256 of the file as stored to where that copy
    comes from (the official file first). ``payload_sha256``, when known, is the
    SHA-256 of the decompressed content, so that a copy that was merely recompressed
    (by a distribution, say) is still recognised as the same data.
    """
    filename: str
    sha256: dict
    size: int | None = None
    payload_sha256: str | None = None


@dataclasses.dataclass(frozen=True)
class Spec:
    """Where a data set's files live and how to get them."""
    name: str            # shown in messages, e.g. "FashionMNIST"
    folder: str          # sub-folder of a root / the cache, e.g. "fashion-mnist"
    resources: dict      # key -> Resource
    mirrors: tuple = ()  # base URLs, tried in order
    subfolders: tuple = ()     # other layouts to look for under a root (torchvision's)
    system_dirs: tuple = ()    # read-only copies installed by the OS
    system_package: str | None = None
    sample_hint: str | None = None


def cache_dir():
    """The download cache: ``$XDG_CACHE_HOME/tinygrad_jp`` or ``~/.cache/tinygrad_jp``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tinygrad_jp")


def sha256_file(path):
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


def _payload_sha256(path):
    h = hashlib.sha256()
    try:
        with gzip.open(path, "rb") as f:
            for chunk in iter(lambda: f.read(_CHUNK), b""):
                h.update(chunk)
    except (OSError, EOFError, zlib.error):
        return None
    return h.hexdigest()


# Every known file hash -> "DataSet file", so that a mismatch can say what the file is.
_KNOWN = {}
# A file's identity -> (Resource, when its hash began) for files verified in this process.
_VERIFIED = {}
# A file changed within one tick of the file system's clock after it was hashed keeps
# the ctime it had; so, like git's "racy clean" rule, a verification is only trusted for
# a file whose ctime is older than the hashing by this much (coarse clocks tick in 1-2 s).
_RACY_NS = 2_000_000_000


def register(spec):
    """Record a spec's hashes so that mismatch messages can recognise its files."""
    for res in spec.resources.values():
        for digest in res.sha256:
            _KNOWN.setdefault(digest, f"{spec.name}'s {res.filename}")
    return spec


def verify(spec, res, path):
    """Check ``path`` against ``res``; return ``None`` if good, else an error message."""
    st = os.stat(path)
    key = _identity(path, st)
    if _still_verified(key, st, res):
        return None
    started = time.time_ns()
    digest = sha256_file(path)
    ok = digest in res.sha256
    if not ok and res.payload_sha256 is not None and path.endswith(".gz"):
        ok = _payload_sha256(path) == res.payload_sha256
    if ok:
        _VERIFIED[key] = (res, started)
        return None
    expected = ", ".join(f"{d} ({src})" for d, src in res.sha256.items())
    what = _KNOWN.get(digest)
    hint = (f" The file is {what}, not {spec.name}'s." if what is not None
            else " The file is partial, corrupt or a different file.")
    size = f" ({st.st_size} bytes" + (f", expected {res.size})" if res.size else ")")
    return (f"{spec.name}: checksum mismatch for {path}{size}: its SHA-256 is {digest}, "
            f"expected {expected}.{hint}")


def _identity(path, st):
    """What a rewrite cannot keep: a new file has a new inode, and writing into a file
    (or setting its mtime back) updates its ctime, which no user call can set."""
    return (os.path.realpath(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns,
            st.st_ctime_ns)


def _still_verified(key, st, res):
    entry = _VERIFIED.get(key)
    if entry is None or entry[0] != res:
        return False
    return st.st_ctime_ns < entry[1] - _RACY_NS


def _candidate_dirs(spec, root):
    out = []
    for label, base in (("root argument", root), (f"${ENV_VAR}", os.environ.get(ENV_VAR))):
        if base:
            base = os.path.expanduser(os.fspath(base))
            out.append((label, base))
            out.append((label, os.path.join(base, spec.folder)))
            out.extend((label, os.path.join(base, s)) for s in spec.subfolders)
    out.extend(("system package", d) for d in spec.system_dirs)
    out.append(("download cache", os.path.join(cache_dir(), spec.folder)))
    seen, uniq = set(), []
    for label, d in out:
        if d not in seen:
            seen.add(d)
            uniq.append((label, d))
    return uniq


def locate(spec, keys, root=None, download=False):
    """Paths of the files ``keys`` of ``spec``, all from one folder, all verified.

    Folders are tried in the documented order (``root``, ``$TINYGRAD_JP_DATA``, the
    OS package's folder, the download cache); the first that has every file wins.
    A mismatching file raises :class:`ChecksumError` unless ``download`` is true, in
    which case a fresh copy is fetched. Nothing found and no download: a
    :class:`DatasetNotFoundError` that lists where it looked and how to get the data.
    """
    resources = [spec.resources[k] for k in keys]
    looked, bad = [], []
    for label, d in _candidate_dirs(spec, root):
        paths = [os.path.join(d, r.filename) for r in resources]
        present = [os.path.isfile(p) for p in paths]
        if not all(present):
            missing = [r.filename for r, p in zip(resources, present, strict=True) if not p]
            looked.append(f"  - {d} ({label}): missing {', '.join(missing)}")
            continue
        errors = [e for r, p in zip(resources, paths, strict=True)
                  if (e := verify(spec, r, p)) is not None]
        if not errors:
            return dict(zip(keys, paths, strict=True))
        if not download:
            raise ChecksumError("\n".join(errors) + "\nDelete or replace the file, or pass "
                                "download=True to fetch a verified copy.")
        for e in errors:
            warnings.warn(e + " Ignoring it and downloading a fresh copy.", stacklevel=3)
        bad.extend(errors)
        looked.append(f"  - {d} ({label}): checksum mismatch")
    if download:
        target = os.path.join(os.path.expanduser(os.fspath(root)) if root else cache_dir(),
                              spec.folder)
        try:
            paths = [download_file(spec, r, target) for r in resources]
        except DatasetNotFoundError as e:
            # Offline or a bad mirror: say so, and still list the other ways in.
            raise DatasetNotFoundError(f"{e}\n{_not_found_message(spec, looked)}") from None
        return dict(zip(keys, paths, strict=True))
    raise DatasetNotFoundError(_not_found_message(spec, looked))


def _not_found_message(spec, looked):
    lines = [f"{spec.name}: data set not found. Looked in:", *looked, "How to get it:"]
    target = os.path.join(cache_dir(), spec.folder)
    if spec.mirrors:
        lines.append(f"  - pass download=True to download the official files into {target} "
                     "(SHA-256 checked), or into <root>/" + spec.folder + " when root= is given")
    if spec.system_package:
        lines.append(f"  - on Debian/Ubuntu: sudo apt-get install {spec.system_package} "
                     f"(installs {', '.join(spec.system_dirs)})")
    files = ", ".join(r.filename for r in spec.resources.values())
    lines.append(f"  - or put the files ({files}) in a folder and pass root=that folder or set "
                 f"the environment variable {ENV_VAR} to it")
    if spec.sample_hint:
        lines.append(f"  - or use {spec.sample_hint}")
    return "\n".join(lines)


def download_file(spec, res, target_dir):
    """Download ``res`` into ``target_dir`` from the first mirror that gives a good copy.

    The bytes go to a temporary file in ``target_dir`` that is renamed over the final
    name only after its SHA-256 matched, so an interrupted or corrupt download never
    leaves a file that a later run would use.
    """
    os.makedirs(target_dir, exist_ok=True)
    final = os.path.join(target_dir, res.filename)
    if os.path.isfile(final) and verify(spec, res, final) is None:
        return final
    if not spec.mirrors:
        raise DatasetNotFoundError(f"{spec.name}: {res.filename} cannot be downloaded "
                                   "(no mirror known)")
    failures = []
    for base in spec.mirrors:
        url = base.rstrip("/") + "/" + res.filename
        tmp = f"{final}.part-{os.getpid()}"
        try:
            h = hashlib.sha256()
            with urllib.request.urlopen(url, timeout=60) as resp, open(tmp, "wb") as out:
                for chunk in iter(lambda: resp.read(_CHUNK), b""):
                    h.update(chunk)
                    out.write(chunk)
            digest = h.hexdigest()
            if digest not in res.sha256:
                expected = ", ".join(res.sha256)
                failures.append(f"  - {url}: SHA-256 {digest}, expected {expected}")
                continue
            os.replace(tmp, final)
            return final
        except (OSError, ValueError) as e:  # URLError is an OSError
            failures.append(f"  - {url}: {e}")
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    raise DatasetNotFoundError(f"{spec.name}: could not download a verified copy of "
                               f"{res.filename}:\n" + "\n".join(failures))

