"""The public Hypothesis strategies do what their docstrings promise."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_jp as tg
from tinygrad_jp.testing import arrays, broadcastable_shapes, check_gradient, shapes, tensors


@given(s=shapes(min_dims=0, max_dims=3, max_side=4))
def test_shapes_respect_bounds(s):
    assert 0 <= len(s) <= 3 and all(1 <= d <= 4 for d in s)


@given(pair=broadcastable_shapes())
def test_broadcastable_shapes_broadcast(pair):
    np.broadcast_shapes(*pair)


@given(t=tensors(st.just((5,)), min_value=-1, max_value=1, away_from=[0.0], margin=0.1))
def test_tensors_are_float64_in_range_and_away_from_kinks(t):
    assert t.dtype == tg.float64 and t.requires_grad
    assert np.all(np.abs(t.numpy()) >= 0.1) and np.all(np.abs(t.numpy()) <= 1)


@given(a=arrays(st.just((3,)), dtype=np.int64, min_value=0, max_value=4))
def test_integer_arrays(a):
    assert a.dtype == np.int64 and a.min() >= 0 and a.max() <= 4


def test_check_gradient_catches_a_wrong_backward():
    from tinygrad_jp.autograd import Function

    class BadExp(Function):
        def forward(self, x):
            return np.exp(x.data)

        def backward(self, grad):
            return grad          # wrong: should be grad * exp(x)

    with pytest.raises(tg.GradcheckError):
        check_gradient(BadExp.apply, tensors(shapes(min_dims=1), min_value=1.0),
                       max_examples=5)
