import numpy as np
import pytest
from matplotlib.figure import Figure

from tinygrad_jp.tensor import Tensor
from tinygrad_jp.viz import plots


def _saved(path):
    return path.exists() and path.stat().st_size > 0


def _lines(ax):
    return [ln for ln in ax.get_lines() if ln.get_label() and not ln.get_label().startswith("_")]


def test_plot_history(tmp_path):
    h = {"train_acc": [0.5, 0.7, 0.8], "val_acc": [0.45, 0.6, 0.7],
         "train_loss": [1.2, 0.8, 0.5], "val_loss": [1.3, 0.9, 0.7],
         "train_loss_iter": list(np.linspace(2, 0.4, 50))}
    fig = plots.plot_history(h, title="MLP", path=tmp_path / "h.png")
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    acc, loss = fig.axes
    assert [ln.get_label() for ln in _lines(acc)] == ["train", "val"]
    assert len(_lines(loss)) == 2  # the per-iteration series is not drawn per epoch
    np.testing.assert_array_equal(_lines(acc)[0].get_xdata(), [1, 2, 3])
    assert _saved(tmp_path / "h.png")
    svg = tmp_path / "sub" / "h.svg"
    plots.plot_history({"test_loss": [1, 0.5]}, path=svg)
    assert _saved(svg) and svg.read_text().lstrip().startswith("<?xml")


def test_plot_history_accepts_history_objects_and_rejects_junk():
    class H:
        history = {"accuracy": [0.1, 0.2]}
    assert len(plots.plot_history(H()).axes) == 1
    with pytest.raises(ValueError, match="no non-empty series"):
        plots.plot_history({"lr": [0.1]})
    with pytest.raises(TypeError, match="dict of lists"):
        plots.plot_history([0.1, 0.2])


def test_plot_activation_histograms(tmp_path):
    rng = np.random.default_rng(0)
    acts = {f"{i + 1}-layer": rng.random((100, 50)) ** (i + 1) for i in range(5)}
    acts["5-layer"] = Tensor(acts["5-layer"].astype(np.float32))
    fig = plots.plot_activation_histograms(acts, range=(0, 1), path=tmp_path / "a.png")
    assert len(fig.axes) == 5 and [ax.get_title() for ax in fig.axes][0] == "1-layer"
    assert sum(p.get_height() for p in fig.axes[0].patches) == 5000
    assert _saved(tmp_path / "a.png")


def test_plot_grad_norms(tmp_path):
    norms = {f"fc{i}": list(np.geomspace(1, 10 ** -(i + 1), 40)) for i in range(4)}
    fig = plots.plot_grad_norms(norms, path=tmp_path / "g.png")
    (ax,) = fig.axes
    assert len(_lines(ax)) == 4 and ax.get_yscale() == "log"
    assert _saved(tmp_path / "g.png")


def test_plot_optimizer_paths(tmp_path):
    t = np.linspace(0, 1, 30)[:, None]
    paths = {name: np.hstack([-7 * (1 - t) ** k, 2 * (1 - t) ** k * np.cos(20 * t)])
             for k, name in enumerate(["SGD", "Momentum", "AdaGrad", "Adam"], start=1)}
    fig = plots.plot_optimizer_paths(paths, path=tmp_path / "o.png")
    assert len(fig.axes) == 4
    assert [ax.get_title() for ax in fig.axes] == list(paths)
    assert len(fig.axes[0].get_lines()) == 2  # the path and the minimum
    assert _saved(tmp_path / "o.png")
    with pytest.raises(ValueError, match=r"shape \(T, 2\)"):
        plots.plot_optimizer_paths({"bad": np.zeros((3, 3))})
    fig = plots.plot_optimizer_paths({"x": np.zeros((2, 2))}, f=lambda x, y: x - y)
    assert len(fig.axes) == 1


def test_plot_image_grid(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.random((12, 1, 28, 28)).astype(np.float32)
    labels, preds = np.arange(12) % 10, (np.arange(12) + (np.arange(12) % 3 == 0)) % 10
    fig = plots.plot_image_grid(x, labels, preds, class_names=[f"c{i}" for i in range(10)],
                                ncols=5, path=tmp_path / "i.png")
    assert len(fig.axes) == 12
    assert fig.axes[0].get_title() == "c1\n(c0)" and fig.axes[0].title.get_color() == "red"
    assert fig.axes[1].title.get_color() == "green"
    assert _saved(tmp_path / "i.png")
    # RGB, channels-last, feature maps of one sample, values outside [0, 1], Tensors
    assert len(plots.plot_image_grid(rng.random((3, 3, 8, 8))).axes) == 3
    assert len(plots.plot_image_grid(rng.random((3, 8, 8, 3))).axes) == 3
    assert len(plots.plot_image_grid(Tensor(rng.normal(size=(16, 6, 6)))).axes) == 16
    with pytest.raises(ValueError, match="5 images but 4 labels"):
        plots.plot_image_grid(x[:5], labels=np.arange(4))


def test_plot_filters(tmp_path):
    w = np.random.default_rng(0).normal(size=(30, 1, 5, 5))
    fig = plots.plot_filters(w, path=tmp_path / "f.png")
    assert len(fig.axes) == 30 and _saved(tmp_path / "f.png")
    assert len(plots.plot_filters(np.zeros((4, 3, 3, 3))).axes) == 4
    with pytest.raises(ValueError, match="out_channels, in_channels"):
        plots.plot_filters(np.zeros((3, 3)))


def test_bad_format(tmp_path):
    with pytest.raises(ValueError, match="unknown image format"):
        plots.plot_grad_norms({"a": [1.0, 2.0]}, path=tmp_path / "x.jpeg2000")
