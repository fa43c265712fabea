"""Rebuild the embedded Fashion-MNIST sample in ``tinygrad_jp/data/sample/`` (a tool for
the maintainers; the library only reads the files).

Usage::

    python -m tinygrad_jp.app.make_sample [--source /usr/share/datasets/fashion-mnist]

Reads the full Fashion-MNIST (by default the copy of Debian's ``dataset-fashion-mnist``
package; the files are SHA-256 checked like every other load), draws a stratified
subset with a fixed seed — 1,000 training and 200 test images per class, 10,000 /
2,000 in all — keeps them in their original order, and writes them in the original
IDX gzip format with a fixed gzip header, so the output is byte-for-byte reproducible.
Prints the SHA-256 of each file; they are hard-coded in ``datasets.py``.
"""
import argparse
import os

import numpy as np

from ..data import _store
from ..data.datasets import _FASHION, SAMPLE_DIR, _load_idx_split
from ..data.idx import write_idx

SEED = 20240601
PER_CLASS = {"train": 1000, "test": 200}


def stratified_indices(labels, per_class, seed):
    """Sorted indices of ``per_class`` samples of each class, drawn without replacement."""
    rng = np.random.default_rng(seed)
    picks = [rng.choice(np.flatnonzero(labels == c), per_class, replace=False)
             for c in range(int(labels.max()) + 1)]
    return np.sort(np.concatenate(picks))


def make_sample(source=None, out_dir=SAMPLE_DIR, seed=SEED):
    """Write the sample files into ``out_dir``; return {filename: sha256}."""
    os.makedirs(out_dir, exist_ok=True)
    hashes = {}
    for offset, split in enumerate(("train", "test")):
        keys = (f"{split}_images", f"{split}_labels")
        paths = _store.locate(_FASHION, keys, root=source)
        images, labels = _load_idx_split(_FASHION, paths, split, "make_sample")
        # Different seeds per split, so the test picks do not mirror the train picks.
        idx = stratified_indices(labels, PER_CLASS[split], seed + offset)
        for key, arr in ((keys[0], images[idx, 0]), (keys[1], labels[idx].astype(np.uint8))):
            name = _FASHION.resources[key].filename
            path = write_idx(os.path.join(out_dir, name), arr)
            hashes[name] = _store.sha256_file(path)
    return hashes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", default=None,
                        help="folder with the full Fashion-MNIST .gz files (default: the "
                             "usual look-up: $TINYGRAD_JP_DATA, the Debian package, the cache)")
    parser.add_argument("--out", default=SAMPLE_DIR, help="output folder")
    args = parser.parse_args(argv)
    for name, digest in make_sample(args.source, args.out).items():
        print(f"{digest}  {name}")


if __name__ == "__main__":
    main()
