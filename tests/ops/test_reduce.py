"""Tests of the reductions (sum, mean, max with its tie rule) and of the adjoint pair
broadcast_to ↔ sum_to: forward against numpy, gradcheck, gradgradcheck, errors."""

import re

import numpy as np
import pytest
from helpers import FLOATS, check_op, distinct, inner, layouts, leaf, rand, seeds, shapes
from hypothesis import example, given
from hypothesis import strategies as st

import minigrad as mg
from minigrad.ops import reduce


@st.composite
def shape_and_axis(draw):
    """A shape and an axis argument for it: None, an int or a tuple of axes (maybe negative,
    maybe empty: `axis=()` reduces nothing, as in numpy)."""
    shape = draw(shapes(min_dims=1))
    ndim = len(shape)
    some_axes = st.lists(st.integers(-ndim, ndim - 1), max_size=ndim, unique_by=lambda a: a % ndim)
    axis = draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1), some_axes.map(tuple)))
    return shape, axis


REDUCTIONS = {"sum": (mg.sum, np.sum), "mean": (mg.mean, np.mean), "max": (mg.max, np.max)}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@given(case=shape_and_axis(), keepdims=st.booleans(), seed=seeds)
@example(case=((2, 3), ()), keepdims=False, seed=0)  # reduces nothing
@example(case=((2, 1, 3), (-1, 0)), keepdims=False, seed=0)
def test_reduction_matches_numpy_and_has_right_gradients(name, case, keepdims, seed):
    op, reference = REDUCTIONS[name]
    shape, axis = case
    x = distinct(*shape, seed=seed)  # no ties, so max is differentiable
    out = check_op(
        lambda t: op(t, axis, keepdims), x, expected=reference(x, axis, keepdims=keepdims)
    )
    assert out.grad_fn.name == name.capitalize()


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@given(case=shape_and_axis(), keepdims=st.booleans(), seed=seeds)
@example(case=((2, 3), ()), keepdims=False, seed=0)  # reduces nothing
@example(case=((2, 1, 3), (-1, 0)), keepdims=False, seed=0)
def test_reduction_slice_by_slice_matches_numpy(name, case, keepdims, seed):
    """Large arrays are reduced slice by slice over short axes, and by folding rows over long
    leading axes (reduce.reduce_axes): with no size limit, these small arrays take those paths."""
    op, reference = REDUCTIONS[name]
    shape, axis = case
    x = distinct(*shape, seed=seed)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(reduce, "SLICED_MIN_SIZE", 0)
        patch.setattr(reduce, "SMALL_AXIS", 2)  # axes of 3 go to ufunc.reduce: both paths mix
        patch.setattr(reduce, "ROW", 6)  # rows of m ≤ 3 fold into ≤ 6 numbers, some left over
        check_op(lambda t: op(t, axis, keepdims), x, expected=reference(x, axis, keepdims=keepdims))


def test_max_pooling_windows_slice_by_slice_with_ties():
    """The 2×2 windows of a pooling, in an array large enough for the slice path, half of them
    tied at zero (as after a ReLU): the maxima and the shared gradient match numpy's."""
    rng = np.random.default_rng(0)
    x = np.maximum(rng.standard_normal((8, 8, 2, 8, 2, 4)), 0).round(1)
    assert x.size >= reduce.SLICED_MIN_SIZE
    t = leaf(x)
    y = mg.max(t, axis=(2, 4))
    np.testing.assert_array_equal(y.data, x.max(axis=(2, 4)))
    g = rng.standard_normal(y.shape)
    y.backward(g)
    is_max = x == x.max(axis=(2, 4), keepdims=True)
    share = is_max / is_max.sum(axis=(2, 4), keepdims=True)
    np.testing.assert_allclose(t.grad.data, share * np.expand_dims(g, (2, 4)), rtol=1e-12)


