"""Element-wise ops: + − × ÷ power, neg, exp, log, relu, tanh, sigmoid, and astype.

Binary ops broadcast like numpy; their backward sums each gradient back to its input's shape
with `unbroadcast` (the adjoint of broadcasting). The ops come first, then the lowercase
functions users call, and last the fast paths some forwards use (the same numbers as the
one-line numpy call, faster: docs/reference/ops.md, "Where the speed comes from")."""

import math
import numbers

import numpy as np

from minigrad import buffers
from minigrad.autograd import Function
from minigrad.ops.reduce import ROW, unbroadcast
from minigrad.ops.shape import tensor_input
from minigrad.tensor import Tensor


class Add(Function):
    """x + y (broadcasting).

    forward:  y = a + b
    backward: ∂L/∂a = unbroadcast(g, a.shape),  ∂L/∂b = unbroadcast(g, b.shape)
    """

    def forward(self, a, b):
        return elementwise(np.add, a, b)

    def backward(self, grad_out):
        a, b = self.inputs
        grad_a = unbroadcast(grad_out, a.shape) if self.needs_input_grad[0] else None
        grad_b = unbroadcast(grad_out, b.shape) if self.needs_input_grad[1] else None
        return grad_a, grad_b


class Sub(Function):
    """a − b (broadcasting).

    forward:  y = a − b
    backward: ∂L/∂a = unbroadcast(g, a.shape),  ∂L/∂b = −unbroadcast(g, b.shape)
    """

    def forward(self, a, b):
        return elementwise(np.subtract, a, b)

    def backward(self, grad_out):
        a, b = self.inputs
        grad_a = unbroadcast(grad_out, a.shape) if self.needs_input_grad[0] else None
        grad_b = -unbroadcast(grad_out, b.shape) if self.needs_input_grad[1] else None
        return grad_a, grad_b


class Mul(Function):
    """a · b element-wise (broadcasting).

    forward:  y = a · b
    backward: ∂L/∂a = unbroadcast(g · b),  ∂L/∂b = unbroadcast(g · a)
    """

    def forward(self, a, b):
        return elementwise(np.multiply, a, b)

    def backward(self, grad_out):
        a, b = self.inputs
        grad_a = unbroadcast(grad_out * b, a.shape) if self.needs_input_grad[0] else None
        grad_b = unbroadcast(grad_out * a, b.shape) if self.needs_input_grad[1] else None
        return grad_a, grad_b


class Div(Function):
    """a / b element-wise (broadcasting).

    forward:  y = a / b
    backward: ∂L/∂a = unbroadcast(g / b),  ∂L/∂b = unbroadcast(−(g / b) · y)    (= −g · a / b²)
    Written with y = a/b, not b², which overflows or underflows in float16 (|b| ≥ 256 or
    |b| < 2.4e-4) where the gradient itself is an ordinary float16 number.
    """

    saves_output = True

    def forward(self, a, b):
        return elementwise(np.divide, a, b)

    def backward(self, grad_out):
        a, b = self.inputs
        over_b = grad_out / b
        grad_a = unbroadcast(over_b, a.shape) if self.needs_input_grad[0] else None
        grad_b = None
        if self.needs_input_grad[1]:
            grad_b = unbroadcast(-(over_b * self.output), b.shape)
        return grad_a, grad_b


class Pow(Function):
    """a ** b element-wise (broadcasting); b may be a number or a tensor.

    forward:  y = a^b
    backward: ∂L/∂a = unbroadcast(g · b · a^(b−1)),  ∂L/∂b = unbroadcast(g · y · log a)
    Two limits are taken explicitly, where the formulas give 0 · ∞ = nan: ∂y/∂a = 0 where
    a = 0 and b = 0 (a^0 is constant), and ∂y/∂b = 0 where a = 0 and b ≥ 0 (there y = 0^b is
    0 or 1, flat in b). Where a = 0 and b < 0, y = 0^b is ∞ and ∂y/∂b is nan: there is no slope.
    """

    saves_output = True

    def forward(self, a, b):
        return a**b

    def backward(self, grad_out):
        a, b = self.inputs
        grad_a = grad_b = None
        if self.needs_input_grad[0]:
            # b − 1, but 0 where a = b = 0: then b · a^0 = 0 rather than 0 · 0^−1 = nan. Only
            # there: at b = 0 and a ≠ 0, b · a^(b − 1) is 0 already, and its slope in b (a
            # second-order gradient) is a^(b − 1) = 1/a, which the exponent 0 would make 1.
            exponent = b - _mask((b.data != 0) | (a.data != 0), b.dtype)
            grad_a = unbroadcast(grad_out * b * a**exponent, a.shape)
        if self.needs_input_grad[1]:
            # log 1 = 0 instead of log 0 = −∞ where a = 0.
            safe_a = a + _mask(a.data == 0, a.dtype)
            grad_b = unbroadcast(grad_out * self.output * log(safe_a), b.shape)
        return grad_a, grad_b


