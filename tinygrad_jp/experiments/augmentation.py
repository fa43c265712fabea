"""``augmentation``: a CNN on 1,000 training images with and without the curriculum's
on-line augmentation (the lab report on a NumPy CNN and a GAN, 3.4 Data-augmentation).

The lab report (NumPy CNN and GAN) augments every mini-batch as it is drawn: an affine
map (rotation, shear, shift, zoom; inverse mapping with bilinear sampling) — "the most effective
augmentation, about 8 % better" —, multiplicative Gaussian noise ("about 1 %") and stroke
thickening by a 3×3 filter ("no effect I could feel"). Here ``SimpleConvNet`` is trained
three times on the same small subset: without augmentation, with the affine map only,
and with all three. The accuracies are compared on the test set and on a distorted copy
of it, which plays the part of the lab report's contest data (rotated, noisy, thick images).
"""
import numpy as np

from .base import (Report, accuracy, load_data, plot_curve_grid, register, rng, seeds_for,
                   train_classifier, train_test_curves, tr)
from .claims import difference, spread

N_TRAIN = 1000
RUNS = ("none", "affine", "affine + noise + thicken")
FINAL_WINDOW = 3
GRID_IMAGES = 8


def _settings(full, smoke):
    if smoke:
        return dict(n_train=200, n_test=200, iters=8, eval_every=4, batch=50)
    # 600 iterations (60 epochs of the 1,000 images): three seeds of the three runs in
    # about 3 minutes on 2 cores; without augmentation the network has learned its
    # images by heart long before (training accuracy 1.0 by iteration ~400).
    return dict(n_train=N_TRAIN, n_test=None, iters=600, eval_every=50, batch=100)


def _transforms(rng_=None, thicken_p=0.25):
    """The lab report's augmentations, one object each."""
    from ..data.transforms import GaussianNoise, RandomAffine, Thicken
    return {
        "RandomAffine": RandomAffine(degrees=10, translate=(0.1, 0.1), scale=(0.9, 1.1),
                                     shear=10, rng=rng_),
        "GaussianNoise": GaussianNoise(0.2, mode="multiplicative", clip=True, rng=rng_),
        "Thicken": Thicken(p=thicken_p, mode="max", rng=rng_),
    }


def _pipeline(run, t):
    from ..data.transforms import Compose
    if run == "none":
        return None
    if run == "affine":
        return t["RandomAffine"]
    return Compose([t["RandomAffine"], t["GaussianNoise"], t["Thicken"]])


def _held_out(rng_=None):
    """Distortions the training pipeline never makes: rotations of 15–25° (training turns
    at most 10°), additive noise (training's is multiplicative) and an 8×8 occluding
    square (training has none)."""
    from ..data.transforms import Compose, Cutout, GaussianNoise, RandomAffine
    return Compose([RandomAffine(degrees=(15, 25), rng=rng_),
                    GaussianNoise(0.15, mode="additive", clip=True, rng=rng_),
                    Cutout(8, rng=rng_)])


def _final(values):
    k = min(FINAL_WINDOW, len(values))
    return float(np.mean(values[-k:]))


@register("augmentation",
          summary="SimpleConvNet on 1,000 images with / without the curriculum's augmentation "
                  "(affine, noise, thickening): test accuracy and a grid of augmented samples")
