"""Draw the computation graph autograd recorded, with graphviz.

The graph is read only through what every node exposes (``name``, ``inputs``,
``out_shape``, ``out_dtype``, ``saved_shapes``) and what every tensor exposes
(``grad_fn``, ``requires_grad``, ``shape``, ``dtype``, ``data``, ``grad``, ``name``), so a
new op needs no change here.

>>> import tinygrad_jp as tg
>>> from tinygrad_jp import viz
>>> x = tg.tensor(1.0, requires_grad=True); x.name = "x"
>>> y = tg.tensor(2.0, requires_grad=True); y.name = "y"
>>> z = (x + y) ** 2; z.name = "z"
>>> g = viz.draw_graph(z)          # a graphviz.Digraph; shows inline in Jupyter
>>> "AddBackward" in g.source
True

How the picture is built:

* **Tensor nodes** (ellipses) are the leaves and the output(s). Their colour says what
  they are: an input that requires grad (orange), a parameter (green, named from
  ``params`` or a module's ``named_parameters()``), a constant or data tensor that needs
  no gradient (grey, dashed) and the output (yellow, double border).
* **Op nodes** (blue rounded boxes) are the graph's nodes (``MulBackward`` ...). The graph
  does not keep intermediate tensors, so each op's box also shows the shape and dtype of
  the tensor it produced. ``show_intermediates=True`` draws those tensors as their own
  small nodes instead (the textbook picture: variable → function → variable); an
  intermediate tensor you name in ``params`` always gets its own node.
* **Edges** follow the data flow: input → op → output.

For models, every node remembers the ``nn.Module`` call that made it (recorded by
``Module.__call__`` whenever a graph is), so ``group_by_module=model`` draws one cluster
per module after any ordinary forward pass, and ``max_depth`` folds a module's inside
into a single box.
"""
import html
import math
import os
import warnings
import weakref

import graphviz
import numpy as np

from .._io import atomic_write_bytes
from ..autograd import Function
from ..autograd import grad as _autograd_grad
from ..devices import CPU, to_device
from ..tensor import Tensor
from .fonts import dot_environment

__all__ = ["draw_graph", "save", "draw_model", "trace", "record_modules", "ModuleTrace",
           "ComputationGraph", "GraphvizNotFoundError", "COLOR_BY", "RANKDIRS"]

#: Valid values of ``color_by`` (``None`` means ``"type"``).
COLOR_BY = ("type", "grad_norm")
#: Valid values of ``rankdir``: top→bottom, bottom→top, left→right, right→left.
RANKDIRS = ("TB", "BT", "LR", "RL")
#: Output formats :func:`save` knows (``dot`` / ``gv`` write the DOT text, no ``dot`` needed).
FORMATS = ("svg", "png", "pdf", "dot", "gv")

_FONT = "Helvetica"
_GREY = "#555555"

# Fill, border and shape of each kind of drawn node (colour-blind-safe pastel pairs).
_STYLE = {
    "op": dict(shape="box", style="rounded,filled", fillcolor="#d6e6f5", color="#3d6fa8"),
    "leaf": dict(shape="ellipse", style="filled", fillcolor="#fdd9a8", color="#c2700c"),
    "param": dict(shape="ellipse", style="filled", fillcolor="#cbe8c4", color="#3c8a2e"),
    "const": dict(shape="ellipse", style="filled,dashed", fillcolor="#f2f2f2",
                  color="#8c8c8c", fontcolor="#444444"),
    "intermediate": dict(shape="ellipse", style="filled", fillcolor="#ffffff",
                         color="#3d6fa8"),
    "output": dict(shape="ellipse", style="filled", fillcolor="#fff1a8", color="#a38600",
                   peripheries="2"),
    "module": dict(shape="box", style="rounded,filled,bold", fillcolor="#e4d9f1",
                   color="#6a4c93"),
}
_LEGEND_TEXT = {
    "leaf": "input that requires grad",
    "param": "parameter",
    "const": "constant / data (no grad)",
    "op": "op (backward node)",
    "intermediate": "intermediate tensor",
    "module": "module (folded)",
    "output": "output",
}

# Viridis anchors: perceptually uniform, readable in grey and by colour-blind readers;
# dark = tiny gradient, bright yellow = large gradient.
_VIRIDIS = ("#440154", "#482878", "#3e4989", "#31688e", "#26828e", "#1f9e89", "#35b779",
            "#6ece58", "#b5de2b", "#fde725")
_ZERO_FILL = "#e0e0e0"   # a gradient that is exactly zero: no colour on a log scale
_NONE_FILL = "#ffffff"   # no gradient at all (constants)


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """Rendering needs Graphviz's ``dot`` program and it is not installed (or not on PATH)."""

    def __init__(self, message):
        RuntimeError.__init__(self, message)


_INSTALL_HINT = (
    "rendering the graph needs the Graphviz program 'dot', which was not found on PATH. "
    "Install Graphviz: Debian/Ubuntu 'sudo apt-get install graphviz', macOS "
    "'brew install graphviz', conda 'conda install -c conda-forge graphviz', Windows and "
    "others: https://graphviz.org/download/ (then make sure 'dot -V' works in a new shell). "
    "Without it you can still read graph.source (the DOT text) or save(graph, 'graph.dot').")


def _not_found(where, err):
    return GraphvizNotFoundError(f"{where}: {_INSTALL_HINT} ({err})")


class ComputationGraph(graphviz.Digraph):
    """The ``graphviz.Digraph`` that :func:`draw_graph` returns.

    It is a plain ``Digraph`` (``.source``, ``.render()``, ``.pipe()``, inline display in
    Jupyter); rendering without Graphviz's ``dot`` raises :class:`GraphvizNotFoundError`
    with the install command instead of graphviz's generic message.
    """

    #: Why nothing was drawn, when the output has no graph (else None).
    no_graph_reason = None
    #: Why ops are not shaded in the ``color_by="grad_norm"`` view (else None).
    flow_note = None

    def render(self, *args, **kwargs):
        """Render to a file with ``dot`` (see ``graphviz.Digraph.render``)."""
        try:
            with dot_environment():
                return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as e:
            if isinstance(e, GraphvizNotFoundError):
                raise
            raise _not_found("render", e) from None

    def pipe(self, *args, **kwargs):
        """Render to bytes with ``dot`` (see ``graphviz.Digraph.pipe``); Jupyter uses it."""
        try:
            with dot_environment():
                return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as e:
            if isinstance(e, GraphvizNotFoundError):
                raise
            raise _not_found("pipe", e) from None

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        """Jupyter's view: the picture (SVG) when ``dot`` is installed; else the install
        hint as text, so a notebook that shows a graph still runs to its end."""
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except GraphvizNotFoundError as e:
            return {"text/plain": f"(the graph is not drawn) {e}"}


