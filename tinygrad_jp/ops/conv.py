"""Convolution (grouped too) as im2col + GEMM, and unfold / fold.

The curriculum's im2col: every window of the (padded) input becomes a column, the
columns times the weight matrix are the output, one GEMM:

    col = im2col(x)                  (N·OH·OW, C·kh·kw)
    y   = col @ Wᵀ + b               (N·OH·OW, F)  →  (N, F, OH, OW)

With ``groups = G`` the channels split into G independent convolutions: output
channel ``g·F/G + f`` sees only input channels ``g·C/G … (g+1)·C/G − 1``, and the
weight is (F, C/G, kh, kw) as in PyTorch; ``groups = C`` is depthwise convolution.

The backward pass is three ops that are each other's derivatives, so
``create_graph=True`` works to any order:

* ``Conv2d(x, w)``             → the output ``y``
* ``ConvInputGrad(g, w)``      → ∂L/∂x = col2im(g @ W): every window sends its share
  back to the pixels it read; it is also ``conv_transpose2d``
* ``ConvWeightGrad(x, g)``     → ∂L/∂w = gᵀ @ col
* ``ConvBiasGrad(g)``          → ∂L/∂b = Σ g over batch and pixels

The arrays are worked on by the kernels of their device (``tinygrad_jp.kernels``): on
the CPU they are channels-last in memory, the columns are built a cache-sized slice of
the batch at a time, and the forward keeps its columns for the weight gradient.
"""
from ..autograd import Function, is_grad_enabled
from ..kernels import for_array

__all__ = ["Conv2d", "ConvInputGrad", "ConvWeightGrad", "ConvBiasGrad", "Unfold", "Fold",
           "out_size"]


def out_size(size, k, s, p, d=1):
    """Output length of a convolution / pooling window along one axis."""
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def _cut_to(y, g):
    """``y`` without the rows and columns beyond ``g``'s: an output_padding made the input
    larger than its windows reach, and those outputs have no counterpart in ``g``."""
    if y.shape[2:] != g.shape[2:]:
        return y[:, :, :g.shape[2], :g.shape[3]]
    return y


class Conv2d(Function):
    """2-D cross-correlation of (N, C, H, W) with weights (F, C/groups, kh, kw) and an
    optional bias (F,) → (N, F, OH, OW)."""

    def forward(self, x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1),
                groups=1):
        self.params, self.groups = (stride, padding, dilation), groups
        self.has_bias = b is not None
        self.x_shape, self.w_shape = x.data.shape, w.data.shape
        k = for_array(x.data)
        bias = None if b is None else b.data
        cols = None
        if is_grad_enabled() and w.requires_grad:
            # the columns of x are also the weight gradient's: keep them if the device may
            out, cols = k.conv2d_with_columns(x.data, w.data, bias, *self.params, groups)
        elif groups == 1:
            out = k.conv2d(x.data, w.data, bias, *self.params)
        else:
            out = k.grouped_conv2d(x.data, w.data, bias, *self.params, groups)
        self.save_for_backward(x, w, cols)
        return out

    def backward(self, grad):
        x, w, cols = self.saved
        need = self.needs_input_grad
        gx = gw = gb = None
        if need[0]:
            gx = ConvInputGrad.apply(grad, w, x_shape=self.x_shape, params=self.params,
                                     groups=self.groups)
        if need[1]:
            gw = ConvWeightGrad.apply(x, grad, w_shape=self.w_shape, params=self.params,
                                      groups=self.groups, cols=cols)
        if self.has_bias and need[2]:
            gb = ConvBiasGrad.apply(grad, cols=cols)
        return (gx, gw, gb) if self.has_bias else (gx, gw)


class ConvInputGrad(Function):
    """The gradient of conv2d w.r.t. its input: ``g`` (N, F, OH, OW) and ``w``
    (F, C/groups, kh, kw) → (N, C, H, W). This is also ``conv_transpose2d``."""

    def forward(self, g, w, x_shape, params, groups=1):
        self.x_shape, self.params, self.groups = tuple(x_shape), params, groups
        self.save_for_backward(g, w)
        k = for_array(g.data)
        if groups == 1:
            return k.conv2d_input_grad(g.data, w.data, self.x_shape, *params)
        return k.grouped_conv2d_input_grad(g.data, w.data, self.x_shape, *params, groups)

    @property
    def name(self):
        return "ConvolutionBackward"

    def backward(self, grad):
        g, w = self.saved
        stride, padding, dilation = self.params
        gg = gw = None
        if self.needs_input_grad[0]:
            gg = _cut_to(Conv2d.apply(grad, w, stride=stride, padding=padding,
                                      dilation=dilation, groups=self.groups), g)
        if self.needs_input_grad[1]:
            gw = ConvWeightGrad.apply(grad, g, w_shape=w.shape, params=self.params,
                                      groups=self.groups)
        return gg, gw


class ConvWeightGrad(Function):
    """The gradient of conv2d w.r.t. its weight: input ``x`` and output gradient ``g``
    → (F, C/groups, kh, kw), the GEMM ``gᵀ @ col``. ``cols`` is what the forward kept of
    the columns (None: they are rebuilt)."""

    def forward(self, x, g, w_shape, params, groups=1, cols=None):
        self.w_shape, self.params, self.groups = tuple(w_shape), params, groups
        self.save_for_backward(x, g)
        return for_array(x.data).conv2d_weight_grad_with_columns(
            x.data, g.data, self.w_shape, *params, groups, cols)

    @property
    def name(self):
        return "ConvolutionBackwardWeight"

    def backward(self, grad):
        x, g = self.saved
        stride, padding, dilation = self.params
        gx = gg = None
        if self.needs_input_grad[0]:
            gx = ConvInputGrad.apply(g, grad, x_shape=x.shape, params=self.params,
                                     groups=self.groups)
        if self.needs_input_grad[1]:
            gg = _cut_to(Conv2d.apply(x, grad, stride=stride, padding=padding,
                                      dilation=dilation, groups=self.groups), g)
        return gx, gg


class ConvBiasGrad(Function):
    """The gradient of conv2d w.r.t. its bias: ``g`` (N, F, OH, OW) summed over batch and
    pixels → (F,). Its own gradient spreads back over those axes."""

    def forward(self, g, cols=None):
        self.g_shape = g.data.shape
        return for_array(g.data).conv2d_bias_grad(g.data, cols)

    @property
    def name(self):
        return "ConvolutionBackwardBias"

    def backward(self, grad):
        return grad.reshape(1, -1, 1, 1).expand(*self.g_shape)


# ------------------------------------------------------------------ unfold / fold
class Unfold(Function):
    """im2col in PyTorch's layout: (N, C, H, W) → (N, C·kh·kw, L)."""

    def forward(self, x, kernel, dilation, padding, stride):
        self.args = (kernel, dilation, padding, stride)
        self.in_hw = x.data.shape[2:]
        return for_array(x.data).unfold(x.data, *self.args)

    def backward(self, grad):
        return Fold.apply(grad, output_size=self.in_hw, kernel=self.args[0],
                          dilation=self.args[1], padding=self.args[2], stride=self.args[3])


class Fold(Function):
    """col2im in PyTorch's layout: (N, C·kh·kw, L) → (N, C, H, W), overlaps summed."""

    def forward(self, cols, output_size, kernel, dilation, padding, stride):
        self.args = (kernel, dilation, padding, stride)
        return for_array(cols.data).fold(cols.data, output_size, *self.args)

    def backward(self, grad):
        return Unfold.apply(grad, kernel=self.args[0], dilation=self.args[1],
                            padding=self.args[2], stride=self.args[3])
