"""Tests of the element-wise ops: forward against numpy, first- and second-order gradcheck over
random (broadcasting) shapes, dtype handling, and the broadcasting error."""

import warnings

import numpy as np
import pytest
from helpers import (
    FLOATS,
    around,
    away_from_zero,
    broadcast_pairs,
    check_op,
    dirty_pool,
    leaf,
    rand,
    seeds,
    shapes,
)
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad import buffers
from minigrad.ops import elementwise as elementwise_module
from minigrad.ops.elementwise import TanhBackward

BINARY = {
    "add": (mg.add, np.add),
    "sub": (mg.sub, np.subtract),
    "mul": (mg.mul, np.multiply),
}


@pytest.mark.parametrize("name", sorted(BINARY))
@given(pair=broadcast_pairs(), seed=seeds)
def test_binary_op_broadcasts_and_has_right_gradients(name, pair, seed):
    op, reference = BINARY[name]
    a, b = rand(*pair[0], seed=seed), rand(*pair[1], seed=seed + 1)
    out = check_op(op, a, b, expected=reference(a, b))
    assert out.grad_fn.name == name.capitalize()


@pytest.mark.parametrize("op", [mg.add, mg.sub, mg.mul, mg.div, mg.pow], ids=lambda op: op.__name__)
@pytest.mark.parametrize("alone", [0, 1], ids=["first", "second"])
def test_an_operand_that_alone_requires_grad_gets_its_gradient(op, alone):
    """Backward computes only the gradients needs_input_grad asks for; each must still be right
    when its operand is the only one asking (a constant on the other side)."""
    arrays = away_from_zero(2, 3, seed=1) ** 2, away_from_zero(3, seed=2)  # pow: a positive base
    weights = mg.Tensor(rand(2, 3, seed=3))
    both = [leaf(a) for a in arrays]
    expected = mg.grad((op(*both) * weights).sum(), both)[alone]
    tensors = [mg.Tensor(a, requires_grad=i == alone) for i, a in enumerate(arrays)]
    (grad,) = mg.grad((op(*tensors) * weights).sum(), [tensors[alone]])
    np.testing.assert_allclose(grad.data, expected.data, rtol=1e-12)


@given(pair=broadcast_pairs(), seed=seeds)
def test_div_broadcasts_and_has_right_gradients(pair, seed):
    a, b = rand(*pair[0], seed=seed), away_from_zero(*pair[1], seed=seed + 1)
    check_op(mg.div, a, b, expected=a / b)


@pytest.mark.parametrize(
    ("a", "b", "expected"), [(300.0, 300.0, -1 / 300), (1e-4, 2e-4, -2500.0), (1.0, 0.01, -1e4)]
)
def test_div_gradient_of_the_divisor_never_squares_it_in_float16(a, b, expected):
    """−g·a/b² squared b first: float16's b² overflows for |b| ≥ 256 (giving −0) and underflows
    below ~2.4e-4 (giving −inf or a wrong value), though the gradient is a float16 number."""
    a = mg.Tensor(np.float16([a]), requires_grad=True)
    b = mg.Tensor(np.float16([b]), requires_grad=True)
    (a / b).sum().backward()
    np.testing.assert_allclose(b.grad.data, [expected], rtol=2e-3)


@given(pair=broadcast_pairs(), seed=seeds)
def test_pow_with_tensor_exponent(pair, seed):
    base = rand(*pair[0], seed=seed, low=0.5, high=2.0)  # log(base) needs base > 0
    exponent = rand(*pair[1], seed=seed + 1, low=-2.0, high=2.0)
    check_op(mg.pow, base, exponent, expected=base**exponent)


@pytest.mark.parametrize("exponent", [2, 3, -1, 0.5, 0])
@given(shape=shapes(), seed=seeds)
def test_pow_with_number_exponent(exponent, shape, seed):
    x = rand(*shape, seed=seed, low=0.5, high=2.0)
    check_op(lambda t: t**exponent, x, expected=x**exponent)


def test_pow_integer_exponent_of_negative_base():
    x = np.array([-1.5, -0.5, 0.7])
    out = check_op(lambda t: t**3, x, expected=x**3)
    assert out.dtype == np.float64


