"""Tests of the ops that move elements: reshape, vect/unvect, transpose, indexing and its adjoint
scatter_add, concat, stack, pad and its adjoint crop."""

import numpy as np
import pytest
from helpers import FLOATS, check_op, dirty_pool, inner, leaf, rand, seeds, shapes
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from minigrad import buffers


# ---- reshape, vect, unvect, transpose ---------------------------------------------------------
@given(shape=shapes(max_dims=4), seed=seeds, data=st.data())
def test_reshape_matches_numpy_and_has_right_gradients(shape, seed, data):
    x = rand(*shape, seed=seed)
    size = x.size
    first = data.draw(st.sampled_from([d for d in range(1, size + 1) if size % d == 0]))
    new_shape = (first, -1)
    check_op(lambda t: t.reshape(*new_shape), x, expected=x.reshape(new_shape))
    check_op(lambda t: mg.reshape(t, (size,)), x, expected=x.reshape(size))


@given(shape=shapes(max_dims=4), seed=seeds)
def test_vect_then_unvect_round_trips(shape, seed):
    x = rand(*shape, seed=seed)
    out = check_op(mg.vect, x, expected=x.reshape(-1))
    assert out.ndim == 1
    check_op(lambda t: mg.unvect(mg.vect(t), shape), x, expected=x)
    np.testing.assert_array_equal(leaf(x).vect().data, x.reshape(-1))


def test_unvect_with_the_wrong_size_says_what_was_expected():
    with pytest.raises(ValueError, match=r"unvect: expected a vector of 6 elements for shape"):
        mg.unvect(mg.Tensor(np.zeros(5)), (1, 2, 3))
    with pytest.raises(ValueError, match=r"got shape \(2, 3\)"):
        mg.unvect(mg.Tensor(np.zeros((2, 3))), (2, 3))
    with pytest.raises(ValueError, match=r"got shape \(6, 1\)"):  # 6 elements, not a vector
        mg.unvect(mg.Tensor(np.zeros((6, 1))), (2, 3))


@given(shape=shapes(min_dims=1, max_dims=4), seed=seeds, data=st.data())
def test_transpose_matches_numpy_and_has_right_gradients(shape, seed, data):
    x = rand(*shape, seed=seed)
    axes = tuple(data.draw(st.permutations(range(len(shape)))))
    check_op(lambda t: mg.transpose(t, *axes), x, expected=np.transpose(x, axes))
    check_op(lambda t: t.transpose(axes), x, expected=np.transpose(x, axes))
    check_op(lambda t: t.T, x, expected=x.T)


def test_transpose_with_negative_axes_and_no_axes():
    x = mg.Tensor(rand(2, 3, 4))
    assert mg.transpose(x, -1, 0, 1).shape == (4, 2, 3)
    assert x.transpose().shape == (4, 3, 2)
    vector = mg.Tensor([1.0, 2.0])
    np.testing.assert_array_equal(mg.transpose(vector, -1).data, [1.0, 2.0])  # one int axis


def test_transpose_with_bad_axes_is_an_error():
    with pytest.raises(ValueError, match=r"not a permutation of the 3 axes"):
        mg.transpose(mg.Tensor(np.zeros((2, 3, 4))), 0, 0, 1)


# ---- indexing ---------------------------------------------------------------------------------
X = rand(3, 4, 2, seed=7)
INDICES = {
    "int": 1,
    "negative int": -1,
    "slice": slice(1, None),
    "negative slice with step": slice(None, -1, 2),
    "tuple of ints and slices": (slice(None), -2, 0),
    "ellipsis and None": (Ellipsis, None, 1),
    "int array with repeats": np.array([0, 2, 0, 0]),
    "list with repeats": [2, 2, -1],
    "two int arrays": (np.array([0, 1, 1]), np.array([3, 3, 0])),
    "boolean mask": X > 0,
    "boolean mask on first axis": np.array([True, False, True]),
}


@pytest.mark.parametrize("name", sorted(INDICES))
def test_getitem_matches_numpy_and_has_right_gradients(name):
    index = INDICES[name]
    check_op(lambda t: t[index], X, expected=X[index])


def test_getitem_with_repeated_indices_accumulates_gradients():
    x = leaf([10.0, 20.0, 30.0])
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 0.0, 1.0])


