"""``cnn``: SimpleConvNet vs DeepConvNet — accuracy curves, time per epoch, parameter
counts and the learned first-layer filters (DAY2 レポート, 畳込みニューラルネットワーク / 実装演習).

The curriculum trains both networks with Adam (lr 0.001, batch 100) on 5,000 training
images (``x_train[:5000]``, "処理に時間のかかる場合はデータを削減") and tests on 1,000; it
finds DeepConvNet more accurate, SimpleConvNet with a small train-test gap, and
DeepConvNet slow: "DeepConvNet の実行には 20 分ほどかかった" for 1,000 iterations in
hand-written NumPy. Here the same loop is timed per iteration and per epoch.
"""
import time

import numpy as np

from .base import (Report, load_data, plot_curve_grid, register, set_threads_note,
                   train_classifier, train_test_curves, tr)

COURSE_ITERS = 1000          # the curriculum's iters_num for both networks
COURSE_MINUTES = 20          # DAY2 レポート: "DeepConvNet の実行には 20 分ほどかかった"
NETS = ("SimpleConvNet", "DeepConvNet")
# Final accuracies are averaged over the last measurements (less noise from one batch).
FINAL_WINDOW = 3


def _settings(full, smoke):
    if smoke:
        return dict(n_train=200, n_test=100, iters=6, eval_every=3, eval_train=100,
                    eval_test=None, batch=20)
    if full:
        return dict(n_train=None, n_test=None, iters=COURSE_ITERS, eval_every=25,
                    eval_train=1000, eval_test=2000, batch=100)
    return dict(n_train=5000, n_test=1000, iters=400, eval_every=25, eval_train=500,
                eval_test=None, batch=100)


class _IterationClock:
    """A ``loss_fn`` for :func:`train_classifier` that also stamps the start of every
    iteration, so that the time of the training steps can be told from the time of the
    accuracy measurements made between them."""

    def __init__(self):
        from ..nn import functional as F
        self._ce = F.cross_entropy
        self.stamps = []

    def __call__(self, model, x, t):
        self.stamps.append(time.perf_counter())
        return self._ce(model(x), t)

    def seconds_per_iteration(self, eval_steps, end):
        """Mean seconds of one training iteration (forward, backward, step), leaving out
        the intervals in which the accuracy was measured."""
        stamps = np.array(self.stamps + [end])
        intervals = np.diff(stamps)       # intervals[i]: iteration i + 1 and what follows it
        evaluated = np.zeros(len(intervals), dtype=bool)
        for s in eval_steps:
            if 1 <= s <= len(intervals):
                evaluated[s - 1] = True
        clean = intervals[~evaluated]
        # Leave out the first iteration too: it pays for one-off allocations.
        clean = clean[1:] if len(clean) > 1 else clean
        return float(clean.mean()) if len(clean) else float("nan")


def _final(values):
    k = min(FINAL_WINDOW, len(values))
    return float(np.mean(values[-k:]))


@register("cnn",
          summary="SimpleConvNet vs DeepConvNet: accuracy curves, time per epoch, parameter "
                  "counts and the learned first-layer filters")
