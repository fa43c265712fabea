"""The same ops on the CPU and on CUDA give the same values and gradients (float64), and
a tensor on CUDA stays on CUDA through forward and backward."""
import numpy as np
import pytest

import tinygrad_jp as tg
import tinygrad_jp.nn.functional as F


def rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# name: (input shapes, function of the tensors)
CASES = {
    "add_mul_scalar": ([(3, 4), (3, 4)], lambda a, b: (a * 2.0 + b - 1.0) / 3.0),
    "broadcast": ([(3, 4), (4,)], lambda a, b: a * b + b),
    "unary": ([(3, 4)], lambda a: a.exp() + a.tanh() + a.sigmoid() + a.abs().sqrt()),
    "log_pow": ([(3, 4)], lambda a: (a.abs() + 1.0).log() + a ** 2),
    "relu_leaky": ([(3, 4)], lambda a: F.relu(a) + F.leaky_relu(a, 0.1)),
    "sum_mean": ([(2, 3, 4)], lambda a: a.sum(1) + a.mean(1)),
    "max_min": ([(3, 5)], lambda a: a.max(1)[0] + a.min(dim=0)[0].sum()),
    "var_std": ([(3, 5)], lambda a: a.var(1) + a.std(0).sum()),
    "softmax": ([(3, 5)], lambda a: F.softmax(a, 1) + F.log_softmax(a, 1)),
    "matmul": ([(3, 4), (4, 2)], lambda a, b: a @ b),
    "reshape_permute": ([(2, 3, 4)], lambda a: a.reshape(6, 4).T.reshape(2, 2, 6)),
    "index": ([(4, 5)], lambda a: a[1:, [0, 2]] * a[0, :2]),
    "cat_stack": ([(2, 3), (2, 3)],
                  lambda a, b: tg.cat([a, b], 0).sum(0) + tg.stack([a, b]).sum(0)),
    "where_clamp": ([(3, 4)], lambda a: tg.where(a > 0, a, a * 0.5).clamp(-0.5, 0.5)),
    "linear": ([(5, 4), (3, 4), (3,)], lambda x, w, b: F.linear(x, w, b)),
    "cross_entropy": ([(5, 4)], lambda a: F.cross_entropy(a, tg.tensor([0, 1, 2, 3, 0],
                                                                        device=a.device))),
    "mse": ([(5, 4), (5, 4)], lambda a, b: F.mse_loss(a, b)),
    "conv2d": ([(2, 3, 6, 6), (4, 3, 3, 3)], lambda x, w: F.conv2d(x, w, padding=1)),
    "conv2d_strided": ([(2, 3, 7, 7), (4, 3, 3, 3), (4,)],
                       lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1, dilation=2)),
    "conv2d_rect": ([(2, 3, 7, 9), (4, 3, 2, 3)],
                    lambda x, w: F.conv2d(x, w, stride=(1, 2), padding=(1, 0))),
    "max_pool_dilated": ([(2, 3, 9, 8)], lambda x: F.max_pool2d(
        x, (3, 2), stride=(2, 1), padding=(1, 1), dilation=(2, 1))),
    "relu_conv_pool": ([(2, 2, 8, 8), (3, 2, 3, 3)],
                       lambda x, w: F.max_pool2d(F.relu(F.conv2d(x, w)), 2)),
    "conv_transpose2d": ([(2, 4, 3, 3), (4, 3, 3, 3)],
                         lambda x, w: F.conv_transpose2d(x, w, stride=2, output_padding=1)),
    "max_pool": ([(2, 3, 6, 6)], lambda x: F.max_pool2d(x, 2)),
    "max_pool_padded": ([(2, 3, 7, 7)],
                        lambda x: F.max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True)),
    "avg_pool": ([(2, 3, 6, 6)], lambda x: F.avg_pool2d(x, 2)),
    "avg_pool_padded": ([(2, 3, 7, 7)],
                        lambda x: F.avg_pool2d(x, 3, stride=2, padding=1,
                                               count_include_pad=False)),
    "grouped_conv": ([(2, 4, 6, 6), (6, 2, 3, 3)], lambda x, w: F.conv2d(x, w, groups=2)),
    "depthwise_conv": ([(2, 3, 6, 6), (3, 1, 3, 3)],
                       lambda x, w: F.conv2d(x, w, padding=1, groups=3)),
    "adaptive_avg": ([(2, 3, 7, 5)], lambda x: F.adaptive_avg_pool2d(x, (3, 2))),
    "adaptive_max": ([(2, 3, 7, 5)], lambda x: F.adaptive_max_pool2d(x, (3, 2))),
    "interp_nearest": ([(1, 2, 3, 4)], lambda x: F.interpolate(x, scale_factor=2)),
    "interp_bilinear": ([(1, 2, 3, 4)], lambda x: F.interpolate(
        x, size=(5, 7), mode="bilinear", align_corners=False)),
    "interp_bicubic": ([(1, 2, 4, 4)], lambda x: F.interpolate(x, size=(6, 5),
                                                                mode="bicubic")),
    "unfold_fold": ([(1, 2, 5, 5)], lambda x: F.fold(F.unfold(x, 3, padding=1), (5, 5), 3,
                                                      padding=1)),
    "layer_group_norm": ([(2, 4, 3, 3)], lambda x: F.layer_norm(x, (4, 3, 3))
                         + F.group_norm(x, 2)),
    "cumsum_sort": ([(3, 5)], lambda a: a.cumsum(1) + a.sort(1)[0] + a.topk(5, 1)[0]),
    "gather_scatter": ([(3, 4)], lambda a: a.gather(1, tg.tensor([[0, 2], [1, 1], [3, 0]],
                                                                  device=a.device)).sum()
                       + a.scatter_add(0, tg.zeros(1, 4, dtype=tg.int64, device=a.device),
                                       a[:1]).sum()),
    "einsum_attention": ([(2, 3, 4), (2, 5, 4), (2, 5, 4)],
                         lambda q, k, v: F.scaled_dot_product_attention(q, k, v)
                         + tg.einsum("bqd,bkd->bqd", q, k)),
    "double_backward_conv": ([(1, 2, 5, 5), (2, 2, 3, 3)], lambda x, w: tg.grad(
        (F.conv2d(x, w) ** 2).sum(), [x], create_graph=True)[0]),
    "batch_norm": ([(4, 3, 5, 5)], lambda x: F.batch_norm(x, None, None, training=True)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_matches_the_cpu(name, device):
    shapes, fn = CASES[name]
    arrays = [rand(*s, seed=i) for i, s in enumerate(shapes)]
    cpu_in = [tg.tensor(a, dtype=tg.float64, requires_grad=True) for a in arrays]
    dev_leaves = [tg.tensor(a, dtype=tg.float64, requires_grad=True, device=device)
                  for a in arrays]
    cpu_out = fn(*cpu_in)
    dev_out = fn(*dev_leaves)
    assert dev_out.device == device
    np.testing.assert_allclose(dev_out.cpu().numpy(), cpu_out.numpy(), rtol=1e-10,
                               atol=1e-12)
    g = rand(*cpu_out.shape, seed=9)
    cpu_out.backward(tg.tensor(g, dtype=tg.float64))
    dev_out.backward(tg.tensor(g, dtype=tg.float64, device=device))
    for c, d in zip(cpu_in, dev_leaves, strict=True):
        assert d.grad is not None and d.grad.device == device
        np.testing.assert_allclose(d.grad.cpu().numpy(), c.grad.numpy(), rtol=1e-10,
                                   atol=1e-12)