# ---------------------------------------------------------------------------- formatting
def _num(v):
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    v = float(v)
    if v == 0:
        return "0"
    if math.isfinite(v) and (abs(v) >= 1e5 or abs(v) < 1e-3):
        return f"{v:.2e}"
    return f"{v:.4g}"


def _shape_text(shape):
    if len(shape) == 0:
        return "scalar"
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _summary(array, small=6):
    """Scalars in full, up to ``small`` values listed, bigger arrays as mean / std."""
    a = np.asarray(to_device(array, CPU))      # shown from host memory, on any device
    if a.size == 1:
        return _num(a.reshape(()).item())
    if a.size == 0:
        return "[]"
    if a.size <= small:
        return "[" + ", ".join(_num(v) for v in a.ravel().tolist()) + "]"
    if a.dtype.kind in "biu":
        return f"min {_num(a.min())}, max {_num(a.max())}"
    af = a.astype(np.float64)
    return f"mean {_num(af.mean())}, std {_num(af.std())}"


def _norm(array):
    a = np.asarray(to_device(array, CPU), dtype=np.float64)
    return float(np.sqrt(np.sum(a * a)))


def _html_label(lines):
    """lines: (text, bold, small) triples → a graphviz HTML-like label."""
    parts = []
    for text, bold, small in lines:
        t = html.escape(str(text))
        if bold:
            t = f"<B>{t}</B>"
        if small:
            t = f'<FONT POINT-SIZE="10">{t}</FONT>'
        parts.append(t)
    return "<" + "<BR/>".join(parts) + ">"


def _hex_to_rgb(h):
    return tuple(int(h[i:i + 2], 16) for i in (1, 3, 5))


def _colormap(x):
    """x in [0, 1] → a hex colour on the viridis scale."""
    x = min(max(x, 0.0), 1.0) * (len(_VIRIDIS) - 1)
    i = min(int(x), len(_VIRIDIS) - 2)
    f = x - i
    a, b = _hex_to_rgb(_VIRIDIS[i]), _hex_to_rgb(_VIRIDIS[i + 1])
    return "#" + "".join(f"{round(p + (q - p) * f):02x}" for p, q in zip(a, b, strict=True))


def _text_colour(fill):
    r, g, b = _hex_to_rgb(fill)
    return "#ffffff" if 0.299 * r + 0.587 * g + 0.114 * b < 140 else "#000000"


# ---------------------------------------------------------------------------- the walk
def _postorder(roots, limit=None, hint=""):
    """Every node reachable from ``roots``, inputs before the ops that use them.

    Iterative depth-first post-order (no recursion: a 100,000-op chain is fine), visiting
    inputs in order so that the first input lands on the left. Stops with a ValueError
    as soon as more than ``limit`` nodes are found.
    """
    order, seen = [], set()
    for root in roots:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, 0)]
        while stack:
            node, i = stack[-1]
            inputs = node.inputs
            if i < len(inputs):
                stack[-1] = (node, i + 1)
                parent = inputs[i]
                if isinstance(parent, Function) and parent not in seen:
                    seen.add(parent)
                    if limit is not None and len(seen) > limit:
                        raise ValueError(
                            f"draw_graph: the graph has more than {limit} op nodes "
                            f"(max_nodes={limit}); dot would take very long and the picture "
                            f"would be unreadable. {hint}")
                    stack.append((parent, 0))
            else:
                stack.pop()
                order.append(node)
    return order


def _flatten_tensors(obj):
    """Tensors inside nested tuples / lists / dicts (module inputs and outputs)."""
    out, stack = [], [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, Tensor):
            out.append(item)
        elif isinstance(item, (tuple, list)):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
    return out


# ---------------------------------------------------------------------------- modules
class _Call:
    """One call of one module during a recorded forward pass."""

    __slots__ = ("name", "type_name", "index", "repeat", "parent", "inputs", "outputs",
                 "__weakref__")

    def __init__(self, name, type_name, index, repeat):
        self.name, self.type_name, self.index, self.repeat = name, type_name, index, repeat
        self.parent = None
        self.inputs = {}     # id(tensor) -> weakref, the module's input tensors
        self.outputs = []    # weakrefs to the nodes that made the module's outputs

    def ancestors(self):
        """This call, its parent, ... up to the outermost recorded call."""
        chain, c = [], self
        while c is not None:
            chain.append(c)
            c = c.parent
        return chain

    @property
    def depth(self):
        return len(self.ancestors()) - 1

    def has_input(self, t):
        ref = self.inputs.get(id(t))
        return ref is not None and ref() is t

    def title(self):
        name = self.name if self.name else self.type_name
        return name + (f" (call {self.repeat + 1})" if self.repeat else "")