def test_pow_second_order_gradients_at_a_zero_exponent():
    """∂y/∂a = b·a^(b−1) is 0 at b = 0, but its slope in b is a^(b−1) = 1/a there, not 1: the
    limit taken for a = b = 0 (∂y/∂a = 0 rather than 0·∞) must not reach a ≠ 0."""
    base, exponent = np.array([0.7, 2.0]), np.zeros(2)
    check_op(mg.pow, base, exponent, expected=np.ones(2))
    a, b = leaf(base), leaf(exponent)
    (grad_a,) = mg.grad(mg.pow(a, b).sum(), [a], create_graph=True)
    (grad_ab,) = mg.grad(grad_a.sum(), [b])
    np.testing.assert_array_equal(grad_a.data, [0.0, 0.0])
    np.testing.assert_allclose(grad_ab.data, 1 / base)


def test_pow_gradients_at_a_zero_base_take_the_limits():
    """At a = 0 the formulas give 0·∞: ∂y/∂a = b·0^(b−1) is 0 for b = 0 (and b > 1), 1 for
    b = 1; ∂y/∂b = 0^b·log 0 is 0 for b ≥ 0 (y = 0^b is flat in b there)."""
    a, b = leaf([0.0, 0.0, 0.0]), leaf([0.0, 1.0, 2.0])
    mg.pow(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(b.grad.data, [0.0, 0.0, 0.0])


def test_number_to_the_power_of_a_tensor():
    x = np.array([-1.0, 0.0, 1.5])
    check_op(lambda t: 2.0**t, x, expected=2.0**x)


UNARY = {
    "neg": (mg.neg, np.negative, rand),
    "exp": (mg.exp, np.exp, rand),
    "log": (mg.log, np.log, lambda *shape, seed: rand(*shape, seed=seed, low=0.2, high=3.0)),
    "relu": (mg.relu, lambda x: np.maximum(x, 0), away_from_zero),
    "tanh": (mg.tanh, np.tanh, lambda *shape, seed: rand(*shape, seed=seed, low=-3, high=3)),
    "sigmoid": (
        mg.sigmoid,
        lambda x: 1 / (1 + np.exp(-x)),
        lambda *shape, seed: rand(*shape, seed=seed, low=-4, high=4),
    ),
}


@pytest.mark.parametrize("name", sorted(UNARY))
@given(shape=shapes(), seed=seeds)
def test_unary_op_matches_numpy_and_has_right_gradients(name, shape, seed):
    op, reference, data = UNARY[name]
    x = data(*shape, seed=seed)
    # relu away from its kink: the second derivative is 0 there, and gradgradcheck checks it.
    check_op(op, x, expected=reference(x))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_method_is_the_same_op(name):
    op = UNARY[name][0]
    x = mg.Tensor([0.5, 1.5])
    method = {"neg": lambda t: -t}.get(name, lambda t: getattr(t, name)())
    np.testing.assert_array_equal(method(x).data, op(x).data)


@pytest.mark.parametrize(
    "shape", [(7,), (128, 256), (3, 2900), (2, 64, 64, 3)], ids=["small", "rows", "tail", "image"]
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_forward_is_numpys_maximum_with_zero(shape, dtype):
    """maximum_with_zero (large arrays against a row of zeros) gives np.maximum(x, 0) exactly:
    NaN stays NaN, −0.0 and ±inf as numpy has them; also for a non-contiguous x."""
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    x.reshape(-1)[:5] = [np.nan, -0.0, 0.0, -np.inf, np.inf]
    for view in (mg.Tensor(x), mg.Tensor(x).T):  # (mg.Tensor(x.T) would be a contiguous copy)
        data = view.data
        y = mg.relu(view).data
        expected = np.maximum(data, 0)
        np.testing.assert_array_equal(y, expected)
        np.testing.assert_array_equal(np.signbit(y), np.signbit(expected))
        assert y.dtype == dtype


def test_relu_gradient_at_zero_is_zero():
    x = leaf([-1.0, 0.0, 2.0])
    mg.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 1.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_does_not_overflow_for_large_inputs(dtype):
    x = mg.Tensor(np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype=dtype), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = mg.sigmoid(x)
        y.sum().backward()
    assert y.dtype == dtype
    np.testing.assert_allclose(y.data, [0.0, 0.0, 0.5, 1.0, 1.0], atol=1e-7)
    assert np.all(np.isfinite(x.grad.data))


@pytest.mark.parametrize("op", [mg.add, mg.sub, mg.mul, mg.div, mg.pow])
def test_binary_ops_with_a_number_keep_float32(op):
    x = mg.Tensor([1.0, 2.0])
    assert op(x, 2.5).dtype == np.float32
    assert op(2.5, x).dtype == np.float32
    y = op(x, np.float64(2.5))  # a numpy number too: a constant of the tensor's dtype
    assert y.dtype == np.float32 and not y.requires_grad


def test_the_functions_take_numbers_and_arrays_without_a_tensor():
    np.testing.assert_array_equal(mg.mul(np.array([1.0, 2.0]), 3.0).data, [3.0, 6.0])
    np.testing.assert_array_equal(mg.sub(5.0, np.array([1.0, 2.0])).data, [4.0, 3.0])
    assert mg.exp(0.0).item() == 1.0 and mg.neg(2).item() == -2.0


def test_binary_op_without_grad_records_nothing():
    y = mg.add(mg.Tensor([1.0]), mg.Tensor([2.0]))
    assert y.grad_fn is None and not y.requires_grad


def test_gradient_of_only_one_operand_is_computed():
    a = leaf([1.0, 2.0])
    b = mg.Tensor(np.array([3.0, 4.0]))
    (a * b + a / b - b).sum().backward()
    np.testing.assert_allclose(a.grad.data, [3.0 + 1 / 3, 4.0 + 1 / 4])
    assert b.grad is None


@pytest.mark.parametrize("op", [mg.add, mg.sub, mg.mul, mg.div, mg.pow])
def test_broadcast_mismatch_names_the_op_and_both_shapes(op):
    with pytest.raises(ValueError) as info:
        op(mg.Tensor(np.ones((2, 3))), mg.Tensor(np.ones((4,))))
    message = str(info.value)
    assert op.__name__.capitalize() in message
    assert "(2, 3)" in message and "(4,)" in message
    assert "broadcast" in message


def test_gradient_of_x_to_the_zero_at_zero_is_zero():
    x = leaf([0.0, 2.0])
    with np.errstate(all="ignore"):
        (x**0).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])


