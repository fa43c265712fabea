"""Cost of one optimizer step on DeepConvNet's parameters (~100k floats in 16 tensors),
in µs per step, for tinygrad_jp.optim beside torch.optim when it is importable.

The whole DeepConvNet train step (batch 100) takes ~60-100 ms; one Adam step should cost
≤ 5% of it (≲ 3 ms). Run by hand while nothing else runs:

    python benchmarks/bench_optim.py
"""
import statistics
import time

import numpy as np

# DeepConvNet ('Deep Learning from Scratch' ch. 8): six 3x3 convolutions and two linear
# layers, weights then biases, PyTorch layout.
SHAPES = [
    (16, 1, 3, 3), (16,), (16, 16, 3, 3), (16,),
    (32, 16, 3, 3), (32,), (32, 32, 3, 3), (32,),
    (64, 32, 3, 3), (64,), (64, 64, 3, 3), (64,),
    (50, 1024), (50,), (10, 50), (10,),
]
ROUNDS = 7
STEPS = 50

CONFIGS = [
    ("SGD", dict(lr=0.01)),
    ("SGD momentum", dict(lr=0.01, momentum=0.9)),
    ("Adam", dict(lr=1e-3)),
    ("AdamW", dict(lr=1e-3)),
    ("RMSprop", dict(lr=1e-3)),
]


def arrays():
    rng = np.random.default_rng(0)
    params = [rng.normal(0, 0.1, s).astype(np.float32) for s in SHAPES]
    grads = [rng.normal(0, 0.01, s).astype(np.float32) for s in SHAPES]
    return params, grads


def bench(step):
    step()  # state allocation happens on the first step
    times = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        for _ in range(STEPS):
            step()
        times.append((time.perf_counter() - t0) / STEPS)
    return statistics.median(times) * 1e6


def tinygrad_step(name, kwargs):
    import tinygrad_jp as tg
    from tinygrad_jp import optim
    params, grads = arrays()
    ts = [tg.Tensor(p, requires_grad=True) for p in params]
    for t, g in zip(ts, grads, strict=True):
        t.grad = tg.Tensor(g)
    opt = getattr(optim, name.split()[0])(ts, **kwargs)
    return opt.step


def torch_step(name, kwargs):
    import torch
    torch.set_num_threads(2)
    params, grads = arrays()
    ts = [torch.tensor(p, requires_grad=True) for p in params]
    for t, g in zip(ts, grads, strict=True):
        t.grad = torch.tensor(g)
    opt = getattr(torch.optim, name.split()[0])(ts, **kwargs)
    return opt.step


def main():
    import tinygrad_jp as tg
    # glibc keeps freed activations for the next step, as a training script would ask
    # (an explicit, process-wide setting: importing tinygrad_jp never changes it)
    tg.tune_allocator()
    n = sum(int(np.prod(s)) for s in SHAPES)
    print(f"DeepConvNet parameters: {n:,} floats in {len(SHAPES)} tensors (float32)")
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
    print(f"{'optimizer':<14}{'tinygrad_jp µs/step':>22}{'torch µs/step':>16}")
    for name, kwargs in CONFIGS:
        ours = bench(tinygrad_step(name, kwargs))
        theirs = f"{bench(torch_step(name, kwargs)):16.0f}" if have_torch else f"{'-':>16}"
        print(f"{name:<14}{ours:22.0f}{theirs}")


if __name__ == "__main__":
    main()