def test_getitem_with_a_tensor_index_is_refused():
    # A Tensor holds floats, so Tensor([True, False, True]) and Tensor([1, 0, 1]) look alike.
    x = leaf([10.0, 20.0, 30.0])
    for index in (mg.Tensor([2, 2]), mg.Tensor([True, False, True])):
        with pytest.raises(TypeError, match="numpy array"):
            x[index]


def test_getitem_with_an_integer_array_accumulates():
    x = leaf([10.0, 20.0, 30.0])
    y = x[np.array([2, 2])]
    np.testing.assert_array_equal(y.data, [30.0, 30.0])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0, 2.0])


def test_getitem_keeps_its_own_copy_of_an_index_array():
    x = leaf([10.0, 20.0, 30.0])
    index = np.array([0, 1])
    y = x[index]
    index[0] = 2  # the caller reuses its array before backward
    (y * mg.Tensor([1.0, 5.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 5.0, 0.0])


def test_getitem_keeps_its_own_copy_of_a_list_or_a_tuple_of_index_arrays():
    """As with one index array: the caller may change a list, or the arrays of a tuple, before
    backward; the gradient goes where the elements were picked from."""
    x = leaf([10.0, 20.0, 30.0])
    index = [0, 1]
    y = x[index]
    index[0] = 2
    (y * mg.Tensor([1.0, 5.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 5.0, 0.0])

    x = leaf(np.zeros((2, 3)))
    rows, columns = np.array([0, 1]), np.array([2, 0])
    y = x[rows, columns]
    rows[0], columns[0] = 1, 1
    (y * mg.Tensor([1.0, 5.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0.0, 0.0, 1.0], [5.0, 0.0, 0.0]])


@pytest.mark.parametrize("name", sorted(INDICES))
def test_scatter_add_is_the_adjoint_of_getitem(name):
    index = INDICES[name]
    y = rand(*X[index].shape, seed=3)
    left = inner(mg.getitem(mg.Tensor(X), index).data, y)
    right = inner(X, mg.scatter_add(mg.Tensor(y), index, X.shape).data)
    assert left == pytest.approx(right, rel=1e-12)


def test_scatter_add_refuses_a_g_or_an_index_that_does_not_fit():
    """g was broadcast silently, and backward then failed as if the engine were wrong."""
    with pytest.raises(ValueError, match=r"scatter_add: g has shape \(1,\), .* has shape \(2,\)"):
        mg.scatter_add(mg.Tensor([1.0]), np.array([0, 0]), (2,))
    with pytest.raises(IndexError, match=r"scatter_add: index does not fit shape \(2,\)"):
        mg.scatter_add(mg.Tensor([1.0]), np.array([5]), (2,))


@pytest.mark.parametrize(
    "call",
    [
        lambda x: x.reshape(2.9, 3),
        lambda x: x.reshape((2, 3), 1),
        lambda x: mg.reshape(x, (True, 6)),
        lambda x: mg.fold(mg.Tensor(np.ones((2, 2, 3, 3, 1))), (4.7, 4, 1), 1),
        lambda x: mg.unvect(mg.vect(x), "6"),
        lambda x: mg.sum_to(x, None),
    ],
)
def test_a_shape_of_non_integers_is_refused_not_truncated(call):
    with pytest.raises(TypeError, match="a shape is an int or a sequence of ints"):
        call(mg.Tensor(np.ones((2, 3))))


def test_an_int_is_a_shape_as_in_numpy():
    x = mg.Tensor(np.ones(6))
    assert mg.unvect(x, 6).shape == (6,) and mg.sum_to(x, 1).shape == (1,)
    assert mg.reshape(x, np.int64(6)).shape == (6,)


def test_an_empty_list_index_picks_nothing_as_in_numpy():
    assert mg.Tensor(np.ones((3, 4)))[[]].shape == np.ones((3, 4))[[]].shape == (0, 4)


def test_scatter_add_accumulates_repeated_indices_and_has_right_gradients():
    g = np.array([1.0, 2.0, 3.0])
    index = np.array([1, 1, 0])
    check_op(lambda t: mg.scatter_add(t, index, (3,)), g, expected=[3.0, 3.0, 0.0])


@given(shape=shapes(min_dims=1), seed=seeds, data=st.data())
def test_scatter_add_over_random_indices_is_numpys_add_at_and_has_right_gradients(
    shape, seed, data
):
    """The primitive behind getitem's backward, on its own: random basic and integer-array
    indices (repeats included), against np.add.at, first and second order."""
    index = data.draw(
        hnp.basic_indices(shape, allow_newaxis=True)
        | hnp.integer_array_indices(shape, result_shape=shapes(min_dims=1))
    )
    g = rand(*np.empty(shape)[index].shape, seed=seed)
    expected = np.zeros(shape)
    np.add.at(expected, index, g)
    check_op(lambda t: mg.scatter_add(t, index, shape), g, expected=expected)


# ---- concat and stack -------------------------------------------------------------------------
@given(
    shape=shapes(min_dims=1),
    sizes=st.lists(st.integers(1, 3), min_size=1, max_size=3),
    seed=seeds,
    data=st.data(),
)
def test_concat_matches_numpy_and_has_right_gradients(shape, sizes, seed, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    arrays = []
    for i, size in enumerate(sizes):
        piece = list(shape)
        piece[axis] = size
        arrays.append(rand(*piece, seed=seed + i))
    expected = np.concatenate(arrays, axis=axis)
    check_op(lambda *ts: mg.concat(ts, axis), *arrays, expected=expected)


@given(shape=shapes(), count=st.integers(1, 3), seed=seeds, data=st.data())
def test_stack_matches_numpy_and_has_right_gradients(shape, count, seed, data):
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    arrays = [rand(*shape, seed=seed + i) for i in range(count)]
    check_op(lambda *ts: mg.stack(ts, axis), *arrays, expected=np.stack(arrays, axis=axis))


def test_concat_and_stack_join_along_the_first_axis_by_default_as_numpy():
    a, b = rand(2, 3), rand(2, 3, seed=1)
    joined = mg.concat([mg.Tensor(a), mg.Tensor(b)])
    np.testing.assert_array_equal(joined.data, np.concatenate([a, b]))
    stacked = mg.stack([mg.Tensor(a), mg.Tensor(b)])
    np.testing.assert_array_equal(stacked.data, np.stack([a, b]))


def test_concat_and_stack_errors():
    with pytest.raises(ValueError, match="at least one tensor"):
        mg.concat([])
    with pytest.raises(ValueError, match="at least one tensor"):
        mg.stack([])
    with pytest.raises(ValueError, match=r"equal shape; got \(2,\) and \(3,\)"):
        mg.stack([mg.Tensor(np.zeros(2)), mg.Tensor(np.zeros(3))])
    with pytest.raises(ValueError, match=r"Concat got inputs of shapes \(2, 3\), \(2, 4\)"):
        mg.concat([mg.Tensor(np.zeros((2, 3))), mg.Tensor(np.zeros((2, 4)))], axis=0)
    with pytest.raises(ValueError, match=r"existing axis; got 0-d tensors \(use stack\)"):
        mg.concat([mg.Tensor(1.0), mg.Tensor(2.0)])
    a, b = mg.Tensor([1.0, 2.0]), mg.Tensor([3.0, 4.0])  # (b was read as the axis)
    for op in (mg.concat, mg.stack):
        with pytest.raises(TypeError, match=rf"^{op.__name__} takes the tensors as one list"):
            op(a, b)


def test_item_assignment_is_refused_with_the_array_and_a_mask():
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"^tensors do not take item assignment.*x.data\[i\] = v"):
        x[0] = 5.0


# ---- pad and crop -----------------------------------------------------------------------------
@st.composite
def pad_cases(draw):
    """An array shape and a pad argument: an int k (image of ≥ 3 axes) or one pair per axis."""
    shape = draw(shapes(min_dims=1, max_dims=4))
    if len(shape) >= 3 and draw(st.booleans()):
        k = draw(st.integers(0, 2))
        pad_width = [(0, 0)] * (len(shape) - 3) + [(k, k), (k, k), (0, 0)]
        return shape, k, pad_width
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, 2), st.integers(0, 2)),
            min_size=len(shape),
            max_size=len(shape),
        )
    )
    return shape, tuple(pairs), pairs


