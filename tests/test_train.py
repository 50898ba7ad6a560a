"""Tests of train.fit (a short seeded run reaching a fixed accuracy), evaluate, the progress bar,
and the plots with matplotlib and without it (numbers written as text instead)."""

import filecmp
import io
import sys
import warnings

import numpy as np
import pytest
from helpers import require

import minigrad as mg
from minigrad import data, models, nn, optim, train


@pytest.fixture(scope="module")
def digits():
    return data.load_digits()


def test_a_short_seeded_training_run_reaches_a_fixed_accuracy(digits, capsys):
    (X, y), test = digits
    model = models.digits_cnn(seed=0)
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    history = train.fit(model, optimizer, X, y, epochs=3, validation=test, seed=0)
    assert history["val_accuracy"][-1] >= 0.9
    assert history["loss"][0] > history["loss"][-1]
    assert len(history["seconds"]) == len(history["accuracy"]) == 3
    X_test, y_test = test  # the validation numbers are the test set's, computed apart
    expected = numpy_cross_entropy_and_accuracy(model(mg.Tensor(X_test)).data, y_test)
    assert (history["val_loss"][-1], history["val_accuracy"][-1]) == pytest.approx(expected)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and lines[0].startswith("epoch 1/3 [####################] 43/43")
    assert "loss " in lines[0] and "acc " in lines[0] and "val_acc " in lines[0]


def test_same_seed_same_history(digits):
    (X, y), _ = digits
    histories = []
    for _ in range(2):
        model = nn.Sequential(nn.Vect(), nn.Dense(64, 10, seed=1))
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        histories.append(train.fit(model, opt, X[:200], y[:200], 2, seed=5, progress=False))
    assert histories[0]["loss"] == histories[1]["loss"]


def test_regression_with_mse_has_no_accuracy():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3)).astype(np.float32)
    y = (X @ np.array([[1.0], [-2.0], [0.5]])).astype(np.float32)
    model = nn.Dense(3, 1, seed=0)
    history = train.fit(
        model, optim.SGD(model.parameters(), lr=0.1), X, y, 20, 16,
        loss=nn.functional.mse_loss, validation=(X, y), progress=False,
    )  # fmt: skip
    assert history["accuracy"][-1] is None and history["val_accuracy"][-1] is None
    assert history["val_loss"][-1] < 0.01


