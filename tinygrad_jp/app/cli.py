"""The ``tinygrad-jp`` command line (also ``python -m tinygrad_jp``).

Subcommands:

* ``train``: train a model of :mod:`tinygrad_jp.models` on a data set, with a progress
  bar; writes weights (safetensors), a resumable checkpoint, the history (JSON + CSV),
  the curves (PNG), the model summary (text) and the computation graph (SVG).
* ``graph``: draw a model's computation graph, grouped by module.
* ``experiment``: rerun one of the DAY2 curriculum's experiments and write its report
  (``experiment --list`` lists them).
* ``demo``: a ten-second autograd demo that needs nothing but NumPy.

Help is in English; ``--lang ja`` (or ``LANG=ja_JP.UTF-8``) gives Japanese help.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, NamedTuple

import numpy as np

from .._io import atomic_write_text
from ..kernels import tune_allocator

__all__ = ["main", "build_parser", "MODELS", "DATASETS", "OPTIMIZERS", "build_model",
           "build_optimizer", "load_dataset", "CLIError"]

LR_SCHEDULES = ("constant", "cosine")
DEVICES = ("auto", "cpu", "cuda")
MODELS = ("mlp", "simple_cnn", "deep_cnn", "lenet", "alexnet", "vgg16", "resnet18",
          "resnet20")
DATASETS = ("sample", "mnist", "fashion-mnist", "cifar10")
OPTIMIZERS = ("sgd", "momentum", "adagrad", "rmsprop", "adadelta", "adam", "adamw")
# Learning rates that train each optimizer reasonably on these data sets.
DEFAULT_LR = {"sgd": 0.1, "momentum": 0.01, "adagrad": 0.01, "rmsprop": 0.001,
              "adadelta": 1.0, "adam": 0.001, "adamw": 0.001}
# Smallest input side each model accepts (the ImageNet layouts shrink the image a lot).
MIN_SIDE = {"alexnet": 63, "vgg16": 32, "resnet18": 32, "lenet": 28, "simple_cnn": 6,
            "deep_cnn": 8, "mlp": 1, "resnet20": 4}


class CLIError(Exception):
    """A user error the command line reports in one message (exit status 2)."""


# ------------------------------------------------------------------------------ language
def _lang(argv):
    """'ja' when ``--lang ja`` is given or LANG / LC_ALL / LC_MESSAGES is ja_*."""
    for i, a in enumerate(argv):
        if a == "--lang" and i + 1 < len(argv):
            return "ja" if argv[i + 1].lower().startswith("ja") else "en"
        if a.startswith("--lang="):
            return "ja" if a.split("=", 1)[1].lower().startswith("ja") else "en"
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        v = os.environ.get(var)
        if v:
            return "ja" if v.lower().startswith("ja") else "en"
    return "en"


_JA = {
    "prog": "tinygrad_jp のコマンドライン: 学習、計算グラフの描画、DAY2 カリキュラムの実験の再現",
    "epilog": ("例:\n  tinygrad-jp experiment vanishing-gradient   # 勾配消失の実験 (数分)\n"
               "  tinygrad-jp experiment --list\n"
               "  tinygrad-jp train --model simple_cnn --epochs 2 --out runs/cnn\n"
               "  tinygrad-jp graph --model lenet --out lenet.svg"),
    "lang": "ヘルプの言語 (en / ja)。LANG=ja_* でも日本語になります",
    "train": "モデルを学習し、重み・履歴・学習曲線・サマリー・計算グラフを保存する",
    "graph": "モデルの計算グラフをモジュールごとにまとめて描く",
    "experiment": "カリキュラムの実験を再現し、図と report.md を書く",
    "demo": "NumPy だけで動く 10 秒の自動微分デモ",
    "model": "モデル",
    "dataset": "データセット (sample は同梱の Fashion-MNIST サンプルでオフラインで動く)",
    "optimizer": "最適化手法",
    "lr": "学習率 (省略時は最適化手法ごとの既定値)",
    "epochs": "エポック数",
    "batch_size": "ミニバッチのサイズ",
    "weight_decay": "重み減衰 (L2) の係数",
    "lr_schedule": ("エポックごとの学習率のスケジュール: constant (一定) か cosine "
                    "(CosineAnnealingLR で --lr から最終エポックで 0 まで)"),
    "dropout": ("モデルの Dropout 層の比率 (deep_cnn は 2 つとも、既定 0.5。alexnet は"
                "分類器のもの。mlp には Dropout を加える)"),
    "standardize": "画像をチャネルごとに平均 0・標準偏差 1 にする (訓練データの統計を両方に使う)",
    "augment": "カリキュラムのデータ拡張 (アフィン変換・ガウスノイズ) を使う",
    "resize": "画像を N×N に拡大する (AlexNet / VGG16 / ResNet-18 を 28×28 で使うとき)",
    "out": "出力フォルダ",
    "resume": "出力フォルダのチェックポイントから学習を再開する",
    "force": "空でない出力フォルダにも書き込む",
    "smoke": "ごく小さいサイズで数秒だけ動かす (テスト用)",
    "seed": "乱数のシード",
    "device": ("学習に使うデバイス: cpu、cuda (CuPy 経由の GPU)、auto (GPU が使えれば "
               "cuda)"),
    "graph_out": "出力ファイル (.svg / .png / .pdf / .dot)",
    "max_depth": "この深さより深いモジュールを 1 つの箱にまとめる (1 なら層ごとに 1 つ)",
    "name": "実験の名前",
    "list": "実験の一覧を表示する",
    "full": "同梱サンプルではなく Fashion-MNIST 全体を使う",
    "download": ("データセットが見つからないとき公式のファイルをダウンロードする "
                 "(SHA-256 で検証)"),
    "download_full": ("--full と一緒に: Fashion-MNIST が見つからなければダウンロードする "
                      "(SHA-256 で検証)"),
}


def _t(lang, key, en):
    return _JA.get(key, en) if lang == "ja" else en


# ------------------------------------------------------------------- the subcommands
# Each subcommand is a table of options; a row is the argparse flags and keywords, and
# its help as (key of _JA, English text) plus a suffix said in both languages.
def _option(*flags, help, suffix="", **kwargs):
    return flags, help, suffix, kwargs


_DEVICE_HELP = ("device", "where to train: cpu, cuda (a GPU through CuPy) or auto (cuda when "
                          "a GPU can be used)")
_SMOKE = _option("--smoke", action="store_true",
                 help=("smoke", "tiny sizes, a few seconds (for tests)"))
_SEED = _option("--seed", type=int, default=0, help=("seed", "random seed"), suffix=" (0)")
_FORCE_FOLDER = _option("--force", action="store_true",
                        help=("force", "write into a non-empty output folder"))

TRAIN_OPTIONS = (
    _option("--model", choices=MODELS, default="simple_cnn", help=("model", "the model"),
            suffix=" (default: simple_cnn)"),
    _option("--dataset", choices=DATASETS, default="sample",
            help=("dataset", "the data set ('sample' is the embedded Fashion-MNIST sample "
                             "and works offline)"), suffix=" (default: sample)"),
    _option("--optimizer", choices=OPTIMIZERS, default="adam",
            help=("optimizer", "the optimizer"), suffix=" (default: adam)"),
    _option("--lr", type=float, default=None,
            help=("lr", "learning rate (default: one per optimizer)"),
            suffix=": " + ", ".join(f"{k} {v:g}" for k, v in DEFAULT_LR.items())),
    _option("--epochs", type=int, default=5, help=("epochs", "epochs"), suffix=" (5)"),
    _option("--batch-size", type=int, default=100, help=("batch_size", "mini-batch size"),
            suffix=" (100)"),
    _option("--weight-decay", type=float, default=0.0,
            help=("weight_decay", "weight decay (L2) coefficient"), suffix=" (0)"),
    _option("--lr-schedule", choices=LR_SCHEDULES, default="constant",
            help=("lr_schedule", "learning-rate schedule over the epochs: constant, or "
                                 "cosine (CosineAnnealingLR from --lr down to 0 at the last "
                                 "epoch)")),
    _option("--dropout", type=float, default=None, metavar="P",
            help=("dropout", "dropout ratio of the model's dropout layers (deep_cnn: both, "
                             "default 0.5; alexnet: the classifier's; mlp: adds dropout)")),
    _option("--standardize", action="store_true",
            help=("standardize", "shift and scale the images to mean 0, std 1 per channel "
                                 "(statistics of the training set, applied to both sets)")),
    _option("--augment", action="store_true",
            help=("augment", "use the curriculum's augmentations (affine, Gaussian noise)")),
    _option("--resize", type=int, default=None, metavar="N",
            help=("resize", "resize images to N×N (for AlexNet / VGG16 / ResNet-18 on 28×28 "
                            "data)")),
    _option("--download", action="store_true",
            help=("download", "download the data set's official files if they are not found "
                              "(SHA-256 checked)")),
    _option("--out", default=None, metavar="DIR", help=("out", "output folder"),
            suffix=" (default: runs/train-<model>)"),
    _option("--resume", action="store_true",
            help=("resume", "continue from the checkpoint in the output folder")),
    _FORCE_FOLDER,
    _SMOKE,
    _SEED,
    _option("--device", choices=DEVICES, default="auto", help=_DEVICE_HELP, suffix=" (auto)"),
)

GRAPH_OPTIONS = (
    _option("--model", choices=MODELS, required=True, help=("model", "the model")),
    _option("--dataset", choices=DATASETS, default="sample",
            help=("dataset", "the data set whose image size to use"),
            suffix=" (default: sample, 1×28×28)"),
    _option("--resize", type=int, default=None, metavar="N",
            help=("resize", "resize images to N×N")),
    _option("--out", default=None, metavar="FILE",
            help=("graph_out", "output file (.svg, .png, .pdf or .dot)"),
            suffix=" (default: <model>.svg)"),
    _option("--max-depth", type=int, default=None,
            help=("max_depth", "fold modules deeper than this into one box (1: one box per "
                               "layer)")),
    _option("--force", action="store_true", help=("force", "overwrite an existing file")),
)

EXPERIMENT_OPTIONS = (
    _option("--list", action="store_true", help=("list", "list the experiments")),
    _option("--full", action="store_true",
            help=("full", "use the whole Fashion-MNIST instead of the embedded sample")),
    _option("--download", action="store_true",
            help=("download_full", "with --full: download Fashion-MNIST if it is not found "
                                   "(SHA-256 checked)")),
    _option("--out", default=None, metavar="DIR", help=("out", "output folder"),
            suffix=" (default: runs/<NAME>)"),
    _FORCE_FOLDER,
    _SMOKE,
    _SEED,
    _option("--device", choices=DEVICES, default="cpu", help=_DEVICE_HELP, suffix=" (cpu)"),
)


def _experiment_arguments(ex, t, exps):
    """What ``experiment`` takes from the registry: the names, their summaries, and each
    experiment's own options (``--<option>``, given to the experiment that has it)."""
    ex.epilog = "\n".join(f"  {n:20s} {e.summary}" for n, e in exps.items())
    ex.formatter_class = argparse.RawDescriptionHelpFormatter
    ex.add_argument("name", nargs="?", choices=list(exps), metavar="NAME",
                    help=t("name", "the experiment") + ": " + ", ".join(exps))
    seen = {}
    for e in exps.values():
        for dest, kw in e.options.items():
            if dest in seen:
                seen[dest].append(e.name)
                continue
            seen[dest] = [e.name]
            kw = dict(kw)
            kw.pop("default", None)
            ex.add_argument("--" + dest.replace("_", "-"), dest="opt_" + dest,
                            default=None, **kw)


