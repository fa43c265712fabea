"""``gan``: the DCGAN of the lab report on a NumPy CNN and a GAN (5.3 B3:GAN), and with
``--conditional`` the conditional DCGAN the lab report wished for ("Conditional DCGAN
というものを見つけましたが、実装には至りませんでした").

The lab report's recipe for keeping the two players balanced: Adam with a lower learning rate
for D's opponent's sake (D 3e-4, G 1e-4), label smoothing on D's real labels, dropout in
D, batch norm in G; D is frozen while G learns. It shows samples of one fixed noise after
400, 2,000, 10,000 and 50,000 iterations and plots the losses.

Here the GAN is trained at several seeds (3 by default, 5 with ``--full``), and its
samples are judged by a small classifier trained on the real images (the *judge*),
always against what the same judge makes of real images:

* the Fréchet distance between the samples' and real images' hidden features (FID's
  formula in the judge's features), divided by the distance between two sets of real
  images (the *yardstick*: 1× is as close as real images are to each other);
* the judge's confidence per class: for each class, the share of the samples it puts
  there and how sure it is of them, beside the same for real test images (a grey blob
  is put in some class too, but without confidence);
* with ``--conditional``, how often it names the class the generator was asked for and
  how sure it is.
"""
import dataclasses
import time
import warnings

import numpy as np

from .base import (Progress, Report, experiment_device, load_data, register, rng,
                   seeds_for, tr, train_classifier)
from .claims import check, spread

NZ = 100
LR_D, LR_G = 3e-4, 1e-4          # the lab report's learning rates
BETAS = (0.5, 0.999)             # Radford et al.'s β₁ for GANs (the lab report used Keras' 0.9)
REAL_LABEL = 0.9                 # one-sided label smoothing of D's real targets
D_DROPOUT = 0.3
N_CLASSES = 10
FIXED_COLS = 10                  # fixed-noise samples per snapshot row
N_REF = 1000                     # real training images the Fréchet distance compares with
N_EVAL = 500                     # generated images per snapshot for the measures
CONFIDENT = 0.5                  # the judge is "sure" of an image: its top probability ≥ this
NEAR_REAL = 2.0                  # "as close as real images": within 2× the yardstick
COURSE_ITERS = (400, 2000, 10000, 50000)     # the lab report's snapshots


def _settings(full, smoke):
    if smoke:
        return dict(iters=4, batch=16, snapshots=(0, 2, 4), ngf=16, ndf=8, clf_iters=20)
    # Batch 32: for the same time, twice the updates of batch 64 (smoother samples sooner).
    if full:      # the lab report's first three snapshots
        return dict(iters=10000, batch=32, snapshots=(0, 400, 2000, 5000, 10000), ngf=64,
                    ndf=32, clf_iters=1000)
    # 1,200 iterations: three seeds in about 3 minutes on 2 cores.
    return dict(iters=1200, batch=32, snapshots=(0, 100, 400, 800, 1200), ngf=64, ndf=32,
                clf_iters=400)


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
    """(the judge's last hidden features, its class probabilities) for images in [0, 1]."""
    import tinygrad_jp as tg
    judge.eval()
    x = tg.Tensor(images01.reshape(len(images01), -1).astype(np.float32))
    with tg.no_grad():
        feats = judge.activations(x)[-1]
        logits = judge(x)
    z = logits.data.astype(np.float64)
    p = np.exp(z - z.max(1, keepdims=True))
    return feats.data, p / p.sum(1, keepdims=True)


def _per_class(probs):
    """For each class: the share of the images the judge puts there, its mean confidence
    (top probability) on them (NaN when none), and the share it puts there *and* is sure
    of (top probability ≥ CONFIDENT)."""
    pred, top = probs.argmax(1), probs.max(1)
    share = np.array([(pred == c).mean() for c in range(N_CLASSES)])
    conf = np.array([top[pred == c].mean() if (pred == c).any() else np.nan
                     for c in range(N_CLASSES)])
    sure = np.array([((pred == c) & (top >= CONFIDENT)).mean() for c in range(N_CLASSES)])
    return share, conf, sure


