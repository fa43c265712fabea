"""Running sums and products, flip, roll, tril / triu, movedim, tile, chunk / split,
narrow: gradcheck in float64 (first and second order) over Hypothesis-drawn shapes, and
PyTorch as oracle."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_jp as tg
from tinygrad_jp.testing import assert_gradients, shapes, tensors

from oracle_helpers import assert_matches_torch


@st.composite
def tensor_and_dim(draw, min_dims=1, max_side=3, **values):
    x = draw(tensors(shapes(min_dims=min_dims, max_dims=3, max_side=max_side), **values))
    return x, draw(st.integers(-x.ndim, x.ndim - 1))


@given(case=tensor_and_dim())
def test_cumsum_gradients(case):
    x, dim = case
    assert_gradients(lambda t: t.cumsum(dim), x, second_order=True)


@given(case=tensor_and_dim(away_from=[0.0]), zeros=st.lists(st.integers(0, 26), max_size=2))
def test_cumprod_gradients_including_zeros(case, zeros):
    # exact zeros, or values well away from 0 (at x = 1e-308 the second derivative's
    # y / x² terms overflow, in PyTorch's formula too)
    x, dim = case
    flat = x.data.reshape(-1)
    flat[[z % flat.size for z in zeros]] = 0.0       # exact zeros: no 0/0 allowed
    assert_gradients(lambda t: t.cumprod(dim), x, second_order=True)


def test_cumprod_gradient_at_a_zero_is_the_product_of_the_others():
    x = tg.tensor([2.0, 0.0, 3.0], requires_grad=True)
    x.cumprod(0).sum().backward()
    # d/dx1 of (x0 + x0 x1 + x0 x1 x2) = x0 + x0 x2 = 8
    assert x.grad.tolist() == [1.0, 8.0, 0.0]


@given(x=tensors(shapes(min_dims=1, max_dims=3)), data=st.data())
def test_flip_and_roll_gradients(x, data):
    dims = data.draw(st.lists(st.integers(0, x.ndim - 1), min_size=1, max_size=x.ndim,
                              unique=True))
    shifts = data.draw(st.lists(st.integers(-5, 5), min_size=len(dims),
                                max_size=len(dims)))
    assert_gradients(lambda t: t.flip(dims) * t, x, second_order=True)
    assert_gradients(lambda t: t.roll(shifts, dims) * t, x, second_order=True)
    assert_gradients(lambda t: t.roll(shifts[0]) * t, x, second_order=True)


@given(x=tensors(shapes(min_dims=2, max_dims=3)), k=st.integers(-3, 3))
def test_tril_triu_gradients(x, k):
    assert_gradients(lambda t: t.tril(k) * t, x, second_order=True)
    assert_gradients(lambda t: t.triu(k) * t, x, second_order=True)


@given(x=tensors(shapes(min_dims=1, max_dims=3)), data=st.data())
def test_movedim_tile_chunk_gradients(x, data):
    src = data.draw(st.integers(-x.ndim, x.ndim - 1))
    dst = data.draw(st.integers(-x.ndim, x.ndim - 1))
    reps = tuple(data.draw(st.lists(st.integers(1, 2), min_size=1, max_size=3)))
    chunks = data.draw(st.integers(1, 3))
    assert_gradients(lambda t: t.movedim(src, dst) * 2, x)
    assert_gradients(lambda t: t.tile(reps) * 2, x)
    assert_gradients(lambda t: tuple(c * c for c in t.chunk(chunks, 0)), x,
                     second_order=True)


TORCH_CASES = {
    "cumsum": (lambda t: t.cumsum(1), None),
    "cumprod": (lambda t: t.cumprod(0), None),
    "cumprod with a zero": (lambda t: t.cumprod(1), "zero"),
    "flip": (lambda t: t.flip((0, 1)), None),
    "roll": (lambda t: t.roll((1, -2), (0, 1)), None),
    "roll flat": (lambda t: t.roll(5), None),
    "tril": (lambda t: t.tril(-1), None),
    "triu": (lambda t: t.triu(1), None),
    "movedim": (lambda t: t.unsqueeze(0).movedim((0, 1), (2, 0)), None),
    "tile": (lambda t: t.tile((2, 1, 2)), None),
    "narrow": (lambda t: t.narrow(1, 1, 2), None),
    "chunk": (lambda t: t.chunk(3, 1)[1], None),     # 4 columns in 3 chunks: 2 + 2
    "split sizes": (lambda t: t.split([1, 3], 1)[1], None),
    "swapaxes": (lambda t: t.swapaxes(0, 1), None),
}


@pytest.mark.parametrize("name", TORCH_CASES)
def test_matches_torch(name):
    pytest.importorskip("torch")
    fn, special = TORCH_CASES[name]
    x = np.random.default_rng(2).standard_normal((3, 4))
    if special == "zero":
        x[1, 2] = 0.0
    assert_matches_torch(fn, fn, x)


def test_integer_scans_accumulate_in_int64():
    x = tg.tensor([True, True, False])
    assert x.cumsum(0).dtype == np.int64 and x.cumsum(0).tolist() == [1, 2, 2]
    assert tg.tensor([1, 2, 3], dtype=tg.int32).cumprod(0).dtype == np.int64
    assert tg.tensor([1.0, 2.0]).cumsum(0, dtype=tg.float64).dtype == np.float64


def test_errors_name_the_op():
    x = tg.randn(2, 3)
    assert len(x.chunk(3, 1)) == 3 and len(tg.randn(2, 4).chunk(3, 1)) == 2   # as torch
    with pytest.raises(IndexError, match="cumsum: dimension out of range"):
        x.cumsum(2)
    with pytest.raises(TypeError, match="cumsum: missing the dim"):
        x.cumsum()
    with pytest.raises(RuntimeError, match="flip: dim .* appears multiple times"):
        x.flip(0, 0)
    with pytest.raises(RuntimeError, match="roll: shifts .* and dims .* same length"):
        x.roll((1, 2), 0)
    with pytest.raises(RuntimeError, match="tril: input needs at least 2 dims"):
        tg.randn(3).tril()
    with pytest.raises(RuntimeError, match="movedim: source"):
        x.movedim((0, 1), 0)
    with pytest.raises(RuntimeError, match="narrow: start 2 \\+ length 2 exceeds"):
        x.narrow(1, 2, 2)
    with pytest.raises(RuntimeError, match=r"repeat: the number of repeat sizes \(1, \(2,\)\) "
                       r"can not be smaller .* \(2, shape \(2, 3\)\).*tile"):
        x.repeat(2)
    assert x.repeat(2, 1, 1).shape == (2, 2, 3) and x.tile(2).shape == (2, 6)


def test_flip_copies_and_0d_tensors_pass_through():
    x = tg.tensor([1.0, 2.0])
    y = x.flip(0)
    y.data[0] = 9.0
    assert x.tolist() == [1.0, 2.0]
    s = tg.tensor(3.0)
    assert s.flip(0).item() == 3.0 and s.cumsum(0).item() == 3.0 and s.roll(1, 0).item() == 3.0