@pytest.mark.parametrize("shape", [(64, 1), (64, 10)])
def test_integer_targets_that_are_not_labels_have_no_accuracy(shape):
    """Integer regression targets (n, 1) or one-hot rows (n, 10) are not class labels: argmax
    == y broadcast them into an (n, n) comparison (an "accuracy" of 7.0) or failed."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3)).astype(np.float32)
    y = rng.integers(0, 2, size=shape)
    model = nn.Dense(3, shape[1], seed=0)
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    mse = nn.functional.mse_loss
    history = train.fit(model, optimizer, X, y, 1, loss=mse, validation=(X, y), progress=False)
    assert history["accuracy"] == [None] and history["val_accuracy"] == [None]
    assert train.evaluate(model, X, y, loss=mse)[1] is None


def test_labels_as_floats_or_a_tensor_are_labels_too(digits):
    """cross_entropy takes whole-number float labels (a Tensor of labels is float32): fit and
    evaluate measure their accuracy as for integers."""
    (X, y), _ = digits
    X, y = X[:96], y[:96]
    histories, accuracies = [], []
    for labels in (y, y.astype(np.float64), mg.Tensor(y)):
        model = nn.Sequential(nn.Vect(), nn.Dense(64, 10, seed=0))
        optimizer = optim.SGD(model.parameters(), lr=0.1)
        histories.append(train.fit(model, optimizer, X, labels, 2, seed=0, progress=False))
        accuracies.append(train.evaluate(model, X, labels)[1])
    assert histories[0]["accuracy"][0] is not None and accuracies[0] is not None
    assert histories[1]["accuracy"] == histories[0]["accuracy"] == histories[2]["accuracy"]
    assert accuracies[1] == accuracies[0] == accuracies[2]


def test_fit_and_evaluate_hand_a_custom_loss_the_same_targets():
    seen = []

    def loss(prediction, target):
        seen.append((type(target), target.dtype))
        return nn.functional.mse_loss(prediction, target)

    X, y = np.ones((3, 2), np.float32), np.ones((3, 1))  # float64 targets, float32 outputs
    model = nn.Dense(2, 1, seed=0)
    train.fit(model, optim.SGD(model.parameters(), lr=0.1), X, y, 1, progress=False, loss=loss)
    train.evaluate(model, X, y, loss=loss)
    assert seen == [(mg.Tensor, np.float32)] * 2  # the output's dtype, in both


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_redraws_on_a_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")  # wide enough for every line (see the test below)
    stream = Terminal()
    bar = train.ProgressBar(epochs=2, steps=4, stream=stream, width=8)
    bar.update(1, 2, {"loss": 10.5, "acc": 0.75})
    bar.update(1, 3, {"loss": 0.5, "acc": None})  # shorter: spaces cover the old end
    bar.finish(1, {"loss": 0.25, "acc": None}, 1.0)
    bar.update(2, 1, {"loss": 0.5})  # a new line: nothing to cover
    assert stream.getvalue() == (
        "\repoch 1/2 [####....] 2/4  loss 10.5000  acc 0.750"
        "\repoch 1/2 [######..] 3/4  loss 0.5000" + " " * 12 +
        "\repoch 1/2 [########] 4/4  loss 0.2500  1.0s\n"
        "\repoch 2/2 [##......] 1/4  loss 0.5000"
    )  # fmt: skip


def test_progress_bar_cuts_a_redrawn_line_to_the_terminal_width(monkeypatch):
    """A longer line wraps, and "\r" returns only to the start of its last row: every redraw
    added a row (a diverging loss such as 4808507489561136.0000 made the line that long)."""
    monkeypatch.setenv("COLUMNS", "30")
    stream = Terminal()
    bar = train.ProgressBar(epochs=2, steps=4, stream=stream, width=8)
    bar.update(1, 2, {"loss": 4808507489561136.0, "acc": 0.75})
    bar.finish(1, {"loss": 0.25, "acc": None}, 1.0)  # the record of the epoch: whole
    assert stream.getvalue() == (
        "\repoch 1/2 [####....] 2/4  los"  # 29 characters: the last column stays free
        "\repoch 1/2 [########] 4/4  loss 0.2500  1.0s\n"
    )


def test_fit_stopped_mid_epoch_ends_the_progress_line(monkeypatch):
    """Ctrl-C (or an error) mid-epoch left the half-drawn line open: the traceback began on it."""
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setattr(sys, "stdout", Terminal())
    model = nn.Sequential(nn.Dense(2, 2, seed=0))
    calls = []

    def interrupted_at_step_2(out, labels):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return nn.functional.cross_entropy(out, labels)

    X, y = np.ones((8, 2), np.float32), np.array([0, 1] * 4)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(KeyboardInterrupt):
        train.fit(model, optimizer, X, y, 1, batch_size=4, loss=interrupted_at_step_2)
    shown = sys.stdout.getvalue()  # the line of step 1, ended
    assert shown.startswith("\repoch 1/1 [##########..........] 1/2  loss ")
    assert shown.endswith("\n") and shown.count("\n") == 1
    sys.stdout.truncate(0)
    train.fit(model, optimizer, X, y, 1, batch_size=8)  # finished: its own newline, no other
    assert sys.stdout.getvalue().count("\n") == 1


def is_png(path):
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


HISTORY = {"loss": [1.0, 0.5], "accuracy": [0.5, 0.8], "val_loss": [1.1, 0.6],
           "val_accuracy": [0.4, 0.7], "seconds": [0.1, 0.1]}  # fmt: skip


def test_fit_and_evaluate_refuse_what_they_cannot_train_on():
    model = nn.Sequential(nn.Vect(), nn.Dense(4, 2, seed=0))
    optimizer = mg.optim.SGD(model.parameters(), lr=0.1)
    X, y = np.zeros((6, 2, 2, 1), dtype=np.float32), np.zeros(6, dtype=np.int64)
    with pytest.raises(ValueError, match="fit: batch_size must be an int ≥ 1; got 0"):
        train.fit(model, optimizer, X, y, epochs=1, batch_size=0, progress=False)
    with pytest.raises(ValueError, match=r"fit: X holds no examples \(shape \(0, 2, 2, 1\)\)"):
        train.fit(model, optimizer, X[:0], y[:0], epochs=1, progress=False)
    with pytest.raises(ValueError, match="evaluate: X holds no examples"):
        train.evaluate(model, X[:0], y[:0])
    with pytest.raises(ValueError, match="evaluate: X and y need one row per example"):
        train.evaluate(model, X, y[:5])
    for seed, error in ((-1, ValueError), (1.5, TypeError)):
        with pytest.raises(error, match="fit: seed must be an int"):
            train.fit(model, optimizer, X, y, epochs=1, seed=seed, progress=False)
    for epochs in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match=f"fit: epochs must be an int ≥ 1 .*got {epochs}"):
            train.fit(model, optimizer, X, y, epochs=epochs, progress=False)
    # A bad validation set is refused before the first epoch, not after it.
    before = model.parameters()[0].data.copy()
    with pytest.raises(ValueError, match=r"validation must be a pair \(X, y\) .*got a ndarray"):
        train.fit(model, optimizer, X, y, epochs=1, validation=X, progress=False)
    with pytest.raises(ValueError, match=r"fit \(validation\): X and y need one row per"):
        train.fit(model, optimizer, X, y, epochs=1, validation=(X, y[:5]), progress=False)
    np.testing.assert_array_equal(model.parameters()[0].data, before)  # nothing was trained


def test_plots_with_matplotlib(tmp_path):
    require("matplotlib")  # an optional extra; the fallback is tested below
    assert is_png(train.plot_history(HISTORY, tmp_path / "loss.png"))
    conv = nn.Conv2D(2, 3, 3, seed=0)
    assert is_png(train.plot_filters(conv, tmp_path / "filters.png"))


def test_plots_without_matplotlib_write_numbers_and_say_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib → ImportError
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    path = train.plot_history(HISTORY, tmp_path / "loss.png")
    assert path == tmp_path / "loss.csv"
    assert path.read_text().splitlines() == [
        "epoch,loss,accuracy,val_loss,val_accuracy", "1,1.0,0.5,1.1,0.4", "2,0.5,0.8,0.6,0.7",
        "# written by minigrad.train.plot_history (matplotlib was not installed)",
    ]  # fmt: skip
    table = np.genfromtxt(path, delimiter=",", names=True)  # the comment line is skipped
    assert table.dtype.names[:2] == ("epoch", "loss") and table["loss"].tolist() == [1.0, 0.5]
    conv = nn.Conv2D(1, 2, 3, bias=False, seed=0)
    conv.weight.data[:] = np.arange(18, dtype=np.float32).reshape(9, 2)
    text = train.plot_filters(conv, tmp_path / "filters.png").read_text()
    assert text.startswith("filter c'=0, input channel 0:\n+0.000 +2.000 +4.000\n")
    assert text.endswith(
        "\n# written by minigrad.train.plot_filters (matplotlib was not installed)\n"
    )
    out = capsys.readouterr().out
    assert out.count("matplotlib is not installed") == 2 and "pip install" in out
    train.plot_history(HISTORY, tmp_path / "quiet.png", quiet=True)
    assert train.plot_filters(conv, tmp_path / "quiet.png", quiet=True).suffix == ".txt"
    assert capsys.readouterr().out == ""  # quiet: the caller says it once
    regression = {**HISTORY, "accuracy": [None, None], "val_accuracy": [None, None]}
    lines = train.plot_history(regression, tmp_path / "mse.png", quiet=True).read_text()
    assert lines.splitlines()[:2] == ["epoch,loss,val_loss", "1,1.0,1.1"]  # no column of None


def test_the_numbers_never_replace_a_file_the_user_wrote(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    (tmp_path / "digits.csv").write_text("pixel0,pixel1\n0,1\n")  # the user's data
    (tmp_path / "log.csv").write_text("epoch,loss,val_loss\n0,0.91,0.95\n")  # another tool's
    with pytest.raises(FileExistsError, match=r"log.csv already exists"):
        train.plot_history(HISTORY, tmp_path / "log.png", quiet=True)
    assert (tmp_path / "log.csv").read_text() == "epoch,loss,val_loss\n0,0.91,0.95\n"
    with pytest.raises(FileExistsError, match=r"digits.csv already exists.*left alone"):
        train.plot_history(HISTORY, tmp_path / "digits.png", quiet=True)
    assert (tmp_path / "digits.csv").read_text() == "pixel0,pixel1\n0,1\n"
    (tmp_path / "mine.txt").write_text("my notes\n")
    with pytest.raises(FileExistsError, match="mine.txt already exists"):
        train.plot_filters(nn.Conv2D(1, 2, 3, seed=0), tmp_path / "mine.png", quiet=True)
    assert (tmp_path / "mine.txt").read_text() == "my notes\n"
    # what these functions wrote before is replaced (a training script run twice), even with
    # other columns (a run without validation after one with it)
    without_validation = {"loss": [1.0], "accuracy": [0.5], "seconds": [0.1]}
    for history in (HISTORY, without_validation):
        assert train.plot_history(history, tmp_path / "loss.png", quiet=True).exists()
        assert train.plot_filters(nn.Conv2D(1, 2, 3), tmp_path / "f.png", quiet=True).exists()


def test_overwrite_replaces_a_numbers_file_the_user_wrote(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    (tmp_path / "digits.csv").write_text("pixel0,pixel1\n0,1\n")
    (tmp_path / "mine.txt").write_text("my notes\n")
    (tmp_path / "other.csv").write_text("untouched\n")
    assert not train.wrote_numbers(tmp_path / "digits.csv")
    curves = train.plot_history(HISTORY, tmp_path / "digits.png", quiet=True, overwrite=True)
    conv = nn.Conv2D(1, 2, 3, seed=0)
    filters = train.plot_filters(conv, tmp_path / "mine.png", quiet=True, overwrite=True)
    assert curves.read_text().startswith("epoch,loss") and train.wrote_numbers(curves)
    assert filters.read_text().startswith("filter c'=0") and train.wrote_numbers(filters)
    assert (tmp_path / "other.csv").read_text() == "untouched\n"


def png_width(path):
    return int.from_bytes(path.read_bytes()[16:20], "big")  # the IHDR chunk's width


def test_the_history_of_a_regression_has_no_empty_accuracy_panel(tmp_path):
    """It had one, and matplotlib warned "No artists with labels found to put in legend"."""
    require("matplotlib")
    regression = {**HISTORY, "accuracy": [None, None], "val_accuracy": [None, None]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        path = train.plot_history(regression, tmp_path / "mse.png")
    both = train.plot_history(HISTORY, tmp_path / "both.png")
    assert is_png(path) and png_width(path) == png_width(both) // 2


def test_the_history_plot_marks_whole_epochs_only(tmp_path, monkeypatch):
    """Three epochs were marked 1.00, 1.25, 1.50, … as if there were fractions of an epoch."""
    require("matplotlib")
    from matplotlib.figure import Figure

    figures = []
    save = Figure.savefig
    monkeypatch.setattr(
        Figure, "savefig", lambda self, path: figures.append(self) or save(self, path)
    )
    history = {key: [*values, values[-1]] for key, values in HISTORY.items()}  # three epochs
    train.plot_history(history, tmp_path / "loss.png")
    for axes in figures[0].axes:
        ticks = [t for t in axes.get_xticks() if 1 <= t <= 3]
        assert ticks == [1, 2, 3]


@pytest.mark.parametrize("matplotlib", [True, False])
def test_a_picture_path_whose_suffix_is_no_picture_format_is_refused(
    tmp_path, monkeypatch, matplotlib
):
    """loss_lr0.01 has the suffix ".01": matplotlib said "Format '01' is not supported", and
    without it loss_lr0.01 and loss_lr0.05 both wrote loss_lr0.csv, the second over the first."""
    if matplotlib:
        require("matplotlib")
    else:
        monkeypatch.setitem(sys.modules, "matplotlib", None)
        monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    conv = nn.Conv2D(1, 2, 3, seed=0)
    for lr in (0.01, 0.05):
        with pytest.raises(ValueError, match=rf"plot_history: loss_lr{lr} ends in .*_lr{lr}\.png"):
            train.plot_history(HISTORY, tmp_path / f"loss_lr{lr}", quiet=True)
        with pytest.raises(ValueError, match=r"plot_filters: .* not a picture format"):
            train.plot_filters(conv, tmp_path / f"filters_lr{lr}", quiet=True)
    assert not list(tmp_path.iterdir())
    assert train.plot_history(HISTORY, tmp_path / "loss.PDF", quiet=True).exists()


def test_the_numbers_written_with_windows_line_ends_are_recognised(tmp_path):
    """On Windows write_text ends lines with \r\n: the last line's mark was not found, so a
    second run refused to replace its own loss.csv (FileExistsError, after the training)."""
    for suffix, mark in train.NUMBERS_MARK.items():
        path = tmp_path / f"numbers{suffix}"
        path.write_text(f"epoch,loss\n1,0.5\n{mark}\n", newline="\r\n")
        assert train.wrote_numbers(path)
        path.write_text(f"epoch,loss\n1,0.5 {mark}\n", newline="\r\n")  # not a line of its own
        assert not train.wrote_numbers(path)


@pytest.mark.parametrize("matplotlib", [True, False])
def test_a_picture_in_a_folder_that_does_not_exist_is_refused_before_drawing(
    tmp_path, monkeypatch, matplotlib
):
    """matplotlib's FileNotFoundError came from deep inside savefig (without it, from
    write_text), naming neither the function nor the fix."""
    if matplotlib:
        require("matplotlib")
    else:
        monkeypatch.setitem(sys.modules, "matplotlib", None)
        monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    missing = tmp_path / "results"
    with pytest.raises(FileNotFoundError, match=r"plot_history: the folder .*results does not "
                       r"exist; create it first \(Path\(.*\)\.mkdir\(parents=Tr"):  # fmt: skip
        train.plot_history(HISTORY, missing / "loss.png", quiet=True)
    with pytest.raises(FileNotFoundError, match=r"plot_filters: the folder .*results does not"):
        train.plot_filters(nn.Conv2D(1, 2, 3, seed=0), missing / "filters", quiet=True)
    assert not missing.exists()
    monkeypatch.setenv("HOME", str(tmp_path))
    assert train.plot_history(HISTORY, "~/loss.png", quiet=True).parent == tmp_path


def test_a_picture_path_without_suffix_gets_png(tmp_path):
    require("matplotlib")
    path = train.plot_history(HISTORY, tmp_path / "history")
    assert path == tmp_path / "history.png" and is_png(path)
    assert train.plot_filters(nn.Conv2D(1, 2, 3, seed=0), tmp_path / "filters").suffix == ".png"


def test_filters_of_a_model_or_a_local_layer_is_refused_with_the_layer_to_pass(tmp_path):
    model = models.digits_cnn(seed=0)
    with pytest.raises(TypeError, match=r"one Conv2D layer.*got a Sequential.*model\.conv1"):
        train.plot_filters(model, tmp_path / "f.png")
    with pytest.raises(TypeError, match="^filters_of takes one Conv2D layer.*got a Local"):
        train.filters_of(nn.Local((5, 5, 1), 2, 3, seed=0))
    # Layers without names are reached by index: model.0 is a SyntaxError (a second reader's find)
    unnamed = nn.Sequential(nn.Sequential(nn.Conv2D(1, 2, 3, seed=0), nn.ReLU()))
    with pytest.raises(TypeError, match=r"^plot_filters takes .*Its Conv2D layers: 0\.0 \(pass "
                       r"model\[0\]\[0\]\)"):  # fmt: skip
        train.plot_filters(unnamed, tmp_path / "f.png")
    for bad in (0, -1, 2.0):
        with pytest.raises(ValueError, match="max_channels must be an int ≥ 1"):
            train.plot_filters(model.conv1, tmp_path / "f.png", max_channels=bad)
    assert not list(tmp_path.iterdir())


def test_filters_of_unvects_the_weight_in_patch_order():
    conv = nn.Conv2D(2, 1, 3, bias=False, seed=0)
    a, b, channel = 0, 2, 1
    conv.weight.data[:] = 0
    conv.weight.data[(a * 3 + b) * 2 + channel, 0] = 1
    filters = train.filters_of(conv)
    assert filters.shape == (1, 2, 3, 3) and filters[0, channel, a, b] == 1 and filters.sum() == 1


def numpy_cross_entropy_and_accuracy(logits, y):
    """The mean cross-entropy and the accuracy of `logits` for labels `y`, in plain numpy."""
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(y)), y].mean(), np.mean(logits.argmax(axis=1) == y)


def test_evaluate_records_no_graph_and_averages_over_examples(digits):
    (X, y), _ = digits
    model = nn.Sequential(nn.Vect(), nn.Dense(64, 10, seed=0))
    recorded = []

    def loss_that_looks(out, labels):
        recorded.append(out.requires_grad)  # the weights require grad: only no_grad stops it
        return nn.functional.cross_entropy(out, labels)

    loss, accuracy = train.evaluate(model, X[:10], y[:10], loss=loss_that_looks, batch_size=3)
    assert recorded == [False] * 4 and mg.is_grad_enabled()
    expected_loss, expected_accuracy = numpy_cross_entropy_and_accuracy(
        model(mg.Tensor(X[:10])).data, y[:10]
    )  # batches of 3, 3, 3 and 1: the mean is over the 10 examples, not the 4 batches
    assert loss == pytest.approx(expected_loss, rel=1e-5)
    assert accuracy == expected_accuracy


def test_fit_reports_the_accuracy_of_the_batches_it_trained_on(digits):
    (X, y), _ = digits
    model = nn.Sequential(nn.Vect(), nn.Dense(64, 10, seed=0))
    _, before = numpy_cross_entropy_and_accuracy(model(mg.Tensor(X[:64])).data, y[:64])
    # one batch, and an lr so small the step changes nothing: the accuracy is the start's
    optimizer = optim.SGD(model.parameters(), lr=1e-9)
    history = train.fit(model, optimizer, X[:64], y[:64], 1, batch_size=64, progress=False)
    assert history["accuracy"] == [pytest.approx(before)] and 0.02 < before < 0.5


def test_shapes_show_translation_equivariance():
    # Trained with the patterns on the left, tested with them on the right: a conv net (shared
    # W, then a max over all positions) still recognises them; a dense net has never seen them.
    train_set, test_set = data.load_shapes(seed=0)  # 800 train, 400 test images
    conv = nn.Sequential(
        nn.Conv2D(1, 8, 3, seed=0), nn.ReLU(), nn.MaxPool2D(12), nn.Vect(), nn.Dense(8, 4, seed=0)
    )
    dense = nn.Sequential(nn.Vect(), nn.Dense(144, 32, seed=0), nn.ReLU(), nn.Dense(32, 4, seed=0))
    accuracy = {}
    for name, model in (("conv", conv), ("dense", dense)):
        optimizer = optim.Adam(model.parameters(), lr=0.01)
        history = train.fit(
            model, optimizer, *train_set, 10, validation=test_set, seed=0, progress=False
        )
        assert history["accuracy"][-1] >= 0.9  # both learn the training region
        accuracy[name] = history["val_accuracy"][-1]
    assert accuracy["conv"] >= 0.95 and accuracy["dense"] <= 0.5, accuracy


def test_one_output_column_has_no_accuracy_even_with_integer_labels():
    """Labels 0/1 fitted by a single output (mse on out[:, 0]): there is no class axis to take
    an argmax over (it would always be 0), so accuracy is None, not the share of 0 labels."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3)).astype(np.float32)
    y = rng.integers(0, 2, size=64)  # 1-D integer labels, as cross_entropy takes them

    def loss(out, target):
        return nn.functional.mse_loss(out.reshape(-1), mg.Tensor(target, dtype=out.dtype))

    model = nn.Dense(3, 1, seed=0)
    optimizer = optim.SGD(model.parameters(), lr=0.01)
    history = train.fit(model, optimizer, X, y, 1, loss=loss, validation=(X, y), progress=False)
    assert history["accuracy"] == [None] and history["val_accuracy"] == [None]
    assert train.evaluate(model, X, y, loss=loss)[1] is None


