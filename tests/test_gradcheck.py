"""Tests of the checker itself: wrong backwards (transposed, doubled, wrong in one element,
wrong only in second order) must fail and say where; correct ones pass; params= checks the
tensors a function closes over and restores them."""

import re

import numpy as np
import pytest
from helpers import SquareInNumpy, leaf

import minigrad as mg


class MatVec(mg.Function):
    """y = W x with the right backward: ∂L/∂W = g xᵀ, ∂L/∂x = Wᵀ g."""

    def forward(self, w, x):
        return w @ x

    def backward(self, grad_out):
        w, x = self.inputs
        grad_w = grad_out.reshape(-1, 1) @ x.reshape(1, -1)
        return grad_w, w.T @ grad_out


class MatVecTransposed(MatVec):
    """The same forward, but ∂L/∂x forgets the transpose: W g instead of Wᵀ g."""

    def backward(self, grad_out):
        w, x = self.inputs
        grad_w = grad_out.reshape(-1, 1) @ x.reshape(1, -1)
        return grad_w, w @ grad_out


class DoubledExp(mg.Function):
    """y = eˣ with a backward that is twice too large."""

    def forward(self, x):
        return np.exp(x)

    def backward(self, grad_out):
        return (2 * grad_out * self.inputs[0].exp(),)


class OneWrongElement(mg.Function):
    """y = x with a backward that is wrong only at index (1, 2)."""

    def forward(self, x):
        return x.copy()

    def backward(self, grad_out):
        mask = np.ones(grad_out.shape)
        mask[1, 2] = 3.0
        return (grad_out * mg.Tensor(mask),)


class Reverse(mg.Function):
    """y = x[::-1] with a backward that does not reverse g: right only for a constant g."""

    def forward(self, x):
        return x[::-1].copy()

    def backward(self, grad_out):
        return (grad_out * 1.0,)


class SquareDetached(mg.Function):
    """y = x² whose backward 2x·g is right in value but uses x as a constant, so its own
    derivative (the second order) is lost."""

    def forward(self, x):
        return x * x

    def backward(self, grad_out):
        (x,) = self.inputs
        return (grad_out * 2 * x.detach(),)


class Square(mg.Function):
    """y = x² with a backward written in Tensor ops (differentiable again)."""

    def forward(self, x):
        return x * x

    def backward(self, grad_out):
        (x,) = self.inputs
        return (grad_out * 2 * x,)


W = np.array([[1.0, 2.0, 0.5], [-1.0, 0.3, 4.0], [0.7, -2.0, 1.0]])
X = np.array([0.5, -1.5, 2.0])


def test_a_correct_custom_function_passes_both_checks():
    assert mg.gradcheck(MatVec.apply, leaf(W), leaf(X)) is True
    assert mg.gradgradcheck(MatVec.apply, leaf(W), leaf(X)) is True
    assert mg.gradgradcheck(Square.apply, leaf([0.5, -2.0])) is True


def test_a_transposed_gradient_fails_and_names_the_input():
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(MatVecTransposed.apply, leaf(W), leaf(X))
    message = str(info.value)
    assert "input 1" in message and "shape (3,)" in message
    assert re.search(r"Worst at index \(\d,\)", message)
    assert "analytic" in message and "numeric" in message


def test_a_doubled_gradient_fails_with_both_values():
    x = leaf([0.0, 1.0], name="x")
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(DoubledExp.apply, x)
    message = str(info.value)
    assert "input 0 ('x')" in message and "2 of 2 elements are off" in message


def test_the_message_points_at_the_wrong_element():
    x = leaf(np.arange(12.0).reshape(3, 4))
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(OneWrongElement.apply, x)
    message = str(info.value)
    assert "1 of 12 elements are off" in message
    assert "Worst at index (1, 2)" in message


def test_the_message_gives_the_analytic_and_numeric_values_and_both_errors_there():
    """OneWrongElement's backward is 3× the true gradient at (1, 2): whatever the random upstream
    weighting R, the message must read analytic = 3·numeric there, and errors that follow."""
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(OneWrongElement.apply, leaf(np.arange(12.0).reshape(3, 4)))
    number = r"(-?[\d.]+(?:e[-+]?\d+)?)"
    found = re.search(
        rf"analytic {number}, numeric {number}, absolute error {number}, relative error {number}",
        str(info.value),
    )
    assert found, str(info.value)
    analytic, numeric, absolute, relative = (float(v) for v in found.groups())
    assert numeric != 0 and analytic == pytest.approx(3 * numeric, rel=1e-5)
    assert absolute == pytest.approx(abs(analytic - numeric), rel=1e-2)
    assert relative == pytest.approx(2.0, rel=1e-2)


