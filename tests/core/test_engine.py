"""The backward engine: order, accumulation, retain/create graph, hooks, modes, errors."""
import gc
import math
import weakref

import numpy as np
import pytest

import tinygrad_jp as tg


def test_long_chain_backward_needs_no_recursion():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_gradients_accumulate_until_reset():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * x).sum().backward()
    assert x.grad.tolist() == [4.0, 8.0]
    x.grad = None
    (3 * x).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_shared_subexpression_and_diamond_graph():
    x = tg.tensor(3.0, requires_grad=True)
    a = x * 2
    y = a * a + a          # dy/dx = (2a + 1)·2 = 26
    y.backward()
    assert x.grad.item() == 26.0


def test_broadcast_inputs_get_gradients_of_their_own_shape():
    w = tg.ones(3, requires_grad=True)
    b = tg.tensor(0.5, requires_grad=True)
    m = tg.ones(4, 1, 3, requires_grad=True)
    x = tg.ones(2, 3)
    (x * w + b + m).sum().backward()
    assert w.grad.shape == (3,) and w.grad.tolist() == [8.0] * 3
    assert b.grad.shape == () and b.grad.item() == 24.0
    assert m.grad.shape == (4, 1, 3) and np.all(m.grad.numpy() == 2)


def test_gradient_dtype_matches_the_input():
    w = tg.ones(3, requires_grad=True)                # float32
    x = tg.ones(3, dtype=tg.float64)
    (w * x).sum().backward()
    assert (w * x).dtype == tg.float64 and w.grad.dtype == tg.float32


def test_non_scalar_backward_needs_a_gradient():
    x = tg.ones(3, requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        y.backward()
    y.backward(tg.tensor([1.0, 0.0, 2.0]))
    assert x.grad.tolist() == [2.0, 0.0, 4.0]
    with pytest.raises(RuntimeError, match="gradient has shape"):
        (x * 2).backward(tg.ones(2))


def test_second_backward_through_freed_buffers_says_retain_graph():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    z = (x.exp()).sum()
    z.backward(retain_graph=True)
    z.backward()      # allowed: the graph was retained
    assert x.grad.tolist() == pytest.approx([2 + 2 * math.e, 4 + 2 * math.e ** 2])


def test_saved_arrays_are_freed_after_backward():
    x = tg.tensor(np.ones(1000), requires_grad=True)
    h = x.exp()                      # Exp saves its output
    node = h.grad_fn
    assert node.saved_shapes == ((1000,),)
    h.sum().backward()
    assert node.saved_shapes == ()
    y = x.exp()
    y.sum().backward(retain_graph=True)
    assert y.grad_fn.saved_shapes == ((1000,),)


def test_graph_is_released_with_its_output():
    x = tg.ones(3, requires_grad=True)
    y = (x * 2).exp()
    ref = weakref.ref(y.grad_fn)
    del y
    gc.collect()
    assert ref() is None


def test_higher_order_derivatives_against_closed_forms():
    x = tg.tensor(0.7, dtype=tg.float64, requires_grad=True)
    # d²/dx² x³ = 6x
    (g,) = tg.grad(x ** 3, x, create_graph=True)
    (h,) = tg.grad(g, x)
    assert h.item() == pytest.approx(6 * 0.7)
    # d²/dx² tanh x = −2 tanh x (1 − tanh² x)
    (g,) = tg.grad(x.tanh(), x, create_graph=True)
    (h,) = tg.grad(g, x)
    t = math.tanh(0.7)
    assert h.item() == pytest.approx(-2 * t * (1 - t * t))
    # d³/dx³ sin x = −cos x
    (g1,) = tg.grad(x.sin(), x, create_graph=True)
    (g2,) = tg.grad(g1, x, create_graph=True)
    (g3,) = tg.grad(g2, x)
    assert g3.item() == pytest.approx(-math.cos(0.7))
    # backward(create_graph=True) leaves a differentiable .grad
    y = tg.tensor(2.0, dtype=tg.float64, requires_grad=True)
    (y ** 4).backward(create_graph=True)
    first = y.grad                     # 4y³ = 32
    y.grad = None
    first.backward()
    assert first.item() == 32 and y.grad.item() == pytest.approx(48.0)   # 12y²


def test_grad_function_leaves_dot_grad_alone_and_handles_unused():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    z = tg.tensor([3.0], requires_grad=True)
    y = (x * x).sum()
    (gx,) = tg.grad(y, [x], retain_graph=True)
    assert gx.tolist() == [2.0, 4.0] and x.grad is None
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        tg.grad(y, [x, z], retain_graph=True)
    gx, gz = tg.grad(y, [x, z], allow_unused=True)
    assert gz is None
    # gradient with respect to an intermediate tensor
    a = tg.tensor(2.0, requires_grad=True)
    t = a * 3
    (gt,) = tg.grad(t * t, t)
    assert gt.item() == 12.0


def test_no_grad_and_enable_grad_as_contexts_and_decorators():
    x = tg.ones(2, requires_grad=True)
    with tg.no_grad():
        assert not (x * 2).requires_grad and not tg.is_grad_enabled()
        with tg.enable_grad():
            assert (x * 2).requires_grad
    assert tg.is_grad_enabled()

    @tg.no_grad()
    def evaluate(t):
        return t * 2

    @tg.enable_grad()
    def train(t):
        return t * 2

    assert not evaluate(x).requires_grad
    with tg.no_grad():
        assert train(x).requires_grad
    with tg.set_grad_enabled(False):
        assert not (x + 1).requires_grad


def test_hooks_see_replace_and_can_be_removed():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.tolist()))
    (x * 3).sum().backward()
    assert seen == [[3.0, 3.0]]
    handle.remove()
    (x * 3).sum().backward()
    assert len(seen) == 1
    # a hook on an intermediate tensor can replace its gradient
    x.grad = None
    h = x * 2
    h.register_hook(lambda g: g * 10)
    h.sum().backward()
    assert x.grad.tolist() == [20.0, 20.0]
    # retain_grad keeps an intermediate gradient
    x.grad = None
    m = x * x
    m.retain_grad()
    (m * 5).sum().backward()
    assert m.grad.tolist() == [5.0, 5.0]
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        tg.ones(2).register_hook(print)


