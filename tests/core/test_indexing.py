"""``t[index]`` follows PyTorch's rules, forward and backward, over index mixes that
hypothesis draws: ints, slices, lists, int tensors and arrays, bool masks, None and
Ellipsis, on tensors of up to 5 dims.

PyTorch's rules are NumPy's with one difference: an integer selects first (its dim is
dropped before anything else happens), so it never counts as an advanced index. The
remaining advanced indices (lists, int and bool arrays) then follow NumPy: adjacent ones
put their broadcast dims where they stand, ones separated by a slice, None or Ellipsis
put them first.
"""
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_jp as tg
from tinygrad_jp.testing import arrays, shapes

# ---------------------------------------------------------------------- index mixes


@st.composite
def index_mixes(draw, shape):
    """A tuple index for an array of ``shape``, as NumPy objects (arrays, not tensors).

    Advanced indices must broadcast together, so a mix holds either int arrays / lists
    whose shapes broadcast to one drawn shape, or a single bool mask (with int arrays of
    length 1 beside it).
    """
    with_mask = draw(st.booleans())
    common = (1,) if with_mask else draw(shapes(min_dims=1, max_dims=2, max_side=3))
    mask_used = False
    ellipsis_used = False
    items, dim = [], 0
    while True:
        left = len(shape) - dim
        # After an Ellipsis the items must cover every remaining dim, so that the
        # Ellipsis stands for exactly the dims it was drawn to skip.
        stop_ok = not ellipsis_used or left == 0
        kinds = ["none"] + (["stop"] if stop_ok else [])
        if left:   # ints and arrays twice: the mixes of the two are the tricky ones
            kinds += ["int", "int", "slice", "list", "array", "array"]
            kinds += ["mask"] if with_mask and not mask_used else []
            kinds += ["ellipsis"] if not ellipsis_used else []
        elif not ellipsis_used:
            kinds += ["ellipsis"]
        if len(items) >= 7:
            # Long enough: finish (no more None, which would pile up dims without end
            # while an Ellipsis still waits for its dims to be covered).
            kinds = ["stop"] if "stop" in kinds else [k for k in kinds if k != "none"]
        kind = draw(st.sampled_from(kinds))
        if kind == "stop":
            return tuple(items)
        if kind == "none":
            items.append(None)
            continue
        if kind == "ellipsis":
            ellipsis_used = True
            dim += draw(st.integers(0, left))
            items.append(Ellipsis)
            continue
        side = shape[dim]
        if kind == "int":
            items.append(draw(st.integers(-side, side - 1)))
            dim += 1
        elif kind == "slice":
            bound = st.none() | st.integers(-side - 1, side + 1)
            items.append(slice(draw(bound), draw(bound), draw(st.sampled_from([None, 1, 2, 3]))))
            dim += 1
        elif kind in ("list", "array"):
            index_shape = tuple(draw(st.sampled_from([1, s])) for s in common)
            index = draw(arrays(index_shape, np.int64, -side, side - 1))
            items.append(index.tolist() if kind == "list" else index)
            dim += 1
        else:
            k = draw(st.integers(1, left))
            items.append(draw(arrays(shape[dim:dim + k], bool)))
            mask_used = True
            dim += k


def _is_int(i):
    return isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_))


def _dims_indexed(i):
    """How many dims of the tensor an index item consumes (a bool mask: its own ndim)."""
    if i is None or i is Ellipsis:
        return 0
    return np.ndim(i) if np.asarray(i).dtype == bool else 1


def torch_rule(a, index):
    """PyTorch's indexing, spelled out on NumPy: every integer selects first (np.take,
    which drops its dim), then NumPy indexes with what is left, which holds no integers
    and so follows PyTorch's rules."""
    items = index if isinstance(index, tuple) else (index,)
    ellipsis_dims = a.ndim - sum(_dims_indexed(i) for i in items)
    rest, axis = [], 0
    for i in items:
        if _is_int(i):
            a = np.take(a, i, axis=axis)     # the dim is gone: axis stays where it is
        elif i is Ellipsis and ellipsis_dims == 0:
            # PyTorch spells an Ellipsis out as full slices: one that covers no dim is
            # nothing at all, where NumPy would still see it between advanced indices.
            continue
        else:
            rest.append(i)
            axis += ellipsis_dims if i is Ellipsis else _dims_indexed(i)
    return a[tuple(rest)]


def as_tensors(index):
    """The index with its int arrays as int64 tensors and its masks as bool tensors."""
    return tuple(tg.tensor(i) if isinstance(i, np.ndarray) else i for i in index)


