"""The curriculum's quizzes (確認テスト), answered by autograd."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_jp as tg

finite = st.floats(-5, 5, allow_nan=False)


@given(x=finite, y=finite)
def test_chain_rule_dz_dx_is_2t(x, y):
    """z = t², t = x + y  ⇒  dz/dx = dz/dt · dt/dx = 2t · 1 = 2(x + y)."""
    tx = tg.tensor(x, dtype=tg.float64, requires_grad=True)
    ty = tg.tensor(y, dtype=tg.float64, requires_grad=True)
    t = tx + ty
    z = t ** 2
    z.backward()
    assert tx.grad.item() == pytest.approx(2 * (x + y))
    assert ty.grad.item() == pytest.approx(2 * (x + y))


@given(x=finite)
def test_sigmoid_derivative_is_sigma_times_one_minus_sigma(x):
    t = tg.tensor(x, dtype=tg.float64, requires_grad=True)
    s = t.sigmoid()
    s.backward()
    sigma = 1 / (1 + math.exp(-x))
    assert t.grad.item() == pytest.approx(sigma * (1 - sigma))


def test_sigmoid_derivative_at_zero_is_a_quarter():
    t = tg.tensor(0.0, requires_grad=True)
    t.sigmoid().backward()
    assert t.grad.item() == 0.25


@given(x=finite, a=st.floats(0.1, 3))
def test_sigmoid_with_gain_a_has_derivative_a_sigma_one_minus_sigma(x, a):
    """d/dx 1 / (1 + e^(−ax)) = a·σ(1 − σ), written out with exp so the chain rule does it."""
    t = tg.tensor(x, dtype=tg.float64, requires_grad=True)
    s = 1 / (1 + (-a * t).exp())
    s.backward()
    sigma = s.item()
    assert t.grad.item() == pytest.approx(a * sigma * (1 - sigma))


def test_sigmoid_derivative_never_exceeds_a_quarter():
    """Why deep sigmoid nets lose their gradient: σ' ≤ 0.25, so ten layers scale it by ≤ 0.25¹⁰."""
    x = tg.tensor(np.linspace(-10, 10, 2001), requires_grad=True)
    x.sigmoid().sum().backward()
    assert x.grad.numpy().max() == pytest.approx(0.25)
    h = tg.tensor(0.0, requires_grad=True)
    y = h
    for _ in range(10):
        y = y.sigmoid()
    y.backward()
    assert h.grad.item() < 0.25 ** 10 * 1.01