def test_a_random_upstream_gradient_catches_what_all_ones_would_miss():
    x = leaf([1.0, 2.0, 3.0, 4.0])
    # with an all-ones upstream gradient the wrong backward gives the right answer
    Reverse.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.ones(4))
    with pytest.raises(mg.GradcheckError, match=r"input 0 \(shape \(4,\)\): 4 of 4 .*Worst at"):
        mg.gradcheck(Reverse.apply, leaf([1.0, 2.0, 3.0, 4.0]))


def test_a_wrong_second_order_is_caught_by_gradgradcheck_only():
    x = leaf([0.5, -2.0, 1.5])
    assert mg.gradcheck(SquareDetached.apply, x)
    with pytest.raises(mg.GradcheckError, match=r"input 0") as info:
        mg.gradgradcheck(SquareDetached.apply, x)
    message = str(info.value)  # says it is the second order, and points at the backward
    assert message.startswith("gradgradcheck (the gradient of fn's gradient) failed for input 0")
    assert "a backward that computes with an array saved in forward" in message


def test_gradcheck_works_in_float64_for_float32_inputs():
    x = mg.Tensor([0.3, -0.7, 1.1], requires_grad=True)
    assert mg.gradcheck(lambda t: (t * t).tanh(), x, atol=1e-9, rtol=1e-7)
    assert x.dtype == np.float32 and x.grad is None  # the input itself is untouched


def test_gradcheck_with_params_checks_closed_over_tensors_and_restores_them():
    w = mg.Tensor(W.astype(np.float32), name="w")  # float32, does not require grad

    def layer(x):
        return MatVec.apply(w, x).tanh()

    assert mg.gradcheck(layer, leaf(X), params=[w])
    assert w.dtype == np.float32 and not w.requires_grad
    np.testing.assert_array_equal(w.data, W.astype(np.float32))
    assert mg.gradgradcheck(layer, leaf(X), params={"w": w})
    assert w.dtype == np.float32 and not w.requires_grad


class WrongWeightGrad(MatVec):
    """The right ∂L/∂x, but ∂L/∂W is transposed."""

    def backward(self, grad_out):
        grad_w, grad_x = super().backward(grad_out)
        return grad_w.T, grad_x


@pytest.mark.parametrize(
    ("params", "name"),
    [("list", "parameter 'params[0]'"), ("dict", "parameter 'weight'")],
)
def test_a_wrong_parameter_gradient_names_the_parameter_and_restores_it(params, name):
    w = mg.Tensor(W.astype(np.float32), requires_grad=True)
    given = [w] if params == "list" else {"weight": w}
    with pytest.raises(mg.GradcheckError) as info:
        mg.gradcheck(lambda x: WrongWeightGrad.apply(w, x), leaf(X), params=given)
    assert name in str(info.value)
    assert w.dtype == np.float32 and w.requires_grad


def test_an_unchecked_closed_over_tensor_is_not_reported():
    w = mg.Tensor(W)  # a constant: a wrong gradient for it is never computed nor checked
    assert mg.gradcheck(lambda x: WrongWeightGrad.apply(w, x), leaf(X))


def test_gradcheck_passes_non_tensor_arguments_through():
    assert mg.gradcheck(lambda x, k: x**k, leaf([1.5, 2.0]), 3)


def test_an_input_the_output_does_not_use_has_zero_gradient():
    assert mg.gradcheck(lambda x, unused: x * 2, leaf([1.0]), leaf([1.0]))
    with pytest.raises(mg.GradcheckError, match="input 1"):
        mg.gradcheck(lambda x, y: x * 2 + mg.Tensor(y.data.copy()) ** 2, leaf([1.0]), leaf([3.0]))