@given(case=pad_cases(), seed=seeds)
def test_pad_matches_numpy_and_has_right_gradients(case, seed):
    shape, k, pad_width = case
    x = rand(*shape, seed=seed)
    check_op(lambda t: mg.pad(t, k), x, expected=np.pad(x, pad_width))
    check_op(lambda t: t.pad(k), x, expected=np.pad(x, pad_width))


@given(case=pad_cases(), seed=seeds)
def test_crop_is_the_adjoint_of_pad_and_has_right_gradients(case, seed):
    shape, k, pad_width = case
    x = rand(*shape, seed=seed)
    y = rand(*np.pad(x, pad_width).shape, seed=seed + 1)
    left = inner(mg.pad(mg.Tensor(x), k).data, y)
    cropped = check_op(lambda t: mg.crop(t, k), y)
    assert cropped.shape == x.shape
    assert left == pytest.approx(inner(x, cropped.data), rel=1e-12, abs=1e-12)
    np.testing.assert_array_equal(mg.crop(mg.pad(mg.Tensor(x), k), k).data, x)


def test_pad_an_int_pads_h_and_w_of_a_batch():
    x = mg.Tensor(np.ones((2, 3, 4, 5)))
    assert mg.pad(x, 1).shape == (2, 5, 6, 5)
    assert mg.pad(x, 0).shape == (2, 3, 4, 5)


