"""The kernels layer: one module per device behind the same names, nothing process-wide
at import, and the ops that were doubled now one class each."""
import os
import subprocess
import sys

import numpy as np
import pytest

import tinygrad_jp as tg
import tinygrad_jp.nn.functional as F
from tinygrad_jp import kernels
from tinygrad_jp.kernels import cpu, generic
from tinygrad_jp.kernels.memory import reshaped_view

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_numpy_arrays_get_the_cpu_kernels_with_every_generic_name():
    assert kernels.for_array(np.zeros(3)) is cpu
    missing = [n for n in generic.__all__ if not callable(getattr(cpu, n, None))]
    assert missing == []


def test_importing_the_package_changes_no_allocator_setting():
    """``mallopt`` is called only by the explicit ``tg.tune_allocator()``."""
    code = """
import ctypes
calls = []
class Spy:
    def __init__(self, *a, **k):
        pass
    def mallopt(self, *args):
        calls.append(args)
        return 1
ctypes.CDLL = Spy
import tinygrad_jp as tg, tinygrad_jp.nn.functional, tinygrad_jp.models
assert calls == [], calls
import sys
if sys.platform.startswith("linux"):
    assert tg.tune_allocator() is True and len(calls) == 3, calls
print("ok")
"""
    env = dict(os.environ, PYTHONPATH=ROOT, TINYGRAD_JP_MALLOC_TUNING="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_tune_allocator_can_be_switched_off(monkeypatch):
    from tinygrad_jp.kernels import memory
    monkeypatch.setenv("TINYGRAD_JP_MALLOC_TUNING", "0")
    assert memory.tune_allocator() is False


def test_reshaped_view_is_a_view_or_an_error():
    a = np.zeros((4, 6))
    v = reshaped_view(a[:, :4], (2, 2, 2, 2))           # splits each axis: a view
    v[...] = 1
    assert a[:, :4].sum() == 16 and a[:, 4:].sum() == 0
    with pytest.raises(ValueError, match="without a copy"):
        reshaped_view(a.T, (24,))


def test_one_relu_for_tensor_relu_and_f_relu():
    x = tg.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    a, b = x.relu(), F.relu(x)
    assert type(a.grad_fn) is type(b.grad_fn)
    (a + b).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 2.0])
    assert tg.tensor([-2, 3]).relu().tolist() == [0, 3]        # integers too


def test_one_convolution_class_takes_groups():
    from tinygrad_jp.ops import conv, conv_grouped
    assert conv_grouped.GroupedConv2d is conv.Conv2d
    x = tg.randn(2, 4, 5, 5, requires_grad=True)
    w = tg.randn(6, 2, 3, 3, requires_grad=True)
    y = F.conv2d(x, w, groups=2)
    assert type(y.grad_fn) is conv.Conv2d
