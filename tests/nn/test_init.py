"""nn.init: PyTorch's formulas (checked statistically), the curriculum's names, and the
zero-initialisation quiz (equal weights never break symmetry)."""
import math

import numpy as np
import pytest

import tinygrad_jp as tg
from tinygrad_jp import nn
from tinygrad_jp.nn import init


def _std_ok(t, expected, tol=0.03):
    assert abs(t.data.std() / expected - 1) < tol, (t.data.std(), expected)
    assert abs(t.data.mean()) < 5 * expected / math.sqrt(t.data.size) + 1e-12


def test_calculate_gain_table_matches_pytorch():
    torch = pytest.importorskip("torch")
    for name, param in [("linear", None), ("conv2d", None), ("sigmoid", None),
                        ("tanh", None), ("relu", None), ("leaky_relu", None),
                        ("leaky_relu", 0.2), ("selu", None)]:
        assert init.calculate_gain(name, param) == pytest.approx(
            torch.nn.init.calculate_gain(name, param))
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")


def test_fans_follow_pytorch_layout():
    assert init._calculate_fan_in_and_fan_out(tg.zeros(100, 784)) == (784, 100)
    assert init._calculate_fan_in_and_fan_out(tg.zeros(16, 3, 5, 5)) == (75, 400)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(tg.zeros(5))
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_normal_(tg.zeros(2, 2), mode="fan_avg")


def test_xavier_and_kaiming_std_statistically():
    tg.manual_seed(0)
    w = tg.zeros(400, 600)  # fan_in 600, fan_out 400
    _std_ok(init.xavier_uniform_(w), math.sqrt(2 / 1000))
    assert np.abs(w.data).max() <= math.sqrt(6 / 1000)
    _std_ok(init.xavier_normal_(w, gain=2.0), 2 * math.sqrt(2 / 1000))
    _std_ok(init.kaiming_normal_(w), math.sqrt(2 / 600))  # default leaky_relu, a=0 → He
    _std_ok(init.kaiming_normal_(w, nonlinearity="relu", mode="fan_out"), math.sqrt(2 / 400))
    _std_ok(init.kaiming_uniform_(w, nonlinearity="relu"), math.sqrt(2 / 600))
    assert np.abs(w.data).max() <= math.sqrt(6 / 600)
    _std_ok(init.kaiming_uniform_(w, a=math.sqrt(5)), 1 / math.sqrt(600) / math.sqrt(3))
    c = tg.zeros(64, 32, 3, 3)  # fan_in = 32·9
    _std_ok(init.kaiming_normal_(c, nonlinearity="relu"), math.sqrt(2 / 288))


def test_simple_fills_and_reproducibility():
    t = tg.zeros(3, 4)
    assert init.constant_(t, 0.5) is t and (t.data == 0.5).all()
    assert (init.ones_(t).data == 1).all() and (init.zeros_(t).data == 0).all()
    np.testing.assert_array_equal(init.eye_(t).data, np.eye(3, 4))
    tg.manual_seed(3)
    a = init.normal_(tg.zeros(5), 1.0, 2.0).data.copy()
    tg.manual_seed(3)
    np.testing.assert_array_equal(init.normal_(tg.zeros(5), 1.0, 2.0).data, a)
    u = init.uniform_(tg.zeros(1000), -2, 3).data
    assert u.min() >= -2 and u.max() <= 3 and u.std() > 1
    tn = init.trunc_normal_(tg.zeros(2000), std=1.0, a=-0.5, b=0.5).data
    assert tn.min() >= -0.5 and tn.max() <= 0.5
    q = init.orthogonal_(tg.zeros(4, 6)).data
    np.testing.assert_allclose(q @ q.T, np.eye(4), atol=1e-6)


def test_init_on_parameters_records_no_graph_and_keeps_dtype():
    p = nn.Parameter(tg.zeros(3, 3, dtype=tg.float64))
    init.kaiming_normal_(p)
    assert p.is_leaf and p.grad_fn is None and p.requires_grad and p.dtype == tg.float64
    with pytest.raises(TypeError, match="expected a Tensor"):
        init.normal_(np.zeros(3))


@pytest.mark.parametrize("name,factor", [("he", 2), ("He", 2), ("relu", 2), ("xavier", 1),
                                         ("Xavier", 1), ("sigmoid", 1)])
def test_curriculum_names(name, factor):
    assert init.curriculum_std(name, 100) == pytest.approx(math.sqrt(factor / 100))
    tg.manual_seed(1)
    w = init.curriculum_normal_(tg.zeros(300, 500), name)  # Linear(500 → 300): n = 500
    _std_ok(w, math.sqrt(factor / 500))


def test_curriculum_numbers_zero_and_errors():
    assert init.curriculum_std(0.01, 784) == 0.01
    assert init.curriculum_std("zero", 784) == 0.0 and init.curriculum_std(0, 784) == 0.0
    w = init.curriculum_normal_(tg.ones(4, 3), 0)
    assert not w.data.any()
    tg.manual_seed(2)
    _std_ok(init.curriculum_normal_(tg.zeros(200, 200), 0.01), 0.01)
    # an explicit fan_in for other layouts (the curriculum's W is (in, out))
    _std_ok(init.curriculum_normal_(tg.zeros(800, 300), "he", fan_in=800),
            math.sqrt(2 / 800))
    with pytest.raises(ValueError, match="unknown name 'gauss'"):
        init.curriculum_std("gauss", 10)
    with pytest.raises(TypeError, match="name or a number"):
        init.curriculum_std(True, 10)
    with pytest.raises(ValueError, match="non-negative"):
        init.curriculum_std(-0.1, 10)


def _mlp(first_init):
    tg.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 5), nn.Sigmoid(), nn.Linear(5, 3))
    first_init(net[0].weight)
    init.zeros_(net[0].bias)
    first_init(net[2].weight)
    return net


def _train(net, steps=20):
    x = tg.randn(16, 4)
    y = tg.tensor(np.arange(16) % 3)
    for _ in range(steps):
        net.zero_grad()
        nn.CrossEntropyLoss()(net(x), y).backward()
        with tg.no_grad():
            for p in net.parameters():
                p.sub_(p.grad, alpha=0.5)
    return net


@pytest.mark.parametrize("value", [0.0, 0.3])
def test_zero_init_quiz_equal_weights_never_break_symmetry(value):
    """All first-layer weights equal ⇒ every hidden unit computes the same thing and gets
    the same update, forever: the layer behaves like a single unit."""
    net = _mlp(lambda w: init.constant_(w, value))
    x = tg.randn(8, 4)
    net.zero_grad()
    nn.CrossEntropyLoss()(net(x), tg.tensor(np.arange(8) % 3)).backward()
    g = net[0].weight.grad.data
    np.testing.assert_allclose(g, np.broadcast_to(g[0], g.shape), rtol=1e-5, atol=1e-7)
    w = _train(net)[0].weight.data
    assert np.ptp(w, axis=0).max() < 1e-5  # the hidden units are still identical
    # a random initialisation breaks the symmetry
    w_rand = _train(_mlp(lambda w: init.curriculum_normal_(w, "xavier")))[0].weight.data
    assert np.ptp(w_rand, axis=0).max() > 0.1
