"""``vanishing-gradient``: sigmoid vs ReLU × gauss(0.01) / Xavier / He on a shallow and a
deep MultiLayerNet (DAY2 レポート, 勾配消失問題 / 実装演習).

The curriculum trains ``MultiLayerNet(784, hidden_size_list, 10)`` with
``hidden_size_list=[40, 20]`` and ``[160, 80, 40, 20]`` by plain SGD (lr 0.1, batch 100,
2,000 iterations, accuracies every 10) and finds that the deep net with small Gaussian
weights does not learn, while Xavier / He initial weights (and ReLU) fix it.
"""
import numpy as np

from .base import (Report, load_data, plot_curve_grid, register, train_classifier,
                   train_test_curves, tr)

DEPTHS = {"shallow": [40, 20], "deep": [160, 80, 40, 20]}
ACTIVATIONS = ("sigmoid", "relu")
INITS = {"gauss": 0.01, "xavier": "xavier", "he": "he"}


def _settings(full, smoke):
    if smoke:
        return dict(iters=120, eval_every=20, eval_train=500)
    return dict(iters=2000, eval_every=10, eval_train=1000)


@register("vanishing-gradient",
          summary="sigmoid vs ReLU x gauss(0.01)/Xavier/He on [40,20] and [160,80,40,20]: "
                  "accuracy curves and per-layer gradient norms")
def run(out_dir, full=False, smoke=False, seed=0) -> Report:
    """Train the 12 networks and write the curves, gradient norms and report."""
    import tinygrad_jp as tg
    from .. import optim, viz
    from ..models import MultiLayerNet

    report = Report("vanishing-gradient", out_dir, "Vanishing gradients: activation × initial "
                    "weights × depth", full=full, smoke=smoke, seed=seed,
                    description="DAY2 レポート (勾配消失問題, 実装演習): `MultiLayerNet` with "
                                "`hidden_size_list=[40, 20]` and `[160, 80, 40, 20]`, sigmoid "
                                "and ReLU, initial weights N(0, 0.01²) ('gauss'), Xavier "
                                "(N(0, 1/n)) and He (N(0, 2/n)), trained by plain SGD.")
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
    report.setting("accuracy measured every", f"{cfg['eval_every']} iterations "
                   f"(training: {cfg['eval_train']} fixed training images; test: whole test "
                   "set)")

    runs = {}
    for depth, hidden in DEPTHS.items():
        for act in ACTIVATIONS:
            for init_name, init in INITS.items():
                key = f"{depth}-{act}-{init_name}"
                tg.manual_seed(seed)
                net = MultiLayerNet(784, hidden, 10, activation=act, weight_init_std=init)
                opt = optim.SGD(net.parameters(), lr=0.1)
                layers = {f"layer {i + 1}": lin.weight for i, lin in enumerate(net.linears)}
                runs[key] = train_classifier(net, opt, data, cfg["iters"], batch_size=100,
                                             eval_every=cfg["eval_every"],
                                             eval_train_size=cfg["eval_train"],
                                             grad_layers=layers, seed=seed,
                                             desc=f"{depth} {act} + {init_name}")
                report.phase(key, runs[key].seconds)

    # -- figures
    panels = {}
    for depth, hidden in DEPTHS.items():
        for act in ACTIVATIONS:
            for init_name in INITS:
                r = runs[f"{depth}-{act}-{init_name}"]
                panels[f"{act} + {init_name}, {hidden}"] = train_test_curves(r)
    report.figure("accuracy.png", plot_curve_grid(
        panels, ncols=3, title=tr("accuracy during training (columns: initial weights; rows: "
                                  "activation and depth)",
                                  "学習中の正解率 (列: 重みの初期値、行: 活性化関数と層の深さ)")),
        "Accuracy on the training set and the test set during training, one panel per "
        "network (as in the curriculum's figures).")
    for key in ("deep-sigmoid-gauss", "deep-relu-he"):
        act, init_name = key.split("-")[1:]
        report.figure(f"grad_norms_{key.replace('-', '_')}.png", viz.plot_grad_norms(
            _layer_names(runs[key].grad_norms), steps=runs[key].steps,
            title=f"{act} + {init_name}, [160, 80, 40, 20]: "
                  + tr("weight-gradient norm per layer", "層ごとの重みの勾配のノルム")),
            f"Gradient norm of each layer's weights during training, deep net, {act} + "
            f"{init_name} (layer 1 is next to the input).")
    report.figure("grad_norm_by_layer.png", _plot_by_layer(runs),
                  "Gradient norm of each layer's weights at the first measurement, deep net: "
                  "with sigmoid + gauss it shrinks by orders of magnitude towards the input.")

    # -- numbers
    rows = []
    ratios = {}
    for key, r in runs.items():
        depth, act, init_name = key.split("-")
        first = [v[0] for v in r.grad_norms.values()]
        ratio = first[0] / first[-1] if first[-1] > 0 else float("nan")
        ratios[key] = ratio
        rows.append([depth, act, init_name, r.final_train_acc, r.final_test_acc, first[0],
                     first[-1], ratio, r.seconds])
        report.result(key, {"final_train_acc": r.final_train_acc,
                            "final_test_acc": r.final_test_acc,
                            "first_grad_norms": first, "grad_ratio_first_last": ratio,
                            "steps": r.steps, "test_acc": r.test_acc,
                            "train_acc": r.train_acc, "seconds": r.seconds})
    report.table(["depth", "activation", "init", "train acc", "test acc",
                  "‖∇W₁‖ (start)", "‖∇W_last‖ (start)", "ratio first/last", "seconds"], rows,
                 caption="Final accuracies, and the weight-gradient norms of the first and "
                         "last layers at the first measurement.")

    acc = {k: r.final_test_acc for k, r in runs.items()}
    chance = 0.1
    sg, rh = acc["deep-sigmoid-gauss"], acc["deep-relu-he"]
    report.effect("On the deep net, sigmoid with N(0, 0.01²) weights barely learns",
                  sg < chance + 0.15,
                  f"test accuracy {sg:.3f} (chance {chance:.2f}; 'barely' = below "
                  f"{chance + 0.15:.2f})")
    report.effect("ReLU with He initial weights learns on the deep net",
                  rh > sg + 0.3 and rh > 0.5,
                  f"test accuracy {rh:.3f} against {sg:.3f} for sigmoid + gauss")
    rg_s, rg_d = acc["shallow-relu-gauss"], acc["deep-relu-gauss"]
    report.effect("ReLU + gauss stops learning when the net is made deeper (the DAY2 report's "
                  "'ReLU - gauss' runs)", rg_d < rg_s - 0.2,
                  f"test accuracy {rg_s:.3f} with [40, 20], {rg_d:.3f} with "
                  "[160, 80, 40, 20]")
    ratio_sg, ratio_rh = ratios["deep-sigmoid-gauss"], ratios["deep-relu-he"]
    report.effect("The gradient vanishes towards the input with sigmoid + gauss (the "
                  "reason it does not learn)", ratio_sg < 1e-2 and ratio_rh > 0.1,
                  f"‖∇W₁‖/‖∇W₅‖ at the start is {ratio_sg:.1e} for sigmoid + gauss, "
                  f"{ratio_rh:.2f} for ReLU + He")
    xs, hs = acc["shallow-sigmoid-xavier"], acc["shallow-sigmoid-he"]
    mid = len(runs["shallow-sigmoid-he"].test_acc) // 2
    xs_mid = runs["shallow-sigmoid-xavier"].test_acc[mid]
    hs_mid = runs["shallow-sigmoid-he"].test_acc[mid]
    report.effect("With sigmoid, He initial weights learn faster than Xavier (the DAY2 report's "
                  "observation on [40, 20])", hs_mid > xs_mid,
                  f"test accuracy halfway {hs_mid:.3f} (He) vs {xs_mid:.3f} (Xavier); at the "
                  f"end {hs:.3f} vs {xs:.3f}")
    report.note("Xavier and He are drawn as in the curriculum's `MultiLayerNet`: "
                "N(0, 1/n) and N(0, 2/n) with n the fan-in of the layer "
                "(`nn.init.curriculum_normal_`). The data is Fashion-MNIST, which is harder "
                "than the curriculum's MNIST, so accuracies are lower than the DAY2 report's; the "
                "comparisons are what matter.")
    return report


