"""The one claim check every experiment decides its claims with (issue 19): noise is
"not shown" with its spread, a real effect is "shown" at every seed."""
import math

import numpy as np
import pytest

from tinygrad_jp.experiments import base
from tinygrad_jp.experiments.claims import all_of, check, difference, reached, spread


def test_pure_noise_is_not_shown_and_says_within_noise():
    rng = np.random.default_rng(0)
    wrong = 0
    for _ in range(200):
        a = 0.8 + 0.013 * rng.standard_normal(3)          # the same condition twice:
        b = 0.8 + 0.013 * rng.standard_normal(3)          # no effect, only noise
        c = difference(a, b)
        wrong += c.shown
        if not c.shown:
            assert c.verdict().startswith("not shown (within noise: ")
            assert " ± " in c.verdict()
    # "holds at all three seeds" happens by chance 1 time in 8 under the null.
    assert wrong < 200 * 0.25


def test_a_real_effect_is_shown_at_every_seed():
    rng = np.random.default_rng(1)
    for _ in range(50):
        a = 0.85 + 0.01 * rng.standard_normal(3)
        b = 0.75 + 0.01 * rng.standard_normal(3)
        c = difference(a, b)
        assert c.shown and c.how == "every seed" and c.held == 3
        assert c.verdict().startswith("holds at all 3 seeds: 0.")


def test_interval_decides_when_one_seed_dips_and_spread_is_mean_plus_half_width():
    values = [0.30, 0.31, 0.29, 0.30, 0.32, 0.28, 0.30, -0.01]
    c = check(values, 0.0)
    assert c.shown and c.how == "interval" and c.held == 7
    m, s = np.mean(values), np.std(values, ddof=1)
    assert c.mean == pytest.approx(m)
    assert c.half_width == pytest.approx(2.365 * s / math.sqrt(8))
    assert c.spread() == f"{m:.3f} ± {c.half_width:.3f}"


def test_direction_threshold_nan_and_one_seed():
    assert check([0.1, 0.1, 0.12], 0.25, "<").shown
    assert not check([0.1, 0.4, 0.1], 0.25, "<").shown
    assert not check([0.5, float("nan"), 0.6], 0.2).shown        # a run without a number
    one = check([0.5], 0.2)
    assert one.shown and one.verdict() == "one seed only: 0.50"
    assert check([0.1, 0.11, 0.12], 0.0).verdict("ja").startswith("3 シードすべてで成立")
    assert all_of(check([1, 2], 0), check([3, 4], 0)) and not all_of(check([1, -2], 0))
    with pytest.raises(ValueError, match="direction"):
        check([1], 0, ">=")
    with pytest.raises(ValueError, match="per seed"):
        difference([1, 2], [1, 2, 3])
    assert spread([0.5]) == "0.50"
    assert reached([10, 20, 30], [0.2, 0.6, 0.7], 0.5) == 20.0
    assert math.isnan(reached([10], [0.1], 0.5)) and reached([10], [0.1], 0.5, 40) == 40.0


def test_seeds_per_mode_and_claims_in_the_report(tmp_path):
    assert base.seeds_for(4, smoke=True) == [4]
    assert base.seeds_for(4) == [4, 5, 6]
    assert len(base.seeds_for(0, full=True)) == 5

    @base.register("claims-test", summary="states one claim over seeds")
    def run(out_dir, full=False, smoke=False, seed=0):
        seeds = base.seeds_for(seed, full, smoke)
        r = base.Report("claims-test", out_dir, "T", seed=seed, seeds=seeds)
        r.claim("noise", difference([0.80, 0.81, 0.79][:len(seeds)],
                                    [0.81, 0.80, 0.80][:len(seeds)]), "a vs b")
        return r

    try:
        from tinygrad_jp import experiments
        rep = experiments.run_experiment("claims-test", out_dir=tmp_path / "en", seeds=3)
        assert rep.seeds == [0, 1, 2] and not rep.effects[0].shown
        text = (tmp_path / "en" / "report.md").read_text(encoding="utf-8")
        assert "noise — **not shown** in this run: a vs b (not shown (within noise:" in text
        data = experiments.check_report(tmp_path / "en")
        assert data["effects"][0]["checks"][0]["values"] == pytest.approx([-0.01, 0.01, -0.01])
        experiments.run_experiment("claims-test", out_dir=tmp_path / "ja", seeds=3, lang="ja")
        text = (tmp_path / "ja" / "report.md").read_text(encoding="utf-8")
        assert "## カリキュラムの主張と、この実行で示されたこと" in text
        assert "noise — **示されなかった**: a vs b (示されず (ノイズの範囲内:" in text
        experiments.check_report(tmp_path / "ja")
    finally:
        base._REGISTRY.pop("claims-test", None)


def test_claims_written_with_tr_are_kept_in_both_languages(tmp_path):
    # An English run keeps the Japanese text of each claim written with tr(), with the
    # Japanese verdict of the same checks (the docs' Japanese pages quote it).
    @base.register("claims-tr-test", summary="states claims with and without tr()")
    def run(out_dir, full=False, smoke=False, seed=0):
        r = base.Report("claims-tr-test", out_dir, "T", seed=seed, seeds=[0, 1, 2])
        r.claim(base.tr("a beats b", "a は b に勝つ"),
                check([0.3, 0.2, 0.25]), base.tr("by 0.25", "0.25 の差"))
        r.claim("untranslated", check([0.3, -0.2, 0.25]), "numbers")
        return r

    try:
        from tinygrad_jp import experiments
        experiments.run_experiment("claims-tr-test", out_dir=tmp_path / "en", seeds=3)
        data = experiments.check_report(tmp_path / "en")
        first, second = data["effects"]
        assert first["claim"] == "a beats b" and first["shown"]
        assert first["translations"] == {"ja": {
            "claim": "a は b に勝つ", "evidence": "0.25 の差",
            "verdict": check([0.3, 0.2, 0.25]).verdict("ja")}}
        assert first["translations"]["ja"]["verdict"].startswith("3 シードすべてで成立")
        assert second["translations"] == {}
        # A Japanese run states them in Japanese and needs no translation.
        experiments.run_experiment("claims-tr-test", out_dir=tmp_path / "ja", seeds=3,
                                   lang="ja")
        data = experiments.check_report(tmp_path / "ja")
        assert data["effects"][0]["claim"] == "a は b に勝つ"
        assert data["effects"][0]["translations"] == {}
    finally:
        base._REGISTRY.pop("claims-tr-test", None)
