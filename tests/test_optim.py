"""Tests of SGD and Adam against updates computed by hand (PyTorch's rules), and their errors."""

import warnings

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn, optim


def quadratic_steps(optimizer_class, steps, **settings):
    """Minimise L = Σ (p − target)²/2 (gradient p − target); return every p after each step."""
    p = mg.Tensor(np.array([1.0, -2.0]), requires_grad=True)
    target = np.array([0.5, 0.5])
    optimizer = optimizer_class([p], **settings)
    values = []
    for _ in range(steps):
        optimizer.zero_grad()
        (((p - mg.Tensor(target)) ** 2).sum() / 2).backward()
        optimizer.step()
        values.append(p.data.copy())
    return values


def test_sgd_plain():
    values = quadratic_steps(optim.SGD, 2, lr=0.1)
    p0 = np.array([1.0, -2.0])
    p1 = p0 - 0.1 * (p0 - 0.5)
    p2 = p1 - 0.1 * (p1 - 0.5)
    np.testing.assert_allclose(values, [p1, p2])


def test_sgd_with_momentum_and_weight_decay_by_hand():
    lr, mu, wd = 0.1, 0.9, 0.01
    values = quadratic_steps(optim.SGD, 3, lr=lr, momentum=mu, weight_decay=wd)
    p, buffer, expected = np.array([1.0, -2.0]), None, []
    for _ in range(3):
        g = (p - 0.5) + wd * p
        buffer = g if buffer is None else mu * buffer + g
        p = p - lr * buffer
        expected.append(p)
    np.testing.assert_allclose(values, expected)
    # The first two steps written out: b₁ = g₀; b₂ = μ·b₁ + g₁.
    g0 = np.array([0.5, -2.5]) + wd * np.array([1.0, -2.0])
    np.testing.assert_allclose(values[0], np.array([1.0, -2.0]) - lr * g0)


def test_adam_by_hand():
    lr, (b1, b2), eps, wd = 0.05, (0.9, 0.999), 1e-8, 0.1
    values = quadratic_steps(optim.Adam, 3, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd)
    p, m, v, expected = np.array([1.0, -2.0]), 0.0, 0.0, []
    for t in range(1, 4):
        g = (p - 0.5) + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        expected.append(p)
    np.testing.assert_allclose(values, expected)
    # Adam's first step moves every weight by lr (m̂/√v̂ = ±1), whatever the gradient's size.
    np.testing.assert_allclose(np.abs(values[0] - [1.0, -2.0]), [lr, lr], rtol=1e-6)


def test_parameters_without_gradient_are_left_alone_and_dtype_is_kept():
    used = nn.Parameter(np.ones(2, dtype=np.float32))
    unused = nn.Parameter(np.ones(2, dtype=np.float32))
    for optimizer in (optim.SGD([used, unused], lr=0.1, momentum=0.5), optim.Adam([used, unused])):
        optimizer.zero_grad()
        (used * 3).sum().backward()
        optimizer.step()
        assert unused.grad is None
        np.testing.assert_array_equal(unused.data, [1.0, 1.0])
        assert used.dtype == np.float32 and used.data[0] < 1.0


def test_a_step_before_backward_changes_nothing_and_warns_with_the_order_to_follow():
    w = nn.Parameter(np.array([1.0, 2.0]))
    b = nn.Parameter(np.array([0.0]))
    optimizer = optim.SGD([w, b], lr=0.1)
    optimizer.zero_grad()
    loss = (w * w).sum() + b.sum()
    with pytest.warns(
        RuntimeWarning,
        match=r"none of the 2 parameters has a gradient.*"
        r"loss\.backward\(\) before optimizer\.step\(\)",
    ):
        optimizer.step()  # the classic slip: zero_grad, forward, step, backward
    np.testing.assert_array_equal(w.data, [1.0, 2.0])
    loss.backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizer.step()  # with gradients: no warning
    np.testing.assert_allclose(w.data, [0.8, 1.6])


