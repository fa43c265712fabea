"""``gan``: the DCGAN of the lab report on a NumPy CNN and a GAN (5.3 B3:GAN), and with
``--conditional`` the conditional DCGAN the lab report wished for ("Conditional DCGAN
というものを見つけましたが、実装には至りませんでした").

The lab report's recipe for keeping the two players balanced: Adam with a lower learning rate
for D's opponent's sake (D 3e-4, G 1e-4), label smoothing on D's real labels, dropout in
D, batch norm in G; D is frozen while G learns. It shows samples of one fixed noise after
400, 2,000, 10,000 and 50,000 iterations and plots the losses. Here: D and G losses per
iteration, samples of one fixed noise at several iterations, and a measure of progress in
the spirit of FID: the Fréchet distance between generated and real images in the features
of a small classifier trained on the real images (which also says which classes the
samples look like).
"""
import dataclasses
import time

import numpy as np

from .base import (Progress, Report, experiment_device, load_data, register, rng, tr,
                   train_classifier)

NZ = 100
LR_D, LR_G = 3e-4, 1e-4          # the lab report's learning rates
BETAS = (0.5, 0.999)             # Radford et al.'s β₁ for GANs (the lab report used Keras' 0.9)
REAL_LABEL = 0.9                 # one-sided label smoothing of D's real targets
D_DROPOUT = 0.3
N_CLASSES = 10
FIXED_COLS = 10                  # fixed-noise samples per snapshot row
N_REF = 1000                     # real training images the Fréchet distance compares with
N_EVAL = 500                     # generated images per snapshot for the measures


def _settings(full, smoke):
    if smoke:
        return dict(iters=4, batch=16, snapshots=(0, 2, 4), ngf=16, ndf=8, clf_iters=20)
    # Batch 32: for the same time, twice the updates of batch 64 (smoother samples sooner).
    iters = 6000 if full else 3000
    snaps = (0, 200, 600, 1500, 3000) if not full else (0, 400, 1500, 3000, 6000)
    return dict(iters=iters, batch=32, snapshots=snaps, ngf=64, ndf=32, clf_iters=400)


def _to_unit(x):
    """Generator output in [-1, 1] → images in [0, 1]."""
    return np.clip((np.asarray(x) + 1.0) / 2.0, 0.0, 1.0)


def _sqrtm_psd(a):
    """Square root of a symmetric positive semi-definite matrix."""
    w, v = np.linalg.eigh((a + a.T) / 2.0)
    return (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T


def _frechet(f1, f2):
    """Fréchet distance between Gaussians fitted to the rows of ``f1`` and ``f2``:
    ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2(Σ₁^½ Σ₂ Σ₁^½)^½) — FID's formula, in other features."""
    f1, f2 = np.asarray(f1, np.float64), np.asarray(f2, np.float64)
    mu1, mu2 = f1.mean(0), f2.mean(0)
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    r1 = _sqrtm_psd(s1)
    cross = _sqrtm_psd(r1 @ s2 @ r1)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2.0 * np.trace(cross))


def _train_judge(data, iters, seed):
    """A small MLP classifier on the real images: it judges what the samples look like."""
    import tinygrad_jp as tg
    from .. import optim
    from ..models import MultiLayerNet
    tg.manual_seed(seed + 1)
    judge = MultiLayerNet(784, [100, 100], N_CLASSES, activation="relu", weight_init_std="he")
    opt = optim.Adam(judge.parameters(), lr=1e-3)
    flat = dataclasses.replace(data, x_train=data.x_train.reshape(len(data.x_train), -1),
                               x_test=data.x_test.reshape(len(data.x_test), -1))
    res = train_classifier(judge, opt, flat, iters, batch_size=100, eval_every=iters,
                           eval_train_size=500, seed=seed,
                           desc="the judge (an MLP classifier of real images)")
    return judge, res.final_test_acc


def _judge(judge, images01):
    """(the judge's last hidden features, its predicted classes) for images in [0, 1]."""
    import tinygrad_jp as tg
    judge.eval()
    x = tg.Tensor(images01.reshape(len(images01), -1).astype(np.float32))
    with tg.no_grad():
        feats = judge.activations(x)[-1]
        logits = judge(x)
    return feats.data, logits.data.argmax(1)


