"""``overfitting``: 300 training images, six hidden layers of 100; no regularisation, L2,
L1, elastic net and dropout, each with SGD and Adam (DAY2 レポート: 過学習 / 実装演習).

The curriculum cuts the training set to 300 images (``x_train[:300]``) so that
``MultiLayerNet(784, [100] * 6, 10)`` overfits: after 1,000 iterations of batch 100 the
training accuracy reaches 100 % while the test accuracy stays far below. Weight decay
(L2: ``grad += λW``, L1: ``grad += λ·sign(W)``) and dropout are the remedies; the
report compares the final train-test gap of every run with the unregularised one.
"""
import numpy as np

from .base import (Report, load_data, plot_curve_grid, register, seeds_for,
                   train_classifier, train_test_curves, tr)
from .claims import check, difference, spread

N_TRAIN = 300
HIDDEN = [100] * 6
# The curriculum's strengths (2_5_overfiting): weight_decay_lambda 0.1 for L2, 0.005 for
# L1, dropout_ratio 0.15; the elastic net takes half of each penalty.
L2_LAMBDA = 0.1
L1_LAMBDA = 0.005
DROPOUT_RATIO = 0.15
OPTIMIZERS = {"SGD": 0.01, "Adam": 0.001}
METHODS = ("none", "L2", "L1", "elastic net", "dropout")
# A run "closes the gap" when its gap is at least this much (absolute accuracy) smaller
# than the unregularised run's with the same optimizer.
GAP_MARGIN = 0.02
# The gap is averaged over the last measurements, so one noisy batch does not decide it.
GAP_WINDOW = 5


def _settings(full, smoke):
    if smoke:
        return dict(iters=20, eval_every=10)
    return dict(iters=1000, eval_every=10)


def _method_note(method):
    return {
        "none": "no regularisation",
        "L2": f"L2: loss + ½λΣ‖W‖², λ = {L2_LAMBDA} (MultiLayerNet(weight_decay_lambda=...))",
        "L1": f"L1: loss + λΣ|W|, λ = {L1_LAMBDA} (nn.utils.l1_penalty)",
        "elastic net": f"elastic net: λ₁Σ|W| + λ₂·½Σ‖W‖², λ₁ = {L1_LAMBDA / 2}, "
                       f"λ₂ = {L2_LAMBDA / 2} (nn.utils.elastic_net_penalty)",
        "dropout": f"dropout after every hidden ReLU, ratio {DROPOUT_RATIO} "
                   "(MultiLayerNet(use_dropout=True))",
    }[method]


def _build(method):
    """The network and the loss function (``loss_fn(model, x, t)``) of one run."""
    from .. import nn
    from ..models import MultiLayerNet
    from ..nn import functional as F
    net = MultiLayerNet(784, HIDDEN, 10, activation="relu", weight_init_std="he",
                        weight_decay_lambda=L2_LAMBDA if method == "L2" else 0,
                        use_dropout=method == "dropout", dropout_ratio=DROPOUT_RATIO)
    weights = [lin.weight for lin in net.linears]
    if method == "L1":
        def loss_fn(model, x, t):
            return F.cross_entropy(model(x), t) + L1_LAMBDA * nn.utils.l1_penalty(weights)
    elif method == "elastic net":
        lam1, lam2 = L1_LAMBDA / 2, L2_LAMBDA / 2
        lam = lam1 + lam2

        def loss_fn(model, x, t):
            # λ·(r·Σ|W| + (1 − r)·½Σ‖W‖²) with λ = λ₁ + λ₂ and r = λ₁/λ.
            return F.cross_entropy(model(x), t) + lam * nn.utils.elastic_net_penalty(
                weights, l1_ratio=lam1 / lam)
    else:
        loss_fn = None          # model.loss: cross-entropy + net.penalty() (L2 or 0)
    return net, loss_fn


