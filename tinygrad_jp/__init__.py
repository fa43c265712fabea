"""tinygrad_jp: a small PyTorch-style deep-learning framework with autograd, on NumPy."""
from . import autograd, dtypes, random
from .autograd import (
    Function,
    enable_grad,
    grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .creation import (
    arange,
    as_tensor,
    empty,
    eye,
    from_numpy,
    full,
    full_like,
    is_tensor,
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
from .functional import *  # noqa: F403  (every function form in FUNCTION_FORMS)
from .functional import FUNCTION_FORMS
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .kernels import tune_allocator
from .kernels.threads import num_threads as get_num_threads
from .kernels.threads import set_num_threads
from .devices import device
from .random import manual_seed
from .serialization import load, load_metadata, save
from .tensor import Tensor, cat, matmul, maximum, minimum, stack, tensor, where
from .tensor_methods import einsum

__version__ = "0.1.0"

# PyTorch's short dtype names (torch.int is 32-bit, torch.long 64-bit)
double, half, long, short = float64, float16, int64, int16
float, int = float32, int32  # noqa: A001
concat = concatenate = cat       # PyTorch's aliases of cat

__all__ = [
    "autograd",
    "dtypes",
    "random",
    "Function",
    "enable_grad",
    "grad",
    "is_grad_enabled",
    "inference_mode",
    "is_inference_mode_enabled",
    "as_tensor",
    "from_numpy",
    "is_tensor",
    "no_grad",
    "set_grad_enabled",
    "arange",
    "empty",
    "eye",
    "full",
    "full_like",
    "linspace",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "zeros",
    "zeros_like",
    "bool",
    "float16",
    "float32",
    "float64",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    *FUNCTION_FORMS,
    "GradcheckError",
    "gradcheck",
    "gradgradcheck",
    "get_num_threads",
    "set_num_threads",
    "tune_allocator",
    "manual_seed",
    "load",
    "load_metadata",
    "save",
    "device",
    "Tensor",
    "cat",
    "matmul",
    "maximum",
    "minimum",
    "stack",
    "tensor",
    "where",
    "einsum",
    "concat",
    "concatenate",
    "double",
    "half",
    "long",
    "short",
    "float",
    "int",
    "__version__",
]

# Subpackages PyTorch users reach as attributes (torch.nn, torch.optim) without
# importing them are loaded on first use, so `import tinygrad_jp` stays light and the
# core never imports the layers above it.
def __getattr__(name):
    """Python calls this only for a name the package lacks (PEP 562): a subpackage not
    imported yet, or a missing PyTorch name (whose error says what to use instead)."""
    if not name.startswith("_"):
        import importlib
        import importlib.util
        if importlib.util.find_spec(f"{__name__}.{name}") is not None:
            return importlib.import_module(f"{__name__}.{name}")
    from ._hints import missing
    raise missing(__name__, name, globals())
