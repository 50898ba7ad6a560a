"""Tests of minigrad.viz: the DOT source of known small graphs (nodes, edges, labels, boxes),
the collapsed and backward views, determinism, limits, errors, and rendering with `dot`."""

import importlib.util
import itertools
import re
import runpy
import warnings
from pathlib import Path

import numpy as np
import pytest
from helpers import needs_dot
from hypothesis import given
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn, viz
from minigrad.autograd import module_scope

NODE = re.compile(r'^\s*(\w+) \[label=("(?:[^"\\]|\\.)*"|\S+)(.*)\]$', re.MULTILINE)
EDGE = re.compile(r"^\s*(\w+) -> (\w+)(.*)$", re.MULTILINE)


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


def test_a_classifier_loss_shows_its_labels_as_a_shape_and_keeps_the_batch_axis():
    """cross_entropy is LogSoftmax → NLLLoss: the log-probabilities keep the batch axis (n),
    and NLLLoss's labels, data rather than a setting, are drawn as `labels ~ (n)`."""
    layer = nn.Dense(4, 3, seed=0)
    x = mg.Tensor(np.ones((6, 4), dtype=np.float32), name="x")
    loss = nn.functional.cross_entropy(layer(x), [0, 2, 1, 1, 0, 2])
    loss.backward(create_graph=True)
    labels = list(nodes(viz.draw_graph(loss, layer, backward="both", batch_size=6)).values())
    ops = {"NLLLoss\nlabels ~ (n)", "LogSoftmax axis=1", "LogSoftmaxBackward axis=1"}
    assert ops <= set(labels)
    assert labels.count("~ (n, 3)") == 4  # MatMul's, Add's, log_softmax's, ∂L/∂logits
    small = nn.functional.cross_entropy(layer(x[:2]), [0, 2])
    assert "NLLLoss\nlabels ~ (2) = [0, 2]" in nodes(viz.draw_graph(small, layer)).values()


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


def test_the_batch_axis_is_followed_through_the_ops_not_guessed_from_sizes():
    # Local: (n, h', w', s²c) is transposed to (h', w', n, s²c), one matrix per pixel; with
    # n = h' = 4 only the third axis is the batch.
    local = nn.Local((4, 4, 1), 2, kernel_size=3, padding="same", seed=0)
    graph = viz.draw_graph(local(image(n=4)), local, batch_size=4)
    labels = nodes(graph)
    assert "~ (4, 4, n, 9)" in labels.values()
    assert "~ (n, 4, 4, 9)" in labels.values()  # before the transpose
    assert "~ (4, 4, n, 2)" in labels.values() and "Transpose (2, 0, 1, 3)" in labels.values()
    assert "~ (n, 4, 4, 2)" in labels.values()
    assert "weight ~ (4, 4, 9, 2)" in "\n".join(labels.values())
    # A conv on a batch of 9: the patches (n·h·w, s²c) = (144, 9) transposed are (9, 144), whose
    # 9 is s²c, not n; ∂L/∂W = colsᵀ G sums the batch away.
    conv = nn.Conv2D(1, 2, kernel_size=3, seed=0)
    loss = conv(image(n=9)).sum()
    loss.name = "L"
    loss.backward(create_graph=True)
    graph = viz.draw_graph(loss, conv, backward=True, batch_size=9)
    labels = "\n".join(nodes(graph).values())
    assert "~ (9, 144)" in labels and "(n, 144)" not in labels
    assert "∂L/∂weight ~ (9, 2)" in labels and "(n, 2)" not in labels
    assert "∂L/∂x ~ (n, 4, 4, 1)" in labels and "Fold k=1 → (n, 6, 6, 1)" in labels


def test_the_batch_axis_after_reshapes_and_matmuls():
    holder = nn.Dense(4, 3, bias=False, seed=0)  # with a model, x is data, not a parameter
    x = mg.Tensor(np.ones((3, 2, 4), dtype=np.float32), requires_grad=True, name="x")  # n = 3
    rows = x.reshape(6, 4)  # (n·2, 4): still one block of rows per example
    y = (rows @ holder.weight).reshape(3, 2, 3)  # back to (n, 2, 3)
    z = x.transpose(1, 2, 0) @ mg.Tensor(np.ones((3, 5), dtype=np.float32))  # n contracted
    v = mg.Tensor(np.ones(2, dtype=np.float32)) @ x  # (2) @ (n, 2, 4) → (n, 4)
    u = x.reshape(2, 12)  # 2 rows do not split into the 3 examples
    root = mg.stack([y.sum(), z.sum(), v.sum(), u.sum()])
    labels = list(nodes(viz.draw_graph(root, holder, batch_size=3)).values())
    assert "Reshape → (6, 4)" in labels and "Reshape → (n, 2, 3)" in labels
    assert "~ (2, 4, 5)" in labels and "~ (2, 4, n)" in labels
    assert "~ (n, 4)" in labels and "Reshape → (2, 12)" in labels
    assert any(label.startswith("weight ~ (4, 3)") for label in labels)


def test_the_batch_axis_through_pooling_and_sums():
    model = nn.Sequential(
        ("conv", nn.Conv2D(1, 2, kernel_size=3, seed=0)),
        ("pool", nn.MaxPool2D(2)),
        ("vect", nn.Vect()),
    )
    graph = viz.draw_graph(model(image(n=2, h=5, w=5)), model, collapse=True, batch_size=2)
    assert '[label="(n, 2, 2, 2)"]' in graph.source  # pool → vect
    assert "~ (n, 8)" in nodes(graph).values()
    x = image(n=2, h=2, w=2)
    root = x.sum(axis=0) + x.sum(axis=(1, 2)).sum(axis=1)  # (2, 2, 1) + (n) → (2, 2, n)
    labels = nodes(viz.draw_graph(root, model, batch_size=2, show_values=False)).values()
    assert "~ (2, 2, 1)" in labels  # the sum over the batch axis drops it
    assert "~ (n, 1)" in labels and "~ (n)" in labels and "~ (2, 2, n)" in labels