def test_float_targets_that_are_not_finite_are_not_labels():
    """inf == round(inf): a float target is a class label only when it is finite and whole."""
    X, y = np.ones((4, 2), np.float32), np.array([0.0, 1.0, np.inf, 1.0])
    model = nn.Dense(2, 2, seed=0)

    def loss(out, target):  # any loss: the accuracy is what is checked
        return (out * 0.0).sum()

    assert train.evaluate(model, X, y, loss=loss)[1] is None


def test_integer_targets_that_are_not_labels_reach_a_custom_loss_as_a_tensor():
    """Only integer labels (n,) are handed over as they are; integer (n, 1) targets become a
    Tensor of the output's dtype, as float ones do."""
    seen = []

    def loss(prediction, target):
        seen.append((type(target), target.dtype))
        return nn.functional.mse_loss(prediction, target)

    X, y = np.ones((3, 2), np.float32), np.ones((3, 1), np.int64)
    model = nn.Dense(2, 1, seed=0)
    train.fit(model, optim.SGD(model.parameters(), lr=0.1), X, y, 1, progress=False, loss=loss)
    train.evaluate(model, X, y, loss=loss)
    assert seen == [(mg.Tensor, np.float32)] * 2


def test_a_validation_of_three_items_is_refused_as_not_a_pair():
    model = nn.Dense(2, 2, seed=0)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    X, y = np.zeros((4, 2), np.float32), np.zeros(4, np.int64)
    with pytest.raises(ValueError, match=r"validation must be a pair \(X, y\) .*got a tuple of 3"):
        train.fit(model, optimizer, X, y, 1, validation=(X, y, X), progress=False)


