"""Module (a layer or a model: parameters and submodules registered on assignment), Parameter
(a trainable Tensor) and Sequential (layers applied one after the other)."""

from collections.abc import Mapping

from minigrad.autograd import enter_scope, exit_scope, running_calls
from minigrad.tensor import Tensor, as_array, data_error


class Parameter(Tensor):
    """A Tensor a Module trains: it always requires grad and is registered on assignment.

    >>> import numpy as np
    >>> p = Parameter(np.zeros((2, 3), dtype=np.float32))
    >>> p.requires_grad, p.shape
    (True, (2, 3))
    """

    def __init__(self, data, name=None):
        super().__init__(data, requires_grad=True, name=name)

    def __repr__(self):
        return self._repr("Parameter", show_requires_grad=False)  # (it always requires grad)

    # A weight's values are what students change by hand, so an assignment to .data is checked
    # here, where it is written, rather than by the op that would fail on it later:
    # w.data = w.data - lr * w.grad (a Tensor: .grad is one) or a list is refused.
    @property
    def data(self):
        """The values, a numpy float array (assign one, or change it in place)."""
        return _DATA.__get__(self)

    @data.setter
    def data(self, values):
        error = data_error(self, "Parameter.data = …", values)
        if error is not None:
            raise error
        _DATA.__set__(self, values)


_DATA = Tensor.__dict__["data"]  # the slot that holds a tensor's array


def _unregistering(module, name, held, value):
    """The error for replacing a registered Parameter or Module by something that is neither:
    forward would still use the new value, but parameters() and the optimizer would not see it."""
    kind = "Parameter" if isinstance(held, Parameter) else "Module"
    fix = (
        f"Assign nn.Parameter(values) to replace it, or change its values in place: "
        f"layer.{name}.data[...] = values."
        if kind == "Parameter"
        else "Assign a Module (a layer), or None to remove it."
    )
    return TypeError(
        f"{type(module).__name__}.{name} is a registered {kind}; assigning a "
        f"{type(value).__name__} to it would drop it from parameters() and the optimizer, so it "
        f"would never be trained. {fix}"
    )


def _check_container(module, name, value, when):
    """Refuse a list, tuple or dict attribute (or one nested in it) holding a Parameter or a
    Module that the module has not registered: a Module registers only those assigned directly,
    so parameters() would miss them. (A list of its own layers, self.taps = [self.conv1], is
    fine: parameters() finds them through their attributes.)"""
    containers, seen = [value], {id(value)}
    while containers:
        items = containers.pop()
        for item in items.values() if isinstance(items, dict) else items:
            if isinstance(item, list | tuple | dict):
                if id(item) not in seen:  # (a list may hold itself)
                    seen.add(id(item))
                    containers.append(item)
            elif isinstance(item, Parameter | Module) and not _registered(module, item):
                raise TypeError(
                    f"{type(module).__name__}: self.{name} is a {type(value).__name__} holding "
                    f"{type(item).__name__}s{when}; a Module registers only Parameters and "
                    "Modules assigned directly, so their parameters would be invisible to "
                    "parameters() and the optimizer. For layers, use "
                    f"self.{name} = nn.Sequential(*layers) (or assign each layer to its own "
                    "attribute); for parameters, assign each to its own attribute."
                )


def _registered(module, item):
    """Whether `item` (a Parameter or a Module) is `module` or is registered in it, at any
    depth."""
    for _, member in module.named_modules():
        if member is item or any(held is item for held in member._members.values()):
            return True
    return False


class _CallRecorder:
    """While `calls` is a list, every Module call appends (module, output shape) to it
    (nn.summary uses it to learn each layer's output shape)."""

    calls = None


