"""Checkpoints: exact resume (epoch and mid-epoch), interrupts, atomicity, bad input."""
import json
import os
import signal

import numpy as np
import pytest
from train_helpers import loss_fn, make_data, make_model, make_run, same_weights, weights

import tinygrad_jp as tg
from tinygrad_jp import nn, optim
from tinygrad_jp.data import DataLoader, TensorDataset
from tinygrad_jp.train import (
    Callback,
    CheckpointError,
    EarlyStopping,
    GradientNormRecorder,
    ModelCheckpoint,
    TrainingInterrupted,
    fit,
    load_checkpoint,
    save_checkpoint,
)
from tinygrad_jp.train import checkpoint as ckmod


class InterruptAt(Callback):
    """Raises KeyboardInterrupt after the given global iteration (1-based)."""

    def __init__(self, step):
        self.step = step

    def on_batch_end(self, batch, logs=None):
        if self.trainer.global_step == self.step:
            raise KeyboardInterrupt


def _train(epochs, ckdir=None, resume=None, extra=(), loader_generator=None, seed=3,
           save_on_interrupt=True, keep_last=1):
    model, opt, sched, train, valid = make_run()
    if loader_generator is not None:
        x, y = make_data()
        train = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True,
                           generator=loader_generator)
    es = EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
    gn = GradientNormRecorder(model)
    callbacks = [es, gn, *extra]
    if ckdir is not None:
        callbacks.append(ModelCheckpoint(ckdir, save_on_interrupt=save_on_interrupt,
                                         keep_last=keep_last))
    h = fit(model, loss_fn, opt, train, valid, epochs=epochs, scheduler=sched,
            callbacks=callbacks, seed=seed, resume=resume, progress=False)
    return h, model, opt, es, gn


def _opt_arrays(opt):
    sd = opt.state_dict()
    return {(i, k): v for i, s in sd["state"].items() for k, v in s.items()}


def _assert_same_run(a, b):
    ha, ma, oa, ea, ga = a
    hb, mb, ob, eb, gb = b
    assert ha == hb
    assert same_weights(weights(ma), weights(mb))
    sa, sb = _opt_arrays(oa), _opt_arrays(ob)
    assert sa.keys() == sb.keys()
    assert all(np.array_equal(sa[k], sb[k]) for k in sa)
    assert oa.param_groups[0]["lr"] == ob.param_groups[0]["lr"]
    assert (ea.best, ea.best_epoch, ea.wait) == (eb.best, eb.best_epoch, eb.wait)
    assert ga.norms == gb.norms and ga.iterations == gb.iterations


@pytest.fixture(scope="module")
def reference():
    """The uninterrupted 4-epoch run everything is compared with."""
    return _train(4)


def test_two_epochs_plus_resume_equals_four_bit_for_bit(tmp_path, reference):
    _train(2, ckdir=tmp_path)
    assert (tmp_path / "latest").read_text().strip() == "ckpt-epoch0002"
    resumed = _train(4, ckdir=tmp_path, resume=tmp_path, seed=999)  # seed ignored
    _assert_same_run(reference, resumed)
    assert resumed[0]["epoch"] == [1, 2, 3, 4] and len(resumed[0]["iter_loss"]) == 24


def test_interrupt_mid_epoch_keeps_the_last_checkpoint_and_resumes_exactly(tmp_path,
                                                                           reference):
    _train(1, ckdir=tmp_path)
    epoch1 = tmp_path / "ckpt-epoch0001"
    before = {p.name: p.read_bytes() for p in epoch1.iterdir()}
    with pytest.raises(KeyboardInterrupt) as info:
        _train(4, ckdir=tmp_path, resume=tmp_path, extra=[InterruptAt(10)])
    err = info.value
    assert isinstance(err, TrainingInterrupted)
    assert "epoch 2/4 after 4 batches" in str(err) and f"resume={str(tmp_path)!r}" in str(err)
    assert err.epoch == 1 and err.batch == 4 and err.resume_path == str(tmp_path)
    assert err.history.interrupted and len(err.history["iter_loss"]) == 10
    # The previous checkpoint is untouched; the interrupt wrote a new one and moved
    # the pointer.
    assert {p.name: p.read_bytes() for p in epoch1.iterdir()} == before
    assert err.checkpoint == str(tmp_path / "ckpt-epoch0001-batch000004")
    assert (tmp_path / "latest").read_text().strip() == "ckpt-epoch0001-batch000004"
    ck = load_checkpoint(tmp_path)
    assert (ck.epoch, ck.batch) == (1, 4)
    resumed = _train(4, ckdir=tmp_path, resume=tmp_path)
    _assert_same_run(reference, resumed)
    # The finished run's checkpoint supersedes the interrupt checkpoint.
    assert sorted(os.listdir(tmp_path)) == ["ckpt-epoch0004", "latest"]