def digits_model():
    return nn.Sequential(nn.Vect(), nn.Dense(64, 10, seed=0))


def test_a_loss_that_is_not_finite_stops_fit_before_the_step_and_says_why(digits):
    """fit went on with loss nan for every epoch (and the weights nan): nothing said why."""
    (X, y), _ = digits
    X, y = X[:64], y[:64]
    model = digits_model()
    before = model.state_dict()
    standardised = (X - X.mean(axis=0)) / np.where(X.std(axis=0) > 0, X.std(axis=0), np.nan)
    with pytest.raises(FloatingPointError, match=r"loss is nan at epoch 1, step 1.*X or y holds"):
        train.fit(model, optim.SGD(model.parameters(), lr=0.1), standardised, y, 2, progress=False)
    for name, value in model.state_dict().items():  # stopped before backward and step
        np.testing.assert_array_equal(value, before[name])
    # too high a learning rate: a regression whose loss overflows after a few steps
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((64, 3)).astype(np.float32) * 10, np.ones((64, 1), np.float32)
    model = nn.Dense(3, 1, seed=0)
    optimizer = optim.SGD(model.parameters(), lr=1.0)
    diverged = r"loss is inf at epoch \d+, step \d+.*diverged.*\(lr=1\).*10 times smaller"
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError, match=diverged):
        train.fit(model, optimizer, X, y, 10, 16, loss=nn.functional.mse_loss, progress=False)
    assert all(np.isfinite(p.data).all() for p in model.parameters())
    # at the first step, before any update, the model or the loss is to blame

    def log_of_zero(out, target):
        return (out * 0.0).sum().log()

    optimizer = optim.SGD(model.parameters(), lr=0.1)
    first_step = r"loss is -inf at epoch 1, step 1, .*no step has changed the weights yet"
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError, match=first_step):
        train.fit(model, optimizer, X, y, 1, loss=log_of_zero, progress=False)


