"""Tests of Tensor itself: dtype rules, refusing non-numeric data, repr, item, detach, numpy,
len, .T, and every operator with its reflected form (numbers and numpy arrays on the left)."""

import collections
import contextlib
import copy
import operator
import re

import numpy as np
import pytest

import minigrad as mg


# ---- dtype rules ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "data",
    [1, 2.5, True, [1, 2], [[1.0, 2.0], [3.0, 4.0]], np.array([1, 2]), np.array([True])],
    ids=["int", "float", "bool", "int list", "float list", "int array", "bool array"],
)
def test_numbers_lists_ints_and_bools_become_float32(data):
    x = mg.Tensor(data)
    assert x.dtype == np.float32
    np.testing.assert_array_equal(x.data, np.asarray(data, dtype=np.float32))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_float_arrays_keep_their_dtype(dtype):
    array = np.array([1.0, 2.0], dtype=dtype)
    assert mg.Tensor(array).dtype == dtype
    assert mg.Tensor(dtype(3.0)).dtype == dtype


def test_an_explicit_dtype_wins_and_must_be_a_float():
    assert mg.Tensor([1, 2], dtype=np.float64).dtype == np.float64
    assert mg.Tensor(np.zeros(2), dtype="float32").dtype == np.float32
    with pytest.raises(TypeError, match=r"dtype must be a float type .* got int64"):
        mg.Tensor([1, 2], dtype=np.int64)


def test_tensor_function_is_the_constructor():
    x = mg.tensor([1, 2], requires_grad=True, name="x")
    assert isinstance(x, mg.Tensor) and x.requires_grad and x.name == "x"
    assert x.dtype == np.float32


@pytest.mark.parametrize(
    "data",
    ["abc", ["a", "b"], None, object(), {"a": 1}, np.array(["x"]), 1 + 2j, np.array([1j])],
    ids=["str", "str list", "None", "object", "dict", "str array", "complex", "complex array"],
)
def test_non_numeric_data_is_refused_with_a_type_error(data):
    with pytest.raises(TypeError, match=r"Tensor data must be numeric"):
        mg.Tensor(data)


def test_a_masked_array_is_refused_rather_than_its_mask_dropped():
    w = mg.Tensor([1.0, 2.0], requires_grad=True)
    masked = np.ma.masked_array([1.0, 2.0], mask=[False, True])
    for make in (mg.Tensor, lambda m: w * m, lambda m: w + m, lambda m: mg.concat([w, m])):
        with pytest.raises(TypeError, match=r"masked array.*m\.filled\(0\.0\)"):
            make(masked)


def test_a_list_of_tensors_that_require_grad_is_refused_with_stack():
    """mg.Tensor([a, b]) copied their values into a new leaf: a and b silently got no gradient
    (a second reader's find). Tensors that require no grad still give their values."""
    a = mg.Tensor([1.0, 2.0], requires_grad=True)
    b = mg.Tensor([3.0, 4.0], requires_grad=True)
    for data in ([a, b], ([1.0, 2.0], b), [[a.data], [b]]):
        with pytest.raises(TypeError, match=r"cut them out of the graph.*Use mg.stack\(\[a, b\]\)"):
            mg.Tensor(data)
    np.testing.assert_array_equal(mg.Tensor([a.detach(), b.data]).data, [[1, 2], [3, 4]])
    np.testing.assert_array_equal(mg.stack([a, b]).data, [[1, 2], [3, 4]])


def test_ragged_lists_are_refused_with_a_type_error():
    with pytest.raises(TypeError, match=r"numeric and rectangular"):
        mg.Tensor([[1.0, 2.0], [3.0]])


OPERATORS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}


@pytest.mark.parametrize("symbol", sorted(OPERATORS))
@pytest.mark.parametrize("number", [2, 2.5, np.float64(2.5)], ids=["int", "float", "np.float64"])
def test_a_scalar_never_promotes_float32(symbol, number):
    op = OPERATORS[symbol]
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    assert op(x, number).dtype == np.float32
    assert op(number, x).dtype == np.float32


