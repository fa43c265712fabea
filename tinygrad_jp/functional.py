"""Function forms of Tensor methods, from one table: ``tg.exp(t)`` is ``t.exp()``.

PyTorch has most tensor functions twice, as ``torch.f(t, ...)`` and as ``t.f(...)``.
Here the method is the one definition; :data:`FUNCTION_FORMS` lists the methods that
also exist as functions, and each function is generated from its method (same
arguments, same docstring), so the two can never drift apart. To add a function
form, add the method's name to the table.

>>> import tinygrad_jp as tg
>>> tg.max(tg.tensor([[1.0, 5.0], [7.0, 2.0]]), 1)
(tensor([5., 7.]), tensor([1, 0]))
"""
import inspect

from .tensor import Tensor, _as_tensor

# Every name is a Tensor method whose first argument PyTorch calls ``input``.
FUNCTION_FORMS = (
    # elementwise math
    "abs", "sign", "neg", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p",
    "sqrt", "rsqrt", "reciprocal", "square", "sin", "cos", "tan", "tanh", "sigmoid",
    "relu", "clamp", "clip", "clamp_min", "clamp_max", "floor", "ceil", "trunc", "fix",
    "round", "lerp",
    # arithmetic and comparison
    "add", "sub", "mul", "div", "pow", "mm", "dot", "outer", "ger", "remainder",
    "floor_divide",
    "eq", "ne", "lt", "le", "gt", "ge", "isnan", "isfinite", "logical_not",
    "allclose", "equal",
    # reductions and scans
    "sum", "mean", "var", "std", "prod", "max", "min", "amax", "amin", "argmax",
    "argmin", "all", "any", "logsumexp", "norm", "cumsum", "cumprod",
    "softmax", "log_softmax",
    # shape and rearranging
    "reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "transpose", "t",
    "permute", "movedim", "moveaxis", "swapaxes", "swapdims", "broadcast_to", "narrow",
    "flip", "fliplr", "flipud", "roll", "tile", "tril", "triu", "split", "chunk",
    # indexing
    "gather", "scatter", "scatter_add", "index_select", "masked_fill",
    # sorting and sampling
    "sort", "argsort", "topk", "multinomial",
    # misc
    "numel", "clone", "detach",
)


def _function_form(name):
    method = getattr(Tensor, name)

    def function(input, *args, **kwargs):  # noqa: A002  (PyTorch's argument name)
        return getattr(_as_tensor(input, name), name)(*args, **kwargs)

    function.__name__ = function.__qualname__ = name
    function.__module__ = "tinygrad_jp"
    summary = (method.__doc__ or "").strip()
    function.__doc__ = (f"``tg.{name}(input, ...)`` is ``input.{name}(...)``."
                        + (f"\n\n{summary}" if summary else ""))
    params = list(inspect.signature(method).parameters.values())
    params[0] = params[0].replace(name="input")
    function.__signature__ = inspect.Signature(params)
    return function


globals().update({name: _function_form(name) for name in FUNCTION_FORMS})

__all__ = ["FUNCTION_FORMS", *FUNCTION_FORMS]
