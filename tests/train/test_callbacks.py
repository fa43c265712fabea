"""EarlyStopping, GradientNormRecorder and LambdaCallback."""
import math

import numpy as np
import pytest
from train_helpers import loss_fn, make_data, make_run, same_weights, weights

import tinygrad_jp as tg
from tinygrad_jp import nn, optim
from tinygrad_jp.data import DataLoader, TensorDataset
from tinygrad_jp.train import (
    Callback,
    EarlyStopping,
    GradientNormRecorder,
    LambdaCallback,
    fit,
)


class Feed(Callback):
    """Replaces the epoch logs' monitored value by a scripted sequence (runs first)."""

    def __init__(self, key, values):
        self.key, self.values = key, list(values)

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]


def _run(values, monitor="val_loss", epochs=None, **kwargs):
    model, opt, _, train, valid = make_run(scheduler=False)
    es = EarlyStopping(monitor=monitor, **kwargs)
    snaps = []
    grab = Callback()
    grab.on_epoch_end = lambda epoch, logs=None: snaps.append(weights(model))
    h = fit(model, loss_fn, opt, train, valid, epochs=epochs or len(values),
            callbacks=[Feed(monitor, values), es, grab], progress=False)
    return es, h, model, snaps


def test_early_stopping_patience_and_min_delta():
    es, h, _, _ = _run([1.0, 0.9, 0.95, 0.93, 0.5, 0.4], patience=2)
    assert len(h) == 4 and es.stopped_epoch == 4 and h.stopped_epoch == 4
    assert es.best == 0.9 and es.best_epoch == 2
    es, h, _, _ = _run([1.0, 0.9, 0.95, 0.5], patience=0)
    assert len(h) == 3 and es.stopped_epoch == 3
    # An improvement smaller than min_delta does not count.
    es, h, _, _ = _run([1.0, 0.99, 0.98, 0.97, 0.5], patience=1, min_delta=0.05)
    assert len(h) == 2 and es.best_epoch == 1
    # Never fires while improving.
    es, h, _, _ = _run([3, 2, 1], patience=0)
    assert len(h) == 3 and es.stopped_epoch is None and h.stopped_epoch is None


def test_early_stopping_mode_auto_maximises_accuracy_and_nan_never_improves():
    es, h, _, _ = _run([0.5, 0.7, 0.6, 0.65, 0.9], monitor="val_acc", patience=2)
    assert es.mode == "max" and es.best == 0.7 and len(h) == 4
    es, h, _, _ = _run([1.0, math.nan, 0.5], patience=0)
    assert len(h) == 2 and es.best == 1.0


def test_restore_best_weights():
    es, h, model, snaps = _run([1.0, 0.4, 0.8, 0.9], patience=2, restore_best_weights=True)
    assert len(h) == 4 and es.best_epoch == 2 and es.restored
    assert same_weights(weights(model), snaps[1])
    assert not same_weights(snaps[1], snaps[3])


def test_early_stopping_bad_input():
    model, opt, _, train, _ = make_run(scheduler=False)
    with pytest.raises(ValueError, match=r"'val_loss' is not recorded.*val_loader"):
        fit(model, loss_fn, opt, train, epochs=2, callbacks=[EarlyStopping()],
            progress=False)
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=-1)
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="up")
    with pytest.raises(ValueError, match="min_delta"):
        EarlyStopping(min_delta=-0.1)


def test_gradient_norm_recorder_matches_the_gradients():
    model, opt, _, train, _ = make_run(scheduler=False)
    per_layer = GradientNormRecorder(model)
    per_param = GradientNormRecorder(model, per="parameter")
    weights_only = GradientNormRecorder(model, weights_only=True, every_n_batches=2)
    expected = []

    class Check(Callback):
        def on_after_backward(self, m):
            g = {n: p.grad.numpy().astype(np.float64) for n, p in m.named_parameters()}
            expected.append(g)

    h = fit(model, loss_fn, opt, train, epochs=2, progress=False,
            callbacks=[per_layer, per_param, weights_only, Check()])
    steps = len(h["iter_loss"])
    assert list(per_layer.norms) == ["0", "3"]
    assert list(per_param.norms) == ["0.weight", "0.bias", "3.weight", "3.bias"]
    assert list(weights_only.norms) == ["0", "3"]
    assert per_layer.iterations == list(range(steps))
    assert weights_only.iterations == list(range(0, steps, 2))
    for i, g in enumerate(expected):
        layer0 = math.sqrt((g["0.weight"] ** 2).sum() + (g["0.bias"] ** 2).sum())
        assert per_layer.norms["0"][i] == pytest.approx(layer0, rel=1e-12)
        assert per_param.norms["3.bias"][i] == pytest.approx(np.linalg.norm(g["3.bias"]))
    assert weights_only.norms["3"][1] == pytest.approx(np.linalg.norm(expected[2]["3.weight"]))


def test_gradient_norms_show_the_vanishing_gradient():
    # A deep sigmoid net with small initial weights: the first layer's gradient is orders
    # of magnitude below the last layer's (the curriculum's vanishing-gradient figure).
    tg.manual_seed(0)
    layers = []
    for _ in range(6):
        lin = nn.Linear(6, 6)
        nn.init.normal_(lin.weight, std=0.5)
        layers += [lin, nn.Sigmoid()]
    model = nn.Sequential(*layers, nn.Linear(6, 3))
    x, y = make_data(64)
    rec = GradientNormRecorder(model, weights_only=True)
    fit(model, loss_fn, optim.SGD(model.parameters(), lr=0.1),
        DataLoader(TensorDataset(x, y), batch_size=32), epochs=1, callbacks=[rec],
        progress=False)
    first, last = rec.norms["0"][0], rec.norms["12"][0]
    assert first < last / 100


def test_gradient_norm_recorder_bad_input():
    with pytest.raises(ValueError, match="per must be"):
        GradientNormRecorder(nn.Linear(2, 2), per="module")
    with pytest.raises(TypeError, match="named_parameters"):
        GradientNormRecorder(object())
    with pytest.raises(ValueError, match="every_n_batches"):
        GradientNormRecorder(nn.Linear(2, 2), every_n_batches=0)


def test_lambda_callback():
    seen = []
    cb = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append((epoch, logs["lr"])))
    model, opt, _, train, _ = make_run(scheduler=False, lr=0.03)
    fit(model, loss_fn, opt, train, epochs=2, callbacks=[cb], progress=False)
    assert seen == [(0, 0.03), (1, 0.03)]
    with pytest.raises(TypeError, match="unknown hook 'on_step'"):
        LambdaCallback(on_step=print)
    with pytest.raises(TypeError, match="must be callable"):
        LambdaCallback(on_epoch_end=3)
