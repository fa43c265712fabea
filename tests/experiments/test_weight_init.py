"""`tinygrad-jp experiment weight-init --smoke` end to end (default output folder)."""

from tinygrad_jp.experiments import check_report
from experiment_helpers import run_cli


def test_weight_init_smoke_in_the_default_folder(tmp_path):
    p = run_cli(tmp_path, "experiment", "weight-init", "--smoke")
    assert p.returncode == 0, p.stderr
    out = tmp_path / "runs" / "weight-init"            # the default --out
    data = check_report(out)
    assert data["figures"] == ["histograms_sigmoid.png", "histograms_tanh.png",
                               "histograms_relu.png", "zero_init_units.png"]
    res = data["results"]
    for act in ("sigmoid", "tanh", "relu"):
        for init in ("std 1", "std 0.01", "Xavier", "He"):
            assert len(res[f"{act}/{init}"]["layer_std"]) == 5
    # The histograms need no training, so every effect is deterministic.
    assert data["all_shown"], data["effects"]
    assert res["zero_init/zero"]["distinct_units"] == 1
    assert res["zero_init/Xavier"]["distinct_units"] == 100
    relu_he = res["relu/He"]["layer_std"]
    relu_xavier = res["relu/Xavier"]["layer_std"]
    assert relu_xavier[4] < 0.5 * relu_xavier[0] and relu_he[4] > 0.6 * relu_he[0]
    # The same command again replaces the run, and the output and the report say so.
    again = run_cli(tmp_path, "experiment", "weight-init", "--smoke")
    assert again.returncode == 0, again.stderr
    assert "replaces the previous run" in again.stdout
    assert "replaces the previous run" in (out / "report.md").read_text(encoding="utf-8")
    check_report(out)
