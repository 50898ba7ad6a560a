"""Tests of matmul: 2-D, batched with broadcasting, 1-D operands on either or both sides
(all compared with np.matmul), gradients of first and second order, and the shape errors."""

import numpy as np
import pytest
from helpers import FLOATS, check_op, dirty_pool, rand, seeds
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg
from minigrad import buffers

sides = st.integers(1, 3)


@given(m=sides, n=sides, p=sides, seed=seeds)
def test_matmul_2d(m, n, p, seed):
    a, b = rand(m, n, seed=seed), rand(n, p, seed=seed + 1)
    out = check_op(mg.matmul, a, b, expected=np.matmul(a, b))
    assert out.grad_fn.name == "MatMul"
    check_op(lambda x, y: x @ y, a, b, expected=a @ b)


@pytest.mark.parametrize("alone", [0, 1], ids=["a", "b"])
def test_an_operand_that_alone_requires_grad_gets_its_gradient(alone):
    """x @ W with W constant (the gradient of an input through a frozen layer), and the other
    way round: backward computes only the gradient asked for, and it must be right."""
    a, b, weights = rand(2, 3, seed=1), rand(3, 4, seed=2), mg.Tensor(rand(2, 4, seed=3))
    tensors = [mg.Tensor(x, requires_grad=i == alone) for i, x in enumerate((a, b))]
    (grad,) = mg.grad(((tensors[0] @ tensors[1]) * weights).sum(), [tensors[alone]])
    expected = weights.data @ b.T if alone == 0 else a.T @ weights.data
    np.testing.assert_allclose(grad.data, expected, rtol=1e-12)


@given(
    batch=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=2),
    m=sides,
    n=sides,
    p=sides,
    seed=seeds,
)
def test_matmul_batched_with_broadcasting(batch, m, n, p, seed):
    batch_a, batch_b = batch.input_shapes
    a, b = rand(*batch_a, m, n, seed=seed), rand(*batch_b, n, p, seed=seed + 1)
    check_op(mg.matmul, a, b, expected=np.matmul(a, b))


@given(batch=st.lists(st.integers(1, 2), max_size=2), m=sides, n=sides, seed=seeds)
def test_matmul_vector_on_the_left(batch, m, n, seed):
    a, b = rand(n, seed=seed), rand(*batch, n, m, seed=seed + 1)
    out = check_op(mg.matmul, a, b, expected=np.matmul(a, b))
    assert out.shape == (*batch, m)


@given(batch=st.lists(st.integers(1, 2), max_size=2), m=sides, n=sides, seed=seeds)
def test_matmul_vector_on_the_right(batch, m, n, seed):
    a, b = rand(*batch, m, n, seed=seed), rand(n, seed=seed + 1)
    out = check_op(mg.matmul, a, b, expected=np.matmul(a, b))
    assert out.shape == (*batch, m)


@given(n=sides, seed=seeds)
def test_matmul_two_vectors_is_their_inner_product(n, seed):
    a, b = rand(n, seed=seed), rand(n, seed=seed + 1)
    out = check_op(mg.matmul, a, b, expected=np.matmul(a, b))
    assert out.shape == ()


def test_matmul_with_a_numpy_array_on_either_side():
    a = mg.Tensor(np.eye(2, dtype=np.float32))
    b = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    left, right = b @ a, a @ b
    assert isinstance(left, mg.Tensor) and isinstance(right, mg.Tensor)
    np.testing.assert_array_equal(left.data, b)
    np.testing.assert_array_equal(right.data, b)


@pytest.mark.parametrize(
    ("a", "b", "counts"),
    [
        ((2, 3), (4, 5), "a has 3 columns but b has 4 rows"),
        ((3, 2), (3, 2), "a has 2 columns but b has 3 rows"),  # every other size equal
        ((2, 3, 4), (3, 5), "a has 4 columns but b has 3 rows"),  # a.shape[1] == b.shape[0]
        ((2, 3), (3, 5, 4), "a has 3 columns but b has 5 rows"),
    ],
)
def test_matmul_inner_mismatch_names_the_op_both_shapes_and_a_hint(a, b, counts):
    with pytest.raises(ValueError) as info:
        mg.Tensor(np.zeros(a)) @ mg.Tensor(np.zeros(b))
    message = str(info.value)
    assert message.startswith(f"matmul: shapes {a} and {b} do not fit: {counts}.")
    assert "last axis of a must equal the second-to-last axis of b" in message


