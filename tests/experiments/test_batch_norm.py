"""`tinygrad-jp experiment batch-norm --smoke` end to end, and its robust effect."""

from tinygrad_jp.experiments import check_report
from experiment_helpers import run_cli


def test_batch_norm_smoke(tmp_path):
    p = run_cli(tmp_path, "experiment", "batch-norm", "--smoke", "--out", "bn")
    assert p.returncode == 0, p.stderr
    data = check_report(tmp_path / "bn")
    assert data["figures"] == ["train_accuracy_by_scale.png", "final_accuracy_vs_scale.png"]
    res = data["results"]
    scales = ["1", "0.1", "0.01", "0.001", "0.0001"]
    for s in scales:
        r = res[f"scale={s}"]
        assert len(r["bn_curve"]) == 10                             # one per epoch
        assert 1 <= len(r["plain_curve"]) <= 10     # a diverging run stops early
    # With weights of std 0.01 the plain 5×100 ReLU net does not learn in the budget,
    # with batch norm it does (the book's figure, robust even in the smoke budget).
    mid = res["scale=0.01"]
    assert mid["plain_train_acc"] < 0.2
    assert mid["bn_train_acc"] > mid["plain_train_acc"] + 0.3
    assert [e["claim"] for e in data["effects"]][0].startswith("Batch norm learns faster")