def empty_ellipsis_among_advanced(index, ndim):
    """An Ellipsis that covers no dim beside advanced indices: NumPy counts it as a
    separator, PyTorch (which spells it out as slices) does not."""
    has_advanced = any(isinstance(i, (list, np.ndarray)) for i in index)
    covered = sum(_dims_indexed(i) for i in index)
    return has_advanced and any(i is Ellipsis for i in index) and covered == ndim


def mixes_int_and_advanced(index):
    return any(_is_int(i) for i in index) and any(
        isinstance(i, (list, np.ndarray)) for i in index)


# ---------------------------------------------------------------------- the cases


def test_an_ellipsis_that_covers_no_dim_does_not_separate_advanced_indices():
    # found by the property test below: PyTorch gives (1, 1, 2, 1)
    a = np.arange(1.).reshape(1, 1, 1, 1)
    index = (None, 0, [[0]], 0, Ellipsis, [[0, 0]], None)
    assert tg.tensor(a)[index].shape == (1, 1, 2, 1)
    assert torch_rule(a, index).shape == (1, 1, 2, 1)
    # without an integer beside them too (found by the comparison with torch)
    index = (None, slice(None), [0], Ellipsis, [0, 0], None, None)
    assert tg.tensor(np.zeros((1, 1, 1)))[index].shape == (1, 1, 2, 1, 1)


def test_integer_slice_list_keeps_pytorchs_dim_order():
    a = np.arange(24.).reshape(2, 3, 4)
    x = tg.tensor(a)
    assert x[0, :, [0, 1]].shape == (3, 2)
    np.testing.assert_array_equal(x[0, :, [0, 1]].numpy(), a[0][:, [0, 1]])
    # same shapes either way round: the values used to come out transposed
    y = np.arange(20.).reshape(1, 2, 10)
    np.testing.assert_array_equal(tg.tensor(y)[-1, :, [6, -8]].numpy(), y[-1][:, [6, -8]])


def test_integer_between_advanced_indices_is_a_select():
    a = np.arange(120.).reshape(2, 3, 4, 5)
    x = tg.tensor(a)
    # [0, 1] at dims 1 and 3, an int between: adjacent once the int has selected
    np.testing.assert_array_equal(x[:, [0, 1], 0, [0, 1]].numpy(), a[:, :, 0][:, [0, 1], [0, 1]])
    # separated by a slice: the broadcast dim goes first
    np.testing.assert_array_equal(x[[0, 1], :, 0, [0, 1]].numpy(), a[:, :, 0][[0, 1], :, [0, 1]])
    # a 0-d int tensor counts as an integer, as in PyTorch
    np.testing.assert_array_equal(x[tg.tensor(0), :, [0, 1]].numpy(), a[0][:, [0, 1]])


def test_integer_with_advanced_index_gradient_lands_in_place():
    a = np.arange(24.).reshape(2, 3, 4)
    x = tg.tensor(a, requires_grad=True)
    g = np.arange(6.).reshape(3, 2) + 1
    (x[1, :, [0, 0]] * tg.tensor(g)).sum().backward()
    want = np.zeros_like(a)
    want[1, :, 0] = g.sum(axis=1)      # the repeated index 0 accumulates
    np.testing.assert_array_equal(x.grad.numpy(), want)


def test_setitem_follows_the_same_order():
    x = tg.zeros(2, 3, 4)
    x[0, :, [0, 1]] = tg.tensor(np.arange(6.).reshape(3, 2))
    np.testing.assert_array_equal(x.numpy()[0][:, [0, 1]], np.arange(6.).reshape(3, 2))
    assert x.numpy()[1].sum() == 0


def test_empty_list_index_selects_nothing():
    x = tg.tensor(np.arange(6.).reshape(2, 3))
    assert x[[]].shape == (0, 3)
    assert x[:, []].shape == (2, 0)


# ---------------------------------------------------------------------- properties


@settings(max_examples=300)
@given(data=st.data())
def test_indexing_follows_numpy_with_integers_selecting_first(data):
    shape = data.draw(shapes(min_dims=0, max_dims=5, max_side=4))
    a = np.arange(float(np.prod(shape))).reshape(shape)
    index = data.draw(index_mixes(shape))
    try:
        want = torch_rule(a, index)
    except IndexError:
        with pytest.raises(IndexError):
            tg.tensor(a)[as_tensors(index)]
        return
    if not mixes_int_and_advanced(index) and not empty_ellipsis_among_advanced(index, a.ndim):
        # where NumPy's own rule is PyTorch's
        np.testing.assert_array_equal(a[index], want)
    got = tg.tensor(a)[as_tensors(index)]
    assert got.shape == want.shape, index
    np.testing.assert_array_equal(got.numpy(), want)
    if len(index) == 1:                     # a lone item, not in a tuple
        np.testing.assert_array_equal(tg.tensor(a)[as_tensors(index)[0]].numpy(),
                                      torch_rule(a, index[0]))


