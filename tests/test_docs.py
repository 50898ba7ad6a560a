"""Every ```python block of README.md and of every page under docs/ runs, page by page, in one
namespace.

A python block followed directly by an ```output block must print exactly that output."""

import contextlib
import importlib.util
import io
import re
from pathlib import Path

import pytest
from helpers import require

DOCS = Path(__file__).resolve().parent.parent / "docs"
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


def code_blocks(text):
    """(language, body, end offset) of every fenced block of a Markdown page, in order."""
    return [(m.group(1), m.group(2), m.start(), m.end()) for m in FENCE.finditer(text)]


def python_steps(text):
    """[(code, expected output or None)] for the page's python blocks, in page order."""
    blocks = code_blocks(text)
    steps = []
    for index, (language, body, _, end) in enumerate(blocks):
        if language != "python":
            continue
        expected = None
        if index + 1 < len(blocks):
            next_language, next_body, next_start, _ = blocks[index + 1]
            if next_language == "output" and not text[end:next_start].strip():
                expected = next_body
        steps.append((body, expected))
    return steps


def normalized(output):
    """Output compared line by line without trailing spaces or trailing blank lines."""
    return "\n".join(line.rstrip() for line in output.rstrip().splitlines())


NO_MATPLOTLIB = "matplotlib is not installed, so "  # how plot_history and plot_filters say it


def without_matplotlib_notes(output):
    """Output less the lines where a plot function says it wrote numbers for lack of matplotlib:
    the pages show a run with every extra installed."""
    return "".join(
        line for line in output.splitlines(keepends=True) if not line.startswith(NO_MATPLOTLIB)
    )


README = DOCS.parent / "README.md"
PAGES = [README] + sorted(
    p for p in DOCS.rglob("*.md") if python_steps(p.read_text(encoding="utf-8"))
)


REQUIRED = [
    "index.md",
    "tutorials/01-tensors-and-autodiff.md",
    "tutorials/02-dense-to-conv.md",
    "tutorials/03-training.md",
    "guides/extending.md",
    "es/index.md",
    "es/tutoriales/01-tensores-y-autodiff.md",
    "es/tutoriales/02-de-densas-a-convolucionales.md",
    "es/tutoriales/03-entrenamiento.md",
    "es/grafos.md",
    "es/guias/extender.md",
    *[f"reference/{name}.md" for name in ("tensor", "ops", "gradcheck", "nn", "optim")],
    *[f"reference/{name}.md" for name in ("data", "viz", "teach", "train", "models")],
]


def test_the_docs_have_code_to_run():
    found = {str(p.relative_to(DOCS)) for p in PAGES if p != README}
    missing = [page for page in REQUIRED if page not in found]
    assert not missing, f"these pages are missing or have no python block: {missing}"


def test_the_fence_parser_pairs_code_with_its_output():
    page = "x\n```python\nprint(1)\n```\n\n```output\n1\n```\n```python\npass\n```\n"
    assert python_steps(page) == [("print(1)\n", "1\n"), ("pass\n", None)]


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS.parent)) for p in PAGES])
def test_page_runs(page, tmp_path, monkeypatch):
    has_matplotlib = importlib.util.find_spec("matplotlib") is not None
    if has_matplotlib:
        import matplotlib

        matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)  # files the docs write land in a temporary folder
    namespace = {"__name__": "__docs__"}
    for number, (code, expected) in enumerate(python_steps(page.read_text(encoding="utf-8"))):
        captured = io.StringIO()
        with contextlib.redirect_stdout(captured):
            exec(compile(code, f"{page.name}[block {number}]", "exec"), namespace)  # noqa: S102
        if expected is not None:
            output = captured.getvalue()
            if not has_matplotlib:
                output = without_matplotlib_notes(output)
            assert normalized(output) == normalized(expected), (
                f"{page.name}, block {number}: the printed output differs from the page"
            )
    if has_matplotlib:
        import matplotlib.pyplot as plt

        plt.close("all")


def test_mkdocs_builds_without_warnings(tmp_path):
    require("mkdocs")  # an optional extra: pip install -e '.[docs]'
    import subprocess
    import sys

    root = DOCS.parent
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "s")],
        check=False,
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_page_is_in_the_site_navigation():
    config = (DOCS.parent / "mkdocs.yml").read_text(encoding="utf-8")
    pages = [str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")]
    missing = [page for page in pages if f": {page}" not in config]
    assert not missing, f"add these pages to the nav of mkdocs.yml: {missing}"


LINK = re.compile(r"\]\(([^)#\s]+\.md)(#[^)]*)?\)")


def test_relative_links_point_to_existing_pages():
    broken = []
    for page in DOCS.rglob("*.md"):
        for target, _ in LINK.findall(page.read_text(encoding="utf-8")):
            if "://" not in target and not (page.parent / target).resolve().is_file():
                broken.append(f"{page.relative_to(DOCS)} → {target}")
    assert not broken, f"broken links: {broken}"
