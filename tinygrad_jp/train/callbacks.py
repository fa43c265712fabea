"""Callbacks: code that :func:`tinygrad_jp.train.fit` runs at fixed points of training.

Subclass :class:`Callback` and override the hooks you need. Inside a hook,
``self.trainer`` is the running :class:`~tinygrad_jp.train.Trainer` (``model``,
``optimizer``, ``history``, ``epoch``, ``global_step``, ``stop_training``, ...). Epoch
and batch indices passed to hooks are 0-based, as in Keras; ``History`` and the
progress bar count epochs from 1.
"""
import math
import os
import re
import shutil
from collections import OrderedDict

import numpy as np

from .checkpoint import LATEST_FILE, checkpoint_key, list_checkpoints, write_latest
from .history import resolve_mode

__all__ = ["Callback", "CallbackList", "LambdaCallback", "EarlyStopping", "ModelCheckpoint",
           "GradientNormRecorder"]


class Callback:
    """Base class of the training callbacks; every hook does nothing by default.

    Order of the hooks in one epoch::

        on_train_begin(logs)
          on_epoch_begin(epoch, logs)
            on_batch_begin(batch, logs)     # logs: {'batch_size'}
            on_after_backward(model)        # gradients are in p.grad, before step()
            on_batch_end(batch, logs)       # logs: {'loss', 'acc', 'batch_size', 'lr'}
          on_epoch_end(epoch, logs)         # logs: {'train_loss', 'val_acc', 'lr', ...}
        on_train_end(logs)

    ``on_interrupt(logs)`` runs instead of the rest when training is interrupted
    (``KeyboardInterrupt``). Set ``self.trainer.stop_training = True`` to stop after the
    current epoch. A callback whose state must survive ``fit(..., resume=...)``
    overrides :meth:`state_dict` / :meth:`load_state_dict` (values: JSON types or NumPy
    arrays).
    """

    trainer = None

    def set_trainer(self, trainer):
        """Called by the trainer before training starts."""
        self.trainer = trainer

    def on_train_begin(self, logs=None):
        """Before the first epoch (also when resuming)."""

    def on_train_end(self, logs=None):
        """After the last epoch, or after early stopping."""

    def on_epoch_begin(self, epoch, logs=None):
        """At the start of ``epoch`` (0-based)."""

    def on_epoch_end(self, epoch, logs=None):
        """After ``epoch``'s training, validation, scheduler step and history entry."""

    def on_batch_begin(self, batch, logs=None):
        """Before the forward pass of ``batch`` (0-based index within the epoch)."""

    def on_after_backward(self, model):
        """After ``loss.backward()`` and before ``optimizer.step()``: the place to read
        (or clip) gradients."""

    def on_batch_end(self, batch, logs=None):
        """After ``optimizer.step()`` of ``batch``."""

    def on_interrupt(self, logs=None):
        """When training is interrupted (``KeyboardInterrupt``); the exception is
        re-raised afterwards."""

    def state_dict(self):
        """The state to store in checkpoints (JSON values and NumPy arrays)."""
        return {}

    def load_state_dict(self, state):
        """Restore :meth:`state_dict` when resuming."""


class CallbackList:
    """Runs a list of callbacks in order; callbacks marked ``_run_last`` (checkpoints)
    get ``on_epoch_end`` after all others, so the state they save includes the other
    callbacks' decisions for that epoch (e.g. early stopping)."""

    def __init__(self, callbacks, trainer):
        callbacks = list(callbacks or ())
        for i, cb in enumerate(callbacks):
            if not isinstance(cb, Callback):
                raise TypeError(
                    f"fit: callbacks[{i}] is a {type(cb).__name__}, not a "
                    "tinygrad_jp.train.Callback (subclass Callback, or wrap functions in "
                    "LambdaCallback(on_epoch_end=...))")
        self.callbacks = callbacks
        for cb in callbacks:
            cb.set_trainer(trainer)
        self._epoch_end_order = ([c for c in callbacks if not getattr(c, "_run_last", False)]
                                 + [c for c in callbacks if getattr(c, "_run_last", False)])

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)

    def on_train_begin(self, logs):
        for cb in self.callbacks:
            cb.on_train_begin(logs)

    def on_train_end(self, logs):
        for cb in self.callbacks:
            cb.on_train_end(logs)

    def on_epoch_begin(self, epoch, logs):
        for cb in self.callbacks:
            cb.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs):
        for cb in self._epoch_end_order:
            cb.on_epoch_end(epoch, logs)

    def on_batch_begin(self, batch, logs):
        for cb in self.callbacks:
            cb.on_batch_begin(batch, logs)

    def on_after_backward(self, model):
        for cb in self.callbacks:
            cb.on_after_backward(model)

    def on_batch_end(self, batch, logs):
        for cb in self.callbacks:
            cb.on_batch_end(batch, logs)

    def on_interrupt(self, logs):
        for cb in self.callbacks:
            cb.on_interrupt(logs)


