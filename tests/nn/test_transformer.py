"""nn.Transformer and its layers: PyTorch's state_dict names, the same outputs and
gradients for the same weights (PyTorch as the oracle), the causal mask, gradients."""
import numpy as np
import pytest

import tinygrad_jp as tg
from tinygrad_jp import nn
from tinygrad_jp.testing import assert_gradients

RNG = np.random.default_rng(0)


def _copy_weights(ours, theirs):
    state = {k: tg.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state)


LAYOUTS = {
    "encoder_post_norm": dict(kind="encoder", norm_first=False, batch_first=False),
    "encoder_pre_norm_batch_first": dict(kind="encoder", norm_first=True, batch_first=True),
    "encoder_gelu": dict(kind="encoder", activation="gelu", batch_first=True),
    "transformer": dict(kind="transformer", batch_first=False),
    "transformer_pre_norm": dict(kind="transformer", norm_first=True, batch_first=True),
}


def _build(lib, kind, **kw):
    args = dict(dim_feedforward=12, dropout=0.0, **kw)
    if kind == "encoder":
        return lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(8, 2, **args), 2)
    return lib.nn.Transformer(d_model=8, nhead=2, num_encoder_layers=2, num_decoder_layers=2,
                              **args)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_transformer_matches_torch_with_the_same_weights(name):
    torch = pytest.importorskip("torch")
    layout = dict(LAYOUTS[name])
    kind = layout.pop("kind")
    torch.manual_seed(0)
    theirs = _build(torch, kind, **layout).double()
    ours = _build(tg, kind, **layout).double()
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    _copy_weights(ours, theirs)
    src = RNG.standard_normal((3, 5, 8) if layout.get("batch_first") else (5, 3, 8))
    tgt = RNG.standard_normal((3, 4, 8) if layout.get("batch_first") else (4, 3, 8))
    causal = nn.Transformer.generate_square_subsequent_mask(4, dtype=tg.float64)
    assert np.array_equal(causal.numpy(),
                          torch.nn.Transformer.generate_square_subsequent_mask(4).numpy())
    pad = np.zeros((3, 5), bool)
    pad[1, 3:] = True
    ts, tt = (torch.tensor(a, requires_grad=True) for a in (src, tgt))
    os_, ot = (tg.tensor(a, requires_grad=True) for a in (src, tgt))
    if kind == "encoder":
        ref = theirs(ts, src_key_padding_mask=torch.tensor(pad))
        out = ours(os_, src_key_padding_mask=tg.tensor(pad))
    else:
        ref = theirs(ts, tt, tgt_mask=torch.tensor(causal.numpy()),
                     src_key_padding_mask=torch.tensor(pad),
                     memory_key_padding_mask=torch.tensor(pad))
        out = ours(os_, ot, tgt_mask=causal, src_key_padding_mask=tg.tensor(pad),
                   memory_key_padding_mask=tg.tensor(pad))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-9, atol=1e-10)
    g = RNG.standard_normal(ref.shape)
    (ref * torch.tensor(g)).sum().backward()
    (out * tg.tensor(g)).sum().backward()
    np.testing.assert_allclose(os_.grad.numpy(), ts.grad.numpy(), rtol=1e-8, atol=1e-10)
    if kind == "transformer":
        np.testing.assert_allclose(ot.grad.numpy(), tt.grad.numpy(), rtol=1e-8, atol=1e-10)
    for (k, p), q in zip(ours.named_parameters(), theirs.parameters(), strict=True):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-7, atol=1e-9,
                                   err_msg=k)


def test_decoder_layer_gradients_first_order():
    tg.manual_seed(0)
    layer = nn.TransformerDecoderLayer(4, 2, dim_feedforward=6, dropout=0.0,
                                       batch_first=True).double()
    tgt = tg.tensor(RNG.standard_normal((2, 3, 4)), requires_grad=True)
    memory = tg.tensor(RNG.standard_normal((2, 2, 4)), requires_grad=True)
    assert_gradients(lambda t, m: layer(t, m), tgt, memory)


def test_layers_are_independent_copies_and_errors_are_clear():
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6)
    stack = nn.TransformerEncoder(layer, 3)
    w = [m.linear1.weight for m in stack.layers]
    assert w[0] is not w[1] and np.array_equal(w[0].numpy(), w[1].numpy())
    with pytest.raises(ValueError, match="num_layers"):
        nn.TransformerEncoder(layer, 0)
    with pytest.raises(RuntimeError, match="activation should be relu/gelu"):
        nn.TransformerEncoderLayer(4, 2, activation="tanh")
    model = nn.Transformer(d_model=4, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                           dim_feedforward=6)
    with pytest.raises(RuntimeError, match="batch number of src and tgt"):
        model(tg.zeros(3, 2, 4), tg.zeros(3, 5, 4))
    with pytest.raises(RuntimeError, match="d_model"):
        model(tg.zeros(3, 2, 5), tg.zeros(3, 2, 5))
