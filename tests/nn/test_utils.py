"""nn.utils: gradient clipping (against PyTorch) and the loss penalties' formulas and
gradients."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_jp as tg
from tinygrad_jp import nn
from tinygrad_jp.nn import utils


def _params_with_grads(rng, shapes, scale=1.0):
    ps = []
    for s in shapes:
        p = nn.Parameter(tg.tensor(rng.standard_normal(s)))
        p.grad = tg.tensor(rng.standard_normal(s) * scale)
        ps.append(p)
    return ps


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf"), "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_pytorch(norm_type, max_norm):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    shapes = [(3, 4), (4,), (2, 2, 2)]
    ours = _params_with_grads(rng, shapes)
    theirs = [torch.tensor(p.data, requires_grad=True) for p in ours]
    for t, p in zip(theirs, ours, strict=True):
        t.grad = torch.tensor(p.grad.data.copy())
    total = utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, tg.Tensor) and total.shape == ()
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-6)
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.grad.data, t.grad.numpy(), rtol=1e-6)


def test_clip_grad_norm_closed_form_and_edge_cases():
    p = nn.Parameter(tg.zeros(2))
    p.grad = tg.tensor([3.0, 4.0])
    q = nn.Parameter(tg.zeros(2))  # no grad: skipped
    total = utils.clip_grad_norm_([p, q], 1.0)
    assert total.item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.data, [0.6, 0.8], rtol=1e-5)
    assert q.grad is None
    assert utils.clip_grad_norm_(p, 10.0).item() == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(p.grad.data, [0.6, 0.8], rtol=1e-5)  # below: unchanged
    assert utils.clip_grad_norm_([q], 1.0).item() == 0.0
    m = nn.Linear(3, 2)
    m(tg.ones(1, 3)).sum().backward()
    assert utils.clip_grad_norm_(m, 1e-3).item() > 1e-3  # a Module works too
    assert utils.get_total_norm([g.grad for g in m.parameters()]).item() == pytest.approx(
        1e-3, rel=1e-3)
    p.grad = tg.tensor([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    with pytest.raises(ValueError, match="max_norm"):
        utils.clip_grad_norm_(p, -1.0)
    with pytest.raises(TypeError, match="not a Tensor"):
        utils.clip_grad_norm_([np.zeros(2)], 1.0)


def test_clip_grad_value_matches_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    ours = _params_with_grads(rng, [(5, 5), (5,)], scale=3.0)
    theirs = [torch.tensor(p.data) for p in ours]
    for t, p in zip(theirs, ours, strict=True):
        t.grad = torch.tensor(p.grad.data.copy())
    utils.clip_grad_value_(ours, 1.5)
    torch.nn.utils.clip_grad_value_(theirs, 1.5)
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(p.grad.data, t.grad.numpy())
    assert max(np.abs(p.grad.data).max() for p in ours) == 1.5
    with pytest.raises(ValueError, match="clip_value"):
        utils.clip_grad_value_(ours, -1)


def test_penalty_values_closed_form():
    a = tg.tensor([1.0, -2.0, 0.0], requires_grad=True)
    b = tg.tensor([[3.0]], requires_grad=True)
    assert utils.l1_penalty([a, b]).item() == pytest.approx(6.0)
    assert utils.l2_penalty([a, b]).item() == pytest.approx(0.5 * 14)
    assert utils.elastic_net_penalty([a, b], 0.25).item() == pytest.approx(
        0.25 * 6 + 0.75 * 7)
    assert utils.elastic_net_penalty([a, b], 1).item() == pytest.approx(6.0)
    assert utils.elastic_net_penalty([a, b], 0.0).item() == pytest.approx(7.0)
    assert utils.l2_penalty([]).item() == 0.0
    with pytest.raises(ValueError, match="l1_ratio"):
        utils.elastic_net_penalty([a], 1.5)


def test_penalty_gradients_are_the_quiz_facts():
    """d(½λ‖w‖²)/dw = λw and d(λ‖w‖₁)/dw = λ·sign(w), 0 at 0."""
    w = tg.tensor([1.5, -2.0, 0.0, 0.25], requires_grad=True)
    lam = 0.1
    (lam * utils.l2_penalty(w)).backward()
    np.testing.assert_allclose(w.grad.data, lam * w.data, rtol=1e-6)
    w.grad = None
    (lam * utils.l1_penalty([w])).backward()
    np.testing.assert_allclose(w.grad.data, lam * np.sign(w.data), rtol=1e-6)
    assert w.grad.data[2] == 0.0
    w.grad = None
    utils.elastic_net_penalty(w, 0.3).backward()
    np.testing.assert_allclose(w.grad.data, 0.3 * np.sign(w.data) + 0.7 * w.data, rtol=1e-6)


def test_penalty_on_weights_only_leaves_biases_alone():
    m = nn.Linear(3, 2)
    weights = [p for n, p in m.named_parameters() if n.endswith("weight")]
    utils.l2_penalty(weights).backward()
    assert m.bias.grad is None
    np.testing.assert_allclose(m.weight.grad.data, m.weight.data, rtol=1e-6)
    m.zero_grad()
    utils.l1_penalty(m).backward()  # a Module means all its parameters
    assert m.bias.grad is not None


@settings(max_examples=10)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.floats(0.0, 1.0))
def test_elastic_net_gradcheck(shape, ratio):
    rng = np.random.default_rng(len(shape))
    # keep away from 0, where |w| has a kink
    x = tg.tensor(rng.uniform(0.1, 1.0, shape) * rng.choice([-1, 1], shape),
                  requires_grad=True)
    assert tg.gradcheck(lambda t: utils.elastic_net_penalty([t], ratio), [x])


def test_parameters_vector_roundtrip():
    m = nn.Linear(3, 2)
    v = utils.parameters_to_vector(m.parameters())
    assert v.shape == (8,)
    utils.vector_to_parameters(v * 0 + 1, m.parameters())
    assert (m.weight.data == 1).all() and (m.bias.data == 1).all()
    with pytest.raises(RuntimeError, match="8 elements"):
        utils.vector_to_parameters(tg.zeros(7), m.parameters())
    assert math.isclose(utils.parameters_to_vector(m).sum().item(), 8.0)