def _moving_average(y, k):
    y = np.asarray(y, dtype=np.float64)
    k = max(1, min(k, len(y)))
    c = np.cumsum(np.insert(y, 0, 0.0))
    out = (c[k:] - c[:-k]) / k
    return np.concatenate([np.full(k - 1, np.nan), out])


@register("gan",
          summary="the lab report's DCGAN (D lr 3e-4, G lr 1e-4, label smoothing, dropout in D, "
                  "batch norm in G): losses and samples of a fixed noise; --conditional",
          options={"conditional": dict(action="store_true",
                                       help="train the conditional DCGAN (one row of samples "
                                            "per class) (gan only)")})
def run(out_dir, full=False, smoke=False, seed=0, conditional=False) -> Report:
    """Train the (conditional) DCGAN and write the losses, sample grids and report."""
    import tinygrad_jp as tg
    from .. import nn, optim, viz
    from ..models import DCGANDiscriminator, DCGANGenerator

    kind = "conditional DCGAN" if conditional else "DCGAN"
    report = Report("gan", out_dir, f"GAN: a {kind} on Fashion-MNIST", full=full, smoke=smoke,
                    seed=seed,
                    description="The lab report (NumPy CNN and GAN, 5.3 B3:GAN): a generator "
                                "(dense layer + transposed convolutions, batch norm) against "
                                "a CNN discriminator (dropout), with the lab report's "
                                "learning rates and label smoothing."
                                + (" Conditional: both networks also get the "
                                                "class label (one-hot), so the generator "
                                                "draws the class it is asked for — the "
                                                "lab report's wish." if conditional else ""))
    cfg = _settings(full, smoke)
    data = load_data(full=full, smoke=smoke, flatten=False, seed=seed)
    report.data_note(data)
    report.setting("model", kind + (" (`--conditional`)" if conditional else ""))
    report.setting("generator", f"DCGANGenerator(nz={NZ}, ngf={cfg['ngf']}"
                   + (f", num_classes={N_CLASSES}" if conditional else "")
                   + "): Linear → 7×7 → BatchNorm–ReLU–ConvTranspose ×2 → tanh")
    report.setting("discriminator", f"DCGANDiscriminator(ndf={cfg['ndf']}, "
                   f"dropout={D_DROPOUT}" + (f", num_classes={N_CLASSES}" if conditional else "")
                   + "): two strided convs with LeakyReLU and dropout → one logit")
    report.setting("loss", "BCEWithLogitsLoss; D: real → "
                   f"{REAL_LABEL} (one-sided label smoothing), fake → 0; G: fake → 1")
    report.setting("optimizers", f"Adam, D lr {LR_D:g}, G lr {LR_G:g}, betas {BETAS}")
    report.setting("schedule", "per iteration: one D step (a real and a generated batch), "
                               "then one G step with D frozen (requires_grad_(False))")
    report.setting("batch size", cfg["batch"])
    report.setting("iterations", cfg["iters"])
    report.setting("images", "scaled to [-1, 1] for the generator's tanh")

    # -- a judge for the samples, and the real data's own level of the Fréchet distance
    g = rng(seed, 23)
    x_train = data.x_train.astype(np.float32)
    ref = x_train[np.sort(g.choice(len(x_train), min(N_REF, len(x_train)), replace=False))]
    judge, judge_acc = _train_judge(data, cfg["clf_iters"], seed)
    ref_feats, _ = _judge(judge, ref)
    held_feats, _ = _judge(judge, data.x_test[:N_EVAL])
    real_fd = _frechet(held_feats, ref_feats)

    tg.manual_seed(seed)
    G = DCGANGenerator(nz=NZ, ngf=cfg["ngf"], num_classes=N_CLASSES if conditional else None)
    D = DCGANDiscriminator(ndf=cfg["ndf"], dropout=D_DROPOUT,
                           num_classes=N_CLASSES if conditional else None)
    report.setting("parameters", f"G {sum(p.numel() for p in G.parameters()):,}, "
                                 f"D {sum(p.numel() for p in D.parameters()):,}")
    where = experiment_device()               # the networks train there; samples come back
    G.to(where)
    D.to(where)
    opt_d = optim.Adam(D.parameters(), lr=LR_D, betas=BETAS)
    opt_g = optim.Adam(G.parameters(), lr=LR_G, betas=BETAS)
    bce = nn.BCEWithLogitsLoss()

    # Fixed noise: conditional → row c asks for class c, the same noise down each column.
    n_fixed = FIXED_COLS * N_CLASSES
    z_np = g.standard_normal((n_fixed, NZ)).astype(np.float32)
    if conditional:
        z_np = np.tile(z_np[:FIXED_COLS], (N_CLASSES, 1))
        fixed_labels = np.repeat(np.arange(N_CLASSES), FIXED_COLS)
    else:
        fixed_labels = None
    z_fixed = tg.Tensor(z_np).to(where)
    # A larger fixed noise for the measures (conditional: 50 per class).
    z_eval = tg.Tensor(g.standard_normal((N_EVAL, NZ)).astype(np.float32)).to(where)
    eval_labels = np.arange(N_EVAL) % N_CLASSES if conditional else None
    quality = {}

    def samples(z=z_fixed, labels=fixed_labels):
        G.eval()
        with tg.no_grad():
            out = G(z, labels).cpu().numpy()
        G.train()
        return _to_unit(out)

    def measure(it):
        feats, pred = _judge(judge, samples(z_eval, eval_labels))
        q = {"frechet": _frechet(feats, ref_feats),
             "classes_seen": int(len(np.unique(pred)))}
        if conditional:
            q["judge_agrees_with_label"] = float((pred == eval_labels).mean())
        quality[it] = q

    b = cfg["batch"]
    real_t = tg.full((b, 1), REAL_LABEL, device=where)
    zeros_t = tg.zeros(b, 1, device=where)
    ones_t = tg.ones(b, 1, device=where)
    loss_d, loss_g, d_real, d_fake = [], [], [], []
    snaps = {}
    start = time.perf_counter()
    progress = Progress(cfg["iters"], "DCGAN" + (" (conditional)" if conditional else ""))
    for it in range(0, cfg["iters"] + 1):
        if it in cfg["snapshots"]:
            snaps[it] = samples()
            measure(it)
        if it == cfg["iters"]:
            break
        idx = g.integers(0, len(x_train), b)
        real = tg.Tensor(x_train[idx] * 2.0 - 1.0).to(where)
        labels = data.t_train[idx] if conditional else None
        fake_labels = g.integers(0, N_CLASSES, b) if conditional else None
        fake = G(tg.randn(b, NZ, device=where), fake_labels)
        # D step: real → REAL_LABEL, generated → 0 (the generator's graph is cut).
        opt_d.zero_grad()
        out_real = D(real, labels)
        out_fake = D(fake.detach(), fake_labels)
        ld = bce(out_real, real_t) + bce(out_fake, zeros_t)
        ld.backward()
        opt_d.step()
        # G step: make the (frozen) D say "real" to the generated batch.
        D.requires_grad_(False)
        opt_g.zero_grad()
        out_g = D(fake, fake_labels)
        lg = bce(out_g, ones_t)
        lg.backward()
        opt_g.step()
        D.requires_grad_(True)
        loss_d.append(float(ld.item()))
        loss_g.append(float(lg.item()))
        d_real.append(float(out_real.sigmoid().data.mean()))
        d_fake.append(float(out_fake.sigmoid().data.mean()))
        progress.update(1, loss_D=loss_d[-1], loss_G=loss_g[-1])
        if not (np.isfinite(loss_d[-1]) and np.isfinite(loss_g[-1])):
            report.note(f"The losses became non-finite at iteration {it + 1}; training "
                        "stopped there.")
            snaps[it + 1] = samples()
            measure(it + 1)
            break
    progress.close()
    train_seconds = time.perf_counter() - start
    report.phase("training", train_seconds)
    done = len(loss_d)

    # -- figures
    report.figure("losses.png", _plot_losses(loss_d, loss_g, d_real, d_fake),
                  "Top: D and G losses per iteration (thin) and their moving average (thick). "
                  "Bottom: D's mean output on real images, D(x), and on generated ones, "
                  "D(G(z)).")
    steps = sorted(snaps)
    cols = FIXED_COLS
    if conditional:
        # One row per snapshot: the first noise column, classes 0…9 across.
        prog = np.concatenate([snaps[s][::FIXED_COLS] for s in steps])
    else:
        prog = np.concatenate([snaps[s][:cols] for s in steps])
    report.figure("samples_progress.png", viz.plot_image_grid(
        prog, ncols=cols, normalize=None,
        title=tr("the same noise after " + ", ".join(str(s) for s in steps) + " iterations",
                 "同じノイズから " + ", ".join(str(s) for s in steps) + " イテレーション後")
              + (tr(" (columns: classes 0–9)", " (列: クラス 0〜9)") if conditional else "")),
        "Samples from one fixed noise, one row per snapshot (top: the untrained generator), "
        "as in the lab report's figures 10–13" + (", each column asking for one class." if
                                           conditional else "."))
    last = steps[-1]
    final = snaps[last]
    if conditional:
        names = ", ".join(f"{c} {n}" for c, n in enumerate(data.class_names))
        report.figure("samples_final.png", viz.plot_image_grid(
            final, ncols=FIXED_COLS, normalize=None,
            title=tr(f"after {last} iterations: row c asks for class c",
                     f"{last} イテレーション後: c 行目はクラス c を指定")),
            f"After {last} iterations: one row per class ({names}); the same noise down "
            "each column.")
    else:
        report.figure("samples_final.png", viz.plot_image_grid(
            final, ncols=FIXED_COLS, normalize=None,
            title=tr(f"after {last} iterations", f"{last} イテレーション後")),
            f"{len(final)} samples of the fixed noise after {last} iterations.")

    # -- numbers
    rows = []
    for st in steps:
        q = quality[st]
        rows.append([st, q["frechet"], q["classes_seen"]]
                    + ([q["judge_agrees_with_label"]] if conditional else []))
    report.table(["iteration", "Fréchet distance to the real images", "classes seen by the "
                  "judge"] + (["judge agrees with the asked class"] if conditional else []),
                 rows,
                 caption=f"{N_EVAL} samples of a fixed noise at each snapshot, seen through a "
                         f"small classifier (an MLP, test accuracy {judge_acc:.3f}) trained on "
                         "the real images: the Fréchet distance between the samples' and "
                         f"{len(ref)} real training images' hidden features (FID's formula; "
                         f"lower is closer; {N_EVAL} real test images score {real_fd:.2f}), "
                         "and how many of the 10 classes the classifier finds among them"
                         + (" / how often it names the class the generator was asked for"
                            if conditional else "") + ".")
    tail = max(1, done // 10)
    ld_tail, lg_tail = float(np.mean(loss_d[-tail:])), float(np.mean(loss_g[-tail:]))
    dr_tail, df_tail = float(np.mean(d_real[-tail:])), float(np.mean(d_fake[-tail:]))
    report.table(["", "first 10 %", "last 10 %"], [
        ["D loss", float(np.mean(loss_d[:tail])), ld_tail],
        ["G loss", float(np.mean(loss_g[:tail])), lg_tail],
        ["D(x), real", float(np.mean(d_real[:tail])), dr_tail],
        ["D(G(z)), generated", float(np.mean(d_fake[:tail])), df_tail]],
        caption="Mean losses and discriminator outputs at the start and the end of training.")
    for k, v in (("loss_d", loss_d), ("loss_g", loss_g), ("d_real", d_real),
                 ("d_fake", d_fake)):
        report.result(k, v)
    report.result("quality", quality)
    report.result("real_frechet", real_fd)
    report.result("judge_test_acc", judge_acc)
    report.result("iterations_done", done)
    report.result("seconds_per_iteration", train_seconds / max(done, 1))

    d0, d_end = quality[steps[0]]["frechet"], quality[last]["frechet"]
    closed = (d0 - d_end) / (d0 - real_fd) if d0 > real_fd else float("nan")
    finite = bool(np.all(np.isfinite(loss_d)) and np.all(np.isfinite(loss_g)))
    report.effect("The generator learns to turn noise into images like the training data",
                  finite and closed > 0.5,
                  f"Fréchet distance to the real images {d0:.1f} untrained → {d_end:.1f} "
                  f"after {last} iterations (real test images: {real_fd:.1f}); {closed:.0%} "
                  "of the way from the untrained generator to the data's own level (shown = "
                  "more than half)")
    report.effect("With the lab report's balance (lower G learning rate, label smoothing, dropout "
                  "in D) neither player wins outright: D keeps being fooled sometimes",
                  finite and 0.05 < df_tail < 0.95 and dr_tail < 0.99,
                  f"over the last 10 % of iterations D(G(z)) = {df_tail:.2f}, D(x) = "
                  f"{dr_tail:.2f}, D loss {ld_tail:.2f}, G loss {lg_tail:.2f} (shown = D(G(z)) "
                  "between 0.05 and 0.95 and D(x) below 0.99)")
    if conditional:
        agree = quality[last]["judge_agrees_with_label"]
        report.effect("The conditional generator draws the class it is asked for (the "
                      "lab report's wish)", agree > 0.5,
                      f"a classifier trained on the real images (test accuracy "
                      f"{judge_acc:.2f}) names the asked class for {agree:.0%} of {N_EVAL} "
                      "samples, 50 per class (chance 10 %; shown = above 50 %)")
    else:
        seen = quality[last]["classes_seen"]
        report.effect("The samples are varied (no mode collapse onto one kind of image)",
                      seen >= 6,
                      f"the classifier finds {seen} of the 10 classes among {N_EVAL} "
                      "samples (shown = at least 6)")
    best = min(steps, key=lambda st: quality[st]["frechet"])
    report.result("best_snapshot", best)
    report.note(f"The lab report saw its best images before the end (10,000 of 50,000 iterations) "
                f"and wished for early stopping. Here the snapshot closest to the data (the "
                f"lowest Fréchet distance) is iteration {best}"
                + (" (the last)." if best == last else ", not the last one: stopping earlier "
                                                       "would have kept it."))
    report.note("The Fréchet distance is FID's formula computed in the hidden features of a "
                "small MLP instead of an Inception network, so its numbers are not FIDs; "
                "they compare snapshots of this run. Look at the samples too.")
    return report


def _plot_losses(loss_d, loss_g, d_real, d_fake):
    from ..viz.plots import _figure, _integer_ticks
    fig = _figure((9.6, 5.6))
    n = len(loss_d)
    x = np.arange(1, n + 1)
    k = max(1, n // 30)
    ax = fig.add_subplot(2, 1, 1)
    for y, label, c in ((loss_d, tr("D loss", "D の損失"), "tab:blue"),
                        (loss_g, tr("G loss", "G の損失"), "tab:orange")):
        ax.plot(x, y, color=c, alpha=0.3, linewidth=0.7)
        ax.plot(x, _moving_average(y, k), color=c, linewidth=1.8, label=label)
    ax.set_ylabel(tr("BCE loss", "BCE 損失"))
    ax.set_title(tr("losses per iteration", "イテレーションごとの損失"))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
              fontsize="small")                # beside the plot: it hides no curve
    ax2 = fig.add_subplot(2, 1, 2, sharex=ax)
    for y, label, c in ((d_real, tr("D(x), real images", "D(x), 本物の画像"), "tab:green"),
                        (d_fake, tr("D(G(z)), generated", "D(G(z)), 生成画像"), "tab:red")):
        ax2.plot(x, y, color=c, alpha=0.3, linewidth=0.7)
        ax2.plot(x, _moving_average(y, k), color=c, linewidth=1.8, label=label)
    ax2.axhline(REAL_LABEL, color="gray", linestyle=":", linewidth=1)
    ax2.set_ylim(0, 1)
    _integer_ticks(ax2, n)
    ax2.set_xlabel(tr("iteration", "イテレーション"))
    ax2.set_ylabel(tr("mean D output", "D の出力の平均"))
    ax2.grid(True, alpha=0.3)
    ax2.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
               fontsize="small")
    return fig