class ModuleTrace:
    """Which module call made which node of a graph, read from the nodes themselves.

    Every node recorded inside an ``nn.Module`` call remembers that call
    (``node.module_call``, see :class:`tinygrad_jp.autograd.ModuleCall`), so nothing has
    to be switched on before the forward pass: ``draw_graph(loss,
    group_by_module=model)`` works after any ordinary forward, as in PyTorch with
    torchviz. A trace maps each node of the graph of ``outputs`` to the innermost call
    of a module of ``model`` that made it; calls nest as the modules do, and a module
    called twice appears twice (``relu (call 2)``). Nodes are held weakly.

    >>> tr = viz.ModuleTrace(model, loss)                         # doctest: +SKIP
    >>> tr.module_of(loss.grad_fn)                                # doctest: +SKIP
    """

    def __init__(self, model, outputs=None):
        if not (hasattr(model, "named_modules") and hasattr(model, "register_forward_hook")):
            raise TypeError(
                "ModuleTrace: expected an nn.Module (something with named_modules() and "
                f"register_forward_hook()), got {type(model).__name__}")
        self.model = model
        self.calls = []
        self.output = outputs
        self._owner = weakref.WeakKeyDictionary()   # node -> _Call
        if outputs is not None:
            self._collect(_flatten_tensors(outputs))

    # -- reading the nodes
    def _collect(self, outputs):
        names = {id(m): name for name, m in self.model.named_modules()}
        made = {}           # id(ModuleCall) -> _Call (None: no module of the model)

        def call_of(module_call):
            # The innermost call in the chain whose module belongs to the model.
            chain = []
            c = module_call
            while c is not None and id(c) not in made:
                chain.append(c)
                c = c.parent
            known = made.get(id(c)) if c is not None else None
            for c in reversed(chain):            # outermost first: parents exist first
                if id(c.module) in names:
                    parent = None if c.module is self.model else known
                    known = _Call(names[id(c.module)], type(c.module).__name__, c.seq, 0)
                    known.parent = parent
                    _describe_call(known, c)
                made[id(c)] = known
            return made.get(id(module_call))

        stack = list(dict.fromkeys(t.grad_fn for t in outputs if t.grad_fn is not None))
        seen = set(stack)
        while stack:
            node = stack.pop()
            if node.module_call is not None:
                call = call_of(node.module_call)
                if call is not None:
                    self._owner[node] = call
            for p in node.inputs:
                if isinstance(p, Function) and p not in seen:
                    seen.add(p)
                    stack.append(p)
        # Number the calls in the order they ran; repeats of one module count up.
        calls = sorted({id(c): c for c in made.values() if c is not None}.values(),
                       key=lambda c: c.index)
        repeats = {}
        for i, c in enumerate(calls):
            c.index = i
            c.repeat = repeats.get(c.name, 0)
            repeats[c.name] = c.repeat + 1
        self.calls = calls

    # -- reading
    def owner(self, node):
        """The innermost module call that made ``node`` (None if made outside the model)."""
        return self._owner.get(node)

    def module_of(self, node):
        """The qualified module name (``'layer1.0.conv1'``, ``''`` for the model itself)
        that made ``node``, or None when it was made outside the model."""
        call = self._owner.get(node)
        return None if call is None else call.name

    def draw(self, **kwargs):
        """``draw_graph(self.output, group_by_module=self, **kwargs)``."""
        if self.output is None:
            raise ValueError("ModuleTrace.draw: no output recorded; use viz.trace(model, x) "
                             "or call draw_graph(your_output, group_by_module=model)")
        return draw_graph(self.output, group_by_module=self, **kwargs)

    # A trace used as a context manager, as before the nodes knew their modules: the
    # block needs no recording any more, and the trace is filled in when drawn.
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __repr__(self):
        return (f"<ModuleTrace of {type(self.model).__name__}: {len(self.calls)} module "
                "calls>")


def _describe_call(call, module_call):
    """Fill a :class:`_Call`'s inputs and output nodes from the recorded module call."""
    stop = set()
    for t in module_call.input_tensors():
        call.inputs[id(t)] = weakref.ref(t)
        if t.grad_fn is not None:
            stop.add(t.grad_fn)
    call.outputs.extend(weakref.ref(n) for n in module_call.output_nodes() if n not in stop)


def record_modules(model):
    """Kept so that older code runs: the forward pass no longer needs to be inside it,
    since every node knows the module that made it. Returns an empty
    :class:`ModuleTrace`; ``draw_graph(out, group_by_module=model)`` is all you need.
    """
    warnings.warn("viz.record_modules is no longer needed: draw_graph(out, "
                  "group_by_module=model) works after an ordinary forward pass",
                  DeprecationWarning, stacklevel=2)
    return ModuleTrace(model)


def trace(model, *inputs, **kwargs):
    """Run ``model(*inputs, **kwargs)``; returns the :class:`ModuleTrace` of its graph,
    with the result in ``.output``.

    >>> tr = viz.trace(model, x)                                # doctest: +SKIP
    >>> viz.draw_graph(tr.output, group_by_module=tr, max_depth=1)
    """
    return ModuleTrace(model, model(*inputs, **kwargs))


def draw_model(model, *inputs, input_size=None, **draw_kwargs):
    """Run the model once and draw its graph grouped by module.

    Give example inputs, or ``input_size`` (including the batch dimension, as in
    ``nn.summary``) for one random float32 input; unnamed inputs are labelled
    ``input``. Keyword arguments go to :func:`draw_graph` (``max_depth=1`` gives one box
    per top-level layer). Returns the graph.

    >>> g = viz.draw_model(SimpleConvNet(), input_size=(1, 1, 28, 28))   # doctest: +SKIP
    """
    if input_size is not None:
        if inputs:
            raise ValueError("draw_model: give example inputs or input_size, not both")
        size = (input_size,) if isinstance(input_size, int) else tuple(input_size)
        data = np.random.default_rng(0).standard_normal(size).astype(np.float32)
        inputs = (Tensor(data),)
    if not inputs:
        raise ValueError("draw_model: give an example input, e.g. draw_model(model, x), "
                         "or input_size=(batch, ...)")
    names = {}
    for i, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.name is None:
            names["input" if len(inputs) == 1 else f"input {i}"] = t
    names.update(dict(_names_from(draw_kwargs.pop("params", None)).values()))
    rec = trace(model, *inputs)
    outputs = _flatten_tensors(rec.output)
    draw_kwargs.setdefault("group_by_module", rec)
    draw_kwargs["params"] = names
    return draw_graph(outputs if len(outputs) != 1 else outputs[0], **draw_kwargs)


def _resolve_trace(group_by_module, outputs):
    """The :class:`ModuleTrace` of the graph of ``outputs`` for a model or a trace."""
    if isinstance(group_by_module, ModuleTrace):
        if group_by_module.output is not None and \
                _flatten_tensors(group_by_module.output) == list(outputs):
            return group_by_module
        return ModuleTrace(group_by_module.model, outputs)
    if not hasattr(group_by_module, "named_modules"):
        raise TypeError("draw_graph: group_by_module must be an nn.Module or a "
                        f"ModuleTrace, got {type(group_by_module).__name__}")
    return ModuleTrace(group_by_module, outputs)


