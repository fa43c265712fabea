"""``tinygrad_jp.nn.functional``: PyTorch's functional API (``import ... as F``).

The functions live in one file per concept (``functional_conv.py``, ``functional_pool.py``,
``functional_norm.py``, ``functional_activation.py``, ``functional_loss.py``, ...); this
module is the namespace that gathers them. Every function takes and returns Tensors,
checks its arguments at the call with the helpers of ``nn/_checks.py`` (naming the op
and the offending shapes, dtypes or values), and is differentiable to any order
(``create_graph=True``). Convolution and pooling run on strided views with one GEMM
per layer (see ``tinygrad_jp/ops/conv.py`` for the im2col walk-through).

>>> import tinygrad_jp as tg
>>> import tinygrad_jp.nn.functional as F
>>> x = tg.randn(1, 1, 6, 6)
>>> F.conv2d(x, tg.randn(1, 1, 2, 2), stride=1, padding=1).shape
(1, 1, 7, 7)
"""
from . import functional_1d as _one_d
from . import functional_3d as _three_d
from . import functional_activation as _activation
from . import functional_attention as _attention
from . import functional_conv as _conv
from . import functional_distance as _distance
from . import functional_dropout as _dropout
from . import functional_linear as _linear
from . import functional_loss as _loss
from . import functional_norm as _norm
from . import functional_pool as _pool
from . import functional_resize as _resize
from . import functional_sparse as _sparse
from .functional_1d import *  # noqa: F403
from .functional_3d import *  # noqa: F403
from .functional_activation import *  # noqa: F403
from .functional_attention import *  # noqa: F403
from .functional_conv import *  # noqa: F403
from .functional_distance import *  # noqa: F403
from .functional_dropout import *  # noqa: F403
from .functional_linear import *  # noqa: F403
from .functional_loss import *  # noqa: F403
from .functional_loss import TargetError  # noqa: F401
from .functional_norm import *  # noqa: F403
from .functional_pool import *  # noqa: F403
from .functional_resize import *  # noqa: F403
from .functional_sparse import *  # noqa: F403

__all__ = [*_linear.__all__, *_conv.__all__, *_pool.__all__, *_norm.__all__, *_dropout.__all__,
           *_activation.__all__, *_loss.__all__, *_resize.__all__, *_attention.__all__,
           *_sparse.__all__, *_distance.__all__, *_one_d.__all__,
           *_three_d.__all__]


def __getattr__(name):
    """A missing PyTorch name says what to use instead (see tinygrad_jp/_hints.py)."""
    from .._hints import missing
    raise missing(__name__, name, globals())