def test_float64_tensor_stays_float64_with_scalars():
    x = mg.Tensor(np.array([1.0, 2.0]))
    assert (x * 2 + 1).dtype == np.float64
    assert (2 / x).dtype == np.float64


# ---- operators --------------------------------------------------------------------------------
A = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
B = np.array([0.5, 4.0], dtype=np.float32)


@pytest.mark.parametrize("symbol", sorted(OPERATORS))
def test_operators_and_reflected_operators_match_numpy(symbol):
    op = OPERATORS[symbol]
    a, b = mg.Tensor(A), mg.Tensor(B)
    np.testing.assert_allclose(op(a, b).data, op(A, B), rtol=1e-6)
    np.testing.assert_allclose(op(a, 3.0).data, op(A, np.float32(3.0)), rtol=1e-6)
    np.testing.assert_allclose(op(3.0, a).data, op(np.float32(3.0), A), rtol=1e-6)
    # a numpy array on the left: the tensor's reflected operator runs and returns a Tensor
    result = op(B, a)
    assert isinstance(result, mg.Tensor)
    np.testing.assert_allclose(result.data, op(B, A), rtol=1e-6)


def test_matmul_and_negation_operators():
    a = mg.Tensor(A)
    np.testing.assert_array_equal((a @ mg.Tensor(B)).data, A @ B)
    np.testing.assert_array_equal((B @ a).data, B @ A)
    np.testing.assert_array_equal((-a).data, -A)


def test_numpy_array_plus_tensor_is_a_tensor_with_a_graph():
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    y = np.array([10.0, 20.0], dtype=np.float32) + x
    assert isinstance(y, mg.Tensor)
    assert y.grad_fn.name == "Add"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])


def test_reflected_operators_have_the_right_gradients():
    x = mg.Tensor(np.array([2.0, 4.0]), requires_grad=True)
    (10 - x + 8 / x + 3 * x + 2**x).sum().backward()
    expected = -1 - 8 / x.data**2 + 3 + 2**x.data * np.log(2)
    np.testing.assert_allclose(x.grad.data, expected)


@pytest.mark.parametrize(
    "call, instead",
    [
        (lambda x: np.exp(x), r"mg\.exp\(x\)"),
        (lambda x: np.log(x), r"mg\.log\(x\)"),
        (lambda x: np.tanh(x), r"mg\.tanh\(x\)"),
        (lambda x: np.maximum(x, 0), r"mg\.relu\(x\) for max\(x, 0\)"),
        (lambda x: np.sqrt(x), r"x \*\* 0\.5"),
        (lambda x: np.negative(x), r"-x"),
        (lambda x: np.add(x, x), r"the operator \+ on the tensors"),
        (lambda x: np.add.reduce(x), r"x\.sum\(axis=…\)"),
        (lambda x: np.sin(x), r"minigrad's ops"),
    ],
    ids=["exp", "log", "tanh", "maximum", "sqrt", "negative", "add", "add.reduce", "sin"],
)
def test_a_numpy_ufunc_given_a_tensor_names_the_op_that_keeps_the_graph(call, instead):
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(
        TypeError,
        match=r"was given a Tensor.* use " + instead + r".*; for the values alone .*x\.data",
    ):
        call(x)


def test_a_numpy_number_on_the_left_of_an_operator_makes_a_node_of_the_graph():
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    y = np.float32(3.0) * x - np.float64(1.0)
    assert isinstance(y, mg.Tensor) and y.dtype == np.float32
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])
    assert (np.zeros(2) == x) is False and (np.zeros(2) != x) is True  # identity, as x == y