# ---------------------------------------------------------------------------- draw_graph
class _Vertex:
    __slots__ = ("vid", "kind", "lines", "call", "norm", "has_norm", "extra")

    def __init__(self, vid, kind, lines, call=None):
        self.vid, self.kind, self.lines, self.call = vid, kind, lines, call
        self.norm, self.has_norm, self.extra = None, False, {}


def _names_from(params):
    """params (dict, (name, tensor) pairs, or a module) → {id(tensor): (name, tensor)}."""
    if params is None:
        return {}
    if hasattr(params, "named_parameters") and not isinstance(params, dict):
        items = list(params.named_parameters())
    elif isinstance(params, dict):
        items = list(params.items())
    else:
        try:
            items = list(params)
        except TypeError:
            raise TypeError("draw_graph: params must be a dict {name: tensor}, (name, tensor) "
                            f"pairs or a module, got {type(params).__name__}") from None
    names = {}
    for item in items:
        if not (isinstance(item, tuple) and len(item) == 2):
            raise TypeError("draw_graph: params must be a dict {name: tensor} or (name, "
                            f"tensor) pairs, e.g. model.named_parameters(); got {item!r}")
        name, t = item
        if not isinstance(t, Tensor):
            raise TypeError(f"draw_graph: params[{name!r}] is a {type(t).__name__}, not a "
                            "Tensor")
        names.setdefault(id(t), (str(name), t))
    return names


def _no_graph_reason(t):
    if t.requires_grad:
        return ("It is a leaf tensor: it requires grad, but no op made it, so there is no "
                "graph behind it. Draw a result computed from it, e.g. draw_graph(loss).")
    if t.dtype.kind != "f":
        return (f"Its dtype {t.dtype} cannot carry gradients, so autograd recorded no graph "
                "(comparisons, argmax and integer tensors are never part of the graph).")
    return ("It has no grad_fn: it was made directly (a constant), or computed under "
            "tg.no_grad() or only from tensors with requires_grad=False, so autograd "
            "recorded nothing. Set requires_grad=True on an input (outside no_grad) to "
            "record a graph.")


def draw_graph(output, params=None, show_shapes=True, show_values=False, show_grads=False,
               rankdir="TB", color_by=None, group_by_module=None, max_depth=None,
               max_nodes=3000, show_intermediates=False, show_saved=False, legend=None,
               grad_range=None, title=None):
    """Draw the computation graph that produced ``output`` as a ``graphviz.Digraph``.

    Args:
        output: the Tensor to draw back from (or a list of Tensors, e.g. ``[y, dy_dx]``
            for a graph recorded with ``create_graph=True``).
        params: names for tensors: a dict ``{name: tensor}``, ``(name, tensor)`` pairs such
            as ``model.named_parameters()``, or a module. Named leaves are drawn with their
            name; a named intermediate tensor gets its own node. A tensor's ``.name``
            attribute names it too.
        show_shapes: show each tensor's shape and dtype (and each op's output shape).
        show_values: show values of tensor nodes: scalars in full, up to 6 values listed,
            larger arrays as mean and std.
        show_grads: show ``.grad`` of tensor nodes (after ``backward()``), summarised the
            same way; larger gradients as their norm.
        rankdir: layout direction, one of ``RANKDIRS`` (``"TB"`` puts inputs on top).
        color_by: ``"type"`` (default: colour says leaf / parameter / constant / op /
            output) or ``"grad_norm"``: shade every op and tensor by the norm of the
            gradient of ``output`` with respect to it, on a log scale with a legend. The
            gradient is computed here without touching ``.grad``; this needs the graph's
            saved tensors, so call it before ``backward()`` or after
            ``backward(retain_graph=True)``. If they were already freed, leaves are
            shaded by their ``.grad`` and ops are left white (the legend says so).
        group_by_module: an ``nn.Module`` (whose forward ran inside
            :func:`record_modules`) or a :class:`ModuleTrace`: one cluster per module
            call, labelled with the module's name and class. Parameters are named from
            the model's ``named_parameters()``.
        max_depth: with ``group_by_module``, fold every module deeper than this into one
            box labelled with its name, class, output shape and parameter count
            (``0``: the whole model is one box; ``1``: one box per top-level layer).
        max_nodes: refuse (ValueError) to draw more nodes than this; the message says how
            to group or fold the graph.
        show_intermediates: draw every op's output tensor as its own node.
        show_saved: list in each op the shapes of what it saved for backward.
        legend: draw a legend (default: only for ``color_by="grad_norm"``).
        grad_range: ``(low, high)`` gradient norms mapped to the ends of the colour scale
            (default: the decades spanned by the graph); fix it to compare two graphs.
        title: a caption under the graph.

    Returns:
        ComputationGraph: a ``graphviz.Digraph``; use ``.source``, ``save(g, "g.svg")``,
        ``g.render(...)``, or just show it in Jupyter.
    """
    outputs, color_by, legend = _check_draw_args(output, color_by, rankdir, max_depth,
                                                 group_by_module, max_nodes, grad_range,
                                                 legend)
    show = _Show(show_shapes, show_values, show_grads, show_intermediates, show_saved,
                 color_by == "grad_norm")
    # ---- collect: what to draw (vertices and edges), from the graph behind the outputs
    rec = None if group_by_module is None else _resolve_trace(group_by_module, outputs)
    names, node_names = _tensor_names(params, rec)
    roots = list(dict.fromkeys(t.grad_fn for t in outputs if t.grad_fn is not None))
    if rec is None:
        hint = ("Draw it grouped and folded: draw_graph(out, group_by_module=model, "
                "max_depth=1) or viz.draw_model(model, x, max_depth=1); or raise max_nodes.")
    else:
        hint = ("Fold modules into boxes with max_depth (1: one box per top-level module, "
                "2: one level deeper), or raise max_nodes.")
    nodes = _postorder(roots, None if rec is not None else max_nodes, hint)
    if rec is not None and nodes and not any(rec.owner(n) is not None for n in nodes):
        raise ValueError("draw_graph: group_by_module: none of the ops of this graph were "
                         f"made by a module of that {type(rec.model).__name__}; was the output "
                         "computed by another model, by functional code outside it, or "
                         "under tg.no_grad()?")
    node_norm, leaf_norm, flow_note = {}, {}, None
    if show.grad_norm and roots:
        node_norm, leaf_norm, flow_note = _gradient_flow(outputs, nodes)

    g = _new_graph(rankdir)
    if not roots:
        return _draw_no_graph(g, outputs, names, show, title)

    vertices, edges = _collect(outputs, nodes, names, node_names, rec, show, node_norm,
                               leaf_norm, max_depth)
    if len(vertices) > max_nodes:
        raise ValueError(f"draw_graph: the graph has {len(vertices)} nodes to draw, more "
                         f"than max_nodes={max_nodes}. {hint}")
    # ---- style: colours and labels
    scale = _style(vertices, show.grad_norm, grad_range)
    # ---- render: clusters, nodes, edges, legend, title
    _render(g, vertices, edges)
    if legend:
        _add_legend(g, color_by, scale, flow_note, vertices)
    if title:
        g.attr(label=_wrap(title, 100), fontsize="13")
    g.flow_note = flow_note
    return g


