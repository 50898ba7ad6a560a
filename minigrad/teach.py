"""The course notes' claims as functions you can run: the matrix of a layer, the notes' three 1-D
matrices, parameter counts, patches made visible, translation equivariance, receptive fields.

Everything here is computed from real layers and ops (autodiff, not formulas typed in by hand)."""

import math

import numpy as np

from minigrad.autograd import grad, no_grad
from minigrad.nn.layers import Conv2D, Dense, Local, ReLU, Sigmoid, Tanh, Unvect, Vect
from minigrad.nn.module import Sequential
from minigrad.nn.pooling import AvgPool2D, MaxPool2D
from minigrad.ops import pad, patches, vect
from minigrad.ops.shape import is_int
from minigrad.tensor import Tensor

_SUBSCRIPTS = str.maketrans("0123456789,", "₀₁₂₃₄₅₆₇₈₉,")
_MAX_JACOBIAN = 20_000_000  # entries of the matrix layer_matrix returns
_CHUNK_ENTRIES = 4_000_000  # inputs and outputs of one batch of copies (see _jacobian)


# ---- the matrix of a layer --------------------------------------------------------------------
def _check_shape(caller, input_shape):
    shape = (input_shape,) if is_int(input_shape) else input_shape
    try:
        shape = tuple(shape)
    except TypeError:
        shape = ()
    if not shape or not all(is_int(n) and n > 0 for n in shape):
        raise ValueError(
            f"{caller}: input_shape must be the shape of one example (no batch axis), a tuple "
            f"of positive ints such as (4, 4, 1); got {input_shape!r}."
        )
    return tuple(int(n) for n in shape)


def _padded_tensor(out, x, caller):
    """The output of the Pad node applied to x in the graph of `out` (for wrt="padded")."""
    stack, seen = [out], set()
    while stack:
        tensor = stack.pop()
        fn = tensor.grad_fn
        if fn is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        for parent in fn.inputs:
            node = parent.grad_fn
            if node is not None and node.name == "Pad" and node.inputs[0] is x:
                return parent
            stack.append(parent)
    raise ValueError(
        f"{caller}: wrt='padded' needs a layer that zero-pads its input (padding='same'); "
        "no pad of the input was found in its graph. Use wrt='input'."
    )


def _point(at, shape, caller):
    """The point X = at as a batch of one (1, *shape); zeros when at is None."""
    if at is None:
        return np.zeros((1, *shape))
    x0 = np.asarray(at, dtype=np.float64)
    if x0.shape not in (shape, (1, *shape)):
        raise ValueError(
            f"{caller}: at must be one example of shape {shape} (or a batch of one, "
            f"{(1, *shape)}), the point X where the layer is linearized; got shape {x0.shape}."
        )
    return x0.reshape(1, *shape)


def _batch_output(y, n, x_shape, caller):
    """y as an array after checking that f kept the batch axis of its n inputs."""
    if y.ndim < 2 or y.shape[0] != n:
        raise ValueError(
            f"{caller}: f must keep the batch axis, mapping (n, *input_shape) to (n, ...); from "
            f"an input of shape {x_shape} it returned shape {tuple(y.shape)}. To flatten each "
            "example use nn.Vect() (it keeps the batch axis), not mg.vect (it flattens the batch)."
        )
    return y


def _call_on_batch(f, x, shape, caller):
    """f(x) for the batch `caller` built from input_shape; an error of f is raised again with
    where that batch came from (its message talks about a batch the user never made), as
    nn.summary does."""
    try:
        return f(x)
    except ValueError as error:
        raise ValueError(
            f"{caller}(input_shape={shape}): f refused one example of that shape, given as a "
            f"batch of shape {x.shape}: {error} Hint: input_shape is one example without the "
            "batch axis, such as (h, w, c) for an image."
        ) from error


