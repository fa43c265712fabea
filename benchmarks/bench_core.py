"""Per-op autograd overhead: 1,000 chained tiny elementwise ops on a (10,) tensor,
forward + backward, in µs per op, beside PyTorch's CPU build when it is importable.

Run by hand while nothing else runs (a busy second core makes figures meaningless):

    python benchmarks/bench_core.py
"""
import statistics
import time

import numpy as np

REPS = 500            # 500 × (mul + add) = 1,000 ops, as the shared yardstick's W4
ROUNDS = 30


def chain_tinygrad(x0):
    import tinygrad_jp as tg

    def step():
        x = tg.Tensor(x0.copy(), requires_grad=True)
        y = x
        for _ in range(REPS):
            y = y * 1.0001 + 0.001
        y.sum().backward()
        return x.grad
    return step


def chain_torch(x0):
    import torch
    torch.set_num_threads(2)

    def step():
        x = torch.tensor(x0, requires_grad=True)
        y = x
        for _ in range(REPS):
            y = y * 1.0001 + 0.001
        y.sum().backward()
        return x.grad
    return step


def measure(step):
    for _ in range(3):
        step()
    times = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) / (2 * REPS) * 1e6


def main():
    import tinygrad_jp as tg
    # glibc keeps freed activations for the next step, as a training script would ask
    # (an explicit, process-wide setting: importing tinygrad_jp never changes it)
    tg.tune_allocator()
    x0 = np.random.default_rng(0).standard_normal(10).astype(np.float32)
    ours = measure(chain_tinygrad(x0))
    print(f"tinygrad_jp   {ours:6.2f} µs/op  (forward + backward, 1,000 ops on a (10,) tensor)")
    try:
        theirs = measure(chain_torch(x0))
    except ImportError:
        print("PyTorch not importable: pip install torch==2.13.0 for the comparison")
        return
    print(f"PyTorch       {theirs:6.2f} µs/op")
    print(f"ratio         {ours / theirs:6.2f}×  (target ≤ 1)")


if __name__ == "__main__":
    main()
