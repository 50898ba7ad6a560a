"""Tests of `minigrad demo` in --quick mode: what it prints and the files it writes, with and
without the optional extras (matplotlib; Graphviz's `dot`)."""

import argparse
import re
import sys

import numpy as np
import pytest
from helpers import needs_dot, require

import minigrad
from minigrad import data, demo, train


def run_demo(*argv):
    parser = argparse.ArgumentParser()
    demo.add_arguments(parser)
    args = parser.parse_args(list(argv))
    return args.run(args)


def test_quick_demo_prints_and_writes_its_files(tmp_path, capsys):
    assert run_demo("--quick", "--out", str(tmp_path / "out")) == 0
    out = capsys.readouterr().out
    assert "conv1 (Conv2D)" in out and "s²·c·c' + c' = 9·1·16 + 16" in out
    for layer in ("Dense", "Conv2D", "Local", "MaxPool2D", "AvgPool2D", "Tanh", "Sigmoid"):
        assert f"gradcheck {layer}" in out
    assert "gradcheck Vect → Dense → ReLU → Unvect " in out  # the label names every layer
    assert demo.viz is minigrad.viz  # imported plainly: minigrad always has viz
    assert out.count(": ok") == len(demo.layer_checks())
    assert "epoch 1/1 [" in out and "Test accuracy:" in out
    written = {path.name for path in (tmp_path / "out").iterdir()}
    require("matplotlib")
    assert {"loss.png", "filters.png"} <= written
    assert "graph.svg" in written or "graph.dot" in written


@needs_dot
def test_with_dot_the_demo_draws_the_graph_as_svg(tmp_path, capsys):
    assert run_demo("--quick", "--out", str(tmp_path)) == 0
    assert "graph: " + str(tmp_path / "graph.svg") in capsys.readouterr().out
    assert (tmp_path / "graph.svg").read_text().lstrip().startswith(("<?xml", "<svg"))
    assert not (tmp_path / "graph.dot").exists()


def test_demo_defaults():
    parser = argparse.ArgumentParser()
    demo.add_arguments(parser)
    args = parser.parse_args([])
    assert (args.out, args.epochs, args.seed, args.quick) == ("minigrad-demo", None, 0, False)
    assert args.run is demo.run
    assert demo.__doc__.splitlines()[0].startswith("Train a small conv net")


def test_demo_without_matplotlib_or_dot(tmp_path, monkeypatch, capsys):
    from minigrad import viz

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)

    def no_dot(*args, **kwargs):
        raise viz.GraphvizNotFound("Graphviz's `dot` was not found (test)")

    monkeypatch.setattr(viz, "render", no_dot)
    assert run_demo("--quick", "--out", str(tmp_path)) == 0
    out = capsys.readouterr().out
    written = {p.name for p in tmp_path.iterdir()}
    assert written == {"loss.csv", "filters.txt", "graph.dot", demo.MANIFEST}
    assert out.count("matplotlib is not installed") == 1  # one message for both pictures
    assert "loss curve and the filters were written as numbers" in out
    assert "`dot` was not found (test)" in out
    assert (tmp_path / "graph.dot").read_text().startswith("digraph")


def test_the_demo_does_not_write_over_a_folder_of_the_users(tmp_path, capsys):
    (tmp_path / "thesis.tex").write_text("mine")
    with pytest.raises(ValueError, match=r"holds files the demo has no record of writing \(thesis"):
        run_demo("--quick", "--out", str(tmp_path))
    assert [p.name for p in tmp_path.iterdir()] == ["thesis.tex"]  # refused before training
    assert run_demo("--quick", "--out", str(tmp_path), "--force") == 0  # asked for
    assert (tmp_path / "thesis.tex").read_text() == "mine"
    own = tmp_path / "own"
    own.mkdir()
    (own / ".DS_Store").write_text("")  # the system's, not the user's work
    assert run_demo("--quick", "--out", str(own)) == 0
    assert run_demo("--quick", "--out", str(own)) == 0  # its own earlier output: replaced
    capsys.readouterr()


def hide_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib → ImportError
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)


def refuse_to_train(monkeypatch):
    def no_fit(*args, **kwargs):
        raise AssertionError("the demo trained before refusing the folder")

    monkeypatch.setattr(train, "fit", no_fit)


def users_files(folder):
    """A folder of the user's: files named like the demo's outputs, and one that is not."""
    mine = {
        "loss.csv": "my,own,table\n1,2,3\n",
        "filters.txt": "my notes on filters\n",
        "loss.png": "not a picture the demo drew",
        "notes.md": "# keep me\n",
    }
    for name, text in mine.items():
        (folder / name).write_text(text)
    return mine


@pytest.mark.parametrize("matplotlib", [False, True], ids=["no-matplotlib", "matplotlib"])
def test_force_replaces_the_files_named_like_the_demos_outputs_and_nothing_else(
    matplotlib, tmp_path, monkeypatch, capsys
):
    if matplotlib:
        require("matplotlib")
    else:
        hide_matplotlib(monkeypatch)
    mine = users_files(tmp_path)
    assert run_demo("--quick", "--out", str(tmp_path), "--force") == 0
    written = {"loss.png", "filters.png"} if matplotlib else {"loss.csv", "filters.txt"}
    for name, text in mine.items():
        replaced = (tmp_path / name).read_bytes() != text.encode()
        assert replaced == (name in written), name
    if not matplotlib:
        assert (tmp_path / "loss.csv").read_text().startswith("epoch,loss,accuracy")
        assert (tmp_path / "filters.txt").read_text().startswith("filter c'=0")
    capsys.readouterr()


