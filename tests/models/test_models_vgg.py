"""VGG16: torchvision's layout, any input size, and the seed-004 fine-tuning figures."""

import numpy as np
import pytest

import tinygrad_jp as tg
from tinygrad_jp import nn
from tinygrad_jp.models import VGG16, vgg16, vgg16_bn

from models_helpers import n_params, sgd_losses, state_shapes, torch_state_shapes

CONV_BASE = 14_714_688          # seed 004: Keras VGG16(include_top=False) on 3 channels
LAST_BLOCK = 3 * (512 * 512 * 9 + 512)   # block 5: 7,079,424


def test_conv_base_count_and_frozen_blocks_through_summary():
    base = VGG16(include_top=False, input_size=32)
    assert LAST_BLOCK == 7_079_424
    s = nn.summary(base, (1, 3, 32, 32))
    assert s.total_params == CONV_BASE and s.trainable_params == CONV_BASE
    base.freeze_features(except_last_blocks=1)
    s = nn.summary(base, (1, 3, 32, 32))
    assert (s.total_params, s.trainable_params, s.non_trainable_params) == \
        (CONV_BASE, LAST_BLOCK, CONV_BASE - LAST_BLOCK)
    base.freeze_features(except_last_blocks=0)
    assert n_params(base, trainable_only=True) == 0
    base.freeze_features(except_last_blocks=5)
    assert n_params(base, trainable_only=True) == CONV_BASE


def test_seed_004_fine_tuned_model():
    # VGG16 conv base on 128×128×3 → Flatten (512·4·4 = 8192) → Dropout → Linear(8192 → 2).
    model = VGG16(num_classes=2, input_size=128, classifier_hidden=None)
    assert model.classifier[-1].weight.shape == (2, 8192)
    model.features.requires_grad_(False)        # first the whole base frozen
    s = nn.summary(model, (1, 3, 128, 128))
    assert (s.total_params, s.trainable_params, s.non_trainable_params) == \
        (14_731_074, 16_386, CONV_BASE)
    model.freeze_features(except_last_blocks=1)  # then block 5 unfrozen
    s = nn.summary(model, (1, 3, 128, 128))
    # The seed prints "Non-trainable params: 7,635,284", a typo: 14,731,074 − 7,095,810
    # (and 14,714,688 − 7,079,424) is 7,635,264.
    assert (s.total_params, s.trainable_params, s.non_trainable_params) == \
        (14_731_074, 7_095_810, 7_635_264)


def test_same_model_as_a_sequential_head_on_the_base():
    base = VGG16(include_top=False, input_size=128)
    model = nn.Sequential(base, nn.Flatten(), nn.Dropout(0.5), nn.Linear(8192, 2))
    assert n_params(model) == 14_731_074
    base.freeze_features(except_last_blocks=1)
    assert n_params(model, trainable_only=True) == 7_095_810


def test_full_vgg16_count_keys_and_blocks():
    # Building the 138M-parameter model takes seconds and ~1.5 GB; check its parts instead:
    # the 224×224 classifier input is 512·7·7 = 25088, and conv base + classifier add up.
    model = vgg16(classifier_hidden=8)
    assert model.classifier[0].weight.shape == (8, 25088)
    assert n_params(model.features) == CONV_BASE
    assert CONV_BASE + (25088 * 4096 + 4096) + (4096 * 4096 + 4096) + (4096 * 1000 + 1000) \
        == 138_357_544                                   # torchvision.models.vgg16()
    keys = [k for k in model.state_dict() if k.endswith("weight")]
    assert keys[:2] == ["features.0.weight", "features.2.weight"]
    assert keys[-3:] == ["classifier.0.weight", "classifier.3.weight", "classifier.6.weight"]
    assert [len(b) for b in model.blocks] == [5, 5, 7, 7, 7]
    assert all(isinstance(b[-1], nn.MaxPool2d) for b in model.blocks)
    torch = pytest.importorskip("torch")
    tn = torch.nn
    cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
           512, 512, 512, "M"]
    layers, c = [], 3
    for v in cfg:
        if v == "M":
            layers.append(tn.MaxPool2d(2))
        else:
            layers += [tn.Conv2d(c, v, 3, padding=1), tn.BatchNorm2d(v), tn.ReLU()]
            c = v
    ref = tn.Module()
    ref.features = tn.Sequential(*layers)
    ref.classifier = tn.Sequential(tn.Linear(512, 8), tn.ReLU(), tn.Dropout(),
                                   tn.Linear(8, 8), tn.ReLU(), tn.Dropout(), tn.Linear(8, 3))
    bn = vgg16_bn(num_classes=3, input_size=32, classifier_hidden=8)
    assert state_shapes(bn) == torch_state_shapes(ref)   # torchvision's vgg16_bn keys


def test_forward_shapes_any_input_size():
    tg.manual_seed(0)
    base = VGG16(include_top=False, input_size=(64, 32))
    with tg.no_grad():
        assert base(tg.randn(1, 3, 64, 32)).shape == (1, 512, 2, 1)
        model = VGG16(num_classes=5, in_channels=1, input_size=32, classifier_hidden=16).eval()
        assert model(tg.randn(2, 1, 32, 32)).shape == (2, 5)
    with pytest.raises(RuntimeError, match=r"VGG16\(in_channels=1\).*\(N, 1, H, W\)"):
        model(tg.randn(2, 3, 32, 32))
    with pytest.raises(ValueError, match="too small"):
        VGG16(input_size=16)
    with pytest.raises(ValueError, match="except_last_blocks"):
        model.freeze_features(except_last_blocks=6)


def test_fine_tuning_trains_block5_and_head_only():
    tg.manual_seed(1)
    model = VGG16(num_classes=2, input_size=32, classifier_hidden=None, dropout=0.0)
    model.freeze_features(except_last_blocks=1)
    rng = np.random.default_rng(0)
    x = tg.Tensor(rng.random((4, 3, 32, 32), dtype=np.float32))
    t = tg.Tensor(np.array([0, 1, 0, 1]))
    first_conv = model.features[0].weight.data.copy()
    losses = sgd_losses(model, lambda: model.loss(x, t), steps=4, lr=0.01)
    assert losses[-1] < losses[0]
    assert model.features[0].weight.grad is None            # frozen: no gradient at all
    np.testing.assert_array_equal(model.features[0].weight.data, first_conv)
    assert model.features[-3].weight.grad is not None       # block 5 trains
