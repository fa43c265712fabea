"""The autograd core: graph nodes (`Function`), grad mode, and the backward engine.

Every differentiable op is a subclass of :class:`Function` with a ``forward`` that
computes on NumPy arrays and a ``backward`` that is written with Tensor operations.
Because backward uses Tensor ops, running it with grad mode on
(``create_graph=True``) records the backward pass as a graph of its own, so
higher-order derivatives need no extra code; with grad mode off it costs nothing extra.

A node keeps ``inputs``: for each input either the node that made it (an
intermediate result), or the tensor itself (a leaf: a parameter or a constant).
The engine walks these edges without recursion.
"""
import functools
import itertools
import weakref

import numpy as np

__all__ = ["Function", "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
           "inference_mode", "is_inference_mode_enabled",
           "grad", "detect_anomaly", "is_anomaly_enabled", "RemovableHandle", "ModuleCall",
           "current_module_call"]


class _GradMode:
    enabled = True
    anomaly = False
    backward_of = None     # the node whose backward is running (for anomaly messages)
    module_call = None     # the innermost nn.Module call running now (a ModuleCall)


_mode = _GradMode()


def is_grad_enabled():
    """True when ops record the graph (the default)."""
    return _mode.enabled


class ModuleCall:
    """One call of an ``nn.Module`` while grad mode is on. Every node recorded during the
    call remembers it (``node.module_call``), so a graph can be drawn grouped by module
    after an ordinary forward pass, as torchviz users do.

    It holds its tensors *weakly*: a strong reference to the output would close a cycle
    (output → node → call → output) and keep every activation of a step alive until the
    cyclic garbage collector runs, which made training a third slower."""

    __slots__ = ("module", "parent", "seq", "inputs", "outputs")
    _counter = itertools.count()

    def __init__(self, module, args, kwargs, parent):
        self.module, self.parent = module, parent
        self.seq = next(self._counter)     # calls in the order they started
        tensors = [a for a in args if isinstance(a, Tensor)]
        if kwargs:
            tensors += [a for a in kwargs.values() if isinstance(a, Tensor)]
        self.inputs = tuple([weakref.ref(t) for t in tensors])
        self.outputs = ()

    def finish(self, output):
        """Note the nodes that made the call's output (a tensor, or a tuple / list of
        them); an output that is one of the inputs was not made here."""
        outs = output if isinstance(output, (tuple, list)) else (output,)
        inputs = {id(r()) for r in self.inputs}
        self.outputs = tuple([weakref.ref(t.grad_fn) for t in outs
                              if isinstance(t, Tensor) and t.grad_fn is not None
                              and id(t) not in inputs])

    def input_tensors(self):
        """The call's tensor arguments that are still alive."""
        return [t for t in (r() for r in self.inputs) if t is not None]

    def output_nodes(self):
        """The nodes that made the call's output, while they are alive."""
        return [n for n in (r() for r in self.outputs) if n is not None]


def current_module_call():
    """The innermost module call running now (None outside any module)."""
    return _mode.module_call


class _GradModeContext:
    """Base of ``no_grad`` / ``enable_grad``: a context manager and a decorator."""

    _enable = True

    def __enter__(self):
        self._prev = _mode.enabled
        _mode.enabled = self._enable
        return self

    def __exit__(self, *exc):
        _mode.enabled = self._prev
        return False

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with type(self)():
                return func(*args, **kwargs)
        return wrapper


class _BareDecoratorMixin:
    """Lets ``@no_grad`` be written without parentheses, as PyTorch allows: called with
    a function instead of nothing, the class returns that function wrapped."""

    def __new__(cls, func=None):
        if func is None:
            return super().__new__(cls)
        if not callable(func):
            raise TypeError(f"{cls.__name__}() takes no arguments (use it as "
                            f"'with tg.{cls.__name__}():' or as a decorator), got "
                            f"{type(func).__name__}")
        return cls()(func)


