"""max_pool2d, avg_pool2d, adaptive_avg_pool2d: gradchecks over drawn geometries,
PyTorch's tie rule, second derivatives, PyTorch as an oracle, errors."""
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import tinygrad_jp as tg
import tinygrad_jp.nn.functional as F


def t64(a, grad=True):
    return tg.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


@st.composite
def pool_cases(draw, max_side=7, allow_dilation=True):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    p = tuple(draw(st.integers(0, ki // 2)) for ki in k)
    d = (draw(st.sampled_from([1, 1, 2])), draw(st.sampled_from([1, 1, 2]))) \
        if allow_dilation else (1, 1)
    lo = [max(1, di * (ki - 1) + 1 - 2 * pi) for ki, pi, di in zip(k, p, d, strict=True)]
    hw = tuple(draw(st.integers(lo_i, max(lo_i, max_side))) for lo_i in lo)
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    return dict(shape=(n, c) + hw, k=k, s=s, p=p, d=d, ceil=draw(st.booleans()),
                seed=draw(st.integers(0, 9999)))


def every_window_sees_input(case, out_hw):
    """PyTorch's gradient for a window made only of padding (possible with dilation)
    is arbitrary; such windows are left out of the comparison."""
    for size, k, s, p, d, o in zip(case["shape"][2:], case["k"], case["s"], case["p"],
                                   case["d"], out_hw, strict=True):
        for start in range(o):
            if not any(p <= start * s + j * d < p + size for j in range(k)):
                return False
    return True


def distinct(shape, seed):
    """Values with no ties (finite differences are wrong at a tie)."""
    rng = np.random.default_rng(seed)
    return rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1 + \
        rng.uniform(0, 0.01, shape)


@settings(max_examples=15)
@given(pool_cases())
def test_max_pool2d_gradcheck(case):
    x = distinct(case["shape"], case["seed"])
    assert tg.gradcheck(lambda a: F.max_pool2d(a, case["k"], case["s"], case["p"], case["d"],
                                               ceil_mode=case["ceil"]), [t64(x)])


@settings(max_examples=15)
@given(pool_cases(allow_dilation=False), st.booleans())
def test_avg_pool2d_gradcheck(case, include_pad):
    x = np.random.default_rng(case["seed"]).standard_normal(case["shape"])
    assert tg.gradcheck(lambda a: F.avg_pool2d(a, case["k"], case["s"], case["p"],
                                               ceil_mode=case["ceil"],
                                               count_include_pad=include_pad), [t64(x)])


def test_pool_gradgradcheck():
    x = t64(distinct((1, 2, 5, 5), 0))
    assert tg.gradgradcheck(lambda a: F.max_pool2d(a * a, 2, 1), [x])
    assert tg.gradgradcheck(lambda a: F.max_pool2d(a, 3, 2, 1) ** 2, [x])
    assert tg.gradgradcheck(lambda a: F.avg_pool2d(a * a, 2, 1, 1), [x])


@settings(max_examples=20)
@given(pool_cases(max_side=8), st.booleans())
def test_pools_match_torch(case, include_pad):
    torch = pytest.importorskip("torch")
    x = distinct(case["shape"], case["seed"])
    g = np.random.default_rng(1)
    tx = torch.tensor(x, requires_grad=True)
    ty = torch.nn.functional.max_pool2d(tx, case["k"], case["s"], case["p"], case["d"],
                                        ceil_mode=case["ceil"])
    xt = t64(x)
    y = F.max_pool2d(xt, case["k"], case["s"], case["p"], case["d"], ceil_mode=case["ceil"])
    assume(every_window_sees_input(case, y.shape[2:]))
    gy = g.standard_normal(y.shape)
    y.backward(tg.tensor(gy))
    ty.backward(torch.tensor(gy))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy())
    np.testing.assert_allclose(xt.grad.numpy(), tx.grad.numpy())
    # average pooling (dilation is not a parameter of avg_pool2d)
    ta = torch.nn.functional.avg_pool2d(torch.tensor(x), case["k"], case["s"], case["p"],
                                        ceil_mode=case["ceil"],
                                        count_include_pad=include_pad)
    a = F.avg_pool2d(t64(x), case["k"], case["s"], case["p"], ceil_mode=case["ceil"],
                     count_include_pad=include_pad)
    np.testing.assert_allclose(a.numpy(), ta.numpy(), atol=1e-12)


def test_max_pool_ties_send_the_gradient_to_one_element_like_torch():
    x = t64(np.ones((1, 1, 4, 4)))
    F.max_pool2d(x, 2).sum().backward()
    expected = np.zeros((4, 4))
    expected[::2, ::2] = 1                       # the first element of every window
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], expected)
    x2 = t64(np.ones((1, 1, 4, 4)))
    F.max_pool2d(x2, 3, stride=1).sum().backward()   # overlapping windows
    assert x2.grad.numpy().sum() == 4
    try:
        import torch
    except ImportError:
        return
    tx = torch.ones((1, 1, 4, 4), dtype=torch.float64, requires_grad=True)
    torch.nn.functional.max_pool2d(tx, 3, stride=1).sum().backward()
    np.testing.assert_array_equal(x2.grad.numpy(), tx.grad.numpy())


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("kernel", [2, 3])
def test_max_pool_every_tie_pattern_goes_to_the_first_maximum(kernel, channels_last):
    """Each window holds one of the 2^(k·k) patterns of 0s and 1s; the gradient and
    the index must pick the first 1 in row-major order (all 0s: the first cell)."""
    k = kernel
    patterns = (np.arange(2 ** (k * k))[:, None] >> np.arange(k * k)) & 1
    side = int(np.ceil(np.sqrt(len(patterns))))
    grid = np.zeros((side * side, k, k))
    grid[:len(patterns)] = patterns.reshape(-1, k, k)
    image = grid.reshape(side, side, k, k).transpose(0, 2, 1, 3).reshape(side * k, side * k)
    data = np.stack([image, 1 - image])[None]              # (1, 2, side·k, side·k)
    if channels_last:
        data = np.ascontiguousarray(data.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    x = tg.Tensor(data, requires_grad=True)
    out, idx = F.max_pool2d(x, k, return_indices=True)
    out.sum().backward()
    windows = data.reshape(1, 2, side, k, side, k).transpose(0, 1, 2, 4, 3, 5)
    first = windows.reshape(1, 2, side, side, k * k).argmax(axis=-1)
    expected = np.zeros(windows.shape)
    np.put_along_axis(expected.reshape(1, 2, side, side, k * k), first[..., None], 1,
                      axis=-1)
    expected = expected.reshape(1, 2, side, side, k, k).transpose(0, 1, 2, 4, 3, 5)
    np.testing.assert_array_equal(x.grad.numpy(), expected.reshape(data.shape))
    rows = np.arange(side)[:, None] * k + first // k
    cols = np.arange(side)[None, :] * k + first % k
    np.testing.assert_array_equal(idx.numpy(), rows * side * k + cols)


def test_max_pool_return_indices_match_torch():
    torch = pytest.importorskip("torch")
    x = distinct((2, 3, 7, 6), 5)
    out, idx = F.max_pool2d(t64(x), 3, 2, 1, return_indices=True)
    tout, tidx = torch.nn.functional.max_pool2d(torch.tensor(x), 3, 2, 1,
                                                return_indices=True)
    np.testing.assert_array_equal(out.numpy(), tout.numpy())
    np.testing.assert_array_equal(idx.numpy(), tidx.numpy())
    assert idx.dtype == np.int64


def test_pool_of_channels_last_conv_output_keeps_values_and_layout():
    x = tg.randn(2, 3, 8, 8)
    y = F.conv2d(x, tg.randn(4, 3, 3, 3), padding=1)     # channels-last view
    p = F.max_pool2d(y, 2)
    ref = np.ascontiguousarray(y.numpy()).reshape(2, 4, 4, 2, 4, 2).max(axis=(3, 5))
    np.testing.assert_array_equal(p.numpy(), ref)
    a = F.avg_pool2d(y, 2)
    np.testing.assert_allclose(a.numpy(), np.ascontiguousarray(y.numpy()).reshape(
        2, 4, 4, 2, 4, 2).mean(axis=(3, 5)), rtol=1e-5, atol=1e-6)


@settings(max_examples=10)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 5), st.integers(1, 5))
def test_adaptive_avg_pool2d_gradcheck_and_torch(h, w, oh, ow):
    x = np.random.default_rng(h * 10 + w).standard_normal((2, 2, h, w))
    assert tg.gradcheck(lambda a: F.adaptive_avg_pool2d(a, (oh, ow)), [t64(x)])
    try:
        import torch
    except ImportError:
        return
    np.testing.assert_allclose(
        F.adaptive_avg_pool2d(t64(x), (oh, ow)).numpy(),
        torch.nn.functional.adaptive_avg_pool2d(torch.tensor(x), (oh, ow)).numpy(),
        atol=1e-12)


