"""Tests of the package around the code (issue 2, "The package"): pyproject.toml, the README's
two quick-start commands, .ci/run, and the licence shipped next to the embedded data."""

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pyproject():
    try:
        import tomllib
    except ImportError:  # Python 3.10, before tomllib (only the pyproject tests need it)
        tomllib = pytest.importorskip("tomli")
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def project(pyproject):
    return pyproject["project"]


def requirement_names(requirements):
    """The distribution names of PEP 508 requirements ("numpy>=1.24" → "numpy")."""
    return {re.match(r"[A-Za-z0-9_.-]+", r).group(0).lower() for r in requirements}


def quick_start_commands():
    """The commands of the fenced blocks of the README's "Quick start" section."""
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    return [
        [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
        for block in blocks
    ]


def test_pyproject_is_pep_621_with_the_issues_dependencies(project):
    assert project["name"] != "minigrad"  # taken on PyPI; the import name stays minigrad
    assert project["requires-python"] == ">=3.10"
    assert requirement_names(project["dependencies"]) == {"numpy", "graphviz"}
    assert {"pytest", "hypothesis"} <= requirement_names(project["optional-dependencies"]["dev"])
    assert project["scripts"]["minigrad"] == "minigrad.cli:main"
    assert (ROOT / "minigrad" / "__init__.py").is_file()


def test_the_quick_start_is_two_commands_in_a_local_virtual_environment():
    demo, tests = quick_start_commands()
    assert len(demo) == len(tests) == 1  # one command each
    for command in (demo[0], tests[0]):
        assert command.startswith("python3 -m venv .venv && .venv/bin/pip install")
        assert " pip " not in command.replace(".venv/bin/pip", "")  # never the system pip
    assert demo[0].endswith(".venv/bin/minigrad demo")
    assert "dev" in tests[0] and tests[0].endswith(".venv/bin/python -m pytest -q")
    assert all(shlex.split(command) for command in (demo[0], tests[0]))  # a shell reads them


def test_the_readme_says_how_to_get_dot_what_happens_without_it_and_how_to_benchmark():
    assert "sudo apt-get install -y graphviz" in README and "brew install graphviz" in README
    assert "Without `dot`, everything else works" in README and "DOT source" in README
    assert "benchmarks/run.py" in README


def test_ci_runs_the_readmes_test_command_and_installs_graphviz_when_dot_is_missing():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    (test_command,) = quick_start_commands()[1]
    assert test_command in ci.splitlines()
    assert "command -v dot" in ci and "graphviz" in ci and "apt-get install" in ci


def test_the_digits_ship_with_their_licence_and_attribution(pyproject, project):
    notes = (ROOT / "minigrad" / "datasets" / "README.md").read_text(encoding="utf-8")
    assert (ROOT / "minigrad" / "datasets" / "digits.npz").is_file()
    assert "CC BY 4.0" in notes and "Alpaydin" in notes and "Kaynak" in notes
    assert "minigrad/datasets/README.md" in project["license-files"]
    assert "datasets/*" in pyproject["tool"]["setuptools"]["package-data"]["minigrad"]  # in wheels