@pytest.mark.parametrize(
    "call, instead, values",
    [
        (lambda x, w: np.dot(x, w), r"the operator @", r"np\.dot\(x\.data, w\.data\)"),
        (lambda x, w: np.sum(w), r"x\.sum\(axis=…\)", r"np\.sum\(w\.data\)"),
        (lambda x, w: np.mean(w, axis=0), r"x\.mean\(axis=…\)", r"np\.mean\(w\.data, …\)"),
        (lambda x, w: np.max(w), r"x\.max\(axis=…\)", r"np\.max\(w\.data\)"),
        (
            lambda x, w: np.concatenate([w, w.T.T]),
            r"mg\.concat\(\[x, y\], axis=…\)",
            r"np\.concatenate\(\[w\.data, x\.data\]\)",
        ),
        (lambda x, w: np.stack([w]), r"mg\.stack\(…\)", r"np\.stack\(\[w\.data\]\)"),
        (
            lambda x, w: np.where(w.data > 0, w, 0),
            r"a mask, x \* mask",
            r"np\.where\(…, w\.data, …\)",
        ),
        (lambda x, w: np.linalg.norm(w), r"\(x \* x\)\.sum\(\) \*\* 0\.5", r"np\.linalg\.norm\("),
        (lambda x, w: np.round(w), r"minigrad's ops", r"np\.round\(w\.data\)"),
    ],
    ids=["dot", "sum", "mean", "max", "concatenate", "stack", "where", "norm", "round"],
)
def test_a_numpy_function_whose_floats_would_leave_the_graph_is_refused(call, instead, values):
    # np.dot(x, w) gave an array, and w silently no gradient; np.sum(w) failed with "Tensor.sum()
    # got an unexpected keyword argument 'out'".
    x = mg.Tensor([[1.0, 2.0]])
    w = mg.Tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True, name="w")
    with pytest.raises(
        TypeError,
        match=r"was given a Tensor that requires grad.* no gradient would reach 'w' .* use "
        + instead
        + r".*; for the values alone give numpy the arrays, "
        + values,
    ):
        call(x, w)


def test_numpy_functions_with_no_gradient_to_lose_give_numpy_results():
    logits = mg.Tensor([[0.1, 2.0, -1.0], [3.0, 0.0, 0.5]], requires_grad=True)
    data = mg.Tensor([[1.0, 2.0], [3.0, 4.0]])  # requires no grad
    np.testing.assert_array_equal(np.argmax(logits, axis=1), [1, 0])  # integers
    assert np.allclose(logits, logits.data) and np.shape(logits) == (2, 3)
    np.testing.assert_array_equal(np.isclose(logits, 0.1)[0], [True, False, False])
    product = np.dot(data, data)  # values of tensors that require no grad: an array
    assert type(product) is np.ndarray
    np.testing.assert_array_equal(product, data.data @ data.data)
    assert np.sum(data) == 10.0 and np.concatenate([data, data]).shape == (4, 2)


def test_a_numpy_function_finds_the_tensors_in_a_named_tuple_and_refuses_one():
    """A named tuple of tensors (np.stack(pair)) recursed without end (numpy found the tensors
    the conversion had left in it), and np.linalg.svd's named tuple of floats was let through."""
    pair = collections.namedtuple("Pair", "a b")
    data = mg.Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert np.stack(pair(data, data)).shape == (2, 2, 2)
    w = mg.Tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True, name="w")
    for call in (lambda: np.stack(pair(w, data)), lambda: np.linalg.svd(w)):
        with pytest.raises(TypeError, match=r"no gradient would reach 'w'"):
            call()


def test_tensors_in_a_container_numpy_opens_but_the_check_does_not_are_read_as_arrays():
    """np.concatenate(deque([x, y])) recursed without end: numpy found the tensors left in the
    deque and sent the call back to Tensor.__array_function__."""
    data = mg.Tensor([1.0, 2.0])
    joined = np.concatenate(collections.deque([data, data]))
    assert type(joined) is np.ndarray
    np.testing.assert_array_equal(joined, [1.0, 2.0, 1.0, 2.0])


def test_numpy_functions_of_a_tensors_shape_alone_give_arrays():
    """np.zeros_like(w), as an optimizer by hand makes its state, was refused: its result takes
    no value of w."""
    w = mg.Tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True)
    for function in (np.zeros_like, np.ones_like, np.empty_like):
        result = function(w)
        assert type(result) is np.ndarray and result.shape == (2, 2)
        assert result.dtype == np.float32
    np.testing.assert_array_equal(np.full_like(w, 3.0), np.full((2, 2), 3.0))