def test_gradcheck_without_tensors_or_returning_a_non_tensor_is_an_error():
    with pytest.raises(ValueError, match=r"no Tensor inputs or params"):
        mg.gradcheck(lambda k: mg.Tensor([k]), 2.0)
    with pytest.raises(TypeError, match=r"fn must return a Tensor; got ndarray"):
        mg.gradcheck(lambda x: x.data * 2, leaf([1.0]))
    with pytest.raises(TypeError, match=r"gradgradcheck: fn must return a Tensor; got float"):
        mg.gradgradcheck(lambda x: 1.0, leaf([1.0]))


def test_gradgradcheck_takes_a_function_that_calls_mg_grad():
    # A first derivative checked to third order, or a gradient penalty: fn needs grad mode and
    # inputs that require grad, also in the call that finds its output's shape.
    def first_derivative(x):
        (grad_x,) = mg.grad((x**3).sum(), [x], create_graph=True)  # 3x²
        return grad_x

    assert mg.gradgradcheck(first_derivative, mg.Tensor([0.5, -1.0]))


# ---- review fixes: nan gradients, linear ops in second order ----------------------------------
class NanBackward(mg.Function):
    """y = 2x with a backward that returns nan."""

    def forward(self, x):
        return 2 * x

    def backward(self, grad_out):
        return (grad_out * float("nan"),)


class DetachedScale(mg.Function):
    """y = 2x with a first-order-correct backward that is built from constants (no graph)."""

    def forward(self, x):
        return 2 * x

    def backward(self, grad_out):
        return (mg.Tensor(grad_out.data * 2),)


def test_a_nan_gradient_fails_the_check():
    with pytest.raises(mg.GradcheckError, match="analytic nan"):
        mg.gradcheck(NanBackward.apply, leaf([0.5, -1.0]))


@pytest.mark.filterwarnings("ignore:invalid value encountered in log")
def test_a_function_undefined_at_the_point_is_reported_as_such():
    with pytest.raises(mg.GradcheckError, match="not defined or not differentiable"):
        mg.gradcheck(lambda x: x.log(), mg.Tensor([-1.0, 2.0]))


class ExpZeroBackward(mg.Function):
    """e^x with a backward that gives 0: wrong everywhere."""

    def forward(self, x):
        return np.exp(x)

    def backward(self, grad_out):
        return (grad_out * 0,)


@pytest.mark.filterwarnings("ignore:overflow encountered in exp")
def test_an_infinite_numerical_gradient_fails_the_check():
    # e^(709 + 1) overflows, so the numerical gradient is inf; inf ≤ atol + rtol·inf let any
    # analytic value pass, the wrong 0 included.
    with pytest.raises(mg.GradcheckError, match=r"not defined or not differentiable.*index \(0,\)"):
        mg.gradcheck(ExpZeroBackward.apply, mg.Tensor([709.0]), eps=1.0)


def test_gradgradcheck_checks_linear_ops_through_the_upstream_gradient():
    x = leaf([0.5, -1.0, 2.0])
    assert mg.gradcheck(DetachedScale.apply, x)  # first order is right…
    with pytest.raises(mg.GradcheckError, match="grad_out"):  # …but it cannot be differentiated
        mg.gradgradcheck(DetachedScale.apply, x)


class SquareWithOffset(mg.Function):
    """y = x² whose backward adds 1e-4·g: off by 1e-4·|g| where the true gradient 2x·g is 0."""

    def forward(self, x):
        return x * x

    def backward(self, grad_out):
        (x,) = self.inputs
        return (grad_out * 2 * x + grad_out * 1e-4,)


def test_atol_bounds_the_error_where_the_true_gradient_is_zero():
    # At x = 0 the numerical gradient is 0, so only atol (default 1e-5) allows any error there:
    # rtol·|numeric| is 0. An error of 1e-4 must fail by default, and pass with atol=1e-3.
    x = leaf(np.zeros(4))
    with pytest.raises(mg.GradcheckError, match=r"input 0 .*allowed: atol=1e-05"):
        mg.gradcheck(SquareWithOffset.apply, x)
    assert mg.gradcheck(SquareWithOffset.apply, x, atol=1e-3)


class ScaleOffBoth(mg.Function):
    """y = s · x, s = (1000, 0.001), with a backward off by 1 % at (0,) and by 100 % at (1,)."""

    def forward(self, x):
        return x * np.array([1000.0, 0.001])

    def backward(self, grad_out):
        return (grad_out * mg.Tensor(np.array([1010.0, 0.002])),)


