"""Matrix product: 2-D, batched with broadcasting over the leading axes, and 1-D operands as
numpy treats them."""

import numpy as np

from minigrad import buffers
from minigrad.autograd import Function
from minigrad.ops.elementwise import _pair
from minigrad.ops.reduce import unbroadcast
from minigrad.ops.shape import Transpose, reshape


class MatMul(Function):
    """Matrix product of the last two axes; leading (batch) axes broadcast.

    forward:  Y = A B                 A ~ (..., m, n), B ~ (..., n, p), Y ~ (..., m, p)
    backward: ∂L/∂A = unbroadcast(G Bᵀ),  ∂L/∂B = unbroadcast(Aᵀ G)   (ᵀ swaps the last two axes)
    Both operands have at least two axes: `matmul` (mg.matmul, @) turns 1-D operands into a
    row or a column first and checks the shapes; MatMul.apply does neither.
    """

    def forward(self, a, b):
        if a.ndim == 2 and b.ndim == 2 and a.dtype == b.dtype:  # the layers' case: reuse memory
            return np.matmul(a, b, out=buffers.empty((a.shape[0], b.shape[1]), a.dtype))
        return np.matmul(a, b)

    def backward(self, grad_out):
        a, b = self.inputs
        grad_a = grad_b = None
        # MatMul.apply rather than @: these shapes fit by construction (no checks needed).
        if self.needs_input_grad[0]:
            grad_a = unbroadcast(MatMul.apply(grad_out, _swap_last(b)), a.shape)
        if self.needs_input_grad[1]:
            grad_b = unbroadcast(MatMul.apply(_swap_last(a), grad_out), b.shape)
        return grad_a, grad_b


def _swap_last(x):
    """x with its last two axes swapped (the matrix transpose of each matrix in a batch)."""
    if x.data.ndim == 2:
        return Transpose.apply(x, axes=(1, 0))
    axes = list(range(x.ndim))
    axes[-2], axes[-1] = axes[-1], axes[-2]
    return Transpose.apply(x, axes=tuple(axes))  # a valid permutation: no checks needed


def matmul(a, b):
    """a @ b with numpy's rules: 2-D, batched (..., m, n) @ (..., n, p), and 1-D operands
    (a vector on the left is a row, on the right a column; that axis is removed again).

    >>> from minigrad import Tensor
    >>> matmul(Tensor([[1.0, 2.0]]), Tensor([[3.0], [4.0]]))
    Tensor([[11.]])
    """
    a, b = _pair(a, b)
    a_shape, b_shape = a.data.shape, b.data.shape
    if len(a_shape) == 2 and len(b_shape) == 2 and a_shape[1] == b_shape[0]:
        return MatMul.apply(a, b)  # the layers' case, checked in one line (it runs every step)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(
            f"matmul: both operands need at least one axis; got shapes {a.shape} and {b.shape}. "
            "Use * to multiply by a scalar."
        )
    if a.shape[-1] != b.shape[0 if b.ndim == 1 else -2]:
        inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} do not fit: a has {a.shape[-1]} columns "
            f"but b has {inner_b} rows. For a @ b the last axis of a must equal the "
            "second-to-last axis of b (transpose one operand with .T?)."
        )
    if a.ndim >= 2 and b.ndim >= 2:
        try:
            if a_shape[:-2] != b_shape[:-2]:
                np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
        except ValueError:
            raise ValueError(
                f"matmul: shapes {a.shape} and {b.shape} do not fit: their batch axes "
                f"{a.shape[:-2]} and {b.shape[:-2]} do not broadcast (each must be equal or 1, "
                "counting from the right)."
            ) from None
        return MatMul.apply(a, b)
    row, column = a.ndim == 1, b.ndim == 1
    a2 = reshape(a, 1, a.shape[0]) if row else a  # (1, n)
    b2 = reshape(b, b.shape[0], 1) if column else b  # (n, 1)
    y = MatMul.apply(a2, b2)
    if row:
        y = reshape(y, *y.shape[:-2], y.shape[-1])  # drop the row axis
    if column:
        y = reshape(y, *y.shape[:-1])  # drop the column axis
    return y
