"""Softmax and the losses, composed from primitives (log_softmax, nll_loss, exp, −, **, mean;
no backward of their own)."""

from minigrad import ops
from minigrad.ops.shape import tensor_input
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


def nll_loss(log_probs, labels):
    """Mean negative log-likelihood: L = −(1/n) Σ_i log_probs[i, labels_i], the primitive
    op NLLLoss.

    log_probs ~ (n, classes), as log_softmax gives them; labels: n integers in [0, classes).

    >>> import minigrad as mg
    >>> round(nll_loss(mg.Tensor([[-0.5, -1.0], [-2.0, -0.1]]), [0, 1]).item(), 4)
    0.3
    """
    return ops.nll_loss(log_probs, labels)


def cross_entropy(logits, labels):
    """Mean cross-entropy: L = −(1/n) Σ_i log softmax(logits_i)[labels_i].

    logits ~ (n, classes); labels: n integers in [0, classes) (an array, a list or a Tensor).
    Composed of two primitives: nll_loss(log_softmax(logits), labels).

    >>> import minigrad as mg
    >>> round(cross_entropy(mg.Tensor([[0.0, 0.0]]), [1]).item(), 4)   # log 2
    0.6931
    """
    logits = tensor_input(logits)
    labels = ops.reduce.class_labels(labels, logits.shape, "cross_entropy", "logits")
    made = logits.grad_fn  # softmax(x) is exp(log_softmax(x)): an Exp of a LogSoftmax
    before = made.inputs[0].grad_fn if made is not None and made.name == "Exp" else None
    if before is not None and before.name == "LogSoftmax":
        raise ValueError(
            "cross_entropy takes the logits, the scores before softmax, and takes their "
            "log_softmax itself; it was given softmax(logits), so softmax would be applied "
            "twice (the loss then hardly moves, and the gradients are far too small). Pass "
            "the logits: remove the softmax from the model's last layer."
        )
    return ops.reduce.NLLLoss.apply(ops.log_softmax(logits, -1), labels=labels)


def mse_loss(prediction, target):
    """Mean squared error: L = (1/m) Σ (prediction − target)², over all m elements.

    >>> import minigrad as mg
    >>> mse_loss(mg.Tensor([1.0, 3.0]), mg.Tensor([1.0, 1.0]))
    Tensor(2.)
    """
    prediction = tensor_input(prediction)  # a list or an array, as the other losses take
    target = target if isinstance(target, Tensor) else Tensor(target, dtype=prediction.dtype)
    if prediction.shape != target.shape:
        hint = ""
        if [n for n in prediction.shape if n != 1] == [n for n in target.shape if n != 1]:
            # Typically a model with one output, (n, 1), and targets (n,): PyTorch would
            # broadcast them to (n, n) (with a warning) and compare every pair.
            hint = (
                " They differ only by axes of size 1: give the target the prediction's shape, "
                f"target.reshape{prediction.shape}"
            )
            if prediction.shape == (*target.shape, 1):
                hint += " (for fit: y.reshape(-1, 1) for a model with one output)"
            hint += "."
        raise ValueError(
            f"mse_loss: prediction and target must have the same shape; got {prediction.shape} "
            f"and {target.shape}.{hint}"
        )
    return ops.mean((prediction - target) ** 2)
