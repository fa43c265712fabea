import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_jp
from tinygrad_jp.data import one_hot
from tinygrad_jp.data import transforms as T
from tinygrad_jp.tensor import Tensor

batches = hnp.arrays(np.float32, st.tuples(st.integers(1, 4), st.sampled_from([1, 3]),
                                           st.integers(3, 9), st.integers(3, 9)),
                     elements=st.floats(0, 1, width=32))
square_batches = st.integers(2, 9).flatmap(lambda s: hnp.arrays(
    np.float32, st.tuples(st.integers(1, 3), st.sampled_from([1, 3]), st.just(s), st.just(s)),
    elements=st.floats(0, 1, width=32)))


def rng(seed=0):
    return np.random.default_rng(seed)


def every_transform(r):
    return [
        T.RandomAffine(25, translate=(0.2, 0.1), scale=(0.8, 1.2), shear=(-10, 10, -5, 5), rng=r),
        T.GaussianNoise(0.2, rng=r), T.GaussianNoise(0.1, mode="additive", p=0.5, rng=r),
        T.Thicken(p=0.5, rng=r), T.Thicken(mode="conv", rng=r),
        T.RandomCrop(3, padding=1, rng=r), T.RandomHorizontalFlip(rng=r),
        T.RandomErasing(p=1.0, rng=r), T.Cutout(2, rng=r), T.Normalize(0.5, 0.25),
    ]


# ---- properties shared by all transforms ------------------------------------------------

@given(batches)
def test_shapes_dtypes_and_single_images(x):
    for t in every_transform(rng()):
        out = t(x)
        want = x.shape[:2] + (3, 3) if isinstance(t, T.RandomCrop) else x.shape
        assert out.shape == want and out.dtype == np.float32, t
        single = t(x[0])
        assert single.shape == want[1:] and single.dtype == np.float32, t
    assert T.GaussianNoise(0.1)(x.astype(np.float64)).dtype == np.float64


@given(batches, st.integers(0, 2**32 - 1))
def test_seeded_reproducibility(x, seed):
    for t1, t2 in zip(every_transform(rng(seed)), every_transform(rng(seed)), strict=True):
        np.testing.assert_array_equal(t1(x), t2(x))
    # without rng=, transforms follow tg.manual_seed
    t = T.Compose([T.RandomAffine(30), T.GaussianNoise(0.1), T.Cutout(2)])
    tinygrad_jp.random.manual_seed(seed % 1000)
    a = t(x)
    tinygrad_jp.random.manual_seed(seed % 1000)
    np.testing.assert_array_equal(a, t(x))


@given(batches)
def test_identity_at_zero_strength(x):
    h, w = x.shape[2:]
    for t in [T.RandomAffine(0), T.RandomAffine(0, translate=(0, 0), scale=(1, 1), shear=0),
              T.GaussianNoise(0.0), T.GaussianNoise(0.0, mode="additive"), T.Thicken(p=0.0),
              T.RandomHorizontalFlip(p=0.0), T.RandomErasing(p=0.0), T.Cutout(3, p=0.0),
              T.RandomCrop((h, w)), T.Normalize(0, 1)]:
        np.testing.assert_array_equal(t(x), x, err_msg=repr(t))
    y = one_hot(np.arange(x.shape[0]) % 3, 3)
    xm, ym = T.mixup(x, y, alpha=0.0)
    assert xm is x and ym is y


@given(batches)
def test_value_ranges(x):
    r = rng()
    out = T.RandomAffine(45, translate=(0.3, 0.3), scale=(0.5, 1.5), shear=20, rng=r)(x)
    assert out.min() >= 0.0 and out.max() <= x.max() + 1e-6  # bilinear: convex combinations
    for t in [T.Thicken(), T.Thicken(mode="conv")]:
        th = t(x)
        assert th.min() >= 0 and th.max() <= 1
        assert np.all(th >= x - 1e-7)  # thickening never darkens a stroke
    assert np.all(T.GaussianNoise(0.5, mode="additive", clip=True, rng=r)(x) <= 1)
    # multiplicative noise keeps the background exactly where it was
    z = x.copy()
    z[..., 0, :] = 0
    assert np.all(T.GaussianNoise(0.5, rng=r)(z)[..., 0, :] == 0)


# ---- RandomAffine / warp_affine ---------------------------------------------------------

