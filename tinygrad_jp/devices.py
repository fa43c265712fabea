"""Devices, PyTorch's way: a tensor lives on ``'cpu'`` (a NumPy array) or on ``'cuda'``
(a CuPy array, the NumPy-compatible GPU library that DeZero also uses).

Ops are written once for both: NumPy's functions hand CuPy arrays to CuPy (the
``__array_function__`` protocol), and where an op must *make* an array it asks
:func:`array_module` for the module of its input. CuPy is imported only when a CUDA
device is first asked for, so a CPU machine never needs it.
"""
from __future__ import annotations

import importlib

import numpy as np

__all__ = ["device", "CPU", "array_module", "device_of", "to_device", "is_device_array",
           "as_array", "cuda_module", "cuda_available", "cuda_device_count"]

_INSTALL_HINT = ("install CuPy for your CUDA version with the project's extra: "
                 "pip install 'tinygrad_jp[cuda12]' (CUDA 12) or 'tinygrad_jp[cuda13]' "
                 "(CUDA 13)")


class device:
    """Where a tensor lives: ``device('cpu')``, ``device('cuda')``, ``device('cuda', 0)``
    or ``device('cuda:0')``, as ``torch.device``. Compares equal to its string
    (``device('cuda:0') == 'cuda:0'``); ``'cuda'`` without an index means the current
    GPU (0)."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # noqa: A002  (PyTorch's argument name)
        if isinstance(type, device):
            if index is not None:
                raise ValueError("device: give an index only with a type string")
            type, index = type.type, type.index
        elif isinstance(type, int) and not isinstance(type, bool) and index is None:
            type, index = "cuda", type       # torch.device(0) is cuda:0
        elif not isinstance(type, str):
            raise TypeError(f"device: expected a string such as 'cpu', 'cuda' or 'cuda:0', "
                            f"got {type!r}")
        if ":" in type:
            if index is not None:
                raise ValueError(f"device: {type!r} already has an index; do not pass "
                                 f"index={index}")
            type, _, text = type.partition(":")
            if not text.isdigit():
                raise ValueError(f"device: invalid device string {type + ':' + text!r}; "
                                 "expected e.g. 'cuda:0'")
            index = int(text)
        if type not in ("cpu", "cuda"):
            raise ValueError(f"device: unknown device type {type!r}; tinygrad_jp runs on "
                             "'cpu' and 'cuda'")
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, (int, np.integer)) \
                    or index < 0:
                raise ValueError(f"device: the index must be an int >= 0, got {index!r}")
            index = int(index)
            if type == "cpu" and index != 0:
                raise ValueError(f"device: there is one CPU device, got cpu:{index}")
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "index", index)

    def __setattr__(self, name, value):
        raise AttributeError("device objects are immutable")

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type={self.type!r}{idx})"

    def _key(self):
        # 'cuda' means the current GPU, which is cuda:0 here; the CPU has no index.
        if self.type == "cuda":
            return ("cuda", 0 if self.index is None else self.index)
        return ("cpu", None)

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = device(other)
            except (TypeError, ValueError):
                return False
        if not isinstance(other, device):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self):
        return hash(self._key())


CPU = device("cpu")

# The CUDA array module: CuPy, imported on first use. Tests may install a stand-in
# (see tests/fake_cupy.py) with _use_cuda_module.
_cuda = None


def _use_cuda_module(module):
    """Use ``module`` as the CUDA array module (None: import CuPy again on demand).
    For tests: a NumPy-backed stand-in that refuses silent conversion, as CuPy does."""
    global _cuda, _cuda_array_type
    _cuda = module
    _cuda_array_type = None if module is None else module.ndarray


_cuda_array_type = None


def _import_cupy():
    return importlib.import_module("cupy")


def cuda_module():
    """The CUDA array module (CuPy), or a ``RuntimeError`` saying how to get it."""
    global _cuda
    if _cuda is not None:
        return _cuda
    try:
        cupy = _import_cupy()
    except ImportError as e:
        raise RuntimeError(f"CUDA was asked for, but CuPy is not installed ({e}); "
                           f"{_INSTALL_HINT}") from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as e:  # CuPy's CUDARuntimeError when there is no driver or GPU
        raise RuntimeError(f"CUDA was asked for, but CuPy finds no usable GPU ({e}); "
                           "run on 'cpu', or on a machine with an NVIDIA GPU and its "
                           "driver") from None
    if count < 1:
        raise RuntimeError("CUDA was asked for, but CuPy finds no GPU; run on 'cpu'")
    _use_cuda_module(cupy)
    return cupy


def cuda_available():
    """True when CuPy imports and sees at least one GPU (never raises)."""
    try:
        cuda_module()
    except RuntimeError:
        return False
    return True


def cuda_device_count():
    """The number of GPUs CuPy sees (0 without CuPy or without a GPU)."""
    if not cuda_available():
        return 0
    return int(cuda_module().cuda.runtime.getDeviceCount())


def is_device_array(a):
    """True for an array of a GPU (CuPy's, or the test stand-in's)."""
    return _cuda_array_type is not None and isinstance(a, _cuda_array_type)


def array_module(where):
    """``numpy`` for the CPU, CuPy for CUDA; ``where`` is a device (or its string) or an
    array. Ops use it to make new arrays on their input's device."""
    if isinstance(where, np.ndarray):
        return np
    if isinstance(where, (device, str)):
        return np if device(where).type == "cpu" else cuda_module()
    if is_device_array(where):
        return _cuda
    return np


def add_at(target, index, values):
    """``np.add.at`` on the target's device: ``values`` added into ``target[index]`` in
    place, repeated indices accumulating. (NumPy does not hand ``ufunc.at`` over to
    CuPy, so the device's own ``add.at`` is called.)"""
    array_module(target).add.at(target, index, values)


def is_writeable(array):
    """Whether ``array`` may be written in place. CuPy's arrays carry no ``writeable``
    flag (they are always writeable); NumPy's read-only views, broadcasts, are not."""
    return getattr(array.flags, "writeable", True)


def as_array(x, dtype=None):
    """``x`` as an array where it lives: a GPU array as it is, anything else (NumPy
    scalars from reductions, Python numbers) through ``np.asarray``."""
    if is_device_array(x):
        return x if dtype is None or x.dtype == dtype else x.astype(dtype)
    return np.asarray(x, dtype=dtype)


def device_of(array):
    """The device an array lives on."""
    if is_device_array(array):
        return device("cuda", int(getattr(getattr(array, "device", None), "id", 0)))
    return CPU


def to_device(array, where):
    """``array`` on device ``where`` (the same object when it is already there)."""
    target = device(where)
    if target.type == "cpu":
        return array.get() if is_device_array(array) else array
    cupy = cuda_module()
    if target.index not in (None, 0) and target.index >= cuda_device_count():
        raise RuntimeError(f"to: {target} does not exist; this machine has "
                           f"{cuda_device_count()} GPU(s) (cuda:0 ...)")
    if is_device_array(array) and device_of(array) == target:
        return array
    if target.index is None:
        return cupy.asarray(array)
    with cupy.cuda.Device(target.index):
        return cupy.asarray(array)
