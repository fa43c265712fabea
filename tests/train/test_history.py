"""History: recording, equality, JSON/CSV round trips, and what plot_history reads."""
import json
import math

import pytest

from tinygrad_jp.train import History


def _history():
    h = History()
    for ep in (1, 2):
        for i in range(3):
            h.log_iteration(1.0 / (ep + i), ep)
        h.log_epoch(ep, {"train_loss": 1.0 / ep, "train_acc": 0.5 + 0.1 * ep,
                         "val_loss": 1.2 / ep, "val_acc": 0.4 + 0.1 * ep, "lr": 0.1},
                    seconds=0.5)
    return h


def test_records_per_epoch_and_per_iteration():
    h = _history()
    assert len(h) == 2 and h.epochs == 2
    assert h["epoch"] == [1, 2]
    assert h["train_loss"] == [1.0, 0.5]
    assert h["iter_loss"] == [1.0, 0.5, 1 / 3, 0.5, 1 / 3, 0.25]
    assert h["iter_epoch"] == [1, 1, 1, 2, 2, 2]
    assert h.last()["val_acc"] == pytest.approx(0.6)
    assert h.best("val_loss") == (2, 0.6)
    assert h.best("val_acc") == (2, pytest.approx(0.6))       # 'auto' → max for acc
    assert h.best("val_loss", mode="max") == (1, 1.2)
    with pytest.raises(KeyError, match="train_loss"):
        h["nope"]


def test_a_late_key_is_padded_with_nan():
    h = History()
    h.log_epoch(1, {"train_loss": 1.0})
    h.log_epoch(2, {"train_loss": 0.5, "val_loss": 0.7})
    h.log_epoch(3, {"train_loss": 0.4})
    assert math.isnan(h["val_loss"][0]) and h["val_loss"][1] == 0.7
    assert math.isnan(h["val_loss"][2])
    assert all(len(h[k]) == 3 for k in ("epoch", "train_loss", "val_loss"))


def test_equality_ignores_wall_time_but_not_values():
    a, b = _history(), _history()
    b.epoch_times = [9.0, 9.0]
    assert a == b
    b.history["iter_loss"][3] += 1e-12
    assert a != b
    nan_a, nan_b = History(), History()
    nan_a.log_epoch(1, {"train_loss": math.nan})
    nan_b.log_epoch(1, {"train_loss": math.nan})
    assert nan_a == nan_b


def test_json_round_trip_is_exact(tmp_path):
    h = _history()
    h.interrupted, h.stopped_epoch = True, 2
    path = tmp_path / "h.json"
    h.to_json(path)
    back = History.from_json(path)
    assert back == h and back.epoch_times == h.epoch_times
    assert back.interrupted and back.stopped_epoch == 2
    # A plain dict of lists is accepted too.
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps(h.to_dict()))
    assert History.from_json(plain) == h
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    with pytest.raises(ValueError, match="does not hold a history"):
        History.from_json(bad)


def test_from_json_names_the_file_when_it_nests_too_deep_or_is_not_json(tmp_path):
    bad = tmp_path / "history.json"
    bad.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(RuntimeError, match=r"^History\.from_json: .*history\.json is "
                                           r"corrupted: it nests deeper than the JSON "
                                           r"decoder can follow"):
        History.from_json(bad)
    bad.write_text('{"train_loss": [1.0,')
    with pytest.raises(RuntimeError, match=r"history\.json is corrupted: it is not valid "
                                           r"JSON"):
        History.from_json(bad)


def test_csv_per_epoch_and_per_iteration(tmp_path):
    h = _history()
    text = h.to_csv()
    lines = text.strip().splitlines()
    assert lines[0] == "epoch,train_loss,train_acc,val_loss,val_acc,lr,time"
    assert lines[2].startswith("2,0.5,") and lines[2].endswith(",0.500")
    path = tmp_path / "iters.csv"
    assert h.to_csv(path, per_iteration=True) is None
    rows = path.read_text().strip().splitlines()
    assert rows[0] == "iteration,epoch,loss" and len(rows) == 7
    assert rows[4].split(",")[:2] == ["4", "2"]
    assert float(rows[4].split(",")[2]) == 0.5


def test_plot_history_accepts_a_history(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    from tinygrad_jp.viz import plot_history
    fig = plot_history(_history(), path=tmp_path / "curves.png")
    # One panel for accuracy and one for loss, each with a train and a val line
    # (per-iteration series are left out).
    assert len(fig.axes) == 2
    assert all(len(ax.get_lines()) == 2 for ax in fig.axes)
    assert (tmp_path / "curves.png").stat().st_size > 0
