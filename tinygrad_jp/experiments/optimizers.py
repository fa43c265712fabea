"""``optimizers``: SGD, Momentum, AdaGrad, RMSProp, AdaDelta and Adam on MultiLayerNet under
the three conditions of DAY2 レポート (学習率最適化法 / 実装演習: sigmoid-gauss-batch_FALSE,
ReLU-He-batch_FALSE, ReLU-He-batch_TRUE), plus their paths on f(x, y) = x²/20 + y².

The network is ``MultiLayerNet(784, [40, 20], 10)``, 1,000 iterations of batch 100, as in
the DAY2 report's code; the DAY2 report shows Momentum's settings (lr 0.3, μ 0.9), the
other learning rates are ours (listed in the report).
"""
import numpy as np

from .base import (Report, load_data, plot_curve_grid, register, train_classifier,
                   train_test_curves, tr)

CONDITIONS = {
    "sigmoid-gauss-batch_FALSE": ("sigmoid", 0.01, False),
    "ReLU-He-batch_FALSE": ("relu", "he", False),
    "ReLU-He-batch_TRUE": ("relu", "he", True),
}


def _optimizers():
    from .. import optim
    return {
        "SGD": (optim.SGD, {"lr": 0.01}),
        "Momentum": (optim.SGD, {"lr": 0.3, "momentum": 0.9}),
        "AdaGrad": (optim.Adagrad, {"lr": 0.1}),
        "RMSProp": (optim.RMSprop, {"lr": 0.01, "alpha": 0.99}),
        "AdaDelta": (optim.Adadelta, {"lr": 1.0, "rho": 0.9}),
        "Adam": (optim.Adam, {"lr": 0.01, "betas": (0.9, 0.999)}),
    }


def _path_optimizers():
    from .. import optim
    from ..optim import curriculum
    out = dict(curriculum.TEXTBOOK_OPTIMIZERS)
    out["RMSProp"] = (optim.RMSprop, {"lr": 0.2, "alpha": 0.9})
    out["AdaDelta"] = (optim.Adadelta, {"lr": 1.0, "rho": 0.9, "eps": 1e-2})
    return out


def _kwargs_text(kw):
    return ", ".join(f"{k}={v}" for k, v in kw.items())


@register("optimizers",
          summary="SGD/Momentum/AdaGrad/RMSProp/AdaDelta/Adam on MultiLayerNet with and "
                  "without batch norm, and their paths on x^2/20 + y^2")
