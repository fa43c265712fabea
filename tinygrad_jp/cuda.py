"""``tg.cuda``: what PyTorch's ``torch.cuda`` says about the GPU, answered through CuPy.

Without CuPy or without a GPU, ``is_available()`` is False and ``device_count()`` is 0;
nothing here imports CuPy until asked.
"""
from . import devices as _device

__all__ = ["is_available", "device_count", "current_device", "synchronize", "manual_seed",
           "manual_seed_all"]


def is_available():
    """True when CuPy is installed and sees a GPU."""
    return _device.cuda_available()


def device_count():
    """The number of GPUs (0 without CuPy or a GPU)."""
    return _device.cuda_device_count()


def current_device():
    """The index of the current GPU (0)."""
    _device.cuda_module()
    return 0


def synchronize(device=None):
    """Wait until the GPU has finished its queued work (for timing)."""
    cupy = _device.cuda_module()
    index = 0 if device is None else _device.device(device).index or 0
    cupy.cuda.Device(index).synchronize()


def manual_seed(seed):
    """Seed the GPU's random generator (dropout masks made on the GPU); ``tg.manual_seed``
    does this too."""
    if is_available():
        _device.cuda_module().random.seed(int(seed) % 2 ** 32)


manual_seed_all = manual_seed
