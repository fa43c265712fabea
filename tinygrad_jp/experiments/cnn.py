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

from .base import (Report, load_data, plot_curve_grid, register, seeds_for,
                   set_threads_note, train_classifier, train_test_curves, tr)
from .claims import check, difference, spread

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
        return dict(n_train=None, n_test=None, iters=COURSE_ITERS, eval_every=100,
                    eval_train=None, eval_test=None, batch=100)
    # 300 iterations: three seeds of both networks in about 3 minutes on 2 cores.
    return dict(n_train=5000, n_test=1000, iters=300, eval_every=50, eval_train=None,
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

    seeds = seeds_for(seed, full, smoke)
    report = Report("cnn", out_dir, tr("CNNs: SimpleConvNet vs DeepConvNet",
                                       "CNN: SimpleConvNet と DeepConvNet"), full=full,
                    smoke=smoke, seed=seed, seeds=seeds,
                    description=tr("DAY2 レポート (畳込みニューラルネットワーク, 実装演習): the "
                                   "curriculum's `SimpleConvNet` (conv – ReLU – pool – affine – "
                                   "ReLU – affine) and `DeepConvNet` (six 3×3 convs, three "
                                   "pools, dropout), trained by Adam with the curriculum's "
                                   "loop. The DAY2 report's DeepConvNet took about 20 minutes "
                                   "in NumPy.",
                                   "DAY2 レポート (畳込みニューラルネットワーク, 実装演習): "
                                   "カリキュラムの `SimpleConvNet` (conv – ReLU – pool – affine "
                                   "– ReLU – affine) と `DeepConvNet` (3×3 の畳込み 6 つ、"
                                   "プーリング 3 つ、ドロップアウト) を Adam で学習します。DAY2 "
                                   "レポートの DeepConvNet は NumPy で約 20 分かかりました。"))
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
                                 f"{COURSE_ITERS}, as `--full` does)")
    report.setting("accuracy measured every", f"{cfg['eval_every']} iterations (training: all "
                   f"{len(data.x_train)} training images; test: all {len(data.x_test)} test "
                   "images; eval mode)")
    report.setting("time per epoch", f"the mean time of a training iteration (forward, "
                   f"backward, Adam step; accuracy measurements left out) × "
                   f"{iters_per_epoch} iterations")
    set_threads_note(report)

    runs, params, filters_before, filters_after = {}, {}, {}, {}
    iter_seconds = {}
    for s_ in seeds:
        for name in NETS:
            tg.manual_seed(s_)
            net = SimpleConvNet() if name == "SimpleConvNet" else DeepConvNet()
            params[name] = sum(p.numel() for p in net.parameters())
            if s_ == seeds[0]:
                filters_before[name] = net.conv1.weight.data.copy()
            opt = optim.Adam(net.parameters(), lr=1e-3)
            clock = _IterationClock()
            r = train_classifier(net, opt, data, cfg["iters"], batch_size=cfg["batch"],
                                 eval_every=cfg["eval_every"],
                                 eval_train_size=cfg["eval_train"],
                                 eval_test_size=cfg["eval_test"], seed=s_, loss_fn=clock,
                                 desc=f"seed {s_}: {name}")
            end = clock.stamps[0] + r.seconds
            iter_seconds[(name, s_)] = clock.seconds_per_iteration(r.steps, end)
            runs[(name, s_)] = r
            report.phase(f"seed {s_}: {name}", r.seconds)
            if s_ == seeds[0]:
                filters_after[name] = net.conv1.weight.data.copy()

    def rs(name):
        return [runs[(name, s_)] for s_ in seeds]

    panels = {f"{n} ({params[n]:,} " + tr("parameters", "パラメータ") + ")":
              train_test_curves(rs(n)) for n in NETS}
    report.figure("accuracy.png", lambda: plot_curve_grid(
        panels, ncols=2, title=tr("accuracy during training", "学習中の正解率")
        + f" (Adam, batch {cfg['batch']})"),
        tr("Accuracy on the training set and the test set during training (mean over the "
           "seeds, band: their range).",
           "学習中の訓練データとテストデータの正解率 (シードの平均、帯は範囲)。"))
    for name in NETS:
        before, after = filters_before[name], filters_after[name]
        ncols = 10 if before.shape[0] % 10 == 0 else 8
        rows = before.shape[0] // ncols
        labels = [tr("before", "学習前")] * rows + [tr("after", "学習後")] * rows
        report.figure(f"filters_{name.lower()}.png", lambda before=before, after=after,
                      ncols=ncols, rows=rows, labels=labels, name=name: viz.plot_filters(
                          np.concatenate([before, after]), ncols=ncols, row_labels=labels,
                          title=f"{name} conv1: " + tr(
                              f"before training (top {rows} rows), after {cfg['iters']} "
                              f"iterations (bottom {rows} rows)",
                              f"学習前 (上 {rows} 行) と {cfg['iters']} イテレーション後 "
                              f"(下 {rows} 行)")),
                      f"{name}: the first layer's {before.shape[0]} filters ({before.shape[2]}×"
                      f"{before.shape[3]}) at initialisation (top) and after training "
                      f"(bottom), seed {seeds[0]}, each scaled to its own range.")
        report.result(f"{name}_filter_change",
                      float(np.linalg.norm(after - before) / np.linalg.norm(before)))

    # -- numbers
    tr_acc = {n: np.array([_final(r.train_acc) for r in rs(n)]) for n in NETS}
    te_acc = {n: np.array([_final(r.test_acc) for r in rs(n)]) for n in NETS}
    sec_it = {n: np.array([iter_seconds[(n, s_)] for s_ in seeds]) for n in NETS}
    rows = []
    for n in NETS:
        it_s = float(np.median(sec_it[n]))
        projected = sec_it[n] * COURSE_ITERS / 60
        rows.append([n, params[n], spread(tr_acc[n]), spread(te_acc[n]),
                     spread(tr_acc[n] - te_acc[n]), it_s, it_s * iters_per_epoch,
                     float(np.mean([r.seconds for r in rs(n)])), float(np.median(projected))])
        r0 = rs(n)[0]
        report.result(n, {"parameters": params[n], "final_train_acc": float(tr_acc[n].mean()),
                          "final_test_acc": float(te_acc[n].mean()),
                          "test_acc_per_seed": te_acc[n].tolist(),
                          "train_acc_per_seed": tr_acc[n].tolist(),
                          "seconds_per_iteration": iter_seconds[(n, seeds[0])],
                          "seconds_per_epoch": iter_seconds[(n, seeds[0])] * iters_per_epoch,
                          "seconds_total": r0.seconds,
                          "projected_course_minutes":
                              iter_seconds[(n, seeds[0])] * COURSE_ITERS / 60,
                          "steps": r0.steps, "train_acc": r0.train_acc,
                          "test_acc": r0.test_acc, "loss": r0.loss})
    report.table(["network", "parameters", "train acc", "test acc", "gap", "s / iteration",
                  f"s / epoch ({iters_per_epoch} it.)", "s total (with evaluation)",
                  f"min for {COURSE_ITERS} it."], rows,
                 caption=tr(f"Accuracies (mean of the last {FINAL_WINDOW} measurements, on all "
                            "training and test images; mean ± 95 % interval over the seeds), "
                            "parameter counts and times (median over the seeds). The last "
                            f"column projects the curriculum's {COURSE_ITERS} iterations from "
                            "the measured time per iteration (training only).",
                            f"正解率 (最後の {FINAL_WINDOW} 回の測定の平均、訓練・テスト画像すべて"
                            "; シードの平均 ± 95 % 区間)、パラメータ数と時間 (シードの中央値)。"
                            f"最後の列は 1 イテレーションの時間から {COURSE_ITERS} イテレーション"
                            "の時間を見積もったもの (学習のみ)。"))

    s_test, d_test = te_acc["SimpleConvNet"], te_acc["DeepConvNet"]
    report.claim(tr("DeepConvNet ends with a higher test accuracy than SimpleConvNet",
                    "DeepConvNet の最終テスト正解率は SimpleConvNet より高い"),
                 difference(d_test, s_test),
                 tr(f"test accuracy {spread(d_test)} (DeepConvNet) vs {spread(s_test)} "
                    f"(SimpleConvNet) after {cfg['iters']} iterations",
                    f"{cfg['iters']} イテレーション後のテスト正解率 {spread(d_test)} "
                    f"(DeepConvNet)、{spread(s_test)} (SimpleConvNet)"))
    s_gap = tr_acc["SimpleConvNet"] - s_test
    d_gap = tr_acc["DeepConvNet"] - d_test
    report.claim(tr("SimpleConvNet shows a train-test gap; DeepConvNet (deeper, with dropout) "
                    "overfits less", "SimpleConvNet は訓練とテストの差が出る; DeepConvNet (深く"
                    "ドロップアウトあり) は過学習が少ない"),
                 difference(s_gap, d_gap),
                 tr(f"gap {spread(s_gap)} (SimpleConvNet) vs {spread(d_gap)} (DeepConvNet), "
                    f"training accuracy on all {len(data.x_train)} training images",
                    f"差 {spread(s_gap)} (SimpleConvNet)、{spread(d_gap)} (DeepConvNet); 訓練"
                    f"正解率は訓練画像 {len(data.x_train)} 枚すべてで測定"))
    proj = sec_it["DeepConvNet"] * COURSE_ITERS / 60
    report.claim(tr(f"DeepConvNet's {COURSE_ITERS} iterations take minutes here, not the "
                    f"~{COURSE_MINUTES} minutes of the hand-written NumPy version",
                    f"DeepConvNet の {COURSE_ITERS} イテレーションはここでは数分で、手書きの "
                    f"NumPy 版の約 {COURSE_MINUTES} 分ではない"),
                 check(proj, COURSE_MINUTES / 2, "<"),
                 tr(f"{spread(sec_it['DeepConvNet'])} s per iteration measured → "
                    f"{spread(proj)} min for {COURSE_ITERS} iterations (training only; "
                    f"'minutes' = under {COURSE_MINUTES / 2:g} min)",
                    f"1 イテレーション {spread(sec_it['DeepConvNet'])} 秒 → {COURSE_ITERS} "
                    f"イテレーションで {spread(proj)} 分 (学習のみ; '数分' = "
                    f"{COURSE_MINUTES / 2:g} 分未満)"))
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
