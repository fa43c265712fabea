"""Training plots with matplotlib: curves, histograms, gradient norms, optimizer paths,
image grids and conv filters.

Every function builds a ``matplotlib.figure.Figure`` directly (no ``pyplot``), so it
works headless, never changes the global backend, and leaves no figure open; the
Figure is returned (Jupyter displays it) and, with ``path=``, saved as PNG, SVG or PDF
(chosen by the suffix; written to a temporary file and renamed, so an interrupted save
leaves no half file).
"""
import contextlib
import contextvars
import math
import numbers
import os
from collections.abc import Mapping

import numpy as np

from .fonts import apply_fallback

__all__ = ["plot_history", "plot_activation_histograms", "plot_grad_norms",
           "plot_optimizer_paths", "plot_image_grid", "plot_filters", "language",
           "current_language", "label"]

# The words our figures print by themselves, in Japanese (course terms: 正解率, 損失).
_JA = {"epoch": "エポック", "accuracy": "正解率", "loss": "損失", "acc": "正解率",
       "iteration": "イテレーション", "gradient norm": "勾配のノルム",
       "gradient norm per layer": "層ごとの勾配のノルム", "train": "訓練", "val": "検証",
       "test": "テスト"}
_LANGUAGE = contextvars.ContextVar("tinygrad_jp_figure_language", default="en")


@contextlib.contextmanager
def language(lang):
    """Figures made inside the block label themselves in ``lang`` (``"en"`` or ``"ja"``):
    axis names, legends and titles that our functions choose (your own titles are
    yours). Scoped to the block (and to the thread or task), never process-wide.

    >>> with viz.language("ja"):                                 # doctest: +SKIP
    ...     viz.plot_history(history)             # エポック, 正解率, 損失, 訓練 / テスト
    """
    if lang not in ("en", "ja"):
        raise ValueError(f"language: 'en' or 'ja', got {lang!r}")
    token = _LANGUAGE.set(lang)
    try:
        yield lang
    finally:
        _LANGUAGE.reset(token)


def current_language():
    """The language figures are labelled in now (``"en"`` unless inside :func:`language`)."""
    return _LANGUAGE.get()


def label(en, ja):
    """``ja`` inside ``language("ja")``, else ``en``: for figure text you write yourself."""
    book = _TRANSLATIONS.get()
    if book is not None and isinstance(en, str):
        book[en] = ja
    return ja if _LANGUAGE.get() == "ja" else en


# While set (a dict), label() notes each English text with its Japanese one, so that an
# experiment run in English can also state its claims in Japanese (experiments.base).
_TRANSLATIONS = contextvars.ContextVar("tinygrad_jp_translations", default=None)


def _word(en):
    return label(en, _JA.get(en, en))

_FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}


def _figure(figsize):
    from matplotlib.figure import Figure
    return Figure(figsize=figsize, layout="constrained")


def _save(fig, path, dpi=100):
    apply_fallback(fig)         # Japanese labels render without a system CJK font
    if path is None:
        return fig
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if ext not in _FORMATS:
        raise ValueError(f"save: unknown image format {ext!r} in {path!r}; use .png, .svg or .pdf")
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = os.path.join(folder, f".{os.path.basename(path)}.tmp-{os.getpid()}")
    try:
        fig.savefig(tmp, format=_FORMATS[ext], dpi=dpi)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return fig


def _array(x, fn, what):
    """A NumPy array from an ndarray, a Tensor (its ``.data``) or a sequence."""
    data = getattr(x, "data", None)
    if isinstance(data, np.ndarray):
        return data
    try:
        return np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{fn}: {what} must be an array, got {type(x).__name__}") from e


def _history_dict(history):
    for attr in ("to_dict", "as_dict"):
        if callable(getattr(history, attr, None)):
            history = getattr(history, attr)()
            break
    else:
        if not isinstance(history, Mapping) and isinstance(getattr(history, "history", None),
                                                           Mapping):
            history = history.history
    if not isinstance(history, Mapping):
        raise TypeError("plot_history: history must be a dict of lists such as "
                        "{'train_acc': [...], 'val_acc': [...], 'train_loss': [...]}, got "
                        f"{type(history).__name__}")
    return history


def _series_label(key, metric):
    # 'train_acc' -> 'train', 'val_loss' -> 'val', 'accuracy' -> 'train'
    base = key.replace(metric, "").replace("uracy", "").strip("_ ")
    return base or "train"