class TwoConvs(nn.Module):
    """A net that calls one activation module twice: after conv1 and after conv2."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2D(1, 2, kernel_size=3, seed=0)
        self.conv2 = nn.Conv2D(2, 2, kernel_size=3, seed=1)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.conv2(self.act(self.conv1(x))))


def test_a_module_called_twice_gets_one_box_per_call():
    model = TwoConvs()
    graph = viz.draw_graph(model(image()), model)
    assert sorted(clusters(graph)) == [
        '"Conv2D conv1 · 3×3 · 1→2 · 20 params"',
        '"Conv2D conv2 · 3×3 · 2→2 · 38 params"',
        '"ReLU act (call 2)"',
        '"ReLU act"',
    ]
    assert list(nodes(graph).values()).count("ReLU") == 2
    # Collapsed: four layer nodes in a chain x → conv1 → act → conv2 → act (call 2), no cycle.
    collapsed = viz.draw_graph(model(image()), model, collapse=True)
    layers = {label: node for node, label in nodes(collapsed).items() if node.startswith("layer")}
    order = ["Conv2D conv1", "ReLU act", "Conv2D conv2", "ReLU act (call 2)"]
    chain = [next(node for lab, node in layers.items() if lab.split(" ·")[0] == n) for n in order]
    assert len(layers) == 4
    between = [e[:2] for e in edges(collapsed) if e[0] in chain and e[1] in chain]
    assert sorted(between) == sorted(itertools.pairwise(chain))


class Twice(nn.Module):
    """One Dense layer applied twice: its weights are shared by the two calls."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Dense(3, 3, seed=0)

    def forward(self, x):
        return self.fc(self.fc(x))


def test_the_parameters_of_a_layer_called_twice_are_drawn_outside_both_calls():
    model = Twice()
    x = mg.Tensor(np.ones((2, 3), dtype=np.float32), name="x")
    graph = viz.draw_graph(model(x), model)
    boxes = ['"Dense fc · 3→3 · 12 params (call 2)"', '"Dense fc · 3→3 · 12 params"']
    assert clusters(graph) == boxes
    for box in graph.source.split("subgraph cluster_")[1:]:
        assert "fc.weight" not in box.split("}")[0]
    collapsed = viz.draw_graph(model(x), model, collapse=True, batch_size=2)
    weight = node_with(collapsed, "fc.weight ~ (3, 3)")
    layers = [node for node in nodes(collapsed) if node.startswith("layer")]
    assert len(layers) == 2
    assert sorted(head for tail, head, _ in edges(collapsed) if tail == weight) == layers
    between = [e for e in edges(collapsed) if e[0] in layers and e[1] in layers]
    assert [attributes for _, _, attributes in between] == [' [label="(n, 3)"]']


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


def test_backward_view_draws_gradients_that_have_no_graph():
    """∂L/∂b = ΣG is computed from constants only (G does not depend on any parameter when the
    conv's output is summed): it has no graph, yet it is a gradient of the drawing."""
    model, loss = conv_loss()
    assert model.conv.bias.grad.grad_fn is None  # the case drawn here
    for backward in (True, "both"):
        graph = viz.draw_graph(loss, model, backward=backward, batch_size=2)
        grad_b = node_with(graph, "∂L/∂conv.bias ~ (2)")
        assert "constant (no graph)" in nodes(graph)[grad_b]
        assert "requires_grad" not in nodes(graph)[grad_b]
        assert re.search(rf"\t{grad_b} \[label=[^\n]*fillcolor=\"#b7e1b0\"", graph.source)
        bias = node_with(graph, "conv.bias ~ (2)\nvalue: [0, 0]")
        assert (grad_b, bias) in [e[:2] for e in edges(graph) if "grad of" in e[2]]
    # Every gradient points at its tensor, even one the backward graph does not read (x).
    graph = viz.draw_graph(loss, model, backward=True, batch_size=2)
    grad_x, x = node_with(graph, "∂L/∂x ~"), node_with(graph, "x ~ (n, 4, 4, 1)\nrequires")
    assert (grad_x, x) in [e[:2] for e in edges(graph) if "grad of" in e[2]]


def test_backward_view_needs_create_graph():
    a = mg.Tensor([1.0], requires_grad=True)
    loss = (a * a).sum()
    loss.backward()
    with pytest.raises(ValueError, match="create_graph=True"):
        viz.draw_graph(loss, backward=True)
    linear = (mg.Tensor([1.0, 2.0], requires_grad=True) * 3).sum()  # ∂L/∂x = 3: constants
    linear.backward(create_graph=True)
    with pytest.raises(ValueError, match="comes from constants alone"):
        viz.draw_graph(linear, backward=True)


def test_a_gradient_two_leaves_share_points_at_both():
    a, b, w = (mg.Tensor([1.0, 2.0], requires_grad=True, name=n) for n in "abw")
    loss = ((a + b) * w).sum()
    loss.backward(create_graph=True)
    # Add's backward hands the same gradient to both inputs; the engine gives one leaf a copy
    # (an AsType op of the backward graph), drawn between the two gradients:
    graph = viz.draw_graph(loss, backward=True)
    copy = node_with(graph, "AsType")
    assert {tail for tail, head, _ in edges(graph) if head == copy} | {
        head for tail, head, _ in edges(graph) if tail == copy
    } == {node_with(graph, "∂L/∂a ~ (2)"), node_with(graph, "∂L/∂b ~ (2)")}
    b.grad = a.grad  # one gradient tensor that two leaves hold (set by hand) is drawn once
    graph = viz.draw_graph(loss, backward=True)
    shared = node_with(graph, "∂L/∂a = ∂L/∂b ~ (2)")
    pointed = {
        head
        for tail, head, attributes in edges(graph)
        if tail == shared and "grad of" in attributes
    }
    assert pointed == {
        node_with(graph, "a ~ (2)\nvalue: [1, 2]\nrequires"),
        node_with(graph, "b ~ (2)\nvalue: [1, 2]\nrequires"),
    }


def test_a_conv_box_shows_its_stride_and_a_pooling_box_does_not_repeat_it():
    assert "stride 3" in viz._module_text(nn.Conv2D(1, 2, 3, stride=3), "conv")
    assert "stride" not in viz._module_text(nn.MaxPool2D(2), "pool")


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
def legend_kinds(graph):
    legend = graph.source.split("subgraph cluster_legend")[1]
    return re.findall(r"^\s*legend_(\w+) \[label=", legend, re.MULTILINE)


