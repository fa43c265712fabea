"""``nn.Module`` and ``nn.Parameter``: the base of every layer and model, as in PyTorch.

A Module registers what is assigned to it: a :class:`Parameter` goes to
``_parameters``, a Module to ``_modules``, a tensor given to :meth:`Module.register_buffer`
to ``_buffers``. Everything else (``state_dict``, ``parameters()``, ``train()``, ``to()``,
``__repr__``) walks those three ordered dicts, so the names are PyTorch's
(``features.3.weight``, ``bn1.running_mean``) and a state dict moves between the two
frameworks unchanged.
"""
import itertools
from collections import OrderedDict, namedtuple

import numpy as np

from .. import dtypes as _dtypes
from .. import autograd as _autograd
from .. import devices as _device
from ..autograd import no_grad
from ..tensor import Tensor, _to_array

__all__ = ["Module", "Parameter", "RemovableHandle", "register_module_forward_hook",
           "register_module_forward_pre_hook"]


class Parameter(Tensor):
    """A Tensor that a :class:`Module` registers as a learnable parameter.

    ``Parameter(t)`` shares ``t``'s memory (like PyTorch), is a leaf, and requires
    grad unless ``requires_grad=False``. Assigning one to a module attribute
    (``self.w = nn.Parameter(tg.randn(3, 4))``) makes it appear in ``parameters()``
    and in ``state_dict()``.
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            array = np.empty(0, dtype=_dtypes.DEFAULT_FLOAT)
        elif isinstance(data, Tensor):
            array = data.data
        else:
            array = _to_array(data, None, "Parameter")
        self.data = array
        self.grad_fn = None
        self.grad = None
        self._hooks = None
        self.name = None
        self.requires_grad = False
        if requires_grad:
            if array.dtype.kind != "f":
                raise RuntimeError(f"Parameter: only Tensors of floating point dtype can "
                                   f"require gradients, got dtype {array.dtype}; pass a float "
                                   "tensor or requires_grad=False")
            self.requires_grad = True

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        p = Parameter(self.data.copy(), self.requires_grad)
        if self.grad is not None:
            p.grad = Tensor._wrap(self.grad.data.copy())
        memo[id(self)] = p
        return p


class RemovableHandle:
    """Returned by ``register_*_hook``: ``handle.remove()`` unregisters the hook.

    Also a context manager: ``with model.register_forward_hook(h): model(x)``.
    """

    _next_id = itertools.count()

    def __init__(self, hooks_dict):
        self.hooks_dict = hooks_dict
        self.id = next(RemovableHandle._next_id)

    def remove(self):
        """Unregister the hook (removing twice is harmless)."""
        self.hooks_dict.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False


# Hooks that run for every module call (the graph viewer groups nodes by module with
# these); registered through the functions below.
_global_forward_pre_hooks = OrderedDict()
_global_forward_hooks = OrderedDict()


def register_module_forward_pre_hook(hook):
    """Call ``hook(module, args)`` before the forward of *every* module.

    Like ``torch.nn.modules.module.register_module_forward_pre_hook``; the hook may
    return replacement args. Returns a removable handle.
    """
    handle = RemovableHandle(_global_forward_pre_hooks)
    _global_forward_pre_hooks[handle.id] = hook
    return handle


def register_module_forward_hook(hook):
    """Call ``hook(module, args, output)`` after the forward of *every* module.

    The hook may return a replacement output. Returns a removable handle.
    """
    handle = RemovableHandle(_global_forward_hooks)
    _global_forward_hooks[handle.id] = hook
    return handle


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it could not match."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


def _addindent(text, spaces):
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    first = lines.pop(0)
    return first + "\n" + "\n".join(" " * spaces + line for line in lines)


def _check_name(kind, name, module):
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got: {name}')


def _as_array(value):
    """A state-dict value (our Tensor, a NumPy array, or anything with ``__array__``
    such as a CPU ``torch.Tensor``) as an ndarray."""
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch.Tensor
        return value.detach().numpy()
    if hasattr(value, "__array__"):
        return np.asarray(value)
    raise TypeError(f"expected a Tensor or a NumPy array, got {type(value).__name__}")


def _parse_to_args(args, kwargs):
    """(device, dtype) of ``module.to('cuda')``, ``to(tg.float64)``, ``to(tensor)``,
    ``to('cuda', tg.float64)`` or ``to(device=..., dtype=...)``; None where not given."""
    dtype = kwargs.pop("dtype", None)
    where = kwargs.pop("device", None)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, Tensor):
            where, dtype = a.device, a.dtype
        elif isinstance(a, (str, _device.device)) or isinstance(a, int) \
                and not isinstance(a, bool):
            where = a
        elif a is not None:
            dtype = a
    if where is not None:
        where = _device.device(where)
    if dtype is not None:
        dtype = _dtypes.to_dtype(dtype, "Module.to")
        if dtype.kind != "f":
            raise TypeError(f"nn.Module.to only accepts floating point dtypes, but got "
                            f"desired dtype={dtype}")
    return where, dtype


class Module:
    """Base class of all layers and models; subclass it and define ``forward``.

    >>> class Net(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc1 = nn.Linear(784, 100)
    ...         self.fc2 = nn.Linear(100, 10)
    ...     def forward(self, x):
    ...         return self.fc2(self.fc1(x).relu())

    Assigned Parameters, Modules and registered buffers are tracked, so
    ``net.parameters()``, ``net.state_dict()``, ``net.train()`` / ``net.eval()`` and
    ``print(net)`` work as in PyTorch.
    """

    training: bool

    def __init__(self, *args, **kwargs):
        if args or kwargs:
            raise TypeError(f"{type(self).__name__}.__init__() got unexpected arguments "
                            f"{args or ''}{kwargs or ''}")
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent_buffers_set"] = set()
        d["_modules"] = OrderedDict()
        d["_forward_hooks"] = OrderedDict()
        d["_forward_pre_hooks"] = OrderedDict()
        d["_forward_pre_hooks_with_kwargs"] = set()

    # ------------------------------------------------------------------ forward
    def forward(self, *args, **kwargs):
        """Define the computation here; call the module (``m(x)``), not ``m.forward(x)``,
        so that hooks run."""
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  '"forward" function')

    def __call__(self, *args, **kwargs):
        hooked = (self._forward_hooks or self._forward_pre_hooks
                  or _global_forward_hooks or _global_forward_pre_hooks)
        mode = _autograd._mode
        if not mode.enabled:                      # no graph, so nothing to attribute
            return self._call_with_hooks(args, kwargs) if hooked else \
                self.forward(*args, **kwargs)
        # Record this call, so every node made inside knows its module (draw_graph's
        # group_by_module works after an ordinary forward pass).
        call = mode.module_call = _autograd.ModuleCall(self, args, kwargs, mode.module_call)
        try:
            output = self._call_with_hooks(args, kwargs) if hooked else \
                self.forward(*args, **kwargs)
        finally:
            mode.module_call = call.parent
        call.finish(output)
        return output

    def _call_with_hooks(self, args, kwargs):
        pre_hooks = list(_global_forward_pre_hooks.items()) + list(
            self._forward_pre_hooks.items())
        for hook_id, hook in pre_hooks:
            if hook_id in self._forward_pre_hooks_with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError("forward pre-hook registered with "
                                           "with_kwargs=True must return None or a tuple "
                                           f"(new_args, new_kwargs), got {result!r}")
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        hooks = list(_global_forward_hooks.values()) + list(self._forward_hooks.values())
        for hook in hooks:
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """Call ``hook(module, args)`` before each forward (``hook(module, args, kwargs)``
        with ``with_kwargs=True``). A non-None return value replaces the input.
        Returns a handle whose ``remove()`` unregisters the hook."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        if with_kwargs:
            self._forward_pre_hooks_with_kwargs.add(handle.id)
        if prepend:
            self._forward_pre_hooks.move_to_end(handle.id, last=False)
        return handle

    def register_forward_hook(self, hook, *, prepend=False):
        """Call ``hook(module, args, output)`` after each forward; a non-None return
        value replaces the output. Returns a handle whose ``remove()`` unregisters it."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        if prepend:
            self._forward_hooks.move_to_end(handle.id, last=False)
        return handle

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() "
                                     "call (call super().__init__() first in your __init__)")
            self._remove_from(name, d)
            self.register_parameter(name, value)
            return
        if params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter "
                                f"'{name}' (nn.Parameter or None expected)")
            self.register_parameter(name, value)
            return
        modules = d.get("_modules")
        if isinstance(value, Module):
            if modules is None:
                raise AttributeError("cannot assign module before Module.__init__() call "
                                     "(call super().__init__() first in your __init__)")
            self._remove_from(name, d)
            modules[name] = value
            return
        if modules is not None and name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module "
                                f"'{name}' (nn.Module or None expected)")
            modules[name] = value
            return
        buffers = d.get("_buffers")
        if buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer "
                                f"'{name}' (Tensor or None expected)")
            buffers[name] = value
            return
        object.__setattr__(self, name, value)

    def _remove_from(self, name, d):
        d.pop(name, None)
        for key in ("_parameters", "_buffers", "_modules"):
            d[key].pop(name, None)
        d["_non_persistent_buffers_set"].discard(name)

    def __getattr__(self, name):
        # Only reached when normal lookup fails: parameters, buffers and submodules live
        # in their own dicts, not in __dict__.
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            store = d.get(key)
            if store is not None and name in store:
                return store[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            if name in d.get(key, ()):
                del d[key][name]
                d["_non_persistent_buffers_set"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    def register_parameter(self, name, param):
        """Add a parameter (a :class:`Parameter`, or None for an absent one like a
        disabled bias) under ``name``."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        _check_name("parameter", name, self)
        if hasattr(type(self), name) or (name in self.__dict__ and name not in
                                         self._parameters):
            raise KeyError(f"attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"'{name}' (nn.Parameter or None required)")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Add a tensor that is state but not a parameter (e.g. BatchNorm's
        ``running_mean``): it moves with ``to()`` and is saved in ``state_dict()``
        unless ``persistent=False``. ``tensor`` may be None (absent)."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        _check_name("buffer", name, self)
        if hasattr(type(self), name) or (name in self.__dict__) or (
                name in self._parameters) or (name in self._modules):
            raise KeyError(f"attribute '{name}' already exists")
        if isinstance(tensor, np.ndarray):
            tensor = Tensor(tensor)
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer "
                            f"'{name}' (Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name, module):
        """Add a child module under ``name`` (what ``self.name = module`` does)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        _check_name("module", name, self)
        if hasattr(type(self), name) and name not in self._modules:
            raise KeyError(f"attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target):
        """The submodule at the dotted path ``target`` (``'features.3'``)."""
        if target == "":
            return self
        mod = self
        for item in target.split("."):
            if item not in mod._modules:
                raise AttributeError(f"{mod._get_name()} has no attribute `{item}` "
                                     f"(looking up '{target}')")
            mod = mod._modules[item]
        return mod

    def get_parameter(self, target):
        """The parameter at the dotted path ``target`` (``'features.3.weight'``)."""
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if name not in mod._parameters:
            raise AttributeError(f"{mod._get_name()} has no parameter `{name}`")
        return mod._parameters[name]

    def get_buffer(self, target):
        """The buffer at the dotted path ``target`` (``'bn1.running_mean'``)."""
        module_path, _, name = target.rpartition(".")
        mod = self.get_submodule(module_path)
        if name not in mod._buffers:
            raise AttributeError(f"{mod._get_name()} has no buffer `{name}`")
        return mod._buffers[name]

    # ------------------------------------------------------------------ traversal
    def _named_members(self, get_members, prefix="", recurse=True, remove_duplicate=True):
        seen = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        for module_prefix, module in modules:
            for name, value in get_members(module):
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                if remove_duplicate:
                    seen.add(id(value))
                yield (module_prefix + ("." if module_prefix else "") + name, value)

    def parameters(self, recurse=True):
        """An iterator over the parameters (each shared one once), e.g. for an optimizer."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """``(name, parameter)`` pairs with PyTorch's dotted names (``'0.weight'``)."""
        return self._named_members(lambda m: m._parameters.items(), prefix, recurse,
                                   remove_duplicate)

    def buffers(self, recurse=True):
        """An iterator over the buffers (running statistics and the like)."""
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """``(name, buffer)`` pairs (``'bn1.running_mean'``)."""
        return self._named_members(lambda m: m._buffers.items(), prefix, recurse,
                                   remove_duplicate)

    def children(self):
        """An iterator over the direct submodules."""
        for _, m in self.named_children():
            yield m

    def named_children(self):
        """``(name, module)`` pairs of the direct submodules."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def modules(self):
        """An iterator over this module and all submodules, depth first."""
        for _, m in self.named_modules():
            yield m

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """``(name, module)`` pairs of this module (name ``''``) and all submodules."""
        if memo is None:
            memo = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if remove_duplicate:
                if id(module) in memo:
                    continue
                memo.add(id(module))
            yield name, module
            children = [(name + ("." if name else "") + child_name, child)
                        for child_name, child in module._modules.items() if child is not None]
            stack.extend(reversed(children))

    # ------------------------------------------------------------------ modes and dtypes
    def train(self, mode=True):
        """Set training mode (``True``) or evaluation mode on this module and all
        submodules: Dropout and BatchNorm behave differently in the two. Returns self."""
        if not isinstance(mode, bool):
            raise ValueError(f"train: training mode is expected to be boolean, got {mode!r}")
        for m in self.modules():
            m.__dict__["training"] = mode
        return self

    def eval(self):
        """Evaluation mode (``train(False)``): Dropout is the identity, BatchNorm uses its
        running statistics. Returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Set ``requires_grad`` of every parameter: ``model.features.requires_grad_(False)``
        freezes a part for fine-tuning (its ``.grad`` stays None). Returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all parameters (to None by default, as in PyTorch)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad = p.grad.detach()
                p.grad.data[...] = 0

    def apply(self, fn):
        """Call ``fn(module)`` on every submodule and then on self (e.g. a custom
        initialisation); returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def _cast(self, dtype):
        """Cast floating-point parameters, their gradients and floating buffers in place,
        keeping the Parameter objects (so optimizers that hold them still work)."""
        for p in self.parameters():
            if p.data.dtype.kind == "f" and p.data.dtype != dtype:
                p.data = p.data.astype(dtype)
                if p.grad is not None:
                    p.grad = Tensor._wrap(p.grad.data.astype(dtype))
        for m in self.modules():
            for b in m._buffers.values():
                if b is not None and b.data.dtype.kind == "f" and b.data.dtype != dtype:
                    b.data = b.data.astype(dtype)
        return self

    def _move(self, where):
        """Move every parameter (and its gradient) and buffer to device ``where`` in place:
        the same Parameter objects, so an optimizer made earlier keeps working."""
        for p in self.parameters():
            p.data = _device.to_device(p.data, where)
            if p.grad is not None:
                p.grad = Tensor._wrap(_device.to_device(p.grad.data, where))
        for m in self.modules():
            for b in m._buffers.values():
                if b is not None:
                    b.data = _device.to_device(b.data, where)
        return self

    def to(self, *args, **kwargs):
        """``model.to('cuda')`` moves parameters and buffers to the GPU in place (the same
        Parameter objects: an optimizer made earlier keeps working); ``to(tg.float64)``
        casts the floating-point ones (integer buffers such as ``num_batches_tracked``
        stay int64); ``to('cuda', tg.float16)`` does both. Returns self."""
        where, dtype = _parse_to_args(args, dict(kwargs))
        if where is not None:
            self._move(where)
        if dtype is not None:
            self._cast(dtype)
        return self

    def cuda(self, device=None):
        """Move parameters and buffers to the GPU (``device``: an index or
        ``'cuda:N'``) in place; returns self."""
        where = _device.device("cuda" if device is None else device)
        if where.type != "cuda":
            raise ValueError(f"cuda: expected a CUDA device, got {where}")
        return self._move(where)

    def float(self):
        """Cast floating-point parameters and buffers to float32; returns self."""
        return self._cast(_dtypes.float32)

    def double(self):
        """Cast floating-point parameters and buffers to float64 (for gradcheck)."""
        return self._cast(_dtypes.float64)

    def half(self):
        """Cast floating-point parameters and buffers to float16."""
        return self._cast(_dtypes.float16)

    def cpu(self):
        """Move parameters and buffers to host memory in place; returns self."""
        return self._move(_device.CPU)

    # ------------------------------------------------------------------ state dict
    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()

    def state_dict(self, *, destination=None, prefix="", keep_vars=False):
        """An ordered dict of every parameter and persistent buffer by its dotted name
        (PyTorch's keys). The tensors share memory with the module (detached unless
        ``keep_vars=True``); copy them to snapshot weights."""
        if destination is None:
            destination = OrderedDict()
        for name, module in self.named_modules(prefix=prefix.rstrip(".")):
            module._save_to_state_dict(destination, name + "." if name else "", keep_vars)
        return destination

    def _state_targets(self):
        """name → the tensor that ``load_state_dict`` writes into."""
        targets = OrderedDict()
        for prefix, module in self.named_modules():
            dot = prefix + "." if prefix else ""
            for name, p in module._parameters.items():
                if p is not None:
                    targets[dot + name] = p
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent_buffers_set:
                    targets[dot + name] = b
        return targets

    def _check_state_dict(self, state_dict, strict, check_dtype=False):
        """Match ``state_dict`` against this module; returns (pairs, missing, unexpected,
        error lines). Nothing is modified."""
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(f"Expected state_dict to be dict-like, got "
                            f"{type(state_dict).__name__}.")
        targets = self._state_targets()
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict.keys() if k not in targets]
        errors, pairs = [], []
        for key, target in targets.items():
            if key not in state_dict:
                continue
            try:
                array = _as_array(state_dict[key])
            except TypeError as e:
                errors.append(f'While copying the parameter named "{key}", {e}.')
                continue
            if array.shape != target.data.shape:
                errors.append(f"size mismatch for {key}: copying a param with shape "
                              f"{tuple(array.shape)} from checkpoint, the shape in current "
                              f"model is {tuple(target.data.shape)}.")
                continue
            if check_dtype and array.dtype != target.data.dtype:
                errors.append(f"dtype mismatch for {key}: the checkpoint has {array.dtype}, "
                              f"the model has {target.data.dtype} (convert the model first, "
                              "e.g. model.double(), or pass strict_dtype=False)")
                continue
            pairs.append((target, array))
        lines = []
        if strict:
            if unexpected:
                lines.append("Unexpected key(s) in state_dict: "
                             + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                lines.append("Missing key(s) in state_dict: "
                             + ", ".join(f'"{k}"' for k in missing) + ". ")
            hint = _prefix_hint(missing, unexpected)
            if hint:
                lines.append(hint)
        lines.extend(errors)
        return pairs, missing, unexpected, lines

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy parameters and buffers from ``state_dict`` into this module, in place.

        Every problem (missing keys, unexpected keys, shape mismatches) is reported
        together in one ``RuntimeError``, and then nothing is copied. With
        ``strict=False`` missing and unexpected keys are allowed (shape mismatches are
        still errors) and returned as ``(missing_keys, unexpected_keys)``. Values may be
        our Tensors, NumPy arrays or CPU torch tensors; they are cast to the module's
        dtypes, as ``copy_`` does. With ``assign=True`` each parameter and buffer takes a
        copy of the checkpoint's array, keeping its float precision (the Parameter
        objects stay the same).
        """
        pairs, missing, unexpected, lines = self._check_state_dict(state_dict, strict)
        if lines:
            raise RuntimeError(f"Error(s) in loading state_dict for {self._get_name()}:\n\t"
                               + "\n\t".join(lines))
        with no_grad():
            for target, array in pairs:
                # Each value goes onto the parameter's own device, as in PyTorch.
                array = _device.to_device(array, _device.device_of(target.data))
                if assign:  # take the checkpoint's array (and its float precision)
                    same_kind = array.dtype.kind == target.data.dtype.kind
                    target.data = array.astype(target.data.dtype, copy=True) \
                        if not same_kind else array.copy()
                else:
                    target.data[...] = array
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ weights on disk
    def save(self, path, metadata=None):
        """Save ``state_dict()`` to ``path`` in the safetensors format (atomically);
        ``metadata`` is an optional dict of strings stored in the file's header."""
        from ..serialization import save
        save(self.state_dict(), path, metadata=metadata)

    def load(self, path, strict=True, strict_dtype=True):
        """Load weights saved by :meth:`save` (or by ``safetensors.torch.save_file`` from
        the same PyTorch model) into this module in place.

        Names, shapes and (unless ``strict_dtype=False``) dtypes are checked against the
        module first and every mismatch is reported in one ``RuntimeError`` naming the
        file; then nothing is changed. Returns ``(missing_keys, unexpected_keys)``.
        """
        from ..serialization import load
        state = load(path)
        pairs, missing, unexpected, lines = self._check_state_dict(
            state, strict, check_dtype=strict_dtype)
        if lines:
            raise RuntimeError(f"Error(s) in loading {path} into {self._get_name()}:\n\t"
                               + "\n\t".join(lines))
        with no_grad():
            for target, array in pairs:
                target.data[...] = array
        return _IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ printing
    def _get_name(self):
        return type(self).__name__

    def extra_repr(self):
        """The text inside the parentheses of ``repr`` (override in layers, e.g.
        ``'in_features=784, out_features=100, bias=True'``)."""
        return ""

    def __repr__(self):
        extra_lines = []
        extra = self.extra_repr()
        if extra:
            extra_lines = extra.split("\n")
        child_lines = [f"({key}): " + _addindent(repr(module), 2)
                       for key, module in self._modules.items()]
        lines = extra_lines + child_lines
        main = self._get_name() + "("
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                main += extra_lines[0]
            else:
                main += "\n  " + "\n  ".join(lines) + "\n"
        return main + ")"

    # ------------------------------------------------------------------ notebooks
    def _repr_html_(self):
        """Jupyter's view: the parameter counts above ``repr`` (``nn.summary`` gives the
        layer table, which needs an input size)."""
        import html
        params = list(self.parameters())
        total = sum(p.numel() for p in params)
        trainable = sum(p.numel() for p in params if p.requires_grad)
        mode = "train" if self.training else "eval"
        info = f"{total:,} parameters ({trainable:,} trainable) · {mode} mode"
        return (f"<div><small>{html.escape(self._get_name())} · {html.escape(info)}</small>"
                f"<pre>{html.escape(repr(self))}</pre></div>")


def _prefix_hint(missing, unexpected):
    """A hint when the checkpoint's keys are the model's with a prefix added or removed
    (a wrapper module, or a state dict saved from a submodule)."""
    if not missing or not unexpected:
        return ""
    m, u = missing[0], None
    for k in unexpected:
        if k.endswith("." + m):
            u = k
            break
    if u is not None:
        prefix = u[: -len(m)]
        return (f"Hint: the checkpoint's keys carry an extra prefix '{prefix}' (e.g. "
                f"'{u}' for '{m}'); strip it, or load into the matching submodule.")
    for k in unexpected:
        if m.endswith("." + k):
            prefix = m[: -len(k)]
            return (f"Hint: the model's keys have a prefix '{prefix}' that the checkpoint's "
                    f"lack (e.g. '{m}' vs '{k}'); load it into model.{prefix.rstrip('.')} "
                    "instead.")
    return ""
