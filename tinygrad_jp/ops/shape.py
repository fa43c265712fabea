"""Shape ops, indexing, concatenation and casts. Each backward is another shape op, so
higher-order gradients flow through them too."""
import numpy as np

from ..autograd import Function
from ..devices import add_at, array_module, as_array, device_of, to_device
from ..tensor import Tensor


class Reshape(Function):
    def forward(self, a, shape):
        self.in_shape = a.data.shape
        return a.data.reshape(shape)

    def backward(self, grad):
        return grad.reshape(self.in_shape)


class Permute(Function):
    def forward(self, a, dims):
        self.dims = dims
        return a.data.transpose(dims)

    def backward(self, grad):
        return grad.permute(*np.argsort(self.dims).tolist())


class Expand(Function):
    """Broadcast to a larger shape (a read-only view); backward sums back."""

    def forward(self, a, shape):
        self.in_shape = a.data.shape
        if shape == a.data.shape:
            return a.data.view()    # no element repeats, so the view may stay writable
        return np.broadcast_to(a.data, shape)

    def backward(self, grad):
        return grad.sum_to(self.in_shape)


class SumTo(Function):
    """Sum over broadcast dimensions down to ``shape``: the adjoint of Expand."""

    def forward(self, a, shape):
        self.in_shape = a.data.shape
        return sum_to_shape(a.data, shape)

    def backward(self, grad):
        return grad.broadcast_to(self.in_shape)


def sum_to_shape(x, shape):
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, s in enumerate(shape) if s == 1 and x.shape[i + lead] != 1)
    out = x.sum(axis=axes, keepdims=True) if axes else x
    return out.reshape(shape)


class SplitIndex:
    """An index in two steps, for PyTorch's order when integers mix with advanced indices.

    NumPy counts an integer as an advanced index, so in ``x[0, :, [0, 1]]`` it sees two
    advanced indices separated by a slice and puts their broadcast dim first: shape
    ``(2, 3)``. PyTorch selects with the integer first and only then indexes with the
    list: shape ``(3, 2)``. ``basic`` holds the integers (with slices, None and Ellipsis;
    each advanced index is a full slice there), ``advanced`` the rest, to apply to the
    result of ``basic``. Both steps are NumPy indices, and the first makes a view, so
    writing through it (setitem, the scatter of backward) reaches the original array.
    """

    __slots__ = ("basic", "advanced")

    def __init__(self, basic, advanced):
        self.basic, self.advanced = basic, advanced

    def __repr__(self):
        return f"SplitIndex(basic={self.basic!r}, advanced={self.advanced!r})"


def _selects(i):
    """True for what PyTorch applies as a select: an int, or a 0-d int array (a 0-d int
    tensor). Bools are ints to Python but advanced indices to NumPy and PyTorch."""
    if isinstance(i, np.ndarray):
        return i.ndim == 0 and i.dtype != np.bool_
    return isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_))


def _is_advanced(i):
    return isinstance(i, (np.ndarray, bool, np.bool_)) and not _selects(i)


def _dims_indexed(i):
    """How many dims of the indexed array an item consumes."""
    if i is None or i is Ellipsis or isinstance(i, (bool, np.bool_)):
        return 0
    if isinstance(i, np.ndarray) and i.dtype == np.bool_:
        return i.ndim                      # a mask covers as many dims as it has
    return 1


# An index made only of these means the same to NumPy and to PyTorch.
PLAIN_INDEX_TYPES = frozenset([int, slice, type(None), type(Ellipsis)])


def index_to_device(index, like):
    """An index for an array on a GPU: its integer and bool arrays moved there too (an
    index may be given on the CPU, as in PyTorch)."""
    if isinstance(index, SplitIndex):
        out = object.__new__(SplitIndex)
        out.basic = index.basic
        out.advanced = index_to_device(index.advanced, like)
        return out
    if isinstance(index, tuple):
        return tuple(index_to_device(i, like) for i in index)
    if isinstance(index, np.ndarray):
        return to_device(index, device_of(like))
    return index


def torch_index(items, ndim):
    """A tuple index (tensors already turned into arrays) with PyTorch's meaning, as
    something NumPy can apply: the tuple itself unless it mixes integers with advanced
    indices, a :class:`SplitIndex` if it does."""
    has_select = has_advanced = False
    for i in items:
        has_select = has_select or _selects(i)
        has_advanced = has_advanced or _is_advanced(i)
    if has_advanced and any(i is Ellipsis for i in items) and \
            sum(_dims_indexed(i) for i in items) == ndim:
        # PyTorch spells an Ellipsis out as full slices, so one that covers no dim is
        # nothing; NumPy would still count it as separating the advanced indices.
        items = tuple(i for i in items if i is not Ellipsis)
    if has_select and has_advanced:
        return _split(items, ndim)
    return items


_ALL = slice(None)


def _split(items, ndim):
    """The :class:`SplitIndex` of ``items`` for an array of ``ndim`` dims."""
    basic, advanced = [], []
    ellipsis_at = None
    for i in items:
        if _selects(i):
            basic.append(int(i))           # selects, and its dim is gone for step two
        elif i is None or type(i) is slice:
            basic.append(i)
            advanced.append(_ALL)
        elif i is Ellipsis:
            basic.append(i)                # NumPy still rejects a second Ellipsis here
            ellipsis_at = len(advanced)
        else:                              # an advanced index waits for step two
            basic.extend([_ALL] * _dims_indexed(i))
            advanced.append(i)
    if ellipsis_at is not None:
        spanned = ndim - sum(_dims_indexed(i) for i in items)
        advanced[ellipsis_at:ellipsis_at] = [_ALL] * max(spanned, 0)
    return SplitIndex(tuple(basic), tuple(advanced))


