"""The CPU's compiled loops (numba) against the textbook NumPy kernels of
``kernels.generic`` over drawn geometries, dtypes and memory layouts; the thread
setting; the NumPy fallback where numba is missing."""
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_jp.kernels import compiled, cpu, generic, threads
from tinygrad_jp.ops.pool import make_geometry

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

pytestmark = pytest.mark.skipif(not compiled.available(), reason="numba is not importable")


@st.composite
def geometries(draw):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = tuple(draw(st.integers(0, ki // 2)) for ki in k)
    d = (draw(st.sampled_from([1, 1, 2])), draw(st.sampled_from([1, 1, 2])))
    lo = [max(1, di * (ki - 1) + 1 - 2 * pi) for ki, pi, di in zip(k, p, d, strict=True)]
    hw = tuple(draw(st.integers(lo_i, max(lo_i, 9))) for lo_i in lo)
    shape = (draw(st.integers(1, 3)), draw(st.integers(1, 4))) + hw
    return make_geometry(shape, k, s, p, d, draw(st.booleans()))


def _in_layout(a, channels_last):
    if not channels_last:
        return np.ascontiguousarray(a)
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


def _values(shape, seed, ties):
    rng = np.random.default_rng(seed)
    if ties:                                    # few distinct values: many ties
        return rng.integers(-2, 3, shape).astype(np.float64)
    return rng.standard_normal(shape)


@settings(max_examples=60, deadline=None)
@given(geometries(), st.booleans(), st.booleans(), st.integers(0, 999),
       st.sampled_from([np.float64, np.float32]))
def test_window_max_and_scatter_match_the_numpy_oracle(g, channels_last, ties, seed, dtype):
    x = _in_layout(_values(g.shape, seed, ties).astype(dtype), channels_last)
    out, idx = cpu.max_pool2d(x, g)
    ref_out, ref_idx = generic.max_pool2d(x, g)
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(idx, ref_idx)
    np.testing.assert_array_equal(cpu.window_max(x, g), ref_out)
    grad = _in_layout(np.random.default_rng(seed + 1).standard_normal(g.out_shape)
                      .astype(dtype), channels_last)
    dx = cpu.max_pool2d_scatter(grad, g, idx)
    assert dx.shape == g.shape and dx.dtype == dtype
    # overlapping windows add in another order than the oracle's
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(dx, generic.max_pool2d_scatter(grad, g, ref_idx.astype(np.int32)),
                               rtol=tol, atol=tol)


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("kernel", [(2, 2), (3, 3)])
def test_a_nan_wins_its_window_as_in_pytorch(kernel, channels_last):
    g = make_geometry((1, 2, 6, 6), kernel, kernel, (0, 0), (1, 1), False)
    x = np.arange(72, dtype=np.float64).reshape(1, 2, 6, 6)
    x[0, 1, 0, 1] = np.nan
    out, idx = cpu.max_pool2d(_in_layout(x, channels_last), g)
    assert np.isnan(out[0, 1, 0, 0]) and idx[0, 1, 0, 0] == 1
    assert not np.isnan(out[0, 0]).any() and not np.isnan(out[0, 1].ravel()[1:]).any()


@pytest.mark.parametrize("dtype", [np.float16, np.int64, np.int32])
def test_other_dtypes_pool_in_a_wider_type_and_come_back(dtype):
    g = make_geometry((2, 3, 5, 5), (2, 2), (1, 1), (1, 1), (1, 1), False)
    x = (np.random.default_rng(0).standard_normal(g.shape) * 4).astype(dtype)
    out, idx = cpu.max_pool2d(x, g)
    ref_out, ref_idx = generic.max_pool2d(x, g)
    assert out.dtype == dtype
    np.testing.assert_array_equal(out, ref_out)
    np.testing.assert_array_equal(idx, ref_idx)


def test_results_do_not_depend_on_the_number_of_threads():
    g = make_geometry((8, 6, 12, 12), (3, 3), (2, 2), (1, 1), (1, 1), True)
    x = np.random.default_rng(3).standard_normal(g.shape)
    before = threads.num_threads()
    try:
        threads.set_num_threads(1)
        one = cpu.max_pool2d(x, g)
        dx_one = cpu.max_pool2d_scatter(np.ones(g.out_shape), g, one[1])
        threads.set_num_threads(2)
        two = cpu.max_pool2d(x, g)
        dx_two = cpu.max_pool2d_scatter(np.ones(g.out_shape), g, two[1])
    finally:
        threads.set_num_threads(before)
    np.testing.assert_array_equal(one[0], two[0])
    np.testing.assert_array_equal(one[1], two[1])
    np.testing.assert_array_equal(dx_one, dx_two)


def test_the_thread_setting_reaches_numba():
    import numba
    before = threads.num_threads()
    try:
        threads.set_num_threads(1)
        assert numba.get_num_threads() == 1
    finally:
        threads.set_num_threads(before)
    assert numba.get_num_threads() == threads.numba_threads()


def test_default_threads_are_the_usable_cores(monkeypatch):
    monkeypatch.delenv("TINYGRAD_JP_NUM_THREADS", raising=False)
    assert threads._default_threads() == threads.usable_cores() >= 1


def _run(code, **env):
    out = subprocess.run([sys.executable, "-W", "always", "-c", code],
                         env=dict(os.environ, PYTHONPATH=ROOT, **env),
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out


def test_importing_the_package_does_not_import_numba():
    out = _run("import sys, tinygrad_jp, tinygrad_jp.nn.functional, tinygrad_jp.models\n"
               "print('numba' in sys.modules)")
    assert out.stdout.strip() == "False"


def test_without_numba_the_numpy_kernels_run_and_say_so_once():
    code = """
import sys, importlib.util
real = importlib.util.find_spec
importlib.util.find_spec = lambda name, *a: None if name == 'numba' else real(name, *a)
import numpy as np
import tinygrad_jp as tg, tinygrad_jp.nn.functional as F
from tinygrad_jp.kernels import compiled
assert not compiled.available() and compiled.loops() is None
x = tg.tensor(np.arange(32.).reshape(1, 2, 4, 4), requires_grad=True)
F.max_pool2d(x, 2).sum().backward()
assert x.grad.numpy().sum() == 8 and 'numba' not in sys.modules
"""
    out = _run(code)
    assert out.stderr.count("numba is not installed") == 1, out.stderr


def test_loops_called_from_several_python_threads_at_once_are_safe():
    """numba's workqueue layer aborts on two launches at once: the lock serialises them."""
    from concurrent.futures import ThreadPoolExecutor
    g = make_geometry((4, 8, 16, 16), (2, 2), (2, 2), (0, 0), (1, 1), False)
    x = np.random.default_rng(5).standard_normal(g.shape)
    ref = cpu.max_pool2d(x, g)[0]
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(lambda _: cpu.max_pool2d(x, g)[0], range(32)))
    for out in outs:
        np.testing.assert_array_equal(out, ref)


def test_the_loops_run_on_numbas_workqueue_layer_unless_told_otherwise():
    out = _run("import numpy as np, numba\n"
               "from tinygrad_jp.kernels import cpu\n"
               "from tinygrad_jp.ops.pool import make_geometry\n"
               "g = make_geometry((1, 1, 4, 4), (2, 2), (2, 2), (0, 0), (1, 1), False)\n"
               "cpu.max_pool2d(np.zeros((1, 1, 4, 4)), g)\n"
               "print(numba.threading_layer())")
    assert out.stdout.strip() == "workqueue"