def test_a_loss_that_returns_no_tensor_is_refused_by_fit():
    """A loss computed with numpy failed with "'float' object has no attribute 'backward'"."""
    X, y = np.ones((4, 2), np.float32), np.ones((4, 1), np.float32)
    model = nn.Dense(2, 1, seed=0)

    def numpy_loss(out, target):
        return float(((out.data - target.data) ** 2).mean())

    with pytest.raises(TypeError, match=r"fit: the loss must return a Tensor .*got a float"):
        train.fit(model, optim.SGD(model.parameters(), lr=0.1), X, y, 1, loss=numpy_loss)


class Head(nn.Module):
    """Dense(64 → 10) on flattened 8×8 images; `ending` says what forward does with its output."""

    def __init__(self, ending):
        super().__init__()
        self.dense, self.ending = nn.Dense(64, 10, seed=0), ending

    def forward(self, x):
        out = self.dense(x.reshape(len(x), -1))
        if self.ending == "array":
            return out.data
        if self.ending == "detached":
            return out.detach()
        if self.ending == "returned":
            return out


@pytest.mark.parametrize(
    "ending, error, message",
    [
        (None, TypeError, r"^Head.forward returned None: is `return` missing\?"),
        ("array", TypeError, r"^fit: the model \(Head\) returned a numpy array, not a Tensor"),
        (
            "detached",
            ValueError,
            r"^fit: the model's \(Head\) output does not depend on any weight",
        ),
    ],
)
def test_a_model_whose_output_has_no_graph_is_refused_by_fit(ending, error, message):
    """They failed later, as "Tensor data must be numeric; got NoneType" or "backward: this tensor
    does not require grad", naming neither the model nor its forward (a second reader's find)."""
    X, y = np.ones((8, 8, 8, 1), np.float32), np.arange(8)
    model = Head(ending)
    with pytest.raises(error, match=message):
        train.fit(model, optim.SGD(model.parameters(), lr=0.1), X, y, 1, progress=False)
    model.ending = "returned"
    train.fit(model, optim.SGD(model.parameters(), lr=0.1), X, y, 1, progress=False)