def test_pad_with_zero_on_one_side():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = mg.pad(x, ((0, 1), (2, 0)))
    np.testing.assert_array_equal(y.data, [[0, 0, 1, 2], [0, 0, 3, 4], [0, 0, 0, 0]])
    (y * mg.Tensor(np.arange(12.0).reshape(3, 4))).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[2.0, 3.0], [6.0, 7.0]])


@pytest.mark.parametrize(
    ("shape", "k", "message"),
    [
        ((3, 3), 1, r"pad: an int k pads the h and w axes .* got shape \(3, 3\)"),
        ((3, 3, 1), -1, r"pad: k must be an int ≥ 0 .*; got -1"),
        ((3, 3), ((1, 1),), r"pad: k must be an int .* pair .* 2 pairs for shape \(3, 3\)"),
        ((3, 3), ((1, 1), (1, -1)), r"non-negative"),
        ((3, 3), ((1, 1), (1, 1, 1)), r"one \(before, after\) pair"),
        ((3, 3, 1), "same", r"k must be an int \(k zeros around h and w\) .*got 'same'"),
        ((3, 3), ((1.5, 1), (1, 1)), r"non-negative ints per axis .*got \(\(1.5, 1\)"),
        ((3, 3, 1), True, r"pad: k must be an int ≥ 0 .*got True"),
        ((3, 3), ((True, 1), (1, 1)), r"non-negative ints per axis"),
    ],
)
def test_pad_errors(shape, k, message):
    with pytest.raises(ValueError, match=message):
        mg.pad(mg.Tensor(np.zeros(shape)), k)


def test_crop_more_than_the_axis_is_an_error():
    with pytest.raises(ValueError, match=r"crop: cannot remove 2\+2 elements from axis 0, of "
                       r"size 3 \(x has shape \(3, 5, 1\)\)"):  # fmt: skip
        mg.crop(mg.Tensor(np.zeros((3, 5, 1))), 2)
    assert mg.crop(mg.Tensor(np.zeros((2, 2, 1))), 1).shape == (0, 0, 1)  # all of it: allowed


@given(shape=shapes(min_dims=1), seed=seeds, data=st.data())
def test_getitem_with_random_basic_indices(shape, seed, data):
    index = data.draw(hnp.basic_indices(shape, allow_newaxis=True))
    x = rand(*shape, seed=seed)
    check_op(lambda t: t[index], x, expected=x[index])


@given(shape=shapes(min_dims=1), seed=seeds, data=st.data())
def test_getitem_with_random_integer_arrays_accumulates_repeats(shape, seed, data):
    index = data.draw(hnp.integer_array_indices(shape, result_shape=shapes(min_dims=1)))
    x = rand(*shape, seed=seed)
    check_op(lambda t: t[index], x, expected=x[index])
    counts = np.zeros(shape)
    np.add.at(counts, index, 1.0)  # how many times each element was picked
    t = leaf(x)
    t[index].sum().backward()
    np.testing.assert_array_equal(t.grad.data, counts)


@given(shape=shapes(min_dims=1), seed=seeds, data=st.data())
def test_getitem_with_random_boolean_masks(shape, seed, data):
    mask = data.draw(hnp.arrays(bool, shape))
    x = rand(*shape, seed=seed)
    check_op(lambda t: t[mask], x, expected=x[mask])


