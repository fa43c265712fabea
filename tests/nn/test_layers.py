"""Layers: forward and gradients against PyTorch with copied weights, PyTorch's
constructor arguments and defaults, batch-norm statistics, and bad-input messages."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_jp as tg
from tinygrad_jp import nn

# (constructor arguments shared by both frameworks, input shapes, train mode)
CASES = [
    ("Linear", (5, 3), {}, [(4, 5)]),
    ("Linear", (5, 3), {"bias": False}, [(2, 7, 5)]),
    ("Conv2d", (3, 4, 3), {"stride": 2, "padding": 1}, [(2, 3, 9, 9)]),
    ("Conv2d", (3, 6, (3, 2)), {"padding": "same"}, [(2, 3, 7, 8)]),
    ("Conv2d", (2, 4, 3), {"padding": 1, "padding_mode": "reflect", "bias": False},
     [(2, 2, 6, 6)]),
    ("Conv2d", (2, 4, 3), {"dilation": 2, "padding": "valid"}, [(1, 2, 9, 9)]),
    ("ConvTranspose2d", (3, 4, 4), {"stride": 2, "padding": 1}, [(2, 3, 5, 5)]),
    ("ConvTranspose2d", (2, 4, 3), {"stride": 2, "output_padding": 1}, [(1, 2, 4, 3)]),
    ("MaxPool2d", (3, 2, 1), {}, [(2, 3, 9, 9)]),
    ("MaxPool2d", (2,), {"ceil_mode": True}, [(1, 2, 5, 7)]),
    ("AvgPool2d", (3, 2, 1), {}, [(2, 3, 9, 9)]),
    ("AvgPool2d", (3, 2, 1), {"count_include_pad": False}, [(1, 2, 8, 8)]),
    ("AdaptiveAvgPool2d", ((2, 3),), {}, [(2, 3, 9, 7)]),
    ("AdaptiveAvgPool2d", (1,), {}, [(2, 3, 5, 5)]),
    ("Flatten", (), {}, [(2, 3, 4, 5)]),
    ("Flatten", (0, 2), {}, [(2, 3, 4, 5)]),
    ("Unflatten", (1, (2, 3)), {}, [(4, 6)]),
    ("Upsample", (), {"scale_factor": 2}, [(2, 3, 4, 5)]),
    ("Upsample", (), {"size": (7, 9), "mode": "bilinear", "align_corners": False},
     [(1, 2, 4, 5)]),
    ("BatchNorm1d", (3,), {}, [(6, 3)]),
    ("BatchNorm1d", (3,), {"momentum": None}, [(6, 3, 4)]),
    ("BatchNorm2d", (3,), {}, [(4, 3, 5, 5)]),
    ("BatchNorm2d", (3,), {"affine": False, "track_running_stats": False}, [(4, 3, 2, 2)]),
    ("LayerNorm", (5,), {}, [(4, 3, 5)]),
    ("LayerNorm", ((3, 5),), {"elementwise_affine": False}, [(4, 3, 5)]),
    ("GroupNorm", (2, 4), {}, [(3, 4, 5, 5)]),
    ("InstanceNorm2d", (3,), {}, [(2, 3, 5, 5)]),
    ("InstanceNorm2d", (3,), {"affine": True}, [(2, 3, 5, 5)]),
    ("InstanceNorm2d", (3,), {"track_running_stats": True}, [(2, 3, 4, 4)]),
    ("LocalResponseNorm", (3,), {}, [(2, 6, 4, 4)]),
    ("Identity", (), {}, [(2, 3)]),
    ("ReLU", (), {}, [(4, 6)]),
    ("LeakyReLU", (0.2,), {}, [(4, 6)]),
    ("Sigmoid", (), {}, [(4, 6)]),
    ("Tanh", (), {}, [(4, 6)]),
    ("Softmax", (), {"dim": 1}, [(4, 6)]),
    ("LogSoftmax", (), {"dim": -1}, [(4, 6)]),
    ("GELU", (), {}, [(4, 6)]),
    ("GELU", (), {"approximate": "tanh"}, [(4, 6)]),
    ("MSELoss", (), {}, [(4, 6), (4, 6)]),
    ("MSELoss", (), {"reduction": "sum"}, [(4, 6), (4, 6)]),
    ("L1Loss", (), {"reduction": "none"}, [(4, 6), (4, 6)]),
    ("BCEWithLogitsLoss", (), {}, [(4, 6), (4, 6)]),
]


def _ids(case):
    name, args, kwargs, _ = case
    return name + "-" + "-".join(map(str, args)) + "-".join(f"{k}={v}" for k, v in
                                                             kwargs.items())


def _copy_weights(ours, theirs):
    ours.load_state_dict(theirs.state_dict())


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_layer_matches_pytorch_forward_and_backward(case):
    torch = pytest.importorskip("torch")
    name, args, kwargs, shapes = case
    rng = np.random.default_rng(0)
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    ours = getattr(nn, name)(*args, **kwargs).double()
    _copy_weights(ours, theirs)
    xs = [rng.standard_normal(s) for s in shapes]
    if name == "BCEWithLogitsLoss":
        xs[1] = (xs[1] > 0).astype(np.float64)
    tx = [torch.tensor(x, requires_grad=True) for x in xs]
    ox = [tg.tensor(x, requires_grad=True) for x in xs]
    for mode in (True, False):
        ours.train(mode)
        theirs.train(mode)
        y_t = theirs(*tx)
        y_o = ours(*ox)
        np.testing.assert_allclose(y_o.data, y_t.detach().numpy(), rtol=1e-7, atol=1e-9)
        g = rng.standard_normal(tuple(y_t.shape))
        y_t.backward(torch.tensor(g))
        y_o.backward(tg.tensor(g))
    for a, b in zip(ox, tx, strict=True):
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-6, atol=1e-9)
    pairs = zip(ours.named_parameters(), theirs.named_parameters(), strict=True)
    for (n, p), (n2, q) in pairs:
        assert n == n2
        np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=1e-6, atol=1e-9,
                                   err_msg=n)
    pairs = zip(ours.named_buffers(), theirs.named_buffers(), strict=True)
    for (n, b), (n2, c) in pairs:
        assert n == n2
        np.testing.assert_allclose(b.data, c.numpy(), rtol=1e-7, atol=1e-12, err_msg=n)


@settings(max_examples=15)
@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 4), st.integers(1, 3),
       st.integers(0, 2), st.integers(0, 2), st.booleans(), st.integers(0, 10 ** 6))
def test_conv_layers_match_pytorch_over_hyperparameters(cin, cout, k, stride, pad, extra,
                                                        transposed, seed):
    torch = pytest.importorskip("torch")
    size = k + extra + (0 if transposed else max(0, k - 2 * pad))
    pad = min(pad, k - 1) if transposed else pad
    name = "ConvTranspose2d" if transposed else "Conv2d"
    theirs = getattr(torch.nn, name)(cin, cout, k, stride, pad).double()
    ours = getattr(nn, name)(cin, cout, k, stride, pad).double()
    _copy_weights(ours, theirs)
    x = np.random.default_rng(seed).standard_normal((2, cin, size, size + 1))
    np.testing.assert_allclose(ours(tg.tensor(x)).data,
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-7, atol=1e-10)


def test_classification_losses_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 5))
    t = np.array([0, 4, 2, -100, 1, 3])
    w = rng.random(5) + 0.5
    for kwargs in ({}, {"label_smoothing": 0.2}, {"weight": w}, {"reduction": "sum"}):
        tk = {k: torch.tensor(v) if k == "weight" else v for k, v in kwargs.items()}
        ok = {k: tg.tensor(v) if k == "weight" else v for k, v in kwargs.items()}
        a = tg.tensor(x, requires_grad=True)
        b = torch.tensor(x, requires_grad=True)
        lo = nn.CrossEntropyLoss(**ok)(a, tg.tensor(t))
        lt = torch.nn.CrossEntropyLoss(**tk)(b, torch.tensor(t))
        lo.backward()
        lt.backward()
        np.testing.assert_allclose(lo.item(), lt.item(), rtol=1e-10)
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-8, atol=1e-12)
    probs = np.exp(x) / np.exp(x).sum(1, keepdims=True)  # soft targets
    np.testing.assert_allclose(
        nn.CrossEntropyLoss()(tg.tensor(x), tg.tensor(probs)).item(),
        torch.nn.CrossEntropyLoss()(torch.tensor(x), torch.tensor(probs)).item(), rtol=1e-10)
    logp = x - np.log(np.exp(x).sum(1, keepdims=True))
    np.testing.assert_allclose(nn.NLLLoss()(tg.tensor(logp), tg.tensor(t)).item(),
                               torch.nn.NLLLoss()(torch.tensor(logp), torch.tensor(t)).item(),
                               rtol=1e-10)
    p = 1 / (1 + np.exp(-x))
    y = (rng.random(x.shape) > 0.5).astype(np.float64)
    np.testing.assert_allclose(nn.BCELoss()(tg.tensor(p), tg.tensor(y)).item(),
                               torch.nn.BCELoss()(torch.tensor(p), torch.tensor(y)).item(),
                               rtol=1e-10)
    pw = rng.random(5) + 0.5
    np.testing.assert_allclose(
        nn.BCEWithLogitsLoss(pos_weight=tg.tensor(pw))(tg.tensor(x), tg.tensor(y)).item(),
        torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pw))(torch.tensor(x),
                                                               torch.tensor(y)).item(),
        rtol=1e-10)


def test_loss_weight_is_a_buffer_like_pytorch():
    torch = pytest.importorskip("torch")
    w = np.ones(3, dtype=np.float32)
    assert list(nn.CrossEntropyLoss(weight=tg.tensor(w)).state_dict()) == list(
        torch.nn.CrossEntropyLoss(weight=torch.tensor(w)).state_dict()) == ["weight"]
    assert list(nn.CrossEntropyLoss().state_dict()) == []
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")
    assert nn.MSELoss(size_average=False).reduction == "sum"
    assert nn.L1Loss(reduce=False).reduction == "none"


# ---------------------------------------------------------------------- batch norm
def test_batchnorm_running_stats_over_steps_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    for momentum in (0.1, None):
        ours, theirs = nn.BatchNorm2d(3, momentum=momentum), torch.nn.BatchNorm2d(
            3, momentum=momentum)
        batches = [rng.standard_normal((4, 3, 2, 2)).astype(np.float32) * (i + 1) + i
                   for i in range(3)]
        for x in batches:
            ours(tg.tensor(x))
            theirs(torch.tensor(x))
        assert ours.num_batches_tracked.item() == 3
        np.testing.assert_allclose(ours.running_mean.data, theirs.running_mean.numpy(),
                                   rtol=1e-5)
        np.testing.assert_allclose(ours.running_var.data, theirs.running_var.numpy(),
                                   rtol=1e-5)
        if momentum is None:  # cumulative average of the batch statistics
            np.testing.assert_allclose(ours.running_mean.data,
                                       np.mean([b.mean((0, 2, 3)) for b in batches], 0),
                                       rtol=1e-5)
        ours.eval()
        theirs.eval()
        x = rng.standard_normal((2, 3, 2, 2)).astype(np.float32)
        np.testing.assert_allclose(ours(tg.tensor(x)).data,
                                   theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5,
                                   atol=1e-6)
        assert ours.num_batches_tracked.item() == 3  # eval does not count


def test_batchnorm_eval_uses_running_stats_and_train_needs_a_batch():
    bn = nn.BatchNorm1d(2)
    bn.running_mean.data[...] = [1.0, -1.0]
    bn.running_var.data[...] = [4.0, 1.0]
    bn.eval()
    y = bn(tg.tensor([[3.0, 0.0]]))
    np.testing.assert_allclose(y.data, [[2.0 / np.sqrt(4 + 1e-5), 1 / np.sqrt(1 + 1e-5)]],
                               rtol=1e-6)
    bn.train()
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        bn(tg.tensor([[3.0, 0.0]]))


# ---------------------------------------------------------------------- dropout
def test_dropout_inverted_in_training_identity_in_eval():
    tg.manual_seed(0)
    d = nn.Dropout(0.25)
    x = tg.ones(200, 200)
    y = d(x).data
    kept = y != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)
    d.eval()
    assert d(x) is x or np.array_equal(d(x).data, x.data)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)
    d2 = nn.Dropout2d(0.5)
    y2 = d2(tg.ones(4, 16, 3, 3)).data
    assert set(np.unique(y2)) <= {0.0, 2.0}
    assert (y2.std(axis=(2, 3)) == 0).all()  # whole maps kept or dropped


def test_dropout_seeded_is_reproducible():
    tg.manual_seed(5)
    a = nn.Dropout()(tg.ones(50)).data
    tg.manual_seed(5)
    b = nn.Dropout()(tg.ones(50)).data
    np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------------- shapes / args
def test_convtranspose_output_size_and_curriculum_shapes():
    up = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)
    x = tg.zeros(1, 4, 7, 7)
    assert up(x).shape == (1, 2, 13, 13)
    assert up(x, output_size=(14, 14)).shape == (1, 2, 14, 14)
    with pytest.raises(ValueError, match="valid sizes"):
        up(x, output_size=(20, 20))
    # the curriculum's quiz: 6x6 input, 2x2 filter, stride 1, padding 1 → 7x7
    assert nn.Conv2d(1, 1, 2, padding=1)(tg.zeros(1, 1, 6, 6)).shape == (1, 1, 7, 7)


def test_layers_accept_dtype_and_reject_bad_arguments():
    assert nn.Linear(2, 3, dtype=tg.float64).weight.dtype == tg.float64
    assert nn.Conv2d(1, 2, 3, dtype=tg.float64).bias.dtype == tg.float64
    assert nn.BatchNorm2d(2, dtype=tg.float64).running_var.dtype == tg.float64
    assert nn.Conv2d(3, 8, 5).weight.shape == (8, 3, 5, 5)
    assert nn.ConvTranspose2d(3, 8, (2, 4)).weight.shape == (3, 8, 2, 4)
    assert nn.Linear(784, 100).weight.shape == (100, 784)
    assert nn.MaxPool2d(2).stride == 2
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="stride must be positive"):
        nn.Conv2d(3, 4, 3, stride=0)
    with pytest.raises(ValueError, match="divisible by num_groups"):
        nn.GroupNorm(3, 4)
    with pytest.raises(ValueError, match="in_features must be a positive"):
        nn.Linear(0, 3)
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(1, 1, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match="half of"):
        nn.MaxPool2d(2, padding=2)
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")
    with pytest.raises(RuntimeError, match="CPU only"):
        nn.Linear(2, 2, device="cuda")


def test_softmax_without_dim_uses_pytorchs_legacy_choice():
    x = tg.randn(3, 4)
    np.testing.assert_allclose(nn.Softmax()(x).data.sum(1), np.ones(3), rtol=1e-6)


# ---------------------------------------------------------------------- bad input
def test_linear_errors_name_the_layer_and_shapes():
    fc = nn.Linear(784, 100)
    with pytest.raises(RuntimeError) as info:
        fc(tg.zeros(8, 1, 28, 28))
    msg = str(info.value)
    assert msg.startswith("Linear(784, 100): expected last dimension 784, got input of "
                          "shape (8, 1, 28, 28)")
    assert "nn.Flatten()" in msg and "x.flatten(1)" in msg
    with pytest.raises(RuntimeError, match=r"Linear\(784, 100\): expected last dimension "
                                           r"784, got input of shape \(8, 100\)$"):
        fc(tg.zeros(8, 100))
    with pytest.raises(TypeError, match="expected a Tensor"):
        fc(np.zeros((8, 784)))


def test_conv_and_norm_errors_name_the_layer_and_shapes():
    conv = nn.Conv2d(3, 16, 3)
    with pytest.raises(RuntimeError) as info:
        conv(tg.zeros(8, 1, 28, 28))
    assert str(info.value) == ("Conv2d(3, 16): expected input with 3 channels, got "
                               "(8, 1, 28, 28)")
    with pytest.raises(RuntimeError, match="channels last"):
        conv(tg.zeros(2, 32, 32, 3))
    with pytest.raises(RuntimeError, match=r"4-D input .* \(8, 784\).*reshape"):
        conv(tg.zeros(8, 784))
    with pytest.raises(RuntimeError, match="unsqueeze"):
        conv(tg.zeros(3, 28, 28))
    with pytest.raises(RuntimeError, match=r"BatchNorm2d\(4\): expected input with 4 "
                                           r"channels, got \(2, 3, 5, 5\)"):
        nn.BatchNorm2d(4)(tg.zeros(2, 3, 5, 5))
    with pytest.raises(RuntimeError, match=r"BatchNorm1d\(4\): expected 2-D"):
        nn.BatchNorm1d(4)(tg.zeros(2, 4, 5, 5))
    with pytest.raises(RuntimeError, match=r"LayerNorm\(\(5,\)\).*\(2, 4\)"):
        nn.LayerNorm(5)(tg.zeros(2, 4))
    with pytest.raises(RuntimeError, match=r"GroupNorm\(2, 4\)"):
        nn.GroupNorm(2, 4)(tg.zeros(2, 3, 5, 5))
    with pytest.raises(RuntimeError, match=r"MaxPool2d: expected a 3-D"):
        nn.MaxPool2d(2)(tg.zeros(2, 4))
    with pytest.raises(RuntimeError, match=r"Unflatten: cannot unflatten dim 1 of size 5"):
        nn.Unflatten(1, (2, 3))(tg.zeros(2, 5))


def test_a_small_cnn_trains():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.1), nn.Linear(64, 3))
    x = tg.randn(12, 1, 8, 8)
    y = tg.tensor(np.arange(12) % 3)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _ in range(15):
        model.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        with tg.no_grad():
            for p in model.parameters():
                p.sub_(p.grad, alpha=0.1)
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
