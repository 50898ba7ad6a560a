"""Every examples/*.py runs as a script in fast mode (MINIGRAD_FAST=1), with matplotlib and
with matplotlib hidden; the translation experiment's outcome holds with its seed."""

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = sorted(EXAMPLES.glob("*.py"))

# Run a script as __main__ with `import matplotlib` failing, as on a machine without it.
WITHOUT_MATPLOTLIB = """
import runpy, sys
class HideMatplotlib:
    def find_spec(self, name, path=None, target=None):
        if name == "matplotlib" or name.startswith("matplotlib."):
            raise ModuleNotFoundError("No module named 'matplotlib'", name="matplotlib")
sys.meta_path.insert(0, HideMatplotlib())
sys.argv = [sys.argv[1]]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def run_script(script, cwd, hide_matplotlib):
    env = dict(os.environ, MINIGRAD_FAST="1", MPLBACKEND="Agg")
    if hide_matplotlib:
        command = [sys.executable, "-c", WITHOUT_MATPLOTLIB, str(script)]
    else:
        command = [sys.executable, str(script)]
    return subprocess.run(
        command, check=False, cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_examples_exist():
    names = {p.name for p in SCRIPTS}
    expected = {
        "autodiff_basics.py",
        "custom_op.py",
        "dense_local_conv.py",
        "translation_experiment.py",
        "train_digits.py",
        "draw_graphs.py",
    }
    assert expected <= names, f"missing examples: {expected - names}"


@pytest.mark.parametrize("hide_matplotlib", [False, True], ids=["matplotlib", "no-matplotlib"])
@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_example_runs(script, hide_matplotlib, tmp_path):
    result = run_script(script, tmp_path, hide_matplotlib)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert result.stdout.strip(), f"{script.name} printed nothing"
    text = script.read_text(encoding="utf-8")
    assert "\n# %%" in text, "examples are written with # %% cell markers (jupytext, VS Code)"
    assert "\n    # %%" not in text, "a cell marker inside a block would split it in a notebook"
    if hide_matplotlib and "matplotlib" in text:
        assert "matplotlib is not installed" in result.stdout


def test_translation_experiment_outcome(monkeypatch, tmp_path):
    """Trained where the pattern sits in one region, tested elsewhere: conv keeps its
    accuracy, dense drops towards chance (the fast setting, with the script's seed)."""
    monkeypatch.setenv("MINIGRAD_FAST", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)
    script = runpy.run_path(str(EXAMPLES / "translation_experiment.py"))
    results = script["results"]
    conv, dense = results["Conv2D"], results["Dense"]
    assert conv["train_region"] >= 0.9 and dense["train_region"] >= 0.9, results
    assert conv["elsewhere"] >= 0.85, results
    assert dense["elsewhere"] <= conv["elsewhere"] - 0.3, results
    assert conv["parameters"] < dense["parameters"] / 10, results
