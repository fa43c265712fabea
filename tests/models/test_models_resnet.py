"""ResNet: torchvision's ResNet-18 and the CIFAR ResNet-20 (option A / B shortcuts)."""
import numpy as np
import pytest

import tinygrad_jp as tg
from tinygrad_jp import nn
from tinygrad_jp.models import BasicBlock, ResNet, ZeroPadShortcut, resnet18, resnet20

from models_helpers import conv_params, copy_into_torch, n_params, sgd_losses


def _cifar_resnet20_count(shortcut):
    bn = lambda c: 2 * c  # noqa: E731
    total = conv_params(3, 16, 3, bias=False) + bn(16)
    inp = 16
    for planes in (16, 32, 64):
        for b in range(3):
            total += conv_params(inp, planes, 3, False) + conv_params(planes, planes, 3, False)
            total += 2 * bn(planes)
            if b == 0 and inp != planes and shortcut == "B":
                total += conv_params(inp, planes, 1, False) + bn(planes)
            inp = planes
    return total + 64 * 10 + 10


def test_resnet18_count_keys_and_shape():
    tg.manual_seed(0)
    net = resnet18()
    assert n_params(net) == 11_689_512          # torchvision.models.resnet18()
    sd = net.state_dict()
    for key in ("conv1.weight", "bn1.running_mean", "bn1.num_batches_tracked",
                "layer1.0.conv1.weight", "layer2.0.downsample.0.weight",
                "layer2.0.downsample.1.running_var", "layer4.1.bn2.bias", "fc.weight"):
        assert key in sd
    assert "layer1.0.downsample.0.weight" not in sd
    assert len(sd) == 122                       # torchvision's resnet18 state_dict size
    net.eval()
    with tg.no_grad():
        assert net(tg.randn(1, 3, 64, 64)).shape == (1, 1000)
    small = resnet18(num_classes=10, in_channels=1)
    assert small.conv1.weight.shape == (64, 1, 7, 7) and small.fc.weight.shape == (10, 512)


def test_resnet20_counts_for_both_shortcuts():
    a, b = resnet20(), resnet20(shortcut="B")
    assert n_params(a) == _cifar_resnet20_count("A") == 269_722    # "0.27M" in the paper
    assert n_params(b) == _cifar_resnet20_count("B") == 269_722 + 2_752
    assert [len(s) for s in a.stages] == [3, 3, 3]
    assert isinstance(a.layer2[0].downsample, ZeroPadShortcut)
    assert isinstance(b.layer2[0].downsample, nn.Sequential)
    assert a.layer1[0].downsample is None
    with tg.no_grad():
        for net in (a.eval(), b.eval()):
            assert net(tg.randn(2, 3, 32, 32)).shape == (2, 10)


def test_zero_pad_shortcut_values_and_gradient():
    tg.manual_seed(1)
    sc = ZeroPadShortcut(2, 4, stride=2)
    x = tg.randn(1, 2, 4, 4, dtype=tg.float64, requires_grad=True)
    y = sc(x)
    assert y.shape == (1, 4, 2, 2)
    np.testing.assert_array_equal(y.data[:, 1:3], x.data[:, :, ::2, ::2])
    assert np.all(y.data[:, 0] == 0) and np.all(y.data[:, 3] == 0)
    assert tg.gradcheck(lambda t: sc(t), [x])


def test_basic_block_identity_and_projection():
    tg.manual_seed(2)
    block = BasicBlock(8, 8).eval()
    x = tg.randn(2, 8, 6, 6)
    assert block(x).shape == (2, 8, 6, 6) and block.downsample is None
    assert (block(x).data >= 0).all()
    down = nn.Sequential(nn.Conv2d(8, 16, 1, stride=2, bias=False), nn.BatchNorm2d(16))
    assert BasicBlock(8, 16, stride=2, downsample=down)(x).shape == (2, 16, 3, 3)


