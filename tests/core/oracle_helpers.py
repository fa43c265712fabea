"""Compare an op with PyTorch: the same values and the same gradients of a weighted sum
of the outputs (so every output element's gradient is tested, not only their sum)."""
import numpy as np

import tinygrad_jp as tg


def assert_matches_torch(ours, theirs, *arrays, grad=True, rtol=1e-10, atol=1e-12):
    """``ours(*tg_tensors)`` against ``theirs(*torch_tensors)`` on float64 copies of
    ``arrays``; each may return a tensor or a tuple whose first element is the values."""
    import torch
    xs = [tg.tensor(a, dtype=tg.float64, requires_grad=grad) for a in arrays]
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=grad) for a in arrays]
    out, ref = ours(*xs), theirs(*ts)
    out = out[0] if isinstance(out, tuple) else out
    ref = ref[0] if isinstance(ref, tuple) else ref
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=rtol,
                               atol=atol)
    if not grad:
        return
    w = np.random.default_rng(0).standard_normal(out.shape)
    (out * tg.tensor(w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    for x, t in zip(xs, ts, strict=True):
        assert (x.grad is None) == (t.grad is None)
        if x.grad is None:
            continue
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)
