"""Helpers for the data tests: small data-set files in the real formats, made here."""
import dataclasses
import gzip
import hashlib
import io
import os
import tarfile

import numpy as np

from tinygrad_jp.data import datasets as dsmod
from tinygrad_jp.data._store import Resource
from tinygrad_jp.data.idx import write_idx

FILES = dsmod._IDX_FILES


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()

def make_idx_set(folder, n_train=30, n_test=20, seed=0):
    """Write the four MNIST-style .gz files; return (arrays, {key: sha256})."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    arrays = {
        "train_images": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train_labels": (np.arange(n_train) % 10).astype(np.uint8),
        "test_images": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "test_labels": (np.arange(n_test)[::-1] % 10).astype(np.uint8),
    }
    hashes = {}
    for key, arr in arrays.items():
        path = write_idx(os.path.join(folder, FILES[key]), arr)
        hashes[key] = sha(path)
    return arrays, hashes


def spec_for(base, hashes, **changes):
    resources = {k: Resource(FILES[k], {hashes[k]: "test copy"}) for k in FILES}
    return dataclasses.replace(base, resources=resources, **changes)


def cifar_batch_bytes(n, seed):
    rng = np.random.default_rng(seed)
    labels = (np.arange(n) % 10).astype(np.uint8)
    images = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
    rec = np.concatenate([labels[:, None], images.reshape(n, -1)], axis=1)
    return rec.tobytes(), images, labels


def make_cifar_archive(path, n=4):
    """A cifar-10-binary.tar.gz with n records per batch file; returns (archive, arrays)."""
    members, arrays = {}, {}
    for i, name in enumerate([f"data_batch_{k}.bin" for k in range(1, 6)] + ["test_batch.bin"]):
        members[name], arrays[name + ":x"], arrays[name + ":y"] = cifar_batch_bytes(n, i)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path, members, arrays


def gz_bytes(data):
    return gzip.compress(data, mtime=0)