def test_gradient_of_zero_to_the_x_is_zero():
    x = leaf([1.0, 2.0])
    with np.errstate(all="ignore"):
        (0.0**x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])


def test_constants_from_numbers_are_not_shared_between_graphs():
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    two = (x * 2).grad_fn.inputs[1]
    two.requires_grad = True  # a student poking at the graph must not change other graphs
    z = mg.Tensor([3.0, 4.0]) * 2
    assert not z.requires_grad
    assert (x * 2).grad_fn.inputs[1] is not two


def test_constants_from_numbers_are_read_only_and_keep_the_sign_of_zero():
    """One cached array serves every `* 2` (see _constant): writing into it is refused, and
    0.0 and −0.0 are two constants (1 / (x · −0.0) is −inf)."""
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    two = (x * 2).grad_fn.inputs[1]
    with pytest.raises(ValueError, match="read-only"):
        two.data[...] = 5.0
    assert (x * 2).data.tolist() == [2.0, 4.0]
    assert not np.signbit((x * 0.0).data).any() and np.signbit((x * -0.0).data).all()


def test_nan_constants_are_not_kept(monkeypatch):
    """A NaN key never equals itself, so a kept NaN would only fill the cache."""
    from minigrad.ops import elementwise

    monkeypatch.setattr(elementwise, "_constants", {})
    x = mg.Tensor([1.0, 2.0])
    for _ in range(3):
        assert np.isnan((x * float("nan")).data).all()
    assert elementwise._constants == {}
    x * 2.0
    assert len(elementwise._constants) == 1


@given(shape=shapes(), seed=seeds)
def test_tanh_backward_op_is_g_times_one_minus_y_squared(shape, seed):
    g, y = rand(*shape, seed=seed), rand(*shape, seed=seed + 1, low=-0.95, high=0.95)
    out = check_op(TanhBackward.apply, g, y, expected=g * (1 - y * y))
    assert out.grad_fn.name == "TanhBackward"
    constant_y = mg.Tensor(y)  # g alone requires grad (each input's gradient is asked apart)
    check_op(lambda g: TanhBackward.apply(g, constant_y), g)


def test_third_derivative_of_tanh():
    x = leaf([-1.2, 0.3, 2.0])
    (d1,) = mg.grad(mg.tanh(x).sum(), [x], create_graph=True)
    (d2,) = mg.grad(d1.sum(), [x], create_graph=True)
    (d3,) = mg.grad(d2.sum(), [x])
    y = np.tanh(x.data)
    np.testing.assert_allclose(d1.data, 1 - y**2, rtol=1e-12)
    np.testing.assert_allclose(d2.data, -2 * y * (1 - y**2), rtol=1e-12)
    np.testing.assert_allclose(d3.data, (1 - y**2) * (6 * y**2 - 2), rtol=1e-12)


