"""nn.summary: a table of a model's layers, their output shapes, parameter counts and the
notes' formula for each count (Keras-style)."""

import numpy as np

from minigrad.autograd import no_grad
from minigrad.nn.module import Parameter, _CallRecorder
from minigrad.ops.shape import shape_argument
from minigrad.tensor import Tensor


class Summary:
    """The result of `summary`: `rows` of (name, type, output shape, params, formula), `total`.

    str() (and repr, so a REPL or Jupyter shows it) is the table.
    """

    def __init__(self, rows, total, input_shape):
        self.rows, self.total, self.input_shape = rows, total, input_shape

    def __str__(self):
        header = ("Layer (type)", "Output shape", "Params", "Formula")
        cells = [header, ("input", str(self.input_shape), "", "")]
        for name, kind, shape, count, formula in self.rows:
            cells.append((f"{name} ({kind})", str(shape), f"{count:,}", formula))
        widths = [max(len(row[i]) for row in cells) for i in range(3)]
        lines = []
        for row in cells:
            line = f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]}"
            lines.append(line.rstrip())
        rule = "─" * max(len(line) for line in lines)
        lines.insert(1, rule)
        lines.append(rule)
        lines.append(f"Total parameters: {self.total:,}")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_pretty_(self, printer, cycle):
        printer.text(str(self))


def summary(model, input_shape):
    """Run one zero example of `input_shape` (no batch axis) through `model` and tabulate its
    layers: output shape (no batch axis), parameter count, and the formula in the notes' symbols.

    Each module is named by its first name in the model. A layer called twice has a second row
    with 0 parameters marked "(shared)"; a container with Parameters of its own has a row for
    them. So the rows always add up to the total (each Parameter counted once).

    >>> from minigrad import nn
    >>> model = nn.Sequential(nn.Conv2D(1, 8, 3, seed=0), nn.ReLU(), nn.MaxPool2D(2))
    >>> print(nn.summary(model, (8, 8, 1)))
    Layer (type)   Output shape  Params  Formula
    ─────────────────────────────────────────────────────────────
    input          (8, 8, 1)
    0 (Conv2D)     (8, 8, 8)         80  s²·c·c' + c' = 9·1·8 + 8
    1 (ReLU)       (8, 8, 8)          0
    2 (MaxPool2D)  (4, 4, 8)          0
    ─────────────────────────────────────────────────────────────
    Total parameters: 80
    """
    input_shape = shape_argument(input_shape, "nn.summary")  # (8.5, 8, 1) refused, not cut to 8
    dtype = model.parameters()[0].dtype if model.parameters() else np.float32
    x = Tensor(np.zeros((1, *input_shape), dtype=dtype))
    names = {}
    for name, module in model.named_modules():
        names.setdefault(id(module), name or type(module).__name__)  # a shared one: its 1st name
    previous, _CallRecorder.calls = _CallRecorder.calls, []
    try:
        with no_grad():
            model(x)
    except ValueError as error:
        raise ValueError(
            f"nn.summary(input_shape={input_shape}): the model refused one example of that "
            f"shape: {error} Hint: input_shape is the shape of ONE example, without the batch "
            "axis, e.g. (8, 8, 1)"
            + (f"; here perhaps {input_shape[1:]}." if len(input_shape) == 4 else ".")
        ) from error
    finally:
        calls, _CallRecorder.calls = _CallRecorder.calls, previous
    rows, counted, seen = [], set(), set()

    def row(module, out, parameters, formula):
        """A row counting the `parameters` that no earlier row counted."""
        fresh = [p for p in parameters if id(p) not in counted]
        counted.update(id(p) for p in fresh)
        if formula and len(fresh) < len(parameters):
            formula += " (some parameters shared: counted in an earlier row)"
        kind = type(module).__name__
        rows.append((names[id(module)], kind, out, sum(p.size for p in fresh), formula))

    for module, shape in calls:
        out = tuple(shape[1:]) if shape is not None else "?"
        if id(module) not in names:  # made inside forward, or held outside the model
            names[id(module)] = "(not in model)"
            stray = module.num_parameters()
            note = f"{stray} parameters not in model.parameters(): never trained" if stray else ""
            row(module, out, [], note)
        elif module.children() or (module is model and len(calls) > 1):
            # A container: its layers have rows of their own; one more for its own Parameters.
            own = own_parameters(module)
            if id(module) not in seen and own:
                row(module, out, list(own.values()), f"its own parameters: {', '.join(own)}")
        elif id(module) in seen:
            row(module, out, [], "(shared)")
        else:
            if hasattr(module, "formula"):
                symbols, numbers = module.formula()
                formula = f"{symbols} = {numbers}"
            else:  # a layer of the user's own: its Parameters by name and shape
                formula = shapes_formula(module.named_parameters())
            row(module, out, module.parameters(), formula)
        seen.add(id(module))
    for _, module in model.named_modules():  # modules that forward never called
        own = {n: p for n, p in own_parameters(module).items() if id(p) not in counted}
        if own:
            row(module, "—", list(own.values()), f"not called by forward: {', '.join(own)}")
    return Summary(rows, model.num_parameters(), input_shape)


def shapes_formula(named_parameters):
    """The formula of a layer with no formula() of its own: "name shape + … = the products"
    ("" for a layer without Parameters).

    >>> from minigrad import nn
    >>> shapes_formula([("gain", nn.Parameter(np.ones(4))), ("mix", nn.Parameter(np.ones((2, 4))))])
    'gain (4,) + mix (2, 4) = 4 + 2·4'
    """
    named_parameters = list(named_parameters)
    symbols = " + ".join(f"{name} {p.shape}" for name, p in named_parameters)
    numbers = " + ".join("·".join(map(str, p.shape)) or "1" for _, p in named_parameters)
    return f"{symbols} = {numbers}" if named_parameters else ""


def own_parameters(module):
    """{name: Parameter} of the Parameters assigned to `module` itself (not its submodules)."""
    return {name: m for name, m in module._members.items() if isinstance(m, Parameter)}