def test_a_gradient_or_values_assigned_by_hand_are_refused_by_step():
    """An array as .grad failed inside the update with "unsupported operand type(s) for *:
    'float' and 'memoryview'", a gradient of another shape with numpy's broadcast error."""
    w = mg.Tensor(np.ones((3, 2)), requires_grad=True, name="w")
    optimizer = optim.SGD([w], lr=0.1)
    for grad, what in [
        (np.ones((3, 2)), "ndarray"),
        (mg.Tensor(np.ones((2, 3))), "a Tensor of shape \\(2, 3\\)"),
    ]:
        w.grad = grad
        pattern = rf"^SGD.step\(\): parameter 0 \(w, shape \(3, 2\)\) has as .grad {what}"
        with pytest.raises(TypeError, match=pattern + r".*mg.Tensor\(values\) of shape \(3, 2\)"):
            optimizer.step()
    w.grad = mg.Tensor(np.ones((3, 2)))
    w.data = w * 2  # a plain tensor's .data is checked by step
    with pytest.raises(TypeError, match=r"^SGD.step\(\): w's .data holds a Tensor"):
        optimizer.step()


def test_optimizer_errors():
    with pytest.raises(ValueError, match="SGD got no parameters to optimize"):
        optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="Adam got no parameters.*ReLU"):
        optim.Adam(nn.Sequential(nn.ReLU()).parameters())
    with pytest.raises(TypeError, match="parameter 0 is not a Tensor that requires grad"):
        optim.SGD([mg.Tensor([1.0])], lr=0.1)
    with pytest.raises(ValueError, match="SGD: the learning rate lr must be a number > 0.*got 0"):
        optim.SGD(nn.Dense(2, 2, seed=0).parameters(), lr=0)


def test_an_optimizer_refuses_what_it_could_not_update():
    w = mg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"not one Tensor: pass \[w\] rather than w"):
        optim.SGD(w, lr=0.1)  # list(w) would be its three elements, never updated
    with pytest.raises(TypeError, match="parameter 1 was computed by Mul, so it is not a leaf"):
        optim.Adam([w, w * 2])
    other = mg.Tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="parameters 1 and 2 are the same tensor"):
        optim.SGD([w, other, other], lr=0.1)  # would take two steps a step
    with pytest.raises(TypeError, match="parameter 0 is not a Tensor that requires grad"):
        optim.SGD([mg.Tensor([1.0])], lr=0.1)  # a forgotten requires_grad=True


def test_the_model_instead_of_its_parameters_is_refused_with_the_fix():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Dense(2, 2, seed=0)

        def forward(self, x):
            return self.fc(x)

    model = Net()
    for wrong in (model, nn.Sequential(nn.Dense(2, 2, seed=0))):  # not iterable / its layers
        with pytest.raises(TypeError, match=r"not the model: pass model\.parameters\(\)"):
            optim.SGD(wrong, lr=0.1)
    with pytest.raises(TypeError, match=r"the function 'parameters'.*model\.parameters\(\)"):
        optim.Adam(model.parameters)  # the method itself, without the ()


def test_a_refused_parameter_is_described_so_the_fix_follows():
    with pytest.raises(TypeError, match="parameter 0 .*it is a Tensor with requires_grad=False"):
        optim.SGD([mg.Tensor([1.0])], lr=0.1)
    groups = [{"params": nn.Dense(2, 2, seed=0).parameters(), "lr": 0.1}]  # PyTorch's groups
    with pytest.raises(TypeError, match="it is a dict: .* no parameter groups; make one optimizer"):
        optim.SGD(groups, lr=0.1)
    with pytest.raises(TypeError, match=r"parameter 0 .*\(got ndarray\)"):
        optim.SGD([np.zeros(2)], lr=0.1)


@pytest.mark.parametrize("make", [optim.SGD, optim.Adam])
def test_a_frozen_layer_may_stay_in_the_list_and_is_left_alone(make):
    model = nn.Sequential(nn.Dense(2, 2, seed=0), nn.Dense(2, 1, seed=1))
    for p in model[0].parameters():
        p.requires_grad = False  # frozen, as when fine-tuning
    optimizer = make(model.parameters(), lr=0.1)
    frozen, trained = model[0].weight.data.copy(), model[1].weight.data.copy()
    model(mg.Tensor(np.ones((3, 2)))).sum().backward()
    optimizer.step()
    np.testing.assert_array_equal(model[0].weight.data, frozen)
    assert model[0].weight.grad is None and not np.array_equal(model[1].weight.data, trained)


