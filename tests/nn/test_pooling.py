"""Tests of MaxPool2D and AvgPool2D against plain numpy, their gradients, and their errors."""

import numpy as np
import pytest
from helpers import distinct, rand, seeds
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn


def pool_by_loop(x, size, reduce):
    n, h, w, c = x.shape
    out = np.zeros((n, h // size, w // size, c))
    for i in range(h // size):
        for j in range(w // size):
            window = x[:, i * size : (i + 1) * size, j * size : (j + 1) * size, :]
            out[:, i, j, :] = reduce(window, axis=(1, 2))
    return out


@given(
    seed=seeds,
    n=st.integers(1, 2),
    h=st.integers(1, 7),
    w=st.integers(1, 7),
    c=st.integers(1, 3),
    size=st.integers(1, 3),
)
def test_pooling_against_numpy(seed, n, h, w, c, size):
    size = min(size, h, w)
    x = rand(n, h, w, c, seed=seed)
    for layer, reduce in ((nn.MaxPool2D(size), np.max), (nn.AvgPool2D(size), np.mean)):
        np.testing.assert_allclose(layer(mg.Tensor(x)).data, pool_by_loop(x, size, reduce))


@pytest.mark.parametrize("layer", [nn.MaxPool2D(2), nn.AvgPool2D(2), nn.MaxPool2D(3)])
def test_pooling_gradients(layer):
    x = mg.Tensor(distinct(2, 5, 6, 2))  # no ties: max is differentiable there
    assert mg.gradcheck(layer, x)


def test_max_pool_gradient_goes_to_the_maximum_only():
    x = mg.Tensor(np.arange(16.0).reshape(1, 4, 4, 1), requires_grad=True)
    nn.MaxPool2D(2)(x).sum().backward()
    expected = np.zeros((4, 4))
    expected[[1, 1, 3, 3], [1, 3, 1, 3]] = 1
    np.testing.assert_array_equal(x.grad.data[0, :, :, 0], expected)


def test_pooling_errors():
    with pytest.raises(ValueError, match=r"MaxPool2D\(3\) needs an image of at least 3×3"):
        nn.MaxPool2D(3)(mg.Tensor(np.ones((1, 2, 8, 8))))
    with pytest.raises(ValueError, match=r"AvgPool2D\(3\) needs .* 3×3 pixels; got h=8, w=2"):
        nn.AvgPool2D(3)(mg.Tensor(np.ones((1, 8, 2, 8))))  # only w too small
    with pytest.raises(ValueError, match="AvgPool2D expects a batch of images"):
        nn.AvgPool2D(2)(mg.Tensor(np.ones((8, 8))))
    with pytest.raises(ValueError, match="MaxPool2D: size must be an int ≥ 1"):
        nn.MaxPool2D(0)
    with pytest.raises(ValueError, match="AvgPool2D: size must be an int ≥ 1.*got 2.0"):
        nn.AvgPool2D(2.0)


def test_pooling_windows_are_2_by_default_and_repr_shows_the_size():
    x = mg.Tensor(rand(1, 4, 6, 1))
    assert nn.MaxPool2D()(x).shape == nn.AvgPool2D()(x).shape == (1, 2, 3, 1)
    assert repr(nn.MaxPool2D()) == "MaxPool2D(2)" and repr(nn.AvgPool2D(3)) == "AvgPool2D(3)"


@pytest.mark.parametrize("pool", [nn.MaxPool2D(2), nn.AvgPool2D(2)])
def test_pooling_on_three_axes_gives_both_hints(pool):
    with pytest.raises(
        ValueError, match=r"reshape\(1, h, w, c\).*grayscale.*reshape\(32, 28, 28, 1\)"
    ):
        pool(mg.Tensor(np.ones((32, 28, 28))))


@pytest.mark.parametrize("pool", [nn.MaxPool2D(3), nn.AvgPool2D(3)])
def test_pooling_drops_the_rows_and_columns_left_over_with_zero_gradient(pool):
    """(h, w) = (7, 5), size 3: the last 7 mod 3 = 1 row and 5 mod 3 = 2 columns are dropped,
    as the docstrings say; the rest of the gradient is checked against finite differences."""
    x = mg.Tensor(distinct(2, 7, 5, 2), requires_grad=True)
    y = pool(x)
    assert y.shape == (2, 2, 1, 2)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data[:, 6, :, :], 0.0)
    np.testing.assert_array_equal(x.grad.data[:, :, 3:, :], 0.0)
    assert np.count_nonzero(x.grad.data[:, :6, :3, :]) > 0
    assert mg.gradcheck(pool, mg.Tensor(distinct(2, 7, 5, 2)))
