"""Learning-rate schedulers: PyTorch's sequences, closed forms, state dicts."""
import json
import math
import warnings

import numpy as np
import pytest

import tinygrad_jp as tg
from tinygrad_jp import optim
from tinygrad_jp.optim import lr_scheduler as ls

EPOCHS = 45


def make_opt(lrs=(0.1,), cls=optim.SGD):
    groups = [{"params": [tg.Tensor(np.ones(2), requires_grad=True)], "lr": lr} for lr in lrs]
    return cls(groups, lr=lrs[0], momentum=0.9) if cls is optim.SGD else cls(groups)


def sequence(opt, sched, epochs=EPOCHS, metrics=None):
    """get_last_lr() after construction and after each epoch's scheduler.step()."""
    out = [list(sched.get_last_lr())]
    for epoch in range(epochs):
        opt.step()
        sched.step() if metrics is None else sched.step(metrics[epoch])
        out.append(list(sched.get_last_lr()))
    return np.array(out)


class Inverse:
    """A callable object (not a function): LambdaLR saves its attributes."""

    def __init__(self, scale):
        self.scale = scale

    def __call__(self, epoch):
        return 1.0 / (1.0 + self.scale * epoch)


SCHEDULERS = [
    ("StepLR", dict(step_size=7, gamma=0.5)),
    ("StepLR", dict(step_size=1)),
    ("MultiStepLR", dict(milestones=[5, 12, 12, 30], gamma=0.3)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10)),
    ("CosineAnnealingLR", dict(T_max=13, eta_min=0.01)),
    ("LambdaLR", dict(lr_lambda=lambda e: 0.95 ** e)),
]


