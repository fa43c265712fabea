"""Hypothesis strategies and a gradient-checking helper, for testing ops and modules.

These are the tools tinygrad_jp's own tests use; they are public so that you can
property-test your own ops the same way::

    from hypothesis import given
    import tinygrad_jp as tg
    from tinygrad_jp.testing import tensors, shapes, check_gradient

    def softplus(x):
        return (1 + x.exp()).log()

    def test_softplus_gradient():
        check_gradient(softplus, tensors(shapes(max_dims=2)))

Hypothesis is needed only here (``pip install tinygrad_jp[test]``).
"""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from .gradcheck import gradcheck, gradgradcheck
from .tensor import Tensor

__all__ = ["shapes", "broadcastable_shapes", "arrays", "tensors", "check_gradient",
           "assert_gradients"]


def shapes(min_dims=0, max_dims=3, min_side=1, max_side=4):
    """Array shapes, 0-d (``()``) included when ``min_dims`` is 0."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


def broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=4):
    """Tuples of ``num_shapes`` shapes that broadcast together (some sides are 1, some
    shapes shorter), as every binary op must accept."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims, min_side=min_side,
        max_side=max_side).map(lambda result: result.input_shapes)


def arrays(shape, dtype=np.float64, min_value=-3.0, max_value=3.0, away_from=(),
           margin=1e-2):
    """NumPy arrays of ``shape`` (a tuple or a strategy of tuples) with finite values in
    [min_value, max_value], each at least ``margin`` away from every point in
    ``away_from`` (kinks like 0 for relu / abs, where finite differences are wrong)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        elements = st.floats(min_value, max_value, allow_nan=False, allow_infinity=False,
                             width=dtype.itemsize * 8)
        for point in away_from:
            elements = elements.filter(lambda v, p=point: abs(v - p) >= margin)
    elif dtype.kind == "b":
        elements = st.booleans()
    else:
        elements = st.integers(int(min_value), int(max_value))
    return hnp.arrays(dtype, shape, elements=elements)


def tensors(shape=None, dtype=np.float64, min_value=-3.0, max_value=3.0, requires_grad=True,
            away_from=(), margin=1e-2):
    """Tensors drawn like :func:`arrays` (``shape`` defaults to :func:`shapes`); float
    tensors require grad unless ``requires_grad=False``."""
    shape = shapes() if shape is None else shape
    dtype = np.dtype(dtype)
    return arrays(shape, dtype, min_value, max_value, away_from, margin).map(
        lambda a: Tensor(a, requires_grad=requires_grad and dtype.kind == "f"))


def assert_gradients(fn, *inputs, second_order=False, **tolerances):
    """gradcheck (and, with ``second_order``, gradgradcheck) of ``fn`` at ``inputs``."""
    gradcheck(fn, inputs, **tolerances)
    if second_order:
        gradgradcheck(fn, inputs, **tolerances)


def check_gradient(fn, *input_strategies, second_order=False, max_examples=None,
                   **tolerances):
    """Gradcheck ``fn`` on inputs drawn from ``input_strategies`` (one per argument).

    Runs a Hypothesis search; a failure reports the smallest inputs it found. Call it
    from a plain test function (not from inside another ``@given``).
    """
    def check(inputs):
        assert_gradients(fn, *inputs, second_order=second_order, **tolerances)

    test = given(st.tuples(*input_strategies))(check)
    if max_examples is not None:
        test = settings(max_examples=max_examples)(test)
    test()
