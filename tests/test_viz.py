"""Tests of minigrad.viz: the DOT source of known small graphs (nodes, edges, labels, boxes),
the collapsed and backward views, determinism, limits, errors, and rendering with `dot`."""

import importlib.util
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn, viz
from minigrad.autograd import module_scope

NODE = re.compile(r'^\s*(\w+) \[label=("(?:[^"\\]|\\.)*"|\S+)(.*)\]$', re.MULTILINE)
EDGE = re.compile(r"^\s*(\w+) -> (\w+)(.*)$", re.MULTILINE)

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None and not os.environ.get("CI"),
    reason="Graphviz's dot is not installed (in CI these tests run and must pass)",
)


def nodes(graph):
    """node id -> label (lines joined by newlines), legend samples left out."""
    found = {}
    for node, label, _ in NODE.findall(graph.source):
        if not node.startswith("legend_"):
            found[node] = label.strip('"').replace("\\n", "\n")
    return found


def edges(graph):
    """[(tail, head, attributes text)] in drawing order, legend edges left out."""
    return [e for e in EDGE.findall(graph.source) if not e[0].startswith("legend_")]


def node_with(graph, text):
    """The id of the one node whose label contains `text`."""
    matches = [node for node, label in nodes(graph).items() if text in label]
    assert len(matches) == 1, f"{len(matches)} nodes contain {text!r}: {nodes(graph)}"
    return matches[0]


def clusters(graph):
    """The labels of the boxes (Graphviz clusters), legend left out, in order."""
    return re.findall(r"subgraph cluster_\d+ \{\n\s*[^\n]*label=(\"[^\"]*\"|\S+)", graph.source)


class Scale:
    """A stand-in module (not an nn.Module): y = x · factor, recorded in its scope."""

    def __init__(self, factor):
        self.factor = mg.Tensor([factor], requires_grad=True)

    def __call__(self, x):
        with module_scope(self):
            return x * self.factor

    def named_modules(self):
        yield "", self

    def named_parameters(self):
        yield "factor", self.factor

    def num_parameters(self):
        return 1


class Block:
    """A stand-in model holding two Scale layers under the names "first" and "second"."""

    def __init__(self):
        self.first, self.second = Scale(2.0), Scale(3.0)

    def __call__(self, x):
        with module_scope(self):
            return self.second(self.first(x)).relu()

    def named_modules(self):
        yield "", self
        yield "first", self.first
        yield "second", self.second

    def named_parameters(self):
        yield "first.factor", self.first.factor
        yield "second.factor", self.second.factor

    def num_parameters(self):
        return 2


def conv_net(seed=0):
    return nn.Sequential(
        ("conv", nn.Conv2D(1, 2, kernel_size=3, seed=seed)),
        ("relu", nn.ReLU()),
        ("vect", nn.Vect()),
        ("fc", nn.Dense(4 * 4 * 2, 3, seed=seed)),
    )


def image(n=2, h=4, w=4, c=1, requires_grad=True):
    data = np.random.default_rng(0).standard_normal((n, h, w, c)).astype(np.float32)
    return mg.Tensor(data, requires_grad=requires_grad, name="x")


# ---- small expressions ----------------------------------------------------------------------
def test_tiny_expression_nodes_edges_and_labels():
    a = mg.Tensor([1.0, 2.0], requires_grad=True, name="a")
    b = mg.Tensor([3.0, 4.0], requires_grad=True, name="b")
    loss = (a * b).sum()
    loss.name = "L"
    graph = viz.draw_graph(loss)
    assert nodes(graph) == {
        "op0": "Sum",
        "t0": "L ~ ()\nvalue: 11",
        "op1": "Mul",
        "t1": "~ (2)\nvalue: [3, 8]",
        "t2": "a ~ (2)\nvalue: [1, 2]\nrequires_grad=True\ngrad: not computed yet",
        "t3": "b ~ (2)\nvalue: [3, 4]\nrequires_grad=True\ngrad: not computed yet",
    }
    assert [e[:2] for e in edges(graph)] == [
        ("op0", "t0"),
        ("t1", "op0"),
        ("op1", "t1"),
        ("t2", "op1"),
        ("t3", "op1"),
    ]


