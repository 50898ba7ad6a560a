"""Train a small conv net on the embedded 8×8 digits and show what minigrad does, end to end.

`minigrad demo` prints the model summary, gradchecks every layer type, trains with a progress
bar (its val_ columns are on a validation split: every tenth training image, never trained on),
reports test accuracy once at the end, and writes the loss curve, the learned filters and the
graph."""

import hashlib
import time
from pathlib import Path

import numpy as np

from minigrad import data, models, nn, optim, train, viz
from minigrad.gradcheck import gradcheck
from minigrad.tensor import Tensor

EPOCHS = 15
LEARNING_RATE = 3e-3
BATCH_SIZE = 32


def add_arguments(parser):
    """Add the demo's options to an argparse parser and make `run` its action."""
    parser.add_argument(
        "--out", default="minigrad-demo", help="output folder (default: %(default)s)"
    )
    parser.add_argument(
        "--epochs", type=int, default=None, help=f"epochs (default: {EPOCHS}; 1 with --quick)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a fast smoke run on a few hundred images (1 epoch unless --epochs says more)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="write into --out even if it holds files the demo did not write: its outputs "
        "(loss.png, filters.png, graph.svg, …) replace files of the same names; no other file "
        "is touched",
    )
    parser.set_defaults(run=run)


# What the demo writes (the pictures, or their numbers without matplotlib; the graph as SVG, or
# its DOT source without Graphviz's `dot`).
OUTPUT_NAMES = frozenset(
    {"loss.png", "loss.csv", "filters.png", "filters.txt", "graph.svg", "graph.dot"}
)


# A hidden file in the output folder: the name and SHA-256 of each file the demo wrote there.
# It is how a later run tells its own earlier outputs (replaced freely) from a file of the
# user's that happens to have the same name (refused without --force).
MANIFEST = ".minigrad-demo"


def output_folder(out, force=False):
    """The folder `out`, created if missing; checked before training, so that the demo never
    fails after it. A folder that holds files the demo did not write is refused unless
    `force`: a file counts as the demo's if MANIFEST records it with its current contents.
    With `force` the demo writes there anyway: its outputs replace the files of the same
    names (OUTPUT_NAMES), and every other file is left alone."""
    out_dir = Path(out)
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(
            f"minigrad demo: --out {out_dir} is a file, not a folder. Name a folder for the "
            "pictures (it is created if missing)."
        )
    if out_dir.is_dir() and not force:
        ours = own_outputs(out_dir)
        others = sorted(  # hidden files (.DS_Store, …) are the system's, not the user's work
            path.name
            for path in out_dir.iterdir()
            if not path.name.startswith(".") and path.name not in ours
        )
        if others:
            listed = ", ".join(others[:3]) + (", …" if len(others) > 3 else "")
            raise ValueError(
                f"minigrad demo: the folder {out_dir} already holds files the demo has no record "
                f"of writing ({listed}): yours, ones you changed, or ones an older minigrad or "
                "an interrupted run wrote. Choose a new folder with --out, or pass --force to "
                f"write there anyway: the demo's outputs ({', '.join(sorted(OUTPUT_NAMES))}) "
                "then replace files of the same names, and no other file is touched."
            )
    out_dir.mkdir(parents=True, exist_ok=True)
    return out_dir


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def own_outputs(out_dir):
    """The names of the files in out_dir that an earlier run wrote and no one changed since:
    recorded in MANIFEST with the SHA-256 of what they hold now."""
    try:
        lines = (Path(out_dir) / MANIFEST).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):  # none yet (or unreadable): nothing counts as ours
        return set()
    ours = set()
    for line in lines:
        digest, _, name = line.partition("  ")  # as sha256sum writes it: "<digest>  <name>"
        path = Path(out_dir) / name
        if name in OUTPUT_NAMES and path.is_file() and _digest(path) == digest:
            ours.add(name)
    return ours


def record_outputs(out_dir, paths):
    """Add the files just written (`paths`) to out_dir's MANIFEST, keeping the earlier outputs
    that are still as the demo left them (loss.csv of a run without matplotlib, say)."""
    names = sorted(own_outputs(out_dir) | {Path(path).name for path in paths})
    lines = [f"{_digest(Path(out_dir) / name)}  {name}\n" for name in names]
    (Path(out_dir) / MANIFEST).write_text("".join(lines), encoding="utf-8")


def layer_checks(seed=0):
    """(description, layer, input) for one small instance of every layer type, in float64."""
    rng = np.random.default_rng(seed)

    def image(*shape):
        return Tensor(rng.standard_normal(shape))

    return [
        ("Dense(5, 3)", nn.Dense(5, 3, seed=rng), image(2, 5)),
        ("Conv2D(2, 3, 3, 'same')", nn.Conv2D(2, 3, 3, seed=rng), image(2, 5, 5, 2)),
        (
            "Conv2D(2, 3, 3, 'valid', stride=2)",
            nn.Conv2D(2, 3, 3, padding="valid", stride=2, seed=rng),
            image(2, 7, 7, 2),
        ),
        ("Local((5, 5, 2), 3, 3)", nn.Local((5, 5, 2), 3, 3, seed=rng), image(2, 5, 5, 2)),
        ("MaxPool2D(2)", nn.MaxPool2D(2), image(2, 4, 4, 3)),
        ("AvgPool2D(2)", nn.AvgPool2D(2), image(2, 4, 4, 3)),
        ("Tanh()", nn.Tanh(), image(2, 5)),
        ("Sigmoid()", nn.Sigmoid(), image(2, 5)),
        (
            "Vect → Dense → ReLU → Unvect",
            models.dense_image(seed=seed, shape=(3, 3, 1)),
            image(2, 3, 3, 1),
        ),
    ]