# ---------------------------------------------------------------- closed forms, no torch
def test_step_lr_closed_form():
    opt = make_opt()
    lrs = sequence(opt, ls.StepLR(opt, step_size=3, gamma=0.5), epochs=10)[:, 0]
    np.testing.assert_allclose(lrs, [0.1 * 0.5 ** (e // 3) for e in range(11)], rtol=1e-15)


def test_multistep_and_exponential_closed_forms():
    opt = make_opt()
    lrs = sequence(opt, ls.MultiStepLR(opt, [2, 5, 5], gamma=0.1), epochs=7)[:, 0]
    np.testing.assert_allclose(lrs, [0.1, 0.1, 0.01, 0.01, 0.01, 1e-4, 1e-4, 1e-4],
                               rtol=1e-12)
    opt = make_opt()
    lrs = sequence(opt, ls.ExponentialLR(opt, gamma=0.5), epochs=5)[:, 0]
    np.testing.assert_allclose(lrs, 0.1 * 0.5 ** np.arange(6), rtol=1e-15)


def test_cosine_recursive_form_tracks_the_closed_form():
    opt = make_opt()
    T, eta_min = 10, 0.001
    lrs = sequence(opt, ls.CosineAnnealingLR(opt, T_max=T, eta_min=eta_min), epochs=30)[:, 0]
    closed = [eta_min + (0.1 - eta_min) * (1 + math.cos(math.pi * e / T)) / 2
              for e in range(31)]
    np.testing.assert_allclose(lrs, closed, rtol=1e-10, atol=1e-14)
    assert lrs[T] == pytest.approx(eta_min) and lrs[2 * T] == pytest.approx(0.1)


def test_lambda_lr_per_group():
    opt = make_opt((0.1, 0.2))
    sched = ls.LambdaLR(opt, [lambda e: 1.0, lambda e: 0.5 ** e])
    lrs = sequence(opt, sched, epochs=3)
    np.testing.assert_allclose(lrs, [[0.1, 0.2], [0.1, 0.1], [0.1, 0.05], [0.1, 0.025]])
    with pytest.raises(ValueError, match="expected 2 lr_lambdas, but got 3"):
        ls.LambdaLR(opt, [lambda e: 1.0] * 3)


def test_scheduler_keeps_composing_with_manual_changes():
    opt = make_opt()
    sched = ls.StepLR(opt, step_size=2, gamma=0.5)
    opt.step()
    sched.step()
    opt.param_groups[0]["lr"] = 1.0      # e.g. a manual warm restart
    opt.step()
    sched.step()                          # epoch 2: multiplies the current value
    assert sched.get_last_lr() == [0.5]


def test_reduce_on_plateau_by_hand():
    opt = make_opt()
    sched = ls.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    for loss in [1.0, 0.9, 0.95, 0.95]:  # two bad epochs > patience 1 → reduce
        opt.step()
        sched.step(loss)
    assert sched.get_last_lr() == [0.05]
    sched.step(tg.Tensor(0.1))           # a one-element tensor works as the metric
    assert sched.best == pytest.approx(0.1)


def test_scheduler_errors():
    opt = make_opt()
    with pytest.raises(TypeError, match="is not an Optimizer"):
        ls.StepLR([1, 2], step_size=2)
    with pytest.raises(ValueError, match="step_size"):
        ls.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="T_max"):
        ls.CosineAnnealingLR(opt, T_max=0)
    with pytest.raises(ValueError, match="factor should be < 1.0"):
        ls.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match="mode='low'"):
        ls.ReduceLROnPlateau(opt, mode="low")
    with pytest.raises(ValueError, match="threshold_mode='relative'"):
        ls.ReduceLROnPlateau(opt, threshold_mode="relative")
    with pytest.raises(ValueError, match="expected 1 min_lrs, got 2"):
        ls.ReduceLROnPlateau(opt, min_lr=[0.1, 0.2])
    with pytest.raises(KeyError, match="initial_lr"):
        ls.StepLR(make_opt(), step_size=2, last_epoch=3)


def test_warns_when_stepped_before_the_optimizer():
    opt = make_opt()
    sched = ls.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()


def test_epoch_argument_uses_the_closed_form():
    opt = make_opt()
    sched = ls.StepLR(opt, step_size=3, gamma=0.5)
    opt.step()
    with pytest.warns(UserWarning, match="deprecated"):
        sched.step(7)
    assert sched.get_last_lr() == [0.1 * 0.25] and sched.last_epoch == 7


@pytest.mark.parametrize("name,kwargs", SCHEDULERS + [
    ("LambdaLR", dict(lr_lambda=Inverse(0.3))),
    ("ReduceLROnPlateau", dict(patience=2, cooldown=1, factor=0.5))])
def test_state_dict_resume_through_json(name, kwargs):
    metrics = [1.0 / (1 + e % 7) for e in range(EPOCHS)]
    plateau = name == "ReduceLROnPlateau"
    opt = make_opt((0.1, 0.05))
    full = sequence(opt, getattr(ls, name)(opt, **kwargs), metrics=metrics if plateau else None)

    opt = make_opt((0.1, 0.05))
    sched = getattr(ls, name)(opt, **kwargs)
    first = sequence(opt, sched, epochs=17, metrics=metrics if plateau else None)
    saved_sched = json.loads(json.dumps(sched.state_dict()))
    saved_groups = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]

    opt2 = make_opt((0.1, 0.05))
    sched2 = getattr(ls, name)(opt2, **kwargs)
    for g, saved in zip(opt2.param_groups, saved_groups, strict=True):
        g.update(saved)                      # what optimizer.load_state_dict restores
    sched2.load_state_dict(saved_sched)
    rest = sequence(opt2, sched2, epochs=EPOCHS - 17,
                    metrics=metrics[17:] if plateau else None)
    np.testing.assert_array_equal(np.concatenate([first, rest[1:]]), full)


def test_lambda_state_dict_saves_callable_objects_only():
    opt = make_opt((0.1, 0.1))
    sched = ls.LambdaLR(opt, [Inverse(0.5), lambda e: 1.0])
    assert sched.state_dict()["lr_lambdas"] == [{"scale": 0.5}, None]
    fresh = ls.LambdaLR(opt, [Inverse(9.0), lambda e: 1.0])
    fresh.load_state_dict(sched.state_dict())
    assert fresh.lr_lambdas[0].scale == 0.5