def plot_history(history, metrics=("acc", "loss"), title=None, path=None):
    """Training curves: accuracy and loss per epoch, training set against test/validation.

    ``history`` is a dict of per-epoch lists, e.g. ``{'train_acc': [...], 'val_acc':
    [...], 'train_loss': [...], 'val_loss': [...]}`` (``test_*`` works too), or an
    object with ``to_dict()`` / a ``history`` dict. One panel per metric that is
    present (keys containing ``'acc'`` / ``'loss'``); per-iteration series (keys
    containing ``iter``, ``step`` or ``batch``) are left out. Returns the Figure.
    """
    hist = _history_dict(history)
    panels = []
    for metric in metrics:
        keys = [k for k in hist if metric in k and not any(s in k for s in ("iter", "step",
                                                                             "batch"))]
        keys = [k for k in keys if len(hist[k]) > 0]
        if keys:
            panels.append((metric, keys))
    if not panels:
        raise ValueError(f"plot_history: no non-empty series whose name contains one of "
                         f"{list(metrics)}; got keys {list(hist)}")
    fig = _figure((5.0 * len(panels), 3.8))
    for i, (metric, keys) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), i + 1)
        for k in keys:
            y = np.asarray(hist[k], dtype=np.float64)
            train = _series_label(k, metric) == "train"
            ax.plot(np.arange(1, len(y) + 1), y, marker="o" if train else "s", markersize=3,
                    linestyle="-" if train else "--",
                    label=_word(_series_label(k, metric)))
        name = _word("accuracy" if metric == "acc" else metric)
        ax.set_xlabel(_word("epoch"))
        _integer_ticks(ax, len(y))
        ax.set_ylabel(name)
        values = np.concatenate([np.asarray(hist[k], dtype=np.float64) for k in keys])
        if metric == "acc" and values.min() >= 0 and values.max() <= 1:
            ax.set_ylim(0, 1.0)
        ax.grid(True, alpha=0.3)
        ax.legend(loc="best")
        ax.set_title(name)
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def plot_activation_histograms(activations, bins=30, range=None, title=None, path=None):
    """One histogram per layer of the activations (the weight-initialisation experiment).

    ``activations`` maps layer names to arrays (any shape; all values are counted).
    ``range`` defaults to the common min/max of all layers, so the panels compare;
    pass ``range=(0, 1)`` for sigmoid outputs as in the curriculum's figure.
    """
    if not isinstance(activations, Mapping) or not activations:
        raise TypeError("plot_activation_histograms: activations must be a non-empty dict "
                        "{layer name: array}")
    arrays = {k: _array(v, "plot_activation_histograms", f"activations[{k!r}]").ravel()
              for k, v in activations.items()}
    if range is None:
        lo = min(float(a.min()) for a in arrays.values())
        hi = max(float(a.max()) for a in arrays.values())
        range = (lo, hi if hi > lo else lo + 1.0)
    n = len(arrays)
    fig = _figure((2.4 * n + 0.6, 2.8))
    first = None
    for i, (name, a) in enumerate(arrays.items()):
        ax = fig.add_subplot(1, n, i + 1, sharey=first)
        first = first or ax
        ax.hist(a, bins=bins, range=range)
        ax.set_title(str(name))
        if i:
            ax.tick_params(labelleft=False)
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def plot_grad_norms(norms, log=True, xlabel=None, title=None, path=None, steps=None):
    """Per-layer gradient norms over training, one line per layer, log y by default.

    ``norms`` maps layer names to sequences of norms (one per iteration or epoch).
    ``steps`` gives the iteration (or epoch) of each value, for norms measured every
    few iterations; by default they are numbered 1, 2, ... A vanishing gradient shows as
    lines of the first layers falling orders of magnitude below the last ones. The
    legend sits beside the plot, so it never hides a line.
    """
    if not isinstance(norms, Mapping) or not norms:
        raise TypeError("plot_grad_norms: norms must be a non-empty dict {layer name: list}")
    fig = _figure((7.2, 4.0))
    ax = fig.add_subplot(1, 1, 1)
    longest = 0
    for name, series in norms.items():
        y = _array(series, "plot_grad_norms", f"norms[{name!r}]").ravel()
        x = np.arange(1, len(y) + 1) if steps is None else np.asarray(steps)[:len(y)]
        if len(x) != len(y):
            raise ValueError(f"plot_grad_norms: norms[{name!r}] has {len(y)} values but "
                             f"steps has {len(x)}")
        ax.plot(x, y, label=str(name), marker="o" if len(y) == 1 else None)
        longest = max(longest, len(y))
    if log:
        ax.set_yscale("log")
    _integer_ticks(ax, longest)
    ax.set_xlabel(xlabel if xlabel is not None else _word("iteration"))
    ax.set_ylabel(_word("gradient norm"))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0),
              borderaxespad=0.0)
    ax.set_title(title or _word("gradient norm per layer"))
    return _save(fig, path)