def run(out_dir, full=False, smoke=False, seed=0) -> Report:
    """18 training runs (3 conditions × 6 optimizers) and the 2-D paths."""
    import tinygrad_jp as tg
    from .. import viz
    from ..models import MultiLayerNet
    from ..optim import curriculum

    report = Report("optimizers", out_dir, "Optimizers, with and without batch norm",
                    full=full, smoke=smoke, seed=seed,
                    description="DAY2 レポート (学習率最適化法): the same network trained by six "
                                "update rules under the DAY2 report's three conditions, and the "
                                "classic 2-D comparison on f(x, y) = x²/20 + y².")
    iters, every = (150, 25) if smoke else (1000, 10)
    data = load_data(full=full, smoke=smoke, seed=seed)
    report.data_note(data)
    report.setting("network", "MultiLayerNet(784, [40, 20], 10)")
    report.setting("conditions", "; ".join(
        f"{k}: activation {a}, weight_init_std {i}, use_batchnorm {b}"
        for k, (a, i, b) in CONDITIONS.items()))
    report.setting("iterations", iters)
    report.setting("batch size", 100)
    opts = _optimizers()
    for name, (cls, kw) in opts.items():
        report.setting(f"optimizer {name}", f"optim.{cls.__name__}({_kwargs_text(kw)})")

    runs, dead = {}, {}
    for cond, (act, init, bn) in CONDITIONS.items():
        for name, (cls, kw) in opts.items():
            tg.manual_seed(seed)
            net = MultiLayerNet(784, [40, 20], 10, activation=act, weight_init_std=init,
                                use_batchnorm=bn)
            opt = cls(net.parameters(), **kw)
            r = train_classifier(net, opt, data, iters, batch_size=100, eval_every=every,
                                 eval_train_size=1000, seed=seed, desc=f"{cond} / {name}")
            runs[(cond, name)] = r
            report.phase(f"{cond} / {name}", r.seconds)
            if r.final_test_acc < 0.2 and act == "relu":
                dead[(cond, name)] = _dead_fraction(net, data.x_test[:500])

    panels = {}
    for cond in CONDITIONS:
        for name in opts:
            r = runs[(cond, name)]
            panels[f"{name}, {cond}"] = train_test_curves(r)
    report.figure("accuracy.png", plot_curve_grid(
        panels, ncols=len(opts),
        title=tr("accuracy during training (rows: conditions; columns: optimizers)",
                 "学習中の正解率 (行: 条件、列: 最適化手法)")),
                  "Training-set and test-set accuracy of every optimizer under each condition "
                  "(the DAY2 report's figures).")
    compare = {cond: {name: (runs[(cond, name)].steps, runs[(cond, name)].test_acc)
                      for name in opts} for cond in CONDITIONS}
    report.figure("test_accuracy_by_condition.png", plot_curve_grid(
        compare, ncols=3, ylabel=tr("test accuracy", "テストデータの正解率"),
        title=tr("test accuracy: the optimizers side by side",
                 "テストデータの正解率: 最適化手法の比較")),
        "Test accuracy of the six optimizers, one panel per condition.")

    rows = []
    for (cond, name), r in runs.items():
        rows.append([cond, name, r.final_train_acc, r.final_test_acc,
                     _acc_at(r, 0.25), "yes" if r.diverged else "no", r.seconds])
        report.result(f"{cond}/{name}", {"final_train_acc": r.final_train_acc,
                                         "final_test_acc": r.final_test_acc,
                                         "test_acc_quarter": _acc_at(r, 0.25),
                                         "diverged": r.diverged, "steps": r.steps,
                                         "test_acc": r.test_acc, "train_acc": r.train_acc})
    report.table(["condition", "optimizer", "train acc", "test acc",
                  f"test acc at {iters // 4}", "diverged", "seconds"], rows,
                 caption="Final accuracies, and the test accuracy after a quarter of the "
                         "iterations (how fast it learns).")

    # -- the 2-D paths
    popts = _path_optimizers()
    paths = curriculum.optimizer_paths(steps=30, optimizers=popts)
    report.setting("2-D paths", "30 steps from (-7, 2) on x²/20 + y²: " + "; ".join(
        f"{n} optim.{c.__name__}({_kwargs_text(k)})" for n, (c, k) in popts.items())
        + " (Adam with the textbook's per-step eps, see optim.curriculum)")
    report.figure("paths.png", viz.plot_optimizer_paths(
        paths, ncols=3, title=tr("30 steps on f(x, y) = x²/20 + y² from (-7, 2)",
                                 "f(x, y) = x²/20 + y² を (-7, 2) から 30 ステップ")),
                  "Paths of the update rules on x²/20 + y² (the textbook's comparison).")
    prow = []
    flips = {}
    for name, p in paths.items():
        flips[name] = int((np.diff(np.sign(p[:, 1])) != 0).sum())
        fval = float(curriculum.f(*p[-1]))
        prow.append([name, p[-1][0], p[-1][1], fval, flips[name]])
        report.result(f"path/{name}", {"end": p[-1].tolist(), "f_end": fval,
                                       "y_sign_changes": flips[name]})
    report.table(["rule", "x after 30", "y after 30", "f after 30", "y changes sign"], prow,
                 caption="Where each rule is after 30 steps on x²/20 + y².")

    # -- effects
    def final(cond, name):
        return runs[(cond, name)].final_test_acc

    sg = "sigmoid-gauss-batch_FALSE"
    adaptive = [final(sg, n) for n in ("AdaGrad", "RMSProp", "Adam")]
    report.effect("With sigmoid + gauss, plain SGD hardly moves while the adaptive methods "
                  "(AdaGrad, RMSProp, Adam) learn",
                  final(sg, "SGD") < 0.3 and min(adaptive) > final(sg, "SGD") + 0.2,
                  f"test accuracy SGD {final(sg, 'SGD'):.3f}; AdaGrad / RMSProp / Adam "
                  + " / ".join(f"{a:.3f}" for a in adaptive))
    nobn, bn = "ReLU-He-batch_FALSE", "ReLU-He-batch_TRUE"
    best = {c: max(final(c, n) for n in opts) for c in (sg, nobn)}
    adam_ok = all(final(c, "Adam") >= best[c] - 0.03 for c in (sg, nobn))
    report.effect("Adam is among the best without batch norm (the seed: 'Adam scores best')",
                  adam_ok, "; ".join(f"{c}: Adam {final(c, 'Adam'):.3f}, best "
                                     f"{best[c]:.3f}" for c in (sg, nobn))
                  + " (among the best = within 0.03)")
    # Runs that did not learn at all (e.g. Momentum at the DAY2 report's lr 0.3 kills the ReLU
    # units without batch norm) would make the spread trivially large: leave them out and
    # name them instead.
    learned = {c: [n for n in opts if final(c, n) >= 0.2] for c in (nobn, bn)}
    spread = {c: (max(final(c, n) for n in learned[c]) - min(final(c, n) for n in learned[c]))
              if learned[c] else float("nan") for c in (nobn, bn)}
    failed = {c: [n for n in opts if n not in learned[c]] for c in (nobn, bn)}
    report.effect("With batch norm the optimizers end up close to each other (the seed: "
                  "'with ReLU-He-batch_TRUE no optimizer changes much')",
                  spread[bn] < spread[nobn],
                  f"best − worst test accuracy of the runs that learned: {spread[nobn]:.3f} "
                  f"without batch norm, {spread[bn]:.3f} with"
                  + "".join(f"; did not learn {'with' if c == bn else 'without'} batch norm: "
                            f"{', '.join(failed[c])}" for c in (nobn, bn) if failed[c]))
    for c in (nobn, bn):
        for name in failed[c]:
            why = ", the loss diverged" if runs[(c, name)].diverged else ""
            if (c, name) in dead:
                why += ("; dead ReLU units (never positive on 500 test images) per layer: "
                        + ", ".join(f"{d:.0%}" for d in dead[(c, name)]))
                report.result(f"{c}/{name}/dead_relu_fraction", dead[(c, name)])
            report.note(f"{name} did not learn under {c} (test accuracy {final(c, name):.3f}"
                        + why
                        + f"); under {bn if c == nobn else nobn} it reaches "
                        f"{final(bn if c == nobn else nobn, name):.3f}.")
    q = {c: float(np.mean([_acc_at(runs[(c, n)], 0.25) for n in opts])) for c in (nobn, bn)}
    report.effect("Batch norm makes learning faster (確認テスト4)", q[bn] > q[nobn],
                  f"mean test accuracy of the six optimizers after {iters // 4} iterations: "
                  f"{q[nobn]:.3f} without, {q[bn]:.3f} with batch norm")
    others = [flips[n] for n in ("Momentum", "AdaGrad", "Adam")]
    report.effect("On x²/20 + y², SGD zigzags across the steep y direction while Momentum, "
                  "AdaGrad and Adam take smoother paths",
                  flips["SGD"] >= 20 and max(others) < flips["SGD"] // 2,
                  f"y changes sign {flips['SGD']} times in 30 SGD steps; Momentum / AdaGrad / "
                  f"Adam: {' / '.join(str(o) for o in others)}")
    gaps = sorted(((r.final_train_acc - r.final_test_acc, c, n) for (c, n), r in runs.items()),
                  reverse=True)[:3]
    report.note("The DAY2 report (DAY2 レポート) also remarks that AdaGrad and RMSProp "
                "sometimes separate the training and test scores (overfitting). The "
                "largest gaps between the final training and test accuracy in this "
                "run: " + "; ".join(f"{n} under {c}: {gap:+.3f}" for gap, c, n in gaps)
                + ".")
    report.note("AdaDelta has no learning rate in its formula (PyTorch's `lr=1.0` multiplies "
                "its step). With eps 1e-6 its first steps are about √eps = 1e-3 per weight "
                "whatever the gradient, so it is slow to start where the gradients are tiny "
                "(sigmoid + gauss). The path figure uses eps 1e-2 for AdaDelta so that it "
                "moves within 30 steps.")
    return report


def _acc_at(r, fraction):
    """Test accuracy at the first measurement at or after ``fraction`` of the run."""
    if not r.steps:
        return float("nan")
    target = fraction * r.steps[-1]
    for s, a in zip(r.steps, r.test_acc, strict=True):
        if s >= target:
            return a
    return r.test_acc[-1]


def _dead_fraction(net, x):
    """Per hidden layer, the fraction of ReLU units that output 0 for every input."""
    import tinygrad_jp as tg
    net.eval()
    with tg.no_grad():
        acts = net.activations(tg.Tensor(x))
    return [float((a.data.max(axis=0) <= 0).mean()) for a in acts]
