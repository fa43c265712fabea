"""tan, the exp / log family (log2, log10, exp2, expm1, log1p) and rounding: gradcheck
in float64, first and second order, over Hypothesis-drawn shapes; PyTorch as oracle."""
import numpy as np
import pytest

import tinygrad_jp as tg
from tinygrad_jp.testing import check_gradient, tensors

from oracle_helpers import assert_matches_torch

SMOOTH = {
    "tan": (lambda x: x.tan(), {"min_value": -1.2, "max_value": 1.2}),
    "log2": (lambda x: x.log2(), {"min_value": 0.1, "max_value": 5.0}),
    "log10": (lambda x: tg.log10(x), {"min_value": 0.1, "max_value": 5.0}),
    "exp2": (lambda x: x.exp2(), {}),
    "expm1": (lambda x: tg.expm1(x), {}),
    "log1p": (lambda x: x.log1p(), {"min_value": -0.9, "max_value": 5.0}),
}


@pytest.mark.parametrize("name", SMOOTH)
def test_gradients_first_and_second_order(name):
    fn, ranges = SMOOTH[name]
    check_gradient(fn, tensors(**ranges), second_order=True)


ROUNDING = ["floor", "ceil", "trunc", "round"]


@pytest.mark.parametrize("name", ROUNDING)
def test_rounding_has_zero_gradient_away_from_the_jumps(name):
    jumps = np.arange(-2.0, 2.01, 0.5).tolist()   # integers and halves
    check_gradient(lambda x: getattr(x, name)() * x,
                   tensors(min_value=-2.4, max_value=2.4, away_from=jumps), second_order=True)


@pytest.mark.parametrize("name", list(SMOOTH) + ROUNDING)
def test_values_and_gradients_match_torch(name):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(1).uniform(0.1, 1.2, (3, 4))
    x[0, :2] = [0.5, 2.5 / 3]           # a round-half-to-even case
    assert_matches_torch(lambda t: getattr(t, name)(), lambda t: getattr(torch, name)(t), x)


def test_expm1_and_log1p_keep_precision_near_zero():
    x = tg.tensor([1e-10, -1e-12], dtype=tg.float64)
    np.testing.assert_allclose(x.expm1().numpy(), [1e-10, -1e-12], rtol=1e-9)
    np.testing.assert_allclose(x.log1p().numpy(), [1e-10, -1e-12], rtol=1e-9)
    naive = x.exp().numpy()[0] - 1                     # why they exist: 8e-8 off
    assert abs(naive - 1e-10) / 1e-10 > 1e-8


def test_rounding_keeps_integers_and_half_to_even():
    assert tg.tensor([0.5, 1.5, 2.5, -0.5]).round().tolist() == [0.0, 2.0, 2.0, -0.0]
    assert tg.tensor([1.234, 5.678]).round(decimals=1).tolist() == pytest.approx([1.2, 5.7])
    ints = tg.tensor([1, -2])
    for name in ROUNDING:
        out = getattr(ints, name)()
        assert out.dtype == np.int64 and out.tolist() == [1, -2]
    with pytest.raises(TypeError, match="round: decimals must be an int"):
        tg.tensor([1.0]).round(0.5)


def test_integer_inputs_give_float_results():
    assert tg.tensor([1, 8]).log2().tolist() == [0.0, 3.0]
    assert tg.tensor([1, 8]).log2().dtype == np.float32


def test_remainder_and_floor_divide_follow_python_and_pytorch():
    a = tg.tensor([5, -5, 7])
    assert (a % 3).tolist() == [2, 1, 1] and (a // 3).tolist() == [1, -2, 2]
    assert (7 % tg.tensor([2, -3])).tolist() == [1, -2] and (a % 3).dtype == np.int64
    assert (tg.tensor([5, -5], dtype=tg.int32) % 2).dtype == np.int32
    assert tg.remainder(a, 3).tolist() == [2, 1, 1] and tg.floor_divide(a, 3).tolist() == [1, -2, 2]
    with pytest.raises(ZeroDivisionError, match="integer division by zero"):
        a % 0


def test_remainder_gradients_match_torch():
    pytest.importorskip("torch")
    x = np.array([[5.5, -5.5, 7.25], [0.3, -2.2, 9.1]])
    y = np.array([[2.0, -2.0, 3.0], [-0.7, 0.9, 4.0]])
    assert_matches_torch(lambda a, b: a % b, lambda a, b: a % b, x, y)
    assert_matches_torch(lambda a, b: a.remainder(b), lambda a, b: a.remainder(b), x, y)
    # torch has no derivative for floor_divide: compare the values
    assert_matches_torch(lambda a, b: a // b, lambda a, b: a // b, x, y, grad=False)
