"""Check analytic gradients against central differences, in float64."""
import numpy as np

from .autograd import grad as autograd_grad
from .autograd import no_grad
from .devices import CPU, to_device
from .tensor import Tensor

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]

# Above this many output elements the analytic Jacobian is compared through a few
# random projections vᵀJ instead of row by row (one backward each).
_FULL_JACOBIAN_MAX_OUTPUTS = 64
_PROJECTIONS = 4


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` when analytic and numerical gradients disagree."""


def _outputs(result, where):
    outs = list(result) if isinstance(result, (tuple, list)) else [result]
    for i, o in enumerate(outs):
        if o is not None and not isinstance(o, Tensor):
            raise TypeError(f"{where}: the function must return Tensors, got "
                            f"{type(o).__name__} at output {i}")
    return [o for o in outs if o is not None]


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Compare the gradients autograd computes for ``fn(*inputs)`` with central
    differences ``(f(x + eps) − f(x − eps)) / 2eps``.

    Every input that requires grad must be a float64 tensor (float32 is too coarse for
    finite differences). Returns True, or raises :class:`GradcheckError` naming the
    input, the worst element and both values (returns False with
    ``raise_exception=False``).
    """
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad; make them with "
                         "requires_grad=True")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(f"gradcheck: input {i} has dtype {inputs[i].dtype}; use float64 "
                            "inputs (tg.tensor(x, dtype=tg.float64, requires_grad=True))")

    outputs = _outputs(fn(*inputs), "gradcheck")
    # Float outputs are compared; one that does not require grad has a zero analytic
    # derivative (e.g. the constant gradient of a linear op in gradgradcheck), so its
    # numerical derivative must be zero too.
    positions = [k for k, o in enumerate(outputs) if o.dtype.kind == "f"]
    if not positions:
        raise GradcheckError("gradcheck: the function has no floating point output")
    out_sizes = [outputs[k].data.size for k in positions]
    n_out = sum(out_sizes)

    # Numerical Jacobian, one column per input element: J[:, k] = ∂out/∂x_k. Grad mode
    # stays on: gradgradcheck's function differentiates inside.
    numerical = {}
    for i in checked:
        x = inputs[i].data
        jac = np.zeros((n_out, x.size))
        flat = x.reshape(-1)  # a view, so writes reach the input
        if x.size and not np.shares_memory(flat, x):
            raise ValueError(f"gradcheck: input {i} is not contiguous")
        for k in range(x.size):
            orig = flat[k].copy()   # on CuPy flat[k] is a view: keep the value
            flat[k] = orig + eps
            plus = _flat_outputs(fn(*inputs), positions)
            flat[k] = orig - eps
            minus = _flat_outputs(fn(*inputs), positions)
            flat[k] = orig
            jac[:, k] = (plus - minus) / (2 * eps)
        numerical[i] = jac

    # Analytic vᵀJ for one-hot v (full Jacobian) or a few random v.
    if n_out <= _FULL_JACOBIAN_MAX_OUTPUTS:
        vectors = np.eye(n_out)
    else:
        vectors = np.random.default_rng(0).standard_normal((_PROJECTIONS, n_out))
    checked_inputs = [inputs[i] for i in checked]
    worst = None          # (excess over tolerance, input, element, row, analytic, numerical)
    for row, v in enumerate(vectors):
        diff_outputs, grad_outputs, start = [], [], 0
        for k, size in zip(positions, out_sizes, strict=True):
            o = outputs[k]
            if o.requires_grad:
                diff_outputs.append(o)
                grad_outputs.append(Tensor._wrap(to_device(
                    v[start:start + size].reshape(o.shape).astype(o.dtype), o.device)))
            start += size
        grads = (autograd_grad(diff_outputs, checked_inputs, grad_outputs,
                               retain_graph=True, allow_unused=True)
                 if diff_outputs else [None] * len(checked))
        for i, g in zip(checked, grads, strict=True):
            analytic = (np.zeros(inputs[i].data.size) if g is None
                        else _host(g.data).reshape(-1))
            expected = v @ numerical[i]
            excess = np.abs(analytic - expected) - (atol + rtol * np.abs(expected))
            excess = np.where(np.isfinite(analytic), excess, np.inf)
            k = int(np.argmax(excess)) if excess.size else 0
            if excess.size and excess[k] > 0 and (worst is None or excess[k] > worst[0]):
                worst = (excess[k], i, k, row, analytic[k], expected[k])
    if worst is None:
        return True
    _, i, k, row, analytic, expected = worst
    element = tuple(int(e) for e in np.unravel_index(k, inputs[i].shape)) \
        if inputs[i].ndim else ()
    what = (f"output element {row}" if len(vectors) == n_out
            else f"random projection {row} of the outputs")
    message = (f"gradcheck: Jacobian mismatch for input {i} (shape {inputs[i].shape}) at "
               f"element {element}, {what}: analytic {analytic:.10g}, numerical "
               f"{expected:.10g} (atol={atol}, rtol={rtol})")
    if raise_exception:
        raise GradcheckError(message)
    return False


def _flat_outputs(result, positions):
    """The outputs at ``positions`` as one new float64 vector (a copy: an output may be
    a view of the input that is about to be perturbed again)."""
    outs = _outputs(result, "gradcheck")
    return np.concatenate([_host(outs[k].data).reshape(-1) for k in positions])


def _host(array):
    """A float64 copy in host memory (the comparison happens there, on any device)."""
    return np.asarray(to_device(array, CPU), dtype=np.float64)


def gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """Check second derivatives: gradcheck of ``grad(fn(*inputs), inputs, v,
    create_graph=True)`` for a fixed random ``v``."""
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    with no_grad():
        probe = _outputs(fn(*inputs), "gradgradcheck")
    rng = np.random.default_rng(1)
    vs = [Tensor._wrap(to_device(rng.standard_normal(o.shape).astype(o.dtype), o.device))
          for o in probe]
    diff_positions = [i for i, t in enumerate(inputs)
                      if isinstance(t, Tensor) and t.requires_grad]

    def first_derivative(*xs):
        outs = _outputs(fn(*xs), "gradgradcheck")
        wanted = [xs[i] for i in diff_positions]
        pairs = [(o, v) for o, v in zip(outs, vs, strict=True) if o.requires_grad]
        grads = autograd_grad([o for o, _ in pairs], wanted, [v for _, v in pairs],
                              create_graph=True, allow_unused=True)
        # an unused input has a zero derivative, constant in every input
        return tuple(Tensor._wrap(np.zeros_like(x.data)) if g is None else g
                     for g, x in zip(grads, wanted, strict=True))

    return gradcheck(first_derivative, inputs, eps, atol, rtol, raise_exception)
