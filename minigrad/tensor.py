"""Tensor: a numpy array, its gradient, and the node of the graph that produced it.

Operators and methods are thin: each one calls a function of `minigrad.ops`, which applies
a primitive `Function` (or composes several). Where the function's checks are not needed, the
op's `Function.apply` is called directly: exp, log, relu, tanh and sigmoid of self, and `+ - * /`
with an exact Tensor on the right, which run at every step. (A Parameter on the right, such as
the bias in x @ W + b, goes through the function.)"""

import numpy as np

DEFAULT_DTYPE = np.float32

# Types np.asarray always turns into a new array (exact types: a subclass may define __array__).
_FRESH_SOURCES = frozenset({float, int, bool, list, tuple})


def as_array(data, dtype=None):
    """Convert `data` to a float numpy array following minigrad's dtype rules.

    Python numbers and lists become float32; numpy float arrays keep their dtype; integers
    and booleans become float32; strings, objects and complex numbers are refused.
    """
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"Tensor dtype must be a float type such as float32; got {dtype}.")
    if isinstance(data, np.ndarray | np.generic):
        if isinstance(data, np.ma.MaskedArray):  # np.asarray would drop the mask silently
            raise TypeError(
                "Tensor data cannot be a masked array: a tensor has no mask, and its masked "
                "entries would count as values. Fill them first, m.filled(0.0), or keep the "
                "mask as a float array and multiply by it (x * mask keeps the gradient where "
                "mask is 1)."
            )
        array = np.asarray(data)
        if array.dtype.kind == "f":
            return array if dtype is None else array.astype(dtype, copy=False)
    else:
        if isinstance(data, list | tuple) and _holds_a_graph_tensor(data):
            raise TypeError(
                "mg.Tensor of a list holding tensors that require grad would copy their values "
                "and cut them out of the graph: they would get no gradient. Use mg.stack([a, b]) "
                "to make one tensor of them through the graph (mg.concat joins them along an "
                "axis); for the values alone, mg.Tensor([a.data, b.data])."
            )
        try:
            array = np.asarray(data)
        except ValueError as error:
            raise TypeError(
                f"Tensor data must be numeric and rectangular (a number, a nested list of "
                f"equal-length rows, or a numpy array); got {type(data).__name__}: {error}"
            ) from None
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"Tensor data must be numeric; got {type(data).__name__} with numpy dtype "
            f"{array.dtype}. Convert it with float(...) or np.asarray(..., dtype=float) first."
        )
    return array.astype(dtype or DEFAULT_DTYPE, copy=False)


def _holds_a_graph_tensor(rows):
    """Whether nested lists or tuples hold a Tensor that requires grad (a loop, not recursion)."""
    stack = [rows]
    while stack:
        for value in stack.pop():
            if value.__class__ is float or value.__class__ is int:
                continue
            if isinstance(value, list | tuple):
                stack.append(value)
            elif isinstance(value, Tensor) and value.requires_grad:
                return True
    return False


def _comparison_error(symbol):
    """The error for `x < y` on tensors: compare their arrays instead."""
    return TypeError(
        f"tensors are not compared with {symbol}: no gradient flows through a comparison. "
        f"Compare their values, numpy arrays: x.data {symbol} 0 gives a boolean array "
        f"(x * (x.data {symbol} 0) then keeps the gradient where it holds)."
    )