def take(array, index):
    """``array[index]`` for a NumPy index or a :class:`SplitIndex`."""
    if type(index) is SplitIndex:
        return array[index.basic][index.advanced]
    return array[index]


def put(array, index, value):
    """``array[index] = value`` for a NumPy index or a :class:`SplitIndex`."""
    if type(index) is SplitIndex:
        array[index.basic][index.advanced] = value    # the first step is a view
    else:
        array[index] = value


class Index(Function):
    """``t[index]``, basic or advanced; backward scatters with accumulation."""

    def forward(self, a, index):
        self.index, self.in_shape = index, a.data.shape
        return as_array(take(a.data, index))

    def backward(self, grad):
        return IndexAdd.apply(grad, index=self.index, shape=self.in_shape)


def _is_basic(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (slice, int, np.integer, type(None), type(Ellipsis)))
               for i in items)


class IndexAdd(Function):
    """Zeros of ``shape`` with ``src`` added at ``index``; repeated indices accumulate."""

    def forward(self, src, index, shape):
        self.index = index
        out = array_module(src.data).zeros(shape, dtype=src.data.dtype)
        target = out
        if type(index) is SplitIndex:
            target, index = out[index.basic], index.advanced    # a view into out
        if _is_basic(index):
            target[index] = src.data   # a basic index never repeats an element
        else:
            add_at(target, index, src.data)
        return out

    def backward(self, grad):
        return Index.apply(grad, index=self.index)


class Cat(Function):
    def forward(self, *tensors, dim):
        self.dim = dim
        self.sizes = [t.data.shape[dim] for t in tensors]
        return np.concatenate([t.data for t in tensors], axis=dim)

    def backward(self, grad):
        grads, start = [], 0
        for size, needed in zip(self.sizes, self.needs_input_grad, strict=True):
            index = (slice(None),) * self.dim + (slice(start, start + size),)
            grads.append(grad[index] if needed else None)
            start += size
        return tuple(grads)


class Cast(Function):
    def forward(self, a, dtype):
        self.in_dtype = a.data.dtype
        return a.data.astype(dtype)

    @property
    def name(self):
        return "ToCopyBackward"

    def backward(self, grad):
        return grad.to(self.in_dtype)


class ToDevice(Function):
    """A copy on another device (host ↔ GPU); the gradient goes back the same way."""

    def forward(self, a, device):
        self.source = a.device
        return to_device(a.data, device)

    @property
    def name(self):
        return "ToCopyBackward"

    def backward(self, grad):
        return grad.to(self.source)


class Clone(Function):
    def forward(self, a):
        return a.data.copy()

    def backward(self, grad):
        return grad


class Flip(Function):
    """Reverse the order along ``dims`` (a copy, like PyTorch's: a view would let a
    write into the result change the input); its own adjoint."""

    def forward(self, a, dims):
        self.dims = dims
        return np.flip(a.data, dims).copy()

    def backward(self, grad):
        return grad.flip(self.dims)


class Roll(Function):
    """Shift elements along ``dims`` with wrap-around; the adjoint shifts back."""

    def forward(self, a, shifts, dims):
        self.shifts, self.dims = shifts, dims
        return np.roll(a.data, shifts, dims)

    def backward(self, grad):
        return grad.roll(tuple(-s for s in self.shifts), self.dims)


class Gather(Index):
    """``gather`` / ``index_select``: advanced indexing with the index arrays built by
    the caller; backward scatters with accumulation (an index may repeat)."""


class Scatter(Function):
    """A copy of ``a`` with ``src`` written at ``index`` (a tuple of index arrays).

    The gradient of ``a`` is zero where it was overwritten; ``src``'s is the gradient
    gathered back from those positions (``src_slices`` trims nothing when ``src`` has
    the index's shape, else pads the gradient back to ``src``'s shape)."""

    def forward(self, a, src, index, src_slices):
        self.index, self.src_slices, self.src_shape = index, src_slices, src.data.shape
        out = a.data.copy()
        out[index] = src.data[src_slices]
        return out

    def backward(self, grad):
        kept = array_module(grad.data).ones(grad.shape, dtype=grad.dtype)
        kept[self.index] = 0
        grad_a = grad * Tensor._wrap(kept) if self.needs_input_grad[0] else None
        return grad_a, _gather_back(self, grad) if self.needs_input_grad[1] else None


class ScatterAdd(Function):
    """A copy of ``a`` with ``src`` added at ``index``; repeated indices accumulate."""

    def forward(self, a, src, index, src_slices):
        self.index, self.src_slices, self.src_shape = index, src_slices, src.data.shape
        out = a.data.copy()
        add_at(out, index, src.data[src_slices])
        return out

    def backward(self, grad):
        return (grad if self.needs_input_grad[0] else None,
                _gather_back(self, grad) if self.needs_input_grad[1] else None)


def _gather_back(node, grad):
    """The gradient of a scattered ``src``: read back at the index, padded with zeros
    where ``src`` was larger than the index."""
    picked = grad[node.index]
    if picked.shape == node.src_shape:
        return picked
    return IndexAdd.apply(picked, index=node.src_slices, shape=node.src_shape)

