"""``weight-init``: activation histograms of five layers of 100 units for initial weights
N(0, 1), N(0, 0.01²), Xavier and He with sigmoid / tanh / ReLU, and the zero-init
symmetry demonstration (DAY2 レポート: 確認テスト3 and the 勾配消失問題 section; the
book's ``weight_init_activation_histogram.py``).

The histograms need no training: 1,000 random inputs of 100 features go through
``MultiLayerNet(100, [100] * 5, 10, activation, weight_init_std)`` and
``net.activations(x)`` returns every hidden layer's output.
"""
import numpy as np

from .base import Report, load_data, register, rng, seeds_for, tr, train_classifier
from .claims import check, spread

INITS = {"std 1": 1.0, "std 0.01": 0.01, "Xavier": "xavier", "He": "he"}
ACTIVATIONS = ("sigmoid", "tanh", "relu")
RANGES = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0), "relu": (0.0, 1.0)}


@register("weight-init",
          summary="activation histograms of 5x100 layers for std 1 / 0.01 / Xavier / He "
                  "with sigmoid, tanh, ReLU; zero init keeps hidden units identical")
def run(out_dir, full=False, smoke=False, seed=0) -> Report:
    """Histograms for 3 activations × 4 initialisations, then zero init vs Xavier."""
    import tinygrad_jp as tg
    from .. import optim, viz
    from ..autograd import no_grad
    from ..models import MultiLayerNet

    seeds = seeds_for(seed, full, smoke)
    report = Report("weight-init", out_dir, tr("Initial weights: activation distributions and "
                                               "the zero-init symmetry",
                                               "重みの初期値: 活性化の分布と 0 初期化の対称性"),
                    full=full, smoke=smoke, seed=seed, seeds=seeds,
                    description="DAY2 レポート: 'sigmoid/tanh → Xavier, ReLU → He', and "
                                "確認テスト3 ('what if every initial weight is 0? every node "
                                "outputs the same value and every weight gets the same "
                                "update').")
    n_samples = 1000
    report.setting("histogram inputs", f"{n_samples} × 100 values from N(0, 1)")
    report.setting("histogram network", "MultiLayerNet(100, [100] * 5, 10, activation, "
                                        "weight_init_std), biases 0")
    report.setting("initial weights", "std 1 = N(0, 1), std 0.01 = N(0, 0.01²), Xavier = "
                                      "N(0, 1/n), He = N(0, 2/n) (n = fan-in = 100)")
    all_stats = {}
    for s_ in seeds:
        x = tg.Tensor(rng(s_, 1).standard_normal((n_samples, 100)).astype(np.float32))
        for act in ACTIVATIONS:
            acts = {}
            for init_name, init in INITS.items():
                tg.manual_seed(s_)
                net = MultiLayerNet(100, [100] * 5, 10, activation=act, weight_init_std=init)
                with no_grad():
                    acts[init_name] = [a.data for a in net.activations(x)]
            all_stats.setdefault(s_, {})[act] = acts
    stats = all_stats[seeds[0]]
    for act in ACTIVATIONS:
        report.figure(f"histograms_{act}.png", lambda act=act: _hist_grid(act, stats[act]),
                      f"{act}: distribution of each layer's activations (columns: layers 1–5; "
                      f"rows: initial weights; seed {seeds[0]}); counts on a log scale, values "
                      "outside the panel's range piled into its edge bins and marked"
                      + (", the exact zeros of ReLU drawn as a red bar at 0" if act == "relu"
                         else ""))

    rows = []
    for act, acts in stats.items():
        for init_name, layers in acts.items():
            stds = [float(a.std()) for a in layers]
            sat = _saturated(act, layers[-1])
            rows.append([act, init_name] + stds + [sat])
            report.result(f"{act}/{init_name}", {"layer_std": stds, "saturated_last": sat})
    report.table(["activation", "init", "std L1", "std L2", "std L3", "std L4", "std L5",
                  "saturated L5"], rows,
                 caption="Standard deviation of each layer's activations, and the fraction "
                         "of layer-5 activations in the flat parts of the activation "
                         "(sigmoid < 0.02 or > 0.98, |tanh| > 0.96; ReLU: exactly 0).")

    def std(act, init, layer):
        return np.array([float(all_stats[s_][act][init][layer].std()) for s_ in seeds])

    sig_sat = np.array([_saturated("sigmoid", all_stats[s_]["sigmoid"]["std 1"][-1])
                        for s_ in seeds])
    report.claim(tr("With N(0, 1) weights the sigmoid's outputs pile up at 0 and 1, where "
                    "its derivative is almost 0 (the gradient vanishes)",
                    "N(0, 1) の重みではシグモイドの出力が 0 と 1 に偏り、そこでは微分がほぼ 0 "
                    "になる (勾配消失)"), check(sig_sat, 0.5),
                 tr(f"fraction of layer 5's outputs below 0.02 or above 0.98: "
                    f"{spread(sig_sat)}",
                    f"5 層目の出力のうち 0.02 未満か 0.98 超の割合: {spread(sig_sat)}"))
    s001 = std("sigmoid", "std 0.01", 4)
    report.claim(tr("With N(0, 0.01²) weights every sigmoid output is about 0.5: the units "
                    "all say the same thing (表現力の制限)",
                    "N(0, 0.01²) の重みではシグモイドの出力はどれも約 0.5: どのユニットも同じ"
                    "ことを言う (表現力の制限)"), check(s001, 0.02, "<"),
                 tr(f"layer 5's outputs have std {spread(s001)}",
                    f"5 層目の出力の標準偏差 {spread(s001)}"))
    sx = [std("sigmoid", "Xavier", i) for i in (0, 4)]
    tx = [std("tanh", "Xavier", i) for i in (0, 4)]
    report.claim(tr("Xavier keeps sigmoid and tanh activations spread through all five "
                    "layers", "Xavier の初期値ではシグモイドと tanh の活性化が 5 層すべてで"
                    "広がりを保つ"),
                 [check(sx[1], 0.05), check(tx[1], 0.1), check(tx[1] / tx[0], 0.3)],
                 tr(f"std layer 1 → layer 5: sigmoid {spread(sx[0])} → {spread(sx[1])}, tanh "
                    f"{spread(tx[0])} → {spread(tx[1])}",
                    f"標準偏差 1 層目 → 5 層目: シグモイド {spread(sx[0])} → {spread(sx[1])}、"
                    f"tanh {spread(tx[0])} → {spread(tx[1])}"))
    rx = [std("relu", "Xavier", i) for i in (0, 4)]
    rh = [std("relu", "He", i) for i in (0, 4)]
    report.claim(tr("With ReLU, Xavier's activations shrink layer after layer while He "
                    "keeps their scale", "ReLU では Xavier の活性化は層ごとに縮み、He は"
                    "大きさを保つ"),
                 [check(rx[1] / rx[0], 0.5, "<"), check(rh[1] / rh[0], 0.6)],
                 tr(f"std layer 5 / layer 1: Xavier {spread(rx[1] / rx[0])}, He "
                    f"{spread(rh[1] / rh[0])}",
                    f"標準偏差の比 5 層目 / 1 層目: Xavier {spread(rx[1] / rx[0])}、He "
                    f"{spread(rh[1] / rh[0])}"))

    # -- zero initial weights: the symmetry never breaks
    iters = 100 if smoke else 1000
    data = load_data(full=full, smoke=smoke, seed=seed)
    report.data_note(data)
    report.setting("zero-init network", "MultiLayerNet(784, [100, 100], 10, 'sigmoid'), "
                                        "SGD lr 0.1, batch 100")
    report.setting("zero-init iterations", iters)
    zero, nets, distinct = {}, {}, {"zero": [], "Xavier": []}
    for s_ in seeds:
        for name, init in (("zero", 0), ("Xavier", "xavier")):
            tg.manual_seed(s_)
            net = MultiLayerNet(784, [100, 100], 10, activation="sigmoid",
                                weight_init_std=init)
            opt = optim.SGD(net.parameters(), lr=0.1)
            res = train_classifier(net, opt, data, iters, batch_size=100,
                                   eval_every=max(iters // 20, 1), seed=s_,
                                   desc=f"seed {s_}: sigmoid MLP, {name} initial weights")
            w1 = net.linears[0].weight.data
            spread_w = float(w1.std(axis=0).max())          # across hidden units, per input
            n_distinct = int(len(np.unique(np.round(w1, 6), axis=0)))
            distinct[name].append(n_distinct)
            if s_ == seeds[0]:
                zero[name] = {"test_acc": res.final_test_acc, "train_acc": res.final_train_acc,
                              "unit_spread": spread_w, "distinct_units": n_distinct,
                              "steps": res.steps, "test_acc_curve": res.test_acc}
                nets[name] = net
                report.result(f"zero_init/{name}", zero[name])
            report.phase(f"seed {s_}: train {name} init", res.seconds)
    report.table(["initial weights", "test acc", "distinct hidden units in layer 1 (of 100)",
                  "largest spread of a weight across units"],
                 [[k, v["test_acc"], v["distinct_units"], v["unit_spread"]]
                  for k, v in zero.items()],
                 caption=f"Zero initial weights against Xavier after {iters} SGD steps "
                         f"(seed {seeds[0]}).")
    images = np.concatenate([nets[k].linears[0].weight.data[:8].reshape(8, 28, 28)
                             for k in ("zero", "Xavier")])
    report.figure("zero_init_units.png", lambda: viz.plot_image_grid(
        images, ncols=8, normalize="per_image",
        row_labels=[tr("zero init", "初期値 0"), "Xavier"],
        title=tr("incoming weights of hidden units 1–8 after training: zero init (top) vs "
                 "Xavier (bottom)",
                 "学習後の隠れユニット 1〜8 への重み: 初期値 0 (上) と Xavier (下)")),
        "The first-layer weights of eight hidden units after training, as 28×28 images: "
        "with zero initial weights they are all the same picture.")
    report.claim(tr("With every initial weight 0, every hidden unit gets the same update, so "
                    "the units stay identical (確認テスト3)",
                    "重みの初期値をすべて 0 にすると、どの隠れユニットも同じ更新を受け、"
                    "ユニットは同じままになる (確認テスト3)"),
                 [check(distinct["zero"], 1.5, "<"), check(distinct["Xavier"], 90)],
                 tr(f"distinct incoming-weight vectors in layer 1 after training, per seed: "
                    f"{', '.join(str(d) for d in distinct['zero'])} (zero init) vs "
                    f"{', '.join(str(d) for d in distinct['Xavier'])} (Xavier)",
                    f"学習後の 1 層目で互いに異なる入力重みベクトルの数 (シードごと): "
                    f"{', '.join(str(d) for d in distinct['zero'])} (初期値 0)、"
                    f"{', '.join(str(d) for d in distinct['Xavier'])} (Xavier)"))
    report.note("The histograms use random N(0, 1) inputs, as the book's "
                "`weight_init_activation_histogram.py`. Counts are on a log scale so that a "
                "thin tail stays visible; a value outside a panel's range is counted in the "
                "edge bin, which is then marked with its share. In the ReLU panels the exact "
                "zeros (the units that are off, about half) are the red bar at 0, with their "
                "share written above it.")
    return report


def _saturated(act, a):
    if act == "sigmoid":
        return float(((a < 0.02) | (a > 0.98)).mean())
    if act == "tanh":
        return float((np.abs(a) > 0.96).mean())
    return float((a == 0).mean())


def _hist_grid(act, acts):
    """Rows: initial weights; columns: layers. Every value is counted: counts are on a
    log scale, values outside the row's range (set by layer 1) go into the edge bins,
    which are then marked with their share, and ReLU's exact zeros are a red bar at 0
    with their share written above it; each panel prints the std of its values."""
    from ..viz.plots import _figure
    rows = len(acts)
    fig = _figure((11.0, 2.0 * rows + 0.4))
    axes = fig.subplots(rows, 5, squeeze=False)
    for r, (init_name, layers) in enumerate(acts.items()):
        lo, hi = RANGES[act]
        if act == "relu":
            first = layers[0][layers[0] > 0]
            hi = float(np.percentile(first, 99.5)) if first.size else 1.0
        for c, a in enumerate(layers):
            ax = axes[r, c]
            flat = a.ravel()
            zeros = flat == 0 if act == "relu" else np.zeros(flat.shape, bool)
            values = np.clip(flat[~zeros], lo, hi)
            counts, edges = np.histogram(values, bins=30, range=(lo, hi))
            ax.stairs(counts, edges, fill=True, color="tab:blue")
            width = edges[1] - edges[0]
            if zeros.any():
                ax.bar(0, zeros.sum(), width=width, color="tab:red", align="edge")
                ax.text(width, zeros.sum(), f"0: {zeros.mean():.0%}", fontsize=7,
                        color="tab:red", va="bottom")
            out_hi = float((flat[~zeros] > hi).mean()) if (~zeros).any() else 0.0
            if out_hi > 0.001:
                ax.annotate(f"≥{tr('edge', '端')}: {out_hi:.0%}", (hi, counts[-1] or 1),
                            fontsize=7, color="tab:purple", ha="right", va="bottom")
            ax.set_yscale("log")
            ax.set_ylim(0.8, len(flat) * 1.5)
            ax.set_yticks([])
            ax.minorticks_off()
            ax.text(0.97, 0.95, f"σ={a.std():.3g}", transform=ax.transAxes, ha="right",
                    va="top", fontsize=8,
                    bbox=dict(facecolor="white", alpha=0.8, edgecolor="none", pad=1))
            if r == 0:
                ax.set_title(tr(f"layer {c + 1}", f"{c + 1} 層目"), fontsize=9)
            if c == 0:
                ax.set_ylabel(init_name)
    extra = tr(" (red: exact zeros; range set by layer 1; log counts)",
               " (赤: ちょうど 0、範囲は 1 層目に合わせる、度数は対数)") if act == "relu" else \
        tr(" (log counts)", " (度数は対数)")
    fig.suptitle(f"{act}: " + tr("activations of five layers of 100 units",
                                 "100 ユニット × 5 層の活性化の分布") + extra)
    return fig
