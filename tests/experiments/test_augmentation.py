"""`tinygrad-jp experiment augmentation --smoke` end to end: the grid of augmented samples
differs from the originals, and the three runs are recorded."""
import numpy as np
import pytest

from tinygrad_jp.experiments import augmentation, check_report
from experiment_helpers import run_cli


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("augmentation")
    p = run_cli(cwd, "experiment", "augmentation", "--smoke", "--out", "run")
    assert p.returncode == 0, p.stderr
    return p.stdout, cwd / "run", check_report(cwd / "run")


def test_report_and_figures(smoke):
    _, _, data = smoke
    assert data["smoke"] and data["name"] == "augmentation"
    assert data["figures"] == ["augmented_samples.png", "accuracy.png", "distorted_test.png"]


def test_augmented_grid_differs_from_the_originals(smoke):
    _, _, data = smoke
    change = data["results"]["mean_abs_change"]
    assert set(change) == {"RandomAffine", "GaussianNoise", "Thicken", "all three"}
    for name, value in change.items():
        assert value > 1e-3, name


def test_runs_recorded_and_effects_stated(smoke):
    stdout, _, data = smoke
    res = data["results"]
    for name in augmentation.RUNS:
        r = res[name]
        assert len(r["test_acc"]) == len(r["steps"]) > 0
        assert 0 <= r["final_test_acc"] <= 1 and 0 <= r["final_train_acc"] <= 1
        assert 0 <= r["distorted_test_acc"] <= 1
    # Four claims, and (issue 19) one on the held-out distortions the pipeline never makes.
    assert len(data["effects"]) == 5
    first = data["effects"][0]
    te = {n: res[n]["final_test_acc"] for n in augmentation.RUNS}
    assert first["shown"] == (te[augmentation.RUNS[2]] > te["none"]
                              and te["affine"] > te["none"])
    assert first["claim"] in stdout
    dist = {n: res[n]["distorted_test_acc"] for n in augmentation.RUNS}
    third = data["effects"][2]
    assert third["shown"] == (dist[augmentation.RUNS[2]] > dist["none"] + 0.03)


def test_pipelines_change_batches_and_keep_shape():
    import tinygrad_jp as tg
    tg.manual_seed(0)
    x = np.zeros((4, 1, 28, 28), np.float32)
    x[:, :, 8:20, 10:18] = 0.6
    t = augmentation._transforms()
    assert augmentation._pipeline("none", t) is None
    for name in augmentation.RUNS[1:]:
        y = augmentation._pipeline(name, t)(x)
        assert y.shape == x.shape and y.dtype == x.dtype
        assert np.abs(y - x).mean() > 1e-3
        assert y.min() >= 0 and y.max() <= 1.0 + 1e-6
