"""MultiLayerNet: the course's fully connected network."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_jp as tg
from tinygrad_jp import nn
from tinygrad_jp.models import MultiLayerNet
import tinygrad_jp.nn.functional as F

from models_helpers import n_params, sgd_losses


def _batch(n=16, d=20, c=4, seed=0):
    rng = np.random.default_rng(seed)
    x = tg.Tensor(rng.normal(size=(n, d)).astype(np.float32))
    t = tg.Tensor(rng.integers(0, c, n))
    return x, t


def test_shape_count_and_layer_names():
    tg.manual_seed(0)
    net = MultiLayerNet(784, [160, 80, 40, 20], 10, activation="relu", weight_init_std=0.01)
    x = tg.randn(3, 784)
    assert net(x).shape == (3, 10)
    sizes = [784, 160, 80, 40, 20, 10]
    assert n_params(net) == sum(a * b + b for a, b in zip(sizes, sizes[1:], strict=False))
    assert [type(m).__name__ for m in net.children()] == \
        ["Linear", "ReLU"] * 4 + ["Linear"]
    assert list(net.state_dict()) == [f"affine{i}.{p}" for i in range(1, 6)
                                      for p in ("weight", "bias")]
    assert [lin.weight.shape for lin in net.linears] == [(b, a) for a, b in
                                                        zip(sizes, sizes[1:], strict=False)]
    assert net.hidden_layer_num == 4


def test_images_are_flattened_and_bad_input_names_the_model():
    net = MultiLayerNet(784, [10], 10)
    assert net(tg.randn(2, 1, 28, 28)).shape == (2, 10)
    with pytest.raises(RuntimeError, match=r"MultiLayerNet\(input_size=784\).*\(2, 100\)"):
        net(tg.randn(2, 100))


def test_batchnorm_and_dropout_layer_order():
    net = MultiLayerNet(20, [8, 6], 3, activation="tanh", use_dropout=True,
                        dropout_ratio=0.2, use_batchnorm=True)
    names = [n for n, _ in net.named_children()]
    assert names == ["affine1", "batchnorm1", "activation1", "dropout1",
                     "affine2", "batchnorm2", "activation2", "dropout2", "affine3"]
    assert isinstance(net.batchnorm1, nn.BatchNorm1d) and isinstance(net.activation1, nn.Tanh)
    assert net.dropout1.p == pytest.approx(0.2)
    assert "batchnorm1.running_mean" in net.state_dict()
    assert len(net.batchnorms) == 2
    # BN parameters are not weights of the L2 penalty: count = weights + biases + γ, β.
    assert n_params(net) == (20 * 8 + 8) + (8 * 6 + 6) + (6 * 3 + 3) + 2 * (8 + 6)
    net.eval()
    x = tg.randn(5, 20)
    np.testing.assert_array_equal(net(x).data, net(x).data)  # no dropout in eval


@pytest.mark.parametrize("name,scale", [("he", 2.0), ("relu", 2.0), ("He", 2.0),
                                        ("xavier", 1.0), ("sigmoid", 1.0), ("Xavier", 1.0)])
def test_curriculum_init_std(name, scale):
    tg.manual_seed(1)
    net = MultiLayerNet(400, [300, 200], 10, weight_init_std=name)
    for lin in net.linears:
        fan_in = lin.weight.shape[1]
        assert lin.weight.data.std() == pytest.approx(np.sqrt(scale / fan_in), rel=0.05)
        assert np.all(lin.bias.data == 0)


def test_number_init_std_and_zero_init_symmetry():
    tg.manual_seed(2)
    net = MultiLayerNet(300, [200], 10, weight_init_std=0.01)
    assert net.affine1.weight.data.std() == pytest.approx(0.01, rel=0.05)
    # The course's quiz: with all weights equal, every hidden unit gets the same update.
    net = MultiLayerNet(6, [5], 3, weight_init_std=0, activation="sigmoid")
    assert np.all(net.affine1.weight.data == 0)
    x, t = _batch(8, 6, 3)
    net.loss(x, t).backward()
    g = net.affine1.weight.grad.data
    np.testing.assert_allclose(g, np.broadcast_to(g[:1], g.shape), atol=1e-7)
    g2 = net.affine2.weight.grad.data
    np.testing.assert_allclose(g2, np.broadcast_to(g2[:, :1], g2.shape), atol=1e-7)


def test_penalty_is_half_lambda_sum_of_squared_weights_only():
    tg.manual_seed(3)
    lam = 0.3
    net = MultiLayerNet(7, [5, 4], 3, weight_decay_lambda=lam, use_batchnorm=True)
    with tg.no_grad():
        for p in net.parameters():
            p.data[...] = np.random.default_rng(0).normal(size=p.shape)
    expected = 0.5 * lam * sum((lin.weight.data.astype(np.float64) ** 2).sum()
                               for lin in net.linears)
    pen = net.penalty()
    assert pen.shape == () and pen.item() == pytest.approx(expected, rel=1e-5)
    assert net.regularization_loss().item() == pytest.approx(expected, rel=1e-5)
    pen.backward()
    for lin in net.linears:   # d(½λ‖W‖²)/dW = λW, the course's grad += λW
        np.testing.assert_allclose(lin.weight.grad.data, lam * lin.weight.data, rtol=1e-5)
        assert lin.bias.grad is None
    assert net.batchnorm1.weight.grad is None


def test_loss_adds_penalty_and_accepts_one_hot():
    tg.manual_seed(4)
    x, t = _batch(10, 6, 3)
    net = MultiLayerNet(6, [5], 3, weight_decay_lambda=0.1)
    data_loss = F.cross_entropy(net(x), t).item()
    assert net.loss(x, t).item() == pytest.approx(data_loss + net.penalty().item(), rel=1e-5)
    onehot = np.eye(3, dtype=np.float32)[t.data]
    assert net.loss(x.data, onehot).item() == pytest.approx(net.loss(x, t).item(), rel=1e-5)
    assert MultiLayerNet(6, [5], 3).penalty().item() == 0.0


def test_accuracy_counts_the_last_partial_batch_and_restores_mode():
    tg.manual_seed(5)
    net = MultiLayerNet(6, [5], 3, use_dropout=True)
    x, _ = _batch(7, 6, 3)
    with tg.no_grad():
        net.eval()
        pred = net(x).data.argmax(1)
        net.train()
    acc = net.accuracy(x.data, pred, batch_size=3)
    assert acc == 1.0 and net.training
    assert net.accuracy(x, np.eye(3)[(pred + 1) % 3]) == 0.0


def test_activations_for_histograms():
    net = MultiLayerNet(20, [8, 6, 4], 3, activation="sigmoid", use_dropout=True)
    acts = net.activations(tg.randn(5, 20))
    assert [a.shape for a in acts] == [(5, 8), (5, 6), (5, 4)]
    assert all(((a.data > 0) & (a.data < 1)).all() for a in acts)


@pytest.mark.parametrize("kwargs", [dict(), dict(use_batchnorm=True, activation="tanh"),
                                    dict(use_dropout=True, dropout_ratio=0.1,
                                         weight_init_std="xavier", activation="sigmoid"),
                                    dict(weight_decay_lambda=0.01)])
def test_a_few_sgd_steps_lower_the_loss(kwargs):
    tg.manual_seed(6)
    x, t = _batch(32, 20, 4)
    net = MultiLayerNet(20, [16, 16], 4, **kwargs)
    if kwargs.get("use_dropout"):
        tg.manual_seed(7)
    losses = sgd_losses(net, lambda: net.loss(x, t), steps=8, lr=0.1)
    assert losses[-1] < losses[0]


def test_penalty_makes_weights_shrink():
    tg.manual_seed(8)
    x, t = _batch(16, 10, 3)
    norms = []
    for lam in (0.0, 1.0):
        tg.manual_seed(9)
        net = MultiLayerNet(10, [10], 3, weight_decay_lambda=lam)
        sgd_losses(net, lambda net=net: net.loss(x, t), steps=10, lr=0.1)
        norms.append(sum(float((lin.weight.data ** 2).sum()) for lin in net.linears))
    assert norms[1] < norms[0]


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(activation="softplus"), ValueError, "activation"),
    (dict(weight_init_std="lecun"), ValueError, "weight_init_std"),
    (dict(weight_init_std=-1.0), ValueError, "non-negative"),
    (dict(weight_decay_lambda=-0.1), ValueError, "weight_decay_lambda"),
    (dict(dropout_ratio=1.0), ValueError, "dropout_ratio"),
    (dict(hidden_size_list=100), TypeError, r"\[100\]"),
    (dict(hidden_size_list=[10, 0]), ValueError, "positive"),
])
def test_bad_arguments(kwargs, exc, match):
    args = dict(input_size=4, hidden_size_list=[3], output_size=2)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        MultiLayerNet(**args)


def test_state_dict_round_trip():
    tg.manual_seed(10)
    a = MultiLayerNet(6, [5], 3, use_batchnorm=True)
    b = MultiLayerNet(6, [5], 3, use_batchnorm=True)
    b.load_state_dict(a.state_dict())
    a.eval(), b.eval()
    x = tg.randn(4, 6)
    np.testing.assert_array_equal(a(x).data, b(x).data)


def test_matches_torch_with_copied_weights():
    torch = pytest.importorskip("torch")
    tg.manual_seed(11)
    net = MultiLayerNet(6, [5, 4], 3, activation="tanh", use_batchnorm=True).eval()
    ref = torch.nn.Sequential()
    for i, (a, b) in enumerate([(6, 5), (5, 4)], start=1):
        ref.add_module(f"affine{i}", torch.nn.Linear(a, b))
        ref.add_module(f"batchnorm{i}", torch.nn.BatchNorm1d(b))
        ref.add_module(f"activation{i}", torch.nn.Tanh())
    ref.add_module("affine3", torch.nn.Linear(4, 3))
    from models_helpers import copy_into_torch
    copy_into_torch(net, ref).eval()
    x = np.random.default_rng(0).normal(size=(4, 6)).astype(np.float32)
    np.testing.assert_allclose(net(tg.Tensor(x)).data,
                               ref(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


@settings(max_examples=10)
@given(input_size=st.integers(1, 12), hidden=st.lists(st.integers(1, 9), max_size=4),
       output_size=st.integers(1, 6), batchnorm=st.booleans(), dropout=st.booleans(),
       activation=st.sampled_from(["relu", "sigmoid", "tanh"]), n=st.integers(2, 5))
def test_any_configuration_has_the_closed_form_count_and_shape(
        input_size, hidden, output_size, batchnorm, dropout, activation, n):
    net = MultiLayerNet(input_size, hidden, output_size, activation=activation,
                        use_batchnorm=batchnorm, use_dropout=dropout)
    sizes = [input_size, *hidden, output_size]
    expected = sum(a * b + b for a, b in zip(sizes, sizes[1:], strict=False))
    expected += 2 * sum(hidden) if batchnorm else 0
    assert n_params(net) == expected
    assert len(net.linears) == len(hidden) + 1
    assert len(list(net.children())) == 2 * len(hidden) + 1 + len(hidden) * (batchnorm + dropout)
    assert net(tg.randn(n, input_size)).shape == (n, output_size)
    assert len(net.activations(tg.randn(n, input_size))) == len(hidden)
