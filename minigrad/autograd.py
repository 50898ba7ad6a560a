"""The engine: `Function` (one primitive op, forward and backward side by side), the
reverse-mode walk that `Tensor.backward` and `mg.grad` run over the graph, and last the
switches every op reads: grad mode (`no_grad`) and the module scope (which layer call made each
node, for drawings)."""

import copy
import inspect
import numbers
import sys
import weakref
from contextlib import contextmanager

import numpy as np

from minigrad import buffers


class Function:
    """One primitive op: `forward` on numpy arrays, `backward` on Tensors, side by side.

    Subclass it and apply it with `MyOp.apply(*tensors, **settings)`:

    - `forward(self, *arrays, **settings)` gets the inputs' numpy arrays and returns a numpy
      array. It may save what backward needs as attributes of `self` (the instance is the
      context of this one call).
    - `backward(self, grad_out)` gets ∂L/∂y as a Tensor and returns a tuple with one Tensor
      (or None) per tensor input: ∂L/∂xᵢ. It is written with Tensor ops, so that
      `backward(create_graph=True)` can differentiate it again.

    After `apply`, the node keeps `inputs` (the tensors), `settings` (the keyword arguments,
    shown by the graph drawer), `needs_input_grad`, `scope` (the modules whose call made it,
    outermost first, used to group a drawing by layer) and `call_ids` (a number per call in
    `scope`, so two calls of the same module can be told apart). Set `saves_output = True` to
    read the result as `self.output` in backward.
    """

    # The engine's bookkeeping lives in slots; what an op's forward saves goes to its __dict__,
    # so releasing the saved values is one dict.clear().
    __slots__ = (
        "__dict__",
        "__weakref__",
        "_output_ref",
        "call_ids",
        "inputs",
        "needs_input_grad",
        "released",
        "scope",
        "settings",
    )
    saves_output = False

    def __init_subclass__(cls, **kwargs):
        """Refuse an op with an `__init__`: `apply` makes the node without calling it (settings
        are keywords of apply, handed to forward). Checked once, when the class is defined."""
        super().__init_subclass__(**kwargs)
        if "__init__" in cls.__dict__:
            raise TypeError(
                f"{cls.__name__} defines __init__, but {cls.__name__}.apply makes the node "
                "without calling it. Pass settings as keywords instead: "
                f"{cls.__name__}.apply(x, slope=0.1) calls forward(x, slope=0.1)."
            )
        for method in ("forward", "backward"):  # PyTorch's style: @staticmethod, ctx first
            held = cls.__dict__.get(method)
            if isinstance(held, staticmethod) and _first_parameter(held.__func__) == "ctx":
                raise TypeError(
                    f"{cls.__name__}.{method} is a @staticmethod taking ctx, as PyTorch writes "
                    "it; in minigrad forward and backward are ordinary methods, and self plays "
                    f"the part of ctx: remove @staticmethod and write def {method}(self, …) (save "
                    "with self.mask = …; backward reads its inputs as self.inputs)."
                )

    @classmethod
    def apply(cls, *inputs, **settings):
        """Run `forward` on the inputs' arrays and record the node when a gradient is needed.

        Roughly: `node = cls(); y = node.forward(*[t.data for t in inputs], **settings)`; when
        grad mode is on and an input requires grad, the node keeps `inputs`, `settings` and
        `needs_input_grad` and becomes the result's `grad_fn`; otherwise the result is a plain
        Tensor. The code is that, with fast paths for one and two inputs and errors explained.
        """
        # 1. forward, on the inputs' arrays
        node = object.__new__(cls)
        # One- and two-input ops without settings (nearly all calls) skip building a list and
        # an empty keyword dict: this is the hot path of every small-tensor op, forward and
        # backward (benchmarks/, per-op overhead).
        try:
            if settings:
                _check_settings_given(cls, settings)
                data = node.forward(*[t.data for t in inputs], **settings)
            elif len(inputs) == 2:
                data = node.forward(inputs[0].data, inputs[1].data)
            elif len(inputs) == 1:
                data = node.forward(inputs[0].data)
            else:
                data = node.forward(*[t.data for t in inputs])
        except ValueError as error:
            if type(error) is not ValueError:  # a subclass (LinAlgError) keeps its type
                raise
            raise _explain(cls, inputs, error) from error
        except (AttributeError, TypeError) as error:
            _check_inputs(node, inputs)
            if isinstance(error, TypeError) and not _accepts(node, inputs, settings):
                raise _call_error(node, inputs, settings, error) from error
            raise
        if data.__class__ is not np.ndarray:
            if isinstance(data, np.generic):  # a numpy scalar, as a full reduction returns
                data = np.asarray(data)
            else:
                data = _non_array_result(cls, inputs, data)
        if data.dtype.kind != "f":
            raise TypeError(
                f"{cls.__name__}.forward returned an array of dtype {data.dtype}; forward must "
                "return floats (use .astype(x.dtype) on the result)."
            )
        # 2. does any input need a gradient? (Asked under no_grad too: it is what refuses an
        # array given as an input, whose .data forward may have read as a buffer.)
        try:
            if len(inputs) == 2:
                needs_input_grad = (inputs[0].requires_grad, inputs[1].requires_grad)
            elif len(inputs) == 1:
                needs_input_grad = (inputs[0].requires_grad,)
            else:
                needs_input_grad = tuple([t.requires_grad for t in inputs])
        except AttributeError:  # an array given as an input: its .data is a buffer numpy reads
            _check_inputs(node, inputs)
            raise
        if True not in needs_input_grad or not _state.grad_enabled:
            return _wrap(data, False, None)  # (_wrap: a Tensor without Tensor()'s checks)
        # 3. record the node: it becomes the creator (grad_fn) of the new tensor
        node.inputs = inputs
        node.settings = settings
        node.needs_input_grad = needs_input_grad
        node.scope = _state.scope
        node.call_ids = _state.call_ids
        node.released = False
        out = _wrap(data, True, node)
        if node.saves_output:
            node._output_ref = weakref.ref(out)
        return out

    @property
    def output(self):
        """The tensor this node produced (only for ops with `saves_output = True`)."""
        try:
            return self._output_ref()
        except AttributeError:
            if self.saves_output:  # read in forward, before apply records the node
                raise AttributeError(
                    f"{self.name}: self.output is the result of forward, kept once apply has "
                    "recorded the node; read it in backward (forward has the arrays)."
                ) from None
            raise AttributeError(
                f"{self.name} reads self.output, which the node keeps only for an op that "
                f"says so: set the class attribute saves_output = True in {self.name}."
            ) from None

    @property
    def name(self):
        """The op's name as shown in errors and drawings (the class name)."""
        return type(self).__name__

    def forward(self, *arrays, **settings):  # pragma: no cover - every op overrides it
        raise NotImplementedError(f"{self.name} must define forward(self, *arrays)")

    def backward(self, grad_out):  # pragma: no cover - every op overrides it
        raise NotImplementedError(f"{self.name} must define backward(self, grad_out)")

    def __init__(self, *args, **kwargs):
        """MyOp(x) makes a bare node (apply never calls this): say how an op is applied."""
        if args or kwargs:
            raise TypeError(
                f"{self.name} is applied with {self.name}.apply(x, …) (which runs forward and "
                f"records the node), not made with {self.name}(x)."
            )

    def __call__(self, *args, **kwargs):
        """An op is applied with MyOp.apply(x), which makes the node and records it."""
        raise TypeError(
            f"{self.name} is applied with {self.name}.apply(x, …) (which runs forward and "
            f"records the node), not by calling {self.name}()(x)."
        )

    def __deepcopy__(self, memo):
        """copy.deepcopy of a graph: the copied node reads the copied output (a weak reference
        would otherwise still point at the original, whose values a backward may release)."""
        clone = object.__new__(type(self))
        memo[id(self)] = clone
        for slot in _BOOKKEEPING:
            if hasattr(self, slot):
                setattr(clone, slot, copy.deepcopy(getattr(self, slot), memo))
        clone.__dict__.update(copy.deepcopy(self.__dict__, memo))
        if hasattr(self, "_output_ref"):
            output = self._output_ref()
            if output is None:
                clone._output_ref = self._output_ref  # gone already: so is the copy's
            else:
                clone._output_ref = weakref.ref(copy.deepcopy(output, memo))
        return clone

    def __getstate__(self):
        """pickle: what forward saved and the bookkeeping, with the output itself in place of
        its weak reference (which pickle cannot write); __setstate__ makes the reference again."""
        slots = {}
        for slot in _BOOKKEEPING:
            if hasattr(self, slot):
                slots[slot] = getattr(self, slot)
        if hasattr(self, "_output_ref"):
            slots["_output_ref"] = self._output_ref()  # the tensor, or None once it is gone
        return self.__dict__, slots

    def __setstate__(self, state):
        saved, slots = state
        self.__dict__.update(saved)
        for slot, value in slots.items():
            if slot == "_output_ref":
                value = _dead_reference() if value is None else weakref.ref(value)
            setattr(self, slot, value)

    def release(self):
        """Drop what forward saved (the arrays), keeping the graph's shape for drawings."""
        self.__dict__.clear()
        self.released = True


