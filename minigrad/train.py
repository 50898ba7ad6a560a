"""A small training loop (`fit`) with a plain-text progress bar, `evaluate`, and plots of the
history and of learned conv filters (matplotlib when installed; otherwise the numbers as text)."""

import math
import os
import shutil
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from minigrad.autograd import no_grad
from minigrad.data import batches, check_examples, check_seed
from minigrad.nn.functional import cross_entropy
from minigrad.nn.layers import Conv2D
from minigrad.ops.shape import is_int
from minigrad.optim import Optimizer
from minigrad.tensor import Tensor

PLOT_HINT = (
    "install it with: pip install matplotlib (from a clone of minigrad: pip install -e '.[plot]')"
)


def _is_classification(y):
    """Whether y holds class labels, one whole number per example, as cross_entropy takes them
    (integers, or floats such as 3.0: a Tensor of labels is float32). Accuracy is measured
    only then: regression targets of integers, (n, 1) or one-hot, are not labels."""
    y = np.asarray(y)
    if y.ndim != 1 or y.dtype.kind not in "iuf":
        return False
    return y.dtype.kind != "f" or bool(np.all(np.isfinite(y) & (y == np.round(y))))


def _correct(out, yb):
    """How many rows of out ~ (n, classes) score their label highest; None when the output has
    no class axis of two or more scores (a regression: there is no accuracy to measure)."""
    if out.ndim != 2 or out.shape[1] < 2:
        return None
    return int((out.data.argmax(axis=1) == yb).sum())


def evaluate(model, X, y, loss=cross_entropy, batch_size=256):
    """(mean loss, accuracy) of `model` on X, y, without recording a graph.

    Accuracy is the fraction of argmax(logits) == y; it is None unless y holds class labels
    (one whole number per example) and the model gives one score per class.

    >>> import minigrad as mg
    >>> model = mg.nn.Sequential(mg.nn.Vect(), mg.nn.Dense(64, 10, seed=0))
    >>> (X, y), _ = mg.data.load_digits()
    >>> loss, accuracy = evaluate(model, X[:100], y[:100])
    >>> 0 <= accuracy <= 1
    True
    """
    X, y = check_examples("evaluate", X, y, batch_size)
    total_loss = 0.0
    correct = 0 if _is_classification(y) else None
    with no_grad():
        for xb, yb in batches(X, y, batch_size, shuffle=False):
            out = model(xb)
            total_loss += loss(out, _targets(yb, out)).item() * len(yb)
            correct = _add_correct(correct, out, yb)
    return total_loss / len(y), (None if correct is None else correct / len(y))


def _add_correct(correct, out, yb):
    """The running count of correct predictions after this batch (None: not measured)."""
    if correct is None:
        return None
    batch = _correct(out, yb)
    return None if batch is None else correct + batch


def _targets(yb, out):
    """What `fit` and `evaluate` hand the loss: integer labels (n,) as they are (cross_entropy
    takes them), other targets as a Tensor of the output's dtype (mse_loss compares them)."""
    return yb if yb.dtype.kind in "iu" and yb.ndim == 1 else Tensor(yb, dtype=out.dtype)