def test_diamond_draws_the_shared_input_once_with_two_uses():
    a = mg.Tensor([2.0], requires_grad=True, name="a")
    d = (a * 3.0) * (a + 1.0)
    graph = viz.draw_graph(d)
    a_node = node_with(graph, "a ~")
    uses = [head for tail, head, _ in edges(graph) if tail == a_node]
    assert len(uses) == 2
    assert {nodes(graph)[head] for head in uses} == {"Mul", "Add"}
    # The constants 3 and 1 are inputs (leaves without grad) showing their value.
    assert node_with(graph, "value: 3\nrequires_grad=False")
    assert node_with(graph, "value: 1\nrequires_grad=False")


def test_a_tensor_used_twice_by_one_op_has_two_arrows():
    a = mg.Tensor([2.0], requires_grad=True, name="a")
    graph = viz.draw_graph(a * a)
    a_node = node_with(graph, "a ~")
    assert [head for tail, head, _ in edges(graph) if tail == a_node] == ["op0", "op0"]


def test_gradients_are_not_computed_yet_before_backward_and_summarised_after():
    a = mg.Tensor([1.0, 2.0], requires_grad=True, name="a")
    w = mg.Tensor(np.full((3, 3), 2.0, dtype=np.float32), requires_grad=True, name="w")
    loss = (a * a).sum() + (w * w).sum()
    before = viz.draw_graph(loss).source
    assert before.count("grad: not computed yet") == 2
    assert "grad: [0" not in before and "‖grad‖" not in before
    loss.backward()
    after = viz.draw_graph(loss)
    assert "not computed yet" not in after.source
    assert "grad: [2, 4]" in nodes(after)[node_with(after, "a ~")]  # ≤ 4 elements: the values
    assert "‖grad‖ = 12" in nodes(after)[node_with(after, "w ~")]  # ‖4·1₃ₓ₃‖ = 12


def test_show_values_false_gives_norms_only():
    a = mg.Tensor([3.0, 4.0], requires_grad=True, name="a")
    loss = (a * 0.5).sum()
    loss.backward()
    graph = viz.draw_graph(loss, show_values=False)
    label = nodes(graph)[node_with(graph, "a ~")]
    assert "value" not in label and "‖grad‖ = 0.7071" in label


def test_dtype_is_shown_only_when_not_float32():
    a = mg.Tensor(np.ones(2), requires_grad=True, name="a")  # float64
    b = mg.Tensor([1.0, 1.0], requires_grad=True, name="b")  # float32
    graph = viz.draw_graph((a * a).sum() + (b * b).sum())
    assert "float64" in nodes(graph)[node_with(graph, "a ~")]
    assert "float32" not in graph.source


def test_op_labels_show_their_settings():
    x = mg.Tensor(np.ones((2, 3, 4), dtype=np.float32), requires_grad=True, name="x")
    y = mg.pad(x, ((1, 2), (0, 0), (0, 0))).sum(axis=1).transpose(1, 0)
    z = y[0:2, 1] + x.reshape(6, 4).max(axis=(0, 1), keepdims=True)[0, 0]
    graph = viz.draw_graph(z)
    labels = set(nodes(graph).values())
    assert {"Pad axis 0: 1+2", "Sum axis=1", "Transpose ᵀ", "Reshape → (6, 4)"} <= labels
    assert "GetItem [0:2, 1]" in labels
    assert "Max keepdims" in labels  # all axes reduced: no axes shown
    image_ = mg.Tensor(np.ones((1, 5, 5, 2), dtype=np.float32), requires_grad=True)
    labels = set(nodes(viz.draw_graph(mg.patches(mg.pad(image_, 2), 1, stride=2))).values())
    assert {"Pad k=2", "Patches k=1 stride=2"} <= labels


def test_batch_size_writes_the_batch_axis_as_n_but_not_in_parameters():
    layer = nn.Dense(2, 3, seed=0)  # weight (2, 3): its 2 is not a batch axis
    x = mg.Tensor(np.ones((2, 2), dtype=np.float32), name="x")
    graph = viz.draw_graph(layer(x), layer, batch_size=2)
    assert "weight ~ (2, 3)" in graph.source
    assert "x ~ (n, 2)" in graph.source and "~ (n, 3)" in graph.source
    assert 'label="n = 2"' in graph.source


