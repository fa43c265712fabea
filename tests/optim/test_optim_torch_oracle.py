"""PyTorch as the oracle: the same hyper-parameters give the same trajectory (float64).

Every case runs 25 steps of a Rosenbrock-shaped least-squares problem in both
frameworks; every fourth step the bias gets no gradient (``.grad = None``), which both
must skip. Parameters agree to 1e-10 at every step.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from optim_testlib import assert_same_trajectory, run_tg, run_torch

import tinygrad_jp as tg
from tinygrad_jp import optim

torch = pytest.importorskip("torch")

STEPS = 25

CASES = [
    ("SGD", dict(lr=1e-3)),
    ("SGD", dict(lr=1e-3, momentum=0.9)),
    ("SGD", dict(lr=1e-3, momentum=0.8, dampening=0.3)),
    ("SGD", dict(lr=1e-3, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=1e-3, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=1e-3, weight_decay=0.5)),
    ("Adam", dict()),
    ("Adam", dict(lr=1e-2, betas=(0.8, 0.99), eps=1e-6)),
    ("Adam", dict(lr=1e-2, amsgrad=True)),
    ("Adam", dict(lr=1e-2, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=1e-2)),
    ("AdamW", dict(lr=1e-2, weight_decay=0.3, amsgrad=True)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.05, lr_decay=0.01, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.05, initial_accumulator_value=0.5, eps=1e-7)),
    ("RMSprop", dict(lr=1e-3)),
    ("RMSprop", dict(lr=1e-3, alpha=0.9, momentum=0.5)),
    ("RMSprop", dict(lr=1e-3, centered=True)),
    ("RMSprop", dict(lr=1e-3, centered=True, momentum=0.9, weight_decay=0.1, eps=1e-6)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.95, eps=1e-5, weight_decay=0.2)),
]


@pytest.mark.parametrize("name,kwargs", CASES, ids=[f"{n}-{kw}" for n, kw in CASES])
def test_same_trajectory_as_torch(name, kwargs):
    ours = run_tg(getattr(optim, name), kwargs, STEPS)
    theirs = run_torch(torch, getattr(torch.optim, name), kwargs, STEPS)
    assert_same_trajectory(ours, theirs)
    # the problem moves the parameters: a broken update could not pass by standing still
    assert not np.allclose(ours[-1][0], ours[0][0])


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad", "Adadelta", "AdamW"])
def test_param_groups_with_their_own_hyperparameters(name):
    groups = [{"params": [0], "lr": 0.01}, {"params": [1], "lr": 0.002, "weight_decay": 0}]
    kwargs = dict(lr=0.005, weight_decay=0.1)
    if name == "SGD":
        kwargs["momentum"] = 0.9
    ours = run_tg(getattr(optim, name), kwargs, STEPS, groups=groups)
    theirs = run_torch(torch, getattr(torch.optim, name), kwargs, STEPS, groups=groups)
    assert_same_trajectory(ours, theirs)


@settings(max_examples=10)
@given(lr=st.floats(1e-4, 5e-2), b1=st.floats(0.0, 0.99), b2=st.floats(0.5, 0.9999),
       eps=st.floats(1e-10, 1e-3), wd=st.sampled_from([0.0, 0.01, 0.3]),
       amsgrad=st.booleans(), decoupled=st.booleans())
def test_adam_any_hyperparameters(lr, b1, b2, eps, wd, amsgrad, decoupled):
    name = "AdamW" if decoupled else "Adam"
    kwargs = dict(lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd, amsgrad=amsgrad)
    assert_same_trajectory(run_tg(getattr(optim, name), kwargs, 12),
                           run_torch(torch, getattr(torch.optim, name), kwargs, 12))


@settings(max_examples=10)
@given(lr=st.floats(1e-4, 2e-3), momentum=st.floats(0.0, 0.95),
       dampening=st.floats(0.0, 0.5), wd=st.sampled_from([0.0, 0.05]),
       nesterov=st.booleans())
def test_sgd_any_hyperparameters(lr, momentum, dampening, wd, nesterov):
    if nesterov:
        momentum, dampening = max(momentum, 0.1), 0.0
    kwargs = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=wd,
                  nesterov=nesterov)
    assert_same_trajectory(run_tg(optim.SGD, kwargs, 12),
                           run_torch(torch, torch.optim.SGD, kwargs, 12))


@settings(max_examples=10)
@given(lr=st.floats(1e-4, 2e-3), alpha=st.floats(0.5, 0.999), eps=st.floats(1e-10, 1e-4),
       momentum=st.sampled_from([0.0, 0.5, 0.9]), centered=st.booleans())
def test_rmsprop_any_hyperparameters(lr, alpha, eps, momentum, centered):
    kwargs = dict(lr=lr, alpha=alpha, eps=eps, momentum=momentum, centered=centered)
    assert_same_trajectory(run_tg(optim.RMSprop, kwargs, 12),
                           run_torch(torch, torch.optim.RMSprop, kwargs, 12))


def _tg_and_torch(name, kwargs, steps):
    """Both optimizers after ``steps`` steps on the shared problem."""
    from optim_testlib import initial_arrays, loss_fn
    a = initial_arrays()
    W, b = (tg.Tensor(a[k].copy(), requires_grad=True) for k in "Wb")
    tW, tb = (torch.tensor(a[k].copy(), requires_grad=True) for k in "Wb")
    ours = getattr(optim, name)([W, b], **kwargs)
    theirs = getattr(torch.optim, name)([tW, tb], **kwargs)
    for _ in range(steps):
        for opt, p, X, y in ((ours, (W, b), tg.Tensor(a["X"]), tg.Tensor(a["y"])),
                             (theirs, (tW, tb), torch.tensor(a["X"]), torch.tensor(a["y"]))):
            opt.zero_grad()
            loss_fn(*p, X, y).backward()
            opt.step()
    return ours, theirs, (W, b), (tW, tb)


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=1e-3, momentum=0.9)), ("Adam", dict(amsgrad=True)),
    ("Adagrad", dict()), ("RMSprop", dict(centered=True, momentum=0.5)),
    ("Adadelta", dict()), ("AdamW", dict())])
def test_state_dict_has_torchs_structure(name, kwargs):
    ours, theirs, _, _ = _tg_and_torch(name, kwargs, 3)
    sd, tsd = ours.state_dict(), theirs.state_dict()
    assert sd["state"].keys() == tsd["state"].keys() == {0, 1}
    for i in sd["state"]:
        assert sd["state"][i].keys() == tsd["state"][i].keys()
        for key, value in tsd["state"][i].items():
            value = value.detach().numpy()
            if key == "step":
                assert sd["state"][i][key] == int(value)
            else:
                np.testing.assert_allclose(sd["state"][i][key], value, rtol=1e-12, atol=1e-15)
    for g, tgroup in zip(sd["param_groups"], tsd["param_groups"], strict=True):
        assert g["params"] == tgroup["params"]
        for key, value in g.items():
            assert tgroup[key] == value, key


@pytest.mark.parametrize("name,kwargs", [
    ("SGD", dict(lr=1e-3, momentum=0.9, nesterov=True)), ("Adam", dict(lr=1e-2)),
    ("Adagrad", dict(lr=0.05)), ("RMSprop", dict(lr=1e-3, momentum=0.9)),
    ("Adadelta", dict())])
def test_continue_from_a_torch_state_dict(name, kwargs):
    """A torch optimizer's state, converted to NumPy, continues the torch trajectory."""
    from optim_testlib import initial_arrays, loss_fn
    ours, theirs, (W, b), (tW, tb) = _tg_and_torch(name, kwargs, 5)
    tsd = theirs.state_dict()
    converted = {"state": {i: {k: v.detach().numpy() for k, v in s.items()}
                           for i, s in tsd["state"].items()},
                 "param_groups": tsd["param_groups"]}
    W.data[...] = tW.detach().numpy()
    b.data[...] = tb.detach().numpy()
    fresh = getattr(optim, name)([W, b], **kwargs)
    fresh.load_state_dict(converted)
    a = initial_arrays()
    for _ in range(5):
        fresh.zero_grad()
        loss_fn(W, b, tg.Tensor(a["X"]), tg.Tensor(a["y"])).backward()
        fresh.step()
        theirs.zero_grad()
        loss_fn(tW, tb, torch.tensor(a["X"]), torch.tensor(a["y"])).backward()
        theirs.step()
    np.testing.assert_allclose(W.data, tW.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.data, tb.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["SGD", "Adam"])