def test_adaptive_avg_pool2d_global_and_none():
    x = tg.randn(2, 3, 5, 4)
    np.testing.assert_allclose(F.adaptive_avg_pool2d(x, 1).numpy()[..., 0, 0],
                               x.numpy().mean(axis=(2, 3)), rtol=1e-5)
    assert F.adaptive_avg_pool2d(x, (None, 2)).shape == (2, 3, 5, 2)


def test_max_pool_under_no_grad_keeps_no_index():
    with tg.no_grad():
        y = F.max_pool2d(tg.randn(1, 1, 4, 4, requires_grad=True), 2)
    assert y.grad_fn is None and y.shape == (1, 1, 2, 2)


def test_pool_errors():
    with pytest.raises(ValueError, match="stride must be positive"):
        F.max_pool2d(tg.randn(1, 1, 4, 4), 2, stride=0)
    with pytest.raises(ValueError, match="padding must be non-negative"):
        F.avg_pool2d(tg.randn(1, 1, 4, 4), 2, padding=-1)
    with pytest.raises(ValueError, match="at most half of the kernel size"):
        F.max_pool2d(tg.randn(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(RuntimeError, match=r"kernel size \(5, 5\) is larger than the padded "
                                           r"input \(4, 4\)"):
        F.max_pool2d(tg.randn(1, 1, 4, 4), 5)
    with pytest.raises(RuntimeError, match="3-D .* or 4-D"):
        F.max_pool2d(tg.randn(4, 4), 2)


@pytest.mark.parametrize("make", [
    lambda a: a,
    lambda a: np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2),
    lambda a: np.ascontiguousarray(a.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3),
    lambda a: np.ascontiguousarray(a.transpose(0, 2, 1, 3)).transpose(0, 2, 1, 3),
    lambda a: np.repeat(a, 2, axis=3)[..., ::2],
], ids=["nchw", "channels-last", "cnhw", "nhcw", "strided"])
def test_pools_and_conv_accept_any_memory_layout(make):
    base = distinct((2, 3, 8, 6), 11)
    ref_in = t64(base)
    x = tg.Tensor(make(base.copy()), requires_grad=True)      # keeps the strides
    assert np.array_equal(x.numpy(), base) and x.numpy().strides == make(base).strides
    w = t64(np.random.default_rng(0).standard_normal((4, 3, 3, 3)), False)
    for fn in (lambda a: F.max_pool2d(a, 2), lambda a: F.max_pool2d(a, 3, 2, 1),
               lambda a: F.avg_pool2d(a, 2), lambda a: F.conv2d(a, w, padding=1)):
        ref_in.grad = x.grad = None
        y_ref, y = fn(ref_in), fn(x)
        g = np.random.default_rng(1).standard_normal(y.shape)
        y_ref.backward(tg.tensor(g))
        y.backward(tg.tensor(g))
        np.testing.assert_allclose(y.numpy(), y_ref.numpy(), atol=1e-12)
        np.testing.assert_allclose(x.grad.numpy(), ref_in.grad.numpy(), atol=1e-12)


def test_threaded_passes_equal_inline_passes(monkeypatch):
    """Splitting memory-bound passes over the batch and threads changes no value."""
    from tinygrad_jp.kernels import threads as parallel
    rng = np.random.default_rng(12)
    x = distinct((5, 3, 8, 8), 12)
    w, b = rng.standard_normal((4, 3, 3, 3)), rng.standard_normal(4)
    w1 = rng.standard_normal((2, 1, 3, 3))

    def run():
        xs = [t64(x), t64(w), t64(b), t64(x[:, :1]), t64(w1)]
        h = F.relu(F.conv2d(xs[0], xs[1], xs[2], padding=1))
        h = F.max_pool2d(h, 2) + F.max_pool2d(h, 3, 2, 1)[..., :4, :4]
        h2 = F.conv2d(F.relu(F.conv2d(xs[3], xs[4], padding=2)), xs[1][:, :2], stride=2)
        ((h * h).sum() + (h2 * h2).sum()).backward()
        return [h.numpy(), h2.numpy()] + [t.grad.numpy() for t in xs]

    inline = run()
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "STALL_SECONDS", 1e9)      # never fall back inline
    monkeypatch.setattr(parallel, "_inline_until", 0.0)
    parallel.set_num_threads(3)
    try:
        threaded = run()
    finally:
        parallel.set_num_threads(parallel._default_threads())
    for a, b_ in zip(inline, threaded, strict=True):
        np.testing.assert_allclose(a, b_, rtol=1e-12, atol=1e-12)
