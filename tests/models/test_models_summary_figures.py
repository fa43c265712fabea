"""The model-level figures of the curriculum, read through ``nn.summary``."""
import tinygrad_jp as tg
from tinygrad_jp import nn
from tinygrad_jp.models import DCGANGenerator, LeNet, SimpleConvNet, resnet20


def _shapes(summary):
    return {r.name: tuple(r.output_shape[1:]) for r in summary.rows}


def test_lenet_shapes_in_the_summary():
    # seed 001: (32,32,3) → (28,28,6) → (14,14,6) → (10,10,16) → (5,5,16) → 120 → 84 → 10
    s = nn.summary(LeNet(), (1, 3, 32, 32))
    got = _shapes(s)
    assert [got[k] for k in ("conv1", "pool1", "conv2", "pool2", "fc1", "fc2", "fc3")] == \
        [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5), (120,), (84,), (10,)]
    assert s.total_params == s.trainable_params == 62_006
    assert "62,006" in str(s)


def test_seed_004_three_conv_net():
    # Conv(3→32,3)+pool, Conv(32→64,3)+pool, Conv(64→128,3)+pool, Flatten,
    # Linear(25088→128), Linear(128→128), Linear(128→2) on 128×128×3: 3,321,410 parameters.
    model = nn.Sequential(
        nn.Conv2d(3, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(25088, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(),
        nn.Linear(128, 2))
    s = nn.summary(model, (1, 3, 128, 128))
    assert s.total_params == 3_321_410
    got = _shapes(s)
    assert got["0"] == (32, 126, 126) and got["9"] == (25088,)


def test_simple_convnet_and_resnet20_in_the_summary():
    s = nn.summary(SimpleConvNet(), (1, 1, 28, 28))
    assert s.total_params == 433_890
    assert _shapes(s)["pool1"] == (30, 12, 12) and _shapes(s)["flatten"] == (4320,)
    s = nn.summary(resnet20(), (1, 3, 32, 32))
    assert s.total_params == 269_722
    got = _shapes(s)
    assert got["layer1.2.conv2"] == (16, 32, 32)
    assert got["layer2.0.conv1"] == (32, 16, 16) and got["layer3.2.bn2"] == (64, 8, 8)


def test_generator_summary_with_labels():
    g = DCGANGenerator(num_classes=10)
    s = nn.summary(g, input_data=[tg.randn(2, 100), tg.Tensor([3, 7])])
    assert s.total_params == 759_681 + 10 * 128 * 49
    assert _shapes(s)["main.6"] == (1, 28, 28)
