"""End to end: the curriculum's MultiLayerNet on the embedded Fashion-MNIST sample."""
import pytest

import tinygrad_jp as tg
from tinygrad_jp import nn, optim
from tinygrad_jp.data import DataLoader, TensorDataset, load_sample
from tinygrad_jp.train import GradientNormRecorder, evaluate, fit

models = pytest.importorskip("tinygrad_jp.models")


def test_multilayernet_learns_fashion_mnist_sample_in_one_epoch():
    (x, t), (x_test, t_test) = load_sample()
    tg.manual_seed(0)
    net = models.MultiLayerNet(784, [100, 100], 10, activation="relu", weight_init_std="he")
    train = DataLoader(TensorDataset(x[:2000], t[:2000]), batch_size=50, shuffle=True)
    test = DataLoader(TensorDataset(x_test[:1000], t_test[:1000]), batch_size=500)
    chance = evaluate(net, test)["acc"]
    grads = GradientNormRecorder(net, weights_only=True)
    h = fit(net, nn.CrossEntropyLoss(), optim.Adam(net.parameters(), lr=1e-3), train, test,
            epochs=1, callbacks=[grads], progress=False, seed=0)
    assert chance < 0.3
    assert h["val_acc"][0] > 0.6
    assert h["iter_loss"][-1] < h["iter_loss"][0]
    assert list(grads.norms) == ["affine1", "affine2", "affine3"]
    assert all(len(v) == 40 for v in grads.norms.values())