def test_class_names_as_labels_are_refused_with_np_unique():
    X, y = np.ones((4, 8, 8, 1), np.float32), np.array(["cat", "dog", "cat", "eel"])
    model = Head("returned")
    with pytest.raises(TypeError, match=r"^fit: y must hold numbers.*got dtype <U3.*np.unique\(y, "
                       r"return_inverse=True\)"):  # fmt: skip
        train.fit(model, optim.SGD(model.parameters(), lr=0.1), X, y, 1, progress=False)
    with pytest.raises(TypeError, match=r"^evaluate: X must hold numbers"):
        train.evaluate(model, np.array([["a"] * 64] * 4), [0, 1, 0, 1])


def test_a_loss_of_several_numbers_is_left_to_backward_to_refuse():
    """The finite check reads one number: a loss per example goes on to backward's message."""
    X, y = np.ones((4, 2), np.float32), np.ones((4, 1), np.float32)
    model = nn.Dense(2, 1, seed=0)

    def squared_errors(out, target):
        return (out - target) ** 2  # .mean() forgotten

    with pytest.raises(RuntimeError, match=r"backward: the gradient can only be implied for a "
                       r"tensor with one element; this one has shape \(4, 1\)"):  # fmt: skip
        train.fit(model, optim.SGD(model.parameters(), lr=0.1), X, y, 1, loss=squared_errors,
                  progress=False)  # fmt: skip