class no_grad(_BareDecoratorMixin, _GradModeContext):
    """Turn graph recording off: for evaluation and for in-place parameter updates.

    Use as ``with tg.no_grad(): ...`` or as a decorator, ``@tg.no_grad()`` or
    ``@tg.no_grad``.
    """

    _enable = False


class enable_grad(_BareDecoratorMixin, _GradModeContext):
    """Turn graph recording back on inside a ``no_grad`` block (context or decorator,
    with or without parentheses)."""

    _enable = True


class set_grad_enabled(_GradModeContext):
    """``with tg.set_grad_enabled(flag):`` records the graph only when ``flag`` is true."""

    def __init__(self, mode):
        self._enable = bool(mode)

    def __call__(self, func):
        mode = self._enable

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return func(*args, **kwargs)
        return wrapper


class inference_mode(_GradModeContext):
    """``with tg.inference_mode():`` records no graph, like :class:`no_grad` (PyTorch's
    inference mode also skips its version counters; tinygrad_jp has none, so the two
    are the same here). ``inference_mode(False)`` changes nothing. Works as a context
    manager and as a decorator, with or without parentheses."""

    def __new__(cls, mode=True):
        if callable(mode):               # @tg.inference_mode without parentheses
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode=True):
        self.mode = bool(mode)

    def __enter__(self):
        self._prev = _mode.enabled
        if self.mode:
            _mode.enabled = False
        return self

    def __call__(self, func):
        mode = self.mode

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with inference_mode(mode):
                return func(*args, **kwargs)
        return wrapper


def is_inference_mode_enabled():
    """True inside ``inference_mode()`` (and whenever grad mode is off)."""
    return not _mode.enabled


class detect_anomaly:
    """Context manager that names the op whose forward or backward first made NaN or Inf.

    Slower (every op's result is checked), so use it while hunting a NaN::

        with tg.autograd.detect_anomaly():
            loss = model(x).sum()
            loss.backward()
    """

    def __enter__(self):
        self._prev = _mode.anomaly
        _mode.anomaly = True
        return self

    def __exit__(self, *exc):
        _mode.anomaly = self._prev
        return False


def is_anomaly_enabled():
    return _mode.anomaly


def _check_finite(array, where):
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        bad = "NaN" if np.isnan(array).any() else "Inf"
        raise RuntimeError(f"detect_anomaly: {where} produced {bad} "
                           f"(output shape {array.shape}, dtype {array.dtype})")


class RemovableHandle:
    """Returned by ``register_hook``; ``handle.remove()`` unregisters the hook."""

    def __init__(self, hooks, hook):
        self._hooks, self._hook = hooks, hook

    def remove(self):
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


_FREED = object()


