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
    "BCEWithLogitsLoss",
]
