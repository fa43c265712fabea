"""LeNet-5 (the lecture's shapes) and AlexNet (torchvision's layout + a small variant)."""
import numpy as np
import pytest

import tinygrad_jp as tg
from tinygrad_jp import nn
from tinygrad_jp.models import AlexNet, LeNet, alexnet, alexnet_small

from models_helpers import (conv_params, copy_into_torch, linear_params, n_params,
                            sgd_losses, state_shapes, torch_state_shapes)


def _images(n, c, size, classes=10, seed=0):
    rng = np.random.default_rng(seed)
    return (tg.Tensor(rng.random((n, c, size, size), dtype=np.float32)),
            tg.Tensor(rng.integers(0, classes, n)))


def test_lenet_shapes_follow_the_lecture():
    # (32,32,3) → (28,28,6) → (14,14,6) → (10,10,16) → (5,5,16) → 120 → 84 → 10
    net = LeNet()
    x, _ = _images(2, 3, 32)
    shapes = []
    for name, m in net.named_children():
        x = m(x)
        shapes.append((name, tuple(x.shape[1:])))
    got = dict(shapes)
    assert got["conv1"] == (6, 28, 28) and got["pool1"] == (6, 14, 14)
    assert got["conv2"] == (16, 10, 10) and got["pool2"] == (16, 5, 5)
    assert got["flatten"] == (400,)
    assert (got["fc1"], got["fc2"], got["fc3"]) == ((120,), (84,), (10,))
    assert n_params(net) == conv_params(3, 6, 5) + conv_params(6, 16, 5) + \
        linear_params(400, 120) + linear_params(120, 84) + linear_params(84, 10) == 62_006


def test_lenet_mnist_variant_and_options():
    net = LeNet(in_channels=1, num_classes=10, padding=2, activation="tanh", pool="avg")
    x, t = _images(3, 1, 28)
    assert net(x).shape == (3, 10)
    assert n_params(net) == 61_706
    assert isinstance(net.pool1, nn.AvgPool2d) and isinstance(net.act1, nn.Tanh)
    with pytest.raises(RuntimeError, match=r"LeNet.*\(N, 1, 28, 28\).*\(3, 1, 32, 32\)"):
        net(_images(3, 1, 32)[0])
    with pytest.raises(ValueError, match="padding"):
        LeNet(padding=3)


def test_lenet_sgd_steps_lower_the_loss():
    tg.manual_seed(0)
    net = LeNet(in_channels=1, padding=2)
    x, t = _images(8, 1, 28)
    losses = sgd_losses(net, lambda: net.loss(x, t), steps=6, lr=0.05)
    assert losses[-1] < losses[0]


def test_alexnet_has_torchvisions_count_and_shape():
    tg.manual_seed(1)
    net = alexnet()
    assert n_params(net) == 61_100_840   # torchvision.models.alexnet()
    keys = list(net.state_dict())
    assert keys[0] == "features.0.weight" and keys[-1] == "classifier.6.bias"
    conv_idx = [k.split(".")[1] for k in keys if k.startswith("features") and k.endswith("weight")]
    assert conv_idx == ["0", "3", "6", "8", "10"]
    net.eval()
    with tg.no_grad():
        assert net(tg.randn(1, 3, 224, 224)).shape == (1, 1000)


def test_alexnet_keys_match_a_torch_build():
    torch = pytest.importorskip("torch")
    tn = torch.nn
    ref_features = tn.Sequential(
        tn.Conv2d(3, 64, 11, 4, 2), tn.ReLU(), tn.MaxPool2d(3, 2),
        tn.Conv2d(64, 192, 5, padding=2), tn.ReLU(), tn.MaxPool2d(3, 2),
        tn.Conv2d(192, 384, 3, padding=1), tn.ReLU(), tn.Conv2d(384, 256, 3, padding=1),
        tn.ReLU(), tn.Conv2d(256, 256, 3, padding=1), tn.ReLU(), tn.MaxPool2d(3, 2))
    ref = tn.Module()
    ref.features = ref_features
    ref.avgpool = tn.AdaptiveAvgPool2d(6)
    ref.classifier = tn.Sequential(tn.Dropout(), tn.Linear(9216, 64), tn.ReLU(), tn.Dropout(),
                                   tn.Linear(64, 64), tn.ReLU(), tn.Linear(64, 7))
    net = AlexNet(num_classes=7, hidden_size=64)
    assert state_shapes(net) == torch_state_shapes(ref)
    assert AlexNet(in_channels=1, hidden_size=8).features[0].weight.shape == (64, 1, 11, 11)


def test_alexnet_small_count_shape_and_training():
    tg.manual_seed(2)
    net = alexnet_small(in_channels=1, num_classes=10)
    expected = (conv_params(1, 64, 3) + conv_params(64, 192, 3) + conv_params(192, 384, 3)
                + conv_params(384, 256, 3) + conv_params(256, 256, 3)
                + linear_params(256, 512) + linear_params(512, 512) + linear_params(512, 10))
    assert n_params(net) == expected == 2_649_802
    x, t = _images(2, 1, 28)
    assert net(x).shape == (2, 10)
    small = AlexNet.small(in_channels=3, num_classes=4, dropout=0.0, hidden_size=32)
    x, t = _images(4, 3, 32, classes=4)
    assert small(x).shape == (4, 4)
    losses = sgd_losses(small, lambda: small.loss(x, t), steps=5, lr=0.05)
    assert losses[-1] < losses[0]


def test_alexnet_small_matches_torch_with_copied_weights():
    torch = pytest.importorskip("torch")
    tn = torch.nn
    tg.manual_seed(3)
    net = AlexNet.small(in_channels=3, num_classes=5, hidden_size=16).eval()
    ref = tn.Module()
    ref.features = tn.Sequential(
        tn.Conv2d(3, 64, 3, padding=1), tn.ReLU(), tn.MaxPool2d(2),
        tn.Conv2d(64, 192, 3, padding=1), tn.ReLU(), tn.MaxPool2d(2),
        tn.Conv2d(192, 384, 3, padding=1), tn.ReLU(), tn.Conv2d(384, 256, 3, padding=1),
        tn.ReLU(), tn.Conv2d(256, 256, 3, padding=1), tn.ReLU(), tn.MaxPool2d(2))
    ref.avgpool = tn.AdaptiveAvgPool2d(1)
    ref.classifier = tn.Sequential(tn.Dropout(), tn.Linear(256, 16), tn.ReLU(), tn.Dropout(),
                                   tn.Linear(16, 16), tn.ReLU(), tn.Linear(16, 5))
    ref.forward = lambda x: ref.classifier(torch.flatten(ref.avgpool(ref.features(x)), 1))
    copy_into_torch(net, ref).eval()
    x, _ = _images(2, 3, 32)
    with torch.no_grad():
        want = ref.forward(torch.from_numpy(x.data)).numpy()
    np.testing.assert_allclose(net(x).data, want, rtol=1e-4, atol=1e-5)


def test_alexnet_bad_input():
    with pytest.raises(ValueError, match="variant"):
        AlexNet(variant="tiny")
    with pytest.raises(RuntimeError, match=r"AlexNet.*\(N, C, H, W\)"):
        alexnet_small()(tg.randn(2, 28, 28))
