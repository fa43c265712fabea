"""The training loop: :func:`fit`, :class:`Trainer` and :func:`evaluate`."""
import math
import numbers
import signal
import threading
import time
import warnings

import numpy as np

from .. import random as _random
from ..autograd import no_grad
from ..devices import as_array
from .callbacks import CallbackList
from .checkpoint import (
    CheckpointError,
    join_arrays,
    load_checkpoint,
    save_checkpoint,
    split_arrays,
)
from .history import History

__all__ = ["fit", "evaluate", "Trainer", "accuracy", "NonFiniteLossError",
           "TrainingInterrupted"]


class NonFiniteLossError(RuntimeError):
    """The training loss became NaN or infinite. ``epoch`` and ``batch`` (1-based),
    ``iteration`` (1-based, over the whole run) and ``history`` (up to the last complete
    epoch) say where."""

    def __init__(self, message, epoch, batch, iteration, history):
        super().__init__(message)
        self.epoch, self.batch, self.iteration, self.history = epoch, batch, iteration, history


class TrainingInterrupted(KeyboardInterrupt):
    """Raised by :func:`fit` when training is interrupted (Ctrl-C, or a
    ``KeyboardInterrupt`` raised by a callback), after the ``ModelCheckpoint`` callbacks
    have saved the state. It *is* a ``KeyboardInterrupt``, so a script stops as usual;
    catch it to report how to resume.

    Attributes: ``history`` (everything recorded so far), ``epoch`` (completed epochs),
    ``batch`` (batches completed in the next epoch), ``checkpoint`` (the checkpoint
    directory just written, or None) and ``resume_path`` (what to pass as
    ``fit(..., resume=...)``, or None).
    """

    def __init__(self, message, history, epoch, batch, checkpoint, resume_path):
        super().__init__(message)
        self.history, self.epoch, self.batch = history, epoch, batch
        self.checkpoint, self.resume_path = checkpoint, resume_path


# ---------------------------------------------------------------------- metrics
def accuracy(output, target):
    """Fraction of samples whose highest score is the target class.

    ``output``: ``(N, C)`` scores (logits or probabilities); ``target``: ``(N,)`` class
    indices, or ``(N, C)`` one-hot / class probabilities (their argmax is the class).
    """
    out = as_array(output.data if hasattr(output, "data") else output)   # on its device
    tgt = as_array(target.data if hasattr(target, "data") else target)
    if out.ndim != 2 or out.shape[1] < 2:
        raise ValueError(f"accuracy: expected class scores of shape (N, C) with C >= 2, got "
                         f"outputs of shape {out.shape}; for regression or a single-output "
                         "model pass metrics=() (or your own metric function) to fit")
    if tgt.shape == out.shape:
        tgt = tgt.argmax(axis=1)
    elif tgt.ndim != 1 or tgt.shape[0] != out.shape[0]:
        raise ValueError(f"accuracy: targets of shape {tgt.shape} do not match outputs of "
                         f"shape {out.shape} (expected ({out.shape[0]},) class indices or "
                         f"{out.shape} one-hot rows)")
    return float(np.count_nonzero(out.argmax(axis=1) == tgt)) / out.shape[0]


_BUILTIN_METRICS = {"accuracy": ("acc", accuracy), "acc": ("acc", accuracy)}


def _resolve_metrics(metrics, where):
    if metrics is None:
        return []
    if isinstance(metrics, str) or callable(metrics):
        metrics = (metrics,)
    out = []
    for m in metrics:
        if isinstance(m, str):
            if m not in _BUILTIN_METRICS:
                raise ValueError(f"{where}: unknown metric {m!r}; use 'accuracy' or a "
                                 "function metric(output, target) -> float")
            out.append(_BUILTIN_METRICS[m])
        elif callable(m):
            out.append((getattr(m, "__name__", type(m).__name__), m))
        else:
            raise TypeError(f"{where}: a metric must be a name or a function, got "
                            f"{type(m).__name__}")
    names = [n for n, _ in out]
    if len(set(names)) != len(names) or "loss" in names:
        raise ValueError(f"{where}: metric names must be unique and not 'loss', got {names}")
    return out


