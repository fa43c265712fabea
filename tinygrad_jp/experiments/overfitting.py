"""``overfitting``: 300 training images, six hidden layers of 100; no regularisation, L2,
L1, elastic net and dropout, each with SGD and Adam (DAY2 レポート: 過学習 / 実装演習).

The curriculum cuts the training set to 300 images (``x_train[:300]``) so that
``MultiLayerNet(784, [100] * 6, 10)`` overfits: after 1,000 iterations of batch 100 the
training accuracy reaches 100 % while the test accuracy stays far below. Weight decay
(L2: ``grad += λW``, L1: ``grad += λ·sign(W)``) and dropout are the remedies; the
report compares the final train-test gap of every run with the unregularised one.
"""
import numpy as np

from .base import (Report, load_data, plot_curve_grid, register, train_classifier,
                   train_test_curves, tr)

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

    report = Report("overfitting", out_dir, "Overfitting: weight decay (L2, L1, elastic net) "
                    "and dropout on 300 training images", full=full, smoke=smoke, seed=seed,
                    description="DAY2 レポート (過学習, 実装演習): the training set is cut to 300 "
                                "images so that `MultiLayerNet(784, [100] * 6, 10)` "
                                "overfits; the curriculum then adds weight decay (L2, L1) "
                                "and dropout, with SGD and with Adam, and compares the "
                                "accuracy on the training set with the test set.")
    cfg = _settings(full, smoke)
    data = load_data(full=full, smoke=smoke, n_train=N_TRAIN, seed=seed)
    report.data_note(data)
    report.setting("network", "MultiLayerNet(784, [100] * 6, 10), ReLU, He initial weights")
    for method in METHODS[1:]:
        report.setting(method, _method_note(method))
    report.setting("optimizers", ", ".join(f"{k} lr {v}" for k, v in OPTIMIZERS.items()))
    report.setting("batch size", 100)
    report.setting("iterations", cfg["iters"])
    report.setting("accuracy measured every", f"{cfg['eval_every']} iterations (all "
                   f"{len(data.x_train)} training images; the whole test set)")
    report.setting("gap", f"training accuracy − test accuracy, mean of the last {GAP_WINDOW} "
                          "measurements")

    runs = {}
    for opt_name, lr in OPTIMIZERS.items():
        for method in METHODS:
            key = f"{opt_name} / {method}"
            tg.manual_seed(seed)
            net, loss_fn = _build(method)
            opt = (optim.SGD if opt_name == "SGD" else optim.Adam)(net.parameters(), lr=lr)
            runs[key] = train_classifier(net, opt, data, cfg["iters"], batch_size=100,
                                         eval_every=cfg["eval_every"], eval_train_size=None,
                                         seed=seed, loss_fn=loss_fn, desc=key)
            report.phase(key, runs[key].seconds)

    # -- figures
    panels = {f"{k}": train_test_curves(r) for k, r in runs.items()}
    report.figure("accuracy.png", plot_curve_grid(
        panels, ncols=len(METHODS),
        title=tr("accuracy on 300 training images vs the test set (rows: optimizer; "
                 "columns: regularisation)",
                 "300 枚の訓練データとテストデータの正解率 (行: 最適化手法、列: 正則化)")),
        "Accuracy on the 300 training images and on the test set during training, one "
        "panel per run (top row SGD, bottom row Adam).")
    gaps = {k: _gap(r) for k, r in runs.items()}
    report.figure("gap.png", _plot_gaps(runs, gaps),
                  "Accuracies at the end (bars) and the train − test gap (numbers above "
                  "the bars) of every run.")

    # -- numbers
    rows = []
    for key, r in runs.items():
        opt_name, method = key.split(" / ")
        base = gaps[f"{opt_name} / none"]
        rows.append([opt_name, method, _end(r.train_acc), _end(r.test_acc), gaps[key],
                     gaps[key] - base if method != "none" else 0.0, r.seconds])
        report.result(key, {"final_train_acc": r.final_train_acc,
                            "final_test_acc": r.final_test_acc,
                            "end_train_acc": _end(r.train_acc),
                            "end_test_acc": _end(r.test_acc), "gap": gaps[key],
                            "steps": r.steps, "train_acc": r.train_acc,
                            "test_acc": r.test_acc, "seconds": r.seconds,
                            "diverged": r.diverged})
    report.table(["optimizer", "regularisation", "train acc", "test acc", "gap",
                  "gap − gap(none)", "seconds"], rows,
                 caption=f"Accuracies at the end (each the mean of the last {GAP_WINDOW} "
                         "measurements) and their gap; a negative 'gap − gap(none)' means "
                         "the run narrowed the gap.")

    for opt_name in OPTIMIZERS:
        r0 = runs[f"{opt_name} / none"]
        report.effect(f"With {opt_name} and no regularisation, 300 training images overfit: "
                      "the training accuracy runs far ahead of the test accuracy",
                      gaps[f"{opt_name} / none"] > 0.15,
                      f"training {_end(r0.train_acc):.3f}, test {_end(r0.test_acc):.3f}, gap "
                      f"{gaps[f'{opt_name} / none']:.3f} (overfit = gap above 0.15)")
    closed = {}
    for opt_name in OPTIMIZERS:
        base = gaps[f"{opt_name} / none"]
        did = [m for m in METHODS[1:] if gaps[f"{opt_name} / {m}"] < base - GAP_MARGIN]
        closed[opt_name] = did
        detail = ", ".join(f"{m} {gaps[f'{opt_name} / {m}']:.3f}" for m in METHODS[1:])
        report.effect(f"With {opt_name}, the regularised runs narrow the train − test gap",
                      len(did) == len(METHODS) - 1,
                      f"gap without regularisation {base:.3f}; {detail}; narrowed by more "
                      f"than {GAP_MARGIN}: {', '.join(did) if did else 'none'}")
        report.result(f"closed_gap_{opt_name}", did)
    # The DAY2 report's own observations on dropout (実装演習 考察).
    sd, s0 = runs["SGD / dropout"], runs["SGD / none"]
    report.effect("With SGD, dropout holds overfitting back but lowers the score (the seed: "
                  "'SGD の方は過学習が抑えられたがスコアが低下した')",
                  gaps["SGD / dropout"] < gaps["SGD / none"] - GAP_MARGIN
                  and _end(sd.test_acc) < _end(s0.test_acc),
                  f"gap {gaps['SGD / none']:.3f} → {gaps['SGD / dropout']:.3f}, test accuracy "
                  f"{_end(s0.test_acc):.3f} → {_end(sd.test_acc):.3f}")
    ad, a0 = runs["Adam / dropout"], runs["Adam / none"]
    report.effect("With Adam, dropout changes little (the seed: 'Adam の方は Dropout 率を上げても"
                  "スコアは変化しなかった')",
                  abs(gaps["Adam / dropout"] - gaps["Adam / none"]) < 0.05
                  and abs(_end(ad.test_acc) - _end(a0.test_acc)) < 0.05,
                  f"gap {gaps['Adam / none']:.3f} → {gaps['Adam / dropout']:.3f}, test "
                  f"accuracy {_end(a0.test_acc):.3f} → {_end(ad.test_acc):.3f} (little = "
                  "both within 0.05)")
    best = {opt_name: max(METHODS, key=lambda m: _end(runs[f"{opt_name} / {m}"].test_acc))
            for opt_name in OPTIMIZERS}
    report.result("best_test_method", best)
    report.note("Which regularisation did what in this run: "
                + "; ".join(f"with {o}, narrowed the gap: "
                            f"{', '.join(closed[o]) if closed[o] else 'none'}, best test "
                            f"accuracy: {best[o]}" for o in OPTIMIZERS) + ". "
                "A narrower gap is not always a better model: a penalty that is too strong "
                "also lowers the training accuracy (the seed: 'Weight Decay を大きくしすぎると"
                "学習が進まなくなりスコアが下がった'), so read the gap beside the test "
                "accuracy.")
    report.note("The penalties act on the Linear weights only (not the biases), as the "
                "curriculum's `MultiLayerNet` does. The data is Fashion-MNIST, not the "
                "curriculum's MNIST; the accuracies are lower, the comparison is what "
                "matters.")
    return report


def _plot_gaps(runs, gaps):
    from ..viz.plots import _figure
    fig = _figure((9.0, 4.0))
    opts = list(OPTIMIZERS)
    for j, opt_name in enumerate(opts):
        ax = fig.add_subplot(1, len(opts), j + 1)
        x = np.arange(len(METHODS))
        train = [_end(runs[f"{opt_name} / {m}"].train_acc) for m in METHODS]
        test = [_end(runs[f"{opt_name} / {m}"].test_acc) for m in METHODS]
        ax.bar(x - 0.2, train, 0.4, label=tr("training set", "訓練データ"), color="tab:blue")
        ax.bar(x + 0.2, test, 0.4, label=tr("test set", "テストデータ"), color="tab:orange")
        for i, m in enumerate(METHODS):
            gap = gaps[f"{opt_name} / {m}"]
            ax.text(i, max(train[i], test[i]) + 0.02, tr(f"gap\n{gap:.2f}", f"差 {gap:.2f}"),
                    ha="center", va="bottom", fontsize=7)
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