def test_a_tensor_numpy_would_write_into_is_refused_before_it_does():
    """np.clip(w, -1, 1, out=w) clipped w's values, then was refused; out= a tensor that
    requires no grad was written into and its array returned; np.copyto(h, 0) on a tensor of
    the graph changed the values its backward read (a silently wrong gradient)."""
    w = mg.Tensor([-2.0, 0.5, 3.0], requires_grad=True)
    h, data = w.tanh(), mg.Tensor([0.0, 0.0])
    values = h.data.copy()
    calls = [
        ("clip", lambda: np.clip(w, -1, 1, out=w)),
        ("sum", lambda: np.sum(w.data[:2], axis=0, out=data[0])),
        ("copyto", lambda: np.copyto(h, 0.0)),
        ("copyto", lambda: np.copyto(dst=h, src=0.0)),  # (the first parameter by name too)
        ("put", lambda: np.put(a=h, ind=0, v=0.0)),
        ("fill_diagonal", lambda: np.fill_diagonal(w.reshape(3, 1), 1.0)),
    ]
    for name, call in calls:
        with pytest.raises(TypeError, match=rf"^np\.{name} would write into a Tensor: .*w\.data"):
            call()
    np.testing.assert_array_equal(w.data, [-2.0, 0.5, 3.0])
    np.testing.assert_array_equal(h.data, values)
    np.testing.assert_array_equal(data.data, [0.0, 0.0])
    np.clip(w.data, -1, 1, out=w.data)  # the array: the step by hand
    np.testing.assert_array_equal(w.data, [-1.0, 0.5, 1.0])


@pytest.mark.parametrize(
    "call, written, name",
    [
        (operator.mod, "a % x", "remainder"),
        (operator.floordiv, "a // x", "floor_divide"),
        (divmod, r"divmod\(a, x\)", "divmod"),
    ],
    ids=["%", "//", "divmod"],
)
def test_an_operator_tensors_lack_with_an_array_on_the_left_is_named_as_written(
    call, written, name
):
    """`a % x` said "np.remainder was given a Tensor", a function the user never called."""
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    message = rf"^{written} \(np\.{name}\) with a Tensor x: tensors have no .*x\.data"
    with pytest.raises(TypeError, match=message):
        call(np.array([3.0, 4.0]), x)


def test_an_operator_tensors_lack_with_the_array_on_the_right_or_a_bitwise_one_is_named_too():
    """`x % a` (numpy's reflected % calls np.remainder(x, a)) still said "np.remainder was given
    a Tensor"; `a & x` offered `a & x.data`, which numpy refuses too (no bitwise ops of floats)."""
    x, a = mg.Tensor([1.0, 2.0], requires_grad=True), np.array([3.0, 4.0])
    with pytest.raises(TypeError, match=r"^x % a \(np\.remainder\) with a .*x\.data % a\.$"):
        x % a
    with pytest.raises(
        TypeError, match=r"^a & x \(np\.bitwise_and\) with a .*; numpy's floats have"
    ):
        a & x


def test_numpys_function_of_an_operator_tensors_lack_is_named_as_called_too():
    """np.remainder(a, x), called by name, was reported as `a % x`, which the user never wrote."""
    x, a = mg.Tensor([1.0, 2.0], requires_grad=True), np.array([3.0, 4.0])
    with pytest.raises(TypeError, match=r"^a % x \(np\.remainder\) with a Tensor x"):
        np.remainder(a, x)
    with pytest.raises(TypeError, match=r"^x // a \(np\.floor_divide\) with a Tensor x"):
        np.floor_divide(x, a)


@pytest.mark.parametrize("in_place", [operator.isub, operator.iadd, operator.imul])
def test_a_tensor_written_into_an_array_is_refused_with_the_step_by_hand(in_place):
    w = mg.Tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with pytest.raises(TypeError, match=r"array [-+*]= tensor: .* w\.data -= lr \* w\.grad\.data"):
        in_place(w.data, 0.1 * w.grad)  # w.data -= 0.1 * w.grad: the gradient is a Tensor
    np.testing.assert_array_equal(w.data, [1.0, 2.0])  # unchanged


