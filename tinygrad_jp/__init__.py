"""tinygrad_jp: a small PyTorch-style deep-learning framework with autograd, on NumPy."""
from . import autograd, dtypes, random
from .autograd import (
    Function,
    enable_grad,
    grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from .creation import (
    arange,
    empty,
    eye,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    zeros,
    zeros_like,
)
from .dtypes import bool_ as bool  # noqa: A001
from .dtypes import float16, float32, float64, int8, int16, int32, int64, uint8
from .functional import (
    abs,
    clamp,
    cos,
    exp,
    log,
    log_softmax,
    relu,
    sigmoid,
    sign,
    sin,
    softmax,
    sqrt,
    tanh,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .ops.parallel import num_threads as get_num_threads
from .ops.parallel import set_num_threads
from .random import manual_seed
from .serialization import load, load_metadata, save
from .tensor import Tensor, cat, matmul, maximum, minimum, stack, tensor, where

__version__ = "0.1.0"

double, half, long = float64, float16, int64
float = float32  # noqa: A001
