"""The activations, embedding, distance and loss functions added for PyTorch parity
(elu ... glu, one_hot, embedding, normalize, cosine_similarity, kl_div, smooth_l1_loss,
huber_loss) and their modules: gradients first and second order over drawn shapes,
PyTorch as oracle, stability, errors."""
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_jp as tg
import tinygrad_jp.nn.functional as F
from tinygrad_jp import nn
from tinygrad_jp.testing import check_gradient, shapes, tensors

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "core"))
from oracle_helpers import assert_matches_torch  # noqa: E402

ACTIVATIONS = {   # name: (our call, kinks to keep away from)
    "elu": (lambda x: F.elu(x, 0.7), [0.0]),
    "celu": (lambda x: F.celu(x, 1.5), [0.0]),
    "selu": (F.selu, [0.0]),
    "relu6": (F.relu6, [0.0, 6.0]),
    "hardtanh": (lambda x: F.hardtanh(x, -0.5, 1.0), [-0.5, 1.0]),
    "hardsigmoid": (F.hardsigmoid, [-3.0, 3.0]),
    "hardswish": (F.hardswish, [-3.0, 3.0]),
    "softplus": (lambda x: F.softplus(x, beta=2.0, threshold=4.0), [2.0]),
    "softsign": (F.softsign, [0.0]),
    "silu": (F.silu, []),
    "mish": (F.mish, []),
    "logsigmoid": (F.logsigmoid, []),
    "glu": (lambda x: F.glu(x.reshape(-1).repeat(2)), []),
}


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_gradients_first_and_second_order(name):
    fn, kinks = ACTIVATIONS[name]
    check_gradient(fn, tensors(shapes(max_dims=2), min_value=-7.0, max_value=7.0,
                               away_from=kinks, margin=0.05), second_order=True)


TORCH_ACTIVATIONS = {   # name: (torch call)
    "elu": lambda F_, x: F_.elu(x, 0.7), "celu": lambda F_, x: F_.celu(x, 1.5),
    "selu": lambda F_, x: F_.selu(x), "relu6": lambda F_, x: F_.relu6(x),
    "hardtanh": lambda F_, x: F_.hardtanh(x, -0.5, 1.0),
    "hardsigmoid": lambda F_, x: F_.hardsigmoid(x),
    "hardswish": lambda F_, x: F_.hardswish(x),
    "softplus": lambda F_, x: F_.softplus(x, beta=2.0, threshold=4.0),
    "softsign": lambda F_, x: F_.softsign(x), "silu": lambda F_, x: F_.silu(x),
    "mish": lambda F_, x: F_.mish(x), "logsigmoid": lambda F_, x: F_.logsigmoid(x),
    "glu": lambda F_, x: F_.glu(x, 1),
}


@pytest.mark.parametrize("name", TORCH_ACTIVATIONS)
def test_activation_matches_torch(name):
    torch = pytest.importorskip("torch")
    fn = TORCH_ACTIVATIONS[name]
    x = np.linspace(-8.3, 8.1, 24).reshape(4, 6)
    # PyTorch's hardsigmoid backward multiplies by a float32 1/6, even in float64
    rtol = 1e-7 if name.startswith("hard") else 1e-10
    assert_matches_torch(lambda t: fn(F, t), lambda t: fn(torch.nn.functional, t), x,
                         rtol=rtol)


@pytest.mark.parametrize("name", ["softplus", "logsigmoid", "mish", "silu", "elu", "selu"])
def test_activations_stay_finite_for_huge_inputs(name):
    x = tg.tensor([-1e4, -50.0, 0.0, 50.0, 1e4], requires_grad=True)
    y = getattr(F, name)(x)
    y.sum().backward()
    assert np.isfinite(y.numpy()).all() and np.isfinite(x.grad.numpy()).all()


MODULES = {   # module: (the function it applies)
    nn.ELU(0.5): lambda x: F.elu(x, 0.5), nn.CELU(2.0): lambda x: F.celu(x, 2.0),
    nn.SELU(): F.selu, nn.ReLU6(): F.relu6, nn.Hardtanh(-2.0, 2.0):
    lambda x: F.hardtanh(x, -2.0, 2.0), nn.Hardsigmoid(): F.hardsigmoid,
    nn.Hardswish(): F.hardswish, nn.Softplus(beta=2.0): lambda x: F.softplus(x, 2.0),
    nn.Softsign(): F.softsign, nn.SiLU(): F.silu, nn.Mish(): F.mish,
    nn.LogSigmoid(): F.logsigmoid, nn.GLU(dim=0): lambda x: F.glu(x, 0),
}


