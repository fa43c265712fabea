"""tinygrad_jp.nn: modules, layers, functional ops, init and utilities (PyTorch's names).

    from tinygrad_jp import nn
    import tinygrad_jp.nn.functional as F
"""
from . import init, utils
from .layers import (
    AdaptiveAvgPool2d,
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
from .layers_activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from .layers_container import ModuleDict, ModuleList, Sequential
from .layers_loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
)
from .layers_norm import (
    BatchNorm1d,
    BatchNorm2d,
    GroupNorm,
    InstanceNorm2d,
    LayerNorm,
    LocalResponseNorm,
)
from .module import (
    Module,
    Parameter,
    RemovableHandle,
    register_module_forward_hook,
    register_module_forward_pre_hook,
)
from .summary import ModelSummary, summary
