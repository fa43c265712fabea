"""``History``: what :func:`tinygrad_jp.train.fit` measured, per epoch and per iteration."""
import csv
import io
import math
import os

from ._io import atomic_write_json, atomic_write_text, load_json

__all__ = ["History"]

_ITER_KEYS = ("iter_loss", "iter_epoch")


class History:
    """Per-epoch and per-iteration training records, as a dict of lists.

    After ``history = fit(...)``:

    * ``history['train_loss']``, ``history['train_acc']``, ``history['val_loss']``,
      ``history['val_acc']``: one value per epoch (the mean over the epoch's samples;
      ``val_*`` only with a ``val_loader``; one ``train_<name>`` / ``val_<name>`` per
      extra metric), ``history['lr']`` (the first parameter group's learning rate
      during the epoch) and ``history['epoch']`` (1, 2, ...).
    * ``history['iter_loss']``: the training loss of every iteration, and
      ``history['iter_epoch']`` the epoch (1-based) each iteration belongs to.
    * ``history.epoch_times``: wall-clock seconds per epoch. Kept out of
      :meth:`to_dict` and ``==``, so two runs with the same seed have equal histories.
    * ``history.interrupted`` / ``history.stopped_epoch``: set when training was
      interrupted or stopped early (``stopped_epoch`` is 1-based, else ``None``).

    ``tinygrad_jp.viz.plot_history(history)`` draws the curves; :meth:`to_json`,
    :meth:`to_csv` write them; :meth:`from_json` reads them back.
    """

    def __init__(self, data=None):
        self.history = {"epoch": [], "iter_loss": [], "iter_epoch": []}
        self.epoch_times = []
        self.interrupted = False
        self.stopped_epoch = None
        if data is not None:
            for key, values in dict(data).items():
                self.history[str(key)] = list(values)

    # ------------------------------------------------------------------ recording
    def log_iteration(self, loss, epoch):
        """Record the training loss of one iteration of (1-based) ``epoch``."""
        self.history["iter_loss"].append(float(loss))
        self.history["iter_epoch"].append(int(epoch))

    def log_epoch(self, epoch, logs, seconds=None):
        """Record one epoch's values (``logs``: name → number), 1-based ``epoch``.

        A name seen for the first time in a later epoch is padded with NaN for the
        earlier ones, so every per-epoch list has one value per epoch.
        """
        n = len(self.history["epoch"])
        self.history["epoch"].append(int(epoch))
        for key, value in logs.items():
            if key in _ITER_KEYS or key == "epoch":
                continue
            series = self.history.setdefault(key, [math.nan] * n)
            series.append(float(value))
        for key, series in self.history.items():
            if key not in _ITER_KEYS and len(series) == n:
                series.append(math.nan)
        if seconds is not None:
            self.epoch_times.append(float(seconds))

    # ------------------------------------------------------------------ reading
    def __getitem__(self, key):
        try:
            return self.history[key]
        except KeyError:
            raise KeyError(f"History has no series {key!r}; it has {sorted(self.history)}") \
                from None

    def __contains__(self, key):
        return key in self.history

    def keys(self):
        """The names of the recorded series."""
        return self.history.keys()

    def __len__(self):
        return len(self.history["epoch"])

    @property
    def epochs(self):
        """The number of completed epochs recorded."""
        return len(self)

    def last(self):
        """The last epoch's values as a dict (empty before the first epoch)."""
        if not len(self):
            return {}
        return {k: v[-1] for k, v in self.history.items() if k not in _ITER_KEYS}

    def best(self, monitor="val_loss", mode="auto"):
        """``(epoch, value)`` of the best epoch for ``monitor`` (``mode``: 'min', 'max' or
        'auto': 'max' for names containing 'acc', else 'min')."""
        series = self[monitor]
        mode = resolve_mode(monitor, mode, "History.best")
        finite = [(v, i) for i, v in enumerate(series) if not math.isnan(v)]
        if not finite:
            raise ValueError(f"History.best: {monitor!r} has no recorded value")
        v, i = (min if mode == "min" else max)(finite, key=lambda t: t[0])
        return self.history["epoch"][i], v

    def to_dict(self):
        """A plain dict of lists (copies): per-epoch series and ``iter_loss`` /
        ``iter_epoch``. This is what ``plot_history`` reads."""
        return {k: list(v) for k, v in self.history.items()}

    def __eq__(self, other):
        if not isinstance(other, History):
            return NotImplemented
        return _same(self.to_dict(), other.to_dict())

    __hash__ = None

    def __repr__(self):
        last = self.last()
        shown = ", ".join(f"{k}={v:.4g}" for k, v in last.items()
                          if k != "epoch" and isinstance(v, float))
        return f"History(epochs={len(self)}{', ' if shown else ''}{shown})"

    # ------------------------------------------------------------------ files
    def state_dict(self):
        """Everything needed to continue recording, as JSON-serialisable values."""
        return {"history": self.to_dict(), "epoch_times": list(self.epoch_times),
                "interrupted": self.interrupted, "stopped_epoch": self.stopped_epoch}

    def load_state_dict(self, state):
        """Restore :meth:`state_dict`."""
        self.history = {k: list(v) for k, v in state["history"].items()}
        for key in ("epoch",) + _ITER_KEYS:
            self.history.setdefault(key, [])
        self.epoch_times = list(state.get("epoch_times", []))
        self.interrupted = bool(state.get("interrupted", False))
        self.stopped_epoch = state.get("stopped_epoch")

    def to_json(self, path):
        """Write :meth:`state_dict` (series, epoch times, flags) as JSON, atomically."""
        atomic_write_json(path, self.state_dict())

    @classmethod
    def from_json(cls, path):
        """Read a file written by :meth:`to_json` (or a plain JSON dict of lists)."""
        with open(os.fspath(path), "rb") as f:
            state = load_json(f.read(), path, op="History.from_json")
        h = cls()
        if isinstance(state, dict) and "history" in state:
            h.load_state_dict(state)
        elif isinstance(state, dict):
            h.load_state_dict({"history": state})
        else:
            raise ValueError(f"History.from_json: {path} does not hold a history (a JSON "
                             "object)")
        return h

    def to_csv(self, path=None, per_iteration=False):
        """Write a CSV table, atomically: one row per epoch (columns ``epoch``, the
        series, ``time``), or with ``per_iteration=True`` one row per iteration
        (``iteration, epoch, loss``). Without ``path`` returns the text."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        if per_iteration:
            writer.writerow(["iteration", "epoch", "loss"])
            for i, (loss, ep) in enumerate(zip(self.history["iter_loss"],
                                               self.history["iter_epoch"], strict=True),
                                           start=1):
                writer.writerow([i, ep, repr(loss)])
        else:
            keys = [k for k in self.history if k not in _ITER_KEYS and k != "epoch"]
            with_time = len(self.epoch_times) == len(self)
            writer.writerow(["epoch"] + keys + (["time"] if with_time else []))
            for i, ep in enumerate(self.history["epoch"]):
                row = [ep] + [repr(self.history[k][i]) for k in keys]
                if with_time:
                    row.append(f"{self.epoch_times[i]:.3f}")
                writer.writerow(row)
        text = buf.getvalue()
        if path is None:
            return text
        atomic_write_text(path, text)
        return None


def _same(a, b):
    """Dicts of float lists equal, NaN equal to NaN (a diverged run equals its rerun)."""
    if a.keys() != b.keys():
        return False
    for k in a:
        x, y = a[k], b[k]
        if len(x) != len(y):
            return False
        for u, v in zip(x, y, strict=True):
            if u != v and not (isinstance(u, float) and isinstance(v, float)
                               and math.isnan(u) and math.isnan(v)):
                return False
    return True


def resolve_mode(monitor, mode, where):
    """'min' / 'max' for ``monitor`` ('auto': 'max' for accuracies, else 'min')."""
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{where}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode == "auto":
        return "max" if "acc" in monitor else "min"
    return mode