class Module:
    """Base class of layers and models: `forward` computes, `module(x)` calls it.

    Assigning a Parameter or a Module to an attribute registers it, in definition order, so
    `parameters()`, `named_parameters()` ("conv1.weight"), `named_modules()` and
    `zero_grad()` find it. Subclasses call `super().__init__()` first and define `forward`.

    >>> import numpy as np
    >>> class Scale(Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.factor = Parameter(np.ones(1, dtype=np.float32))
    ...     def forward(self, x):
    ...         return x * self.factor
    >>> [name for name, _ in Scale().named_parameters()]
    ['factor']
    """

    def __init__(self):
        object.__setattr__(self, "_members", {})

    def __setattr__(self, name, value):
        members = self.__dict__.get("_members")
        if members is None:
            raise RuntimeError(
                f"{type(self).__name__}: call super().__init__() at the start of __init__, "
                f"before assigning self.{name}."
            )
        if isinstance(value, list | tuple | dict):
            _check_container(self, name, value, "")
        if isinstance(value, Parameter | Module):
            members[name] = value
        elif value is not None and name in members:
            raise _unregistering(self, name, members[name], value)
        elif (
            value.__class__ is Tensor
            and value.requires_grad
            and value.grad_fn is None
            and self not in running_calls()  # in its forward: an input kept, not a weight
        ):
            raise TypeError(
                f"{type(self).__name__}: self.{name} is a Tensor with requires_grad=True, which a "
                "Module does not register: parameters() and the optimizer would not see it, so "
                f"it would never be trained. Make it a Parameter: self.{name} = "
                "nn.Parameter(values) (for a constant: mg.Tensor(values), without "
                "requires_grad)."
            )
        else:
            members.pop(name, None)  # None removes a layer or parameter on purpose
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        self._members.pop(name, None)
        object.__delattr__(self, name)

    def forward(self, *args, **kwargs):
        """What the module computes; every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} must define forward(self, x).")

    def __call__(self, *args, **kwargs):
        # The scope marks every op recorded inside as made by this call (for graph drawings).
        # (As `with module_scope(self):` does, written out: it runs at every layer call.)
        saved = enter_scope(self)
        try:
            out = self.forward(*args, **kwargs)
        finally:
            exit_scope(saved)
        if out is None:  # (a layer's output feeds the next layer: None would fail far from here)
            raise TypeError(
                f"{type(self).__name__}.forward returned None: is `return` missing? forward "
                "returns the layer's output (return self.l(x), not x = self.l(x))."
            )
        if _CallRecorder.calls is not None:
            _CallRecorder.calls.append((self, getattr(out, "shape", None)))
        return out

    # ---- what it holds ----------------------------------------------------------------------
    def named_parameters(self, prefix=""):
        """(dotted name, Parameter) pairs, in definition order, submodules included; a
        Parameter shared by several modules is listed once (under its first name). A prefix
        starts every name, as in named_modules: prefix="net" gives "net.0.weight"."""
        seen = set()
        for name, p in self._all_parameters(prefix + "." if prefix else ""):
            if id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def _all_parameters(self, prefix, check=True):
        # A list assigned empty and filled later (self.layers.append(...)) passed __setattr__'s
        # check: without this one its parameters would silently go untrained.
        if check:
            for name, value in vars(self).items():
                if isinstance(value, list | tuple | dict) and name != "_members":
                    _check_container(self, name, value, " (added after the assignment)")
        for name, member in self._members.items():
            if isinstance(member, Parameter):
                yield prefix + name, member
            else:
                yield from member._all_parameters(prefix + name + ".", check)

    def parameters(self):
        """Every Parameter of the module and its submodules, in definition order."""
        return [p for _, p in self.named_parameters()]

    def children(self):
        """The direct submodules, in definition order."""
        return [m for m in self._members.values() if isinstance(m, Module)]

    def named_children(self):
        """(name, submodule) pairs of the direct submodules."""
        return [(n, m) for n, m in self._members.items() if isinstance(m, Module)]

    def named_modules(self, prefix=""):
        """("", self) first, then ("conv1", module), ("block.0", module), … dotted, in order."""
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def zero_grad(self):
        """Forget the gradients of every parameter (`.grad` becomes None)."""
        # Without parameters()'s check of list attributes: this runs at every step, and the
        # optimizer made that check once, when it was built from parameters().
        for _, p in self._all_parameters("", check=False):
            p.grad = None

    def num_parameters(self):
        """The number of trainable numbers: Σ over parameters of their sizes."""
        return sum(p.size for p in self.parameters())

    # ---- saving and loading the weights -----------------------------------------------------
    def state_dict(self):
        """{dotted name: a copy of the parameter's array}, in definition order: the weights to
        save, for example with `np.savez("model.npz", **model.state_dict())`."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state):
        """Copy saved weights into the parameters, in place, so an optimizer built on them goes on.

        `state` maps dotted names to arrays: a `state_dict()`, or `np.load("model.npz")`. It must
        hold every parameter, with its shape, and nothing else; otherwise a ValueError lists what
        is missing, unexpected or of another shape, and no parameter is changed.
        """
        if not isinstance(state, Mapping):  # a path's letters would be listed as its names
            raise TypeError(
                f"{type(self).__name__}.load_state_dict takes the saved arrays by name (a "
                f"state_dict(), or np.load of an .npz file), not a {type(state).__name__}; "
                'from a file: with np.load("model.npz") as saved: model.load_state_dict(saved).'
            )
        params = dict(self.named_parameters())
        missing = [name for name in params if name not in state]
        unexpected = [name for name in state if name not in params]
        if missing or unexpected:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: the names do not match the model's "
                f"parameters; missing {missing}, unexpected {unexpected}. Load weights saved "
                "from a model built the same way (print(model) shows its layers)."
            )
        arrays = {name: as_array(state[name], p.dtype) for name, p in params.items()}
        wrong = [
            f"{name}: saved {arrays[name].shape}, model {p.shape}"
            for name, p in params.items()
            if arrays[name].shape != p.shape
        ]
        if wrong:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: shapes differ ({'; '.join(wrong)}). "
                "The saved model was built with other sizes; build this one the same way."
            )
        for name, p in params.items():
            p.data[...] = arrays[name]

    # ---- how it prints ----------------------------------------------------------------------
    def extra_repr(self):
        """The settings shown between the parentheses of repr (layers override it)."""
        return ""

    def __repr__(self):
        children = self.named_children()
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in children:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        lines.append(")")
        return "\n".join(lines)


