"""`tinygrad-jp experiment gan --smoke` (and `--conditional`) end to end: finite losses,
sample grids from a fixed noise, the quality measures."""
import numpy as np
import pytest

from tinygrad_jp.experiments import check_report, gan
from experiment_helpers import run_cli


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("gan")
    p = run_cli(cwd, "experiment", "gan", "--smoke", "--out", "run")
    assert p.returncode == 0, p.stderr
    return p.stdout, cwd / "run", check_report(cwd / "run")


def test_report_and_figures(smoke):
    _, _, data = smoke
    assert data["smoke"] and data["name"] == "gan" and "conditional" not in data["title"]
    assert data["figures"] == ["losses.png", "samples_progress.png", "samples_final.png"]


def test_losses_finite_and_one_per_iteration(smoke):
    _, _, data = smoke
    r = data["results"]
    assert r["iterations_done"] == 4
    for key in ("loss_d", "loss_g", "d_real", "d_fake"):
        assert len(r[key]) == 4 and all(np.isfinite(r[key]))
    assert all(0 < v < 1 for v in r["d_real"] + r["d_fake"])
    # At the start D cannot tell: BCE of a coin flip, ln 2 per batch (D sees two).
    assert r["loss_d"][0] == pytest.approx(2 * np.log(2), abs=0.2)
    assert r["loss_g"][0] == pytest.approx(np.log(2), abs=0.2)


def test_quality_measured_at_every_snapshot(smoke):
    _, _, data = smoke
    res = data["results"]
    q = res["quality"]
    assert sorted(int(k) for k in q) == [0, 2, 4]
    for v in q.values():
        # The untrained generator's grey blur is far from the real images.
        assert v["frechet"] > res["real_frechet"] >= 0
        assert 1 <= v["classes_seen"] <= 10
    assert str(res["best_snapshot"]) in q


def test_conditional(tmp_path):
    p = run_cli(tmp_path, "experiment", "gan", "--smoke", "--conditional", "--out", "cgan")
    assert p.returncode == 0, p.stderr
    data = check_report(tmp_path / "cgan")
    assert "conditional DCGAN" in data["title"]
    last = data["results"]["quality"]["4"]
    assert 0 <= last["judge_agrees_with_label"] <= 1
    claim = next(e for e in data["effects"] if "asked for" in e["claim"])
    assert claim["shown"] == (last["judge_agrees_with_label"] > 0.5)
    assert claim["claim"] in p.stdout


def test_conditional_is_a_gan_only_option(tmp_path):
    p = run_cli(tmp_path, "experiment", "cnn", "--smoke", "--conditional")
    assert p.returncode != 0 and "gan" in p.stderr


def test_frechet_distance_closed_forms():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((400, 3))
    a -= a.mean(0)
    assert gan._frechet(a, a) == pytest.approx(0.0, abs=1e-6)
    # Shifting one set by c adds ‖c‖²; scaling it by k adds (k − 1)²·tr Σ.
    shift = np.array([1.0, 2.0, 2.0])
    assert gan._frechet(a, a + shift) == pytest.approx(9.0, rel=1e-6)
    tr = np.trace(np.cov(a, rowvar=False))
    assert gan._frechet(a, 3 * a) == pytest.approx(4 * tr, rel=1e-6)


def test_moving_average():
    ma = gan._moving_average([1, 2, 3, 4], 2)
    assert np.isnan(ma[0]) and ma[1:].tolist() == [1.5, 2.5, 3.5]