# numpy's ufuncs of Python's operators: `array <op> tensor` calls the tensor's reflected method.
_OPERATORS = {
    "add": ("+", "__radd__"),
    "subtract": ("-", "__rsub__"),
    "multiply": ("*", "__rmul__"),
    "divide": ("/", "__rtruediv__"),
    "true_divide": ("/", "__rtruediv__"),  # (np.divide's name in numpy 1.x)
    "power": ("**", "__rpow__"),
    "matmul": ("@", "__rmatmul__"),
}
# numpy's ufuncs of Python's operators that tensors do not have (`x % 2` is Python's TypeError).
_NO_OPERATOR = {
    "remainder": "%",
    "floor_divide": "//",
    "divmod": "divmod",
    "bitwise_and": "&",
    "bitwise_or": "|",
    "bitwise_xor": "^",
    "left_shift": "<<",
    "right_shift": ">>",
}
# A comparison is named as Python names 0 < x, by the tensor's reflected operator (>): the
# error's example, x.data > 0, then says what was written.
_COMPARISONS = {"less": ">", "less_equal": ">=", "greater": "<", "greater_equal": "<="}
# What keeps the graph where numpy's function would not (mg.<name> covers exp, log, tanh, …).
_INSTEAD = {
    "negative": "-x",
    "maximum": "mg.relu(x) for max(x, 0)",
    "sqrt": "x ** 0.5",
    "square": "x ** 2",
    "reciprocal": "1 / x",
}


def _ufunc_error(ufunc, method, inputs, kwargs):
    """The error for a numpy ufunc given a Tensor (np.exp(x), array -= tensor, …): the op that
    keeps the graph, or the array for the values alone."""
    name = ufunc.__name__
    if name in _COMPARISONS and method == "__call__":
        return _comparison_error(_COMPARISONS[name])
    call = f"np.{name}" if method == "__call__" else f"np.{name}.{method}"
    # (x % a, with the array on the right, comes here too: the tensor has no %, the array's
    # reflected % calls np.remainder(x, a))
    one_tensor = len(inputs) == 2 and isinstance(inputs[0], Tensor) != isinstance(inputs[1], Tensor)
    if method == "__call__" and name in _NO_OPERATOR and one_tensor and "out" not in kwargs:
        symbol = _NO_OPERATOR[name]
        a, x = ("x", "a") if isinstance(inputs[0], Tensor) else ("a", "x")
        written = f"{symbol}({a}, {x})" if symbol == "divmod" else f"{a} {symbol} {x}"
        values = (  # (numpy has no bitwise operators of floats)
            "numpy's floats have none either"
            if name.startswith(("bitwise", "left", "right"))
            else f"for the values alone use the tensor's array, {written.replace('x', 'x.data')}"
        )
        return TypeError(  # (named both ways: np.remainder(a, x) by name comes here too)
            f"{written} (np.{name}) with a Tensor x: tensors have no {symbol} (no op of minigrad "
            f"computes it, nor its gradient); {values}."
        )
    if "out" in kwargs and name in _OPERATORS:  # array -= tensor: numpy would write into it
        symbol = _OPERATORS[name][0]
        return TypeError(
            f"array {symbol}= tensor: numpy cannot write a Tensor into an array. Use the "
            f"tensor's array on the right, as in a step by hand: w.data -= lr * w.grad.data."
        )
    if method == "reduce" and name in ("add", "maximum"):
        op = {"add": "sum", "maximum": "max"}[name]
        instead = f"x.{op}(axis=…)"
    elif method == "__call__" and name in _OPERATORS:
        instead = f"the operator {_OPERATORS[name][0]} on the tensors"
    elif method == "__call__" and name in _INSTEAD:
        instead = _INSTEAD[name]
    elif method == "__call__" and hasattr(_package(), name):
        instead = f"mg.{name}(x)"
    else:
        instead = "minigrad's ops (operators, mg.exp, mg.log, mg.tanh, mg.relu, x.sum(), …)"
    values = ", ".join("x.data" if isinstance(v, Tensor) else "…" for v in inputs)
    return TypeError(
        f"{call} was given a Tensor, and numpy's functions take arrays: the result would "
        f"leave the graph. To keep the gradient use {instead}; for the values alone give "
        f"numpy the array, {call}({values})."
    )