# ---- what a tensor is -------------------------------------------------------------------------
def test_shape_ndim_size_len_and_T():
    x = mg.Tensor(np.zeros((2, 3, 4)))
    assert x.shape == (2, 3, 4) and x.ndim == 3 and x.size == 24 and len(x) == 2
    assert x.T.shape == (4, 3, 2)
    assert x.is_leaf and (x + 1).is_leaf


def test_repr_shows_dtype_only_when_not_float32_and_the_graph():
    assert repr(mg.Tensor([1.0, 2.0])) == "Tensor([1., 2.])"
    assert repr(mg.Tensor(np.array([1.0]))) == "Tensor([1.], dtype=float64)"
    x = mg.Tensor([1.0], requires_grad=True, name="x")
    assert repr(x) == "Tensor([1.], requires_grad=True, name='x')"
    assert repr(x * 2) == "Tensor([2.], grad_fn=Mul)"


def test_item_returns_a_python_number():
    value = mg.Tensor([[3.5]]).item()
    assert value == 3.5 and type(value) is float


def test_item_of_several_elements_says_how_to_reduce():
    with pytest.raises(ValueError, match=r"exactly one element; this one has shape \(2,\).*sum"):
        mg.Tensor([1.0, 2.0]).item()


def test_detach_shares_data_and_leaves_the_graph():
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert d.data is y.data
    assert not d.requires_grad and d.grad_fn is None and d.grad is None
    (d * x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])


def test_numpy_returns_the_underlying_array():
    x = mg.Tensor([1.0, 2.0])
    assert x.numpy() is x.data
    assert isinstance(x.numpy(), np.ndarray)


def test_zero_grad_forgets_the_gradient():
    x = mg.Tensor([1.0], requires_grad=True)
    (x * 3).sum().backward()
    x.zero_grad()
    assert x.grad is None


def test_tensor_from_a_tensor_copies_its_values():
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    y = mg.Tensor(x)
    np.testing.assert_array_equal(y.data, x.data)
    assert not y.requires_grad and y.grad_fn is None


# ---- float32 stays float32, forward and backward ---------------------------------------------
def _image(x):
    return x.reshape(1, 3, 4, 1)


FLOAT32_OPS = {
    "add": lambda x: x + 1.5,
    "sub": lambda x: 1.5 - x,
    "mul": lambda x: x * 0.5,
    "div": lambda x: 2 / (x + 3),
    "pow": lambda x: (x + 3) ** 1.5,
    "tensor pow": lambda x: 2.0**x,
    "neg": lambda x: -x,
    "exp": mg.exp,
    "log": lambda x: mg.log(x + 3),
    "relu": mg.relu,
    "tanh": mg.tanh,
    "sigmoid": mg.sigmoid,
    "sum": lambda x: x.sum(axis=0),
    "mean": lambda x: x.mean(axis=1),
    "max": lambda x: x.max(axis=1),
    "matmul": lambda x: x @ x.T,
    "reshape": lambda x: x.reshape(4, 3),
    "transpose": lambda x: x.T,
    "getitem": lambda x: x[[0, 0, 2], 1:],
    "concat": lambda x: mg.concat([x, x * 2], axis=1),
    "stack": lambda x: mg.stack([x, x], axis=0),
    "broadcast_to": lambda x: mg.broadcast_to(x, (2, 3, 4)),
    "sum_to": lambda x: mg.sum_to(x, (1, 4)),
    "pad": lambda x: mg.pad(_image(x), 1),
    "crop": lambda x: mg.crop(_image(x), ((0, 0), (1, 1), (1, 0), (0, 0))),
    "patches": lambda x: mg.patches(_image(x), 1),
    "fold": lambda x: mg.fold(mg.patches(_image(x), 1), (1, 3, 4, 1), 1),
}