def test_bias_gradient_sums_many_short_rows_accurately():
    """A bias gradient sums g ~ (n·h·w, c') over axis 0: folded rows (reduce.reduce_axes) keep
    float32's error near a float64 sum's."""
    g = rand(50_176, 8, seed=3).astype(np.float32)
    bias = leaf(np.zeros(8, dtype=np.float32))
    (mg.Tensor(np.zeros_like(g)) + bias).backward(g)
    exact = g.astype(np.float64).sum(axis=0)
    np.testing.assert_allclose(bias.grad.data, exact, rtol=0, atol=3e-4)  # numpy alone: ~1e-3
    np.testing.assert_allclose(mg.sum(mg.Tensor(g), axis=0).data, exact, rtol=0, atol=3e-4)


def test_reductions_to_one_number_keep_numpys_pairwise_accuracy():
    """A full sum of a large array stays with numpy (pairwise sums), not the folded rows."""
    x = np.full(1 << 22, 0.1, dtype=np.float32)
    assert mg.sum(mg.Tensor(x)).item() == np.add.reduce(x)
    column = x.reshape(-1, 1)  # numpy ≥ 2 sums this pairwise too (mean 0.1 to 1e-6); 1.x does not
    assert mg.mean(mg.Tensor(column), axis=0).item() == pytest.approx(
        float(np.mean(column, axis=0)[0]), rel=1e-7
    )


def test_max_over_an_empty_batch_has_a_gradient():
    x = leaf(np.zeros((0, 5)))
    x.max(axis=1).sum().backward()
    assert x.grad.shape == (0, 5)


@pytest.mark.filterwarnings("ignore:invalid value")  # the mean of nothing is NaN (as numpy)
def test_mean_over_no_elements_has_an_empty_gradient():
    x = leaf(np.zeros((0, 3)))
    x.mean(axis=0).sum().backward()
    assert x.grad.shape == (0, 3)


def test_a_window_whose_max_is_nan_passes_no_gradient_whatever_ties_elsewhere():
    for rows in ([[np.nan, 1.0], [2.0, 2.0]], [[np.nan, 1.0], [2.0, 3.0]]):
        x = leaf(rows)
        x.max(axis=1).sum().backward()
        np.testing.assert_array_equal(x.grad.data[0], [0.0, 0.0])
        assert np.isfinite(x.grad.data).all()


def test_mean_of_float16_slice_by_slice_accumulates_in_float32():
    x = np.full((4096, 3), 30000, dtype=np.float16)  # the sum over axis 1 overflows float16
    np.testing.assert_array_equal(mg.mean(mg.Tensor(x), axis=1).data, x.astype(np.float32)[:, 0])


def test_float16_sums_and_bias_gradients_accumulate_in_float32():
    """Summed in float16, a bias gradient over 10⁵ rows was off by 7e-3 (16× float16's
    resolution at that size); summed in float32 and rounded once it is within one step."""
    g = (np.random.default_rng(0).random((100_000, 4)) * 0.2).astype(np.float16)
    exact = g.astype(np.float64).sum(axis=0)
    b = mg.Tensor(np.zeros(4, np.float16), requires_grad=True)
    (mg.Tensor(np.zeros((100_000, 4), np.float16)) + b).backward(g)  # SumTo
    assert b.grad.dtype == np.float16
    np.testing.assert_allclose(b.grad.data, exact, rtol=1e-3)
    total = mg.sum(mg.Tensor(g), axis=0)  # Sum
    assert total.dtype == np.float16
    np.testing.assert_allclose(total.data, exact, rtol=1e-3)


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_reduction_method_is_the_same_op(name):
    x = mg.Tensor(rand(2, 3))
    method = getattr(x, name)
    np.testing.assert_array_equal(
        method(axis=1, keepdims=True).data, REDUCTIONS[name][0](x, 1, True).data
    )
    np.testing.assert_array_equal(method().data, REDUCTIONS[name][1](x.data))


def test_max_ties_share_the_gradient_equally():
    x = leaf([1.0, 3.0, 3.0, 2.0])
    x.max().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.5, 0.5, 0.0])