# numpy's functions (not ufuncs) whose result keeps the graph when written with minigrad's ops.
_FUNCTIONS_INSTEAD = {
    "dot": "the operator @ (x @ w)",
    "matmul": "the operator @ (x @ w)",
    "inner": "the operator @ (x @ w)",
    "sum": "x.sum(axis=…)",
    "mean": "x.mean(axis=…)",
    "max": "x.max(axis=…)",
    "min": "-(-x).max(axis=…)",
    "concatenate": "mg.concat([x, y], axis=…)",
    "ravel": "x.reshape(-1), or x.vect() for the notes' vect",
    "norm": "(x * x).sum() ** 0.5",
    "where": "a mask, x * mask, with a boolean array made from the values (x.data > 0)",
    "squeeze": "x.reshape(…)",
    "expand_dims": "x.reshape(…)",
}


# numpy 1.x's own names of functions that np.max, np.min and np.round call (both name them).
_NUMPY_1_NAMES = {"amax": "max", "amin": "min", "round_": "round", "around": "round"}


def _function_error(func, args, kwargs, tensors):
    """The error for a numpy function (not a ufunc) whose floats would leave the graph: the
    ops that keep it, or the arrays for the values alone."""
    name = func.__name__
    name = _NUMPY_1_NAMES.get(name, name)
    module = getattr(func, "__module__", None) or "numpy"  # numpy, numpy.linalg, numpy._core…
    public = module.startswith("numpy.") and not module.startswith(("numpy._", "numpy.core"))
    call = ("np." + module[len("numpy.") :] if public else "np") + "." + name  # np.linalg.norm
    instead = _FUNCTIONS_INSTEAD.get(name)
    if instead is None and hasattr(_package(), name):
        instead = f"mg.{name}(…)"
    if instead is None:
        instead = "minigrad's ops (operators, x.sum(), x.reshape(…), mg.concat, …)"
    names = [t.name for t in tensors if t.requires_grad and isinstance(t.name, str)]
    which = f"{names[0]!r}" if names else "the tensor"
    letters, unnamed = {}, iter("xyzuvabcdefghijklmnopqrst")
    for tensor in tensors:  # what the message calls each tensor: its name, or x, y, z, …
        if id(tensor) not in letters:
            named = isinstance(tensor.name, str) and tensor.name.isidentifier()
            letters[id(tensor)] = tensor.name if named else next(unnamed, "t")
    values = [_as_values(value, letters) for value in args] + ["…"] * bool(kwargs)  # (axis=…)
    values = ", ".join(values)
    return TypeError(
        f"{call} was given a Tensor that requires grad, and numpy's functions take arrays: its "
        f"result would leave the graph, and no gradient would reach {which} through it. To "
        f"keep the gradient use {instead}; for the values alone give numpy the arrays, "
        f"{call}({values})."
    )


def _as_values(value, letters):
    """How an argument reads with each tensor replaced by its array (x.data), for an error."""
    if isinstance(value, Tensor):
        return f"{letters[id(value)]}.data"
    if isinstance(value, list | tuple):  # (as _arrays_in opens them)
        inside = ", ".join(_as_values(v, letters) for v in value)
        return f"[{inside}]" if isinstance(value, list) else f"({inside})"
    return "…"


def _arrays_in(value, tensors):
    """`value` with each Tensor in it (in lists, tuples and dicts too) replaced by its array;
    the tensors are appended to `tensors`."""
    if isinstance(value, Tensor):
        tensors.append(value)
        return value.data
    if isinstance(value, list | tuple):  # (a namedtuple too: a Tensor left in it would bring
        arrays = [_arrays_in(v, tensors) for v in value]  # numpy back here without end)
        return arrays if isinstance(value, list) else tuple(arrays)
    if value.__class__ is dict:
        return {key: _arrays_in(v, tensors) for key, v in value.items()}
    return value


def _holds_floats(result):
    """Whether a numpy function's result holds floats (an array, a scalar, or a tuple of them,
    such as np.linalg.svd's named tuple)."""
    if isinstance(result, list | tuple):
        return any(_holds_floats(value) for value in result)
    if isinstance(result, np.ndarray | np.generic):
        return result.dtype.kind in "fc"
    return isinstance(result, float | complex)


# numpy's functions whose result takes only the shape and dtype of the tensor, not its values.
_SHAPE_ONLY = frozenset({"empty_like", "zeros_like", "ones_like", "full_like"})


