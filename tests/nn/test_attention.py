"""F.scaled_dot_product_attention and nn.MultiheadAttention: gradients to the second
order over drawn shapes (float64), PyTorch as the oracle, masks, errors."""
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_jp as tg
import tinygrad_jp.nn.functional as F
from tinygrad_jp import nn
from tinygrad_jp.testing import assert_gradients, tensors

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "core"))
from oracle_helpers import assert_matches_torch  # noqa: E402

RNG = np.random.default_rng(0)


@st.composite
def attention_inputs(draw):
    """query (*B, L, E), key (*B, S, E), value (*B, S, Ev) with drawn sizes."""
    batch = tuple(draw(st.lists(st.integers(1, 2), max_size=2)))
    length, source, e, ev = (draw(st.integers(1, 3)) for _ in range(4))
    return tuple(draw(tensors(st.just(batch + shape)))
                 for shape in ((length, e), (source, e), (source, ev)))


@settings(max_examples=15)
@given(qkv=attention_inputs(), data=st.data())
def test_sdpa_gradients_first_and_second_order(qkv, data):
    q, k, v = qkv
    length, source = q.shape[-2], k.shape[-2]
    kind = data.draw(st.sampled_from(["plain", "causal", "bool", "float", "dropout"]))
    kw = {}
    inputs = list(qkv)
    if kind == "causal":
        kw["is_causal"] = True
    elif kind == "bool":
        kw["attn_mask"] = tg.tensor(RNG.random((length, source)) > 0.3)
    elif kind == "dropout":
        kw["dropout_p"] = 0.3
    if kind == "float":       # a float mask (e.g. a learned bias) gets its gradient too
        inputs.append(data.draw(tensors(st.just((length, source)))))

    def fn(q, k, v, *mask):
        tg.manual_seed(0)     # the same dropout mask at every evaluation
        return F.scaled_dot_product_attention(q, k, v, *mask, **kw)

    assert_gradients(fn, *inputs, second_order=True)


def _mask(length, source, dead_row=True):
    m = RNG.random((length, source)) > 0.4
    if dead_row:
        m[1] = False          # a query that may look nowhere: zeros, as PyTorch's kernel
    return m


SDPA_CASES = {   # name: (keyword arguments as NumPy, shapes of q, k, v)
    "plain": ({}, ((2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 2))),
    "causal": ({"is_causal": True}, ((2, 4, 5), (2, 4, 5), (2, 4, 3))),
    "bool mask with a dead row": ({"attn_mask": _mask(4, 6)}, ((3, 4, 5), (3, 6, 5), (3, 6, 2))),
    "float mask": ({"attn_mask": RNG.standard_normal((4, 6))}, ((4, 5), (6, 5), (6, 5))),
    "scale": ({"scale": 0.3}, ((1, 2, 3, 4), (1, 2, 3, 4), (1, 2, 3, 4))),
    "grouped-query": ({"enable_gqa": True}, ((1, 4, 3, 2), (1, 2, 5, 2), (1, 2, 5, 3))),
}


@pytest.mark.parametrize("name", SDPA_CASES)
def test_sdpa_matches_torch(name):
    torch = pytest.importorskip("torch")
    kw, shapes = SDPA_CASES[name]
    arrays = [RNG.standard_normal(s) for s in shapes]

    def ours(q, k, v):
        extra = {a: tg.tensor(b) if isinstance(b, np.ndarray) else b for a, b in kw.items()}
        return F.scaled_dot_product_attention(q, k, v, **extra)

    def theirs(q, k, v):
        extra = {a: torch.tensor(b) if isinstance(b, np.ndarray) else b for a, b in kw.items()}
        return torch.nn.functional.scaled_dot_product_attention(q, k, v, **extra)

    assert_matches_torch(ours, theirs, *arrays)


def test_sdpa_dropout_drops_weights_and_follows_the_seed():
    q, k, v = (tg.randn(2, 8, 4) for _ in range(3))
    tg.manual_seed(1)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    tg.manual_seed(1)
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert tg.equal(a, b) and not tg.allclose(a, F.scaled_dot_product_attention(q, k, v))
    assert tg.equal(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0), tg.zeros(2, 8, 4))


