"""``nn.summary(model, input_size)``: a Keras-style table of a model's layers, output
shapes and parameter counts, found by running one forward pass with forward hooks
(like torchinfo)."""
from collections import namedtuple

import numpy as np

from .. import devices as _devices
from .. import dtypes as _dtypes
from ..autograd import no_grad
from ..tensor import Tensor
from .module import Module

__all__ = ["summary", "ModelSummary", "SummaryRow"]

SummaryRow = namedtuple("SummaryRow", ["name", "type", "output_shape", "num_params",
                                       "trainable_params", "depth", "reused"])
SummaryRow.__doc__ = """One layer call: its dotted name in the model (``'features.0'``),
class name, output shape (a tuple, or a list of tuples for several outputs), the number
of parameters it owns (counted at its first call only), how many of them are trainable,
its nesting depth, and whether it is a repeated call of an already listed module."""


def _shape_of(output):
    if isinstance(output, Tensor):
        return tuple(output.shape)
    if isinstance(output, (tuple, list)):
        return [_shape_of(o) for o in output]
    if isinstance(output, dict):
        return {k: _shape_of(v) for k, v in output.items()}
    return None


def _format_shape(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_format_shape(s) for s in shape)
    if isinstance(shape, dict):
        return ", ".join(f"{k}: {_format_shape(s)}" for k, s in shape.items())
    return str(shape)


class ModelSummary:
    """The result of :func:`summary`: prints as the table; ``rows``, ``total_params``,
    ``trainable_params``, ``non_trainable_params`` and ``params_bytes`` for code."""

    def __init__(self, model_name, input_size, rows, total, trainable, params_bytes):
        self.model_name = model_name
        self.input_size = input_size
        self.rows = rows
        self.total_params = total
        self.trainable_params = trainable
        self.non_trainable_params = total - trainable
        self.params_bytes = params_bytes

    def __str__(self):
        header = ("Layer (type)", "Output Shape", "Param #")
        body = []
        for r in self.rows:
            label = f"{r.name} ({r.type})" if r.name else r.type
            label = "  " * max(r.depth - 1, 0) + label
            params = "(reused)" if r.reused else f"{r.num_params:,}"
            body.append((label, _format_shape(r.output_shape), params))
        w0 = max([len(header[0])] + [len(b[0]) for b in body]) + 2
        w1 = max([len(header[1])] + [len(b[1]) for b in body]) + 2
        w2 = max([len(header[2])] + [len(b[2]) for b in body])
        width = w0 + w1 + w2 + 1
        lines = [f'Model: "{self.model_name}"', "_" * width,
                 " " + header[0].ljust(w0) + header[1].ljust(w1) + header[2].rjust(w2),
                 "=" * width]
        for label, shape, params in body:
            lines.append(" " + label.ljust(w0) + shape.ljust(w1) + params.rjust(w2))
        lines += ["=" * width,
                  f"Total params: {self.total_params:,}",
                  f"Trainable params: {self.trainable_params:,}",
                  f"Non-trainable params: {self.non_trainable_params:,}",
                  "_" * width,
                  f"Input size: {_format_shape(self.input_size)}",
                  f"Params size (MB): {self.params_bytes / 1e6:.2f}",
                  "_" * width]
        return "\n".join(lines)

    __repr__ = __str__


def _input_sizes(input_size):
    """One shape ``(1, 3, 32, 32)`` or several ``[(1, 10), (1, 5)]`` → list of tuples."""
    if isinstance(input_size, (tuple, list)) and input_size and all(
            isinstance(s, (tuple, list)) for s in input_size):
        sizes = [tuple(s) for s in input_size]
    elif isinstance(input_size, (tuple, list)):
        sizes = [tuple(input_size)]
    else:
        raise TypeError(f"summary: input_size must be a shape tuple including the batch "
                        f"dimension, e.g. (1, 3, 32, 32), got {input_size!r}")
    for s in sizes:
        if not s or not all(isinstance(d, (int, np.integer)) and not isinstance(d, bool)
                            and d > 0 for d in s):
            raise ValueError(f"summary: input_size must be positive ints including the "
                             f"batch dimension, e.g. (1, 3, 32, 32), got {s!r}")
    return sizes