def test_legend_lists_the_kinds_drawn_and_only_those():
    a = mg.Tensor([1.0], requires_grad=True)
    graph = viz.draw_graph(a * 2.0)  # a parameter, the constant 2, one op, the output
    assert legend_kinds(graph) == ["input", "parameter", "output", "op"]
    assert legend_kinds(viz.draw_graph((a * 2.0).sum())) == [
        "input",
        "parameter",
        "intermediate",
        "output",
        "op",
    ]
    model = conv_net()
    collapsed = viz.draw_graph(model(image()), model, collapse=True)
    assert legend_kinds(collapsed) == ["input", "output", "layer"]
    _, loss = conv_loss()
    backward = legend_kinds(viz.draw_graph(loss, backward=True))
    assert "gradient" in backward and "backward op" not in backward  # it is "backward_op"
    assert "backward_op" in backward and "op" not in backward
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
    x = mg.Tensor(np.ones((1, 2), dtype=np.float32), name="x")  # data: a batch of n = 1
    assert 'label="My net · n = 1"' in viz.draw_graph(x * a, title="My net", batch_size=1).source


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
    with pytest.raises(ValueError, match="max_nodes") as caught:
        viz.draw_graph(y)
    # No layer made these ops: collapse=True would not help, so it is not suggested.
    assert "collapse" not in str(caught.value).replace("collapsing cannot help", "")
    assert "smaller expression" in str(caught.value)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"backward": "yes"}, ValueError, "backward must be"),
        ({"depth": 0}, ValueError, "depth must be an int"),
        ({"depth": 1.5}, ValueError, "depth must be an int"),
        ({"depth": True}, ValueError, "depth must be an int"),  # True is no count of 1
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
    assert isinstance(caught.value, __import__("graphviz").ExecutableNotFound)  # graphviz's own
    for hint in ("apt-get install graphviz", "brew install graphviz", "winget install graphviz"):
        assert hint in message
    assert "conda install -c conda-forge graphviz" in message
    # The DOT text can still be written.
    assert viz.render(graph, tmp_path / "tiny.dot", format="dot").read_text().startswith("digraph")
    # graphviz's own methods on the drawing give the same hint.
    for method in (graph.pipe, lambda: graph.render(tmp_path / "direct")):
        with pytest.raises(viz.GraphvizNotFound, match="apt-get install graphviz"):
            method()


def test_render_refuses_an_unknown_format(tmp_path):
    a = mg.Tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="svg, png, pdf, dot"):
        viz.render(viz.draw_graph(a * 2.0), tmp_path / "x.jpg", format="jpg")


def test_render_refuses_a_suffix_that_is_not_the_format(tmp_path):
    graph = viz.draw_graph(mg.Tensor([1.0], requires_grad=True) * 2.0)
    with pytest.raises(ValueError, match=r"g\.svg ends in \.svg but format='png'.*g\.png"):
        viz.render(graph, tmp_path / "g.svg", format="png")
    with pytest.raises(ValueError, match=r"g\.jpg ends in \.jpg but format='svg'"):
        viz.render(graph, tmp_path / "g.jpg")  # the default format is svg
    assert not list(tmp_path.iterdir())  # nothing was written
    assert viz.render(graph, tmp_path / "G.DOT", format="dot").read_text().startswith("digraph")
    assert viz.render(graph, tmp_path / "g", format="dot").name == "g.dot"  # suffix added


def test_jupyter_display_without_dot_shows_the_install_hint(tmp_path, monkeypatch):
    graph = viz.draw_graph(mg.Tensor([1.0], requires_grad=True) * 2.0)
    assert isinstance(graph, viz.Digraph) and isinstance(graph, __import__("graphviz").Digraph)
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere on PATH
    bundle = graph._repr_mimebundle_()  # what Jupyter calls to show a cell's value
    assert bundle == {"text/plain": viz.INSTALL_HINT}
    assert "apt-get install graphviz" in bundle["text/plain"]
    assert "format='dot'" in bundle["text/plain"]  # Python's words (the CLI says --format dot)


@needs_dot
def test_jupyter_display_with_dot_is_the_svg():
    graph = viz.draw_graph(mg.Tensor([1.0], requires_grad=True) * 2.0)
    assert "<svg" in graph._repr_mimebundle_()["image/svg+xml"]


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


def test_the_docs_pictures_are_drawn_top_to_bottom_without_a_legend():
    """The page explains the legend in a table; the pictures must fit the page's width."""
    make_figures = load_make_figures()
    for name, draw in make_figures.PICTURES.items():
        source = draw().source
        assert "rankdir=TB" in source, name
        assert "cluster_legend" not in source, name


@needs_dot
def test_the_committed_pictures_fit_the_page_width():
    folder = load_make_figures().FIGURES
    for path in sorted(folder.glob("*.svg")):
        width = re.search(r'<svg width="(\d+)pt"', path.read_text(encoding="utf-8"))
        assert width and int(width.group(1)) <= 800, f"{path.name} is {width.group(1)}pt wide"


def test_the_docs_page_runs_without_dot(tmp_path, monkeypatch, capsys):
    """Every python block of docs/graphs.md runs on a machine without Graphviz's `dot`: the
    render call shows the install hint instead of failing."""
    from test_docs import python_steps

    page = Path(__file__).resolve().parent.parent / "docs" / "graphs.md"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere on PATH
    namespace = {"__name__": "__docs__"}
    for number, (code, _) in enumerate(python_steps(page.read_text(encoding="utf-8"))):
        exec(compile(code, f"graphs.md[block {number}]", "exec"), namespace)  # noqa: S102
    assert "apt-get install graphviz" in capsys.readouterr().out


def test_the_example_script_draws_float32_graphs(tmp_path, monkeypatch, capsys):
    script = Path(__file__).resolve().parent.parent / "examples" / "draw_graphs.py"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path))  # the .dot files are enough here
    runpy.run_path(str(script), run_name="__main__")
    sources = {path.name: path.read_text(encoding="utf-8") for path in tmp_path.glob("*.dot")}
    assert set(sources) == {
        f"{n}.dot" for n in ("expression", "dense", "conv_forward", "conv_backward", "digits_cnn")
    }
    for name, source in sources.items():
        assert "float64" not in source, name
    assert "x ~ (n, 4)" in sources["dense.dot"]


