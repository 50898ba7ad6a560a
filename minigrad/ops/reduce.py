"""Reductions and broadcasting: sum, mean, max, and the adjoint pair broadcast_to ↔ sum_to.

`unbroadcast` is the one helper every binary op uses to bring a gradient back to the shape of
its input."""

import numbers

import numpy as np

from minigrad.autograd import Function
from minigrad.ops.shape import normalize_axis
from minigrad.tensor import Tensor


def _axes(axis, ndim, op):
    """`axis` (None, an int or a tuple, negatives allowed) as a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    normalized = [normalize_axis(a, ndim, op) for a in axes]
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"{op}: axis {axis} names the same axis twice.")
    return tuple(sorted(normalized))


def _kept_shape(shape, axes):
    """The shape after reducing `axes` with keepdims=True."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _keep_axes(grad_out, shape, settings):
    """The gradient of a reduction of an x of `shape`, with the reduced axes back as 1s, so it
    broadcasts against x. (A full reduction's 0-d gradient broadcasts as it is.)"""
    if settings["keepdims"] or grad_out.ndim == 0:
        return grad_out
    return grad_out.reshape(_kept_shape(shape, settings["axes"]))


class Sum(Function):
    """Sum over some axes.

    forward:  y = Σ_axes x               (x ~ shape, y ~ shape without the axes)
    backward: ∂L/∂x = broadcast_to(g with the axes kept as 1, x.shape)
    """

    def forward(self, x, axes, keepdims):
        return np.add.reduce(x, axis=axes, keepdims=keepdims)  # np.sum without its Python layer

    def backward(self, grad_out):
        (x,) = self.inputs
        return (broadcast_to(_keep_axes(grad_out, x.shape, self.settings), x.shape),)


class Mean(Function):
    """Mean over some axes.

    forward:  y = (1/m) Σ_axes x         (m = the number of elements averaged)
    backward: ∂L/∂x = broadcast_to(g, x.shape) / m
    """

    def forward(self, x, axes, keepdims):
        self.count = int(np.prod([x.shape[a] for a in axes]))
        # float16 is summed in float32 (as np.mean does): a float16 sum overflows at 65 504.
        total = np.add.reduce(x, axis=axes, keepdims=keepdims, dtype=_accumulator(x.dtype))
        return (total / self.count).astype(x.dtype, copy=False)

    def backward(self, grad_out):
        (x,) = self.inputs
        grad_x = broadcast_to(_keep_axes(grad_out, x.shape, self.settings), x.shape)
        return (grad_x * (1 / self.count),)


def _accumulator(dtype):
    """The dtype to sum `dtype` values in: float32 for float16, the dtype itself otherwise."""
    return np.float32 if dtype == np.float16 else None


class Max(Function):
    """Maximum over some axes. Ties share the gradient equally (each of m tied maxima gets g/m).

    forward:  y = max_axes x
    backward: ∂L/∂x = broadcast_to(g) · [x = y] / (number of maxima)
    """

    def forward(self, x, axes, keepdims):
        y = np.maximum.reduce(x, axis=axes, keepdims=True)
        self.y = y
        return y if keepdims else y.reshape([n for i, n in enumerate(x.shape) if i not in axes])

    def backward(self, grad_out):
        (x,) = self.inputs
        axes = self.settings["axes"]
        is_max = x.data == self.y
        share = is_max.astype(grad_out.dtype)
        count = np.add.reduce(is_max, axis=axes, keepdims=True, dtype=np.intp)
        if count.max() > 1:  # ties: each of the m maxima gets 1/m (skipped when there are none)
            share /= count
        share = Tensor._wrap(share, False, None)
        return (broadcast_to(grad_out.reshape(_kept_shape(x.shape, axes)), x.shape) * share,)


