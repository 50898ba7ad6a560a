"""Tests of `minigrad demo` in --quick mode: what it prints and the files it writes, with and
without the optional extras (matplotlib; Graphviz's `dot`)."""

import argparse
import sys

import pytest

from minigrad import demo


def run_demo(*argv):
    parser = argparse.ArgumentParser()
    demo.add_arguments(parser)
    args = parser.parse_args(list(argv))
    return args.run(args)


def test_quick_demo_prints_and_writes_its_files(tmp_path, capsys):
    assert run_demo("--quick", "--out", str(tmp_path / "out")) == 0
    out = capsys.readouterr().out
    assert "conv1 (Conv2D)" in out and "s²·c·c' + c' = 9·1·16 + 16" in out
    for layer in ("Dense", "Conv2D", "Local", "MaxPool2D", "AvgPool2D"):
        assert f"gradcheck {layer}" in out
    assert out.count(": ok") == len(demo.layer_checks())
    assert "epoch 1/1 [" in out and "Test accuracy:" in out
    written = {path.name for path in (tmp_path / "out").iterdir()}
    pytest.importorskip("matplotlib")
    assert {"loss.png", "filters.png"} <= written
    assert "graph.svg" in written or "graph.dot" in written


def test_demo_defaults():
    parser = argparse.ArgumentParser()
    demo.add_arguments(parser)
    args = parser.parse_args([])
    assert (args.out, args.epochs, args.seed, args.quick) == ("minigrad-demo", 15, 0, False)
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
    assert {p.name for p in tmp_path.iterdir()} == {"loss.csv", "filters.txt", "graph.dot"}
    assert "matplotlib is not installed" in out and "`dot` was not found (test)" in out
    assert (tmp_path / "graph.dot").read_text().startswith("digraph")


def test_demo_refuses_zero_epochs(tmp_path):
    with pytest.raises(ValueError, match="--epochs must be at least 1; got 0"):
        run_demo("--epochs", "0", "--out", str(tmp_path))
