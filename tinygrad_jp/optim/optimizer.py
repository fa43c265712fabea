"""The ``Optimizer`` base class: parameter groups, per-parameter state, state dicts.

An optimizer holds ``param_groups`` (a list of dicts: ``{'params': [...], 'lr': ...}``,
so each group can have its own learning rate or weight decay) and ``state`` (a dict
from parameter tensor to that parameter's buffers, e.g. Adam's ``exp_avg``).
Subclasses implement :meth:`Optimizer._step_group`, which updates one group's
parameters in place on their ``.data`` arrays with NumPy ufuncs. It never builds a
graph: updates work on arrays, and :meth:`Optimizer.step` also runs under ``no_grad``.

This module knows Tensors, not Modules: pass ``model.parameters()`` (any iterable of
Tensors) or a list of group dicts.
"""
import numbers
import warnings
from collections import defaultdict
from itertools import chain

import numpy as np

from ..devices import array_module, as_array, device_of, to_device

from ..autograd import enable_grad, no_grad
from ..tensor import Tensor

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marks a hyper-parameter that has no default and must be given."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _describe(p):
    return f"Tensor of shape {tuple(p.shape)} and dtype {p.dtype}"


class Optimizer:
    """Base class of all optimizers (PyTorch's ``torch.optim.Optimizer``).

    Args:
        params: an iterable of Tensors, or of dicts that define parameter groups
            (each dict has ``'params'`` and may override any default, e.g.
            ``[{'params': weights}, {'params': biases, 'weight_decay': 0}]``).
        defaults: the default hyper-parameters of every group.

    Subclasses define ``_validate(group)`` (raise ``ValueError`` naming the argument
    and the value) and ``_step_group(group)``.
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params argument given to the optimizer should be "
                "an iterable of Tensors or dicts, but got a single Tensor; pass [t] or "
                "model.parameters()")
        if isinstance(params, (dict, set)):
            raise TypeError(
                f"{type(self).__name__}: params should be an ordered iterable of Tensors "
                f"or dicts, got a {type(params).__name__} (its order is not stable)")
        self.state = defaultdict(dict)
        self.param_groups = []
        self._scratch = {}
        self._step_called = False
        try:
            param_groups = list(params)
        except TypeError:
            raise TypeError(f"{type(self).__name__}: params argument should be an iterable "
                            f"of Tensors or dicts, got {type(params).__name__}") from None
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list (did the model create "
                             "its parameters, or is the generator model.parameters() "
                             "already used up?)")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group):
        """Add a group of parameters (a dict with ``'params'`` and optional overrides).

        Useful for fine-tuning: make frozen layers trainable and add them with their own
        learning rate. Missing hyper-parameters take the optimizer's defaults.
        """
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: param_group must be a dict, got "
                            f"{type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{name}: a parameter group needs a 'params' entry")
        param_group = dict(param_group)
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(f"{name}: optimizer parameters need to be organized in ordered "
                            "collections, but the ordering of tensors in sets will change "
                            "between runs. Please use a list instead.")
        else:
            params = list(params)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: optimizer can only optimize Tensors, but parameter "
                                f"{i} is a {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(
                    f"{name}: can't optimize a non-leaf Tensor (parameter {i}: "
                    f"{_describe(p)}, made by {p.grad_fn.name}); optimize the leaf it was "
                    "computed from, or make a new leaf with t.detach().requires_grad_()")
            if p.dtype.kind != "f":
                raise TypeError(f"{name}: parameter {i} has dtype {p.dtype}; only floating "
                                "point tensors can be optimized")
        param_group["params"] = params

        for key, default in self.defaults.items():
            if default is required and key not in param_group:
                raise ValueError(f"{name}: parameter group didn't specify a value of "
                                 f"required optimization parameter {key}")
            param_group.setdefault(key, default)

        if len(params) != len({id(p) for p in params}):
            warnings.warn(f"{name}: optimizer contains a parameter group with duplicate "
                          "parameters; they would be updated twice per step",
                          stacklevel=3)
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        for i, p in enumerate(params):
            if id(p) in existing:
                raise ValueError(
                    f"{name}: some parameters appear in more than one parameter group "
                    f"(parameter {i} of the new group, a {_describe(p)}, is already in "
                    "another group)")
        self._validate(param_group)
        self.param_groups.append(param_group)

    def _validate(self, group):
        """Raise ``ValueError`` for an invalid hyper-parameter of ``group``."""

    def _check(self, group, key, low=None, high=None, low_open=False, high_open=False,
               label=None):
        """``low <= group[key] <= high`` (or strict), else a ValueError naming key and value."""
        value = group[key]
        label = label or key
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{type(self).__name__}: {label} must be a real number, got "
                            f"{value!r} ({type(value).__name__})")
        bad = (value != value  # NaN
               or (low is not None and (value <= low if low_open else value < low))
               or (high is not None and (value >= high if high_open else value > high)))
        if bad:
            lo = "" if low is None else f"{low} {'<' if low_open else '<='} "
            hi = "" if high is None else f" {'<' if high_open else '<='} {high}"
            raise ValueError(f"{type(self).__name__}: invalid {label}={value!r} (it must "
                             f"satisfy {lo}{label}{hi})")

    # ------------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters: to ``None`` (default) or to zeros.

        Call it before each ``backward()``: gradients accumulate (``+=``) otherwise.
        """
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None:
                        p.grad = p.grad.detach()
                    else:
                        p.grad.requires_grad = False
                    p.grad.data[...] = 0

    def step(self, closure=None):
        """Update every parameter that has a gradient (``.grad is None`` ones are skipped).

        ``closure`` (optional) re-evaluates the model and returns the loss: it runs with
        grad mode on, before the update, and its result is returned.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self._step_group(group)
        self._step_called = True
        return loss

    def _step_group(self, group):
        raise NotImplementedError(f"{type(self).__name__} must implement _step_group")

    def _params_with_grad(self, group):
        """``(param, grad array)`` for the parameters of ``group`` that have a gradient."""
        out = []
        for p in group["params"]:
            g = p.grad
            if g is None:
                continue
            g = g.data if isinstance(g, Tensor) else as_array(g)
            if g.shape != p.data.shape:
                raise RuntimeError(f"{type(self).__name__}.step: the gradient has shape "
                                   f"{g.shape} but its parameter has shape {p.data.shape}")
            out.append((p, g))
        return out

    def _buffer(self, p, index=0):
        """A scratch array shaped like ``p`` for the update in progress (never saved).

        One flat buffer per (dtype, index), as large as the largest parameter, shared by
        all parameters: updates run one parameter at a time, so the extra memory is one
        parameter's worth, not a copy of the model.
        """
        w = p.data
        key = (w.dtype, index, type(w))          # one per device, too
        flat = self._scratch.get(key)
        if flat is None or flat.size < w.size:
            flat = array_module(w).empty(w.size, dtype=w.dtype)
            self._scratch[key] = flat
        return flat[:w.size].reshape(w.shape)

    # ------------------------------------------------------------------ update helpers
    # What every _step_group shares, written once: reading the hyper-parameters, the
    # state a parameter gets on its first step, and coupled weight decay.
    @staticmethod
    def _hyper(group, *keys):
        """The group's hyper-parameters ``keys`` as Python floats, read once per step."""
        return [float(group[k]) for k in keys]

    def _state_of(self, p, **arrays):
        """``self.state[p]``, set up on the parameter's first step: ``step = 0`` and one
        array shaped like ``p`` per keyword, filled with its value (``exp_avg=0``)."""
        state = self.state[p]
        if not state:
            state["step"] = 0
            for name, fill in arrays.items():
                state[name] = np.full_like(p.data, fill)
        return state

    @staticmethod
    def _state_array(state, p, name):
        """``state[name]``, a zero array shaped like ``p`` made on first use (the arrays
        an option adds: ``momentum_buffer``, ``grad_avg``, ``max_exp_avg_sq``)."""
        if name not in state:
            state[name] = np.zeros_like(p.data)
        return state[name]

    def _weight_decayed(self, p, g, weight_decay, index):
        """``g + λ·w``: coupled weight decay, the gradient of ``½ λ ‖w‖²`` added to the
        loss's (PyTorch's ``weight_decay``), in scratch buffer ``index``; ``g`` itself
        when ``λ = 0``."""
        if weight_decay == 0:
            return g
        out = self._buffer(p, index)
        np.multiply(p.data, weight_decay, out=out)      # λ·w
        out += g                                        # g + λ·w
        return out

    # ------------------------------------------------------------------ state dicts
    def state_dict(self):
        """The optimizer's state as PyTorch structures it, with copies of the arrays::

            {'state': {0: {'step': 3, 'exp_avg': ndarray, ...}, ...},
             'param_groups': [{'lr': 0.001, ..., 'params': [0, 1]}, ...]}

        Parameters are numbered in the order they appear across groups. Arrays are
        NumPy arrays, other entries plain Python values, so
        :func:`tinygrad_jp.optim.serialization.save_file` can write it as safetensors +
        JSON (no pickle).
        """
        index = {}
        groups = []
        for g in self.param_groups:
            packed = {k: _copy_value(v) for k, v in g.items() if k != "params"}
            for p in g["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in g["params"]]
            groups.append(packed)
        state = {}
        for p, s in self.state.items():
            if id(p) in index and s:
                state[index[id(p)]] = {k: _copy_value(v) for k, v in s.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a dict from :meth:`state_dict` (arrays may be ndarrays or Tensors).

        The saved groups must have the same sizes as this optimizer's; state arrays are
        copied and cast to their parameter's dtype, so continuing gives exactly the
        trajectory of an uninterrupted run.
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict) or "param_groups" not in state_dict \
                or "state" not in state_dict:
            raise TypeError(f"{name}.load_state_dict: expected a dict with 'state' and "
                            "'param_groups' (from optimizer.state_dict())")
        groups = self.param_groups
        saved_groups = state_dict["param_groups"]
        if len(groups) != len(saved_groups):
            raise ValueError(f"{name}.load_state_dict: loaded state dict has a different "
                             f"number of parameter groups ({len(saved_groups)}, this "
                             f"optimizer has {len(groups)})")
        for i, (g, s) in enumerate(zip(groups, saved_groups, strict=True)):
            if len(g["params"]) != len(s["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: loaded state dict contains a parameter group "
                    f"that doesn't match the size of optimizer's group (group {i}: "
                    f"{len(s['params'])} saved parameters, {len(g['params'])} here)")
        id_map = dict(zip(chain.from_iterable(s["params"] for s in saved_groups),
                          chain.from_iterable(g["params"] for g in groups), strict=True))

        new_state = defaultdict(dict)
        for key, values in state_dict["state"].items():
            k = int(key)  # JSON turns the integer keys into strings
            if k not in id_map:
                raise ValueError(f"{name}.load_state_dict: state for parameter {k}, which "
                                 "no parameter group lists")
            p = id_map[k]
            new_state[p] = {n: _load_value(p, n, v, k, name) for n, v in values.items()}

        new_groups = []
        for g, s in zip(groups, saved_groups, strict=True):
            ng = {k: _copy_value(v) for k, v in s.items() if k != "params"}
            ng["params"] = g["params"]
            if "betas" in ng and isinstance(ng["betas"], list):
                ng["betas"] = tuple(ng["betas"])
            self._validate(ng)
            new_groups.append(ng)
        self.state = new_state
        self.param_groups = new_groups

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _copy_value(v):
    if isinstance(v, np.ndarray):
        return v.copy()
    if isinstance(v, Tensor):
        return v.data.copy()
    if isinstance(v, list):
        return [_copy_value(x) for x in v]
    if isinstance(v, tuple):
        return tuple(_copy_value(x) for x in v)
    if isinstance(v, np.generic):
        return v.item()
    return v


def _load_value(p, key, value, index, name):
    """A saved state entry, copied; float arrays cast to the parameter's dtype."""
    if key == "step":
        # PyTorch keeps the step as a 0-d float tensor; a count is an int here.
        return int(float(np.asarray(value.data if isinstance(value, Tensor) else value)))
    if isinstance(value, (numbers.Number, str, type(None))):
        return value
    array = as_array(value.data if isinstance(value, Tensor) else value)
    if array.dtype.kind == "f":
        if array.shape != p.data.shape:
            raise RuntimeError(f"{name}.load_state_dict: state '{key}' of parameter {index} "
                               f"has shape {array.shape} but the parameter has shape "
                               f"{p.data.shape}")
        # on the parameter's device, as PyTorch's optimizers do
        return to_device(array, device_of(p.data)).astype(p.data.dtype, copy=True)
    return array.copy()