def test_max_ties_along_an_axis():
    x = leaf([[5.0, 5.0, 5.0], [1.0, 4.0, 2.0], [7.0, 0.0, 7.0]])
    y = x.max(axis=1)
    np.testing.assert_array_equal(y.data, [5.0, 4.0, 7.0])
    y.backward(np.array([3.0, 1.0, 2.0]))
    np.testing.assert_allclose(x.grad.data, [[1.0, 1.0, 1.0], [0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])


@pytest.mark.parametrize("size", [255, 256, 300])
def test_max_ties_are_counted_without_overflow_at_256(size):
    """The ties are counted in uint8 only in windows of fewer than 256 elements: 256 ties
    counted in uint8 would wrap to 0, and each would get the whole gradient."""
    x = leaf(np.zeros(size))
    x.max().backward()
    np.testing.assert_allclose(x.grad.data, np.full(size, 1 / size))


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_a_reduction_takes_an_array_or_a_list(name):
    ours, numpys = REDUCTIONS[name]
    x = rand(2, 3)
    np.testing.assert_array_equal(ours(x, axis=1).data, numpys(x, axis=1))
    np.testing.assert_array_equal(ours([[1.0, 4.0], [3.0, 2.0]]).data, numpys([[1, 4], [3, 2]]))


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_a_reduction_over_an_axis_of_one_is_a_new_array(name):
    """Reduced slice by slice (reduce_axes), an axis of size 1 is a single slice, a view of x;
    the result must not be one (an optimizer step on x would change it)."""
    x = mg.Tensor(np.arange(4096.0, dtype=np.float32).reshape(4096, 1), requires_grad=True)
    y = REDUCTIONS[name][0](x, axis=1)
    np.testing.assert_array_equal(y.data, x.data[:, 0])
    assert not np.shares_memory(y.data, x.data) and y.dtype == np.float32


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
def test_a_reduction_over_no_axes_of_a_large_array_is_a_new_array(name):
    """axis=() reduces nothing (as in numpy): the result equals x, in memory of its own, also
    at sizes that reduce_axes would otherwise reduce slice by slice."""
    x = mg.Tensor(np.arange(4096.0, dtype=np.float32).reshape(64, 64), requires_grad=True)
    y = REDUCTIONS[name][0](x, axis=())
    np.testing.assert_array_equal(y.data, x.data)
    assert not np.shares_memory(y.data, x.data)


def test_mean_gradient_is_one_over_count():
    x = leaf(np.zeros((2, 5)))
    x.mean(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad.data, np.full((2, 5), 0.2))


@pytest.mark.parametrize("op", [mg.sum, mg.mean, mg.max])
def test_axis_out_of_range_is_an_error(op):
    with pytest.raises(ValueError, match=r"axis 2 is out of range for a tensor with 2 axes"):
        op(mg.Tensor(np.ones((2, 3))), axis=2)
    with pytest.raises(TypeError, match=r"an axis is an int .*got '0'"):
        op(mg.Tensor(np.ones((2, 3))), axis="0")
    with pytest.raises(TypeError, match=r"an axis is an int .*got True"):
        op(mg.Tensor(np.ones((2, 3))), axis=True)
    with pytest.raises(ValueError, match=r"a 0-d tensor has no axes"):
        op(mg.Tensor(1.0), axis=0)


@st.composite
def broadcast_target(draw):
    """(small shape, big shape) with small broadcastable to big."""
    big = draw(shapes(max_dims=4))
    kept = big[draw(st.integers(0, len(big))) :]  # drop some leading axes
    ones = draw(st.lists(st.booleans(), min_size=len(kept), max_size=len(kept)))
    small = tuple(1 if one else n for n, one in zip(kept, ones))
    return small, big


@given(case=broadcast_target(), seed=seeds)
def test_broadcast_to_matches_numpy_and_has_right_gradients(case, seed):
    small, big = case
    x = rand(*small, seed=seed)
    check_op(lambda t: mg.broadcast_to(t, big), x, expected=np.broadcast_to(x, big))


@given(case=broadcast_target(), seed=seeds)
def test_sum_to_matches_numpy_and_has_right_gradients(case, seed):
    small, big = case
    y = rand(*big, seed=seed)
    lead = len(big) - len(small)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(small) if n == 1 and big[lead + i] != 1
    )
    expected = y.sum(axis=axes, keepdims=True).reshape(small)
    check_op(lambda t: mg.sum_to(t, small), y, expected=expected)


