"""Numerical gradient checking: compare a backward with central differences, in float64,
along a random upstream gradient (first order: `gradcheck`; second order: `gradgradcheck`)."""

import math
import numbers

import numpy as np

from minigrad.autograd import _grad_mode, grad
from minigrad.ops import concat, vect
from minigrad.tensor import Tensor


class GradcheckError(AssertionError):
    """A backward disagrees with the numerical gradient; the message says where."""


def _check_settings(eps, atol, rtol):
    """Refuse a step eps that is not > 0, or a tolerance that is not ≥ 0 (eps = 0 divided by 0)."""
    for setting, value, allowed in (
        ("eps", eps, "> 0"),
        ("atol", atol, "≥ 0"),
        ("rtol", rtol, "≥ 0"),
    ):
        number = isinstance(value, numbers.Real) and not isinstance(value, bool)
        if not number or not math.isfinite(value) or value < 0 or (setting == "eps" and value == 0):
            raise ValueError(
                f"gradcheck: {setting} must be a finite number {allowed} (eps is the step of the "
                f"central differences, 1e-6 by default; atol and rtol the tolerances, 1e-5 and "
                f"1e-3); got {value!r}."
            )


def _checked_params(params):
    """(name, tensor) pairs from a Module, a dict of tensors or a sequence of tensors."""
    if params is None:
        return []
    if hasattr(params, "named_parameters"):
        return list(params.named_parameters())
    if isinstance(params, dict):
        return list(params.items())
    return [(f"params[{i}]", p) for i, p in enumerate(params)]


def gradcheck(fn, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3, params=None, seed=0):
    """Check the gradients of `fn` at `inputs` against central differences; True or raise.

    Every Tensor input is checked (as a float64 copy); `params` adds tensors `fn` closes over
    (a Module, a dict or a list: a layer's weights), cast to float64 for the check and put
    back afterwards. The scalar checked is L = Σ fn(x) · R with a fixed random R, so a wrong
    transpose or a wrong sum cannot hide behind an all-ones upstream gradient. On failure
    `GradcheckError` names the input, the worst element, both values and the errors (or the
    op whose backward writes into grad_out or its inputs).

    >>> import minigrad as mg
    >>> mg.gradcheck(lambda a, b: a @ b, mg.Tensor(np.ones((2, 3))), mg.Tensor(np.ones((3, 4))))
    True
    """
    _check_settings(eps, atol, rtol)
    rng = np.random.default_rng(seed)
    xs = [_float64_copy(x) if isinstance(x, Tensor) else x for x in inputs]
    named = [(_input_name(i, x), x) for i, x in enumerate(xs) if isinstance(x, Tensor)]
    named_params = _checked_params(params)
    originals = [(p, p.data, p.requires_grad) for _, p in named_params]
    try:
        for _, p in named_params:
            p.data = p.data.astype(np.float64)
            p.requires_grad = True
        named += [(f"parameter {name!r}", p) for name, p in named_params]
        if not named:
            raise ValueError("gradcheck: no Tensor inputs or params to check.")
        weights = {}

        def loss():
            out = fn(*xs)
            if not isinstance(out, Tensor):
                raise TypeError(f"gradcheck: fn must return a Tensor; got {type(out).__name__}.")
            if "R" not in weights:
                weights["R"] = Tensor(rng.standard_normal(out.shape))
                weights["dtype"] = _least_precise(out)
            return (out * weights["R"]).sum()

        before = [t.data.copy() for _, t in named]
        value = loss()
        _check_unchanged(named, before)
        tensors = [t for _, t in named]
        if value.requires_grad:
            graph_values = _graph_values(value)
            analytic = grad(value, tensors, retain_graph=True)
            _check_backwards_write_nothing(value, graph_values)
        else:
            analytic = [None] * len(tensors)
        for (name, t), g in zip(named, analytic):
            reached = g is not None
            g = np.zeros_like(t.data) if g is None else g.data
            numeric = _numerical_gradient(loss, t, eps)
            if not _agree(g, numeric, atol, rtol):
                cause = _likely_cause(loss, value.item(), reached, weights["dtype"], eps, atol)
                if cause is _WRONG_BACKWARD:  # or is it fn: a kink, or values outside the graph?
                    cause = _outside_graph(value, t, tensors) or _kink(loss, t, g, numeric, eps)
                    cause = cause or _WRONG_BACKWARD
                _compare(name, t.shape, g, numeric, atol, rtol, cause)
    finally:
        for p, data, requires_grad in originals:
            p.data, p.requires_grad = data, requires_grad
    return True


