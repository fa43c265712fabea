"""The curriculum's 2-D comparison: each path equals the textbook's rule computed by hand."""
import numpy as np
import pytest

from tinygrad_jp import optim
from tinygrad_jp.optim.curriculum import TEXTBOOK_OPTIMIZERS, f, optimizer_paths


def df(x, y):
    """The textbook's hand-written gradient of x²/20 + y²."""
    return np.array([x / 10.0, 2.0 * y])


def zerotsuku_paths(steps=30, start=(-7.0, 2.0)):
    """The book's four classes (SGD, Momentum, AdaGrad, Adam), written out in NumPy."""
    paths = {}

    def run(update):
        p = np.array(start, dtype=float)
        state = {}
        path = [p.copy()]
        for t in range(1, steps + 1):
            p = update(p, df(*p), state, t)
            path.append(p.copy())
        return np.array(path)

    paths["SGD"] = run(lambda p, g, s, t: p - 0.95 * g)

    def momentum(p, g, s, t):
        s["v"] = 0.9 * s.get("v", 0.0) - 0.1 * g
        return p + s["v"]
    paths["Momentum"] = run(momentum)

    def adagrad(p, g, s, t):
        s["h"] = s.get("h", 0.0) + g * g
        return p - 1.5 * g / (np.sqrt(s["h"]) + 1e-7)
    paths["AdaGrad"] = run(adagrad)

    def adam(p, g, s, t, lr=0.3, beta1=0.9, beta2=0.999):
        lr_t = lr * np.sqrt(1.0 - beta2 ** t) / (1.0 - beta1 ** t)
        m = s.setdefault("m", np.zeros(2))
        v = s.setdefault("v", np.zeros(2))
        m += (1 - beta1) * (g - m)
        v += (1 - beta2) * (g ** 2 - v)
        return p - lr_t * m / (np.sqrt(v) + 1e-7)
    paths["Adam"] = run(adam)
    return paths


def test_paths_equal_the_textbook_rules():
    ours = optimizer_paths()
    theirs = zerotsuku_paths()
    assert list(ours) == ["SGD", "Momentum", "AdaGrad", "Adam"]
    for name in ours:
        assert ours[name].shape == (31, 2)
        np.testing.assert_array_equal(ours[name][0], [-7.0, 2.0])
        np.testing.assert_allclose(ours[name], theirs[name], rtol=0, atol=1e-12,
                                   err_msg=name)


def test_end_points():
    """The numbers a learner sees at the end of the 30 steps."""
    ends = {k: v[-1] for k, v in optimizer_paths().items()}
    np.testing.assert_allclose(ends["SGD"], [-0.350393, 0.08478232], atol=1e-6)
    np.testing.assert_allclose(ends["Momentum"], [0.89641386, 0.0880856], atol=1e-6)
    np.testing.assert_allclose(ends["AdaGrad"], [-0.12016232, 0.0], atol=1e-6)
    np.testing.assert_allclose(ends["Adam"], [0.13600685, 0.31824538], atol=1e-6)


def test_the_behaviour_the_course_describes():
    paths = optimizer_paths()
    y = paths["SGD"][:, 1]
    assert np.all(np.sign(y[1:]) == -np.sign(y[:-1]))        # SGD zigzags across the valley
    assert abs(paths["AdaGrad"][-1, 1]) < 1e-12                # AdaGrad settles y quickly
    for name, path in paths.items():
        assert f(*path[-1]) < f(*path[0]) / 10, name            # every method descends


def test_other_start_steps_and_optimizers():
    custom = {"RMSprop": (optim.RMSprop, {"lr": 0.1}), "Adam-eps": (optim.Adam,
                                                                    {"lr": 0.3, "eps": 1e-8})}
    paths = optimizer_paths(steps=5, start=(1.0, -1.0), optimizers=custom)
    assert set(paths) == {"RMSprop", "Adam-eps"}
    assert paths["RMSprop"].shape == (6, 2)
    np.testing.assert_array_equal(paths["RMSprop"][0], [1.0, -1.0])
    assert optimizer_paths(steps=0)["SGD"].shape == (1, 2)


def test_constant_eps_adam_is_close_but_not_the_textbook():
    """Why optimizer_paths sets Adam's eps per step: a constant one is off by ~1e-5."""
    constant = optimizer_paths(optimizers={"Adam": (optim.Adam, {"lr": 0.3, "eps": 1e-7})})
    diff = np.abs(constant["Adam"] - zerotsuku_paths()["Adam"]).max()
    assert 1e-7 < diff < 1e-4
    assert TEXTBOOK_OPTIMIZERS["AdaGrad"][1]["eps"] == 1e-7


@pytest.mark.parametrize("kwargs,match", [
    (dict(steps=-1), "steps"), (dict(steps=2.5), "steps"), (dict(start=(1.0, 2.0, 3.0)), "start")])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        optimizer_paths(**kwargs)
