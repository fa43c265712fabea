"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict`` (PyTorch's behaviour)."""
import operator
from collections import OrderedDict

from .module import Module

__all__ = ["Sequential", "ModuleList", "ModuleDict"]


def _index(idx, n, owner):
    try:
        idx = operator.index(idx)
    except TypeError:
        raise TypeError(f"{owner} indices must be integers or slices, not "
                        f"{type(idx).__name__}") from None
    if not -n <= idx < n:
        raise IndexError(f"index {idx} is out of range for {owner} of length {n}")
    return idx % n


class Sequential(Module):
    """Modules called one after another: ``Sequential(nn.Linear(784, 100), nn.ReLU(),
    nn.Linear(100, 10))``, or from an ``OrderedDict`` of named modules.

    Indexable (``model[0]``, ``model[-1]``, ``model[:3]`` gives a Sequential), has
    ``len``, iterates over its modules, and grows with ``append``; the state-dict keys
    are ``'0.weight'``, ``'2.bias'``, ... as in PyTorch.
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for key, module in args[0].items():
                self.add_module(key, module)
        else:
            for idx, module in enumerate(args):
                if not isinstance(module, Module):
                    raise TypeError(f"Sequential: argument {idx} is a "
                                    f"{type(module).__name__}, not a Module (did you forget "
                                    "the parentheses, e.g. nn.ReLU() instead of nn.ReLU?)")
                self.add_module(str(idx), module)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        keys = list(self._modules)
        return self._modules[keys[_index(idx, len(keys), "Sequential")]]

    def __setitem__(self, idx, module):
        keys = list(self._modules)
        self.add_module(keys[_index(idx, len(keys), "Sequential")], module)

    def __delitem__(self, idx):
        keys = list(self._modules)
        if isinstance(idx, slice):
            for key in keys[idx]:
                del self._modules[key]
        else:
            del self._modules[keys[_index(idx, len(keys), "Sequential")]]
        # keep the numbering contiguous, as PyTorch does
        self.__dict__["_modules"] = OrderedDict(
            (str(i), m) for i, m in enumerate(self._modules.values()))

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __add__(self, other):
        if not isinstance(other, Sequential):
            raise TypeError(f"add operator supports only objects of Sequential class, but "
                            f"{type(other).__name__} is given")
        return Sequential(*self, *other)

    def append(self, module):
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        """Append every module of an iterable; returns self."""
        for m in modules:
            self.append(m)
        return self

    def insert(self, index, module):
        """Insert ``module`` before position ``index`` (renumbering the rest)."""
        if not isinstance(module, Module):
            raise TypeError(f"module should be of type Module, got {type(module).__name__}")
        n = len(self._modules)
        if not -n <= index <= n:
            raise IndexError(f"Index out of range: {index}")
        if index < 0:
            index += n
        mods = list(self._modules.values())
        mods.insert(index, module)
        self.__dict__["_modules"] = OrderedDict((str(i), m) for i, m in enumerate(mods))
        return self

    def pop(self, idx):
        """Remove and return the module at ``idx``."""
        module = self[idx]
        del self[idx]
        return module

    def forward(self, input):
        """Feed ``input`` through every module in order."""
        for module in self._modules.values():
            input = module(input)
        return input


class ModuleList(Module):
    """A list of modules that registers them (``self.blocks = nn.ModuleList([...])``), so
    their parameters are found; a plain Python list would hide them. It has no forward:
    loop over it in your own."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return type(self)(list(self._modules.values())[idx])
        keys = list(self._modules)
        return self._modules[keys[_index(idx, len(keys), "ModuleList")]]

    def __setitem__(self, idx, module):
        keys = list(self._modules)
        self.add_module(keys[_index(idx, len(keys), "ModuleList")], module)

    def __delitem__(self, idx):
        keys = list(self._modules)
        if isinstance(idx, slice):
            for key in keys[idx]:
                del self._modules[key]
        else:
            del self._modules[keys[_index(idx, len(keys), "ModuleList")]]
        self.__dict__["_modules"] = OrderedDict(
            (str(i), m) for i, m in enumerate(self._modules.values()))

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return ModuleList(list(self) + list(other))

    def append(self, module):
        """Add ``module`` at the end; returns self."""
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList.append: {type(module).__name__} is not a Module")
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        """Append every module of an iterable; returns self."""
        if isinstance(modules, Module) and not isinstance(modules, (ModuleList, Sequential)):
            raise TypeError("ModuleList.extend should be called with an iterable, but got "
                            + type(modules).__name__)
        for m in modules:
            self.append(m)
        return self

    def insert(self, index, module):
        """Insert ``module`` before position ``index``."""
        mods = list(self._modules.values())
        mods.insert(index, module)
        self.__dict__["_modules"] = OrderedDict()
        for m in mods:
            self.append(m)

    def pop(self, idx=-1):
        """Remove and return the module at ``idx``."""
        module = self[idx]
        del self[idx]
        return module

    def __repr__(self):
        # PyTorch 2.x compresses runs of identical entries: "(0-2): 3 x ReLU()"
        from .module import _addindent
        reprs = [repr(m) for m in self]
        if not reprs:
            return self._get_name() + "()"
        runs = [[0, 0, reprs[0]]]
        for i, r in enumerate(reprs[1:], 1):
            if r == runs[-1][2]:
                runs[-1][1] = i
            else:
                runs.append([i, i, r])
        lines = []
        for start, end, r in runs:
            text = f"({start}): {r}" if start == end else \
                f"({start}-{end}): {end - start + 1} x {r}"
            lines.append(_addindent(text, 2))
        return self._get_name() + "(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of modules that registers them under their keys (``'conv'`` →
    state-dict key ``'conv.weight'``); keeps insertion order."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        """The keys, in insertion order."""
        return self._modules.keys()

    def items(self):
        """``(key, module)`` pairs, in insertion order."""
        return self._modules.items()

    def values(self):
        """The modules, in insertion order."""
        return self._modules.values()

    def clear(self):
        """Remove every module."""
        self._modules.clear()

    def pop(self, key):
        """Remove and return the module under ``key``."""
        return self._modules.pop(key)

    def update(self, modules):
        """Add modules from a mapping or from ``(key, module)`` pairs."""
        items = modules.items() if hasattr(modules, "items") else modules
        for j, item in enumerate(items):
            if not isinstance(item, tuple) and not (isinstance(item, list) and
                                                    len(item) == 2):
                raise TypeError(f"ModuleDict update sequence element #{j} should be a "
                                f"(key, module) pair, got {type(item).__name__}")
            key, module = item
            self[key] = module
