"""The verified-data cache: a file verified once in a process is not hashed again,
unless it may have changed since."""
import hashlib
import os

from tinygrad_jp.data import _store

GOOD = b"the real data " * 64
EVIL = b"other data!!! " * 64          # the same size


def _spec(path):
    res = _store.Resource(os.path.basename(path), {hashlib.sha256(GOOD).hexdigest(): "test"})
    return _store.Spec("Test", "test", {"f": res}), res


def _count_hashes(monkeypatch):
    calls = []
    real = _store.sha256_file

    def counting(path):
        calls.append(path)
        return real(path)
    monkeypatch.setattr(_store, "sha256_file", counting)
    return calls


def test_rewrite_in_place_with_size_and_mtime_kept_is_verified_again(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(GOOD)
    spec, res = _spec(path)
    assert _store.verify(spec, res, str(path)) is None
    st = os.stat(path)
    with open(path, "r+b") as f:       # same inode, same size ...
        f.write(EVIL)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))    # ... and the old mtime
    assert os.stat(path).st_mtime_ns == st.st_mtime_ns
    message = _store.verify(spec, res, str(path))
    assert message is not None and "checksum mismatch" in message


def test_file_replaced_by_a_same_size_copy_is_verified_again(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(GOOD)
    spec, res = _spec(path)
    assert _store.verify(spec, res, str(path)) is None
    st = os.stat(path)
    other = tmp_path / "other.bin"
    other.write_bytes(EVIL)
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(other, path)            # a new inode under the old name
    assert _store.verify(spec, res, str(path)) is not None


def test_an_unchanged_file_is_hashed_once(tmp_path, monkeypatch):
    path = tmp_path / "data.bin"
    path.write_bytes(GOOD)
    spec, res = _spec(path)
    # The file was just written, so its ctime is too close to the hashing to trust
    # a cached result; let the cache trust anything changed before the hash began.
    monkeypatch.setattr(_store, "_RACY_NS", 0)
    calls = _count_hashes(monkeypatch)
    for _ in range(3):
        assert _store.verify(spec, res, str(path)) is None
    assert len(calls) == 1


def test_a_file_changed_just_before_it_was_hashed_is_hashed_again(tmp_path, monkeypatch):
    path = tmp_path / "data.bin"
    path.write_bytes(GOOD)
    spec, res = _spec(path)
    calls = _count_hashes(monkeypatch)
    for _ in range(2):
        assert _store.verify(spec, res, str(path)) is None
    assert len(calls) == 2