def _model_device(model):
    """The device of the model's parameters (None for a model without any)."""
    params = getattr(model, "parameters", None)
    first = next(iter(params()), None) if callable(params) else None
    return None if first is None else first.device


def _to_device(x, device):
    """A batch part on the model's device: the loader yields CPU tensors, and ``fit``
    moves them as a PyTorch training loop does with ``x.to(device)``."""
    if device is None or device.type == "cpu" or not hasattr(x, "to"):
        return x
    return x.to(device)


def _unpack(batch, where):
    if isinstance(batch, (tuple, list)) and len(batch) >= 2:
        return batch[0], batch[1]
    raise TypeError(f"{where}: each batch must be (inputs, targets), but the loader yielded "
                    f"a {type(batch).__name__}"
                    + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else "")
                    + "; build it from a dataset with inputs and labels, e.g. "
                    "TensorDataset(x, y)")


def _length(loader):
    try:
        return len(loader)
    except TypeError:
        return None


def _batch_size(x):
    shape = getattr(x, "shape", None)
    return int(shape[0]) if shape else 1


# ---------------------------------------------------------------------- evaluation
def evaluate(model, loader, loss_fn=None, metrics=("accuracy",)):
    """Mean loss and metrics of ``model`` over ``loader``, in ``eval()`` mode under
    ``no_grad()``; the model's previous mode is restored afterwards.

    Returns a dict ``{'loss': ..., 'acc': ...}`` (``loss`` only with a ``loss_fn``):
    means over samples (a batch counts with its size; a mean-reduced loss is assumed).
    """
    metric_fns = _resolve_metrics(metrics, "evaluate")
    if loss_fn is None and not metric_fns:
        raise ValueError("evaluate: nothing to compute: pass a loss_fn or metrics")
    if loss_fn is not None and not callable(loss_fn):
        raise TypeError(f"evaluate: loss_fn must be callable, got {type(loss_fn).__name__}")
    return _evaluate(model, loader, loss_fn, metric_fns)


def _evaluate(model, loader, loss_fn, metric_fns):
    was_training = getattr(model, "training", True)
    model.eval()
    sums = dict.fromkeys(["loss"] * (loss_fn is not None) + [n for n, _ in metric_fns], 0.0)
    count = 0
    device = _model_device(model)
    try:
        with no_grad():
            for batch in loader:
                x, y = _unpack(batch, "evaluate")
                x, y = _to_device(x, device), _to_device(y, device)
                out = model(x)
                n = _batch_size(x)
                if loss_fn is not None:
                    sums["loss"] += float(loss_fn(out, y).item()) * n
                for name, fn in metric_fns:
                    sums[name] += float(fn(out, y)) * n
                count += n
    finally:
        model.train(was_training)
    if count == 0:
        raise ValueError("evaluate: the loader yielded no batches")
    return {k: v / count for k, v in sums.items()}


# ---------------------------------------------------------------------- interrupts
class _InterruptGuard:
    """Delays Ctrl-C during a training step until the step is complete, so the model,
    the optimizer and the random state are always consistent when an interrupt
    checkpoint is written. A second Ctrl-C during the same step interrupts at once (and
    no interrupt checkpoint is written, since the state may be half updated).

    Only installed in the main thread and when Python's default SIGINT handler is in
    place (a custom handler is left alone)."""

    def __init__(self, trainer):
        self.trainer = trainer
        self.installed = False
        self.previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread() \
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self.previous = signal.signal(signal.SIGINT, self._handler)
            self.installed = True
        return self

    def _handler(self, signum, frame):
        t = self.trainer
        if t._in_step and not t._interrupt_pending:
            t._interrupt_pending = True
            return
        if t._in_step:
            t.can_checkpoint = False
        raise KeyboardInterrupt

    def __exit__(self, *exc):
        if self.installed:
            signal.signal(signal.SIGINT, self.previous)
        return False


# ---------------------------------------------------------------------- the trainer
def _loader_generator(loader):
    g = getattr(loader, "generator", None)
    return g if isinstance(g, np.random.Generator) else None