# The slots a copy or a pickle of a node carries as they are (_output_ref is a weak reference,
# made again for the copy).
_BOOKKEEPING = ("call_ids", "inputs", "needs_input_grad", "released", "scope", "settings")


class _Gone:
    """An object to point a weak reference at that is gone at once (see _dead_reference)."""


def _dead_reference():
    """A weak reference whose object no longer exists: calling it gives None, as the reference
    of a node whose output was dropped does."""
    return weakref.ref(_Gone())  # the _Gone is freed as soon as the reference is made


def _non_array_result(cls, inputs, data):
    """forward's result as an array when it is not one (a Python float takes the inputs' dtype,
    as a Python number in an expression does), or the error that says what forward returned."""
    name = cls.__name__
    for t in inputs:  # (a forward given a Tensor as .data returns what numpy made of it)
        if isinstance(t, Tensor) and (error := data_error(t, name)) is not None:
            raise error
    if data is None:
        raise TypeError(f"{name}.forward returned None: is `return` missing?")
    if isinstance(data, list) and not any(isinstance(v, np.ndarray | Tensor) for v in data):
        raise TypeError(  # (a list of numbers: numpy would make float64 of a float32 network)
            f"{name}.forward returned a list; forward returns one numpy array of its input's "
            "dtype: np.asarray(values, dtype=x.dtype)."
        )
    if isinstance(data, tuple | list):  # numpy would stack the arrays into one, or fail
        raise TypeError(
            f"{name}.forward returned a {type(data).__name__} of {len(data)}; forward returns "
            "one array (an op has one result). Save what backward needs on self (self.mask = …) "
            "instead of returning it; for two results, write two ops or return np.stack([a, b]) "
            "and index it."
        )
    if isinstance(data, float):  # a Python float (numpy's float64 scalar is an np.generic)
        arrays = [t.data for t in inputs if isinstance(t, Tensor)]
        return np.asarray(data, dtype=np.result_type(*arrays) if arrays else None)
    if isinstance(data, int):  # (bool too)
        raise TypeError(
            f"{name}.forward returned the Python {type(data).__name__} {data!r}; forward must "
            "return floats: np.asarray(value, dtype=x.dtype)."
        )
    return np.asarray(data)  # an ndarray subclass, a Tensor, a memoryview: apply checks the dtype