def test_the_conv_backward_picture_shows_fold_and_a_transposed_matmul():
    graph = load_make_figures().conv_backward()
    assert "Fold k=1" in graph.source and "Transpose ᵀ" in graph.source


def test_the_batch_axis_comes_from_the_operand_with_all_the_output_axes():
    class Shifted(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Dense(3, 4, seed=0)
            self.shift = mg.Tensor(np.ones(4, np.float32))  # 4 = n here, by coincidence

        def forward(self, x):
            return self.shift + self.fc(x)

    model = Shifted()
    x = mg.Tensor(np.ones((4, 3), np.float32), requires_grad=True, name="x")
    labels = list(nodes(viz.draw_graph(model(x).sum(), model, batch_size=4)).values())
    assert "~ (n, 4)" in labels  # the sum's input, not (4, n)
    assert any(label.startswith("~ (4)\nvalue: [1, 1, 1, 1]") for label in labels)  # not (n)


class _Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Dense(3, 3, seed=0)

    def forward(self, x):
        return self.fc(x).relu()


class _TwiceNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = _Block()

    def forward(self, x):
        return self.block(self.block(x))


def test_parameters_of_a_block_called_twice_are_drawn_outside_both_calls():
    net = _TwiceNet()
    x = mg.Tensor(np.ones((2, 3), np.float32), requires_grad=True, name="x")
    graph = viz.draw_graph(net(x).sum(), net, batch_size=2)
    outside = graph.source.split("subgraph cluster_")[0]  # what no box holds
    assert "block.fc.weight ~ (3, 3)" in outside and "block.fc.bias ~ (3)" in outside
    collapsed = viz.draw_graph(net(x).sum(), net, batch_size=2, depth=1)
    between = [e for e in edges(collapsed) if e[0].startswith("layer") and e[1].startswith("layer")]
    assert len(between) == 1 and 'label="(n, 3)"' in between[0][2]  # the data, not the bias


def _labels(source):
    """Every label="…" of a DOT source (node, cluster and graph labels)."""
    return set(re.findall(r'label="((?:[^"\\]|\\.)*)"', source))


@pytest.mark.parametrize("page", ["graphs.md", "es/grafos.md"])
def test_the_docs_pictures_show_what_the_page_code_draws(page, tmp_path, monkeypatch):
    """Each picture's labels (values, gradients, shapes) are those of a graph the page's own code
    draws, so a student who runs the page and renders it sees the picture on the page."""
    from test_docs import python_steps

    docs = Path(__file__).resolve().parent.parent / "docs"
    monkeypatch.chdir(tmp_path)
    namespace, drawn = {"__name__": "__docs__"}, set()
    for number, (code, _) in enumerate(python_steps((docs / page).read_text(encoding="utf-8"))):
        exec(compile(code, f"{page}[block {number}]", "exec"), namespace)  # noqa: S102
        for value in list(namespace.values()):
            if isinstance(value, viz.Digraph):
                drawn |= _labels(value.source)
    for name, draw in load_make_figures().PICTURES.items():
        missing = _labels(draw().source) - drawn
        assert not missing, f"{name}.svg shows labels the page's code does not draw: {missing}"


@needs_dot
def test_the_committed_pictures_are_up_to_date(tmp_path):
    """docs/figures/*.svg hold the texts that docs/make_figures.py draws now (run it after a
    change to minigrad.viz or to the pictures)."""
    make_figures = load_make_figures()
    for path in make_figures.main(tmp_path):
        texts = re.findall(r"<text[^>]*>([^<]*)</text>", path.read_text(encoding="utf-8"))
        committed = (make_figures.FIGURES / path.name).read_text(encoding="utf-8")
        assert re.findall(r"<text[^>]*>([^<]*)</text>", committed) == texts, path.name


# ---- review of the drawings (batch axis of unrecorded data, gradient names, AsType, "both",
# ---- arguments) -----------------------------------------------------------------------------
def test_a_data_leaf_an_unrecorded_op_made_does_not_get_n_on_axis_0():
    """When x does not require grad, the ops applied to it are not recorded: xᵀ in ∂L/∂W = xᵀ G
    and a Local layer's (h', w', n, s²c) stack are leaves. With sizes equal to n, axis 0 of them
    was written n (and a Local's every later shape wrong): the other operand of the MatMul tells."""
    dense = nn.Dense(2, 3, seed=0)
    x = mg.Tensor(np.arange(4, dtype=np.float32).reshape(2, 2), name="x")  # (n, in) = (2, 2)
    loss = nn.functional.cross_entropy(dense(x).tanh(), np.array([0, 2]))
    loss.backward(create_graph=True)
    labels = nodes(viz.draw_graph(loss, dense, backward=True, batch_size=2)).values()
    transposed = [label for label in labels if "value: [0, 2, 1, 3]" in label]  # xᵀ
    assert transposed == ["~ (2, n)\nvalue: [0, 2, 1, 3]\nrequires_grad=False"]
    model = nn.Sequential(
        ("local", nn.Local((4, 4, 1), 2, kernel_size=3, seed=0)), ("act", nn.ReLU())
    )
    y = model(image(n=2, h=4, w=4, requires_grad=False))  # h' = w' = 2 = n
    labels = nodes(viz.draw_graph(y, model, batch_size=2)).values()
    assert not [label for label in labels if "(2, n" in label or "(n, 2, 2, 9)" in label]


def test_an_unnamed_tensors_gradient_is_not_called_x():
    x = mg.Tensor([1.0, 2.0], requires_grad=True, name="x")
    w = mg.Tensor([0.5, -1.0], requires_grad=True)  # no name
    loss = (x * w).tanh().sum()
    loss.backward(create_graph=True)
    graph = viz.draw_graph(loss, backward=True)
    assert [label for label in nodes(graph).values() if label.startswith("∂L/∂x")] == [
        f"∂L/∂x ~ (2)\nvalue: {viz._values_text(x.grad.data)}"
    ]
    grad_w = node_with(graph, "∂L/∂(unnamed) ~ (2)")
    assert (grad_w, node_with(graph, "value: [0.5, -1]")) in [e[:2] for e in edges(graph)]


def test_an_astype_that_copies_a_gradient_says_so():
    a, b = (mg.Tensor([1.0, 2.0], requires_grad=True, name=n) for n in "ab")
    c = a + b  # Add hands one gradient to both a and b: one of them gets a copy
    loss = (c * c).sum()
    loss.backward(create_graph=True)
    labels = nodes(viz.draw_graph(loss, backward=True)).values()
    assert "AsType (copy)" in labels and not [label for label in labels if "dtype=" in label]
    y = mg.ops.astype(a, np.float64)  # a real conversion shows both dtypes
    assert "AsType float32 → float64" in nodes(viz.draw_graph(y)).values()


def tanh_chain(length):
    a = mg.Tensor([0.1, 0.2, 0.3], requires_grad=True, name="a")
    y = a
    for _ in range(length):
        y = y.tanh()
    loss = y.sum()
    loss.backward(create_graph=True)
    return a, loss


def test_backward_both_draws_the_backward_graph_as_the_mirror_of_the_forward_one():
    """Edges between nodes of the backward graph are written head first with dir=back (the
    arrows are the same): dot lays the gradients out right to left, beside what they read."""
    _, loss = tanh_chain(2)
    graph = viz.draw_graph(loss, backward="both")
    box = graph.source.split("backward graph")[1].split("}")[0]
    in_box = set(re.findall(r"^\s*(\w+) \[label=", box, re.MULTILINE))
    grad_a = node_with(graph, "∂L/∂a ~ (3)")
    (made,) = [(t, h, a) for t, h, a in edges(graph) if grad_a in (t, h) and "grad of" not in a]
    assert made[0] == grad_a and "TanhBackward" in nodes(graph)[made[1]]  # written head first
    for tail, head, attributes in edges(graph):
        inside = tail in in_box and head in in_box
        assert ("dir=back" in attributes) == inside, (tail, head, attributes)
    assert viz.draw_graph(loss, backward=True).source.count("dir=back") == 0  # alone: as before


@needs_dot
def test_backward_both_of_a_60_op_chain_is_laid_out_in_seconds():
    """Written left to right, each arrow from a forward tensor to the backward op that reads it
    crossed the drawing: dot took minutes for this graph of fewer than max_nodes nodes."""
    import subprocess

    _, loss = tanh_chain(60)
    graph = viz.draw_graph(loss, backward="both")
    subprocess.run(
        ["dot", "-Tsvg"], input=graph.source.encode(), capture_output=True, check=True, timeout=30
    )


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"batch_size": 0}, "batch_size must be the number n of examples"),
        ({"batch_size": "2"}, "batch_size must be"),
        ({"batch_size": True}, "batch_size must be"),
        ({"max_nodes": None}, "max_nodes must be an int"),
    ],
)
def test_bad_counts_are_refused_naming_draw_graph(kwargs, match):
    x = mg.Tensor(np.ones((2, 3), dtype=np.float32), name="x")
    dense = nn.Dense(3, 2, seed=0)
    with pytest.raises(ValueError, match=f"draw_graph: {match}"):
        viz.draw_graph(dense(x), dense, **kwargs)