def build_parser(lang="en"):
    """The argument parser (``lang='ja'`` for Japanese help text), made from the table
    ``SUBCOMMANDS``."""
    t = lambda key, en: _t(lang, key, en)  # noqa: E731
    from .. import experiments
    exps = experiments.registry()
    p = argparse.ArgumentParser(
        prog="tinygrad-jp",
        description=t("prog", "The tinygrad_jp command line: train models, draw computation "
                              "graphs, and rerun the DAY2 curriculum's experiments."),
        epilog=t("epilog", "examples:\n"
                           "  tinygrad-jp experiment vanishing-gradient   # a few minutes\n"
                           "  tinygrad-jp experiment --list\n"
                           "  tinygrad-jp train --model simple_cnn --epochs 2 --out runs/cnn\n"
                           "  tinygrad-jp graph --model lenet --out lenet.svg"),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--lang", choices=("en", "ja"), default=lang,
                   help=t("lang", "language of the help text (en / ja); LANG=ja_* also "
                                  "selects Japanese"))
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name, command in SUBCOMMANDS.items():
        key, short = command.help
        sp = sub.add_parser(name, help=t(key, short),
                            **({"description": t(key, command.description)}
                               if command.description else {}))
        for flags, (key, en), suffix, kwargs in command.options:
            sp.add_argument(*flags, help=t(key, en) + suffix, **kwargs)
        if command.extend is not None:
            command.extend(sp, t, exps)
    return p