def _first_parameter(function):
    """The name of a function's first parameter, or None (no parameters, or no signature)."""
    try:
        parameters = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return None
    return parameters[0] if parameters else None


def _check_settings_given(cls, settings):
    """Refuse a Tensor given as a setting (a keyword of apply): forward would get the Tensor
    rather than its array, and backward gives settings no gradient, so a weight passed that way
    would silently never be trained."""
    for key, value in settings.items():
        if isinstance(value, Tensor):
            raise TypeError(
                f"{cls.__name__}.apply got a Tensor as the setting {key}=…: settings (numbers, "
                "tuples, arrays) get no gradient, so it would never be trained. Pass it by "
                f"position, as an input: {cls.__name__}.apply(x, {key}), with forward(self, x, "
                f"{key}) receiving its array and backward returning a gradient for it too (or "
                f"{key}={key}.data for its values alone)."
            )


def _check_inputs(node, inputs):
    """Raise a clear error if an op was applied to something that is not a Tensor, or to a
    Tensor whose .data was assigned something that is not a float array."""
    name = node.name
    for position, value in enumerate(inputs):
        if isinstance(value, Tensor) and (error := data_error(value, name)) is not None:
            raise error
        if not isinstance(value, Tensor):
            wrap = "To differentiate with respect to it, wrap it: mg.Tensor(value)."
            # A number (numpy's too), a string, a tuple (axes) or None after the first input:
            # most likely a setting given by position, named by forward's parameter there.
            setting = _setting_at(node, position)
            if value is None or isinstance(value, numbers.Number | str | tuple):
                hints = (
                    f"A setting goes in as a keyword: {name}.apply(x, {setting}={value!r}). {wrap}"
                )
            else:
                hints = f"{wrap} A setting goes in as a keyword: {name}.apply(x, {setting}=…)."
            raise TypeError(
                f"{name}.apply takes Tensors as inputs; input {position} is of type "
                f"{type(value).__name__}. {hints}"
            )


def _setting_at(node, position):
    """forward's name for the setting a value given to apply at `position` most likely is: the
    parameter there, or for a forward(self, *arrays, axis) its first keyword-only parameter
    ("k" when forward has none there)."""
    every = _forward_parameters(node, variadic=True)
    parameters = _forward_parameters(node)
    if any(p.kind is p.VAR_POSITIONAL for p in every):  # forward(self, *arrays, axis): Concat
        keyword_only = [p.name for p in parameters if p.kind is p.KEYWORD_ONLY]
        return keyword_only[0] if keyword_only else "k"
    return parameters[position].name if 0 < position < len(parameters) else "k"


