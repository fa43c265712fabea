"""``vanishing-gradient``: sigmoid vs ReLU × gauss(0.01) / Xavier / He on a shallow and a
deep MultiLayerNet (DAY2 レポート, 勾配消失問題 / 実装演習).

The curriculum trains ``MultiLayerNet(784, hidden_size_list, 10)`` with
``hidden_size_list=[40, 20]`` and ``[160, 80, 40, 20]`` by plain SGD (lr 0.1, batch 100,
2,000 iterations, accuracies every 10) and finds that the deep net with small Gaussian
weights does not learn, while Xavier / He initial weights (and ReLU) fix it.
"""
import numpy as np

from .base import (Report, load_data, plot_curve_grid, register, seeds_for,
                   train_classifier, train_test_curves, tr)
from .claims import check, difference, reached, spread

DEPTHS = {"shallow": [40, 20], "deep": [160, 80, 40, 20]}
ACTIVATIONS = ("sigmoid", "relu")
INITS = {"gauss": 0.01, "xavier": "xavier", "he": "he"}


def _settings(full, smoke):
    if smoke:
        return dict(iters=120, eval_every=20, eval_train=None)
    return dict(iters=2000, eval_every=20, eval_train=None)


@register("vanishing-gradient",
          summary="sigmoid vs ReLU x gauss(0.01)/Xavier/He on [40,20] and [160,80,40,20]: "
                  "accuracy curves and per-layer gradient norms")