class _Show:
    """What the labels show (draw_graph's show_* arguments) and whether the gradient
    norms shade the graph."""
    __slots__ = ("shapes", "values", "grads", "intermediates", "saved", "grad_norm")

    def __init__(self, shapes, values, grads, intermediates, saved, grad_norm):
        self.shapes, self.values, self.grads = shapes, values, grads
        self.intermediates, self.saved, self.grad_norm = intermediates, saved, grad_norm

    def tensor(self, t, name, kind):
        return _tensor_lines(t, name, kind, self.shapes, self.values, self.grads)


def _check_draw_args(output, color_by, rankdir, max_depth, group_by_module, max_nodes,
                     grad_range, legend):
    """draw_graph's arguments checked: (the output tensors, color_by, legend)."""
    outputs = _flatten_tensors(output) if isinstance(output, (list, tuple)) else [output]
    if not outputs or not all(isinstance(t, Tensor) for t in outputs):
        raise TypeError("draw_graph: output must be a Tensor or a list of Tensors, got "
                        f"{type(output).__name__}")
    if color_by is None:
        color_by = "type"
    if color_by not in COLOR_BY:
        raise ValueError(f"draw_graph: unknown color_by {color_by!r}; valid values are "
                         + ", ".join(repr(c) for c in COLOR_BY) + " (or None)")
    if rankdir not in RANKDIRS:
        raise ValueError(f"draw_graph: unknown rankdir {rankdir!r}; valid values are "
                         + ", ".join(repr(r) for r in RANKDIRS)
                         + " (top→bottom, bottom→top, left→right, right→left)")
    if max_depth is not None:
        if group_by_module is None:
            raise ValueError("draw_graph: max_depth folds modules, so it needs "
                             "group_by_module=model (or a ModuleTrace)")
        if isinstance(max_depth, bool) or not isinstance(max_depth, (int, np.integer)) \
                or max_depth < 0:
            raise ValueError(f"draw_graph: max_depth must be an int >= 0, got {max_depth!r}")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, (int, np.integer)) \
            or max_nodes < 1:
        raise ValueError(f"draw_graph: max_nodes must be a positive int, got {max_nodes!r}")
    if grad_range is not None:
        lo_hi = tuple(grad_range)
        if len(lo_hi) != 2 or not 0 < lo_hi[0] < lo_hi[1]:
            raise ValueError("draw_graph: grad_range must be (low, high) with "
                             f"0 < low < high, got {grad_range!r}")
    if legend is None:
        legend = color_by == "grad_norm"
    return outputs, color_by, legend


def _tensor_names(params, rec):
    """``({id(tensor): (name, tensor)}, {node: (name, tensor)})``: the names of tensors
    (from ``params``, else the traced model's parameters and buffers) and of the ops
    whose output is a named intermediate tensor."""
    names = _names_from(params)
    if rec is not None:
        # the model's own names, unless params names a tensor differently
        model_names = _names_from(rec.model)
        if hasattr(rec.model, "named_buffers"):
            for name, b in rec.model.named_buffers():
                if isinstance(b, Tensor):
                    model_names.setdefault(id(b), (name, b))
        model_names.update(names)
        names = model_names
    node_names = {}   # named intermediate: node -> (name, tensor)
    for name, t in names.values():
        if t.grad_fn is not None:
            node_names.setdefault(t.grad_fn, (name, t))
    return names, node_names


def _new_graph(rankdir):
    g = ComputationGraph(name="computation graph")
    # ordering="in": an op's first input is drawn leftmost, as written in the code
    g.attr(rankdir=rankdir, fontname=_FONT, fontsize="12", bgcolor="white", nodesep="0.3",
           ranksep="0.35", labelloc="b", ordering="in")
    g.attr("node", fontname=_FONT, fontsize="12", margin="0.12,0.05", height="0.3")
    g.attr("edge", color="#555555", arrowsize="0.7")
    return g


def _draw_no_graph(g, outputs, names, show, title):
    """The outputs alone, with a caption that says why there is no graph behind them."""
    for i, t in enumerate(outputs):
        kind = ("param" if id(t) in names and t.requires_grad else
                "leaf" if t.requires_grad else "const")
        label = show.tensor(t, names.get(id(t), (t.name, t))[0], kind)
        g.node(f"t{i}", _html_label(label), **_STYLE[kind])
    reason = _no_graph_reason(outputs[0])
    caption = _wrap("No graph to draw. " + reason)
    if title:
        caption = _wrap(title) + "\\n" + caption
    g.attr(label=caption, fontsize="11")
    g.no_graph_reason = reason
    return g


