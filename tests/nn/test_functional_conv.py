"""conv2d, conv_transpose2d, unfold, fold and linear: closed forms, float64 gradchecks
over hypothesis-drawn geometries, second derivatives, PyTorch as an oracle, errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_jp as tg
import tinygrad_jp.nn.functional as F


def t64(a, grad=True):
    return tg.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def torch_or_skip():
    return pytest.importorskip("torch")


@st.composite
def conv_cases(draw, max_side=6):
    """A small conv geometry that is valid: kernel fits in the padded input."""
    n = draw(st.integers(1, 2))
    c = draw(st.integers(1, 3))
    f = draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    dh, dw = draw(st.sampled_from([1, 1, 2])), draw(st.sampled_from([1, 1, 2]))
    lo_h, lo_w = max(1, dh * (kh - 1) + 1 - 2 * ph), max(1, dw * (kw - 1) + 1 - 2 * pw)
    h = draw(st.integers(lo_h, max(lo_h, max_side)))
    w = draw(st.integers(lo_w, max(lo_w, max_side)))
    bias = draw(st.booleans())
    seed = draw(st.integers(0, 2 ** 16))
    return dict(n=n, c=c, f=f, k=(kh, kw), s=(sh, sw), p=(ph, pw), d=(dh, dw), hw=(h, w),
                bias=bias, seed=seed)


def make(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((case["n"], case["c"]) + case["hw"])
    w = rng.standard_normal((case["f"], case["c"]) + case["k"])
    b = rng.standard_normal(case["f"]) if case["bias"] else None
    return x, w, b


def test_closed_form_6x6_input_2x2_filter_stride_1_pad_1_gives_7x7():
    y = F.conv2d(tg.ones(1, 1, 6, 6), tg.ones(1, 1, 2, 2), stride=1, padding=1)
    assert y.shape == (1, 1, 7, 7)
    # corners see one input pixel, edges two, the interior four
    assert y.numpy()[0, 0, 0, 0] == 1 and y.numpy()[0, 0, 0, 3] == 2
    assert y.numpy()[0, 0, 3, 3] == 4


def test_conv_matches_a_direct_loop():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((2, 3, 5, 4)), rng.standard_normal((4, 3, 2, 3)), \
        rng.standard_normal(4)
    y = F.conv2d(t64(x), t64(w), t64(b), stride=(2, 1), padding=(1, 0)).numpy()
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (0, 0)))
    oh, ow = (5 + 2 - 2) // 2 + 1, (4 - 3) // 1 + 1
    ref = np.zeros((2, 4, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = xp[:, :, 2 * i:2 * i + 2, j:j + 3]
            ref[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3])) + b
    np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)


@settings(max_examples=15)
@given(conv_cases())
def test_conv2d_gradcheck(case):
    x, w, b = make(case)
    args = [t64(x), t64(w)] + ([t64(b)] if b is not None else [])

    def fn(*a):
        return F.conv2d(*a, stride=case["s"], padding=case["p"], dilation=case["d"])
    assert tg.gradcheck(fn, args)


@settings(max_examples=6)
@given(conv_cases(max_side=4))
def test_conv2d_gradgradcheck(case):
    x, w, _ = make(case)

    def fn(a, b):
        return F.conv2d(a, b, stride=case["s"], padding=case["p"], dilation=case["d"])
    assert tg.gradgradcheck(fn, [t64(x), t64(w)])


@settings(max_examples=15)
@given(conv_cases(max_side=7))
def test_conv2d_matches_torch(case):
    torch = torch_or_skip()
    x, w, b = make(case)
    kw = dict(stride=case["s"], padding=case["p"], dilation=case["d"])
    xt, wt = t64(x), t64(w)
    bt = None if b is None else t64(b)
    y = F.conv2d(xt, wt, bt, **kw)
    g = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(tg.tensor(g))
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    tb = None if b is None else torch.tensor(b, requires_grad=True)
    ty = torch.nn.functional.conv2d(tx, tw, tb, **kw)
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(xt.grad.numpy(), tx.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(wt.grad.numpy(), tw.grad.numpy(), atol=1e-10)
    if b is not None:
        np.testing.assert_allclose(bt.grad.numpy(), tb.grad.numpy(), atol=1e-10)


def test_conv2d_float32_many_channels_matches_torch():
    torch = torch_or_skip()
    rng = np.random.default_rng(3)
    x = rng.standard_normal((4, 16, 9, 9), dtype=np.float32)
    w = rng.standard_normal((32, 16, 3, 3), dtype=np.float32)
    b = rng.standard_normal(32, dtype=np.float32)
    xt, wt, bt = (tg.tensor(a, requires_grad=True) for a in (x, w, b))
    y = F.conv2d(xt, wt, bt, padding=2)
    assert y.dtype == np.float32
    F.relu(y).sum().backward()
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    ty = torch.nn.functional.conv2d(tx, tw, tb, padding=2)
    torch.relu(ty).sum().backward()
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-4)
    for ours, theirs in ((xt, tx), (wt, tw), (bt, tb)):
        assert ours.grad.dtype == np.float32
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-4,
                                   atol=1e-3)


def test_gradient_penalty_through_conv2d_matches_torch():
    """grad of ‖∂L/∂x‖² w.r.t. the weights: needs create_graph through conv2d."""
    torch = torch_or_skip()
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    xt, wt = t64(x), t64(w)
    loss = (F.conv2d(xt, wt, stride=2, padding=1).tanh() ** 2).sum()
    (gx,) = tg.grad(loss, xt, create_graph=True)
    (gx * gx).sum().backward()
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    tl = (torch.nn.functional.conv2d(tx, tw, stride=2, padding=1).tanh() ** 2).sum()
    (tgx,) = torch.autograd.grad(tl, tx, create_graph=True)
    (tgx * tgx).sum().backward()
    np.testing.assert_allclose(wt.grad.numpy(), tw.grad.numpy(), rtol=1e-9, atol=1e-10)


@st.composite
def transpose_cases(draw):
    n, cin, cout = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 3)), draw(st.integers(1, 2)))
    p = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    d = (draw(st.sampled_from([1, 1, 2, 3])), draw(st.sampled_from([1, 1, 2])))
    # PyTorch allows output_padding below the stride or the dilation
    op = tuple(draw(st.integers(0, max(si, di) - 1)) for si, di in zip(s, d, strict=True))
    hw = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    for i in range(2):
        if (hw[i] - 1) * s[i] - 2 * p[i] + d[i] * (k[i] - 1) + op[i] + 1 <= 0:
            p = tuple(0 if j == i else p[j] for j in range(2))
    return dict(n=n, cin=cin, cout=cout, k=k, s=s, p=p, d=d, op=op, hw=hw,
                bias=draw(st.booleans()), seed=draw(st.integers(0, 999)))


@settings(max_examples=12)
@given(transpose_cases())
def test_conv_transpose2d_gradcheck_and_torch(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((case["n"], case["cin"]) + case["hw"])
    w = rng.standard_normal((case["cin"], case["cout"]) + case["k"])
    b = rng.standard_normal(case["cout"]) if case["bias"] else None
    kw = dict(stride=case["s"], padding=case["p"], output_padding=case["op"],
              dilation=case["d"])
    args = [t64(x), t64(w)] + ([t64(b)] if b is not None else [])
    assert tg.gradcheck(lambda *a: F.conv_transpose2d(*a, **kw), args)
    try:
        import torch
    except ImportError:
        return
    ty = torch.nn.functional.conv_transpose2d(
        torch.tensor(x), torch.tensor(w), None if b is None else torch.tensor(b), **kw)
    np.testing.assert_allclose(F.conv_transpose2d(*args, **kw).numpy(), ty.numpy(),
                               atol=1e-10)


def test_conv_transpose2d_gradgradcheck():
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((1, 2, 3, 3)), rng.standard_normal((2, 2, 3, 3))
    assert tg.gradgradcheck(lambda a, b: F.conv_transpose2d(a, b, stride=2, padding=1),
                            [t64(x), t64(w)])
    # output_padding as large as the stride (allowed below the dilation): the extra
    # rows and columns are touched by no window
    assert tg.gradgradcheck(lambda a, b: F.conv_transpose2d(a, b, dilation=2,
                                                            output_padding=1),
                            [t64(x), t64(w)])


@settings(max_examples=10)
@given(conv_cases(max_side=5))
def test_unfold_fold_gradcheck_and_torch(case):
    x, w, _ = make(case)
    kw = dict(kernel_size=case["k"], dilation=case["d"], padding=case["p"], stride=case["s"])
    assert tg.gradcheck(lambda a: F.unfold(a, **kw), [t64(x)])
    cols = F.unfold(t64(x, False), **kw).numpy()
    assert tg.gradcheck(lambda a: F.fold(a, case["hw"], **kw), [t64(cols)])
    try:
        import torch
    except ImportError:
        return
    tcols = torch.nn.functional.unfold(torch.tensor(x), **kw)
    np.testing.assert_allclose(cols, tcols.numpy(), atol=1e-12)
    np.testing.assert_allclose(F.fold(t64(cols), case["hw"], **kw).numpy(),
                               torch.nn.functional.fold(tcols, case["hw"], **kw).numpy(),
                               atol=1e-12)


def test_unfold_then_matmul_is_conv2d():
    """The im2col identity the curriculum teaches: conv = W · unfold(x)."""
    rng = np.random.default_rng(6)
    x, w = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((4, 3, 2, 2))
    cols = F.unfold(t64(x), 2, padding=1)                         # (2, 12, 49)
    y = (t64(w).reshape(4, -1) @ cols).reshape(2, 4, 7, 7)
    np.testing.assert_allclose(y.numpy(), F.conv2d(t64(x), t64(w), padding=1).numpy(),
                               atol=1e-12)


@settings(max_examples=10)
@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 4), st.booleans(),
       st.integers(0, 99))
def test_linear_gradcheck_and_torch(batch, fin, fout, bias, seed):
    rng = np.random.default_rng(seed)
    x, w, b = rng.standard_normal((batch, 2, fin)), rng.standard_normal((fout, fin)), \
        rng.standard_normal(fout)
    args = [t64(x), t64(w)] + ([t64(b)] if bias else [])
    assert tg.gradcheck(F.linear, args)
    assert tg.gradgradcheck(F.linear, args)
    try:
        import torch
    except ImportError:
        return
    ty = torch.nn.functional.linear(torch.tensor(x), torch.tensor(w),
                                    torch.tensor(b) if bias else None)
    np.testing.assert_allclose(F.linear(*args).numpy(), ty.numpy(), atol=1e-12)


def test_conv_output_feeds_reshape_and_channels_last_grad():
    """The conv result is a channels-last view; downstream ops must not care."""
    x = tg.randn(2, 3, 5, 5)
    w = tg.randn(4, 3, 3, 3, requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    flat = y.reshape(2, -1)
    np.testing.assert_array_equal(flat.numpy(), np.ascontiguousarray(y.numpy()).reshape(2, -1))
    (flat * tg.arange(flat.shape[1]).float()).sum().backward()
    assert w.grad.shape == (4, 3, 3, 3) and np.isfinite(w.grad.numpy()).all()


def test_conv2d_accepts_unbatched_input():
    y = F.conv2d(tg.randn(3, 5, 5), tg.randn(2, 3, 3, 3))
    assert y.shape == (2, 3, 3)


# ---------------------------------------------------------------------- bad input
def test_conv2d_wrong_channels_names_both_shapes():
    with pytest.raises(RuntimeError) as e:
        F.conv2d(tg.randn(8, 1, 28, 28), tg.randn(16, 3, 3, 3))
    assert str(e.value) == ("conv2d: expected input with 3 channels (weight (16, 3, 3, 3)), "
                            "got input of shape (8, 1, 28, 28)")


def test_conv2d_kernel_larger_than_padded_input():
    with pytest.raises(RuntimeError, match=r"kernel size \(5, 5\).*larger than the padded "
                                           r"input \(4, 4\)"):
        F.conv2d(tg.randn(1, 1, 2, 2), tg.randn(1, 1, 5, 5), padding=1)


@pytest.mark.parametrize("kw, err, msg", [
    (dict(stride=0), ValueError, "stride must be positive"),
    (dict(stride=(1, -1)), ValueError, "stride must be positive"),
    (dict(padding=-1), ValueError, "padding must be non-negative"),
    (dict(stride=1.5), TypeError, "stride must be an int or a tuple"),
])
def test_conv2d_bad_hyperparameters(kw, err, msg):
    with pytest.raises(err, match=msg):
        F.conv2d(tg.randn(1, 1, 5, 5), tg.randn(1, 1, 3, 3), **kw)


def test_conv2d_dtype_mismatch_and_integer_input():
    with pytest.raises(TypeError, match="weight has dtype float64 but the input has dtype "
                                        "float32"):
        F.conv2d(tg.randn(1, 1, 5, 5), tg.randn(1, 1, 3, 3).double())
    with pytest.raises(TypeError, match="floating point"):
        F.conv2d(tg.zeros(1, 1, 5, 5, dtype=tg.int64), tg.randn(1, 1, 3, 3))


def test_linear_unflattened_image_says_flatten():
    with pytest.raises(RuntimeError, match="flatten"):
        F.linear(tg.randn(8, 1, 28, 28), tg.randn(10, 784))


def test_conv_transpose2d_bad_output_padding():
    with pytest.raises(ValueError, match="output_padding"):
        F.conv_transpose2d(tg.randn(1, 1, 3, 3), tg.randn(1, 1, 3, 3), stride=2,
                           output_padding=2)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("needs", [(True, False, False), (False, True, False),
                                   (False, False, True), (True, True, True),
                                   (False, True, True)])
def test_conv2d_partial_requires_grad_matches_torch(channels, needs):
    """Each combination of inputs needing a gradient takes its own fast path (saved
    or rebuilt columns, with or without the bias column)."""
    torch = torch_or_skip()
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, channels, 7, 6), dtype=np.float32)
    w = rng.standard_normal((4, channels, 3, 2), dtype=np.float32)
    b = rng.standard_normal(4, dtype=np.float32)
    ours = [tg.tensor(a, requires_grad=r) for a, r in zip((x, w, b), needs, strict=True)]
    theirs = [torch.tensor(a, requires_grad=r) for a, r in zip((x, w, b), needs, strict=True)]
    y = F.conv2d(*ours, stride=(2, 1), padding=1)
    ty = torch.nn.functional.conv2d(*theirs, stride=(2, 1), padding=1)
    g = rng.standard_normal(y.shape, dtype=np.float32)
    y.backward(tg.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-5)
    for o, t, r in zip(ours, theirs, needs, strict=True):
        if r:
            np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-4)
        else:
            assert o.grad is None


def test_conv2d_large_columns_are_rebuilt_not_saved(monkeypatch):
    """Above COL_SAVE_BYTES the backward rebuilds the columns; same gradients."""
    from tinygrad_jp.kernels import cpu_conv as conv
    rng = np.random.default_rng(8)
    x, w, b = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((2, 3, 3, 3)), \
        rng.standard_normal(2)
    grads = []
    for limit in (conv.COL_SAVE_BYTES, 0):
        monkeypatch.setattr(conv, "COL_SAVE_BYTES", limit)
        ts = [t64(a) for a in (x, w, b)]
        (F.conv2d(*ts, padding=1) ** 2).sum().backward()
        grads.append([t.grad.numpy() for t in ts])
    for a, b_ in zip(*grads, strict=True):
        np.testing.assert_allclose(a, b_, rtol=1e-12)


@pytest.mark.parametrize("channels", [1, 3])
def test_conv2d_in_batch_slices_equals_one_piece(monkeypatch, channels):
    """Huge column matrices are built a slice of the batch at a time: same results."""
    from tinygrad_jp.kernels import cpu_conv as conv
    rng = np.random.default_rng(9)
    x = rng.standard_normal((3, channels, 6, 5))
    w, b = rng.standard_normal((2, channels, 3, 2)), rng.standard_normal(2)
    results = []
    for chunk in (conv.COL_CHUNK_BYTES, 1):
        monkeypatch.setattr(conv, "COL_CHUNK_BYTES", chunk)
        monkeypatch.setattr(conv, "ONE_CHANNEL_CHUNK_BYTES", chunk)
        monkeypatch.setattr(conv, "COL_SAVE_BYTES", 0)
        ts = [t64(a) for a in (x, w, b)]
        y = F.conv2d(*ts, stride=(1, 2), padding=1)
        (y ** 2).sum().backward()
        results.append([y.numpy()] + [t.grad.numpy() for t in ts])
    for a, b_ in zip(*results, strict=True):
        np.testing.assert_allclose(a, b_, rtol=1e-12, atol=1e-12)
