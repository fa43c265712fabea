"""``optimizers``: SGD, Momentum, AdaGrad, RMSProp, AdaDelta and Adam on MultiLayerNet under
the three conditions of DAY2 レポート (学習率最適化法 / 実装演習: sigmoid-gauss-batch_FALSE,
ReLU-He-batch_FALSE, ReLU-He-batch_TRUE), plus their paths on f(x, y) = x²/20 + y².

The network is ``MultiLayerNet(784, [40, 20], 10)``, 1,000 iterations of batch 100, as in
the DAY2 report's code; the DAY2 report shows Momentum's settings (lr 0.3, μ 0.9), the
other learning rates are ours (listed in the report).
"""
import numpy as np

from .base import (Report, load_data, plot_curve_grid, register, seeds_for,
                   train_classifier, train_test_curves, tr)
from .claims import check, reached, spread

LEVEL = 0.6          # "faster" = fewer iterations to this test accuracy

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

    seeds = seeds_for(seed, full, smoke)
    report = Report("optimizers", out_dir, tr("Optimizers, with and without batch norm",
                                              "最適化手法、バッチ正規化の有無"),
                    full=full, smoke=smoke, seed=seed, seeds=seeds,
                    description=tr("DAY2 レポート (学習率最適化法): the same network trained by "
                                   "six update rules under the DAY2 report's three conditions, "
                                   "and the classic 2-D comparison on f(x, y) = x²/20 + y².",
                                   "DAY2 レポート (学習率最適化法): 同じネットワークを 6 つの更新"
                                   "規則で DAY2 レポートの 3 条件のもとで学習し、f(x, y) = "
                                   "x²/20 + y² 上の古典的な 2 次元の比較も行います。"))
    iters, every = (150, 25) if smoke else (1000, 20)
    data = load_data(full=full, smoke=smoke, seed=seed)
    report.data_note(data)
    report.setting("network", "MultiLayerNet(784, [40, 20], 10)")
    report.setting("conditions", "; ".join(
        f"{k}: activation {a}, weight_init_std {i}, use_batchnorm {b}"
        for k, (a, i, b) in CONDITIONS.items()))
    report.setting("iterations", iters)
    report.setting("batch size", 100)
    report.setting(tr("accuracy measured every", "正解率の測定間隔"),
                   f"{every} iterations " + tr("(the whole training and test sets)",
                                               "(訓練・テストデータ全体)"))
    opts = _optimizers()
    for name, (cls, kw) in opts.items():
        report.setting(f"optimizer {name}", f"optim.{cls.__name__}({_kwargs_text(kw)})")

    runs, dead = {}, {}          # (cond, name, seed) -> TrainResult
    for s_ in seeds:
        for cond, (act, init, bn) in CONDITIONS.items():
            for name, (cls, kw) in opts.items():
                tg.manual_seed(s_)
                net = MultiLayerNet(784, [40, 20], 10, activation=act, weight_init_std=init,
                                    use_batchnorm=bn)
                opt = cls(net.parameters(), **kw)
                r = train_classifier(net, opt, data, iters, batch_size=100, eval_every=every,
                                     eval_train_size=None, seed=s_,
                                     desc=f"seed {s_}: {cond} / {name}")
                runs[(cond, name, s_)] = r
                report.phase(f"seed {s_}: {cond} / {name}", r.seconds)
                if s_ == seeds[0] and r.final_test_acc < 0.2 and act == "relu":
                    dead[(cond, name)] = _dead_fraction(net, data.x_test[:500])

    def rs(cond, name):
        return [runs[(cond, name, s_)] for s_ in seeds]

    def final(cond, name):
        return np.array([r.final_test_acc for r in rs(cond, name)])

    never = iters + every

    def to_level(cond, name):
        return np.array([reached(r.steps, r.test_acc, LEVEL, never) for r in rs(cond, name)])

    # built when drawn, so that the Japanese figure's legend is in Japanese
    def panels():
        return {f"{name}, {cond}": train_test_curves(rs(cond, name))
                for cond in CONDITIONS for name in opts}

    broken = {f"{name}, {cond}" for cond in CONDITIONS for name in opts
              if any(r.diverged for r in rs(cond, name))}
    report.figure("accuracy.png", lambda: plot_curve_grid(
        panels(), ncols=len(opts), diverged=broken,
        title=tr("accuracy during training (rows: conditions; columns: optimizers)",
                 "学習中の正解率 (行: 条件、列: 最適化手法)")),
        tr("Training-set and test-set accuracy of every optimizer under each condition "
           "(the DAY2 report's figures); line: mean over the seeds, band: their range.",
           "各条件での各最適化手法の訓練・テスト正解率 (DAY2 レポートの図); 線はシードの平均、"
           "帯は範囲。"))
    compare = {cond: {name: (rs(cond, name)[0].steps,
                             np.array([r.test_acc for r in rs(cond, name)]))
                      for name in opts} for cond in CONDITIONS}
    report.figure("test_accuracy_by_condition.png", lambda: plot_curve_grid(
        compare, ncols=3, ylabel=tr("test accuracy", "テストデータの正解率"),
        title=tr("test accuracy: the optimizers side by side",
                 "テストデータの正解率: 最適化手法の比較")),
        tr("Test accuracy of the six optimizers, one panel per condition (mean over the "
           "seeds, band: their range).",
           "6 つの最適化手法のテスト正解率、条件ごとに 1 枚 (シードの平均、帯は範囲)。"))

    rows = []
    for cond in CONDITIONS:
        for name in opts:
            group = rs(cond, name)
            train = [r.final_train_acc for r in group]
            quarter = [_acc_at(r, 0.25) for r in group]
            rows.append([cond, name, spread(train), spread(final(cond, name)),
                         spread(quarter), spread(to_level(cond, name)),
                         f"{sum(r.diverged for r in group)}/{len(seeds)}",
                         float(np.mean([r.seconds for r in group]))])
            r0 = group[0]
            report.result(f"{cond}/{name}", {
                "final_train_acc": float(np.mean(train)),
                "final_test_acc": float(final(cond, name).mean()),
                "final_test_acc_per_seed": final(cond, name).tolist(),
                "test_acc_quarter": float(np.mean(quarter)),
                "iterations_to_level": to_level(cond, name).tolist(),
                "diverged": any(r.diverged for r in group), "steps": r0.steps,
                "test_acc": r0.test_acc, "train_acc": r0.train_acc})
    report.table(["condition", "optimizer", "train acc", "test acc",
                  f"test acc at {iters // 4}", f"iterations to {LEVEL:.0%} test acc",
                  "diverged", "seconds"], rows,
                 caption=tr(f"Final accuracies (mean ± 95 % interval over the seeds), the "
                            f"test accuracy after a quarter of the iterations, and the "
                            f"iterations to reach {LEVEL:.0%} test accuracy ({never} = not "
                            "within the run): how fast it learns.",
                            f"最終的な正解率 (シードの平均 ± 95 % 区間)、1/4 経過時のテスト"
                            f"正解率、テスト正解率 {LEVEL:.0%} に届くまでのイテレーション "
                            f"({never} = 届かず): 学習の速さ。"))

    # -- the 2-D paths
    popts = _path_optimizers()
    paths = curriculum.optimizer_paths(steps=30, optimizers=popts)
    report.setting("2-D paths", "30 steps from (-7, 2) on x²/20 + y²: " + "; ".join(
        f"{n} optim.{c.__name__}({_kwargs_text(k)})" for n, (c, k) in popts.items())
        + " (Adam with the textbook's per-step eps, see optim.curriculum)")
    report.figure("paths.png", lambda: viz.plot_optimizer_paths(
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

    # -- claims, one number per seed each
    sg = "sigmoid-gauss-batch_FALSE"
    adaptive = np.min([final(sg, n) for n in ("AdaGrad", "RMSProp", "Adam")], axis=0)
    report.claim(tr("With sigmoid + gauss, plain SGD hardly moves while the adaptive methods "
                    "(AdaGrad, RMSProp, Adam) learn",
                    "sigmoid + gauss では素の SGD はほとんど進まず、適応的な手法 (AdaGrad、"
                    "RMSProp、Adam) は学習する"),
                 [check(final(sg, "SGD"), 0.3, "<"),
                  check(adaptive - final(sg, "SGD"), 0.2)],
                 tr(f"test accuracy SGD {spread(final(sg, 'SGD'))}; AdaGrad / RMSProp / Adam "
                    + " / ".join(spread(final(sg, n)) for n in ("AdaGrad", "RMSProp", "Adam"))
                    + " (hardly = below 0.3; learn = the worst of the three 0.2 above SGD)",
                    f"テスト正解率 SGD {spread(final(sg, 'SGD'))}; AdaGrad / RMSProp / Adam "
                    + " / ".join(spread(final(sg, n)) for n in ("AdaGrad", "RMSProp", "Adam"))
                    + " (ほとんど = 0.3 未満; 学習する = 3 つの最低でも SGD より 0.2 高い)"))
    nobn, bn = "ReLU-He-batch_FALSE", "ReLU-He-batch_TRUE"
    behind = np.min([final(c, "Adam") - np.max([final(c, n) for n in opts], axis=0)
                     for c in (sg, nobn)], axis=0)
    report.claim(tr("Adam is among the best without batch norm (the DAY2 report: 'Adam scores "
                    "best')", "バッチ正規化なしでは Adam が最良の部類 (DAY2 レポート: "
                    "「Adam のスコアが最も良い」)"),
                 check(behind, -0.03),
                 tr(f"Adam's test accuracy minus the best optimizer's, the worse of {sg} and "
                    f"{nobn}: {spread(behind)} (among the best = within 0.03)",
                    f"Adam のテスト正解率 − 最良の手法のもの ({sg} と {nobn} の悪い方): "
                    f"{spread(behind)} (最良の部類 = 差 0.03 以内)"))

    def learned_spread(c):
        out = []
        for i in range(len(seeds)):
            v = [final(c, n)[i] for n in opts if final(c, n)[i] >= 0.2]
            out.append(max(v) - min(v) if v else float("nan"))
        return np.array(out)

    sp_nobn, sp_bn = learned_spread(nobn), learned_spread(bn)
    failed = {c: [n for n in opts if (final(c, n) < 0.2).any()] for c in (nobn, bn)}
    report.claim(tr("With batch norm the optimizers end up closer to each other (the DAY2 "
                    "report: 'with ReLU-He-batch_TRUE no optimizer changes much')",
                    "バッチ正規化ありでは最適化手法どうしの差が小さくなる (DAY2 レポート: "
                    "「ReLU-He-batch_TRUE ではどの手法もあまり変わらない」)"),
                 check(sp_nobn - sp_bn, 0.0),
                 tr(f"best − worst test accuracy of the runs that learned (above 0.2): "
                    f"{spread(sp_nobn)} without batch norm, {spread(sp_bn)} with"
                    + "".join(f"; below 0.2 at some seed {'with' if c == bn else 'without'} "
                              f"batch norm: {', '.join(failed[c])}" for c in (nobn, bn)
                              if failed[c]),
                    f"学習した (0.2 超) 実行の最良 − 最悪のテスト正解率: バッチ正規化なし "
                    f"{spread(sp_nobn)}、あり {spread(sp_bn)}"
                    + "".join(f"; {'あり' if c == bn else 'なし'}でいずれかのシードが 0.2 未満: "
                              f"{', '.join(failed[c])}" for c in (nobn, bn) if failed[c])))
    for c in (nobn, bn):
        for name in failed[c]:
            why = tr(", the loss diverged", "、損失が発散") \
                if any(r.diverged for r in rs(c, name)) else ""
            if (c, name) in dead:
                why += tr("; dead ReLU units (never positive on 500 test images) per layer "
                          f"at seed {seeds[0]}: ", f"; シード {seeds[0]} での層ごとの死んだ "
                          "ReLU ユニット (テスト画像 500 枚で一度も正にならない): ") \
                    + ", ".join(f"{d:.0%}" for d in dead[(c, name)])
                report.result(f"{c}/{name}/dead_relu_fraction", dead[(c, name)])
            other = bn if c == nobn else nobn
            report.note(tr(f"{name} did not learn under {c} at some seed (test accuracy "
                           f"{spread(final(c, name))}{why}); under {other} it reaches "
                           f"{spread(final(other, name))}.",
                           f"{name} は {c} でいずれかのシードで学習しませんでした (テスト正解率 "
                           f"{spread(final(c, name))}{why})。{other} では "
                           f"{spread(final(other, name))}。"))
    it_nobn = np.mean([to_level(nobn, n) for n in opts], axis=0)
    it_bn = np.mean([to_level(bn, n) for n in opts], axis=0)
    report.claim(tr("Batch norm makes learning faster (確認テスト4)",
                    "バッチ正規化で学習が速くなる (確認テスト4)"),
                 check(it_nobn - it_bn, 0.0),
                 tr(f"iterations to {LEVEL:.0%} test accuracy, mean of the six optimizers "
                    f"({never} = not reached): {spread(it_nobn)} without, {spread(it_bn)} "
                    "with batch norm",
                    f"テスト正解率 {LEVEL:.0%} に届くまでのイテレーション、6 手法の平均 "
                    f"({never} = 届かず): なし {spread(it_nobn)}、あり {spread(it_bn)}"))
    others = [flips[n] for n in ("Momentum", "AdaGrad", "Adam")]
    report.effect(tr("On x²/20 + y², SGD zigzags across the steep y direction while Momentum, "
                     "AdaGrad and Adam take smoother paths",
                     "x²/20 + y² 上で SGD は急な y 方向にジグザグに進み、Momentum・AdaGrad・"
                     "Adam はより滑らかな経路をとる"),
                  flips["SGD"] >= 20 and max(others) < flips["SGD"] // 2,
                  tr(f"y changes sign {flips['SGD']} times in 30 SGD steps; Momentum / "
                     f"AdaGrad / Adam: {' / '.join(str(o) for o in others)} (deterministic: "
                     "no seed involved)",
                     f"30 ステップの SGD で y の符号が {flips['SGD']} 回変わる; Momentum / "
                     f"AdaGrad / Adam: {' / '.join(str(o) for o in others)} (決定的: "
                     "シードに依らない)"))
    gaps = sorted(((float(np.mean([r.final_train_acc - r.final_test_acc for r in rs(c, n)])),
                    c, n) for c in CONDITIONS for n in opts), reverse=True)[:3]
    report.note(tr("The DAY2 report (DAY2 レポート) also remarks that AdaGrad and RMSProp "
                   "sometimes separate the training and test scores (overfitting). The "
                   "largest gaps between the final training and test accuracy in this "
                   "run (mean over the seeds): ",
                   "DAY2 レポートは AdaGrad と RMSProp で訓練とテストのスコアが離れる (過学習) "
                   "こともあると述べています。この実行での最終訓練・テスト正解率の差の上位 "
                   "(シードの平均): ")
                + "; ".join(f"{n} / {c}: {gap:+.3f}" for gap, c, n in gaps) + ".")
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