class LambdaCallback(Callback):
    """A callback from plain functions, e.g.
    ``LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs['val_acc']))``.
    Each keyword names a hook of :class:`Callback` and takes that hook's arguments."""

    _HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
              "on_batch_begin", "on_after_backward", "on_batch_end", "on_interrupt")

    def __init__(self, **hooks):
        for name, fn in hooks.items():
            if name not in self._HOOKS:
                raise TypeError(f"LambdaCallback: unknown hook {name!r}; the hooks are "
                                f"{', '.join(self._HOOKS)}")
            if not callable(fn):
                raise TypeError(f"LambdaCallback: {name} must be callable, got "
                                f"{type(fn).__name__}")
            setattr(self, name, fn)


def _snapshot(model):
    return OrderedDict((k, np.array(v.data if hasattr(v, "data") else v, copy=True))
                       for k, v in model.state_dict().items())


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has stopped improving (Keras' ``EarlyStopping``).

    Args:
        monitor: an epoch-level history key: ``'val_loss'`` (default), ``'val_acc'``,
            ``'train_loss'``, ...
        patience: epochs without improvement before stopping (0: stop at the first
            epoch that does not improve).
        min_delta: an improvement smaller than this does not count.
        mode: ``'min'``, ``'max'`` or ``'auto'`` (``'max'`` for names containing
            ``'acc'``, else ``'min'``).
        restore_best_weights: at the end of training, load the weights of the best
            epoch back into the model (they are kept in memory and in checkpoints).

    After training: ``best`` (value), ``best_epoch`` (1-based), ``stopped_epoch``
    (1-based, or None if it never fired); ``history.stopped_epoch`` is set too.
    """

    def __init__(self, monitor="val_loss", patience=0, min_delta=0, mode="auto",
                 restore_best_weights=False):
        if not isinstance(monitor, str):
            raise TypeError(f"EarlyStopping: monitor must be a history key such as "
                            f"'val_loss', got {type(monitor).__name__}")
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an int >= 0, got {patience!r}")
        if isinstance(min_delta, bool) or not isinstance(min_delta, (int, float)) \
                or not min_delta >= 0:
            raise ValueError(f"EarlyStopping: min_delta must be a number >= 0, got "
                             f"{min_delta!r}")
        self.monitor = monitor
        self.patience = patience
        self.min_delta = float(min_delta)
        self.mode = resolve_mode(monitor, mode, "EarlyStopping")
        self.restore_best_weights = bool(restore_best_weights)
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = None
        self.wait = 0
        self.stopped_epoch = None
        self.best_weights = None
        self.restored = False

    def on_train_begin(self, logs=None):
        keys = getattr(self.trainer, "log_keys", None)
        if keys is not None and self.monitor not in keys:
            hint = (" (validation values need fit(..., val_loader=...))"
                    if self.monitor.startswith("val_") else "")
            raise ValueError(f"EarlyStopping: monitor={self.monitor!r} is not recorded by "
                             f"this run{hint}; available: {sorted(keys)}")

    def _improved(self, value):
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise ValueError(f"EarlyStopping: the epoch logs have no {self.monitor!r}; "
                             f"they have {sorted(logs or {})}")
        value = float(value)
        if not math.isnan(value) and self._improved(value):
            self.best = value
            self.best_epoch = epoch + 1
            self.wait = 0
            if self.restore_best_weights:
                self.best_weights = _snapshot(self.trainer.model)
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch + 1
            self.trainer.stop_training = True

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None \
                and self.best_epoch != len(self.trainer.history):
            self.trainer.model.load_state_dict(self.best_weights)
            self.restored = True

    def state_dict(self):
        """``best``, ``best_epoch``, ``wait``, ``stopped_epoch`` and the best weights."""
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait,
                "stopped_epoch": self.stopped_epoch, "best_weights": self.best_weights}

    def load_state_dict(self, state):
        """Restore :meth:`state_dict`."""
        self.best = float(state["best"])
        self.best_epoch = state["best_epoch"]
        self.wait = int(state["wait"])
        self.stopped_epoch = state["stopped_epoch"]
        weights = state.get("best_weights")
        self.best_weights = None if weights is None else OrderedDict(weights)


class ModelCheckpoint(Callback):
    """Save a resumable checkpoint every ``every_n_epochs`` epochs and on interrupt.

    Each checkpoint is a new directory in ``dirpath``: ``ckpt-epoch0003`` after 3
    complete epochs, ``ckpt-epoch0003-batch000042`` for an interrupt after 42 batches
    of the 4th epoch (see :mod:`tinygrad_jp.train.checkpoint` for the files). Once it
    is complete, the ``latest`` file in ``dirpath`` is switched to it (atomically) and
    older epoch checkpoints beyond ``keep_last`` are deleted, so an interruption at any
    moment leaves the previous checkpoint complete. The end of training is always
    saved, whatever ``every_n_epochs`` is.

    Resume with ``fit(..., resume=dirpath)`` (the latest checkpoint) or with one
    checkpoint directory. ``last_path`` is the newest checkpoint written,
    ``interrupt_path`` the one written on interrupt (or None).

    Args:
        dirpath: the directory (created if needed).
        every_n_epochs: save after every n-th epoch (>= 1).
        save_on_interrupt: on ``KeyboardInterrupt`` (Ctrl-C, or raised by a callback),
            save the state after the last completed batch before re-raising.
        keep_last: how many epoch checkpoints to keep (``None``: all).
    """

    _run_last = True

    def __init__(self, dirpath, every_n_epochs=1, save_on_interrupt=True, keep_last=1):
        if not isinstance(dirpath, (str, os.PathLike)):
            raise TypeError(f"ModelCheckpoint: dirpath must be a path, got "
                            f"{type(dirpath).__name__}")
        if isinstance(every_n_epochs, bool) or not isinstance(every_n_epochs, int) \
                or every_n_epochs < 1:
            raise ValueError(f"ModelCheckpoint: every_n_epochs must be an int >= 1, got "
                             f"{every_n_epochs!r}")
        if keep_last is not None and (isinstance(keep_last, bool)
                                      or not isinstance(keep_last, int) or keep_last < 1):
            raise ValueError(f"ModelCheckpoint: keep_last must be an int >= 1 or None, got "
                             f"{keep_last!r}")
        self.dirpath = os.path.abspath(os.fspath(dirpath))
        self.every_n_epochs = every_n_epochs
        self.save_on_interrupt = bool(save_on_interrupt)
        self.keep_last = keep_last
        self.last_path = None
        self.interrupt_path = None

    def on_train_begin(self, logs=None):
        if os.path.exists(self.dirpath) and not os.path.isdir(self.dirpath):
            raise FileExistsError(f"ModelCheckpoint: {self.dirpath!r} exists and is not a "
                                  "directory")
        os.makedirs(self.dirpath, exist_ok=True)
        self._remove_leftovers()

    def _remove_leftovers(self):
        # Temporary directories of saves that were killed before their rename.
        for name in os.listdir(self.dirpath):
            if re.match(r"^\.ckpt-epoch\d+(-batch\d+)?\..*\.(tmp|old)$", name):
                shutil.rmtree(os.path.join(self.dirpath, name), ignore_errors=True)

    def _save(self, name):
        path = os.path.join(self.dirpath, name)
        self.trainer.save_checkpoint(path)
        write_latest(self.dirpath, name)
        self.last_path = path
        return path

    def on_epoch_end(self, epoch, logs=None):
        t = self.trainer
        done = epoch + 1
        if done % self.every_n_epochs == 0 or done >= t.epochs or t.stop_training:
            self._save(f"ckpt-epoch{done:04d}")
            self._prune()

    def on_interrupt(self, logs=None):
        t = self.trainer
        if not self.save_on_interrupt or not t.can_checkpoint:
            return
        if t.batches_done == 0:
            name = f"ckpt-epoch{t.epochs_done:04d}"
            if os.path.isfile(os.path.join(self.dirpath, name, "trainer.json")):
                # The epoch boundary was already saved; it is the state to resume from.
                write_latest(self.dirpath, name)
                self.interrupt_path = self.last_path = os.path.join(self.dirpath, name)
                return
        else:
            name = f"ckpt-epoch{t.epochs_done:04d}-batch{t.batches_done:06d}"
        self.interrupt_path = self._save(name)

    def _prune(self):
        if self.keep_last is None:
            return
        names = list_checkpoints(self.dirpath)
        latest = os.path.basename(self.last_path)
        current = checkpoint_key(latest)
        epoch_ckpts = [n for n in names if checkpoint_key(n)[1] == 0]
        keep = set(epoch_ckpts[-self.keep_last:]) | {latest}
        for name in names:
            # Older mid-epoch (interrupt) checkpoints are superseded once a later epoch
            # is saved; epoch checkpoints beyond keep_last go too.
            if name not in keep and checkpoint_key(name) <= current:
                shutil.rmtree(os.path.join(self.dirpath, name), ignore_errors=True)

    @property
    def latest_file(self):
        """The pointer file that names the newest complete checkpoint."""
        return os.path.join(self.dirpath, LATEST_FILE)


class GradientNormRecorder(Callback):
    """Record gradient L2 norms at every iteration (the vanishing-gradient experiment).

    Args:
        model: the model whose ``named_parameters()`` are read.
        per: ``'layer'`` (default: one norm per module, over its weight and bias
            together, e.g. ``'affine1'``) or ``'parameter'`` (``'affine1.weight'``).
        weights_only: skip parameters whose name ends in ``bias``.
        every_n_batches: record one iteration in n.

    ``norms`` is a dict name → list of floats (NaN where a parameter had no gradient)
    and ``iterations`` the global iteration (0-based) of each entry; pass ``norms`` to
    :func:`tinygrad_jp.viz.plot_grad_norms`.
    """

    def __init__(self, model, per="layer", weights_only=False, every_n_batches=1):
        if not hasattr(model, "named_parameters"):
            raise TypeError(f"GradientNormRecorder: model must have named_parameters(), got "
                            f"{type(model).__name__}")
        if per not in ("layer", "parameter"):
            raise ValueError(f"GradientNormRecorder: per must be 'layer' or 'parameter', got "
                             f"{per!r}")
        if isinstance(every_n_batches, bool) or not isinstance(every_n_batches, int) \
                or every_n_batches < 1:
            raise ValueError(f"GradientNormRecorder: every_n_batches must be an int >= 1, "
                             f"got {every_n_batches!r}")
        self.model = model
        self.per = per
        self.weights_only = bool(weights_only)
        self.every_n_batches = every_n_batches
        self._groups = OrderedDict()
        for name, p in model.named_parameters():
            if self.weights_only and name.rsplit(".", 1)[-1] == "bias":
                continue
            key = name.rsplit(".", 1)[0] if (per == "layer" and "." in name) else name
            self._groups.setdefault(key, []).append(p)
        if not self._groups:
            raise ValueError("GradientNormRecorder: the model has no parameters to record")
        self.norms = OrderedDict((k, []) for k in self._groups)
        self.iterations = []
        self._seen = 0

    def on_after_backward(self, model):
        step = self.trainer.global_step if self.trainer is not None else self._seen
        self._seen += 1
        if step % self.every_n_batches:
            return
        for key, params in self._groups.items():
            total, any_grad = 0.0, False
            for p in params:
                if p.grad is None:
                    continue
                # float64 so that tiny (vanishing) norms do not underflow in the sum.
                g = np.asarray(p.grad.data, dtype=np.float64).ravel()
                any_grad = True
                total += float(g @ g)
            self.norms[key].append(math.sqrt(total) if any_grad else math.nan)
        self.iterations.append(int(step))

    def state_dict(self):
        """The recorded norms and iterations."""
        return {"norms": {k: list(v) for k, v in self.norms.items()},
                "iterations": list(self.iterations), "seen": self._seen}

    def load_state_dict(self, state):
        """Restore :meth:`state_dict`."""
        for k, v in state["norms"].items():
            self.norms[k] = list(v)
        self.iterations = list(state["iterations"])
        self._seen = int(state.get("seen", len(self.iterations)))