def test_the_worst_element_is_the_one_furthest_off_relative_to_its_tolerance():
    """(0,) is off by 10× more in absolute terms; (1,) by 100 % of its value: that one."""
    with pytest.raises(mg.GradcheckError, match=r"2 of 2 elements are off. Worst at index \(1,\)"):
        mg.gradcheck(ScaleOffBoth.apply, leaf([1.0, 1.0]))


def test_a_wrong_gradient_of_a_0d_input_fails_the_check():
    expected = r"input 0 \(shape \(\)\): 1 of 1 elements are off. Worst at index \(\)"
    with pytest.raises(mg.GradcheckError, match=expected):
        mg.gradcheck(DoubledExp.apply, leaf(0.5))


# ---- what a failure blames (review) -----------------------------------------------------------
class OffAtTheEnd(mg.Function):
    """y = x² with a backward off by 1 at the last element only."""

    def forward(self, x):
        return x * x

    def backward(self, grad_out):
        (x,) = self.inputs
        return (grad_out * 2 * x + mg.Tensor(np.array([0.0, 0.0, 1.0])),)


def test_with_atol_0_the_worst_element_is_one_that_is_off():
    with pytest.raises(mg.GradcheckError, match=r"1 of 3 elements are off. Worst at index \(2,\)"):
        mg.gradcheck(OffAtTheEnd.apply, leaf([0.0, 1.0, 2.0]), atol=0)


class SquareInFloat32(Square):
    def forward(self, x):
        return (x * x).astype(np.float32)


def test_a_failure_says_when_the_function_is_not_the_backward_to_blame():
    with pytest.raises(mg.GradcheckError, match=r"not deterministic") as info:
        mg.gradcheck(lambda x: mg.nn.Dense(3, 2)(x), leaf(np.ones((1, 3))))
    assert "backward of an op" not in str(info.value)
    with pytest.raises(mg.GradcheckError, match=r"No gradient reached this input.*\.data"):
        mg.gradcheck(lambda x: mg.Tensor(np.sin(x.data)), leaf([0.5, 1.0]))
    with pytest.raises(mg.GradcheckError, match=r"fn computes in float32 .*need float64"):
        mg.gradcheck(SquareInFloat32.apply, leaf([0.3, -1.2, 2.5]))
    # A float32 tensor on the way, with a float64 result: also not the backward's fault.
    with pytest.raises(mg.GradcheckError, match=r"fn computes in float32 .*astype") as info:
        mg.gradcheck(lambda x: (x.astype(np.float32).astype(np.float64)) ** 3, leaf([0.3, 1.7]))
    assert "backward of an op" not in str(info.value)


def test_a_gradgradcheck_failure_says_it_is_second_order():
    x = leaf([0.5, -2.0, 1.5])
    with pytest.raises(mg.GradcheckError, match=r"^gradgradcheck \(the gradient of fn's gradi"):
        mg.gradgradcheck(SquareDetached.apply, x)


class ExpInPlace(mg.Function):
    """e^x written into x's own array: the mistake of a forward that changes its input."""

    def forward(self, x):
        return np.exp(x, out=x)

    def backward(self, grad_out):
        return (grad_out * self.inputs[0],)


def test_a_forward_that_writes_into_its_input_is_named_not_called_random():
    """It was reported as "fn is not deterministic … Build layers and random numbers once"."""
    with pytest.raises(mg.GradcheckError, match=r"fn changed the values of input 0 \(shape "
                       r"\(2,\)\) in place: at index \(0,\), 0.1 became 1.10517.*must not "
                       r"write into its input arrays"):  # fmt: skip
        mg.gradcheck(ExpInPlace.apply, leaf([0.1, 0.5]))
    with pytest.raises(mg.GradcheckError, match=r"^gradgradcheck .*fn changed the values"):
        mg.gradgradcheck(ExpInPlace.apply, leaf([0.1, 0.5]))


def test_a_nan_input_that_fn_leaves_alone_is_not_taken_for_a_change():
    """NaN ≠ NaN: the in-place check compares with equal_nan, so a NaN input is reported as a
    point where fn is not defined, not as a value fn changed."""
    with pytest.raises(mg.GradcheckError, match=r"not defined or not differentiable near input 0 "
                       r"\(shape \(2,\)\) at index \(0,\)"):  # fmt: skip
        mg.gradcheck(lambda x: x * 2, leaf([np.nan, 1.0]))