class Trainer:
    """Trains a model: the object behind :func:`fit`, and what callbacks see as
    ``self.trainer``.

    ``Trainer(model, loss_fn, optimizer, scheduler=None, metrics=('accuracy',),
    callbacks=(), progress=True).fit(train_loader, val_loader=None, epochs=1,
    resume=None, seed=None)`` is the same as :func:`fit` with those arguments.

    Attributes during training: ``model``, ``optimizer``, ``scheduler``, ``history``,
    ``epochs`` (the target number), ``epoch`` (0-based, current), ``epochs_done``,
    ``batches_done`` (in the current epoch), ``global_step`` (iterations so far),
    ``stop_training`` (set it to stop after the current epoch), ``log_keys`` (the
    per-epoch keys this run records).
    """

    def __init__(self, model, loss_fn, optimizer, scheduler=None, metrics=("accuracy",),
                 callbacks=(), progress=True):
        for attr in ("parameters", "train", "eval", "state_dict", "load_state_dict"):
            if not callable(getattr(model, attr, None)):
                raise TypeError(f"fit: model must be an nn.Module (it needs {attr}()), got "
                                f"{type(model).__name__}")
        if not callable(model):
            raise TypeError(f"fit: model ({type(model).__name__}) is not callable")
        if not callable(loss_fn):
            raise TypeError(f"fit: loss_fn must be callable, e.g. nn.CrossEntropyLoss() or "
                            f"F.cross_entropy, got {type(loss_fn).__name__}")
        for attr in ("zero_grad", "step", "state_dict", "load_state_dict"):
            if not callable(getattr(optimizer, attr, None)):
                raise TypeError(f"fit: optimizer must be an optim.Optimizer (it needs "
                                f"{attr}()), got {type(optimizer).__name__}")
        if scheduler is not None and not callable(getattr(scheduler, "step", None)):
            raise TypeError(f"fit: scheduler must be an lr_scheduler (with step()), got "
                            f"{type(scheduler).__name__}")
        if progress not in (True, False, "always"):
            raise ValueError(f"fit: progress must be True (a bar when the output is a "
                             f"terminal), False or 'always', got {progress!r}")
        self.model = model
        self.loss_fn = loss_fn
        self.optimizer = optimizer
        self.scheduler = scheduler
        self.metrics = _resolve_metrics(metrics, "fit")
        self.callbacks = CallbackList(callbacks, self)
        self.progress = progress
        self.history = History()
        self.epochs = 0
        self.epoch = 0
        self.epochs_done = 0
        self.batches_done = 0
        self.global_step = 0
        self.stop_training = False
        self.can_checkpoint = True
        self.log_keys = set()
        self._in_step = False
        self._interrupt_pending = False
        self._progress = None
        self._rng_after = None
        self._loader_rng_after = None
        self._rng_epoch_begin = None
        self._loader_rng_epoch_begin = None
        self._train_loader = None
        self._val_loader = None

    # ------------------------------------------------------------------ public
    def fit(self, train_loader, val_loader=None, epochs=1, resume=None, seed=None):
        """Train for ``epochs`` epochs in all (see :func:`fit`); returns the History."""
        if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral):
            raise TypeError(f"fit: epochs must be an int, got {type(epochs).__name__}")
        if epochs < 1:
            raise ValueError(f"fit: epochs must be >= 1, got {epochs}")
        if seed is not None and (isinstance(seed, bool)
                                 or not isinstance(seed, numbers.Integral)):
            raise TypeError(f"fit: seed must be an int or None, got {type(seed).__name__}")
        for name, loader in (("train_loader", train_loader), ("val_loader", val_loader)):
            if loader is not None and not hasattr(loader, "__iter__"):
                raise TypeError(f"fit: {name} must be an iterable of (inputs, targets) "
                                f"batches such as a DataLoader, got {type(loader).__name__}")
        self.epochs = int(epochs)
        self._train_loader, self._val_loader = train_loader, val_loader
        self.log_keys = ({"train_loss", "lr"} | {f"train_{n}" for n, _ in self.metrics})
        if val_loader is not None:
            self.log_keys |= {"val_loss"} | {f"val_{n}" for n, _ in self.metrics}

        resume_state = None
        if resume is not None:
            resume_state = self._restore(resume)
        else:
            if seed is not None:
                _random.manual_seed(int(seed))
            self.history = History()
            self.epochs_done = self.batches_done = self.global_step = 0
        self.history.interrupted = False
        if self.epochs_done >= self.epochs:
            warnings.warn(f"fit: the checkpoint already has {self.epochs_done} complete "
                          f"epochs and epochs={self.epochs} is the total to reach, so there "
                          f"is nothing to do; pass epochs={self.epochs_done + 1} or more to "
                          "train further", UserWarning, stacklevel=3)
            return self.history

        self.stop_training = False
        self.can_checkpoint = True
        self._interrupt_pending = False
        self._rng_after = _random.get_rng_state()
        self._loader_rng_after = self._loader_states()
        self.model.train()
        with _InterruptGuard(self):
            try:
                self.callbacks.on_train_begin({"epochs": self.epochs,
                                               "initial_epoch": self.epochs_done})
                for epoch in range(self.epochs_done, self.epochs):
                    self.epoch = epoch
                    self._run_epoch(epoch, resume_state)
                    resume_state = None
                    if self.stop_training:
                        if epoch + 1 < self.epochs:
                            self.history.stopped_epoch = epoch + 1
                        break
                self.callbacks.on_train_end({"epochs_done": self.epochs_done})
            except KeyboardInterrupt:
                self._close_progress()
                self._handle_interrupt()
            finally:
                self._close_progress()
                self._in_step = False
        return self.history

    def save_checkpoint(self, path):
        """Write the state after the last completed batch to the checkpoint directory
        ``path`` (what :class:`ModelCheckpoint` calls). Returns ``path``."""
        arrays = {}
        cb_states = []
        for i, cb in enumerate(self.callbacks):
            cb_states.append({"class": type(cb).__name__,
                              "state": split_arrays(cb.state_dict(), f"callbacks.{i}",
                                                    arrays)})
        state = {
            "epochs_target": self.epochs,
            "global_step": self.global_step,
            "loader_rng": self._loader_rng_after,
            "epoch_begin": None,
            "callbacks": cb_states,
            "metrics": [n for n, _ in self.metrics],
            "train_batches": _length(self._train_loader),
        }
        if self.batches_done:
            state["epoch_begin"] = {"rng": self._rng_epoch_begin,
                                    "loader_rng": self._loader_rng_epoch_begin,
                                    "sums": dict(self._sums), "count": self._count,
                                    "started": self._epoch_started_offset()}
        return save_checkpoint(path, self.model, self.optimizer, self.scheduler,
                               epoch=self.epochs_done, batch=self.batches_done,
                               history=self.history, rng_state=self._rng_after, state=state,
                               arrays=arrays)

    # ------------------------------------------------------------------ internals
    def _loader_states(self):
        out = {}
        for name, loader in (("train", self._train_loader), ("val", self._val_loader)):
            g = _loader_generator(loader)
            out[name] = None if g is None else g.bit_generator.state
        return out

    def _set_loader_states(self, states):
        for name, loader in (("train", self._train_loader), ("val", self._val_loader)):
            g = _loader_generator(loader)
            if g is not None and states and states.get(name) is not None:
                g.bit_generator.state = states[name]

    def _epoch_started_offset(self):
        return time.perf_counter() - self._epoch_t0

    def _restore(self, resume):
        ckpt = load_checkpoint(resume)
        ckpt.restore(self.model, self.optimizer, self.scheduler, rng=True)
        if ckpt.scheduler_state is not None and self.scheduler is None:
            warnings.warn(f"fit: the checkpoint {ckpt.path} has a {ckpt.scheduler_class} "
                          "state but no scheduler was passed; the learning rate stays as "
                          "saved", UserWarning, stacklevel=4)
        self.history = ckpt.history if ckpt.history is not None else History()
        self.epochs_done, self.batches_done = ckpt.epoch, ckpt.batch
        tstate = ckpt.trainer_state
        self.global_step = int(tstate.get("global_step", len(self.history["iter_loss"])))
        self._set_loader_states(tstate.get("loader_rng"))
        saved = tstate.get("callbacks") or []
        used = set()
        for i, cb in enumerate(self.callbacks):
            match = None
            if i < len(saved) and saved[i]["class"] == type(cb).__name__:
                match = i
            else:
                match = next((j for j, s in enumerate(saved)
                              if j not in used and s["class"] == type(cb).__name__), None)
            if match is None:
                if cb.state_dict():
                    warnings.warn(f"fit: the checkpoint has no state for the callback "
                                  f"{type(cb).__name__}; it starts fresh", UserWarning,
                                  stacklevel=4)
                continue
            used.add(match)
            cb.load_state_dict(join_arrays(saved[match]["state"], ckpt.arrays,
                                           f"resume {ckpt.path}"))
        saved_len, now_len = tstate.get("train_batches"), _length(self._train_loader)
        if saved_len is not None and now_len is not None and saved_len != now_len:
            if ckpt.batch:
                raise CheckpointError(
                    f"resume: {ckpt.path} stopped after batch {ckpt.batch} of an epoch of "
                    f"{saved_len} batches, but this train_loader has {now_len} batches per "
                    "epoch; use the same data and batch_size to continue mid-epoch")
            warnings.warn(f"fit: the checkpoint's run had {saved_len} batches per epoch, "
                          f"this train_loader has {now_len}; training continues, but not as "
                          "the original run would have", UserWarning, stacklevel=4)
        if ckpt.batch:
            begin = tstate.get("epoch_begin")
            if not begin:
                raise ValueError(f"resume: {ckpt.path} is a mid-epoch checkpoint without "
                                 "its epoch-start state (corrupted trainer.json?)")
            begin = dict(begin)
            begin["rng_after"] = ckpt.rng_state
            begin["loader_rng_after"] = tstate.get("loader_rng")
            return begin
        return None

    def _handle_interrupt(self):
        self.history.interrupted = True
        ckpt_paths = []
        self._in_step = False
        logs = {"epoch": self.epochs_done, "batch": self.batches_done}
        try:
            self.callbacks.on_interrupt(logs)
        finally:
            from .callbacks import ModelCheckpoint
            resume_path = None
            for cb in self.callbacks:
                if isinstance(cb, ModelCheckpoint) and cb.interrupt_path:
                    ckpt_paths.append(cb.interrupt_path)
                    resume_path = cb.dirpath
            where = (f"in epoch {self.epochs_done + 1}/{self.epochs} after "
                     f"{self.batches_done} batches" if self.batches_done
                     else f"after epoch {self.epochs_done}/{self.epochs}")
            if ckpt_paths:
                msg = (f"training interrupted {where}; saved {ckpt_paths[-1]}. Continue "
                       f"with fit(..., resume={resume_path!r}) (same model, optimizer and "
                       "epochs)")
            elif not self.can_checkpoint:
                msg = (f"training interrupted {where} in the middle of a step; no "
                       "checkpoint was written, the last complete one (if any) is intact")
            else:
                msg = (f"training interrupted {where}; no checkpoint was saved (add "
                       "ModelCheckpoint(dirpath) to the callbacks to make runs resumable)")
            raise TrainingInterrupted(msg, self.history, self.epochs_done, self.batches_done,
                                      ckpt_paths[-1] if ckpt_paths else None,
                                      resume_path) from None

    def _make_bar(self, epoch):
        if self.progress is False:
            return None
        from tqdm import tqdm
        total = len(self._train_loader) if hasattr(self._train_loader, "__len__") else None
        bar = tqdm(total=total, desc=f"Epoch {epoch + 1}/{self.epochs}", unit="batch",
                   leave=True, dynamic_ncols=True,
                   disable=None if self.progress is True else False)
        return bar

    def _close_progress(self):
        if self._progress is not None:
            self._progress.close()
            self._progress = None

    def _run_epoch(self, epoch, resume_state):
        model, optimizer = self.model, self.optimizer
        model.train()
        self._epoch_t0 = time.perf_counter()
        self.callbacks.on_epoch_begin(epoch, {})
        if resume_state is not None:
            # Replay the epoch's start: same permutation (drawn from the saved state),
            # then skip the finished batches and continue from the saved state.
            _random.set_rng_state(resume_state["rng"])
            self._set_loader_states(resume_state["loader_rng"])
            self._rng_epoch_begin = resume_state["rng"]
            self._loader_rng_epoch_begin = resume_state["loader_rng"]
            iterator = iter(self._train_loader)
            for done in range(self.batches_done):
                if next(iterator, None) is None:
                    raise CheckpointError(
                        f"resume: the checkpoint is after batch {self.batches_done} of epoch "
                        f"{epoch + 1}, but the train_loader ended after {done} batches; use "
                        "the same data and batch_size")
            _random.set_rng_state(resume_state["rng_after"])
            self._set_loader_states(resume_state["loader_rng_after"])
            self._sums = {k: float(v) for k, v in resume_state["sums"].items()}
            self._count = int(resume_state["count"])
            self._epoch_t0 -= float(resume_state.get("started", 0.0))
        else:
            self.batches_done = 0
            self._rng_epoch_begin = _random.get_rng_state()
            self._loader_rng_epoch_begin = self._loader_states()
            iterator = iter(self._train_loader)
            self._sums = dict.fromkeys(["loss"] + [n for n, _ in self.metrics], 0.0)
            self._count = 0
        self._rng_after = _random.get_rng_state()
        self._loader_rng_after = self._loader_states()

        self._device = _model_device(model)       # where each batch goes
        bar = self._progress = self._make_bar(epoch)
        if bar is not None and self.batches_done:
            bar.update(self.batches_done)
        lr = float(optimizer.param_groups[0]["lr"]) if hasattr(optimizer, "param_groups") \
            else math.nan
        for batch_idx, batch in enumerate(iterator, start=self.batches_done):
            x, y = _unpack(batch, "fit")
            x, y = _to_device(x, self._device), _to_device(y, self._device)
            n = _batch_size(x)
            self.callbacks.on_batch_begin(batch_idx, {"batch_size": n})
            self._in_step = True
            optimizer.zero_grad()
            out = model(x)
            loss = self.loss_fn(out, y)
            value = float(loss.item())
            if not math.isfinite(value):
                self._in_step = False
                self._raise_non_finite(value, epoch, batch_idx, x, lr)
            loss.backward()
            self.callbacks.on_after_backward(model)
            optimizer.step()
            batch_logs = {"loss": value, "batch_size": n, "lr": lr}
            self._sums["loss"] += value * n
            for name, fn in self.metrics:
                v = float(fn(out, y))
                batch_logs[name] = v
                self._sums[name] += v * n
            self._count += n
            self.history.log_iteration(value, epoch + 1)
            self.global_step += 1
            self.batches_done = batch_idx + 1
            self._rng_after = _random.get_rng_state()
            self._loader_rng_after = self._loader_states()
            self._in_step = False
            if self._interrupt_pending:
                raise KeyboardInterrupt
            if bar is not None:
                bar.update(1)
                bar.set_postfix(self._running(), refresh=False)
            self.callbacks.on_batch_end(batch_idx, batch_logs)
        if self._count == 0:
            raise ValueError(f"fit: the train_loader yielded no batches in epoch {epoch + 1} "
                             "(a generator is used up after one pass: pass a DataLoader or "
                             "a list of batches)")

        logs = {f"train_{k}": v / self._count for k, v in self._sums.items()}
        if self._val_loader is not None:
            val = _evaluate(model, self._val_loader, self.loss_fn, self.metrics)
            logs.update({f"val_{k}": v for k, v in val.items()})
        logs["lr"] = lr
        if self.scheduler is not None:
            self._step_scheduler(logs)
        seconds = time.perf_counter() - self._epoch_t0
        self.history.log_epoch(epoch + 1, logs, seconds)
        self.epochs_done = epoch + 1
        self.batches_done = 0
        self._rng_after = _random.get_rng_state()
        self._loader_rng_after = self._loader_states()
        if bar is not None:
            bar.set_postfix({k.replace("train_", ""): f"{v:.4g}" for k, v in logs.items()
                             if k != "lr"}, refresh=True)
            self._close_progress()
        self.callbacks.on_epoch_end(epoch, logs)

    def _running(self):
        c = max(self._count, 1)
        return {k: f"{v / c:.4f}" for k, v in self._sums.items()}

    def _step_scheduler(self, logs):
        from ..optim.lr_scheduler import ReduceLROnPlateau
        if isinstance(self.scheduler, ReduceLROnPlateau):
            self.scheduler.step(logs.get("val_loss", logs["train_loss"]))
        else:
            self.scheduler.step()

    def _raise_non_finite(self, value, epoch, batch_idx, x, lr):
        kind = "NaN" if math.isnan(value) else "infinite"
        iteration = self.global_step + 1
        data = np.asarray(getattr(x, "data", x))
        if data.dtype.kind == "f" and not np.isfinite(data).all():
            cause = ("The input batch itself contains NaN or Inf: check the data and "
                     "its normalisation.")
        else:
            cause = (f"The weights are probably diverging: try a smaller learning rate "
                     f"(lr={lr:g} now, e.g. lr={lr / 10:g}), gradient clipping "
                     "(nn.utils.clip_grad_norm_ in a callback's on_after_backward), or "
                     "run fit inside `with tg.autograd.detect_anomaly():` to find the "
                     "op that first produced it.")
        raise NonFiniteLossError(
            f"fit: the training loss became {kind} in epoch {epoch + 1}/{self.epochs}, "
            f"batch {batch_idx + 1} (iteration {iteration}); training stopped. {cause}",
            epoch + 1, batch_idx + 1, iteration, self.history)


