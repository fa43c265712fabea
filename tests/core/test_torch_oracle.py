"""PyTorch as an oracle for the core ops: same values, same gradients (skipped cleanly
when PyTorch is not installed)."""
import numpy as np
import pytest

import tinygrad_jp as tg

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)
A = rng.standard_normal((3, 4))
B = rng.standard_normal((4,))
P = rng.uniform(0.5, 2.0, (3, 4))

CASES = {
    "broadcast arithmetic": (lambda a, b: (a * b + a / (b * b + 1) - b) ** 2, (A, B)),
    "exp log sqrt": (lambda a, b: (a.exp() + 1).log() + (b * b + 1).sqrt(), (A, B)),
    "trig and activations": (lambda a, b: a.sin() * a.cos() + a.tanh() + a.sigmoid()
                             + a.relu(), (A, B)),
    "softmax family": (lambda a, b: a.softmax(1) * 3 + a.log_softmax(0), (A, B)),
    "reductions": (lambda a, b: a.sum(1) + a.mean(1) + a.var(1) + a.std(1)
                   + a.amax(1) + a.prod(1), (A, B)),
    "max with dim": (lambda a, b: a.max(1)[0] + a.min(0, keepdim=True)[0].sum(1), (A, B)),
    "matmul": (lambda a, b: a @ b + (a.T @ a).sum(0) @ b, (A, B)),
    "indexing": (lambda a, b: a[[0, 0, 2], 1:] .sum(0) + a[a > 0].sum(), (A, B)),
    "shape ops": (lambda a, b: a.reshape(4, 3).transpose(0, 1).flatten()
                  .unsqueeze(0).expand(2, 12).sum(0), (A, B)),
    "pow with tensor exponent": (lambda p, b: p ** (b * 0.5), (P, B)),
    "clamp abs": (lambda a, b: a.clamp(-0.5, 0.5) + a.abs(), (A, B)),
    "where maximum": (lambda a, b: tg.where(a > 0, a, a * 0.1)
                      + tg.maximum(a, b) - tg.minimum(a, b), (A, B)),
    "cat stack": (lambda a, b: tg.cat([a, a * 2], 1).sum(1)
                  + tg.stack([b, b], 0).sum(0)[:3], (A, B)),
}

def _run(fn, arrays, lib):
    if lib == "torch":
        ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    else:
        ts = [tg.tensor(a, dtype=tg.float64, requires_grad=True) for a in arrays]
    out = fn(*ts)
    out.sum().backward()
    return out.detach().numpy(), [None if t.grad is None else t.grad.numpy() for t in ts]


class _TorchShim:
    """The few free functions the cases use, under PyTorch."""
    where = staticmethod(torch.where)
    maximum = staticmethod(torch.maximum)
    minimum = staticmethod(torch.minimum)
    cat = staticmethod(torch.cat)
    stack = staticmethod(torch.stack)


@pytest.mark.parametrize("name", CASES)
def test_values_and_gradients_match_torch(name, monkeypatch):
    fn, arrays = CASES[name]
    ours, our_grads = _run(fn, arrays, "ours")
    monkeypatch.setitem(fn.__globals__, "tg", _TorchShim)
    theirs, their_grads = _run(fn, arrays, "torch")
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    for g, h in zip(our_grads, their_grads, strict=True):
        assert (g is None) == (h is None)
        if g is not None:
            np.testing.assert_allclose(g, h, rtol=1e-10, atol=1e-12)


def test_second_derivatives_match_torch():
    x = rng.standard_normal(5)
    ours = tg.tensor(x, dtype=tg.float64, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    results = []
    for t, grad in ((ours, tg.grad), (theirs, torch.autograd.grad)):
        y = (t.tanh() * t.sigmoid() + (t * t).softmax(0)).sum()
        (g,) = grad(y, t, create_graph=True)
        (h,) = grad((g * g).sum(), t)
        results.append(h.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-10)


@pytest.mark.parametrize("a_dtype, b_dtype", [
    ("float32", "float64"), ("int64", "float32"), ("int64", "float64"), ("bool", "int64"),
    ("int32", "int64"), ("float16", "float32"), ("uint8", "int8"),
])
def test_promotion_matches_torch(a_dtype, b_dtype):
    a, b = np.ones(2, a_dtype), np.ones(2, b_dtype)
    ours = (tg.Tensor(a) + tg.Tensor(b)).dtype
    theirs = (torch.from_numpy(a) + torch.from_numpy(b)).numpy().dtype
    assert ours == theirs
    for scalar in (2, 2.5, True):
        ours = (tg.Tensor(a) * scalar).dtype
        theirs = (torch.from_numpy(a) * scalar).numpy().dtype
        assert ours == theirs, (a_dtype, scalar)