# ------------------------------------------------------------------------------ helpers
def _fail(msg):
    raise CLIError(msg)


def _command_line(args):
    """The command as the user typed it (for the run's manifest and report)."""
    return " ".join(["tinygrad-jp"] + list(getattr(args, "argv", None) or [args.command]))


def _cli_hint(error):
    """A data set error's text with the library's ``download=True`` said as the option."""
    return str(error).replace("pass download=True", "pass --download").replace(
        "download=True", "--download")


def load_dataset(name, smoke=False, download=False):
    """``(train, test)`` datasets for a ``--dataset`` name (errors say how to get the files);
    ``download`` fetches missing files (``--download``)."""
    from .. import data
    if name == "sample" and download:
        _fail("--download: --dataset sample ships inside the package; there is nothing to "
              "download")
    classes = {"mnist": data.MNIST, "fashion-mnist": data.FashionMNIST,
               "cifar10": data.CIFAR10}
    try:
        if name == "sample":
            train, test = data.FashionMNIST(sample=True), data.FashionMNIST(train=False,
                                                                            sample=True)
        elif name in classes:
            train = classes[name](download=download)
            test = classes[name](train=False, download=download)
        else:
            _fail(f"unknown data set {name!r}; choose one of: {', '.join(DATASETS)}")
    except data.DatasetError as e:
        _fail(f"data set {name!r} is not available:\n{_cli_hint(e)}\n(--dataset sample works "
              "offline)")
    if smoke:
        keep_train = np.sort(np.random.default_rng(0).choice(len(train), 600, replace=False))
        keep_test = np.sort(np.random.default_rng(1).choice(len(test), 300, replace=False))
        train.data, train.targets = train.data[keep_train], train.targets[keep_train]
        test.data, test.targets = test.data[keep_test], test.targets[keep_test]
    return train, test