@given(case=broadcast_target(), seed=seeds)
def test_sum_to_is_the_adjoint_of_broadcast_to(case, seed):
    small, big = case
    x, y = rand(*small, seed=seed), rand(*big, seed=seed + 1)
    left = inner(mg.broadcast_to(mg.Tensor(x), big).data, y)
    right = inner(x, mg.sum_to(mg.Tensor(y), small).data)
    assert left == pytest.approx(right, rel=1e-12, abs=1e-12)


def test_broadcast_to_the_same_shape_is_the_tensor_itself():
    x = mg.Tensor([1.0, 2.0])
    assert mg.broadcast_to(x, (2,)) is x and mg.sum_to(x, (2,)) is x


def test_broadcast_to_an_incompatible_shape_names_the_op_and_shapes():
    with pytest.raises(ValueError, match=r"broadcast_to: cannot repeat .* \(3,\) to \(2, 4\)"):
        mg.broadcast_to(mg.Tensor([1.0, 2.0, 3.0]), (2, 4))
    with pytest.raises(ValueError, match=r"broadcast_to: cannot repeat .* \(2, 3\) to \(3,\)"):
        mg.broadcast_to(mg.Tensor(np.ones((2, 3))), (3,))  # fewer axes than x
    assert mg.broadcast_to(mg.Tensor([1.0]), 3).shape == (3,)  # an int is a shape, as in numpy


@pytest.mark.parametrize("shape", [(4, 3), (1, 1, 1), (12,), (3,)])
def test_sum_to_a_shape_that_does_not_broadcast_back_is_refused(shape):
    x = mg.Tensor(np.arange(12.0).reshape(3, 4))
    with pytest.raises(ValueError, match=rf"sum_to: cannot sum a tensor of shape \(3, 4\) down to "
                       rf"{re.escape(str(shape))}"):  # fmt: skip
        mg.sum_to(x, shape)


def test_float16_mean_sums_in_float32():
    # float16 alone overflows at 65 504: the mean of 100 000 ones would be nan.
    assert mg.Tensor(np.ones(100_000, np.float16)).mean().item() == 1.0
    x = mg.Tensor(np.full((5000, 3), 20.0, np.float16), requires_grad=True)
    m = x.mean(axis=0)
    assert m.dtype == np.float16
    np.testing.assert_array_equal(m.data, [20.0, 20.0, 20.0])
    m.sum().backward()
    assert x.grad.dtype == np.float16  # ∂m/∂x = 1/5000 everywhere (float16 keeps it to 1e-3)
    np.testing.assert_allclose(x.grad.data, np.float16(1 / 5000), rtol=1e-3)


def numpy_log_softmax(x, axis):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


@given(shape=shapes(min_dims=1), data=st.data(), seed=seeds)
def test_log_softmax_matches_numpy_and_has_right_gradients(shape, data, seed):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = rand(*shape, seed=seed, low=-3, high=3)
    out = check_op(lambda t: mg.ops.log_softmax(t, axis), x, expected=numpy_log_softmax(x, axis))
    assert out.grad_fn.name == "LogSoftmax"


def test_log_softmax_of_huge_logits_is_finite_and_its_gradient_too():
    x = mg.Tensor([[1000.0, 0.0, -1000.0], [5.0, 5.0, 5.0]], requires_grad=True)
    y = mg.ops.log_softmax(x)
    np.testing.assert_array_equal(y.data[0], [0.0, -1000.0, -2000.0])
    (y * mg.Tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])).sum().backward()
    np.testing.assert_allclose(x.grad.data, [[0, 0, 0], [-1 / 3, 2 / 3, -1 / 3]], atol=1e-6)


