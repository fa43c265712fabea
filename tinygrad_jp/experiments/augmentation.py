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

from .base import (Report, accuracy, load_data, plot_curve_grid, register, rng,
                   train_classifier, train_test_curves, tr)

N_TRAIN = 1000
RUNS = ("none", "affine", "affine + noise + thicken")
FINAL_WINDOW = 3
GRID_IMAGES = 8


def _settings(full, smoke):
    if smoke:
        return dict(n_train=200, n_test=200, iters=8, eval_every=4, batch=50)
    return dict(n_train=N_TRAIN, n_test=None, iters=1000, eval_every=50, batch=100)


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
    from ..nn import functional as F
    from ..tensor import Tensor

    report = Report("augmentation", out_dir, "Data augmentation on a small training set",
                    full=full, smoke=smoke, seed=seed,
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
    report.figure("augmented_samples.png", viz.plot_image_grid(
        grid, ncols=GRID_IMAGES, normalize=None,
        title=tr("rows: original / RandomAffine / GaussianNoise / Thicken / all three",
                 "行: 元画像 / RandomAffine / GaussianNoise / Thicken / 3 つすべて")),
        f"{GRID_IMAGES} training images (top row) and, row by row, RandomAffine (rotate, "
        "shear, shift, zoom), multiplicative GaussianNoise, Thicken (3×3 dilation) and the "
        "three in a row, as the training loop draws them.")

    # -- a distorted copy of the test set, like the lab report's contest data (rotated, noisy,
    # thick images): drawn once, with its own generator
    distort = _pipeline(RUNS[-1], _transforms(rng(seed, 37)))
    # In chunks: the bilinear gather holds four neighbours per pixel of every image.
    x_dist = np.concatenate([distort(data.x_test[i:i + 1000])
                             for i in range(0, len(data.x_test), 1000)])

    # -- training
    runs, dist_acc = {}, {}
    for name in RUNS:
        tg.manual_seed(seed)
        net = SimpleConvNet(weight_init_std="he")
        opt = optim.Adam(net.parameters(), lr=1e-3)
        pipe = _pipeline(name, _transforms())

        def loss_fn(model, x, tgt, pipe=pipe):
            if pipe is not None:
                x = Tensor(pipe(x.cpu().numpy())).to(x.device)   # augment on the host
            return F.cross_entropy(model(x), tgt)

        runs[name] = train_classifier(net, opt, data, cfg["iters"], batch_size=cfg["batch"],
                                      eval_every=cfg["eval_every"], eval_train_size=None,
                                      seed=seed, loss_fn=loss_fn, desc=f"SimpleConvNet, {name}")
        dist_acc[name] = accuracy(net, x_dist, data.t_test)
        report.phase(name, runs[name].seconds)

    panels = {n: train_test_curves(r) for n, r in runs.items()}
    report.figure("accuracy.png", plot_curve_grid(
        panels, ncols=3, title=tr(f"SimpleConvNet on {len(data.x_train)} training images",
                                  f"訓練データ {len(data.x_train)} 枚の SimpleConvNet")),
        "Accuracy on the (un-augmented) training images and on the test set, without "
        "augmentation, with the affine map, and with all three augmentations.")
    report.figure("distorted_test.png", viz.plot_image_grid(
        np.concatenate([data.x_test[:GRID_IMAGES], x_dist[:GRID_IMAGES]]), ncols=GRID_IMAGES,
        normalize=None, title=tr("test images (top) and their distorted copies (bottom)",
                                 "テスト画像 (上) と変形したコピー (下)")),
        "The first test images and the distorted copy of the test set (the three "
        "augmentations applied once, like the lab report's rotated, noisy and thick contest "
        "images).")

    rows_t = []
    final = {}
    for n, r in runs.items():
        tr_acc, te_acc = _final(r.train_acc), _final(r.test_acc)
        final[n] = (tr_acc, te_acc, dist_acc[n])
        rows_t.append([n, tr_acc, te_acc, tr_acc - te_acc, te_acc - final["none"][1],
                       dist_acc[n], dist_acc[n] - dist_acc["none"], r.seconds])
        report.result(n, {"final_train_acc": tr_acc, "final_test_acc": te_acc,
                          "distorted_test_acc": dist_acc[n], "steps": r.steps,
                          "train_acc": r.train_acc, "test_acc": r.test_acc,
                          "seconds": r.seconds})
    report.table(["augmentation", "train acc", "test acc", "gap", "test acc − none",
                  "distorted test acc", "distorted − none", "seconds"], rows_t,
                 caption=f"Accuracies: training (the original images) and test as the mean "
                         f"of the last {FINAL_WINDOW} measurements; the distorted test set "
                         "once, after training.")

    none, aff, both = final["none"], final["affine"], final[RUNS[-1]]
    report.effect("Augmenting the small training set raises the accuracy on the (clean) "
                  "test set", both[1] > none[1] and aff[1] > none[1],
                  f"test accuracy {none[1]:.3f} without, {aff[1]:.3f} with the affine map, "
                  f"{both[1]:.3f} with all three")
    report.effect("Augmentation narrows the gap between training and test accuracy "
                  "(less overfitting)", both[0] - both[1] < none[0] - none[1],
                  f"gap {none[0] - none[1]:.3f} without, {both[0] - both[1]:.3f} with all "
                  "three")
    report.effect("The augmented network copes with distorted images (the lab report's contest "
                  "data: rotated, noisy, thick) far better", both[2] > none[2] + 0.03,
                  f"accuracy on the distorted test set {none[2]:.3f} without, {aff[2]:.3f} "
                  f"with the affine map, {both[2]:.3f} with all three (far = by more than "
                  "0.03)")
    report.effect("The affine map does most of the good; noise and thickening add less "
                  "(the seed: +8 % vs +1 % vs nothing, on its distorted contest data)",
                  aff[2] - none[2] > both[2] - aff[2],
                  f"on the distorted test set, affine: {aff[2] - none[2]:+.3f}; noise + "
                  f"thickening on top: {both[2] - aff[2]:+.3f}")
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