@pytest.mark.parametrize("b", [3.0, 2.5, 0.5, -1.5])
def test_third_derivatives_of_pow(b):
    # In the base: b(b−1)(b−2) a^(b−3); in the exponent: a^b (log a)³.
    a, exponent = leaf([0.5, 1.3, 2.0]), leaf([b, b, b])
    (d1,) = mg.grad((a**b).sum(), [a], create_graph=True)
    (d2,) = mg.grad(d1.sum(), [a], create_graph=True)
    (d3,) = mg.grad(d2.sum(), [a])
    np.testing.assert_allclose(d3.data, b * (b - 1) * (b - 2) * a.data ** (b - 3), rtol=1e-12)
    (e1,) = mg.grad((a**exponent).sum(), [exponent], create_graph=True)
    (e2,) = mg.grad(e1.sum(), [exponent], create_graph=True)
    (e3,) = mg.grad(e2.sum(), [exponent])
    np.testing.assert_allclose(e3.data, a.data**b * np.log(a.data) ** 3, rtol=1e-12)


@st.composite
def row_and_full(draw):
    """A row shape and the shape of an operand that repeats it along 1–2 leading axes."""
    row = draw(st.lists(st.integers(1, 4), min_size=1, max_size=2))
    lead = draw(st.lists(st.integers(1, 7), min_size=1, max_size=2))
    return tuple(row), (*lead, *row)


@pytest.mark.parametrize("ufunc", [np.add, np.subtract, np.multiply, np.divide])
@given(shapes_=row_and_full(), row_first=st.booleans(), seed=seeds)
def test_a_short_row_repeated_is_applied_in_long_rows(ufunc, shapes_, row_first, seed):
    """elementwise views x ~ (n, c) as rows of r·c numbers against a repeated bias row
    (elementwise._by_long_rows): with no size limit and rows of at most 6 numbers, these small
    arrays take that path, whole long rows and the rows left over."""
    row_shape, full_shape = shapes_
    row, full = away_from_zero(*row_shape, seed=seed), away_from_zero(*full_shape, seed=seed + 1)
    a, b = (row, full) if row_first else (full, row)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(buffers, "MIN_BYTES", 0)
        patch.setattr(elementwise_module, "ROW", 6)
        out = elementwise_module.elementwise(ufunc, a, b)
    np.testing.assert_array_equal(out, ufunc(a, b))


@pytest.mark.parametrize("pooled", [False, True], ids=["small", "pooled"])
def test_tanh_backward_computes_the_same_on_both_paths(pooled):
    """Small arrays take numpy's g − g·y·y; large ones the same products into one pooled array."""
    g, y = rand(3, 5, seed=0), rand(3, 5, seed=1, low=-0.95, high=0.95)
    with pytest.MonkeyPatch.context() as patch:
        if pooled:
            patch.setattr(buffers, "MIN_BYTES", 0)
        z = TanhBackward.apply(mg.Tensor(g), mg.Tensor(y)).data
    np.testing.assert_array_equal(z, g - g * y * y)


def test_tanh_backward_keeps_the_wider_dtype_of_its_operands():
    g = np.array([0.5, -1.0], dtype=np.float64)
    y = np.array([0.25, 0.5], dtype=np.float32)
    z = TanhBackward.apply(mg.Tensor(g), mg.Tensor(y))
    assert z.dtype == np.float64
    np.testing.assert_allclose(z.data, g * (1 - y.astype(np.float64) ** 2))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_astype_copies_into_the_dtype_and_casts_the_gradient_back(dtype):
    x = leaf([1.5, -2.0, 3.25])
    y = mg.ops.astype(x, dtype)
    assert y.dtype == dtype and not np.shares_memory(y.data, x.data)
    np.testing.assert_array_equal(y.data, x.data.astype(dtype))
    y.backward(np.array([1.0, 2.0, 3.0], dtype=dtype))
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.data, [1.0, 2.0, 3.0])
    assert x.astype(dtype).grad_fn.name == "AsType"


@given(shape=shapes(), seed=seeds)
def test_astype_to_the_same_dtype_is_an_identity_with_right_gradients(shape, seed):
    x = rand(*shape, seed=seed)
    check_op(lambda t: t.astype(np.float64), x, expected=x)


def test_astype_refuses_dtypes_that_are_not_floats():
    with pytest.raises(TypeError, match=r"astype: .* float dtype .* got int64"):
        mg.Tensor([1.0]).astype(np.int64)


