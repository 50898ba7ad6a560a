"""Ops that move or select elements without arithmetic, each beside its adjoint:
reshape ↔ reshape, transpose ↔ transpose, getitem ↔ scatter_add, concat ↔ slices, pad ↔ crop."""

import numbers

import numpy as np

from minigrad import buffers
from minigrad.autograd import Function
from minigrad.tensor import Tensor, as_array


class Reshape(Function):
    """The same elements, in row-major order, in a new shape.

    forward:  y = reshape(x, shape)
    backward: ∂L/∂x = reshape(g, x.shape)
    """

    def forward(self, x, shape):
        return x.reshape(shape)

    def backward(self, grad_out):
        return (reshape(grad_out, self.inputs[0].shape),)


class Transpose(Function):
    """Permute the axes.

    forward:  y = transpose(x, axes)         (y.shape[i] = x.shape[axes[i]])
    backward: ∂L/∂x = transpose(g, argsort(axes))   (the inverse permutation)
    """

    def forward(self, x, axes):
        return x.transpose(axes)

    def backward(self, grad_out):
        return (transpose(grad_out, *np.argsort(self.settings["axes"])),)


class GetItem(Function):
    """Indexing: ints, slices, None, Ellipsis, integer or boolean arrays — numpy's rules.

    forward:  y = x[index]
    backward: ∂L/∂x = scatter_add(g, index, x.shape)   (an element picked twice gets both)
    """

    def forward(self, x, index):
        return x[index]

    def backward(self, grad_out):
        # ScatterAdd.apply rather than scatter_add: the shapes fit by construction (no checks).
        return (
            ScatterAdd.apply(grad_out, index=self.settings["index"], shape=self.inputs[0].shape),
        )


class ScatterAdd(Function):
    """Add g into a zero tensor of `shape` at `index` (repeated indices accumulate).

    forward:  y = zeros(shape);  y[index] += g
    backward: ∂L/∂g = (∂L/∂y)[index]          (its adjoint is getitem)
    """

    def forward(self, g, index, shape):
        y = np.zeros(shape, dtype=g.dtype)
        if _is_basic(index):
            y[index] = g  # basic indices never repeat an element: a plain assignment
        else:
            np.add.at(y, index, g)
        return y

    def backward(self, grad_out):
        return (getitem(grad_out, self.settings["index"]),)


class Concat(Function):
    """Join tensors along an existing axis.

    forward:  y = concatenate(x₁, …, x_m, axis)
    backward: ∂L/∂xᵢ = the slice of g that xᵢ filled
    """

    def forward(self, *arrays, axis):
        return np.concatenate(arrays, axis=axis)

    def backward(self, grad_out):
        axis = self.settings["axis"]
        grads, start = [], 0
        for x in self.inputs:
            index = (slice(None),) * axis + (slice(start, start + x.shape[axis]),)
            grads.append(getitem(grad_out, index))
            start += x.shape[axis]
        return tuple(grads)


class Pad(Function):
    """Surround the input with zeros.

    forward:  y = x with pad_width[i] = (before_i, after_i) zeros added on axis i
    backward: ∂L/∂x = crop(∂L/∂y, pad_width)   (padding only copies x, so its adjoint crops)
    """

    def forward(self, x, pad_width):
        # np.pad would allocate a fresh array every step; buffers.empty reuses a large one.
        shape = [size + before + after for size, (before, after) in zip(x.shape, pad_width)]
        y = buffers.empty(shape, x.dtype)
        y.fill(0)
        y[_inner(y.shape, pad_width)] = x
        return y

    def backward(self, grad_out):
        return (crop(grad_out, self.settings["pad_width"]),)


class Crop(Function):
    """Remove pad_width[i] = (before_i, after_i) elements from the two ends of each axis.

    forward:  y = x[before_0 : n_0 − after_0, …]
    backward: ∂L/∂x = pad(∂L/∂y, pad_width)    (its adjoint puts the zeros back)
    """

    def forward(self, x, pad_width):
        return x[_inner(x.shape, pad_width)]

    def backward(self, grad_out):
        return (pad(grad_out, self.settings["pad_width"]),)


def _inner(shape, pad_width):
    """The slices that select the original tensor inside a padded one of `shape`.

    Written `before : n − after` rather than `before : −after`, which breaks when after = 0.
    """
    return tuple(slice(before, n - after) for n, (before, after) in zip(shape, pad_width))