def _collect(outputs, nodes, names, node_names, rec, show, node_norm, leaf_norm,
             max_depth):
    """The vertices ``{vid: _Vertex}`` and edges ``[(src, dst, attrs)]`` to draw: the
    output tensors, one box per op (in post-order), the leaves they read, named or
    intermediate tensors; placed in module clusters and folded when ``rec`` is given."""
    vertices, edges = {}, []
    out_vertex = {}          # node -> the vertex its output flows out of
    leaf_vertex = {}         # id(leaf) -> vertex id
    leaf_consumers = {}      # id(leaf) -> [node]
    output_of = {}           # node -> vertex id of the drawn output tensor
    counter = [0]

    def new_id(prefix):
        counter[0] += 1
        return f"{prefix}{counter[0]}"

    for i, t in enumerate(outputs):
        if t.grad_fn is not None and t.grad_fn not in output_of:
            vid = new_id("t")
            name = names.get(id(t), (None,))[0] or t.name or (
                "output" if len(outputs) == 1 else f"output {i}")
            v = _Vertex(vid, "output", show.tensor(t, name, "output"))
            if show.grad_norm:
                v.norm, v.has_norm = node_norm.get(t.grad_fn), t.grad_fn in node_norm
            output_of[t.grad_fn] = vid
            vertices[vid] = v
        elif t.grad_fn is None:
            vid = new_id("t")
            kind = "leaf" if t.requires_grad else "const"
            vertices[vid] = _Vertex(vid, kind, show.tensor(t, t.name or "output", kind))
            leaf_vertex[id(t)] = vid

    on_path = set()          # vertices that the data (not only parameters) flows through
    off_path = []            # edges that carry only parameters and constants
    for node in nodes:
        vid = new_id("f")
        v = _Vertex(vid, "op", _op_lines(node, show.shapes, show.saved,
                                         node not in output_of and not show.intermediates
                                         and node not in node_names))
        v.call = rec.owner(node) if rec is not None else None
        if show.grad_norm:
            v.norm, v.has_norm = node_norm.get(node), node in node_norm
        v.extra["node"] = node
        vertices[vid] = v
        for p in node.inputs:
            if isinstance(p, Function):
                src = out_vertex[p]
            else:
                src = leaf_vertex.get(id(p))
                if src is None:
                    src = new_id("t")
                    named = names.get(id(p))
                    is_param = p.requires_grad and (
                        named is not None or type(p).__name__ == "Parameter")
                    kind = "param" if is_param else "leaf" if p.requires_grad else "const"
                    lv = _Vertex(src, kind, show.tensor(p, named[0] if named else p.name,
                                                        kind))
                    if show.grad_norm and p.requires_grad:
                        lv.norm = leaf_norm.get(id(p))
                        lv.has_norm = id(p) in leaf_norm
                        if not lv.has_norm and p.grad is not None:
                            lv.norm, lv.has_norm = _norm(p.grad.data), True
                    lv.extra["tensor"] = p
                    vertices[src] = lv
                    leaf_vertex[id(p)] = src
                leaf_consumers.setdefault(id(p), []).append(node)
                if vertices[src].kind == "leaf" or (vertices[src].kind == "const"
                                                     and p.data.size > 1):
                    on_path.add(src)
            style = {} if getattr(p, "requires_grad", True) else dict(
                style="dashed", color="#999999")
            if src in on_path:
                # heavier edges keep the path of the data straight; parameters hang aside
                style["weight"] = "4"
                on_path.add(vid)
            else:
                off_path.append((src, vid, style))
            edges.append((src, vid, style))
        # where this op's result flows out: the output tensor, a named / intermediate
        # tensor node, or the op box itself
        if node in output_of:
            edges.append((vid, output_of[node], {"weight": "4"} if vid in on_path else {}))
            out_vertex[node] = output_of[node]
            vertices[output_of[node]].call = None
        elif node in node_names or show.intermediates:
            tid = new_id("t")
            name, t = node_names.get(node, (None, None))
            if t is not None:
                lines = show.tensor(t, name, "intermediate")
            else:
                lines = [(f"{_shape_text(node.out_shape)} {node.out_dtype}", False, False)]
            tv = _Vertex(tid, "intermediate", lines, v.call)
            tv.norm, tv.has_norm = v.norm, v.has_norm
            vertices[tid] = tv
            edges.append((vid, tid, {"weight": "4"} if vid in on_path else {}))
            if vid in on_path:
                on_path.add(tid)
            out_vertex[node] = tid
        else:
            out_vertex[node] = vid

    if on_path:
        # Parameter-only chains (weight → Permute → MatMul) sit beside the op that uses
        # them instead of adding ranks, so module clusters stack instead of staggering.
        into = {}
        for _src, dst, style in off_path:
            style["minlen"] = "0"
            # dot draws same-rank edges left to right, so a second parameter of one op
            # (the bias after the weight) would arc over the first: it comes from the
            # right instead, as a reversed edge drawn with its arrow back at the op.
            into[dst] = into.get(dst, 0) + 1
            if into[dst] == 2:
                style["_reverse"] = True

    # module clusters: where each leaf goes, and folding
    if rec is not None:
        for lid, vid in leaf_vertex.items():
            v = vertices[vid]
            t = v.extra.get("tensor")
            if t is None:
                continue
            call = _common_call([rec.owner(n) for n in leaf_consumers.get(lid, [])])
            while call is not None and call.has_input(t):
                call = call.parent
            v.call = call
        if max_depth is not None:
            vertices, edges = _fold(vertices, edges, rec, max_depth, show.grad_norm,
                                    node_norm, show.shapes)
    return vertices, edges


def _style(vertices, grad_norm, grad_range):
    """Each vertex's graphviz attributes and HTML label (``extra['attrs']``,
    ``extra['label']``): the colours of its kind, or, shading by gradient norm, a fill
    from the colour scale it returns (None otherwise)."""
    scale = None
    if grad_norm:
        scale = _scale([v.norm for v in vertices.values() if v.has_norm], grad_range)
    for v in vertices.values():
        attrs = dict(_STYLE[v.kind])
        lines = list(v.lines)
        if grad_norm:
            if v.has_norm:
                if not any(text.startswith("grad ") for text, _, _ in lines):
                    lines.append((f"‖grad‖ {_num(v.norm)}", False, True))
                fill = _ZERO_FILL if v.norm == 0 else _colormap(scale(v.norm))
            else:
                fill = _NONE_FILL
            attrs["fillcolor"] = fill
            attrs["fontcolor"] = _text_colour(fill)
            attrs["color"] = "#333333"
        v.extra["attrs"] = attrs
        v.extra["label"] = _html_label(lines)
    return scale