def _jacobian(f, input_shape, at, wrt, caller):
    """(M, x0, y0, depends): M[p, q] = ∂vect(f(x))[q] / ∂vect(z)[p] at x = at, z = x or pad(x);
    depends is False when the output is not connected to x at all (f ignores its input)."""
    shape = _check_shape(caller, input_shape)
    x0 = _point(at, shape, caller)
    with no_grad():
        y0 = _batch_output(_call_on_batch(f, Tensor(x0), shape, caller), 1, x0.shape, caller)
        y0 = np.asarray(y0.data, dtype=np.float64)[0]
    m = y0.size
    if m * x0.size > _MAX_JACOBIAN:
        raise ValueError(
            f"{caller}: the matrix would have {x0.size} × {m} entries, too many to show; "
            "use a smaller input_shape (the notes use 4 pixels)."
        )
    # One backward for many rows at once: copies of x, copy q weighted by a one-hot at output q
    # (the copies of a batch do not interact, so copy q receives row q of the Jacobian). The
    # outputs go a chunk at a time: a batch of all m copies holds m × m outputs (8 GB for a
    # Conv2D(1, 64, 3) on 16×16), far more than the matrix itself.
    chunk = max(1, _CHUNK_ENTRIES // (m + x0.size))
    columns = []
    for start in range(0, m, chunk):
        copies = min(chunk, m - start)
        x = Tensor(np.repeat(x0, copies, axis=0), requires_grad=True)
        y = _batch_output(f(x), copies, x.shape, caller)
        if not y.requires_grad:  # f ignores its input: a zero matrix
            return np.zeros((x0.size, m)), x0, y0, False
        target = x if wrt == "input" else _padded_tensor(y, x, caller)
        one_hots = np.zeros((copies, m), dtype=y.dtype)
        one_hots[np.arange(copies), np.arange(start, start + copies)] = 1
        (grad_z,) = grad(y, [target], grad_output=one_hots.reshape(y.shape))
        if grad_z is None:
            return np.zeros((target.data[0].size, m)), x0, y0, False
        columns.append(grad_z.data.reshape(copies, -1).T)  # M[:, start : start + copies]
    return np.concatenate(columns, axis=1).astype(np.float64), x0, y0, True


def layer_matrix(f, input_shape, at=None, wrt="input", with_offset=False):
    """The matrix M of a layer in the notes' row-vector convention: vect(H) = vect(X) M (+ offset).

    f maps a batch (n, *input_shape) to a batch; M ~ (∏ input_shape, ∏ output shape) is its
    Jacobian, found by backpropagation (for a non-linear f, the linearization at the point `at`,
    of shape input_shape; default zeros). wrt="padded" gives it over vect(pad(X, k)) instead — the
    notes' [0 x₁ … x₄ 0] — for a layer that zero-pads. With with_offset=True returns
    (M, offset), offset = f(at) − vect(at) M.

    At the default point X = 0 a ReLU is off (ReLU'(0) = 0): when f depends on X but M comes out
    all zeros there, this raises instead of returning a zero matrix. Pass `at`, or the layer
    without its activation (e.g. `models.conv_image().conv`).

    >>> import minigrad as mg
    >>> layer = mg.nn.Dense(3, 2, bias=False)
    >>> bool(np.allclose(layer_matrix(layer, (3,)), layer.weight.data))
    True
    """
    if wrt not in ("input", "padded"):
        raise ValueError(f"layer_matrix: wrt must be 'input' or 'padded'; got {wrt!r}.")
    if with_offset and wrt == "padded":
        raise ValueError("layer_matrix: with_offset=True needs wrt='input'.")
    matrix, x0, y0, depends = _jacobian(f, input_shape, at, wrt, "layer_matrix")
    if at is None and depends and not matrix.any():
        raise ValueError(
            "layer_matrix: f depends on X, but the Jacobian at X = 0 is zero (ReLU'(0) = 0): "
            "pass at=… (a point, an array of shape input_shape) or the layer without its "
            "activation (for example models.conv_image().conv rather than the whole model)."
        )
    if not with_offset:
        return matrix
    return matrix, y0.reshape(-1) - x0.reshape(-1) @ matrix


# ---- the same matrix with symbolic weights ----------------------------------------------------
class WeightPattern:
    """The matrix of a linear layer with a weight name (or 0) in each entry, from the computation.

    `entries[p][q]` is a tuple of (coefficient, key) pairs — key = (parameter name, index) — and
    `names[key]` the symbol shown. A weight used at one place only is named by its position,
    W_rq (rows and columns from 1, as in the notes); a weight used at several places (shared) is
    numbered W₁, W₂, … in order of first appearance, reading column by column. In a matrix with
    both kinds, a position is written with a comma (W₁,₉, never W₁₉, which is a number).
    """

    def __init__(self, entries, row_labels, col_labels, unused):
        self.entries = entries
        self.row_labels, self.col_labels = list(row_labels), list(col_labels)
        self.unused = unused  # weights that never reach these rows (e.g. they see only padding)
        self.names = _name_weights(entries)

    @property
    def shape(self):
        """(rows, columns) of the matrix."""
        return len(self.entries), len(self.entries[0]) if self.entries else 0

    def symbol(self, p, q, latex=False):
        """The entry (p, q) as text: "0", "W₂₁" (or "W_{21}" with latex=True), "2·W₁", "W₁ + W₂"."""
        terms = []
        for coefficient, key in self.entries[p][q]:
            name = self.names[key]
            name = f"W_{{{name}}}" if latex else "W" + name.translate(_SUBSCRIPTS)
            if coefficient != 1:
                name = f"{coefficient:g}·{name}"
            terms.append(name)
        return " + ".join(terms) if terms else "0"

    def zero_pattern(self):
        """A boolean array: True where the entry is not zero."""
        return np.array([[bool(entry) for entry in row] for row in self.entries])

    def __str__(self):
        rows, cols = self.shape
        cells = [[self.symbol(p, q) for q in range(cols)] for p in range(rows)]
        width = max([len(c) for row in cells for c in row] + [len(c) for c in self.col_labels])
        label_width = max(len(label) for label in self.row_labels)
        header = " " * (label_width + 3) + "  ".join(c.center(width) for c in self.col_labels)
        lines = [header]
        for label, row in zip(self.row_labels, cells):
            lines.append(f"{label:>{label_width}} [ " + "  ".join(c.center(width) for c in row))
            lines[-1] += " ]"
        return "\n".join(lines)

    def __repr__(self):
        return str(self)

    def to_latex(self):
        """The matrix as a LaTeX bmatrix (Jupyter shows it rendered)."""
        rows, cols = self.shape
        body = r" \\ ".join(
            " & ".join(self.symbol(p, q, latex=True) for q in range(cols)) for p in range(rows)
        )
        return r"\begin{bmatrix} " + body + r" \end{bmatrix}"

    def _repr_latex_(self):
        return "$" + self.to_latex() + "$"

    def plot(self, ax=None):
        """Draw the matrix: shaded where a weight sits, with its symbol (needs matplotlib)."""
        plt = _pyplot("WeightPattern.plot")
        rows, cols = self.shape
        if ax is None:
            _, ax = plt.subplots(figsize=(0.8 * cols + 1, 0.5 * rows + 1))
        ax.imshow(self.zero_pattern(), cmap="Oranges", vmin=0, vmax=2)
        for p in range(rows):
            for q in range(cols):
                ax.text(q, p, self.symbol(p, q), ha="center", va="center")
        ax.set_xticks(range(cols), self.col_labels)
        ax.set_yticks(range(rows), self.row_labels)
        ax.xaxis.tick_top()
        return ax


def _name_weights(entries):
    """The naming rule of WeightPattern, applied to where each weight lands."""
    places = {}
    cols = len(entries[0]) if entries else 0
    for q in range(cols):  # column by column: the order of first appearance
        for p in range(len(entries)):
            for _, key in entries[p][q]:
                places.setdefault(key, []).append((p, q))
    names, shared = {}, 0
    for key, where in places.items():
        if len(where) > 1:
            shared += 1
            names[key] = str(shared)
    for key, where in places.items():
        if len(where) == 1:
            p, q = where[0]
            # Beside shared weights, W₁₉ could be the 19th of them: the position then reads W₁,₉.
            plain = p < 9 and q < 9 and not shared
            names[key] = f"{p + 1}{q + 1}" if plain else f"{p + 1},{q + 1}"
    return names


def weight_pattern(layer, input_shape, wrt="input", rows=None, row_labels=None):
    """The matrix of a linear layer with symbolic weights: which weight sits in which entry.

    Each weight element is set to 1 in turn (all others 0) and the layer's matrix is read by
    autodiff (`layer_matrix`), so the zeros and the sharing come from the computation. `rows`
    selects rows of M (for example the image's row inside the padded input); `row_labels` and
    the column labels (h₁, h₂, …) are for printing: by default x₁, x₂, … are the entries of
    vect(X), and with wrt="padded" a padded zero's row is "0", as in the notes' [0 x₁ … x₄ 0].
    Biases do not enter M and are ignored.

    >>> import minigrad as mg
    >>> print(weight_pattern(mg.nn.Dense(2, 2, bias=False), (2,)))
          h₁   h₂
    x₁ [ W₁₁  W₁₂ ]
    x₂ [ W₂₁  W₂₂ ]
    """
    if not hasattr(layer, "named_parameters"):  # a function: its weights cannot be found
        raise TypeError(
            f"weight_pattern takes a layer (an nn.Module, whose weights it sets one at a time); "
            f"got a {type(layer).__name__}. For the matrix of a function use layer_matrix(f, "
            "input_shape)."
        )
    weights = [(n, p) for n, p in layer.named_parameters() if n.split(".")[-1] != "bias"]
    count = sum(p.size for _, p in weights)
    if count > 5000:
        raise ValueError(
            f"weight_pattern: the layer has {count} weights, one matrix each; use a small layer "
            "(the notes use 4 pixels and 1 channel)."
        )
    saved = [(p, p.data) for _, p in weights]
    # Only the entries each weight reaches, not its whole matrix: thousands of weights, each
    # with a matrix of hw·c × hw·c' numbers, would fill gigabytes with zeros.
    reached = {}  # (name, index) → [(row, column, coefficient)]
    try:
        for _, p in weights:
            p.data = np.zeros(p.shape)
        for name, p in weights:
            for index in np.ndindex(p.shape):
                p.data[index] = 1.0
                matrix = _jacobian(layer, input_shape, None, wrt, "weight_pattern")[0]
                all_rows = len(matrix)  # (the labels are of M's rows before `rows` picks some)
                matrix = matrix if rows is None else matrix[rows]
                n_rows, n_cols = matrix.shape
                reached[(name, index)] = [
                    (r, q, float(matrix[r, q])) for r, q in np.argwhere(matrix)
                ]
                p.data[index] = 0.0
    finally:
        for p, data in saved:
            p.data = data
    if not reached:
        raise ValueError(
            "weight_pattern: the layer has no weights (only biases, or no parameters at all); "
            "pass a layer with weights, such as nn.Conv2D(1, 1, 3, bias=False)."
        )
    if not any(reached.values()):
        raise ValueError(
            "weight_pattern: every weight gives a zero matrix. Either an activation has "
            "derivative 0 at X = 0 (ReLU), or the layers are stacked so that their matrix is a "
            "product of weights (each weight alone, the others 0, gives 0). Pass one linear layer "
            "without its activation (for example models.conv_image().conv)."
        )
    entries = [[[] for _ in range(n_cols)] for _ in range(n_rows)]
    for key, hits in reached.items():
        for r, q, coefficient in hits:
            entries[r][q].append((coefficient, key))
    unused = sum(not hits for hits in reached.values())
    entries = [[tuple(cell) for cell in row] for row in entries]
    if row_labels is None:
        if wrt == "padded":
            labels = _padded_row_labels(layer, input_shape)
        else:
            labels = ["x" + str(p + 1).translate(_SUBSCRIPTS) for p in range(all_rows)]
        row_labels = labels if rows is None else [labels[p] for p in np.arange(all_rows)[rows]]
    col_labels = ["h" + str(q + 1).translate(_SUBSCRIPTS) for q in range(n_cols)]
    return WeightPattern(entries, row_labels, col_labels, unused)


def _padded_row_labels(layer, input_shape):
    """The rows of vect(pad(X, k)) as the notes write them, [0 x₁ x₂ x₃ x₄ 0]: "0" for a padded
    zero, x_p for entry p of vect(X) (from 1)."""
    x = Tensor(np.zeros((1, *_check_shape("weight_pattern", input_shape))), requires_grad=True)
    pad_width = _padded_tensor(layer(x), x, "weight_pattern").grad_fn.settings["pad_width"]
    numbers = np.pad(np.arange(1, x.data.size + 1).reshape(x.shape), pad_width).reshape(-1)
    return ["0" if n == 0 else "x" + str(n).translate(_SUBSCRIPTS) for n in numbers]


def notes_matrices(seed=0):
    """The notes' three 1-D examples (4 pixels, 1 channel, k = 1), from real layers.

    "dense": Dense(4, 4), the 4×4 matrix of W_ij. "local" and "conv": Local and Conv2D with
    kernel_size=3, padding="same", on a 1-pixel-high image (1, 4, 1); their matrices over the
    padded row [0 x₁ x₂ x₃ x₄ 0] (6×4): banded with distinct W_ij, and Toeplitz in W₁ W₂ W₃. The
    kernels' other rows only ever see the zeros padded above and below (they are `unused`).

    >>> print(notes_matrices()["conv"])
         h₁  h₂  h₃  h₄
     0 [ W₁  0   0   0  ]
    x₁ [ W₂  W₁  0   0  ]
    x₂ [ W₃  W₂  W₁  0  ]
    x₃ [ 0   W₃  W₂  W₁ ]
    x₄ [ 0   0   W₃  W₂ ]
     0 [ 0   0   0   W₃ ]
    """
    from minigrad import nn

    middle = slice(6, 12)  # vect(pad(X, 1)) of a (1, 4, 1) image is 3 rows of 6: the middle one
    local = nn.Local((1, 4, 1), 1, kernel_size=3, padding="same", bias=False, seed=seed)
    conv = nn.Conv2D(1, 1, kernel_size=3, padding="same", bias=False, seed=seed)
    return {
        "dense": weight_pattern(nn.Dense(4, 4, bias=False, seed=seed), (4,)),
        "local": weight_pattern(local, (1, 4, 1), "padded", middle),
        "conv": weight_pattern(conv, (1, 4, 1), "padded", middle),
    }


# ---- parameter counts -------------------------------------------------------------------------
class ParamCounts:
    """The weights of a dense, a k-local and a convolutional layer from X ~ (h, w, c) to c'
    channels, without biases (as in the notes), and the reduction factors between them."""

    def __init__(self, h, w, c, c_out, k, padding):
        self.h, self.w, self.c, self.c_out, self.k, self.padding = h, w, c, c_out, k, padding
        self.s = s = 2 * k + 1
        self.h_out, self.w_out = (h, w) if padding == "same" else (h - 2 * k, w - 2 * k)
        out_pixels = self.h_out * self.w_out
        self.dense = h * w * c * out_pixels * c_out  # (hw)²cc' when padding="same"
        self.local = out_pixels * s * s * c * c_out  # h'w's²cc'
        self.conv = s * s * c * c_out  # s²cc'

    def rows(self):
        """(layer, formula, count, factor, factor formula) for each layer, dense first."""
        same = self.padding == "same"
        h_w = "hw" if same else "h'w'"
        return [
            ("Dense", "(hw)²·c·c'" if same else "hw·h'w'·c·c'", self.dense, None, ""),
            ("Local", f"{h_w}·s²·c·c'", self.local, self.local / self.dense, "s²/(hw)"),
            ("Conv2D", "s²·c·c'", self.conv, self.conv / self.local, f"1/({h_w})"),
        ]

    def __str__(self):
        title = (
            f"X ~ ({self.h}, {self.w}, {self.c}) → c' = {self.c_out}, k = {self.k} "
            f"(s = {self.s}), padding={self.padding!r}, no biases"
        )
        lines = [title, f"{'layer':<7} {'formula':<14} {'weights':>22}  {'vs previous':>24}"]
        for name, formula, count, factor, factor_formula in self.rows():
            ratio = "" if factor is None else f"× {factor:.3g} = {factor_formula}"
            lines.append(f"{name:<7} {formula:<14} {count:>22,}  {ratio:>24}")
        return "\n".join(lines)

    def __repr__(self):
        return str(self)


def param_counts(h, w, c, c_out, k, padding="same"):
    """The notes' counts for X ~ (h, w, c) → c' channels with patches of radius k (s = 2k + 1).

    Dense (hw)²cc', Local hw·s²cc' (reduced by a factor s²/(hw)), Conv2D s²cc' (reduced by
    another 1/(hw)), without biases; with padding="valid" the outputs have h' = h − 2k,
    w' = w − 2k pixels.
    Pure arithmetic on Python ints: nothing is allocated, so the notes' 1024×1024 RGB example
    (≈ 10¹³ dense weights) is instant.

    >>> counts = param_counts(1024, 1024, 3, 3, 1)
    >>> counts.dense, counts.local, counts.conv
    (9895604649984, 84934656, 81)
    """
    for name, value in (("h", h), ("w", w), ("c", c), ("c_out", c_out)):
        if not is_int(value) or value < 1:
            raise ValueError(f"param_counts: {name} must be an int ≥ 1; got {value!r}.")
    if not is_int(k) or k < 0:
        raise ValueError(f"param_counts: k (the patch radius) must be an int ≥ 0; got {k!r}.")
    if padding not in ("same", "valid"):
        raise ValueError(f"param_counts: padding must be 'same' or 'valid'; got {padding!r}.")
    if padding == "valid" and (h < 2 * k + 1 or w < 2 * k + 1):
        raise ValueError(
            f"param_counts: with padding='valid' the image ({h}, {w}) must be at least "
            f"s × s = {2 * k + 1} × {2 * k + 1}; use padding='same' or a smaller k."
        )
    return ParamCounts(int(h), int(w), int(c), int(c_out), int(k), padding)


# ---- patches made visible ---------------------------------------------------------------------
class PatchExplanation:
    """Which pixels of X form vect(P_k(i, j)), in which order (index (a·s + b)·c + channel).

    `pixels[index]` is (a, b, channel, (row, col) of X or None for a padded zero).
    """

    def __init__(self, input_shape, i, j, k, pixels):
        self.input_shape, self.i, self.j, self.k, self.pixels = input_shape, i, j, k, pixels
        self.s = 2 * k + 1

    def vect_text(self):
        """vect(P_k(i, j)) written out: X[row, col, ch] for pixels, 0 for padded zeros."""
        items = [
            "0" if where is None else f"X[{where[0]},{where[1]},{ch}]"
            for _, _, ch, where in self.pixels
        ]
        return "[" + ", ".join(items) + "]"

    def grid(self):
        """The padded image as rows of text cells: the vect index (of channel 0) of each
        pixel in the patch, "·" for pixels outside it; padding cells in parentheses."""
        h, w, _ = self.input_shape
        k = self.k
        cells = [
            ["·" if 0 <= r < h and 0 <= q < w else "(·)" for q in range(-k, w + k)]
            for r in range(-k, h + k)
        ]
        for index, (a, b, ch, _) in enumerate(self.pixels):
            if ch:
                continue
            r, q = self.i - k + a, self.j - k + b
            inside = 0 <= r < h and 0 <= q < w
            cells[r + k][q + k] = str(index) if inside else f"({index})"
        return cells

    def __str__(self):
        h, w, c = self.input_shape
        lines = [
            (
                f"P_{self.k}({self.i}, {self.j}) of X ~ {self.input_shape}, zero-padded by "
                f"k = {self.k}: an (s, s, c) = ({self.s}, {self.s}, {c}) patch, "
                f"vect index = (a·{self.s} + b)·{c} + channel"
            ),
            "vect(P) = " + self.vect_text(),
            "where the patch sits (vect index of channel 0; (…) = a padded zero):",
        ]
        cells = self.grid()
        width = max(len(cell) for row in cells for cell in row)
        columns = [str(q) for q in range(-self.k, w + self.k)]
        lines.append("   col " + " ".join(f"{q:>{width}}" for q in columns))
        for r, row in zip(range(-self.k, h + self.k), cells):
            lines.append(f"row {r:>2} " + " ".join(f"{cell:>{width}}" for cell in row))
        return "\n".join(lines)

    def __repr__(self):
        return str(self)

    def plot(self, ax=None):
        """Draw the padded image with the patch's vect indices (needs matplotlib)."""
        plt = _pyplot("PatchExplanation.plot")
        h, w, _ = self.input_shape
        k = self.k
        if ax is None:  # at least 4.5 inches wide, so that the title fits
            size = (max(0.5 * (w + 2 * k) + 1, 4.5), 0.5 * (h + 2 * k) + 1.5)
            _, ax = plt.subplots(figsize=size, layout="constrained")
        shade = np.zeros((h + 2 * k, w + 2 * k))
        shade[:k], shade[h + k :], shade[:, :k], shade[:, w + k :] = 0.3, 0.3, 0.3, 0.3
        for a, b, ch, _ in self.pixels:
            shade[self.i + a, self.j + b] += 0.0 if ch else 0.5
        ax.imshow(shade, cmap="Blues", vmin=0, vmax=1)
        for r, row in enumerate(self.grid()):
            for q, cell in enumerate(row):
                if "·" not in cell:
                    ax.text(q, r, cell.strip("()"), ha="center", va="center")
        ax.set_xticks(range(w + 2 * k), [str(q) for q in range(-k, w + k)])
        ax.set_yticks(range(h + 2 * k), [str(r) for r in range(-k, h + k)])
        ax.set_title(
            f"vect(P_{k}({self.i}, {self.j})): order of the pixels\n"
            "(blue: the patch; pale: padding; darkest: padding in the patch)",
            fontsize=10,
        )
        return ax


def explain_patch(input_shape, i, j, k):
    """Which pixels of X ~ (h, w, c), zero-padded by k, form vect(P_k(i, j)) and in which order.

    Found by running the real ops on an image of pixel numbers: pad(X, k), then patches(·, k),
    then vect of the patch centred on (i, j). The order is the notes' flattening, row-major over
    (s, s, c): vect index (a·s + b)·c + channel. `str()` is a table; `.plot()` a picture.

    >>> print(explain_patch((3, 3, 1), 0, 0, 1).vect_text())
    [0, 0, 0, 0, X[0,0,0], X[0,1,0], 0, X[1,0,0], X[1,1,0]]
    """
    shape = _check_shape("explain_patch", input_shape)
    if len(shape) != 3:
        raise ValueError(f"explain_patch: input_shape must be (h, w, c); got {input_shape!r}.")
    h, w, c = shape
    if not (is_int(i) and is_int(j)):
        raise ValueError(f"explain_patch: i and j must be ints (a pixel); got ({i!r}, {j!r}).")
    if not (0 <= i < h and 0 <= j < w):
        raise ValueError(
            f"explain_patch: pixel ({i}, {j}) is outside an image of (h, w) = ({h}, {w}); "
            "i and j count from 0."
        )
    if not is_int(k) or k < 0:
        raise ValueError(f"explain_patch: k (the patch radius) must be an int ≥ 0; got {k!r}.")
    pixel_numbers = Tensor(np.arange(1, h * w * c + 1, dtype=np.float64).reshape(h, w, c))
    s = 2 * k + 1
    # Only the s × s window around (i, j) goes to patches: all h·w patches of the notes'
    # 1024 × 1024 RGB image with k = 3 would take 1.2 GB to show one of them.
    window = pad(pixel_numbers, int(k))[i : i + s, j : j + s]  # rows i − k … i + k of X
    patch = vect(patches(window, int(k))[0, 0]).data  # pixel number, 0 = padding
    pixels = []
    for index, number in enumerate(patch.astype(int)):
        a, rest = divmod(index, s * c)
        b, channel = divmod(rest, c)
        where = None if number == 0 else divmod((number - 1) // c, w)
        pixels.append((a, b, channel, where))
    return PatchExplanation(shape, i, j, int(k), pixels)


def _pyplot(caller):
    """matplotlib.pyplot, or an ImportError that says how to get it."""
    try:
        import matplotlib.pyplot as plt
    except ModuleNotFoundError:
        raise ImportError(
            f"{caller} draws with matplotlib, which is not installed. Install it with "
            "`pip install matplotlib` (or the extra: pip install -e '.[plot]'); str() of the "
            "same object gives the text version."
        ) from None
    return plt


# ---- translation equivariance -----------------------------------------------------------------
def shift_image(x, shift):
    """Translate images (..., h, w, c) by shift = (di, dj) pixels, filling with zeros.

    >>> shift_image(np.arange(3.0).reshape(1, 3, 1), (0, 1))[..., 0]
    array([[0., 0., 1.]])
    """
    x = np.asarray(x)
    di, dj = (int(d) for d in shift)
    h, w = x.shape[-3], x.shape[-2]
    out = np.zeros_like(x)
    if abs(di) >= h or abs(dj) >= w:  # everything moves out (and the slices below would wrap)
        return out
    rows_to, rows_from = slice(max(di, 0), h + min(di, 0)), slice(max(-di, 0), h - max(di, 0))
    cols_to, cols_from = slice(max(dj, 0), w + min(dj, 0)), slice(max(-dj, 0), w - max(dj, 0))
    out[..., rows_to, cols_to, :] = x[..., rows_from, cols_from, :]
    return out


class EquivarianceResult:
    """The outcome of check_equivariance: `equivariant` (the verdict), `max_error`, and
    `error_map` ~ (h', w'): max over channels of |f(shift(X)) − shift(f(X))|, NaN where
    shift(f(X)) is not defined (the strip the shift uncovers). `output_shift` is how far the
    output is moved: shift / t for an output t times smaller than the input."""

    def __init__(self, error_map, scale, tolerance, shift, output_shift=None):
        self.error_map, self.shift, self.tolerance = error_map, tuple(shift), tolerance
        self.output_shift = self.shift if output_shift is None else tuple(output_shift)
        self.max_error = float(np.nanmax(error_map)) if np.isfinite(error_map).any() else 0.0
        self.scale = scale
        # Relative to the outputs' size, with no absolute floor: outputs of 1e-6 compare as well
        # as outputs of 1 (a floor of 1 would pass any f on a faint enough image).
        self.equivariant = self.max_error <= tolerance * scale

    def __str__(self):
        verdict = "equivariant" if self.equivariant else "NOT equivariant"
        moved = "" if self.output_shift == self.shift else f" (output moves by {self.output_shift})"
        lines = [
            (
                f"shift {self.shift}{moved}: {verdict} — max |f(shift(X)) − shift(f(X))| = "
                f"{self.max_error:.3g} (outputs up to {self.scale:.3g})"
            ),
            "error map (· = below tolerance, # = above, blank = not defined):",
        ]
        limit = self.tolerance * self.scale
        for row in self.error_map:
            cells = [" " if np.isnan(e) else ("#" if e > limit else "·") for e in row]
            lines.append("  " + " ".join(cells))
        return "\n".join(lines)

    def __repr__(self):
        return str(self)

    def plot(self, ax=None):
        """Draw the error map (white where it is not defined; needs matplotlib)."""
        plt = _pyplot("EquivarianceResult.plot")
        if ax is None:
            _, ax = plt.subplots(figsize=(3.5, 3))
        image = ax.imshow(self.error_map, cmap="Reds", vmin=0)
        ax.figure.colorbar(image, ax=ax, label="|f(shift(X)) − shift(f(X))|")
        verdict = "equivariant" if self.equivariant else "not equivariant"
        ax.set_title(f"shift {self.shift}: {verdict}")
        return ax


def _output_stride(f, in_size, out_size, stride):
    """t: how many input pixels one output pixel stands for. The `stride` given, else for a
    chain of minigrad's layers the product of their strides, else guessed from the sizes (1
    for the same size less a border of 2k pixels, t for a size t times smaller); None when the
    sizes do not tell."""
    if stride is not None:
        if not is_int(stride) or stride < 1:
            raise ValueError(f"check_equivariance: stride must be an int ≥ 1; got {stride!r}.")
        return int(stride)
    layers = _chain_stride(f)
    if layers is not None:  # the layers know; the sizes can mislead ("valid" borders)
        return layers
    (h, w), (h_out, w_out) = in_size, out_size
    if h // h_out <= 1 and w // w_out <= 1:  # about the same size
        # t = 1 explains the same size, or a border of 2k pixels lost to padding="valid" (or
        # added by a pad): the same even number on both axes. 7×7 → 4×4 is a stride 2.
        return 1 if h - h_out == w - w_out and (h - h_out) % 2 == 0 else None
    if h_out * (h // h_out) == h and w_out * (h // h_out) == w:
        return h // h_out
    return None


_STRIDED = (Conv2D, MaxPool2D, AvgPool2D)  # their `stride` (a pooling's is its size)


def _chain_stride(f):
    """The product of the strides (a Conv2D's stride, a pooling's size) along f when f is one of
    minigrad's layers or an nn.Sequential of them; None for any other f, whose forward may branch,
    call a layer twice or pool with ops of its own."""
    if isinstance(f, Sequential):
        strides = [_chain_stride(layer) for layer in f.children()]
        return None if None in strides else math.prod(strides)
    if type(f) in _STRIDED:
        return f.stride
    if type(f) in (Dense, Local, Vect, Unvect, ReLU, Tanh, Sigmoid):  # exactly these: a subclass
        return 1  # may have a forward of its own
    return None


def check_equivariance(f, x, shift, tolerance=1e-5, stride=None):
    """Compare f(shift(X)) with shift(f(X)) where both are defined: the notes' equivariance.

    x is an image (h, w, c) or a batch (n, h, w, c) that is not all zeros; shift = (di, dj),
    whole pixels, translates with zero fill (`shift_image`); f maps batches of images to batches
    of images. The shifted input must keep all of X's content, so give X zeros on the border it
    moves towards. Passes for Conv2D; fails for Local (one W_ij per pixel) and for a Dense model.
    `tolerance` is relative: the largest error may be tolerance × the largest |output|.

    When the output is t times smaller than the input (t = 2 after MaxPool2D(2) or a Conv2D with
    stride 2), one output pixel stands for a t × t block of input pixels: the output can only
    follow shifts by whole blocks, so the shift must be a multiple of t and the output is compared
    after moving it by shift / t. For one of minigrad's layers or an nn.Sequential of them, t is
    the product of the layers' strides (a Conv2D's stride, a pooling's size); for anything else
    it is read from the sizes (h = t·h'; t = 1 when h − h' = w − w' is even, a "valid" border),
    which can mislead (8×8 → 4×4 is a "valid" 5×5 kernel or a 2×2 pool): pass `stride=t` then.

    >>> import minigrad as mg
    >>> x = np.zeros((6, 6, 1)); x[2, 2] = 1.0
    >>> check_equivariance(mg.nn.Conv2D(1, 2, 3, seed=0), x, (1, 1)).equivariant
    True
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4:
        hint = ""
        if x.ndim == 2:  # a grey image without its channel axis
            h, w = x.shape
            hint = f" For a grey image, add a channel axis: x.reshape({h}, {w}, 1)."
        raise ValueError(
            f"check_equivariance: x must be an image (h, w, c) or a batch (n, h, w, c); got "
            f"shape {x.shape}.{hint}"
        )
    if not isinstance(shift, tuple | list) or len(shift) != 2:
        raise ValueError(f"check_equivariance: shift must be (di, dj); got {shift!r}.")
    if not all(is_int(d) for d in shift):
        raise ValueError(
            f"check_equivariance: shift must be whole pixels, two ints (di, dj); got {shift!r}. "
            "An image can only be translated by a whole number of pixels."
        )
    shift = (int(shift[0]), int(shift[1]))
    if shift == (0, 0):
        raise ValueError(
            "check_equivariance: shift (0, 0) moves nothing, so shift(X) = X and every f "
            "passes; shift by at least one pixel, for example (1, 2)."
        )
    if not x.any():
        raise ValueError(
            "check_equivariance: X is all zeros, so shift(X) = X and every f passes; use a "
            "non-constant image (a small pattern in the middle of zeros)."
        )
    shifted = shift_image(x, shift)
    # Counted, not summed: sums compared by np.isclose (within 1e-8) missed a faint pixel.
    if np.count_nonzero(shifted) != np.count_nonzero(x):
        raise ValueError(
            f"check_equivariance: shifting X by {shift} pushes some of its non-zero "
            "pixels out of the image, so f(shift(X)) cannot match shift(f(X)). Use an X with "
            "zeros near that border (an object in the middle) or a smaller shift. (An image "
            "with noise is non-zero everywhere: mg.data.load_shapes(noise=0.0) gives clean "
            "ones, or zero a band along the border.)"
        )
    with no_grad():
        y = np.asarray(f(Tensor(x)).data, dtype=np.float64)
        y_of_shifted = np.asarray(f(Tensor(shifted)).data, dtype=np.float64)
    if y.ndim != 4:
        raise ValueError(
            f"check_equivariance: f must return images (n, h', w', c'); got shape {y.shape}. "
            "For a Dense model, end it with nn.Unvect((h', w', c'))."
        )
    t = _output_stride(f, x.shape[1:3], y.shape[1:3], stride)
    if t is None:
        raise ValueError(
            f"check_equivariance: the sizes of the input {x.shape[1:3]} and the output "
            f"{y.shape[1:3]} do not tell how far the output moves under a shift (a border lost "
            "to padding='valid', a stride, a pooling that drops the last rows?); pass stride=t, "
            "the product of the strides and pooling sizes (t = 2 after one MaxPool2D(2) or one "
            "Conv2D with stride=2; t = 1 for layers that keep one output pixel per input pixel)."
        )
    if shift[0] % t or shift[1] % t:
        raise ValueError(
            f"check_equivariance: shift {shift} is not a multiple of {t}: the output "
            f"{y.shape[1:3]} is {t}× smaller than the input {x.shape[1:3]} (one output pixel "
            f"per {t}×{t} block of input pixels), so it can only move by whole blocks. Use a "
            f"shift of multiples of {t}, or stride=1 if the output is smaller for another reason."
        )
    output_shift = (shift[0] // t, shift[1] // t)
    defined = shift_image(np.ones(y.shape[1:3] + (1,)), output_shift)[..., 0] > 0
    if not defined.any():
        raise ValueError(
            f"check_equivariance: moving the output {y.shape[1:3]} by {output_shift} leaves no "
            "pixel where both f(shift(X)) and shift(f(X)) are defined, so there is nothing to "
            "compare. Use a smaller shift."
        )
    errors = np.abs(y_of_shifted - shift_image(y, output_shift)).max(axis=(0, 3))
    errors[~defined] = np.nan
    scale = float(max(np.abs(y).max(), np.abs(y_of_shifted).max()))
    return EquivarianceResult(errors, scale, tolerance, shift, output_shift)


# ---- receptive fields -------------------------------------------------------------------------
class ReceptiveField:
    """The input pixels an output pixel H_ij depends on: `mask` ~ (h, w) booleans, and the
    bounding box's `height` and `width`."""

    def __init__(self, mask, target):
        self.mask, self.target = mask, tuple(target)
        rows, cols = np.nonzero(mask)
        self.height = int(rows.max() - rows.min() + 1) if rows.size else 0
        self.width = int(cols.max() - cols.min() + 1) if cols.size else 0

    @property
    def size(self):
        """(height, width) of the smallest box holding the receptive field."""
        return self.height, self.width

    def __str__(self):
        i, j = self.target
        head = f"H[{i}, {j}] depends on {int(self.mask.sum())} input pixels "
        head += f"(a {self.height}×{self.width} box; # = depends, · = does not)"
        rows = ["  " + " ".join("#" if m else "·" for m in row) for row in self.mask]
        return "\n".join([head, *rows])

    def __repr__(self):
        return str(self)

    def plot(self, ax=None):
        """Draw the mask (needs matplotlib)."""
        plt = _pyplot("ReceptiveField.plot")
        if ax is None:
            _, ax = plt.subplots(figsize=(3, 3))
        ax.imshow(self.mask, cmap="Greens", vmin=0, vmax=1)
        ax.set_title(f"receptive field of H[{self.target[0]}, {self.target[1]}]")
        return ax


def receptive_field(f, input_shape, target, samples=32, seed=0):
    """Which input pixels H_ij = f(X)[i, j, :] depends on, by backpropagating a one-hot at H_ij.

    The gradient ∂(Σ_channels r_c·H_ijc)/∂X, with random weights r (so that channels cannot
    cancel), is computed at `samples` random inputs (one batch, one backward) and a pixel counts
    when any sample's gradient there is non-zero, so a ReLU that happens to be off does not hide a
    connection. A MaxPool2D(p) passes each sample's gradient to one pixel of a p×p window only:
    for p ≥ 3 raise `samples` (≈ 30·p²). One k-local layer gives a (2k+1)² box; a stack of layers
    grows it; a Dense layer reaches every pixel.

    >>> import minigrad as mg
    >>> receptive_field(mg.nn.Conv2D(1, 1, 3, seed=0), (7, 7, 1), (3, 3)).size
    (3, 3)
    """
    shape = _check_shape("receptive_field", input_shape)
    if len(shape) != 3:
        raise ValueError(f"receptive_field: input_shape must be (h, w, c); got {input_shape!r}.")
    if not is_int(samples) or samples < 1:
        raise ValueError(
            f"receptive_field: samples must be an int ≥ 1 (random inputs to try); got {samples!r}."
        )
    rng = np.random.default_rng(seed)
    x = Tensor(rng.standard_normal((samples, *shape)), requires_grad=True)
    y = f(x)
    if y.ndim != 4:
        raise ValueError(
            f"receptive_field: f must return images (n, h', w', c'); got shape {y.shape}."
        )
    if not (
        isinstance(target, tuple | list) and len(target) == 2 and all(is_int(t) for t in target)
    ):
        raise ValueError(
            f"receptive_field: target must be (i, j), the row and column of one output pixel "
            f"H_ij (two ints; the channels are summed); got {target!r}."
        )
    i, j = (int(t) for t in target)
    if not (0 <= i < y.shape[1] and 0 <= j < y.shape[2]):
        raise ValueError(
            f"receptive_field: target ({i}, {j}) is outside the output of (h', w') = "
            f"{y.shape[1:3]}; i and j count from 0."
        )
    if not y.requires_grad:  # f ignores its input
        return ReceptiveField(np.zeros(shape[:2], dtype=bool), (i, j))
    # Random channel weights rather than ones: with ones, two channels with opposite weights
    # (H_ij0 = −H_ij1) would sum to a constant and hide every pixel.
    weighting = np.zeros(y.shape, dtype=y.dtype)
    weighting[:, i, j, :] = rng.uniform(0.5, 1.5, (samples, y.shape[3]))
    (grad_x,) = grad(y, [x], grad_output=weighting)
    if grad_x is None:
        return ReceptiveField(np.zeros(shape[:2], dtype=bool), (i, j))
    return ReceptiveField((grad_x.data != 0).any(axis=(0, 3)), (i, j))