def _layer_names(norms):
    """``{"layer 1": ...}`` named in the figures' language (``"1 層目"``)."""
    return {tr(k, k.replace("layer ", "") + " 層目"): v for k, v in norms.items()}


def _plot_by_layer(runs):
    from ..viz.plots import _figure
    fig = _figure((7.4, 4.0))
    ax = fig.add_subplot(1, 1, 1)
    for act, style in (("sigmoid", "--"), ("relu", "-")):
        for init_name, marker in zip(INITS, "osD", strict=True):
            r = runs[f"deep-{act}-{init_name}"]
            first = np.array([v[0] for v in r.grad_norms.values()])
            first = np.where(first > 0, first, np.nan)
            ax.plot(np.arange(1, len(first) + 1), first, linestyle=style, marker=marker,
                    label=f"{act} + {init_name}")
    ax.set_yscale("log")
    ax.set_xlabel(tr("layer (1 = next to the input)", "層 (1 が入力側)"))
    ax.set_ylabel(tr("‖∇W‖ at the first measurement", "最初の測定での ‖∇W‖"))
    ax.set_xticks(range(1, len(DEPTHS["deep"]) + 2))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0),
              borderaxespad=0.0)               # beside the plot: it hides no line
    ax.set_title("[160, 80, 40, 20]: " + tr("gradient norm by layer", "層ごとの勾配のノルム"))
    return fig