def gradgradcheck(fn, *inputs, eps=1e-6, atol=1e-5, rtol=1e-3, params=None, seed=0):
    """Check second-order gradients: gradcheck of the first-order gradient of `fn`.

    The first-order gradients g(x, R) = ∂(Σ fn(x) · R)/∂x are computed with
    `create_graph=True` and checked as a function of the inputs *and* of the upstream gradient
    R (an extra input named 'grad_out'). Checking R as well matters: for a linear op the
    gradient does not depend on x, and only ∂g/∂R shows whether its backward is right.

    >>> import minigrad as mg
    >>> mg.gradgradcheck(lambda x: (x * x).tanh(), mg.Tensor([0.5, -1.0]))
    True
    """
    rng = np.random.default_rng(seed + 1)
    param_tensors = [p for _, p in _checked_params(params)]
    # The shape of R comes from one call on the float64 copies gradcheck uses, with grad mode
    # on: fn may itself call mg.grad (a gradient penalty, or a first derivative checked to
    # third order), which needs inputs that require grad and a graph to go back through.
    probe = [_float64_copy(x) if isinstance(x, Tensor) else x for x in inputs]
    out = fn(*probe)
    if not isinstance(out, Tensor):
        raise TypeError(f"gradgradcheck: fn must return a Tensor; got {type(out).__name__}.")
    grad_out = Tensor(rng.standard_normal(out.shape), name="grad_out")

    def first_order(*xs_and_grad_out):
        *xs, upstream = xs_and_grad_out
        out = fn(*xs)
        tensors = [x for x in xs if isinstance(x, Tensor)] + param_tensors
        grads = grad((out * upstream).sum(), tensors, create_graph=True)
        flat = [vect(g) for g in grads if g is not None]
        if not flat:
            return Tensor(np.zeros(1))
        return concat(flat)

    try:
        return gradcheck(
            first_order, *inputs, grad_out, eps=eps, atol=atol, rtol=rtol, params=params, seed=seed
        )
    except GradcheckError as error:  # say which check failed: the second-order one
        message = str(error)
        if message.startswith("gradcheck"):
            message = "gradgradcheck (the gradient of fn's gradient)" + message[len("gradcheck") :]
        if "No gradient reached" in message:  # in second order, the usual cause is a backward
            message += (
                " In a second-order check the usual cause is a backward that computes with an "
                "array saved in forward (self.x = x) or with .data: read x from self.inputs, or "
                "y from self.output (saves_output = True)."
            ) + _backward_off_the_graph(fn, inputs)
        raise GradcheckError(message) from None


def _nodes(root):
    """(tensor, node) for each node of the graph of `root` once, from the root back (a loop)."""
    stack, seen = [root], set()
    while stack:
        tensor = stack.pop()
        node = tensor.grad_fn
        if node is None or node.released or id(node) in seen:
            continue
        seen.add(id(node))
        yield tensor, node
        stack.extend(node.inputs)


def _graph_values(root):
    """(tensor, a copy of its values) for each input of each node of the graph of `root`."""
    inputs = {id(t): t for _, node in _nodes(root) for t in node.inputs}
    return [(t, t.data.copy()) for t in inputs.values()]


def _check_backwards_write_nothing(root, graph_values):
    """Refuse, by name, an op whose backward writes into grad_out or into its inputs. The
    engine may hand one gradient to several ops (Add gives its grad_out to both inputs), and
    grad_out may be the caller's array or a retained .grad: such a write silently changes other
    gradients. `graph_values` are the inputs' values before the engine's backward: values it
    changed are put back, and each op's backward runs once more, on a random grad_out, watched.
    (Watching only the second run missed a write that repeats itself, x.data[x.data < 0] = 0.)"""
    changed = []  # (tensor, the first index the engine's backward changed)
    for t, values in graph_values:
        where = _first_change(t.data, values)
        if where is not None:
            changed.append((t, where))
            t.data[...] = values
    rng = np.random.default_rng(0)
    with _grad_mode(False):
        for tensor, node in _nodes(root):
            grad_out = Tensor(rng.standard_normal(tensor.shape).astype(tensor.dtype))
            watched = [("grad_out", grad_out)]
            watched += [(f"self.inputs[{i}]", t) for i, t in enumerate(node.inputs)]
            before = [t.data.copy() for _, t in watched]
            node.backward(grad_out)
            for (what, t), values in zip(watched, before):
                where = _first_change(t.data, values)
                if where is None:
                    continue
                if what == "grad_out":
                    why = (
                        "the engine may hand one gradient to several ops (Add gives its "
                        "grad_out to both inputs), which would then get wrong values"
                    )
                else:
                    why = "the inputs are the tensors' values, which the model and other ops use"
                raise GradcheckError(
                    f"gradcheck: {node.name}.backward changed {what} in place: at index {where}, "
                    f"{values[where]:.6g} became {t.data[where]:.6g}. backward must not write "
                    f"into grad_out or its inputs: {why}. Compute a new Tensor instead "
                    "(grad_out * 3, not grad_out.data *= 3)."
                )
    if changed:  # a write the second run did not repeat
        t, where = changed[0]
        readers = sorted(
            {node.name for _, node in _nodes(root) if any(x is t for x in node.inputs)}
        )
        raise GradcheckError(
            f"gradcheck: the backward pass changed the values of a tensor of the graph (shape "
            f"{t.shape}) in place, at index {where}, though running each backward again did "
            f"not: the write depends on the first run. Ops reading that tensor: "
            f"{', '.join(readers)}. backward must not write into its inputs or grad_out: "
            "compute a new Tensor instead."
        )


