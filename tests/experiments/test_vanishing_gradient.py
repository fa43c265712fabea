"""`tinygrad-jp experiment vanishing-gradient --smoke` end to end, and its robust effects."""

from tinygrad_jp.experiments import check_report
from experiment_helpers import run_cli


def test_vanishing_gradient_smoke(tmp_path):
    p = run_cli(tmp_path, "experiment", "vanishing-gradient", "--smoke", "--out", "vg")
    assert p.returncode == 0, p.stderr
    data = check_report(tmp_path / "vg")
    assert data["smoke"] and data["name"] == "vanishing-gradient"
    assert data["figures"] == ["accuracy.png", "grad_norms_deep_sigmoid_gauss.png",
                               "grad_norms_deep_relu_he.png", "grad_norm_by_layer.png"]
    res = data["results"]
    runs = [f"{d}-{a}-{i}" for d in ("shallow", "deep") for a in ("sigmoid", "relu")
            for i in ("gauss", "xavier", "he")]
    assert all(r in res for r in runs)
    assert len(res["deep-relu-he"]["first_grad_norms"]) == 5
    assert len(res["shallow-relu-he"]["first_grad_norms"]) == 3
    # The curriculum's effect, robust within the smoke budget: ReLU + He learns on the
    # deep net, sigmoid + gauss does not; its gradient vanishes towards the input.
    sg, rh = res["deep-sigmoid-gauss"], res["deep-relu-he"]
    assert rh["final_test_acc"] > sg["final_test_acc"] + 0.3
    assert sg["final_test_acc"] < 0.2
    assert sg["grad_ratio_first_last"] < 1e-3 < 0.1 < rh["grad_ratio_first_last"]
    shown = {e["claim"]: e["shown"] for e in data["effects"]}
    assert shown["ReLU with He initial weights learns on the deep net"]
    assert "[shown] ReLU with He initial weights learns on the deep net" in p.stdout
    assert data["settings"]["iterations"] == 120
