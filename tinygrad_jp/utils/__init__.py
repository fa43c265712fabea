"""PyTorch's ``torch.utils`` place: ``tinygrad_jp.utils.data`` is ``torch.utils.data``."""
from . import data

__all__ = ["data"]