def _backward_off_the_graph(fn, inputs):
    """A sentence naming the first op of fn's graph whose backward, given a grad_out that is
    part of a graph, returns a gradient that is not (numpy, .data or mg.Tensor(...) in
    backward); "" if there is none."""
    xs = [_float64_copy(x) if isinstance(x, Tensor) else x for x in inputs]
    rng = np.random.default_rng(0)
    with _grad_mode(True):
        for tensor, node in _nodes(fn(*xs)):
            values = rng.standard_normal(tensor.shape).astype(tensor.dtype)
            grads = node.backward(Tensor(values, requires_grad=True))
            for position, g in enumerate(grads):
                if node.needs_input_grad[position] and g is not None and not g.requires_grad:
                    return (
                        f" Here {node.name}.backward returns a gradient for its input {position} "
                        "that is not computed from grad_out with Tensor ops, so "
                        "backward(create_graph=True) has nothing to differentiate."
                    )
    return ""


def _first_change(now, values):
    """The first index where `now` differs from `values` (NaN = NaN), or None."""
    if np.array_equal(now, values, equal_nan=True):
        return None
    changed = ~((now == values) | (np.isnan(now) & np.isnan(values)))
    return tuple(int(i) for i in np.argwhere(changed)[0])


def _check_unchanged(named, before):
    """Refuse an fn that wrote into the values of a tensor it was given: the next call would
    start from other values, so no numerical gradient could be right."""
    for (name, t), values in zip(named, before):
        where = _first_change(t.data, values)
        if where is not None:
            raise GradcheckError(
                f"gradcheck: fn changed the values of {name} (shape {t.shape}) in place: at "
                f"index {where}, {values[where]:.6g} became {t.data[where]:.6g}. An op's forward "
                "must not write into its input arrays, which are the tensors' data: compute "
                "into a new array (np.exp(x), not np.exp(x, out=x); y = x.copy() before "
                "changing y[...])."
            )


def _float64_copy(x):
    return Tensor(x.data.astype(np.float64), requires_grad=True, name=x.name)


def _input_name(position, x):
    return f"input {position}" + (f" ({x.name!r})" if x.name else "")


def _numerical_gradient(loss, t, eps):
    """∂L/∂t by central differences, (L(t + eps) − L(t − eps)) / 2eps, one element at a time."""
    numeric = np.zeros_like(t.data)
    for index in np.ndindex(t.shape):
        original = t.data[index]
        t.data[index] = original + eps
        plus = loss().item()
        t.data[index] = original - eps
        minus = loss().item()
        t.data[index] = original
        numeric[index] = (plus - minus) / (2 * eps)
    return numeric


def _agree(analytic, numeric, atol, rtol):
    """Whether |a − n| ≤ atol + rtol·|n| everywhere, with every n finite. (A NaN on either side
    fails the test by itself; an infinite n would pass it, inf ≤ inf, against any a.)"""
    return bool(
        np.all(np.isfinite(numeric))
        and np.all(np.abs(analytic - numeric) <= atol + rtol * np.abs(numeric))
    )


_WRONG_BACKWARD = "The backward of an op this input flows into is wrong there."


def _outside_graph(root, t, checked):
    """The cause when fn reads t's values through a tensor outside the graph (x.detach()
    shares t's memory, mg.Tensor(x.data) copies its values), which backward cannot see; or
    None."""
    for _, node in _nodes(root):
        for leaf in node.inputs:
            if leaf.grad_fn is not None or any(leaf is c for c in checked):
                continue
            same = leaf.shape == t.shape and np.array_equal(leaf.data, t.data)
            if same or np.may_share_memory(leaf.data, t.data):
                return (
                    f"fn reads this input's values through a tensor outside the graph (in "
                    f"{node.name}: a constant equal to the input, as .detach(), .data or "
                    "mg.Tensor(x.data) make), so backward does not see that part of the "
                    "dependence, and the numerical gradient does. Backward is then right for the "
                    "function it was given; use x itself where the gradient should flow."
                )
    return None


