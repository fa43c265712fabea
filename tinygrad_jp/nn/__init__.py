"""tinygrad_jp.nn: modules, layers, functional ops, init and utilities (PyTorch's names).

    from tinygrad_jp import nn
    import tinygrad_jp.nn.functional as F
"""
from . import functional, init, utils
from .layers import (
    AdaptiveAvgPool2d,
    AdaptiveMaxPool2d,
    AvgPool2d,
    Conv2d,
    ConvTranspose2d,
    Dropout,
    Dropout2d,
    Flatten,
    Identity,
    Linear,
    MaxPool2d,
    Unflatten,
    Upsample,
)
from .layers_activation import (
    CELU,
    ELU,
    GELU,
    GLU,
    SELU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Softsign,
    Tanh,
)
from .layers_conv_nd import (
    AvgPool1d,
    AvgPool3d,
    Conv1d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose3d,
    MaxPool1d,
    MaxPool3d,
)
from .layers_attention import MultiheadAttention
from .layers_container import ModuleDict, ModuleList, Sequential
from .layers_transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from .layers_distance import CosineSimilarity
from .layers_loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from .layers_norm import (
    BatchNorm1d,
    BatchNorm2d,
    GroupNorm,
    InstanceNorm2d,
    LayerNorm,
    LocalResponseNorm,
)
from .layers_sparse import Embedding
from .module import (
    Module,
    Parameter,
    RemovableHandle,
    register_module_forward_hook,
    register_module_forward_pre_hook,
)
from .summary import ModelSummary, summary

__all__ = [
    "functional", "init", "utils", "summary", "ModelSummary",
    "Module", "Parameter", "RemovableHandle", "register_module_forward_hook",
    "register_module_forward_pre_hook", "Sequential", "ModuleList", "ModuleDict",
    "Identity", "Linear", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d",
    "AdaptiveAvgPool2d", "AdaptiveMaxPool2d", "Flatten", "Unflatten", "Upsample", "Dropout",
    "Dropout2d",
    "BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm", "InstanceNorm2d",
    "LocalResponseNorm", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax",
    "GELU", "CrossEntropyLoss", "NLLLoss", "MSELoss", "L1Loss", "BCELoss",
    "BCEWithLogitsLoss", "KLDivLoss", "SmoothL1Loss", "HuberLoss",
    "ELU", "CELU", "SELU", "ReLU6", "Hardtanh", "Hardsigmoid", "Hardswish", "Softplus",
    "Softsign", "SiLU", "Mish", "LogSigmoid", "GLU", "Embedding", "CosineSimilarity",
    "MultiheadAttention",
    "Conv1d",
    "ConvTranspose1d",
    "MaxPool1d",
    "AvgPool1d",
    "Conv3d",
    "ConvTranspose3d",
    "MaxPool3d",
    "AvgPool3d",
    "Transformer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
]


def __getattr__(name):
    """A missing PyTorch name says what to use instead (see tinygrad_jp/_hints.py)."""
    from .._hints import missing
    raise missing(__name__, name, globals())