def test_matmul_vector_mismatch_is_an_error():
    with pytest.raises(ValueError, match=r"matmul: shapes \(3,\) and \(4,\) do not fit"):
        mg.matmul(mg.Tensor(np.zeros(3)), mg.Tensor(np.zeros(4)))


def test_matmul_batch_mismatch_names_the_op_and_both_shapes():
    with pytest.raises(ValueError) as info:
        mg.matmul(mg.Tensor(np.zeros((2, 3, 4))), mg.Tensor(np.zeros((5, 4, 2))))
    message = str(info.value)
    assert "matmul:" in message and "(2, 3, 4)" in message and "(5, 4, 2)" in message
    assert "batch axes (2,) and (5,) do not broadcast" in message
    assert "reshape(-1, 1)" not in message  # the element-wise hint does not apply here
    with pytest.raises(ValueError, match=r"batch axes \(2,\) and \(2, 5\) do not broadcast"):
        mg.matmul(mg.Tensor(np.zeros((2, 3, 4))), mg.Tensor(np.zeros((2, 5, 4, 2))))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ((1, 3, 4), (2, 4, 5)),
        ((2, 1, 3, 4), (5, 4, 6)),
        ((3, 4), (2, 2, 4, 5)),
        ((2, 3, 4), (4, 5)),
    ],
)
def test_matmul_broadcasts_batch_axes_of_every_size(a, b):
    """Batch axes, matrix sizes and their counts all differ: only the batch axes broadcast."""
    x, y = rand(*a), rand(*b, seed=1)
    check_op(mg.matmul, x, y, expected=np.matmul(x, y), second_order=False)


def test_matmul_of_a_scalar_is_an_error_with_a_hint():
    with pytest.raises(ValueError, match=r"at least one axis; got shapes \(\) and \(2,\)"):
        mg.matmul(mg.Tensor(2.0), mg.Tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match=r"at least one axis; got shapes \(2,\) and \(\)"):
        mg.matmul(mg.Tensor([1.0, 2.0]), mg.Tensor(2.0))


def test_matmul_of_mixed_float_dtypes_promotes_like_numpy():
    # float32 @ float64 is float64, as in numpy and as mg's + does, whichever side is float32.
    a32, b64 = rand(3, 4).astype(np.float32), rand(4, 2, seed=1)
    for a, b in ((a32, b64), (b64.T, a32.T)):
        out = mg.Tensor(a) @ mg.Tensor(b)
        assert out.dtype == (a @ b).dtype == np.float64
        np.testing.assert_allclose(out.data, a @ b, rtol=1e-12)


@pytest.mark.parametrize("dtype", FLOATS)
def test_matmul_into_a_reused_array_matches_numpy(dtype):
    """A 2-D product of one dtype is written into a reused array (MatMul.forward, out=): results
    just below and at buffers.MIN_BYTES, a transposed operand (as backward passes them), and an
    inner axis of 0, whose product is zeros, not the reused array's old numbers."""
    rng = np.random.default_rng(0)
    rows_at = buffers.MIN_BYTES // np.dtype(dtype).itemsize // 64
    for m in (rows_at - 1, rows_at):
        a = rng.standard_normal((m, 8)).astype(dtype)
        b = rng.standard_normal((64, 8)).astype(dtype)
        dirty_pool((m, 64))
        y = (mg.Tensor(a) @ mg.Tensor(b).T).data
        assert y.dtype == dtype
        np.testing.assert_array_equal(y, a @ b.T)
    dirty_pool((512, 1024))
    empty_inner = mg.Tensor(np.ones((512, 0), dtype)) @ mg.Tensor(np.ones((0, 1024), dtype))
    np.testing.assert_array_equal(empty_inner.data, np.zeros((512, 1024), dtype))
