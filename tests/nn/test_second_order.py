"""Second-order gradients of what a student composes: every layer, pooling, activation layer and
loss passes gradgradcheck (input and parameters), as does a small model; a Hessian-vector
product and a gradient penalty agree with finite differences, and the penalty trains."""

import numpy as np
import pytest
from helpers import away_from_zero, distinct, leaf, rand

import minigrad as mg
from minigrad import nn
from minigrad.nn import functional as F

# check_op's tolerances: float64 central differences are good to ~1e-9.
TOL = {"atol": 1e-8, "rtol": 1e-6}


def check_twice(fn, *inputs, params=None):
    """gradcheck and gradgradcheck of fn at `inputs` (and its `params`), tightly."""
    assert mg.gradcheck(fn, *inputs, params=params, **TOL)
    assert mg.gradgradcheck(fn, *inputs, params=params, **TOL)


def random_image(seed, min_side, channels):
    """A float64 batch (n, h, w, c) of random size: n in 1…2, h and w in min_side…min_side + 2
    (non-square ones too), so shapes vary from case to case but stay cheap."""
    rng = np.random.default_rng(seed)
    n, h, w = rng.integers(1, 3), *rng.integers(min_side, min_side + 3, size=2)
    return leaf(rand(n, h, w, channels, seed=seed))


@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("k", [0, 1, 2])
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_conv2d_is_twice_differentiable(padding, k, stride):
    s, seed = 2 * k + 1, 10 * k + stride
    x = random_image(seed, 1 if padding == "same" else s, channels=1 + k % 2)
    conv = nn.Conv2D(x.shape[-1], 2, s, padding=padding, stride=stride, seed=seed)
    check_twice(conv, x, params=conv)


@pytest.mark.parametrize("k", [0, 1, 2])
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_local_is_twice_differentiable(padding, k):
    s = 2 * k + 1
    x = random_image(k, 1 if padding == "same" else s, channels=1)
    local = nn.Local(x.shape[1:], 2, s, padding=padding, seed=k)
    check_twice(local, x, params=local)


def test_dense_vect_and_unvect_are_twice_differentiable():
    x = leaf(rand(2, 3, 2, 2))
    dense = nn.Dense(12, 3, seed=0)
    check_twice(lambda x: dense(nn.Vect()(x)), x, params=dense)
    check_twice(nn.Unvect((3, 2, 2)), leaf(rand(2, 12, seed=1)))
    check_twice(nn.Dense(4, 3, bias=False, seed=1), leaf(rand(2, 3, 4)))  # leading axes too


@pytest.mark.parametrize("size", [1, 2, 3])
def test_pooling_is_twice_differentiable_when_windows_do_not_divide_the_image(size):
    # 5 × 4 pixels: sizes 2 and 3 drop the last ones (zero gradient there). Distinct
    # values, so that every window has one maximum and max is differentiable.
    check_twice(nn.MaxPool2D(size), leaf(distinct(1, 5, 4, 2, seed=size)))
    check_twice(nn.AvgPool2D(size), leaf(rand(1, 5, 4, 2, seed=size)))


def test_activation_layers_are_twice_differentiable():
    check_twice(nn.ReLU(), leaf(away_from_zero(2, 3, 3, 1)))  # away from the kink
    check_twice(nn.Tanh(), leaf(rand(2, 3, 3, 1, low=-2, high=2)))
    check_twice(nn.Sigmoid(), leaf(rand(2, 3, 3, 1, low=-3, high=3, seed=1)))


@pytest.mark.parametrize("axis", [-1, 0])
def test_softmax_and_log_softmax_are_twice_differentiable(axis):
    logits = leaf(rand(3, 4, low=-2, high=2))
    check_twice(lambda z: F.softmax(z, axis), logits)
    check_twice(lambda z: F.log_softmax(z, axis), logits)