def _render(g, vertices, edges):
    """Emit the styled vertices into ``g``, each in the cluster of its module call
    (clusters built innermost first, so no recursion is needed), then the edges."""
    calls = {}
    for v in vertices.values():
        c = v.call
        while c is not None and c.index not in calls:
            calls[c.index] = c
            c = c.parent
    subgraphs = {}
    for c in sorted(calls.values(), key=lambda c: (-c.depth, c.index)):
        sg = graphviz.Digraph(name=f"cluster_m{c.index}")
        depth = c.depth
        sg.attr(label=_html_label_inline(c), labeljust="l", labelloc="t", fontname=_FONT,
                fontsize="11",
                style="rounded,filled", color="#8c8c8c",
                fillcolor="#f4f4f4" if depth % 2 == 0 else "#fbfbfb")
        subgraphs[c.index] = sg
    for v in vertices.values():
        target = g if v.call is None else subgraphs[v.call.index]
        target.node(v.vid, v.extra["label"], **v.extra["attrs"])
    for c in sorted(calls.values(), key=lambda c: (-c.depth, c.index)):
        parent = g if c.parent is None else subgraphs[c.parent.index]
        parent.subgraph(subgraphs[c.index])
    for src, dst, attrs in edges:
        if attrs.pop("_reverse", False):
            g.edge(dst, src, dir="back", **attrs)
        else:
            g.edge(src, dst, **attrs)


def _wrap(text, width=72):
    """Break a caption into lines for graphviz (``\\n`` centres each line)."""
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    lines.append(line)
    return "\\n".join(lines)


def _html_label_inline(call):
    name = html.escape(call.title())
    if not call.name:
        return f"<<B>{name}</B>>"
    return f'<<B>{name}</B>  <FONT COLOR="{_GREY}">{html.escape(call.type_name)}</FONT>>'


def _tensor_lines(t, name, kind, show_shapes, show_values, show_grads):
    lines = []
    scalar_const = kind == "const" and t.data.size == 1 and not name
    value_in_title = show_values and t.data.size == 1 and name
    if name:
        lines.append((f"{name} = {_summary(t.data)}" if value_in_title else name, True,
                      False))
    elif scalar_const:
        lines.append((_num(t.data.reshape(()).item()), True, False))
    if show_shapes and not scalar_const:
        lines.append((f"{_shape_text(t.shape)} {t.dtype}", False, not not lines))
    elif not lines:
        lines.append((_shape_text(t.shape), False, False))
    if show_values and not scalar_const and not value_in_title:
        lines.append((("= " if t.data.size == 1 else "") + _summary(t.data), False, True))
    if show_grads and t.grad is not None:
        gd = t.grad.data
        text = ("= " + _summary(gd) if gd.size == 1 else _summary(gd) if gd.size <= 6
                else f"norm {_num(_norm(gd))}")
        lines.append(("grad " + text, False, True))
    return lines


def _op_lines(node, show_shapes, show_saved, with_output):
    lines = [(node.name, True, False)]
    if show_shapes and with_output:
        lines.append((f"→ {_shape_text(node.out_shape)} {node.out_dtype}", False, True))
    if show_saved:
        shapes = node.saved_shapes
        if shapes:
            lines.append(("saved " + ", ".join(_shape_text(s) for s in shapes), False, True))
    return lines


def _common_call(calls):
    """The innermost call that contains all of ``calls`` (None when any is outside)."""
    if not calls or any(c is None for c in calls):
        return None
    common = calls[0].ancestors()
    for c in calls[1:]:
        chain = set(id(a) for a in c.ancestors())
        common = [a for a in common if id(a) in chain]
        if not common:
            return None
    return common[0]


def _fold(vertices, edges, rec, max_depth, with_norm, node_norm, show_shapes):
    """Replace everything inside modules deeper than ``max_depth`` by one box each."""
    target_of = {}

    def target(call):
        if call is None:
            return None
        if call.index not in target_of:
            chain = call.ancestors()   # innermost first
            depth = len(chain) - 1
            target_of[call.index] = None if depth < max_depth else chain[depth - max_depth]
        return target_of[call.index]

    param_counts = {}
    if hasattr(rec.model, "named_parameters"):
        for name, p in rec.model.named_parameters():
            param_counts[name] = int(np.prod(p.shape))

    rep, folded = {}, {}
    for vid, v in vertices.items():
        if v.kind == "output":
            continue
        t = target(v.call)
        if t is None:
            continue
        mid = f"m{t.index}"
        if mid not in folded:
            prefix = t.name + "." if t.name else ""
            n_params = sum(n for k, n in param_counts.items() if k.startswith(prefix))
            lines = [(t.title(), True, False)]
            if t.name:
                lines.append((t.type_name, False, True))
            outs = [r() for r in t.outputs]
            outs = [o for o in outs if o is not None]
            if show_shapes and outs:
                lines.append(("→ " + ", ".join(f"{_shape_text(o.out_shape)}" for o in outs),
                              False, True))
            if n_params:
                lines.append((f"{n_params:,} params", False, True))
            mv = _Vertex(mid, "module", lines, t.parent)
            if with_norm and outs and outs[0] in node_norm:
                mv.norm, mv.has_norm = node_norm[outs[0]], True
            folded[mid] = mv
        rep[vid] = mid
    new_vertices = {}
    for vid, v in vertices.items():
        if vid in rep:
            mid = rep[vid]
            if mid not in new_vertices:
                new_vertices[mid] = folded[mid]
        else:
            new_vertices[vid] = v
    new_edges, seen = [], set()
    for src, dst, attrs in edges:
        s, d = rep.get(src, src), rep.get(dst, dst)
        if s == d or (s, d) in seen:
            continue
        seen.add((s, d))
        new_edges.append((s, d, attrs if s == src else {}))
    return new_vertices, new_edges


def _gradient_flow(outputs, nodes):
    """Norms of d(output)/d(every node's result) and d(output)/d(every leaf).

    Runs one backward pass with ``tg.grad`` (``.grad`` is left alone) and a temporary
    hook on every node. Hooks already on the nodes (``retain_grad`` ...) are set aside
    for the pass so that it has no side effects.
    """
    leaves, seen = [], set()
    for node in nodes:
        for p in node.inputs:
            if isinstance(p, Tensor) and p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                leaves.append(p)
    node_norm = {}
    stashed = [(n, n.__dict__.get("hooks")) for n in nodes]
    try:
        for n in nodes:
            n.hooks = [lambda g, n=n: node_norm.__setitem__(n, _norm(g.data))]
        seeds = [t for t in outputs if t.grad_fn is not None]
        ones = [Tensor._wrap(np.ones_like(t.data)) for t in seeds]     # on t's device
        grads = _autograd_grad(seeds, leaves, grad_outputs=ones, retain_graph=True,
                               allow_unused=True)
    except RuntimeError as e:
        if "second time" not in str(e) and "freed" not in str(e):
            raise
        note = ("op gradients unavailable: backward() already freed the graph (draw "
                "before backward(), or use backward(retain_graph=True)); leaves show .grad")
        return {}, {}, note
    finally:
        for n, h in stashed:
            if h is None:
                n.__dict__.pop("hooks", None)
            else:
                n.hooks = h
    leaf_norm = {id(t): _norm(gr.data)
                 for t, gr in zip(leaves, grads, strict=True) if gr is not None}
    return node_norm, leaf_norm, None