def _mask(condition, dtype):
    """A constant Tensor of 1s where `condition` holds and 0s elsewhere."""
    return Tensor._wrap(condition.astype(dtype), False, None)


class Neg(Function):
    """−x.

    forward:  y = −x
    backward: ∂L/∂x = −g
    """

    def forward(self, x):
        return -x

    def backward(self, grad_out):
        return (-grad_out,)


class Exp(Function):
    """e^x element-wise.

    forward:  y = e^x
    backward: ∂L/∂x = g · y
    """

    saves_output = True

    def forward(self, x):
        return np.exp(x)

    def backward(self, grad_out):
        return (grad_out * self.output,)


class Log(Function):
    """Natural logarithm element-wise.

    forward:  y = log x
    backward: ∂L/∂x = g / x
    """

    def forward(self, x):
        return np.log(x)

    def backward(self, grad_out):
        return (grad_out / self.inputs[0],)


class ReLU(Function):
    """max(x, 0) element-wise.

    forward:  y = max(x, 0)
    backward: ∂L/∂x = g · [x > 0]   (the gradient at exactly 0 is taken as 0)
    """

    def forward(self, x):
        return maximum_with_zero(x, buffers.empty(x.shape, x.dtype))

    def backward(self, grad_out):
        # [x > 0] is made here from the kept input (forward saves nothing, and makes nothing in
        # eval), and stays boolean: a quarter of the memory of floats, and numpy multiplies
        # float × bool directly. (Tensors hold booleans only as such constants, here and in
        # Max's backward, never as tensors a user creates; drawn as `bool` in backward graphs.)
        return (grad_out * Tensor._wrap(self.inputs[0].data > 0, False, None),)


class Tanh(Function):
    """Hyperbolic tangent element-wise.

    forward:  y = tanh x
    backward: ∂L/∂x = g · (1 − y²)
    """

    saves_output = True

    def forward(self, x):
        return np.tanh(x)

    def backward(self, grad_out):
        return (TanhBackward.apply(grad_out, self.output),)


class TanhBackward(Function):
    """tanh's backward as one op: g · (1 − y²), from the upstream gradient g and y = tanh x.

    forward:  z = g · (1 − y²)                  (g and y of the same shape)
    backward: ∂L/∂g = G · (1 − y²),  ∂L/∂y = −2 · G · g · y      (G = ∂L/∂z)
    One op rather than the three of g * (1 - y * y): each op costs a few microseconds of
    Python, and tanh's backward runs at every step (benchmarks/, W3). Its own backward is
    written with Tensor ops, like every other, so higher orders still work.
    """

    def forward(self, g, y):
        if y.nbytes < buffers.MIN_BYTES:  # small: numpy's temporaries cost less than the pool
            return g - g * y * y
        # Large: one reused array instead of three fresh ones. A small gain (measured: none at
        # 1 MiB, 3.5 → 3.2 ms at 4 MiB); no workload of benchmarks/ has a tanh this large.
        z = np.multiply(g, y, out=buffers.empty(y.shape, np.result_type(g, y)))
        np.multiply(z, y, out=z)  # in place, in the one new array
        return np.subtract(g, z, out=z)  # g − g·y²

    def backward(self, grad_out):
        g, y = self.inputs
        grad_g = TanhBackward.apply(grad_out, y) if self.needs_input_grad[0] else None
        grad_y = grad_out * g * y * -2 if self.needs_input_grad[1] else None
        return grad_g, grad_y


class Sigmoid(Function):
    """The logistic function element-wise, computed without overflow for large |x|.

    forward:  y = 1 / (1 + e^−x)
    backward: ∂L/∂x = g · y · (1 − y)
    """

    saves_output = True

    def forward(self, x):
        # e^(−|x|) never overflows; fold the sign back in afterwards.
        z = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + z), z / (1 + z)).astype(x.dtype, copy=False)

    def backward(self, grad_out):
        y = self.output
        return (grad_out * y * (1 - y),)


