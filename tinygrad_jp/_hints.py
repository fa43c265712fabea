"""What to use instead: the ``AttributeError`` for a PyTorch name tinygrad_jp lacks.

``tinygrad_jp``, ``tinygrad_jp.nn`` and ``tinygrad_jp.nn.functional`` each define a
module-level ``__getattr__`` (PEP 562) that Python calls only for a name the module
does not have, so a present name costs nothing. A missing one raises an
``AttributeError`` that names the equivalent when there is one (from :data:`HINTS`),
or else the closest names the module does have.
"""
import difflib

_RNN = ("no recurrent layers yet: write the cell with nn.Linear (e.g. "
        "h = (x @ W_ih.T + h @ W_hh.T).tanh()) and loop over the time steps")

HINTS = {
    "tinygrad_jp": {
        "FloatTensor": "use tg.tensor(data, dtype=tg.float32) (or tg.zeros(*shape))",
        "DoubleTensor": "use tg.tensor(data, dtype=tg.float64)",
        "LongTensor": "use tg.tensor(data, dtype=tg.int64)",
        "IntTensor": "use tg.tensor(data, dtype=tg.int32)",
        "BoolTensor": "use tg.tensor(data, dtype=tg.bool)",
        "ByteTensor": "use tg.tensor(data, dtype=tg.uint8)",
        "bmm": "use tg.matmul(a, b) (or a @ b), which batches over leading dims",
        "addmm": "write it out: beta * input + alpha * (mat1 @ mat2)",
        "trace": "use tg.einsum('ii', x)",
        "diagonal": "use tg.einsum('ii->i', x) for the main diagonal",
        "diag": "use tg.einsum('ii->i', x) for the diagonal of a matrix, or "
                "tg.eye(n) * v for a diagonal matrix from a vector v",
        "cdist": "use (x1.unsqueeze(1) - x2.unsqueeze(0)).norm(dim=-1)",
        "randperm": "use tg.rand(n).argsort() (a random permutation of 0..n-1)",
        "repeat_interleave": "for dim d: x.unsqueeze(d + 1).expand(...).flatten(d, d + 1)",
        "logical_and": "use a & b on bool tensors",
        "logical_or": "use a | b on bool tensors",
        "logical_xor": "use a ^ b on bool tensors",
        "set_default_dtype": "tensors are float32 by default; ask for another with "
                             "dtype=tg.float64 or convert with .double()",
        "get_default_dtype": "the default float dtype is tg.float32",
        "jit": "there is no TorchScript: tinygrad_jp runs eagerly; call the model directly",
        "compile": "there is no compiler: use the model itself (model, not "
                   "torch.compile(model))",
        "autocast": "there is no mixed precision: compute in float32",
        "amp": "there is no mixed precision: compute in float32",
        "backends": "there are no backends to configure: NumPy computes on the CPU "
                    "(see tg.set_num_threads)",
        "distributed": "there is no distributed training: tinygrad_jp runs in one process",
        "sparse": "there are no sparse tensors: use dense ones",
        "fft": "there is no FFT module: use numpy.fft on t.numpy() (not differentiable)",
        "linalg": "there is no tg.linalg yet: vector norms are tg.norm(x, p, dim), "
                  "products tg.matmul / tg.einsum",
    },
    "tinygrad_jp.nn": {
        "BatchNorm3d": "not there yet (nn.BatchNorm1d / nn.BatchNorm2d)",
        "InstanceNorm1d": "use nn.InstanceNorm2d on x.unsqueeze(2)",
        "RNN": _RNN, "LSTM": _RNN, "GRU": _RNN,
        "RNNCell": _RNN, "LSTMCell": _RNN, "GRUCell": _RNN,
        "PReLU": "use nn.LeakyReLU(negative_slope) (a fixed, not learned, slope)",
        "Softmax2d": "use nn.Softmax(dim=-3)",
        "Softmin": "use nn.Softmax on -x",
        "Dropout1d": "use nn.Dropout", "AlphaDropout": "use nn.Dropout",
        "ZeroPad2d": "use F.pad(x, (left, right, top, bottom))",
        "ConstantPad2d": "use F.pad(x, pad, value=v)",
        "ReflectionPad2d": "use F.pad(x, pad, mode='reflect')",
        "ReplicationPad2d": "use F.pad(x, pad, mode='replicate')",
        "DataParallel": "there is no data parallelism: use the model itself",
        "parallel": "there is no data parallelism: use the model itself",
    },
    "tinygrad_jp.nn.functional": {
        "prelu": "use F.leaky_relu(x, slope) (a fixed slope)",
        "softmin": "use F.softmax(-x, dim)",
        "tanhshrink": "write it out: x - x.tanh()",
        "pairwise_distance": "use (x1 - x2 + eps).norm(dim=-1)",
        "upsample": "use F.interpolate (upsample is its deprecated name)",
        "upsample_nearest": "use F.interpolate(x, size or scale_factor, mode='nearest')",
        "upsample_bilinear": "use F.interpolate(x, ..., mode='bilinear', "
                             "align_corners=True)",
    },
}


def missing(module_name, name, namespace):
    """The AttributeError for ``module_name.name``: with the hint for it, or the close
    names ``namespace`` (the module's globals) has."""
    message = f"module {module_name!r} has no attribute {name!r}"
    hint = HINTS.get(module_name, {}).get(name)
    if hint:
        message += f"; {hint}"
    elif not name.startswith("__"):
        public = [n for n in namespace if not n.startswith("_")]
        close = difflib.get_close_matches(name, public, n=3, cutoff=0.75)
        if close:
            message += f"; did you mean {' or '.join(close)}?"
    return AttributeError(message, name=name)
