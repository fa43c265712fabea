"""`tg.f(t, ...)` and `t.f(...)` come from one table; NumPy's `axis=` / `keepdims=`
aliases; the small top-level names (dtype aliases, from_numpy, is_tensor,
inference_mode)."""
import inspect

import numpy as np
import pytest

import tinygrad_jp as tg
from tinygrad_jp.nn import Parameter
from tinygrad_jp.functional import FUNCTION_FORMS

rng = np.random.default_rng(0)
A = rng.standard_normal((3, 4))


@pytest.mark.parametrize("name", FUNCTION_FORMS)
def test_every_function_form_is_its_method(name):
    fn = getattr(tg, name)
    method = getattr(tg.Tensor, name)
    assert fn.__name__ == name
    assert f"input.{name}(" in fn.__doc__
    params = list(inspect.signature(fn).parameters)
    assert params[0] == "input"
    assert params[1:] == list(inspect.signature(method).parameters)[1:]


CALLS = {   # name: (args after the tensor, kwargs)
    "exp": ((), {}), "log1p": ((), {}), "rsqrt": ((), {}), "clamp": ((-0.5, 0.5), {}),
    "clip": ((), {"min": 0.0}), "sum": ((1,), {"keepdim": True}), "mean": ((), {}),
    "std": ((0,), {}), "var": ((), {"dim": 1, "correction": 0}), "argmax": ((1,), {}),
    "flatten": ((), {}), "reshape": ((2, 6), {}), "squeeze": ((), {}),
    "unsqueeze": ((0,), {}), "transpose": ((0, 1), {}), "permute": ((1, 0), {}),
    "cumsum": ((1,), {}), "flip": ((0,), {}), "roll": ((1, 1), {}), "tril": ((), {}),
    "sort": ((1,), {"descending": True}), "topk": ((2,), {}), "norm": ((), {"dim": 1}),
    "logsumexp": ((1,), {}), "movedim": ((0, 1), {}), "tile": ((2,), {}),
}


def _same(a, b):
    if isinstance(a, tuple):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
    else:
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("name", CALLS)
def test_function_form_gives_the_methods_result(name):
    args, kwargs = CALLS[name]
    x = tg.tensor(np.abs(A) + 0.5)
    _same(getattr(tg, name)(x, *args, **kwargs), getattr(x, name)(*args, **kwargs))
    if not args:     # PyTorch's keyword for the tensor works too
        _same(getattr(tg, name)(input=x, **kwargs), getattr(x, name)(**kwargs))