def run(out_dir, full=False, smoke=False, seed=0) -> Report:
    """Draw the augmentation grid, train the three runs, write the report."""
    import tinygrad_jp as tg
    from .. import optim, viz
    from ..models import SimpleConvNet

    seeds = seeds_for(seed, full, smoke)
    report = Report("augmentation", out_dir, tr("Data augmentation on a small training set",
                                                "少ない訓練データでのデータ拡張"),
                    full=full, smoke=smoke, seed=seed, seeds=seeds,
                    description="The lab report (NumPy CNN and GAN, 3.4 Data-augmentation): "
                                "on-line augmentation of every mini-batch with an affine map "
                                "(rotate / shear / shift / zoom, bilinear), multiplicative "
                                "Gaussian noise and stroke thickening, here on a "
                                "SimpleConvNet trained on a small subset so that it would "
                                "overfit without them.")
    cfg = _settings(full, smoke)
    data = load_data(full=full, smoke=smoke, flatten=False, n_train=cfg["n_train"],
                     n_test=cfg["n_test"], seed=seed)
    report.data_note(data)
    report.setting("RandomAffine", "rotation ±10°, shift ±10 %, zoom 0.9–1.1, shear ±10° "
                                   "(RandomAffine(10, (0.1, 0.1), (0.9, 1.1), 10))")
    report.setting("GaussianNoise", "x · (1 + N(0, 0.2²)), clipped to [0, 1] "
                                    "(GaussianNoise(0.2, clip=True))")
    report.setting("Thicken", "3×3 grey dilation on a quarter of the images "
                              "(Thicken(p=0.25, mode='max'))")
    report.setting("runs", "; ".join(RUNS))
    report.setting("held-out distortions", "rotation 15–25°, additive noise N(0, 0.15²), an "
                                           "8×8 black square (Cutout(8)): none of them made "
                                           "by the training pipeline")
    report.setting("network", "SimpleConvNet(weight_init_std='he') (conv 30×5×5 – pool – "
                              "100 – 10; He initial weights, so that it learns, and overfits, "
                              "within the budget)")
    report.setting("optimizer", "Adam, lr 0.001")
    report.setting("batch size", cfg["batch"])
    epochs = cfg["iters"] * cfg["batch"] / len(data.x_train)
    report.setting("iterations", f"{cfg['iters']} (= {epochs:g} epochs of {len(data.x_train)} "
                                 "images)")
    report.setting("accuracy measured every", f"{cfg['eval_every']} iterations (training: the "
                   f"{len(data.x_train)} original, un-augmented images; test: all "
                   f"{len(data.x_test)} test images)")

    # -- the grid of augmented samples (its own generator, so it does not shift training)
    g = rng(seed, 31)
    pick = np.sort(g.choice(len(data.x_train), GRID_IMAGES, replace=False))
    originals = data.x_train[pick]
    # Thicken fires on a quarter of the training images; the grid shows it firing.
    gt = _transforms(g, thicken_p=1.0)
    rows = {"original": originals}
    for name, transform in gt.items():
        rows[name] = transform(originals)
    rows["all three"] = _pipeline(RUNS[-1], gt)(originals)
    changes = {k: float(np.abs(v - originals).mean()) for k, v in rows.items() if k != "original"}
    report.result("mean_abs_change", changes)
    grid = np.concatenate(list(rows.values()))
    report.figure("augmented_samples.png", lambda: viz.plot_image_grid(
        grid, ncols=GRID_IMAGES, normalize=None, row_labels=list(rows),
        title=tr("rows: original / RandomAffine / GaussianNoise / Thicken / all three",
                 "行: 元画像 / RandomAffine / GaussianNoise / Thicken / 3 つすべて")),
        f"{GRID_IMAGES} training images (top row) and, row by row, RandomAffine (rotate, "
        "shear, shift, zoom), multiplicative GaussianNoise, Thicken (3×3 dilation) and the "
        "three in a row, as the training loop draws them.")

    # -- two distorted copies of the test set, drawn once with their own generators: the
    # training pipeline's own distortions, and held-out ones it never makes
    def chunked(fn):
        # In chunks: the bilinear gather holds four neighbours per pixel of every image.
        return np.concatenate([fn(data.x_test[i:i + 1000])
                               for i in range(0, len(data.x_test), 1000)])
    x_dist = chunked(_pipeline(RUNS[-1], _transforms(rng(seed, 37))))
    x_held = chunked(_held_out(rng(seed, 41)))

    # -- training
    runs = {}                  # (name, seed) -> (TrainResult, distorted acc, held-out acc)
    for s_ in seeds:
        for name in RUNS:
            tg.manual_seed(s_)
            net = SimpleConvNet(weight_init_std="he")
            opt = optim.Adam(net.parameters(), lr=1e-3)
            pipe = _pipeline(name, _transforms())
            r = train_classifier(net, opt, data, cfg["iters"], batch_size=cfg["batch"],
                                 eval_every=cfg["eval_every"], eval_train_size=None,
                                 seed=s_, transform=pipe, desc=f"seed {s_}: SimpleConvNet, "
                                                                f"{name}")
            runs[(name, s_)] = (r, accuracy(net, x_dist, data.t_test),
                                accuracy(net, x_held, data.t_test))
            report.phase(f"seed {s_}: {name}", r.seconds)

    panels = {n: train_test_curves([runs[(n, s_)][0] for s_ in seeds]) for n in RUNS}
    report.figure("accuracy.png", lambda: plot_curve_grid(
        panels, ncols=3, title=tr(f"SimpleConvNet on {len(data.x_train)} training images",
                                  f"訓練データ {len(data.x_train)} 枚の SimpleConvNet")),
        "Accuracy on the (un-augmented) training images and on the test set, without "
        "augmentation, with the affine map, and with all three augmentations (mean over "
        "the seeds, band: their range).")
    report.figure("distorted_test.png", lambda: viz.plot_image_grid(
        np.concatenate([data.x_test[:GRID_IMAGES], x_dist[:GRID_IMAGES],
                        x_held[:GRID_IMAGES]]), ncols=GRID_IMAGES, normalize=None,
        row_labels=[tr("test", "テスト"), tr("in-pipeline", "学習と同じ変形"),
                    tr("held-out", "未知の変形")],
        title=tr("test images, their in-pipeline distortion, and held-out distortions",
                 "テスト画像、学習と同じ変形、学習にない変形")),
        "The first test images (top), the distorted copy made with the training pipeline's "
        "own distortions (middle) and the held-out copy with distortions the pipeline never "
        "makes (bottom: 15–25° turns, additive noise, an occluding square).")

    def per_seed(name, i):
        return np.array([(_final(runs[(name, s_)][0].train_acc),
                          _final(runs[(name, s_)][0].test_acc), runs[(name, s_)][1],
                          runs[(name, s_)][2])[i] for s_ in seeds])

    none = [per_seed("none", i) for i in range(4)]
    rows_t = []
    for n in RUNS:
        v = [per_seed(n, i) for i in range(4)]
        rows_t.append([n, spread(v[0]), spread(v[1]), spread(v[0] - v[1]),
                       spread(v[1] - none[1]), spread(v[2]), spread(v[2] - none[2]),
                       spread(v[3]), spread(v[3] - none[3])])
        r0 = runs[(n, seeds[0])][0]
        report.result(n, {"final_train_acc": float(v[0].mean()),
                          "final_test_acc": float(v[1].mean()),
                          "distorted_test_acc": float(v[2].mean()),
                          "held_out_test_acc": float(v[3].mean()),
                          "per_seed": {"train": v[0].tolist(), "test": v[1].tolist(),
                                       "distorted": v[2].tolist(), "held_out": v[3].tolist()},
                          "steps": r0.steps, "train_acc": r0.train_acc,
                          "test_acc": r0.test_acc, "seconds": r0.seconds})
    report.table(["augmentation", "train acc", "test acc", "gap", "test acc − none",
                  "in-pipeline distorted", "− none", "held-out distorted", "− none"], rows_t,
                 caption=f"Accuracies (mean ± 95 % interval over the seeds): training (the "
                         f"original images) and test as the mean of the last {FINAL_WINDOW} "
                         "measurements; the two distorted test sets once, after training.")

    nn_, aff, both = none, [per_seed("affine", i) for i in range(4)], \
        [per_seed(RUNS[-1], i) for i in range(4)]
    report.claim(tr("Augmenting the small training set raises the accuracy on the (clean) "
                    "test set", "少ない訓練データを拡張すると (変形なしの) テストデータの正解率が"
                    "上がる"), [difference(both[1], nn_[1]), difference(aff[1], nn_[1])],
                 tr(f"test accuracy {spread(nn_[1])} without, {spread(aff[1])} with the "
                    f"affine map, {spread(both[1])} with all three",
                    f"テストデータの正解率: 拡張なし {spread(nn_[1])}、アフィン変換 "
                    f"{spread(aff[1])}、3 つすべて {spread(both[1])}"))
    report.claim(tr("Augmentation narrows the gap between training and test accuracy "
                    "(less overfitting)", "データ拡張で訓練とテストの正解率の差が縮む (過学習"
                    "が減る)"), difference(nn_[0] - nn_[1], both[0] - both[1]),
                 tr(f"gap {spread(nn_[0] - nn_[1])} without, {spread(both[0] - both[1])} "
                    "with all three",
                    f"差: 拡張なし {spread(nn_[0] - nn_[1])}、3 つすべて "
                    f"{spread(both[0] - both[1])}"))
    report.claim(tr("The augmented network copes with distorted images of the kind it was "
                    "trained on far better", "データ拡張したネットワークは、学習で使ったのと"
                    "同じ種類の変形をした画像にずっと強い"),
                 difference(both[2], nn_[2], 0.03),
                 tr(f"accuracy on the in-pipeline distorted test set {spread(nn_[2])} "
                    f"without, {spread(aff[2])} with the affine map, {spread(both[2])} with "
                    "all three (far = by more than 0.03; partly built in: these are the "
                    "training pipeline's own distortions)",
                    f"学習と同じ変形をしたテストデータの正解率: 拡張なし {spread(nn_[2])}、"
                    f"アフィン変換 {spread(aff[2])}、3 つすべて {spread(both[2])} (ずっと = "
                    "0.03 より大きい差。学習に使った変形そのものなので、差の一部は最初から"
                    "織り込まれている)"))
    report.claim(tr("The affine map does most of the good; noise and thickening add less "
                    "(the lab report: +8 % vs +1 % vs nothing, on its distorted contest "
                    "data)", "効果の大部分はアフィン変換で、ノイズと線を太くする変換の上乗せは"
                    "小さい (実験レポート: 変形したコンテストのデータで +8 %、+1 %、効果なし)"),
                 difference(aff[2] - nn_[2], both[2] - aff[2]),
                 tr(f"on the in-pipeline distorted test set, affine: "
                    f"{spread(aff[2] - nn_[2])}; noise + thickening on top: "
                    f"{spread(both[2] - aff[2])}",
                    f"学習と同じ変形をしたテストデータで、アフィン変換: "
                    f"{spread(aff[2] - nn_[2])}、ノイズと線の太さの上乗せ: "
                    f"{spread(both[2] - aff[2])}"))
    report.claim(tr("Augmentation also helps on distortions it never made (the honest test "
                    "of the lab report's contest data)", "データ拡張は、学習で使わなかった変形"
                    "にも効く (実験レポートのコンテストのデータに当たる、公正な試験)"),
                 difference(both[3], nn_[3]),
                 tr(f"accuracy on the held-out distorted test set {spread(nn_[3])} without, "
                    f"{spread(aff[3])} with the affine map, {spread(both[3])} with all three",
                    f"学習にない変形をしたテストデータの正解率: 拡張なし {spread(nn_[3])}、"
                    f"アフィン変換 {spread(aff[3])}、3 つすべて {spread(both[3])}"))
    report.note("Fashion-MNIST's test images are centred and upright like its training "
                "images, so on the clean test set augmentation can only help as a "
                "regulariser. The lab report's contest data was different from its training data "
                "(rotated, noisy, thick digits), which is where its augmentation paid off: "
                "the distorted test set plays that part here.")
    report.note("The augmentations act on each mini-batch as it is drawn (on-line, as in "
                "the seed): the network never sees the same distorted image twice, while the "
                "training accuracy is measured on the original images.")
    report.note("Thicken thickens the light shapes by a 3×3 grey dilation (each pixel "
                "becomes the maximum of its neighbourhood) on a quarter of the images. The "
                "lab report's own filter [[.5,.5,.5],[.5,5,.5],[.5,.5,.5]], clipped to [0, 1] "
                "(`Thicken(mode='conv')`), was made for MNIST's thin strokes: on "
                "Fashion-MNIST's filled garments it saturates almost every pixel of the "
                "garment and leaves a white silhouette, so the dilation is used here.")
    return report