# ---- the fast paths at their thresholds, against the one-line numpy call ----------------------
@pytest.mark.parametrize("size", [0, *around(8 * elementwise_module.ROW)])
@pytest.mark.parametrize("dtype", FLOATS)
def test_relu_on_both_sides_of_the_row_of_zeros_is_numpys_maximum(size, dtype):
    """maximum_with_zero compares arrays of 8·ROW numbers or more with a row of zeros: just
    below, at and just above, in every float dtype, reversed (a view) or not, and empty."""
    x = np.random.default_rng(size).standard_normal(size).astype(dtype)
    x[:5] = [np.nan, -0.0, 0.0, -np.inf, np.inf][: min(size, 5)]
    t = mg.Tensor(x)
    for view in (t, t[::-1], t.reshape(1, -1)):  # t[::-1] is a view: not contiguous
        data = view.data
        y = mg.relu(view).data
        expected = np.maximum(data, 0)
        assert y.dtype == dtype and y.shape == data.shape
        np.testing.assert_array_equal(y, expected)
        np.testing.assert_array_equal(np.signbit(y), np.signbit(expected))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("channels", [1, 3, 8, 513])
def test_binary_ops_on_both_sides_of_the_pool_size_match_numpy(dtype, channels):
    """elementwise writes into a reused array from buffers.MIN_BYTES of inputs on, and applies
    a repeated row (a bias) in long rows when ROW // c ≥ 2: inputs of a byte count just below,
    at and above the limit, row on either side, every number of the reused array overwritten."""
    itemsize = np.dtype(dtype).itemsize
    rows_below = (buffers.MIN_BYTES - channels * itemsize) // (channels * itemsize)
    rng = np.random.default_rng(channels)
    row = (rng.standard_normal(channels) + 3).astype(dtype)  # no zeros: Div is exact
    for rows in (rows_below, rows_below + 1, rows_below + 2):
        full = rng.standard_normal((rows, channels)).astype(dtype)
        for op, reference in [(mg.add, np.add), (mg.sub, np.subtract), (mg.mul, np.multiply)]:
            dirty_pool(full.shape)
            np.testing.assert_array_equal(op(full, mg.Tensor(row)).data, reference(full, row))
            np.testing.assert_array_equal(op(row, mg.Tensor(full)).data, reference(row, full))
        np.testing.assert_array_equal(mg.div(full, mg.Tensor(row)).data, full / row)


def test_large_binary_ops_on_views_mixed_dtypes_and_empty_arrays_match_numpy():
    """The pooled result is made in numpy's result dtype and shape: a transposed operand, a 0-d
    array of another dtype, a wider row, an outer sum of two small vectors, an empty batch, a
    short operand that is no row (it repeats along its own last axis: no long rows for it)."""
    rng = np.random.default_rng(0)
    full = rng.standard_normal((1024, 600)).astype(np.float32)
    transposed = mg.Tensor(full).T  # 2.4 MiB, a view: not contiguous
    y = (transposed + mg.Tensor(np.ones(1024, np.float32))).data
    np.testing.assert_array_equal(y, full.T + 1)
    cases = [
        (full.T.astype(np.float16), np.array(2.5, np.float32)),
        (full.T.astype(np.float16), np.ones(1024, np.float64)),
        (rng.standard_normal((2048, 1)), rng.standard_normal((1, 2048))),
        (np.zeros((0, 8), np.float32), np.ones(8, np.float32)),
        (full.reshape(1024, 4, 150), np.arange(4.0, dtype=np.float32).reshape(4, 1)),  # (4, 1)
    ]
    for a, b in cases:
        dirty_pool(np.broadcast_shapes(a.shape, b.shape))
        y = (mg.Tensor(a) + mg.Tensor(b)).data
        assert y.dtype == np.result_type(a, b)
        np.testing.assert_array_equal(y, a + b)


@pytest.mark.parametrize("dtype", FLOATS)
def test_tanh_backward_on_both_sides_of_the_pool_size(dtype):
    """TanhBackward writes into a reused array from buffers.MIN_BYTES of y on: just below and
    at the limit, with g a broadcast (as Sum's backward makes it) and y a strided view."""
    itemsize = np.dtype(dtype).itemsize
    rng = np.random.default_rng(1)
    for size in (buffers.MIN_BYTES // itemsize - 1, buffers.MIN_BYTES // itemsize):
        g = rng.standard_normal(size).astype(dtype)
        y = mg.Tensor(np.tanh(rng.standard_normal(2 * size)).astype(dtype))[::2]  # a view
        for upstream in (g, np.broadcast_to(np.asarray(1.5, dtype), (size,))):
            dirty_pool((size,))
            z = TanhBackward.apply(mg.Tensor._wrap(upstream, False, None), y).data
            y_data = y.data
            assert z.dtype == dtype
            np.testing.assert_array_equal(z, upstream - upstream * y_data * y_data)