# ---- layers ---------------------------------------------------------------------------------
def test_dense_layer_box_parameter_names_and_edges():
    layer = nn.Dense(4, 3, seed=0)
    x = mg.Tensor(np.ones((2, 4), dtype=np.float32), name="x")
    graph = viz.draw_graph(layer(x), layer)
    assert clusters(graph) == ['"Dense · 4→3 · 15 params"']
    matmul, add = node_with(graph, "MatMul"), node_with(graph, "Add")
    weight, bias = node_with(graph, "weight ~ (4, 3)"), node_with(graph, "bias ~ (3)")
    x_node = node_with(graph, "x ~ (2, 4)")
    pairs = {e[:2] for e in edges(graph)}
    assert {(x_node, matmul), (weight, matmul), (bias, add)} <= pairs
    assert "requires_grad=False" in nodes(graph)[x_node]


def test_parameter_names_come_from_the_model():
    model = conv_net()
    graph = viz.draw_graph(model(image()), model)
    for name in ("conv.weight ~ (9, 2)", "conv.bias ~ (2)", "fc.weight ~ (32, 3)", "fc.bias ~ (3)"):
        assert node_with(graph, name)
    # Without `model` the drawer finds the outermost module itself.
    assert viz.draw_graph(model(image()), legend=False).source.count("conv.weight") == 1


def test_conv_layer_ops_and_boxes():
    model = conv_net()
    graph = viz.draw_graph(model(image()), model, batch_size=2)
    assert clusters(graph) == [  # in visit order, from the output back
        '"Dense fc · 32→3 · 99 params"',
        '"Vect vect"',
        '"ReLU relu"',
        '"Conv2D conv · 3×3 · 1→2 · 20 params"',
    ]
    labels = list(nodes(graph).values())
    for op in ("Pad k=1", "Patches k=1", "Reshape → (32, 9)", "MatMul", "Reshape → (n, 4, 4, 2)"):
        assert op in labels
    assert "Reshape → (n, 32)" in labels  # Vect
    assert 'label="Sequential · 119 params · n = 2"' in graph.source
    # Each op is drawn in the box of its layer: Patches inside the Conv2D cluster.
    conv_box = graph.source.split('label="Conv2D conv')[1].split("}")[0]
    assert "Patches k=1" in conv_box and "conv.weight" in conv_box and "Vect" not in conv_box


def test_nested_modules_give_nested_boxes_with_stand_in_modules():
    model = Block()
    x = mg.Tensor([1.0], requires_grad=True, name="x")
    graph = viz.draw_graph(model(x), model)
    # Block is the model (the title), its layers are boxes; parameters are in their layer's box.
    assert clusters(graph) == ['"Scale second · 1 param"', '"Scale first · 1 param"']
    assert 'label="Block · 2 params"' in graph.source
    second_box = graph.source.split("subgraph cluster_0")[1].split("}")[0]
    assert "second.factor" in second_box and "first.factor" not in second_box


def test_modules_without_a_model_are_boxes_named_by_class():
    first, second = Scale(2.0), Scale(3.0)
    x = mg.Tensor([1.0], requires_grad=True, name="x")
    graph = viz.draw_graph(second(first(x)))
    assert clusters(graph) == ['"Scale · 1 param"', '"Scale · 1 param"']


# ---- collapsed view -------------------------------------------------------------------------
def test_collapse_draws_each_layer_as_one_node_joined_by_shapes():
    model = conv_net()
    graph = viz.draw_graph(model(image()), model, collapse=True, batch_size=2)
    labels = nodes(graph)
    layers = {label: node for node, label in labels.items() if node.startswith("layer")}
    assert set(layers) == {
        "Conv2D conv · 3×3 · 1→2 · 20 params",
        "ReLU relu",
        "Vect vect",
        "Dense fc · 32→3 · 99 params",
    }
    assert not any(node.startswith("op") for node in labels)  # no op is drawn on its own
    assert {n for n in labels if n.startswith("t")} == {"t0", "t1"}  # the output and x
    conv, relu = layers["Conv2D conv · 3×3 · 1→2 · 20 params"], layers["ReLU relu"]
    assert (conv, relu, ' [label="(n, 4, 4, 2)"]') in edges(graph)
    assert (node_with(graph, "x ~"), conv, "") in edges(graph)
    assert "layer drawn" in graph.source  # the legend explains the 3-D boxes
    assert (
        viz.draw_graph(model(image()), model, depth=1).source
        == viz.draw_graph(model(image()), model, collapse=True).source
    )