class ProjectThenDense(nn.Module):
    """x @ proj with a constant proj (a Tensor attribute, not a Parameter), then a Dense."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Dense(3, 2, seed=0)
        self.proj = mg.Tensor(np.ones((4, 3), dtype=np.float32), name="proj")

    def forward(self, x):
        return self.fc(x @ self.proj)


@pytest.mark.parametrize("n", [4, 2])
def test_a_constant_matrix_whose_rows_match_the_batch_keeps_its_number(n):
    """proj ~ (4, 3) was drawn (n, 3) when the batch had 4 examples, and (4, 3) with 2: a data
    leaf's batch guessed on the axis a product sums over (a second reader's find)."""
    model = ProjectThenDense()
    x = mg.Tensor(np.ones((n, 4), dtype=np.float32), requires_grad=True, name="x")  # recorded
    labels = "\n".join(nodes(viz.draw_graph(model(x), model, batch_size=n)).values())
    assert "proj ~ (4, 3)" in labels and "x ~ (n, 4)" in labels and "~ (n, 2)" in labels


def test_without_a_model_a_batch_refused_names_the_leaf_taken_for_a_parameter():
    x = mg.Tensor(np.ones((4, 3), dtype=np.float32), requires_grad=True, name="x")
    c = mg.Tensor(np.ones((3, 3), dtype=np.float32), name="c")
    with pytest.raises(ValueError, match=r"as c ~ \(3, 3\), with no axis of 4 examples .*\. x ~ "
                       r"\(4, 3\) requires grad, and without a model every leaf that does is "
                       r"drawn as a parameter"):  # fmt: skip
        viz.draw_graph((x @ c).sum(), batch_size=4)


def test_a_batch_size_the_graph_does_not_have_is_refused():
    """The title would say n = 7 and no tensor would show n."""
    x = mg.Tensor(np.ones((5, 3), dtype=np.float32), name="x")
    dense = nn.Dense(3, 2, seed=0)
    with pytest.raises(ValueError, match=r"batch_size=7, .* as x ~ \(5, 3\), with no axis of 7"):
        viz.draw_graph(dense(x), dense, batch_size=7)
    assert "x ~ (n, 3)" in viz.draw_graph(dense(x), dense, batch_size=5).source
    vector = mg.Tensor(np.ones(3, dtype=np.float32), requires_grad=True)  # no data of 2 axes
    with pytest.raises(ValueError, match="batch_size=3, .* no data input of at least two axes"):
        viz.draw_graph((vector * 2.0).sum(), batch_size=3)


def test_depth_with_the_backward_graph_alone_is_refused():
    """The backward graph's ops belong to no layer: depth would be ignored silently."""
    model = conv_net()
    loss = model(image()).sum()
    loss.backward(create_graph=True)
    for kwargs in ({"depth": 1}, {"collapse": True}):
        with pytest.raises(ValueError, match="backward='both'"):
            viz.draw_graph(loss, model, backward=True, **kwargs)
    both = viz.draw_graph(loss, model, backward="both", collapse=True)
    assert "box3d" in both.source  # the forward part is drawn collapsed