@pytest.mark.parametrize("name", ["loss.csv", "filters.txt"])
def test_without_force_a_users_file_named_like_an_output_is_refused_before_training(
    name, tmp_path, monkeypatch, capsys
):
    hide_matplotlib(monkeypatch)
    (tmp_path / name).write_text("my own numbers\n")
    with monkeypatch.context() as patch:
        refuse_to_train(patch)
        with pytest.raises(ValueError, match=rf"no record of writing \({name}\).*--force"):
            run_demo("--quick", "--out", str(tmp_path))
    assert [p.name for p in tmp_path.iterdir()] == [name]
    assert (tmp_path / name).read_text() == "my own numbers\n"
    assert run_demo("--quick", "--out", str(tmp_path), "--force") == 0
    assert run_demo("--quick", "--out", str(tmp_path)) == 0  # now the demo's own: replaced
    capsys.readouterr()


@pytest.mark.parametrize("name", ["loss.png", "graph.svg"])
def test_a_users_picture_named_like_an_output_is_refused_and_kept(name, tmp_path, monkeypatch):
    (tmp_path / name).write_bytes(b"my own picture")
    with monkeypatch.context() as patch:
        refuse_to_train(patch)
        with pytest.raises(ValueError, match=rf"no record of writing \({name}\)"):
            run_demo("--quick", "--out", str(tmp_path))
    assert (tmp_path / name).read_bytes() == b"my own picture"


def test_an_output_the_user_changed_is_theirs_now(tmp_path, capsys):
    assert run_demo("--quick", "--out", str(tmp_path)) == 0
    written = {p.name for p in tmp_path.iterdir()} - {demo.MANIFEST}
    assert demo.own_outputs(tmp_path) == written  # every output recorded
    curves = next(p for p in tmp_path.iterdir() if p.name.startswith("loss."))
    curves.write_bytes(curves.read_bytes() + b"\n")  # edited by the user after the run
    assert demo.own_outputs(tmp_path) == written - {curves.name}
    with pytest.raises(ValueError, match=rf"no record of writing \({curves.name}\)"):
        run_demo("--quick", "--out", str(tmp_path))
    (tmp_path / demo.MANIFEST).write_bytes(b"\xff not a manifest")  # damaged: nothing is ours
    assert demo.own_outputs(tmp_path) == set()
    capsys.readouterr()


def test_a_run_that_fails_after_a_picture_keeps_it_the_demos(tmp_path, monkeypatch, capsys):
    def broken_dot(*args, **kwargs):
        raise RuntimeError("dot crashed (test)")

    monkeypatch.setattr(demo, "draw_graph", broken_dot)
    with pytest.raises(RuntimeError, match="dot crashed"):
        run_demo("--quick", "--out", str(tmp_path))
    written = {p.name for p in tmp_path.iterdir()} - {demo.MANIFEST}
    assert written and demo.own_outputs(tmp_path) == written  # recorded as they were written
    monkeypatch.undo()
    assert run_demo("--quick", "--out", str(tmp_path)) == 0  # not refused as the user's
    capsys.readouterr()


def test_force_help_says_it_replaces_files_with_the_demos_names():
    parser = argparse.ArgumentParser()
    demo.add_arguments(parser)
    help_text = " ".join(parser.format_help().split())
    assert "replace files of the same names" in help_text


def test_demo_out_that_is_a_file_is_a_clear_error(tmp_path, capsys):
    from minigrad import cli

    (tmp_path / "afile").write_text("x")
    assert cli.main(["demo", "--quick", "--out", str(tmp_path / "afile")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err


def test_demo_refuses_zero_epochs(tmp_path):
    with pytest.raises(ValueError, match="--epochs must be at least 1; got 0"):
        run_demo("--epochs", "0", "--out", str(tmp_path))


def test_the_full_default_demo_reaches_the_target_test_accuracy(tmp_path, capsys):
    assert run_demo("--out", str(tmp_path)) == 0  # 15 epochs, as `minigrad demo` runs
    out = capsys.readouterr().out
    assert "epoch 15/15 [" in out and "val_acc " in out
    accuracy = float(re.search(r"Test accuracy: ([\d.]+)% on 450 test images", out).group(1))
    assert accuracy >= 97.0


def test_without_dot_on_path_the_demo_writes_the_dot_source_and_says_how_to_get_dot(
    tmp_path, monkeypatch, capsys
):
    """No stand-in for render here: the real lookup of `dot` fails, as on a fresh machine."""
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert run_demo("--quick", "--out", str(tmp_path / "out")) == 0
    out = capsys.readouterr().out
    assert (tmp_path / "out" / "graph.dot").read_text().startswith("digraph")
    assert not (tmp_path / "out" / "graph.svg").exists()
    assert "`dot` program was not found" in out and "apt-get install graphviz" in out
    assert "wrote the DOT source to " + str(tmp_path / "out" / "graph.dot") in out


def test_validation_is_a_split_of_the_training_images_not_the_test_set(tmp_path, monkeypatch):
    seen, fit = {}, train.fit

    def spy_fit(model, optimizer, X, y, **settings):
        seen.update(X=X, validation=settings["validation"])
        return fit(model, optimizer, X, y, **settings)

    monkeypatch.setattr(train, "fit", spy_fit)
    run_demo("--quick", "--out", str(tmp_path))
    (X_train, y_train), (X_test, _) = data.load_digits()
    X_val, y_val = seen["validation"]
    assert len(y_val) == 134 and len(seen["X"]) == 256  # --quick trains on 256 images
    assert np.array_equal(X_val, X_train[9::10]) and np.array_equal(y_val, y_train[9::10])
    (fit_X, _), _ = data.validation_split(X_train, y_train)
    assert len(fit_X) + len(X_val) == len(X_train) and not np.array_equal(X_val[:5], X_test[:5])
