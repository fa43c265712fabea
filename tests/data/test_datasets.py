import dataclasses
import gzip
import hashlib
import os

import numpy as np
import pytest

from tinygrad_jp.data import (
    CIFAR10,
    MNIST,
    ChecksumError,
    DatasetNotFoundError,
    FashionMNIST,
    IDXFormatError,
    load_fashion_mnist,
    load_mnist,
    load_sample,
    one_hot,
)
from tinygrad_jp.data import datasets as dsmod
from tinygrad_jp.data._store import Resource

from tgdata_helpers import FILES, make_cifar_archive, make_idx_set, sha, spec_for

DEBIAN = "/usr/share/datasets/fashion-mnist"


# ---- MNIST-style look-up, checks and parsing ------------------------------------------

def test_mnist_from_root(fake_mnist):
    src, arrays, _ = fake_mnist
    ds = MNIST(root=src, train=True)
    assert len(ds) == 30 and ds.data.shape == (30, 1, 28, 28) and ds.data.dtype == np.uint8
    assert ds.targets.dtype == np.int64
    np.testing.assert_array_equal(ds.data[:, 0], arrays["train_images"])
    x, y = ds[3]
    assert x.shape == (1, 28, 28) and x.dtype == np.float32 and 0 <= x.min() <= x.max() <= 1
    assert y == 3
    xb, yb = ds.get_batch(np.array([0, 5, 7]))
    assert xb.shape == (3, 1, 28, 28) and xb.dtype == np.float32
    np.testing.assert_allclose(xb[1], arrays["train_images"][5][None] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(yb, [0, 5, 7])
    test = MNIST(root=src, train=False)
    assert len(test) == 20 and "Test" in repr(test)


def test_lookup_order_root_then_env_then_cache(fake_mnist, tmp_path, monkeypatch):
    src, _, spec = fake_mnist
    env = tmp_path / "env"
    os.makedirs(env / "mnist")
    for f in FILES.values():
        os.link(src / f, env / "mnist" / f)
    monkeypatch.setenv("TINYGRAD_JP_DATA", str(env))
    assert MNIST(root=src).location == str(src)
    assert MNIST().location == str(env / "mnist")
    assert MNIST(root=tmp_path / "nowhere").location == str(env / "mnist")


def test_torchvision_layout_is_found(fake_mnist, tmp_path):
    src, _, _ = fake_mnist
    raw = tmp_path / "tv" / "MNIST" / "raw"
    os.makedirs(raw)
    for f in FILES.values():
        os.link(src / f, raw / f)
    assert MNIST(root=tmp_path / "tv").location == str(raw)


def test_missing_dataset_says_where_and_how(fake_fashion, tmp_path, monkeypatch):
    system, _, _ = fake_fashion
    for f in FILES.values():
        os.remove(system / f)
    monkeypatch.setenv("TINYGRAD_JP_DATA", str(tmp_path / "envdir"))
    with pytest.raises(DatasetNotFoundError) as e:
        FashionMNIST(root=tmp_path / "mine")
    msg = str(e.value)
    for needle in [str(tmp_path / "mine"), str(tmp_path / "envdir"), str(system),
                   "xdg-cache", "dataset-fashion-mnist", "download=True", "TINYGRAD_JP_DATA",
                   "sample=True"]:
        assert needle in msg
    assert isinstance(e.value, RuntimeError)


def test_checksum_mismatch_names_file_and_both_hashes(fake_mnist):
    src, _, spec = fake_mnist
    path = src / FILES["train_labels"]
    good = spec.resources["train_labels"]
    data = bytearray(path.read_bytes())
    data[-3] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ChecksumError) as e:
        MNIST(root=src)
    msg = str(e.value)
    assert str(path) in msg and sha(path) in msg and next(iter(good.sha256)) in msg


def test_partial_file_is_never_used(fake_mnist):
    src, _, _ = fake_mnist
    path = src / FILES["train_images"]
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ChecksumError, match="train-images"):
        MNIST(root=src)


def test_mismatch_recognises_another_datasets_file(tmp_path, monkeypatch):
    folder = tmp_path / "f"
    _, hashes = make_idx_set(folder)
    monkeypatch.setattr(dsmod._store, "_KNOWN", dict(dsmod._store._KNOWN))
    dsmod._store.register(spec_for(dsmod._FASHION, hashes))
    with pytest.raises(ChecksumError, match="The file is FashionMNIST's train-images-idx3-ubyte"
                                            ".gz, not MNIST's"):
        MNIST(root=folder)