# numpy's functions that write into their first argument (np.copyto(w, values)).
_WRITE_INTO_FIRST = frozenset(
    {"copyto", "fill_diagonal", "place", "put", "put_along_axis", "putmask"}
)


def _out_error(func):
    """The error for a Tensor that a numpy function would write into (out=, np.copyto's first
    argument): a tensor's values change through its array, and one in a graph not at all."""
    return TypeError(
        f"np.{func.__name__} would write into a Tensor: change a tensor's values through its "
        f"array, as a step by hand does (out=w.data, np.{func.__name__}(w.data, …)), and never "
        "those of a tensor in a graph (its backward reads them); minigrad's ops make new tensors."
    )


def _package():
    """minigrad itself, whose functions the error above names (imported when an error is made:
    the package imports this module)."""
    import minigrad

    return minigrad


class _Released:
    """The shape and dtype of values backward released, as a pickled tensor keeps them."""

    def __init__(self, shape, dtype):
        self.shape, self.dtype = shape, dtype


class Tensor:
    """An n-dimensional array that remembers how it was computed, for reverse-mode autodiff.

    `data` is the numpy array, `grad` the Tensor ∂L/∂self (None until a backward reaches it),
    `grad_fn` the `Function` node that produced it (None for leaves).

    >>> import minigrad as mg
    >>> x = mg.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> loss = (x * x).sum()
    >>> loss.backward()
    >>> x.grad
    Tensor([2., 4., 6.])
    """

    __slots__ = ("__weakref__", "_retains_grad", "data", "grad", "grad_fn", "name", "requires_grad")

    def __init__(self, data, requires_grad=False, dtype=None, name=None):
        array = as_array(data, dtype)
        # Training updates .data in place, so it must never be memory the caller holds. An
        # array is copied if it shares memory; numbers, lists, tuples and numpy scalars always
        # convert to a fresh array; anything else (array.array, memoryview, an object whose
        # __array__ returns its own array) may hand over its memory, so it is copied.
        source = data.data if isinstance(data, Tensor) else data
        if isinstance(source, np.ndarray):
            shared = np.may_share_memory(array, source)
        else:
            shared = type(source) not in _FRESH_SOURCES and not isinstance(source, np.generic)
        if shared:
            array = array.copy()
        self.data = array
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.grad_fn = None
        self.name = name
        self._retains_grad = False

    @classmethod
    def _wrap(cls, data, requires_grad, grad_fn):
        """Fast constructor for the engine: `data` is already a float ndarray."""
        tensor = object.__new__(cls)
        tensor.data = data
        tensor.grad = None
        tensor.requires_grad = requires_grad
        tensor.grad_fn = grad_fn
        tensor.name = None
        tensor._retains_grad = False
        return tensor

    # ---- what it is -------------------------------------------------------------------------
    @property
    def shape(self):
        """The shape of `data`, a tuple."""
        try:
            return self.data.shape
        except AttributeError:  # .data assigned by hand (a list, say)
            raise data_error(self, "shape") or AttributeError("shape") from None

    @property
    def ndim(self):
        """The number of axes."""
        try:
            return self.data.ndim
        except AttributeError:  # .data assigned by hand (a list, say)
            raise data_error(self, "ndim") or AttributeError("ndim") from None

    @property
    def dtype(self):
        """The numpy dtype of `data`."""
        try:
            return self.data.dtype
        except AttributeError:  # .data assigned by hand (a list, say)
            raise data_error(self, "dtype") or AttributeError("dtype") from None

    @property
    def size(self):
        """The number of elements."""
        try:
            return self.data.size
        except AttributeError:  # .data assigned by hand (a list, say)
            raise data_error(self, "size") or AttributeError("size") from None

    @property
    def is_leaf(self):
        """True when no recorded op made it (no `grad_fn`): a tensor made by the user, or a result
        computed without a graph (no input required grad, or under no_grad). Backward stores the
        gradient of a leaf that requires grad in its `.grad`."""
        return self.grad_fn is None

    def __len__(self):
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor: it has no axis to count (use .item()).")
        return len(self.data)

    def __iter__(self):
        """The rows x[0], x[1], … (each through the graph, as x[i] is)."""
        return (self[i] for i in range(len(self)))

    def __bool__(self):
        """The truth of a one-element tensor, as numpy's: `if loss:`; ambiguous otherwise."""
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor of shape {self.shape} is ambiguous; reduce it "
                "first, for example (x.data > 0).any() or (x.data > 0).all()."
            )
        return bool(self.data)

    def __float__(self):
        """float(t) of a one-element tensor, as `t.item()` (`float(loss)` in a training loop)."""
        return float(self._one_value("float()"))

    def __int__(self):
        """int(t) of a one-element tensor: its value truncated toward 0, as int(t.item())."""
        return int(self._one_value("int()"))

    # No comparisons: minigrad's tensors hold floats and no gradient flows through a comparison,
    # so `x > 0` would need a tensor of booleans. The arrays compare (`x.data > 0`, numpy
    # booleans), and == stays Python's identity, so tensors can be dict keys and list members.
    def __lt__(self, other):
        raise _comparison_error("<")

    def __le__(self, other):
        raise _comparison_error("<=")

    def __gt__(self, other):
        raise _comparison_error(">")

    def __ge__(self, other):
        raise _comparison_error(">=")

    # numpy hands every ufunc with a Tensor operand here. `array + tensor`, and the other
    # operators with an array or a numpy number on the left, go to the tensor's reflected
    # operator, as Python calls it for a number: a node of the graph. Any other ufunc is refused
    # with the op to use (np.exp(x) would otherwise give an array, without the graph).
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        name = ufunc.__name__
        if method == "__call__" and len(inputs) == 2 and inputs[1] is self and not kwargs:
            if name in ("equal", "not_equal"):  # == stays Python's identity
                return (inputs[0] is self) == (name == "equal")
            if name in _OPERATORS and not isinstance(inputs[0], Tensor):
                return getattr(self, _OPERATORS[name][1])(inputs[0])
        raise _ufunc_error(ufunc, method, inputs, kwargs)

    # numpy's other functions (np.dot, np.sum, np.concatenate, np.argmax, …) come here. They
    # run on the arrays. A result with floats computed from a tensor that requires grad is
    # refused: it would leave the graph, and that tensor would silently get no gradient through
    # it (np.dot(x, w) in a model). Other results (np.argmax(logits, axis=1), np.allclose, any
    # function of tensors that require no grad) are returned as numpy gives them.
    # (np.zeros_like(w) takes only its shape; a Tensor numpy would write into, given as out=
    # or to np.copyto, is refused before it does.)
    def __array_function__(self, func, types, args, kwargs):
        tensors = []
        _arrays_in(kwargs.get("out"), tensors)
        if func.__name__ in _WRITE_INTO_FIRST:  # (its first parameter, by position or name)
            _arrays_in([args[:1], kwargs.get("dst"), kwargs.get("a"), kwargs.get("arr")], tensors)
        if tensors:
            raise _out_error(func)
        arrays = _arrays_in(args, tensors)
        # (numpy's function without its dispatch: a Tensor left in a container the conversion
        # does not open, a deque say, is then read through np.asarray rather than sent back here)
        implementation = getattr(func, "_implementation", func)
        result = implementation(*arrays, **_arrays_in(kwargs, tensors))
        shape_only = func.__name__ in _SHAPE_ONLY
        if not shape_only and _holds_floats(result) and any(t.requires_grad for t in tensors):
            raise _function_error(func, args, kwargs, tensors)
        return result

    def __array__(self, dtype=None, copy=None):
        """np.asarray(tensor) gives its data (no graph): numpy functions see the array."""
        if dtype is not None and dtype != self.data.dtype:
            return self.data.astype(dtype)
        return self.data.copy() if copy else self.data

    def __repr__(self):
        return self._repr("Tensor", show_requires_grad=True)

    def _repr(self, kind, show_requires_grad):
        """`kind(values, extras)`; numpy lines the rows of the values up under `kind(`."""
        if autograd.is_released(self):
            body = f"<values released by backward>, shape={self.data.shape}"
        else:
            body = np.array2string(self.data, separator=", ", prefix=kind + "(")
        extras = []
        if self.data.dtype != DEFAULT_DTYPE:
            extras.append(f"dtype={self.data.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn={self.grad_fn.name}")
        elif self.requires_grad and show_requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return kind + "(" + ", ".join([body, *extras]) + ")"

    def __copy__(self):
        """copy.copy(t): a tensor with the same values, in the same memory (a shallow copy).

        A result of the graph is copied through an op of its own (a reshape to the same shape),
        so that no two tensors ever share a node: backward then sends each copy's gradient
        through its own node. A leaf's copy is a second leaf sharing its data.
        """
        if self.grad_fn is None:
            twin = type(self)._wrap(self.data, self.requires_grad, None)  # a Parameter stays one
            twin.grad = self.grad
        else:
            twin = ops.Reshape.apply(self, shape=self.data.shape)
        twin.name = self.name
        return twin

    def __getstate__(self):
        """pickle and copy.deepcopy: the attributes, with values that backward released (a
        read-only NaN placeholder, see autograd._release_value) kept as their shape and dtype.
        Written out, a placeholder became a full array of NaNs, shown as the tensor's values."""
        state = dict(getattr(self, "__dict__", {}))  # (a subclass's own attributes)
        for slot in _slots(type(self)):
            if hasattr(self, slot):
                state[slot] = getattr(self, slot)
        if autograd.is_released(self):
            state["data"] = _Released(self.data.shape, self.data.dtype)
        return state

    def __setstate__(self, state):
        if isinstance(state, tuple):  # pickled before __getstate__: (__dict__ or None, slots)
            state = {**(state[0] or {}), **(state[1] or {})}
        for attribute, value in state.items():
            if attribute == "data" and isinstance(value, _Released):
                value = autograd.released_placeholder(value.shape, value.dtype)
            setattr(self, attribute, value)

    # ---- leaving the graph ------------------------------------------------------------------
    def detach(self):
        """The same data as a new leaf that does not require grad (shares memory)."""
        return Tensor._wrap(self.data, False, None)

    def numpy(self):
        """The underlying numpy array (shared, not copied)."""
        return self.data

    def item(self):
        """The value of a one-element tensor as a Python number."""
        return self._one_value("item()")

    def _one_value(self, caller):
        if self.data.size != 1:
            raise ValueError(
                f"{caller} needs a tensor with exactly one element; this one has shape "
                f"{self.shape}. Reduce it first (for example .sum() or .mean())."
            )
        return self.data.item()

    def retain_grad(self):
        """Keep `.grad` for this intermediate tensor too (leaves always keep it)."""
        self._retains_grad = True
        return self

    def zero_grad(self):
        """Forget the accumulated gradient (`.grad` becomes None)."""
        self.grad = None

    # ---- backward ---------------------------------------------------------------------------
    def backward(self, grad=None, retain_graph=None, create_graph=False):
        """Add ∂L/∂x to `x.grad` for every leaf x in the graph, where ∂L/∂self = `grad`.

        `grad` is ∂L/∂self (a Tensor, array or number); it may be omitted when self has one
        element. The graph's saved values are freed afterwards unless `retain_graph`
        (default: `create_graph`). With `create_graph=True` the gradients get graphs of
        their own, so they can be differentiated again.
        """
        grad_root = self._check_backward("backward", grad)
        autograd.run_backward(self, grad_root, None, retain_graph, create_graph)

    def _check_backward(self, caller, grad):
        if not self.requires_grad:
            raise RuntimeError(
                f"{caller}: this tensor does not require grad, so there is no graph to go back "
                "through. Create the leaves you want gradients for with requires_grad=True "
                "(and make sure the computation did not run inside mg.no_grad()). A gradient "
                "from create_graph=True has no graph when an op's backward computed it with "
                "numpy (.data, mg.Tensor(array)) rather than Tensor ops."
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"{caller}: the gradient can only be implied for a tensor with one element; "
                    f"this one has shape {self.shape}. Reduce it to a scalar loss first (for "
                    "example y.sum() or y.mean()), or pass grad=∂L/∂y with the same shape."
                )
            return Tensor._wrap(np.ones_like(self.data), False, None)
        grad = grad if isinstance(grad, Tensor) else Tensor(as_array(grad, self.dtype))
        if grad.shape != self.shape and grad.data.size == self.data.size == 1:
            grad = Tensor._wrap(grad.data.reshape(self.data.shape), False, None)  # 2.0 for (1,)
        if grad.shape != self.shape:
            raise ValueError(
                f"{caller}: grad has shape {grad.shape} but the tensor has shape {self.shape}; "
                "they must be equal."
            )
        return grad

    # ---- operators (each line is the op it calls) -------------------------------------------
    def __add__(self, other):
        if other.__class__ is Tensor:  # an exact Tensor on the right: straight to the op (hot path)
            return ops.Add.apply(self, other)
        return ops.add(self, other)

    def __radd__(self, other):
        return ops.add(other, self)

    def __sub__(self, other):
        if other.__class__ is Tensor:  # an exact Tensor on the right: straight to the op (hot path)
            return ops.Sub.apply(self, other)
        return ops.sub(self, other)

    def __rsub__(self, other):
        return ops.sub(other, self)

    def __mul__(self, other):
        if other.__class__ is Tensor:  # an exact Tensor on the right: straight to the op (hot path)
            return ops.Mul.apply(self, other)
        return ops.mul(self, other)

    def __rmul__(self, other):
        return ops.mul(other, self)

    def __truediv__(self, other):
        if other.__class__ is Tensor:  # an exact Tensor on the right: straight to the op (hot path)
            return ops.Div.apply(self, other)
        return ops.div(self, other)

    def __rtruediv__(self, other):
        return ops.div(other, self)

    def __pow__(self, exponent):
        return ops.pow(self, exponent)

    def __rpow__(self, base):
        return ops.pow(base, self)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    def __neg__(self):
        return ops.neg(self)

    # `t += u` has no in-place op: NotImplemented makes Python compute t + u and rebind the name,
    # which is right for a result of the graph. A weight (a leaf that requires grad) would be
    # replaced, not changed, and a model or an optimizer keeps the old one: refused, as PyTorch
    # refuses an in-place op on any such leaf (an input to differentiate, as in gradcheck, too).
    def __iadd__(self, other):
        return self._augmented("+=")

    def __isub__(self, other):
        return self._augmented("-=")

    def __imul__(self, other):
        return self._augmented("*=")

    def __itruediv__(self, other):
        return self._augmented("/=")

    def __ipow__(self, other):
        return self._augmented("**=")

    def __imatmul__(self, other):
        return self._augmented("@=")

    def _augmented(self, symbol):
        if not (self.requires_grad and self.grad_fn is None):
            return NotImplemented
        raise TypeError(
            f"w {symbol} … on a weight (a leaf that requires grad) would not change it: minigrad "
            "has no in-place ops, so Python would bind the name to a new tensor while the model "
            f"and its optimizer keep the old one. Change its array instead, w.data {symbol} … "
            "with an array (a step by hand: w.data -= lr * w.grad.data, as optimizer.step() "
            "does). On an input that requires grad (gradcheck and teach.layer_matrix give your "
            f"function one), or for a new tensor, write x = x {symbol[:-1]} … instead."
        )

    def __getitem__(self, index):
        return ops.getitem(self, index)

    def __setitem__(self, index, value):
        raise TypeError(
            "tensors do not take item assignment (x[i] = v): the graph may already have read "
            "the old value, and no op records the change. Change the values in the array, "
            "x.data[i] = v (of a leaf, before the forward pass), or build a new tensor through "
            "the graph, as x * mask + v * (1 - mask) with a float array mask."
        )

    # ---- methods ----------------------------------------------------------------------------
    def sum(self, axis=None, keepdims=False):
        """Sum over `axis` (all axes when None)."""
        return ops.sum(self, axis, keepdims)

    def mean(self, axis=None, keepdims=False):
        """Mean over `axis` (all axes when None)."""
        return ops.mean(self, axis, keepdims)

    def max(self, axis=None, keepdims=False):
        """Maximum over `axis`; ties share the gradient equally."""
        return ops.max(self, axis, keepdims)

    def exp(self):
        """e ** self, element-wise."""
        return ops.Exp.apply(self)

    def log(self):
        """Natural logarithm, element-wise."""
        return ops.Log.apply(self)

    def relu(self):
        """max(self, 0), element-wise."""
        return ops.ReLU.apply(self)

    def tanh(self):
        """Hyperbolic tangent, element-wise."""
        return ops.Tanh.apply(self)

    def sigmoid(self):
        """1 / (1 + e^-self), element-wise."""
        return ops.Sigmoid.apply(self)

    def astype(self, dtype):
        """A copy in another float dtype, recorded in the graph: x.astype(np.float64)."""
        return ops.astype(self, dtype)

    def reshape(self, *shape):
        """The same elements in a new shape (one -1 is inferred): x.reshape(2, -1)."""
        return ops.reshape(self, *shape)

    def vect(self):
        """The notes' vect: flatten to one axis of size ∏ sᵢ."""
        return ops.vect(self)

    def transpose(self, *axes):
        """Permute the axes (reverse them when none are given)."""
        return ops.transpose(self, *axes)

    @property
    def T(self):
        """The transpose (axes reversed)."""
        return ops.transpose(self)

    def broadcast_to(self, shape):
        """Repeat along axes of size 1 (and new leading axes) to reach `shape`."""
        return ops.broadcast_to(self, shape)

    def pad(self, k):
        """Zero-padding: k zeros around h and w (an int), or numpy-style pairs per axis."""
        return ops.pad(self, k)

    def patches(self, k, stride=1):
        """Every patch P_k(i, j) that fits: (..., h, w, c) -> (..., h', w', s, s, c)."""
        return ops.patches(self, k, stride)


