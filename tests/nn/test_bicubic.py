"""F.interpolate(mode='bicubic') and nn.Upsample: the interpolation matrix's closed
forms, float64 gradchecks over hypothesis-drawn sizes and scale factors, PyTorch as an
oracle for values and gradients (up- and down-scaling, both align_corners), errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_jp as tg
import tinygrad_jp.nn.functional as F
from tinygrad_jp import nn
from tinygrad_jp.ops.cubic import cubic_weights
from tinygrad_jp.testing import arrays


def t64(a, grad=True):
    return tg.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def compare_with_torch(x, atol=1e-12, **kw):
    """Values and input gradients of F.interpolate(mode='bicubic', **kw) vs PyTorch."""
    torch = pytest.importorskip("torch")
    xt, tx = t64(x), torch.tensor(x, requires_grad=True)
    y = F.interpolate(xt, mode="bicubic", **kw)
    ty = torch.nn.functional.interpolate(tx, mode="bicubic", **kw)
    assert y.shape == tuple(ty.shape)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), atol=atol)
    g = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(tg.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(xt.grad.numpy(), tx.grad.numpy(), atol=atol)


# ---------------------------------------------------------------------- closed forms
@settings(max_examples=30)
@given(st.integers(1, 9), st.integers(1, 12), st.booleans())
def test_weights_sum_to_one_so_constants_stay_constant(n_in, n_out, corners):
    m = cubic_weights(n_in, n_out, corners)
    assert m.shape == (n_out, n_in)
    np.testing.assert_allclose(m.sum(axis=1), 1.0, atol=1e-12)


def test_known_weights_at_half_a_pixel():
    # 2× upscaling without align_corners: output o sits at source (o + 0.5)/2 − 0.5, so
    # output 3 at 1.25 (taps 0…3 at distances 1.25, 0.25, 0.75, 1.75) and output 2 at
    # 0.75, whose tap −1 is clamped onto pixel 0; Keys' weights with A = −0.75
    m = cubic_weights(4, 8, align_corners=False)
    a = -0.75
    near = lambda s: ((a + 2) * s - (a + 3)) * s * s + 1          # noqa: E731
    far = lambda s: ((a * s - 5 * a) * s + 8 * a) * s - 4 * a     # noqa: E731
    np.testing.assert_allclose(m[3], [far(1.25), near(0.25), near(0.75), far(1.75)])
    np.testing.assert_allclose(m[2], [far(1.75) + near(0.75), near(0.25), far(1.25), 0])


def test_align_corners_keeps_the_corner_pixels_and_identity_size():
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 5))
    y = F.interpolate(t64(x, False), size=(7, 9), mode="bicubic", align_corners=True)
    np.testing.assert_allclose(y.numpy()[..., [0, -1], :][..., [0, -1]],
                               x[..., [0, -1], :][..., [0, -1]], atol=1e-12)
    for corners in (False, True):
        same = F.interpolate(t64(x, False), size=(4, 5), mode="bicubic",
                             align_corners=corners)
        np.testing.assert_allclose(same.numpy(), x, atol=1e-12)


def test_bicubic_overshoots_like_pytorch():
    # a step edge rings (cubic convolution has negative lobes): values leave [0, 1]
    x = np.zeros((1, 1, 1, 6))
    x[..., 3:] = 1
    y = F.interpolate(t64(x, False), size=(1, 12), mode="bicubic", align_corners=False)
    assert y.numpy().min() < 0 and y.numpy().max() > 1


# ---------------------------------------------------------------------- gradchecks
@settings(max_examples=10)
@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 7), st.integers(1, 7),
       st.booleans(), st.data())
def test_bicubic_size_gradcheck(h, w, oh, ow, corners, data):
    x = data.draw(arrays(st.just((2, 2, h, w))))
    assert tg.gradcheck(lambda a: F.interpolate(a, size=(oh, ow), mode="bicubic",
                                                align_corners=corners), [t64(x)])


@settings(max_examples=8)
@given(st.integers(2, 5), st.integers(2, 5),
       st.sampled_from([0.5, 0.75, 1.3, 2.0, 2.5, (1.5, 0.6), (3.0, 1.0)]),
       st.booleans(), st.data())
def test_bicubic_scale_factor_gradcheck(h, w, scale, corners, data):
    x = data.draw(arrays(st.just((1, 2, h, w))))
    assert tg.gradcheck(lambda a: F.interpolate(a, scale_factor=scale, mode="bicubic",
                                                align_corners=corners), [t64(x)])


def test_bicubic_gradgradcheck():
    # linear in the input: the second derivative is zero, and must come out as such
    x = np.random.default_rng(3).standard_normal((1, 2, 3, 4))
    assert tg.gradgradcheck(lambda a: F.interpolate(a, size=(5, 3), mode="bicubic") ** 2,
                            [t64(x)])


# ---------------------------------------------------------------------- PyTorch oracle
@settings(max_examples=15)
@given(st.integers(1, 8), st.integers(1, 8), st.integers(1, 10), st.integers(1, 10),
       st.booleans(), st.integers(0, 999))
def test_bicubic_size_matches_torch(h, w, oh, ow, corners, seed):
    x = np.random.default_rng(seed).standard_normal((2, 3, h, w))
    compare_with_torch(x, size=(oh, ow), align_corners=corners)


@pytest.mark.parametrize("corners", [False, True])
@pytest.mark.parametrize("scale", [2, 3, 0.5, 0.3, 1.5, (1.1, 1.5), (2, 0.5), (1.7, 2.4)])
def test_bicubic_scale_factor_matches_torch(scale, corners):
    x = np.random.default_rng(4).standard_normal((2, 2, 6, 7))
    compare_with_torch(x, scale_factor=scale, align_corners=corners)


def test_same_size_with_a_scale_factor_is_the_true_derivative():
    # scale 1.1 on 6×7 keeps the size but still resamples (source = (dst + 0.5)/1.1 −
    # 0.5), in PyTorch's forward as here. PyTorch's CPU backward, though, shortcuts any
    # same-size resize to "copy the gradient", which is not the derivative of its own
    # forward (its <f(x), g> ≠ <x, grad>); tinygrad_jp keeps the exact adjoint.
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(4).standard_normal((1, 2, 6, 7))
    xt, tx = t64(x), torch.tensor(x, requires_grad=True)
    y = F.interpolate(xt, scale_factor=1.1, mode="bicubic")
    ty = torch.nn.functional.interpolate(tx, scale_factor=1.1, mode="bicubic")
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), atol=1e-12)
    g = np.random.default_rng(1).standard_normal(y.shape)
    y.backward(tg.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_array_equal(tx.grad.numpy(), g)           # PyTorch's shortcut
    np.testing.assert_allclose((y.numpy() * g).sum(), (x * xt.grad.numpy()).sum())
    assert tg.gradcheck(lambda a: F.interpolate(a, scale_factor=1.1, mode="bicubic"),
                        [t64(x)])


@pytest.mark.parametrize("corners", [False, True])
def test_bicubic_recompute_scale_factor_matches_torch(corners):
    x = np.random.default_rng(5).standard_normal((1, 2, 5, 7))
    compare_with_torch(x, scale_factor=1.7, align_corners=corners,
                       recompute_scale_factor=True)


@pytest.mark.parametrize("size", [(1, 1), (1, 9), (12, 1), (2, 2)])
def test_bicubic_to_and_from_single_pixels_matches_torch(size):
    for shape in ((1, 1, 5, 6), (1, 1, 1, 1), (1, 1, 1, 4)):
        x = np.random.default_rng(6).standard_normal(shape)
        for corners in (False, True):
            compare_with_torch(x, size=size, align_corners=corners)


def test_bicubic_float32_matches_torch_and_keeps_dtype():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(7).standard_normal((2, 3, 9, 8)).astype(np.float32)
    for kw in (dict(scale_factor=2), dict(size=(4, 5), align_corners=True)):
        y = F.interpolate(tg.tensor(x), mode="bicubic", **kw)
        assert y.dtype == tg.float32
        ref = torch.nn.functional.interpolate(torch.tensor(x), mode="bicubic", **kw)
        np.testing.assert_allclose(y.numpy(), ref.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kw", [dict(scale_factor=2, mode="bicubic"),
                                dict(size=(5, 9), mode="bicubic", align_corners=True)])
def test_upsample_bicubic_layer_matches_torch(kw):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(8).standard_normal((2, 2, 4, 6))
    ours, theirs = nn.Upsample(**kw), torch.nn.Upsample(**kw)
    assert repr(ours) == repr(theirs)
    np.testing.assert_allclose(ours(t64(x)).numpy(),
                               theirs(torch.tensor(x)).numpy(), atol=1e-12)


# ---------------------------------------------------------------------- bad input
def test_interpolate_mode_errors():
    x = tg.randn(1, 1, 4, 4)
    with pytest.raises(ValueError) as e:
        F.interpolate(x, size=3, mode="cubic")
    assert str(e.value) == ("interpolate: unknown mode 'cubic'; supported modes are "
                            "'nearest', 'nearest-exact', 'area', 'linear', 'bilinear', "
                            "'bicubic'")
    with pytest.raises(NotImplementedError, match="'trilinear' resizes 5-D volumes"):
        F.interpolate(x, size=3, mode="trilinear")
    with pytest.raises(RuntimeError, match=r"mode 'bicubic' needs a 4-D input, got shape "
                                           r"\(1, 1, 4\)"):
        F.interpolate(tg.randn(1, 1, 4), size=3, mode="bicubic")
    with pytest.raises(ValueError, match="output size"):
        F.interpolate(tg.randn(1, 1, 1, 4), scale_factor=0.5, mode="bicubic")