def _integer_ticks(ax, n_points):
    """Epochs and iterations are whole numbers: tick them so, also for one point (where
    matplotlib would otherwise label 0.96 … 1.04)."""
    from matplotlib.ticker import MaxNLocator
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if n_points == 1:
        lo, hi = ax.get_xlim()
        mid = (lo + hi) / 2
        ax.set_xlim(mid - 1, mid + 1)


def _default_f(x, y):
    return x ** 2 / 20.0 + y ** 2


def plot_optimizer_paths(paths, f=None, xlim=(-10, 10), ylim=(-10, 10), ncols=2,
                         levels=None, title=None, path=None):
    """Optimizer trajectories over the contours of ``f`` (default ``x²/20 + y²``).

    ``paths`` maps optimizer names to arrays (T, 2) of successive (x, y) positions;
    each gets its own panel, as in the curriculum's comparison of SGD, Momentum,
    AdaGrad and Adam. ``f(X, Y)`` must accept arrays (it is evaluated on a grid).
    """
    if not isinstance(paths, Mapping) or not paths:
        raise TypeError("plot_optimizer_paths: paths must be a non-empty dict "
                        "{name: array (T, 2)}")
    arrays = {}
    for name, p in paths.items():
        a = _array(p, "plot_optimizer_paths", f"paths[{name!r}]")
        if a.ndim != 2 or a.shape[1] != 2:
            raise ValueError(f"plot_optimizer_paths: paths[{name!r}] must have shape (T, 2), "
                             f"got {a.shape}")
        arrays[name] = a
    f = f or _default_f
    gx, gy = np.meshgrid(np.linspace(*xlim, 200), np.linspace(*ylim, 200))
    z = np.asarray(f(gx, gy), dtype=np.float64)
    if levels is None:
        # Geometric levels show the narrow valley of x²/20 + y² at every scale.
        zmin, zmax = float(z.min()), float(z.max())
        levels = (np.geomspace(max(zmin, 1e-3) + 1e-3, zmax, 12) if zmin >= 0
                  else np.linspace(zmin, zmax, 12))
    n = len(arrays)
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig = _figure((4.2 * ncols, 3.6 * nrows))
    for i, (name, a) in enumerate(arrays.items()):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        ax.contour(gx, gy, z, levels=levels, cmap="viridis", linewidths=0.8)
        ax.plot(a[:, 0], a[:, 1], "o-", color="red", markersize=2.5, linewidth=1)
        ax.plot(0, 0, "+", color="black", markersize=10)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.set_title(str(name))
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def _images_nhwc(images, fn):
    a = _array(images, fn, "images").astype(np.float64)
    if a.ndim == 2:
        a = a[None]
    if a.ndim == 3:
        return a[..., None]                      # (N, H, W) grey
    if a.ndim == 4:
        if a.shape[1] in (1, 3):
            return a.transpose(0, 2, 3, 1)       # (N, C, H, W)
        if a.shape[3] in (1, 3):
            return a                             # (N, H, W, C)
    raise ValueError(f"{fn}: images must be (N, H, W), (N, 1|3, H, W) or (N, H, W, 1|3), got "
                     f"shape {a.shape}")


def _rescale(a, normalize):
    if normalize == "per_image":
        lo = a.min(axis=(1, 2, 3), keepdims=True)
        hi = a.max(axis=(1, 2, 3), keepdims=True)
        return (a - lo) / np.where(hi > lo, hi - lo, 1.0)
    if normalize == "global":
        lo, hi = a.min(), a.max()
        return (a - lo) / (hi - lo if hi > lo else 1.0)
    return np.clip(a, 0.0, 1.0)