class Function:
    """One differentiable op: ``forward`` on arrays, ``backward`` with Tensor ops.

    Subclasses implement ``forward(self, *tensors, **params) -> np.ndarray`` (read the
    arrays as ``t.data``; keep what backward needs with :meth:`save_for_backward`) and
    ``backward(self, grad) -> Tensor | tuple`` returning one gradient per tensor input
    (``None`` where an input needs none). The engine sums broadcast gradients back to
    each input's shape and casts them to its dtype, so backward need not.
    """

    # A node that is recorded gets these attributes in apply():
    #   inputs            tuple: the producing node, or the leaf tensor, of each input
    #   needs_input_grad  tuple of bools
    #   out_shape, out_dtype  of the output (what the graph viewer shows)
    saved = ()
    hooks = None
    module_call = None     # the nn.Module call that made this node (see ModuleCall)

    @classmethod
    def apply(cls, *tensors, **params):
        """Run forward; record a node when grad mode is on and an input requires grad."""
        fn = object.__new__(cls)
        try:
            data = fn.forward(*tensors, **params)
        except TypeError:
            # CuPy refuses host arrays: a 0-d CPU tensor joins the GPU (as in PyTorch);
            # tensors on two devices are the user's mistake, said PyTorch's way.
            moved = _scalars_to_device(fn.name, tensors)
            if moved is None:
                raise
            return cls.apply(*moved, **params)
        except MemoryError as e:     # CuPy's OutOfMemoryError is a MemoryError too
            shapes = ", ".join(f"{tuple(t.shape)} {t.dtype}" for t in tensors)
            where = tensors[0].device if tensors else "cpu"
            raise RuntimeError(f"{fn.name}: out of memory on {where} with inputs {shapes} "
                               f"({e}); use a smaller batch size or model") from e
        if type(data) is not np.ndarray and not is_device_array(data):
            data = np.asarray(data)  # NumPy turns 0-d results into scalars
        if _mode.anomaly:
            where = (f"the forward of {fn.name}" if _mode.backward_of is None else
                     f"the backward of {_mode.backward_of} (in its {fn.name} step)")
            _check_finite(data, where)
        if _mode.enabled:
            for t in tensors:
                if t.requires_grad:
                    break
            else:
                return Tensor._wrap(data)
            if data.dtype.kind != "f":
                return Tensor._wrap(data)     # integer results carry no gradient
            fn.inputs = tuple([t if t.grad_fn is None else t.grad_fn for t in tensors])
            fn.needs_input_grad = tuple([t.requires_grad for t in tensors])
            fn.out_shape = data.shape
            fn.out_dtype = data.dtype
            fn.module_call = _mode.module_call
            return Tensor._wrap(data, True, fn)
        return Tensor._wrap(data)

    def forward(self, *tensors, **params):
        raise NotImplementedError(f"{type(self).__name__} must implement forward")

    def backward(self, grad):
        raise NotImplementedError(f"{type(self).__name__} must implement backward")

    def save_for_backward(self, *items):
        """Keep tensors or arrays for backward; the engine frees them after backward."""
        self.saved = items

    def output(self, data):
        """A tensor for this node's output ``data`` that backward can use in formulas.

        Saving the output tensor itself would make a reference cycle (output → node →
        output); instead backward re-wraps the saved array with this node as its
        ``grad_fn``, which is the same value at the same place in the graph.
        """
        return Tensor._wrap(data, True, self)

    @property
    def name(self):
        """The node's readable name, e.g. ``MulBackward``."""
        return type(self).__name__ + "Backward"

    @property
    def saved_shapes(self):
        """Shapes of what this node keeps for backward (empty once freed)."""
        if self.saved is _FREED:
            return ()
        return tuple(getattr(s, "shape", ()) for s in self.saved)

    @property
    def next_functions(self):
        """The producing nodes of the inputs (``None`` for leaves), as in PyTorch."""
        return tuple(p if isinstance(p, Function) else None for p in self.inputs)

    def register_hook(self, hook):
        if self.hooks is None:
            self.hooks = []
        self.hooks.append(hook)
        return RemovableHandle(self.hooks, hook)

    def __repr__(self):
        return f"<{self.name}>"


def _scalars_to_device(op, tensors):
    """The inputs with their 0-d CPU tensors moved to the GPU the others are on (None when
    there is nothing to move); PyTorch's error when inputs live on two devices."""
    devices = {}
    for t in tensors:
        if t.data.ndim or t.is_cuda:
            devices.setdefault(str(t.device), t.device)
    if len(devices) > 1:
        a, b = list(devices)[:2]
        raise RuntimeError(f"{op}: Expected all tensors to be on the same device, but found "
                           f"at least two devices, {a} and {b}! Move them with .to(device) "
                           "(e.g. the batch: x = x.to(device))")
    target = next(iter(devices.values()), None)
    if target is None or target.type != "cuda" or all(t.is_cuda for t in tensors):
        return None
    return [t if t.is_cuda else t.to(target) for t in tensors]


def _fit_gradient(grad, shape, dtype, node):
    """Sum a broadcast gradient back to ``shape`` and cast it to ``dtype``."""
    if grad.shape != shape:
        try:
            grad = grad.sum_to(shape)
        except RuntimeError as e:
            raise RuntimeError(f"{node.name} returned a gradient of shape {grad.shape} for "
                               f"an input of shape {shape}") from e
    if grad.dtype != dtype:
        grad = grad.to(dtype)
    return grad


