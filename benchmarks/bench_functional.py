"""Milliseconds per forward + backward of the functional ops on the curriculum's CNN
shapes (batch 100 of 1×28×28), and of whole SimpleConvNet / DeepConvNet steps written
with ``nn.functional`` only, beside PyTorch's CPU build when it is importable.

Run by hand while nothing else runs (a busy second core makes the figures meaningless;
the shared yardstick ``../shared/bench/compare.py`` is the reference measurement):

    python benchmarks/bench_functional.py            # everything, ~1 min
    python benchmarks/bench_functional.py conv pool   # only names containing these
    python benchmarks/bench_functional.py --memory    # + peak memory of a DeepConvNet step
    python benchmarks/bench_functional.py --threads 1 # one BLAS / torch thread (under load)
    python benchmarks/bench_functional.py --threads 1 --cpu   # CPU time, not wall time:
                                                      # the steadiest figure on a busy box
    python benchmarks/bench_functional.py --device cuda       # on the GPU (CuPy), beside
                                                      # PyTorch's CUDA build

Figures are medians over rounds of the per-call time, in ms.
"""
import gc
import os
import statistics
import sys
import time
import tracemalloc

if __name__ == "__main__" and "--threads" in sys.argv:
    # must act before NumPy loads its BLAS thread pool
    _n = sys.argv[sys.argv.index("--threads") + 1]
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = _n

import numpy as np  # noqa: E402

ROUNDS = 9
BLOCK_SECONDS = 0.15
CLOCK = time.perf_counter        # --cpu: time.process_time
DEVICE = "cpu"                   # --device cuda: tensors live on the GPU


def _sync():
    """Wait for the GPU's queued work, so that a timing covers it (no-op on the CPU)."""
    if DEVICE == "cpu":
        return
    import cupy
    cupy.cuda.Device().synchronize()
    try:
        import torch
        torch.cuda.synchronize()
    except ImportError:
        pass


def _tg(array, requires_grad=False):
    import tinygrad_jp as tg
    return tg.tensor(array, requires_grad=requires_grad, device=DEVICE)


def _torch(array, requires_grad=False):
    import torch
    return torch.tensor(array).to(DEVICE).requires_grad_(requires_grad)


def timeit(fn):
    """Median ms per call over ROUNDS blocks (each ~BLOCK_SECONDS), after a warm-up."""
    fn()
    fn()
    _sync()
    t0 = CLOCK()
    fn()
    _sync()
    one = max(CLOCK() - t0, 1e-6)
    inner = max(1, int(BLOCK_SECONDS / one))
    samples = []
    for _ in range(ROUNDS):
        gc.collect()
        t0 = CLOCK()
        for _ in range(inner):
            fn()
        _sync()
        samples.append((CLOCK() - t0) / inner * 1e3)
    return statistics.median(samples)


# ---------------------------------------------------------------------- the cases
def _rng():
    return np.random.default_rng(0)


def conv_case(lib, n, c, h, f, k, pad, input_grad):
    rng = _rng()
    x = rng.standard_normal((n, c, h, h), dtype=np.float32)
    w = (rng.standard_normal((f, c, k, k), dtype=np.float32) * 0.1)
    b = np.zeros(f, np.float32)
    g = rng.standard_normal((n, f, h + 2 * pad - k + 1, h + 2 * pad - k + 1),
                            dtype=np.float32)
    if lib == "tg":
        import tinygrad_jp.nn.functional as F
        # the gradient arrives channels-last, as it does behind a conv + ReLU
        gt = _tg(np.ascontiguousarray(g.transpose(0, 2, 3, 1))).permute(0, 3, 1, 2)
        xt = _tg(x, input_grad)
        wt, bt = _tg(w, True), _tg(b, True)

        def step():
            wt.grad = bt.grad = xt.grad = None
            F.conv2d(xt, wt, bt, padding=pad).backward(gt)
        return step
    import torch
    xt = _torch(x, input_grad)
    wt, bt = _torch(w, True), _torch(b, True)
    gt = _torch(g)

    def step():
        wt.grad = bt.grad = xt.grad = None
        torch.nn.functional.conv2d(xt, wt, bt, padding=pad).backward(gt)
    return step


