"""Grouped convolution is ``ops.conv.Conv2d`` with ``groups``; these names stay for the
callers that import them from here (its kernels: ``tinygrad_jp/kernels/cpu_grouped.py``)."""
from .conv import Conv2d as GroupedConv2d
from .conv import ConvInputGrad as GroupedConvInputGrad
from .conv import ConvWeightGrad as GroupedConvWeightGrad

__all__ = ["GroupedConv2d", "GroupedConvInputGrad", "GroupedConvWeightGrad"]