@settings(max_examples=100)
@given(data=st.data())
def test_indexing_gradients(data):
    shape = data.draw(shapes(min_dims=1, max_dims=4, max_side=3))
    index = data.draw(index_mixes(shape))
    x = tg.tensor(data.draw(arrays(shape)), requires_grad=True)
    try:
        torch_rule(x.numpy(), index)
    except IndexError:
        return
    weights = tg.tensor(np.arange(1.0, 1.0 + x.numel()).reshape(shape))
    # scale by distinct weights first, so a gradient that lands on the wrong element shows
    tg.gradcheck(lambda t: (t * weights)[as_tensors(index)], [x])


@given(data=st.data())
def test_indexing_second_derivatives(data):
    shape = data.draw(shapes(min_dims=1, max_dims=3, max_side=3))
    index = data.draw(index_mixes(shape))
    x = tg.tensor(data.draw(arrays(shape)), requires_grad=True)
    try:
        torch_rule(x.numpy(), index)
    except IndexError:
        return
    tg.gradgradcheck(lambda t: (t * t)[as_tensors(index)], [x])


@settings(max_examples=150)
@given(data=st.data())
def test_indexing_matches_torch(data):
    torch = pytest.importorskip("torch")
    shape = data.draw(shapes(min_dims=0, max_dims=5, max_side=4))
    index = data.draw(index_mixes(shape))
    a = data.draw(arrays(shape))
    try:
        theirs = torch.tensor(a, requires_grad=True)
        their_out = theirs[tuple(torch.from_numpy(i) if isinstance(i, np.ndarray) else i
                                 for i in index)]
    except IndexError:
        return
    ours = tg.tensor(a, requires_grad=True)
    our_out = ours[as_tensors(index)]
    assert our_out.shape == tuple(their_out.shape), index
    np.testing.assert_array_equal(our_out.detach().numpy(), their_out.detach().numpy())
    g = data.draw(arrays(our_out.shape))
    (our_out * tg.tensor(g)).sum().backward()
    (their_out * torch.from_numpy(g)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------- negative slice steps
@pytest.mark.parametrize("index, shown, hint", [
    (slice(None, None, -1), "x[::-1]", "x.flip(0)"),
    ((slice(None), slice(None, None, -2)), "x[:, ::-2]", "x.flip(1)"),
    ((Ellipsis, slice(3, 0, -1)), "x[..., 3:0:-1]", "x.flip(2)"),
    ((None, 0, slice(None, None, -1)), "x[None, 0, ::-1]", "x.flip(1)"),
    ((slice(None), slice(None, None, 0)), "x[:, ::0]", "(a step of 0 never advances)"),
])
def test_slice_steps_must_be_positive_as_in_pytorch(index, shown, hint):
    # NumPy reverses with a negative step; PyTorch raises, so a ported script must not
    # silently depend on it. The error names the op and the index, and points to flip.
    x = tg.tensor(np.arange(24.0).reshape(2, 3, 4))
    step = index.step if isinstance(index, slice) else index[-1].step
    for op in ("getitem", "setitem"):
        message = (rf"^{op}: step must be greater than zero, got {step} in "
                   rf"{re.escape(shown)}[;( ].*{re.escape(hint)}")
        with pytest.raises(ValueError, match=message):
            if op == "getitem":
                x[index]
            else:
                x[index] = 0.0
    np.testing.assert_array_equal(x.numpy(), np.arange(24.0).reshape(2, 3, 4))  # untouched


def test_slice_step_error_matches_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(ValueError, match="step must be greater than zero"):
        torch.arange(4.0)[::-1]
    with pytest.raises(ValueError, match="step must be greater than zero"):
        tg.arange(4.0)[::-1]


def test_positive_steps_and_flip_still_work():
    x = tg.tensor(np.arange(24.0).reshape(2, 3, 4))
    np.testing.assert_array_equal(x[:, ::2, 1::3].numpy(), x.numpy()[:, ::2, 1::3])
    np.testing.assert_array_equal(x.flip(2).numpy(), x.numpy()[..., ::-1])