def _kink(loss, t, analytic, numeric, eps):
    """The cause when fn is not differentiable where an element is off (relu at 0, tied
    maxima): its one-sided slopes differ, and the central difference is their mean; or None."""
    off = np.abs(analytic - numeric) > 1e-5 + 1e-3 * np.abs(numeric)
    for index in [tuple(int(i) for i in at) for at in np.argwhere(off)[:20]]:  # (a few say enough)
        original = t.data[index]
        middle = loss().item()
        t.data[index] = original + eps
        right = (loss().item() - middle) / eps
        t.data[index] = original - eps
        left = (middle - loss().item()) / eps
        t.data[index] = original
        if abs(right - left) > 1e-4 * max(1.0, abs(right), abs(left)):
            return (
                f"fn is not differentiable at this point: at index {index} its slope is "
                f"{left:.6g} on the left and {right:.6g} on the right (a kink: relu or abs at "
                "0, tied maxima), and the central difference takes their mean while backward "
                "takes one side. Check at another point (random values rarely hit a kink)."
            )
    return None


def _likely_cause(loss, value, reached, dtype, eps, atol):
    """The last sentence of a failure: why the gradients disagree, when it is not a backward."""
    again = loss().item()
    same = again == value or abs(again - value) <= 1e-10 * abs(value)
    if not same and not (np.isnan(again) and np.isnan(value)):
        return (
            f"fn is not deterministic: it gave {value:.17g} and then {again:.17g} for the "
            "same inputs, so no numerical gradient can be right. Build layers and random "
            "numbers once, outside fn (pass a layer's tensors as params=)."
        )
    if not reached:
        return (
            "No gradient reached this input: fn's result does not depend on it through the graph "
            "(did fn use .data, .numpy(), mg.Tensor(...) or mg.no_grad(), or did a backward "
            "return None for it?)."
        )
    if dtype != np.float64:
        return (
            f"fn computes in {dtype} for float64 inputs (its result, or a tensor on the way: an "
            f"astype, an op whose forward returns {dtype}): central differences need float64 "
            f"(a step of eps={eps} is lost in {dtype}'s rounding). Keep the inputs' dtype in fn "
            "(an op's forward should return arrays of its input's dtype)."
        )
    rounding = np.finfo(np.float64).eps * max(abs(value), 1.0) / (2 * eps)
    if rounding > atol:  # the numerical gradient is rounding noise (or 0: x + eps == x)
        return (
            f"The step eps={eps:g} is too small for float64: L(x ± eps) each carry a rounding "
            f"error of about 2.2e-16·|L|, which the difference divides by 2·eps, so the "
            f"numerical gradient is off by about {rounding:.2g}, more than atol={atol:g}. Use a "
            "larger eps (the default, 1e-6, suits values near 1)."
        )
    return _WRONG_BACKWARD


def _least_precise(out):
    """The float dtype of least precision among the tensors fn computed, its result included
    (a constant of fn does not count: it is exact, whatever its dtype)."""
    lowest, stack, seen = out.dtype, [out], set()
    while stack:
        t = stack.pop()
        if t.grad_fn is None or id(t) in seen:
            continue
        seen.add(id(t))
        if t.dtype.itemsize < lowest.itemsize:
            lowest = t.dtype
        stack.extend(t.grad_fn.inputs)
    return lowest


def _compare(name, shape, analytic, numeric, atol, rtol, cause):
    """Raise GradcheckError naming the worst element if |a − n| > atol + rtol·|n| anywhere."""
    if not np.all(np.isfinite(numeric)):
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(numeric))[0])
        raise GradcheckError(
            f"gradcheck: fn is not defined or not differentiable near {name} (shape {shape}) at "
            f"index {where}: the numerical gradient there is {numeric[where]}. Check the "
            "function at another point (for example, log needs positive inputs)."
        )
    error = np.abs(analytic - numeric)
    allowed = atol + rtol * np.abs(numeric)
    bad = ~(error <= allowed)  # a nan in the analytic gradient counts as wrong
    if not bad.any():
        return
    worst = ()
    if shape:
        with np.errstate(divide="ignore", invalid="ignore"):  # allowed is 0 if atol = 0 = numeric
            score = error / allowed
        score[~bad] = -1.0  # the worst of the elements that are off, never one that passes
        score[np.isnan(score)] = np.inf  # a NaN analytic gradient is as wrong as it gets
        worst = np.unravel_index(np.argmax(score), shape)
    relative = error[worst] / max(abs(numeric[worst]), 1e-12)
    raise GradcheckError(
        f"gradcheck failed for {name} (shape {shape}): {int(bad.sum())} of {bad.size} elements "
        f"are off. Worst at index {tuple(int(i) for i in worst)}: analytic {analytic[worst]:.6g}, "
        f"numeric {numeric[worst]:.6g}, absolute error {error[worst]:.3g}, relative error "
        f"{relative:.3g} (allowed: atol={atol} + rtol={rtol}·|numeric|). {cause}"
    )
