"""gather, scatter, scatter_add, index_select, masked_fill, Tensor.where, sort,
argsort, topk and multinomial: gradients (first and second order, Hypothesis-drawn
shapes), PyTorch as oracle, and errors that name the op."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_jp as tg
from tinygrad_jp.testing import assert_gradients, shapes, tensors

from oracle_helpers import assert_matches_torch


@st.composite
def gather_case(draw):
    """A tensor, a dim, and an index no larger than the tensor (repeats included)."""
    x = draw(tensors(shapes(min_dims=1, max_dims=3, max_side=3)))
    dim = draw(st.integers(0, x.ndim - 1))
    shape = tuple(draw(st.integers(1, s if k != dim else 4)) for k, s in enumerate(x.shape))
    index = np.asarray(draw(st.lists(st.integers(0, x.shape[dim] - 1),
                                     min_size=int(np.prod(shape)),
                                     max_size=int(np.prod(shape))))).reshape(shape)
    return x, dim, tg.tensor(index)


@given(case=gather_case())
def test_gather_gradients_accumulate_repeated_indices(case):
    x, dim, index = case
    assert_gradients(lambda t: t.gather(dim, index) ** 2, x, second_order=True)


@given(case=gather_case(), data=st.data())
def test_scatter_and_scatter_add_gradients(case, data):
    x, dim, index = case
    # scatter with repeated indices is order-dependent (in PyTorch too): use unique ones
    src = data.draw(tensors(st.just(index.shape)))
    assert_gradients(lambda a, s: a.scatter_add(dim, index, s) ** 2, x, src,
                     second_order=True)
    unique = np.argsort(np.random.default_rng(0).random(x.shape), axis=dim)
    unique = tg.tensor(unique[tuple(slice(0, s) for s in index.shape)])
    if index.shape[dim] <= x.shape[dim]:
        assert_gradients(lambda a, s: a.scatter(dim, unique, s) ** 2, x, src,
                         second_order=True)


@given(x=tensors(shapes(min_dims=1, max_dims=3, max_side=3)), data=st.data())
def test_index_select_masked_fill_where_gradients(x, data):
    dim = data.draw(st.integers(0, x.ndim - 1))
    idx = tg.tensor(data.draw(st.lists(st.integers(0, x.shape[dim] - 1), min_size=1,
                                       max_size=5)))
    mask = tg.tensor(data.draw(st.lists(st.booleans(), min_size=x.shape[-1],
                                        max_size=x.shape[-1])))
    assert_gradients(lambda t: t.index_select(dim, idx) ** 2, x, second_order=True)
    assert_gradients(lambda t: t.masked_fill(mask, 0.5) ** 2, x, second_order=True)
    assert_gradients(lambda t: (t * t).where(mask, -t), x, second_order=True)


@given(x=tensors(shapes(min_dims=1, max_dims=3)), data=st.data())
def test_sort_and_topk_gradients(x, data):
    # distinct values: finite differences are wrong at ties (which swap under eps)
    ranks = np.argsort(np.argsort(x.data, axis=None)).reshape(x.shape)
    x = tg.tensor(ranks * 1e-2 + x.data * 1e-3, requires_grad=True)
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    k = data.draw(st.integers(0, x.shape[dim]))
    largest = data.draw(st.booleans())
    assert_gradients(lambda t: t.sort(dim, descending=largest).values ** 2, x,
                     second_order=True)
    assert_gradients(lambda t: t.topk(k, dim, largest=largest).values ** 2, x,
                     second_order=True)


INDEX = np.array([[0, 2, 2], [1, 0, 0]])
TORCH_CASES = {
    "gather": lambda t, lib: t.gather(1, lib.tensor(INDEX)),
    "gather smaller index": lambda t, lib: t.gather(0, lib.tensor(INDEX[1:, :3])),
    "scatter_add": lambda t, lib: t.scatter_add(1, lib.tensor(INDEX), t[:, :3] * 2),
    "scatter": lambda t, lib: t.scatter(1, lib.tensor([[0, 2], [1, 3]]), t[:, 1:3] * 3),
    "scatter value": lambda t, lib: t.scatter(1, lib.tensor([[0, 2], [1, 3]]), 0.5),
    "index_select": lambda t, lib: t.index_select(1, lib.tensor([3, 0, 3])),
    "masked_fill": lambda t, lib: t.masked_fill(t > 0, -1.0),
    "where": lambda t, lib: t.where(t > 0, t * 2),
    "sort": lambda t, lib: t.sort(1, descending=True).values,
    "topk": lambda t, lib: t.topk(2, 0, largest=False).values,
}


@pytest.mark.parametrize("name", TORCH_CASES)
def test_matches_torch(name):
    torch = pytest.importorskip("torch")
    fn = TORCH_CASES[name]
    x = np.random.default_rng(3).standard_normal((2, 4))
    assert_matches_torch(lambda t: fn(t, tg), lambda t: fn(t, torch), x)


def test_sort_argsort_topk_indices_match_torch():
    torch = pytest.importorskip("torch")
    x = np.array([[3.0, 1.0, 3.0, 2.0], [0.0, 0.0, -1.0, 5.0]])
    for descending in (False, True):
        ours = tg.tensor(x).sort(dim=1, descending=descending, stable=True)
        theirs = torch.tensor(x).sort(dim=1, descending=descending, stable=True)
        assert ours.indices.tolist() == theirs.indices.tolist()
        assert tg.tensor(x).argsort(0, descending=descending).tolist() == \
            torch.tensor(x).argsort(dim=0, descending=descending, stable=True).tolist()
    assert tg.tensor(x).topk(3).indices.tolist() == [[0, 2, 3], [3, 0, 1]]


def test_errors_name_the_op_and_shapes():
    x = tg.randn(2, 3)
    with pytest.raises(RuntimeError, match="gather: index 3 is out of bounds for dim 1"):
        x.gather(1, tg.tensor([[3]]))
    with pytest.raises(RuntimeError, match="gather: index of shape \\(2,\\) must have"):
        x.gather(1, tg.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="gather: index must be an integer"):
        x.gather(1, tg.tensor([[0.0]]))
    with pytest.raises(RuntimeError, match="scatter: expected self.dtype"):
        x.scatter(1, tg.tensor([[0]]), tg.tensor([[1.0]], dtype=tg.float64))
    with pytest.raises(IndexError, match="index_select: index 7 is out of range"):
        x.index_select(0, tg.tensor([7]))
    with pytest.raises(IndexError, match="index_select: index -1 is out of range"):
        x.index_select(0, tg.tensor([-1]))           # as in PyTorch: no negative indices
    with pytest.raises(RuntimeError, match="masked_fill: mask must be a bool"):
        x.masked_fill(tg.tensor([1, 0, 1]), 0.0)
    with pytest.raises(RuntimeError, match="masked_fill: mask of shape \\(4,\\)"):
        x.masked_fill(tg.tensor([True] * 4), 0.0)
    with pytest.raises(RuntimeError, match="topk: k \\(4\\) is out of range"):
        x.topk(4)


def test_masked_fill_with_a_tensor_value_passes_its_gradient():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = tg.tensor(5.0, requires_grad=True)
    x.masked_fill(tg.tensor([True, False, True]), v).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0] and v.grad.item() == 2.0


def test_multinomial_frequencies_and_shapes():
    tg.manual_seed(0)
    p = tg.tensor([[0.1, 0.0, 0.6, 0.3], [1.0, 1.0, 0.0, 2.0]])
    draws = p.multinomial(20000, replacement=True)
    assert draws.shape == (2, 20000) and draws.dtype == np.int64
    freq = np.stack([np.bincount(r, minlength=4) for r in draws.numpy()]) / 20000
    np.testing.assert_allclose(freq, [[0.1, 0.0, 0.6, 0.3], [0.25, 0.25, 0.0, 0.5]],
                               atol=0.015)
    once = tg.multinomial(tg.tensor([0.2, 0.0, 0.5, 0.3]), 3)
    assert sorted(once.tolist()) == [0, 2, 3]                # distinct, never weight 0
    # without replacement, the first draw has the weights' probabilities
    first = tg.tensor([[1.0, 3.0]] * 8000).multinomial(1).numpy()
    assert abs(first.mean() - 0.75) < 0.02
    tg.manual_seed(5)
    a = p.multinomial(3)
    tg.manual_seed(5)
    assert p.multinomial(3).tolist() == a.tolist()


def test_multinomial_errors():
    with pytest.raises(RuntimeError, match="multinomial: cannot draw 3 samples without"):
        tg.tensor([0.5, 0.5, 0.0]).multinomial(3)
    with pytest.raises(RuntimeError, match="non-negative"):
        tg.tensor([0.5, -0.5]).multinomial(1)
    with pytest.raises(RuntimeError, match="positive sum"):
        tg.tensor([0.0, 0.0]).multinomial(1, replacement=True)
