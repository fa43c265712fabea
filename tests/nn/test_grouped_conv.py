"""Grouped and depthwise convolution (conv2d / conv_transpose2d with groups > 1, and the
layers), padding='same' with even kernels: float64 gradchecks and second derivatives
over hypothesis-drawn geometries, PyTorch as an oracle for values and gradients, and
the errors for channels that do not fit the groups."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_jp as tg
import tinygrad_jp.nn.functional as F
from tinygrad_jp import nn
from tinygrad_jp.kernels.cpu_grouped import is_channelwise
from tinygrad_jp.testing import arrays


def t64(a, grad=True):
    return tg.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


@st.composite
def grouped_cases(draw, transposed=False, max_side=5):
    """A valid grouped geometry: G groups of Cg input and Fg output channels each.

    Cg = 1 is depthwise (Fg > 1: with a channel multiplier), Fg = 1 its transpose; the
    rest take the general (batched GEMM) path. ``c`` and ``f`` are the op's input and
    output channels, so for conv_transpose2d the weight is (c, f / G, kh, kw).
    """
    g = draw(st.integers(2, 3))
    cg, fg = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    s = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    d = (draw(st.sampled_from([1, 1, 2])), draw(st.sampled_from([1, 1, 2])))
    p = tuple(draw(st.integers(0, 2)) for _ in range(2))
    if transposed:
        # keeps the output size (h − 1)·s − 2p + d·(k − 1) + op + 1 positive
        p = tuple(min(pi, di * (ki - 1) // 2) for pi, ki, di in zip(p, k, d, strict=True))
        # output_padding must be below stride or dilation
        op = tuple(draw(st.integers(0, max(si, di) - 1)) for si, di in zip(s, d, strict=True))
        lo = (1, 1)
    else:
        op = (0, 0)
        lo = tuple(max(1, di * (ki - 1) + 1 - 2 * pi) for ki, pi, di in zip(k, p, d,
                                                                            strict=True))
    hw = tuple(draw(st.integers(lo_i, max(lo_i, max_side))) for lo_i in lo)
    return dict(n=draw(st.integers(1, 2)), g=g, c=g * cg, f=g * fg, cg=cg, fg=fg, k=k, s=s,
                p=p, d=d, op=op, hw=hw, bias=draw(st.booleans()),
                seed=draw(st.integers(0, 2 ** 16)))


def weight_shape(case, transposed=False):
    if transposed:
        return (case["c"], case["fg"]) + case["k"]
    return (case["f"], case["cg"]) + case["k"]


def make(case, transposed=False):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((case["n"], case["c"]) + case["hw"])
    w = rng.standard_normal(weight_shape(case, transposed))
    b = rng.standard_normal(case["f"]) if case["bias"] else None
    return x, w, b


def conv_fn(case, transposed=False):
    if transposed:
        return lambda *a: F.conv_transpose2d(*a, stride=case["s"], padding=case["p"],
                                             output_padding=case["op"], groups=case["g"],
                                             dilation=case["d"])
    return lambda *a: F.conv2d(*a, stride=case["s"], padding=case["p"],
                               dilation=case["d"], groups=case["g"])


def torch_conv(torch, case, transposed=False):
    fn = torch.nn.functional
    if transposed:
        return lambda *a: fn.conv_transpose2d(*a, stride=case["s"], padding=case["p"],
                                              output_padding=case["op"], groups=case["g"],
                                              dilation=case["d"])
    return lambda *a: fn.conv2d(*a, stride=case["s"], padding=case["p"],
                                dilation=case["d"], groups=case["g"])


def compare_with_torch(case, transposed=False, x=None, w=None, b=None, atol=1e-10):
    """Values and the gradients of input, weight and bias against PyTorch."""
    torch = pytest.importorskip("torch")
    if x is None:
        x, w, b = make(case, transposed)
    ours = [t64(x), t64(w)] + ([] if b is None else [t64(b)])
    theirs = [torch.tensor(a, requires_grad=True) for a in
              ([x, w] + ([] if b is None else [b]))]
    y = conv_fn(case, transposed)(*ours)
    ty = torch_conv(torch, case, transposed)(*theirs)
    assert y.shape == tuple(ty.shape)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), atol=atol)
    g = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(tg.tensor(g))
    ty.backward(torch.tensor(g))
    for name, a, ta in zip(("input", "weight", "bias"), ours, theirs, strict=False):
        np.testing.assert_allclose(a.grad.numpy(), ta.grad.numpy(), atol=atol, err_msg=name)


# ---------------------------------------------------------------------- gradchecks
@settings(max_examples=10)
@given(grouped_cases(), st.data())
def test_grouped_conv2d_gradcheck(case, data):
    x = data.draw(arrays(st.just((case["n"], case["c"]) + case["hw"])))
    _, w, b = make(case)
    args = [t64(x), t64(w)] + ([] if b is None else [t64(b)])
    assert tg.gradcheck(conv_fn(case), args)


@settings(max_examples=8)
@given(grouped_cases(transposed=True, max_side=4), st.data())
def test_grouped_conv_transpose2d_gradcheck(case, data):
    x = data.draw(arrays(st.just((case["n"], case["c"]) + case["hw"])))
    _, w, b = make(case, transposed=True)
    args = [t64(x), t64(w)] + ([] if b is None else [t64(b)])
    assert tg.gradcheck(conv_fn(case, transposed=True), args)


@settings(max_examples=4)
@given(grouped_cases(max_side=4), st.booleans())
def test_grouped_convs_gradgradcheck(case, transposed):
    # second derivatives run through all three ops (forward, input and weight
    # gradients), both for the general and the channel-wise path
    case = dict(case, n=1, op=(0, 0) if not transposed else case["op"])
    if transposed:
        case["hw"] = tuple(min(h, 3) for h in case["hw"])
        case["p"] = tuple(min(p, d * (k - 1) // 2) for p, k, d in
                          zip(case["p"], case["k"], case["d"], strict=True))
    x, w, _ = make(case, transposed)
    assert tg.gradgradcheck(conv_fn(case, transposed), [t64(x), t64(w)])


# ---------------------------------------------------------------------- PyTorch oracle
@settings(max_examples=15)
@given(grouped_cases(max_side=7))
def test_grouped_conv2d_matches_torch(case):
    compare_with_torch(case)


@settings(max_examples=12)
@given(grouped_cases(transposed=True))
def test_grouped_conv_transpose2d_matches_torch(case):
    compare_with_torch(case, transposed=True)


def pair(v):
    return v if isinstance(v, tuple) else (v, v)


def case_of(c, f, g, k=3, s=1, p=0, d=1, hw=(7, 6), n=2, bias=True, op=0):
    return dict(n=n, g=g, c=c, f=f, cg=c // g, fg=f // g, k=pair(k), s=pair(s), p=pair(p),
                d=pair(d), op=pair(op), hw=hw, bias=bias, seed=c * 100 + f * 10 + g)


NAMED = {
    "groups2": case_of(4, 6, 2, p=1),
    "groups3-strided": case_of(6, 9, 3, s=2, p=1),
    "groups3-dilated": case_of(6, 3, 3, d=2, p=2, k=(3, 2)),
    "groups2-asymmetric": case_of(4, 4, 2, s=(2, 1), p=(0, 1), d=(1, 2), k=(2, 3)),
    "depthwise": case_of(4, 4, 4, p=1),
    "depthwise-multiplier2": case_of(3, 6, 3, p=1),
    "depthwise-multiplier3-strided": case_of(2, 6, 2, s=2, p=1, k=(3, 3)),
    "depthwise-dilated-strided": case_of(5, 5, 5, s=(2, 3), d=2, p=(1, 2), hw=(9, 8)),
    "depthwise-1x1": case_of(3, 3, 3, k=1),
    "sum-of-channels": case_of(6, 2, 2, p=1),            # Fg = 1: C/G inputs per output
}


@pytest.mark.parametrize("name", NAMED)
def test_named_grouped_conv2d_cases_match_torch(name):
    compare_with_torch(NAMED[name])


@pytest.mark.parametrize("name", NAMED)
def test_named_grouped_conv_transpose2d_cases_match_torch(name):
    case = dict(NAMED[name])
    case["p"] = tuple(min(p, d * (k - 1) // 2) for p, k, d in
                      zip(case["p"], case["k"], case["d"], strict=True))
    compare_with_torch(case, transposed=True)


@pytest.mark.parametrize("g, cg, fg", [(2, 2, 3), (3, 1, 1), (2, 1, 2), (2, 3, 1)])
def test_transpose_with_output_padding_from_dilation_matches_torch(g, cg, fg):
    # stride 1, dilation 2, output_padding 1: the output has one more row and column
    # than the windows of the forward conv reach; gradients and the weight gradient
    # must still line up with the input
    case = case_of(g * cg, g * fg, g, k=3, s=1, p=1, d=2, op=1, hw=(4, 5))
    compare_with_torch(case, transposed=True)
    x, w, _ = make(dict(case, n=1, hw=(3, 3)), transposed=True)
    assert tg.gradgradcheck(conv_fn(case, transposed=True), [t64(x), t64(w)])


@pytest.mark.parametrize("g, m", [(8, 1), (8, 2), (4, 4)])
def test_float32_depthwise_and_grouped_match_torch(g, m):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(g * m)
    c = 8
    x = rng.standard_normal((4, c, 11, 10), dtype=np.float32)
    w = rng.standard_normal((c * m, c // g, 3, 3), dtype=np.float32)
    xt, wt = tg.tensor(x, requires_grad=True), tg.tensor(w, requires_grad=True)
    y = F.conv2d(xt, wt, padding=1, groups=g)
    assert y.dtype == tg.float32
    gy = rng.standard_normal(y.shape, dtype=np.float32)
    y.backward(tg.tensor(gy))
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    ty = torch.nn.functional.conv2d(tx, tw, padding=1, groups=g)
    ty.backward(torch.tensor(gy))
    assert xt.grad.dtype == tg.float32 and wt.grad.dtype == tg.float32
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(xt.grad.numpy(), tx.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(wt.grad.numpy(), tw.grad.numpy(), rtol=1e-4, atol=1e-3)


def test_gradient_penalty_through_depthwise_conv_matches_torch():
    # create_graph through the channel-wise path: ‖∂score/∂x‖² differentiated by w
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((2, 3, 6, 6)), rng.standard_normal((6, 1, 3, 3))
    xt, wt = t64(x), t64(w)
    (gx,) = tg.grad(F.conv2d(xt, wt, padding=1, groups=3).tanh().sum(), xt,
                    create_graph=True)
    (gx * gx).sum().backward()
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    (tgx,) = torch.autograd.grad(torch.nn.functional.conv2d(tx, tw, padding=1, groups=3)
                                 .tanh().sum(), tx, create_graph=True)
    (tgx * tgx).sum().backward()
    np.testing.assert_allclose(gx.numpy(), tgx.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(wt.grad.numpy(), tw.grad.numpy(), atol=1e-9)


def test_depthwise_matches_per_channel_convolutions():
    # the definition: channel c, multiplier j is conv2d of x[:, c] with w[c·m + j]
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((6, 1, 3, 2))
    y = F.conv2d(t64(x, False), t64(w, False), stride=(1, 2), padding=1, groups=3).numpy()
    for o in range(6):
        ref = F.conv2d(t64(x[:, o // 2:o // 2 + 1], False), t64(w[o:o + 1], False),
                       stride=(1, 2), padding=1).numpy()
        np.testing.assert_allclose(y[:, o:o + 1], ref, atol=1e-12)


def test_groups_dispatch_to_the_right_path():
    assert is_channelwise((8, 1, 3, 3), 8)        # depthwise
    assert is_channelwise((16, 1, 3, 3), 8)       # depthwise, multiplier 2
    assert is_channelwise((2, 4, 3, 3), 2)        # one output channel per group
    assert not is_channelwise((8, 4, 3, 3), 2)    # general groups


def test_grouped_output_is_channels_last_and_unbatched_input_works():
    y = F.conv2d(tg.randn(2, 4, 5, 5), tg.randn(4, 1, 3, 3), groups=4)
    assert y.numpy().strides[1] == y.numpy().itemsize
    assert F.conv2d(tg.randn(4, 5, 5), tg.randn(6, 2, 3, 3), groups=2).shape == (6, 3, 3)


# ---------------------------------------------------------------------- padding='same'
@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("k, d, groups", [(2, 1, 1), (4, 1, 1), ((2, 3), 1, 1),
                                          (3, 2, 1), (2, 3, 1), (4, (1, 2), 2),
                                          (2, 1, 4)])
def test_padding_same_even_kernels_match_torch(k, d, groups):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    kk = k if isinstance(k, tuple) else (k, k)
    x, w = rng.standard_normal((2, 4, 7, 6)), rng.standard_normal((4, 4 // groups) + kk)
    xt, wt = t64(x), t64(w)
    y = F.conv2d(xt, wt, padding="same", dilation=d, groups=groups)
    tx, tw = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    ty = torch.nn.functional.conv2d(tx, tw, padding="same", dilation=d, groups=groups)
    assert y.shape == (2, 4, 7, 6) == tuple(ty.shape)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), atol=1e-12)
    g = rng.standard_normal(y.shape)
    y.backward(tg.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(xt.grad.numpy(), tx.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(wt.grad.numpy(), tw.grad.numpy(), atol=1e-12)


def test_padding_same_puts_the_extra_row_at_the_bottom():
    # a 2×2 kernel of ones over ones: the last row / column see the zero padding
    y = F.conv2d(tg.ones(1, 1, 3, 3), tg.ones(1, 1, 2, 2), padding="same").numpy()[0, 0]
    np.testing.assert_array_equal(y, [[4, 4, 2], [4, 4, 2], [2, 2, 1]])


# ---------------------------------------------------------------------- layers
@pytest.mark.parametrize("name, args, kwargs", [
    ("Conv2d", (4, 6, 3), {"groups": 2, "padding": 1}),
    ("Conv2d", (6, 6, (3, 2)), {"groups": 6, "stride": 2, "bias": False}),
    ("Conv2d", (3, 6, 4), {"groups": 3, "padding": "same"}),
    ("ConvTranspose2d", (4, 6, 3), {"groups": 2, "stride": 2, "output_padding": 1}),
    ("ConvTranspose2d", (6, 6, 3), {"groups": 6, "padding": 1}),
])
def test_grouped_layers_match_torch(name, args, kwargs):
    torch = pytest.importorskip("torch")
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    ours = getattr(nn, name)(*args, **kwargs).double()
    assert ours.weight.shape == tuple(theirs.weight.shape)
    ours.load_state_dict(theirs.state_dict())
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(0).standard_normal((2, args[0], 7, 8))
    xt, tx = t64(x), torch.tensor(x, requires_grad=True)
    y, ty = ours(xt), theirs(tx)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), atol=1e-10)
    g = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(tg.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(xt.grad.numpy(), tx.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(),
                               atol=1e-10)


# ---------------------------------------------------------------------- bad input
def test_input_channels_must_fit_the_groups():
    with pytest.raises(RuntimeError) as e:
        F.conv2d(tg.randn(1, 5, 6, 6), tg.randn(4, 2, 3, 3), groups=2)
    assert str(e.value) == ("conv2d: expected input with 4 channels (weight (4, 2, 3, 3) "
                            "with groups=2), got input of shape (1, 5, 6, 6)")


def test_weight_output_channels_must_divide_by_groups():
    with pytest.raises(RuntimeError, match=r"conv2d: weight of shape \(5, 2, 3, 3\) has 5 "
                                           r"output channels, which is not divisible by "
                                           r"groups=2"):
        F.conv2d(tg.randn(1, 4, 6, 6), tg.randn(5, 2, 3, 3), groups=2)


def test_conv_transpose_channels_must_fit_the_groups():
    with pytest.raises(RuntimeError, match=r"conv_transpose2d: weight of shape "
                                           r"\(3, 2, 3, 3\) has 3 input channels, which is "
                                           r"not divisible by groups=2"):
        F.conv_transpose2d(tg.randn(1, 3, 4, 4), tg.randn(3, 2, 3, 3), groups=2)
    with pytest.raises(RuntimeError, match=r"expected input with 4 channels"):
        F.conv_transpose2d(tg.randn(1, 2, 4, 4), tg.randn(4, 2, 3, 3), groups=2)
    with pytest.raises(RuntimeError, match=r"bias must have shape \(6,\)"):
        F.conv_transpose2d(tg.randn(1, 4, 4, 4), tg.randn(4, 3, 3, 3), tg.randn(3),
                           groups=2)


@pytest.mark.parametrize("groups, err, msg", [
    (0, ValueError, "conv2d: groups must be positive, got 0"),
    (-2, ValueError, "groups must be positive"),
    (1.5, TypeError, "conv2d: groups must be an int"),
    (True, TypeError, "groups must be an int"),
])
def test_bad_groups_values(groups, err, msg):
    with pytest.raises(err, match=msg):
        F.conv2d(tg.randn(1, 4, 6, 6), tg.randn(4, 2, 3, 3), groups=groups)


def test_layer_with_groups_names_its_channels():
    with pytest.raises(ValueError, match="in_channels \\(6\\) must be divisible by groups"):
        nn.Conv2d(6, 8, 3, groups=4)
    with pytest.raises(RuntimeError, match="expected input with 4 channels"):
        nn.Conv2d(4, 8, 3, groups=4)(tg.randn(1, 8, 6, 6))