def run(out_dir, full=False, smoke=False, seed=0) -> Report:
    """Train the 12 networks and write the curves, gradient norms and report."""
    import tinygrad_jp as tg
    from .. import optim, viz
    from ..models import MultiLayerNet

    seeds = seeds_for(seed, full, smoke)
    report = Report("vanishing-gradient", out_dir, tr(
        "Vanishing gradients: activation × initial weights × depth",
        "勾配消失: 活性化関数 × 重みの初期値 × 層の深さ"), full=full, smoke=smoke, seed=seed,
        seeds=seeds,
        description=tr("DAY2 レポート (勾配消失問題, 実装演習): `MultiLayerNet` with "
                       "`hidden_size_list=[40, 20]` and `[160, 80, 40, 20]`, sigmoid and "
                       "ReLU, initial weights N(0, 0.01²) ('gauss'), Xavier (N(0, 1/n)) and "
                       "He (N(0, 2/n)), trained by plain SGD.",
                       "DAY2 レポート (勾配消失問題, 実装演習): `hidden_size_list=[40, 20]` と "
                       "`[160, 80, 40, 20]` の `MultiLayerNet` を、sigmoid と ReLU、重みの"
                       "初期値 N(0, 0.01²) ('gauss')・Xavier (N(0, 1/n))・He (N(0, 2/n)) で、"
                       "素の SGD で学習します。"))
    cfg = _settings(full, smoke)
    data = load_data(full=full, smoke=smoke, seed=seed)
    report.data_note(data)
    report.setting("network", "MultiLayerNet(784, hidden_size_list, 10)")
    report.setting("hidden_size_list", "shallow [40, 20], deep [160, 80, 40, 20]")
    report.setting("activations", "sigmoid, relu")
    report.setting("initial weights", "gauss = N(0, 0.01²), xavier = N(0, 1/n), he = N(0, 2/n)")
    report.setting("optimizer", "SGD, lr 0.1 (optim.SGD(lr=0.1))")
    report.setting("batch size", 100)
    report.setting("iterations", cfg["iters"])
    report.setting(tr("accuracy measured every", "正解率の測定間隔"),
                   f"{cfg['eval_every']} iterations "
                   + tr("(training: the whole training set; test: the whole test set)",
                        "(訓練: 訓練データ全体、テスト: テストデータ全体)"))

    runs = {}          # (key, seed) -> TrainResult
    for s_ in seeds:
        for depth, hidden in DEPTHS.items():
            for act in ACTIVATIONS:
                for init_name, init in INITS.items():
                    key = f"{depth}-{act}-{init_name}"
                    tg.manual_seed(s_)
                    net = MultiLayerNet(784, hidden, 10, activation=act, weight_init_std=init)
                    opt = optim.SGD(net.parameters(), lr=0.1)
                    layers = {f"layer {i + 1}": lin.weight
                              for i, lin in enumerate(net.linears)}
                    r = train_classifier(net, opt, data, cfg["iters"], batch_size=100,
                                         eval_every=cfg["eval_every"],
                                         eval_train_size=cfg["eval_train"],
                                         grad_layers=layers, seed=s_,
                                         desc=f"seed {s_}: {depth} {act} + {init_name}")
                    runs[(key, s_)] = r
                    report.phase(f"seed {s_}: {key}", r.seconds)
    keys = [f"{d}-{a}-{i}" for d in DEPTHS for a in ACTIVATIONS for i in INITS]
    first = seeds[0]

    # -- figures
    # built when drawn, so that the Japanese figure's legend is in Japanese
    def panels():
        return {f"{act} + {init_name}, {hidden}": train_test_curves(
                    [runs[(f"{depth}-{act}-{init_name}", s_)] for s_ in seeds])
                for depth, hidden in DEPTHS.items() for act in ACTIVATIONS for init_name in INITS}

    report.figure("accuracy.png", lambda: plot_curve_grid(
        panels(), ncols=3, title=tr("accuracy during training (columns: initial weights; rows: "
                                  "activation and depth)",
                                  "学習中の正解率 (列: 重みの初期値、行: 活性化関数と層の深さ)")
        + (tr(f"; line: mean of {len(seeds)} seeds, band: lowest to highest",
              f"; 線: {len(seeds)} シードの平均、帯: 最小〜最大") if len(seeds) > 1 else "")),
        tr("Accuracy on the training set and the test set during training, one panel per "
           "network (as in the curriculum's figures)",
           "学習中の訓練データとテストデータの正解率、ネットワークごとに 1 枚 (カリキュラムの図と"
           "同じ)") + (tr(f"; the line is the mean of the {len(seeds)} seeds, the band spans "
                          "them.", f"。線は {len(seeds)} シードの平均、帯はその範囲。")
                       if len(seeds) > 1 else "."))
    for key in ("deep-sigmoid-gauss", "deep-relu-he"):
        act, init_name = key.split("-")[1:]
        r0 = runs[(key, first)]
        report.figure(f"grad_norms_{key.replace('-', '_')}.png", lambda r0=r0, act=act,
                      init_name=init_name: viz.plot_grad_norms(
                          _layer_names(r0.grad_norms), steps=r0.steps,
                          title=f"{act} + {init_name}, [160, 80, 40, 20]: "
                          + tr("weight-gradient norm per layer", "層ごとの重みの勾配のノルム")
                          + tr(f" (seed {first})", f" (シード {first})")),
                      tr(f"Gradient norm of each layer's weights during training, deep net, "
                         f"{act} + {init_name}, seed {first} (layer 1 is next to the input).",
                         f"学習中の各層の重みの勾配のノルム (深いネット、{act} + {init_name}、"
                         f"シード {first}; 1 層目が入力側)。"))
    report.figure("grad_norm_by_layer.png", lambda: _plot_by_layer(runs, seeds),
                  tr("Gradient norm of each layer's weights at the first iteration, deep "
                     "net (geometric mean over the seeds): with sigmoid + gauss it shrinks "
                     "by orders of magnitude towards the input.",
                     "1 イテレーション目の各層の重みの勾配のノルム (深いネット、シードの幾何"
                     "平均): sigmoid + gauss では入力側へ桁違いに小さくなる。"))

    # -- numbers
    def per_seed(key, fn):
        return np.array([fn(runs[(key, s_)]) for s_ in seeds], dtype=float)

    def start_ratio(r):
        first_norms = list(r.start_grad_norms.values())
        return first_norms[0] / first_norms[-1] if first_norms[-1] > 0 else float("nan")

    acc = {k: per_seed(k, lambda r: r.final_test_acc) for k in keys}
    train_acc = {k: per_seed(k, lambda r: r.final_train_acc) for k in keys}
    ratios = {k: per_seed(k, start_ratio) for k in keys}
    rows = []
    for key in keys:
        depth, act, init_name = key.split("-")
        r0 = runs[(key, first)]
        norms = list(r0.start_grad_norms.values())
        rows.append([depth, act, init_name, spread(train_acc[key]), spread(acc[key]),
                     norms[0], norms[-1], spread(ratios[key]),
                     float(np.mean([runs[(key, s_)].seconds for s_ in seeds]))])
        report.result(key, {"final_train_acc": float(train_acc[key].mean()),
                            "final_test_acc": float(acc[key].mean()),
                            "final_test_acc_per_seed": acc[key].tolist(),
                            "first_grad_norms": norms,
                            "grad_ratio_first_last": float(np.nanmean(ratios[key])),
                            "grad_ratio_per_seed": ratios[key].tolist(),
                            "steps": r0.steps, "test_acc": r0.test_acc,
                            "train_acc": r0.train_acc, "seconds": r0.seconds})
    report.table(["depth", "activation", "init", tr("train acc", "訓練正解率"),
                  tr("test acc", "テスト正解率"), f"‖∇W₁‖ (it. 1, seed {first})",
                  f"‖∇W_last‖ (it. 1, seed {first})", tr("ratio first/last", "比 最初/最後"),
                  tr("seconds", "秒")], rows,
                 caption=tr("Final accuracies (on the whole training and test sets; mean ± "
                            "95 % interval over the seeds), and the weight-gradient norms of "
                            "the first and last layers at the first iteration.",
                            "最終的な正解率 (訓練・テストデータ全体; シードの平均 ± 95 % 区間) と、"
                            "1 イテレーション目の最初と最後の層の重みの勾配のノルム。"))

    chance = 0.1
    sg, rh = acc["deep-sigmoid-gauss"], acc["deep-relu-he"]
    report.claim(tr("On the deep net, sigmoid with N(0, 0.01²) weights barely learns",
                    "深いネットでは、N(0, 0.01²) の重みの sigmoid はほとんど学習しない"),
                 check(sg, chance + 0.15, "<"),
                 tr(f"test accuracy {spread(sg)} (chance {chance:.2f}; 'barely' = below "
                    f"{chance + 0.15:.2f})",
                    f"テスト正解率 {spread(sg)} (偶然 {chance:.2f}; 'ほとんど' = "
                    f"{chance + 0.15:.2f} 未満)"))
    report.claim(tr("ReLU with He initial weights learns on the deep net",
                    "ReLU と He の初期値なら深いネットでも学習する"),
                 [difference(rh, sg, 0.3), check(rh, 0.5)],
                 tr(f"test accuracy {spread(rh)} against {spread(sg)} for sigmoid + gauss "
                    "(learns = above 0.5 and 0.3 above sigmoid + gauss)",
                    f"テスト正解率 {spread(rh)}、sigmoid + gauss は {spread(sg)} (学習する = "
                    "0.5 超かつ sigmoid + gauss より 0.3 以上高い)"))
    sg_s = acc["shallow-sigmoid-gauss"]
    report.claim(tr("Sigmoid + gauss fails on the shallow [40, 20] net too, so its failure is "
                    "the tiny initial weights', not depth's alone",
                    "sigmoid + gauss は浅い [40, 20] でも学習しない: 失敗の原因は深さだけでなく"
                    "小さすぎる初期値"),
                 check(sg_s, chance + 0.15, "<"),
                 tr(f"test accuracy with [40, 20]: {spread(sg_s)}",
                    f"[40, 20] でのテスト正解率: {spread(sg_s)}"))
    rg_s, rg_d = acc["shallow-relu-gauss"], acc["deep-relu-gauss"]
    report.claim(tr("ReLU + gauss stops learning when the net is made deeper (the DAY2 "
                    "report's 'ReLU - gauss' runs)",
                    "ReLU + gauss は層を深くすると学習しなくなる (DAY2 レポートの 'ReLU - "
                    "gauss')"),
                 difference(rg_s, rg_d, 0.2),
                 tr(f"test accuracy {spread(rg_s)} with [40, 20], {spread(rg_d)} with "
                    "[160, 80, 40, 20] (stops = at least 0.2 lower)",
                    f"テスト正解率 [40, 20] で {spread(rg_s)}、[160, 80, 40, 20] で "
                    f"{spread(rg_d)} (学習しなくなる = 0.2 以上低い)"))
    ratio_sg, ratio_rh = ratios["deep-sigmoid-gauss"], ratios["deep-relu-he"]
    report.claim(tr("The gradient vanishes towards the input with sigmoid + gauss (the "
                    "reason it does not learn)",
                    "sigmoid + gauss では勾配が入力側へ向かって消える (学習しない理由)"),
                 [check(np.log10(ratio_sg), -2, "<"), check(np.log10(ratio_rh), -1, ">")],
                 tr(f"‖∇W₁‖/‖∇W₅‖ at the first iteration is {spread(ratio_sg)} for sigmoid + "
                    f"gauss (vanishes = below 1e-2), {spread(ratio_rh)} for ReLU + He (above "
                    "0.1); decided on log10 of the ratio",
                    f"1 イテレーション目の ‖∇W₁‖/‖∇W₅‖ は sigmoid + gauss で {spread(ratio_sg)} "
                    f"(消える = 1e-2 未満)、ReLU + He で {spread(ratio_rh)} (0.1 超); 比の "
                    "log10 で判定"))
    level = 0.5
    never = cfg["iters"] + cfg["eval_every"]

    def to_level(key):
        return per_seed(key, lambda r: reached(r.steps, r.test_acc, level, never))

    xs_it, hs_it = to_level("shallow-sigmoid-xavier"), to_level("shallow-sigmoid-he")
    report.claim(tr("With sigmoid, He initial weights learn faster than Xavier (the DAY2 "
                    "report's observation on [40, 20])",
                    "sigmoid では He の初期値が Xavier より速く学習する ([40, 20] での DAY2 "
                    "レポートの観察)"),
                 difference(xs_it, hs_it, 0),
                 tr(f"iterations to {level:.0%} test accuracy: He {spread(hs_it)}, Xavier "
                    f"{spread(xs_it)} ({never} = not within the run); final test accuracy He "
                    f"{spread(acc['shallow-sigmoid-he'])}, Xavier "
                    f"{spread(acc['shallow-sigmoid-xavier'])}",
                    f"テスト正解率 {level:.0%} に届くまでのイテレーション: He {spread(hs_it)}、"
                    f"Xavier {spread(xs_it)} ({never} = 実行中に届かず); 最終テスト正解率 He "
                    f"{spread(acc['shallow-sigmoid-he'])}、Xavier "
                    f"{spread(acc['shallow-sigmoid-xavier'])}"))
    report.note(tr("Xavier and He are drawn as in the curriculum's `MultiLayerNet`: "
                   "N(0, 1/n) and N(0, 2/n) with n the fan-in of the layer "
                   "(`nn.init.curriculum_normal_`). The data is Fashion-MNIST, which is harder "
                   "than the curriculum's MNIST, so accuracies are lower than the DAY2 "
                   "report's; the comparisons are what matter.",
                   "Xavier と He はカリキュラムの `MultiLayerNet` と同じく N(0, 1/n)、N(0, 2/n) "
                   "(n は層の入力数、`nn.init.curriculum_normal_`)。データは MNIST より難しい "
                   "Fashion-MNIST なので正解率は DAY2 レポートより低く、比較が要点です。"))
    return report