@pytest.mark.parametrize("module", MODULES, ids=lambda m: type(m).__name__)
def test_modules_apply_their_function(module):
    x = tg.randn(4, 3)
    np.testing.assert_array_equal(module(x).numpy(), MODULES[module](x).numpy())


def test_module_reprs_and_arguments_follow_torch():
    assert repr(nn.ELU(alpha=0.5)) == "ELU(alpha=0.5)"
    assert repr(nn.Hardtanh(-2.0, 2.0)) == "Hardtanh(min_val=-2.0, max_val=2.0)"
    assert repr(nn.SiLU()) == "SiLU()" and repr(nn.SiLU(inplace=True)) == \
        "SiLU(inplace=True)"
    with pytest.raises(TypeError, match="ELU: unexpected argument 'beta'"):
        nn.ELU(beta=1.0)
    with pytest.raises(TypeError, match="ReLU6 takes at most 1 arguments"):
        nn.ReLU6(1, 2)


def test_activation_errors():
    with pytest.raises(RuntimeError, match="glu: halving dimension must be even.*size 3"):
        F.glu(tg.randn(2, 3))
    with pytest.raises(TypeError, match="elu: input must be a floating point tensor"):
        F.elu(tg.tensor([1, 2]))
    with pytest.raises(ValueError, match="hardtanh: min_val"):
        F.hardtanh(tg.randn(2), 1.0, -1.0)


# ---------------------------------------------------------------------- one_hot, embedding
def test_one_hot_matches_torch():
    torch = pytest.importorskip("torch")
    idx = np.array([[0, 3], [2, 2]])
    for n in (-1, 6):
        ours = F.one_hot(tg.tensor(idx), n)
        theirs = torch.nn.functional.one_hot(torch.tensor(idx), n)
        assert ours.dtype == np.int64 and ours.tolist() == theirs.tolist()
    with pytest.raises(RuntimeError, match="one_hot: class values must be smaller than"):
        F.one_hot(tg.tensor([3]), 3)
    with pytest.raises(RuntimeError, match="one_hot: tensor must be an integer"):
        F.one_hot(tg.tensor([1.0]))


