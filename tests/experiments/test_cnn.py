"""`tinygrad-jp experiment cnn --smoke` end to end: curves, filters, the curriculum's
parameter counts, and timings that add up."""
import numpy as np
import pytest

from tinygrad_jp.experiments import check_report, cnn
from experiment_helpers import run_cli


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("cnn")
    p = run_cli(cwd, "experiment", "cnn", "--smoke", "--out", "run")
    assert p.returncode == 0, p.stderr
    return p.stdout, cwd / "run", check_report(cwd / "run")


def test_report_and_figures(smoke):
    _, _, data = smoke
    assert data["smoke"] and data["name"] == "cnn"
    assert data["figures"] == ["accuracy.png", "filters_simpleconvnet.png",
                               "filters_deepconvnet.png"]


def test_parameter_counts_and_timings(smoke):
    _, _, data = smoke
    simple, deep = data["results"]["SimpleConvNet"], data["results"]["DeepConvNet"]
    assert simple["parameters"] == 433_890        # the curriculum's SimpleConvNet
    assert deep["parameters"] == 123_552          # the curriculum's DeepConvNet
    iters_per_epoch = 200 // 20                   # smoke: 200 images, batch 20
    for r in (simple, deep):
        assert np.isfinite(r["seconds_per_iteration"]) and r["seconds_per_iteration"] > 0
        assert r["seconds_per_epoch"] == pytest.approx(r["seconds_per_iteration"]
                                                       * iters_per_epoch)
        assert r["projected_course_minutes"] == pytest.approx(
            r["seconds_per_iteration"] * cnn.COURSE_ITERS / 60)
        assert r["seconds_per_iteration"] * 6 < r["seconds_total"]
        assert 0 <= r["final_test_acc"] <= 1 and len(r["loss"]) == 6
        assert all(np.isfinite(r["loss"]))


def test_filters_were_trained(smoke):
    _, _, data = smoke
    assert data["results"]["SimpleConvNet_filter_change"] > 1e-3
    assert data["results"]["DeepConvNet_filter_change"] > 1e-4


def test_effects_follow_from_the_numbers(smoke):
    stdout, _, data = smoke
    s, d = data["results"]["SimpleConvNet"], data["results"]["DeepConvNet"]
    effects = data["effects"]
    assert len(effects) == 3
    assert effects[0]["shown"] == (d["final_test_acc"] > s["final_test_acc"])
    assert effects[2]["shown"] == (d["projected_course_minutes"] < cnn.COURSE_MINUTES / 2)
    assert "min for 1000 iterations" in stdout


def test_iteration_clock_leaves_out_evaluations():
    clock = cnn._IterationClock()
    # Iterations 1..6 start 1 s apart, except that an evaluation of 10 s follows
    # iteration 3; iteration 6 is followed by the final evaluation, until 26.
    clock.stamps = [0.0, 1.0, 2.0, 13.0, 14.0, 15.0]
    assert clock.seconds_per_iteration(eval_steps=[3, 6], end=26.0) == pytest.approx(1.0)
