"""``batch-norm``: training with and without batch norm across initial weight scales
(logspace 0 … −4), DAY2 レポート (確認テスト4: batch norm makes learning faster and less
dependent on the initial weights; the book's ``batch_norm_test.py``).

Five hidden layers of 100 ReLU units, 1,000 training images, SGD lr 0.01, batch 100,
20 epochs, 16 weight scales from 1 to 1e-4, as in the book's experiment.
"""
import numpy as np

from .base import (Report, load_data, plot_curve_grid, register, seeds_for, stack_values, tr,
                   train_classifier)
from .claims import check, reached, spread

LEVEL = 0.6          # "faster" = fewer epochs to this training accuracy


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
    seeds = seeds_for(seed, full, smoke)
    report = Report("batch-norm", out_dir, tr("Batch normalization across initial weight "
                                              "scales", "重みの初期値のスケールとバッチ正規化"),
                    full=full, smoke=smoke, seed=seed, seeds=seeds,
                    description=tr("DAY2 レポート, 確認テスト4 ('the effects of batch norm: "
                                   "1. learning gets faster, 2. it depends less on the "
                                   "initial weights'), reproduced with the book's experiment.",
                                   "DAY2 レポート 確認テスト4 (「バッチ正規化の効果: 1. "
                                   "学習が速く進む、2. 初期値にあまり依存しない」) を本の"
                                   "実験で再現します。"))
    batch = 100
    report.setting("network", "MultiLayerNet(784, [100] * 5, 10, activation='relu', "
                              "weight_init_std=scale, use_batchnorm=True/False)")
    report.setting("initial weight scales", f"np.logspace(0, -4, num={len(cfg['scales'])})")
    report.setting("optimizer", "SGD, lr 0.01")
    report.setting("batch size", batch)

    results = {}                      # (scale, bn, seed) -> TrainResult
    per_epoch = iters = None
    for s_ in seeds:
        data = load_data(full=full, smoke=smoke, n_train=cfg["n_train"], seed=s_)
        if per_epoch is None:
            report.data_note(data)
            per_epoch = max(len(data.x_train) // batch, 1)
            iters = per_epoch * cfg["epochs"]
            report.setting("epochs", f"{cfg['epochs']} ({per_epoch} iterations each, {iters} "
                                     "in all)")
        for scale in cfg["scales"]:
            for bn in (True, False):
                tg.manual_seed(s_)
                net = MultiLayerNet(784, [100] * 5, 10, activation="relu",
                                    weight_init_std=float(scale), use_batchnorm=bn)
                opt = optim.SGD(net.parameters(), lr=0.01)
                r = train_classifier(net, opt, data, iters, batch_size=batch,
                                     eval_every=per_epoch, eval_train_size=None, seed=s_,
                                     desc=f"seed {s_}: scale {scale:.2g}, "
                                          f"{'batch norm' if bn else 'no batch norm'}")
                results[(float(scale), bn, s_)] = r
                report.phase(f"seed {s_}: scale {scale:.2g}, "
                             f"{'batch norm' if bn else 'normal'}", r.seconds)
    scales = [float(x) for x in cfg["scales"]]

    def runs(s, bn):
        return [results[(s, bn, s_)] for s_ in seeds]

    def diverged_at(s, bn):
        return sum(r.diverged for r in runs(s, bn))

    def scale_grid():
        # built when drawn, so that a figure drawn in Japanese has Japanese titles
        panels, broken = {}, set()
        curves = ((tr("batch norm", "バッチ正規化あり"), True),
                  (tr("normal (no batch norm)", "バッチ正規化なし"), False))
        for s in scales:
            div = [label for label, bn in ((tr("batch norm", "バッチ正規化"), True),
                                           (tr("normal", "なし"), False)) if diverged_at(s, bn)]
            title = tr("W scale", "重みのスケール") + f" {s:.3g}" + (
                f" ({', '.join(div)}: {tr('diverged', '発散')})" if div else "")
            broken.update((title, label) for label, bn in curves if diverged_at(s, bn))
            panels[title] = {
                label: ([k / per_epoch
                         for k in max(runs(s, bn), key=lambda r: len(r.steps)).steps],
                        stack_values([r.train_acc for r in runs(s, bn)]))
                for label, bn in curves}
        return plot_curve_grid(
            panels, ncols=4, xlabel=tr("epoch", "エポック"),
            ylabel=tr("train accuracy", "訓練データの正解率"), diverged=broken,
            title=tr("training accuracy with and without batch norm, per initial weight scale",
                     "バッチ正規化の有無による訓練データの正解率 (重みの初期値のスケールごと)"))

    report.figure("train_accuracy_by_scale.png", scale_grid,
        tr("Training-set accuracy per epoch, with batch norm (blue) and without (orange), one "
           "panel per initial weight scale (the book's figure); line: mean over the seeds, "
           "band: lowest to highest; dotted with a red ×: a run whose loss diverged.",
           "エポックごとの訓練データの正解率。バッチ正規化あり (青) となし (橙)、重みの初期値の"
           "スケールごとに 1 枚 (本の図)。線はシードの平均、帯は最小〜最大、赤い × の点線は損失が"
           "発散した実行。"))
    report.figure("final_accuracy_vs_scale.png", lambda: _plot_final(results, scales, seeds),
                  tr("Final training and test accuracy against the initial weight scale (mean "
                     "over the seeds; the bars span them).",
                     "重みの初期値のスケールと最終的な訓練・テスト正解率 (シードの平均、縦棒は"
                     "範囲)。"))

    div = [f"{s:.3g}" for s in scales if diverged_at(s, False)]
    if div:
        report.note(tr(f"Without batch norm the loss overflowed to NaN at scale(s) "
                       f"{', '.join(div)} (at some seed; drawn dotted in the figure; those runs "
                       "stop there and count as not learning).",
                       f"バッチ正規化なしでは、スケール {', '.join(div)} で損失が NaN に発散"
                       "しました (いずれかのシードで; 図では点線; その実行はそこで止まり、学習"
                       "しなかったものとして数えます)。"))
    never = cfg["epochs"] + 1
    rows = []
    for s in scales:
        a, b = runs(s, True), runs(s, False)
        ea = [reached(r.steps, r.train_acc, LEVEL, never * per_epoch) / per_epoch for r in a]
        eb = [reached(r.steps, r.train_acc, LEVEL, never * per_epoch) / per_epoch for r in b]
        rows.append([f"{s:.3g}", spread([r.final_train_acc for r in a]),
                     spread([r.final_train_acc for r in b]),
                     spread([r.final_test_acc for r in a]),
                     spread([r.final_test_acc for r in b]), spread(ea), spread(eb),
                     f"{diverged_at(s, False)}/{len(seeds)}"])
        report.result(f"scale={s:.6g}", {
            "bn_train_acc": float(np.mean([r.final_train_acc for r in a])),
            "plain_train_acc": float(np.mean([r.final_train_acc for r in b])),
            "bn_test_acc": float(np.mean([r.final_test_acc for r in a])),
            "plain_test_acc": float(np.mean([r.final_test_acc for r in b])),
            "bn_epochs_to_level": ea, "plain_epochs_to_level": eb,
            "bn_curve": a[0].train_acc, "plain_curve": b[0].train_acc})
    report.table(["weight scale", "train acc, batch norm", "train acc, normal",
                  "test acc, batch norm", "test acc, normal",
                  f"epochs to {LEVEL:.0%} (train), BN", f"epochs to {LEVEL:.0%}, normal",
                  "diverged, normal"], rows,
                 caption=tr(f"Final accuracies per initial weight scale, mean ± 95 % interval "
                            f"over the seeds; epochs to reach {LEVEL:.0%} training accuracy "
                            f"({never} = never within the run).",
                            f"スケールごとの最終的な正解率 (シードの平均 ± 95 % 区間); 訓練正解率 "
                            f"{LEVEL:.0%} に届くまでのエポック ({never} = 届かず)。"))

    # -- claims, one number per seed each
    faster, more, lowest, spread_bn, spread_pl = [], [], [], [], []
    for s_ in seeds:
        ea = np.array([reached(results[(s, True, s_)].steps, results[(s, True, s_)].train_acc,
                               LEVEL) for s in scales])
        eb = np.array([reached(results[(s, False, s_)].steps,
                               results[(s, False, s_)].train_acc, LEVEL) for s in scales])
        both = np.isfinite(ea) & np.isfinite(eb)
        faster.append(float(np.mean(eb[both] - ea[both]) / per_epoch) if both.any()
                      else float("nan"))
        more.append(int(np.isfinite(ea).sum() - np.isfinite(eb).sum()))
        bn_acc = np.array([results[(s, True, s_)].final_train_acc for s in scales])
        pl_acc = np.array([results[(s, False, s_)].final_train_acc for s in scales])
        lowest.append(float(bn_acc.min()))
        spread_bn.append(float(bn_acc.std()))
        spread_pl.append(float(pl_acc.std()))
    faster = np.array(faster)
    n_both = "; ".join(
        f"seed {s_}: {'no scale' if not np.isfinite(f) else f'{f:+.1f} epochs'}"
        for s_, f in zip(seeds, faster, strict=True))
    n_both_ja = "; ".join(
        f"シード {s_}: {'該当なし' if not np.isfinite(f) else f'{f:+.1f} エポック'}"
        for s_, f in zip(seeds, faster, strict=True))
    report.claim(tr("Batch norm learns faster: where both networks reach "
                    f"{LEVEL:.0%} training accuracy, batch norm gets there in fewer epochs",
                    f"バッチ正規化で学習が速くなる: 両方が訓練正解率 {LEVEL:.0%} に届くスケール"
                    "では、バッチ正規化の方が少ないエポックで届く"),
                 check(faster, 0.0),
                 tr(f"epochs saved by batch norm, averaged over the scales where both reach "
                    f"{LEVEL:.0%} ({n_both}; a seed with no such scale counts as not shown)",
                    f"両方が {LEVEL:.0%} に届くスケールで平均した、バッチ正規化が短縮したエポック"
                    f"数 ({n_both_ja}; そのようなスケールがないシードは不成立)"))
    report.claim(tr(f"Batch norm depends less on the initial weights: it reaches {LEVEL:.0%} "
                    "at more of the scales",
                    f"バッチ正規化は初期値にあまり依存しない: より多くのスケールで {LEVEL:.0%} "
                    "に届く"),
                 check(more, 0.0),
                 tr(f"scales reaching {LEVEL:.0%} with batch norm minus without, of "
                    f"{len(scales)}: {', '.join(str(m) for m in more)} (per seed)",
                    f"{len(scales)} スケール中、{LEVEL:.0%} に届いたスケール数の差 (あり − なし): "
                    f"{', '.join(str(m) for m in more)} (シードごと)"))
    report.claim(tr("With batch norm the network learns at every scale (final training "
                    "accuracy at least 0.2, twice chance, at the worst scale)",
                    "バッチ正規化ありならどのスケールでも学習する (最悪のスケールでも最終訓練"
                    "正解率 0.2 以上 = 偶然の 2 倍)"),
                 check(lowest, 0.2),
                 tr(f"lowest final training accuracy over the scales: "
                    f"{', '.join(f'{v:.3f}' for v in lowest)} (per seed)",
                    f"スケール中で最も低い最終訓練正解率: {', '.join(f'{v:.3f}' for v in lowest)}"
                    " (シードごと)"))
    report.note(tr("At the smallest scales batch norm learns more slowly: the variance of the "
                   "pre-activations (about (1e-3)² at scale 1e-4) falls below batch norm's eps "
                   "(PyTorch's 1e-5, used here; the book's layer adds 10e-7 = 1e-6), so it can "
                   "no longer rescale them to unit variance. At scale 1 the last layer, which "
                   "has no batch norm after it, starts with large weights and so with very "
                   "large logits.",
                   "最小のスケールではバッチ正規化でも学習が遅くなります: 活性化前の値の分散 "
                   "(スケール 1e-4 で約 (1e-3)²) がバッチ正規化の eps (ここでは PyTorch の 1e-5、"
                   "本のレイヤーは 10e-7 = 1e-6) を下回り、単位分散に戻せなくなるためです。"
                   "スケール 1 では、後ろにバッチ正規化のない最後の層が大きな重みで始まり、"
                   "ロジットが非常に大きくなります。"))
    report.note(tr("The book trains on 1,000 MNIST images; here the images are Fashion-MNIST "
                   "(harder), so the accuracies are lower, but the comparison is the same. "
                   "Accuracies are measured in eval mode, i.e. with the running statistics of "
                   "batch norm.",
                   "本は MNIST 1,000 枚で学習します。ここでは (より難しい) Fashion-MNIST なので"
                   "正解率は低めですが、比較は同じです。正解率は eval モード、つまりバッチ正規化"
                   "の移動平均の統計で測ります。"))
    return report


def _first_reaching(r, level, per_epoch):
    for s, a in zip(r.steps, r.train_acc, strict=True):
        if a >= level:
            return s // per_epoch
    return "-"


def _plot_final(results, scales, seeds):
    from ..viz.plots import _figure
    fig = _figure((7.6, 4.0))
    ax = fig.add_subplot(1, 1, 1)
    s = np.asarray(scales, dtype=float)
    for bn, colour in ((True, "tab:blue"), (False, "tab:orange")):
        label = tr("batch norm", "バッチ正規化あり") if bn else tr("normal", "なし")
        for attr, style, name, alpha in (("final_train_acc", "o-", tr("train", "訓練"), 1.0),
                                         ("final_test_acc", "s--", tr("test", "テスト"), 0.7)):
            v = np.array([[getattr(results[(x, bn, k)], attr) for k in seeds] for x in s])
            mean = v.mean(1)
            err = np.clip([mean - v.min(1), v.max(1) - mean], 0, None)
            ax.errorbar(s, mean, yerr=err, fmt=style, color=colour, alpha=alpha, capsize=2,
                        label=f"{label}, {name}")
    ax.set_xscale("log")
    ax.set_xlabel(tr("initial weight scale (std of N(0, std²))",
                     "重みの初期値のスケール (N(0, std²) の std)"))
    ax.set_ylabel(tr("final accuracy", "最終的な正解率"))
    ax.set_ylim(0, 1.02)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0),
              borderaxespad=0.0)               # beside the plot: it hides no point
    ax.set_title(tr("final accuracy against the initial weight scale",
                    "重みの初期値のスケールと最終的な正解率"))
    return fig