def _end(values):
    """The mean of the last ``GAP_WINDOW`` measurements (one noisy batch does not decide)."""
    k = min(GAP_WINDOW, len(values))
    return float(np.mean(values[-k:]))


def _gap(r):
    return _end(r.train_acc) - _end(r.test_acc)


@register("overfitting",
          summary="300 training images, 6x100 hidden: none / L2 / L1 / elastic net / "
                  "dropout with SGD and Adam; train-vs-test curves and the final gap")
def run(out_dir, full=False, smoke=False, seed=0) -> Report:
    """Train the ten networks and write the curves, the gap chart and the report."""
    import tinygrad_jp as tg
    from .. import optim

    seeds = seeds_for(seed, full, smoke)
    report = Report("overfitting", out_dir, tr(
        "Overfitting: weight decay (L2, L1, elastic net) and dropout on 300 training images",
        "過学習: 訓練データ 300 枚での荷重減衰 (L2、L1、elastic net) とドロップアウト"),
        full=full, smoke=smoke, seed=seed, seeds=seeds,
        description=tr("DAY2 レポート (過学習, 実装演習): the training set is cut to 300 "
                       "images so that `MultiLayerNet(784, [100] * 6, 10)` overfits; the "
                       "curriculum then adds weight decay (L2, L1) and dropout, with SGD and "
                       "with Adam, and compares the accuracy on the training set with the "
                       "test set.",
                       "DAY2 レポート (過学習, 実装演習): 訓練データを 300 枚に減らして "
                       "`MultiLayerNet(784, [100] * 6, 10)` を過学習させ、荷重減衰 (L2、L1) と"
                       "ドロップアウトを SGD と Adam で加え、訓練データとテストデータの正解率を"
                       "比べます。"))
    cfg = _settings(full, smoke)
    report.setting("network", "MultiLayerNet(784, [100] * 6, 10), ReLU, He initial weights")
    for method in METHODS[1:]:
        report.setting(method, _method_note(method))
    report.setting("optimizers", ", ".join(f"{k} lr {v}" for k, v in OPTIMIZERS.items()))
    report.setting("batch size", 100)
    report.setting("iterations", cfg["iters"])
    report.setting("gap", f"training accuracy − test accuracy, mean of the last {GAP_WINDOW} "
                          "measurements")

    runs = {}                  # (key, seed) -> TrainResult
    for s_ in seeds:
        data = load_data(full=full, smoke=smoke, n_train=N_TRAIN, seed=s_)
        if s_ == seeds[0]:
            report.data_note(data)
            report.setting("accuracy measured every", f"{cfg['eval_every']} iterations (all "
                           f"{len(data.x_train)} training images; the whole test set); each "
                           "seed draws its own 300 training images")
        for opt_name, lr in OPTIMIZERS.items():
            for method in METHODS:
                key = f"{opt_name} / {method}"
                tg.manual_seed(s_)
                net, loss_fn = _build(method)
                opt = (optim.SGD if opt_name == "SGD" else optim.Adam)(net.parameters(), lr=lr)
                runs[(key, s_)] = train_classifier(
                    net, opt, data, cfg["iters"], batch_size=100,
                    eval_every=cfg["eval_every"], eval_train_size=None, seed=s_,
                    loss_fn=loss_fn, desc=f"seed {s_}: {key}")
                report.phase(f"seed {s_}: {key}", runs[(key, s_)].seconds)
    keys = [f"{o} / {m}" for o in OPTIMIZERS for m in METHODS]

    def rs(key):
        return [runs[(key, s_)] for s_ in seeds]

    gap = {k: np.array([_gap(r) for r in rs(k)]) for k in keys}
    test = {k: np.array([_end(r.test_acc) for r in rs(k)]) for k in keys}
    train = {k: np.array([_end(r.train_acc) for r in rs(k)]) for k in keys}

    # -- figures
    # built when drawn, so that the Japanese figure's legend is in Japanese
    def panels():
        return {k: train_test_curves(rs(k)) for k in keys}

    report.figure("accuracy.png", lambda: plot_curve_grid(
        panels(), ncols=len(METHODS),
        title=tr("accuracy on 300 training images vs the test set (rows: optimizer; "
                 "columns: regularisation)",
                 "300 枚の訓練データとテストデータの正解率 (行: 最適化手法、列: 正則化)")),
        tr("Accuracy on the 300 training images and on the test set during training, one "
           "panel per run (top row SGD, bottom row Adam); line: mean over the seeds, band: "
           "their range.",
           "学習中の 300 枚の訓練データとテストデータの正解率、実行ごとに 1 枚 (上の行 SGD、"
           "下の行 Adam); 線はシードの平均、帯は範囲。"))
    report.figure("gap.png", lambda: _plot_gaps(train, test, gap),
                  tr("Accuracies at the end (bars: mean over the seeds, whiskers: their "
                     "range) and the train − test gap (numbers above the bars) of every run.",
                     "最後の正解率 (棒: シードの平均、ひげ: 範囲) と訓練 − テストの差 (棒の上の"
                     "数字)。"))

    # -- numbers
    rows = []
    for key in keys:
        opt_name, method = key.split(" / ")
        base = gap[f"{opt_name} / none"]
        rows.append([opt_name, method, spread(train[key]), spread(test[key]),
                     spread(gap[key]),
                     spread(gap[key] - base) if method != "none" else "0",
                     spread(test[key] - test[f"{opt_name} / none"]) if method != "none"
                     else "0", float(np.mean([r.seconds for r in rs(key)]))])
        r0 = rs(key)[0]
        report.result(key, {"final_train_acc": float(np.mean([r.final_train_acc
                                                              for r in rs(key)])),
                            "final_test_acc": float(np.mean([r.final_test_acc
                                                             for r in rs(key)])),
                            "end_train_acc": float(train[key].mean()),
                            "end_test_acc": float(test[key].mean()),
                            "gap": float(gap[key].mean()), "gap_per_seed": gap[key].tolist(),
                            "test_per_seed": test[key].tolist(),
                            "steps": r0.steps, "train_acc": r0.train_acc,
                            "test_acc": r0.test_acc, "seconds": r0.seconds,
                            "diverged": any(r.diverged for r in rs(key))})
    report.table(["optimizer", "regularisation", "train acc", "test acc", "gap",
                  "gap − gap(none)", "test − test(none)", "seconds"], rows,
                 caption=tr(f"Accuracies at the end (each the mean of the last {GAP_WINDOW} "
                            "measurements; mean ± 95 % interval over the seeds) and their gap; "
                            "a negative 'gap − gap(none)' means the run narrowed the gap.",
                            f"最後の正解率 (最後の {GAP_WINDOW} 回の測定の平均; シードの平均 ± "
                            "95 % 区間) とその差。'gap − gap(none)' が負なら差を縮めた。"))

    for opt_name in OPTIMIZERS:
        k0 = f"{opt_name} / none"
        report.claim(tr(f"With {opt_name} and no regularisation, 300 training images overfit: "
                        "the training accuracy runs far ahead of the test accuracy",
                        f"{opt_name} で正則化なしだと 300 枚の訓練データに過学習する: 訓練正解率"
                        "がテスト正解率を大きく上回る"),
                     check(gap[k0], 0.15),
                     tr(f"training {spread(train[k0])}, test {spread(test[k0])}, gap "
                        f"{spread(gap[k0])} (overfit = gap above 0.15)",
                        f"訓練 {spread(train[k0])}、テスト {spread(test[k0])}、差 "
                        f"{spread(gap[k0])} (過学習 = 差が 0.15 超)"))
    closed = {}
    for opt_name in OPTIMIZERS:
        k0 = f"{opt_name} / none"
        checks = {m: difference(gap[k0], gap[f"{opt_name} / {m}"], GAP_MARGIN)
                  for m in METHODS[1:]}
        did = [m for m in METHODS[1:] if checks[m].shown]
        closed[opt_name] = did
        detail = ", ".join(f"{m} {spread(gap[f'{opt_name} / {m}'])}" for m in METHODS[1:])
        report.claim(tr(f"With {opt_name}, the regularised runs narrow the train − test gap",
                        f"{opt_name} では正則化した実行で訓練とテストの差が縮む"),
                     list(checks.values()),
                     tr(f"gap without regularisation {spread(gap[k0])}; {detail}; narrowed by "
                        f"more than {GAP_MARGIN}: {', '.join(did) if did else 'none'}",
                        f"正則化なしの差 {spread(gap[k0])}; {detail}; {GAP_MARGIN} より大きく"
                        f"縮めたもの: {', '.join(did) if did else 'なし'}"))
        report.result(f"closed_gap_{opt_name}", did)
    for opt_name in OPTIMIZERS:
        k0 = f"{opt_name} / none"
        best = max(METHODS[1:], key=lambda m: test[f"{opt_name} / {m}"].mean())
        kb = f"{opt_name} / {best}"
        report.claim(tr(f"With {opt_name}, a regulariser raises the test accuracy (what "
                        "regularisation is for)",
                        f"{opt_name} では正則化でテスト正解率が上がる (正則化の目的)"),
                     difference(test[kb], test[k0], 0.0),
                     tr(f"the best regulariser on the test set, {best}: {spread(test[kb])} "
                        f"against {spread(test[k0])} without",
                        f"テストで最良の正則化 {best}: {spread(test[kb])}、なし "
                        f"{spread(test[k0])}"))
    # The DAY2 report's own observations on dropout (実装演習 考察).
    d_gap = gap["SGD / none"] - gap["SGD / dropout"]
    d_test = test["SGD / none"] - test["SGD / dropout"]
    report.claim(tr("With SGD, dropout holds overfitting back but lowers the score (the DAY2 "
                    "report: 'with SGD, overfitting was held back but the score dropped')",
                    "SGD ではドロップアウトで過学習は抑えられるがスコアは下がる (DAY2 レポート: "
                    "「SGD の方は過学習が抑えられたがスコアが低下した」)"),
                 [check(d_gap, GAP_MARGIN), check(d_test, 0.0)],
                 tr(f"gap {spread(gap['SGD / none'])} → {spread(gap['SGD / dropout'])}, test "
                    f"accuracy {spread(test['SGD / none'])} → {spread(test['SGD / dropout'])}",
                    f"差 {spread(gap['SGD / none'])} → {spread(gap['SGD / dropout'])}、テスト"
                    f"正解率 {spread(test['SGD / none'])} → {spread(test['SGD / dropout'])}"))
    a_gap = np.abs(gap["Adam / dropout"] - gap["Adam / none"])
    a_test = np.abs(test["Adam / dropout"] - test["Adam / none"])
    report.claim(tr("With Adam, dropout changes little (the DAY2 report: 'with Adam, raising "
                    "the dropout ratio did not change the score')",
                    "Adam ではドロップアウトでほとんど変わらない (DAY2 レポート: 「Adam の方は "
                    "Dropout 率を上げてもスコアは変化しなかった」)"),
                 [check(a_gap, 0.05, "<"), check(a_test, 0.05, "<")],
                 tr(f"gap {spread(gap['Adam / none'])} → {spread(gap['Adam / dropout'])}, "
                    f"test accuracy {spread(test['Adam / none'])} → "
                    f"{spread(test['Adam / dropout'])} (little = both changes within 0.05)",
                    f"差 {spread(gap['Adam / none'])} → {spread(gap['Adam / dropout'])}、"
                    f"テスト正解率 {spread(test['Adam / none'])} → "
                    f"{spread(test['Adam / dropout'])} (ほとんど = どちらの変化も 0.05 以内)"))
    best = {o: max(METHODS, key=lambda m: test[f"{o} / {m}"].mean()) for o in OPTIMIZERS}
    report.result("best_test_method", best)
    sd = {k: float(test[k].std(ddof=1)) if len(seeds) > 1 else float("nan") for k in keys}
    report.result("test_std_over_seeds", sd)
    if len(seeds) > 1:
        report.note(tr("The curriculum finds L1 unstable. The spread of the final test "
                       "accuracy over the seeds (standard deviation): "
                       + "; ".join(f"{k} {sd[k]:.3f}" for k in keys) + ".",
                       "カリキュラムは L1 が不安定だと述べています。シード間の最終テスト正解率の"
                       "ばらつき (標準偏差): " + "; ".join(f"{k} {sd[k]:.3f}" for k in keys)
                       + "。"))
    report.note(tr("A narrower gap is not always a better model: a penalty that is too strong "
                   "also lowers the training accuracy (the DAY2 report: 'Weight Decay を"
                   "大きくしすぎると学習が進まなくなりスコアが下がった'), so read the gap beside "
                   "the test accuracy. One λ per regulariser is tried (the curriculum's).",
                   "差が小さいほど良いモデルとは限りません: 強すぎる罰則は訓練正解率も下げる"
                   "ので (DAY2 レポート: 「Weight Decay を大きくしすぎると学習が進まなくなり"
                   "スコアが下がった」)、差はテスト正解率と並べて読んでください。正則化ごとに "
                   "λ は 1 つ (カリキュラムの値) だけ試しています。"))
    report.note(tr("The penalties act on the Linear weights only (not the biases), as the "
                   "curriculum's `MultiLayerNet` does. The data is Fashion-MNIST, not the "
                   "curriculum's MNIST; the accuracies are lower, the comparison is what "
                   "matters.",
                   "罰則はカリキュラムの `MultiLayerNet` と同じく Linear の重みだけにかかります "
                   "(バイアスにはかからない)。データは MNIST ではなく Fashion-MNIST で、正解率は"
                   "低めですが比較が要点です。"))
    return report