class ProgressBar:
    """One line per epoch: `epoch 3/15 [####################] 42/42 loss 0.1066 acc 0.968 …`.

    On a terminal the line is redrawn after every batch (with a carriage return); elsewhere
    (a pipe, a log file, a test) only the finished line is printed.
    """

    def __init__(self, epochs, steps, stream=None, width=20):
        self.epochs, self.steps, self.width = epochs, steps, width
        self.stream = stream or sys.stdout
        self.live = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.shown = 0  # the length of the line on the terminal now (a shorter one pads to it)

    def line(self, epoch, step, metrics):
        """The text of the bar after `step` of `steps` batches, with the metrics so far."""
        filled = self.width * step // self.steps
        bar = "#" * filled + "." * (self.width - filled)
        digits = len(str(self.epochs))
        text = f"epoch {epoch:>{digits}}/{self.epochs} [{bar}] {step:>{len(str(self.steps))}}"
        text += f"/{self.steps}"
        for name, value in metrics.items():
            if value is not None:
                text += f"  {name} {value:.4f}" if "loss" in name else f"  {name} {value:.3f}"
        return text

    def update(self, epoch, step, metrics):
        """Redraw the line after a batch (only on a terminal), cut to the terminal's width."""
        if self.live:
            # A line wider than the terminal wraps, and "\r" goes back only to the start of its
            # last row, so every redraw would add a row. (The finished line is printed whole.)
            text = self.line(epoch, step, metrics)[: shutil.get_terminal_size().columns - 1]
            self.stream.write("\r" + self._over_previous(text))
            self.stream.flush()

    def finish(self, epoch, metrics, seconds):
        """Print the epoch's final line, with its duration, and end it."""
        text = self.line(epoch, self.steps, metrics) + f"  {seconds:.1f}s"
        if self.live:
            text = "\r" + self._over_previous(text)
            self.shown = 0
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self):
        """End a line left half drawn (fit stopped mid-epoch by an error or Ctrl-C), so that
        what is printed next, a traceback say, starts on a line of its own."""
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = 0

    def _over_previous(self, text):
        """`text` padded with spaces to cover the line drawn before it."""
        padded = text.ljust(self.shown)
        self.shown = len(text)
        return padded