def _quality(feats, probs, ref_feats, real, labels=None):
    """The measures of one set of images (samples or real) against the real reference."""
    share, conf, sure = _per_class(probs)
    fd = _frechet(feats, ref_feats)
    q = {"frechet": fd, "frechet_vs_real": fd / real["frechet"] if real else 1.0,
         "confidence": float(probs.max(1).mean()),
         "classes_seen": int((share > 0).sum()),
         "class_share": share.tolist(), "class_confidence": conf.tolist(),
         "class_sure_share": sure.tolist()}
    if real:
        # How much of the real images' class distribution the samples share (1: the same
        # shares), and the same counting only the images the judge is sure of (1: per
        # class, the judge is sure of as many samples as of real images).
        q["class_overlap"] = float(np.minimum(share, real["class_share"]).sum())
        rs = np.asarray(real["class_sure_share"])
        q["sure_class_overlap"] = float(np.minimum(sure, rs).sum() / max(rs.sum(), 1e-12))
    if labels is not None:
        q["judge_agrees_with_label"] = float((probs.argmax(1) == labels).mean())
        q["confidence_in_label"] = float(probs[np.arange(len(labels)), labels].mean())
    return q


def _moving_average(y, k):
    y = np.asarray(y, dtype=np.float64)
    k = max(1, min(k, len(y)))
    c = np.cumsum(np.insert(y, 0, 0.0))
    out = (c[k:] - c[:-k]) / k
    return np.concatenate([np.full(k - 1, np.nan), out])


def _train_one(s_, cfg, data, conditional, judge, ref_feats, real_q, keep_samples):
    """Train one GAN at seed ``s_``; its losses, snapshots and measures."""
    import tinygrad_jp as tg
    from .. import nn, optim
    from ..models import DCGANDiscriminator, DCGANGenerator

    g = rng(s_, 23)
    x_train = data.x_train.astype(np.float32)
    tg.manual_seed(s_)
    G = DCGANGenerator(nz=NZ, ngf=cfg["ngf"], num_classes=N_CLASSES if conditional else None)
    D = DCGANDiscriminator(ndf=cfg["ndf"], dropout=D_DROPOUT,
                           num_classes=N_CLASSES if conditional else None)
    n_params = (sum(p.numel() for p in G.parameters()), sum(p.numel() for p in D.parameters()))
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
    quality, snaps = {}, {}

    def samples(z=z_fixed, labels=fixed_labels):
        G.eval()
        with tg.no_grad():
            out = G(z, labels).cpu().numpy()
        G.train()
        return _to_unit(out)

    def snapshot(it):
        if keep_samples:
            snaps[it] = samples()
        feats, probs = _judge(judge, samples(z_eval, eval_labels))
        quality[it] = _quality(feats, probs, ref_feats, real_q, eval_labels)

    b = cfg["batch"]
    real_t = tg.full((b, 1), REAL_LABEL, device=where)
    zeros_t = tg.zeros(b, 1, device=where)
    ones_t = tg.ones(b, 1, device=where)
    loss_d, loss_g, d_real, d_fake = [], [], [], []
    stopped = None
    start = time.perf_counter()
    progress = Progress(cfg["iters"], f"seed {s_}: DCGAN"
                        + (" (conditional)" if conditional else ""))
    for it in range(0, cfg["iters"] + 1):
        if it in cfg["snapshots"]:
            snapshot(it)
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
            stopped = it + 1
            snapshot(it + 1)
            break
    progress.close()
    return dict(loss_d=loss_d, loss_g=loss_g, d_real=d_real, d_fake=d_fake,
                quality=quality, snaps=snaps, seconds=time.perf_counter() - start,
                stopped=stopped, params=n_params)


@register("gan",
          summary="the lab report's DCGAN (D lr 3e-4, G lr 1e-4, label smoothing, dropout in D, "
                  "batch norm in G): losses and samples of a fixed noise; --conditional",
          options={"conditional": dict(action="store_true",
                                       help="train the conditional DCGAN (one row of samples "
                                            "per class) (gan only)")})