def check_layers(seed=0):
    """gradcheck every layer type with respect to its input and all its parameters; print."""
    for description, layer, x in layer_checks(seed):
        gradcheck(layer, x, params=layer)
        what = ", ".join(["input"] + [name for name, _ in layer.named_parameters()])
        print(f"  gradcheck {description:<36} ∂L/∂({what}): ok")


def draw_graph(model, X, y, out_dir):
    """Draw the graph of the loss on 4 images to out_dir/graph.svg (graph.dot without `dot`)."""
    # x requires grad only so that the drawing starts at the images (an op on data that needs
    # no gradient is not recorded, so pad and patches of the first layer would not be drawn).
    x = Tensor(X[:4], requires_grad=True, name="x")
    loss = nn.functional.cross_entropy(model(x), y[:4])
    dot = viz.draw_graph(loss, model=model, collapse=True, batch_size=4)
    try:
        path = viz.render(dot, out_dir / "graph", format="svg")
    except viz.GraphvizNotFound as error:
        path = out_dir / "graph.dot"
        path.write_text(dot.source)
        print(f"  graph: {error}")
        print(f"  wrote the DOT source to {path} instead.")
        return path
    print(f"  graph: {path}")
    return path


def write_pictures(model, history, out_dir, overwrite=False):
    """Write the loss curve and the learned filters (one message if matplotlib is missing),
    each recorded in MANIFEST as soon as it is written. With `overwrite` (--force), their
    numbers replace a loss.csv or filters.txt of the user's."""
    curves = train.plot_history(history, out_dir / "loss.png", quiet=True, overwrite=overwrite)
    record_outputs(out_dir, [curves])  # at once: if a later step fails, it stays the demo's
    filters = train.plot_filters(
        model.conv1, out_dir / "filters.png", quiet=True, overwrite=overwrite
    )
    record_outputs(out_dir, [filters])
    print(f"  loss curve: {curves}")
    print(f"  filters:    {filters}")
    if curves.suffix != ".png":
        print(
            "  matplotlib is not installed, so the loss curve and the filters were written as "
            f"numbers instead; to get pictures, {train.PLOT_HINT}."
        )


def run(args):
    """The demo: summary, gradchecks, training, test accuracy, plots and graph (see module doc)."""
    started = time.perf_counter()
    # The flags are checked before the output folder is made: a failed run leaves nothing behind.
    if args.epochs is not None and args.epochs < 1:
        raise ValueError(f"minigrad demo: --epochs must be at least 1; got {args.epochs}.")
    if args.seed < 0:
        raise ValueError(
            f"minigrad demo: --seed must be an int ≥ 0 (numpy's seeds cannot be negative); got "
            f"{args.seed}."
        )
    out_dir = output_folder(args.out, args.force)
    (X_train, y_train), (X_test, y_test) = data.load_digits()
    (X_train, y_train), (X_val, y_val) = data.validation_split(X_train, y_train)
    epochs = args.epochs or (1 if args.quick else EPOCHS)  # --epochs wins, with --quick too
    if args.quick:
        X_train, y_train = X_train[:256], y_train[:256]
    constructor, input_shape = models.MODELS["digits_cnn"]
    model = constructor(seed=args.seed)

    print("minigrad demo: a conv net on the UCI 8×8 handwritten digits (channels-last)\n")
    print(nn.summary(model, input_shape))
    print("\n1. Every layer is composed from primitives; its gradients check numerically:")
    check_layers(args.seed)

    print(
        f"\n2. Training on {len(X_train)} images ({epochs} epoch{'s' * (epochs != 1)}, Adam, "
        f"lr={LEARNING_RATE}); "
        f"val_ = {len(X_val)} held-out training images:"
    )
    optimizer = optim.Adam(model.parameters(), lr=LEARNING_RATE)
    history = train.fit(
        model,
        optimizer,
        X_train,
        y_train,
        epochs=epochs,
        batch_size=BATCH_SIZE,
        validation=(X_val, y_val),
        seed=args.seed,
    )
    _, accuracy = train.evaluate(model, X_test, y_test)
    print(f"\n3. Test accuracy: {accuracy:.1%} on {len(y_test)} test images (first use of them).")

    print(f"\n4. Writing pictures to {out_dir}/:")
    write_pictures(model, history, out_dir, overwrite=args.force)
    record_outputs(out_dir, [draw_graph(model, X_test, y_test, out_dir)])
    print(f"\nDone in {time.perf_counter() - started:.1f} s.")
    return 0
