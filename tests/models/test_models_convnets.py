"""SimpleConvNet and DeepConvNet: the course's MNIST CNNs."""
import numpy as np
import pytest

import tinygrad_jp as tg
from tinygrad_jp import nn
from tinygrad_jp.models import DeepConvNet, SimpleConvNet

from models_helpers import conv_params, copy_into_torch, linear_params, n_params, sgd_losses


def _images(n, c=1, h=28, w=28, classes=10, seed=0):
    rng = np.random.default_rng(seed)
    return (tg.Tensor(rng.random((n, c, h, w), dtype=np.float32)),
            tg.Tensor(rng.integers(0, classes, n)))


def test_simple_convnet_shapes_and_count():
    tg.manual_seed(0)
    net = SimpleConvNet()
    x, _ = _images(2)
    assert net(x).shape == (2, 10)
    assert n_params(net) == conv_params(1, 30, 5) + linear_params(30 * 12 * 12, 100) + \
        linear_params(100, 10) == 433_890
    assert [n for n, _ in net.named_children()] == \
        ["conv1", "relu1", "pool1", "flatten", "affine1", "relu2", "affine2"]
    for layer in (net.conv1, net.affine1, net.affine2):   # the course's 0.01 * randn
        assert layer.weight.data.std() == pytest.approx(0.01, rel=0.1)
        assert np.all(layer.bias.data == 0)


def test_simple_convnet_conv_param_and_input_dim():
    net = SimpleConvNet(input_dim=(3, 32, 30),
                        conv_param={"filter_num": 8, "filter_size": 3, "pad": 1, "stride": 1},
                        hidden_size=20, output_size=5, weight_init_std="he")
    x, _ = _images(2, 3, 32, 30)
    assert net(x).shape == (2, 5)
    assert net.affine1.weight.shape == (20, 8 * 16 * 15)
    assert net.conv1.weight.data.std() == pytest.approx(np.sqrt(2 / 27), rel=0.3)
    with pytest.raises(RuntimeError, match=r"SimpleConvNet.*\(N, 3, 32, 30\).*\(2, 1, 28, 28\)"):
        net(_images(2)[0])
    with pytest.raises(RuntimeError, match=r"reshape\(-1, 1, 28, 28\)"):
        SimpleConvNet()(tg.randn(2, 28, 28))
    with pytest.raises(ValueError, match="conv_param"):
        SimpleConvNet(conv_param={"filters": 3})


def test_deep_convnet_shapes_count_and_he_init():
    tg.manual_seed(1)
    net = DeepConvNet()
    x, _ = _images(2)
    net.eval()
    assert net(x).shape == (2, 10)
    ch = [1, 16, 16, 32, 32, 64, 64]
    expected = sum(conv_params(a, b, 3) for a, b in zip(ch, ch[1:], strict=False)) + \
        linear_params(64 * 4 * 4, 50) + linear_params(50, 10)
    assert n_params(net) == expected == 123_552
    assert [c.padding for c in net.convs] in ([(1, 1)] * 3 + [(2, 2)] + [(1, 1)] * 2,
                                               [1, 1, 1, 2, 1, 1])
    assert net.affine1.weight.shape == (50, 1024)
    for conv, fan_in in zip(net.convs, [9, 144, 144, 288, 288, 576], strict=True):
        assert conv.weight.data.std() == pytest.approx(np.sqrt(2 / fan_in), rel=0.25)
    assert net.affine1.weight.data.std() == pytest.approx(np.sqrt(2 / 1024), rel=0.05)
    names = [type(m).__name__ for m in net.children()]
    assert names.count("MaxPool2d") == 3 and names.count("Dropout") == 2
    assert names[-5:] == ["Linear", "ReLU", "Dropout", "Linear", "Dropout"]


def test_deep_convnet_dropout_only_in_training():
    tg.manual_seed(2)
    net = DeepConvNet()
    x, _ = _images(3)
    with tg.no_grad():
        net.eval()
        a, b = net(x).data, net(x).data
        np.testing.assert_array_equal(a, b)
        net.train()
        c = net(x).data
    assert (c == 0).sum() > 0   # the last dropout zeroes logits in training mode


def test_simple_convnet_sgd_steps_lower_the_loss():
    tg.manual_seed(3)
    x, t = _images(8)
    net = SimpleConvNet(conv_param={"filter_num": 6, "filter_size": 5, "pad": 0, "stride": 1},
                        hidden_size=20, weight_init_std="he")
    losses = sgd_losses(net, lambda: net.loss(x, t), steps=6, lr=0.05)
    assert losses[-1] < losses[0]


def test_deep_convnet_sgd_steps_lower_the_loss():
    tg.manual_seed(4)
    x, t = _images(6)
    net = DeepConvNet(dropout_ratio=0.0)
    losses = sgd_losses(net, lambda: net.loss(x, t), steps=5, lr=0.02)
    assert losses[-1] < losses[0]
    assert net.accuracy(x, t) >= 0.0


def test_curriculum_methods_take_numpy_and_one_hot():
    tg.manual_seed(5)
    x, t = _images(4)
    net = SimpleConvNet()
    onehot = np.eye(10, dtype=np.float32)[t.data]
    assert net.loss(x.data, onehot).item() == pytest.approx(net.loss(x, t).item(), rel=1e-5)
    assert net.predict(x.data).shape == (4, 10)
    pred = net.predict(x).data.argmax(1)
    assert net.accuracy(x.data, pred, batch_size=3) == 1.0


def test_matches_torch_with_copied_weights():
    torch = pytest.importorskip("torch")
    tg.manual_seed(6)
    net = DeepConvNet().eval()
    tn = torch.nn
    ref = tn.Sequential()
    ch = [1, 16, 16, 32, 32, 64, 64]
    for i in range(1, 7):
        ref.add_module(f"conv{i}", tn.Conv2d(ch[i - 1], ch[i], 3, padding=2 if i == 4 else 1))
        ref.add_module(f"relu{i}", tn.ReLU())
        if i % 2 == 0:
            ref.add_module(f"pool{i // 2}", tn.MaxPool2d(2))
    for name, m in [("flatten", tn.Flatten()), ("affine1", tn.Linear(1024, 50)),
                    ("relu7", tn.ReLU()), ("dropout1", tn.Dropout()),
                    ("affine2", tn.Linear(50, 10)), ("dropout2", tn.Dropout())]:
        ref.add_module(name, m)
    copy_into_torch(net, ref).eval()
    x, _ = _images(2)
    np.testing.assert_allclose(net(x).data, ref(torch.from_numpy(x.data)).detach().numpy(),
                               rtol=1e-4, atol=1e-5)
    assert isinstance(net.pool1, nn.MaxPool2d)