def test_depth_two_keeps_the_outer_box_and_collapses_the_inner_layers():
    outer = nn.Sequential(("block", conv_net()), ("out", nn.ReLU()))
    graph = viz.draw_graph(outer(image()), outer, depth=2)
    assert clusters(graph) == ['"ReLU out"', '"Sequential block · 119 params"']
    layers = [label for node, label in nodes(graph).items() if node.startswith("layer")]
    assert layers == [
        "Dense block.fc · 32→3 · 99 params",
        "Vect block.vect",
        "ReLU block.relu",
        "Conv2D block.conv · 3×3 · 1→2 · 20 params",
    ]
    assert "ReLU" in nodes(graph).values()  # the op of "out", a depth-1 layer, stays visible


# ---- backward view --------------------------------------------------------------------------
def conv_loss():
    conv = nn.Conv2D(1, 2, kernel_size=3, seed=0)
    model = nn.Sequential(("conv", conv))
    loss = model(image()).sum()
    loss.name = "L"
    loss.backward(create_graph=True)
    return model, loss


def test_backward_view_shows_the_gradient_graph_of_a_conv():
    model, loss = conv_loss()
    graph = viz.draw_graph(loss, model, backward=True, batch_size=2)
    labels = nodes(graph)
    # ∂L/∂x: the gradient of the patches is folded back into an image, then cropped.
    fold, crop = node_with(graph, "Fold k=1 → (n, 6, 6, 1)"), node_with(graph, "Crop k=1")
    grad_x = node_with(graph, "∂L/∂x ~ (n, 4, 4, 1)")
    assert (crop, grad_x, "") in edges(graph)
    assert 'fillcolor="#e3f4df"' in graph.source  # backward ops have their own colour
    # ∂L/∂W = colsᵀ G: a MatMul with a transposed operand.
    grad_w = node_with(graph, "∂L/∂conv.weight ~ (9, 2)")
    into_grad_w = [tail for tail, head, _ in edges(graph) if head == grad_w]
    assert [labels[t] for t in into_grad_w] == ["MatMul"]
    operands = [tail for tail, head, _ in edges(graph) if head == into_grad_w[0]]
    producers = [tail for op in operands for tail, head, _ in edges(graph) if head == op]
    assert "Transpose ᵀ" in [labels[p] for p in producers]
    # Alone: the forward ops are not drawn; the forward tensors it reads are.
    assert "Patches k=1" not in labels.values() and fold
    assert node_with(graph, "conv.weight ~ (9, 2)\nrequires_grad=True")
    assert any("grad of" in attrs for _, _, attrs in edges(graph))


def test_backward_both_draws_the_forward_graph_beside_the_backward_box():
    model, loss = conv_loss()
    graph = viz.draw_graph(loss, model, backward="both")
    assert '"backward graph (built by backward(create_graph=True))"' in clusters(graph)
    labels = list(nodes(graph).values())
    assert "Patches k=1" in labels and "Fold k=1 → (2, 6, 6, 1)" in labels
    backward_box = graph.source.split("backward graph")[1].split("}")[0]
    assert "Fold" in backward_box and "Patches" not in backward_box


def test_backward_view_needs_create_graph():
    a = mg.Tensor([1.0], requires_grad=True)
    loss = (a * a).sum()
    loss.backward()
    with pytest.raises(ValueError, match="create_graph=True"):
        viz.draw_graph(loss, backward=True)


# ---- any graph ------------------------------------------------------------------------------
STEPS = st.lists(
    st.tuples(st.sampled_from(["mul", "add", "relu", "sum", "reshape", "exp"]), st.integers(0, 9)),
    min_size=1,
    max_size=12,
)