def pool_case(lib, n, c, h):
    rng = _rng()
    x = rng.standard_normal((n, h, h, c), dtype=np.float32).transpose(0, 3, 1, 2)
    g = rng.standard_normal((n, c, h // 2, h // 2), dtype=np.float32)
    if lib == "tg":
        import tinygrad_jp.nn.functional as F
        xt, gt = _tg(x, True), _tg(g)

        def step():
            xt.grad = None
            F.max_pool2d(xt, 2).backward(gt)
        return step
    import torch
    xt = _torch(np.ascontiguousarray(x), True)
    gt = _torch(g)

    def step():
        xt.grad = None
        torch.nn.functional.max_pool2d(xt, 2).backward(gt)
    return step


def ce_case(lib, n=100, c=10):
    rng = _rng()
    x = rng.standard_normal((n, c), dtype=np.float32)
    t = rng.integers(0, c, n)
    if lib == "tg":
        import tinygrad_jp.nn.functional as F
        xt, tt = _tg(x, True), _tg(t)

        def step():
            xt.grad = None
            F.cross_entropy(xt, tt).backward()
        return step
    import torch
    xt, tt = _torch(x, True), _torch(t)

    def step():
        xt.grad = None
        torch.nn.functional.cross_entropy(xt, tt).backward()
    return step


# ---------------------------------------------------------------------- whole networks
SIMPLE = [("conv", 1, 30, 5, 0), ("relu",), ("pool",), ("flatten",), ("linear", 4320, 100),
          ("relu",), ("linear", 100, 10)]
DEEP = [("conv", 1, 16, 3, 1), ("relu",), ("conv", 16, 16, 3, 1), ("relu",), ("pool",),
        ("conv", 16, 32, 3, 1), ("relu",), ("conv", 32, 32, 3, 2), ("relu",), ("pool",),
        ("conv", 32, 64, 3, 1), ("relu",), ("conv", 64, 64, 3, 1), ("relu",), ("pool",),
        ("flatten",), ("linear", 1024, 50), ("relu",), ("linear", 50, 10)]


def _params(spec):
    rng = _rng()
    out = []
    for layer in spec:
        if layer[0] == "conv":
            _, c, f, k, _ = layer
            out += [rng.standard_normal((f, c, k, k), dtype=np.float32) *
                    np.float32(np.sqrt(2.0 / (c * k * k))), np.zeros(f, np.float32)]
        elif layer[0] == "linear":
            _, i, o = layer
            out += [rng.standard_normal((o, i), dtype=np.float32) *
                    np.float32(np.sqrt(2.0 / i)), np.zeros(o, np.float32)]
    return out


def network_case(lib, spec, batch, train):
    rng = _rng()
    x = rng.standard_normal((batch, 1, 28, 28), dtype=np.float32)
    t = rng.integers(0, 10, batch)
    params = _params(spec)
    if lib == "tg":
        import tinygrad_jp as tg
        import tinygrad_jp.nn.functional as F
        ps = [_tg(p, True) for p in params]
        xt, tt = _tg(x), _tg(t)

        def forward():
            h, i = xt, 0
            for layer in spec:
                kind = layer[0]
                if kind == "conv":
                    h = F.conv2d(h, ps[i], ps[i + 1], padding=layer[4])
                    i += 2
                elif kind == "linear":
                    h = F.linear(h, ps[i], ps[i + 1])
                    i += 2
                elif kind == "relu":
                    h = F.relu(h)
                elif kind == "pool":
                    h = F.max_pool2d(h, 2)
                else:
                    h = h.flatten(1)
            return h

        if not train:
            def infer():
                with tg.no_grad():
                    return forward().cpu().numpy()
            return infer

        def step():
            for p in ps:
                p.grad = None
            loss = F.cross_entropy(forward(), tt)
            loss.backward()
            with tg.no_grad():
                for p in ps:
                    p.data -= 0.01 * p.grad.data
            return loss.item()
        return step
    import torch
    ps = [_torch(p, True) for p in params]
    xt, tt = _torch(x), _torch(t)
    fn = torch.nn.functional

    def forward():
        h, i = xt, 0
        for layer in spec:
            kind = layer[0]
            if kind == "conv":
                h = fn.conv2d(h, ps[i], ps[i + 1], padding=layer[4])
                i += 2
            elif kind == "linear":
                h = fn.linear(h, ps[i], ps[i + 1])
                i += 2
            elif kind == "relu":
                h = torch.relu(h)
            elif kind == "pool":
                h = fn.max_pool2d(h, 2)
            else:
                h = h.flatten(1)
        return h

    if not train:
        def infer():
            with torch.no_grad():
                return forward().cpu().numpy()
        return infer

    def step():
        for p in ps:
            p.grad = None
        loss = fn.cross_entropy(forward(), tt)
        loss.backward()
        with torch.no_grad():
            for p in ps:
                p -= 0.01 * p.grad
        return loss.item()
    return step


CASES = {
    "conv2d simple 1->30 k5 (fwd+bwd, no dx)": lambda lib: conv_case(lib, 100, 1, 28, 30, 5, 0,
                                                                    False),
    "conv2d deep 16->16 k3 p1 28x28": lambda lib: conv_case(lib, 100, 16, 28, 16, 3, 1, True),
    "conv2d deep 32->32 k3 p2 14x14": lambda lib: conv_case(lib, 100, 32, 14, 32, 3, 2, True),
    "conv2d deep 64->64 k3 p1 8x8": lambda lib: conv_case(lib, 100, 64, 8, 64, 3, 1, True),
    "max_pool2d 2 on 100x30x24x24": lambda lib: pool_case(lib, 100, 30, 24),
    "max_pool2d 2 on 100x16x28x28": lambda lib: pool_case(lib, 100, 16, 28),
    "cross_entropy 100x10": ce_case,
    "net simple_cnn train step": lambda lib: network_case(lib, SIMPLE, 100, True),
    "net deep_cnn train step (SGD)": lambda lib: network_case(lib, DEEP, 100, True),
    "net simple_cnn inference b1000": lambda lib: network_case(lib, SIMPLE, 1000, False),
}


def peak_memory_mb(lib):
    """Peak traced allocation growth (MB) during one DeepConvNet train step."""
    step = network_case(lib, DEEP, 100, True)
    step()
    step()
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (peak - base) / 2 ** 20


def main(argv):
    global CLOCK, DEVICE
    import tinygrad_jp as tg
    # glibc keeps freed activations for the next step, as a training script would ask
    # (an explicit, process-wide setting: importing tinygrad_jp never changes it)
    tg.tune_allocator()
    memory = "--memory" in argv
    if "--device" in argv:
        DEVICE = argv[argv.index("--device") + 1]
        del argv[argv.index("--device"):argv.index("--device") + 2]
    if "--cpu" in argv:
        CLOCK = time.process_time
    threads = int(argv[argv.index("--threads") + 1]) if "--threads" in argv else 2
    if "--threads" in argv:
        del argv[argv.index("--threads"):argv.index("--threads") + 2]
    tg.set_num_threads(threads)         # numba's loops, the split passes, BLAS (threadpoolctl)
    wanted = [a for a in argv if not a.startswith("--")]
    try:
        import torch
        torch.set_num_threads(threads)
        libs = ["tg", "torch"]
        if DEVICE != "cpu" and not torch.cuda.is_available():
            raise ImportError("this torch has no CUDA")
        print(f"torch {torch.__version__}: {torch.get_num_threads()} threads, {DEVICE}")
    except ImportError:
        libs = ["tg"]
        print("torch not importable: tinygrad_jp figures only")
    print(f"{'case':42s} {'tinygrad_jp':>12s} {'torch':>9s} {'ratio':>7s}")
    for name, make in CASES.items():
        if wanted and not any(w in name for w in wanted):
            continue
        ms = {lib: timeit(make(lib)) for lib in libs}
        line = f"{name:42s} {ms['tg']:10.2f}ms"
        if "torch" in ms:
            line += f" {ms['torch']:7.2f}ms {ms['tg'] / ms['torch']:6.2f}x"
        print(line, flush=True)
    if memory:
        print(f"peak memory growth of a DeepConvNet step: tinygrad_jp "
              f"{peak_memory_mb('tg'):.1f} MB (NumPy allocations, tracemalloc)")


if __name__ == "__main__":
    main(sys.argv[1:])