def test_collapse_with_another_depth_is_refused():
    """collapse=True means depth=1: with depth=2 as well, one of them would be ignored."""
    model = conv_net()
    loss = model(image()).sum()
    with pytest.raises(ValueError, match=r"collapse=True is depth=1 .* but depth=2 was given"):
        viz.draw_graph(loss, model, collapse=True, depth=2)
    assert "box3d" in viz.draw_graph(loss, model, collapse=True, depth=1).source


def test_a_model_that_did_not_make_the_graph_is_refused():
    x = mg.Tensor(np.ones((2, 3), dtype=np.float32), name="x")
    dense = nn.Dense(3, 2, seed=0)
    y = dense(x)
    with pytest.raises(TypeError, match="draw_graph: model must be the Module"):
        viz.draw_graph(y, "dense")
    with pytest.raises(ValueError, match="did not compute this graph.*not a copy"):
        viz.draw_graph(y, nn.Dense(3, 2, seed=1))  # another instance: names would be lost
    with pytest.raises(TypeError, match=r"comes first: draw_graph\(root, model\)"):
        viz.draw_graph(dense, y)
    assert "weight ~ (3, 2)" in viz.draw_graph(y, nn.Sequential(("d", dense))).source.replace(
        "d.weight", "weight"
    )


def test_a_batch_size_that_divides_the_data_rows_is_accepted():
    """Data of k·n rows (n examples of k rows each) hold a batch of n: accepted; a batch_size
    that divides no axis of the data is refused."""
    layer = nn.Dense(4, 2, seed=0)
    x = mg.Tensor(np.ones((6, 4), np.float32), name="x")  # 6 = 2·3 rows
    assert "n = 3" in viz.draw_graph(layer(x).sum(), layer, batch_size=3).source
    with pytest.raises(ValueError, match="batch_size=5, but this graph has no batch of 5"):
        viz.draw_graph(layer(x).sum(), layer, batch_size=5)


@needs_dot
def test_backslashes_in_names_and_titles_are_drawn_as_written(tmp_path):
    # DOT reads \l, \n, \N in a label as escapes: unescaped, r"\lambda" was drawn "ambda".
    model = nn.Sequential((r"scale\l", nn.ReLU()))
    x = mg.Tensor([[1.0, 2.0]], requires_grad=True, name=r"\lambda")
    graph = viz.draw_graph(model(x), model, title=r"<net\N>")
    assert r"\\lambda ~ (1, 2)" in nodes(graph)[node_with(graph, "lambda")]
    svg = viz.render(graph, tmp_path / "names.svg").read_text(encoding="utf-8")
    for text in (r"\lambda ~ (1, 2)", r"ReLU scale\l", r"&lt;net\N&gt;"):
        assert f">{text}<" in svg


class _SharedNet(nn.Module):
    """One Dense layer held by two blocks (block1.fc is block2.fc)."""

    def __init__(self):
        super().__init__()
        shared = nn.Dense(3, 3, seed=0)
        self.block1, self.block2 = _Block(), _Block()
        self.block1.fc = self.block2.fc = shared

    def forward(self, x):
        return self.block2(self.block1(x))


def test_a_layer_shared_by_two_blocks_keeps_its_first_name_and_its_parameters_outside_both():
    net = _SharedNet()
    x = mg.Tensor(np.ones((2, 3), np.float32), requires_grad=True, name="x")
    graph = viz.draw_graph(net(x).sum(), net)
    # Named as its parameters are (named_parameters lists a shared one under its first name).
    assert sorted(clusters(graph)) == [
        '"Dense block1.fc · 3→3 · 12 params (call 2)"',
        '"Dense block1.fc · 3→3 · 12 params"',
        '"_Block block1 · 12 params"',
        '"_Block block2 · 12 params"',
    ]
    outside = graph.source.split("subgraph cluster_")[0]  # not in block1's box: block2 reads it
    assert "block1.fc.weight ~ (3, 3)" in outside and "block1.fc.bias ~ (3)" in outside


def test_render_without_dot_leaves_no_empty_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere on PATH
    graph = viz.draw_graph(mg.Tensor([1.0], requires_grad=True) * 2.0)
    with pytest.raises(viz.GraphvizNotFound):
        viz.render(graph, tmp_path / "pictures" / "tiny.svg")
    assert not (tmp_path / "pictures").exists()


def test_render_suggests_a_name_that_keeps_a_suffix_that_is_no_format(tmp_path):
    graph = viz.draw_graph(mg.Tensor([1.0], requires_grad=True) * 2.0)
    with pytest.raises(ValueError) as caught:
        viz.render(graph, tmp_path / "lr0.01")  # not "lr0.svg", and no format='01'
    assert str(caught.value).endswith("Name the file lr0.01.svg.")


def test_render_says_which_part_of_the_path_is_a_file(tmp_path):
    (tmp_path / "notes").write_text("mine")
    graph = viz.draw_graph(mg.Tensor([1.0], requires_grad=True) * 2.0)
    with pytest.raises(NotADirectoryError, match=r"notes is a file, not a folder"):
        viz.render(graph, tmp_path / "notes" / "deeper" / "g.dot", format="dot")
    assert (tmp_path / "notes").read_text() == "mine"


class _TiedNet(nn.Module):
    """fc2 is given fc1's weight (one Parameter, two layers), and the output layer reads it
    again, transposed, outside any layer (weight tying)."""

    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = nn.Dense(3, 3, seed=0), nn.Dense(3, 3, seed=1)
        self.fc2.weight = self.fc1.weight
        self.act = nn.ReLU()

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) @ self.fc1.weight.T