def test_float16_log_softmax_along_a_strided_axis_sums_in_float32():
    """Along a strided axis numpy adds float16 one term at a time, and the total stops growing
    at 2048: log_softmax of 5000 zeros along axis 0 gave −7.625 for −log 5000 = −8.517, and its
    backward and cross_entropy of a transposed view were off as much."""
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((5000, 2)).astype(np.float16)
    g = rng.standard_normal((5000, 2)).astype(np.float16)
    x = mg.Tensor(logits, requires_grad=True)
    y = mg.ops.log_softmax(x, axis=0)
    y.backward(g)
    exact = numpy_log_softmax(logits.astype(np.float64), 0)
    assert y.dtype == x.grad.dtype == np.float16
    np.testing.assert_allclose(y.data, exact, atol=1e-2)  # float16's step near 8 is 0.0078
    g64 = g.astype(np.float64)
    np.testing.assert_allclose(x.grad.data, g64 - np.exp(exact) * g64.sum(axis=0), atol=5e-3)
    labels = rng.integers(0, 5000, 2)
    loss = mg.nn.functional.cross_entropy(mg.Tensor(logits).T, labels)  # rows of a view
    assert loss.item() == pytest.approx(-exact[labels, [0, 1]].mean(), abs=1e-2)


@pytest.mark.parametrize("shape, axis", [((4, 0), -1), ((0, 3), 0), ((0, 3), 1)])
def test_log_softmax_over_an_empty_axis_or_batch_is_empty(shape, axis):
    x = mg.Tensor(np.zeros(shape, np.float32), requires_grad=True)
    y = mg.ops.log_softmax(x, axis)
    assert y.shape == shape and y.dtype == np.float32
    y.sum().backward()
    assert x.grad.shape == shape
    assert mg.nn.functional.softmax(x, axis=axis).shape == shape


def test_log_softmax_axis_out_of_range_names_the_op():
    with pytest.raises(ValueError, match="log_softmax: axis 2 is out of range"):
        mg.ops.log_softmax(mg.Tensor(rand(2, 3)), axis=2)


@given(shape=shapes(min_dims=1), data=st.data(), seed=seeds)
def test_log_softmax_backward_op_is_g_minus_softmax_times_the_sum_of_g(shape, data, seed):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    g, y = rand(*shape, seed=seed), rand(*shape, seed=seed + 1, low=-3, high=0.5)
    expected = g - np.exp(y) * g.sum(axis=axis, keepdims=True)
    out = check_op(
        lambda g, y: reduce.LogSoftmaxBackward.apply(g, y, axis=axis % len(shape)),
        g,
        y,
        expected=expected,
    )
    assert out.grad_fn.name == "LogSoftmaxBackward"
    constant_y = mg.Tensor(y)  # g alone requires grad (each input's gradient is asked apart)
    check_op(lambda g: reduce.LogSoftmaxBackward.apply(g, constant_y, axis=axis % len(shape)), g)


def test_log_softmax_backward_is_one_op_whose_own_backward_is_recorded():
    x = leaf([[0.5, -1.0, 2.0], [0.0, 0.0, 0.0]])
    w = mg.Tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]])
    (d1,) = mg.grad((mg.ops.log_softmax(x) * w).sum(), x, create_graph=True)
    assert d1.grad_fn.name == "LogSoftmaxBackward"
    (d2,) = mg.grad((d1 * w).sum(), x)  # Σ_j w_j ∂²L/∂x_j∂x: through the op's own backward
    p = np.exp(mg.ops.log_softmax(x).data)
    s = w.data.sum(axis=1, keepdims=True)
    wp = (w.data * p).sum(axis=1, keepdims=True)  # ∂L/∂x = w − p·s;  its Jacobian times w:
    np.testing.assert_allclose(d2.data, -s * p * (w.data - wp), rtol=1e-12)


def numpy_nll(x, labels):
    return -x[np.arange(len(labels)), labels].mean()


