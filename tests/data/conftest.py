"""Fixtures: small data-set files in the real formats, made by the tests themselves,
and an isolated environment (no $TINYGRAD_JP_DATA, a private download cache)."""
import pytest
from tgdata_helpers import make_idx_set, spec_for

from tinygrad_jp.data import datasets as dsmod


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    monkeypatch.delenv("TINYGRAD_JP_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    dsmod._store._VERIFIED.clear()
    yield


@pytest.fixture
def fake_mnist(tmp_path, monkeypatch):
    """A small MNIST in tmp_path/src, and MNIST's spec patched to accept exactly it."""
    src = tmp_path / "src"
    arrays, hashes = make_idx_set(src)
    spec = spec_for(dsmod._MNIST, hashes, mirrors=(src.as_uri() + "/",))
    monkeypatch.setattr(dsmod.MNIST, "_spec", spec)
    return src, arrays, spec


@pytest.fixture
def fake_fashion(tmp_path, monkeypatch):
    """A small Fashion-MNIST installed in a fake system folder (like the Debian package)."""
    system = tmp_path / "usr-share-datasets-fashion-mnist"
    arrays, hashes = make_idx_set(system, seed=1)
    spec = spec_for(dsmod._FASHION, hashes, mirrors=((tmp_path / "no-mirror").as_uri() + "/",),
                    system_dirs=(str(system),))
    monkeypatch.setattr(dsmod.FashionMNIST, "_spec", spec)
    return system, arrays, spec