class AsType(Function):
    """A copy of x in another float dtype (or the same one).

    forward:  y = x converted to `dtype`        (always a new array)
    backward: ∂L/∂x = g converted to x's dtype
    The engine also uses it to give a leaf, under create_graph, a gradient of its own.
    """

    def forward(self, x, dtype):
        return x.astype(dtype)

    def backward(self, grad_out):
        return (AsType.apply(grad_out, dtype=self.inputs[0].dtype),)


# ---- the functions users call (they take arrays and numbers too) -----------------------------
def as_tensor(value, like=None):
    """`value` as a Tensor; a Python number takes the dtype of `like` (no float64 promotion)."""
    if value.__class__ is Tensor:  # the hot path of unary ops
        return value
    if like is not None and (type(value) is float or type(value) is int):  # the common case first
        return Tensor._wrap(_constant(value, like.data.dtype), False, None)
    if like is not None and isinstance(value, numbers.Real):
        return Tensor._wrap(_constant(value, like.data.dtype), False, None)  # (not complex)
    return tensor_input(value)


_constants = {}


def _constant(value, dtype):
    """A read-only 0-d array for a Python number, kept for the next use: backward formulas such
    as sigmoid's g · y · (1 − y) would otherwise build theirs on every call. The first 1024
    distinct numbers are kept, and no more (a loop over learning rates makes new ones forever);
    NaN is not, as it never equals itself. (Each use still gets a Tensor of its own: graphs
    share no node.)"""
    key = (value, dtype.char, math.copysign(1.0, value))  # keeps 0.0 and −0.0 apart
    array = _constants.get(key)
    if array is None:
        array = np.asarray(value, dtype=dtype)
        array.flags.writeable = False
        if len(_constants) < 1024 and not math.isnan(value):  # a NaN key is never found
            _constants[key] = array
    return array


def _pair(x, y):
    """Both operands of a binary op as Tensors (numbers take the other operand's dtype)."""
    if isinstance(x, Tensor):
        return x, (y if isinstance(y, Tensor) else as_tensor(y, x))
    y = as_tensor(y)
    return as_tensor(x, y), y


def astype(x, dtype):
    """x as a new tensor of float `dtype` (float16, float32 or float64); gradients flow back
    in x's own dtype.

    >>> astype(Tensor([1.0, 2.0]), np.float64).dtype
    dtype('float64')
    """
    x, dtype = tensor_input(x), np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(
            f"astype: a Tensor holds floats, so the dtype must be a float dtype such as "
            f"np.float64; got {dtype}."
        )
    return AsType.apply(x, dtype=dtype)


def add(a, b):
    """a + b, broadcasting like numpy.

    >>> add(Tensor([1.0, 2.0]), 1)
    Tensor([2., 3.])
    """
    return Add.apply(*_pair(a, b))


def sub(a, b):
    """a − b, broadcasting like numpy.

    >>> sub(Tensor([1.0, 2.0]), 1)
    Tensor([0., 1.])
    """
    return Sub.apply(*_pair(a, b))


def mul(a, b):
    """a · b element-wise, broadcasting like numpy.

    >>> mul(Tensor([1.0, 2.0]), Tensor([3.0, 4.0]))
    Tensor([3., 8.])
    """
    return Mul.apply(*_pair(a, b))


def div(a, b):
    """a / b element-wise, broadcasting like numpy.

    >>> div(Tensor([1.0, 2.0]), 2)
    Tensor([0.5, 1. ])
    """
    return Div.apply(*_pair(a, b))


def pow(a, b):
    """a ** b element-wise; either may be a number or a tensor.

    >>> pow(Tensor([2.0, 3.0]), 2)
    Tensor([4., 9.])
    """
    return Pow.apply(*_pair(a, b))


def neg(x):
    """−x.

    >>> neg(Tensor([1.0, -2.0]))
    Tensor([-1.,  2.])
    """
    return Neg.apply(as_tensor(x))


def exp(x):
    """e^x element-wise.

    >>> exp(Tensor([0.0]))
    Tensor([1.])
    """
    return Exp.apply(as_tensor(x))


def log(x):
    """Natural logarithm element-wise.

    >>> log(Tensor([1.0]))
    Tensor([0.])
    """
    return Log.apply(as_tensor(x))


def relu(x):
    """max(x, 0) element-wise.

    >>> relu(Tensor([-1.0, 2.0]))
    Tensor([0., 2.])
    """
    return ReLU.apply(as_tensor(x))


def tanh(x):
    """Hyperbolic tangent element-wise.

    >>> tanh(Tensor([0.0]))
    Tensor([0.])
    """
    return Tanh.apply(as_tensor(x))


