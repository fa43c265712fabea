"""The ``device`` fixture: every test here runs on ``cpu`` and on ``cuda``.

``cuda`` is the real GPU when CuPy finds one (``pytest --device cuda`` makes its absence
an error instead of a fallback). Without a GPU it is a NumPy-backed stand-in for CuPy
(``tests/fake_cupy.py``) that refuses silent host/device conversion as CuPy does, so the
CUDA code paths are exercised on every CPU machine, CI included.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import fake_cupy  # noqa: E402

from tinygrad_jp import device as _device  # noqa: E402


def _real_gpu():
    _device._use_cuda_module(None)
    return _device.cuda_available()


@pytest.fixture(params=["cpu", "cuda"])
def device(request):
    if request.param == "cpu":
        yield "cpu"
        return
    want_real = request.config.getoption("--device") == "cuda"
    if _real_gpu():
        yield "cuda"
        return
    if want_real:
        pytest.fail("--device cuda: CuPy finds no GPU on this machine")
    fake_cupy.install()
    try:
        yield "cuda"
    finally:
        fake_cupy.uninstall()