@given(square_batches)
def test_rotation_by_90_degrees_is_rot90(x):
    for deg, k in [(90, 1), (-90, -1), (180, 2), (270, 3)]:
        out = T.RandomAffine((deg, deg))(x)
        np.testing.assert_allclose(out, np.rot90(x, k, axes=(2, 3)), atol=1e-6)


def test_rotation_of_an_asymmetric_pattern():
    img = np.zeros((1, 7, 7), np.float32)
    img[0, 1, 1:6] = 1.0   # a bar along the top
    img[0, 1:5, 1] = 0.5   # and down the left side: an "L" turned upside down
    out = T.RandomAffine((90, 90))(img)
    np.testing.assert_array_equal(out, np.rot90(img, 1, axes=(1, 2)))
    # counter-clockwise: the top bar is now on the left, the left bar at the bottom
    np.testing.assert_array_equal(out[0, 1:5, 1], 1.0)
    np.testing.assert_array_equal(out[0, 5, 1:5], 0.5)


@given(batches, st.integers(-2, 2), st.integers(-2, 2))
def test_integer_translation_shifts_with_zero_fill(x, dx, dy):
    n, c, h, w = x.shape
    # inverse map: output pixel (col j, row i) reads input (j - dx, i - dy)
    m = np.array([[1.0, 0.0, -dx], [0.0, 1.0, -dy]])
    out = T.warp_affine(x, m)
    want = np.zeros_like(x)
    ys, yd = slice(max(0, -dy), min(h, h - dy)), slice(max(0, dy), min(h, h + dy))
    xs, xd = slice(max(0, -dx), min(w, w - dx)), slice(max(0, dx), min(w, w + dx))
    want[:, :, yd, xd] = x[:, :, ys, xs]
    np.testing.assert_array_equal(out, want)


def test_bilinear_half_pixel_and_fill():
    x = np.array([[[[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]]], np.float32)
    out = T.warp_affine(x, np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.0]]))
    np.testing.assert_allclose(out[0, 0, 0], [0.5, 0.5, 0.0])  # last column is half outside
    out = T.warp_affine(x, np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.0]]), fill=1.0)
    np.testing.assert_allclose(out[0, 0, 0], [0.5, 0.5, 0.5])


def test_per_sample_matrices_differ():
    x = np.random.default_rng(0).random((6, 1, 8, 8)).astype(np.float32)
    out = T.RandomAffine(40, rng=rng(1))(x)
    m = T.RandomAffine(40).sample_matrices(6, 8, 8, rng=rng(1))
    assert len({round(float(a), 6) for a in m[:, 0, 1]}) == 6
    ref = T.warp_affine(x, np.linalg.inv(m)[:, :2])
    np.testing.assert_allclose(out, ref, atol=1e-6)


# ---- the other transforms ---------------------------------------------------------------

def test_multiplicative_noise_statistics():
    x = np.ones((50, 1, 20, 20), np.float32)
    out = T.GaussianNoise(0.2, rng=rng())(x)
    assert abs(out.mean() - 1.0) < 0.01 and abs(out.std() - 0.2) < 0.01


def test_thicken_conv_is_the_seed_filter():
    x = np.zeros((1, 1, 5, 5), np.float32)
    x[0, 0, 2, 2] = 0.1
    out = T.Thicken(mode="conv")(x)[0, 0]
    np.testing.assert_allclose(out[1:4, 1:4], [[0.05, 0.05, 0.05], [0.05, 0.5, 0.05],
                                               [0.05, 0.05, 0.05]], rtol=1e-6)
    assert out.sum() == pytest.approx(0.9)
    x[0, 0, 2, 2] = 0.5
    assert T.Thicken(mode="conv")(x)[0, 0, 2, 2] == 1.0  # clipped
    m = T.Thicken()(x)[0, 0]
    np.testing.assert_array_equal(m[1:4, 1:4], 0.5) and m.sum() == pytest.approx(4.5)


@given(batches)
def test_random_crop_is_a_window_of_the_padded_image(x):
    p = 2
    out = T.RandomCrop(x.shape[2:], padding=p, rng=rng())(x)
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    h, w = x.shape[2:]
    for i in range(x.shape[0]):
        assert any(np.array_equal(out[i], xp[i, :, a:a + h, b:b + w])
                   for a in range(2 * p + 1) for b in range(2 * p + 1))