def sigmoid(x):
    """1 / (1 + e^−x) element-wise.

    >>> sigmoid(Tensor([0.0]))
    Tensor([0.5])
    """
    return Sigmoid.apply(as_tensor(x))


# ---- fast paths of forward --------------------------------------------------------------------
def elementwise(ufunc, a, b):
    """ufunc(a, b) with numpy's broadcasting, written into a reused array when it is large.

    Only large results are worth reusing (buffers.MIN_BYTES, see minigrad/buffers.py); below
    that, numpy allocates as usual, which keeps the per-op cost of small tensors low. The test
    is on the inputs' bytes, one addition: the result's size would need the broadcast shape
    first. So an outer sum of two small vectors, (2048, 1) + (1, 2048), gets a fresh result;
    the layers' large results (x W + b, an activation) come from a large input.
    """
    if a.nbytes + b.nbytes < buffers.MIN_BYTES:
        return ufunc(a, b)
    shape = np.broadcast_shapes(a.shape, b.shape)
    out = buffers.empty(shape, np.result_type(a, b))
    if _by_long_rows(ufunc, a, b, out):
        return out
    return ufunc(a, b, out=out)


def _by_long_rows(ufunc, a, b, out):
    """ufunc(a, b, out=out) where one operand is a short row that the other repeats along its
    leading axes (a bias b ~ (c',) added to x W ~ (n·h·w, c')); False, doing nothing, otherwise.

    numpy walks such a broadcast one row of c' numbers at a time, and pays for every row. So
    the full operand is viewed as rows of r·c' numbers and the row repeated r times (a copy of
    ~ROW numbers, reduce.ROW): r times fewer, longer rows, the same results. ~2× faster for
    c' = 8.
    """
    full, row = (a, b) if a.ndim >= b.ndim else (b, a)
    m = row.size
    if (
        row.ndim == 0  # a scalar: numpy broadcasts it in one long run already
        or m == 0
        or full.shape != out.shape
        or row.shape != full.shape[full.ndim - row.ndim :]
        or not full.flags.c_contiguous
        or ROW // m < 2
    ):
        return False
    r = ROW // m
    count = full.size // m  # rows of m numbers
    whole = count - count % r  # the rows that make whole long rows
    long_row = np.tile(row.reshape(-1), r)
    full_rows, out_rows = full.reshape(count, m), out.reshape(count, m)  # views: contiguous
    long_rows = full_rows[:whole].reshape(-1, r * m)
    pair = (long_rows, long_row) if full is a else (long_row, long_rows)
    ufunc(*pair, out=out_rows[:whole].reshape(-1, r * m))
    if whole < count:  # rows left over, as numpy would
        rest = full_rows[whole:]
        ufunc(
            *((rest, row.reshape(-1)) if full is a else (row.reshape(-1), rest)),
            out=out_rows[whole:],
        )
    return True


_ZERO_ROWS = {}  # dtype -> a read-only row of ROW zeros (see maximum_with_zero)


def maximum_with_zero(x, out):
    """max(x, 0) written into `out`: the same numbers as np.maximum(x, 0, out=out), faster.

    numpy's maximum has a fast (vector) loop for two arrays, but not for an array and a number:
    against 0 it runs ~5× slower (measured: 41 µs for 128×256 float32, 8 µs against an array
    of zeros). So a large contiguous x is viewed as rows of ROW numbers, reduce.ROW, and
    compared with one row of zeros, which numpy repeats over the rows; the numbers left over
    form one shorter row. Small arrays go to np.maximum(x, 0) as they are.
    """
    # 8·ROW: below it the gain is a few µs at most (float32: even near 2·ROW numbers; 17 → 14 µs
    # at 8·ROW, 59 → 27 µs at 32·ROW). A view would need a copy first, so it goes to numpy too.
    if x.size < 8 * ROW or not x.flags.c_contiguous:
        return np.maximum(x, 0, out=out)
    zeros = _ZERO_ROWS.get(x.dtype)
    if zeros is None:
        zeros = _ZERO_ROWS[x.dtype] = np.zeros(ROW, x.dtype)
        zeros.flags.writeable = False
    flat, flat_out = x.reshape(-1), out.reshape(-1)  # views: both are contiguous
    whole = flat.size - flat.size % ROW
    np.maximum(flat[:whole].reshape(-1, ROW), zeros, out=flat_out[:whole].reshape(-1, ROW))
    if whole < flat.size:
        np.maximum(flat[whole:], zeros[: flat.size - whole], out=flat_out[whole:])
    return out
