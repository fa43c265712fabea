"""F.interpolate(antialias=True): the filter's closed forms, what it is for (no
aliasing when shrinking), float64 gradchecks over hypothesis-drawn sizes, PyTorch as
an oracle for values and gradients, errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_jp as tg
import tinygrad_jp.nn.functional as F
from tinygrad_jp.ops.antialias import antialias_weights


def t64(a, grad=True):
    return tg.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


# ---------------------------------------------------------------------- closed forms
def test_halving_a_row_averages_three_pixels_under_the_stretched_triangle():
    # ratio 2: the triangle is 4 pixels wide; output 0 is centred at 1.0 and reads
    # pixels 0, 1, 2 at distances 0.25, 0.25, 0.75 of its half-width → 3 : 3 : 1
    a, b, c, d = 1.0, 2.0, 4.0, 8.0
    y = F.interpolate(t64([[[[a, b, c, d]]]]), size=(1, 2), mode="bilinear",
                      antialias=True).numpy()[0, 0, 0]
    np.testing.assert_allclose(y, [(3 * a + 3 * b + c) / 7, (b + 3 * c + 3 * d) / 7],
                               atol=1e-15)


@settings(max_examples=40)
@given(st.integers(1, 30), st.integers(1, 30), st.sampled_from(["bilinear", "bicubic"]),
       st.booleans())
def test_weights_sum_to_one_and_enlarging_equals_plain_bilinear_inside(n_in, n_out, mode,
                                                                    corners):
    m = antialias_weights(n_in, n_out, mode, corners)
    assert m.shape == (n_out, n_in)
    np.testing.assert_allclose(m.sum(axis=1), 1.0, atol=1e-12)
    if mode == "bilinear" and not corners and n_out >= n_in:
        # when enlarging the filter keeps its width: ordinary linear interpolation,
        # except that a window cut by the border is renormalised, not clamped
        from tinygrad_jp.ops.nn_misc import linear_weights
        plain = linear_weights(n_in, n_out, False)
        centre = (np.arange(n_out) + 0.5) * n_in / n_out
        inner = (centre >= 1.0) & (centre <= n_in - 1.0)
        np.testing.assert_allclose(m[inner], plain[inner], atol=1e-12)


def test_shrinking_stripes_keeps_them_grey_instead_of_aliasing():
    """1-pixel stripes shrunk 3×: plain bilinear lands on single pixels and shows false
    full-contrast stripes; the antialiased filter averages them to grey (4/9, 5/9)."""
    stripes = np.tile(np.arange(30) % 2, (3, 1)).astype(np.float64)[None, None]
    plain = F.interpolate(t64(stripes), size=(3, 10), mode="bilinear").numpy()[0, 0, 1]
    smooth = F.interpolate(t64(stripes), size=(3, 10), mode="bilinear",
                           antialias=True).numpy()[0, 0, 1]
    assert np.ptp(plain) == 1.0
    np.testing.assert_allclose(smooth[1:-1], [4 / 9, 5 / 9] * 4, atol=1e-12)


def test_an_axis_that_keeps_its_size_is_copied():
    x = np.random.default_rng(0).standard_normal((1, 2, 6, 9))
    y = F.interpolate(t64(x), scale_factor=(1.1, 0.5), mode="bicubic",
                      antialias=True).numpy()
    z = F.interpolate(t64(x), scale_factor=(1.0, 0.5), mode="bicubic",
                      antialias=True).numpy()
    np.testing.assert_allclose(y, z, atol=1e-15)
    # (resampling at i / 1.1, which PyTorch does not do here, would move the rows)
    assert not np.allclose(antialias_weights(6, 6, "bicubic", False, 1.1), np.eye(6))


# ---------------------------------------------------------------------- gradients
@settings(max_examples=20, deadline=None)
@given(st.integers(1, 9), st.integers(2, 9), st.integers(1, 9), st.integers(1, 9),
       st.sampled_from(["bilinear", "bicubic"]), st.booleans())
def test_gradcheck(h, w, oh, ow, mode, corners):
    x = np.random.default_rng(h * 10 + w).standard_normal((2, 1, h, w))
    assert tg.gradcheck(lambda a: F.interpolate(a, size=(oh, ow), mode=mode,
                                                align_corners=corners, antialias=True),
                        [t64(x)])


# ---------------------------------------------------------------------- PyTorch
CASES = [dict(size=(5, 7)), dict(size=(31, 4)), dict(size=(12, 30)),
         dict(scale_factor=0.5), dict(scale_factor=(0.3, 0.7)), dict(scale_factor=2.5),
         dict(scale_factor=(1.05, 0.5))]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("mode", ["bilinear", "bicubic"])
@pytest.mark.parametrize("corners", [False, True])
def test_values_and_gradients_match_torch(case, mode, corners):
    """Inputs and outputs at least 2 pixels wide: PyTorch 2.13's antialiased kernel
    gives every row the first row's weights when the width is 1 (13 → 26 rows turns
    into 26 copies of row 0), a bug this framework does not copy."""
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(7).standard_normal((2, 3, 17, 13))
    kw = dict(case, mode=mode, align_corners=corners, antialias=True)
    ours, tx = t64(x), torch.tensor(x, requires_grad=True)
    y = F.interpolate(ours, **kw)
    ty = torch.nn.functional.interpolate(tx, **kw)
    assert y.shape == tuple(ty.shape)
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), atol=1e-12)
    g = np.random.default_rng(8).standard_normal(y.shape)
    y.backward(tg.tensor(g))
    ty.backward(torch.tensor(g))
    if "scale_factor" in case and 17 in y.shape[2:]:
        return      # PyTorch's backward resamples the kept axis its forward copied
    np.testing.assert_allclose(ours.grad.numpy(), tx.grad.numpy(), atol=1e-12)


def test_antialias_needs_bilinear_or_bicubic():
    x = tg.randn(1, 1, 8, 8)
    for mode in ("nearest", "nearest-exact", "area"):
        with pytest.raises(ValueError, match="antialias=True works with the modes "
                                             "'bilinear' and 'bicubic'"):
            F.interpolate(x, size=4, mode=mode, antialias=True)
    with pytest.raises(ValueError, match="antialias"):
        F.interpolate(tg.randn(1, 1, 8), size=4, mode="linear", antialias=True)
