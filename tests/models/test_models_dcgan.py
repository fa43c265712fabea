"""The DCGAN generator and discriminator of seed 003, plain and conditional."""
import numpy as np
import pytest

import tinygrad_jp as tg
from tinygrad_jp import nn
import tinygrad_jp.nn.functional as F
from tinygrad_jp.models import DCGANDiscriminator, DCGANGenerator

from models_helpers import conv_params, linear_params, n_params, sgd_losses


def test_generator_shape_range_and_count():
    tg.manual_seed(0)
    g = DCGANGenerator()
    z = tg.randn(4, 100)
    img = g(z)
    assert img.shape == (4, 1, 28, 28)
    assert np.all(np.abs(img.data) <= 1)
    ngf = 128
    expected = (linear_params(100, ngf * 49, bias=False) + 2 * ngf
                + conv_params(ngf, ngf // 2, 4, bias=False) + 2 * (ngf // 2)
                + conv_params(ngf // 2, 1, 4))
    assert n_params(g) == expected == 759_681
    assert g(z.reshape(4, 100, 1, 1)).shape == (4, 1, 28, 28)   # PyTorch-DCGAN noise
    bns = [m for m in g.modules() if isinstance(m, nn.BatchNorm2d)]
    assert len(bns) == 2                                        # BN in G (seed 003)


def test_generator_options():
    g = DCGANGenerator(nz=16, ngf=8, out_channels=3, image_size=32, output_activation="sigmoid")
    img = g(tg.randn(2, 16))
    assert img.shape == (2, 3, 32, 32) and ((img.data >= 0) & (img.data <= 1)).all()
    s = g.sample(5)
    assert s.shape == (5, 3, 32, 32) and not s.requires_grad and g.training
    with pytest.raises(RuntimeError, match=r"DCGANGenerator\(nz=16\).*\(2, 100\)"):
        g(tg.randn(2, 100))
    with pytest.raises(ValueError, match="multiple of 4"):
        DCGANGenerator(image_size=30)


def test_discriminator_shape_count_and_no_batchnorm():
    tg.manual_seed(1)
    d = DCGANDiscriminator()
    x = tg.randn(3, 1, 28, 28)
    assert d(x).shape == (3, 1)
    assert n_params(d) == conv_params(1, 64, 4) + conv_params(64, 128, 4) + \
        linear_params(128 * 7 * 7, 1) == 138_561
    kinds = [type(m).__name__ for m in d.modules()]
    assert "BatchNorm2d" not in kinds and kinds.count("Dropout") == 2
    assert kinds.count("LeakyReLU") == 2
    with pytest.raises(RuntimeError, match=r"\(N, 1, 28, 28\)"):
        d(tg.randn(3, 28, 28))


def test_conditional_pair():
    tg.manual_seed(2)
    g = DCGANGenerator(nz=10, ngf=8, num_classes=10).eval()
    d = DCGANDiscriminator(ndf=4, num_classes=10).eval()
    assert g.fc.weight.shape[1] == 20 and d.main[0].weight.shape[1] == 11
    z = tg.randn(3, 10)
    a = g(z, [1, 2, 3])
    b = g(z, np.array([4, 2, 3]))
    assert a.shape == (3, 1, 28, 28)
    assert not np.allclose(a.data[0], b.data[0]) and np.allclose(a.data[1:], b.data[1:])
    assert d(a, tg.Tensor(np.array([1, 2, 3]))).shape == (3, 1)
    with pytest.raises(TypeError, match="conditional"):
        g(z)
    with pytest.raises(ValueError, match=r"\[0, 10\)"):
        g(z, [0, 1, 10])
    with pytest.raises(RuntimeError, match="labels"):
        d(a, [1, 2])
    with pytest.raises(TypeError, match="not conditional"):
        DCGANGenerator(nz=10, ngf=8)(z, [1, 2, 3])


def test_adversarial_steps_lower_each_players_loss():
    tg.manual_seed(3)
    g = DCGANGenerator(nz=8, ngf=8)
    d = DCGANDiscriminator(ndf=4, dropout=0.0)
    rng = np.random.default_rng(0)
    real = tg.Tensor(rng.uniform(-1, 1, (4, 1, 28, 28)).astype(np.float32))
    z = tg.randn(4, 8)
    ones, zeros = tg.ones(4, 1), tg.zeros(4, 1)
    fake = g(z).detach()

    def d_loss():
        return (F.binary_cross_entropy_with_logits(d(real), ones * 0.9)   # label smoothing
                + F.binary_cross_entropy_with_logits(d(fake), zeros))

    losses = sgd_losses(d, d_loss, steps=4, lr=0.05)
    assert losses[-1] < losses[0]
    d.zero_grad()
    d.requires_grad_(False)                      # D frozen while G trains (seed 003)

    def g_loss():
        return F.binary_cross_entropy_with_logits(d(g(z)), ones)

    losses = sgd_losses(g, g_loss, steps=4, lr=0.05)
    assert losses[-1] < losses[0]
    assert all(p.grad is None for p in d.parameters())