def test_interrupt_at_an_epoch_boundary(tmp_path, reference):
    class StopAfterEpoch(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    with pytest.raises(TrainingInterrupted, match="after epoch 2/4"):
        _train(4, ckdir=tmp_path, extra=[StopAfterEpoch()])
    ck = load_checkpoint(tmp_path)
    assert (ck.epoch, ck.batch) == (2, 0)
    _assert_same_run(reference, _train(4, ckdir=tmp_path, resume=tmp_path))


def test_interrupt_during_a_save_leaves_the_previous_checkpoint(tmp_path, monkeypatch,
                                                                reference):
    from tinygrad_jp.optim import serialization as optser
    real = optser.save_file
    calls = {"n": 0}

    def flaky(state, path):
        calls["n"] += 1
        if calls["n"] == 2:              # the second epoch's save, half-way through
            raise KeyboardInterrupt
        return real(state, path)

    monkeypatch.setattr(optser, "save_file", flaky)
    with pytest.raises(TrainingInterrupted, match="no checkpoint was saved"):
        _train(4, ckdir=tmp_path, save_on_interrupt=False)
    assert sorted(os.listdir(tmp_path)) == ["ckpt-epoch0001", "latest"]
    assert load_checkpoint(tmp_path).epoch == 1
    monkeypatch.setattr(optser, "save_file", real)
    _assert_same_run(reference, _train(4, ckdir=tmp_path, resume=tmp_path))

    # With save_on_interrupt, the interrupted epoch-boundary save is redone at once.
    other = tmp_path / "other"
    calls["n"] = 0
    monkeypatch.setattr(optser, "save_file", flaky)
    with pytest.raises(TrainingInterrupted, match="after epoch 2/4"):
        _train(4, ckdir=other)
    assert sorted(os.listdir(other)) == ["ckpt-epoch0001", "ckpt-epoch0002", "latest"]
    assert load_checkpoint(other).epoch == 2
    monkeypatch.setattr(optser, "save_file", real)
    _assert_same_run(reference, _train(4, ckdir=other, resume=other))


def test_ctrl_c_during_a_step_is_delivered_after_the_step(tmp_path, reference):
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("a custom SIGINT handler is installed")

    class CtrlC(Callback):
        def on_after_backward(self, model):
            if self.trainer.global_step == 7:       # during the 8th step
                os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(TrainingInterrupted) as info:
        _train(4, ckdir=tmp_path, extra=[CtrlC()])
    # The step that was running finished: 8 iterations, 2 of them in epoch 2.
    assert (info.value.epoch, info.value.batch) == (1, 2)
    assert len(info.value.history["iter_loss"]) == 8
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    _assert_same_run(reference, _train(4, ckdir=tmp_path, resume=tmp_path))


def test_loader_with_its_own_generator_resumes_exactly(tmp_path):
    ref = _train(3, loader_generator=np.random.default_rng(11))
    with pytest.raises(TrainingInterrupted):
        _train(3, ckdir=tmp_path, loader_generator=np.random.default_rng(11),
               extra=[InterruptAt(9)])
    resumed = _train(3, ckdir=tmp_path, resume=tmp_path,
                     loader_generator=np.random.default_rng(12345))
    _assert_same_run(ref, resumed)


def test_keep_last_and_every_n_epochs(tmp_path):
    model, opt, _, train, _ = make_run(scheduler=False)
    for sub, kwargs, expected in (
            ("a", {}, ["ckpt-epoch0004"]),
            ("b", {"keep_last": 2}, ["ckpt-epoch0003", "ckpt-epoch0004"]),
            ("c", {"keep_last": None, "every_n_epochs": 3},
             ["ckpt-epoch0003", "ckpt-epoch0004"])):
        fit(model, loss_fn, opt, train, epochs=4, progress=False,
            callbacks=[ModelCheckpoint(tmp_path / sub, **kwargs)])
        assert sorted(os.listdir(tmp_path / sub)) == expected + ["latest"], sub
    with pytest.raises(ValueError, match="every_n_epochs"):
        ModelCheckpoint(tmp_path, every_n_epochs=0)
    with pytest.raises(ValueError, match="keep_last"):
        ModelCheckpoint(tmp_path, keep_last=0)


def test_files_are_safetensors_and_json_not_pickle(tmp_path):
    _train(1, ckdir=tmp_path)
    ck = tmp_path / "ckpt-epoch0001"
    names = sorted(os.listdir(ck))
    assert names == ["arrays.safetensors", "model.safetensors", "optimizer.safetensors",
                     "trainer.json"]
    for name in names[:3]:
        raw = (ck / name).read_bytes()
        n = int.from_bytes(raw[:8], "little")
        header = json.loads(raw[8:8 + n])
        assert isinstance(header, dict)
    meta = json.loads((ck / "trainer.json").read_text())
    assert meta["epoch"] == 1 and meta["model_class"] == "Sequential"
    assert meta["optimizer_class"] == "Adam" and meta["scheduler_class"] == "StepLR"
    assert set(meta["files"]) == set(names[:3])
    assert meta["rng"]["bit_generator"] == "PCG64"


def test_save_and_load_checkpoint_directly(tmp_path):
    model = make_model()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x, y = make_data(16)
    loss_fn(model(tg.Tensor(x)), tg.Tensor(y)).backward()
    opt.step()
    path = save_checkpoint(tmp_path / "ck", model, opt, epoch=7, state={"note": "hi"})
    assert path == str(tmp_path / "ck")
    # Saving again over it replaces it.
    save_checkpoint(tmp_path / "ck", model, opt, epoch=8)
    ck = load_checkpoint(tmp_path / "ck")
    assert ck.epoch == 8 and ck.batch == 0 and "note" not in ck.trainer_state
    assert [p for p in os.listdir(tmp_path) if p != "ck"] == []
    other = make_model(seed=1)
    opt2 = optim.SGD(other.parameters(), lr=0.5, momentum=0.9)
    ck.restore(other, opt2)
    assert same_weights(weights(model), weights(other))
    assert opt2.param_groups[0]["lr"] == 0.1
    assert np.array_equal(_opt_arrays(opt)[(0, "momentum_buffer")],
                          _opt_arrays(opt2)[(0, "momentum_buffer")])
    assert "epoch=8" in repr(ck)


def test_resume_into_another_model_lists_every_mismatched_name(tmp_path):
    _train(1, ckdir=tmp_path)
    other = nn.Sequential(nn.Linear(6, 20), nn.ReLU(), nn.Linear(20, 3))
    with pytest.raises(CheckpointError) as info:
        fit(other, loss_fn, optim.Adam(other.parameters()), make_run()[3], epochs=2,
            resume=tmp_path, progress=False)
    msg = str(info.value)
    assert str(tmp_path / "ckpt-epoch0001") in msg and "does not fit" in msg
    # All at once: saved but not in the model, in the model but not saved, and shapes.
    lines = msg.splitlines()
    unexpected = next(line for line in lines if "Unexpected key(s)" in line)
    missing = next(line for line in lines if "Missing key(s)" in line)
    assert '"3.weight"' in unexpected and '"3.bias"' in unexpected
    assert '"2.weight"' in missing and '"2.bias"' in missing
    assert "size mismatch for 0.weight" in msg and "size mismatch for 0.bias" in msg
    # Nothing was loaded.
    assert other[0].weight.shape == (20, 6)


def test_resume_with_another_optimizer_or_scheduler(tmp_path):
    _train(1, ckdir=tmp_path)
    model, _, _, train, _ = make_run(scheduler=False)
    with pytest.raises(CheckpointError, match="optimizer Adam, but a SGD was passed"):
        fit(model, loss_fn, optim.SGD(model.parameters(), lr=0.1), train, epochs=2,
            resume=tmp_path, progress=False)
    opt = optim.Adam(model.parameters())
    with pytest.raises(CheckpointError, match="scheduler StepLR, but a ExponentialLR"):
        fit(model, loss_fn, opt, train, epochs=2, resume=tmp_path, progress=False,
            scheduler=optim.lr_scheduler.ExponentialLR(opt, 0.9))
    with pytest.warns(UserWarning, match="no scheduler was passed"):
        fit(model, loss_fn, opt, train, epochs=2, resume=tmp_path, progress=False)


def test_missing_unfinished_and_corrupt_checkpoints_say_so(tmp_path):
    model, opt, _, train, _ = make_run(scheduler=False)

    def resume(path):
        return fit(model, loss_fn, opt, train, epochs=2, resume=path, progress=False)

    with pytest.raises(FileNotFoundError, match="does not exist"):
        resume(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="holds no checkpoint"):
        resume(tmp_path / "empty")

    fit(model, loss_fn, opt, train, epochs=2, progress=False,
        callbacks=[ModelCheckpoint(tmp_path / "run", keep_last=2)])
    ck2 = tmp_path / "run" / "ckpt-epoch0002"
    with pytest.raises(CheckpointError, match="is a file"):
        resume(ck2 / "model.safetensors")

    # A flipped byte in the weights: named, with both hashes.
    raw = bytearray((ck2 / "model.safetensors").read_bytes())
    raw[-1] ^= 0xFF
    (ck2 / "model.safetensors").write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match=r"model.safetensors is corrupted: its SHA-256"):
        resume(tmp_path / "run")
    # A truncated sidecar.
    text = (ck2 / "trainer.json").read_text()
    (ck2 / "trainer.json").write_text(text[: len(text) // 2])
    with pytest.raises(CheckpointError, match="trainer.json is corrupted"):
        resume(ck2)
    # A trainer.json nested deeper than the JSON decoder can follow: named, not a bare
    # RecursionError.
    (ck2 / "trainer.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(CheckpointError, match=r"trainer\.json is corrupted: it nests deeper "
                                              r"than the JSON decoder can follow"):
        resume(ck2)
    # An unfinished save (no trainer.json) that `latest` points at: the older complete
    # checkpoint is named as the way out.
    (ck2 / "trainer.json").unlink()
    with pytest.raises(CheckpointError, match=r"missing or unfinished.*ckpt-epoch0001"):
        resume(tmp_path / "run")
    with pytest.raises(CheckpointError, match="unfinished checkpoint"):
        resume(ck2)
    # A missing file listed in the sidecar.
    ck1 = tmp_path / "run" / "ckpt-epoch0001"
    (ck1 / "optimizer.safetensors").unlink()
    with pytest.raises(CheckpointError, match="incomplete: optimizer.safetensors is missing"):
        resume(ck1)
    # Some other JSON.
    (ck1 / "trainer.json").write_text('{"format": "keras"}')
    with pytest.raises(CheckpointError, match="not a tinygrad_jp training checkpoint"):
        resume(ck1)


def test_resume_when_already_done_warns_and_returns(tmp_path):
    h, *_ = _train(2, ckdir=tmp_path)
    with pytest.warns(UserWarning, match="already has 2 complete epochs"):
        again, *_ = _train(2, ckdir=tmp_path, resume=tmp_path)
    assert again == h


def test_leftover_temporary_directories_are_removed(tmp_path):
    stale = tmp_path / ".ckpt-epoch0003.abc123.tmp"
    stale.mkdir()
    (stale / "model.safetensors").write_bytes(b"partial")
    keep = tmp_path / "notes"
    keep.mkdir()
    model, opt, _, train, _ = make_run(scheduler=False)
    fit(model, loss_fn, opt, train, epochs=1, progress=False,
        callbacks=[ModelCheckpoint(tmp_path)])
    assert sorted(os.listdir(tmp_path)) == ["ckpt-epoch0001", "latest", "notes"]
    assert ckmod.list_checkpoints(str(tmp_path)) == ["ckpt-epoch0001"]


def test_resume_with_another_batch_size(tmp_path):
    with pytest.raises(TrainingInterrupted):
        _train(3, ckdir=tmp_path / "mid", extra=[InterruptAt(9)])
    x, y = make_data()
    model, opt, sched, _, _ = make_run()
    other_loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True)
    with pytest.raises(CheckpointError, match=r"after batch 3 of an epoch of 6 batches.*"
                                              r"has 3 batches per epoch"):
        fit(model, loss_fn, opt, other_loader, epochs=3, scheduler=sched, progress=False,
            resume=tmp_path / "mid")
    _train(1, ckdir=tmp_path / "end")
    model, opt, sched, _, valid = make_run()
    with pytest.warns(UserWarning, match="6 batches per epoch, this train_loader has 3"):
        h = fit(model, loss_fn, opt, other_loader, valid, epochs=2, scheduler=sched,
                progress=False, resume=tmp_path / "end",
                callbacks=[EarlyStopping(patience=10, restore_best_weights=True),
                           GradientNormRecorder(model)])
    assert len(h["iter_loss"]) == 6 + 3
