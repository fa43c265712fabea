"""`tinygrad-jp experiment overfitting --smoke` end to end: the report, its figures, and
numbers and effects that agree with the curves they were computed from."""
import numpy as np
import pytest

from tinygrad_jp import experiments
from tinygrad_jp.experiments import check_report, overfitting
from experiment_helpers import run_cli


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("overfitting")
    p = run_cli(cwd, "experiment", "overfitting", "--smoke", "--out", "run")
    assert p.returncode == 0, p.stderr
    return p.stdout, cwd / "run", check_report(cwd / "run")


def test_registered():
    assert "overfitting" in experiments.names()
    assert experiments.get("overfitting").run is overfitting.run


def test_report_and_figures(smoke):
    stdout, out, data = smoke
    assert data["smoke"] and data["name"] == "overfitting"
    assert data["figures"] == ["accuracy.png", "gap.png"]
    assert data["settings"]["training samples"] == 300
    text = (out / "report.md").read_text(encoding="utf-8")
    assert "| SGD | dropout |" in text and "| Adam | elastic net |" in text
    assert "done in" in stdout


def test_every_run_recorded_and_gap_computed_from_the_curves(smoke):
    _, _, data = smoke
    res = data["results"]
    keys = [f"{o} / {m}" for o in overfitting.OPTIMIZERS for m in overfitting.METHODS]
    assert len(keys) == 10
    for key in keys:
        r = res[key]
        assert len(r["train_acc"]) == len(r["test_acc"]) == len(r["steps"]) > 0
        assert all(0.0 <= a <= 1.0 for a in r["train_acc"] + r["test_acc"])
        k = min(overfitting.GAP_WINDOW, len(r["train_acc"]))
        assert r["gap"] == pytest.approx(np.mean(np.subtract(r["train_acc"][-k:],
                                                             r["test_acc"][-k:])))
        assert not r["diverged"]


def test_effects_follow_from_the_recorded_gaps(smoke):
    stdout, _, data = smoke
    res = data["results"]
    shown = {e["claim"]: e["shown"] for e in data["effects"]}
    # Six claims, and (issue 19) one per optimizer on whether a regulariser raises the
    # test accuracy at all.
    assert len(shown) == 8
    for opt in overfitting.OPTIMIZERS:
        base = res[f"{opt} / none"]["gap"]
        did = [m for m in overfitting.METHODS[1:]
               if res[f"{opt} / {m}"]["gap"] < base - overfitting.GAP_MARGIN]
        assert res[f"closed_gap_{opt}"] == did
        claim = f"With {opt}, the regularised runs narrow the train − test gap"
        assert shown[claim] == (len(did) == len(overfitting.METHODS) - 1)
        assert claim in stdout


def test_regularisers_change_the_loss():
    """Each regulariser is wired into the loss (not just a label in the table)."""
    import tinygrad_jp as tg
    x = tg.Tensor(np.random.default_rng(0).random((8, 784), dtype=np.float32))
    t = tg.Tensor(np.arange(8) % 10)
    values = {}
    for method in overfitting.METHODS:
        tg.manual_seed(0)
        net, loss_fn = overfitting._build(method)
        net.eval()                                   # dropout off: the same forward
        loss = net.loss(x, t) if loss_fn is None else loss_fn(net, x, t)
        values[method] = float(loss.item())
    assert values["dropout"] == pytest.approx(values["none"], rel=1e-6)
    for method in ("L2", "L1", "elastic net"):
        assert values[method] > values["none"] + 1e-3
    # The elastic net is half of each penalty: between the L1 and the L2 run's.
    penalty = {m: values[m] - values["none"] for m in values}
    assert penalty["elastic net"] == pytest.approx((penalty["L1"] + penalty["L2"]) / 2,
                                                   rel=1e-4)
