"""Every differentiable op: gradcheck in float64 over Hypothesis-drawn shapes and values
(broadcasting and 0-d tensors included), and second derivatives where they exist."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_jp as tg
from tinygrad_jp.testing import (
    arrays,
    assert_gradients,
    broadcastable_shapes,
    check_gradient,
    shapes,
    tensors,
)


def pair(min_value=-3.0, max_value=3.0, away_from=(), second=None):
    """Two tensors of mutually broadcastable shapes."""
    second = second or {}
    return broadcastable_shapes().flatmap(lambda s: st.tuples(
        tensors(st.just(s[0]), min_value=min_value, max_value=max_value,
                away_from=away_from),
        tensors(st.just(s[1]), **{"min_value": min_value, "max_value": max_value,
                                  "away_from": away_from, **second})))


BINARY = {
    "add": (lambda a, b: a + b, {}),
    "sub": (lambda a, b: a - b, {}),
    "mul": (lambda a, b: a * b, {}),
    "div": (lambda a, b: a / b, {"second": {"min_value": 0.5, "max_value": 3.0}}),
    "pow": (lambda a, b: a ** b, {"min_value": 0.5, "max_value": 2.0}),
    "maximum": (tg.maximum, {}),
    "minimum": (tg.minimum, {}),
}


@pytest.mark.parametrize("name", BINARY)
@given(data=st.data())
def test_binary_op_gradients_with_broadcasting(name, data):
    fn, ranges = BINARY[name]
    a, b = data.draw(pair(**ranges))
    if name in ("maximum", "minimum"):
        # finite differences are wrong at ties; ties have their own test
        b = tg.tensor(np.where(np.abs(a.data - b.data) < 1e-3, b.data + 0.1, b.data),
                      requires_grad=True)
    assert_gradients(fn, a, b, second_order=name not in ("maximum", "minimum"))


@given(data=st.data())
def test_where_gradients(data):
    s = data.draw(broadcastable_shapes(num_shapes=3))
    cond = tg.tensor(data.draw(arrays(s[0], dtype=bool)))
    a = data.draw(tensors(st.just(s[1])))
    b = data.draw(tensors(st.just(s[2])))
    assert_gradients(lambda a, b: tg.where(cond, a, b), a, b, second_order=True)


UNARY = {
    "neg": (lambda x: -x, {}),
    "exp": (lambda x: x.exp(), {}),
    "log": (lambda x: x.log(), {"min_value": 0.1, "max_value": 5.0}),
    "sqrt": (lambda x: x.sqrt(), {"min_value": 0.1, "max_value": 5.0}),
    "sin": (lambda x: x.sin(), {}),
    "cos": (lambda x: x.cos(), {}),
    "tanh": (lambda x: x.tanh(), {}),
    "sigmoid": (lambda x: x.sigmoid(), {}),
    "relu": (lambda x: x.relu(), {"away_from": [0.0]}),
    "abs": (lambda x: x.abs(), {"away_from": [0.0]}),
    "sign": (lambda x: x.sign(), {"away_from": [0.0]}),
    "clamp": (lambda x: x.clamp(-1.0, 1.5), {"away_from": [-1.0, 1.5]}),
    "clamp_min": (lambda x: x.clamp(min=0.5), {"away_from": [0.5]}),
    "pow_scalar": (lambda x: x ** 3, {}),
    "rpow": (lambda x: 2.0 ** x, {}),
    "rdiv": (lambda x: 1.0 / x, {"min_value": 0.5, "max_value": 3.0}),
    "rsub": (lambda x: 1.0 - x, {}),
    "square_sqrt": (lambda x: (x * x + 1).sqrt(), {}),
}


@pytest.mark.parametrize("name", UNARY)
def test_unary_op_gradients(name):
    fn, kwargs = UNARY[name]
    check_gradient(fn, tensors(**kwargs), second_order=name != "sign")


REDUCTIONS = {
    "sum": lambda x, d, k: x.sum(d, keepdim=k),
    "mean": lambda x, d, k: x.mean(d, keepdim=k),
    "var": lambda x, d, k: x.var(d, keepdim=k),
    "std": lambda x, d, k: x.std(d, keepdim=k),
    "var_biased": lambda x, d, k: x.var(d, keepdim=k, correction=0),
    "amax": lambda x, d, k: x.amax(d, keepdim=k),
    "amin": lambda x, d, k: x.amin(d, keepdim=k),
    "logsumexp": lambda x, d, k: x.logsumexp(d if d is not None else 0, keepdim=k),
}


@st.composite
def reduction_case(draw, min_side=1):
    x = draw(tensors(shapes(min_dims=1, max_dims=3, min_side=min_side)))
    dims = draw(st.one_of(st.none(), st.integers(-x.ndim, x.ndim - 1),
                          st.lists(st.integers(0, x.ndim - 1), min_size=1, max_size=x.ndim,
                                   unique=True).map(tuple)))
    return x, dims, draw(st.booleans())


@pytest.mark.parametrize("name", REDUCTIONS)
@given(case=reduction_case(min_side=2))
def test_reduction_gradients(name, case):
    x, dims, keepdim = case
    if name in ("amax", "amin"):
        # distinct values: finite differences break at ties (tested separately)
        x = tg.tensor(np.arange(x.data.size, dtype=np.float64).reshape(x.shape)
                      * np.random.default_rng(0).permutation(x.data.size).reshape(x.shape)
                      / x.data.size, requires_grad=True)
    if name == "std":
        # sqrt is not differentiable at 0: keep every reduced slice spread out (steps of
        # 7 exceed the drawn values' range of 6, so no two elements can coincide)
        x = tg.tensor(x.data + 7.0 * np.arange(x.data.size).reshape(x.shape),
                      requires_grad=True)
    if name == "logsumexp" and isinstance(dims, tuple):
        dims = dims[0]
    fn = REDUCTIONS[name]
    assert_gradients(lambda t: fn(t, dims, keepdim), x,
                     second_order=name not in ("amax", "amin"))


@given(x=tensors(shapes(min_dims=1, max_dims=3, min_side=1, max_side=3), min_value=-2.0,
                 max_value=2.0), data=st.data())
def test_prod_gradients_including_zeros(x, data):
    dim = data.draw(st.one_of(st.none(), st.integers(0, x.ndim - 1)))
    if data.draw(st.booleans()):
        flat = x.data.reshape(-1)
        flat[data.draw(st.integers(0, flat.size - 1))] = 0.0   # an exact zero
    assert_gradients(lambda t: t.prod(dim), x, second_order=True)


@given(x=tensors(shapes(min_dims=1, max_dims=3, min_side=1)), data=st.data())
def test_max_min_with_dim_gradients(x, data):
    # no ties, not even near ones (x + arange·0.01 could tie): ordered by rank, the
    # values are at least 0.01 apart, far beyond gradcheck's eps
    ranks = np.argsort(np.argsort(x.data, axis=None)).reshape(x.shape)
    x = tg.tensor(ranks * 1e-2 + x.data * 1e-3, requires_grad=True)
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    keepdim = data.draw(st.booleans())
    assert_gradients(lambda t: t.max(dim, keepdim)[0], x, second_order=True)
    assert_gradients(lambda t: t.min(dim, keepdim).values, x, second_order=True)


@given(x=tensors(shapes(min_dims=1, max_dims=3)), data=st.data())
def test_softmax_family_gradients(x, data):
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    assert_gradients(lambda t: t.softmax(dim), x, second_order=True)
    assert_gradients(lambda t: t.log_softmax(dim), x, second_order=True)


@st.composite
def matmul_operands(draw):
    kind = draw(st.sampled_from(["1d1d", "1d2d", "2d1d", "2d2d", "batched", "broadcast"]))
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    b = draw(st.integers(1, 3))
    a_shape, b_shape = {
        "1d1d": ((k,), (k,)), "1d2d": ((k,), (k, m)), "2d1d": ((n, k), (k,)),
        "2d2d": ((n, k), (k, m)), "batched": ((b, n, k), (b, k, m)),
        "broadcast": ((b, 1, n, k), (2, k, m)),
    }[kind]
    return draw(tensors(st.just(a_shape))), draw(tensors(st.just(b_shape)))


@given(operands=matmul_operands())
def test_matmul_gradients_all_forms(operands):
    a, b = operands
    np.testing.assert_allclose((a @ b).data, np.matmul(a.data, b.data))
    assert_gradients(lambda a, b: a @ b, a, b, second_order=True)


@given(x=tensors(shapes(min_dims=1, max_dims=4)), data=st.data())
def test_shape_op_gradients(x, data):
    perm = data.draw(st.permutations(range(x.ndim)))
    assert_gradients(lambda t: t.permute(*perm) * 2, x, second_order=True)
    assert_gradients(lambda t: t.reshape(-1) * 1, x)
    assert_gradients(lambda t: t.flatten() * 1, x)
    assert_gradients(lambda t: t.unsqueeze(0).squeeze(0) * 1, x)
    d0, d1 = data.draw(st.integers(0, x.ndim - 1)), data.draw(st.integers(0, x.ndim - 1))
    assert_gradients(lambda t: t.transpose(d0, d1) * 1, x)
    target = (2,) + x.shape
    assert_gradients(lambda t: t.expand(*target) * 1, x, second_order=True)
    assert_gradients(lambda t: t.T * 1, x)


@given(x=tensors(shapes(min_dims=1, max_dims=3, min_side=2)), data=st.data())
def test_basic_indexing_gradients(x, data):
    d = data.draw(st.integers(0, x.ndim - 1))
    start = data.draw(st.integers(0, x.shape[d] - 1))
    step = data.draw(st.integers(1, 2))
    index = (slice(None),) * d + (slice(start, None, step),)
    assert_gradients(lambda t: t[index], x, second_order=True)
    assert_gradients(lambda t: t[..., -1], x)
    assert_gradients(lambda t: t[None, 0], x)


@given(x=tensors(shapes(min_dims=1, max_dims=3, min_side=1)), data=st.data())
def test_advanced_indexing_gradients_accumulate_repeats(x, data):
    idx = np.asarray(data.draw(st.lists(st.integers(-x.shape[0], x.shape[0] - 1),
                                        min_size=1, max_size=6)))
    assert_gradients(lambda t: t[idx], x, second_order=True)
    mask = data.draw(arrays(st.just(x.shape), dtype=bool))
    assert_gradients(lambda t: t[mask] * 1, x)
    # repeated indices accumulate: d/dx sum(x[[0, 0, 0]]) = 3 at element 0
    x.grad = None
    x[[0, 0, 0]].sum().backward()
    assert np.all(x.grad.data[0] == 3.0)


@given(data=st.data())
def test_cat_and_stack_gradients(data):
    shape = data.draw(shapes(min_dims=1, max_dims=3))
    dim = data.draw(st.integers(0, len(shape) - 1))
    parts = []
    for _ in range(data.draw(st.integers(1, 3))):
        s = list(shape)
        s[dim] = data.draw(st.integers(1, 3))
        parts.append(data.draw(tensors(st.just(tuple(s)))))
    assert_gradients(lambda *ts: tg.cat(ts, dim=dim), *parts, second_order=True)
    same = [data.draw(tensors(st.just(shape))) for _ in range(2)]
    sdim = data.draw(st.integers(0, len(shape)))
    assert_gradients(lambda *ts: tg.stack(ts, dim=sdim), *same)


@settings(max_examples=10)
@given(x=tensors(shapes(min_dims=1, max_dims=2)))
def test_cast_and_clone_gradients(x):
    assert_gradients(lambda t: t.clone() * 2, x, second_order=True)
    y = x.float()
    y.sum().backward()
    assert x.grad.dtype == tg.float64 and np.all(x.grad.data == 1)


# ---------------------------------------------------------------------- subgradients
def _grad_of(fn, *values):
    ts = [tg.tensor(v, dtype=tg.float64, requires_grad=True) for v in values]
    fn(*ts).sum().backward()
    return [t.grad.numpy() for t in ts]


def test_subgradients_at_kinks_follow_pytorch():
    # relu'(0) = 0, |x|'(0) = 0, sign'(x) = 0
    assert _grad_of(lambda x: x.relu(), [-1.0, 0.0, 2.0])[0].tolist() == [0, 0, 1]
    assert _grad_of(lambda x: x.abs(), [-1.0, 0.0, 2.0])[0].tolist() == [-1, 0, 1]
    assert _grad_of(lambda x: x.sign(), [-1.0, 0.0, 2.0])[0].tolist() == [0, 0, 0]
    # clamp passes the gradient at its bounds (min <= x <= max)
    assert _grad_of(lambda x: x.clamp(0.0, 1.0), [-1.0, 0.0, 0.5, 1.0, 2.0])[0].tolist() \
        == [0, 1, 1, 1, 0]
    # maximum / minimum split ties evenly
    ga, gb = _grad_of(tg.maximum, [1.0, 2.0, 3.0], [1.0, 1.0, 4.0])
    assert ga.tolist() == [0.5, 1, 0] and gb.tolist() == [0.5, 0, 1]
    ga, gb = _grad_of(tg.minimum, [1.0, 2.0], [1.0, 1.0])
    assert ga.tolist() == [0.5, 0] and gb.tolist() == [0.5, 1]
    # max() over everything shares the gradient among ties; max(dim) picks one index
    assert _grad_of(lambda x: x.max(), [3.0, 1.0, 3.0])[0].tolist() == [0.5, 0, 0.5]
    assert _grad_of(lambda x: x.max(dim=0)[0], [3.0, 1.0, 3.0])[0].tolist() == [1, 0, 0]
    # x ** y at x = 0 has d/dy = 0 (not NaN)
    assert _grad_of(lambda x, y: x ** y, [0.0], [2.0])[1].tolist() == [0.0]


def test_kink_subgradients_match_torch():
    torch = pytest.importorskip("torch")
    values = [-1.0, 0.0, 0.0, 2.0, 2.0]
    for ours, theirs in [
        (lambda x: x.relu(), torch.relu), (lambda x: x.abs(), torch.abs),
        (lambda x: x.clamp(0.0, 2.0), lambda x: x.clamp(0.0, 2.0)),
        (lambda x: x.max(), lambda x: x.max()), (lambda x: x.amin(), lambda x: x.amin()),
        (lambda x: tg.maximum(x, tg.tensor(np.zeros(5))),
         lambda x: torch.maximum(x, torch.zeros(5, dtype=torch.float64))),
    ]:
        t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
        theirs(t).sum().backward()
        np.testing.assert_array_equal(_grad_of(ours, values)[0], t.grad.numpy())


def test_gradients_of_0d_tensors_and_scalars():
    x = tg.tensor(1.5, dtype=tg.float64, requires_grad=True)
    assert tg.gradcheck(lambda x: (x * x + 2 * x).exp() / (1 + x), (x,))
    y = tg.tensor(np.ones((2, 3)), requires_grad=True)
    assert tg.gradcheck(lambda x, y: x * y + x, (x, y))
