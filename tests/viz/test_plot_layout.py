"""Figures read right at one epoch and at fifty: whole-number epoch and iteration ticks,
and legends that never cover the data."""
import numpy as np
import pytest

from tinygrad_jp import viz
from tinygrad_jp.experiments.base import plot_curve_grid


def _ticks_in_view(ax):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    FigureCanvasAgg(ax.figure).draw()
    lo, hi = ax.get_xlim()
    return [t for t in ax.get_xticks() if lo <= t <= hi]


@pytest.mark.parametrize("epochs", [1, 2, 50])
def test_history_epochs_are_whole_numbers(epochs):
    acc = list(np.linspace(0.2, 0.9, epochs))
    fig = viz.plot_history({"train_acc": acc, "val_acc": acc, "train_loss": acc})
    for ax in fig.axes:
        ticks = _ticks_in_view(ax)
        assert ticks and all(float(t).is_integer() for t in ticks), ticks
        assert any(t == 1 for t in ticks) or epochs > 10


def _overlaps(a, b):
    return not (a.x1 <= b.x0 or b.x1 <= a.x0 or a.y1 <= b.y0 or b.y1 <= a.y0)


def _legend_boxes(fig):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    return [lg.get_window_extent(renderer) for lg in legends], \
        [ax.get_window_extent(renderer) for ax in fig.axes]


def test_curve_grid_has_one_legend_outside_every_panel():
    steps = [10, 20, 30]
    panels = {f"run {i}": {"training set": (steps, [0.1, 0.5, 0.9]),
                           "test set": (steps, [0.1, 0.4, 0.8])} for i in range(5)}
    fig = plot_curve_grid(panels, ncols=3)
    legends, axes = _legend_boxes(fig)
    assert len(legends) == 1
    assert not any(_overlaps(legends[0], a) for a in axes)
    assert all(float(t).is_integer() for t in _ticks_in_view(fig.axes[0]))


def test_grad_norm_legend_sits_beside_the_plot_and_x_is_the_iteration():
    norms = {f"layer {i}": [10.0 ** -i] * 4 for i in range(1, 6)}
    fig = viz.plot_grad_norms(norms, steps=[10, 20, 30, 40])
    legends, axes = _legend_boxes(fig)
    assert len(legends) == 1 and not _overlaps(legends[0], axes[0])
    x = fig.axes[0].lines[0].get_xdata()
    assert list(x) == [10, 20, 30, 40]
    with pytest.raises(ValueError, match="steps"):
        viz.plot_grad_norms({"a": [1.0, 2.0]}, steps=[1])