def _check_layer_name(name, sequential):
    """Refuse a layer name that would replace another layer or an attribute of Sequential, or
    that holds a dot (parameter names are dotted paths: "a.b.weight" would be ambiguous)."""
    problem = None
    if name in sequential._members:
        problem = "is given to two layers (the second would replace the first)"
    elif hasattr(sequential, name):
        problem = f"is the name of Sequential's {type(getattr(sequential, name)).__name__} {name}"
    elif "." in name or not name:
        problem = "is not a valid layer name (dotted parameter names would be ambiguous)"
    if problem:
        raise ValueError(
            f"Sequential: the name {name!r} {problem}. Give each layer its own name, without "
            "dots, such as 'conv1'."
        )


class Sequential(Module):
    """Layers applied in order: y = f_m(… f_2(f_1(x))).

    Layers are named "0", "1", … unless given as keywords or as (name, layer) pairs.

    >>> from minigrad import nn
    >>> model = Sequential(nn.Dense(4, 3, seed=0), nn.ReLU(), nn.Dense(3, 2, seed=0))
    >>> [name for name, _ in model.named_parameters()]
    ['0.weight', '0.bias', '2.weight', '2.bias']
    """

    def __init__(self, *layers, **named_layers):
        super().__init__()
        pairs = []
        for position, layer in enumerate(layers):
            if isinstance(layer, tuple) and len(layer) == 2 and isinstance(layer[0], str):
                pairs.append(layer)
            else:
                pairs.append((str(position), layer))
        pairs += list(named_layers.items())
        for name, layer in pairs:
            if not isinstance(layer, Module):
                raise TypeError(
                    f"Sequential: layer {name!r} is a {type(layer).__name__}, not a Module. "
                    "Pass layer objects such as nn.Dense(4, 3) or nn.ReLU() (note the ())."
                )
            _check_layer_name(name, self)
            setattr(self, name, layer)

    def forward(self, x):
        for name, layer in self.named_children():
            try:
                x = layer(x)
            except (ValueError, TypeError) as error:
                # The traceback shows this line, not which layer: a note names it (Python ≥ 3.11).
                if hasattr(error, "add_note"):
                    error.add_note(f"(in layer {name!r}, a {type(layer).__name__}, of Sequential)")
                raise
        return x

    def __getitem__(self, index):
        """A layer by position, or a Sequential of a slice of them (names kept): model[:2]."""
        if isinstance(index, slice):
            return Sequential(*self.named_children()[index])
        return self.children()[index]

    def __len__(self):
        return len(self.children())

    def __iter__(self):
        return iter(self.children())