def test_download_into_cache_is_verified_and_atomic(fake_mnist, tmp_path):
    src, arrays, spec = fake_mnist  # spec's mirror is the file:// URL of src
    with pytest.raises(DatasetNotFoundError):
        MNIST()  # src is only a mirror, not a place that is looked in
    ds = MNIST(download=True)
    cache = tmp_path / "xdg-cache" / "tinygrad_jp" / "mnist"
    assert ds.location == str(cache)
    assert sorted(os.listdir(cache)) == sorted([FILES["train_images"], FILES["train_labels"]])
    np.testing.assert_array_equal(ds.data[:, 0], arrays["train_images"])
    # A corrupted cached file is refused without download=True, replaced with it.
    bad = cache / FILES["train_images"]
    bad.write_bytes(b"garbage")
    with pytest.raises(ChecksumError):
        MNIST()
    with pytest.warns(UserWarning, match="checksum mismatch"):
        ds = MNIST(download=True)
    np.testing.assert_array_equal(ds.data[:, 0], arrays["train_images"])
    assert not [f for f in os.listdir(cache) if ".part" in f]


def test_download_rejects_a_mirror_with_wrong_bytes(fake_mnist, tmp_path, monkeypatch):
    src, _, spec = fake_mnist
    evil = tmp_path / "evil"
    make_idx_set(evil, seed=99)
    monkeypatch.setattr(dsmod.MNIST, "_spec", dataclasses.replace(
        spec, mirrors=(evil.as_uri() + "/",)))
    with pytest.raises(DatasetNotFoundError, match="SHA-256") as e:
        MNIST(root=tmp_path / "target", download=True)
    assert evil.as_uri() in str(e.value) and "TINYGRAD_JP_DATA" in str(e.value)
    target = tmp_path / "target" / "mnist"
    assert not os.path.exists(target / FILES["train_images"])
    assert not [f for f in os.listdir(target) if ".part" in f]


def test_wrong_kind_of_idx_file_is_a_clear_error(tmp_path, monkeypatch):
    folder = tmp_path / "d"
    _, hashes = make_idx_set(folder)
    # a label file under the images' name: its hash is accepted, the parser refuses it
    os.replace(folder / FILES["test_labels"], folder / FILES["train_images"])
    hashes["train_images"] = hashes["test_labels"]
    monkeypatch.setattr(dsmod.MNIST, "_spec", spec_for(dsmod._MNIST, hashes))
    with pytest.raises(IDXFormatError, match="expected a 3-d"):
        MNIST(root=folder)


def test_recompressed_copy_is_recognised_by_its_content(tmp_path, monkeypatch):
    # Debian recompressed Fashion-MNIST: same content, other .gz bytes, other file hash.
    folder = tmp_path / "r"
    arrays, hashes = make_idx_set(folder)
    resources = {}
    for k, f in FILES.items():
        raw = gzip.open(folder / f).read()
        (folder / f).write_bytes(gzip.compress(raw, compresslevel=1, mtime=12345))
        resources[k] = Resource(f, {hashes[k]: "official"},
                                payload_sha256=hashlib.sha256(raw).hexdigest())
    monkeypatch.setattr(dsmod.FashionMNIST, "_spec", dataclasses.replace(
        dsmod._FASHION, resources=resources, system_dirs=()))
    np.testing.assert_array_equal(FashionMNIST(root=folder, train=False).data[:, 0],
                                  arrays["test_images"])
    raw = bytearray(gzip.open(folder / FILES["test_labels"]).read())
    raw[-1] ^= 1
    (folder / FILES["test_labels"]).write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(ChecksumError, match="t10k-labels"):
        FashionMNIST(root=folder, train=False)


def test_fashion_from_system_dir(fake_fashion):
    system, arrays, _ = fake_fashion
    ds = FashionMNIST(train=False)
    assert ds.location == str(system) and len(ds) == 20
    assert ds.classes[9] == "Ankle boot"


# ---- the curriculum's load_mnist ------------------------------------------------------

def test_load_mnist_shapes_and_dtypes(fake_mnist, monkeypatch):
    src, arrays, _ = fake_mnist
    monkeypatch.setenv("TINYGRAD_JP_DATA", str(src))
    (x, t), (xt, tt) = load_mnist()
    assert x.shape == (30, 784) and x.dtype == np.float32 and x.max() <= 1.0
    assert t.shape == (30,) and t.dtype == np.int64 and xt.shape == (20, 784)
    (x, t), _ = load_mnist(normalize=False, flatten=False, one_hot_label=True)
    assert x.shape == (30, 1, 28, 28) and x.dtype == np.uint8
    np.testing.assert_array_equal(x[:, 0], arrays["train_images"])
    assert t.shape == (30, 10) and t.dtype == np.float32
    np.testing.assert_array_equal(t.argmax(1), arrays["train_labels"])


