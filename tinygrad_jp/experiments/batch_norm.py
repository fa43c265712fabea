"""``batch-norm``: training with and without batch norm across initial weight scales
(logspace 0 … −4), DAY2 レポート (確認テスト4: batch norm makes learning faster and less
dependent on the initial weights; the book's ``batch_norm_test.py``).

Five hidden layers of 100 ReLU units, 1,000 training images, SGD lr 0.01, batch 100,
20 epochs, 16 weight scales from 1 to 1e-4, as in the book's experiment.
"""
import numpy as np

from .base import Report, load_data, plot_curve_grid, register, tr, train_classifier


def _settings(full, smoke):
    if smoke:
        return dict(scales=np.logspace(0, -4, num=5), n_train=500, epochs=10)
    if full:
        return dict(scales=np.logspace(0, -4, num=16), n_train=None, epochs=5)
    return dict(scales=np.logspace(0, -4, num=16), n_train=1000, epochs=20)


@register("batch-norm",
          summary="5x100 ReLU net with and without batch norm for 16 initial weight "
                  "scales (logspace 0 ... -4): batch norm learns faster and at every scale")
def run(out_dir, full=False, smoke=False, seed=0) -> Report:
    """Train with and without batch norm for every weight scale."""
    import tinygrad_jp as tg
    from .. import optim
    from ..models import MultiLayerNet

    cfg = _settings(full, smoke)
    report = Report("batch-norm", out_dir, "Batch normalization across initial weight scales",
                    full=full, smoke=smoke, seed=seed,
                    description="DAY2 レポート, 確認テスト4 ('the effects of batch norm: 1. "
                                "learning gets faster, 2. it depends less on the initial "
                                "weights'), reproduced with the book's experiment.")
    data = load_data(full=full, smoke=smoke, n_train=cfg["n_train"], seed=seed)
    report.data_note(data)
    batch = 100
    per_epoch = max(len(data.x_train) // batch, 1)
    iters = per_epoch * cfg["epochs"]
    report.setting("network", "MultiLayerNet(784, [100] * 5, 10, activation='relu', "
                              "weight_init_std=scale, use_batchnorm=True/False)")
    report.setting("initial weight scales", f"np.logspace(0, -4, num={len(cfg['scales'])})")
    report.setting("optimizer", "SGD, lr 0.01")
    report.setting("batch size", batch)
    report.setting("epochs", f"{cfg['epochs']} ({per_epoch} iterations each, {iters} in all)")

    results = {}
    for scale in cfg["scales"]:
        for bn in (True, False):
            tg.manual_seed(seed)
            net = MultiLayerNet(784, [100] * 5, 10, activation="relu",
                                weight_init_std=float(scale), use_batchnorm=bn)
            opt = optim.SGD(net.parameters(), lr=0.01)
            r = train_classifier(net, opt, data, iters, batch_size=batch, eval_every=per_epoch,
                                 eval_train_size=None, seed=seed,
                                 desc=f"scale {scale:.2g}, "
                                      f"{'batch norm' if bn else 'no batch norm'}")
            results[(float(scale), bn)] = r
            report.phase(f"scale {scale:.2g}, {'batch norm' if bn else 'normal'}", r.seconds)

    panels = {}
    for scale in cfg["scales"]:
        s = float(scale)
        diverged = [label for label, bn in ((tr("batch norm", "バッチ正規化"), True),
                                            (tr("normal", "なし"), False))
                    if results[(s, bn)].diverged]
        title = tr("W scale", "重みのスケール") + f" {s:.3g}" + (
            f" ({', '.join(diverged)}: {tr('diverged', '発散')})" if diverged else "")
        panels[title] = {
            label: ([k / per_epoch for k in results[(s, bn)].steps], results[(s, bn)].train_acc)
            for label, bn in ((tr("batch norm", "バッチ正規化あり"), True),
                              (tr("normal (no batch norm)", "バッチ正規化なし"), False))}
    report.figure("train_accuracy_by_scale.png", plot_curve_grid(
        panels, ncols=4, xlabel=tr("epoch", "エポック"),
        ylabel=tr("train accuracy", "訓練データの正解率"),
        title=tr("training accuracy with and without batch norm, per initial weight scale",
                 "バッチ正規化の有無による訓練データの正解率 (重みの初期値のスケールごと)")),
        "Training-set accuracy per epoch, with batch norm (blue) and without (orange), one "
        "panel per initial weight scale (the book's figure).")
    report.figure("final_accuracy_vs_scale.png", _plot_final(results, cfg["scales"]),
                  "Final training and test accuracy against the initial weight scale.")

    div = [f"{s:.3g}" for (s, bn), r in results.items() if r.diverged and not bn]
    if div:
        report.note(f"Without batch norm the loss overflowed to NaN at scale(s) "
                    f"{', '.join(div)} (marked 'diverged' in the figure; those runs stop "
                    "there and count as not learning).")
    rows = []
    for scale in cfg["scales"]:
        s = float(scale)
        a, b = results[(s, True)], results[(s, False)]
        rows.append([f"{s:.3g}", a.final_train_acc, b.final_train_acc, a.final_test_acc,
                     b.final_test_acc, _first_reaching(a, 0.6, per_epoch),
                     _first_reaching(b, 0.6, per_epoch)])
        report.result(f"scale={s:.6g}", {
            "bn_train_acc": a.final_train_acc, "plain_train_acc": b.final_train_acc,
            "bn_test_acc": a.final_test_acc, "plain_test_acc": b.final_test_acc,
            "bn_curve": a.train_acc, "plain_curve": b.train_acc})
    report.table(["weight scale", "train acc, batch norm", "train acc, normal",
                  "test acc, batch norm", "test acc, normal", "epoch reaching 60 %, BN",
                  "epoch reaching 60 %, normal"], rows,
                 caption="Final accuracies per initial weight scale ('-' = never reached).")

    bn_acc = np.array([results[(float(s), True)].final_train_acc for s in cfg["scales"]])
    pl_acc = np.array([results[(float(s), False)].final_train_acc for s in cfg["scales"]])
    wins = int((bn_acc > pl_acc).sum())
    n = len(bn_acc)
    report.effect("Batch norm learns faster: with it the network ends higher at almost every "
                  "initial scale", wins >= 0.75 * n,
                  f"batch norm ends with the higher training accuracy at {wins} of {n} scales")
    stuck = int((pl_acc < 0.2).sum())
    report.effect("Batch norm depends less on the initial weights: it learns at every scale, "
                  "while without it bad scales do not learn at all",
                  bn_acc.min() >= 0.2 and stuck >= 1 and bn_acc.std() < pl_acc.std(),
                  f"batch norm: lowest final training accuracy {bn_acc.min():.3f} (learning "
                  f"= at least 0.2, twice chance; spread over scales {bn_acc.std():.3f}); "
                  f"without: {stuck} of {n} scales stay below 0.2 (spread "
                  f"{pl_acc.std():.3f})")
    report.note("At the smallest scales batch norm learns more slowly: the variance of the "
                "pre-activations (about (1e-3)² at scale 1e-4) falls below batch norm's eps "
                "(PyTorch's 1e-5, used here; the book's layer adds 10e-7 = 1e-6), so it can "
                "no longer rescale them to unit variance. At scale 1 the last layer, which "
                "has no batch norm after it, starts with large weights and so with very "
                "large logits.")
    report.note("The book trains on 1,000 MNIST images; here the images are Fashion-MNIST "
                "(harder), so the accuracies are lower, but the comparison is the same. "
                "Accuracies are measured in eval mode, i.e. with the running statistics of "
                "batch norm.")
    return report


def _first_reaching(r, level, per_epoch):
    for s, a in zip(r.steps, r.train_acc, strict=True):
        if a >= level:
            return s // per_epoch
    return "-"


def _plot_final(results, scales):
    from ..viz.plots import _figure
    fig = _figure((7.6, 4.0))
    ax = fig.add_subplot(1, 1, 1)
    s = np.asarray(scales, dtype=float)
    for bn, colour in ((True, "tab:blue"), (False, "tab:orange")):
        label = tr("batch norm", "バッチ正規化あり") if bn else tr("normal", "なし")
        ax.plot(s, [results[(float(x), bn)].final_train_acc for x in s], "o-", color=colour,
                label=f"{label}, {tr('train', '訓練')}")
        ax.plot(s, [results[(float(x), bn)].final_test_acc for x in s], "s--", color=colour,
                label=f"{label}, {tr('test', 'テスト')}", alpha=0.7)
    ax.set_xscale("log")
    ax.set_xlabel(tr("initial weight scale (std of N(0, std²))",
                     "重みの初期値のスケール (N(0, std²) の std)"))
    ax.set_ylabel(tr("final accuracy", "最終的な正解率"))
    ax.set_ylim(0, 1)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0),
              borderaxespad=0.0)               # beside the plot: it hides no point
    ax.set_title(tr("final accuracy against the initial weight scale",
                    "重みの初期値のスケールと最終的な正解率"))
    return fig
