"""nn.summary: a table of a model's layers, their output shapes, parameter counts and the
notes' formula for each count (Keras-style)."""

import numpy as np

from minigrad.autograd import no_grad
from minigrad.nn.module import _CallRecorder
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
    input_shape = tuple(int(n) for n in input_shape)
    dtype = model.parameters()[0].dtype if model.parameters() else np.float32
    x = Tensor(np.zeros((1, *input_shape), dtype=dtype))
    names = {id(module): name for name, module in model.named_modules()}
    previous, _CallRecorder.calls = _CallRecorder.calls, []
    try:
        with no_grad():
            model(x)
        calls = _CallRecorder.calls
    finally:
        _CallRecorder.calls = previous
    rows = []
    for module, shape in calls:
        if module.children() or module is model and len(calls) > 1:
            continue  # containers: their layers have rows of their own
        count = module.num_parameters()
        formula = ""
        if hasattr(module, "formula"):
            symbols, numbers = module.formula()
            formula = f"{symbols} = {numbers}"
        name = names.get(id(module), type(module).__name__) or type(module).__name__
        out = tuple(shape[1:]) if shape is not None else "?"
        rows.append((name, type(module).__name__, out, count, formula))
    return Summary(rows, model.num_parameters(), input_shape)