def test_one_hot():
    np.testing.assert_array_equal(one_hot(np.array([2, 0]), 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError, match="labels must lie"):
        one_hot(np.array([3]), 3)
    with pytest.raises(TypeError, match="integer"):
        one_hot(np.array([0.5]), 3)


# ---- the embedded sample --------------------------------------------------------------

def test_embedded_sample_is_stratified():
    train, test = FashionMNIST(sample=True), FashionMNIST(sample=True, train=False)
    assert train.data.shape == (10000, 1, 28, 28) and test.data.shape == (2000, 1, 28, 28)
    np.testing.assert_array_equal(np.bincount(train.targets), [1000] * 10)
    np.testing.assert_array_equal(np.bincount(test.targets), [200] * 10)
    assert train.data.dtype == np.uint8 and train.data.max() > 200


def test_load_sample_matches_load_fashion_mnist_shapes():
    (x, t), (xt, tt) = load_sample(flatten=False)
    assert x.shape == (10000, 1, 28, 28) and x.dtype == np.float32 and 0 <= x.min()
    assert xt.shape == (2000, 1, 28, 28) and tt.dtype == np.int64
    (_, t2), _ = load_fashion_mnist(sample=True, one_hot_label=True)
    assert t2.shape == (10000, 10)


def test_sample_files_are_checked(monkeypatch):
    bad = dataclasses.replace(dsmod._SAMPLE, resources={
        k: dataclasses.replace(r, sha256={"0" * 64: "x"}) for k, r in
        dsmod._SAMPLE.resources.items()})
    monkeypatch.setattr(dsmod, "_SAMPLE", bad)
    with pytest.raises(ChecksumError, match="Reinstall"):
        FashionMNIST(sample=True, train=False)


def test_sample_with_root_is_an_error():
    with pytest.raises(ValueError, match="sample=True"):
        FashionMNIST(root="/tmp", sample=True)


@pytest.mark.skipif(not os.path.isdir(DEBIAN), reason="Debian dataset-fashion-mnist not installed")
def test_debian_fashion_mnist_test_split():
    ds = FashionMNIST(train=False)
    assert ds.location == DEBIAN
    assert ds.data.shape == (10000, 1, 28, 28)
    np.testing.assert_array_equal(np.bincount(ds.targets), [1000] * 10)


# ---- CIFAR-10, binary version ---------------------------------------------------------

@pytest.fixture
def small_cifar(monkeypatch):
    monkeypatch.setattr(dsmod, "_CIFAR_RECORDS", 4)


def _accept(monkeypatch, archive):
    res = dataclasses.replace(dsmod._CIFAR.resources["archive"], sha256={sha(archive): "test"})
    monkeypatch.setattr(dsmod, "_CIFAR", dataclasses.replace(dsmod._CIFAR,
                                                             resources={"archive": res}))


def test_cifar_from_archive(tmp_path, monkeypatch, small_cifar):
    archive, _, arrays = make_cifar_archive(str(tmp_path / "root" / "cifar-10-binary.tar.gz"))
    _accept(monkeypatch, archive)
    train = CIFAR10(root=tmp_path / "root")
    assert train.data.shape == (20, 3, 32, 32) and train.targets.dtype == np.int64
    np.testing.assert_array_equal(train.data[:4], arrays["data_batch_1.bin:x"])
    np.testing.assert_array_equal(train.data[-4:], arrays["data_batch_5.bin:x"])
    test = CIFAR10(root=tmp_path / "root", train=False)
    np.testing.assert_array_equal(test.targets, arrays["test_batch.bin:y"])
    x, _ = test.get_batch(np.arange(2))
    assert x.shape == (2, 3, 32, 32) and x.dtype == np.float32
    assert not os.path.exists(tmp_path / "root" / "cifar-10-batches-bin")  # nothing extracted


def test_cifar_archive_checksum(tmp_path, small_cifar):
    archive, _, _ = make_cifar_archive(str(tmp_path / "cifar-10-binary.tar.gz"))
    with pytest.raises(ChecksumError, match="c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9dd"):
        CIFAR10(root=tmp_path)


def test_cifar_extracted_folder_and_truncation(tmp_path, small_cifar):
    _, members, arrays = make_cifar_archive(str(tmp_path / "a" / "unused.tar.gz"))
    folder = tmp_path / "root" / "cifar-10-batches-bin"
    os.makedirs(folder)
    for name, data in members.items():
        (folder / name).write_bytes(data)
    test = CIFAR10(root=tmp_path / "root", train=False)
    np.testing.assert_array_equal(test.data, arrays["test_batch.bin:x"])
    (folder / "test_batch.bin").write_bytes(members["test_batch.bin"][:-1])
    with pytest.raises(RuntimeError, match="truncated"):
        CIFAR10(root=tmp_path / "root", train=False)


def test_cifar_missing(tmp_path):
    with pytest.raises(DatasetNotFoundError) as e:
        CIFAR10(root=tmp_path)
    assert "cifar-10-binary.tar.gz" in str(e.value) and "download=True" in str(e.value)
