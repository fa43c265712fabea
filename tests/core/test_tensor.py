"""Construction, dtype rules, creation functions, operators and conversions."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_jp as tg
from tinygrad_jp.testing import arrays, broadcastable_shapes


def test_construction_dtype_rules():
    assert tg.tensor(1.5).dtype == tg.float32
    assert tg.tensor([1.0, 2.0]).dtype == tg.float32
    assert tg.tensor([1, 2]).dtype == tg.int64
    assert tg.tensor([True, False]).dtype == tg.bool
    assert tg.Tensor(np.zeros(3, dtype=np.float64)).dtype == tg.float64   # arrays keep
    assert tg.Tensor(np.zeros(3, dtype=np.int32)).dtype == tg.int32
    assert tg.tensor([1, 2], dtype=tg.float64).dtype == tg.float64
    assert tg.tensor(np.zeros(2), dtype="float32").dtype == tg.float32
    assert tg.Tensor(tg.ones(2)).dtype == tg.float32
    with pytest.raises(TypeError, match="dtype"):
        tg.tensor(["a", "b"])
    with pytest.raises(TypeError, match="not a dtype"):
        tg.tensor([1.0], dtype="nonsense")


def test_tensor_copies_but_Tensor_wraps():
    a = np.zeros(3, dtype=np.float32)
    assert tg.Tensor(a).data is a
    t = tg.tensor(a)
    t.data[0] = 1
    assert a[0] == 0


def test_creation_functions_accept_dtype_and_requires_grad():
    for fn in (tg.zeros, tg.ones, tg.empty, tg.randn, tg.rand):
        t = fn(2, 3)
        assert t.shape == (2, 3) and t.dtype == tg.float32
        assert fn((2, 3), dtype=tg.float64).dtype == tg.float64
        assert fn(2, requires_grad=True).requires_grad
    assert tg.full((2, 2), 7).dtype == tg.int64
    assert tg.full((2, 2), 7.0).dtype == tg.float32
    assert tg.zeros_like(tg.ones(2, dtype=tg.float64)).dtype == tg.float64
    assert tg.ones_like(tg.ones(3)).tolist() == [1, 1, 1]
    assert tg.arange(5).dtype == tg.int64 and tg.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert tg.arange(0, 1, 0.25).dtype == tg.float32
    assert tg.eye(3).numpy().trace() == 3
    r = tg.randint(0, 10, (100,))
    assert r.dtype == tg.int64 and 0 <= r.numpy().min() and r.numpy().max() < 10
    with pytest.raises(RuntimeError, match="floating point"):
        tg.zeros(2, dtype=tg.int64, requires_grad=True)


def test_manual_seed_makes_random_ops_reproducible():
    tg.manual_seed(42)
    a = (tg.randn(3).numpy(), tg.rand(2).numpy(), tg.randint(0, 5, (4,)).numpy())
    tg.manual_seed(42)
    b = (tg.randn(3).numpy(), tg.rand(2).numpy(), tg.randint(0, 5, (4,)).numpy())
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    tg.manual_seed(43)
    assert not np.array_equal(tg.randn(3).numpy(), a[0])


@pytest.mark.parametrize("a_dtype, b, expected", [
    (tg.float32, 2.5, tg.float32),            # a Python scalar does not widen
    (tg.float32, 2, tg.float32),
    (tg.int64, 2.5, tg.float32),              # int tensor with float scalar → default float
    (tg.int64, 2, tg.int64),
    (tg.bool, 1, tg.int64),
    (tg.float32, np.ones(3, np.float64), tg.float64),
    (tg.int64, np.ones(3, np.float32), tg.float32),   # NumPy would give float64
    (tg.float16, np.ones(3, np.float32), tg.float32),
])
def test_type_promotion_follows_pytorch(a_dtype, b, expected):
    a = tg.ones(3, dtype=a_dtype)
    other = tg.Tensor(b) if isinstance(b, np.ndarray) else b
    assert (a + other).dtype == expected
    assert (other + a).dtype == expected
    assert (a * other).dtype == expected


def test_zero_dim_tensors_do_not_widen_dimensioned_ones():
    a = tg.ones(3)
    assert (a + tg.tensor(1.0, dtype=tg.float64)).dtype == tg.float32
    assert (tg.ones(3, dtype=tg.int64) + tg.tensor(1.0)).dtype == tg.float32
    assert (tg.tensor(1.0) + tg.tensor(1.0, dtype=tg.float64)).dtype == tg.float64


def test_integer_division_is_true_division():
    q = tg.tensor([1, 2, 3]) / tg.tensor([2, 2, 2])
    assert q.dtype == tg.float32 and q.tolist() == [0.5, 1.0, 1.5]
    assert (tg.tensor([1, 2]) / 2).dtype == tg.float32
    assert (1 / tg.tensor([2, 4])).tolist() == [0.5, 0.25]


@given(shapes=broadcastable_shapes(), data=st.data())
def test_operators_match_numpy_with_tensors_arrays_and_scalars(shapes, data):
    a = data.draw(arrays(st.just(shapes[0]), dtype=np.float64))
    b = data.draw(arrays(st.just(shapes[1]), dtype=np.float64, min_value=0.5))
    ta, tb = tg.Tensor(a), tg.Tensor(b)
    for op in ("__add__", "__sub__", "__mul__", "__truediv__", "__pow__"):
        expected = getattr(np.abs(a) + 0.1 if op == "__pow__" else a, op)(b)
        base = tg.Tensor(np.abs(a) + 0.1) if op == "__pow__" else ta
        np.testing.assert_allclose(getattr(base, op)(tb).numpy(), expected)
        np.testing.assert_allclose(getattr(base, op)(b).numpy(), expected)   # ndarray
    np.testing.assert_allclose((2.0 - ta).numpy(), 2.0 - a)
    np.testing.assert_allclose((b * ta).numpy(), b * a)          # reflected with ndarray
    np.testing.assert_allclose((b / tb).numpy(), np.ones_like(b * 1.0))
    np.testing.assert_allclose((2.0 ** tb).numpy(), 2.0 ** b)
    np.testing.assert_allclose((-ta).numpy(), -a)


def test_reflected_ndarray_operators_return_tensors():
    t = tg.ones(3, requires_grad=True)
    r = np.full(3, 2.0, dtype=np.float32) * t
    assert isinstance(r, tg.Tensor) and r.requires_grad
    r = np.ones(3, dtype=np.float32) - t
    assert isinstance(r, tg.Tensor)
    m = np.eye(3, dtype=np.float32) @ t
    assert isinstance(m, tg.Tensor) and m.shape == (3,)


def test_comparisons_return_bool_without_grad():
    x = tg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result in (x < 2, x <= 2, x > 2, x >= 2, x == 2, x != 2, 2 < x, x == x):
        assert result.dtype == tg.bool and not result.requires_grad
    assert (x > 1.5).tolist() == [False, True, True]
    assert (x == np.array([1, 0, 3])).tolist() == [True, False, True]


def test_conversions():
    x = tg.tensor([[1.0, 2.0]], requires_grad=True)
    assert isinstance(x.numpy(), np.ndarray)
    assert x.tolist() == [[1.0, 2.0]]
    assert tg.tensor(3.5).item() == 3.5 and isinstance(tg.tensor(3).item(), int)
    with pytest.raises(RuntimeError, match="2 elements"):
        x.item()
    d = x.detach()
    assert not d.requires_grad and d.grad_fn is None and d.data is x.data
    c = x.clone()
    assert c.grad_fn.name == "CloneBackward" and c.data is not x.data
    assert x.to(tg.float64).dtype == tg.float64
    assert x.double().dtype == tg.float64 and x.double().float().dtype == tg.float32
    assert x.long().dtype == tg.int64 and not x.long().requires_grad
    assert x.size() == (1, 2) and x.size(1) == 2 and x.numel() == 2 and len(x) == 1
    assert x.ndim == 2 and x.T.shape == (2, 1)
    assert "requires_grad=True" in repr(x) and "grad_fn=<MulBackward>" in repr(x * 2)


def test_shape_ops_values():
    x = tg.arange(24).reshape(2, 3, 4)
    assert x.view(6, 4).shape == (6, 4) and x.reshape(-1, 4).shape == (6, 4)
    assert x.flatten().shape == (24,) and x.flatten(1).shape == (2, 12)
    assert x.permute(2, 0, 1).shape == (4, 2, 3)
    assert x.transpose(0, 2).shape == (4, 3, 2)
    assert x.unsqueeze(1).shape == (2, 1, 3, 4) and x.unsqueeze(-1).shape == (2, 3, 4, 1)
    assert x.unsqueeze(0).squeeze(0).shape == (2, 3, 4)
    assert tg.ones(1, 3).expand(2, 3).shape == (2, 3)
    assert tg.ones(3, 1).expand(-1, 4).shape == (3, 4)
    assert tg.ones(3).broadcast_to((2, 3)).shape == (2, 3)
    assert tg.cat([tg.ones(2, 3), tg.zeros(1, 3)]).shape == (3, 3)
    assert tg.stack([tg.ones(2), tg.zeros(2)], dim=1).shape == (2, 2)
    np.testing.assert_array_equal(x[1, :, ::2].numpy(), np.arange(24).reshape(2, 3, 4)[1, :, ::2])
    message = r"reshape: shape \(5, 5\) is invalid for input of shape \(2, 3, 4\)"
    with pytest.raises(RuntimeError, match=message):
        x.reshape(5, 5)
    with pytest.raises(RuntimeError, match="expand"):
        tg.ones(2, 3).expand(4, 3)
    with pytest.raises(IndexError, match="dimension out of range"):
        x.sum(dim=3)


def test_reductions_values_match_numpy():
    a = np.random.default_rng(0).standard_normal((3, 4))
    x = tg.Tensor(a)
    np.testing.assert_allclose(x.sum(1).numpy(), a.sum(1))
    np.testing.assert_allclose(x.mean((0, 1)).numpy(), a.mean())
    np.testing.assert_allclose(x.var().numpy(), a.var(ddof=1))
    np.testing.assert_allclose(x.std(0, unbiased=False).numpy(), a.std(0))
    np.testing.assert_allclose(x.prod(1).numpy(), a.prod(1))
    values, indices = x.max(dim=1)
    np.testing.assert_allclose(values.numpy(), a.max(1))
    assert indices.dtype == tg.int64 and indices.tolist() == a.argmax(1).tolist()
    assert x.min(dim=0, keepdim=True).values.shape == (1, 4)
    assert x.argmax().item() == a.argmax() and x.argmin(1).tolist() == a.argmin(1).tolist()
    assert x.max().item() == a.max()
    assert x.sum(1, keepdim=True).shape == (3, 1)
    assert tg.tensor([True, True]).sum().item() == 2
    with pytest.raises(RuntimeError, match="mean.*dtype"):
        tg.tensor([1, 2]).mean()


def test_softmax_is_stable_for_huge_inputs():
    x = tg.tensor([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4]], requires_grad=True)
    s = x.softmax(dim=1)
    assert np.isfinite(s.numpy()).all()
    np.testing.assert_allclose(s.numpy()[0], [1, 0, 0])
    np.testing.assert_allclose(s.numpy()[1], [1 / 3] * 3, rtol=1e-6)
    ls = x.log_softmax(dim=1)
    assert np.isfinite(ls.numpy()).all() and ls.numpy()[0, 2] == pytest.approx(-2e4)
    ls.sum().backward()
    assert np.isfinite(x.grad.numpy()).all()
    sig = tg.tensor([-1e4, 1e4]).sigmoid()
    assert sig.tolist() == [0.0, 1.0]


def test_where_maximum_minimum_values():
    a, b = tg.tensor([1.0, 5.0]), tg.tensor([3.0, 2.0])
    assert tg.where(a > b, a, b).tolist() == [3.0, 5.0]
    assert tg.where(a > 2, a, 0.0).tolist() == [0.0, 5.0]
    assert tg.maximum(a, b).tolist() == [3.0, 5.0] and tg.minimum(a, b).tolist() == [1, 2]
    assert tg.exp(tg.zeros(1)).item() == 1.0 and tg.relu(tg.tensor([-1.0])).item() == 0.0


def test_inplace_updates_under_no_grad_and_their_guards():
    p = tg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place operation.*no_grad"):
        p -= 1.0
    with tg.no_grad():
        p -= 0.5 * tg.ones(3)
    assert p.tolist() == [0.5, 0.5, 0.5] and p.is_leaf and p.requires_grad
    y = p * 2
    y += 1                                 # recorded: becomes a new node
    assert y.grad_fn.name == "AddBackward"
    i = tg.zeros(2, dtype=tg.int64)
    with pytest.raises(RuntimeError, match="can't be cast"):
        i += 0.5