def summary(model, input_size=None, dtypes=None, input_data=None, depth=None):
    """Run ``model`` once on zeros of ``input_size`` and tabulate its layers.

    ``input_size`` includes the batch dimension (as in torchinfo), e.g.
    ``(1, 3, 128, 128)``; a list of shapes feeds several inputs. ``dtypes`` (one per
    input) defaults to the model's parameter dtype. Or pass real tensors as
    ``input_data``. The pass runs in eval mode under ``no_grad`` (so BatchNorm's
    running statistics are untouched) and every module's mode is restored afterwards.

    Rows: with ``depth=None``, every called leaf module (and any module that owns
    parameters directly), in call order, Keras-style; with ``depth=d``, modules nested
    deeper than ``d`` are folded into their ancestor at depth ``d``. Totals count every
    parameter of the model once; frozen ones (``requires_grad=False``) are
    non-trainable. Buffers (running statistics) are not parameters and are not counted.
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary: expected an nn.Module, got {type(model).__name__}")
    if depth is not None and (not isinstance(depth, int) or depth < 1):
        raise ValueError(f"summary: depth must be a positive int or None, got {depth!r}")
    if input_data is not None:
        inputs = [input_data] if isinstance(input_data, Tensor) else list(input_data)
        sizes = [tuple(t.shape) for t in inputs]
    else:
        if input_size is None:
            raise ValueError("summary: give input_size (with the batch dimension, e.g. "
                             "(1, 3, 32, 32)) or input_data")
        sizes = _input_sizes(input_size)
        default = next((p.dtype for p in model.parameters() if p.dtype.kind == "f"),
                       _dtypes.DEFAULT_FLOAT)
        if dtypes is None:
            dtypes = [default] * len(sizes)
        elif not isinstance(dtypes, (list, tuple)):
            dtypes = [dtypes]
        if len(dtypes) != len(sizes):
            raise ValueError(f"summary: got {len(dtypes)} dtypes for {len(sizes)} inputs")
        where = next((p.device for p in model.parameters()), None)   # the model's device
        xp = np if where is None else _devices.array_module(where)
        inputs = [Tensor._wrap(xp.zeros(s, dtype=_dtypes.to_dtype(dt, "summary")))
                  for s, dt in zip(sizes, dtypes, strict=True)]

    names = {}
    has_children = {}
    for name, m in model.named_modules():
        names[id(m)] = name
        has_children[id(m)] = any(True for _ in m.children())
    calls = []

    def hook(module, args, output):
        calls.append((module, _shape_of(output)))

    handles = [m.register_forward_hook(hook) for m in model.modules()]
    modes = [(m, m.training) for m in model.modules()]
    try:
        model.eval()
        with no_grad():
            model(*inputs)
    except Exception as e:
        if hasattr(e, "add_note"):
            e.add_note(f"(raised while nn.summary ran {type(model).__name__} on inputs of "
                       f"shape {', '.join(map(str, sizes))})")
        raise
    finally:
        for h in handles:
            h.remove()
        for m, mode in modes:
            m.__dict__["training"] = mode

    rows, seen = [], set()
    limit = depth if depth is not None else float("inf")
    for module, shape in calls:
        name = names.get(id(module), "")
        d = 0 if name == "" else name.count(".") + 1
        leaf = not has_children.get(id(module), False)
        own = [p for p in module._parameters.values() if p is not None]
        if d == limit or (d < limit and leaf):
            params = list(module.parameters())
        elif d < limit and own:
            params = own
        else:
            continue
        if d == 0 and not leaf and not own:
            continue
        reused = id(module) in seen
        seen.add(id(module))
        n = 0 if reused else sum(p.data.size for p in params)
        nt = 0 if reused else sum(p.data.size for p in params if p.requires_grad)
        rows.append(SummaryRow(name, type(module).__name__, shape, n, nt, d, reused))

    params = list(model.parameters())
    total = sum(p.data.size for p in params)
    trainable = sum(p.data.size for p in params if p.requires_grad)
    nbytes = sum(p.data.nbytes for p in params)
    size_repr = sizes[0] if len(sizes) == 1 else sizes
    return ModelSummary(type(model).__name__, size_repr, rows, total, trainable, nbytes)
