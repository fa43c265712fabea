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
    assert data["figures"] == ["losses.png", "samples_progress.png", "samples_final.png",
                               "quality.png"]


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


def test_quality_is_judged_against_the_real_images(smoke):
    _, _, data = smoke
    res = data["results"]
    real = res["real_quality"]
    # The yardstick: real images against real images, in the same features.
    assert real["frechet"] == res["real_frechet"] and real["frechet_vs_real"] == 1.0
    assert sum(real["class_share"]) == pytest.approx(1.0)
    for v in res["quality"].values():
        assert v["frechet_vs_real"] == pytest.approx(v["frechet"] / res["real_frechet"])
        assert 0.1 <= v["confidence"] <= 1.0
        assert sum(v["class_share"]) == pytest.approx(1.0)
        assert len(v["class_confidence"]) == len(v["class_sure_share"]) == 10
        assert all(s <= sh + 1e-12 for s, sh in
                   zip(v["class_sure_share"], v["class_share"], strict=True))
        assert 0 <= v["sure_class_overlap"] <= 1 + 1e-9
        assert 0 <= v["class_overlap"] <= 1 + 1e-9
    # Every claim was decided over the seeds by the shared check, with its numbers.
    claims = {e["claim"]: e for e in data["effects"]}
    assert len(claims) == 5
    for e in claims.values():
        assert e["checks"] and e["verdict"] and all(len(c["values"]) == 1 for c in e["checks"])
    near = next(e for c, e in claims.items() if "as close to the data as real" in c)
    last = res["quality"]["4"]
    assert near["shown"] == (last["frechet_vs_real"] < 2.0)
    sure = next(e for c, e in claims.items() if "recognisable" in c)
    assert sure["shown"] == (last["sure_class_overlap"] > 0.8)
    varied = next(e for c, e in claims.items() if "mode collapse" in c)
    assert varied["shown"] == (last["class_overlap"] > 0.7)


def test_per_class_measures():
    probs = np.array([[0.9, 0.1] + [0.0] * 8, [0.3, 0.7] + [0.0] * 8,
                      [0.6, 0.4] + [0.0] * 8, [0.45, 0.1, 0.45] + [0.0] * 7])
    share, conf, sure = gan._per_class(probs)
    assert share[:3].tolist() == [0.75, 0.25, 0.0]
    assert conf[0] == pytest.approx((0.9 + 0.6 + 0.45) / 3) and conf[1] == 0.7
    assert np.isnan(conf[2])
    # The blob-like last image goes to class 0 but without confidence.
    assert sure[:2].tolist() == [0.5, 0.25]


def test_japanese_report(tmp_path):
    from tinygrad_jp.experiments import run_experiment
    r = run_experiment("gan", tmp_path / "ja", smoke=True, lang="ja")
    text = (tmp_path / "ja" / "report.md").read_text(encoding="utf-8")
    assert "生成器はノイズを訓練データのような画像に変えることを学ぶ" in text
    assert "シード 1 つだけ" in text and r.lang == "ja"


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
