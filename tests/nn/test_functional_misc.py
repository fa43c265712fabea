"""dropout, pad, interpolate, gelu, leaky_relu and the thin activation forms."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_jp as tg
import tinygrad_jp.nn.functional as F
from tinygrad_jp.ops.nn_misc import erfc


def t64(a, grad=True):
    return tg.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# ---------------------------------------------------------------------- dropout
def test_dropout_is_inverted_and_reproducible():
    x = tg.ones(200, 50, requires_grad=True)
    tg.manual_seed(0)
    y = F.dropout(x, p=0.3)
    kept = y.numpy() != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(y.numpy()[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())     # same mask, same scale
    tg.manual_seed(0)
    np.testing.assert_array_equal(F.dropout(x, p=0.3).numpy(), y.numpy())


def test_dropout_identity_and_edge_probabilities():
    x = tg.randn(4, 4)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert (F.dropout(x, 1.0).numpy() == 0).all()
    with pytest.raises(ValueError, match="between 0 and 1, but got 1.5"):
        F.dropout(x, 1.5)


def test_dropout_gradgradcheck_with_fixed_mask():
    x = t64(rand((3, 3)))

    def fn(a):
        tg.manual_seed(1)
        return F.dropout(a * a, 0.4)
    assert tg.gradcheck(fn, [x]) and tg.gradgradcheck(fn, [x])


# ---------------------------------------------------------------------- activations
def test_erfc_matches_math_erfc_everywhere():
    z = np.concatenate([np.linspace(-8, 8, 2001), [0.0, 2.999999, 3.0, 3.000001, 26.0]])
    ref = np.array([math.erfc(v) for v in z])
    np.testing.assert_allclose(erfc(z), ref, rtol=1e-10, atol=1e-300)


@settings(max_examples=10)
@given(st.sampled_from(["none", "tanh"]), st.integers(0, 99))
def test_gelu_gradcheck_gradgradcheck_and_torch(approximate, seed):
    x = rand((3, 4), seed) * 3
    assert tg.gradcheck(lambda a: F.gelu(a, approximate), [t64(x)])
    assert tg.gradgradcheck(lambda a: F.gelu(a, approximate), [t64(x)])
    try:
        import torch
    except ImportError:
        return
    np.testing.assert_allclose(
        F.gelu(t64(x), approximate).numpy(),
        torch.nn.functional.gelu(torch.tensor(x), approximate=approximate).numpy(),
        rtol=1e-12, atol=1e-14)


def test_leaky_relu_closed_form_gradcheck_and_torch():
    x = tg.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    y = F.leaky_relu(x, 0.1)
    np.testing.assert_allclose(y.numpy(), [-0.2, 0.0, 3.0], rtol=1e-6)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.1, 0.1, 1.0], rtol=1e-6)   # PyTorch at 0
    a = t64(rand((2, 3)) + 0.05)
    assert tg.gradcheck(lambda t: F.leaky_relu(t, 0.2), [a])
    assert tg.gradgradcheck(lambda t: F.leaky_relu(t * t * t, 0.2), [a])


def test_thin_forms_delegate_to_the_core():
    x = tg.tensor([[-1.0, 0.5, 2.0]])
    np.testing.assert_allclose(F.relu(x).numpy(), [[0, 0.5, 2]])
    np.testing.assert_allclose(F.sigmoid(x).numpy(), 1 / (1 + np.exp(-x.numpy())), rtol=1e-6)
    np.testing.assert_allclose(F.tanh(x).numpy(), np.tanh(x.numpy()), rtol=1e-6)
    np.testing.assert_allclose(F.softmax(x, dim=1).numpy().sum(), 1.0, rtol=1e-6)
    np.testing.assert_allclose(F.log_softmax(x, dim=1).exp().numpy(),
                               F.softmax(x, dim=1).numpy(), rtol=1e-6)
    assert math.isclose(F.sigmoid(tg.tensor(0.0, requires_grad=True)).item(), 0.5)


# ---------------------------------------------------------------------- pad
@settings(max_examples=15)
@given(st.sampled_from(["constant", "reflect", "replicate", "circular"]),
       st.lists(st.integers(0, 2), min_size=4, max_size=4),
       st.integers(0, 99))
def test_pad_gradcheck_and_torch(mode, pads, seed):
    x = rand((1, 2, 3, 4), seed)
    assert tg.gradcheck(lambda a: F.pad(a, tuple(pads), mode=mode), [t64(x)])
    try:
        import torch
    except ImportError:
        return
    ref = torch.nn.functional.pad(torch.tensor(x), tuple(pads), mode=mode)
    np.testing.assert_allclose(F.pad(t64(x), tuple(pads), mode=mode).numpy(), ref.numpy())


def test_pad_order_is_last_dim_first_and_negative_crops():
    x = tg.ones(1, 1, 2, 3)
    assert F.pad(x, (1, 1, 2, 0)).shape == (1, 1, 4, 5)
    assert F.pad(x, (1, 2), value=7.0).numpy()[0, 0, 0].tolist() == [7, 1, 1, 1, 7, 7]
    assert F.pad(x, (-1, 0)).shape == (1, 1, 2, 2)
    with pytest.raises(ValueError, match="smaller than the input size"):
        F.pad(x, (0, 0, 2, 2), mode="reflect")
    with pytest.raises(TypeError, match="even number"):
        F.pad(x, (1, 2, 3))


# ---------------------------------------------------------------------- interpolate
@settings(max_examples=15)
@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 7), st.integers(1, 7),
       st.sampled_from(["nearest", "bilinear"]), st.sampled_from([False, True]))
def test_interpolate_size_gradcheck_and_torch(h, w, oh, ow, mode, corners):
    x = rand((2, 2, h, w), h * w)
    ac = corners if mode == "bilinear" else None
    assert tg.gradcheck(lambda a: F.interpolate(a, size=(oh, ow), mode=mode,
                                                align_corners=ac), [t64(x)])
    try:
        import torch
    except ImportError:
        return
    ref = torch.nn.functional.interpolate(torch.tensor(x), size=(oh, ow), mode=mode,
                                          align_corners=ac)
    np.testing.assert_allclose(F.interpolate(t64(x), size=(oh, ow), mode=mode,
                                             align_corners=ac).numpy(), ref.numpy(),
                               atol=1e-12)


@pytest.mark.parametrize("scale", [2, 0.5, 1.5, (2, 3)])
@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_interpolate_scale_factor_matches_torch(scale, mode):
    torch = pytest.importorskip("torch")
    x = rand((1, 2, 4, 6), 3)
    ours = F.interpolate(t64(x), scale_factor=scale, mode=mode)
    ref = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=scale, mode=mode)
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), atol=1e-12)


@pytest.mark.parametrize("mode,shape,scale,torch_grad_is_adjoint", [
    ("nearest", (1, 2, 6, 7), 1.1, True),          # both axes keep their size: a copy
    ("nearest", (1, 2, 6, 3), (1.1, 2.3), True),   # kept axis, and one doubled by 2.3
    ("nearest", (1, 2, 9), 1.1, False),            # 1-D nearest samples at i / 1.1
    ("nearest", (1, 2, 3), 2.3, False),            # 1-D, doubled by 2.3: i / 2.3 too
    ("nearest-exact", (1, 2, 9, 10), 1.1, True),
    ("linear", (1, 2, 9), 1.1, True),
    ("bilinear", (1, 2, 6, 9), (1.1, 1.5), True),
    ("bilinear", (1, 2, 3, 4), (2.3, 1.05), True),
])
def test_interpolate_scale_factor_rules_of_pytorch_kernels(mode, shape, scale,
                                                           torch_grad_is_adjoint):
    """PyTorch's CPU kernels ignore the scale factor along an axis that keeps its size
    in 'linear', 'bilinear' and 2-D 'nearest' (and 2-D 'nearest' halves the index of a
    doubled axis); the other modes sample at i / scale. The values match PyTorch's.
    The gradients match too, except where PyTorch's 1-D 'nearest' backward copies the
    gradient although its forward resampled (as for bicubic): ours is the derivative."""
    torch = pytest.importorskip("torch")
    x = rand(shape, 5)
    ours = t64(x)
    out = F.interpolate(ours, scale_factor=scale, mode=mode)
    tx = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.interpolate(tx, scale_factor=scale, mode=mode)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), atol=1e-12)
    g = np.random.default_rng(4).standard_normal(ref.shape)
    out.backward(tg.tensor(g))
    ref.backward(torch.tensor(g))
    if torch_grad_is_adjoint:
        np.testing.assert_allclose(ours.grad.numpy(), tx.grad.numpy(), atol=1e-12)
    assert tg.gradcheck(lambda a: F.interpolate(a, scale_factor=scale, mode=mode), [t64(x)])


def test_interpolate_same_size_scale_copies_in_linear_and_2d_nearest():
    x = rand((1, 1, 6, 7), 8)
    for mode in ("nearest", "bilinear"):
        np.testing.assert_array_equal(F.interpolate(t64(x), scale_factor=1.1,
                                                    mode=mode).numpy(), x)
    signal = rand((1, 1, 9), 9)
    np.testing.assert_array_equal(F.interpolate(t64(signal), scale_factor=1.1,
                                                mode="linear").numpy(), signal)
    # 1-D nearest keeps the scale: the last of 9 samples comes from pixel 7 (8 / 1.1)
    assert F.interpolate(t64(signal), scale_factor=1.1).numpy()[0, 0, 8] == signal[0, 0, 7]


def test_interpolate_nearest_doubles_pixels_and_errors():
    x = tg.tensor([[[[1.0, 2.0], [3.0, 4.0]]]])
    np.testing.assert_array_equal(F.interpolate(x, scale_factor=2).numpy()[0, 0],
                                  [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]])
    with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(x, size=3, mode="area", align_corners=True)


@pytest.mark.parametrize("mode", ["nearest-exact", "area"])
@pytest.mark.parametrize("case", [dict(size=(3, 5)), dict(size=(7, 2)),
                                  dict(scale_factor=1.5), dict(scale_factor=(0.5, 2.0)),
                                  dict(size=4, signal=True)])
def test_interpolate_nearest_exact_and_area_match_torch(mode, case):
    torch = pytest.importorskip("torch")
    case = dict(case)
    signal = case.pop("signal", False)
    x = rand((2, 3, 6) if signal else (2, 3, 4, 6), 11)
    ours = t64(x)
    out = F.interpolate(ours, mode=mode, **case)
    tx = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.interpolate(tx, mode=mode, **case)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), atol=1e-12)
    g = np.random.default_rng(3).standard_normal(ref.shape)
    out.backward(tg.tensor(g))
    ref.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.grad.numpy(), tx.grad.numpy(), atol=1e-12)
    assert tg.gradcheck(lambda a: F.interpolate(a, mode=mode, **case), [t64(x)])


FLOAT32_CASES = {
    "linear": lambda x: F.linear(x.flatten(1), tg.randn(3, 48)),
    "conv2d": lambda x: F.conv2d(x, tg.randn(2, 3, 3, 3), tg.randn(2), padding=1),
    "conv_transpose2d": lambda x: F.conv_transpose2d(x, tg.randn(3, 2, 3, 3), stride=2),
    "unfold/fold": lambda x: F.fold(F.unfold(x, 2), (4, 4), 2),
    "max_pool2d": lambda x: F.max_pool2d(x, 3, 1, 1),
    "avg_pool2d": lambda x: F.avg_pool2d(x, 2, count_include_pad=False, padding=1),
    "adaptive_avg_pool2d": lambda x: F.adaptive_avg_pool2d(x, 3),
    "batch_norm": lambda x: F.batch_norm(x, tg.zeros(3), tg.ones(3), tg.ones(3), tg.zeros(3),
                                         training=True),
    "batch_norm eval": lambda x: F.batch_norm(x, tg.zeros(3), tg.ones(3), training=False),
    "layer_norm": lambda x: F.layer_norm(x, (4, 4)),
    "group_norm": lambda x: F.group_norm(x, 3),
    "instance_norm": lambda x: F.instance_norm(x),
    "local_response_norm": lambda x: F.local_response_norm(x, 2),
    "dropout": lambda x: F.dropout(x, 0.3),
    "relu": F.relu, "leaky_relu": F.leaky_relu, "gelu": F.gelu,
    "gelu tanh": lambda x: F.gelu(x, "tanh"),
    "pad": lambda x: F.pad(x, (1, 2, 0, 1), mode="reflect"),
    "interpolate": lambda x: F.interpolate(x, scale_factor=1.5, mode="bilinear"),
    "cross_entropy": lambda x: F.cross_entropy(x.flatten(1), tg.tensor([1, 0]),
                                               label_smoothing=0.1),
    "cross_entropy probs": lambda x: F.cross_entropy(x.flatten(1), F.softmax(
        tg.randn(2, 48), 1)),
    "nll_loss": lambda x: F.nll_loss(x.flatten(1), tg.tensor([1, 0])),
    "mse_loss": lambda x: F.mse_loss(x, tg.randn(2, 3, 4, 4)),
    "l1_loss": lambda x: F.l1_loss(x, tg.randn(2, 3, 4, 4)),
    "binary_cross_entropy": lambda x: F.binary_cross_entropy(x.sigmoid(),
                                                             tg.rand(2, 3, 4, 4)),
    "bce_with_logits": lambda x: F.binary_cross_entropy_with_logits(
        x, tg.rand(2, 3, 4, 4), pos_weight=tg.ones(4)),
}


@pytest.mark.parametrize("name", sorted(FLOAT32_CASES))
def test_float32_stays_float32_forward_and_backward(name):
    x = tg.randn(2, 3, 4, 4, requires_grad=True)
    y = FLOAT32_CASES[name](x)
    assert y.dtype == np.float32, name
    y.sum().backward()
    assert x.grad.dtype == np.float32 and np.isfinite(x.grad.numpy()).all()


def test_parallel_passes_work_after_fork_and_reject_bad_thread_counts(monkeypatch):
    import os

    from tinygrad_jp.kernels import threads as parallel
    if not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "STALL_SECONDS", 1e9)
    monkeypatch.setattr(parallel, "_inline_until", 0.0)
    parallel.set_num_threads(2)
    x = tg.randn(4, 3, 6, 6)
    expected = F.max_pool2d(F.relu(x), 2).numpy()      # the parent's pool is now running
    pid = os.fork()
    if pid == 0:                                        # child: must not hang
        ok = np.array_equal(F.max_pool2d(F.relu(x), 2).numpy(), expected)
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    parallel.set_num_threads(parallel._default_threads())
    assert os.WEXITSTATUS(status) == 0
    with pytest.raises(ValueError, match="positive int"):
        parallel.set_num_threads(0)


def test_parallel_passes_back_off_when_helpers_start_late(monkeypatch):
    """On a busy machine (a helper thread waits for a core) passes run inline for a
    while instead of stalling on every hand-off."""
    from tinygrad_jp.kernels import threads as parallel
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    monkeypatch.setattr(parallel, "STALL_SECONDS", -1.0)     # every start counts as late
    monkeypatch.setattr(parallel, "_inline_until", 0.0)
    parallel.set_num_threads(2)
    try:
        seen = []
        parallel.over_batch(lambda b: seen.append(b), 4, 1 << 30)
        assert len(seen) == 2                                # split once...
        assert parallel._inline_until > 0
        seen.clear()
        parallel.over_batch(lambda b: seen.append(b), 4, 1 << 30)
        assert seen == [slice(0, 4)]                         # ...then inline
    finally:
        parallel.set_num_threads(parallel._default_threads())


@pytest.mark.parametrize("layout", ["nchw", "channels_last", "strided"])
def test_large_relu_row_path_equals_numpy_maximum(monkeypatch, layout):
    """A large ReLU runs over its memory as rows against a row of zeros: every element,
    the remainder after the last whole row, NaN and -0.0 come out as np.maximum(x, 0),
    and the output keeps the input's memory order."""
    from tinygrad_jp.kernels import cpu, threads as parallel
    monkeypatch.setattr(parallel, "MIN_BYTES", 0)
    monkeypatch.setattr(cpu, "ZERO_ROW", 7)                # 2·3·5·5 = 150 = 21 rows + 3
    rng = np.random.default_rng(0)
    data = rng.standard_normal((2, 5, 5, 3)).astype(np.float32)
    data.reshape(-1)[[0, 11, 149]] = [np.nan, -0.0, -np.inf]
    if layout == "nchw":
        x = np.ascontiguousarray(data.transpose(0, 3, 1, 2))
    elif layout == "channels_last":
        x = data.transpose(0, 3, 1, 2)
    else:
        x = np.repeat(data, 2, axis=1).transpose(0, 3, 1, 2)[:, :, ::2]
    t = tg.Tensor(x, requires_grad=True)                 # keeps the array's strides
    y = F.relu(t)
    expected = np.maximum(x, 0)
    np.testing.assert_array_equal(y.numpy(), expected)
    assert np.signbit(y.numpy()).sum() == np.signbit(expected).sum()
    if layout == "channels_last":
        assert y.numpy().strides[1] == 4                   # channels stay last
    y.sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), (expected > 0).astype(np.float32))