def _scale(norms, grad_range):
    """A function norm → [0, 1] on a log scale over whole decades."""
    if grad_range is not None:
        lo, hi = math.log10(grad_range[0]), math.log10(grad_range[1])
    else:
        pos = [n for n in norms if n is not None and n > 0 and math.isfinite(n)]
        if pos:
            lo, hi = math.floor(math.log10(min(pos))), math.ceil(math.log10(max(pos)))
        else:
            lo, hi = -1.0, 0.0
        if hi <= lo:
            hi = lo + 1

    def f(n):
        if n is None or not n > 0:
            return 0.0
        if not math.isfinite(n):
            return 1.0
        return (math.log10(n) - lo) / (hi - lo)

    f.lo, f.hi = lo, hi
    return f


def _tick(e):
    """A legend label for 10**e: plain for 0.01 ... 1000, else 1e-5."""
    if float(e).is_integer():
        e = int(e)
        return f"{10.0 ** e:g}" if -2 <= e <= 3 else f"1e{e}"
    return f"{10.0 ** e:.1e}"


def _add_legend(g, color_by, scale, note, vertices):
    if color_by == "grad_norm":
        lo, hi = scale.lo, scale.hi
        span = hi - lo
        step = max(1, math.ceil(span / 8)) if float(span).is_integer() else None
        ticks = ([lo + k * step for k in range(int(span // step) + 1)] if step else
                 [lo + span * k / 6 for k in range(7)])
        if ticks[-1] != hi:
            ticks.append(hi)
        rows = ['<TR><TD COLSPAN="2"><B>‖gradient‖</B><BR/>'
                '<FONT POINT-SIZE="10">log scale</FONT></TD></TR>']
        for e in reversed(ticks):
            fill = _colormap((e - lo) / span)
            rows.append(f'<TR><TD BGCOLOR="{fill}" WIDTH="28"> </TD>'
                        f'<TD ALIGN="LEFT">{_tick(e)}</TD></TR>')
        rows.append(f'<TR><TD BGCOLOR="{_ZERO_FILL}"> </TD><TD ALIGN="LEFT">exactly 0</TD>'
                    '</TR>')
        rows.append(f'<TR><TD BGCOLOR="{_NONE_FILL}"> </TD><TD ALIGN="LEFT">no grad</TD>'
                    '</TR>')
        if note:
            rows.append('<TR><TD COLSPAN="2"><FONT POINT-SIZE="9">'
                        + "<BR/>".join(html.escape(s) for s in _wrap(note, 36).split("\\n"))
                        + "</FONT></TD></TR>")
        label = ('<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">'
                 + "".join(rows) + "</TABLE>>")
        with g.subgraph(name="cluster_legend") as c:
            c.attr(label="legend", labelloc="t", style="rounded", color="#bbbbbb",
                   fontsize="10")
            c.node("legend", label, shape="plaintext")
        return
    kinds = [k for k in _LEGEND_TEXT if any(v.kind == k for v in vertices.values())]
    rows = ['<TR><TD COLSPAN="2" BORDER="0"><B>legend</B></TD></TR>']
    for k in kinds:
        st = _STYLE[k]
        dashed = ' STYLE="dashed"' if "dashed" in st["style"] else ""
        rows.append(f'<TR><TD BGCOLOR="{st["fillcolor"]}" COLOR="{st["color"]}" WIDTH="28"'
                    f'{dashed}> </TD>'
                    f'<TD ALIGN="LEFT" BORDER="0">{html.escape(_LEGEND_TEXT[k])}</TD></TR>')
    label = ('<<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="3" CELLPADDING="2">'
             + "".join(rows) + "</TABLE>>")
    g.node("legend", label, shape="plaintext", fontsize="10")


# ---------------------------------------------------------------------------- save
def save(graph, path, format=None, dpi=None, **draw_kwargs):
    """Write a graph to ``path`` as SVG, PNG or PDF (needs ``dot``) or as DOT text.

    ``graph`` is what :func:`draw_graph` returned, or a Tensor (then it is drawn first,
    with ``draw_kwargs``). The format comes from ``format`` or the file's extension; the
    write is atomic (temporary file, then rename). Returns the path.

    >>> viz.save(viz.draw_graph(loss), "graph.svg")             # doctest: +SKIP
    """
    if isinstance(graph, Tensor) or (isinstance(graph, (list, tuple)) and graph
                                     and all(isinstance(t, Tensor) for t in graph)):
        graph = draw_graph(graph, **draw_kwargs)
    elif draw_kwargs:
        raise TypeError("save: drawing options only apply when saving a Tensor, got "
                        + ", ".join(draw_kwargs))
    if not isinstance(graph, graphviz.Digraph):
        raise TypeError(f"save: expected a graphviz.Digraph from draw_graph or a Tensor, got "
                        f"{type(graph).__name__}")
    path = os.fspath(path)
    fmt = (format or os.path.splitext(path)[1].lstrip(".")).lower()
    if fmt not in FORMATS:
        raise ValueError(f"save: unknown format {fmt or '(none)'!r} for {path!r}; valid "
                         "formats are " + ", ".join(FORMATS)
                         + " (give format= or a file extension)")
    if fmt in ("dot", "gv"):
        data = graph.source.encode("utf-8")
    else:
        g = graph
        if dpi is not None and fmt == "png":
            g = graph.copy()
            g.attr(dpi=str(dpi))
        try:
            with dot_environment():     # Japanese names render without a system font
                data = graphviz.Digraph.pipe(g, format=fmt)
        except graphviz.ExecutableNotFound as e:
            raise _not_found("save", e) from None
    atomic_write_bytes(path, data)
    return path