@given(STEPS)
def test_any_small_graph_is_drawn_consistently(steps):
    """Random expressions reusing earlier results: stable ids, every arrow between drawn nodes,
    one arrow out of each op (to its output) and one arrow in per input it uses."""
    rng = np.random.default_rng(0)
    values = [mg.Tensor(rng.standard_normal((2, 3)), requires_grad=True, name="x")]
    for op, pick in steps:
        a, b = values[-1], values[pick % len(values)]
        if op == "mul":
            values.append(a * b if a.shape == b.shape else a * 2.0)
        elif op == "add":
            values.append(a + b if a.shape == b.shape else a + 1.0)
        elif op == "relu":
            values.append(a.relu())
        elif op == "exp":
            values.append((a * 0.1).exp())
        elif op == "sum":
            values.append(a.sum(axis=0) if a.ndim else a * 1.0)
        else:
            values.append(a.reshape(-1))
    root = values[-1]
    graph = viz.draw_graph(root, legend=False)
    assert graph.source == viz.draw_graph(root, legend=False).source
    drawn = nodes(graph)
    tensor_ids = sorted(n for n in drawn if n.startswith("t"))
    op_ids = sorted(n for n in drawn if n.startswith("op"))
    assert tensor_ids == sorted(f"t{i}" for i in range(len(tensor_ids)))
    assert op_ids == sorted(f"op{i}" for i in range(len(op_ids)))
    arrows = edges(graph)
    assert all(tail in drawn and head in drawn for tail, head, _ in arrows)
    for op in op_ids:
        outputs = [head for tail, head, _ in arrows if tail == op]
        assert len(outputs) == 1 and outputs[0].startswith("t")
        inputs = [tail for tail, head, _ in arrows if head == op]
        assert inputs and all(tail.startswith("t") for tail in inputs)
    assert drawn["t0"].startswith("~ ")  # the root comes first
    assert node_with(graph, "x ~ (2, 3)")  # the leaf is drawn exactly once, however often used


# ---- legend, determinism, limits, errors ----------------------------------------------------
def test_legend_lists_each_kind_and_can_be_left_out():
    a = mg.Tensor([1.0], requires_grad=True)
    graph = viz.draw_graph(a * 2.0)
    legend = graph.source.split("subgraph cluster_legend")[1]
    for kind in ("input", "parameter", "intermediate", "output", "op", "gradient"):
        assert f"legend_{kind} [label=" in legend
    assert "legend_layer" not in legend  # only in collapsed drawings
    assert "legend_backward_op" not in legend  # only in backward drawings
    assert "cluster_legend" not in viz.draw_graph(a * 2.0, legend=False).source
    for kind, style in viz.STYLES.items():  # each kind has a look of its own
        others = [s for k, s in viz.STYLES.items() if k != kind]
        assert style not in others


def test_the_same_graph_gives_the_same_source():
    def build():
        model = conv_net(seed=1)
        return viz.draw_graph(model(image()).sum(), model, batch_size=2).source

    assert build() == build()
    model = conv_net()
    y = model(image())
    assert viz.draw_graph(y, model).source == viz.draw_graph(y, model).source
    assert "0x" not in build()  # no memory addresses


def test_rankdir_is_passed_on_and_checked():
    a = mg.Tensor([1.0], requires_grad=True)
    assert "rankdir=TB" in viz.draw_graph(a * 2.0, rankdir="TB").source
    with pytest.raises(ValueError, match="rankdir"):
        viz.draw_graph(a * 2.0, rankdir="sideways")
    assert 'label="My net · n = 1"' in viz.draw_graph(a * 2.0, title="My net", batch_size=1).source


def test_too_many_nodes_is_refused_with_a_hint_to_collapse():
    model = conv_net()
    y = model(image())
    with pytest.raises(ValueError, match=r"more than max_nodes=10.*collapse=True"):
        viz.draw_graph(y, model, max_nodes=10)
    assert viz.draw_graph(y, model, collapse=True, max_nodes=10)  # the hint works
    with pytest.raises(ValueError, match="a part of the model"):
        viz.draw_graph(y, model, collapse=True, max_nodes=3)
    nested = nn.Sequential(("block", conv_net()))
    with pytest.raises(ValueError, match="smaller depth than 2"):
        viz.draw_graph(nested(image()), nested, depth=2, max_nodes=3)
    loss = y.sum()
    loss.backward(create_graph=True)
    with pytest.raises(ValueError, match="Backward graphs are drawn op by op"):
        viz.draw_graph(loss, model, backward=True, max_nodes=10)


