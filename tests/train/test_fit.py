"""fit / evaluate: the loop itself, modes, reproducibility, progress output, bad input."""
import math
import warnings

import numpy as np
import pytest
from train_helpers import loss_fn, make_data, make_model, make_run, same_weights, weights

import tinygrad_jp as tg
from tinygrad_jp import nn, optim
from tinygrad_jp.data import DataLoader, TensorDataset
from tinygrad_jp.train import (
    Callback,
    LambdaCallback,
    NonFiniteLossError,
    Trainer,
    accuracy,
    evaluate,
    fit,
)


def test_fit_learns_and_records_everything():
    model, opt, _, train, valid = make_run(scheduler=False)
    before = evaluate(model, valid, loss_fn)
    h = fit(model, loss_fn, opt, train, valid, epochs=4, progress=False, seed=0)
    assert h["epoch"] == [1, 2, 3, 4]
    for key in ("train_loss", "train_acc", "val_loss", "val_acc", "lr"):
        assert len(h[key]) == 4, key
    assert len(h["iter_loss"]) == 4 * len(train) and len(h.epoch_times) == 4
    assert h["iter_epoch"] == [e for e in (1, 2, 3, 4) for _ in range(len(train))]
    # The epoch loss is the sample-weighted mean of that epoch's iteration losses.
    sizes = [16] * 6
    first = np.dot(h["iter_loss"][:6], sizes) / 96
    assert h["train_loss"][0] == pytest.approx(first, rel=1e-12)
    assert h["train_loss"][-1] < h["train_loss"][0]
    assert h["val_loss"][-1] < before["loss"]
    assert h["val_loss"][-1] == pytest.approx(evaluate(model, valid, loss_fn)["loss"])
    assert model.training                       # back in train mode after validation


