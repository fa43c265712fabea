"""batch_norm, layer_norm, group_norm, instance_norm, local_response_norm: running
statistics, gradchecks, second derivatives, PyTorch as an oracle, errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_jp as tg
import tinygrad_jp.nn.functional as F


def t64(a, grad=True):
    return tg.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


shapes_2d_4d = st.one_of(
    st.tuples(st.integers(2, 4), st.integers(1, 3)),
    st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3))
    .filter(lambda s: s[0] * s[2] * s[3] > 1))


@settings(max_examples=12)
@given(shapes_2d_4d, st.booleans(), st.integers(0, 999))
def test_batch_norm_training_gradcheck(shape, affine, seed):
    c = shape[1]
    args = [t64(rand(shape, seed))]
    if affine:
        args += [t64(rand(c, seed + 1)), t64(rand(c, seed + 2))]

    def fn(x, w=None, b=None):
        return F.batch_norm(x, None, None, w, b, training=True)
    assert tg.gradcheck(fn, args)


def test_batch_norm_gradgradcheck():
    x, w, b = t64(rand((3, 2, 2, 2))), t64(rand(2, 1)), t64(rand(2, 2))
    assert tg.gradgradcheck(lambda x, w, b: F.batch_norm(x, None, None, w, b, True), [x, w, b])


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5, 5)])
def test_batch_norm_matches_torch_and_updates_running_stats(shape):
    torch = pytest.importorskip("torch")
    x, w, b = rand(shape, 1), rand(shape[1], 2), rand(shape[1], 3)
    rm, rv = tg.zeros(shape[1], dtype=tg.float64), tg.ones(shape[1], dtype=tg.float64)
    trm, trv = torch.zeros(shape[1], dtype=torch.float64), torch.ones(shape[1],
                                                                      dtype=torch.float64)
    xt, wt, bt = t64(x), t64(w), t64(b)
    y = F.batch_norm(xt, rm, rv, wt, bt, training=True, momentum=0.3)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.batch_norm(tx, trm, trv, tw, tb, training=True, momentum=0.3)
    gy = rand(y.shape, 4)
    y.backward(tg.tensor(gy))
    ty.backward(torch.tensor(gy))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), atol=1e-12)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), atol=1e-12)    # unbiased variance
    for ours, theirs in ((xt, tx), (wt, tw), (bt, tb)):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-10)
    # evaluation uses the running statistics
    ye = F.batch_norm(t64(x), rm, rv, t64(w), t64(b), training=False)
    tye = torch.nn.functional.batch_norm(torch.tensor(x), trm, trv, torch.tensor(w),
                                         torch.tensor(b), training=False)
    np.testing.assert_allclose(ye.numpy(), tye.numpy(), atol=1e-10)


def test_batch_norm_eval_gradcheck_and_closed_form():
    rm, rv = tg.tensor([1.0, -1.0], dtype=tg.float64), tg.tensor([4.0, 0.25],
                                                                 dtype=tg.float64)
    x = t64(rand((3, 2), 5))
    y = F.batch_norm(x, rm, rv, training=False, eps=0.0)
    np.testing.assert_allclose(y.numpy(), (x.numpy() - [1.0, -1.0]) / [2.0, 0.5])
    assert tg.gradcheck(lambda a, w, b: F.batch_norm(a, rm, rv, w, b, training=False),
                        [x, t64([1.5, 2.0]), t64([0.1, 0.2])])


def test_batch_norm_float32_stays_float32_and_running_stats_in_place():
    x = tg.randn(8, 4, 3, 3)
    rm, rv = tg.zeros(4), tg.ones(4)
    before = rm.data
    y = F.batch_norm(x, rm, rv, tg.ones(4), tg.zeros(4), training=True)
    assert y.dtype == np.float32 and rm.dtype == np.float32 and rm.data is before
    assert not np.allclose(rm.numpy(), 0)


@settings(max_examples=10)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(2, 4), st.booleans(),
       st.integers(0, 99))
def test_layer_norm_gradcheck_and_torch(n, a, b, affine, seed):
    x = rand((n, a, b), seed)
    args = [t64(x)] + ([t64(rand((a, b), seed + 1)), t64(rand((a, b), seed + 2))]
                       if affine else [])
    assert tg.gradcheck(lambda x, *wb: F.layer_norm(x, (a, b), *wb), args)
    try:
        import torch
    except ImportError:
        return
    ref = torch.nn.functional.layer_norm(torch.tensor(x), (a, b),
                                         *[torch.tensor(t.numpy()) for t in args[1:]])
    np.testing.assert_allclose(F.layer_norm(*args[:1], (a, b), *args[1:]).numpy(),
                               ref.numpy(), atol=1e-10)


def test_layer_norm_gradgradcheck():
    assert tg.gradgradcheck(lambda x, w: F.layer_norm(x, 3, w), [t64(rand((2, 3))),
                                                                 t64(rand(3, 1))])


@settings(max_examples=8)
@given(st.sampled_from([(1, 1), (2, 2), (3, 1), (6, 3), (6, 6)]), st.integers(0, 99))
def test_group_norm_gradcheck_and_torch(cg, seed):
    c, g = cg
    x, w, b = rand((2, c, 2, 3), seed), rand(c, seed + 1), rand(c, seed + 2)
    args = [t64(x), t64(w), t64(b)]
    assert tg.gradcheck(lambda x, w, b: F.group_norm(x, g, w, b), args)
    try:
        import torch
    except ImportError:
        return
    ref = torch.nn.functional.group_norm(torch.tensor(x), g, torch.tensor(w),
                                         torch.tensor(b))
    np.testing.assert_allclose(F.group_norm(*args[:1], g, *args[1:]).numpy(), ref.numpy(),
                               atol=1e-10)


def test_instance_norm_matches_torch_with_running_stats():
    torch = pytest.importorskip("torch")
    x, w, b = rand((3, 2, 4, 4), 7), rand(2, 8), rand(2, 9)
    rm, rv = tg.zeros(2, dtype=tg.float64), tg.ones(2, dtype=tg.float64)
    trm, trv = torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)
    y = F.instance_norm(t64(x), rm, rv, t64(w), t64(b), momentum=0.2)
    ty = torch.nn.functional.instance_norm(torch.tensor(x), trm, trv, torch.tensor(w),
                                           torch.tensor(b), momentum=0.2)
    np.testing.assert_allclose(y.numpy(), ty.numpy(), atol=1e-10)
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), atol=1e-12)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), atol=1e-12)
    assert tg.gradcheck(lambda a: F.instance_norm(a), [t64(rand((2, 2, 2, 3), 1))])


@settings(max_examples=8)
@given(st.integers(1, 5), st.integers(1, 5), st.integers(0, 99))
def test_local_response_norm_gradcheck_and_torch(c, size, seed):
    x = rand((2, c, 2, 2), seed)
    kw = dict(alpha=0.5, beta=0.75, k=1.0)
    assert tg.gradcheck(lambda a: F.local_response_norm(a, size, **kw), [t64(x)])
    try:
        import torch
    except ImportError:
        return
    ref = torch.nn.functional.local_response_norm(torch.tensor(x), size, **kw)
    np.testing.assert_allclose(F.local_response_norm(t64(x), size, **kw).numpy(),
                               ref.numpy(), atol=1e-12)


def test_norm_errors():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(tg.randn(1, 3), None, None, training=True)
    with pytest.raises(RuntimeError, match=r"weight must have shape \(3,\)"):
        F.batch_norm(tg.randn(4, 3), None, None, tg.ones(4), training=True)
    with pytest.raises(ValueError, match="running_mean and running_var must be given"):
        F.batch_norm(tg.randn(4, 3), None, None, training=False)
    with pytest.raises(RuntimeError, match="normalized_shape"):
        F.layer_norm(tg.randn(2, 3), (4,))
    with pytest.raises(ValueError, match="positive divisor"):
        F.group_norm(tg.randn(2, 6, 2, 2), 4)