def test_sdpa_errors_name_the_shapes():
    q, k = tg.randn(2, 3, 4), tg.randn(2, 5, 4)
    sdpa = F.scaled_dot_product_attention
    with pytest.raises(RuntimeError, match=r"query's embedding size 4 .* key's 3"):
        sdpa(q, tg.randn(2, 5, 3), tg.randn(2, 5, 3))
    with pytest.raises(RuntimeError, match=r"same sequence length S .* \(2, 5, 4\) .* "
                                           r"\(2, 6, 4\)"):
        sdpa(q, k, tg.randn(2, 6, 4))
    with pytest.raises(RuntimeError, match=r"mask of shape \(3, 4\) does not broadcast to the "
                                           r"scores' shape \(2, 3, 5\)"):
        sdpa(q, k, k, attn_mask=tg.ones(3, 4, dtype=tg.bool))
    with pytest.raises(RuntimeError, match="either attn_mask or is_causal=True"):
        sdpa(q, k, k, attn_mask=tg.ones(3, 5, dtype=tg.bool), is_causal=True)
    with pytest.raises(TypeError, match="key must be a floating point tensor"):
        sdpa(q, tg.ones(2, 5, 4, dtype=tg.int64), k)


# ---- nn.MultiheadAttention ---------------------------------------------------------------

def _pair(torch, e=6, h=2, **kw):
    """A PyTorch MultiheadAttention and ours with the same weights, float64."""
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(e, h, **kw).double()
    ours = nn.MultiheadAttention(e, h, **kw).double()
    ours.load_state_dict({k: tg.tensor(v.detach().numpy())
                          for k, v in theirs.state_dict().items()})
    return ours, theirs


MHA_CASES = {   # name: (constructor kwargs, forward kwargs as NumPy, q / k / v shapes)
    "sequence first": ({}, {}, ((4, 2, 6), (5, 2, 6), (5, 2, 6))),
    "batch first, padding": ({"batch_first": True},
                             {"key_padding_mask": np.array([[0, 0, 1, 1, 0], [0, 0, 0, 0, 1]],
                                                           bool)},
                             ((2, 4, 6), (2, 5, 6), (2, 5, 6))),
    "causal mask, weights per head": ({}, {"attn_mask": np.triu(np.ones((4, 4), bool), 1),
                                           "is_causal": True, "average_attn_weights": False},
                                      ((4, 3, 6), (4, 3, 6), (4, 3, 6))),
    "float mask per head": ({"batch_first": True},
                            {"attn_mask": RNG.standard_normal((2 * 2, 3, 5))},
                            ((2, 3, 6), (2, 5, 6), (2, 5, 6))),
    "kdim, vdim, no bias": ({"kdim": 3, "vdim": 5, "bias": False}, {},
                            ((4, 2, 6), (3, 2, 3), (3, 2, 5))),
    "unbatched": ({}, {}, ((4, 6), (3, 6), (3, 6))),
    "no weights": ({}, {"need_weights": False}, ((2, 1, 6), (3, 1, 6), (3, 1, 6))),
    "bias kv, zero attn, padding": (
        {"add_bias_kv": True, "add_zero_attn": True, "batch_first": True},
        {"key_padding_mask": np.array([[0, 0, 0, 1], [0, 1, 1, 1]], bool)},
        ((2, 3, 6), (2, 4, 6), (2, 4, 6))),
    "bias kv, causal": ({"add_bias_kv": True},
                        {"attn_mask": np.triu(np.ones((3, 3), bool), 1)},
                        ((3, 2, 6), (3, 2, 6), (3, 2, 6))),
    "zero attn, float mask per head": (
        {"add_zero_attn": True, "batch_first": True},
        {"attn_mask": RNG.standard_normal((2 * 2, 3, 5)), "average_attn_weights": False},
        ((2, 3, 6), (2, 5, 6), (2, 5, 6))),
}