def test_validation_runs_in_eval_mode_without_grad_and_training_in_train_mode():
    seen = []

    class Probe(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = make_model()

        def forward(self, x):
            seen.append((self.training, self.inner[2].training, tg.is_grad_enabled()))
            return self.inner(x)

    model = Probe()
    x, y = make_data(48)
    train = DataLoader(TensorDataset(x, y), batch_size=16)
    valid = DataLoader(TensorDataset(x[:20], y[:20]), batch_size=10)
    fit(model, loss_fn, optim.SGD(model.parameters(), lr=0.1), train, valid, epochs=2,
        progress=False)
    # Per epoch: 3 training batches (train mode, grad on) then 2 validation batches.
    assert seen == ([(True, True, True)] * 3 + [(False, False, False)] * 2) * 2
    assert model.training and model.inner[2].training


def test_evaluate_restores_the_previous_mode_and_counts_samples():
    model = make_model()
    x, y = make_data(50)
    loader = DataLoader(TensorDataset(x, y), batch_size=16)   # 16, 16, 16, 2
    model.eval()
    res = evaluate(model, loader, loss_fn)
    assert not model.training
    with tg.no_grad():
        out = model(tg.Tensor(x))
    assert res["acc"] == pytest.approx(float((out.numpy().argmax(1) == y).mean()))
    assert res["loss"] == pytest.approx(loss_fn(out, tg.Tensor(y)).item(), rel=1e-5)
    model.train()
    evaluate(model, loader, metrics=("accuracy",))
    assert model.training
    with pytest.raises(ValueError, match="nothing to compute"):
        evaluate(model, loader, metrics=())


def test_same_seed_same_history_and_weights_different_seed_differs():
    runs = []
    for seed in (5, 5, 6):
        model, opt, sched, train, valid = make_run()
        h = fit(model, loss_fn, opt, train, valid, epochs=2, scheduler=sched, seed=seed,
                progress=False)
        runs.append((h, weights(model)))
    assert runs[0][0] == runs[1][0] and same_weights(runs[0][1], runs[1][1])
    assert runs[0][0] != runs[2][0]


def test_scheduler_steps_once_per_epoch_after_the_epoch():
    model, opt, sched, train, _ = make_run(lr=0.1)
    h = fit(model, loss_fn, opt, train, epochs=3, scheduler=sched, progress=False)
    assert h["lr"] == pytest.approx([0.1, 0.07, 0.049])
    assert opt.param_groups[0]["lr"] == pytest.approx(0.0343)


def test_reduce_lr_on_plateau_gets_the_validation_loss():
    model, opt, _, train, valid = make_run(lr=0.1, scheduler=False)
    seen = []
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    original = sched.step
    sched.step = lambda metric: (seen.append(metric), original(metric))
    h = fit(model, loss_fn, opt, train, valid, epochs=2, scheduler=sched, progress=False)
    assert seen == h["val_loss"]


def test_hooks_run_in_order_with_logs():
    events = []

    class Recorder(Callback):
        def on_train_begin(self, logs=None):
            events.append(("train_begin", logs["epochs"]))

        def on_epoch_begin(self, epoch, logs=None):
            events.append(("epoch_begin", epoch))

        def on_batch_begin(self, batch, logs=None):
            events.append(("batch_begin", batch, logs["batch_size"]))

        def on_after_backward(self, model):
            grads = [p.grad for p in model.parameters()]
            events.append(("after_backward", all(g is not None for g in grads)))

        def on_batch_end(self, batch, logs=None):
            events.append(("batch_end", batch, sorted(logs)))

        def on_epoch_end(self, epoch, logs=None):
            events.append(("epoch_end", epoch, sorted(logs)))

        def on_train_end(self, logs=None):
            events.append(("train_end",))

    model, opt, _, _, _ = make_run(scheduler=False)
    x, y = make_data(20)
    train = DataLoader(TensorDataset(x, y), batch_size=16)
    fit(model, loss_fn, opt, train, epochs=1, callbacks=[Recorder()], progress=False)
    batch_keys = ["acc", "batch_size", "loss", "lr"]
    assert events == [
        ("train_begin", 1), ("epoch_begin", 0),
        ("batch_begin", 0, 16), ("after_backward", True), ("batch_end", 0, batch_keys),
        ("batch_begin", 1, 4), ("after_backward", True), ("batch_end", 1, batch_keys),
        ("epoch_end", 0, ["lr", "train_acc", "train_loss"]), ("train_end",)]


def test_stop_training_from_a_callback_and_trainer_class():
    stopper = LambdaCallback(on_epoch_end=lambda epoch, logs: setattr(
        stopper.trainer, "stop_training", epoch == 1))
    model, opt, _, train, _ = make_run(scheduler=False)
    trainer = Trainer(model, loss_fn, opt, callbacks=[stopper], progress=False)
    h = trainer.fit(train, epochs=5)
    assert len(h) == 2 and h.stopped_epoch == 2
    assert trainer.epochs_done == 2 and trainer.global_step == 2 * len(train)


def test_custom_metrics_and_regression_without_metrics():
    x, y = make_data(40)
    model = make_model(dropout=0.0)

    def top2(out, target):
        top = np.argsort(out.numpy(), axis=1)[:, -2:]
        return float((top == target.numpy()[:, None]).any(axis=1).mean())

    train = DataLoader(TensorDataset(x, y), batch_size=8)
    h = fit(model, loss_fn, optim.SGD(model.parameters(), lr=0.05), train, train,
            epochs=1, metrics=("accuracy", top2), progress=False)
    assert h["train_top2"][0] >= h["train_acc"][0]
    assert h["val_top2"][0] >= h["val_acc"][0]

    reg = nn.Linear(6, 1)
    target = (x @ np.arange(6, dtype=np.float32))[:, None]
    loader = DataLoader(TensorDataset(x, target), batch_size=8)
    h = fit(reg, nn.MSELoss(), optim.SGD(reg.parameters(), lr=0.05), loader, epochs=3,
            metrics=(), progress=False)
    assert "train_acc" not in h and h["train_loss"][-1] < h["train_loss"][0]
    with pytest.raises(ValueError, match=r"metrics=\(\)"):
        fit(nn.Linear(6, 1), nn.MSELoss(), optim.SGD(reg.parameters(), lr=0.05), loader,
            progress=False)


def test_accuracy_with_indices_and_one_hot():
    out = tg.Tensor(np.array([[0.1, 0.9], [2.0, -1.0], [0.3, 0.2]], np.float32))
    assert accuracy(out, tg.Tensor(np.array([1, 0, 1]))) == pytest.approx(2 / 3)
    assert accuracy(out, tg.Tensor(np.eye(2, dtype=np.float32)[[1, 0, 0]])) == 1.0
    with pytest.raises(ValueError, match=r"targets of shape \(2,\)"):
        accuracy(out, tg.Tensor(np.array([1, 0])))


def test_progress_bar_quiet_when_not_a_terminal_or_disabled(capsys):
    for progress in (True, False):
        model, opt, _, train, valid = make_run(scheduler=False)
        fit(model, loss_fn, opt, train, valid, epochs=1, progress=progress)
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err == ""


def test_progress_bar_always_shows_loss_and_accuracy(capsys):
    model, opt, _, train, valid = make_run(scheduler=False)
    fit(model, loss_fn, opt, train, valid, epochs=2, progress="always")
    err = capsys.readouterr().err
    assert "Epoch 1/2" in err and "Epoch 2/2" in err
    assert "loss=" in err and "acc=" in err and "val_acc=" in err


def test_nan_loss_stops_with_epoch_iteration_and_a_hint():
    model, opt, _, train, _ = make_run(scheduler=False, optimizer="sgd", lr=0.1)
    calls = {"n": 0}

    def exploding(out, target):
        calls["n"] += 1
        loss = loss_fn(out, target)
        return loss * float("nan") if calls["n"] == 9 else loss

    before = None

    class Snap(Callback):
        def on_batch_end(self, batch, logs=None):
            nonlocal before
            before = weights(self.trainer.model)

    with pytest.raises(NonFiniteLossError, match=r"NaN in epoch 2/3, batch 3 \(iteration 9\)"
                       ) as info:
        fit(model, exploding, opt, train, epochs=3, callbacks=[Snap()], progress=False)
    msg = str(info.value)
    assert "smaller learning rate" in msg and "lr=0.1" in msg and "detect_anomaly" in msg
    assert info.value.epoch == 2 and info.value.batch == 3 and info.value.iteration == 9
    assert len(info.value.history) == 1
    # No step was taken with the NaN loss.
    assert same_weights(before, weights(model))


def test_nan_in_the_inputs_is_named_as_such():
    x, y = make_data(16)
    x[3, 2] = np.nan
    model = make_model()
    with pytest.raises(NonFiniteLossError, match="input batch itself contains NaN"):
        fit(model, loss_fn, optim.SGD(model.parameters(), lr=0.1),
            DataLoader(TensorDataset(x, y), batch_size=8), progress=False)


def test_bad_arguments_fail_at_the_call():
    model, opt, _, train, _ = make_run(scheduler=False)
    with pytest.raises(ValueError, match="epochs must be >= 1"):
        fit(model, loss_fn, opt, train, epochs=0)
    with pytest.raises(TypeError, match="epochs must be an int"):
        fit(model, loss_fn, opt, train, epochs=2.0)
    with pytest.raises(TypeError, match=r"callbacks\[0\] is a function"):
        fit(model, loss_fn, opt, train, callbacks=[lambda: None])
    with pytest.raises(TypeError, match="loss_fn must be callable"):
        fit(model, "cross_entropy", opt, train)
    with pytest.raises(TypeError, match="optimizer must be an optim.Optimizer"):
        fit(model, loss_fn, model.parameters(), train)
    with pytest.raises(TypeError, match="model must be an nn.Module"):
        fit(object(), loss_fn, opt, train)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        fit(model, loss_fn, opt, train, metrics=("f1",))
    with pytest.raises(ValueError, match="progress must be"):
        fit(model, loss_fn, opt, train, progress="yes")
    with pytest.raises(TypeError, match="seed must be an int"):
        fit(model, loss_fn, opt, train, seed="1")
    x, _ = make_data(16)
    with pytest.raises(TypeError, match=r"\(inputs, targets\).*TensorDataset"):
        fit(model, loss_fn, opt, DataLoader(TensorDataset(x), batch_size=8), progress=False)
    with pytest.raises(ValueError, match="yielded no batches in epoch 1"):
        fit(model, loss_fn, opt, [], progress=False)
    once = iter(list(train))
    with pytest.raises(ValueError, match="in epoch 2 .*generator is used up"):
        fit(model, loss_fn, opt, once, epochs=2, progress=False)


def test_no_warnings_in_a_normal_run():
    model, opt, sched, train, valid = make_run()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h = fit(model, loss_fn, opt, train, valid, epochs=2, scheduler=sched,
                progress=False)
    assert all(math.isfinite(v) for v in h["iter_loss"])