def test_embedding_matches_torch_with_padding_and_max_norm():
    torch = pytest.importorskip("torch")
    w = np.random.default_rng(5).standard_normal((6, 3)) * 2
    idx = np.array([[0, 2, 2], [5, 0, 1]])
    for kwargs in ({}, {"padding_idx": 2}, {"max_norm": 1.0}, {"padding_idx": -1}):
        ours_w = tg.tensor(w, requires_grad=True)
        theirs_w = torch.tensor(w, requires_grad=True)
        ours = F.embedding(tg.tensor(idx), ours_w, **kwargs)
        theirs = torch.nn.functional.embedding(torch.tensor(idx), theirs_w, **kwargs)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(),
                                   rtol=1e-12)
        g = np.random.default_rng(6).standard_normal(ours.shape)
        (ours * tg.tensor(g)).sum().backward()
        (theirs * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(ours_w.grad.numpy(), theirs_w.grad.numpy(), rtol=1e-12)


def test_embedding_gradients_and_module():
    idx = tg.tensor([[1, 1, 0]])
    check_gradient(lambda w: F.embedding(idx, w) ** 2, tensors(st_shape((3, 2))),
                   second_order=True)
    emb = nn.Embedding(5, 4, padding_idx=1)
    assert emb.weight.shape == (5, 4) and emb.weight.data[1].tolist() == [0.0] * 4
    assert emb(tg.tensor([[0, 1], [2, 3]])).shape == (2, 2, 4)
    assert repr(emb) == "Embedding(5, 4, padding_idx=1)"
    frozen = nn.Embedding.from_pretrained(tg.randn(3, 2))
    assert not frozen.weight.requires_grad
    assert nn.Embedding.from_pretrained(tg.randn(3, 2), freeze=False).weight.requires_grad
    with pytest.raises(IndexError, match="embedding: index 5 is out of range for a table"):
        emb(tg.tensor([5]))


def st_shape(shape):
    from hypothesis import strategies as st
    return st.just(shape)


# ---------------------------------------------------------------------- distance, losses
def test_normalize_and_cosine_similarity_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((1, 4))
    tF = torch.nn.functional
    assert_matches_torch(lambda x: F.normalize(x), lambda x: tF.normalize(x), a)
    assert_matches_torch(lambda x: F.normalize(x, p=1, dim=0),
                         lambda x: tF.normalize(x, p=1, dim=0), a)
    assert_matches_torch(lambda x, y: F.cosine_similarity(x, y),
                         lambda x, y: tF.cosine_similarity(x, y), a, b)
    assert_matches_torch(lambda x, y: nn.CosineSimilarity(dim=0)(x, y),
                         lambda x, y: torch.nn.CosineSimilarity(dim=0)(x, y), a, a * 2)
    zero = F.normalize(tg.zeros(2, 3))
    assert zero.tolist() == [[0.0] * 3] * 2


def test_distance_gradients():
    check_gradient(lambda x: F.normalize(x, dim=-1),
                   tensors(shapes(min_dims=1, max_dims=2), away_from=[0.0], margin=0.1),
                   second_order=True)
    check_gradient(lambda x, y: F.cosine_similarity(x, y, dim=-1),
                   tensors(st_shape((2, 3)), away_from=[0.0], margin=0.1),
                   tensors(st_shape((2, 3)), away_from=[0.0], margin=0.1),
                   second_order=True)


LOSSES = {   # name: (ours, theirs) given (F module, input, target)
    "kl_div mean": lambda f, x, t: f.kl_div(x.log_softmax(1), t.softmax(1)),
    "kl_div batchmean": lambda f, x, t: f.kl_div(x.log_softmax(1), t.softmax(1),
                                                 reduction="batchmean"),
    # d(t log t)/dt is −∞ at t = 0 (PyTorch gives NaN, we give 0): no gradient for t
    "kl_div none with zeros": lambda f, x, t: f.kl_div(x, (t > 0.3) * t.abs().detach(),
                                                       reduction="none"),
    "kl_div log_target": lambda f, x, t: f.kl_div(x, t, reduction="sum", log_target=True),
    "smooth_l1": lambda f, x, t: f.smooth_l1_loss(x, t, beta=0.7),
    "smooth_l1 beta 0": lambda f, x, t: f.smooth_l1_loss(x, t, beta=0.0, reduction="sum"),
    "huber": lambda f, x, t: f.huber_loss(x, t, delta=0.5),
    "huber none": lambda f, x, t: f.huber_loss(x, t, reduction="none", delta=2.0),
}


@pytest.mark.parametrize("name", LOSSES)
def test_losses_match_torch(name):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(8)
    x, t = rng.standard_normal((3, 5)), rng.standard_normal((3, 5))
    fn = LOSSES[name]
    assert_matches_torch(lambda a, b: fn(F, a, b),
                         lambda a, b: fn(torch.nn.functional, a, b), x, t)


@pytest.mark.parametrize("name", LOSSES)
def test_loss_gradients_first_and_second_order(name):
    fn = LOSSES[name]
    away = [-0.7, 0.0, 0.7] if "smooth" in name else [0.0]
    x = tensors(st_shape((2, 3)), away_from=[0.3], margin=0.05)
    t = tensors(st_shape((2, 3)), away_from=[0.3], margin=0.05)
    if "huber" in name or "smooth" in name:     # keep |x − t| off the joints
        check_gradient(lambda a: fn(F, a, tg.tensor(np.zeros((2, 3)))),
                       tensors(st_shape((2, 3)), away_from=away + [0.5, -0.5, 2.0, -2.0],
                               margin=0.05), second_order="beta 0" not in name)
    elif "zeros" in name:                         # the target is detached there
        target = tg.tensor(np.array([[0.0, 0.5, 0.9], [1.2, -0.4, 0.0]]))
        check_gradient(lambda a: fn(F, a, target), x, second_order=True)
    else:
        check_gradient(lambda a, b: fn(F, a, b), x, t, second_order=True)


def test_loss_modules():
    x, t = tg.randn(3, 4), tg.randn(3, 4)
    p = x.log_softmax(1)
    q = t.softmax(1)
    assert nn.KLDivLoss(reduction="batchmean")(p, q).item() == \
        F.kl_div(p, q, reduction="batchmean").item()
    assert nn.SmoothL1Loss(beta=0.5)(x, t).item() == F.smooth_l1_loss(x, t, beta=0.5).item()
    assert nn.HuberLoss(delta=2.0)(x, t).item() == F.huber_loss(x, t, delta=2.0).item()
    with pytest.raises(ValueError, match="smooth_l1_loss: beta must be non-negative"):
        F.smooth_l1_loss(x, t, beta=-1.0)
    with pytest.raises(RuntimeError, match="kl_div: input of shape \\(3, 4\\) and target"):
        F.kl_div(x, t[0])


def test_pad_with_negative_padding_crops_like_torch():
    torch = pytest.importorskip("torch")
    x = np.arange(2 * 5 * 6, dtype=np.float64).reshape(2, 5, 6)
    for pad in ((-1, 2), (-1, -2, 0, -1), (1, -3, -2, 1)):
        assert_matches_torch(lambda t, pad=pad: F.pad(t, pad, value=0.5),
                             lambda t, pad=pad: torch.nn.functional.pad(t, pad, value=0.5),
                             x)
