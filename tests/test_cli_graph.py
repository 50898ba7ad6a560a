"""Tests of the `minigrad graph` command, run through minigrad.cli.main with files in tmp_path."""

import re
import shlex
import sys
from pathlib import Path

import pytest
from helpers import needs_dot

from minigrad import viz
from minigrad.cli import main


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
    out = tmp_path / "collapsed.dot"
    assert main(["graph", "--model", "digits_cnn", "--collapse", "-o", str(out)]) == 0
    collapsed = out.read_text(encoding="utf-8")
    assert "box3d" in collapsed and "Patches" not in collapsed
    out = tmp_path / "backward.dot"
    assert main(["graph", "--model", "conv_image", "--backward", "-o", str(out)]) == 0
    backward = out.read_text(encoding="utf-8")
    assert "Fold k=1" in backward and "∂L/∂conv.weight" in backward
    assert "Patches k=1" not in backward  # alone: the forward ops are not drawn
    out = tmp_path / "both.dot"
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
    out = tmp_path / "dense.dot"
    assert main(["graph", "--file", str(script), "-o", str(out)]) == 0
    assert "x ~ (n, 5)" in out.read_text(encoding="utf-8")
    script.write_text("from minigrad import nn\nmodel = nn.Local((4, 4, 1), 2, 3)\n")
    out = tmp_path / "local.dot"
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
    err = capsys.readouterr().err  # in the command's words, not draw_graph's
    assert "more than --max-nodes 20" in err and "--collapse (or --depth 1)" in err
    assert "collapse=True" not in err and "max_nodes" not in err
    assert main(["graph", "--batch", "0", "-o", str(tmp_path / "g.dot")]) == 2
    assert "--batch" in capsys.readouterr().err
    assert main(["graph", "--backward", "--collapse", "-o", str(tmp_path / "g.dot")]) == 2
    assert "--backward both" in capsys.readouterr().err


def test_missing_dot_is_reported_with_install_hints(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["graph", "--model", "conv_image", "-o", str(tmp_path / "g.svg")]) == 2
    err = capsys.readouterr().err
    assert "apt-get install graphviz" in err and "brew install graphviz" in err
    # The way out is said in the command's words, not draw_graph's or render's.
    assert "format='dot'" not in err
    # The DOT text is written instead, beside the image asked for, and the message says where.
    assert f"The DOT text, which needs no Graphviz, is in {tmp_path / 'g.dot'}" in err
    assert (tmp_path / "g.dot").read_text(encoding="utf-8").startswith("digraph")
    assert not (tmp_path / "g.svg").exists()


def test_missing_dot_does_not_replace_an_existing_dot_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    (tmp_path / "g.dot").write_text("mine")
    assert main(["graph", "--model", "mlp", "-o", str(tmp_path / "g.svg")]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'g.dot'} exists already, so the DOT text was not written" in err
    assert (tmp_path / "g.dot").read_text() == "mine"
    assert main(["graph", "--model", "mlp", "--force", "-o", str(tmp_path / "g.svg")]) == 2
    assert (tmp_path / "g.dot").read_text(encoding="utf-8").startswith("digraph")


def test_collapse_with_another_depth_is_refused(tmp_path, capsys):
    out = str(tmp_path / "g.dot")
    assert main(["graph", "--model", "lenet", "--collapse", "--depth", "2", "-o", out]) == 2
    assert "--collapse is --depth 1" in capsys.readouterr().err
    assert main(["graph", "--model", "lenet", "--collapse", "--depth", "1", "-o", out]) == 0


def test_an_output_folder_gets_graph_dot_inside_it(tmp_path, capsys):
    assert main(["graph", "--model", "conv_image", "-o", str(tmp_path), "--format", "dot"]) == 0
    assert (tmp_path / "graph.dot").read_text().startswith("digraph")
    assert str(tmp_path / "graph.dot") in capsys.readouterr().out
    assert not tmp_path.with_suffix(".dot").exists()  # not beside the folder