def _check_compatible(model, shape, resize):
    c, h, w = shape
    side = resize or min(h, w)
    need = MIN_SIDE[model]
    if side >= need:
        return
    what = {"alexnet": "AlexNet (torchvision's ImageNet layout: an 11×11 stride-4 conv and "
                       "three 3×3 stride-2 pools)",
            "vgg16": "VGG16 (five 2×2 poolings)",
            "resnet18": "ResNet-18 (the ImageNet stem: a 7×7 stride-2 conv and a max-pool, "
                        "then three more halvings)",
            "lenet": "LeNet-5 (built for 32×32; 28×28 is padded by 2)"}.get(model, model)
    alt = {"alexnet": "simple_cnn or deep_cnn", "vgg16": "deep_cnn",
           "resnet18": "resnet20 (the CIFAR ResNet for small images)"}.get(model, "mlp")
    _fail(f"--model {model} does not fit {c}-channel {h}×{w} images: {what} needs inputs of "
          f"at least {need}×{need}. Pass --resize {max(need, 32) if need > 32 else 32} "
          f"(or larger; slow on a CPU), or use --model {alt}.")


DROPOUT_MODELS = ("mlp", "deep_cnn", "alexnet")


def build_model(name, shape, num_classes=10, resize=None, dropout=None):
    """The model ``name`` for images of ``shape`` (C, H, W), after ``--resize``;
    ``dropout`` sets the ratio of the model's dropout layers (for ``mlp`` it adds them)."""
    from .. import models
    c, h, w = shape
    if resize:
        h = w = resize
    _check_compatible(name, (c, h, w), None)
    if dropout is not None:
        if name not in DROPOUT_MODELS:
            _fail(f"--dropout: --model {name} has no dropout layers (models with them: "
                  f"{', '.join(DROPOUT_MODELS)})")
        if not 0 <= dropout < 1:
            _fail(f"--dropout must be in [0, 1), got {dropout}")
        if name == "mlp":
            return models.MultiLayerNet(c * h * w, [100, 100], num_classes,
                                        activation="relu", weight_init_std="he",
                                        use_dropout=True, dropout_ratio=dropout)
        if name == "deep_cnn":
            return models.DeepConvNet(input_dim=(c, h, w), output_size=num_classes,
                                      dropout_ratio=dropout)
        return models.AlexNet(num_classes=num_classes, in_channels=c, dropout=dropout)
    if name == "mlp":
        return models.MultiLayerNet(c * h * w, [100, 100], num_classes, activation="relu",
                                    weight_init_std="he")
    if name == "simple_cnn":
        return models.SimpleConvNet(input_dim=(c, h, w), output_size=num_classes,
                                    weight_init_std="he")
    if name == "deep_cnn":
        return models.DeepConvNet(input_dim=(c, h, w), output_size=num_classes)
    if name == "lenet":
        if h != w or h not in (28, 30, 32):
            _fail(f"--model lenet takes 28×28, 30×30 or 32×32 images, got {h}×{w}; pass "
                  "--resize 32")
        return models.LeNet(in_channels=c, num_classes=num_classes, padding=(32 - h) // 2)
    if name == "alexnet":
        return models.AlexNet(num_classes=num_classes, in_channels=c)
    if name == "vgg16":
        return models.VGG16(num_classes=num_classes, in_channels=c, input_size=(h, w))
    if name == "resnet18":
        return models.resnet18(num_classes=num_classes, in_channels=c)
    if name == "resnet20":
        return models.resnet20(num_classes=num_classes, in_channels=c)
    _fail(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}")


def build_optimizer(name, params, lr=None, weight_decay=0.0):
    """The optimizer for an ``--optimizer`` name."""
    from .. import optim
    lr = DEFAULT_LR[name] if lr is None else lr
    if not lr > 0:
        _fail(f"--lr must be positive, got {lr}")
    if weight_decay < 0:
        _fail(f"--weight-decay must be >= 0, got {weight_decay}")
    wd = weight_decay
    if name == "sgd":
        return optim.SGD(params, lr=lr, weight_decay=wd)
    if name == "momentum":
        return optim.SGD(params, lr=lr, momentum=0.9, weight_decay=wd)
    if name == "adagrad":
        return optim.Adagrad(params, lr=lr, weight_decay=wd)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr, weight_decay=wd)
    if name == "adadelta":
        return optim.Adadelta(params, lr=lr, weight_decay=wd)
    if name == "adam":
        return optim.Adam(params, lr=lr, weight_decay=wd)
    if name == "adamw":
        return optim.AdamW(params, lr=lr, weight_decay=wd if wd else 1e-2)
    _fail(f"unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}")


