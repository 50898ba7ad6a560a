"""Tests of softmax, log_softmax (stable at ±1000), cross_entropy and mse_loss: values against
numpy, gradients, and errors."""

import numpy as np
import pytest
from helpers import rand

import minigrad as mg
from minigrad.nn import functional as F


def numpy_log_softmax(x):
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def test_softmax_and_log_softmax_values_and_gradients():
    x = rand(3, 5)
    np.testing.assert_allclose(F.log_softmax(mg.Tensor(x)).data, numpy_log_softmax(x))
    np.testing.assert_allclose(F.softmax(mg.Tensor(x)).data, np.exp(numpy_log_softmax(x)))
    np.testing.assert_allclose(F.softmax(mg.Tensor(x), axis=0).data.sum(axis=0), np.ones(5))
    assert mg.gradcheck(F.log_softmax, mg.Tensor(x))
    assert mg.gradcheck(F.softmax, mg.Tensor(x))
    assert mg.gradgradcheck(F.log_softmax, mg.Tensor(x))


def test_log_softmax_is_stable_for_huge_logits():
    x = mg.Tensor(
        np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0]]), requires_grad=True
    )
    out = F.log_softmax(x)
    assert np.isfinite(out.data).all()
    np.testing.assert_allclose(out.data[1], np.full(3, -np.log(3)))
    F.cross_entropy(x, [1, 0]).backward()
    assert np.isfinite(x.grad.data).all()
    np.testing.assert_allclose(
        F.cross_entropy(mg.Tensor(x.data), [1, 0]).item(), (2000 + np.log(3)) / 2
    )


def test_cross_entropy_against_numpy_with_labels_as_array_list_or_tensor():
    logits = rand(4, 3)
    labels = np.array([0, 2, 1, 2])
    expected = -numpy_log_softmax(logits)[np.arange(4), labels].mean()
    for given in (labels, labels.tolist(), mg.Tensor(labels)):
        assert F.cross_entropy(mg.Tensor(logits), given).item() == pytest.approx(expected)
    assert mg.gradcheck(lambda z: F.cross_entropy(z, labels), mg.Tensor(logits))


def test_mse_loss():
    p, t = rand(3, 2), rand(3, 2, seed=1)
    assert F.mse_loss(mg.Tensor(p), t).item() == pytest.approx(((p - t) ** 2).mean())
    assert mg.gradcheck(F.mse_loss, mg.Tensor(p), mg.Tensor(t))
    with pytest.raises(ValueError, match=r"mse_loss: .* same shape; got \(3, 2\) and \(2, 3\)"):
        F.mse_loss(mg.Tensor(p), mg.Tensor(rand(2, 3)))


def test_mse_loss_says_how_to_match_targets_without_a_column_axis():
    # One output per example, (n, 1), against targets (n,): PyTorch would broadcast them to
    # (n, n); minigrad refuses, and the error says which reshape makes them match.
    prediction = mg.Tensor(rand(4, 1))
    with pytest.raises(ValueError, match=r"got \(4, 1\) and \(4,\)\. .*target\.reshape\(4, 1\)"):
        F.mse_loss(prediction, rand(4))
    with pytest.raises(ValueError, match=r"and \(2, 2\)\.$"):  # no hint when the numbers differ
        F.mse_loss(mg.Tensor(rand(4)), rand(2, 2))


def test_cross_entropy_errors():
    logits = mg.Tensor(rand(2, 3))
    with pytest.raises(ValueError, match=r"labels must lie in 0 … 2 .* got 3 at position 1"):
        F.cross_entropy(logits, [0, 3])
    with pytest.raises(ValueError, match="got -1 at position 0"):
        F.cross_entropy(logits, [-1, 0])
    with pytest.raises(ValueError, match=r"shape \(2,\) .* got labels of shape \(3,\)"):
        F.cross_entropy(logits, [0, 1, 2])
    with pytest.raises(ValueError, match=r"look like one-hot rows: pass labels.argmax\(axis=1\)"):
        F.cross_entropy(logits, np.eye(2, logits.shape[1], dtype=np.int64))
    with pytest.raises(ValueError, match=r"got labels of shape \(2, 1\)\. They hold one label per "
                       r"example: pass labels\.reshape\(-1\)"):  # fmt: skip
        F.cross_entropy(logits, np.array([[0], [2]]))  # a column, as y[:, None] gives it
    with pytest.raises(TypeError, match="integer class indices.*argmax"):
        F.cross_entropy(logits, [0.5, 1.0])
    with pytest.raises(ValueError, match=r"expects logits \(n, classes\).*single example"):
        F.cross_entropy(mg.Tensor(rand(3)), [0])
    swapped = r"got shape \(2,\)\. The labels have shape \(2, 3\).*swapped.*\(logits, labels\)"
    with pytest.raises(ValueError, match=swapped):  # not "for a single example, reshape"
        F.cross_entropy(np.array([0, 2]), logits)
    with pytest.raises(ValueError, match=r"\(2, 1, 1, 3\)\. Flatten .*logits.reshape\(2, -1\)"):
        F.cross_entropy(mg.Tensor(np.zeros((2, 1, 1, 3))), [0, 1])  # a conv head's scores
    with pytest.raises(ValueError, match=r"cross_entropy got an empty batch"):
        F.cross_entropy(mg.Tensor(np.zeros((0, 3))), [])


def test_cross_entropy_given_softmax_says_that_it_takes_the_logits():
    """cross_entropy(softmax(x)) applied softmax twice, with no error (a second reader's find)."""
    logits = mg.Tensor([[2.0, -1.0, 0.5], [0.1, 0.2, -3.0]], requires_grad=True)
    with pytest.raises(ValueError, match=r"^cross_entropy takes the logits.*given "
                       r"softmax\(logits\), so softmax would be applied twice"):  # fmt: skip
        F.cross_entropy(F.softmax(logits), [0, 1])
    assert F.cross_entropy(logits.exp(), [0, 1]).item() > 0  # exp alone is not softmax


def test_cross_entropy_is_nll_loss_of_log_softmax():
    """Two ops, as the docs draw them: LogSoftmax, then NLLLoss (the mean of −log p at the
    labels); F.nll_loss gives the same number from log-probabilities."""
    logits, labels = mg.Tensor(rand(4, 3), requires_grad=True), [2, 0, 1, 1]
    loss = F.cross_entropy(logits, labels)
    assert loss.grad_fn.name == "NLLLoss"
    assert loss.grad_fn.inputs[0].grad_fn.name == "LogSoftmax"
    assert F.nll_loss(F.log_softmax(logits), labels).item() == loss.item()
    assert mg.gradgradcheck(lambda z: F.cross_entropy(z, labels), logits)


def test_every_loss_takes_a_list_or_an_array_as_its_first_argument():
    """(review) mse_loss([…], …) raised AttributeError: 'list' object has no attribute 'dtype',
    where cross_entropy, nll_loss and softmax take lists, as every op does."""
    assert F.mse_loss([1.0, 3.0], [1.0, 1.0]).item() == pytest.approx(2.0)
    assert F.mse_loss(np.array([1.0, 3.0]), [1.0, 1.0]).item() == pytest.approx(2.0)
    assert F.cross_entropy([[0.0, 0.0]], [1]).item() == pytest.approx(np.log(2))
