"""Shared problems for the optim tests: one loss written once, run in tinygrad_jp and torch."""
import numpy as np

import tinygrad_jp as tg

SEED = 1234


def initial_arrays(seed=SEED):
    """float64 starting parameters W (3, 2), b (2,) and data X (5, 3), y (5, 2)."""
    rng = np.random.default_rng(seed)
    return {
        "W": rng.normal(0.0, 0.8, (3, 2)),
        "b": rng.normal(0.0, 0.5, (2,)),
        "X": rng.normal(0.0, 1.0, (5, 3)),
        "y": rng.normal(0.0, 1.0, (5, 2)),
    }


def loss_fn(W, b, X, y):
    """A mildly Rosenbrock-shaped least-squares loss (works on tg and torch tensors)."""
    r, s = W[:, 0], W[:, 1]
    rosen = ((1 - r) ** 2 + 10 * (s - r ** 2) ** 2).sum()
    fit = ((X @ W + b - y) ** 2).mean()
    return rosen + fit


def skip_bias(step):
    """Steps on which the bias gets no gradient (``.grad = None``): it must be skipped."""
    return step % 4 == 3


def run_tg(cls, kwargs, steps, arrays=None, groups=None):
    """Trajectory of (W, b) under a tinygrad_jp optimizer; a list of (W, b) copies."""
    a = initial_arrays() if arrays is None else arrays
    W = tg.Tensor(a["W"].copy(), requires_grad=True)
    b = tg.Tensor(a["b"].copy(), requires_grad=True)
    X, y = tg.Tensor(a["X"]), tg.Tensor(a["y"])
    params = [W, b] if groups is None else [dict(g, params=[[W, b][i] for i in g["params"]])
                                             for g in groups]
    opt = cls(params, **kwargs)
    out = []
    for k in range(steps):
        opt.zero_grad()
        loss_fn(W, b, X, y).backward()
        if skip_bias(k):
            b.grad = None
        opt.step()
        out.append((W.data.copy(), b.data.copy()))
    return out


def run_torch(torch, cls, kwargs, steps, arrays=None, groups=None):
    """The same trajectory under the torch optimizer of the same name."""
    a = initial_arrays() if arrays is None else arrays
    W = torch.tensor(a["W"].copy(), requires_grad=True)
    b = torch.tensor(a["b"].copy(), requires_grad=True)
    X, y = torch.tensor(a["X"]), torch.tensor(a["y"])
    params = [W, b] if groups is None else [dict(g, params=[[W, b][i] for i in g["params"]])
                                             for g in groups]
    opt = cls(params, **kwargs)
    out = []
    for k in range(steps):
        opt.zero_grad()
        loss_fn(W, b, X, y).backward()
        if skip_bias(k):
            b.grad = None
        opt.step()
        out.append((W.detach().numpy().copy(), b.detach().numpy().copy()))
    return out


def assert_same_trajectory(ours, theirs, atol=1e-10, rtol=1e-10):
    assert len(ours) == len(theirs)
    for k, ((w1, b1), (w2, b2)) in enumerate(zip(ours, theirs, strict=True)):
        np.testing.assert_allclose(w1, w2, atol=atol, rtol=rtol, err_msg=f"W at step {k}")
        np.testing.assert_allclose(b1, b2, atol=atol, rtol=rtol, err_msg=f"b at step {k}")
