"""Reductions and broadcasting: sum, mean, max, the adjoint pair broadcast_to ↔ sum_to, and the
reductions of a classifier's scores: log_softmax (and its backward as one op) and nll_loss.

`unbroadcast` is the one helper every binary op uses to bring a gradient back to the shape of
its input."""

import math
import numbers

import numpy as np

from minigrad.autograd import Function
from minigrad.ops.shape import normalize_axis, shape_argument, tensor_input
from minigrad.tensor import Tensor


def _axes(axis, ndim, op):
    """`axis` (None, an int or a tuple, negatives allowed) as a sorted tuple of axes."""
    if axis is None:
        return tuple(range(ndim))
    try:
        axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    except TypeError:
        raise ValueError(
            f"{op}: axis must be None, an int or a tuple of ints; got {axis!r}."
        ) from None
    normalized = [normalize_axis(a, ndim, op) for a in axes]
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"{op}: axis {axis} names the same axis twice.")
    return tuple(sorted(normalized))


def _kept_shape(shape, axes):
    """The shape after reducing `axes` with keepdims=True."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _reduced_shape(shape, axes):
    """The shape after reducing `axes` with keepdims=False."""
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def _keep_axes(grad_out, shape, settings):
    """The gradient of a reduction of an x of `shape`, with the reduced axes back as 1s, so it
    broadcasts against x. (A full reduction's 0-d gradient broadcasts as it is.)"""
    if settings["keepdims"] or grad_out.ndim == 0:
        return grad_out
    return grad_out.reshape(_kept_shape(shape, settings["axes"]))


# Axes of at most SMALL_AXIS elements, in arrays of at least SLICED_MIN_SIZE, are reduced slice
# by slice; ROW or more leading rows of at most ROW / 2 numbers are folded into rows of about ROW
# numbers (see reduce_axes; elementwise.py's bias rows use ROW too). Below that, numpy's
# ufunc.reduce is faster than the Python around the fold (measured: (128, 256) over axis 0 took
# 9 µs in numpy and 22 µs folded; (1024, 64) 31 µs and 27 µs).
SMALL_AXIS = 16
SLICED_MIN_SIZE = 4096
ROW = 1024


def reduce_axes(ufunc, x, axes, dtype=None):
    """ufunc.reduce of x over `axes`, keeping them as axes of size 1 (np.add: a sum; np.maximum:
    a max). `dtype`: the accumulator's dtype (default x's).

    numpy's reduce pays for every row it walks, and two common shapes give it many short rows;
    for arrays of at least SLICED_MIN_SIZE elements they are done differently:
    - A short axis (at most SMALL_AXIS elements; the 2×2 windows of a pooling, x ~ (n, h', 2,
      w', 2, c) over axes 2 and 4) is reduced one slice at a time into an accumulator:
      np.maximum(x[:, :, 0], x[:, :, 1]) and so on. ~10× faster.
    - Many (at least ROW) leading rows of a few numbers (a bias gradient: g ~ (n·h·w, c')
      summed over axis 0) are folded: x ~ (N, m) is viewed as (N/r, r·m), rows of r·m ≈ ROW
      numbers, reduced, and the r partial results reduced again. ~10× faster, and a more
      accurate sum: numpy adds the N rows one after another, this adds r running sums of N/r
      rows each.
    Other axes, and reductions to a single number (numpy sums contiguous numbers pairwise,
    which is more accurate still), go to ufunc.reduce, all at once.
    """
    size = x.size
    if size < SLICED_MIN_SIZE or not axes:
        return ufunc.reduce(x, axis=axes, keepdims=True, dtype=dtype)
    shape, long, short, count = x.shape, [], [], 1
    for axis in axes:
        count *= shape[axis]
        (long if shape[axis] > SMALL_AXIS else short).append(axis)
    if count == size:  # down to one number
        return ufunc.reduce(x, axis=axes, keepdims=True, dtype=dtype)
    if long:
        long = tuple(long)
        row = math.prod(x.shape[len(long) :])  # the numbers after the leading axes
        folds = ROW // row >= 2 and x.size // row >= ROW  # short rows, and many of them
        if folds and long == tuple(range(len(long))) and x.flags.c_contiguous:
            x = _reduce_leading(ufunc, x, len(long), dtype)
        else:
            x = ufunc.reduce(x, axis=long, keepdims=True, dtype=dtype)
        dtype = None  # x now has the accumulator's dtype
    for axis in short:
        slices = _slices(x, axis)
        if len(slices) == 1:
            total = slices[0].astype(dtype or x.dtype)  # a copy: never a view of x
        else:
            total = ufunc(slices[0], slices[1], dtype=dtype)  # the accumulator, new
            for part in slices[2:]:
                ufunc(total, part, out=total)
        x, dtype = total, None
    return x


def _slices(x, axis):
    """x[..., i : i + 1, ...] along `axis`, for each i: views, the axis kept with size 1."""
    index = [slice(None)] * x.ndim
    views = []
    for i in range(x.shape[axis]):
        index[axis] = slice(i, i + 1)
        views.append(x[tuple(index)])
    return views


def _reduce_leading(ufunc, x, lead, dtype):
    """ufunc.reduce over the first `lead` axes of a C-contiguous x, kept as 1s, folding rows of
    m ≤ ROW / 2 numbers r at a time (see reduce_axes). The reshapes are views: x is contiguous."""
    rest = x.shape[lead:]
    rows = x.reshape(-1, math.prod(rest))  # (N, m)
    n, m = rows.shape
    r = min(ROW // m, n)  # fold r rows into one
    whole = n - n % r
    y = ufunc.reduce(rows[:whole].reshape(whole // r, r * m), axis=0, dtype=dtype)
    y = ufunc.reduce(y.reshape(r, m), axis=0)
    if whole < n:  # the rows left over
        ufunc(y, ufunc.reduce(rows[whole:], axis=0, dtype=dtype), out=y)
    return y.reshape((1,) * lead + rest)


class Sum(Function):
    """Sum over some axes.

    forward:  y = Σ_axes x               (x ~ shape, y ~ shape without the axes)
    backward: ∂L/∂x = broadcast_to(g with the axes kept as 1, x.shape)
    """

    def forward(self, x, axes, keepdims):
        # float16 is summed in float32 and rounded once (as Mean does): a bias gradient summed
        # over 10⁵ rows in float16 was off by 7e-3, 16× float16's resolution.
        total = reduce_axes(np.add, x, axes, dtype=_accumulator(x.dtype))
        total = total.astype(x.dtype, copy=False)
        return total if keepdims else total.reshape(_reduced_shape(x.shape, axes))

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
        total = reduce_axes(np.add, x, axes, dtype=_accumulator(x.dtype))
        if not keepdims:
            total = total.reshape(_reduced_shape(x.shape, axes))
        return (total / self.count).astype(x.dtype, copy=False)

    def backward(self, grad_out):
        (x,) = self.inputs
        grad_x = broadcast_to(_keep_axes(grad_out, x.shape, self.settings), x.shape)
        return (grad_x * (1 / (self.count or 1)),)  # (count 0: the gradient is empty)


def _accumulator(dtype):
    """The dtype to sum `dtype` values in: float32 for float16, the dtype itself otherwise."""
    return np.float32 if dtype == np.float16 else None


class Max(Function):
    """Maximum over some axes. Ties share the gradient equally (each of m tied maxima gets g/m);
    a window whose maximum is NaN passes no gradient.

    forward:  y = max_axes x
    backward: ∂L/∂x = broadcast_to(g) · [x = y] / (number of maxima)
    """

    def forward(self, x, axes, keepdims):
        y = reduce_axes(np.maximum, x, axes)
        self.y = y
        return y if keepdims else y.reshape(_reduced_shape(x.shape, axes))

    def backward(self, grad_out):
        (x,) = self.inputs
        axes = self.settings["axes"]
        is_max = x.data == self.y
        grad = grad_out.reshape(_kept_shape(x.shape, axes))  # g, one value per maximum taken
        window = math.prod(x.shape[a] for a in axes)
        count = reduce_axes(np.add, is_max, axes, dtype=np.uint8 if window < 256 else np.intp)
        if count.size and count.max() > 1:  # ties: each of m maxima gets g/m (if there are)
            # (A window whose max is NaN has no element equal to it: count 0, no gradient.)
            share = 1 / np.maximum(count, 1)
            grad = grad * Tensor._wrap(share.astype(grad_out.dtype), False, None)
        mask = Tensor._wrap(is_max, False, None)  # booleans, as ReLU's mask (see there)
        return (broadcast_to(grad, x.shape) * mask,)


class LogSoftmax(Function):
    """log softmax along one axis, computed stably: y = z − log Σ e^z with z = x − max x.

    forward:  y_i = x_i − log Σ_j e^(x_j)       (x and y of the same shape; Σ_j along `axis`)
    backward: ∂L/∂x = g − e^y · Σ_j g_j          (e^y is the softmax)
    A primitive rather than composed of max, −, exp, sum, log (as `softmax` and the losses
    once were): it is the last op of every classifier, and one op costs less than six.
    Subtracting the max keeps every exponent ≤ 0, so logits of ±1000 stay finite.
    """

    saves_output = True

    def forward(self, x, axis):
        if x.size == 0:  # an empty batch, or an empty axis (whose max numpy refuses): empty
            return x.copy()
        z = np.subtract(x, np.maximum.reduce(x, axis=axis, keepdims=True))
        # (float16 is summed in float32, as Sum does: along a strided axis numpy adds one term
        # at a time, and a float16 total stops growing at 2048)
        total = np.add.reduce(np.exp(z), axis=axis, keepdims=True, dtype=_accumulator(x.dtype))
        return np.subtract(z, np.log(total, out=total), out=z)

    def backward(self, grad_out):
        return (LogSoftmaxBackward.apply(grad_out, self.output, axis=self.settings["axis"]),)


class LogSoftmaxBackward(Function):
    """log_softmax's backward as one op: g − e^y · Σ_j g_j, from g and y = log_softmax(x).

    forward:  z = g − e^y · Σ_axis g                       (g, y and z of one shape)
    backward: ∂L/∂g = G − Σ_axis (G · e^y),  ∂L/∂y = −G · e^y · Σ_axis g      (G = ∂L/∂z)
    One op rather than the four of exp, sum, ·, − (as TanhBackward for tanh): the loss runs it
    at every step. Its own backward is written with Tensor ops, so higher orders still work.
    """

    def forward(self, g, y, axis):
        total = np.add.reduce(g, axis=axis, keepdims=True, dtype=_accumulator(g.dtype))
        return g - np.exp(y) * total.astype(g.dtype, copy=False)  # (float16: as forward)

    def backward(self, grad_out):
        g, y = self.inputs
        axis = self.settings["axis"]
        softmax = y.exp()
        grad_g = grad_y = None
        if self.needs_input_grad[0]:
            grad_g = grad_out - sum(grad_out * softmax, axis=axis, keepdims=True)
        if self.needs_input_grad[1]:
            grad_y = -(grad_out * softmax * sum(g, axis=axis, keepdims=True))
        return grad_g, grad_y


class NLLLoss(Function):
    """The mean negative log-likelihood of integer labels: −(1/n) Σ_i x[i, labels_i].

    forward:  L = −(1/n) Σ_i x[i, labels_i]     (x ~ (n, classes) log-probabilities; L a number)
    backward: ∂L/∂x = g · W,  W[i, labels_i] = −1/n and 0 elsewhere (a constant)
    cross_entropy is this op after log_softmax. Backward needs only x's shape, not its values.
    """

    def forward(self, x, labels):
        n = len(labels)
        picked = x[np.arange(n), labels]  # log p of each example's label, (n,)
        # add.reduce rather than .mean(): the same pairwise sum (float16 summed in float32, as
        # Mean does), without np.mean's Python, which cost half of this op (14 of 29 µs at n=128)
        total = np.add.reduce(picked, dtype=_accumulator(x.dtype))
        return np.array(-total / n, dtype=x.dtype)

    def backward(self, grad_out):
        (x,) = self.inputs
        labels = self.settings["labels"]
        weights = np.zeros(x.shape, x.dtype)  # −(1/n) Y, Y the one-hot matrix of the labels
        weights[np.arange(len(labels)), labels] = -1 / len(labels)
        return (grad_out * Tensor._wrap(weights, False, None),)


class BroadcastTo(Function):
    """Repeat x along new leading axes and axes of size 1 (numpy's broadcasting rules).

    forward:  y = broadcast_to(x, shape)
    backward: ∂L/∂x = sum_to(g, x.shape)     (its adjoint: sum over the repeated axes)
    """

    def forward(self, x, shape):
        return np.broadcast_to(x, shape)

    def backward(self, grad_out):
        return (unbroadcast(grad_out, self.inputs[0].shape),)  # sum_to: the shapes fit


class SumTo(Function):
    """Sum the axes broadcasting added, so that the result has `shape`.

    forward:  y = sum of x over its extra leading axes and the axes where shape has 1
    backward: ∂L/∂x = broadcast_to(g, x.shape)   (its adjoint)
    """

    def forward(self, x, shape):
        lead = x.ndim - len(shape)
        axes = tuple(range(lead))  # the leading axes broadcasting added (a bias: all of them)
        if x.shape[lead:] != shape:  # and the axes where shape has a 1 that was repeated
            kept = x.shape[lead:]
            axes += tuple(lead + i for i, n in enumerate(shape) if n == 1 and kept[i] != 1)
        total = reduce_axes(np.add, x, axes, dtype=_accumulator(x.dtype))  # as Sum does
        return total.astype(x.dtype, copy=False).reshape(shape)

    def backward(self, grad_out):
        return (broadcast_to(grad_out, self.inputs[0].shape),)


def sum(x, axis=None, keepdims=False):
    """Σ x over `axis` (every axis when None).

    >>> sum(Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=0)
    Tensor([4., 6.])
    """
    x = tensor_input(x)
    return Sum.apply(x, axes=_axes(axis, x.ndim, "sum"), keepdims=keepdims)


def mean(x, axis=None, keepdims=False):
    """Mean of x over `axis` (every axis when None).

    >>> mean(Tensor([[1.0, 2.0], [3.0, 4.0]]), axis=1)
    Tensor([1.5, 3.5])
    """
    x = tensor_input(x)
    return Mean.apply(x, axes=_axes(axis, x.ndim, "mean"), keepdims=keepdims)


def max(x, axis=None, keepdims=False):
    """Maximum of x over `axis`; tied maxima share the gradient equally.

    >>> max(Tensor([[1.0, 5.0], [3.0, 4.0]]), axis=1)
    Tensor([5., 4.])
    """
    x = tensor_input(x)
    return Max.apply(x, axes=_axes(axis, x.ndim, "max"), keepdims=keepdims)


def log_softmax(x, axis=-1):
    """log softmax(x) along `axis`: x_i − log Σ_j e^(x_j), stable for logits of ±1000.

    >>> log_softmax(Tensor([1000.0, 0.0, -1000.0]))
    Tensor([    0., -1000., -2000.])
    """
    x = tensor_input(x)
    return LogSoftmax.apply(x, axis=normalize_axis(axis, x.ndim, "log_softmax"))


def nll_loss(log_probs, labels):
    """−(1/n) Σ_i log_probs[i, labels_i]: the mean negative log-likelihood of integer labels.

    log_probs ~ (n, classes), as log_softmax gives them; labels: n integers in [0, classes).

    >>> round(nll_loss(Tensor([[-0.5, -1.0], [-2.0, -0.1]]), [0, 1]).item(), 4)   # (0.5 + 0.1) / 2
    0.3
    """
    log_probs = tensor_input(log_probs)
    labels = class_labels(labels, log_probs.shape, "nll_loss", "log_probs")
    if log_probs.size and (top := float(np.max(log_probs.data))) > 1e-6:  # (log p ≤ 0)
        raise ValueError(
            f"nll_loss takes log-probabilities, which are ≤ 0 (what log_softmax gives); got "
            f"values up to {top:.4g}, as probabilities (softmax) or logits have: the loss would "
            "be meaningless, negative even. Pass log_softmax(logits), or give the logits to "
            "cross_entropy, which takes the log_softmax itself."
        )
    return NLLLoss.apply(log_probs, labels=labels)


def class_labels(labels, shape, op, what):
    """`labels` checked against scores of `shape` ~ (n, classes) (`what` they are, for the
    errors of `op`): a new read-only int64 array of n values in [0, classes).

    A copy, so a backward uses the labels of its forward even if the caller's array changes."""
    if len(shape) != 2:
        if len(shape) > 2:  # a conv head: one score map per example
            hint = (
                f"Flatten each example's scores: {what}.reshape({shape[0]}, -1), or nn.Vect() "
                "before the last layer."
            )
        elif np.ndim(labels) == 2:
            hint = (
                f"The labels have shape {np.shape(labels)}, as {what} would: were the two "
                f"swapped? The order is {op}({what}, labels)."
            )
        else:
            hint = f"For a single example use {what}.reshape(1, -1)."
        raise ValueError(f"{op} expects {what} (n, classes); got shape {shape}. {hint}")
    n, classes = shape
    if n == 0:
        raise ValueError(
            f"{op} got an empty batch ({what} of shape {shape}): the mean over no examples is "
            "undefined. Skip empty batches."
        )
    values = labels.data if isinstance(labels, Tensor) else np.asarray(labels)
    if values.dtype.kind == "f" and np.all(np.isfinite(values) & (values == np.round(values))):
        values = values.astype(np.int64)
    if values.dtype.kind not in "iu":
        found = f"dtype {values.dtype}"
        hint = "For one-hot targets use labels = targets.argmax(axis=1)."
        if values.dtype.kind == "f" and np.all(np.isfinite(values)):
            found += ", with values that are not whole numbers"
            if np.all(np.abs(values - np.round(values)) < 1e-4):  # whole numbers, nudged
                hint = (
                    "These are whole numbers moved by a small step, as gradcheck moves each "
                    "Tensor it is given: give gradcheck the labels as an array (it passes "
                    "arrays to fn unchanged), or let fn close over them."
                )
        raise TypeError(
            f"{op}: labels must be integer class indices (0 … {classes - 1}); got {found}. {hint}"
        )
    if values.shape != (n,):
        hint = ""
        if values.shape == (n, classes):
            hint = " These look like one-hot rows: pass labels.argmax(axis=1)."
        elif values.size == n:  # a column (n, 1), as a data frame or y[:, None] gives it
            hint = (
                " They hold one label per example: pass labels.reshape(-1) (or give fit "
                "y.reshape(-1))."
            )
        raise ValueError(
            f"{op}: expected one label per example, shape ({n},) for {what} of shape "
            f"({n}, {classes}); got labels of shape {values.shape}.{hint}"
        )
    bad = (values < 0) | (values >= classes)
    if bad.any():
        raise ValueError(
            f"{op}: labels must lie in 0 … {classes - 1} ({what} have {classes} columns); got "
            f"{int(values[bad][0])} at position {int(np.argmax(bad))}. Does the last layer "
            "have one output per class?"
        )
    values = values.astype(np.int64)  # always a copy
    values.flags.writeable = False
    return values


def broadcast_to(x, shape):
    """x repeated to `shape` by numpy's broadcasting rules.

    >>> broadcast_to(Tensor([1.0, 2.0]), (2, 2))
    Tensor([[1., 2.],
            [1., 2.]])
    """
    x, shape = tensor_input(x), shape_argument(shape, "broadcast_to")
    if x.shape == shape:
        return x
    lead = len(shape) - x.ndim  # broadcasting adds axes on the left; sizes of 1 repeat
    if lead < 0 or any(n not in (1, m) for n, m in zip(x.shape, shape[lead:])):
        raise ValueError(
            f"broadcast_to: cannot repeat a tensor of shape {x.shape} to {shape}: each axis of "
            f"x must equal the trailing axis of {shape} it meets, or be 1 (x may have fewer "
            "axes)."
        )
    return BroadcastTo.apply(x, shape=shape)


def sum_to(x, shape):
    """Sum x down to `shape` (the adjoint of broadcast_to).

    >>> sum_to(Tensor([[1.0, 2.0], [3.0, 4.0]]), (1, 2))
    Tensor([[4., 6.]])
    """
    x, shape = tensor_input(x), shape_argument(shape, "sum_to")
    if x.shape == shape:
        return x
    lead = x.ndim - len(shape)  # broadcasting adds axes on the left; sizes of 1 repeat
    if lead < 0 or any(n not in (1, m) for n, m in zip(shape, x.shape[lead:])):
        raise ValueError(
            f"sum_to: cannot sum a tensor of shape {x.shape} down to {shape}: {shape} must "
            f"broadcast to {x.shape} (trailing axes equal or 1; it may have fewer axes)."
        )
    return SumTo.apply(x, shape=shape)


def unbroadcast(grad, shape):
    """Bring the gradient of a broadcast result back to an input's `shape` (a no-op if equal).

    A binary op's output has the broadcast shape of its inputs; the chain rule sums the
    gradient over every axis along which an input was repeated.

    >>> from minigrad import Tensor
    >>> unbroadcast(Tensor(np.ones((2, 3), dtype=np.float32)), (1, 3))
    Tensor([[2., 2., 2.]])
    """
    if grad.data.shape == shape:
        return grad
    return SumTo.apply(grad, shape=shape)
