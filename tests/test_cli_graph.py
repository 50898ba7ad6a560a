"""Tests of the `minigrad graph` command, run through minigrad.cli.main with files in tmp_path."""

import os
import shutil

import pytest

from minigrad.cli import main

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None and not os.environ.get("CI"),
    reason="Graphviz's dot is not installed (in CI these tests run and must pass)",
)


def test_an_example_model_to_dot_text(tmp_path, capsys):
    out = tmp_path / "conv.dot"
    assert main(["graph", "--model", "conv_image", "-o", str(out)]) == 0
    source = out.read_text(encoding="utf-8")
    assert source.startswith("digraph")
    assert "Conv2D conv · 3×3 · 1→2 · 20 params" in source and "Patches k=1" in source
    assert "x ~ (n, 6, 6, 1)" in source  # the batch axis is written n
    assert f"wrote {out}" in capsys.readouterr().out


@needs_dot
def test_svg_is_rendered_with_dot(tmp_path):
    out = tmp_path / "lenet.svg"
    assert main(["graph", "--model", "lenet", "--collapse", "-o", str(out)]) == 0
    svg = out.read_text(encoding="utf-8")
    assert "<svg" in svg and "Conv2D conv1" in svg


def test_collapse_and_backward_options(tmp_path):
    out = tmp_path / "g.dot"
    assert main(["graph", "--model", "digits_cnn", "--collapse", "-o", str(out)]) == 0
    collapsed = out.read_text(encoding="utf-8")
    assert "box3d" in collapsed and "Patches" not in collapsed
    assert main(["graph", "--model", "conv_image", "--backward", "-o", str(out)]) == 0
    backward = out.read_text(encoding="utf-8")
    assert "Fold k=1" in backward and "∂L/∂conv.weight" in backward
    assert "Patches k=1" not in backward  # alone: the forward ops are not drawn
    assert main(["graph", "--model", "conv_image", "--backward", "both", "-o", str(out)]) == 0
    both = out.read_text(encoding="utf-8")
    assert "Fold k=1" in both and "Patches k=1" in both


def test_format_option_and_default_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["graph", "--model", "mlp", "--format", "dot", "--depth", "1"]) == 0
    assert (tmp_path / "graph.dot").read_text(encoding="utf-8").startswith("digraph")


def test_a_python_file_defining_model_and_input_shape(tmp_path):
    script = tmp_path / "my_model.py"
    script.write_text(
        "from minigrad import nn\n"
        "model = nn.Sequential(('hidden', nn.Dense(3, 4)), ('act', nn.Tanh()))\n"
        "input_shape = (3,)\n",
        encoding="utf-8",
    )
    out = tmp_path / "mine.dot"
    assert main(["graph", "--file", str(script), "-o", str(out)]) == 0
    source = out.read_text(encoding="utf-8")
    assert "Dense hidden · 3→4 · 16 params" in source and "hidden.weight" in source


def test_input_shape_option_overrides_and_is_checked(tmp_path, capsys):
    script = tmp_path / "no_shape.py"
    script.write_text("from minigrad import nn\nmodel = nn.Conv2D(1, 2, 3)\n", encoding="utf-8")
    out = tmp_path / "g.dot"
    assert main(["graph", "--file", str(script), "-o", str(out)]) == 2
    assert "--input-shape" in capsys.readouterr().err  # a Conv2D takes images of any size
    assert main(["graph", "--file", str(script), "--input-shape", "5,5,1", "-o", str(out)]) == 0
    assert "x ~ (n, 5, 5, 1)" in out.read_text(encoding="utf-8")
    assert main(["graph", "--file", str(script), "--input-shape", "two", "-o", str(out)]) == 2
    assert "positive sizes" in capsys.readouterr().err


def test_the_input_shape_is_read_from_a_first_dense_or_local_layer(tmp_path):
    script = tmp_path / "dense.py"
    script.write_text(
        "from minigrad import nn\nmodel = nn.Sequential(nn.Dense(5, 2), nn.ReLU())\n",
        encoding="utf-8",
    )
    out = tmp_path / "g.dot"
    assert main(["graph", "--file", str(script), "-o", str(out)]) == 0
    assert "x ~ (n, 5)" in out.read_text(encoding="utf-8")
    script.write_text("from minigrad import nn\nmodel = nn.Local((4, 4, 1), 2, 3)\n")
    assert main(["graph", "--file", str(script), "-o", str(out)]) == 0
    assert "x ~ (n, 4, 4, 1)" in out.read_text(encoding="utf-8")


def test_user_errors_exit_2_with_a_message(tmp_path, capsys):
    assert main(["graph", "--model", "nope", "-o", str(tmp_path / "g.dot")]) == 2
    err = capsys.readouterr().err
    assert "no example model called 'nope'" in err and "lenet" in err
    assert main(["graph", "--file", str(tmp_path / "missing.py")]) == 2
    assert "no such file" in capsys.readouterr().err
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n", encoding="utf-8")
    assert main(["graph", "--file", str(empty)]) == 2
    assert "must define a variable `model`" in capsys.readouterr().err
    assert main(["graph", "--model", "lenet", "--max-nodes", "20", "-o", "g.dot"]) == 2
    assert "collapse=True" in capsys.readouterr().err
    assert main(["graph", "--batch", "0", "-o", str(tmp_path / "g.dot")]) == 2
    assert "--batch" in capsys.readouterr().err


def test_missing_dot_is_reported_with_install_hints(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["graph", "--model", "conv_image", "-o", str(tmp_path / "g.svg")]) == 2
    err = capsys.readouterr().err
    assert "apt-get install graphviz" in err and "brew install graphviz" in err


def test_list_shows_the_example_models(capsys):
    assert main(["graph", "--list"]) == 0
    out = capsys.readouterr().out
    assert "lenet" in out and "(28, 28, 1)" in out