def test_an_in_place_change_is_located_past_an_unchanged_nan():
    # e^nan written over nan is still nan: the first value that changed is at index 1.
    with pytest.raises(mg.GradcheckError, match=r"fn changed the values of input 0 \(shape "
                       r"\(2,\)\) in place: at index \(1,\), 0.1 became 1.10517"):  # fmt: skip
        mg.gradcheck(ExpInPlace.apply, leaf([np.nan, 0.1]))


def test_gradgradcheck_of_a_function_that_ignores_its_input_passes():
    """No gradient reaches x (the result is a constant): first and second order are both 0."""
    assert mg.gradgradcheck(lambda x: mg.Tensor([1.0, 2.0], dtype=np.float64), leaf([0.5]))


class TripleIntoGradOut(mg.Function):
    """y = 3x, with backward scaling grad_out in place: right alone, wrong when grad_out is
    shared (Add gives its grad_out to both inputs, so the second op gets 3g and returns 9g)."""

    def forward(self, x):
        return x * 3

    def backward(self, grad_out):
        grad_out.data *= 3
        return (grad_out,)


class SquareIntoInput(mg.Function):
    """y = x², with backward doubling x's own values in place (then g · x is g · 2x)."""

    def forward(self, x):
        return x * x

    def backward(self, grad_out):
        (x,) = self.inputs
        x.data *= 2
        return (grad_out * x,)


def test_a_backward_that_writes_into_grad_out_is_named():
    """gradcheck called fn "not deterministic" (the op had scaled gradcheck's own weights R),
    and in training an L = Σ 1.0 · (op(x) + op(x)) got x.grad = 18 instead of 6, with no error."""
    with pytest.raises(mg.GradcheckError, match=r"^gradcheck: TripleIntoGradOut.backward "
                       r"changed grad_out in place: at index \(0,\).*Add gives its grad_out to "
                       r"both inputs.*not grad_out.data \*= 3"):  # fmt: skip
        mg.gradcheck(TripleIntoGradOut.apply, leaf([1.0, 2.0]))


def test_a_backward_that_writes_into_its_input_is_named_not_called_random():
    """It was reported as "fn is not deterministic … Build layers and random numbers once"."""
    with pytest.raises(mg.GradcheckError, match=r"^gradcheck: SquareIntoInput.backward changed "
                       r"self.inputs\[0\] in place") as info:  # fmt: skip
        mg.gradcheck(SquareIntoInput.apply, leaf([0.5, 1.5]))
    assert "deterministic" not in str(info.value)


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"eps": 0}, "eps must be a finite number > 0"),  # was a bare ZeroDivisionError
        ({"eps": -1e-6}, "eps must be a finite number > 0"),
        ({"eps": True}, "eps must be a finite number > 0"),
        ({"atol": -1}, "atol must be a finite number ≥ 0"),
        ({"rtol": float("nan")}, "rtol must be a finite number ≥ 0"),
    ],
)
def test_a_step_or_tolerance_out_of_range_is_refused_by_name(settings, message):
    with pytest.raises(ValueError, match=rf"^gradcheck: {message} .*got "):
        mg.gradcheck(lambda a: a.tanh(), leaf([0.5, 1.5]), **settings)


def test_a_step_lost_to_rounding_is_blamed_not_the_backward():
    """eps=1e-20 gave a numerical gradient of 0, reported as "The backward … is wrong"."""
    blamed = r"numeric 0,.*The step eps=1e-20 is too small for float64.*off by about 1\.1e\+04"
    with pytest.raises(mg.GradcheckError, match=blamed + ", more than atol=1e-05") as info:
        mg.gradcheck(lambda a: a.tanh(), leaf([0.5, 1.5]), eps=1e-20)
    assert "wrong" not in str(info.value)
    assert mg.gradcheck(lambda a: a.tanh(), leaf([0.5, 1.5]), eps=1e-12)  # still fine there


@pytest.mark.parametrize(
    "fn", [lambda x: x * x.detach(), lambda x: x * mg.Tensor(x.data)], ids=["detach", "Tensor"]
)
def test_values_read_outside_the_graph_are_named_not_the_backward(fn):
    """x * x.detach() has a right backward for what it was given; it was reported as "The
    backward of an op this input flows into is wrong there" (a second reader's find)."""
    named = r"fn reads this input's values through a tensor outside the graph \(in Mul: a "
    with pytest.raises(mg.GradcheckError, match=named + "constant equal to the input"):
        mg.gradcheck(fn, leaf([0.5, -1.5, 2.0]))