def test_a_nan_target_is_named_as_the_cause_of_a_nan_loss():
    X, y = np.ones((4, 2), np.float32), np.ones((4, 1), np.float32)
    y[2] = np.nan  # a missing value in a regression's targets
    model = nn.Dense(2, 1, seed=0)
    with pytest.raises(FloatingPointError, match=r"loss is nan at epoch 1, step 1.*X or y holds"):
        train.fit(model, optim.SGD(model.parameters(), lr=0.1), X, y, 1,
                  loss=nn.functional.mse_loss, progress=False)  # fmt: skip


def test_weights_that_are_nan_before_any_step_are_not_said_to_be_finite():
    X, y = np.ones((4, 2), np.float32), np.ones((4, 1), np.float32)
    model = nn.Dense(2, 1, seed=0)
    model.weight.data[0, 0] = np.nan  # say, loaded from a run that diverged
    with pytest.raises(FloatingPointError, match=r"loss is nan at epoch 1, step 1") as error:
        train.fit(model, optim.SGD(model.parameters(), lr=0.1), X, y, 1,
                  loss=nn.functional.mse_loss, progress=False)  # fmt: skip
    assert "some already hold nan or inf" in str(error.value)
    assert "makes it from finite values" not in str(error.value)
    assert "learning rate" not in str(error.value)


class Inflating:
    """An optimizer of a student's own, with neither `params` nor `lr`: each step adds
    10³⁰ to every weight, so the loss overflows at the second step."""

    def __init__(self, parameters):
        self.parameters = parameters

    def zero_grad(self):
        for p in self.parameters:
            p.grad = None

    def step(self):
        for p in self.parameters:
            p.data = p.data + np.float32(1e30)


def test_a_diverging_optimizer_without_params_or_lr_is_still_explained():
    X, y = np.ones((8, 2), np.float32), np.ones((8, 1), np.float32)
    model = nn.Dense(2, 1, seed=0)
    diverged = r"loss is inf at epoch 1, step 2.*training diverged: the learning rate is probably"
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError, match=diverged):
        train.fit(model, Inflating(model.parameters()), X, y, 1, 4,
                  loss=nn.functional.mse_loss, progress=False)  # fmt: skip


def test_an_accuracy_never_measured_draws_no_line_and_no_legend_entry(tmp_path):
    """A validation set without class labels has val_accuracy [None, …]: the accuracy panel
    shows the training line alone, as if no validation accuracy had been kept."""
    require("matplotlib")
    unmeasured = {**HISTORY, "val_accuracy": [None, None]}
    without = {key: value for key, value in HISTORY.items() if key != "val_accuracy"}
    drawn = train.plot_history(unmeasured, tmp_path / "unmeasured.png")
    expected = train.plot_history(without, tmp_path / "without.png")
    assert filecmp.cmp(drawn, expected, shallow=False)  # (not ==: the diff of two PNGs is slow)


def test_an_optimizer_of_another_model_is_refused_before_training(digits):
    """fit trained for nothing: the steps changed another model's weights (as after building the
    model again in a notebook), and the accuracy stayed at chance with no message."""
    (X, y), _ = digits
    model, stale = digits_model(), digits_model()
    before = model.state_dict()
    with pytest.raises(ValueError, match=r"holds none of the model's parameters.*Adam\(model\.p"):
        train.fit(model, optim.Adam(stale.parameters()), X[:64], y[:64], 1, progress=False)
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name])
    only_the_bias = optim.SGD([model[1].bias], lr=0.1)  # a part of the model is fine
    train.fit(model, only_the_bias, X[:64], y[:64], 1, progress=False)