@pytest.mark.parametrize("shortcut", ["A", "B"])
def test_resnet20_sgd_steps_lower_the_loss(shortcut):
    tg.manual_seed(3)
    net = resnet20(num_classes=3, shortcut=shortcut)   # on 8×8 images to keep it quick
    rng = np.random.default_rng(0)
    x = tg.Tensor(rng.normal(size=(6, 3, 8, 8)).astype(np.float32))
    t = tg.Tensor(rng.integers(0, 3, 6))
    losses = sgd_losses(net, lambda: net.loss(x, t), steps=6, lr=0.05)
    assert losses[-1] < losses[0]


def test_bad_arguments():
    with pytest.raises(ValueError, match="shortcut"):
        resnet20(shortcut="C")
    with pytest.raises(ValueError, match="stem"):
        ResNet(stem="tiny")
    with pytest.raises(RuntimeError, match=r"ResNet\(in_channels=3\)"):
        resnet20()(tg.randn(2, 1, 32, 32))


def _torch_resnet(torch, layers, widths, stem, num_classes):
    """A torchvision-style ResNet (option B) written with torch.nn, for the oracle test."""
    tn = torch.nn

    class TBlock(tn.Module):
        def __init__(self, inp, planes, stride):
            super().__init__()
            self.conv1 = tn.Conv2d(inp, planes, 3, stride, 1, bias=False)
            self.bn1 = tn.BatchNorm2d(planes)
            self.relu = tn.ReLU()
            self.conv2 = tn.Conv2d(planes, planes, 3, 1, 1, bias=False)
            self.bn2 = tn.BatchNorm2d(planes)
            self.downsample = None
            if stride != 1 or inp != planes:
                self.downsample = tn.Sequential(tn.Conv2d(inp, planes, 1, stride, bias=False),
                                                tn.BatchNorm2d(planes))

        def forward(self, x):
            idt = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            return self.relu(self.bn2(self.conv2(out)) + idt)

    class TNet(tn.Module):
        def __init__(self):
            super().__init__()
            if stem == "imagenet":
                self.conv1 = tn.Conv2d(3, widths[0], 7, 2, 3, bias=False)
                self.maxpool = tn.MaxPool2d(3, 2, 1)
            else:
                self.conv1 = tn.Conv2d(3, widths[0], 3, 1, 1, bias=False)
                self.maxpool = tn.Identity()
            self.bn1 = tn.BatchNorm2d(widths[0])
            self.relu = tn.ReLU()
            inp = widths[0]
            for i, (n, w) in enumerate(zip(layers, widths, strict=True)):
                blocks = [TBlock(inp, w, 1 if i == 0 else 2)]
                blocks += [TBlock(w, w, 1) for _ in range(n - 1)]
                setattr(self, f"layer{i + 1}", tn.Sequential(*blocks))
                inp = w
            self.avgpool = tn.AdaptiveAvgPool2d(1)
            self.fc = tn.Linear(inp, num_classes)

        def forward(self, x):
            x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
            for i in range(len(layers)):
                x = getattr(self, f"layer{i + 1}")(x)
            return self.fc(torch.flatten(self.avgpool(x), 1))

    return TNet()


@pytest.mark.parametrize("stem", ["imagenet", "cifar"])
def test_matches_torch_with_copied_weights(stem):
    torch = pytest.importorskip("torch")
    tg.manual_seed(4)
    layers, widths = [2, 1], (8, 16)
    net = ResNet(BasicBlock, layers, num_classes=5, widths=widths, stem=stem, shortcut="B")
    # Train mode for a step so the running statistics are not the trivial 0 / 1.
    net(tg.randn(4, 3, 16, 16))
    net.eval()
    ref = copy_into_torch(net, _torch_resnet(torch, layers, widths, stem, 5)).eval()
    x = np.random.default_rng(0).normal(size=(2, 3, 16, 16)).astype(np.float32)
    with torch.no_grad():
        want = ref(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(net(tg.Tensor(x)).data, want, rtol=1e-4, atol=1e-5)