# ---- review fixes: axes out of range are refused, never wrapped around ------------------------
OUT_OF_RANGE = r"axis {} is out of range for a tensor with {} axes \(valid: -{} … {}\)\."


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda a: mg.concat([a, a], axis=2), "concat: " + OUT_OF_RANGE.format(2, 2, 2, 1)),
        (lambda a: mg.stack([a, a], axis=3), "stack: " + OUT_OF_RANGE.format(3, 3, 3, 2)),
        (lambda a: a.transpose(2, 0), "transpose: " + OUT_OF_RANGE.format(2, 2, 2, 1)),
        (lambda a: a.sum(axis=(0, 0)), r"sum: axis \(0, 0\) names the same axis twice\."),
        (lambda a: a.max(axis=-3), "max: " + OUT_OF_RANGE.format(-3, 2, 2, 1)),
    ],
)
def test_axes_out_of_range_or_repeated_are_refused(call, message):
    with pytest.raises(ValueError, match="^" + message + "$"):
        call(mg.Tensor(np.ones((2, 3))))


def test_pad_with_a_flat_pair_on_a_matrix_says_what_it_needs():
    with pytest.raises(ValueError, match="one \\(before, after\\) pair"):
        mg.pad(mg.Tensor(np.ones((2, 3))), (1, 1))


def test_true_is_not_a_shape():
    """True is an Integral to Python, but a shape of True is a mistake: refused, not read as 1."""
    x = mg.Tensor(np.ones((2, 3)))
    for call in (lambda: mg.sum_to(x, True), lambda: mg.broadcast_to(x, True)):
        with pytest.raises(TypeError, match="a shape is an int or a sequence of ints"):
            call()


@pytest.mark.parametrize("dtype", FLOATS)
def test_pad_into_a_reused_array_is_numpys_pad(dtype):
    """Pad writes into a reused array (buffers.empty) and zeroes it: results just below and at
    buffers.MIN_BYTES, from a transposed view, equal np.pad exactly."""
    per_image = 16 * 16 * 8 * np.dtype(dtype).itemsize  # an (14, 14, 8) image padded by 1
    at = buffers.MIN_BYTES // per_image
    for n in (at - 1, at):
        x = np.random.default_rng(n).standard_normal((n, 14, 14, 8)).astype(dtype)
        view = mg.Tensor(np.swapaxes(x, 1, 2).copy()).transpose(0, 2, 1, 3)  # x, not contiguous
        dirty_pool((n, 16, 16, 8))
        y = mg.pad(view, 1).data
        np.testing.assert_array_equal(y, np.pad(x, [(0, 0), (1, 1), (1, 1), (0, 0)]))


# ---- every op takes what numpy takes ------------------------------------------------------------
TAKES_ARRAYS = {
    "reshape": (lambda x: mg.reshape(x, 4, 6), rand(2, 3, 4)),
    "unvect": (lambda a: mg.unvect(a, (2, 3)), rand(6)),
    "transpose": (lambda x: mg.transpose(x, 2, 0, 1), rand(2, 3, 4)),
    "getitem": (lambda x: mg.getitem(x, [1, 0, 1]), rand(2, 3, 4)),
    "scatter_add": (lambda g: mg.scatter_add(g, np.array([0, 0, 2]), (3,)), rand(3)),
    "concat": (lambda x: mg.concat([x, x], axis=1), rand(2, 3)),
    "stack": (lambda x: mg.stack([x, x], axis=1), rand(2, 3)),
    "pad": (lambda x: mg.pad(x, 1), rand(2, 3, 1)),
    "crop": (lambda x: mg.crop(x, 1), rand(4, 5, 1)),
}


@pytest.mark.parametrize("form", ["array", "list"])
@pytest.mark.parametrize("name", sorted(TAKES_ARRAYS))
def test_shape_ops_take_an_array_or_a_list_as_numpy_does(name, form):
    """An array or a list is wrapped as a constant Tensor, as the element-wise ops do."""
    fn, x = TAKES_ARRAYS[name]
    out = fn(x if form == "array" else x.tolist())
    assert isinstance(out, mg.Tensor) and not out.requires_grad
    np.testing.assert_allclose(out.data, fn(mg.Tensor(x)).data, rtol=1e-6)