@given(n=st.integers(1, 5), classes=st.integers(1, 4), seed=seeds)
def test_nll_loss_matches_numpy_and_has_right_gradients(n, classes, seed):
    x = rand(n, classes, seed=seed, low=-3, high=0)
    labels = np.random.default_rng(seed).integers(0, classes, size=n)
    out = check_op(lambda t: mg.ops.nll_loss(t, labels), x, expected=numpy_nll(x, labels))
    assert out.grad_fn.name == "NLLLoss"


def test_nll_loss_gradient_is_minus_one_over_n_at_each_label():
    x = leaf(rand(3, 4, low=-3, high=0))  # log-probabilities are ≤ 0
    mg.ops.nll_loss(x, [1, 1, 3]).backward()
    expected = np.zeros((3, 4))
    expected[[0, 1, 2], [1, 1, 3]] = -1 / 3
    np.testing.assert_array_equal(x.grad.data, expected)


def test_nll_loss_keeps_its_own_copy_of_the_labels():
    """The backward uses the labels of the forward, even if the caller's array changes after."""
    x, labels = leaf(rand(2, 3, low=-3, high=0)), np.array([0, 2])
    loss = mg.ops.nll_loss(x, labels)
    labels[:] = 1
    loss.backward()
    np.testing.assert_array_equal(x.grad.data, [[-0.5, 0, 0], [0, 0, -0.5]])


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_nll_loss_is_the_mean_numpy_computes(dtype):
    x = rand(300, 7, low=-3, high=0).astype(dtype)
    labels = np.random.default_rng(0).integers(0, 7, size=300)
    out = mg.ops.nll_loss(x, labels).data
    assert out.dtype == dtype and out == -x[np.arange(300), labels].mean()


def test_nll_loss_keeps_float32():
    x = mg.Tensor(rand(4, 3, low=-3, high=0).astype(np.float32), requires_grad=True)
    loss = mg.ops.nll_loss(x, [0, 1, 2, 0])
    loss.backward()
    assert loss.dtype == np.float32 and x.grad.dtype == np.float32


def test_nll_loss_refuses_what_cannot_be_log_probabilities():
    """nll_loss(softmax(x)) gave a negative loss, nll_loss(logits) a meaningless one, silently
    (a second reader's finds); log-probabilities are ≤ 0."""
    logits = leaf([[2.0, -1.0, 0.5], [0.1, 0.2, -3.0]])
    for scores, top in [(mg.nn.functional.softmax(logits), "0.7856"), (logits, "2")]:
        with pytest.raises(ValueError, match=rf"^nll_loss takes log-probabilities, which are ≤ 0 "
                           rf".*got values up to {top}.*Pass log_softmax\(logits\), or give the "
                           r"logits to cross_entropy"):  # fmt: skip
            mg.ops.nll_loss(scores, [0, 1])
    assert mg.ops.nll_loss(mg.ops.log_softmax(logits), [0, 1]).item() > 0


def test_nll_loss_errors_name_the_op():
    x = mg.Tensor(rand(2, 3))
    with pytest.raises(ValueError, match=r"nll_loss: labels must lie in 0 … 2 .* got 3"):
        mg.ops.nll_loss(x, [0, 3])
    with pytest.raises(ValueError, match=r"nll_loss expects log_probs \(n, classes\)"):
        mg.ops.nll_loss(mg.Tensor(rand(3)), [0])
    with pytest.raises(ValueError, match=r"nll_loss got an empty batch"):
        mg.ops.nll_loss(mg.Tensor(np.zeros((0, 3))), [])
    with pytest.raises(TypeError, match="nll_loss: labels must be integer class indices"):
        mg.ops.nll_loss(x, [0.5, 1.0])
    with pytest.raises(TypeError, match="nll_loss: labels must be integer class indices"):
        mg.ops.nll_loss(x, [0.0, np.inf])  # (cast to int64, inf became −2⁶³ with a warning)