def test_the_losses_are_twice_differentiable():
    logits, labels = leaf(rand(3, 4, low=-2, high=2)), np.array([2, 0, 2])
    check_twice(lambda z: F.cross_entropy(z, labels), logits)
    check_twice(lambda z: F.nll_loss(F.log_softmax(z), labels), logits)
    check_twice(lambda z: F.nll_loss(z - 3.0, labels), logits)  # linear (and ≤ 0: log p)
    check_twice(F.mse_loss, logits, leaf(rand(3, 4, seed=1)))
    check_twice(lambda z: F.mse_loss(z, rand(3, 4, seed=1)), logits)  # an array target


def small_model(seed=0, activation=nn.ReLU, pool=nn.MaxPool2D):
    """conv → activation → pool → vect → dense, for (n, 5, 4, 1) images and 3 classes."""
    return nn.Sequential(
        nn.Conv2D(1, 2, 3, seed=seed),
        activation(),
        pool(2),
        nn.Vect(),
        nn.Dense(2 * 2 * 2, 3, seed=seed + 1),
    )


def float64(model):
    """The model with its parameters in float64 (for finite differences), returned."""
    for p in model.parameters():
        p.data = p.data.astype(np.float64)
    return model


X, LABELS = distinct(2, 5, 4, 1, seed=3), np.array([1, 2])  # distinct: the max pool is smooth


@pytest.mark.parametrize("kind", ["relu, max", "tanh, avg"])
def test_a_small_model_is_twice_differentiable_in_its_input_and_parameters(kind):
    layers = (nn.ReLU, nn.MaxPool2D) if kind == "relu, max" else (nn.Tanh, nn.AvgPool2D)
    model = small_model(0, *layers)
    check_twice(lambda x: F.cross_entropy(model(x), LABELS), leaf(X), params=model)


def test_a_models_input_gradient_is_itself_twice_differentiable():
    # Third order: gradgradcheck of x ↦ ∂L/∂x, a function that calls mg.grad itself.
    model = small_model(1, nn.Tanh, nn.AvgPool2D)

    def input_gradient(x):
        (grad_x,) = mg.grad(F.cross_entropy(model(x), LABELS), [x], create_graph=True)
        return grad_x

    assert mg.gradgradcheck(input_gradient, leaf(X), **TOL)


def test_a_hessian_vector_product_equals_a_finite_difference_of_gradients():
    model = float64(small_model(2, nn.Tanh, nn.AvgPool2D))
    params = model.parameters()
    rng = np.random.default_rng(0)
    v = [rng.standard_normal(p.shape) for p in params]

    def gradients(create_graph=False):
        loss = F.cross_entropy(model(mg.Tensor(X)), LABELS)
        return mg.grad(loss, params, create_graph=create_graph)

    grad_dot_v = sum((g * mg.Tensor(d)).sum() for g, d in zip(gradients(True), v))
    hvp = mg.grad(grad_dot_v, params)  # H v = ∂(∇L · v)/∂θ
    eps = 1e-5
    for p, d in zip(params, v):
        p.data = p.data + eps * d
    plus = [g.data for g in gradients()]
    for p, d in zip(params, v):
        p.data = p.data - 2 * eps * d
    minus = [g.data for g in gradients()]
    for product, g_plus, g_minus in zip(hvp, plus, minus):
        np.testing.assert_allclose(product.data, (g_plus - g_minus) / (2 * eps), atol=1e-8)


def gradient_penalty(model):
    """‖∂L/∂x‖², the squared norm of the loss's gradient with respect to the input."""
    x = mg.Tensor(X, requires_grad=True)
    (grad_x,) = mg.grad(F.cross_entropy(model(x), LABELS), [x], create_graph=True)
    return (grad_x * grad_x).sum()


def test_a_gradient_penalty_has_the_right_gradient_and_trains():
    model = small_model(3)  # relu and max pool: the penalty still depends on every weight
    assert mg.gradcheck(lambda: gradient_penalty(model), params=model, **TOL)
    optimizer = mg.optim.SGD(model.parameters(), lr=0.1)
    values = []
    for _ in range(5):
        optimizer.zero_grad()
        penalty = gradient_penalty(model)
        penalty.backward()
        optimizer.step()
        values.append(penalty.item())
    assert values[-1] < 0.5 * values[0], values
    assert all(not p.grad.requires_grad for p in model.parameters())  # no graph kept in .grad