def data_error(t, where, data=None):
    """None when t.data (or `data`, about to be assigned to it) is a numpy float array, as a
    tensor's always is; otherwise the TypeError for what was assigned to .data by hand, for
    `where` (the op or optimizer that found it). (Looked at by a Parameter's .data setter, by
    optimizers, and where something failed: not on every op.)"""
    assigning = data is not None
    data = t.data if data is None else data
    if data.__class__ is np.ndarray and data.dtype.kind == "f":
        return None
    if isinstance(data, Tensor):  # w.data = w.data - lr * w.grad: .grad is a Tensor
        held, fix = "a Tensor", "assign an array: w.data = w.data - lr * w.grad.data"
    else:
        dtype = data.dtype if isinstance(data, np.ndarray) else None
        held = f"an array of {dtype}" if dtype is not None else f"a {type(data).__name__}"
        held = held.replace("a int", "an int")
        fix = "assign a float array: w.data = np.asarray(values, dtype=np.float32)"
    fix = (
        f"To change a tensor's values, {fix} (or change them in place, w.data -= lr * w.grad.data)."
    )
    if assigning:
        return TypeError(f"{where}: a tensor's .data is a numpy float array; got {held}. {fix}")
    return TypeError(
        f"{where}: {t.name or 'a tensor'}'s .data holds {held}, where a tensor keeps a numpy "
        f"float array: it was assigned by hand. {fix}"
    )


def _slots(cls):
    """What pickle and copy.deepcopy carry of a tensor of class `cls`: the slots of Tensor and
    of its subclasses (its weak references stay behind)."""
    slots = []
    for base in cls.__mro__:
        names = base.__dict__.get("__slots__", ())
        slots += [names] if isinstance(names, str) else names
    return [slot for slot in slots if slot not in ("__weakref__", "__dict__")]


from minigrad import autograd, ops
