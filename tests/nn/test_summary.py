"""nn.summary: shapes and parameter counts (the seed-004 network's published figures),
trainable vs frozen, folding by depth, and no side effects on the model."""
import numpy as np
import pytest

import tinygrad_jp as tg
from tinygrad_jp import nn


def seed004_net():
    """The seed-004 Keras model, PyTorch-style (channels first)."""
    return nn.Sequential(
        nn.Conv2d(3, 32, 3), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.MaxPool2d(2),
        nn.Conv2d(64, 128, 3), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(25088, 128), nn.Linear(128, 128), nn.Linear(128, 2))


@pytest.fixture(scope="module")
def seed004_summary():
    return seed004_net(), nn.summary(seed004_net(), (1, 3, 128, 128))


def test_seed004_figures(seed004_summary):
    _, s = seed004_summary
    assert s.total_params == 3_321_410
    assert s.trainable_params == 3_321_410 and s.non_trainable_params == 0
    assert [r.output_shape for r in s.rows] == [
        (1, 32, 126, 126), (1, 32, 63, 63), (1, 64, 61, 61), (1, 64, 30, 30),
        (1, 128, 28, 28), (1, 128, 14, 14), (1, 25088), (1, 128), (1, 128), (1, 2)]
    # Keras' per-layer figures from the seed: 896, 18496, 73856, 3211392, 16512, 258
    assert [r.num_params for r in s.rows] == [896, 0, 18496, 0, 73856, 0, 0, 3211392,
                                              16512, 258]
    assert [r.type for r in s.rows][:2] == ["Conv2d", "MaxPool2d"]
    assert s.rows[0].name == "0"


def test_printed_table_is_keras_style(seed004_summary):
    _, s = seed004_summary
    text = str(s)
    assert repr(s) == text
    lines = text.splitlines()
    assert lines[0] == 'Model: "Sequential"'
    assert "Layer (type)" in lines[2] and "Output Shape" in lines[2] and "Param #" in lines[2]
    assert set(lines[3]) == {"="}
    assert any(line.split()[:2] == ["7", "(Linear)"] and line.endswith("3,211,392")
               for line in lines)
    assert "0 (Conv2d)" in text and "(1, 32, 126, 126)" in text
    for expected in ("Total params: 3,321,410", "Trainable params: 3,321,410",
                     "Non-trainable params: 0", "Input size: (1, 3, 128, 128)"):
        assert expected in lines


def test_frozen_parameters_are_non_trainable():
    torch_free = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 36, 3))
    torch_free[0].requires_grad_(False)
    s = nn.summary(torch_free, (2, 1, 8, 8))
    assert s.total_params == 40 + 435
    assert s.trainable_params == 435 and s.non_trainable_params == 40
    assert s.rows[0].trainable_params == 0 and s.rows[-1].trainable_params == 435
    assert "Non-trainable params: 40" in str(s)


def test_summary_has_no_side_effects():
    model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.Dropout(0.5), nn.Linear(6, 2))
    model[1].eval()  # a mixed state must come back as it was
    before = {k: v.data.copy() for k, v in model.state_dict().items()}
    s = nn.summary(model, (1, 4))  # batch 1 would fail in training mode
    assert [r.output_shape for r in s.rows] == [(1, 6)] * 3 + [(1, 2)]
    assert model.training and model[0].training and not model[1].training
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.data, before[k])
    assert all(not m._forward_hooks for m in model.modules())
    assert all(p.grad is None for p in model.parameters())


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)
        self.bn = nn.BatchNorm2d(c)
        self.scale = nn.Parameter(tg.ones(1))  # a parameter owned directly by a container

    def forward(self, x):
        return (self.bn(self.conv(x)).relu() + x) * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.blocks = nn.Sequential(Block(8), Block(8))
        self.act = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        x = self.act(self.stem(x))
        x = self.act(self.blocks(x))  # the same ReLU twice
        return self.fc(self.pool(x).flatten(1))


def test_nested_rows_reuse_and_depth_folding():
    s = nn.summary(Net(), (2, 3, 16, 16))
    names = [r.name for r in s.rows]
    assert names == ["stem", "act", "blocks.0.conv", "blocks.0.bn", "blocks.0",
                     "blocks.1.conv", "blocks.1.bn", "blocks.1", "act", "pool", "fc"]
    assert s.rows[names.index("blocks.0")].num_params == 1  # only its own `scale`
    assert s.rows[8].reused and "(reused)" in str(s)
    assert sum(r.num_params for r in s.rows) == s.total_params
    folded = nn.summary(Net(), (2, 3, 16, 16), depth=1)
    assert [r.name for r in folded.rows] == ["stem", "act", "blocks", "act", "pool", "fc"]
    assert folded.rows[2].num_params == 2 * (8 * 8 * 9 + 8 + 16 + 1)
    assert folded.rows[2].output_shape == (2, 8, 16, 16)
    assert folded.total_params == s.total_params


def test_multiple_inputs_dtypes_and_input_data():
    class Two(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(3, 2)
            self.b = nn.Linear(5, 2)

        def forward(self, x, y):
            return self.a(x) + self.b(y), self.a(x)

    s = nn.summary(Two(), [(4, 3), (4, 5)])
    assert [r.output_shape for r in s.rows] == [(4, 2), (4, 2), (4, 2)]
    assert s.rows[2].reused
    d = nn.summary(nn.Linear(3, 2).double(), (1, 3))
    assert d.rows[0].output_shape == (1, 2) and d.params_bytes == 8 * 8
    leaf = nn.summary(nn.Linear(3, 2), input_data=tg.zeros(7, 3))
    assert leaf.rows[0].output_shape == (7, 2) and leaf.total_params == 8


def test_bad_arguments_and_forward_errors():
    with pytest.raises(ValueError, match="batch dimension"):
        nn.summary(nn.Linear(3, 2), (0, 3))
    with pytest.raises(TypeError, match="input_size"):
        nn.summary(nn.Linear(3, 2), 3)
    with pytest.raises(TypeError, match="nn.Module"):
        nn.summary(lambda x: x, (1, 3))
    with pytest.raises(RuntimeError, match="expected last dimension 3"):
        nn.summary(nn.Linear(3, 2), (1, 4))