@pytest.mark.parametrize(
    "fn, x",
    [
        (lambda x: x.relu(), [0.0, 1.0, -1.0]),
        (mg.nn.MaxPool2D(2), np.zeros((1, 2, 2, 1))),  # four tied maxima
    ],
    ids=["relu at 0", "tied maxima"],
)
def test_a_kink_is_named_not_the_backward(fn, x):
    named = r"fn is not differentiable at this point: at index \(0(, 0)*,?\) its slope is 0 on "
    with pytest.raises(mg.GradcheckError, match=named + "the left and .* on the right"):
        mg.gradcheck(fn, leaf(x))


def test_labels_given_as_a_tensor_are_moved_and_the_error_says_so():
    logits, labels = leaf(np.random.default_rng(0).standard_normal((3, 4))), np.array([0, 2, 1])
    with pytest.raises(TypeError, match=r"not whole numbers\. These are whole numbers moved by "
                       r"a small step, as gradcheck moves each Tensor"):  # fmt: skip
        mg.gradcheck(mg.nn.functional.cross_entropy, logits, mg.Tensor(labels))
    assert mg.gradcheck(mg.nn.functional.cross_entropy, logits, labels)  # an array: unchanged


class ClampIntoInput(mg.Function):
    """relu, with backward zeroing x's negative values in place: a write that changes nothing
    when it runs a second time."""

    def forward(self, x):
        return np.maximum(x, 0)

    def backward(self, grad_out):
        (x,) = self.inputs
        x.data[x.data < 0] = 0
        return (grad_out * mg.Tensor((x.data > 0).astype(grad_out.dtype)),)


class WritesOnceIntoInput(mg.Function):
    """y = 2x, with a backward that zeroes its input the first time it runs, and only then."""

    def forward(self, x):
        return x * 2

    def backward(self, grad_out):
        if not getattr(self, "written", False):
            self.inputs[0].data[...] = 0
            self.written = True
        return (grad_out * 2,)


def test_a_backward_whose_write_repeats_itself_is_named():
    """The inputs were copied only after the engine's backward had run once, so a second,
    identical write changed nothing: ClampIntoInput passed gradcheck (a second reader's find),
    and beside x * x it was reported as "the backward of an op … is wrong"."""
    pattern = r"^gradcheck: ClampIntoInput.backward changed self.inputs\[0\] in place: at index"
    x = leaf([-0.5, 1.0, -2.0])
    with pytest.raises(mg.GradcheckError, match=pattern + r" \(0,\), -0.5 became 0"):
        mg.gradcheck(lambda a: ClampIntoInput.apply(a * 1), x)

    def beside_a_square(a):
        t = a * 1
        return t * t + ClampIntoInput.apply(t)

    with pytest.raises(mg.GradcheckError, match=pattern):
        mg.gradcheck(beside_a_square, x)
    np.testing.assert_array_equal(x.data, [-0.5, 1.0, -2.0])  # the caller's values are intact


def test_a_backward_that_writes_only_the_first_time_is_still_caught():
    def fn(a):
        return WritesOnceIntoInput.apply(a * 1) + a

    with pytest.raises(mg.GradcheckError, match=r"^gradcheck: the backward pass changed the "
                       r"values of a tensor of the graph \(shape \(2,\)\) in place, at index "
                       r"\(0,\).*Ops reading that tensor: WritesOnceIntoInput\."):  # fmt: skip
        mg.gradcheck(fn, leaf([0.5, 1.5]))


def test_gradgradcheck_names_a_backward_computed_with_numpy():
    x = leaf([0.5, -1.5])
    assert mg.gradcheck(SquareInNumpy.apply, x)
    named = r"Here SquareInNumpy.backward returns a gradient for its input 0 that is not computed"
    with pytest.raises(mg.GradcheckError, match=rf"{named} from grad_out with Tensor ops"):
        mg.gradgradcheck(lambda x: SquareInNumpy.apply(x).tanh(), x)
    with pytest.raises(mg.GradcheckError) as info:  # a saved array keeps grad_out in the graph
        mg.gradgradcheck(SquareDetached.apply, x)
    assert "Here" not in str(info.value)
