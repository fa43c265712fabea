"""einsum (with ellipsis, diagonals, broadcasting and implicit output), outer, norm and
lerp: gradients first and second order, PyTorch as oracle."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_jp as tg
from tinygrad_jp.testing import assert_gradients, shapes, tensors

from oracle_helpers import assert_matches_torch

rng = np.random.default_rng(4)

EINSUM = {   # equation: operand shapes
    "ij,jk->ik": [(2, 3), (3, 4)],
    "ij,kj": [(2, 3), (4, 3)],                  # implicit output: 'ik'
    "bij,bjk->bik": [(2, 2, 3), (2, 3, 2)],
    "...ij,...jk->...ik": [(2, 1, 2, 3), (3, 3, 2)],   # broadcast batch dims
    "ii->i": [(3, 3)],                          # diagonal
    "ii": [(3, 3)],                             # trace
    "ij->": [(2, 3)],
    "ij->j": [(2, 3)],                          # a letter only one operand has
    "i,j->ij": [(2,), (3,)],
    "i,i->": [(4,), (4,)],
    "iij,jk->ik": [(2, 2, 3), (3, 2)],          # diagonal and contraction together
    "bhqd,bhkd->bhqk": [(1, 2, 3, 2), (1, 2, 2, 2)],   # attention scores
    "ij,jk,kl->il": [(2, 3), (3, 2), (2, 2)],
    "i,i->i": [(1,), (3,)],                     # size-1 broadcast of a letter
}


@pytest.mark.parametrize("equation", EINSUM)
def test_einsum_gradients_first_and_second_order(equation):
    xs = [tg.tensor(rng.standard_normal(s), requires_grad=True) for s in EINSUM[equation]]
    assert_gradients(lambda *t: tg.einsum(equation, *t), *xs, second_order=True)


@pytest.mark.parametrize("equation", EINSUM)
def test_einsum_matches_torch(equation):
    torch = pytest.importorskip("torch")
    arrays = [rng.standard_normal(s) for s in EINSUM[equation]]
    assert_matches_torch(lambda *t: tg.einsum(equation, *t),
                         lambda *t: torch.einsum(equation, *t), *arrays)


@given(x=tensors(shapes(min_dims=2, max_dims=2)), data=st.data())
def test_einsum_matmul_over_drawn_shapes(x, data):
    y = data.draw(tensors(st.tuples(st.just(x.shape[1]), st.integers(1, 3))))
    np.testing.assert_allclose(tg.einsum("ij,jk->ik", x, y).numpy(), (x @ y).numpy())
    assert_gradients(lambda a, b: tg.einsum("ij,jk->ik", a, b), x, y, second_order=True)


def test_einsum_list_form_and_errors():
    a, b = tg.randn(2, 3), tg.randn(3, 4)
    assert tg.einsum("ij,jk", [a, b]).shape == (2, 4)
    with pytest.raises(RuntimeError, match="einsum: subscript 'j' has size 4 in operand 1"):
        tg.einsum("ij,jk", a, tg.randn(4, 4))
    with pytest.raises(RuntimeError, match="einsum: the equation 'ij,jk' has 2 operand"):
        tg.einsum("ij,jk", a)
    with pytest.raises(RuntimeError, match="subscripts 'ijk' name 3 dims but operand 0"):
        tg.einsum("ijk", a)
    with pytest.raises(RuntimeError, match="output subscripts 'ii'"):
        tg.einsum("ij->ii", a)


@given(x=tensors(shapes(min_dims=1, max_dims=3)), data=st.data())
def test_norm_gradients(x, data):
    dim = data.draw(st.one_of(st.none(), st.integers(0, x.ndim - 1)))
    p = data.draw(st.sampled_from([2, "fro", 1, 3, float("inf")]))
    # away from the kinks: |x| at 0 (and the whole norm at x = 0), max at ties
    x = tg.tensor(np.where(np.abs(x.data) < 0.05, 0.5, x.data) *
                  (1 + 0.01 * np.arange(x.data.size).reshape(x.shape)), requires_grad=True)
    assert_gradients(lambda t: t.norm(p, dim), x, second_order=p in (2, "fro", 3))


def test_norm_gradient_at_zero_is_zero_as_in_torch():
    x = tg.zeros(3, requires_grad=True)
    x.norm().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize("p", [2, "fro", 1, 3, float("inf"), float("-inf"), 0])
def test_norm_matches_torch(p):
    torch = pytest.importorskip("torch")
    x = rng.standard_normal((3, 4))
    assert_matches_torch(lambda t: t.norm(p, dim=1, keepdim=True),
                         lambda t: t.norm(p, dim=1, keepdim=True), x, grad=p != 0)
    assert_matches_torch(lambda t: tg.norm(t, p), lambda t: torch.norm(t, p), x,
                         grad=p != 0)


def test_outer_and_lerp():
    torch = pytest.importorskip("torch")
    a, b, w = rng.standard_normal(3), rng.standard_normal(3), rng.uniform(0, 1, 3)
    assert_matches_torch(lambda x, y: tg.outer(x, y), lambda x, y: torch.outer(x, y), a, b)
    assert_matches_torch(lambda x, y, z: x.lerp(y, z), lambda x, y, z: x.lerp(y, z),
                         a, b, w)
    assert_matches_torch(lambda x, y: tg.lerp(x, y, 0.25),
                         lambda x, y: torch.lerp(x, y, 0.25), a, b)
    with pytest.raises(RuntimeError, match="outer: expects two 1-D tensors"):
        tg.outer(tg.randn(2, 2), tg.randn(2))


@given(a=tensors(shapes(min_dims=1, max_dims=1)), b=tensors(shapes(min_dims=1, max_dims=1)))
def test_outer_gradients(a, b):
    assert_gradients(lambda x, y: x.outer(y), a, b, second_order=True)
