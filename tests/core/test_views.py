"""Shape ops that change nothing still return a new tensor (a view of the same data),
as PyTorch's do: hooks, retain_grad and names set on the result stay on the result."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_jp as tg
from tinygrad_jp.testing import assert_gradients, shapes, tensors

# Each op changes nothing on a (2, 3) tensor. The same call works on torch tensors.
NO_OPS = {
    "reshape": lambda t: t.reshape(2, 3),
    "reshape(-1, 3)": lambda t: t.reshape(-1, 3),
    "view": lambda t: t.view(2, 3),
    "view_as": lambda t: t.view_as(t),
    "reshape_as": lambda t: t.reshape_as(t),
    "permute": lambda t: t.permute(0, 1),
    "transpose(0, 0)": lambda t: t.transpose(0, 0),
    "T.T": lambda t: t.T.T,
    "expand": lambda t: t.expand(2, 3),
    "expand(-1, -1)": lambda t: t.expand(-1, -1),
    "expand_as": lambda t: t.expand_as(t),
    "broadcast_to": lambda t: t.broadcast_to((2, 3)),
    "squeeze(0)": lambda t: t.squeeze(0),
    "squeeze()": lambda t: t.squeeze(),
    "squeeze((0, 1))": lambda t: t.squeeze((0, 1)),
}


@pytest.mark.parametrize("name", sorted(NO_OPS))
def test_a_shape_op_that_changes_nothing_returns_a_new_view(name):
    x = tg.tensor(np.arange(6.).reshape(2, 3), requires_grad=True)
    y = NO_OPS[name](x)
    assert y is not x
    assert y.shape == x.shape and np.shares_memory(y.data, x.data)
    assert y.grad_fn is not None and not y.is_leaf


@pytest.mark.parametrize("name", sorted(NO_OPS))
def test_retain_grad_and_hooks_on_the_result_stay_on_the_result(name):
    x = tg.tensor(np.arange(6.).reshape(2, 3), requires_grad=True)
    y = NO_OPS[name](x)
    y.retain_grad()
    seen = []
    y.register_hook(lambda g: seen.append(g.numpy().copy()))
    (y * 3).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), np.full((2, 3), 3.0))
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 3.0))
    assert len(seen) == 1
    assert x.name is None
    y.name = "y"
    assert x.name is None


def test_without_grad_the_result_is_still_a_new_tensor():
    x = tg.tensor(np.arange(6.).reshape(2, 3))
    for name, op in NO_OPS.items():
        y = op(x)
        assert y is not x and np.shares_memory(y.data, x.data), name


def test_flatten_of_one_dim_returns_the_input_as_pytorch_does():
    x = tg.zeros(2, 3)
    assert x.flatten(1, 1) is x and x.flatten(-1, -1) is x
    assert tg.zeros(3).flatten() is not None and tg.zeros(3).flatten().shape == (3,)
    assert tg.zeros(()).flatten().shape == (1,)


def test_identity_matches_torch():
    torch = pytest.importorskip("torch")
    ours = tg.tensor(np.arange(6.).reshape(2, 3), requires_grad=True)
    theirs = torch.tensor(np.arange(6.).reshape(2, 3), requires_grad=True)
    for name, op in NO_OPS.items():
        assert (op(ours) is ours) == (op(theirs) is theirs), name
    for op in (lambda t: t.flatten(1, 1), lambda t: t.flatten(0, 0), lambda t: t.flatten()):
        assert (op(ours) is ours) == (op(theirs) is theirs)


def test_shape_ops_reject_sizes_of_the_wrong_type():
    x = tg.zeros(2, 3)
    with pytest.raises(TypeError, match="reshape: argument 'shape' must be a tuple of ints, "
                                        "but got float 3.0 at position 2"):
        x.reshape(2, 3.0)
    with pytest.raises(TypeError, match="permute: argument 'dims'"):
        x.permute("0", 1)
    with pytest.raises(TypeError, match="expand: argument 'size'"):
        x.expand(2, "3")


@given(x=tensors(shapes(min_dims=1, max_dims=4)), data=st.data())
def test_shape_ops_that_change_nothing_gradients(x, data):
    dim = data.draw(st.integers(-x.ndim, x.ndim - 1))
    identity = tuple(range(x.ndim))
    assert_gradients(lambda t: t.reshape(t.shape), x, second_order=True)
    assert_gradients(lambda t: t.permute(*identity), x, second_order=True)
    assert_gradients(lambda t: t.expand(*t.shape), x, second_order=True)
    assert_gradients(lambda t: t.squeeze(dim), x, second_order=True)


def test_writing_through_a_view_that_changes_nothing_writes_the_input():
    x = tg.zeros(2, 3)
    for op in NO_OPS.values():
        op(x).add_(1)
    np.testing.assert_array_equal(x.numpy(), np.full((2, 3), len(NO_OPS)))