# ---------------------------------------------------------------- torch oracle

def _torch():
    return pytest.importorskip("torch")


def _torch_opt(torch, lrs):
    groups = [{"params": [torch.ones(2, requires_grad=True)], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, lr=lrs[0], momentum=0.9)


def torch_sequence(torch, opt, sched, epochs=EPOCHS, metrics=None):
    out = [list(sched.get_last_lr())]
    for epoch in range(epochs):
        opt.step()
        sched.step() if metrics is None else sched.step(metrics[epoch])
        out.append([float(x) for x in sched.get_last_lr()])
    return np.array(out)


@pytest.mark.parametrize("name,kwargs", SCHEDULERS, ids=[n + str(k) for n, k in SCHEDULERS])
def test_same_sequence_as_torch(name, kwargs):
    torch = _torch()
    opt = make_opt((0.1, 0.03))
    ours = sequence(opt, getattr(ls, name)(opt, **kwargs))
    topt = _torch_opt(torch, (0.1, 0.03))
    theirs = torch_sequence(torch, topt, getattr(torch.optim.lr_scheduler, name)(topt, **kwargs))
    np.testing.assert_allclose(ours, theirs, rtol=1e-14, atol=0)
    assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in topt.param_groups]


@pytest.mark.parametrize("name,kwargs", [
    ("StepLR", dict(step_size=4, gamma=0.5)),
    ("MultiStepLR", dict(milestones=[3, 8, 8])),
    ("ExponentialLR", dict(gamma=0.8)),
    ("CosineAnnealingLR", dict(T_max=6, eta_min=0.001))])
def test_epoch_argument_same_as_torch(name, kwargs):
    torch = _torch()
    opt = make_opt()
    topt = _torch_opt(torch, (0.1,))
    ours, theirs = getattr(ls, name)(opt, **kwargs), \
        getattr(torch.optim.lr_scheduler, name)(topt, **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in [3, 9, 1, 14, 6]:
            opt.step()
            topt.step()
            ours.step(epoch)
            theirs.step(epoch)
            np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-14)


PLATEAU = [
    dict(),
    dict(mode="max", factor=0.5, patience=2),
    dict(mode="min", threshold=0.05, threshold_mode="abs", patience=1, cooldown=2),
    dict(mode="max", threshold=0.1, threshold_mode="rel", patience=0, min_lr=0.004),
    dict(patience=1, min_lr=[0.02, 0.0001], factor=0.2),
    dict(patience=0, eps=0.05),
]


@pytest.mark.parametrize("kwargs", PLATEAU, ids=[str(k) for k in PLATEAU])
def test_reduce_on_plateau_same_as_torch(kwargs):
    torch = _torch()
    rng = np.random.default_rng(7)
    metrics = list(np.cumsum(rng.normal(0.0, 0.1, 80)) + 2.0)  # a wandering loss
    opt = make_opt((0.1, 0.03))
    ours = sequence(opt, ls.ReduceLROnPlateau(opt, **kwargs), epochs=80, metrics=metrics)
    topt = _torch_opt(torch, (0.1, 0.03))
    theirs = torch_sequence(torch, topt, torch.optim.lr_scheduler.ReduceLROnPlateau(
        topt, **kwargs), epochs=80, metrics=metrics)
    np.testing.assert_allclose(ours, theirs, rtol=1e-14)
    assert len(np.unique(ours[:, 0])) > 1 or kwargs.get("eps") == 0.05


def test_group_added_after_the_scheduler_is_reported():
    opt = make_opt()
    sched = ls.LambdaLR(opt, lambda e: 0.5 ** e)
    opt.add_param_group({"params": [tg.Tensor(np.ones(1), requires_grad=True)]})
    opt.step()
    with pytest.raises(RuntimeError, match="has 2 param groups but the scheduler was made "
                                           "for 1"):
        sched.step()
