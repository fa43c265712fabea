"""`tinygrad-jp experiment optimizers --smoke` end to end, and its robust effects."""

from tinygrad_jp.experiments import check_report
from experiment_helpers import run_cli

OPTIMIZERS = ("SGD", "Momentum", "AdaGrad", "RMSProp", "AdaDelta", "Adam")
CONDITIONS = ("sigmoid-gauss-batch_FALSE", "ReLU-He-batch_FALSE", "ReLU-He-batch_TRUE")


def test_optimizers_smoke(tmp_path):
    p = run_cli(tmp_path, "experiment", "optimizers", "--smoke", "--out", "op")
    assert p.returncode == 0, p.stderr
    data = check_report(tmp_path / "op")
    assert data["figures"] == ["accuracy.png", "test_accuracy_by_condition.png", "paths.png"]
    res = data["results"]
    for cond in CONDITIONS:
        for name in OPTIMIZERS:
            assert 0 <= res[f"{cond}/{name}"]["final_test_acc"] <= 1
    # The 2-D paths are deterministic: SGD zigzags at every step, AdaGrad never does.
    assert res["path/SGD"]["y_sign_changes"] == 30
    assert res["path/AdaGrad"]["y_sign_changes"] == 0
    assert res["path/AdaGrad"]["f_end"] < res["path/SGD"]["f_end"]
    # Sigmoid + gauss: SGD (lr 0.01) does not move within the budget, Adam does.
    sg = "sigmoid-gauss-batch_FALSE"
    assert res[f"{sg}/SGD"]["final_test_acc"] < 0.2
    assert res[f"{sg}/Adam"]["final_test_acc"] > res[f"{sg}/SGD"]["final_test_acc"] + 0.2
    # Batch norm: faster at the start, averaged over the six optimizers.
    quarter = {c: sum(res[f"{c}/{n}"]["test_acc_quarter"] for n in OPTIMIZERS) / 6
               for c in CONDITIONS[1:]}
    assert quarter["ReLU-He-batch_TRUE"] > quarter["ReLU-He-batch_FALSE"] + 0.1