def _forward_parameters(node, variadic=False):
    """The parameters of the node's forward (self is not one, whether forward is a method, a
    staticmethod or a numpy function), without *arrays and **settings unless `variadic`."""
    try:
        parameters = inspect.signature(node.forward).parameters.values()
    except (TypeError, ValueError):  # no signature to read (a builtin)
        return []
    if variadic:
        return list(parameters)
    return [p for p in parameters if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def _accepts(node, inputs, settings):
    """Whether forward's signature takes the inputs and settings (True when it cannot be read):
    a TypeError then came from inside forward, not from the call."""
    try:
        inspect.signature(node.forward).bind(*inputs, **settings)
    except ValueError:  # no signature to read (a builtin)
        return True
    except TypeError:
        return False
    return True


def _call_error(node, inputs, settings, error):
    """The error for a forward that could not even be called with the inputs and settings
    (a setting missing or misspelt, or one tensor too many or too few)."""
    name = node.name
    parameters = _forward_parameters(node)
    positional = [p for p in parameters if p.kind is not p.KEYWORD_ONLY]
    keyword_only = [p for p in parameters if p.kind is p.KEYWORD_ONLY]
    missing = [
        p.name
        for p in positional[len(inputs) :] + keyword_only
        if p.default is p.empty and p.name not in settings
    ]
    if missing:
        tensors = [p.name for p in positional[: len(inputs)]] or ["x"]  # ("x": forward(*arrays))
        call = ", ".join(tensors + [f"{setting}=…" for setting in missing])
        hint = (
            f"forward's {', '.join(missing)} got nothing: pass a setting to apply as a keyword, "
            f"{name}.apply({call}) (and a tensor input as one more Tensor). Give a setting its "
            "default in the lowercase function, not in forward: self.settings holds only the "
            "keywords passed to apply."
        )
    else:
        hint = (
            f"apply hands forward one array per tensor input ({len(inputs)} here), then "
            f"apply's keywords as settings ({', '.join(settings) or 'none'} here); forward "
            f"takes ({', '.join(p.name for p in parameters)})."
        )
    return TypeError(f"{name}.apply could not call forward: {error}. {hint}")


def _check_settings_read(node, error):
    """Explain a KeyError from backward reading a setting that apply was not given (forward
    took its default, which self.settings cannot hold)."""
    key = error.args[0] if error.args else None
    for parameter in _forward_parameters(node):
        defaulted = parameter.default is not parameter.empty  # (not a tensor input's name)
        if parameter.name == key and key not in node.settings and defaulted:
            raise RuntimeError(
                f"{node.name}.backward read self.settings[{key!r}], but apply was called "
                f"without {key}=, so forward used its default and self.settings holds only "
                f"the keywords given to apply ({', '.join(node.settings) or 'none'}). Give "
                f"forward's {key} no default and put it in the lowercase function: "
                f"def f(x, {key}={parameter.default!r}): return {node.name}.apply(x, "
                f"{key}={key})."
            ) from error


def _explain(cls, inputs, error):
    """Turn numpy's ValueError inside a forward into one that names the op and the shapes."""
    shapes = ", ".join(str(t.shape) for t in inputs)
    message = str(error).rstrip(".")
    if "broadcast" in message:
        hint = (
            "Element-wise ops broadcast like numpy: trailing dimensions must be equal or 1. "
            "Reshape one operand (for example x.reshape(-1, 1)) or check the layer sizes."
        )
    elif "matmul" in message or "mismatch in its core dimension" in message:
        hint = "For a @ b the last axis of a must equal the second-to-last axis of b."
    else:
        hint = ""
    return ValueError(f"{cls.__name__} got inputs of shapes {shapes}: {message}. {hint}".rstrip())


def count_uses(root):
    """How many times the graph of `root` uses each tensor that requires grad (by id), the ids
    of the arrays of every tensor the graph holds (and of the arrays those that are views
    show), and its tensors of RELEASE_MIN_BYTES or more (those whose values backward may give
    back, see `_release_value`).

    Each use sends that tensor one gradient in backward, so a tensor's gradient is complete
    once that many have arrived: then backward may go on to its node (reverse topological
    order, without sorting). A loop with an explicit stack, no recursion, so a 100 000-deep
    chain is fine. A node a previous backward released is refused here, before any gradient
    is written.
    """
    uses = {id(root): 0}
    arrays = _array_ids(root.data, set())
    large = []
    stack = [root]
    while stack:
        node = stack.pop().grad_fn
        if node is None:
            continue
        if node.released:
            raise RuntimeError(
                f"backward reached {node.name}, whose graph a previous backward "
                "already went through and freed (the values its ops saved for backward "
                "are gone). Pass retain_graph=True to the first backward() to go through the "
                "same graph again, or recompute the forward pass."
            )
        for parent in node.inputs:
            data = parent.data
            arrays.add(id(data))
            if data.base is not None:  # a view (a reshape, a slice): its memory is the base's
                arrays.add(id(data.base))
            if parent.requires_grad:
                key = id(parent)
                if key in uses:
                    uses[key] += 1
                else:
                    uses[key] = 1
                    stack.append(parent)
                    if parent.data.nbytes >= RELEASE_MIN_BYTES:
                        large.append(parent)
    return uses, arrays, large


def _array_ids(array, ids):
    """Add to `ids` the id of `array` and, for a view, of the array whose memory it shows."""
    ids.add(id(array))
    if array.base is not None:
        ids.add(id(array.base))
    return ids


def run_backward(root, grad_root, inputs=None, retain_graph=None, create_graph=False):
    """Propagate ∂L/∂root = grad_root back through the graph of `root`.

    A tensor is processed once every use of it has sent its gradient (see `count_uses`): its
    gradient is stored (a leaf) or handed to its node's backward, whose results go to the
    node's inputs. With `inputs=None` the gradients are accumulated into the `.grad` of the
    leaves (and of tensors that called `retain_grad()`); otherwise they are returned, one per
    input, and no `.grad` changes. Each node's saved arrays are released after its backward
    unless `retain_graph`; with `create_graph` the backward ops are recorded too. Tutorial 1
    (docs/tutorials/01-tensors-and-autodiff.md) shows the same walk without the bookkeeping.
    """
    if retain_graph is None:
        retain_graph = create_graph
    collect = inputs is None  # into .grad, or returned
    wanted = {} if collect else {id(t): None for t in inputs}
    # handed_out: arrays a returned or stored gradient may not be without a copy (see
    # _private): every tensor of the graph (a backward may return one of its inputs), and the
    # caller's upstream gradient.
    uses, handed_out, large = count_uses(root)
    _array_ids(grad_root.data, handed_out)
    # For `_release_value`: how many of the graph's input tuples hold each large tensor, and
    # how many references one variable here adds (measured at each call: a tracer or debugger
    # that looks at local variables adds references of its own while it runs).
    graph_uses = only_here = None  # (None: nothing to give back, as in most small graphs)
    if large and not (retain_graph or create_graph):
        graph_uses = {id(t): uses[id(t)] for t in large}
        only_here = _backward_only()
    del large  # (it holds tensors: their references are counted)
    # (Reference counts decide what may be released, see `_releasable`: while the loop runs,
    # this function holds a tensor of the graph only in the variable `tensor`. Hence the `del`
    # above and `parent = None` at the end of the loop.)
    grads = {id(root): grad_root}  # id(tensor) -> ∂L/∂tensor, summed over the uses so far
    sums = {}  # first-order sums this walk allocated: private arrays, safe to add into in place
    ready = [root]  # tensors whose every use has sent its gradient
    with _grad_mode(create_graph):
        while ready:
            tensor = ready.pop()
            node = tensor.grad_fn
            # 1. Deliver the gradient, complete now: to .grad (a leaf, or a retain_grad()
            # tensor), or to the list of requested inputs.
            grad = grads.pop(id(tensor), None)
            if grad is not None:
                if sums:
                    # It is about to be handed on (a backward may give it to several inputs):
                    # from now on it is shared, and never added into in place.
                    sums.pop(id(grad), None)
                if collect:
                    if node is None or tensor._retains_grad:
                        _accumulate(tensor, grad, create_graph, handed_out)
                elif id(tensor) in wanted:
                    wanted[id(tensor)] = _private(grad, tensor.data.dtype, create_graph, handed_out)
            if node is None:
                continue
            if graph_uses is not None and node.released:
                # A second tensor of one node, only possible by hand (Tensor._wrap(data, True,
                # node)): `_releasable`'s counts assume one tensor per node, so stop releasing.
                graph_uses = None
            # Every op that reads this tensor's value has run (but its own, when it saves its
            # output): give the array back if only the graph holds the tensor. Before the node's
            # backward, so that the gradients it makes can reuse the memory; just after it when
            # that backward reads its own output. (The root is never in graph_uses: count_uses
            # lists inputs of nodes only.)
            release = graph_uses is not None and tensor.data.nbytes >= RELEASE_MIN_BYTES
            if release and not node.saves_output and _releasable(tensor, graph_uses, only_here):
                _release_value(tensor)
            # 2. The chain rule through the node: its backward gives one gradient per input.
            if grad is None:  # no gradient reached it (a backward returned None): pass on
                input_grads = (None,) * len(node.inputs)
            else:
                try:
                    input_grads = node.backward(grad)
                except KeyError as error:
                    _check_settings_read(node, error)
                    raise
                if input_grads.__class__ is not tuple or len(input_grads) != len(node.inputs):
                    raise _contract_error(node, input_grads)
            if not retain_graph:
                node.release()  # walked through, with or without a gradient
            if release and node.saves_output and _releasable(tensor, graph_uses, only_here):
                _release_value(tensor)
            # 3. Send each input its share; an input is ready when all its uses have sent.
            for parent, parent_grad in zip(node.inputs, input_grads):
                if not parent.requires_grad:
                    continue
                key = id(parent)
                if parent_grad is not None:
                    if (
                        parent_grad.__class__ is not Tensor
                        or parent_grad.data.shape != parent.data.shape
                    ):
                        _check_gradient(node, parent, parent_grad, input_grads)
                    previous = grads.get(key)
                    if previous is None:
                        grads[key] = parent_grad
                    elif id(previous) in sums and previous.data.dtype == parent_grad.data.dtype:
                        np.add(previous.data, parent_grad.data, out=previous.data)
                    else:
                        total = grads[key] = previous + parent_grad
                        if not create_graph:
                            sums[id(total)] = total
                left = uses[key] - 1  # uses of `parent` whose gradient has not arrived yet
                if left:
                    uses[key] = left
                else:
                    ready.append(parent)
            parent = None  # (`_release_value` counts the references to the next tensor)
        if collect:
            return None
        # An input listed twice gets a copy the second time (a gradient of its own).
        returned, seen = [], set()
        for t in inputs:
            grad = wanted[id(t)]
            if grad is not None and id(t) in seen:
                grad = _private(grad, t.data.dtype, create_graph, handed_out)
            seen.add(id(t))
            returned.append(grad)
    return tuple(returned)


RELEASE_MIN_BYTES = 1 << 19  # smaller values stay: they cost little, and drawings show them


def _releasable(tensor, graph_uses, only_here):
    """Whether backward may let go of this large intermediate tensor's array (see
    `_release_value`): it did not ask to keep its gradient, and nothing holds it but the
    graph's input tuples (`graph_uses[id(tensor)]` of them) and run_backward's variable
    (`only_here` is what `_references_beyond` reports then)."""
    graph_references = graph_uses.get(id(tensor))
    if graph_references is None or tensor._retains_grad:
        return False
    return _references_beyond(tensor, graph_references) == only_here


def _references_beyond(tensor, graph_references):
    """The references to `tensor` beyond the graph's, as counted through this call."""
    return sys.getrefcount(tensor) - graph_references


# sys.getrefcount also counts each frame an object passes through, a number that differs
# between Python versions and under debuggers. So rather than a constant, a probe object is sent
# down the same calls as a real tensor and its count is compared. A change to the call path here
# only turns releasing off (the tests notice); it can never release a tensor someone holds.
def _backward_only():
    """What `_references_beyond` reports, called from `_releasable`, for an object that only
    one variable of run_backward holds: measured through calls of the same shape (the count
    differs between Python versions)."""
    probe = object()  # run_backward's variable `tensor`
    return _as_releasable_counts(probe)


def _as_releasable_counts(tensor):  # `_releasable`'s argument
    return _references_beyond(tensor, 0)


def _release_value(tensor):
    """Let go of the array of an intermediate tensor that only the graph holds.

    Backward (without retain_graph) calls it once every op that reads the tensor's value has
    run, when `_releasable` says no variable, list or module holds the tensor. Its `data`
    becomes a read-only NaN placeholder of the same shape and dtype (drawings still show the
    graph), and the array goes back to numpy, or to the pool of reused arrays for the rest of
    the step. That is what brings a conv step's peak memory down close to the plain numpy
    one's (benchmarks/, W2 memory). A tensor someone holds is never touched.
    """
    tensor.data = released_placeholder(tensor.data.shape, tensor.data.dtype)


_NAN = {}  # dtype -> a 0-d NaN array, the one element every placeholder of that dtype shows


def released_placeholder(shape, dtype):
    """A read-only array of `shape` and `dtype` that shows NaN everywhere and takes no memory."""
    dtype = np.dtype(dtype)
    nan = _NAN.get(dtype)
    if nan is None:
        nan = _NAN[dtype] = np.full((), np.nan, dtype)
        nan.flags.writeable = False
    return np.broadcast_to(nan, shape)


def is_released(tensor):
    """True when backward gave this intermediate tensor's values back (see `_release_value`)."""
    base = tensor.data.base
    return base is not None and base is _NAN.get(tensor.data.dtype)


def _check_gradient(node, parent, parent_grad, input_grads):
    """Refuse a gradient that is not a Tensor of its input's shape (the backward contract).

    (A Tensor subclass of the right shape passes.)"""
    if not isinstance(parent_grad, Tensor):
        raise _contract_error(node, input_grads)
    if parent_grad.data.shape != parent.data.shape:
        raise RuntimeError(
            f"{node.name}.backward returned a gradient of shape {parent_grad.shape} "
            f"for an input of shape {parent.shape}; a gradient must have the "
            f"shape of its input. {_shape_fix(parent.shape, parent_grad.shape)}"
        )


def _shape_fix(shape, grad_shape):
    """The likely fix for a gradient of `grad_shape` given to an input of `shape`."""
    try:
        broadcast = np.broadcast_shapes(shape, grad_shape)
    except ValueError:
        broadcast = None
    if broadcast == grad_shape:  # the input was broadcast in forward (a bias, a number)
        return (
            "The input was broadcast in forward, so its gradient is the sum over the copies: "
            "sum it back with minigrad.ops.unbroadcast(grad, x.shape)."
        )
    if broadcast == shape or _drops_axes(shape, grad_shape):  # a reduction's, not spread back
        return (
            "Each element of the input gets the gradient of the result it went into: "
            "spread it back with grad.broadcast_to(x.shape) (reshape grad first to keep "
            "the reduced axes as 1s)."
        )
    if np.prod(shape) == np.prod(grad_shape):
        return (
            "It holds as many elements in another layout: apply the inverse of forward's "
            "reshape or transpose to it (grad.reshape(x.shape), or grad.transpose(...) with "
            "the inverse axes)."
        )
    return "Compute each gradient from the input it belongs to, in the order of the inputs."


def _drops_axes(shape, grad_shape):
    """Whether `grad_shape` is `shape` with some axes left out, as a reduction leaves it."""
    rest = iter(shape)
    return len(grad_shape) < len(shape) and all(size in rest for size in grad_shape)


def _contract_error(node, returned):
    """The error for a backward that does not return one Tensor (or None) per input, with the
    fix for what it did return."""
    count = len(node.inputs)
    got = type(returned).__name__
    if count == 1:
        fix = "For one input write `return (grad_x,)`, with the trailing comma."
    else:
        fix = f"Write `return ({', '.join(f'grad_{i}' for i in range(count))})`."
    if returned is None:
        got = "None (is `return` missing?)"
    elif isinstance(returned, tuple):
        got = f"a tuple of {len(returned)} ({', '.join(type(g).__name__ for g in returned)})"
        if len(returned) == count:  # the count is right: an element is not a Tensor
            fix = (
                "Each gradient must be a Tensor (or None): compute it with Tensor ops from "
                "grad_out and self.inputs (or self.output), so that a second backward can "
                "differentiate it."
            )
    return TypeError(
        f"{node.name}.backward must return a tuple with one Tensor (or None) per input — "
        f"{count} here — but returned {got}. {fix}"
    )


def _accumulate(tensor, grad, create_graph, handed_out):
    """tensor.grad += grad (a fresh array of the tensor's dtype in first order; see _private)."""
    grad = _private(grad, tensor.data.dtype, create_graph, handed_out)
    if tensor.grad is None:
        tensor.grad = grad
    else:
        tensor.grad = tensor.grad + grad


def _private(grad, dtype, create_graph, handed_out):
    """A gradient as an array no one else holds, of the leaf's `dtype`, to be stored or returned.

    The caller's upstream array, any tensor of the graph, a view of another array, or an array
    already given out (Add's backward hands the same gradient to both inputs) is copied first.
    So two gradients never share memory with each other or with data, and a fresh result (most
    of them: a matmul, a sum, a fold) is not copied at all.

    With create_graph the gradient is a Tensor of the new graph, and a copy must stay in that
    graph: the op AsType makes it, when the gradient is one already given out or a tensor of
    the graph (or a view of one: a reshape of a gradient Add handed to both inputs), read-only
    (a broadcast) or of another dtype. A view of an array of the backward graph that nothing
    else was given is kept (a drawing of the backward graph then shows no extra node).
    """
    data = grad.data
    if create_graph:
        base = data.base
        if (
            id(data) in handed_out
            or (base is not None and id(base) in handed_out)  # a view of such an array
            or data.dtype != dtype
            or not data.flags.writeable
        ):
            grad = AsType.apply(grad, dtype=dtype)
        _array_ids(grad.data, handed_out)
        return grad
    if (
        data.base is not None
        or id(data) in handed_out
        or data.dtype != dtype
        or not data.flags.writeable
    ):
        fresh = buffers.empty(data.shape, dtype)
        np.copyto(fresh, data)
        data = fresh
    handed_out.add(id(data))
    return Tensor._wrap(data, False, None)


def grad(output, inputs, grad_output=None, retain_graph=None, create_graph=False):
    """The gradients ∂L/∂xᵢ of `output` with respect to `inputs`, returned (no `.grad` is touched).

    With `create_graph=True` the gradients are Tensors with a graph of their own, so they can
    be differentiated again (higher-order gradients). An input the output does not depend on
    gets None.

    >>> import minigrad as mg
    >>> x = mg.Tensor(3.0, requires_grad=True)
    >>> (dy,) = mg.grad(x**3, [x], create_graph=True)    # 3x² = 27
    >>> (d2y,) = mg.grad(dy, [x])                        # 6x = 18
    >>> float(dy.item()), float(d2y.item())
    (27.0, 18.0)
    """
    inputs = (inputs,) if isinstance(inputs, Tensor) else tuple(inputs)  # one, or a list
    for position, tensor in enumerate(inputs):
        if not isinstance(tensor, Tensor) or not tensor.requires_grad:
            raise ValueError(
                f"mg.grad: input {position} does not require grad, so it has no gradient. "
                "Create it with requires_grad=True."
            )
    grad_root = output._check_backward("mg.grad", grad_output)
    return run_backward(output, grad_root, inputs, retain_graph, create_graph)


# ---- the switches every op reads: grad mode, and the module scope -----------------------------
class _EngineState:
    """What every op reads when it runs: whether operations are recorded in the graph
    (`grad_enabled`, switched off by `no_grad`), and the modules whose call is running,
    outermost first (`scope`), with a number for each of those calls (`call_ids`; recorded on
    each node, so a drawing can group ops by layer and tell two calls apart).

    One instance with slots rather than class attributes: reading its attributes costs half
    as much, and writing a class attribute (at every module call) costs ~7× more and makes
    the next reads of that class slower too (benchmarks/, per-op overhead)."""

    __slots__ = ("call_ids", "calls_started", "grad_enabled", "scope")

    def __init__(self):
        self.grad_enabled = True
        self.scope = ()
        self.call_ids = ()
        self.calls_started = 0


_state = _EngineState()


def is_grad_enabled():
    """True when operations on tensors that require grad are recorded for backward."""
    return _state.grad_enabled


@contextmanager
def no_grad():
    """Inside this block nothing is recorded: results do not require grad and hold no graph.

    >>> import minigrad as mg
    >>> x = mg.Tensor([1.0, 2.0], requires_grad=True)
    >>> with mg.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """
    previous = _state.grad_enabled
    _state.grad_enabled = False
    try:
        yield
    finally:
        _state.grad_enabled = previous


def enter_scope(module):
    """Mark the ops recorded from now on as made by a new call of `module`, inside the calls
    running already; returns what `exit_scope` needs to end it. Module.__call__ runs
    `saved = enter_scope(self)`, then forward, then `exit_scope(saved)` in a `finally`."""
    saved = _state.scope, _state.call_ids
    _state.calls_started += 1
    _state.scope = saved[0] + (module,)
    _state.call_ids = saved[1] + (_state.calls_started,)
    return saved


def exit_scope(saved):
    """End the module call that `enter_scope` began (`saved` is what it returned)."""
    _state.scope, _state.call_ids = saved


def running_calls():
    """The modules whose call is running, outermost first (() outside every module call)."""
    return _state.scope


class module_scope:  # lower case: used like a function, `with module_scope(module):`
    """`with module_scope(module):` marks the ops recorded inside as made by one call of
    `module` (for a block that is not a Module's forward; Module.__call__ does the same).
    The object may be used again, one `with` at a time."""

    __slots__ = ("module", "saved")

    def __init__(self, module):
        self.module = module

    def __enter__(self):
        self.saved = enter_scope(self.module)

    def __exit__(self, *exception):
        exit_scope(self.saved)


class _grad_mode:  # lower case: used like a function, as no_grad is
    """Inside this block operations are recorded when `enabled` (backward's second graph)."""

    __slots__ = ("enabled", "previous")

    def __init__(self, enabled):
        self.enabled = enabled

    def __enter__(self):
        self.previous = _state.grad_enabled
        _state.grad_enabled = self.enabled

    def __exit__(self, *exception):
        _state.grad_enabled = self.previous


# Imported last: tensor.py imports this module, and Tensor is only needed when ops run.
from minigrad.ops.elementwise import AsType
from minigrad.tensor import Tensor, data_error

_wrap = Tensor._wrap  # the engine's constructor of result tensors, looked up once