def fit(
    model,
    optimizer,
    X,
    y,
    epochs,
    batch_size=32,
    loss=cross_entropy,
    validation=None,
    seed=None,
    progress=True,
):
    """Train `model` with `optimizer` on X, y for `epochs` passes in shuffled mini-batches.

    Each step: loss(model(X_batch), y_batch), zero_grad, backward, optimizer.step().
    Returns the history, a dict of per-epoch lists: "loss" and "accuracy" (on the training
    batches, as they were seen), "val_loss" and "val_accuracy" (on `validation` = (X, y),
    when given), "seconds". Accuracy is None unless y holds class labels (one whole number
    per example) and the model gives one score per class. A loss that is not finite (nan,
    inf) stops training before its step, with a FloatingPointError that says why; a model that
    ends giving every example the same scores gets a RuntimeWarning (lr too high?).

    >>> import minigrad as mg
    >>> (X, y), test = mg.data.load_digits()
    >>> model = mg.nn.Sequential(mg.nn.Vect(), mg.nn.Dense(64, 10, seed=0))
    >>> history = fit(model, mg.optim.Adam(model.parameters(), lr=0.01), X, y, epochs=2,
    ...               validation=test, seed=0, progress=False)
    >>> history["val_accuracy"][-1] > 0.8
    True
    """
    X, y = check_examples("fit", X, y, batch_size)
    if not is_int(epochs) or epochs < 1:
        raise ValueError(f"fit: epochs must be an int ≥ 1 (passes over X); got {epochs!r}.")
    if validation is not None:
        validation = _check_validation(validation, batch_size)
    rng = check_seed("fit", seed)
    _check_optimizer_trains(model, optimizer)
    steps = -(-len(X) // batch_size)
    bar = ProgressBar(epochs, steps) if progress else None
    history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": [], "seconds": []}
    classification = _is_classification(y)
    try:
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            seen, total_loss = 0, 0.0
            correct = 0 if classification else None
            metrics = {}
            for step, (xb, yb) in enumerate(batches(X, y, batch_size, seed=rng), start=1):
                out = _checked_output(model(xb), model)
                batch_loss = _checked_loss(
                    loss(out, _targets(yb, out)), epoch, step, xb, yb, optimizer
                )
                optimizer.zero_grad()
                batch_loss.backward()
                optimizer.step()
                seen += len(yb)
                total_loss += batch_loss.item() * len(yb)
                correct = _add_correct(correct, out, yb)
                accuracy = None if correct is None else correct / seen
                metrics = {"loss": total_loss / seen, "acc": accuracy}
                if bar:
                    bar.update(epoch, step, metrics)
            history["loss"].append(metrics["loss"])
            history["accuracy"].append(metrics["acc"])
            if validation is not None:
                val_loss, val_accuracy = evaluate(model, *validation, loss=loss, batch_size=256)
                history["val_loss"].append(val_loss)
                history["val_accuracy"].append(val_accuracy)
                metrics.update(val_loss=val_loss, val_acc=val_accuracy)
            history["seconds"].append(time.perf_counter() - start)
            if bar:
                bar.finish(epoch, metrics, history["seconds"][-1])
    finally:
        if bar:
            bar.close()
    if history["accuracy"][-1] is not None:
        _warn_if_collapsed(model, X, y, history, optimizer, batch_size)
    return history


def _check_optimizer_trains(model, optimizer):
    """Refuse an optimizer that holds none of the model's parameters: its steps would change
    nothing the model uses (a model built again after its optimizer, in a notebook, say). Only
    minigrad's optimizers are checked: one of your own may hold its tensors otherwise (groups)."""
    parameters = getattr(model, "parameters", None)
    if not isinstance(optimizer, Optimizer) or not callable(parameters):
        return
    mine = {id(p) for p in parameters()}
    if mine and not any(id(p) in mine for p in optimizer.params):
        raise ValueError(
            "fit: the optimizer holds none of the model's parameters, so its steps would change "
            "nothing the model uses. Was the model built again after the optimizer, or the "
            "optimizer given another model's parameters? Build it from this model: "
            f"mg.optim.{type(optimizer).__name__}(model.parameters(), lr=…)."
        )


def _warn_if_collapsed(model, X, y, history, optimizer, batch_size):
    """Warn when training ended with one output for every example, different as they are and of
    different classes: the mark of steps too large, which can leave every ReLU at 0 with a finite
    loss (so no error stopped it). Looked at on one batch at most (the size the model trained
    on), its examples spread over X (which may be sorted by class)."""
    every = -(-len(X) // min(256, batch_size))
    sample, labels = X[::every], y[::every]
    if np.all(sample == sample[:1]) or np.all(labels == labels[:1]):
        return  # the same scores for all are then no sign of a collapse
    with no_grad():
        out = model(Tensor(sample)).data
    if not np.allclose(out, out[:1], rtol=1e-5, atol=1e-7):
        return
    lr = getattr(optimizer, "lr", None)
    largest = float(np.abs(sample).max())
    scale = (
        f" Or the inputs are too large for the weights' initial scale: X reaches {largest:g} "
        "(pixels of 0 … 255?); scale it to about [0, 1] (X / 255) or standardise it."
        if largest > 10
        else ""
    )
    warnings.warn(
        f"fit: the trained model gives every example the same scores, so the same class, "
        f"{int(out[0].argmax())} (training accuracy {history['accuracy'][-1]:.3f}): it ignores "
        f"its input. The learning rate{'' if lr is None else f' (lr={lr:g})'} is probably too "
        "high: its steps pushed the weights to where the hidden units no longer respond to the "
        f"input (every ReLU at 0, say). Build the model again and try one 10 times smaller.{scale}",
        RuntimeWarning,
        stacklevel=3,
    )


def _checked_output(out, model):
    """The model's output on a batch, refused if backward could not reach the weights from it:
    not a Tensor (an array: numpy, .data, .numpy()), or a Tensor with no graph."""
    name = type(model).__name__
    if not isinstance(out, Tensor):
        what = "a numpy array" if isinstance(out, np.ndarray) else f"a {type(out).__name__}"
        what = "None (is `return` missing?)" if out is None else what
        raise TypeError(
            f"fit: the model ({name}) returned {what}, not a Tensor: an output "
            "computed with numpy, on .data or with .numpy() has no graph, so backward could not "
            "reach the weights. forward must return the Tensor its layers compute."
        )
    if not out.requires_grad:
        raise ValueError(
            f"fit: the model's ({name}) output does not depend on any weight through the graph "
            "(it does not require grad), so no step could train it. Does forward use .data, "
            "mg.Tensor(…) or mg.no_grad() on the way, or has the model no parameters (or only "
            "frozen ones)?"
        )
    return out


def _checked_loss(batch_loss, epoch, step, xb, yb, optimizer):
    """The loss of one batch, refused before its backward and step if it is not a Tensor
    (nothing to differentiate) or not finite (the step would make the weights nan)."""
    if not isinstance(batch_loss, Tensor):
        raise TypeError(
            f"fit: the loss must return a Tensor computed from the model's output, for backward "
            f"to reach the weights; got a {type(batch_loss).__name__}. A loss computed with "
            "numpy, on .data or with .item() has no graph: use minigrad's operations."
        )
    if batch_loss.size != 1 or math.isfinite(batch_loss.item()):
        return batch_loss  # (backward refuses a loss of several numbers, and says why)
    weights = getattr(optimizer, "params", ())
    if not (_finite(xb.data) and _finite(np.asarray(yb, dtype=float))):
        cause = (
            "this batch of X or y holds nan or inf values: check np.isfinite(X).all() (a "
            "standardisation that divides by a zero std, as of a pixel that is always 0, "
            "gives nan)"
        )
    elif epoch == step == 1 and all(_finite(p.data) for p in weights):
        cause = (
            "no step has changed the weights yet, so the model or the loss makes it from finite "
            "values (a log of 0? an exp that overflows?)"
        )
    elif epoch == step == 1:
        cause = (
            "no step has changed the weights yet, and some already hold nan or inf (loaded from "
            "a run that diverged?): build the model again, or load weights that are finite"
        )
    else:
        lr = getattr(optimizer, "lr", None)
        cause = (
            f"training diverged: the learning rate{'' if lr is None else f' (lr={lr:g})'} is "
            "probably too high for this model; try one 10 times smaller"
        )
    raise FloatingPointError(
        f"fit: the loss is {batch_loss.item()} at epoch {epoch}, step {step}, so training "
        f"stopped before this step's update: {cause}."
    )


def _finite(array):
    return bool(np.all(np.isfinite(array)))


def _check_validation(validation, batch_size):
    """`validation` as a checked (X, y) pair, before the first epoch rather than after it."""
    if not isinstance(validation, tuple | list) or len(validation) != 2:
        raise ValueError(
            "fit: validation must be a pair (X, y) of held-out examples and their targets; got "
            f"a {type(validation).__name__}"
            + (f" of {len(validation)}" if isinstance(validation, tuple | list) else "")
            + ". For example validation=(X_test, y_test), or see data.validation_split."
        )
    return check_examples("fit (validation)", *validation, batch_size)


def _matplotlib_figure():
    """A matplotlib Figure (object API: no global backend is changed), or None if missing."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None
    return Figure


ACCURACY_KEYS = ("accuracy", "val_accuracy")


def plot_history(history, path, quiet=False, overwrite=False):
    """Plot loss and accuracy per epoch (train and validation) to `path` (a PNG); the loss
    alone when no accuracy was measured (a regression).

    Without matplotlib, write the numbers to `path` with suffix .csv instead and say so
    (unless quiet=True: then the caller says it). An existing .csv is replaced only if these
    functions wrote it (see `wrote_numbers`) or overwrite=True. Returns the path written.
    """
    path = _picture_path("plot_history", path)
    Figure = _matplotlib_figure()
    epochs = np.arange(1, len(history["loss"]) + 1)
    if Figure is None:
        keys = ("loss", "accuracy", "val_loss", "val_accuracy")  # those measured (not None)
        columns = [k for k in keys if any(v is not None for v in history.get(k) or ())]
        lines = [",".join(["epoch", *columns])]
        path = _numbers_path(path, ".csv", overwrite)
        for i, epoch in enumerate(epochs):
            lines.append(",".join([str(epoch)] + [f"{history[k][i]}" for k in columns]))
        lines.append(NUMBERS_MARK[".csv"])
        path.write_text("\n".join(lines) + "\n")
        _say_written_as_numbers("the history", path, quiet)
        return path
    # A regression has no accuracy (None): its loss alone, rather than an empty second panel.
    panels = [("loss", ("loss", "val_loss"))]
    if any(history.get(key) and history[key][0] is not None for key in ACCURACY_KEYS):
        panels.append(("accuracy", ACCURACY_KEYS))
    figure = Figure(figsize=(4.5 * len(panels), 3.5))
    for axes, (title, keys) in zip(figure.subplots(1, len(panels), squeeze=False)[0], panels):
        for key, label in zip(keys, ("train", "validation")):
            if history.get(key) and history[key][0] is not None:
                axes.plot(epochs, history[key], marker="o", label=label)
        axes.set(xlabel="epoch", ylabel=title, title=title)
        axes.xaxis.get_major_locator().set_params(integer=True)  # epochs 1, 2, 3; never 1.5
        axes.grid(alpha=0.3)
        axes.legend()
    figure.tight_layout()
    figure.savefig(path)
    return path


# The formats matplotlib writes pictures in (without extra packages), named by suffix.
PICTURE_FORMATS = "png pdf svg svgz jpg jpeg tif tiff webp eps ps pgf"


def _picture_path(caller, path):
    """`path` as a Path (~ expanded; its folder must exist), with .png added when it has no
    suffix (matplotlib would add it). Any suffix but a picture's is refused: in loss_lr0.01,
    ".01" would be taken for the format, and without matplotlib loss_lr0.01 and loss_lr0.05
    would both write loss_lr0.csv."""
    path = Path(os.path.expanduser(path))  # (Path's expanduser raises on a "~name" of no user)
    if not path.parent.is_dir():  # (matplotlib's error came from deep inside savefig)
        raise FileNotFoundError(
            f"{caller}: the folder {path.parent} does not exist; create it first "
            f"(Path({str(path.parent)!r}).mkdir(parents=True)) or write to another one."
        )
    if not path.suffix:
        return path.with_suffix(".png")
    if path.suffix[1:].lower() not in PICTURE_FORMATS.split():
        raise ValueError(
            f"{caller}: {path.name} ends in {path.suffix}, which is not a picture format "
            f"({PICTURE_FORMATS.replace(' ', ', ')}). Name the file {path.name}.png."
        )
    return path


# The last line of the numbers plot_history (.csv) and plot_filters (.txt) write without
# matplotlib: how they recognise a file of their own. A comment line, which np.loadtxt,
# np.genfromtxt (names=True takes the header from the first line) and pandas'
# read_csv(comment="#") skip; a header such as "epoch,loss" would not do: other tools write it.
NUMBERS_MARK = {
    ".csv": "# written by minigrad.train.plot_history (matplotlib was not installed)",
    ".txt": "# written by minigrad.train.plot_filters (matplotlib was not installed)",
}


def wrote_numbers(path):
    r"""True if `path` is a file of numbers that `plot_history` or `plot_filters` wrote (they
    recognise their own by its last line, NUMBERS_MARK), False for any other file or a
    missing one. Only the end of the file is read, however large it is.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "loss.csv"
    >>> _ = path.write_text("epoch,loss\n1,0.5\n")  # another tool's training log
    >>> wrote_numbers(path)
    False
    >>> _ = path.write_text("epoch,loss\n1,0.5\n" + NUMBERS_MARK[".csv"] + "\n")
    >>> wrote_numbers(path), wrote_numbers(path.with_suffix(".txt"))
    (True, False)
    """
    path = Path(path)
    mark = NUMBERS_MARK.get(path.suffix)
    if mark is None or not path.is_file():
        return False
    with open(path, "rb") as existing:
        # The last line and the end of the one before, ended by \n, or by \r\n on Windows.
        existing.seek(max(existing.seek(0, 2) - len(mark) - 4, 0))
        return existing.read().rstrip(b"\r\n").endswith(b"\n" + mark.encode())


def _numbers_path(path, suffix, overwrite):
    """Where the numbers go without matplotlib: `path` with `suffix`. The user named the
    picture, not this file, so an existing file of that name is replaced only if these
    functions wrote it, or if `overwrite`; any other is left alone."""
    numbers = path.with_suffix(suffix)
    if numbers.exists() and numbers != path and not overwrite and not wrote_numbers(numbers):
        raise FileExistsError(
            f"matplotlib is not installed, so the numbers would go to {numbers} instead of "
            f"the picture {path.name}, but {numbers} already exists and was not written here. "
            f"It is left alone: give another path (or overwrite=True to replace it), or "
            f"{PLOT_HINT}."
        )
    return numbers


def _say_written_as_numbers(what, path, quiet):
    """Tell the user that `what` went to a text file because matplotlib is missing."""
    if not quiet:
        print(
            f"matplotlib is not installed, so {what} went to {path} as numbers; to get "
            f"a picture, {PLOT_HINT}."
        )


def filters_of(conv, caller="filters_of"):
    """The learned filters of a Conv2D as an array (c', c, s, s): W ~ (s²c, c') unvected.

    >>> import minigrad as mg
    >>> filters_of(mg.nn.Conv2D(2, 4, 3, seed=0)).shape
    (4, 2, 3, 3)
    """
    if not isinstance(conv, Conv2D):
        modules = conv.named_modules() if hasattr(conv, "named_modules") else []
        layers = [name for name, m in modules if isinstance(m, Conv2D)]
        hint = ""
        if layers:
            hint = f" Its Conv2D layers: {', '.join(layers)} (pass {_written(layers[0])})."
        raise TypeError(
            f"{caller} takes one Conv2D layer, whose shared W holds the filters; got a "
            f"{type(conv).__name__}.{hint}"
        )
    s, c = conv.kernel_size, conv.in_channels
    w = conv.weight.data.reshape(s, s, c, conv.out_channels)  # rows were (a·s + b)·c + channel
    return w.transpose(3, 2, 0, 1)  # (c', c, s, s)


def _written(dotted):
    """A layer's dotted name as Python reaches it: "features.0" → model.features[0]."""
    parts = dotted.split(".")
    return "model" + "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in parts)


def plot_filters(conv, path, max_channels=8, quiet=False, overwrite=False):
    """Draw each filter of a Conv2D (one column per output channel c', one row per input
    channel, at most `max_channels` rows; with one input channel, the c' filters in rows of 8)
    to `path` (a PNG).

    Without matplotlib, write the numbers to `path` with suffix .txt instead and say so
    (unless quiet=True: then the caller says it). An existing .txt is replaced only if these
    functions wrote it (see `wrote_numbers`) or overwrite=True. Returns the path written.
    """
    if not is_int(max_channels) or max_channels < 1:
        raise ValueError(
            f"plot_filters: max_channels must be an int ≥ 1 (input channels drawn); got "
            f"{max_channels!r}."
        )
    filters = filters_of(conv, "plot_filters")[:, :max_channels]  # (c', rows, s, s)
    path = _picture_path("plot_filters", path)
    c_out, rows = filters.shape[:2]
    Figure = _matplotlib_figure()
    if Figure is None:
        path = _numbers_path(path, ".txt", overwrite)
        blocks = []
        for o in range(c_out):
            for i in range(rows):
                numbers = "\n".join(" ".join(f"{v:+.3f}" for v in row) for row in filters[o, i])
                blocks.append(f"filter c'={o}, input channel {i}:\n{numbers}")
        path.write_text("\n\n".join(blocks) + "\n\n" + NUMBERS_MARK[".txt"] + "\n")
        _say_written_as_numbers("the filters", path, quiet)
        return path
    # One input channel: wrap the c' filters into rows of 8; several: one row per channel.
    columns = min(c_out, 8) if rows == 1 else c_out
    grid_rows = -(-c_out // columns) if rows == 1 else rows
    figure = Figure(figsize=(max(1.0 * columns, 4), 1.1 * grid_rows + 0.6))
    grid = figure.subplots(grid_rows, columns, squeeze=False)
    for axes in grid.flat:
        axes.set_axis_off()
    limit = float(np.abs(filters).max()) or 1.0
    for o in range(c_out):
        for i in range(rows):
            axes = grid[o // columns, o % columns] if rows == 1 else grid[i, o]
            axes.set_axis_on()
            axes.imshow(filters[o, i], cmap="RdBu_r", vmin=-limit, vmax=limit)
            axes.set_xticks([])
            axes.set_yticks([])
            if i == 0:
                axes.set_title(f"c'={o}", fontsize=8)
            if o == 0 and rows > 1:
                axes.set_ylabel(f"input c={i}", fontsize=8)
    figure.suptitle(f"learned filters ({conv.kernel_size}×{conv.kernel_size}); blue < 0 < red")
    figure.savefig(path)
    return path