def test_a_deep_chain_is_walked_without_recursion():
    x = mg.Tensor([1.0], requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0
    with pytest.raises(ValueError, match="max_nodes"):
        viz.draw_graph(y)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"backward": "yes"}, ValueError, "backward must be"),
        ({"depth": 0}, ValueError, "depth must be an int"),
        ({"depth": 1.5}, ValueError, "depth must be an int"),
    ],
)
def test_bad_options_are_refused(kwargs, error, match):
    a = mg.Tensor([1.0], requires_grad=True)
    with pytest.raises(error, match=match):
        viz.draw_graph(a * 2.0, **kwargs)


def test_root_must_be_a_tensor():
    with pytest.raises(TypeError, match="root must be a Tensor"):
        viz.draw_graph(np.ones(3))


# ---- rendering ------------------------------------------------------------------------------
@needs_dot
def test_render_svg_with_dot(tmp_path):
    model = conv_net()
    graph = viz.draw_graph(model(image()), model, collapse=True)
    path = viz.render(graph, tmp_path / "net.svg")
    assert path == tmp_path / "net.svg"
    svg = path.read_text(encoding="utf-8")
    assert "<svg" in svg and "Conv2D conv" in svg


@needs_dot
def test_render_png_and_a_path_without_suffix(tmp_path):
    a = mg.Tensor([1.0], requires_grad=True)
    path = viz.render(viz.draw_graph(a * 2.0), tmp_path / "sub" / "tiny", format="png")
    assert path.name == "tiny.png" and path.read_bytes()[:4] == b"\x89PNG"


def test_render_without_dot_explains_how_to_install_graphviz(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere on PATH
    a = mg.Tensor([1.0], requires_grad=True)
    graph = viz.draw_graph(a * 2.0)  # building the graph never needs dot
    assert "Mul" in graph.source
    with pytest.raises(viz.GraphvizNotFound) as caught:
        viz.render(graph, tmp_path / "tiny.svg")
    message = str(caught.value)
    assert isinstance(caught.value, RuntimeError)
    for hint in ("apt-get install graphviz", "brew install graphviz", "winget install graphviz"):
        assert hint in message
    assert "conda install -c conda-forge graphviz" in message
    # The DOT text can still be written.
    assert viz.render(graph, tmp_path / "tiny.dot", format="dot").read_text().startswith("digraph")


def test_render_refuses_an_unknown_format(tmp_path):
    a = mg.Tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="svg, png, pdf, dot"):
        viz.render(viz.draw_graph(a * 2.0), tmp_path / "x.jpg", format="jpg")


# ---- the docs' pictures ---------------------------------------------------------------------
def load_make_figures():
    path = Path(__file__).resolve().parent.parent / "docs" / "make_figures.py"
    spec = importlib.util.spec_from_file_location("make_figures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@needs_dot
def test_make_figures_regenerates_every_picture_of_the_docs(tmp_path, capsys):
    make_figures = load_make_figures()
    paths = make_figures.main(tmp_path)
    assert [p.name for p in paths] == [f"{name}.svg" for name in make_figures.PICTURES]
    for path in paths:
        assert "<svg" in path.read_text(encoding="utf-8")
    committed = {p.name for p in make_figures.FIGURES.glob("*.svg")}
    assert {p.name for p in paths} <= committed  # the docs' figures are in the repository
    page = (make_figures.FIGURES.parent / "graphs.md").read_text(encoding="utf-8")
    for path in paths:
        assert f"(figures/{path.name})" in page  # and the page shows each of them


def test_the_conv_backward_picture_shows_fold_and_a_transposed_matmul():
    graph = load_make_figures().conv_backward()
    assert "Fold k=1" in graph.source and "Transpose ᵀ" in graph.source