def test_a_parameter_two_layers_share_is_drawn_outside_both_and_feeds_each():
    net = _TiedNet()
    x = mg.Tensor(np.ones((2, 3), np.float32), name="x")
    graph = viz.draw_graph(net(x), net)
    outside = graph.source.split("subgraph cluster_")[0]  # not in fc1's box: fc2 reads it too
    assert "fc1.weight ~ (3, 3)" in outside
    collapsed = viz.draw_graph(net(x), net, collapse=True, batch_size=2)
    weight = node_with(collapsed, "fc1.weight ~ (3, 3)")
    fc1, fc2 = node_with(collapsed, "Dense fc1"), node_with(collapsed, "Dense fc2")
    heads = {head for tail, head, _ in edges(collapsed) if tail == weight}
    assert {fc1, fc2} <= heads  # the weight feeds both layers …
    # … and fc1's node feeds only the ReLU: no arrow fc1 → fc2 that no data takes.
    assert [head for tail, head, _ in edges(collapsed) if tail == fc1] == [
        node_with(collapsed, "ReLU act")
    ]


def test_a_root_computed_under_no_grad_is_refused_with_the_reason():
    a = mg.Tensor([1.0, 2.0], requires_grad=True, name="a")
    with mg.no_grad():
        z = (a * 3).sum()
    z.name = "z"
    with pytest.raises(
        ValueError, match=r"'z' has no graph: .*mg\.no_grad\(\).*requires_grad=True"
    ):
        viz.draw_graph(z)
    assert "a ~ (2)" in viz.draw_graph(a).source  # a leaf that requires grad is still drawn


class _Scaled(mg.Function):
    """y = x · scale, with settings of every kind a student may pass."""

    def forward(self, x, scale, pair, table, weights):
        self.scale = scale
        return x * scale

    def backward(self, grad_out):
        return (grad_out * self.scale,)


def test_settings_with_numpy_numbers_and_long_arrays_are_labelled_as_python_writes_them():
    x = mg.Tensor([1.0, 2.0], requires_grad=True, name="x")
    settings = {
        "scale": np.float32(0.1),  # numpy's own str: 0.1, not 0.10000000149011612
        "pair": (np.int64(1), np.float32(2.5)),  # numpy 2's repr would be np.int64(1), …
        "table": np.arange(100.0),  # its first numbers, cut, would not say how many
        "weights": np.array([0.5, 2.0], dtype=np.float32),
    }
    graph = viz.draw_graph(_Scaled.apply(x, **settings), legend=False)
    label = nodes(graph)[node_with(graph, "_Scaled")]
    assert label == "_Scaled scale=0.1 pair=(1, 2.5) table=array ~ (100) weights=[0.5, 2.0]"


def test_a_part_of_the_model_given_as_model_is_refused_with_the_whole_named():
    block = nn.Sequential(("fc", nn.Dense(3, 3, seed=0)), ("act", nn.ReLU()))
    model = nn.Sequential(("block", block), ("head", nn.Dense(3, 2, seed=1)))
    x = mg.Tensor(np.ones((2, 3), np.float32), name="x")
    # Drawn with block, the title would say 12 params above a 20-param model, and head's
    # parameters would be unnamed.
    with pytest.raises(ValueError, match=r"Sequential 'block', is a part of the Sequential"):
        viz.draw_graph(model(x), block)
    assert "Dense block.fc" in viz.draw_graph(model(x), model).source
    assert "Dense fc" in viz.draw_graph(block(x), block).source  # the part's own output


def test_a_model_that_shares_a_layer_with_another_model_of_the_graph_is_not_a_part_of_it():
    """m1(x) + m2(x) with a layer in both: m1 was refused as "a part of the Sequential" m2."""
    shared = nn.Dense(3, 3, seed=0)
    m1 = nn.Sequential(shared, nn.Dense(3, 1, seed=1))
    m2 = nn.Sequential(shared, nn.Dense(3, 1, seed=2))
    x = mg.Tensor(np.ones((2, 3), np.float32), name="x")
    loss = (m1(x) + m2(x)).sum()
    assert "0.weight" in viz.draw_graph(loss, m1).source
    with pytest.raises(ValueError, match=r"Dense '0', is a part of the Sequential"):
        viz.draw_graph(m2(x), shared)  # a part of m2, which made the graph: still refused


def test_a_module_class_given_as_model_is_refused_as_not_a_module():
    """draw_graph(root, nn.Sequential) failed inside: named_modules() missing 'self'."""
    model = nn.Sequential(nn.Dense(3, 2, seed=0))
    x = mg.Tensor(np.ones((1, 3), np.float32))
    with pytest.raises(TypeError, match=r"model must be the Module that computed root.*got type"):
        viz.draw_graph(model(x), nn.Sequential)


def test_the_batch_axis_is_followed_through_broadcast_to_and_sum_to_in_a_backward_graph():
    """AvgPool2D's backward spreads each window's gradient with a BroadcastTo: the batch axis
    goes through it (it was drawn as (2, 2, 2, 2, 2, 1) between two shapes with n)."""
    x = mg.Tensor(np.ones((2, 4, 4, 1), np.float32), requires_grad=True, name="x")
    bias = mg.Tensor(np.zeros((4, 4, 1), np.float32), requires_grad=True, name="b")
    loss = (nn.AvgPool2D(2)(x + bias) ** 2).sum()
    loss.backward(create_graph=True)
    graph = viz.draw_graph(loss, backward=True, batch_size=2, show_values=False)
    labels = set(nodes(graph).values())
    assert "BroadcastTo → (n, 2, 2, 2, 2, 1)" in labels and "~ (n, 2, 2, 2, 2, 1)" in labels
    assert "∂L/∂x ~ (n, 4, 4, 1)" in labels  # ∂L/∂(x + b), which b's SumTo sums the batch of
    assert "SumTo → (4, 4, 1)" in labels and "∂L/∂b ~ (4, 4, 1)" in labels
    assert not any("(2, " in label for label in labels)


def test_the_batch_axis_moves_when_broadcast_to_adds_axes_on_the_left():
    """x · w ~ (n, 3) spread to (4, n, 3): the batch is axis 1 there, and axis 0 again once
    SumTo (an unbroadcast) sums the new axis away."""
    x = mg.Tensor(np.ones((2, 3), np.float32), name="x")
    w = mg.Tensor(np.ones(3, np.float32), requires_grad=True, name="w")
    spread = (x * w).broadcast_to((4, 2, 3))
    graph = viz.draw_graph(mg.ops.unbroadcast(spread, (2, 3)).sum(), batch_size=2)
    labels = set(nodes(graph).values())
    assert "BroadcastTo → (4, n, 3)" in labels and "SumTo → (n, 3)" in labels