SETTING_ERRORS = [
    (optim.SGD, {"lr": -0.1}, r"SGD: the learning rate lr must be a number > 0 .*got -0.1\."),
    (optim.SGD, {"lr": "0.1"}, r"SGD: the learning rate lr must be a number > 0 .*got '0.1'"),
    (optim.SGD, {"lr": float("nan")}, r"SGD: the learning rate lr .*got nan"),
    (optim.SGD, {"lr": 0.1, "momentum": 1.0}, r"SGD: momentum μ must be a number in \[0, 1\)"),
    (optim.SGD, {"lr": 0.1, "momentum": -0.5}, r"SGD: momentum μ .*got -0.5"),
    (optim.SGD, {"lr": 0.1, "weight_decay": -1e-4}, r"SGD: weight_decay λ must be a number ≥ 0"),
    (optim.Adam, {"lr": 0}, r"Adam: the learning rate lr must be a number > 0"),
    (optim.Adam, {"betas": (0.9, 1.0)}, r"Adam: betas\[1\] \(β₂\) must be a number in \[0, 1\)"),
    (optim.Adam, {"betas": (-0.1, 0.999)}, r"Adam: betas\[0\] \(β₁\) .*got -0.1"),
    (optim.Adam, {"betas": 0.9}, r"Adam: betas must be a pair \(β₁, β₂\).*got 0.9"),
    (
        optim.Adam,
        {"betas": (0.9, 0.999, 0.5)},
        r"Adam: betas must be a pair .*got \(0.9, 0.999, 0.5\)",
    ),
    (optim.Adam, {"eps": 0}, r"Adam: eps ε must be a number > 0 .*got 0"),
    (optim.Adam, {"weight_decay": -1}, r"Adam: weight_decay λ must be a number ≥ 0.*got -1"),
]


@pytest.mark.parametrize(("optimizer", "settings", "message"), SETTING_ERRORS)
def test_settings_out_of_range_are_refused_by_name(optimizer, settings, message):
    with pytest.raises(ValueError, match=message):
        optimizer(nn.Dense(2, 2, seed=0).parameters(), **settings)


def test_settings_at_the_edges_of_their_ranges_are_accepted():
    params = nn.Dense(2, 2, seed=0).parameters()
    sgd = optim.SGD(params, lr=1e-6, momentum=0.0, weight_decay=0.0)
    adam = optim.Adam(params, betas=[0.0, 0.0], eps=1e-12, weight_decay=0)
    assert (sgd.momentum, sgd.weight_decay, adam.betas, adam.eps) == (0.0, 0.0, (0.0, 0.0), 1e-12)


def test_adam_adds_eps_outside_the_square_root():
    # PyTorch: p ← p − lr·m̂ / (√v̂ + ε). At the first step m̂ = g and √v̂ = |g|, so the step is
    # lr·g / (|g| + ε); a large ε shows where it is added (√(v̂ + ε) would give another step).
    lr, eps = 0.1, 0.25
    values = quadratic_steps(optim.Adam, 1, lr=lr, eps=eps)
    g = np.array([0.5, -2.5])
    np.testing.assert_allclose(values[0], np.array([1.0, -2.0]) - lr * g / (np.abs(g) + eps))


def test_adam_defaults_are_pytorchs():
    # Adam(params) alone: lr = 1e-3, betas = (0.9, 0.999), eps = 1e-8, no weight decay.
    values = quadratic_steps(optim.Adam, 3)
    lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-8
    p, m, v, expected = np.array([1.0, -2.0]), 0.0, 0.0, []
    for t in range(1, 4):
        g = p - 0.5
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        expected.append(p)
    np.testing.assert_allclose(values, expected, rtol=1e-9)
    adam = optim.Adam(nn.Dense(2, 2, seed=0).parameters())
    assert (adam.lr, adam.betas, adam.eps, adam.weight_decay) == (1e-3, (0.9, 0.999), 1e-8, 0.0)