def test_max_and_min_with_dim_return_values_and_indices():
    x = tg.tensor([[1.0, 5.0, 2.0], [7.0, 2.0, 7.0]])
    values, indices = tg.max(x, 1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert tg.max(x, dim=1).indices.tolist() == [1, 0]
    assert tg.min(x, 0, keepdim=True).values.tolist() == [[1.0, 2.0, 2.0]]
    assert tg.max(x).item() == 7.0
    assert tg.max(x, tg.tensor(6.0)).tolist() == [[6.0, 6.0, 6.0], [7.0, 6.0, 7.0]]
    assert tg.min(x, tg.tensor(2.0)).tolist() == [[1.0, 2.0, 2.0], [2.0, 2.0, 2.0]]


def test_allclose_and_equal():
    x = tg.tensor([1.0, 2.0])
    assert tg.allclose(x, x + 1e-9) and not tg.allclose(x, x + 1e-3)
    assert tg.equal(x, tg.tensor([1.0, 2.0])) and not tg.equal(x, tg.tensor([1.0, 2.5]))


REDUCTIONS = ["sum", "mean", "var", "std", "prod", "amax", "amin", "argmax", "argmin",
              "all", "any", "logsumexp", "norm", "max", "min"]


@pytest.mark.parametrize("name", REDUCTIONS)
def test_numpy_style_axis_and_keepdims(name):
    x = tg.tensor(A)
    dim = 1
    expected = getattr(x, name)(dim=dim, keepdim=True)
    for got in (getattr(x, name)(axis=dim, keepdims=True),
                getattr(tg, name)(x, axis=dim, keepdims=True)):
        _same(got, expected)
    with pytest.raises(TypeError, match=f"{name}: got both dim"):
        getattr(x, name)(dim=0, axis=1)


def test_cat_and_stack_accept_axis():
    a, b = tg.tensor(A), tg.tensor(A * 2)
    _same(tg.cat([a, b], axis=1), tg.cat([a, b], dim=1))
    _same(tg.stack([a, b], axis=2), tg.stack([a, b], dim=2))
    _same(tg.concat([a, b], axis=1), tg.cat([a, b], 1))
    _same(tg.concatenate([a, b]), tg.cat([a, b]))


def test_dtype_aliases_follow_torch():
    assert tg.int == tg.int32 and tg.long == tg.int64 and tg.short == tg.int16
    assert tg.float == tg.float32 and tg.double == tg.float64 and tg.half == tg.float16
    assert tg.tensor([1, 2], dtype=tg.int).dtype == np.int32


def test_from_numpy_shares_memory_and_keeps_dtype():
    a = np.arange(3.0)
    t = tg.from_numpy(a)
    assert t.dtype == np.float64
    a[0] = 7.0
    assert t[0].item() == 7.0
    with pytest.raises(TypeError, match="from_numpy: expected np.ndarray"):
        tg.from_numpy([1.0, 2.0])


def test_is_tensor_and_as_tensor():
    t = tg.tensor([1.0])
    assert tg.is_tensor(t) and tg.is_tensor(Parameter(t)) and not tg.is_tensor(A)
    assert tg.as_tensor(t) is t
    assert tg.as_tensor(t, dtype=tg.float64).dtype == np.float64
    assert tg.as_tensor([1, 2]).dtype == np.int64


def test_inference_mode_records_no_graph():
    x = tg.tensor([1.0], requires_grad=True)
    with tg.inference_mode():
        assert not (x * 2).requires_grad
    with tg.inference_mode(False):
        assert (x * 2).requires_grad

    @tg.inference_mode()
    def f(t):
        return t * 2

    @tg.inference_mode
    def g(t):
        return t * 2

    assert not f(x).requires_grad and not g(x).requires_grad
    assert (x * 2).requires_grad


def test_function_forms_exist_in_torch_as_both_forms():
    """The table lists only names PyTorch has both as torch.f and as Tensor.f."""
    torch = pytest.importorskip("torch")
    missing = [n for n in FUNCTION_FORMS
               if not (hasattr(torch, n) and hasattr(torch.Tensor, n))]
    assert not missing, f"not both torch.f and Tensor.f in PyTorch: {missing}"


ORACLE = {   # name: (args, kwargs), compared with torch.<name>(x, *args, **kwargs)
    "cumsum": ((1,), {}), "cumprod": ((0,), {}), "flip": (((0, 1),), {}),
    "roll": ((2, 1), {}), "tril": ((1,), {}), "triu": ((-1,), {}),
    "std": ((), {"dim": 1, "keepdim": True}), "var": ((0,), {}),
    "sum": ((), {"axis": 0, "keepdims": True}), "amax": ((1,), {}),
    "log2": ((), {}), "log10": ((), {}), "exp2": ((), {}), "expm1": ((), {}),
    "log1p": ((), {}), "tan": ((), {}), "floor": ((), {}), "ceil": ((), {}),
    "trunc": ((), {}), "round": ((), {}), "rsqrt": ((), {}), "norm": ((), {}),
    "movedim": ((1, 0), {}), "tile": (((2, 1),), {}), "logsumexp": ((1,), {}),
    "narrow": ((1, 1, 2), {}),
}


@pytest.mark.parametrize("name", ORACLE)
def test_function_forms_match_torch(name):
    torch = pytest.importorskip("torch")
    args, kwargs = ORACLE[name]
    x = np.abs(A) + 0.25
    ours = getattr(tg, name)(tg.tensor(x), *args, **kwargs).numpy()
    theirs = getattr(torch, name)(torch.tensor(x), *args, **kwargs).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