def run(out_dir, full=False, smoke=False, seed=0) -> Report:
    """Train both CNNs with Adam and write the curves, filters, timings and report."""
    import tinygrad_jp as tg
    from .. import optim, viz
    from ..models import DeepConvNet, SimpleConvNet

    report = Report("cnn", out_dir, "CNNs: SimpleConvNet vs DeepConvNet", full=full,
                    smoke=smoke, seed=seed,
                    description="DAY2 レポート (畳込みニューラルネットワーク, 実装演習): the "
                                "curriculum's `SimpleConvNet` (conv – ReLU – pool – affine – "
                                "ReLU – affine) and `DeepConvNet` (six 3×3 convs, three "
                                "pools, dropout), trained by Adam with the curriculum's loop. "
                                "The DAY2 report's DeepConvNet took about 20 minutes in NumPy.")
    cfg = _settings(full, smoke)
    data = load_data(full=full, smoke=smoke, flatten=False, n_train=cfg["n_train"],
                     n_test=cfg["n_test"], seed=seed)
    report.data_note(data)
    iters_per_epoch = max(1, len(data.x_train) // cfg["batch"])
    report.setting("networks", "SimpleConvNet() (weight_init_std 0.01), DeepConvNet() (He)")
    report.setting("optimizer", "Adam, lr 0.001 (optim.Adam(lr=1e-3))")
    report.setting("batch size", cfg["batch"])
    report.setting("iterations", f"{cfg['iters']} (= {cfg['iters'] / iters_per_epoch:g} epochs "
                                 f"of {len(data.x_train)} images; the curriculum ran "
                                 f"{COURSE_ITERS})")
    report.setting("accuracy measured every", f"{cfg['eval_every']} iterations (training: "
                   f"{min(cfg['eval_train'], len(data.x_train))} fixed training images; "
                   f"test: {cfg['eval_test'] or len(data.x_test)} test images; eval mode)")
    report.setting("time per epoch", f"the mean time of a training iteration (forward, "
                   f"backward, Adam step; accuracy measurements left out) × "
                   f"{iters_per_epoch} iterations")
    set_threads_note(report)

    runs, params, filters_before, filters_after = {}, {}, {}, {}
    epoch_seconds, iter_seconds = {}, {}
    for name in NETS:
        tg.manual_seed(seed)
        net = SimpleConvNet() if name == "SimpleConvNet" else DeepConvNet()
        params[name] = sum(p.numel() for p in net.parameters())
        filters_before[name] = net.conv1.weight.data.copy()
        opt = optim.Adam(net.parameters(), lr=1e-3)
        clock = _IterationClock()
        r = train_classifier(net, opt, data, cfg["iters"], batch_size=cfg["batch"],
                             eval_every=cfg["eval_every"], eval_train_size=cfg["eval_train"],
                             eval_test_size=cfg["eval_test"], seed=seed, loss_fn=clock,
                             desc=name)
        end = clock.stamps[0] + r.seconds
        iter_seconds[name] = clock.seconds_per_iteration(r.steps, end)
        epoch_seconds[name] = iter_seconds[name] * iters_per_epoch
        runs[name] = r
        report.phase(name, r.seconds)
        filters_after[name] = net.conv1.weight.data.copy()

    panels = {f"{n} ({params[n]:,} " + tr("parameters", "パラメータ") + ")":
              train_test_curves(r) for n, r in runs.items()}
    report.figure("accuracy.png", plot_curve_grid(
        panels, ncols=2, title=tr("accuracy during training", "学習中の正解率")
        + f" (Adam, batch {cfg['batch']})"),
        "Accuracy on the training set and the test set during training.")
    for name in NETS:
        before, after = filters_before[name], filters_after[name]
        ncols = 10 if before.shape[0] % 10 == 0 else 8
        rows = before.shape[0] // ncols
        report.figure(f"filters_{name.lower()}.png", viz.plot_filters(
            np.concatenate([before, after]), ncols=ncols,
            title=f"{name} conv1: " + tr(
                f"before training (top {rows} rows), after {cfg['iters']} iterations "
                f"(bottom {rows} rows)",
                f"学習前 (上 {rows} 行) と {cfg['iters']} イテレーション後 (下 {rows} 行)")),
            f"{name}: the first layer's {before.shape[0]} filters ({before.shape[2]}×"
            f"{before.shape[3]}) at initialisation (top) and after training (bottom), each "
            "scaled to its own range.")
        report.result(f"{name}_filter_change",
                      float(np.linalg.norm(after - before) / np.linalg.norm(before)))

    # -- numbers
    rows = []
    for n, r in runs.items():
        projected = iter_seconds[n] * COURSE_ITERS
        rows.append([n, params[n], _final(r.train_acc), _final(r.test_acc),
                     _final(r.train_acc) - _final(r.test_acc), iter_seconds[n],
                     epoch_seconds[n], r.seconds, projected / 60])
        report.result(n, {"parameters": params[n], "final_train_acc": _final(r.train_acc),
                          "final_test_acc": _final(r.test_acc),
                          "seconds_per_iteration": iter_seconds[n],
                          "seconds_per_epoch": epoch_seconds[n], "seconds_total": r.seconds,
                          "projected_course_minutes": projected / 60, "steps": r.steps,
                          "train_acc": r.train_acc, "test_acc": r.test_acc,
                          "loss": r.loss})
    report.table(["network", "parameters", "train acc", "test acc", "gap", "s / iteration",
                  f"s / epoch ({iters_per_epoch} it.)", "s total (with evaluation)",
                  f"min for {COURSE_ITERS} it."], rows,
                 caption=f"Accuracies (mean of the last {FINAL_WINDOW} measurements), "
                         "parameter counts and times. The last column projects the "
                         f"curriculum's {COURSE_ITERS} iterations from the measured time per "
                         "iteration (training only).")

    s, d = runs["SimpleConvNet"], runs["DeepConvNet"]
    s_test, d_test = _final(s.test_acc), _final(d.test_acc)
    report.effect("DeepConvNet ends with a higher test accuracy than SimpleConvNet",
                  d_test > s_test,
                  f"test accuracy {d_test:.3f} (DeepConvNet) vs {s_test:.3f} (SimpleConvNet) "
                  f"after {cfg['iters']} iterations")
    s_gap = _final(s.train_acc) - s_test
    d_gap = _final(d.train_acc) - d_test
    report.effect("SimpleConvNet shows a train-test gap; DeepConvNet (deeper, with dropout) "
                  "overfits less", s_gap > d_gap,
                  f"gap {s_gap:.3f} (SimpleConvNet) vs {d_gap:.3f} (DeepConvNet)")
    proj = iter_seconds["DeepConvNet"] * COURSE_ITERS / 60
    report.effect(f"DeepConvNet's {COURSE_ITERS} iterations take minutes here, not the "
                  f"~{COURSE_MINUTES} minutes of the hand-written NumPy version",
                  proj < COURSE_MINUTES / 2,
                  f"{iter_seconds['DeepConvNet']:.3f} s per iteration measured → "
                  f"{proj:.1f} min for {COURSE_ITERS} iterations (training only; 'minutes' "
                  f"= under {COURSE_MINUTES / 2:g} min)")
    report.note(f"Parameters: SimpleConvNet {params['SimpleConvNet']:,} (most of them in "
                "`affine1`, 4,320 × 100), DeepConvNet "
                f"{params['DeepConvNet']:,}: the deeper network has fewer weights, because "
                "its convolutions share them and three poolings shrink the map to 4×4 before "
                "the first Linear layer.")
    report.note("Times are wall-clock on this machine while it ran; on a shared or busy "
                "machine they vary a lot (run again on an idle one to compare). The "
                "curriculum's 20 minutes are for its NumPy code on the learner's computer "
                "with MNIST and evaluation every 10 iterations on 1,000 test images.")
    report.note("The data is Fashion-MNIST, which is harder than the curriculum's MNIST: "
                "the DAY2 report's 'over 99 %' of DeepConvNet is an MNIST figure.")
    return report