def _add(a, b):
    if _mode.enabled:
        return a + b
    return Tensor._wrap(a.data + b.data)


def _own_gradient(g, stored):
    """A ``.grad`` the user may change in place: not a view into another array (a
    broadcast gradient is read-only) and not shared with another leaf (``x + y`` hands
    both inputs the same gradient)."""
    data = g.data
    if data.base is None and is_writeable(data) and id(data) not in stored:
        return g
    if _mode.enabled:           # create_graph: keep the recorded gradient itself
        return g.clone()
    return Tensor._wrap(data.copy())


def _topological_counts(root_nodes):
    """For every node reachable from the roots: how many edges point at it."""
    counts = {}
    stack = list(root_nodes)
    seen = set(stack)
    while stack:
        node = stack.pop()
        for parent in node.inputs:
            if isinstance(parent, Function):
                counts[parent] = counts.get(parent, 0) + 1
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
    return counts


def run_backward(outputs, grad_outputs, retain_graph, create_graph, inputs=None,
                 allow_unused=False):
    """The engine behind ``Tensor.backward`` and ``tg.grad``.

    Visits nodes in reverse topological order (a node runs once all its consumers have
    passed their gradient), with an explicit work list, never recursion. With
    ``inputs`` given, returns their gradients and leaves ``.grad`` alone.
    """
    grads = {}
    for out, g in zip(outputs, grad_outputs, strict=True):
        key = out if out.grad_fn is None else out.grad_fn
        grads[key] = g if key not in grads else grads[key] + g

    root_nodes = list({o.grad_fn: None for o in outputs if o.grad_fn is not None})
    pending = _topological_counts(root_nodes)
    wanted_nodes = {}
    if inputs is not None:
        wanted_nodes = {t.grad_fn: None for t in inputs if t.grad_fn is not None}
    captured = {}
    leaf_grads = {}
    for out in outputs:
        if out.grad_fn is None and out in grads:
            leaf_grads[out] = grads.pop(out)

    prev_mode = _mode.enabled
    _mode.enabled = create_graph
    try:
        ready = [n for n in root_nodes if pending.get(n, 0) == 0]
        while ready:
            node = ready.pop()
            grad = grads.pop(node, None)
            if grad is not None:
                if node.hooks:
                    for hook in list(node.hooks):
                        replaced = hook(grad)
                        if replaced is not None:
                            grad = replaced
                if node in wanted_nodes:
                    captured[node] = grad
                if node.saved is _FREED:
                    raise RuntimeError(
                        f"{node.name}: trying to backward through the graph a second time "
                        "(or to use its saved tensors after they were freed). Pass "
                        "retain_graph=True to the first backward() if you need to "
                        "backward twice.")
                if _mode.anomaly:
                    _mode.backward_of = node.name
                    try:
                        input_grads = node.backward(grad)
                    finally:
                        _mode.backward_of = None
                else:
                    input_grads = node.backward(grad)
                if not isinstance(input_grads, tuple):
                    input_grads = (input_grads,)
                if not retain_graph and node.saved:
                    node.saved = _FREED
            else:
                input_grads = (None,) * len(node.inputs)
            edges = zip(node.inputs, node.needs_input_grad, input_grads, strict=True)
            for parent, needed, g in edges:
                is_node = isinstance(parent, Function)
                if needed and g is not None:
                    if _mode.anomaly:
                        _check_finite(g.data, f"the backward of {node.name}")
                    if is_node:
                        if g.data.shape != parent.out_shape or g.data.dtype != parent.out_dtype:
                            g = _fit_gradient(g, parent.out_shape, parent.out_dtype, node)
                        grads[parent] = g if parent not in grads else _add(grads[parent], g)
                    else:
                        g = _fit_gradient(g, parent.data.shape, parent.data.dtype, node)
                        leaf_grads[parent] = (g if parent not in leaf_grads
                                              else _add(leaf_grads[parent], g))
                if is_node:
                    pending[parent] -= 1
                    if pending[parent] == 0:
                        ready.append(parent)

        stored = set()        # arrays already given to a .grad
        for leaf, g in leaf_grads.items():
            if leaf._hooks:
                for hook in list(leaf._hooks):
                    replaced = hook(g)
                    if replaced is not None:
                        g = replaced
                leaf_grads[leaf] = g
            if inputs is None and leaf.requires_grad:
                if leaf.grad is None:
                    leaf.grad = _own_gradient(g, stored)
                else:
                    leaf.grad = _add(leaf.grad, g)
                stored.add(id(leaf.grad.data))
    finally:
        _mode.enabled = prev_mode

    if inputs is None:
        return None
    result = []
    for i, t in enumerate(inputs):
        g = leaf_grads.get(t) if t.grad_fn is None else captured.get(t.grad_fn)
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {t.shape}) was not used to compute the outputs; "
                "pass allow_unused=True if that is expected")
        if g is not None and not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)


