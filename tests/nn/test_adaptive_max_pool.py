"""F.adaptive_max_pool2d and nn.AdaptiveMaxPool2d: PyTorch's bins, the first-maximum
tie rule, flat return_indices, float64 gradchecks and second derivatives over
hypothesis-drawn sizes, PyTorch as an oracle (non-divisible sizes, ties), errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_jp as tg
import tinygrad_jp.nn.functional as F
from tinygrad_jp import nn
from tinygrad_jp.ops.adaptive_pool import adaptive_bins
from tinygrad_jp.testing import arrays


def t64(a, grad=True):
    return tg.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def distinct(shape, seed):
    """Values with no ties (finite differences are wrong at a tie)."""
    rng = np.random.default_rng(seed)
    return rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1 + \
        rng.uniform(0, 0.01, shape)


side = st.integers(1, 8)
out_side = st.one_of(st.integers(1, 6), st.none())


def compare_with_torch(x, output_size):
    """Values, indices and gradients against PyTorch."""
    torch = pytest.importorskip("torch")
    xt, tx = t64(x), torch.tensor(x, requires_grad=True)
    y, idx = F.adaptive_max_pool2d(xt, output_size, return_indices=True)
    ty, tidx = torch.nn.functional.adaptive_max_pool2d(tx, output_size, return_indices=True)
    assert y.shape == tuple(ty.shape) and idx.dtype == tg.int64
    np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    g = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(tg.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(xt.grad.numpy(), tx.grad.numpy(), atol=1e-12)


# ---------------------------------------------------------------------- closed forms
def test_bins_are_pytorchs_floor_ceil_ranges():
    start, end = adaptive_bins(5, 3)       # [0, 2), [1, 4), [3, 5): overlapping
    assert start.tolist() == [0, 1, 3] and end.tolist() == [2, 4, 5]
    start, end = adaptive_bins(3, 5)       # upsampling: bins of one or two pixels
    assert start.tolist() == [0, 0, 1, 1, 2] and end.tolist() == [1, 2, 2, 3, 3]


def test_divisible_sizes_equal_max_pool2d():
    x = t64(distinct((2, 3, 8, 6), 0), False)
    np.testing.assert_array_equal(F.adaptive_max_pool2d(x, (4, 3)).numpy(),
                                  F.max_pool2d(x, 2).numpy())
    np.testing.assert_array_equal(F.adaptive_max_pool2d(x, 1).numpy()[..., 0, 0],
                                  x.numpy().max(axis=(2, 3)))


def test_ties_send_the_gradient_to_the_first_maximum_of_each_bin():
    # every value equal: each bin's winner is its top-left pixel; overlapping bins that
    # share a winner add their gradients there
    x = t64(np.ones((1, 1, 5, 5)))
    y, idx = F.adaptive_max_pool2d(x, 3, return_indices=True)
    assert idx.numpy()[0, 0].tolist() == [[0, 1, 3], [5, 6, 8], [15, 16, 18]]
    y.sum().backward()
    expected = np.zeros(25)
    expected[[0, 1, 3, 5, 6, 8, 15, 16, 18]] = 1
    np.testing.assert_array_equal(x.grad.numpy().ravel(), expected)


# ---------------------------------------------------------------------- gradchecks
@settings(max_examples=12)
@given(side, side, out_side, out_side, st.integers(0, 999))
def test_adaptive_max_pool2d_gradcheck(h, w, oh, ow, seed):
    x = distinct((2, 2, h, w), seed)
    assert tg.gradcheck(lambda a: F.adaptive_max_pool2d(a, (oh, ow)), [t64(x)])


@settings(max_examples=4)
@given(st.integers(2, 5), st.integers(2, 5), st.integers(1, 4), st.integers(1, 4),
       st.integers(0, 999))
def test_adaptive_max_pool2d_gradgradcheck(h, w, oh, ow, seed):
    x = distinct((1, 2, h, w), seed)
    # squared so the second derivative is not identically zero
    assert tg.gradgradcheck(lambda a: F.adaptive_max_pool2d(a, (oh, ow)) ** 2, [t64(x)])


# ---------------------------------------------------------------------- PyTorch oracle
@settings(max_examples=20)
@given(side, side, out_side, out_side, st.booleans(), st.data())
def test_adaptive_max_pool2d_matches_torch(h, w, oh, ow, ties, data):
    # with ties: few distinct values, so most bins hold several maxima
    x = data.draw(arrays(st.just((2, 3, h, w)), min_value=-2, max_value=2))
    if ties:
        x = np.round(x)
    compare_with_torch(x, (oh, ow))


@pytest.mark.parametrize("shape, size", [((2, 3, 7, 9), (3, 4)), ((1, 2, 10, 10), 3),
                                         ((1, 1, 3, 4), (5, 7)), ((2, 2, 6, 5), (None, 2)),
                                         ((1, 2, 9, 9), 1), ((3, 5, 6), (4, 4))])
def test_named_sizes_match_torch(shape, size):
    compare_with_torch(np.random.default_rng(2).standard_normal(shape), size)


def test_float32_keeps_dtype_and_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(3).standard_normal((2, 4, 13, 11)).astype(np.float32)
    y = F.adaptive_max_pool2d(tg.tensor(x), (5, 4))
    assert y.dtype == tg.float32
    np.testing.assert_array_equal(
        y.numpy(), torch.nn.functional.adaptive_max_pool2d(torch.tensor(x), (5, 4)).numpy())


def test_layer_matches_torch_and_returns_indices():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(4).standard_normal((2, 3, 7, 5))
    for kw in ({}, {"return_indices": True}):
        ours, theirs = nn.AdaptiveMaxPool2d((3, None), **kw), \
            torch.nn.AdaptiveMaxPool2d((3, None), **kw)
        assert repr(ours) == repr(theirs)
        y, ty = ours(t64(x, False)), theirs(torch.tensor(x))
        if kw:
            np.testing.assert_array_equal(y[1].numpy(), ty[1].numpy())
            y, ty = y[0], ty[0]
        np.testing.assert_array_equal(y.numpy(), ty.numpy())


def test_no_grad_and_unbatched_input():
    x = tg.randn(3, 6, 6, requires_grad=True)
    with tg.no_grad():
        y, idx = F.adaptive_max_pool2d(x, 4, return_indices=True)
    assert y.grad_fn is None and y.shape == (3, 4, 4) and idx.shape == (3, 4, 4)
    np.testing.assert_array_equal(np.take_along_axis(x.numpy().reshape(3, -1),
                                                     idx.numpy().reshape(3, -1), 1),
                                  y.numpy().reshape(3, -1))


# ---------------------------------------------------------------------- bad input
def test_errors():
    with pytest.raises(ValueError, match="adaptive_max_pool2d: output_size must be "
                                         "positive"):
        F.adaptive_max_pool2d(tg.randn(1, 1, 4, 4), (0, 2))
    with pytest.raises(TypeError, match="output_size must be an int or a pair"):
        F.adaptive_max_pool2d(tg.randn(1, 1, 4, 4), (1, 2, 3))
    with pytest.raises(RuntimeError, match=r"3-D .* or 4-D .* got shape \(4, 4\)"):
        F.adaptive_max_pool2d(tg.randn(4, 4), 2)
    with pytest.raises(TypeError, match="floating point"):
        F.adaptive_max_pool2d(tg.zeros(1, 1, 4, 4, dtype=tg.int64), 2)
    with pytest.raises(RuntimeError, match="AdaptiveMaxPool2d: expected a 3-D"):
        nn.AdaptiveMaxPool2d(2)(tg.randn(2, 4))