def test_lr_changed_between_steps_keeps_the_state_and_a_skipped_step_advances_nothing():
    # As PyTorch (param_groups[0]["lr"] = …): the momentum buffer (SGD) and m, v, t (Adam) go
    # on with the new lr; a step where p.grad is None leaves p and its state alone.
    p = mg.Tensor(np.array([1.0, -2.0]), requires_grad=True)
    sgd, adam_p = optim.SGD([p], lr=0.1, momentum=0.9), mg.Tensor([1.0], requires_grad=True)
    adam = optim.Adam([adam_p], lr=0.1)
    expected, buffer = np.array([1.0, -2.0]), None
    m = v = 0.0
    expected_adam, t = 1.0, 0
    for step, lr in enumerate([0.1, 0.05, 0.05, 0.01]):
        sgd.lr = adam.lr = lr
        sgd.zero_grad(), adam.zero_grad()
        if step != 2:  # no backward at step 2: both grads stay None
            (p * p).sum().backward()
            (adam_p * 3).sum().backward()
            g = 2 * expected
            buffer = g if buffer is None else 0.9 * buffer + g
            expected = expected - lr * buffer
            t += 1
            m, v = 0.9 * m + 0.1 * 3, 0.999 * v + 0.001 * 9
            expected_adam -= lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
        if step == 2:  # each says that it changed nothing
            with pytest.warns(RuntimeWarning, match=r"SGD\.step\(\): none of the 1 parameter "):
                sgd.step()
            with pytest.warns(RuntimeWarning, match=r"Adam\.step\(\): none"):
                adam.step()
        else:
            sgd.step(), adam.step()
        np.testing.assert_allclose(p.data, expected, rtol=1e-12)
        np.testing.assert_allclose(adam_p.data, [expected_adam], rtol=1e-6)
    assert adam.state[0]["step"] == 3


@pytest.mark.parametrize("value", [-1, 0, "0.1", None, True])
def test_a_learning_rate_set_between_steps_is_checked_as_the_first(value):
    sgd = optim.SGD([mg.Tensor([1.0], requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match=r"SGD: the learning rate lr must be a number > 0"):
        sgd.lr = value
    assert sgd.lr == 0.1
    sgd.lr = 0.5  # a schedule's new value
    assert sgd.lr == 0.5 and type(sgd.lr) is float


def test_no_parameters_says_that_a_module_registers_nn_parameters_only():
    """Weights held as an array or a Tensor are not registered, so parameters() is empty: the
    message used to blame a model of only ReLU/Vect/pooling layers."""

    class Line(nn.Module):
        def __init__(self, w):
            super().__init__()
            self.w = w

        def forward(self, x):
            return x @ self.w

    for w in (np.ones((2, 1), dtype=np.float32), mg.Tensor(np.ones((2, 1)))):
        with pytest.raises(ValueError, match=r"got no parameters.*self\.w = nn\.Parameter\(v"):
            optim.SGD(Line(w).parameters(), lr=0.1)


def test_adam_on_float16_weights_steps_by_about_lr_for_small_and_zero_gradients():
    # In float16, (1 − β₂)·g² underflows to 0 for |g| < ~0.008 and ε = 1e-8 rounds to 0: a step
    # computed there was m̂ / (0 + 0) = ±inf, or nan for a zero gradient (a dead ReLU's weight).
    w = mg.Tensor(np.ones(3, dtype=np.float16), requires_grad=True)
    adam = optim.Adam([w], lr=0.01)
    (w * mg.Tensor(np.array([0.0, 1e-3, 0.5], dtype=np.float16))).sum().backward()
    adam.step()
    assert w.dtype == np.float16
    np.testing.assert_allclose(w.data, [1.0, 0.99, 0.99], atol=1e-3)  # first step: lr·g / |g|
