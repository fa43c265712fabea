"""tinygrad_jp.nn: modules, layers, functional ops, init and utilities (PyTorch's names)."""
from .layers_container import ModuleDict, ModuleList, Sequential
from .module import (
    Module,
    Parameter,
    RemovableHandle,
    register_module_forward_hook,
    register_module_forward_pre_hook,
)
