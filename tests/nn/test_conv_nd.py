"""1-D and 3-D convolution and pooling (F.conv1d, F.conv3d & co., their layers): PyTorch
as the oracle for values and gradients, float64 gradient checks over drawn shapes."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_jp as tg
import tinygrad_jp.nn.functional as F
from tinygrad_jp import nn
from tinygrad_jp.testing import assert_gradients

RNG = np.random.default_rng(0)

CASES = {   # name: (input shape, weight shape or None, call with (F, x, w))
    "conv1d": ((2, 4, 9), (6, 4, 3), lambda f, x, w: f.conv1d(x, w, stride=2, padding=1)),
    "conv1d same dilated": ((2, 2, 8), (3, 2, 2),
                            lambda f, x, w: f.conv1d(x, w, padding="same", dilation=2)),
    "conv1d grouped": ((1, 4, 7), (4, 2, 3), lambda f, x, w: f.conv1d(x, w, groups=2)),
    "conv1d unbatched": ((3, 6), (2, 3, 2), lambda f, x, w: f.conv1d(x, w)),
    "conv_transpose1d": ((2, 3, 5), (3, 2, 3), lambda f, x, w: f.conv_transpose1d(
        x, w, stride=2, padding=1, output_padding=1)),
    "max_pool1d": ((2, 3, 9), None, lambda f, x, w: f.max_pool1d(x, 3, 2, padding=1,
                                                                  ceil_mode=True)),
    "max_pool1d dilated": ((2, 3, 9), None, lambda f, x, w: f.max_pool1d(x, 2, dilation=2)),
    "avg_pool1d": ((2, 3, 9), None, lambda f, x, w: f.avg_pool1d(
        x, 3, 2, padding=1, count_include_pad=False)),
    "conv3d": ((2, 4, 5, 6, 7), (6, 2, 3, 2, 3), lambda f, x, w: f.conv3d(
        x, w, stride=(2, 1, 2), padding=(1, 1, 0), dilation=(1, 2, 1), groups=2)),
    "conv3d unbatched": ((2, 3, 4, 4), (3, 2, 2, 2, 2), lambda f, x, w: f.conv3d(x, w)),
    "conv_transpose3d": ((2, 4, 3, 3, 4), (4, 3, 3, 2, 2), lambda f, x, w: f.conv_transpose3d(
        x, w, stride=(2, 1, 2), padding=(1, 0, 1), output_padding=(1, 0, 1))),
    "conv_transpose3d dilated": ((1, 4, 3, 4, 3), (4, 2, 2, 2, 2),
                                 lambda f, x, w: f.conv_transpose3d(
                                     x, w, stride=(3, 2, 1), padding=(0, 1, 0),
                                     output_padding=(2, 1, 0), dilation=(2, 1, 2))),
    "max_pool3d": ((2, 3, 5, 6, 7), None, lambda f, x, w: f.max_pool3d(
        x, (3, 2, 3), (2, 2, 1), (1, 1, 1), dilation=(1, 2, 1))),
    "avg_pool3d": ((2, 3, 5, 6, 7), None, lambda f, x, w: f.avg_pool3d(x, 3, 2, 1)),
    "avg_pool3d exclude pad": ((2, 3, 5, 6, 7), None, lambda f, x, w: f.avg_pool3d(
        x, 3, 2, 1, count_include_pad=False)),
    "avg_pool3d divisor": ((1, 2, 4, 4, 4), None, lambda f, x, w: f.avg_pool3d(
        x, 2, 1, 1, divisor_override=5)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_1d_ops_match_torch(name):
    torch = pytest.importorskip("torch")
    shape, wshape, call = CASES[name]
    arrays = [RNG.standard_normal(shape)] + ([] if wshape is None else
                                             [RNG.standard_normal(wshape)])
    ours = [tg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = call(F, *ours, *([None] if wshape is None else []))
    ref = call(torch.nn.functional, *theirs, *([None] if wshape is None else []))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = RNG.standard_normal(ref.shape)
    (out * tg.tensor(g)).sum().backward()
    (ref * torch.tensor(g)).sum().backward()
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_max_pool1d_indices_match_torch():
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((2, 3, 10))
    out, idx = F.max_pool1d(tg.tensor(x), 3, 2, return_indices=True)
    ref, ref_idx = torch.nn.functional.max_pool1d(torch.tensor(x), 3, 2, return_indices=True)
    np.testing.assert_array_equal(idx.numpy(), ref_idx.numpy())
    np.testing.assert_allclose(out.numpy(), ref.numpy())


@pytest.mark.parametrize("dims", [1, 3])
@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_conv_layers_match_torch_with_the_same_weights(mode, dims):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    kw = dict(stride=1, padding=2 if dims == 1 else (1, 2, 1), padding_mode=mode)
    layer = "Conv1d" if dims == 1 else "Conv3d"
    theirs = getattr(torch.nn, layer)(3, 4, 3, **kw).double()
    ours = getattr(nn, layer)(3, 4, 3, **kw).double()
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    ours.load_state_dict({k: tg.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})
    x = RNG.standard_normal((2, 3, 7) if dims == 1 else (2, 3, 4, 5, 4))
    np.testing.assert_allclose(ours(tg.tensor(x)).numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10)
    assert repr(ours) == repr(theirs)


def test_3d_transposed_and_pooling_layers_match_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.ConvTranspose3d(3, 2, (2, 3, 2), stride=2, padding=(0, 1, 0)).double()
    ours = nn.ConvTranspose3d(3, 2, (2, 3, 2), stride=2, padding=(0, 1, 0)).double()
    ours.load_state_dict({k: tg.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})
    x = RNG.standard_normal((2, 3, 3, 4, 3))
    np.testing.assert_allclose(ours(tg.tensor(x)).numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10)
    assert repr(ours) == repr(theirs)
    for layer, ref in ((nn.MaxPool3d(2), torch.nn.MaxPool3d(2)),
                       (nn.AvgPool3d(3, 1, 1), torch.nn.AvgPool3d(3, 1, 1))):
        np.testing.assert_allclose(layer(tg.tensor(x)).numpy(),
                                   ref(torch.tensor(x)).numpy(), rtol=1e-12)


def test_transposed_and_pooling_layers_match_torch():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.ConvTranspose1d(3, 2, 4, stride=2, padding=1).double()
    ours = nn.ConvTranspose1d(3, 2, 4, stride=2, padding=1).double()
    ours.load_state_dict({k: tg.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})
    x = RNG.standard_normal((2, 3, 5))
    np.testing.assert_allclose(ours(tg.tensor(x)).numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-10)
    assert repr(ours) == repr(theirs)
    for layer, ref in ((nn.MaxPool1d(3, 2), torch.nn.MaxPool1d(3, 2)),
                       (nn.AvgPool1d(3, 2, 1), torch.nn.AvgPool1d(3, 2, 1))):
        np.testing.assert_allclose(layer(tg.tensor(x)).numpy(),
                                   ref(torch.tensor(x)).numpy(), rtol=1e-12)


def test_conv1d_initialisation_follows_pytorchs_bounds():
    layer = nn.Conv1d(4, 8, 5)
    bound = 1 / np.sqrt(4 * 5)                 # kaiming_uniform(a=√5) gives ±1/√fan_in
    assert layer.weight.shape == (8, 4, 5)
    assert np.abs(layer.weight.numpy()).max() <= bound
    assert np.abs(layer.weight.numpy()).max() > 0.8 * bound


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 2), c=st.integers(1, 3), length=st.integers(3, 7),
       k=st.integers(1, 3), stride=st.integers(1, 2), padding=st.integers(0, 1))
def test_conv1d_and_pools_gradients_float64(n, c, length, k, stride, padding):
    x = tg.tensor(RNG.standard_normal((n, c, length)), requires_grad=True)
    w = tg.tensor(RNG.standard_normal((2, c, k)), requires_grad=True)
    assert_gradients(lambda a, b: F.conv1d(a, b, stride=stride, padding=padding), x, w,
                     second_order=True)
    pad = min(padding, k // 2)
    assert_gradients(lambda a: F.avg_pool1d(a, k, stride, pad), x)
    assert_gradients(lambda a: F.max_pool1d(a, k, stride, pad), x)


@settings(max_examples=10, deadline=None)
@given(depth=st.integers(2, 4), k=st.integers(1, 2), stride=st.integers(1, 2),
       padding=st.integers(0, 1))
def test_conv3d_and_pools_gradients_float64(depth, k, stride, padding):
    x = tg.tensor(RNG.standard_normal((1, 2, depth, 3, 3)), requires_grad=True)
    w = tg.tensor(RNG.standard_normal((2, 2, k, 2, 2)), requires_grad=True)
    assert_gradients(lambda a, b: F.conv3d(a, b, stride=stride, padding=padding), x, w,
                     second_order=True)
    assert_gradients(lambda a, b: F.conv_transpose3d(a, b, stride=stride), x, w)
    pad = min(padding, k // 2)
    assert_gradients(lambda a: F.avg_pool3d(a, (k, 2, 2), (stride, 1, 1), (pad, 1, 1)), x)
    assert_gradients(lambda a: F.max_pool3d(a, (k, 2, 2), (stride, 1, 1), (pad, 1, 1)), x)


def test_1d_errors_name_the_op_and_the_shapes():
    with pytest.raises(RuntimeError, match=r"conv1d: expected a 2-D \(C, L\) or 3-D"):
        F.conv1d(tg.zeros(1, 2, 3, 4), tg.zeros(2, 2, 1))
    with pytest.raises(RuntimeError, match="conv1d: expected a 3-D weight"):
        F.conv1d(tg.zeros(1, 2, 5), tg.zeros(2, 2, 1, 1))
    with pytest.raises(ValueError, match="Conv1d: kernel_size must be a positive int"):
        nn.Conv1d(2, 2, 0)
    with pytest.raises(RuntimeError, match=r"conv3d: expected a 4-D \(C, D, H, W\) or 5-D"):
        F.conv3d(tg.zeros(2, 3, 4), tg.zeros(1, 2, 1, 1, 1))
    with pytest.raises(ValueError, match="max_pool3d: ceil_mode=True is not supported"):
        F.max_pool3d(tg.zeros(1, 1, 4, 4, 4), 2, ceil_mode=True)