def _is_basic(index):
    """True when `index` uses only ints, slices, None and Ellipsis (no array indexing)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(
        isinstance(part, numbers.Integral | slice) or part is None or part is Ellipsis
        for part in parts
    )


def _plain_index(index):
    """An index with lists made arrays, as numpy reads them (an empty list picks nothing, so it
    becomes an empty integer array), and numpy arrays copied; a Tensor is refused."""
    if isinstance(index, tuple):
        return tuple(_plain_index(part) for part in index)
    if isinstance(index, Tensor):
        raise TypeError(
            "Indexing with a Tensor is ambiguous: Tensors hold floats, so a mask and a list of "
            "indices look alike. Index with a numpy array instead: x[mask.data > 0] for a "
            "mask, x[np.asarray(indices, dtype=int)] for positions."
        )
    if isinstance(index, list):
        return np.asarray(index, dtype=np.intp) if not index else np.asarray(index)  # [] → ints
    if isinstance(index, np.ndarray):
        return index.copy()  # backward scatters with it: the caller may reuse its array meanwhile
    return index


def tensor_input(x):
    """x as a Tensor: an array, list or number is wrapped (a constant, as element-wise ops do),
    so every op takes what numpy takes."""
    return x if isinstance(x, Tensor) else Tensor._wrap(as_array(x), False, None)


def is_int(value):
    """An int (numpy's included), not a bool: True is not a size, an axis or a count of 1.
    The one test of every argument that must be a whole number."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def normalize_axis(axis, ndim, op):
    """`axis` (negatives count from the end) as an int in [0, ndim), or an error naming `op`."""
    if type(axis) is not int and not is_int(axis):  # (the first test is the fast one)
        raise TypeError(f"{op}: an axis is an int (negatives count from the end); got {axis!r}.")
    if not -ndim <= axis < ndim:
        valid = f"valid: {-ndim} … {ndim - 1}" if ndim else "a 0-d tensor has no axes"
        raise ValueError(
            f"{op}: axis {axis!r} is out of range for a tensor with {ndim} axes ({valid})."
        )
    return int(axis) % ndim


def shape_argument(shape, op):
    """`shape` (an int, or a sequence of ints as numpy takes) as a tuple of ints, or a TypeError
    naming `op`: a size of 2.9 is refused, not cut to 2 as int() would."""
    if is_int(shape):
        return (int(shape),)
    try:
        sizes = tuple(shape)
    except TypeError:
        sizes = None
    if sizes is None or not all(is_int(n) for n in sizes):
        raise TypeError(f"{op}: a shape is an int or a sequence of ints; got {shape!r}.")
    return tuple(int(n) for n in sizes)


def reshape(x, *shape):
    """x with a new shape (same elements, row-major order); one entry may be -1.

    >>> reshape(Tensor([1.0, 2.0, 3.0, 4.0]), 2, 2)
    Tensor([[1., 2.],
            [3., 4.]])
    """
    x = tensor_input(x)
    if len(shape) == 1 and not isinstance(shape[0], numbers.Integral):
        shape = shape[0]
    shape = shape_argument(shape, "reshape")
    if shape == x.shape:
        return x
    return Reshape.apply(x, shape=shape)


def vect(x):
    """The notes' vect: flatten every axis into one, of size ∏ sᵢ (row-major order).

    >>> vect(Tensor(np.zeros((2, 3, 4)))).shape
    (24,)
    """
    return reshape(x, -1)


def unvect(a, shape):
    """The notes' unvect: the inverse of vect, back to `shape` (for example (h', w', c')).

    >>> unvect(Tensor(np.arange(6.0)), (1, 2, 3)).shape
    (1, 2, 3)
    """
    a, shape = tensor_input(a), shape_argument(shape, "unvect")
    if a.ndim != 1 or a.shape[0] != int(np.prod(shape)):
        raise ValueError(
            f"unvect: expected a vector of {int(np.prod(shape))} elements for shape {shape}; got "
            f"shape {a.shape}. For a batch of vectors use nn.Unvect or x.reshape(n, *shape)."
        )
    return reshape(a, shape)


def transpose(x, *axes):
    """Permute the axes of x (reverse them when no axes are given).

    >>> transpose(Tensor(np.zeros((2, 3, 4))), 2, 0, 1).shape
    (4, 2, 3)
    """
    x = tensor_input(x)
    if len(axes) == 1 and not isinstance(axes[0], numbers.Integral):
        axes = axes[0]
    if not axes:
        axes = tuple(range(x.ndim))[::-1]
    axes = tuple(normalize_axis(a, x.ndim, "transpose") for a in axes)
    if sorted(axes) != list(range(x.ndim)):
        raise ValueError(
            f"transpose: axes {axes} are not a permutation of the {x.ndim} axes of a tensor "
            f"of shape {x.shape}."
        )
    return Transpose.apply(x, axes=axes)


def getitem(x, index):
    """x[index] with numpy's rules (ints, slices, negative indices, integer arrays).

    >>> getitem(Tensor([1.0, 2.0, 3.0]), [0, 0, 2])
    Tensor([1., 1., 3.])
    """
    x = tensor_input(x)
    try:
        return GetItem.apply(x, index=_plain_index(index))
    except IndexError as error:  # an IndexError still: iteration over rows stops on it
        raise IndexError(f"getitem: {error} (a tensor of shape {x.shape}).") from None


def scatter_add(g, index, shape):
    """A zero tensor of `shape` with g added at `index` (the adjoint of getitem).

    >>> scatter_add(Tensor([1.0, 1.0]), np.array([0, 0]), (2,))
    Tensor([2., 0.])
    """
    g, index, shape = tensor_input(g), _plain_index(index), shape_argument(shape, "scatter_add")
    try:
        picked = np.empty(shape, dtype=bool)[index].shape  # what x[index] gives for x ~ shape
    except IndexError as error:
        raise IndexError(f"scatter_add: index does not fit shape {shape}: {error}.") from None
    if g.shape != picked:
        raise ValueError(
            f"scatter_add: g has shape {g.shape}, but a tensor of shape {shape} indexed by "
            f"this index has shape {picked}; g must have that shape (one value per element "
            "picked)."
        )
    return ScatterAdd.apply(g, index=index, shape=shape)


def _check_axis_is_no_tensor(op, axis):
    """Refuse op(a, b), where the second tensor would be taken for the axis."""
    if isinstance(axis, Tensor):
        raise TypeError(
            f"{op} takes the tensors as one list, then the axis: mg.{op}([a, b], axis=0); got "
            "a Tensor as the axis."
        )


def concat(tensors, axis=0):
    """Join tensors along an existing axis.

    >>> concat([Tensor([1.0]), Tensor([2.0, 3.0])])
    Tensor([1., 2., 3.])
    """
    _check_axis_is_no_tensor("concat", axis)
    tensors = tuple(tensor_input(t) for t in tensors)
    if not tensors:
        raise ValueError("concat needs at least one tensor.")
    if tensors[0].ndim == 0:
        raise ValueError("concat joins along an existing axis; got 0-d tensors (use stack).")
    return Concat.apply(*tensors, axis=normalize_axis(axis, tensors[0].ndim, "concat"))


def stack(tensors, axis=0):
    """Join tensors of equal shape along a new axis (composed: reshape each, then concat).

    >>> stack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])], axis=1)
    Tensor([[1., 3.],
            [2., 4.]])
    """
    _check_axis_is_no_tensor("stack", axis)
    tensors = tuple(tensor_input(t) for t in tensors)
    if not tensors:
        raise ValueError("stack needs at least one tensor.")
    shape = tensors[0].shape
    for t in tensors:
        if t.shape != shape:
            raise ValueError(f"stack needs tensors of equal shape; got {shape} and {t.shape}.")
    axis = normalize_axis(axis, len(shape) + 1, "stack")
    expanded = shape[:axis] + (1,) + shape[axis:]
    return concat([reshape(t, expanded) for t in tensors], axis=axis)


def pad_width_for(x, k, op="pad"):
    """numpy-style pad_width for x: an int k pads h and w of (..., h, w, c); pairs pass through."""
    if isinstance(k, numbers.Integral):
        if isinstance(k, bool) or k < 0:  # (True is not a width of 1)
            raise ValueError(f"{op}: k must be an int ≥ 0 (k zeros around h and w); got {k!r}.")
        if x.ndim < 3:
            raise ValueError(
                f"{op}: an int k pads the h and w axes of an image (..., h, w, c); got shape "
                f"{x.shape}. Add a channel axis (x.reshape(h, w, 1)) or give one "
                "(before, after) pair per axis."
            )
        return ((0, 0),) * (x.ndim - 3) + ((k, k), (k, k), (0, 0))
    try:
        pairs = tuple(tuple(pair) for pair in k)
    except TypeError:
        pairs = ()  # not a sequence of pairs: reported below
    if (
        len(pairs) != x.ndim
        or any(len(p) != 2 or not all(is_int(v) for v in p) for p in pairs)
        or any(min(p) < 0 for p in pairs)
    ):
        raise ValueError(
            f"{op}: k must be an int (k zeros around h and w) or one (before, after) pair of "
            f"non-negative ints per axis — {x.ndim} pairs for shape {x.shape}; got {k!r}."
        )
    return tuple((int(before), int(after)) for before, after in pairs)


def pad(x, k):
    """Zero-padding: an int k adds k zeros on each side of h and w of x ~ (..., h, w, c);
    a sequence of (before, after) pairs, one per axis, pads any axes (as numpy.pad).

    >>> pad(Tensor(np.ones((2, 2, 1), dtype=np.float32)), 1)[..., 0]
    Tensor([[0., 0., 0., 0.],
            [0., 1., 1., 0.],
            [0., 1., 1., 0.],
            [0., 0., 0., 0.]])
    """
    x = tensor_input(x)
    return Pad.apply(x, pad_width=pad_width_for(x, k))


def crop(x, k):
    """Remove what pad(x, k) added: the adjoint of pad.

    >>> crop(Tensor(np.ones((4, 4, 1))), 1).shape
    (2, 2, 1)
    """
    x = tensor_input(x)
    pad_width = pad_width_for(x, k, op="crop")
    for axis, (size, (before, after)) in enumerate(zip(x.shape, pad_width)):
        if before + after > size:
            raise ValueError(
                f"crop: cannot remove {before}+{after} elements from axis {axis}, of size {size} "
                f"(x has shape {x.shape}); crop takes away at most what pad(x, k) added."
            )
    return Crop.apply(x, pad_width=pad_width)
