"""Softmax and the losses, composed from primitives (log_softmax, exp, ·, sum, …; no backward
of their own)."""

import numpy as np

from minigrad import ops
from minigrad.tensor import Tensor


def log_softmax(x, axis=-1):
    """log softmax(x)_i = x_i − log Σ_j e^(x_j) along `axis`: the primitive op LogSoftmax.

    Computed as (x_i − m) − log Σ_j e^(x_j − m) with m = max_j x_j (the result does not depend
    on m), so every exponent is ≤ 0 and logits of ±1000 give finite values. Same shape as x.
    Its gradient, g − softmax(x) · Σ_j g_j, is written out in `minigrad/ops/reduce.py`.

    >>> import minigrad as mg
    >>> log_softmax(mg.Tensor([1000.0, 0.0, -1000.0]))
    Tensor([    0., -1000., -2000.])
    """
    return ops.log_softmax(x, axis)


def softmax(x, axis=-1):
    """softmax(x)_i = e^(x_i) / Σ_j e^(x_j) along `axis`, as exp(log_softmax(x)) (stable).

    >>> import minigrad as mg
    >>> softmax(mg.Tensor([0.0, 0.0]))
    Tensor([0.5, 0.5])
    """
    return ops.log_softmax(x, axis).exp()


def _label_array(labels, n, classes):
    """labels as an int64 array of shape (n,) with values in [0, classes), or a clear error."""
    values = labels.data if isinstance(labels, Tensor) else np.asarray(labels)
    if values.dtype.kind == "f" and np.all(values == np.round(values)):
        values = values.astype(np.int64)
    if values.dtype.kind not in "iu":
        raise TypeError(
            f"cross_entropy: labels must be integer class indices (0 … {classes - 1}); got "
            f"dtype {values.dtype}. For one-hot targets use labels = targets.argmax(axis=1)."
        )
    if values.shape != (n,):
        raise ValueError(
            f"cross_entropy: expected one label per example, shape ({n},) for logits of shape "
            f"({n}, {classes}); got labels of shape {values.shape}."
        )
    bad = (values < 0) | (values >= classes)
    if bad.any():
        raise ValueError(
            f"cross_entropy: labels must lie in 0 … {classes - 1} (logits have {classes} "
            f"columns); got {int(values[bad][0])} at position {int(np.argmax(bad))}. Does the "
            "last layer have one output per class?"
        )
    return values.astype(np.int64, copy=False)


def cross_entropy(logits, labels):
    """Mean cross-entropy: L = −(1/n) Σ_i log softmax(logits_i)[labels_i].

    logits ~ (n, classes); labels: n integers in [0, classes) (an array, a list or a Tensor).
    Composed as Σ log_softmax(logits) · (−Y/n), with Y the one-hot matrix of the labels.

    >>> import minigrad as mg
    >>> round(cross_entropy(mg.Tensor([[0.0, 0.0]]), [1]).item(), 4)   # log 2
    0.6931
    """
    if logits.ndim != 2:
        raise ValueError(
            f"cross_entropy expects logits (n, classes); got shape {logits.shape}. "
            "For a single example use logits.reshape(1, -1)."
        )
    n, classes = logits.shape
    values = _label_array(labels, n, classes)
    weights = np.zeros((n, classes), dtype=logits.dtype)  # −(1/n) Y, Y the one-hot labels
    weights[np.arange(n), values] = -1 / n
    return (log_softmax(logits) * Tensor(weights)).sum()


def mse_loss(prediction, target):
    """Mean squared error: L = (1/m) Σ (prediction − target)², over all m elements.

    >>> import minigrad as mg
    >>> mse_loss(mg.Tensor([1.0, 3.0]), mg.Tensor([1.0, 1.0]))
    Tensor(2.)
    """
    target = target if isinstance(target, Tensor) else Tensor(target, dtype=prediction.dtype)
    if prediction.shape != target.shape:
        raise ValueError(
            f"mse_loss: prediction and target must have the same shape; got {prediction.shape} "
            f"and {target.shape}."
        )
    return ops.mean((prediction - target) ** 2)