def test_grad_fn_names_and_leaves():
    x = tg.ones(2, requires_grad=True)
    assert x.is_leaf and x.grad_fn is None
    names = {
        "AddBackward": x + 1, "SubBackward": x - 1, "MulBackward": x * 2,
        "DivBackward": x / 2, "PowBackward": x ** 2, "ExpBackward": x.exp(),
        "SumBackward": x.sum(), "MeanBackward": x.mean(),
        "MatMulBackward": x.reshape(1, 2) @ x.reshape(2, 1),
        "ReshapeBackward": x.reshape(2, 1), "IndexBackward": x[0],
        "SigmoidBackward": x.sigmoid(), "ReluBackward": x.relu(),
        "SoftmaxBackward": x.softmax(0), "MaxBackward": x.max(0)[0],
    }
    for name, t in names.items():
        assert t.grad_fn.name == name and not t.is_leaf
    assert (x * 2).grad_fn.next_functions == (None, None)
    assert (x * 2 + 1).grad_fn.next_functions[0].name == "MulBackward"


def test_errors_name_the_op_and_shapes():
    with pytest.raises(RuntimeError, match=r"matmul: shapes \(3, 4\) and \(5, 2\) are not aligned"):
        tg.ones(3, 4) @ tg.ones(5, 2)
    with pytest.raises(RuntimeError, match="b.T"):
        tg.ones(3, 4) @ tg.ones(2, 4)
    with pytest.raises(RuntimeError, match=r"add: shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        tg.ones(2, 3) + tg.ones(4)
    with pytest.raises(TypeError, match="mul: unsupported operand"):
        tg.ones(2) * "a"
    with pytest.raises(TypeError, match="matmul"):
        tg.matmul(tg.ones(2), "x")
    with pytest.raises(RuntimeError, match="floating point dtype.*int64"):
        tg.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="does not require grad.*int64"):
        x = tg.ones(2, requires_grad=True)
        x.long().sum().backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.ones(2).sum().backward()
    with pytest.raises(RuntimeError, match=r"cat: sizes of tensors must match"):
        tg.cat([tg.ones(2, 3), tg.ones(2, 4)])
    with pytest.raises(RuntimeError, match="stack: expects each tensor to be equal size"):
        tg.stack([tg.ones(2), tg.ones(3)])
    with pytest.raises(TypeError, match="where: condition must be a bool"):
        tg.where(tg.ones(2), tg.ones(2), tg.ones(2))
    with pytest.raises(IndexError, match="index"):
        tg.ones(2, 3)[5]
    with pytest.raises(ValueError, match="clamp"):
        tg.ones(2).clamp()


def test_detect_anomaly_names_the_op():
    x = tg.tensor([0.0, 1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="forward of LogBackward produced Inf"):
        with tg.autograd.detect_anomaly():
            x.log()
    y = tg.tensor([0.0, 1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="backward of SqrtBackward .*produced Inf"):
        with tg.autograd.detect_anomaly():
            y.sqrt().sum().backward()
    (x * 2).sum().backward()     # outside the context no check is made


def test_gradcheck_reports_the_input_and_worst_element():
    from tinygrad_jp.autograd import Function

    class WrongSquare(Function):
        def forward(self, x):
            self.save_for_backward(x)
            return x.data ** 2

        def backward(self, grad):
            (x,) = self.saved
            return grad * x * 3          # should be 2x

    a = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    message = r"input 0 .*element \(1,\).*analytic 6.*numerical 4"
    with pytest.raises(tg.GradcheckError, match=message):
        tg.gradcheck(WrongSquare.apply, (a,))
    assert tg.gradcheck(WrongSquare.apply, (a,), raise_exception=False) is False
    with pytest.raises(TypeError, match="float64"):
        tg.gradcheck(lambda t: t * 2, (tg.ones(2, requires_grad=True),))


def test_leaf_gradients_are_owned_and_writable():
    x = tg.tensor(1.0, requires_grad=True)
    y = tg.tensor(2.0, requires_grad=True)
    (x + y).backward()              # Add hands both inputs the same gradient
    x.grad.zero_()
    assert y.grad.item() == 1.0
    b = tg.zeros(3, requires_grad=True)
    (tg.ones(4, 3) + b).sum().backward()   # a broadcast gradient is a read-only view
    b.grad.mul_(0.5)
    assert b.grad.tolist() == [2.0, 2.0, 2.0]


def test_no_grad_and_enable_grad_as_bare_decorators():
    x = tg.ones(2, requires_grad=True)

    @tg.no_grad
    def evaluate(t):
        return t * 2

    @tg.enable_grad
    def train(t):
        return t * 2

    assert evaluate.__name__ == "evaluate"
    assert not evaluate(x).requires_grad and tg.is_grad_enabled()
    with tg.no_grad():
        assert train(x).requires_grad
    with pytest.raises(TypeError, match="no_grad.*takes no arguments"):
        tg.no_grad(3)