def test_horizontal_flip():
    x = np.random.default_rng(0).random((8, 2, 4, 5)).astype(np.float32)
    np.testing.assert_array_equal(T.RandomHorizontalFlip(1.0)(x), x[..., ::-1])
    out = T.RandomHorizontalFlip(0.5, rng=rng(3))(x)
    flipped = [np.array_equal(o, s[..., ::-1]) for o, s in zip(out, x, strict=True)]
    kept = [np.array_equal(o, s) for o, s in zip(out, x, strict=True)]
    assert all(f or k for f, k in zip(flipped, kept, strict=True))
    assert any(flipped) and any(kept)


def test_random_erasing_and_cutout_erase_rectangles():
    x = np.ones((64, 3, 16, 16), np.float32)
    out = T.RandomErasing(p=1.0, scale=(0.1, 0.2), value=(0.0, 0.5, 0.25), rng=rng())(x)
    erased = out[:, 0] == 0
    counts = erased.sum(axis=(1, 2))
    assert counts.min() > 0 and counts.max() <= 0.3 * 256
    rows, cols = erased.any(axis=2), erased.any(axis=1)
    assert np.array_equal(counts, rows.sum(1) * cols.sum(1))  # a rectangle
    assert np.all(out[:, 1][erased] == 0.5) and np.all(out[:, 2][erased] == 0.25)
    cut = T.Cutout(6, rng=rng())(x)
    n = (cut[:, 0] == 0).sum(axis=(1, 2))
    assert n.max() <= 36 and n.min() >= 9  # at least a 3x3 corner survives the border
    noisy = T.RandomErasing(p=1.0, value="random", rng=rng())(x)
    assert np.any(noisy < 0)


def test_normalize_per_channel():
    x = np.random.default_rng(0).random((4, 3, 5, 5)).astype(np.float32)
    out = T.Normalize([0.1, 0.2, 0.3], [0.5, 0.5, 2.0])(x)
    np.testing.assert_allclose(out[:, 2], (x[:, 2] - 0.3) / 2.0, rtol=1e-6)
    with pytest.raises(ValueError, match="3 channels"):
        T.Normalize([0.1, 0.2], [1, 1])(x)
    with pytest.raises(ValueError, match="std must be positive"):
        T.Normalize(0, 0)


def test_mixup():
    x = np.random.default_rng(0).random((16, 1, 4, 4)).astype(np.float32)
    y = one_hot(np.arange(16) % 4, 4)
    xm, ym = T.mixup(x, y, alpha=0.4, rng=rng())
    assert xm.shape == x.shape and xm.dtype == np.float32 and ym.shape == y.shape
    np.testing.assert_allclose(ym.sum(1), 1.0, rtol=1e-6)
    xm2, ym2 = T.mixup(x, y, alpha=0.4, rng=rng())
    np.testing.assert_array_equal(xm, xm2)
    with pytest.raises(TypeError, match="one_hot"):
        T.mixup(x, np.arange(16), 0.2)
    with pytest.raises(ValueError, match="different batch sizes"):
        T.mixup(x, y[:3], 0.2)


# ---- wrong layouts and arguments --------------------------------------------------------

def test_wrong_layout_messages():
    t = T.RandomAffine(10)
    with pytest.raises(TypeError, match=r"expected a float image array.*uint8.*astype"):
        t(np.zeros((2, 1, 28, 28), np.uint8))
    with pytest.raises(ValueError, match=r"channels-last \(N, H, W, C\).*channels-first "
                                         r"\(N, C, H, W\).*transpose\(0, 3, 1, 2\)"):
        t(np.zeros((2, 28, 28, 3), np.float32))
    with pytest.raises(ValueError, match=r"channels-last \(H, W, C\)"):
        t(np.zeros((28, 28, 1), np.float32))
    with pytest.raises(ValueError, match=r"\(N, C, H, W\).*shape \(28, 28\)"):
        t(np.zeros((28, 28), np.float32))
    with pytest.raises(TypeError, match=r"t.numpy\(\)"):
        t(Tensor(np.zeros((1, 1, 4, 4), np.float32)))


def test_bad_arguments():
    with pytest.raises(ValueError, match="shear"):
        T.RandomAffine(0, shear=90)
    with pytest.raises(ValueError, match="scale"):
        T.RandomAffine(0, scale=(0, 1))
    with pytest.raises(ValueError, match="p must be a probability"):
        T.Thicken(p=1.5)
    with pytest.raises(ValueError, match="mode"):
        T.GaussianNoise(0.1, mode="mult")
    with pytest.raises(ValueError, match="larger than the padded"):
        T.RandomCrop(10)(np.zeros((1, 1, 4, 4), np.float32))
    with pytest.raises(TypeError, match="rng"):
        T.Cutout(2, rng=3)
