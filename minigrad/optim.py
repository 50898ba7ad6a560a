"""Optimizers: SGD (with momentum and weight decay) and Adam, with PyTorch's update rules.

Each `step()` updates the parameters' `.data` in place, under no_grad, from their `.grad`."""

import numbers
import warnings

import numpy as np

from minigrad.autograd import no_grad
from minigrad.nn.module import Module, Parameter
from minigrad.tensor import Tensor, data_error


def _check_setting(optimizer, setting, value, allowed, within):
    """`value` as a float if it is a real number with within(value) true; otherwise a
    ValueError naming the optimizer, the setting, the range `allowed` (text) and the value."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not within(value):
        raise ValueError(f"{optimizer}: {setting} must be a number {allowed}; got {value!r}.")
    return float(value)


def _positive(v):
    return v > 0


def _non_negative(v):
    return v >= 0


def _below_one(v):
    return 0 <= v < 1


def _what_it_is(p):
    """What a refused parameter is, said so that the fix follows (for the optimizers' error)."""
    if isinstance(p, Tensor):
        return "it is a Tensor with requires_grad=False"
    if isinstance(p, dict):  # PyTorch's [{"params": …, "lr": …}, …]
        return (
            "it is a dict: minigrad's optimizers have no parameter groups; make one optimizer "
            "per group, each with its own settings"
        )
    return f"got {type(p).__name__}"


class Optimizer:
    """Holds the parameters to update; subclasses define `update(p, grad, state)`."""

    def __init__(self, params, lr):
        name = type(self).__name__
        if isinstance(params, Tensor):  # list() would iterate over its rows
            raise TypeError(
                f"{name} takes an iterable of tensors, not one Tensor: pass [w] rather than w "
                "(or model.parameters())."
            )
        # The model, or its method without the (): list() would fail with "… is not iterable",
        # or (a Sequential) list its layers.
        if isinstance(params, Module):
            raise TypeError(
                f"{name} takes the model's parameters, not the model: pass model.parameters() "
                f"rather than the {type(params).__name__} itself."
            )
        if callable(params):
            raise TypeError(
                f"{name} got the function {getattr(params, '__name__', params)!r}, not the "
                "parameters it returns: call it, model.parameters() (note the ())."
            )
        self.params = list(params)
        if not self.params:
            raise ValueError(
                f"{name} got no parameters to optimize. Pass model.parameters() after the model "
                "has layers (a model with only ReLU/Vect/pooling has nothing to train). A Module "
                "of your own registers nn.Parameter attributes only: make its weights with "
                "self.w = nn.Parameter(values), not an array or an mg.Tensor."
            )
        for position, p in enumerate(self.params):
            # A Parameter with requires_grad=False is a frozen layer's: backward gives it no
            # gradient, so step() leaves it alone (as PyTorch does). A plain Tensor without
            # requires_grad is more likely a forgotten requires_grad=True.
            if not isinstance(p, Tensor) or not (p.requires_grad or isinstance(p, Parameter)):
                raise TypeError(
                    f"{name}: parameter {position} is not a Tensor that requires grad "
                    f"({_what_it_is(p)}). Pass model.parameters() or tensors made with "
                    "requires_grad=True."
                )
            if p.grad_fn is not None:
                raise TypeError(
                    f"{name}: parameter {position} was computed by {p.grad_fn.name}, so it "
                    "is not a leaf: backward never stores its .grad and step() could not "
                    "change it. Pass the tensors you created (model.parameters(), or w made "
                    "with requires_grad=True), not results computed from them."
                )
        seen = {}  # id → position
        for position, p in enumerate(self.params):
            if seen.setdefault(id(p), position) != position:
                raise ValueError(
                    f"{name}: parameters {seen[id(p)]} and {position} are the same tensor, so "
                    "step() would update it twice. Pass each tensor once (model.parameters() "
                    "lists a shared one once)."
                )
        self.lr = lr  # checked by the property below, here and when a schedule changes it
        self.state = [{} for _ in self.params]

    @property
    def lr(self):
        """The learning rate; `optimizer.lr = 0.01` between steps changes it (a schedule)."""
        return self._lr

    @lr.setter
    def lr(self, value):
        name = type(self).__name__
        self._lr = _check_setting(
            name, "the learning rate lr", value, "> 0 (for example 0.01)", _positive
        )

    def step(self):
        """Update every parameter that has a gradient (those without one are left alone).

        When none has one, nothing changes and a RuntimeWarning says so: the mark of step()
        called before loss.backward() (zero_grad, forward, step, backward trains nothing)."""
        updated = 0
        with no_grad():
            for position, (p, state) in enumerate(zip(self.params, self.state)):
                if p.grad is not None:
                    _check_assigned(self, position, p)
                    self.update(p, p.grad.data, state)
                    updated += 1
        if not updated:
            count = len(self.params)
            warnings.warn(
                f"{type(self).__name__}.step(): none of the {count} parameter"
                f"{'s' if count > 1 else ''} has a gradient, so nothing changed. Call "
                "loss.backward() before optimizer.step(); zero_grad() goes before the forward "
                "pass (or after step()), never between backward and step.",
                RuntimeWarning,
                stacklevel=2,
            )

    def zero_grad(self):
        """Forget every parameter's gradient (`.grad` becomes None) before the next backward."""
        for p in self.params:
            p.grad = None

    def update(self, p, grad, state):  # pragma: no cover - every optimizer overrides it
        raise NotImplementedError


def _check_assigned(optimizer, position, p):
    """Refuse a parameter whose .data or .grad was assigned something backward would not have
    made (a Tensor as .data, an array as .grad, a gradient of another shape): the update would
    fail inside numpy, or broadcast into a wrong one."""
    where = f"{type(optimizer).__name__}.step()"
    error = data_error(p, where)
    grad = p.grad
    if error is None and (not isinstance(grad, Tensor) or grad.data.shape != p.data.shape):
        what = (
            f"a Tensor of shape {grad.shape}"
            if isinstance(grad, Tensor)
            else f"{type(grad).__name__} (an array, say)"
            if grad is not None
            else "None"
        )
        error = TypeError(
            f"{where}: parameter {position} ({p.name or 'unnamed'}, shape {p.shape}) has as .grad "
            f"{what}, where backward stores a Tensor of the parameter's shape: it was assigned "
            "by hand. Let loss.backward() compute it, or assign mg.Tensor(values) of shape "
            f"{p.shape}."
        )
    if error is None:
        error = data_error(grad, where)
    if error is not None:
        raise error


class SGD(Optimizer):
    """Stochastic gradient descent, PyTorch's rule (dampening 0, no Nesterov):

        g ← ∇p + λ·p                    (λ = weight_decay)
        b ← g at the first step, then b ← μ·b + g   (μ = momentum; only when μ > 0)
        p ← p − lr·b                     (b = g when μ = 0)

    >>> import minigrad as mg
    >>> w = mg.Tensor([1.0], requires_grad=True)
    >>> (w * 3).sum().backward()
    >>> SGD([w], lr=0.1).step()
    >>> w
    Tensor([0.7], requires_grad=True)
    """

    def __init__(self, params, lr, momentum=0.0, weight_decay=0.0):
        super().__init__(params, lr)
        self.momentum = _check_setting(
            "SGD", "momentum μ", momentum, "in [0, 1) (for example 0.9; 0 turns it off)", _below_one
        )
        self.weight_decay = _check_setting(
            "SGD", "weight_decay λ", weight_decay, "≥ 0 (0 turns it off)", _non_negative
        )

    def update(self, p, grad, state):
        if self.weight_decay:
            grad = grad + self.weight_decay * p.data
        if self.momentum:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = np.array(grad, dtype=p.dtype)
            else:
                state["momentum_buffer"] = self.momentum * state["momentum_buffer"] + grad
            grad = state["momentum_buffer"]
        p.data -= (self.lr * grad).astype(p.dtype, copy=False)


class Adam(Optimizer):
    """Adam, PyTorch's rule (L2 weight decay added to the gradient), at step t = 1, 2, …:

        g ← ∇p + λ·p
        m ← β₁·m + (1 − β₁)·g,        v ← β₂·v + (1 − β₂)·g²        (m, v start at 0)
        m̂ = m / (1 − β₁ᵗ),           v̂ = v / (1 − β₂ᵗ)
        p ← p − lr·m̂ / (√v̂ + ε)

    >>> import minigrad as mg
    >>> w = mg.Tensor([1.0], requires_grad=True)
    >>> (w * 3).sum().backward()
    >>> Adam([w], lr=0.1).step()     # the first step moves each weight by about lr
    >>> w
    Tensor([0.9], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise ValueError(
                f"Adam: betas must be a pair (β₁, β₂), e.g. (0.9, 0.999); got {betas!r}."
            )
        in_range = "in [0, 1) (for example 0.9 and 0.999)"
        self.betas = tuple(
            _check_setting("Adam", f"betas[{i}] (β{'₁₂'[i]})", beta, in_range, _below_one)
            for i, beta in enumerate(betas)
        )
        self.eps = _check_setting("Adam", "eps ε", eps, "> 0 (for example 1e-8)", _positive)
        self.weight_decay = _check_setting(
            "Adam", "weight_decay λ", weight_decay, "≥ 0 (0 turns it off)", _non_negative
        )

    def update(self, p, grad, state):
        beta1, beta2 = self.betas
        if not state:
            state["step"] = 0
            # float16 weights keep m and v in float32, and their gradient is read as float32: in
            # float16, (1 − β₂)·g² is 0 for |g| below ~0.008 and ε = 1e-8 is 0, so the step
            # m̂ / (√v̂ + ε) was ±inf, or 0/0 = nan for a gradient of 0 (PyTorch's Adam has the
            # same flaw). The step is cast back to the weights' dtype.
            dtype = np.promote_types(p.dtype, np.float32)
            state["m"] = np.zeros(p.shape, dtype)
            state["v"] = np.zeros(p.shape, dtype)
        grad = grad.astype(state["m"].dtype, copy=False)
        if self.weight_decay:
            grad = grad + self.weight_decay * p.data
        state["step"] += 1
        t = state["step"]
        state["m"] = beta1 * state["m"] + (1 - beta1) * grad
        state["v"] = beta2 * state["v"] + (1 - beta2) * grad * grad
        m_hat = state["m"] / (1 - beta1**t)
        v_hat = state["v"] / (1 - beta2**t)
        p.data -= (self.lr * m_hat / (np.sqrt(v_hat) + self.eps)).astype(p.dtype, copy=False)