@pytest.mark.parametrize("folder", ["newdir/", "deep/er/"])
def test_an_output_ending_in_a_slash_is_a_folder_made_for_the_graph(folder, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # argparse's Path("newdir/") would drop the slash: newdir.dot
    assert main(["graph", "--model", "conv_image", "-f", "dot", "-o", folder]) == 0
    assert (tmp_path / folder / "graph.dot").read_text().startswith("digraph")
    assert sorted(path.name for path in tmp_path.iterdir()) == [folder.split("/")[0]]


def test_an_output_ending_in_a_slash_that_is_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "taken").write_text("mine")
    assert main(["graph", "--model", "mlp", "-o", str(tmp_path / "taken") + "/"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("minigrad graph: -o ") and "taken is a file" in err
    assert (tmp_path / "taken").read_text() == "mine"


def test_a_folder_given_as_file_is_a_clear_error(tmp_path, capsys):
    assert main(["graph", "--file", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("minigrad graph: --file ") and "is a folder" in err
    assert "ImportError" not in err and "__main__" not in err


@pytest.mark.parametrize("flag, value", [("--depth", "-1"), ("--depth", "0"), ("--max-nodes", "0")])
def test_depth_and_max_nodes_are_checked_by_their_flags_names(flag, value, tmp_path, capsys):
    assert main(["graph", "--model", "mlp", flag, value, "-o", str(tmp_path / "g.dot")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"minigrad graph: {flag} must be an int ≥ 1") and f"got {value}" in err
    assert "draw_graph" not in err and "max_nodes" not in err
    assert not list(tmp_path.iterdir())


def test_list_shows_the_example_models(capsys):
    assert main(["graph", "--list"]) == 0
    out = capsys.readouterr().out
    assert "lenet" in out and "(28, 28, 1)" in out


def test_the_output_suffix_must_name_a_known_format(tmp_path, capsys):
    out = tmp_path / "g.jpg"
    assert main(["graph", "--model", "conv_image", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "suffix must be one of .svg, .png, .pdf, .dot" in err and "got .jpg" in err
    # --format must agree with the suffix: PNG bytes are never written into g.svg.
    assert main(["graph", "--model", "conv_image", "-o", str(tmp_path / "g.svg"), "-f", "png"]) == 2
    err = capsys.readouterr().err
    assert f"-o {tmp_path / 'g.svg'} ends in .svg but -f/--format png would write PNG" in err
    assert f"Pass -o {tmp_path / 'g.png'}," in err and "format=" not in err  # not render's words
    assert not list(tmp_path.iterdir())
    assert main(["graph", "--model", "conv_image", "-o", str(tmp_path / "g"), "-f", "dot"]) == 0
    assert (tmp_path / "g.dot").read_text(encoding="utf-8").startswith("digraph")


def test_the_input_shape_is_not_guessed_through_a_vect(tmp_path, capsys):
    """The notes' dense layer on an image: Vect → Dense(36 → 72) → ReLU → Unvect. The Dense's
    36 inputs are a (6, 6, 1) image after Vect, not a vector of 36."""
    script = tmp_path / "dense_image.py"
    script.write_text(
        "from minigrad.models import dense_image\nmodel = dense_image()\n", encoding="utf-8"
    )
    out = tmp_path / "g.dot"
    assert main(["graph", "--file", str(script), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--input-shape" in err and "Vect" in err
    assert main(["graph", "--file", str(script), "--input-shape", "6,6,1", "-o", str(out)]) == 0
    assert "x ~ (n, 6, 6, 1)" in out.read_text(encoding="utf-8")


def page_commands():
    """The `minigrad graph …` lines of the bash blocks of docs/graphs.md, as argument lists."""
    page = Path(__file__).resolve().parent.parent / "docs" / "graphs.md"
    blocks = re.findall(
        r"^```bash\n(.*?)^```", page.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL
    )
    lines = [line.split("#")[0] for block in blocks for line in block.splitlines()]
    return [shlex.split(line)[1:] for line in lines if line.startswith("minigrad graph")]


def test_the_page_shows_its_commands():
    commands = page_commands()
    assert len(commands) == 3 and all(command[0] == "graph" for command in commands)


@needs_dot
@pytest.mark.parametrize("argv", page_commands(), ids=lambda argv: " ".join(argv[1:3]))
def test_every_command_of_the_docs_page_runs(argv, tmp_path, monkeypatch, capsys):
    """Each command shown on docs/graphs.md, run as written in a folder with the page's
    my_model.py (a file that defines `model`)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my_model.py").write_text(
        "from minigrad import nn\n"
        "model = nn.Sequential(('conv', nn.Conv2D(1, 4, kernel_size=3)), ('act', nn.ReLU()))\n",
        encoding="utf-8",
    )
    assert main(argv) == 0
    output = tmp_path / argv[argv.index("-o") + 1]
    assert f"wrote {output.name}" in capsys.readouterr().out
    data = output.read_bytes()
    assert data[:4] in (b"<?xm", b"<svg", b"\x89PNG", b"%PDF")
    assert len(data) > 1000


def test_a_file_whose_model_is_not_a_module_is_a_clear_error(tmp_path, capsys):
    script = tmp_path / "my_model.py"
    script.write_text("model = 3\ninput_shape = (6, 6, 1)\n", encoding="utf-8")
    assert main(["graph", "--file", str(script), "-o", str(tmp_path / "g.dot")]) == 2
    message = capsys.readouterr().err
    assert "defines `model`, but it is not a Module" in message and "(got int)" in message


def test_an_existing_output_is_not_replaced_without_force(tmp_path, capsys):
    mine = tmp_path / "mine.dot"
    mine.write_text("a file of the user's")
    assert main(["graph", "--model", "mlp", "-o", str(mine)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"minigrad graph: {mine} exists already") and "--force" in err
    assert mine.read_text() == "a file of the user's"
    (tmp_path / "graph.dot").write_text("mine too")  # the name a folder gets, found as well
    assert main(["graph", "--model", "mlp", "-f", "dot", "-o", str(tmp_path)]) == 2
    assert (tmp_path / "graph.dot").read_text() == "mine too"
    assert main(["graph", "--model", "mlp", "--force", "-o", str(mine)]) == 0
    assert mine.read_text(encoding="utf-8").startswith("digraph")


def test_an_output_under_the_home_folder_is_checked_where_it_is_written(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)  # (a folder named ~ would be made here without the expansion)
    mine = tmp_path / "g.dot"
    mine.write_text("a file of the user's")
    assert main(["graph", "--model", "mlp", "-o", "~/g.dot"]) == 2  # quoted: ~ reaches us
    assert "exists already" in capsys.readouterr().err
    assert mine.read_text() == "a file of the user's"
    assert main(["graph", "--model", "mlp", "-o", "~/new.dot"]) == 0
    assert (tmp_path / "new.dot").read_text(encoding="utf-8").startswith("digraph")


def test_an_output_whose_name_starts_with_a_tilde_is_written_as_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # "~draft…" names no user: the shell leaves it as it is, so do we
    assert main(["graph", "--model", "mlp", "-o", "~draft_of_no_user.dot"]) == 0
    assert (tmp_path / "~draft_of_no_user.dot").read_text(encoding="utf-8").startswith("digraph")


def test_an_output_inside_a_file_says_which_part_is_not_a_folder(tmp_path, capsys):
    (tmp_path / "notes").write_text("mine")
    for output in ("notes/g.dot", "notes/deeper/g.dot"):
        assert main(["graph", "--model", "mlp", "-o", str(tmp_path / output)]) == 2
        err = capsys.readouterr().err
        assert f"{tmp_path / 'notes'} is a file, not a folder" in err and "Errno" not in err


def test_a_file_that_imports_a_file_beside_it_is_drawn(tmp_path, monkeypatch):
    """As `python models/net.py` would run it: its folder is on sys.path, wherever the command
    is run from."""
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "blocks.py").write_text(
        "from minigrad import nn\ndef block():\n    return nn.Sequential(nn.Dense(4, 3))\n",
        encoding="utf-8",
    )
    (tmp_path / "models" / "net.py").write_text(
        "from blocks import block\nmodel = block()\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "g.dot"
    path = sys.path.copy()
    assert main(["graph", "--file", str(Path("models") / "net.py"), "-o", str(out)]) == 0
    assert "x ~ (n, 4)" in out.read_text(encoding="utf-8")
    (tmp_path / "models" / "late.py").write_text(  # a forward that imports when it runs
        "from minigrad import nn\n"
        "class Net(nn.Module):\n"
        "    def forward(self, x):\n"
        "        from blocks import block\n"
        "        return x.sum()\n"
        "model = Net()\n"
        "input_shape = (4,)\n",
        encoding="utf-8",
    )
    late = str(Path("models") / "late.py")
    assert main(["graph", "--file", late, "-o", str(out), "--force"]) == 0
    assert sys.path == path  # and it is taken off again


def test_errors_of_the_users_file_say_where_and_sys_exit_is_not_a_silent_success(tmp_path, capsys):
    script, out = tmp_path / "my_model.py", str(tmp_path / "g.dot")
    script.write_text("import sys\nraise RuntimeError('data.csv is missing')\n", encoding="utf-8")
    assert main(["graph", "--file", str(script), "-o", out]) == 2
    err = capsys.readouterr().err  # the user's line, not a message that seems to be minigrad's
    assert f'File "{script}", line 2' in err and "RuntimeError: data.csv is missing" in err
    script.write_text("from minigrad import nn\nmodel = nn.Dense(4, 2)\nmodel(\n")
    assert main(["graph", "--file", str(script), "-o", out]) == 2
    assert "SyntaxError" in capsys.readouterr().err  # not a traceback through minigrad
    script.write_text("import sys\nfrom minigrad import nn\nmodel = nn.Dense(4, 2)\nsys.exit(0)\n")
    assert main(["graph", "--file", str(script), "-o", out]) == 2
    assert "called sys.exit(0)" in capsys.readouterr().err and not Path(out).exists()
    script.write_text("from minigrad import nn\nnet = nn.Dense(4, 2)\n")
    assert main(["graph", "--file", str(script), "-o", out]) == 2
    assert "It defines net: name the one to draw `model`." in capsys.readouterr().err


def net_source(returned):
    """The source of a file's module Net (one Dense 4 → 2), its forward returning `returned`."""
    return (
        "from minigrad import nn\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.fc = nn.Dense(4, 2)\n"
        "    def forward(self, x):\n"
        f"        return {returned}\n"
    )


def test_a_model_that_fails_or_is_no_module_is_a_message_that_names_the_batch(tmp_path, capsys):
    script, out = tmp_path / "my_model.py", str(tmp_path / "g.dot")
    script.write_text(net_source("self.fc(x), x") + "model = Net\n", encoding="utf-8")
    assert main(["graph", "--file", str(script), "-o", out]) == 2
    assert "the class Net; make one: model = Net()." in capsys.readouterr().err
    script.write_text(script.read_text().replace("model = Net\n", "model = Net()\n"))
    assert main(["graph", "--file", str(script), "-o", out]) == 2
    err = capsys.readouterr().err
    assert "model(x) returned a tuple, not a Tensor, on a random batch x ~ (2, 4)" in err
    script.write_text("def model(x):\n    return x.sum()\ninput_shape = (3,)\n")
    assert main(["graph", "--file", str(script), "-o", out]) == 2
    assert "not a Module to call on a batch (got function)" in capsys.readouterr().err
    assert main(["graph", "--model", "lenet", "--input-shape", "28,28", "-o", out]) == 2
    err = capsys.readouterr().err  # a layer's own message, with where the shape came from
    assert "x ~ (2, 28, 28) (--batch 2 examples of shape (28, 28), from --input-shape" in err
    assert "Conv2D expects a batch of images" in err


def raised_in_minigrad(source):
    """The exception that `source` raises when run as if it were a line of minigrad's own."""
    try:
        exec(compile(source, viz.PACKAGE + "layers.py", "exec"))  # noqa: S102 - a fixed line
    except Exception as error:  # noqa: BLE001 - the test wants whatever it raised
        return error.with_traceback(error.__traceback__.tb_next)  # from the line on, only


def test_a_bug_inside_minigrad_is_shown_with_its_lines():
    """Every line of minigrad's own traceback was dropped, as for the user's model: a bug of
    minigrad's then looked like the user's fault, with nothing to find it by."""
    bug = str(viz._failed("model(x)", raised_in_minigrad("{}['bug']")))
    assert 'layers.py", line 1' in bug and "KeyError: 'bug'" in bug
    message = str(viz._failed("model(x)", raised_in_minigrad("raise ValueError('Reshape x')")))
    assert message == "minigrad graph: model(x) failed:\nValueError: Reshape x"  # for the user


def test_the_files_input_shape_may_be_an_int_and_is_checked(tmp_path, capsys):
    script, out = tmp_path / "my_model.py", tmp_path / "g.dot"
    layers = "from minigrad import nn\nmodel = nn.Sequential(nn.ReLU(), nn.Dense(4, 2))\n"
    script.write_text(layers + "input_shape = 4\n", encoding="utf-8")  # as np.zeros(4)
    assert main(["graph", "--file", str(script), "-o", str(out)]) == 0
    assert "x ~ (n, 4)" in out.read_text(encoding="utf-8")
    script.write_text(layers + "import numpy as np\ninput_shape = np.array([4])\n")
    assert main(["graph", "--file", str(script), "-o", str(out), "--force"]) == 0
    script.write_text(layers + "input_shape = '8,8,1'\n", encoding="utf-8")
    assert main(["graph", "--file", str(script), "-o", str(out), "--force"]) == 2
    assert "such as (8, 8, 1) or (4,); got '8,8,1'." in capsys.readouterr().err


BROKEN_BACKWARD = """import minigrad as mg
from minigrad import nn
class Twice(mg.Function):
    def forward(self, x):
        return 2 * x
    def backward(self, grad_out):
        raise NotImplementedError("Twice.backward is not written yet")
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Dense(4, 2)
    def forward(self, x):
        return Twice.apply(self.fc(x))
model = Net()
input_shape = (4,)
"""


def test_a_failing_backward_is_a_message_with_the_users_line_only(tmp_path, capsys):
    script, out = tmp_path / "my_model.py", str(tmp_path / "g.dot")
    script.write_text(BROKEN_BACKWARD, encoding="utf-8")
    assert main(["graph", "--file", str(script), "--backward", "-o", out]) == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "minigrad graph: L.backward(create_graph=True), L = Σ model(x), on a random batch "
        f"x ~ (2, 4) (--batch 2 examples of shape (4), from input_shape in {script}) failed:\n"
    )
    assert f'File "{script}", line 7, in backward' in err
    assert err.endswith("NotImplementedError: Twice.backward is not written yet\n")
    package = str(Path(viz.__file__).resolve().parent)
    assert package not in err  # the lines of minigrad's own files are left out
    script.write_text("import missing_module_of_mine\n", encoding="utf-8")
    assert main(["graph", "--file", str(script), "-o", out]) == 2
    err = capsys.readouterr().err  # … and runpy's
    assert f'File "{script}", line 1' in err and "<frozen" not in err and package not in err


def test_a_model_that_fails_on_the_guessed_shape_says_where_it_came_from(tmp_path, capsys):
    script, out = tmp_path / "my_model.py", str(tmp_path / "g.dot")
    script.write_text(
        "from minigrad import nn\nmodel = nn.Sequential(nn.Dense(4, 3), nn.Dense(5, 2))\n",
        encoding="utf-8",
    )
    assert main(["graph", "--file", str(script), "-o", out]) == 2
    assert "(--batch 2 examples of shape (4), from the first layer of `model`)" in (
        capsys.readouterr().err
    )


def test_the_input_shape_option_replaces_a_files_input_shape_before_it_is_checked(tmp_path):
    script, out = tmp_path / "my_model.py", tmp_path / "g.dot"
    script.write_text(
        "from minigrad import nn\nmodel = nn.Dense(4, 2)\ninput_shape = '8,8,1'\n",
        encoding="utf-8",
    )
    assert main(["graph", "--file", str(script), "--input-shape", "4", "-o", str(out)]) == 0
    assert "x ~ (n, 4)" in out.read_text(encoding="utf-8")


def test_a_files_input_shape_with_a_size_below_one_is_refused(tmp_path, capsys):
    script = tmp_path / "my_model.py"
    script.write_text(
        "from minigrad import nn\nmodel = nn.Dense(4, 2)\ninput_shape = (0, 4)\n",
        encoding="utf-8",
    )
    assert main(["graph", "--file", str(script), "-o", str(tmp_path / "g.dot")]) == 2
    assert "positive ints such as (8, 8, 1) or (4,); got (0, 4)." in capsys.readouterr().err


def test_an_empty_input_shape_in_the_file_is_read_from_the_first_layer(tmp_path):
    # (as before the file's input_shape was checked: () is falsy, so it counts as not given)
    script, out = tmp_path / "my_model.py", tmp_path / "g.dot"
    script.write_text(
        "from minigrad import nn\nmodel = nn.Dense(4, 2)\ninput_shape = ()\n", encoding="utf-8"
    )
    assert main(["graph", "--file", str(script), "-o", str(out)]) == 0
    assert "x ~ (n, 4)" in out.read_text(encoding="utf-8")


def test_the_hint_for_a_missing_model_names_instances_not_classes(tmp_path, capsys):
    script = tmp_path / "my_model.py"
    script.write_text(net_source("self.fc(x)") + "net = Net()\n", encoding="utf-8")
    assert main(["graph", "--file", str(script), "-o", str(tmp_path / "g.dot")]) == 2
    assert "input-shape. It defines net: name the one" in capsys.readouterr().err


def test_the_files_folder_is_taken_off_sys_path_afterwards(tmp_path):
    script = tmp_path / "my_model.py"
    script.write_text("from minigrad import nn\nmodel = nn.Dense(4, 2)\n", encoding="utf-8")
    before = list(sys.path)
    assert main(["graph", "--file", str(script), "-o", str(tmp_path / "g.dot")]) == 0
    assert sys.path == before
    script.write_text("raise RuntimeError('no data')\n", encoding="utf-8")  # and after an error
    assert main(["graph", "--file", str(script), "-o", str(tmp_path / "h.dot")]) == 2
    assert sys.path == before
