"""cross_entropy, nll_loss, mse_loss, l1_loss, binary_cross_entropy(_with_logits):
closed forms, stability at ±1e4, gradchecks, second derivatives, PyTorch, errors."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_jp as tg
import tinygrad_jp.nn.functional as F


def t64(a, grad=True):
    return tg.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@st.composite
def ce_cases(draw):
    n, c = draw(st.integers(1, 4)), draw(st.integers(2, 4))
    extra = draw(st.sampled_from([(), (2,), (2, 1)]))
    seed = draw(st.integers(0, 9999))
    rng = np.random.default_rng(seed)
    target = rng.integers(0, c, (n,) + extra)
    ignore = draw(st.sampled_from([None, 0, -100]))
    if ignore == -100 and target.size > 1:
        target.flat[0] = -100
    return dict(x=rng.standard_normal((n, c) + extra), target=target,
                weight=rng.uniform(0.5, 2.0, c) if draw(st.booleans()) else None,
                ignore=-100 if ignore is None else ignore,
                reduction=draw(st.sampled_from(["mean", "sum", "none"])),
                smoothing=draw(st.sampled_from([0.0, 0.0, 0.1, 0.5])))


def ce(x, case, weight=None):
    return F.cross_entropy(x, tg.tensor(case["target"]), weight=weight,
                           ignore_index=case["ignore"], reduction=case["reduction"],
                           label_smoothing=case["smoothing"])


@settings(max_examples=20)
@given(ce_cases())
def test_cross_entropy_indices_gradcheck_and_torch(case):
    if case["reduction"] == "mean" and (case["target"] == case["ignore"]).all():
        return              # every target ignored: the mean is 0/0, NaN in PyTorch too
    w = None if case["weight"] is None else t64(case["weight"], False)
    assert tg.gradcheck(lambda a: ce(a, case, w), [t64(case["x"])])
    try:
        import torch
    except ImportError:
        return
    tx = torch.tensor(case["x"], requires_grad=True)
    ty = torch.nn.functional.cross_entropy(
        tx, torch.tensor(case["target"]),
        weight=None if w is None else torch.tensor(case["weight"]),
        ignore_index=case["ignore"], reduction=case["reduction"],
        label_smoothing=case["smoothing"])
    xt = t64(case["x"])
    y = ce(xt, case, w)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = rand(y.shape, 3)
    y.backward(tg.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(xt.grad.numpy(), tx.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_cross_entropy_gradgradcheck():
    x = t64(rand((3, 4)))
    t = tg.tensor([0, 3, 1])
    assert tg.gradgradcheck(lambda a: F.cross_entropy(a, t), [x])
    assert tg.gradgradcheck(lambda a: F.cross_entropy(a, t, label_smoothing=0.2,
                                                      weight=t64([1, 2, 3, 4], False)), [x])
    assert tg.gradgradcheck(lambda a: F.cross_entropy(a, t, reduction="none"), [x])


def test_cross_entropy_closed_form_and_stability():
    # uniform logits: loss = log C
    assert math.isclose(F.cross_entropy(tg.zeros(2, 10), tg.tensor([3, 7])).item(),
                        math.log(10), rel_tol=1e-6)
    x = tg.tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]], requires_grad=True)
    loss = F.cross_entropy(x, tg.tensor([1, 1]))
    assert math.isclose(loss.item(), 1e4, rel_tol=1e-6)
    loss.backward()
    assert np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(x.grad.numpy(), [[0.5, -0.5, 0], [0, 0, 0]], atol=1e-6)


def test_cross_entropy_float32_hot_path_stays_float32():
    x = tg.randn(100, 10, requires_grad=True)
    loss = F.cross_entropy(x, tg.randint(0, 10, (100,)))
    loss.backward()
    assert loss.dtype == np.float32 and x.grad.dtype == np.float32
    assert loss.grad_fn.name == "CrossEntropyIndexBackward"


@settings(max_examples=10)
@given(st.integers(1, 3), st.integers(2, 4), st.sampled_from([0.0, 0.2]),
       st.sampled_from(["mean", "sum", "none"]), st.booleans(), st.integers(0, 99))
def test_cross_entropy_probabilities_gradcheck_and_torch(n, c, eps, reduction, weighted,
                                                         seed):
    x = rand((n, c), seed)
    p = np.random.default_rng(seed).dirichlet(np.ones(c), n)
    w = np.linspace(0.5, 1.5, c) if weighted else None
    wt = None if w is None else t64(w, False)

    def fn(a, q):
        return F.cross_entropy(a, q, weight=wt, reduction=reduction, label_smoothing=eps)
    assert tg.gradcheck(fn, [t64(x), t64(p)])
    try:
        import torch
    except ImportError:
        return
    ref = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(p),
                                            weight=None if w is None else torch.tensor(w),
                                            reduction=reduction, label_smoothing=eps)
    np.testing.assert_allclose(fn(t64(x), t64(p)).numpy(), ref.numpy(), atol=1e-12)


def test_one_hot_targets_equal_index_targets():
    x = tg.randn(4, 5)
    t = np.array([0, 4, 2, 2])
    onehot = np.eye(5, dtype=np.float32)[t]
    np.testing.assert_allclose(F.cross_entropy(x, tg.tensor(onehot)).item(),
                               F.cross_entropy(x, tg.tensor(t)).item(), rtol=1e-6)


@settings(max_examples=10)
@given(ce_cases())
def test_nll_loss_gradcheck_and_torch(case):
    if case["reduction"] == "mean" and (case["target"] == case["ignore"]).all():
        return
    w = None if case["weight"] is None else t64(case["weight"], False)
    logp = tg.tensor(case["x"]).log_softmax(1).numpy()

    def fn(a):
        return F.nll_loss(a, tg.tensor(case["target"]), weight=w, ignore_index=case["ignore"],
                          reduction=case["reduction"])
    assert tg.gradcheck(fn, [t64(logp)])
    assert tg.gradgradcheck(lambda a: fn(a) * fn(a), [t64(logp)])
    try:
        import torch
    except ImportError:
        return
    ref = torch.nn.functional.nll_loss(
        torch.tensor(logp), torch.tensor(case["target"]),
        weight=None if w is None else torch.tensor(case["weight"]),
        ignore_index=case["ignore"], reduction=case["reduction"])
    np.testing.assert_allclose(fn(t64(logp)).numpy(), ref.numpy(), atol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses_gradcheck_and_closed_form(reduction):
    x, t = t64(rand((3, 2), 1)), t64(rand((3, 2), 2))
    assert tg.gradcheck(lambda a, b: F.mse_loss(a, b, reduction=reduction), [x, t])
    assert tg.gradcheck(lambda a, b: F.l1_loss(a, b, reduction=reduction), [x, t])
    d = x.numpy() - t.numpy()
    reduce = {"mean": np.mean, "sum": np.sum, "none": lambda a: a}[reduction]
    np.testing.assert_allclose(F.mse_loss(x, t, reduction=reduction).numpy(), reduce(d * d))
    np.testing.assert_allclose(F.l1_loss(x, t, reduction=reduction).numpy(),
                               reduce(np.abs(d)))


def test_mse_loss_shape_mismatch_raises_instead_of_broadcasting():
    with pytest.raises(RuntimeError, match=r"input of shape \(4, 1\) and target of shape "
                                           r"\(4,\) differ.*view_as"):
        F.mse_loss(tg.randn(4, 1), tg.randn(4))


@settings(max_examples=10)
@given(st.integers(1, 4), st.integers(1, 3), st.booleans(), st.integers(0, 99))
def test_binary_cross_entropy_gradcheck_and_torch(n, c, weighted, seed):
    rng = np.random.default_rng(seed)
    p, t = rng.uniform(0.05, 0.95, (n, c)), rng.uniform(0, 1, (n, c))
    w = rng.uniform(0.5, 2, (n, c)) if weighted else None
    wt = None if w is None else t64(w, False)
    assert tg.gradcheck(lambda a, b: F.binary_cross_entropy(a, b, wt), [t64(p), t64(t)])
    logits = rng.standard_normal((n, c)) * 3
    pw = t64(rng.uniform(0.5, 3, c))
    assert tg.gradcheck(lambda a, b, q: F.binary_cross_entropy_with_logits(
        a, b, wt, pos_weight=q), [t64(logits), t64(t), pw])
    assert tg.gradgradcheck(lambda a: F.binary_cross_entropy_with_logits(a, t64(t, False)),
                            [t64(logits)])
    try:
        import torch
    except ImportError:
        return
    tw = None if w is None else torch.tensor(w)
    np.testing.assert_allclose(
        F.binary_cross_entropy(t64(p), t64(t), wt).numpy(),
        torch.nn.functional.binary_cross_entropy(torch.tensor(p), torch.tensor(t), tw).numpy(),
        atol=1e-12)
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(t64(logits), t64(t), wt, pos_weight=pw).numpy(),
        torch.nn.functional.binary_cross_entropy_with_logits(
            torch.tensor(logits), torch.tensor(t), tw,
            pos_weight=torch.tensor(pw.numpy())).numpy(), atol=1e-12)


def test_bce_clamps_logs_and_logits_form_is_stable():
    loss = F.binary_cross_entropy(tg.tensor([0.0, 1.0]), tg.tensor([1.0, 0.0]),
                                  reduction="none")
    np.testing.assert_allclose(loss.numpy(), [100.0, 100.0])      # log clamped at −100
    x = tg.tensor([1e4, -1e4, 1e4, -1e4], requires_grad=True)
    t = tg.tensor([1.0, 0.0, 0.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    np.testing.assert_allclose(loss.numpy(), [0, 0, 1e4, 1e4])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0, 0, 1, -1])


# ---------------------------------------------------------------------- bad input
def test_cross_entropy_target_out_of_range_names_value_and_c():
    with pytest.raises(IndexError, match=r"target 10 is out of bounds.*\[0, 10\).*C=10"):
        F.cross_entropy(tg.randn(3, 10), tg.tensor([1, 10, 2]))
    with pytest.raises(ValueError, match="target -1 is out of bounds"):
        F.cross_entropy(tg.randn(3, 10), tg.tensor([1, -1, 2]))


def test_cross_entropy_float_indices_say_long():
    with pytest.raises(TypeError, match=r"use target.long\(\), or pass class probabilities "
                                        r"of the input's shape \(3, 10\)"):
        F.cross_entropy(tg.randn(3, 10), tg.tensor([1.0, 2.0, 3.0]))


def test_loss_batch_mismatch():
    with pytest.raises(RuntimeError, match=r"input batch_size \(3\) to match target "
                                           r"batch_size \(4\)"):
        F.cross_entropy(tg.randn(3, 10), tg.tensor([1, 2, 3, 4]))
    with pytest.raises(RuntimeError, match="batch_size"):
        F.nll_loss(tg.randn(3, 10), tg.tensor([1, 2]))


def test_other_loss_errors():
    with pytest.raises(ValueError, match="reduction"):
        F.mse_loss(tg.randn(2), tg.randn(2), reduction="avg")
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.binary_cross_entropy(tg.tensor([1.5]), tg.tensor([1.0]))
    with pytest.raises(ValueError, match="same as input size"):
        F.binary_cross_entropy_with_logits(tg.randn(3), tg.randn(2, 3))