@pytest.mark.parametrize("name", sorted(FLOAT32_OPS))
def test_float32_stays_float32_in_forward_first_and_second_order(name):
    fn = FLOAT32_OPS[name]
    x = mg.Tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4), requires_grad=True)
    assert x.dtype == np.float32
    y = fn(x)
    assert y.dtype == np.float32
    (grad,) = mg.grad((y * y).sum(), [x], create_graph=True)
    assert grad.dtype == np.float32
    (second,) = mg.grad(grad.sum(), [x])
    assert second is not None and second.dtype == np.float32


# ---- review fixes: copies, numpy interop ------------------------------------------------------
def test_a_tensor_never_shares_the_callers_array():
    source = np.array([1.0, 2.0, 3.0])
    for t in (mg.Tensor(source), mg.Tensor(mg.Tensor(source)), mg.Tensor(source[::2])):
        assert not np.shares_memory(t.data, source)
    t = mg.Tensor(source, requires_grad=True)
    t.data -= 1.0  # what an optimizer step does
    np.testing.assert_array_equal(source, [1.0, 2.0, 3.0])


def test_a_tensor_never_shares_a_callers_buffer_either():
    import array

    floats = array.array("f", [1.0, 2.0])
    mg.Tensor(floats).data -= 1.0
    assert floats.tolist() == [1.0, 2.0]
    source = np.ones(3, np.float32)
    mg.Tensor(memoryview(source)).data *= 5
    np.testing.assert_array_equal(source, [1.0, 1.0, 1.0])


class Readings:
    """An array-like (not a numpy array) whose __array__ hands out its own float array."""

    def __init__(self):
        self.values = np.zeros(3, np.float32)

    def __array__(self, dtype=None, copy=None):
        return self.values


def test_a_tensor_never_shares_the_array_an_array_like_hands_out():
    readings = Readings()
    for t in (mg.Tensor(readings), mg.Tensor(readings, dtype=np.float32)):
        assert not np.shares_memory(t.data, readings.values)
        t.data += 1.0  # what an optimizer step does
    np.testing.assert_array_equal(readings.values, [0.0, 0.0, 0.0])


@pytest.mark.parametrize("number", [1j, np.complex64(1j)], ids=["complex", "numpy complex"])
def test_a_complex_number_in_an_operation_is_refused_not_dropped(number):
    with pytest.raises(TypeError, match="Tensor data must be numeric"):
        mg.Tensor([1.0, 2.0]) * number


def test_numpy_sees_the_data_of_a_tensor():
    t = mg.Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert np.asarray(t).dtype == np.float32 and np.asarray(t).shape == (2, 2)
    np.testing.assert_array_equal(np.asarray(t, dtype=np.float64), t.data)
    assert float(np.linalg.norm(t)) == pytest.approx(np.sqrt(30.0))


