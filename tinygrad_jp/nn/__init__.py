"""tinygrad_jp.nn: modules, layers, functional ops, init and utilities (PyTorch's names)."""