def test_float32_close_to_torch(name):
    """Default dtype: float32 parameters and state stay float32 and track torch closely."""
    from optim_testlib import initial_arrays, loss_fn
    a = {k: v.astype(np.float32) for k, v in initial_arrays().items()}
    W, b = (tg.Tensor(a[k].copy(), requires_grad=True) for k in "Wb")
    tW, tb = (torch.tensor(a[k].copy(), requires_grad=True) for k in "Wb")
    kwargs = dict(lr=1e-3, momentum=0.9) if name == "SGD" else dict(lr=1e-2)
    ours = getattr(optim, name)([W, b], **kwargs)
    theirs = getattr(torch.optim, name)([tW, tb], **kwargs)
    for _ in range(10):
        ours.zero_grad()
        loss_fn(W, b, tg.Tensor(a["X"]), tg.Tensor(a["y"])).backward()
        ours.step()
        theirs.zero_grad()
        loss_fn(tW, tb, torch.tensor(a["X"]), torch.tensor(a["y"])).backward()
        theirs.step()
    assert W.dtype == np.float32 and b.dtype == np.float32
    for s in ours.state.values():
        for v in s.values():
            if isinstance(v, np.ndarray):
                assert v.dtype == np.float32
    np.testing.assert_allclose(W.data, tW.detach().numpy(), rtol=1e-4, atol=1e-5)