def plot_image_grid(images, labels=None, predictions=None, class_names=None, ncols=None,
                    normalize="auto", cmap="gray", title=None, path=None, row_labels=None):
    """A grid of images with optional labels and predictions as titles.

    ``images``: (N, H, W), (N, 1 or 3, H, W) or (N, H, W, 1 or 3), NumPy or Tensor — a
    batch of samples, augmented samples, GAN outputs, or the feature maps (C, H, W)
    of one sample. ``normalize``: ``'auto'`` shows values in [0, 1] as they are and
    rescales anything else per image (filters, feature maps, tanh outputs);
    ``'per_image'``, ``'global'`` or ``None`` (clip to [0, 1]) force a choice.
    With ``predictions``, a title is green when it equals the label and red when not.
    ``row_labels``: one text per row, written at the left of the row (what each row is:
    "before" / "after", an iteration, an augmentation).
    """
    fn = "plot_image_grid"
    a = _images_nhwc(images, fn)
    n = a.shape[0]
    if n == 0:
        raise ValueError(f"{fn}: no images to show")
    for name, v in (("labels", labels), ("predictions", predictions)):
        if v is not None and len(_array(v, fn, name).ravel()) != n:
            raise ValueError(f"{fn}: {n} images but {len(_array(v, fn, name).ravel())} {name}")
    if normalize == "auto":
        normalize = None if (a.min() >= 0 and a.max() <= 1) else "per_image"
    if normalize not in (None, "per_image", "global"):
        raise ValueError(f"{fn}: normalize must be 'auto', 'per_image', 'global' or None, "
                         f"got {normalize!r}")
    a = _rescale(a, normalize)
    if ncols is None:
        ncols = min(n, 10)
    if not isinstance(ncols, numbers.Integral) or ncols <= 0:
        raise ValueError(f"{fn}: ncols must be a positive int, got {ncols!r}")
    nrows = math.ceil(n / ncols)
    has_text = labels is not None or predictions is not None
    fig = _figure((1.3 * ncols, (1.3 + 0.3 * has_text) * nrows + 0.3 * bool(title)))

    def name(c):
        c = int(c)
        return str(class_names[c]) if class_names is not None and 0 <= c < len(class_names) \
            else str(c)

    lab = None if labels is None else _array(labels, fn, "labels").ravel()
    pred = None if predictions is None else _array(predictions, fn, "predictions").ravel()
    for i in range(n):  # one subplot per image is matplotlib's unit of work, not a pixel loop
        ax = fig.add_subplot(nrows, ncols, i + 1)
        img = a[i, :, :, 0] if a.shape[3] == 1 else a[i]
        ax.imshow(img, cmap=cmap if a.shape[3] == 1 else None, vmin=0, vmax=1,
                  interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        if pred is not None:
            text = name(pred[i]) if lab is None else f"{name(pred[i])}\n({name(lab[i])})"
            color = "black" if lab is None else ("green" if pred[i] == lab[i] else "red")
            ax.set_title(text, fontsize=7, color=color)
        elif lab is not None:
            ax.set_title(name(lab[i]), fontsize=7)
        if row_labels is not None and i % ncols == 0 and i // ncols < len(row_labels):
            ax.set_ylabel(str(row_labels[i // ncols]), rotation=0, ha="right", va="center",
                          fontsize=8)
    if title:
        fig.suptitle(title)
    return _save(fig, path)


def plot_filters(weight, in_channel=0, ncols=8, cmap="gray_r", title=None, path=None,
                 row_labels=None):
    """Show the kernels of a conv weight (out, in, kh, kw) as a grid, one per output channel.

    With 3 input channels the kernels are shown in colour; otherwise input channel
    ``in_channel`` of each kernel is shown in grey (as the curriculum shows the
    first layer's filters before and after training). Each kernel is rescaled to its
    own min..max.
    """
    fn = "plot_filters"
    w = _array(weight, fn, "weight")
    if w.ndim != 4:
        raise ValueError(f"{fn}: weight must be (out_channels, in_channels, kh, kw), got "
                         f"shape {w.shape}")
    if w.shape[1] == 3:
        imgs = w
    else:
        if not 0 <= in_channel < w.shape[1]:
            raise ValueError(f"{fn}: in_channel {in_channel} out of range for weight "
                             f"{w.shape}")
        imgs = w[:, in_channel:in_channel + 1]
    return plot_image_grid(imgs, ncols=min(ncols, w.shape[0]), normalize="per_image",
                           cmap=cmap, title=title, path=path, row_labels=row_labels)