def fit(model, loss_fn, optimizer, train_loader, val_loader=None, epochs=1, callbacks=(),
        scheduler=None, metrics=("accuracy",), progress=True, resume=None, seed=None):
    """Train ``model`` and return its :class:`History`.

    Each epoch: ``model.train()``; for every ``(x, y)`` batch of ``train_loader``:
    ``optimizer.zero_grad()``, ``loss = loss_fn(model(x), y)``, ``loss.backward()``,
    ``optimizer.step()``; then, with a ``val_loader``, :func:`evaluate` in ``eval()``
    mode under ``no_grad()`` (back to train mode afterwards); then ``scheduler.step()``
    (``ReduceLROnPlateau`` gets the validation loss, else the training loss).

    Args:
        model: an ``nn.Module``.
        loss_fn: ``loss_fn(output, target)`` → a scalar Tensor with mean reduction, e.g.
            ``nn.CrossEntropyLoss()`` or ``F.cross_entropy``.
        optimizer: an ``optim`` optimizer over ``model.parameters()``.
        train_loader, val_loader: iterables of ``(inputs, targets)`` batches (a
            ``DataLoader``).
        epochs: the total number of epochs; when resuming, training continues up to
            this number (so the same call with ``resume=`` finishes the run).
        callbacks: :class:`Callback` objects (``EarlyStopping``, ``ModelCheckpoint``,
            ``GradientNormRecorder``, ...).
        scheduler: an ``optim.lr_scheduler`` scheduler, stepped once per epoch.
        metrics: ``'accuracy'`` and/or functions ``metric(output, target) -> float``
            (averaged over samples; recorded as ``train_<name>`` / ``val_<name>``); use
            ``()`` for regression.
        progress: a tqdm bar per epoch with the running loss and accuracy. ``True``
            shows it only when the output is a terminal (quiet in CI, pipes and tests);
            ``'always'`` forces it (e.g. in notebooks); ``False`` hides it.
        resume: a checkpoint directory (or a ``ModelCheckpoint`` dirpath) to continue
            from: weights, optimizer, scheduler, history, callbacks and random state
            are restored and training goes on exactly as if it had not stopped.
        seed: call ``tg.manual_seed(seed)`` first (ignored when resuming: the saved
            random state is used), for reproducible shuffling and dropout.

    Raises:
        TrainingInterrupted: (a ``KeyboardInterrupt``) on Ctrl-C, after
            ``ModelCheckpoint`` saved the state; its message says how to resume.
        NonFiniteLossError: (a ``RuntimeError``) when the loss becomes NaN or infinite.
        CheckpointError: (a ``RuntimeError``) when ``resume`` is unfinished, corrupted
            or belongs to another model (all mismatched names are listed).
    """
    trainer = Trainer(model, loss_fn, optimizer, scheduler=scheduler, metrics=metrics,
                      callbacks=callbacks, progress=progress)
    return trainer.fit(train_loader, val_loader, epochs=epochs, resume=resume, seed=seed)