# ---- Python protocols and array inputs --------------------------------------------------------
def test_truth_length_and_iteration_follow_numpy():
    assert bool(mg.Tensor([0.0])) is False and bool(mg.Tensor(2.0)) is True
    with pytest.raises(ValueError, match=r"truth value of a tensor of shape \(3,\) is ambiguous"):
        bool(mg.Tensor([1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        list(mg.Tensor(1.0))
    rows = list(mg.Tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert len(rows) == 2 and rows[1].data.tolist() == [3.0, 4.0]


def test_an_index_out_of_range_is_an_index_error_naming_the_shape():
    with pytest.raises(IndexError, match=r"getitem: index 5 is out of bounds .*shape \(3,\)"):
        mg.Tensor([1.0, 2.0, 3.0])[5]


def test_backward_takes_a_number_for_any_one_element_tensor():
    w = mg.Tensor([1.0], requires_grad=True)
    (w * 3).sum(keepdims=True).backward(2.0)  # shape (1,), grad a number
    np.testing.assert_array_equal(w.grad.data, [6.0])
    with pytest.raises(ValueError, match=r"grad has shape \(\) but the tensor has shape \(2,\)"):
        (mg.Tensor([1.0, 2.0], requires_grad=True) * 1).backward(2.0)


ARRAY_INPUTS = {
    "sum": lambda a: mg.sum(a),
    "mean": lambda a: mg.mean(a, axis=0),
    "max": lambda a: mg.max(a, axis=(1, 2)),
    "reshape": lambda a: mg.reshape(a, -1),
    "vect": lambda a: mg.vect(a),
    "transpose": lambda a: mg.transpose(a),
    "getitem": lambda a: mg.getitem(a, 0),
    "concat": lambda a: mg.concat([a, mg.Tensor(a)]),
    "stack": lambda a: mg.stack([a, a]),
    "broadcast_to": lambda a: mg.broadcast_to(a, (2, 4, 4, 3)),
    "sum_to": lambda a: mg.sum_to(a, (3,)),
    "pad": lambda a: mg.pad(a, 1),
    "crop": lambda a: mg.crop(a, 1),
    "patches": lambda a: mg.patches(a, 1),
    "log_softmax": lambda a: mg.ops.log_softmax(a),
    "scatter_add": lambda a: mg.scatter_add(a, np.array([1]), (3, 4, 4, 3)),
}


@pytest.mark.parametrize("name", sorted(ARRAY_INPUTS))
def test_every_op_takes_a_numpy_array_as_element_wise_ops_do(name):
    a = np.arange(48.0).reshape(1, 4, 4, 3)
    y = ARRAY_INPUTS[name](a)
    assert isinstance(y, mg.Tensor) and not y.requires_grad
    expected = ARRAY_INPUTS[name](mg.Tensor(a))
    np.testing.assert_array_equal(y.data, expected.data)


def test_an_axis_that_is_not_an_int_names_the_op():
    with pytest.raises(ValueError, match="sum: axis must be None, an int or a tuple of ints"):
        mg.Tensor(np.ones((2, 2))).sum(axis=1.0)
    assert mg.max([1.0, 3.0, 2.0]).item() == 3.0  # a list, as numpy takes


def test_float_and_int_of_a_one_element_tensor_as_numpy():
    assert float(mg.Tensor([[2.5]])) == 2.5 and type(float(mg.Tensor(2.5))) is float
    assert int(mg.Tensor([-2.7])) == -2 and int(mg.Tensor(3.9)) == 3  # truncated toward 0
    with pytest.raises(ValueError, match=r"float\(\) needs a tensor with exactly one element"):
        float(mg.Tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"int\(\) needs .* shape \(2,\)"):
        int(mg.Tensor([1.0, 2.0]))


@pytest.mark.parametrize(
    "compare",
    [
        lambda x: x < 0,
        lambda x: x <= 0,
        lambda x: x > 0,
        lambda x: x >= 0,
        lambda x: 0 < x,
        lambda x: np.zeros(2) < x,
        lambda x: x < mg.Tensor([0.0, 0.0]),
    ],
)
def test_ordering_comparisons_point_to_the_arrays(compare):
    x = mg.Tensor([1.0, -2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"not compared with [<>]=?: .* x\.data [<>]=? 0 gives"):
        compare(x)


def test_equality_is_identity_so_tensors_are_keys_and_members():
    x, y = mg.Tensor([1.0]), mg.Tensor([1.0])
    x_again = x
    assert x == x_again and x != y and {x: "x"}[x] == "x" and y in [x, y] and x not in [y]


# ---- what requires_grad, np.array and copy.copy keep -------------------------------------------
@pytest.mark.parametrize("flag", [1, np.True_], ids=["int", "numpy bool"])
def test_requires_grad_is_stored_as_a_bool(flag):
    assert mg.Tensor([1.0], requires_grad=flag).requires_grad is True


def test_np_array_of_a_tensor_is_a_copy_and_np_asarray_is_not():
    t = mg.Tensor([1.0, 2.0])
    assert np.asarray(t) is t.data
    assert not np.shares_memory(np.array(t), t.data)


def test_a_shallow_copy_of_a_leaf_shares_its_data_and_its_grad():
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    twin = copy.copy(x)
    assert twin.data is x.data and twin.grad is x.grad


@pytest.mark.parametrize("symbol", ["+", "-", "*", "/"])
def test_operators_on_two_tensors_and_on_a_parameter_make_the_same_node(symbol):
    """With an exact Tensor on the right, + − * / call the op's apply directly (the hot path);
    with a Parameter (a subclass) or a number there they go through mg.add & co. Same values,
    same op."""
    op = OPERATORS[symbol]
    function = {"+": mg.add, "-": mg.sub, "*": mg.mul, "/": mg.div}[symbol]
    a = mg.Tensor(A, requires_grad=True)
    for other in (mg.Tensor(A + 1), mg.nn.Parameter(A + 1)):
        for left, right in ((a, other), (other, a)):
            y, expected = op(left, right), function(left, right)
            np.testing.assert_array_equal(y.data, expected.data)
            assert y.grad_fn.name == expected.grad_fn.name
            assert y.grad_fn.needs_input_grad == expected.grad_fn.needs_input_grad


# ---- augmented assignment: t += u ---------------------------------------------------------------
@pytest.mark.parametrize("symbol", ["+=", "-=", "*=", "/=", "**=", "@="])
@pytest.mark.parametrize("recording", [True, False], ids=["recording", "no_grad"])
def test_augmented_assignment_on_a_weight_is_refused_with_the_way_to_update_it(symbol, recording):
    """`w -= lr * w.grad` would bind w to a new tensor: a model's weight would stay as it was,
    and under no_grad the new w would not require grad (the next backward failed, saying so)."""
    model = mg.nn.Dense(2, 2, seed=0)
    weight, before = model.weight, model.weight.data.copy()
    namespace = {"w": weight, "u": mg.Tensor(np.ones((2, 2), dtype=np.float32))}
    refused = rf"w {re.escape(symbol)} … on a weight .* w\.data -= lr"
    with (
        contextlib.nullcontext() if recording else mg.no_grad(),
        pytest.raises(TypeError, match=refused),
    ):
        exec(f"w {symbol} u", namespace)  # noqa: S102
    assert namespace["w"] is weight and model.weight is weight
    np.testing.assert_array_equal(weight.data, before)


def test_augmented_assignment_still_rebinds_results_constants_and_accumulators():
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h += x  # a result of the graph: h = h + x
    h *= 3
    c = mg.Tensor([1.0, 2.0])  # a constant
    c -= 1
    total = 0
    for scale in (1.0, 2.0):
        total += (x * scale).sum()
    (h.sum() + total).backward()
    np.testing.assert_array_equal(h.data, [9.0, 18.0])
    np.testing.assert_array_equal(c.data, [0.0, 1.0])
    np.testing.assert_array_equal(x.grad.data, [12.0, 12.0])  # 3·(2 + 1) + (1 + 2)


def test_augmented_assignment_on_an_input_that_requires_grad_says_to_write_x_equals_x_plus():
    """(review) A residual block written x += conv(x) runs on a batch, but gradcheck and
    teach.layer_matrix give it an input that requires grad: the error spoke only of a weight,
    a model and its optimizer, which the student had not touched."""
    conv = mg.nn.Conv2D(1, 1, 3, seed=0)

    def residual(x):
        x += conv(x)
        return x

    assert residual(mg.Tensor(np.ones((1, 4, 4, 1)))).shape == (1, 4, 4, 1)
    with pytest.raises(TypeError, match=r"On an input that requires grad .* write x = x \+ …"):
        mg.teach.layer_matrix(residual, (4, 4, 1))


def test_a_numpy_number_compared_with_a_tensor_gets_the_example_python_gives():
    """np.float64(0) < x, as 0 < x (which Python turns into x > 0), names > and x.data > 0."""
    x = mg.Tensor([1.0, -2.0])
    for compare in (lambda x: np.float64(0) < x, lambda x: 0 < x):
        with pytest.raises(TypeError, match=r"not compared with >: .* x\.data > 0 gives"):
            compare(x)