def run(out_dir, full=False, smoke=False, seed=0, conditional=False) -> Report:
    """Train the (conditional) DCGAN at each seed and write the losses, sample grids,
    quality measures and report."""
    from .. import viz

    seeds = seeds_for(seed, full, smoke)
    kind = "conditional DCGAN" if conditional else "DCGAN"
    report = Report("gan", out_dir, tr(f"GAN: a {kind} on Fashion-MNIST",
                                       f"GAN: Fashion-MNIST の {kind}"),
                    full=full, smoke=smoke, seed=seed, seeds=seeds,
                    description=tr(
                        "The lab report (NumPy CNN and GAN, 5.3 B3:GAN): a generator (dense "
                        "layer + transposed convolutions, batch norm) against a CNN "
                        "discriminator (dropout), with the lab report's learning rates and "
                        "label smoothing."
                        + (" Conditional: both networks also get the class label (one-hot), "
                           "so the generator draws the class it is asked for — the lab "
                           "report's wish." if conditional else ""),
                        "実験レポート (NumPy の CNN と GAN、5.3 B3:GAN): 全結合層と転置畳込み"
                        " (バッチ正規化あり) の生成器を、CNN の識別器 (ドロップアウトあり) と"
                        "競わせます。学習率とラベル平滑化は実験レポートのとおりです。"
                        + (" 条件付き: 両方のネットワークにクラスのラベル (one-hot) も渡すので、"
                           "生成器は指定されたクラスを描きます (実験レポートの望み)。"
                           if conditional else "")))
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
    report.setting("iterations", f"{cfg['iters']} per seed (the lab report showed "
                   + ", ".join(f"{c:,}" for c in COURSE_ITERS) + "; `--full` runs "
                   "10,000)")
    report.setting("snapshots", ", ".join(str(s) for s in cfg["snapshots"]))
    report.setting("images", "scaled to [-1, 1] for the generator's tanh")

    # -- the judge, and what it makes of real images: the yardstick of every measure
    g = rng(seed, 23)
    x_train = data.x_train.astype(np.float32)
    ref = x_train[np.sort(g.choice(len(x_train), min(N_REF, len(x_train)), replace=False))]
    judge, judge_acc = _train_judge(data, cfg["clf_iters"], seed)
    ref_feats, _ = _judge(judge, ref)
    held = data.x_test[:N_EVAL]
    held_feats, held_probs = _judge(judge, held)
    real_q = _quality(held_feats, held_probs, ref_feats, None,
                      data.t_test[:N_EVAL] if conditional else None)
    real_fd = real_q["frechet"]
    report.setting("judge", f"MultiLayerNet(784, [100, 100], 10, 'relu', 'he'), Adam, "
                            f"{cfg['clf_iters']} iterations on the real training images "
                            f"(seed {seed}, the same judge for every seed): test accuracy "
                            f"{judge_acc:.3f}")
    report.setting("yardstick", f"{len(held)} real test images against {len(ref)} real "
                                f"training images: Fréchet distance {real_fd:.3g}, the "
                                f"judge's mean confidence {real_q['confidence']:.3f}")

    runs = {}
    for s_ in seeds:
        runs[s_] = _train_one(s_, cfg, data, conditional, judge, ref_feats, real_q,
                              keep_samples=s_ == seeds[0])
        report.phase(f"seed {s_}: training", runs[s_]["seconds"])
        if runs[s_]["stopped"]:
            report.note(f"Seed {s_}: the losses became non-finite at iteration "
                        f"{runs[s_]['stopped']}; training stopped there.")
    first = runs[seeds[0]]
    gp, dp = first["params"]
    report.setting("parameters", f"G {gp:,}, D {dp:,}")

    # -- figures (the losses and samples of the first seed; the measures of every seed)
    report.figure("losses.png", lambda: _plot_losses(first["loss_d"], first["loss_g"],
                                                     first["d_real"], first["d_fake"]),
                  tr(f"Seed {seeds[0]}. Top: D and G losses per iteration (thin) and their "
                     "moving average (thick). Bottom: D's mean output on real images, D(x), "
                     "and on generated ones, D(G(z)).",
                     f"シード {seeds[0]}。上: イテレーションごとの D と G の損失 (細線) と移動"
                     "平均 (太線)。下: 本物の画像への D の出力の平均 D(x) と、生成画像への "
                     "D(G(z))。"))
    snaps = first["snaps"]
    steps = sorted(snaps)
    if conditional:
        # One row per snapshot: the first noise column, classes 0…9 across.
        prog = np.concatenate([snaps[s][::FIXED_COLS] for s in steps])
    else:
        prog = np.concatenate([snaps[s][:FIXED_COLS] for s in steps])
    report.figure("samples_progress.png", lambda: viz.plot_image_grid(
        prog, ncols=FIXED_COLS, normalize=None,
        row_labels=[tr(f"{s} it.", f"{s} 回") for s in steps],
        title=tr("the same noise after " + ", ".join(str(s) for s in steps) + " iterations",
                 "同じノイズから " + ", ".join(str(s) for s in steps) + " イテレーション後")
        + (tr(" (columns: classes 0–9)", " (列: クラス 0〜9)") if conditional else "")),
        tr(f"Samples from one fixed noise (seed {seeds[0]}), one row per snapshot (top: the "
           "untrained generator), as in the lab report's figures 10–13"
           + (", each column asking for one class." if conditional else "."),
           f"1 つの固定ノイズからのサンプル (シード {seeds[0]})。スナップショットごとに 1 行 "
           "(一番上は学習前の生成器)。実験レポートの図 10〜13 に当たります"
           + ("。各列は 1 つのクラスを指定しています。" if conditional else "。")))
    last = steps[-1]
    final = snaps[last]
    if conditional:
        names = ", ".join(f"{c} {n}" for c, n in enumerate(data.class_names))
        report.figure("samples_final.png", lambda: viz.plot_image_grid(
            final, ncols=FIXED_COLS, normalize=None,
            row_labels=[str(n) for n in data.class_names],
            title=tr(f"after {last} iterations: row c asks for class c",
                     f"{last} イテレーション後: c 行目はクラス c を指定")),
            tr(f"After {last} iterations (seed {seeds[0]}): one row per class ({names}); "
               "the same noise down each column.",
               f"{last} イテレーション後 (シード {seeds[0]}): クラスごとに 1 行 ({names})。"
               "各列は同じノイズです。"))
    else:
        report.figure("samples_final.png", lambda: viz.plot_image_grid(
            final, ncols=FIXED_COLS, normalize=None,
            title=tr(f"after {last} iterations", f"{last} イテレーション後")),
            tr(f"{len(final)} samples of the fixed noise after {last} iterations (seed "
               f"{seeds[0]}).",
               f"{last} イテレーション後の固定ノイズのサンプル {len(final)} 枚 (シード "
               f"{seeds[0]})。"))
    report.figure("quality.png", lambda: _plot_quality(runs, seeds, real_q, conditional),
                  tr("The samples as the judge sees them, at every snapshot and seed (one "
                     "line per seed): left, the Fréchet distance to the real images divided by "
                     "the real images' own (1 = as close as real images are to each other; "
                     "log scale); right, "
                     + ("how often the judge names the asked class" if conditional else
                        "the judge's mean confidence")
                     + ", the dashed line: the same for real test images.",
                     "各スナップショット・各シードでの、判定器から見たサンプル (シードごとに "
                     "1 本の線)。左: 本物の画像への Fréchet 距離を本物の画像どうしの距離で割った"
                     "もの (1 = 本物どうしと同じ近さ、対数目盛)。右: "
                     + ("判定器が指定クラスを答える割合" if conditional else
                        "判定器の確信度の平均")
                     + "。破線は本物のテスト画像での値。"))

    # -- numbers
    def at(s_, it, key):
        return runs[s_]["quality"][it][key]

    # Every seed has every snapshot unless a run stopped early: compare at its last one.
    def last_it(s_):
        return max(runs[s_]["quality"])

    rows = []
    for st in steps:
        have = [s_ for s_ in seeds if st in runs[s_]["quality"]]
        vals = {k: np.array([at(s_, st, k) for s_ in have])
                for k in ("frechet", "frechet_vs_real", "confidence", "class_overlap",
                          "sure_class_overlap")}
        row = [st, spread(vals["frechet"]), spread(vals["frechet_vs_real"]),
               spread(vals["confidence"])]
        if conditional:
            row.append(spread([at(s_, st, "judge_agrees_with_label") for s_ in have]))
        else:
            row += [spread(vals["class_overlap"]), spread(vals["sure_class_overlap"])]
        rows.append(row)
    rows.append([tr("real test images", "本物のテスト画像"), real_fd, 1.0,
                 real_q["confidence"]]
                + ([real_q["judge_agrees_with_label"]] if conditional else [1.0, 1.0]))
    report.table([tr("iteration", "イテレーション"),
                  tr("Fréchet distance", "Fréchet 距離"),
                  tr("÷ real images' own", "÷ 本物どうしの距離"),
                  tr("judge's confidence", "判定器の確信度"),
                  tr("judge names the asked class", "判定器が指定クラスを答える割合")
                  if conditional else tr("classes: overlap with real", "クラスの重なり")]
                 + ([] if conditional else [tr("sure classes: overlap with real",
                                               "確信のあるクラスの重なり")]),
                 rows,
                 caption=tr(
                     f"{N_EVAL} samples of a fixed noise at each snapshot (mean ± 95 % "
                     "interval over the seeds), seen through the judge, a small classifier "
                     f"(an MLP, test accuracy {judge_acc:.3f}) trained on the real images: the "
                     f"Fréchet distance between the samples' and {len(ref)} real training "
                     "images' hidden features (FID's formula; lower is closer), the same "
                     f"divided by the distance of {len(held)} real test images (the "
                     "yardstick), the judge's mean top probability, and "
                     + ("how often it names the class the generator was asked for."
                        if conditional else
                        "how much of the real images' class distribution (the shares of the "
                        "images the judge puts in each class) the samples share (1 = the "
                        "same shares), and the same counting only the images the judge is "
                        f"sure of (top probability ≥ {CONFIDENT}; 1 = per class, as many "
                        "sure samples as sure real images)."),
                     f"各スナップショットで固定ノイズの {N_EVAL} 枚のサンプルを判定器 (本物の"
                     f"画像で学習した小さな MLP、テスト正解率 {judge_acc:.3f}) で見た値 (シード"
                     "の平均 ± 95 % 区間): 本物の訓練画像 "
                     f"{len(ref)} 枚との隠れ層の特徴の Fréchet 距離 (FID の式、小さいほど近い)、"
                     f"それを本物のテスト画像 {len(held)} 枚の距離 (物差し) で割ったもの、判定器"
                     "の最大確率の平均、"
                     + ("指定したクラスを判定器が答える割合。" if conditional else
                        "判定器が各クラスとする画像の割合の分布が本物の画像とどれだけ重なるか "
                        "(1 = 同じ割合)、そして判定器が確信をもつ (最大確率 ≥ "
                        f"{CONFIDENT}) 画像だけで数えた同じ重なり (1 = どのクラスでも本物と同じ"
                        "だけ確信のあるサンプルがある)。")))
    fq = {s_: runs[s_]["quality"][last_it(s_)] for s_ in seeds}
    mean_share = np.mean([fq[s_]["class_share"] for s_ in seeds], 0)
    with warnings.catch_warnings():           # a class no seed's samples fall in: NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        mean_conf = np.nanmean([fq[s_]["class_confidence"] for s_ in seeds], 0)
    crow = []
    for c in range(N_CLASSES):
        crow.append([f"{c} {data.class_names[c]}", real_q["class_share"][c],
                     float(mean_share[c]), real_q["class_confidence"][c],
                     float(mean_conf[c])])
    report.table([tr("class", "クラス"), tr("share: real", "割合: 本物"),
                  tr("share: samples", "割合: サンプル"),
                  tr("confidence: real", "確信度: 本物"),
                  tr("confidence: samples", "確信度: サンプル")], crow,
                 caption=tr(f"Per class, after {last} iterations (samples: mean over the "
                            "seeds): the share of the images the judge puts in the class, "
                            "and its mean confidence (top probability) on them.",
                            f"{last} イテレーション後のクラスごとの値 (サンプルはシードの平均): "
                            "判定器がそのクラスとする画像の割合と、それらへの確信度 (最大確率) "
                            "の平均。"))
    tail = {s_: max(1, len(runs[s_]["loss_d"]) // 10) for s_ in seeds}

    def tail_mean(key, s_, end=True):
        v = runs[s_][key]
        return float(np.mean(v[-tail[s_]:] if end else v[:tail[s_]]))

    ends = {k: np.array([tail_mean(k, s_) for s_ in seeds])
            for k in ("loss_d", "loss_g", "d_real", "d_fake")}
    starts = {k: np.array([tail_mean(k, s_, False) for s_ in seeds])
              for k in ("loss_d", "loss_g", "d_real", "d_fake")}
    report.table(["", tr("first 10 %", "最初の 10 %"), tr("last 10 %", "最後の 10 %")], [
        [tr("D loss", "D の損失"), spread(starts["loss_d"]), spread(ends["loss_d"])],
        [tr("G loss", "G の損失"), spread(starts["loss_g"]), spread(ends["loss_g"])],
        ["D(x), " + tr("real", "本物"), spread(starts["d_real"]), spread(ends["d_real"])],
        ["D(G(z)), " + tr("generated", "生成"), spread(starts["d_fake"]),
         spread(ends["d_fake"])]],
        caption=tr("Mean losses and discriminator outputs at the start and the end of "
                   "training (mean ± 95 % interval over the seeds).",
                   "学習の最初と最後の損失と識別器の出力の平均 (シードの平均 ± 95 % 区間)。"))
    for k in ("loss_d", "loss_g", "d_real", "d_fake"):
        report.result(k, first[k])
    report.result("quality", first["quality"])
    report.result("quality_per_seed", {str(s_): runs[s_]["quality"] for s_ in seeds})
    report.result("real_frechet", real_fd)
    report.result("real_quality", real_q)
    report.result("judge_test_acc", judge_acc)
    report.result("iterations_done", len(first["loss_d"]))
    report.result("seconds_per_iteration",
                  float(np.mean([runs[s_]["seconds"] / max(len(runs[s_]["loss_d"]), 1)
                                 for s_ in seeds])))

    # -- claims, each over the seeds
    fd0 = np.array([at(s_, 0, "frechet") for s_ in seeds])
    fd_end = np.array([fq[s_]["frechet"] for s_ in seeds])
    vs_real = np.array([fq[s_]["frechet_vs_real"] for s_ in seeds])
    finite = np.array([0.0 if runs[s_]["stopped"] else 1.0 for s_ in seeds])
    report.claim(tr("The generator learns to turn noise into images like the training data",
                    "生成器はノイズを訓練データのような画像に変えることを学ぶ"),
                 [check(np.where(finite > 0, fd_end / fd0, np.nan), 0.5, "<")],
                 tr(f"Fréchet distance to the real images {spread(fd0)} untrained → "
                    f"{spread(fd_end)} after {last} iterations (shown = less than half the "
                    "untrained generator's)",
                    f"本物の画像への Fréchet 距離: 学習前 {spread(fd0)} → {last} イテレーション"
                    f"後 {spread(fd_end)} (基準: 学習前の半分未満)"))
    report.claim(tr(f"After {last} iterations the samples are about as close to the data as "
                    "real images are (the lab report's images looked natural after 10,000)",
                    f"{last} イテレーション後のサンプルは、本物の画像と同じくらいデータに近い"
                    " (実験レポートの画像は 10,000 回で自然に見えた)"),
                 check(vs_real, NEAR_REAL, "<"),
                 tr(f"the samples' Fréchet distance is {spread(vs_real)} times the real "
                    f"images' own ({real_fd:.3g}: {len(held)} real test images against the "
                    f"reference; shown = within {NEAR_REAL:g}×)",
                    f"サンプルの Fréchet 距離は本物の画像どうしの距離 ({real_fd:.3g}: 本物の"
                    f"テスト画像 {len(held)} 枚と参照画像) の {spread(vs_real)} 倍 (基準: "
                    f"{NEAR_REAL:g} 倍以内)"))
    report.claim(tr("With the lab report's balance (lower G learning rate, label smoothing, "
                    "dropout in D) neither player wins outright: D keeps being fooled "
                    "sometimes",
                    "実験レポートのバランス (G の低い学習率、ラベル平滑化、D のドロップアウト) "
                    "では、どちらも完全には勝たない: D は時々だまされ続ける"),
                 [check(ends["d_fake"], 0.05), check(ends["d_fake"], 0.95, "<"),
                  check(ends["d_real"], 0.99, "<")],
                 tr(f"over the last 10 % of iterations D(G(z)) = {spread(ends['d_fake'])}, "
                    f"D(x) = {spread(ends['d_real'])}, D loss {spread(ends['loss_d'])}, G loss "
                    f"{spread(ends['loss_g'])} (shown = D(G(z)) between 0.05 and 0.95 and "
                    "D(x) below 0.99)",
                    f"最後の 10 % のイテレーションで D(G(z)) = {spread(ends['d_fake'])}、D(x) = "
                    f"{spread(ends['d_real'])}、D の損失 {spread(ends['loss_d'])}、G の損失 "
                    f"{spread(ends['loss_g'])} (基準: D(G(z)) が 0.05〜0.95 で D(x) が "
                    "0.99 未満)"))
    conf = np.array([fq[s_]["confidence"] for s_ in seeds])
    if conditional:
        agree = np.array([fq[s_]["judge_agrees_with_label"] for s_ in seeds])
        inlab = np.array([fq[s_]["confidence_in_label"] for s_ in seeds])
        report.claim(tr("The conditional generator draws the class it is asked for (the lab "
                        "report's wish)", "条件付き生成器は指定されたクラスを描く (実験レポート"
                        "の望み)"),
                     check(agree, 0.5),
                     tr(f"the judge names the asked class for {spread(agree)} of {N_EVAL} "
                        f"samples, 50 per class, with mean probability {spread(inlab)} (real "
                        f"test images: {real_q['judge_agrees_with_label']:.3f} and "
                        f"{real_q['confidence_in_label']:.3f}; chance 0.1; shown = above "
                        "0.5)",
                        f"判定器は {N_EVAL} 枚 (クラスごとに 50 枚) のうち {spread(agree)} で"
                        f"指定クラスを答え、その確率の平均は {spread(inlab)} (本物のテスト画像"
                        f": {real_q['judge_agrees_with_label']:.3f} と "
                        f"{real_q['confidence_in_label']:.3f}、偶然なら 0.1、基準: 0.5 "
                        "超)"))
    else:
        share_ov = np.array([fq[s_]["class_overlap"] for s_ in seeds])
        sure_ov = np.array([fq[s_]["sure_class_overlap"] for s_ in seeds])
        q0 = {k: spread([at(s_, 0, k) for s_ in seeds])
              for k in ("class_overlap", "sure_class_overlap", "confidence")}
        report.claim(tr("The samples are varied (no mode collapse onto one kind of image): "
                        "the judge spreads them over the classes as it spreads real images",
                        "サンプルには多様性がある (1 種類の画像へのモード崩壊がない): 判定器は"
                        "本物の画像と同じようにサンプルをクラスに振り分ける"),
                     check(share_ov, 0.7),
                     tr(f"the samples' class shares overlap the real images' by "
                        f"{spread(share_ov)} (untrained generator: {q0['class_overlap']}; "
                        "criterion: above 0.7)",
                        f"サンプルのクラスの割合と本物の画像の割合の重なり {spread(share_ov)} "
                        f"(学習前の生成器: {q0['class_overlap']}、基準: 0.7 超)"))
        report.claim(tr("The samples are recognisable garments of every class: per class, "
                        "the judge is about as often sure of them as of real images",
                        "サンプルはどのクラスでも見分けのつく衣類である: クラスごとに、判定器"
                        "は本物の画像と同じくらいの割合で確信をもつ"),
                     check(sure_ov, 0.8),
                     tr(f"overlap of the sure samples' classes with the sure real images' "
                        f"{spread(sure_ov)} (untrained generator: {q0['sure_class_overlap']}; "
                        f"sure = top probability ≥ {CONFIDENT}; criterion: above 0.8); the "
                        f"judge's mean confidence {spread(conf)} on the samples, "
                        f"{real_q['confidence']:.3f} on real test images",
                        f"確信のあるサンプルと確信のある本物の画像のクラスの重なり "
                        f"{spread(sure_ov)} (学習前の生成器: {q0['sure_class_overlap']}、確信 = "
                        f"最大確率 ≥ {CONFIDENT}、基準: 0.8 超)。判定器の確信度の平均はサンプル"
                        f"で {spread(conf)}、本物のテスト画像で {real_q['confidence']:.3f}"))
    best = {s_: min(runs[s_]["quality"], key=lambda st: runs[s_]["quality"][st]["frechet"])
            for s_ in seeds}
    report.result("best_snapshot", best[seeds[0]])
    report.result("best_snapshot_per_seed", {str(s_): b for s_, b in best.items()})
    at_end = sum(best[s_] == last_it(s_) for s_ in seeds)
    report.note(tr(f"The lab report saw its best images before the end (10,000 of 50,000 "
                   f"iterations) and wished for early stopping. Here the snapshot closest to "
                   f"the data (the lowest Fréchet distance) is the last one at {at_end} of "
                   f"{len(seeds)} seeds (per seed: "
                   + ", ".join(str(best[s_]) for s_ in seeds) + "): "
                   + ("this run stops before the point where stopping earlier would help."
                      if at_end == len(seeds) else "at some seeds an earlier snapshot was "
                                                   "closer."),
                   f"実験レポートは最良の画像を終わる前 (50,000 回中 10,000 回) に見て、早期"
                   f"終了を望みました。ここでデータに最も近い (Fréchet 距離が最小の) スナップ"
                   f"ショットが最後のものだったのは {len(seeds)} シード中 {at_end} (シードごと: "
                   + ", ".join(str(best[s_]) for s_ in seeds) + ")。"
                   + ("この実行は、早く止めたほうがよくなる点より前に終わっています。"
                      if at_end == len(seeds) else "一部のシードでは、より前のスナップショット"
                                                   "のほうが近かった。")))
    report.note(tr("The Fréchet distance is FID's formula computed in the hidden features of a "
                   "small MLP instead of an Inception network, so its numbers are not FIDs; "
                   "what they mean is their ratio to the real images' own distance in the same "
                   "features. The judge is trained once and shared by every seed, so the "
                   "spreads are the GAN's, not the judge's. Its confidence alone says little: "
                   "it is surest of all (about 0.99) of the untrained generator's grey "
                   "squares, which it puts in one class; what counts is its confidence per "
                   "class against the real images'. Look at the samples too.",
                   "Fréchet 距離は FID の式を Inception ネットワークではなく小さな MLP の隠れ層"
                   "の特徴で計算したもので、値は FID ではありません。意味があるのは、同じ特徴で"
                   "の本物の画像どうしの距離との比です。判定器は一度だけ学習してすべてのシードで"
                   "共有するので、ばらつきは GAN のものです。判定器の確信度だけではほとんど何も"
                   "わかりません: 学習前の生成器の灰色の四角形を 1 つのクラスに入れ、最も強く "
                   "(約 0.99) 確信します。大事なのはクラスごとの確信度を本物の画像と比べること"
                   "です。サンプルの画像も見てください。"))
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
    ax2.set_ylim(0, 1.02)
    _integer_ticks(ax2, n)
    ax2.set_xlabel(tr("iteration", "イテレーション"))
    ax2.set_ylabel(tr("mean D output", "D の出力の平均"))
    ax2.grid(True, alpha=0.3)
    ax2.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
               fontsize="small")
    return fig


def _plot_quality(runs, seeds, real_q, conditional):
    """Left: Fréchet distance ÷ the real images' own, per snapshot, one line per seed (log
    scale, the real level at 1); right: the judge's confidence (or agreement with the
    asked class), with the real images' level dashed."""
    from ..viz.plots import _figure
    fig = _figure((9.6, 3.4))
    axes = fig.subplots(1, 2)
    key = "judge_agrees_with_label" if conditional else "confidence"
    for i, s_ in enumerate(seeds):
        q = runs[s_]["quality"]
        its = sorted(q)
        c = f"C{i}"
        axes[0].plot(its, [q[t]["frechet_vs_real"] for t in its], "o-", color=c,
                     label=tr(f"seed {s_}", f"シード {s_}"), markersize=4)
        axes[1].plot(its, [q[t][key] for t in its], "o-", color=c, markersize=4)
    axes[0].axhline(1.0, color="gray", linestyle="--", linewidth=1)
    axes[0].set_yscale("log")
    axes[0].set_ylabel(tr("Fréchet distance ÷ real images'", "Fréchet 距離 ÷ 本物どうし"))
    axes[1].axhline(real_q[key], color="gray", linestyle="--", linewidth=1)
    axes[1].set_ylim(0, 1.02)
    axes[1].set_ylabel(tr("judge names the asked class", "指定クラスを答える割合")
                       if conditional else tr("judge's mean confidence", "判定器の確信度"))
    for ax in axes:
        ax.set_xlabel(tr("iteration", "イテレーション"))
        ax.grid(True, alpha=0.3)
    axes[1].text(0.02, real_q[key] - 0.02, tr("real test images", "本物のテスト画像"),
                 transform=axes[1].get_yaxis_transform(), va="top", fontsize=8,
                 color="gray")
    fig.legend(loc="outside lower center", ncol=len(seeds), fontsize="small")
    fig.suptitle(tr("the samples as the judge sees them (dashed: real images)",
                    "判定器から見たサンプル (破線: 本物の画像)"))
    return fig