def _as_grad_list(outputs, grad_outputs, op):
    outputs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif isinstance(grad_outputs, Tensor):
        grad_outputs = [grad_outputs]
    grad_outputs = list(grad_outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"{op}: got {len(outputs)} outputs but {len(grad_outputs)} "
                           "grad_outputs")
    seeds = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs, strict=True)):
        if not isinstance(out, Tensor):
            raise TypeError(f"{op}: outputs must be Tensors, got {type(out).__name__}")
        if not out.requires_grad:
            why = (f" (its dtype {out.dtype} cannot carry gradients)"
                   if out.dtype.kind != "f" else
                   " (was it computed under no_grad, or from tensors without "
                   "requires_grad=True?)")
            raise RuntimeError(f"{op}: element {i} of tensors does not require grad and "
                               f"does not have a grad_fn{why}")
        if g is None:
            if out.data.size != 1:
                raise RuntimeError(
                    f"{op}: grad can be implicitly created only for scalar outputs, but "
                    f"the output has shape {out.shape}; pass gradient= (a tensor of that "
                    "shape) or reduce it first, e.g. loss.sum().backward()")
            g = Tensor._wrap(np.ones_like(out.data))     # on the output's device
        else:
            g = g if isinstance(g, Tensor) else Tensor(g, dtype=out.dtype)
            if g.device != out.device:
                raise RuntimeError(f"{op}: the gradient is on {g.device} but the output is "
                                   f"on {out.device}; pass gradient.to({str(out.device)!r})")
            if g.shape != out.shape:
                raise RuntimeError(f"{op}: gradient has shape {g.shape} but the output has "
                                   f"shape {out.shape}")
        seeds.append(g)
    return outputs, seeds


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False):
    """``tg.autograd.backward``: accumulate gradients of ``tensors`` into leaves' ``.grad``."""
    outputs, seeds = _as_grad_list(tensors, grad_tensors, "backward")
    if retain_graph is None:
        retain_graph = create_graph
    run_backward(outputs, seeds, retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """Gradients of ``outputs`` with respect to ``inputs``, as a tuple; ``.grad`` untouched.

    ``create_graph=True`` records the computation, so the result can be differentiated
    again (``tg.grad(tg.grad(y, x, create_graph=True)[0], x)`` is d²y/dx²).
    """
    outputs, seeds = _as_grad_list(outputs, grad_outputs, "grad")
    single = isinstance(inputs, Tensor)
    inputs = [inputs] if single else list(inputs)
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad: inputs must be Tensors, got {type(t).__name__} at {i}")
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {i} (shape {t.shape}) does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    return run_backward(outputs, seeds, retain_graph, create_graph, inputs, allow_unused)


from .devices import is_device_array, is_writeable  # noqa: E402
from .tensor import Tensor  # noqa: E402  (the Tensor class needs this module first)
