"""`minigrad demo --quick` through the real command-line entry point (and as a subprocess)."""

import subprocess
import sys

import pytest

from minigrad import cli


def test_cli_demo_quick(tmp_path, capsys):
    assert cli.main(["demo", "--quick", "--out", str(tmp_path), "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "Test accuracy" in out and "epoch 1/1 " in out
    assert any(p.name.startswith("graph.") for p in tmp_path.iterdir())


def test_cli_demo_quick_keeps_an_epochs_given(tmp_path, capsys):
    """--quick used to replace --epochs 2 by 1, silently."""
    assert cli.main(["demo", "--quick", "--epochs", "2", "--out", str(tmp_path)]) == 0
    assert "epoch 2/2 " in capsys.readouterr().out


def test_cli_demo_help_and_subprocess(tmp_path):
    help_text = subprocess.run(
        [sys.executable, "-m", "minigrad.cli", "demo", "--help"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    for option in ("--out", "--epochs", "--seed", "--quick"):
        assert option in help_text
    done = subprocess.run(
        [sys.executable, "-m", "minigrad.cli", "demo", "--quick", "--out", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Done in" in done.stdout


def test_a_failing_dot_is_a_message_not_a_traceback(tmp_path, monkeypatch, capsys):
    from minigrad import viz

    def crashing_dot(*args, **kwargs):
        raise subprocess.CalledProcessError(1, ["dot", "-Tsvg"], stderr=b"Error: syntax (test)")

    monkeypatch.setattr(viz, "render", crashing_dot)
    assert cli.main(["graph", "--model", "mlp", "-o", str(tmp_path / "g.svg")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("minigrad graph: Command '['dot', '-Tsvg']' returned non-zero")


def test_ctrl_c_is_one_line_and_exit_code_130(tmp_path, monkeypatch, capsys):
    """Ctrl-C during the demo's training printed a traceback of the training loop."""
    from minigrad import train

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(train, "fit", interrupted)
    assert cli.main(["demo", "--quick", "--out", str(tmp_path)]) == 130
    assert capsys.readouterr().err == "\nminigrad demo: interrupted.\n"


def test_an_error_names_the_command_once(tmp_path, capsys):
    assert cli.main(["demo", "--epochs", "0", "--out", str(tmp_path)]) == 2
    assert capsys.readouterr().err == "minigrad demo: --epochs must be at least 1; got 0.\n"
    assert cli.main(["graph", "--file", str(tmp_path / "missing.py")]) == 2
    assert capsys.readouterr().err.startswith("minigrad graph: no such file")


def test_a_negative_seed_names_the_flag_and_creates_no_folder(tmp_path, capsys):
    out = tmp_path / "s1"
    assert cli.main(["demo", "--seed", "-1", "--quick", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("minigrad demo: --seed must be an int ≥ 0") and "got -1" in err
    assert not out.exists()  # checked before the output folder is made


@pytest.mark.parametrize("flags", [[], ["-OO"]], ids=["plain", "docstrings stripped"])
def test_python_dash_m_minigrad_runs_the_command(flags):
    """`python -m minigrad` works where the `minigrad` script is not on PATH, and `-OO` (which
    strips docstrings, where the subcommands' help comes from) does not break it."""
    done = subprocess.run(
        [sys.executable, *flags, "-m", "minigrad", "--help"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: minigrad ") and "demo" in done.stdout
    assert "graph" in done.stdout