class LogSoftmax(Function):
    """log softmax along one axis, computed stably: y = z − log Σ e^z with z = x − max x.

    forward:  y_i = x_i − log Σ_j e^(x_j)       (x and y of the same shape; Σ_j along `axis`)
    backward: ∂L/∂x = g − e^y · Σ_j g_j          (e^y is the softmax)
    A primitive rather than composed of max, −, exp, sum, log (as `softmax` and the losses
    once were): it is the last op of every classifier, and one op costs less than seven.
    Subtracting the max keeps every exponent ≤ 0, so logits of ±1000 stay finite.
    """

    saves_output = True

    def forward(self, x, axis):
        z = np.subtract(x, np.maximum.reduce(x, axis=axis, keepdims=True))
        total = np.add.reduce(np.exp(z), axis=axis, keepdims=True)
        return np.subtract(z, np.log(total, out=total), out=z)

    def backward(self, grad_out):
        axis = self.settings["axis"]
        softmax = self.output.exp()
        return (grad_out - softmax * sum(grad_out, axis=axis, keepdims=True),)


class BroadcastTo(Function):
    """Repeat x along new leading axes and axes of size 1 (numpy's broadcasting rules).

    forward:  y = broadcast_to(x, shape)
    backward: ∂L/∂x = sum_to(g, x.shape)     (its adjoint: sum over the repeated axes)
    """

    def forward(self, x, shape):
        return np.broadcast_to(x, shape)

    def backward(self, grad_out):
        return (sum_to(grad_out, self.inputs[0].shape),)


class SumTo(Function):
    """Sum the axes broadcasting added, so that the result has `shape`.

    forward:  y = sum of x over its extra leading axes and the axes where shape has 1
    backward: ∂L/∂x = broadcast_to(g, x.shape)   (its adjoint)
    """

    def forward(self, x, shape):
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and x.shape[lead + i] != 1
        )
        return np.add.reduce(x, axis=axes, keepdims=True).reshape(shape)

    def backward(self, grad_out):
        return (broadcast_to(grad_out, self.inputs[0].shape),)


def sum(x, axis=None, keepdims=False):
    """Σ x over `axis` (every axis when None).

    >>> sum(Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=0)
    Tensor([4., 6.])
    """
    return Sum.apply(x, axes=_axes(axis, x.ndim, "sum"), keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    """Mean of x over `axis` (every axis when None).

    >>> mean(Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=1)
    Tensor([1.5, 3.5])
    """
    return Mean.apply(x, axes=_axes(axis, x.ndim, "mean"), keepdims=keepdims)


def max(x, axis=None, keepdims=False):
    """Maximum of x over `axis`; tied maxima share the gradient equally.

    >>> max(Tensor([[1.0, 5.0], [3.0, 4.0]]), axis=1)
    Tensor([5., 4.])
    """
    return Max.apply(x, axes=_axes(axis, x.ndim, "max"), keepdims=keepdims)


def log_softmax(x, axis=-1):
    """log softmax(x) along `axis`: x_i − log Σ_j e^(x_j), stable for logits of ±1000.

    >>> log_softmax(Tensor([1000.0, 0.0, -1000.0]))
    Tensor([    0., -1000., -2000.])
    """
    return LogSoftmax.apply(x, axis=normalize_axis(axis, x.ndim, "log_softmax"))


def broadcast_to(x, shape):
    """x repeated to `shape` by numpy's broadcasting rules.

    >>> broadcast_to(Tensor([1.0, 2.0]), (2, 2))
    Tensor([[1., 2.],
            [1., 2.]])
    """
    shape = tuple(shape)
    if x.shape == shape:
        return x
    return BroadcastTo.apply(x, shape=shape)


def sum_to(x, shape):
    """Sum x down to `shape` (the adjoint of broadcast_to).

    >>> sum_to(Tensor([[1.0, 2.0], [3.0, 4.0]]), (1, 2))
    Tensor([[4., 6.]])
    """
    shape = tuple(shape)
    if x.shape == shape:
        return x
    return SumTo.apply(x, shape=shape)


def unbroadcast(grad, shape):
    """Bring the gradient of a broadcast result back to an input's `shape` (a no-op if equal).

    A binary op's output has the broadcast shape of its inputs; the chain rule sums the
    gradient over every axis along which an input was repeated.
    """
    if grad.data.shape == shape:
        return grad
    return SumTo.apply(grad, shape=shape)