def resolve_device(name):
    """``--device``: 'cpu', 'cuda' (a clear error without CuPy or a GPU) or 'auto'."""
    import tinygrad_jp as tg
    if name == "auto":
        return "cuda" if tg.cuda.is_available() else "cpu"
    if name == "cuda" and not tg.cuda.is_available():
        from ..devices import cuda_module
        try:
            cuda_module()
        except RuntimeError as e:
            _fail(f"--device cuda: {e}")
    return name


def build_scheduler(name, optimizer, epochs):
    """The learning-rate scheduler for an ``--lr-schedule`` name (None for constant)."""
    from .. import optim
    if name == "constant":
        return None
    if name == "cosine":
        return optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    _fail(f"unknown --lr-schedule {name!r}; choose one of: {', '.join(LR_SCHEDULES)}")


class _Resize:
    """Nearest-neighbour resize of an N×C×H×W batch to N×C×S×S (one fancy index)."""

    def __init__(self, size):
        self.size = int(size)

    def __call__(self, x):
        h, w = x.shape[-2:]
        rows = (np.arange(self.size) * h // self.size)
        cols = (np.arange(self.size) * w // self.size)
        return np.ascontiguousarray(x[..., rows[:, None], cols[None, :]])


def _standardizer(train_ds):
    """Normalize to mean 0, std 1 per channel with the training images' statistics."""
    from ..data.transforms import Normalize
    images = train_ds.data                       # uint8 N×C×H×W
    total = np.zeros(images.shape[1])
    total_sq = np.zeros(images.shape[1])
    for start in range(0, len(images), 1024):     # float64 copies of 1,024 images at most
        part = images[start:start + 1024].astype(np.float64) / 255.0
        total += part.sum(axis=(0, 2, 3))
        total_sq += np.square(part).sum(axis=(0, 2, 3))
    count = images.size / images.shape[1]
    mean = total / count
    std = np.sqrt(np.maximum(total_sq / count - mean ** 2, 0.0))
    return Normalize(mean, np.maximum(std, 1e-6))


def _compose(*steps):
    """The given transforms (None skipped) in order, or None."""
    from ..data.transforms import Compose
    steps = [t for t in steps if t is not None]
    if not steps:
        return None
    return steps[0] if len(steps) == 1 else Compose(steps)


def _augmentation(channels):
    from ..data import transforms as T
    steps = [T.RandomAffine(degrees=10, translate=(0.1, 0.1), scale=(0.9, 1.1), shear=10),
             T.GaussianNoise(0.1, clip=True)]
    if channels == 3:
        steps.insert(0, T.RandomHorizontalFlip())
    return T.Compose(steps)


def _save_graph(model, input_size, path, max_depth=None):
    """Draw and save the graph; without ``dot``, write the DOT source beside and say so.
    Returns (written path, message)."""
    from .. import viz
    from ..autograd import no_grad  # noqa: F401  (graph needs grad mode on)
    was = model.training
    model.eval()
    try:
        g = viz.draw_model(model, input_size=input_size, max_depth=max_depth)
    finally:
        model.train(was)
    path = Path(path)
    try:
        viz.save(g, path)
        return path, f"wrote {path}"
    except viz.GraphvizNotFoundError:
        dot = path.with_suffix(".dot")
        viz.save(g, dot)
        fmt = path.suffix.lstrip(".").lower() or "svg"
        return dot, (f"graphviz's `dot` program is not installed, so {path.name} could not "
                     f"be rendered; wrote the DOT source {dot} instead (install graphviz, "
                     f"e.g. `sudo apt-get install graphviz`, then `dot -T{fmt} {dot} -o "
                     f"{path}`)")


# ------------------------------------------------------------------------------- train
_RUN_FILE = "run.json"
_CKPT_DIR = "checkpoints"
# Everything `train` may write into its folder (a rerun replaces a folder holding only these).
_TRAIN_WRITES = (_RUN_FILE, _CKPT_DIR, "model.safetensors", "history.json", "history.csv",
                 "curves.png", "summary.txt", "graph.svg", "graph.dot")
# Arguments that must match when a run is resumed (they decide the model, its data and
# the optimizer's state layout).
_RESUME_KEYS = ("model", "dataset", "resize", "optimizer", "lr_schedule", "standardize",
                "dropout", "smoke")


def _resume_command(args, out):
    parts = ["tinygrad-jp train", f"--model {args.model}", f"--dataset {args.dataset}",
             f"--optimizer {args.optimizer}"]
    if args.lr is not None:
        parts.append(f"--lr {args.lr:g}")
    parts.append(f"--epochs {args.epochs}")
    if args.lr_schedule != "constant":
        parts.append(f"--lr-schedule {args.lr_schedule}")
    if args.batch_size != 100:
        parts.append(f"--batch-size {args.batch_size}")
    if args.weight_decay:
        parts.append(f"--weight-decay {args.weight_decay:g}")
    if args.dropout is not None:
        parts.append(f"--dropout {args.dropout:g}")
    if args.standardize:
        parts.append("--standardize")
    if args.augment:
        parts.append("--augment")
    if args.resize:
        parts.append(f"--resize {args.resize}")
    if args.smoke:
        parts.append("--smoke")
    parts += [f"--out {out}", "--resume"]
    return " ".join(parts)


def _check_resume(args, out):
    run_file = out / _RUN_FILE
    ckpt = out / _CKPT_DIR
    if not run_file.is_file() or not ckpt.is_dir():
        _fail(f"--resume: {out} holds no run of `tinygrad-jp train` to continue (no "
              f"{_RUN_FILE} and {_CKPT_DIR}/); train without --resume first, or point --out "
              "at the folder of the run to continue")
    saved = json.loads(run_file.read_text(encoding="utf-8"))
    saved.setdefault("lr_schedule", "constant")      # runs from before the options
    saved.setdefault("standardize", False)
    saved.setdefault("dropout", None)
    for key in _RESUME_KEYS:
        if saved.get(key) != getattr(args, key):
            flag = f"--{key.replace('_', '-')}"
            now, then = getattr(args, key), saved.get(key)
            _fail(f"--resume: the run in {out} was trained with {flag} {then}, not {now}; "
                  f"resume with the same {flag} (its checkpoint holds a {saved.get('model')} "
                  f"trained by {saved.get('optimizer')}), or start a new run in another "
                  "--out folder")
    return saved


def cmd_train(args):
    """``tinygrad-jp train``: build, train with :func:`tinygrad_jp.train.fit` (progress bar,
    checkpoints that survive Ctrl-C, exact resume) and write the results."""
    from ..experiments.run_folder import OutputExistsError, RunFolder, RunLockedError

    if args.epochs < 1:
        _fail(f"--epochs must be >= 1, got {args.epochs}")
    if args.batch_size < 1:
        _fail(f"--batch-size must be >= 1, got {args.batch_size}")
    if args.resize is not None and args.resize < 1:
        _fail(f"--resize must be a positive size, got {args.resize}")
    out = Path(args.out or f"runs/train-{args.model}")
    if args.resume:
        _check_resume(args, out)
    folder = RunFolder(out, kind="train", command=_command_line(args), force=args.force,
                       resume=args.resume, writes=_TRAIN_WRITES)
    try:
        with folder:
            if folder.replaced:
                print(f"this run {folder.replaced}")
            code = _train(args, out)
            folder.complete = code == 0
            return code
    except OutputExistsError as e:
        _fail(f"{e} (or --resume to continue the run there)")
    except RunLockedError as e:
        _fail(str(e))


def _train(args, out):
    """The body of ``tinygrad-jp train``, writing into the folder ``out``: set up, describe
    the model, train, write the results."""
    device = resolve_device(args.device)
    run = _set_up(args)
    summary, graph_msg = _describe(run, out)
    run.model.to(device)   # after the summary and graph (made on the CPU); fit moves batches
    if not args.resume:
        _write_run_file(args, run, device, out)
    print(f"{args.model} on {args.dataset} ({device}): {summary.total_params:,} parameters, "
          f"{len(run.train_ds):,} training / {len(run.test_ds):,} test images, optimizer "
          f"{args.optimizer} (lr {run.opt.param_groups[0]['lr']:g})"
          + (f"; resuming from {out / _CKPT_DIR}" if args.resume else ""))
    history = _fit(args, run, out)
    if history is None:
        return 130          # interrupted: the checkpoint says where to resume
    _write_results(args, run.model, history, out)
    print(graph_msg)
    print(f"wrote {out}/: model.safetensors, history.json, history.csv, curves.png, "
          f"summary.txt, {Path(_save_graph_name(out)).name}, {_CKPT_DIR}/")
    return 0


def _set_up(args):
    """The data, model, optimizer, scheduler and loaders of a ``train`` run."""
    import tinygrad_jp as tg
    from ..data import DataLoader

    train_ds, test_ds = load_dataset(args.dataset, smoke=args.smoke, download=args.download)
    shape = tuple(train_ds.data.shape[1:])
    tg.manual_seed(args.seed)
    model = build_model(args.model, shape, len(train_ds.classes) or 10, args.resize,
                        args.dropout)
    opt = build_optimizer(args.optimizer, model.parameters(), args.lr, args.weight_decay)
    scheduler = build_scheduler(args.lr_schedule, opt, args.epochs)
    size = args.resize or shape[1]
    resize = _Resize(args.resize) if args.resize else None
    aug = _augmentation(shape[0]) if args.augment else None
    standardize = _standardizer(train_ds) if args.standardize else None
    train_loader = DataLoader(train_ds, batch_size=args.batch_size, shuffle=True,
                              transform=_compose(aug, resize, standardize))
    test_loader = DataLoader(test_ds, batch_size=max(args.batch_size, 200),
                             transform=_compose(resize, standardize))
    return SimpleNamespace(train_ds=train_ds, test_ds=test_ds, model=model, opt=opt,
                           scheduler=scheduler, input_size=(1, shape[0], size, size),
                           train_loader=train_loader, test_loader=test_loader)


def _describe(run, out):
    """Write the model's summary and graph; return (the summary, the graph's message)."""
    from .. import nn
    summary = nn.summary(run.model, run.input_size)
    atomic_write_text(out / "summary.txt", str(summary) + "\n")
    _, graph_msg = _save_graph(run.model, run.input_size, out / "graph.svg", max_depth=1)
    return summary, graph_msg


def _write_run_file(args, run, device, out):
    """``run.json``: the arguments of a new run (``--resume`` checks them against it)."""
    record = {k: getattr(args, k) for k in ("model", "dataset", "optimizer", "lr",
                                            "lr_schedule", "batch_size", "weight_decay",
                                            "standardize", "dropout", "augment",
                                            "resize", "seed", "smoke")}
    record["lr_used"] = run.opt.param_groups[0]["lr"]
    record["device"] = device
    atomic_write_text(out / _RUN_FILE, json.dumps(record, indent=2) + "\n")


def _fit(args, run, out):
    """Train with :func:`tinygrad_jp.train.fit`; the history, or None when interrupted
    (after saying how to resume)."""
    from .. import nn, train
    checkpoint = train.ModelCheckpoint(out / _CKPT_DIR)
    callbacks = [checkpoint]
    if not sys.stderr.isatty():
        # No progress bar off a terminal (fit shows it only there): one line per epoch.
        def epoch_line(epoch, logs):
            print(f"epoch {epoch + 1}/{args.epochs}: train loss {logs['train_loss']:.4f} "
                  f"acc {logs['train_acc']:.4f} | test loss {logs['val_loss']:.4f} acc "
                  f"{logs['val_acc']:.4f}", flush=True)
        callbacks.append(train.LambdaCallback(on_epoch_end=epoch_line))
    try:
        return train.fit(run.model, nn.CrossEntropyLoss(), run.opt, run.train_loader,
                         run.test_loader, epochs=args.epochs, callbacks=callbacks,
                         scheduler=run.scheduler,
                         resume=(out / _CKPT_DIR) if args.resume else None,
                         seed=None if args.resume else args.seed)
    except train.TrainingInterrupted as e:
        where = e.checkpoint or checkpoint.last_path
        print(file=sys.stderr)
        if where:
            print(f"interrupted after {e.epoch} complete epoch(s) and {e.batch} batch(es); "
                  f"the checkpoint is in {where}.\nresume with:\n  "
                  f"{_resume_command(args, out)}", file=sys.stderr)
        else:
            print("interrupted before anything could be saved; nothing to resume.",
                  file=sys.stderr)
        return None
    except train.NonFiniteLossError as e:
        _fail(f"{e}\nThe training diverged: try a smaller --lr (it was "
              f"{run.opt.param_groups[0]['lr']:g}).")
    except train.CheckpointError as e:
        _fail(f"--resume: {e}")


def _write_results(args, model, history, out):
    """The weights, the history (JSON, CSV) and the curves; print the last epoch's figures."""
    import tinygrad_jp as tg
    from .. import viz
    tg.save(model.state_dict(), out / "model.safetensors",
            metadata={"model": args.model, "dataset": args.dataset,
                      "epochs": str(len(history["epoch"]))})
    history.to_json(out / "history.json")
    history.to_csv(out / "history.csv")
    if len(history["epoch"]):
        with viz.language(args.lang):           # --lang ja / LANG=ja_*: Japanese labels
            viz.plot_history({"train_acc": history["train_acc"],
                              "test_acc": history["val_acc"],
                              "train_loss": history["train_loss"],
                              "test_loss": history["val_loss"]},
                             title=f"{args.model} on {args.dataset}", path=out / "curves.png")
        print(f"epochs: {len(history['epoch'])}; train loss {history['train_loss'][-1]:.4f}, "
              f"train accuracy {history['train_acc'][-1]:.4f}")
        print(f"test accuracy: {history['val_acc'][-1]:.4f}")


def _save_graph_name(out):
    return out / "graph.svg" if (out / "graph.svg").exists() else out / "graph.dot"


# ------------------------------------------------------------------------------- graph
def cmd_graph(args):
    """``tinygrad-jp graph``."""
    if args.resize is not None and args.resize < 1:
        _fail(f"--resize must be a positive size, got {args.resize}")
    shape = {"sample": (1, 28, 28), "mnist": (1, 28, 28), "fashion-mnist": (1, 28, 28),
             "cifar10": (3, 32, 32)}[args.dataset]
    model = build_model(args.model, shape, 10, args.resize)
    size = args.resize or shape[1]
    out = Path(args.out or f"{args.model}.svg")
    if out.suffix.lower() not in (".svg", ".png", ".pdf", ".dot", ".gv"):
        _fail(f"--out {out}: give a file ending in .svg, .png, .pdf or .dot")
    if out.exists() and not args.force:
        _fail(f"{out} exists; pass --force to overwrite it")
    if out.parent != Path(""):
        out.parent.mkdir(parents=True, exist_ok=True)
    _, msg = _save_graph(model, (1, shape[0], size, size), out, max_depth=args.max_depth)
    print(msg)
    return 0


# -------------------------------------------------------------------------- experiment
def _fetch_full_fashion_mnist():
    """``experiment --full --download``: find or fetch Fashion-MNIST before the run (the
    experiment then finds the verified files where the download put them)."""
    from .. import data
    try:
        data.FashionMNIST(train=True, download=True)
        data.FashionMNIST(train=False, download=True)
    except data.DatasetError as e:
        _fail(f"--download: Fashion-MNIST could not be fetched:\n{_cli_hint(e)}")


def cmd_experiment(args, parser_ex=None):
    """``tinygrad-jp experiment``."""
    from .. import experiments
    from ..experiments.run_folder import OutputExistsError, RunLockedError
    reg = experiments.registry()
    if args.list or args.name is None:
        if args.name is None and not args.list:
            print("give an experiment NAME (or --list); the experiments are:")
        width = max(len(n) for n in reg) if reg else 0
        for n, e in reg.items():
            print(f"  {n:{width}s}  {e.summary}")
        return 0 if args.list else 2
    exp = reg[args.name]
    options = {}
    for key, value in vars(args).items():
        if not key.startswith("opt_") or value is None:
            continue
        dest = key[4:]
        if dest not in exp.options:
            owners = [n for n, e in reg.items() if dest in e.options]
            _fail(f"--{dest.replace('_', '-')} applies to the experiment(s) "
                  f"{', '.join(owners)}, not {args.name}")
        options[dest] = value
    if args.full and args.smoke:
        _fail("--full and --smoke exclude each other")
    if args.download and not args.full:
        _fail("--download goes with --full: without it the experiment uses the sample that "
              "ships inside the package")
    if args.download:
        _fetch_full_fashion_mnist()
    out = Path(args.out or Path("runs") / args.name)
    print(f"experiment {args.name}: {exp.summary}")
    print(f"writing into {out}/ ...")
    try:
        report = experiments.run_experiment(args.name, out_dir=out, full=args.full,
                                            smoke=args.smoke, seed=args.seed,
                                            force=args.force, command=_command_line(args),
                                            lang=args.lang, device=resolve_device(args.device),
                                            **options)
    except (OutputExistsError, RunLockedError) as e:
        _fail(str(e))
    except Exception as e:  # a missing data set is a user problem, not a traceback
        from ..data import DatasetError
        if isinstance(e, DatasetError):
            _fail(f"the data set is not available:\n{_cli_hint(e)}\n(without --full the "
                  "experiment uses the embedded sample and works offline)")
        raise
    if report.replaced:
        print(f"this run {report.replaced}")
    for e in report.effects:
        print(f"  [{'shown' if e.shown else 'NOT shown'}] {e.claim}: {e.evidence}")
    print(f"done in {report.elapsed:.1f} s: {out / 'report.md'}")
    return 0


# ------------------------------------------------------------------------------- demo
def cmd_demo(args):
    """``tinygrad-jp demo``."""
    from .demo import demo
    demo()
    return 0


# ----------------------------------------------------------------- the subcommands' table
class Subcommand(NamedTuple):
    """A row of ``SUBCOMMANDS``: help as (key of _JA, English), the English description,
    the options' table, the function that runs it, and what it adds to its parser from
    the experiments' registry."""
    help: tuple
    description: str
    options: tuple
    run: Callable
    extend: Callable | None = None


SUBCOMMANDS = {
    "train": Subcommand(("train", "train a model; write weights, history, curves, summary "
                                  "and graph"),
                        "Train a model; write weights, history, curves, summary and graph.",
                        TRAIN_OPTIONS, cmd_train),
    "graph": Subcommand(("graph", "draw a model's computation graph, grouped by module"),
                        "Draw a model's computation graph, grouped by module.",
                        GRAPH_OPTIONS, cmd_graph),
    "experiment": Subcommand(("experiment", "rerun a curriculum experiment; write figures "
                                            "and report.md"),
                             "Rerun a curriculum experiment; write figures and report.md.",
                             EXPERIMENT_OPTIONS, cmd_experiment, _experiment_arguments),
    "demo": Subcommand(("demo", "a ten-second autograd demo on NumPy alone"), "", (),
                       cmd_demo),
}


# -------------------------------------------------------------------------------- main
def main(argv=None):
    """Run the command line; returns the exit status (0 ok, 2 usage error, 130 Ctrl-C)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    lang = _lang(argv)
    parser = build_parser(lang)
    if not argv:
        parser.print_help()
        return 0
    args = parser.parse_args(argv)
    args.argv = argv
    if args.command is None:
        parser.print_help()
        return 0
    # the command line owns its process: it keeps freed memory for the next training step
    # (a library import never changes malloc; see tg.tune_allocator)
    tune_allocator()
    try:
        return SUBCOMMANDS[args.command].run(args)
    except CLIError as e:
        print(f"tinygrad-jp {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