def test_training_that_ends_at_one_class_for_every_example_warns_of_the_learning_rate(digits):
    """lr=10 threw the weights where every ReLU outputs 0: the same scores for every image,
    accuracy at chance, a finite loss, and nothing said so."""
    (X, y), _ = digits
    model = models.digits_cnn(seed=0)
    collapsed = r"every example the same scores.*ignores its input.*\(lr=10\) is probably too"
    with pytest.warns(RuntimeWarning, match=collapsed) as caught:
        train.fit(model, optim.SGD(model.parameters(), lr=10), X, y, 2, seed=0, progress=False)
    assert caught[0].filename == __file__  # it points at the call of fit
    assert "too large" not in str(caught[0].message)  # X is in [0, 1]
    # Pixels of 0 … 255 collapse a model at a learning rate that trains it on [0, 1]: the
    # warning blamed the learning rate alone (a second reader's find).
    model = nn.Sequential(nn.Vect(), nn.Dense(64, 32, seed=0), nn.ReLU(), nn.Dense(32, 10, seed=0))
    scale = r"Or the inputs are too large .*X reaches 255 .*scale it to about \[0, 1\] \(X / 255\)"
    with pytest.warns(RuntimeWarning, match=r"every example the same scores.*" + scale):
        train.fit(
            model, optim.SGD(model.parameters(), lr=0.1), X * 255, y, 2, seed=0, progress=False
        )
    for lr in (3e-3, 1e-9):  # training, and too little training to learn: not a collapse
        model = models.digits_cnn(seed=0)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            train.fit(model, optim.Adam(model.parameters(), lr=lr), X, y, 1, seed=0, progress=False)


def test_an_optimizer_of_your_own_is_not_checked_for_the_models_parameters(digits):
    """(review) fit refused an optimizer of one's own whose .params held the model's tensors in
    another form (PyTorch's parameter groups; a dict by name): none was one of the parameters."""
    (X, y), _ = digits
    model = digits_model()

    class GroupSGD:
        def __init__(self, groups):
            self.params = groups  # [{"params": [...], "lr": ...}, ...]

        def zero_grad(self):
            for group in self.params:
                for p in group["params"]:
                    p.grad = None

        def step(self):
            for group in self.params:
                for p in group["params"]:
                    p.data -= group["lr"] * p.grad.data

    dense = model[1]
    groups = GroupSGD([{"params": [dense.weight], "lr": 0.1}, {"params": [dense.bias], "lr": 0.01}])
    before = dense.weight.data.copy()
    train.fit(model, groups, X[:64], y[:64], 1, progress=False)
    assert not np.array_equal(dense.weight.data, before)


def two_blobs_sorted_by_class():
    """300 points around (−10, −10) of class 0, then 300 around (10, 10) of class 1."""
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(-10, 1, (300, 2)), rng.normal(10, 1, (300, 2))])
    return X.astype(np.float32), np.repeat([0, 1], 300)


@pytest.mark.parametrize("n", [600, 300], ids=["sorted by class", "one class"])
def test_a_model_sure_of_the_right_class_is_not_warned_of_ignoring_its_input(n):
    """(review) The check read X[:256]: on a data set sorted by class (or of one class), a model
    giving probabilities sure of the right class gave all those examples [1, 0], and was said to
    ignore its input, at a training accuracy of 1.000."""
    X, y = two_blobs_sorted_by_class()
    X, y = X[:n], y[:n]
    dense = nn.Dense(2, 2, seed=0)
    dense.weight.data[...] = [[-5, 5], [-5, 5]]  # logits ±100 or more: probabilities of 0 and 1

    def probabilities(x):
        return nn.functional.softmax(dense(x), axis=1)

    def squared_error(p, labels):
        return ((p - np.eye(2, dtype=np.float32)[labels]) ** 2).mean()

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = train.fit(
            probabilities, optim.SGD(dense.parameters(), lr=0.1), X, y, 1,
            loss=squared_error, progress=False,
        )  # fmt: skip
    assert history["accuracy"] == [1.0]


def test_a_model_that_ignores_its_input_is_seen_on_a_data_set_sorted_by_class():
    """The examples checked are spread over X: its first 256, all of class 0 here, would hide a
    model that answers class 0 for everything (no sign of a collapse in one class)."""
    X, y = two_blobs_sorted_by_class()
    model = nn.Sequential(nn.Dense(2, 4, seed=0), nn.ReLU(), nn.Dense(4, 2, seed=1))
    model[0].bias.data[...] = -1000  # every ReLU at 0 for every example: the output is the bias
    with pytest.warns(RuntimeWarning, match="every example the same scores"):
        train.fit(model, optim.SGD(model.parameters(), lr=0.1), X, y, 1, progress=False)

    def at_most_16(x):  # a model written for batches of 16 (a reshape, say)
        if len(x) > 16:
            raise ValueError(f"at_most_16 got a batch of {len(x)}")
        return model(x)

    # After training, the check runs the model on one batch of the size it trained on, not more.
    with pytest.warns(RuntimeWarning, match="every example the same scores"):
        train.fit(at_most_16, optim.SGD(model.parameters(), lr=0.1), X, y, 1, batch_size=16,
                  progress=False)  # fmt: skip


def test_a_picture_name_starting_with_a_tilde_of_no_user_is_kept(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # as a shell leaves it (Path.expanduser raised)
    assert train._picture_path("plot_history", "~draft_of_no_user.png").name == (
        "~draft_of_no_user.png"
    )
