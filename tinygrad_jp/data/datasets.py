"""MNIST, Fashion-MNIST and CIFAR-10 in their original file formats, plus the
curriculum's ``load_mnist`` helpers and the embedded Fashion-MNIST sample.

Images come out as ``float32`` arrays of shape N×C×H×W with values in [0, 1],
labels as ``int64``. Files are found in this order: the ``root`` argument, the
``TINYGRAD_JP_DATA`` environment variable, (Fashion-MNIST only) the Debian package
``dataset-fashion-mnist`` in ``/usr/share/datasets/fashion-mnist``, the download cache
``~/.cache/tinygrad_jp``; with ``download=True`` a missing or bad file is fetched from
the official mirrors. Every file is checked against its known SHA-256 before use.
"""
import os
import tarfile

import numpy as np

from . import _store
from ._store import ChecksumError, DatasetError, DatasetNotFoundError, Resource, Spec
from .dataset import Dataset
from .idx import IDXFormatError, read_idx

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "load_mnist", "load_fashion_mnist",
           "load_sample", "one_hot", "SAMPLE_DIR", "DatasetError", "DatasetNotFoundError",
           "ChecksumError", "IDXFormatError"]

SAMPLE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sample")

_IDX_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}

# SHA-256 and sizes of the official files as published by the CVDF / torchvision
# mirrors of yann.lecun.com (identical files; MD5s as in torchvision).
_MNIST = _store.register(Spec(
    name="MNIST",
    folder="mnist",
    subfolders=("MNIST/raw",),
    mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/",
             "https://storage.googleapis.com/cvdf-datasets/mnist/",
             "http://yann.lecun.com/exdb/mnist/"),
    resources={
        "train_images": Resource(_IDX_FILES["train_images"], {
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609": "official"},
            size=9912422),
        "train_labels": Resource(_IDX_FILES["train_labels"], {
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c": "official"},
            size=28881),
        "test_images": Resource(_IDX_FILES["test_images"], {
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6": "official"},
            size=1648877),
        "test_labels": Resource(_IDX_FILES["test_labels"], {
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6": "official"},
            size=4542),
    },
))

# Debian's dataset-fashion-mnist (0.0~git20200523) ships the same images recompressed,
# so its .gz files hash differently from Zalando's; both are accepted, and so is any
# other recompression of the same content (payload_sha256 of the decompressed IDX).
_DEBIAN_FASHION = "Debian dataset-fashion-mnist 0.0~git20200523.55506a9-1"
_FASHION = _store.register(Spec(
    name="FashionMNIST",
    folder="fashion-mnist",
    subfolders=("FashionMNIST/raw",),
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
             "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"),
    system_dirs=("/usr/share/datasets/fashion-mnist",),
    system_package="dataset-fashion-mnist",
    sample_hint="FashionMNIST(sample=True) or load_sample() for the embedded "
                "10,000 / 2,000-image sample that ships with tinygrad_jp",
    resources={
        "train_images": Resource(_IDX_FILES["train_images"], {
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84": "official",
            "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7": _DEBIAN_FASHION},
            size=26421880,
            payload_sha256="c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
        "train_labels": Resource(_IDX_FILES["train_labels"], {
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845": "official",
            "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056": _DEBIAN_FASHION},
            size=29515,
            payload_sha256="bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
        "test_images": Resource(_IDX_FILES["test_images"], {
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073": "official",
            "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa": _DEBIAN_FASHION},
            size=4422102,
            payload_sha256="5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
        "test_labels": Resource(_IDX_FILES["test_labels"], {
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5": "official",
            "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05": _DEBIAN_FASHION},
            size=5148,
            payload_sha256="0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
    },
))

# The embedded sample (tinygrad_jp/data/sample, made by tinygrad_jp/app/make_sample.py).
_SAMPLE = _store.register(Spec(
    name="FashionMNIST sample",
    folder="sample",
    resources={
        "train_images": Resource(_IDX_FILES["train_images"], {
            "4ef0940b851f988c6b05f38b6d2603b82d54ed83eb58a96923d3d634e79d8402": "embedded sample"}),
        "train_labels": Resource(_IDX_FILES["train_labels"], {
            "fe060cb3dce0a957bebe461fc21ad3a921aa8d955ea0949373d81ca9b5dfed67": "embedded sample"}),
        "test_images": Resource(_IDX_FILES["test_images"], {
            "a76fa034cbc515b3e0011528c73af9b1e64756e68568b639a59b5734fbd753cf": "embedded sample"}),
        "test_labels": Resource(_IDX_FILES["test_labels"], {
            "c298f3920342218cc1eb4c7ee8367f7877783f3ee808b319fc98d58514c47502": "embedded sample"}),
    },
))

_CIFAR_ARCHIVE = "cifar-10-binary.tar.gz"
_CIFAR_DIR = "cifar-10-batches-bin"
_CIFAR_RECORDS = 10000  # images per batch file
_CIFAR = _store.register(Spec(
    name="CIFAR10",
    folder="cifar-10",
    subfolders=("cifar10", "CIFAR10"),
    mirrors=("https://www.cs.toronto.edu/~kriz/",),
    resources={"archive": Resource(_CIFAR_ARCHIVE, {
        "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd": "official"},
        size=170052171)},
))


def one_hot(labels, num_classes=None, dtype=np.float32):
    """One-hot encode integer class labels: shape (N,) -> (N, num_classes)."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"one_hot: expected a 1-d integer array of class indices, got shape "
                        f"{labels.shape} dtype {labels.dtype}")
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"one_hot: labels must lie in [0, {num_classes}), got range "
                         f"[{labels.min()}, {labels.max()}]")
    out = np.zeros((labels.shape[0], num_classes), dtype=dtype)
    out[np.arange(labels.shape[0]), labels] = 1
    return out


class _ImageArrayDataset(Dataset):
    """Images held as uint8 N×C×H×W and labels as int64 N; served as float32 in [0, 1].

    Keeping uint8 in memory is 4× smaller than float32; the division happens per
    batch, which is vectorised anyway.
    """
    classes = ()

    def __init__(self, data, targets, transform=None, split="train", location=None):
        self.data = data
        self.targets = targets
        self.transform = transform
        self.split = split
        self.location = location

    def __len__(self):
        return self.data.shape[0]

    def __getitem__(self, index):
        if isinstance(index, slice) or np.ndim(index) > 0:
            raise TypeError(f"{type(self).__name__}[index]: index must be an int; use "
                            "get_batch(indices) for many samples")
        x = self.data[index].astype(np.float32) / 255.0
        if self.transform is not None:
            x = self.transform(x)
        return x, int(self.targets[index])

    def get_batch(self, indices):
        """Images float32 N×C×H×W in [0, 1] and labels int64 N, in one gather."""
        x = self.data[indices].astype(np.float32)
        x /= 255.0
        if self.transform is not None:
            x = self.transform(x)
        return x, self.targets[indices]

    def arrays(self, normalize=True):
        """All images and labels at once: (float32 in [0,1] or uint8, int64)."""
        x = self.data.astype(np.float32) / 255.0 if normalize else np.array(self.data)
        return x, np.array(self.targets)

    def __repr__(self):
        lines = [f"Dataset {type(self).__name__}",
                 f"    Number of datapoints: {len(self)}",
                 f"    Split: {self.split.capitalize()}",
                 f"    Shape: {tuple(self.data.shape[1:])}, classes: {len(self.classes)}"]
        if self.location:
            lines.append(f"    Location: {self.location}")
        return "\n".join(lines)


def _check_labels(name, labels, n_images, num_classes, where):
    if labels.shape[0] != n_images:
        raise DatasetError(f"{name}: {where} has {n_images} images but {labels.shape[0]} "
                           "labels")
    if labels.size and labels.max() >= num_classes:
        raise DatasetError(f"{name}: {where} has a label {int(labels.max())}, outside "
                           f"0..{num_classes - 1}")


def _load_idx_split(spec, paths, split, name):
    images = read_idx(paths[f"{split}_images"], expect_ndim=3, expect_shape=(None, 28, 28))
    labels = read_idx(paths[f"{split}_labels"], expect_ndim=1)
    _check_labels(name, labels, images.shape[0], 10, os.path.dirname(paths[f"{split}_images"]))
    return images[:, None, :, :], labels.astype(np.int64)


def _locate_sample(keys):
    paths = {k: os.path.join(SAMPLE_DIR, _SAMPLE.resources[k].filename) for k in keys}
    for k, p in paths.items():
        if not os.path.isfile(p):
            raise DatasetNotFoundError(
                f"FashionMNIST(sample=True): the embedded sample file {p} is missing; the "
                "package data was not installed (reinstall tinygrad_jp, or run python -m "
                "tinygrad_jp.app.make_sample to rebuild it from the Debian package)")
        err = _store.verify(_SAMPLE, _SAMPLE.resources[k], p)
        if err is not None:
            raise ChecksumError(err + " Reinstall tinygrad_jp to restore the sample.")
    return paths


class MNIST(_ImageArrayDataset):
    """The MNIST handwritten digits (LeCun et al.), read from the original IDX gzip files.

    ``MNIST(root=None, train=True, download=False, transform=None)``: 60,000 training
    or 10,000 test images, ``data`` uint8 N×1×28×28, ``targets`` int64. Samples and
    batches are float32 in [0, 1]; ``transform`` (optional) is applied to them.
    """
    classes = ("0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine")
    _spec = _MNIST

    def __init__(self, root=None, train=True, download=False, transform=None):
        split = "train" if train else "test"
        keys = (f"{split}_images", f"{split}_labels")
        paths = _store.locate(self._spec, keys, root=root, download=download)
        data, targets = _load_idx_split(self._spec, paths, split, type(self).__name__)
        super().__init__(data, targets, transform, split,
                         os.path.dirname(paths[keys[0]]))


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST (MIT licence), read from the original IDX gzip files.

    Same interface as :class:`MNIST`, plus ``sample=True``: the stratified subset
    (10,000 training / 2,000 test images, 1,000 / 200 per class) that ships inside
    the package, so everything runs offline.
    """
    classes = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot")
    _spec = _FASHION

    def __init__(self, root=None, train=True, download=False, transform=None, sample=False):
        if not sample:
            super().__init__(root=root, train=train, download=download, transform=transform)
            return
        if root is not None or download:
            raise ValueError("FashionMNIST: sample=True reads the embedded sample; do not "
                             "pass root= or download=True with it")
        split = "train" if train else "test"
        keys = (f"{split}_images", f"{split}_labels")
        paths = _locate_sample(keys)
        data, targets = _load_idx_split(_SAMPLE, paths, split, "FashionMNIST(sample=True)")
        _ImageArrayDataset.__init__(self, data, targets, transform, split, SAMPLE_DIR)


def _parse_cifar_batch(buf, name):
    rec = 1 + 3 * 32 * 32
    if len(buf) != _CIFAR_RECORDS * rec:
        raise DatasetError(f"CIFAR10: {name} has {len(buf)} bytes, expected "
                           f"{_CIFAR_RECORDS} records of {rec} bytes = {_CIFAR_RECORDS * rec}; "
                           "the file is truncated or not a CIFAR-10 binary batch")
    arr = np.frombuffer(buf, dtype=np.uint8).reshape(_CIFAR_RECORDS, rec)
    labels = arr[:, 0].astype(np.int64)
    _check_labels("CIFAR10", labels, _CIFAR_RECORDS, 10, name)
    return arr[:, 1:].reshape(_CIFAR_RECORDS, 3, 32, 32), labels


class CIFAR10(_ImageArrayDataset):
    """CIFAR-10 (Krizhevsky, 2009) from its *binary* version, never pickle.

    Reads ``cifar-10-binary.tar.gz`` (SHA-256 checked, members read straight from the
    archive) or an extracted ``cifar-10-batches-bin/`` folder (``data_batch_1.bin`` …
    ``data_batch_5.bin``, ``test_batch.bin``; each file's size and labels are checked).
    ``data`` is uint8 N×3×32×32, ``targets`` int64.
    """
    classes = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
               "ship", "truck")

    def __init__(self, root=None, train=True, download=False, transform=None):
        split = "train" if train else "test"
        members = ([f"data_batch_{i}.bin" for i in range(1, 6)] if train
                   else ["test_batch.bin"])
        looked = []
        for label, d in _store._candidate_dirs(_CIFAR, root):
            archive = os.path.join(d, _CIFAR_ARCHIVE)
            extracted = os.path.join(d, _CIFAR_DIR)
            if os.path.isfile(archive):
                err = _store.verify(_CIFAR, _CIFAR.resources["archive"], archive)
                if err is None:
                    self._load_archive(archive, members, transform, split)
                    return
                if not download:
                    raise ChecksumError(err + "\nDelete or replace the file, or pass "
                                        "download=True to fetch a verified copy.")
                looked.append(f"  - {d} ({label}): checksum mismatch")
                continue
            files = [os.path.join(extracted, m) for m in members]
            if all(os.path.isfile(f) for f in files):
                parts = []
                for f in files:
                    with open(f, "rb") as fh:
                        parts.append(_parse_cifar_batch(fh.read(), f))
                self._set(parts, transform, split, extracted)
                return
            looked.append(f"  - {d} ({label}): no {_CIFAR_ARCHIVE} and no complete "
                          f"{_CIFAR_DIR}/")
        if not download:
            raise DatasetNotFoundError(_store._not_found_message(_CIFAR, looked).replace(
                f"put the files ({_CIFAR_ARCHIVE})",
                f"put {_CIFAR_ARCHIVE} (or its extracted {_CIFAR_DIR}/)"))
        target = os.path.join(os.path.expanduser(os.fspath(root)) if root
                              else _store.cache_dir(), _CIFAR.folder)
        archive = _store.download_file(_CIFAR, _CIFAR.resources["archive"], target)
        self._load_archive(archive, members, transform, split)

    def _load_archive(self, archive, members, transform, split):
        parts = []
        with tarfile.open(archive, "r:gz") as tar:
            # Only regular members with the expected names are read, straight into
            # memory; nothing is extracted to disk.
            wanted = {f"{_CIFAR_DIR}/{m}": m for m in members}
            found = {}
            for info in tar:
                if info.name in wanted and info.isfile():
                    found[info.name] = tar.extractfile(info).read()
            for name in wanted:
                if name not in found:
                    raise DatasetError(f"CIFAR10: {archive} has no member {name}")
                parts.append(_parse_cifar_batch(found[name], f"{archive}:{name}"))
        self._set(parts, transform, split, os.path.dirname(archive))

    def _set(self, parts, transform, split, location):
        data = np.concatenate([p[0] for p in parts])
        targets = np.concatenate([p[1] for p in parts])
        super().__init__(data, targets, transform, split, location)


def _as_curriculum_arrays(ds, normalize, flatten, one_hot_label):
    x = ds.data
    x = x.astype(np.float32) / 255.0 if normalize else np.array(x)
    if flatten:
        x = x.reshape(x.shape[0], -1)
    t = one_hot(ds.targets, 10) if one_hot_label else np.array(ds.targets)
    return x, t


def _load_pair(cls, normalize, flatten, one_hot_label, **kw):
    train = cls(train=True, **kw)
    test = cls(train=False, **kw)
    return (_as_curriculum_arrays(train, normalize, flatten, one_hot_label),
            _as_curriculum_arrays(test, normalize, flatten, one_hot_label))


def load_mnist(normalize=True, flatten=True, one_hot_label=False, root=None, download=False):
    """MNIST as NumPy arrays, like 'Deep Learning from Scratch''s ``load_mnist``.

    Returns ``(x_train, t_train), (x_test, t_test)``. ``normalize``: images float32 in
    [0, 1] (else uint8 0..255); ``flatten``: images (N, 784) (else (N, 1, 28, 28));
    ``one_hot_label``: labels (N, 10) float32 one-hot (else int64 class indices).
    """
    return _load_pair(MNIST, normalize, flatten, one_hot_label, root=root, download=download)


def load_fashion_mnist(normalize=True, flatten=True, one_hot_label=False, root=None,
                       download=False, sample=False):
    """Fashion-MNIST as NumPy arrays; same arguments and return value as :func:`load_mnist`.

    ``sample=True`` gives the embedded sample (see :func:`load_sample`).
    """
    kw = {"sample": True} if sample else {"root": root, "download": download}
    return _load_pair(FashionMNIST, normalize, flatten, one_hot_label, **kw)


def load_sample(normalize=True, flatten=True, one_hot_label=False):
    """The embedded Fashion-MNIST sample (10,000 training / 2,000 test images) as arrays.

    Same return value as :func:`load_fashion_mnist`; needs no files and no network.
    """
    return load_fashion_mnist(normalize, flatten, one_hot_label, sample=True)