@pytest.mark.parametrize(("shape", "folds"), [((128, 256), False), ((2048, 64), True)])
def test_rows_are_folded_only_when_there_are_many(shape, folds):
    """The fold of leading rows pays for its Python only from ROW rows on (reduce.ROW): fewer
    go straight to numpy, whose result it then is exactly."""
    x = rand(*shape, seed=4).astype(np.float32)
    called = []
    with pytest.MonkeyPatch.context() as patch:
        real = reduce._reduce_leading
        patch.setattr(reduce, "_reduce_leading", lambda *a: called.append(a) or real(*a))
        total = reduce.reduce_axes(np.add, x, (0,))
    assert bool(called) == folds
    if not folds:
        np.testing.assert_array_equal(total, np.add.reduce(x, axis=0, keepdims=True))
    exact = x.sum(axis=0, dtype=np.float64, keepdims=True)
    np.testing.assert_allclose(total, exact, rtol=1e-5, atol=1e-4)


def test_broadcast_to_fewer_axes_is_refused_even_when_the_sizes_fit():
    """(1, 3) cannot become (3,): broadcasting only adds axes. The sizes that meet (3 and 3)
    fit, so only the count of axes tells; the message is broadcast_to's, not numpy's."""
    with pytest.raises(ValueError, match=r"broadcast_to: cannot repeat .* \(1, 3\) to \(3,\)"):
        mg.broadcast_to(mg.Tensor(np.ones((1, 3))), (3,))


# ---- reduce_axes at its thresholds, against numpy ---------------------------------------------
THRESHOLD_CASES = {
    "size just below SLICED_MIN_SIZE": ((255, 16), (1,)),
    "size at SLICED_MIN_SIZE, axis of SMALL_AXIS": ((256, 16), (1,)),
    "axis of SMALL_AXIS + 1": ((256, 17), (1,)),
    "ROW − 1 rows": ((1023, 5), (0,)),
    "ROW rows": ((1024, 5), (0,)),
    "ROW + 1 rows, some left over": ((1025, 5), (0,)),
    "rows of ROW / 2 − 1": ((2048, 511), (0,)),
    "rows of ROW / 2": ((2048, 512), (0,)),
    "pooling windows": ((4, 16, 2, 8, 2, 3), (2, 4)),
    "leading rows and a short axis": ((1025, 3, 2), (0, 2)),
    "a long axis that is not leading": ((3, 1500, 2), (1,)),
}


@pytest.mark.parametrize("case", THRESHOLD_CASES.values(), ids=THRESHOLD_CASES.keys())
@pytest.mark.parametrize("dtype", FLOATS)
def test_reductions_at_the_slice_and_fold_thresholds_match_numpy(case, dtype):
    """reduce_axes slices short axes from SLICED_MIN_SIZE elements on and folds ROW or more
    leading rows: at and around each limit, in every float dtype and layout, sum and mean agree
    with a float64 sum, and max and its gradient (ties shared) with numpy exactly."""
    shape, axes = case
    tolerance = {np.float16: 2e-2, np.float32: 1e-4, np.float64: 1e-10}[dtype]
    x = np.random.default_rng(len(shape)).standard_normal(shape).astype(dtype)
    for name, t in layouts(x, requires_grad=True).items():
        data = t.data
        assert name == "contiguous" or not data.flags.c_contiguous
        for op in (mg.sum, mg.mean):
            exact = getattr(np, op.__name__)(data, axis=axes, dtype=np.float64)
            y = op(t, axis=axes).data
            assert y.dtype == dtype, name
            np.testing.assert_allclose(y, exact, rtol=tolerance, atol=tolerance, err_msg=name)
        y = mg.max(t, axis=axes)
        np.testing.assert_array_equal(y.data, data.max(axis=axes), err_msg=name)
        (grad,) = mg.grad(y, [t], np.ones(y.shape, dtype))
        is_max = data == data.max(axis=axes, keepdims=True)
        share = is_max / is_max.sum(axis=axes, keepdims=True)
        np.testing.assert_array_equal(grad.data, share.astype(dtype), err_msg=name)