@pytest.mark.parametrize("name", MHA_CASES)
def test_multihead_attention_matches_torch(name):
    torch = pytest.importorskip("torch")
    make, kw, shapes = MHA_CASES[name]
    ours, theirs = _pair(torch, **make)
    arrays = [RNG.standard_normal(s) for s in shapes]
    xs = [tg.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, w = ours(*xs, **{a: tg.tensor(b) if isinstance(b, np.ndarray) else b
                          for a, b in kw.items()})
    ref, rw = theirs(*ts, **{a: torch.tensor(b) if isinstance(b, np.ndarray) else b
                             for a, b in kw.items()})
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    assert (w is None) == (rw is None)
    if w is not None:
        np.testing.assert_allclose(w.detach().numpy(), rw.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
    g = RNG.standard_normal(out.shape)
    (out * tg.tensor(g)).sum().backward()
    (ref * torch.tensor(g)).sum().backward()
    for x, t in zip(xs, ts, strict=True):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-12)
    for (name_, p), (_, tp) in zip(ours.named_parameters(), theirs.named_parameters(),
                                   strict=True):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=name_)


def test_multihead_attention_has_pytorchs_parameters():
    mha = nn.MultiheadAttention(8, 2)
    assert [(n, p.shape) for n, p in mha.named_parameters()] == [
        ("in_proj_weight", (24, 8)), ("in_proj_bias", (24,)), ("out_proj.weight", (8, 8)),
        ("out_proj.bias", (8,))]
    assert not mha.in_proj_bias.numpy().any() and not mha.out_proj.bias.numpy().any()
    assert abs(mha.in_proj_weight.numpy()).max() <= (6 / (24 + 8)) ** 0.5
    separate = nn.MultiheadAttention(8, 2, kdim=3, vdim=5)
    assert [n for n, _ in separate.named_parameters()][:3] == [
        "q_proj_weight", "k_proj_weight", "v_proj_weight"]


def test_multihead_attention_gradients_first_and_second_order():
    tg.manual_seed(0)
    mha = nn.MultiheadAttention(4, 2, batch_first=True).double()
    mask = tg.tensor([[False, False, True]])

    def fn(q, kv):
        out, w = mha(q, kv, kv, key_padding_mask=mask)
        return out, w

    q = tg.tensor(RNG.standard_normal((1, 2, 4)), requires_grad=True)
    kv = tg.tensor(RNG.standard_normal((1, 3, 4)), requires_grad=True)
    assert_gradients(fn, q, kv, second_order=True)


def test_multihead_attention_dropout_only_in_training():
    tg.manual_seed(0)
    mha = nn.MultiheadAttention(4, 2, dropout=0.5)
    x = tg.randn(3, 2, 4)
    _, w_train = mha(x, x, x)
    mha.eval()
    out_eval, w_eval = mha(x, x, x)
    assert (w_train.numpy() != w_eval.numpy()).any()
    np.testing.assert_allclose(w_eval.numpy().sum(-1), 1.0, rtol=1e-6)
    assert tg.equal(mha(x, x, x)[0], out_eval)


def test_multihead_attention_errors():
    with pytest.raises(ValueError, match=r"embed_dim \(6\) must be divisible by num_heads \(4\)"):
        nn.MultiheadAttention(6, 4)
    mha = nn.MultiheadAttention(4, 2)
    x = tg.randn(3, 2, 4)
    with pytest.raises(RuntimeError, match=r"query has 5 features \(shape \(3, 2, 5\)\) but the "
                                           r"layer expects 4"):
        mha(tg.randn(3, 2, 5), x, x)
    with pytest.raises(RuntimeError, match="is_causal=True is a hint .* pass attn_mask"):
        mha(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match=r"key_padding_mask should have shape \(N, S\) = "
                                           r"\(2, 3\), got \(3, 2\)"):
        mha(x, x, x, key_padding_mask=tg.zeros(3, 2, dtype=tg.bool))
    with pytest.raises(RuntimeError, match=r"batch sizes 2 and 1"):
        mha(x, tg.randn(3, 1, 4), tg.randn(3, 1, 4))
