"""``tg.accelerator``: PyTorch 2.x's device-neutral questions (its scripts ask them)."""
from . import cuda
from .devices import device

__all__ = ["is_available", "current_accelerator", "device_count"]


def is_available():
    """True when an accelerator (here: a CUDA GPU through CuPy) can be used."""
    return cuda.is_available()


def current_accelerator(check_available=False):
    """``device('cuda')`` when a GPU can be used, else None."""
    return device("cuda") if cuda.is_available() else None


def device_count():
    return cuda.device_count()