def _plot_gaps(train_v, test_v, gap_v):
    from ..viz.plots import _figure
    fig = _figure((9.0, 4.0))
    opts = list(OPTIMIZERS)
    for j, opt_name in enumerate(opts):
        ax = fig.add_subplot(1, len(opts), j + 1)
        x = np.arange(len(METHODS))
        for off, vals, label, colour in (
                (-0.2, train_v, tr("training set", "訓練データ"), "tab:blue"),
                (0.2, test_v, tr("test set", "テストデータ"), "tab:orange")):
            v = np.array([vals[f"{opt_name} / {m}"] for m in METHODS])
            mean = v.mean(1)
            ax.bar(x + off, mean, 0.4, label=label, color=colour,
                   yerr=np.clip([mean - v.min(1), v.max(1) - mean], 0, None), capsize=2)
        for i, m in enumerate(METHODS):
            g = float(gap_v[f"{opt_name} / {m}"].mean())
            top = max(train_v[f"{opt_name} / {m}"].max(), test_v[f"{opt_name} / {m}"].max())
            ax.text(i, top + 0.02, tr(f"gap\n{g:.2f}", f"差 {g:.2f}"), ha="center",
                    va="bottom", fontsize=7)
        ax.set_xticks(x)
        ax.set_xticklabels(METHODS, fontsize=8)
        ax.set_ylim(0, 1.25)
        ax.set_yticks(np.linspace(0, 1, 6))
        ax.set_title(opt_name)
        ax.grid(True, axis="y", alpha=0.3)
        if j == 0:
            ax.set_ylabel(tr("final accuracy", "最終的な正解率"))
    # One legend for both panels, below them: above the bars sit the gap numbers.
    fig.legend(*fig.axes[0].get_legend_handles_labels(), loc="outside lower center", ncol=2,
               fontsize="small")
    fig.suptitle(tr("final accuracy and train − test gap", "最終的な正解率と訓練 − テストの差"))
    return fig