def test_settings_are_labelled_as_python_writes_them_at_every_size_and_depth():
    x = mg.Tensor([1.0, 2.0], requires_grad=True, name="x")
    settings = {
        "scale": np.array(0.5),  # a 0-d array is its number
        "pair": (np.int64(3),),  # a 1-tuple keeps its comma
        "table": np.array([1.0, 2.0, 3.0, 4.0]),  # 4 numbers are still written out
        "weights": ("same", None),  # inside a tuple, as repr writes them
    }
    graph = viz.draw_graph(_Scaled.apply(x, **settings), legend=False)
    label = nodes(graph)[node_with(graph, "_Scaled")]
    assert label == "_Scaled scale=0.5 pair=(3,) table=[1.0, 2.0, 3.0, 4.0] weights=('same', None)"


def test_the_norm_of_a_float16_gradient_does_not_overflow():
    # Its sum of squares, 400 · 20² = 160 000, is past float16's largest number (65 504): the
    # norm 400 was drawn as ‖grad‖ = inf, with numpy's overflow warning.
    h = mg.Tensor(np.ones(400, np.float16), requires_grad=True, name="h")
    (h * 20.0).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        graph = viz.draw_graph((h * 20.0).sum(), legend=False)
    assert "‖grad‖ = 400" in nodes(graph)[node_with(graph, "h ~ (400)")]


def _own_op(name):
    """A student's op y = x · size that happens to share its name with one of minigrad's."""

    def forward(self, x, size):
        return x * size

    def backward(self, grad_out):
        return (grad_out * self.settings["size"],)

    return type(name, (mg.Function,), {"forward": forward, "backward": backward})


@pytest.mark.parametrize(
    "name", ["Patches", "Pad", "Transpose", "GetItem", "AsType", "NLLLoss", "MatMul", "Sum"]
)
def test_a_students_op_named_like_one_of_minigrads_is_labelled_with_its_own_settings(name):
    # The labels and the batch axis of minigrad's ops read their settings (Patches's k): the
    # student's op has others, and draw_graph failed with KeyError: 'k' (or could not unpack
    # a MatMul of one input).
    x = mg.Tensor(np.ones((2, 3), np.float32), name="x")
    w = mg.Tensor(np.ones(3, np.float32), requires_grad=True, name="w")
    root = _own_op(name).apply(x * w, size=2.0)
    graph = viz.draw_graph(root, legend=False, batch_size=2)
    assert f"{name} size=2.0" in nodes(graph).values()
    assert "~ (n, 3)" in nodes(graph).values()  # x · w, before the op (which drops the batch)


def test_render_says_it_takes_the_drawing_first_when_given_a_tensor_or_a_path(tmp_path):
    loss = (mg.Tensor([1.0], requires_grad=True) * 2.0).sum()
    with pytest.raises(TypeError, match=r"got a Tensor.*render\(draw_graph\(loss\), path\)"):
        viz.render(loss, tmp_path / "g.svg")
    with pytest.raises(TypeError, match=r"drawing first.*render\(graph, path\)"):
        viz.render(tmp_path / "g.svg", viz.draw_graph(loss))
    assert not list(tmp_path.iterdir())


def test_a_name_or_title_that_is_not_a_string_is_drawn_as_str_writes_it():
    # Tensor(..., name=3), as a loop gives it, failed with 'int' has no attribute 'replace'.
    a = mg.Tensor([1.0, 2.0], requires_grad=True, name=3)
    loss = (a * a).sum()
    loss.backward(create_graph=True)
    graph = viz.draw_graph(loss, backward="both", title=2024, legend=False)
    labels = "\n".join(nodes(graph).values())
    assert "3 ~ (2)" in labels and "∂L/∂3 ~ (2)" in labels
    assert "label=2024 labelloc=t" in graph.source


@needs_dot
def test_ampersands_in_names_and_titles_are_drawn_as_written(tmp_path):
    # Graphviz reads &amp; &lt; &#60; in a label as the characters they name: a name written
    # "R&amp;D" was drawn "R&D".
    x = mg.Tensor([1.0], requires_grad=True, name="R&amp;D")
    graph = viz.draw_graph(x * 2.0, title="Q&A &lt;1&gt;", legend=False)
    svg = viz.render(graph, tmp_path / "names.svg").read_text(encoding="utf-8")
    for text in ("R&amp;amp;D ~ (1)", "Q&amp;A &amp;lt;1&amp;gt;"):  # (the SVG writes & as &amp;)
        assert f">{text}<" in svg


def test_a_depth_that_is_a_numpy_int_is_accepted_as_batch_size_and_max_nodes_are():
    # depth=np.int64(1) was refused with "depth must be an int ≥ 1; got np.int64(1)".
    x = mg.Tensor(np.ones((2, 3), np.float32), name="x")
    model = nn.Sequential(("fc", nn.Dense(3, 2, seed=0)), ("act", nn.ReLU()))
    graph = viz.draw_graph(model(x), model, depth=np.int64(1), max_nodes=np.int64(50))
    assert node_with(graph, "Dense fc · 3→2 · 8 params").startswith("layer")


def test_render_expands_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    x = mg.Tensor([1.0, 2.0], requires_grad=True, name="x")
    path = viz.render(viz.draw_graph((x * x).sum()), "~/graphs/g.dot", format="dot")
    assert path == tmp_path / "graphs" / "g.dot" and path.read_text().startswith("digraph")
    assert not (tmp_path / "~").exists()  # no folder named ~ in the working folder


def test_render_keeps_a_name_that_starts_with_a_tilde(tmp_path, monkeypatch):
    # "~draft" names no user's home: Path.expanduser raised "Could not determine home
    # directory", where a shell (and os.path.expanduser) leaves the name as it is.
    monkeypatch.chdir(tmp_path)
    x = mg.Tensor([1.0, 2.0], requires_grad=True, name="x")
    path = viz.render(viz.draw_graph((x * x).sum()), "~draft_of_no_user.dot", format="dot")
    assert (tmp_path / path).read_text().startswith("digraph")
    assert path.name == "~draft_of_no_user.dot"
