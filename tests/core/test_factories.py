"""Factories (tg.zeros, tg.randn, ...): their sizes are checked by one helper, as
PyTorch checks them, and they allocate in the dtype asked for."""
import tracemalloc

import numpy as np
import pytest

import tinygrad_jp as tg
from tinygrad_jp import creation

# Each factory with its size argument in place: make(size) calls the factory.
FACTORIES = {
    "zeros": lambda size: tg.zeros(size),
    "ones": lambda size: tg.ones(size),
    "empty": lambda size: tg.empty(size),
    "full": lambda size: tg.full(size, 1.0),
    "randn": lambda size: tg.randn(size),
    "rand": lambda size: tg.rand(size),
    "randint": lambda size: tg.randint(0, 5, size),
}


@pytest.mark.parametrize("call, name, bad", [
    (lambda: tg.zeros("3"), "zeros", "str '3'"),
    (lambda: tg.zeros(2.5), "zeros", "float 2.5"),
    (lambda: tg.ones((2, "3")), "ones", "str '3'"),
    (lambda: tg.randn("2"), "randn", "str '2'"),
    (lambda: tg.rand(2, None), "rand", "NoneType None"),
    (lambda: tg.empty(True), "empty", "bool True"),
    (lambda: tg.zeros(np.float64(2.0)), "zeros", r"float64 \S*2\.0"),
    (lambda: tg.zeros(tg.tensor(2.0)), "zeros", "Tensor"),
])
def test_sizes_of_the_wrong_type_are_a_type_error_naming_the_argument(call, name, bad):
    with pytest.raises(TypeError, match=rf"{name}: argument 'size' must be a tuple of ints, "
                                        rf"but got {bad}"):
        call()


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_every_factory_checks_sizes_the_same_way(name):
    make = FACTORIES[name]
    with pytest.raises(TypeError, match=rf"^{name}: argument 'size' must be a tuple of ints, "
                                        r"but got str '3' at position 2"):
        make((2, "3"))
    with pytest.raises(RuntimeError, match=rf"^{name}: sizes must be non-negative, "
                                           r"got \(2, -1\)"):
        make((2, -1))
    assert make((2, np.int64(3))).shape == (2, 3)
    assert make([2, 3]).shape == (2, 3)
    assert make(()).shape == ()


@pytest.mark.parametrize("call, arg, position, bad", [
    (lambda: tg.eye(2.5), "n", 1, "float 2.5"),
    (lambda: tg.eye("3"), "n", 1, "str '3'"),
    (lambda: tg.eye((2, 3)), "n", 1, r"tuple \(2, 3\)"),
    (lambda: tg.eye(True), "n", 1, "bool True"),
    (lambda: tg.eye(2, 2.5), "m", 2, "float 2.5"),
    (lambda: tg.eye(2, m=None, dtype=None), None, None, None),
])
def test_eye_checks_its_sizes_with_the_factories_helper(call, arg, position, bad):
    if arg is None:
        assert call().shape == (2, 2)
        return
    with pytest.raises(TypeError, match=rf"^eye: argument '{arg}' must be an int, but got "
                                        rf"{bad} at position {position}"):
        call()


def test_eye_sizes_are_non_negative_ints_like_torch():
    with pytest.raises(RuntimeError, match=r"^eye: argument 'n' must be non-negative, got -1"):
        tg.eye(-1)
    with pytest.raises(RuntimeError, match=r"^eye: argument 'm' must be non-negative, got -2"):
        tg.eye(2, -2)
    assert tg.eye(np.int64(2), tg.tensor(3)).shape == (2, 3)
    assert tg.eye(0).shape == (0, 0)
    np.testing.assert_array_equal(tg.eye(2, 3).numpy(), np.eye(2, 3))


def test_integer_like_sizes_are_accepted_as_in_pytorch():
    assert tg.zeros(np.int64(3)).shape == (3,)
    assert tg.zeros(tg.tensor(3)).shape == (3,)          # a 0-d int tensor, like torch
    assert tg.ones(2, np.int32(3)).shape == (2, 3)
    assert tg.zeros(np.array([2, 3])).shape == (2, 3)
    assert tg.randint(0, 5, 3).shape == (3,)
    assert tg.zeros(0, 3).shape == (0, 3)


def test_wrong_sizes_match_torch_errors():
    torch = pytest.importorskip("torch")
    for bad in (2.5, "3", (2, 3), True):
        with pytest.raises(TypeError):
            torch.eye(bad)
        with pytest.raises(TypeError):
            tg.eye(bad)
    with pytest.raises(RuntimeError):
        torch.eye(-1)
    with pytest.raises(RuntimeError):
        tg.eye(-1)
    for bad in ("3", 2.5, (2, "3"), None, True):
        for ours, theirs in ((tg.zeros, torch.zeros), (tg.randn, torch.randn)):
            with pytest.raises(TypeError):
                theirs(bad)
            with pytest.raises(TypeError):
                ours(bad)


def _peak_bytes(make, base):
    tracemalloc.start()
    try:
        result = make(base)
        return tracemalloc.get_traced_memory()[1], result
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("make", [
    lambda _: tg.zeros(2 ** 20), lambda _: tg.ones(2 ** 20), lambda _: tg.empty(2 ** 20),
    lambda _: tg.full((2 ** 20,), 3.0), tg.zeros_like, tg.ones_like,
    lambda base: tg.full_like(base, 2.0), lambda _: tg.randn(2 ** 20),
    lambda _: tg.rand(2 ** 20), lambda _: tg.randint(0, 5, (2 ** 20,), dtype=tg.int32),
    lambda _: tg.eye(1024),
], ids=["zeros", "ones", "empty", "full", "zeros_like", "ones_like", "full_like", "randn",
        "rand", "randint", "eye"])
def test_factories_allocate_in_the_target_dtype(make):
    peak, t = _peak_bytes(make, tg.empty(2 ** 20))   # base: the input of the _like ones
    size = t.data.nbytes                         # 4 MiB of float32 / int32
    assert t.dtype in (tg.float32, np.int32)
    # the result, plus at most a working slice; never a float64 (2x) draft of it
    assert peak < size * 1.6, f"peak {peak} bytes for a result of {size} bytes"


def test_float32_draws_are_float64_draws_rounded(monkeypatch):
    # Drawing in slices keeps the stream of numbers a seed gives, small or large.
    monkeypatch.setattr(creation, "_SAMPLE_SLICE", 7)
    for draw in (tg.randn, tg.rand):
        tg.manual_seed(3)
        single = draw(50, dtype=tg.float64).numpy()
        tg.manual_seed(3)
        np.testing.assert_array_equal(draw(5, 10).numpy(),
                                      single.astype(np.float32).reshape(5, 10))
