"""``dropout``: inverted dropout, the op of ``nn.Dropout``."""
import numbers

import numpy as np

from .. import devices as _devices
from ..random import get_rng
from ..tensor import Tensor
from ._checks import _float_tensor

__all__ = ["dropout"]


def dropout(input, p=0.5, training=True, inplace=False):
    """Inverted dropout: zero each element with probability ``p`` and scale the rest by
    1/(1−p), so evaluation needs no rescaling. The identity when not training or p=0;
    p=1 gives zeros. The mask comes from ``tinygrad_jp.random.get_rng()`` on the CPU,
    and from the GPU's own generator (seeded by ``tg.manual_seed`` too) on CUDA."""
    x = _float_tensor(input, "dropout")
    if not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability has to be between 0 and 1, but got {p}")
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0.0
    if x.is_cuda:     # drawn where it is used: no mask crosses the bus every step
        keep = _devices.array_module(x.data).random.random(x.shape, dtype=np.float32) >= p
    else:
        keep = get_rng().random(x.shape, dtype=np.float32) >= p
    mask = np.multiply(keep, x.dtype.type(1.0 / (1.0 - p)), dtype=x.dtype)
    return x * Tensor._wrap(mask)