def _layer_names(norms):
    """``{"layer 1": ...}`` named in the figures' language (``"1 層目"``)."""
    return {tr(k, k.replace("layer ", "") + " 層目"): v for k, v in norms.items()}


def _plot_by_layer(runs, seeds):
    from ..viz.plots import _figure
    fig = _figure((7.4, 4.0))
    ax = fig.add_subplot(1, 1, 1)
    for act, style in (("sigmoid", "--"), ("relu", "-")):
        for init_name, marker in zip(INITS, "osD", strict=True):
            norms = np.array([list(runs[(f"deep-{act}-{init_name}", s)]
                                   .start_grad_norms.values()) for s in seeds])
            norms = np.where(norms > 0, norms, np.nan)
            with np.errstate(all="ignore"):
                first = np.exp(np.nanmean(np.log(norms), axis=0))
            ax.plot(np.arange(1, len(first) + 1), first, linestyle=style, marker=marker,
                    label=f"{act} + {init_name}")
    ax.set_yscale("log")
    ax.set_xlabel(tr("layer (1 = next to the input)", "層 (1 が入力側)"))
    ax.set_ylabel(tr("‖∇W‖ at iteration 1", "1 イテレーション目の ‖∇W‖"))
    ax.set_xticks(range(1, len(DEPTHS["deep"]) + 2))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0),
              borderaxespad=0.0)               # beside the plot: it hides no line
    ax.set_title("[160, 80, 40, 20]: " + tr("gradient norm by layer", "層ごとの勾配のノルム"))
    return fig
