"""Draw a model's computation graph (forward, backward, layer by layer) to SVG, PNG, PDF or DOT.

`draw_graph` builds a `graphviz.Digraph` (no `dot` program needed), `render` lays it out with
Graphviz's `dot`, and `add_arguments` sets up the `minigrad graph` command."""

import itertools
import os
import runpy
import sys
import traceback
from pathlib import Path

import graphviz
import numpy as np

from minigrad.ops.shape import is_int
from minigrad.tensor import DEFAULT_DTYPE, Tensor

FORMATS = ("svg", "png", "pdf", "dot")

# One look per kind of node; the legend shows each of them with its name.
STYLES = {
    "input": {"shape": "ellipse", "style": "filled", "fillcolor": "#cfe2f3"},
    "parameter": {"shape": "ellipse", "style": "filled", "fillcolor": "#ffe08a"},
    "intermediate": {"shape": "ellipse", "style": "filled", "fillcolor": "white"},
    "output": {"shape": "ellipse", "style": "filled", "fillcolor": "white", "penwidth": "2.5"},
    "op": {"shape": "box", "style": "rounded,filled", "fillcolor": "#e0e0e0"},
    "gradient": {"shape": "ellipse", "style": "filled", "fillcolor": "#b7e1b0"},
    "backward op": {"shape": "box", "style": "rounded,filled", "fillcolor": "#e3f4df"},
    "layer": {"shape": "box3d", "style": "filled", "fillcolor": "#e8d9f1"},
}
# A dashed "grad of" edge from a gradient to its tensor; the frame of a layer's box.
GRAD_OF_EDGE = {"style": "dashed", "color": "#4c9a42", "constraint": "false", "label": "grad of"}
CLUSTER_STYLE = {"style": "rounded,filled", "fillcolor": "#f7f3fa", "color": "#9b7bb3"}
LEGEND_TEXT = {
    "input": "input\\n(data or constant)",
    "parameter": "parameter\\n(a leaf to train)",
    "intermediate": "intermediate\\ntensor",
    "output": "output\\n(the root)",
    "op": "op\\n(forward)",
    "gradient": "gradient\\ntensor",
    "backward op": "op of the\\nbackward graph",
    "layer": "layer drawn\\nas one node",
}

INSTALL_STEPS = (
    "Install Graphviz:\n"
    "  Debian/Ubuntu:  sudo apt-get install graphviz\n"
    "  macOS:          brew install graphviz\n"
    "  Windows:        winget install graphviz   (then open a new terminal)\n"
    "  conda:          conda install -c conda-forge graphviz\n"
)
INSTALL_HINT = (
    "Graphviz's `dot` program was not found on PATH, so the graph cannot be rendered to an "
    "image (draw_graph(...) and its .source still work without it). " + INSTALL_STEPS + "or "
    "save the DOT text instead with format='dot'."
)
# The same hint in the words of `minigrad graph`, which writes the DOT text instead when it can;
# {done} says where it went (or why it did not).
CLI_INSTALL_HINT = (
    "Graphviz's `dot` program was not found on PATH, so the graph cannot be rendered to an "
    "image. {done} " + INSTALL_STEPS + "and run the command again."
)


class GraphvizNotFound(graphviz.ExecutableNotFound):
    """Rendering needs Graphviz's `dot` program and it is not installed (the message says how).
    A graphviz.ExecutableNotFound (a RuntimeError), so code that catches graphviz's own error
    catches it too."""

    def __init__(self, message):
        RuntimeError.__init__(self, message)  # graphviz's __init__ formats a command line


class Digraph(graphviz.Digraph):
    """The graphviz.Digraph that draw_graph returns: in Jupyter (which calls
    `_repr_mimebundle_` to show a cell's value) a missing `dot` shows minigrad's install hint
    as text instead of failing with graphviz's ExecutableNotFound, and `.pipe()` and
    `.render()` raise GraphvizNotFound, whose message says how to install it."""

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except GraphvizNotFound:  # raised by pipe below, which graphviz's display calls
            return {"text/plain": INSTALL_HINT}

    def pipe(self, *args, **kwargs):
        """graphviz's pipe (the rendered bytes), with the install hint when `dot` is missing."""
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound:
            raise GraphvizNotFound(INSTALL_HINT) from None

    def render(self, *args, **kwargs):
        """graphviz's render (writes files), with the install hint when `dot` is missing."""
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound:
            raise GraphvizNotFound(INSTALL_HINT) from None


def draw_graph(
    root,
    model=None,
    *,
    depth=None,
    collapse=False,
    backward=False,
    rankdir="LR",
    show_values=True,
    max_nodes=300,
    batch_size=None,
    legend=True,
    title=None,
):
    """The graph of ops that produced `root`, as a `Digraph` (a graphviz.Digraph; building it
    needs no `dot`).

    Legend (drawn unless legend=False, with the kinds of node this drawing has): blue ellipse
    an input (data, constants); yellow a parameter (the model's; without a model, any leaf
    with requires_grad); white an intermediate
    tensor, bold the root; grey box an op and its settings (`Patches k=1`, `Reshape → (n, 64)`);
    green ellipse and pale green box a gradient tensor and a backward op; purple 3-D box a
    collapsed layer; lilac frame a layer (`Conv2D conv1 · 3×3 · 1→8 · 80 params`; a layer called
    twice gets a frame per call, the second labelled `(call 2)`). A tensor shows
    `name ~ shape`, its dtype if not float32, its values if ≤ 4 elements (show_values), and for a
    leaf requires_grad and its grad (values, ‖grad‖, or "not computed yet").
    `model` names the parameters (default: the one outermost module that made the graph).
    `depth=d` draws each module at depth d (the model's layers are 1) as one node; collapse=True
    is depth=1. backward=True draws the graph that backward(create_graph=True) built for the
    gradients, with the forward tensors it reads (a gradient computed from constants only, such
    as ∂L/∂b = ΣG, is a green "constant (no graph)"); "both" draws it beside the forward graph.
    `batch_size=n` writes the batch axis as `n`: axis 0 of the data, followed through the ops
    (Transpose moves it, a Reshape that merges it away or a sum drops it), never guessed from
    sizes. ValueError: over max_nodes; depth with backward=True; a batch_size the data lack;
    a root with no graph (computed under no_grad, or from tensors none of which requires grad).
    `title` is the caption (by default the model, its parameter count and n).

    >>> import minigrad as mg
    >>> a = mg.Tensor([1.0, 2.0], requires_grad=True, name="a")
    >>> "a ~ (2)" in draw_graph((a * a).sum(), legend=False).source
    True
    """
    if backward not in (False, True, "both"):
        raise ValueError(f"draw_graph: backward must be False, True or 'both'; got {backward!r}.")
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"draw_graph: rankdir must be 'LR' or 'TB' (or RL, BT); got {rankdir!r}.")
    if not isinstance(root, Tensor):
        swapped = " The tensor comes first: draw_graph(root, model)."
        raise TypeError(
            f"draw_graph: root must be a Tensor (for example the loss or a model's output); got "
            f"{type(root).__name__}." + (swapped if isinstance(model, Tensor) else "")
        )
    if root.grad_fn is None and not root.requires_grad:  # a lone node that says nothing
        raise ValueError(
            f"draw_graph: {repr(root.name) if root.name else 'root'} has no graph: no op was "
            "recorded when it was computed. minigrad records an op only outside "
            "`with mg.no_grad():` and when one of its inputs requires grad (a model's "
            "parameters do; data does not). Compute it outside no_grad, or from a tensor made "
            "with requires_grad=True."
        )
    if collapse and depth not in (None, 1):
        raise ValueError(
            f"draw_graph: collapse=True is depth=1 (each layer one node), but depth={depth!r} "
            "was given too. Pass one of them."
        )
    if depth is None and collapse:
        depth = 1
    if depth is not None and (not is_int(depth) or depth < 1):  # (numpy's ints too, not True)
        raise ValueError(
            f"draw_graph: depth must be an int ≥ 1 (1 = the model's layers); got {depth!r}."
        )
    if depth is not None and backward is True:
        raise ValueError(
            "draw_graph: depth and collapse draw a layer of the forward graph as one node, but "
            "backward=True draws the backward graph alone, and backward() recorded its ops "
            "outside any layer. Pass backward='both' to see the collapsed forward graph beside "
            "the backward graph, or leave depth and collapse out."
        )
    _check_counts(batch_size, max_nodes)
    if depth is None and not backward:  # a node per tensor and per op: counted before labels
        tensors, ops = _walk([root])
        if len(tensors) + len(ops) > max_nodes:
            layers = any(fn.scope for fn in ops)
            raise _too_many(len(tensors) + len(ops), max_nodes, backward, layers, depth)
    if model is not None:
        _check_model(model, root)
    drawing = _Drawing(root, model, depth, backward, show_values, batch_size)
    if batch_size is not None:
        drawing.check_batch()
    if len(drawing.nodes) > max_nodes:
        layers = bool(drawing.modules)
        raise _too_many(len(drawing.nodes), max_nodes, backward, layers, depth)
    return drawing.to_digraph(rankdir, legend, title)


def _check_counts(batch_size, max_nodes):
    """Refuse a batch_size (None: shapes keep their numbers) or max_nodes that is not an int ≥ 1."""

    def whole(value):
        return is_int(value) and value >= 1

    if batch_size is not None and not whole(batch_size):
        raise ValueError(
            f"draw_graph: batch_size must be the number n of examples in the batch, an int ≥ 1 "
            f"(axis 0 of the data), or None to write every size as a number; got {batch_size!r}."
        )
    if not whole(max_nodes):
        raise ValueError(
            f"draw_graph: max_nodes must be an int ≥ 1 (the most nodes to draw; 300 by "
            f"default); got {max_nodes!r}."
        )


def _check_model(model, root):
    """Refuse a `model` that is not a module, or one that is not the model whose layers made
    the graph (a copy, a new instance): its parameters would be drawn unnamed, outside their
    layers' boxes, without a word. And one that is a part (a block) of the module that made it."""
    if not _is_module(model):  # (a class, model=Net, has the methods but no layers)
        raise TypeError(
            f"draw_graph: model must be the Module that computed root (it names the parameters "
            f"and the layers); got {type(model).__name__}. Call draw_graph(root, model), or "
            "leave model out."
        )
    tensors, ops = _walk([root])
    makers = [fn.scope[0] for fn in ops if fn.scope]
    if not makers:  # no layer made an op of this graph: nothing to name or box by layer
        return
    modules = {id(module) for _, module in _named_modules(model)}
    named = model.named_parameters() if hasattr(model, "named_parameters") else ()
    parameters = {id(parameter) for _, parameter in named}
    made = any(id(module) in modules for fn in ops for module in fn.scope)
    if not made and not any(id(t) in parameters for t in tensors):
        raise ValueError(
            f"draw_graph: the model given ({type(model).__name__}) did not compute this graph: "
            f"its ops were made by a {type(makers[0]).__name__} that is not part of the model, "
            "and none of the model's parameters is in the graph. Pass the model whose call gave "
            "root, not a copy or a new instance, or leave model out: draw_graph then finds the "
            "module that made the graph."
        )
    for fn in ops:  # a layer of a bigger module that made the graph: the title would name the
        # layer above the whole graph, and the bigger module's box would hold it unnamed. (Not
        # a model that only shares a layer with the module that made these ops: m1 in m1 + m2.)
        inside = [index for index, module in enumerate(fn.scope) if id(module) in modules]
        if inside and inside[0] > 0:
            outer = fn.scope[0]
            name = next((n for n, m in _named_modules(outer) if m is model), None)
            if name is None:
                continue
            part = f"{type(model).__name__} {name!r}"
            raise ValueError(
                f"draw_graph: the model given, {part}, is a part of the {type(outer).__name__} "
                "whose call made this graph: its title, names and boxes would not fit the "
                f"drawing. Pass that {type(outer).__name__} as model, or draw the part's own "
                "output (draw_graph(part(x), part)); leaving model out finds the module that "
                "made the graph."
            )


class TooManyNodes(ValueError):
    """A drawing of more than max_nodes nodes. The message says what would make it smaller in
    Python's words (collapse=True); `cli_message` says it for `minigrad graph` (--collapse)."""

    def __init__(self, message, cli_message):
        super().__init__(message)
        self.cli_message = cli_message


def _too_many(count, max_nodes, backward, layers, depth):
    """The error for a drawing of more than max_nodes nodes, with what would make it smaller."""

    def text(prefix, collapse, depth_name, limit_name, separator):
        if backward:
            hint = "Backward graphs are drawn op by op: draw a smaller model or a single layer"
        elif not layers:
            hint = (
                "No layer made these ops, so collapsing cannot help: draw a smaller expression "
                "(an earlier intermediate result)"
            )
        elif depth is None:
            hint = f"Draw each layer as one node with {collapse}"
        elif depth > 1:
            hint = f"Collapse more of the graph with a smaller {depth_name} than {depth}"
        else:
            hint = "Draw a part of the model (the output of one of its blocks)"
        return (
            f"{prefix}this drawing would have {count} nodes, more than "
            f"{limit_name}{separator}{max_nodes}, which is too many to read (and slow to lay "
            f"out). {hint}, or pass a larger {limit_name} if you really want every op."
        )

    return TooManyNodes(
        text("draw_graph: ", "collapse=True (or depth=1)", "depth", "max_nodes", "="),
        text("minigrad graph: ", "--collapse (or --depth 1)", "--depth", "--max-nodes", " "),
    )


def render(digraph, path, format="svg"):
    """Write `digraph` to `path` as svg, png or pdf (laid out by Graphviz's `dot`), or as its
    DOT text (format="dot", which needs no Graphviz). Returns the path written.

    A path without a suffix gets ".<format>"; a path with another suffix than ".<format>" is
    refused (ValueError), so a file's name always tells its format. Missing folders are
    created; an existing file is replaced. Raises GraphvizNotFound when `dot` is missing.

    >>> import minigrad as mg, tempfile, os
    >>> graph = draw_graph(mg.Tensor([1.0], requires_grad=True) * 2)
    >>> render(graph, os.path.join(tempfile.mkdtemp(), "graph"), format="dot").name
    'graph.dot'
    """
    # Any drawing with DOT text to pipe through dot (graphviz's own Digraph and Source too). A
    # tensor given instead, render(loss, "g.svg"), failed deep inside: no attribute 'pipe'.
    if not (hasattr(digraph, "source") and hasattr(digraph, "pipe")):
        if isinstance(path, graphviz.Graph | graphviz.Digraph):
            fix = "Pass the drawing first, then the path: render(graph, path)"
        else:
            fix = "Draw the graph first: render(draw_graph(loss), path)"
        raise TypeError(
            f"render: digraph must be a drawing made by draw_graph; got a "
            f"{type(digraph).__name__}. {fix}."
        )
    if format not in FORMATS:
        raise ValueError(f"render: format must be one of {', '.join(FORMATS)}; got {format!r}.")
    # "~/graph.svg" as a shell reads it (no folder named ~); os.path's expanduser leaves a
    # name such as "~draft.svg" as it is, where Path's raises (no user named draft.svg).
    path = Path(os.path.expanduser(path))
    if not path.suffix:
        path = path.with_suffix("." + format)
    elif path.suffix.lower() != "." + format:
        written_as = path.suffix[1:].lower()
        fix = f"Name the file {path.name}.{format}"  # lr0.01 → lr0.01.svg: ".01" is no format
        if written_as in FORMATS:
            fix = f"Name the file {path.stem}.{format}, or pass format={written_as!r}"
        raise ValueError(
            f"render: {path.name} ends in {path.suffix} but format={format!r} would write "
            f"{format.upper()} into it. {fix}."
        )
    if format == "dot":
        data = digraph.source.encode("utf-8")
    else:
        try:
            data = digraph.pipe(format=format)
        except graphviz.ExecutableNotFound:  # a plain graphviz.Digraph (ours raises the hint)
            raise GraphvizNotFound(INSTALL_HINT) from None
    # Folders are made only now, so that a render that failed leaves no empty folder behind.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):  # mkdir's message does not say which part
        folders = reversed(path.parents)  # outermost first: the first one that is not a folder
        blocker = next((f for f in folders if f.exists() and not f.is_dir()), path.parent)
        raise NotADirectoryError(
            f"cannot write {path}: {blocker} is a file, not a folder. Name another folder, or "
            "move the file."
        ) from None
    path.write_bytes(data)
    return path


# ---- what is drawn ---------------------------------------------------------------------------
class _Drawing:
    """The nodes and edges of one drawing, decided before anything is handed to graphviz.

    Every node gets a stable id in visit order (t0, t1, … tensors, op0, … ops, layer0, …
    collapsed layers), so the same graph always gives the same DOT text.
    """

    def __init__(self, root, model, depth, backward, show_values, batch_size):
        self.root, self.depth, self.backward = root, depth, backward
        self.show_values, self.batch_size = show_values, batch_size
        forward_tensors, forward_ops = _walk([root])
        self.model = model if model is not None else _outermost_module(forward_ops)
        self.modules = _module_table(self.model, forward_ops)
        self.leaves = _parameter_table(self.model, self.modules)
        self.forward_ids = {id(t) for t in forward_tensors}
        self.calls = _call_table(forward_ops)
        self.readers = {}  # id(leaf) -> the call chain of each op that reads it
        for fn in forward_ops:
            for parent in fn.inputs:
                if parent.grad_fn is None:
                    self.readers.setdefault(id(parent), []).append(_call_chain(fn))

        grad_roots, self.grad_of = [], {}
        if backward:
            for t in forward_tensors:
                if t.grad is not None and id(t.grad) not in self.forward_ids:
                    # Gradients without a graph (∂L/∂b = ΣG from constants) are drawn too.
                    # One gradient may belong to several tensors (Add's backward hands the
                    # same gradient to both of its inputs): it points at each of them.
                    if id(t.grad) not in self.grad_of:
                        grad_roots.append(t.grad)
                    self.grad_of.setdefault(id(t.grad), []).append(t)
            if not any(g.grad_fn is not None for g in grad_roots):
                raise ValueError(
                    f"draw_graph(backward={backward!r}): no gradient in this graph has a graph of "
                    "its own. Run loss.backward(create_graph=True) first: a plain backward() "
                    "stores gradients as numbers, without recording how they were computed. (If "
                    "you did, every gradient here comes from constants alone, as for a loss "
                    "linear in its parameters, and there is no backward graph to draw.)"
                )
        backward_tensors, _ = _walk(grad_roots, stop=self.forward_ids)
        self.all_tensors, self._batch = forward_tensors + backward_tensors, None

        self.nodes = {}  # node id -> (kind, label, cluster path); insertion order = drawing order
        self.edges = []  # (tail, head, attributes), in drawing order
        self.layer_edges = {}  # (tail, head) -> attributes of the one edge to or from a layer
        self.tensor_node, self.op_node, self.layer_node = {}, {}, {}
        self.counts = {"t": 0, "op": 0, "layer": 0}
        if backward is not True:
            self._add_forward(forward_tensors)
        if backward:
            self._add_backward(backward_tensors)

    def _new_id(self, prefix):
        self.counts[prefix] += 1
        return f"{prefix}{self.counts[prefix] - 1}"

    # -- the forward graph --
    def _add_forward(self, tensors):
        for t in tensors:
            fn = t.grad_fn
            calls = self._calls_of(fn) if fn is not None else self._owner_calls(t)
            layer = self._collapsed_layer(calls)
            if layer is not None:
                node = self._layer(layer)
                if fn is not None:
                    self.op_node[id(fn)] = node
                if t is not self.root:  # the root stays visible, whatever made it
                    self.tensor_node[id(t)] = node
                    continue
                calls = ()
            elif fn is not None:
                self.op_node[id(fn)] = node = self._new_id("op")
                label = self._op_text(fn, t)
                self.nodes[node] = ("op", label, self._cluster_path(calls))
            self._add_tensor(t, self._cluster_path(calls), self._tensor_kind(t))
        for t in tensors:
            if t.grad_fn is not None:
                self._connect(t)

    def _connect(self, t, mirrored=False):
        """Edges inputs → op → t (or into a collapsed layer, labelled with the shape).

        `mirrored` (the backward graph of backward="both"): the edges between nodes of the
        backward graph are written head → tail with dir=back. The arrows are the same, but dot
        lays the gradients out from right to left, each backward op beside the forward tensors
        it reads. (Left to right, each arrow from a forward tensor to the op that reads it
        would cross the whole drawing: dot then takes minutes on a 60-op chain.)"""
        op = self.op_node[id(t.grad_fn)]
        self._add_edge(op, self.tensor_node[id(t)], mirrored=mirrored)
        for parent in t.grad_fn.inputs:
            from_backward = mirrored and id(parent) not in self.forward_ids
            self._add_edge(self.tensor_node[id(parent)], op, parent, mirrored=from_backward)

    def _add_tensor(self, t, cluster, kind):
        node = self.tensor_node[id(t)] = self._new_id("t")
        self.nodes[node] = (kind, self._tensor_label(t, kind), cluster)

    def _tensor_kind(self, t):
        if t is self.root:
            return "output"
        if t.grad_fn is not None:
            return "intermediate"
        if id(t) in self.leaves or type(t).__name__ == "Parameter":
            return "parameter"
        # Without a model, a leaf that asks for its gradient plays the part of a parameter.
        return "parameter" if self.model is None and t.requires_grad else "input"

    def _layer(self, calls):
        """The node of a collapsed layer, one per call of it (made on first use); `calls` is
        the chain of calls down to the layer's."""
        key = calls[-1][1]
        if key not in self.layer_node:
            node = self.layer_node[key] = self._new_id("layer")
            self.nodes[node] = ("layer", self._module_label(calls[-1]), calls[:-1])
        return self.layer_node[key]

    def _add_edge(self, tail, head, tensor=None, mirrored=False):
        """One arrow per use (x * x has two); one per pair when a collapsed layer is involved.
        A mirrored edge is written head -> tail [dir=back] (see `_connect`)."""
        if mirrored:
            self.edges.append((head, tail, {"dir": "back"}))
            return
        attributes = {}
        if tail.startswith("layer") or head.startswith("layer"):
            if tail == head:
                return
            # The shape flowing out of a layer: its data, not a parameter it shares with the next.
            flows = tensor is not None and tail.startswith("layer")
            flows = flows and self._tensor_kind(tensor) != "parameter"
            drawn = self.layer_edges.get((tail, head))
            if drawn is not None:
                if flows and "label" not in drawn:
                    drawn["label"] = self._shape(tensor)
                return
            self.layer_edges[(tail, head)] = attributes
            if flows:
                attributes["label"] = self._shape(tensor)
        self.edges.append((tail, head, attributes))

    # -- the backward graph --
    def _add_backward(self, tensors):
        cluster = ("backward",) if self.backward == "both" else ()
        for t in tensors:
            if id(t) in self.forward_ids:
                if id(t) not in self.tensor_node:  # a forward tensor the backward graph reads
                    self._add_tensor(t, (), self._tensor_kind(t))
                continue
            if t.grad_fn is not None:
                self.op_node[id(t.grad_fn)] = node = self._new_id("op")
                label = self._op_text(t.grad_fn, t)
                self.nodes[node] = ("backward op", label, cluster)
                self._add_tensor(t, cluster, "gradient")
            elif id(t) in self.grad_of:  # a gradient computed from constants only (no graph)
                self._add_tensor(t, cluster, "gradient")
            else:  # a constant of the backward graph, such as the seed ∂L/∂L = 1
                self._add_tensor(t, cluster, "input")
        for t in tensors:
            if t.grad_fn is not None and id(t) not in self.forward_ids:
                self._connect(t, mirrored=self.backward == "both")
        for t in tensors:
            for leaf in self.grad_of.get(id(t), ()):
                attributes = GRAD_OF_EDGE
                if id(leaf) not in self.tensor_node:  # each gradient points at its tensor,
                    self._add_tensor(leaf, (), self._tensor_kind(leaf))
                    attributes = {**GRAD_OF_EDGE, "constraint": "true"}  # drawn next to it
                edge = (self.tensor_node[id(t)], self.tensor_node[id(leaf)])
                self.edges.append((*edge, attributes))

    # -- modules, their calls and boxes --
    def _calls_of(self, fn):
        """The calls that made `fn` at depth ≥ 1, outermost first: ((module, call id), …)."""
        return tuple(c for c in _call_chain(fn) if self.modules[id(c[0])][1] >= 1)

    def _owner_calls(self, leaf):
        """The calls whose boxes hold a parameter: those that every call of the layer that owns
        it, and every op that reads it, ran inside (its own call too, when it was called once).
        A layer called several times, in one block or in two, shares the parameter, and so do
        two layers given one Parameter (fc2.weight = fc1.weight): it is drawn outside those
        calls, not in the first owner's box (collapsed, that box would seem to feed the other
        layer). () for other leaves (and for a layer that made no op of this graph)."""
        owner = self.leaves.get(id(leaf), (None, None))[1]
        if owner is None or id(owner) not in self.calls:
            return ()
        # The calls down to each call of the owner, and to each op that reads the parameter.
        chains = [*self.calls[id(owner)], *self.readers.get(id(leaf), ())]
        common = 0
        while all(len(c) > common and c[common][1] == chains[0][common][1] for c in chains):
            common += 1
        return tuple(c for c in chains[0][:common] if self.modules[id(c[0])][1] >= 1)

    def _cluster_path(self, calls):
        """The boxes that hold a node made by `calls`: one per call of a module at depth ≥ 1
        (above the collapsed depth when there is one), outermost first."""
        if self.depth is not None:
            calls = tuple(c for c in calls if self.modules[id(c[0])][1] < self.depth)
        return calls

    def _collapsed_layer(self, calls):
        """The calls down to the call drawn as one node, or None when nothing is collapsed."""
        if self.depth is None:
            return None
        for index, (module, _) in enumerate(calls):
            if self.modules[id(module)][1] == self.depth:
                return calls[: index + 1]
        return None

    def _module_label(self, call):
        """`Conv2D conv1 · 3×3 · 1→8 · 80 params`; a module's later calls get `(call 2)`, …"""
        if call == "backward":
            return "backward graph (built by backward(create_graph=True))"
        module, call_id = call
        text = _module_text(module, self.modules[id(module)][0])
        number = [chain[-1][1] for chain in self.calls[id(module)]].index(call_id) + 1
        return text + (f" (call {number})" if number > 1 else "")

    # -- labels --
    def _shape(self, t):
        """The shape; the batch axis is written n (see `_batch_axis`)."""
        return _shape_text(t.shape, batch_axis=self._batch_axis(t))

    def _batch_axis(self, t):
        """The axis of t that is the batch, n examples, or None (see `_batch_axes`: it is
        followed from the data through the ops, so parameters and coincidences of sizes keep
        their numbers)."""
        if self.batch_size is None:
            return None
        if self._batch is None:
            self._batch = _batch_axes(self.all_tensors, self._leaf_batch, self.batch_size)
        # A gradient has the axes of its tensor.
        batch = self._batch.get(id(self.grad_of.get(id(t), (t,))[0]))
        if batch is None or batch[1] != 1:
            return None
        return batch[0]

    def check_batch(self):
        """Refuse a batch_size that the data do not have: the title would say `n = …` and no
        tensor would show n. (A batch the drawing cannot follow, on an axis of an untracked
        tensor where sizes are ambiguous, passes: the data have an axis of that size.)"""
        n = self.batch_size
        if any(self._batch_axis(t) is not None for t in self.all_tensors):
            return
        data = [t for t in self.all_tensors if t.grad_fn is None and self._leaf_batch(t) == 0]
        if any(size % n == 0 for t in data for size in t.shape):
            return
        if data:
            found = " and ".join(
                f"{t.name or 'an input'} ~ {_shape_text(t.shape)}" for t in data[:2]
            )
            cause = f"the data enter it as {found}, with no axis of {n} examples (or k·{n} rows)"
        else:
            cause = (
                "it has no data input of at least two axes (examples × features, or images), "
                "where the batch axis starts"
            )
        if self.model is None:  # then every leaf that requires grad is drawn as a parameter
            taken = [
                t
                for t in self.all_tensors
                if t.grad_fn is None and t.requires_grad and t.ndim >= 2 and t.shape[0] % n == 0
            ]
            if taken:
                cause += (
                    f". {taken[0].name or 'A leaf'} ~ {_shape_text(taken[0].shape)} requires "
                    "grad, and without a model every leaf that does is drawn as a parameter, "
                    "whose sizes stay numbers (given a model, draw_graph(root, model), only the "
                    "model's parameters are)"
                )
        raise ValueError(
            f"draw_graph: batch_size={n}, but this graph has no batch of {n} examples: {cause}. "
            "Pass the number of examples in the batch, or leave batch_size out to write every "
            "size as a number."
        )

    def _leaf_batch(self, leaf):
        """A data leaf (an input of at least two axes: examples × features or images) starts
        with its batch on axis 0. A 1-D constant is taken for a bias-like vector, not a batch."""
        if self._tensor_kind(leaf) != "input" or leaf.ndim < 2:
            return None
        return 0

    def _op_text(self, fn, t):
        """The label of the op that made `t` (see `_op_label`). NLLLoss's labels are data, one
        per example, not a setting: drawn as a shape, `labels ~ (n)`, as a tensor would be (a
        list of them would change with every batch), with their values when there are ≤ 4."""
        if _op_name(fn) != "NLLLoss":
            return _op_label(fn, t, self._shape(t))
        labels, scores = fn.settings["labels"], fn.inputs[0]  # one label per row of the scores
        batch = 0 if self._batch_axis(scores) == 0 else None
        text = f"NLLLoss\\nlabels ~ {_shape_text(labels.shape, batch_axis=batch)}"
        if self.show_values and len(labels) <= 4:
            text += " = " + _short(labels)
        return text

    def _tensor_label(self, t, kind):
        name = self.leaves.get(id(t), (t.name,))[0] or t.name
        if id(t) in self.grad_of:  # ∂L/∂a, or ∂L/∂a = ∂L/∂b for a gradient they share
            # An unnamed tensor's gradient is not given a name that is not its own (another
            # tensor may be called x): its "grad of" arrow says whose it is.
            name = " = ".join(
                "∂L/∂" + str(self.leaves.get(id(leaf), (None,))[0] or leaf.name or "(unnamed)")
                for leaf in self.grad_of[id(t)]
            )
        lines = [f"{_dot_text(name)} ~ {self._shape(t)}" if name else f"~ {self._shape(t)}"]
        if t.dtype != DEFAULT_DTYPE:
            lines.append(str(t.dtype))
        small = self.show_values and t.size <= 4
        if small:
            lines.append("value: " + _values_text(t.data))
        if t.grad_fn is None and kind == "gradient":
            lines.append("constant (no graph)")  # computed from constants only
        elif t.grad_fn is None:
            lines.append(f"requires_grad={t.requires_grad}")
        if t.grad is not None and kind != "gradient":
            grad = t.grad.data
            if small:
                lines.append("grad: " + _values_text(grad))
            else:
                # In float64: a float16 sum of squares overflows past 65 504 (a norm of 256).
                norm = np.linalg.norm(grad.astype(np.float64, copy=False))
                lines.append(f"‖grad‖ = {float(norm):.4g}")
        elif t.grad_fn is None and t.requires_grad:
            lines.append("grad: not computed yet")
        return "\\n".join(lines)

    # -- to graphviz --
    def to_digraph(self, rankdir, legend, title):
        graph = Digraph(
            "minigrad",
            graph_attr={"rankdir": rankdir, "fontname": "Helvetica", "fontsize": "11"},
            node_attr={"fontname": "Helvetica", "fontsize": "10", "margin": "0.08,0.03"},
            edge_attr={"fontname": "Helvetica", "fontsize": "9", "arrowsize": "0.7"},
        )
        if title is not None:
            title = _dot_text(title)  # the caller's words, shown as written
        elif self.model is not None and self.modules[id(self.model)][1] == 0:
            title = _module_text(self.model, "")
        if self.batch_size is not None:
            title = (title + " · " if title else "") + f"n = {self.batch_size}"
        if title:
            # nohtml: a title such as "<my net>" is text, not a Graphviz HTML-like label.
            graph.attr(label=graphviz.nohtml(title), labelloc="t")
        self._emit(graph)
        for tail, head, attributes in self.edges:
            graph.edge(tail, head, **attributes)
        if legend:
            _emit_legend(graph, {kind for kind, _, _ in self.nodes.values()})
        return graph

    def _emit(self, graph):
        """Nodes into nested boxes (one Graphviz cluster per module), in first-use order."""
        members = {(): []}  # box path -> its node ids, in drawing order
        for node, (_, _, path) in self.nodes.items():
            for length in range(1, len(path) + 1):
                members.setdefault(path[:length], [])
            members[path].append(node)
        boxes = {(): graph}
        for number, path in enumerate(p for p in members if p):
            boxes[path] = graphviz.Digraph(name=f"cluster_{number}")
            boxes[path].attr(label=self._module_label(path[-1]), **CLUSTER_STYLE)
        for path, nodes in members.items():
            for node in nodes:
                kind, label, _ = self.nodes[node]
                boxes[path].node(node, label, **STYLES[kind])
        # Innermost boxes first, so that each box is complete when it is put in its parent.
        for path in sorted((p for p in members if p), key=len, reverse=True):
            boxes[path[:-1]].subgraph(boxes[path])


def _walk(roots, stop=()):
    """Every tensor that leads to `roots`, in visit order (a loop with an explicit stack, never
    recursion; inputs in their order, so the order is the same on every run). Tensors whose id
    is in `stop` are listed but not expanded. Returns (tensors, ops)."""
    tensors, ops, seen = [], [], set()
    stack = list(reversed(roots))
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        tensors.append(t)
        if t.grad_fn is None or id(t) in stop:
            continue
        ops.append(t.grad_fn)
        stack.extend(reversed(t.grad_fn.inputs))
    return tensors, ops


ELEMENTWISE = {
    *("Add", "Sub", "Mul", "Div", "Pow", "Neg", "Exp", "Log", "ReLU", "Tanh", "Sigmoid"),
    "TanhBackward",  # tanh's backward g · (1 − y²) as one op
}
# Ops that keep every example on its own index of axis 0: padding, patches and their adjoints.
KEEPS_AXES = {"Pad", "Crop", "Patches", "Fold"}


def _batch_axes(tensors, leaf_axis, n):
    """id(tensor) -> (axis, rows) when one axis of the tensor runs over the batch: its size is
    n·rows, example by example (rows = 1: the axis is n itself; the (n·h·w, s²c) matrix of
    a conv's patches has rows = h·w on axis 0). None when no axis does.

    The batch axis is followed from the data through the ops, never guessed from sizes: a data
    leaf starts with it on axis leaf_axis(leaf) (0, or None for parameters); element-wise ops,
    Pad, Crop, Patches, Fold, BroadcastTo, SumTo and x[:, …] keep it (unless they sum it or
    spread it from 1); Transpose moves it; Reshape keeps it on axis
    0 when it stays the outermost factor there (the new leading size is a multiple of n); MatMul
    keeps it unless it is the contracted axis (and corrects a data leaf's axis 0 when the other
    operand contradicts it, see `_matmul_operands`), a sum/mean/max unless it sums it away; any
    other op drops it. A post-order walk with an explicit stack: a tensor is decided after all
    its inputs."""
    result = {}
    for start in tensors:
        stack = [(start, False)]
        while stack:
            t, inputs_done = stack.pop()
            if id(t) in result:
                continue
            if t.grad_fn is None:
                axis = leaf_axis(t)
                rows = t.shape[axis] // n if axis is not None else 0
                result[id(t)] = (axis, rows) if rows and t.shape[axis] % n == 0 else None
            elif inputs_done:
                inputs = [(parent, result[id(parent)]) for parent in t.grad_fn.inputs]
                if _op_name(t.grad_fn) == "MatMul":  # the other operand may correct a data leaf
                    inputs = _matmul_operands(inputs, leaf_axis)
                    result.update((id(p), batch) for p, batch in inputs if p.grad_fn is None)
                batch = _batch_after(t.grad_fn, t, inputs, n)
                valid = batch is not None and t.shape[batch[0]] == n * batch[1]
                result[id(t)] = batch if valid else None
            else:
                stack.append((t, True))
                stack.extend((parent, False) for parent in t.grad_fn.inputs)
    return result


def _batch_after(fn, output, inputs, n):
    """The (axis, rows) of the batch in the output of `fn`, from those of its inputs."""
    name = _op_name(fn)
    batched = [(parent.ndim, batch) for parent, batch in inputs if batch is not None]
    if not batched:
        return None
    if name in ELEMENTWISE:  # broadcasting adds axes on the left: an operand with all the
        # output's axes (not one broadcast against it) tells where the batch is
        ndim, (axis, rows) = max(batched, key=lambda item: item[0])
        return axis + output.ndim - ndim, rows
    ndim, (axis, rows) = batched[0]
    if name in KEEPS_AXES:
        return axis, rows
    if name in ("BroadcastTo", "SumTo"):  # (a Mean's backward, an unbroadcast): they add or
        # sum away axes on the left, and spread or sum size-1 axes (checked by the caller)
        axis += output.ndim - ndim
        return (axis, rows) if axis >= 0 else None
    if name in ("LogSoftmax", "LogSoftmaxBackward"):  # along one axis: the others are kept
        return None if axis == fn.settings["axis"] else (axis, rows)
    if name == "Transpose":
        return [int(a) for a in fn.settings["axes"]].index(axis), rows
    if name == "Reshape":
        if axis == 0 and output.ndim and output.shape[0] % n == 0:
            return 0, output.shape[0] // n
        return None
    if name == "MatMul":
        return _batch_after_matmul(inputs, output.ndim)
    if name in ("Sum", "Mean", "Max"):  # a reduction over other axes keeps it
        axes = fn.settings.get("axes")
        axes = range(ndim) if axes is None else [int(a) % ndim for a in axes]
        if axis in axes:
            return None
        return (axis if fn.settings.get("keepdims") else axis - sum(a < axis for a in axes)), rows
    if name == "GetItem" and axis == 0:  # x[:, …] keeps every example
        index = fn.settings["index"]
        first = index[0] if isinstance(index, tuple) and index else index
        return (0, rows) if first == slice(None) else None
    return None


def _matmul_operands(inputs, leaf_axis):
    """A MatMul's operands with their batches, a data leaf's corrected by the other operand.

    A data leaf is taken to have its batch on axis 0 (`_leaf_batch`): wrong for a tensor that an
    op made from the data without recording it (x does not require grad), such as xᵀ in
    ∂L/∂W = xᵀ G, or a Local layer's (h', w', n, s²c) stack of patches. The other operand tells,
    when its batch was followed through ops (not a leaf's guess): a batch on its contracted axis k
    is on the leaf's k too. And a leaf's batch on a stacking axis (the h', w' of one matrix per
    pixel) where the other operand has a size above 1 and no batch (a parameter) is a coincidence
    of sizes: the leaf has no batch axis that can be told. So is a leaf's batch on its contracted
    axis when the other operand's contracted axis is not the batch (x @ proj with a constant
    proj ~ (4, 3) and 4 examples: the product sums over that axis)."""
    (a, batch_a), (b, batch_b) = inputs
    k_a, k_b = a.ndim - 1, max(b.ndim - 2, 0)

    def data(t):
        return t.grad_fn is None and leaf_axis(t) is not None

    if data(a) and batch_b is not None and b.grad_fn is not None and batch_b[0] == k_b:
        batch_a = (k_a, batch_b[1])
    elif data(b) and batch_a is not None and a.grad_fn is not None and batch_a[0] == k_a:
        batch_b = (k_b, batch_a[1])
    # A batch on the contracted axis is summed over; it is one only when the other operand's
    # contracted axis is the batch too (xᵀ G). Otherwise a data leaf's guess there is a
    # coincidence of sizes: a constant (4, 3) matrix in x @ proj, with 4 examples in x.
    if data(a) and batch_a is not None and batch_a[0] == k_a and not _on(batch_b, k_b):
        batch_a = None
    if data(b) and batch_b is not None and batch_b[0] == k_b and not _on(batch_a, k_a):
        batch_b = None
    if data(a) and _on_a_stacking_axis(a, batch_a, b, batch_b):
        batch_a = None
    if data(b) and _on_a_stacking_axis(b, batch_b, a, batch_a):
        batch_b = None
    return (a, batch_a), (b, batch_b)


def _on(batch, axis):
    """Whether `batch` (an (axis, rows) pair, or None) is on `axis`."""
    return batch is not None and batch[0] == axis


def _on_a_stacking_axis(t, batch, other, other_batch):
    """Whether t's batch is on a stacking axis of a MatMul (not one of the last two) that `other`
    has too (broadcasting aligns them from the right), with a size above 1 and no batch."""
    if batch is None or batch[0] >= t.ndim - 2:
        return False
    axis = batch[0] - (t.ndim - other.ndim)  # the same stacking axis in `other`
    if not 0 <= axis < other.ndim - 2 or other.shape[axis] == 1:
        return False
    return other_batch is None or other_batch[0] != axis


def _batch_after_matmul(inputs, out_ndim):
    """MatMul (..., m, k) @ (..., k, p) → (..., m, p): the batch on k is summed away (a 1-D
    operand has only k)."""
    (a, batch_a), (b, batch_b) = inputs
    if batch_a is not None and batch_a[0] != a.ndim - 1:
        axis, rows = batch_a
        return (axis if b.ndim == 1 else axis + out_ndim - a.ndim), rows
    if batch_b is not None and b.ndim >= 2 and batch_b[0] != b.ndim - 2:
        axis, rows = batch_b
        if a.ndim == 1:  # (..., k, p) → (..., p)
            return (axis if axis < b.ndim - 2 else out_ndim - 1), rows
        return axis + out_ndim - b.ndim, rows
    return None


def _op_name(fn):
    """The name of one of minigrad's own ops (`Patches`, `Reshape`, …), whose settings the labels
    and the batch axis read; "" for an op defined elsewhere. A student's own `class
    Patches(Function)` has settings of its own: read as minigrad's, they raised KeyError 'k'."""
    return fn.name if type(fn).__module__.startswith("minigrad.ops.") else ""


def _call_chain(fn):
    """The module calls that made `fn`, outermost first: ((module, call id), …)."""
    return tuple(zip(fn.scope, fn.call_ids, strict=True))


def _call_table(ops):
    """id(module) -> for each of its calls, in the order they were made, the chain of calls
    from the outermost down to that call: ((module, call id), …)."""
    chains = {}  # id(module) -> {call id: chain}
    for fn in ops:
        chain = _call_chain(fn)
        for index, (module, call) in enumerate(chain):
            chains.setdefault(id(module), {})[call] = chain[: index + 1]
    return {key: tuple(by_call[c] for c in sorted(by_call)) for key, by_call in chains.items()}


def _outermost_module(ops):
    """The module whose call made every layer op of the graph (the model), if there is one."""
    outermost = [fn.scope[0] for fn in ops if fn.scope]
    if outermost and all(m is outermost[0] for m in outermost):
        return outermost[0]
    return None


def _named_modules(module):
    return list(module.named_modules()) if hasattr(module, "named_modules") else [("", module)]


def _module_table(model, ops):
    """id(module) -> (dotted name, depth, path): depth 0 is the model itself, 1 its layers, …;
    path is the chain of modules at depth ≥ 1 from the outermost down to the module.

    A model without submodules (a single layer) gets depth 1, so it is drawn as a box. Modules
    the model does not know (or all of them, without a model) are placed by their call scope.
    """
    table = {}
    if model is not None:
        named = _named_modules(model)
        by_name = dict(named)
        for name, module in named:
            if id(module) in table:  # a module held twice keeps its first name, as its params
                continue
            depth = 0 if name == "" else name.count(".") + 1
            parts = name.split(".") if name else []
            path = tuple(by_name[".".join(parts[: i + 1])] for i in range(len(parts)))
            table[id(module)] = (name, depth, path)
        if len(named) == 1:
            table[id(model)] = ("", 1, (model,))
    for fn in ops:
        path, depth = (), 0
        for module in fn.scope:
            if id(module) not in table:
                table[id(module)] = ("", depth + 1, path + (module,))
            _, depth, path = table[id(module)]
    return table


def _parameter_table(model, modules):
    """id(parameter) -> (dotted name, the module that owns it), from `model.named_parameters()`
    (or, without a model, from each outermost module that made part of the graph)."""
    if model is not None:
        owners = [model]
    else:
        owners = _unique(path[-1] for _, depth, path in modules.values() if depth == 1)
    table = {}
    for owner in owners:
        by_name = dict(_named_modules(owner))
        if not hasattr(owner, "named_parameters"):
            continue
        for name, parameter in owner.named_parameters():
            module = by_name.get(name.rpartition(".")[0], owner)
            table.setdefault(id(parameter), (name, module if id(module) in modules else None))
    return table


def _unique(items):
    seen, result = set(), []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            result.append(item)
    return result


def _module_text(module, name):
    """`Conv2D conv1 · 3×3 · 1→8 · 80 params`, from the layer's attributes."""
    parts = [_dot_text(f"{type(module).__name__} {name}".strip())]
    kernel = getattr(module, "kernel_size", None)
    if isinstance(kernel, int):
        parts.append(f"{kernel}×{kernel}")
    if hasattr(module, "in_shape") and hasattr(module, "out_channels"):
        parts.append(f"{_shape_text(module.in_shape)}→{module.out_channels}")
    elif hasattr(module, "in_channels") and hasattr(module, "out_channels"):
        parts.append(f"{module.in_channels}→{module.out_channels}")
    elif hasattr(module, "in_features") and hasattr(module, "out_features"):
        parts.append(f"{module.in_features}→{module.out_features}")
    stride = getattr(module, "stride", 1)
    if isinstance(stride, int) and stride != 1 and getattr(module, "size", None) != stride:
        parts.append(f"stride {stride}")  # (a pooling's stride is its size, already shown)
    if hasattr(module, "num_parameters"):
        count = module.num_parameters()
        if count:
            parts.append(f"{count:,} param" + ("s" if count != 1 else ""))
    return " · ".join(parts)


def _shape_text(shape, batch_axis=None):
    """A shape as the docs write it, `(n, 8, 8, 1)`: the axis batch_axis is written n (the letter
    these docs use for the batch; the notes have no batch axis)."""
    sizes = [str(size) for size in shape]
    if batch_axis is not None:
        sizes[batch_axis] = "n"
    return "(" + ", ".join(sizes) + ")"


def _values_text(array):
    """A few numbers, short: `3`, `[1, 0.5]`."""
    if array.ndim == 0:
        return f"{array.item():.4g}"
    return "[" + ", ".join(f"{value:.4g}" for value in array.ravel()) + "]"


def _op_label(fn, output, shape):
    """The op's name and its settings, for example `Patches k=1`, `Reshape → (n, 64)`."""
    settings, name = fn.settings, _op_name(fn)
    if name in ("Patches", "Fold"):
        text = f"{name} k={settings['k']}"
        if settings.get("stride", 1) != 1:
            text += f" stride={settings['stride']}"
        return text + (f" → {shape}" if name == "Fold" else "")
    if name in ("Pad", "Crop"):
        return f"{name} {_pad_text(settings['pad_width'])}"
    if name in ("Reshape", "BroadcastTo", "SumTo", "ScatterAdd"):
        return f"{name} → {shape}"
    if name in ("Sum", "Mean", "Max"):
        axes = settings.get("axes")
        text = name
        if axes is not None and len(axes) != len(fn.inputs[0].shape):
            text += f" axis={axes[0]}" if len(axes) == 1 else f" axes={axes}"
        return text + (" keepdims" if settings.get("keepdims") else "")
    if name == "Transpose":
        axes = tuple(int(a) for a in settings["axes"])
        return "Transpose ᵀ" if axes == (1, 0) else f"Transpose {axes}"
    if name == "GetItem":
        return f"GetItem [{_index_text(settings['index'])}]"
    if name == "AsType":  # the engine's copy of a gradient given out already keeps its dtype
        source, target = np.dtype(fn.inputs[0].dtype), np.dtype(settings["dtype"])
        return "AsType (copy)" if source == target else f"AsType {source} → {target}"
    words = [fn.name] + [f"{key}={_short(value)}" for key, value in settings.items()]
    return " ".join(words)


def _pad_text(pad_width):
    """`k=1` for the usual (h, w) padding of an image, else the padded axes: `axis 0: 1+2`."""
    pairs = [tuple(int(v) for v in pair) for pair in pad_width]
    if len(pairs) >= 3 and pairs[-1] == (0, 0) and pairs[-3] == pairs[-2]:
        k = pairs[-2]
        if k[0] == k[1] and all(pair == (0, 0) for pair in pairs[:-3]):
            return f"k={k[0]}"
    padded = [f"axis {axis}: {a}+{b}" for axis, (a, b) in enumerate(pairs) if a or b]
    return ", ".join(padded) or "nothing"


def _index_text(index):
    parts = index if isinstance(index, tuple) else (index,)
    words = []
    for part in parts:
        if isinstance(part, slice):
            step = "" if part.step is None else f":{part.step}"
            start = "" if part.start is None else part.start
            stop = "" if part.stop is None else part.stop
            words.append(f"{start}:{stop}{step}")
        elif part is Ellipsis:
            words.append("...")
        else:
            words.append(_short(part))
    return ", ".join(words)


def _short(value, width=24):
    """A setting for a label: at most `width` characters (ending in … when cut). An array of
    more than 4 numbers is its shape, as a tensor's (`array ~ (100)`: its first numbers, cut,
    would not say how many there are)."""
    if isinstance(value, np.ndarray) and value.size > 4:
        return f"array ~ {_shape_text(value.shape)}"
    text = _plain_text(value)
    return _dot_text(text if len(text) <= width else text[: width - 1] + "…")


def _plain_text(value, nested=False):
    """str(value), with numpy's numbers written as Python writes its own, also inside a tuple,
    list or array (numpy 2 writes the tuple (1, 2.5) as (np.int64(1), np.float32(2.5)))."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, np.generic):
        return str(value)  # np.float32(0.1) is 0.1 (its float() would be 0.10000000149011612)
    if isinstance(value, np.ndarray) or type(value) in (tuple, list):
        items = [_plain_text(item, nested=True) for item in value]
        if type(value) is tuple:
            return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
        return "[" + ", ".join(items) + "]"
    return repr(value) if nested else str(value)


def _dot_text(text):
    r"""`text` for a DOT label, where a backslash starts an escape (\n a new line, \l a
    left-aligned one, \N the node's id): doubled, a name such as r"\lambda" keeps it. And & is
    written &amp;, since Graphviz reads &amp;, &lt;, &#60; as the characters they name. Any
    value is written as str() writes it (a tensor's name may be a number: name=i in a loop)."""
    return str(text).replace("\\", "\\\\").replace("&", "&amp;")


def _emit_legend(graph, drawn):
    """A small box with one sample node per kind of node drawn (in the order of STYLES)."""
    kinds = [kind for kind in STYLES if kind in drawn]
    legend = graphviz.Digraph(name="cluster_legend")
    legend.attr(label="legend", style="dashed", color="#999999", fontsize="10")
    names = ["legend_" + kind.replace(" ", "_") for kind in kinds]
    for name, kind in zip(names, kinds):
        legend.node(name, LEGEND_TEXT[kind], **STYLES[kind])
    # Invisible edges keep the samples in this order: a row when drawing left to right, a
    # column beside the graph when drawing top to bottom.
    for tail, head in itertools.pairwise(names):
        legend.edge(tail, head, style="invis")
    graph.subgraph(legend)


# ---- the `minigrad graph` command -------------------------------------------------------------
def add_arguments(parser):
    """Add the options of `minigrad graph` to an argparse parser: which model, where to write,
    what to draw; `args.run(args)` then runs the command.

    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="minigrad graph")
    >>> add_arguments(parser)
    >>> args = parser.parse_args(["--model", "lenet", "--collapse", "-o", "lenet.svg"])
    >>> args.model, args.collapse, args.backward
    ('lenet', True, None)
    """
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--model",
        default="digits_cnn",
        help="an example model of minigrad.models.MODELS (default digits_cnn; --list shows all)",
    )
    source.add_argument(
        "--file",
        type=Path,
        help="a Python file that defines `model` (and `input_shape`, one example's shape)",
    )
    parser.add_argument(
        "--input-shape",
        help="one example's shape without the batch axis, for example 8,8,1 (overrides the "
        "model's)",
    )
    parser.add_argument("--list", action="store_true", help="list the example models and exit")
    parser.add_argument(  # a str: Path("newdir/") would drop the slash that says "a folder"
        "-o",
        "--output",
        default=None,
        help="output file (default graph.<format>); a folder (an existing one, or a name ending "
        "in /, created) gets graph.<format> inside it",
    )
    parser.add_argument(
        "-f",
        "--format",
        choices=FORMATS,
        default=None,
        help="default: from the output's suffix, or svg",
    )
    parser.add_argument(
        "--batch", type=int, default=2, help="batch size n of the input (default 2)"
    )
    parser.add_argument("--collapse", action="store_true", help="draw each layer as one node")
    parser.add_argument(
        "--depth", type=int, default=None, help="draw modules at this depth as one node"
    )
    parser.add_argument(
        "--backward",
        nargs="?",
        const="alone",
        choices=("alone", "both"),
        default=None,
        help="draw the backward graph of loss = sum(output), alone or beside the forward one",
    )
    parser.add_argument("--rankdir", choices=("LR", "TB"), default="LR", help="layout direction")
    parser.add_argument("--max-nodes", type=int, default=300, help="refuse larger drawings")
    parser.add_argument(
        "--force", action="store_true", help="replace the output file if it exists already"
    )
    parser.set_defaults(run=run_command)


def run_command(args):
    """Build the model, run one random batch x ~ (n, *input_shape) through it (x requires grad,
    so the ops applied to it are recorded), draw the graph and write it; returns 0.

    With --backward the root is L = Σ output, after L.backward(create_graph=True).

    >>> import argparse, io, contextlib
    >>> parser = argparse.ArgumentParser()
    >>> add_arguments(parser)
    >>> with contextlib.redirect_stdout(io.StringIO()) as out:
    ...     code = run_command(parser.parse_args(["--list"]))
    >>> code, "lenet" in out.getvalue()
    (0, True)
    """
    # The file's folder stays first on sys.path until the drawing is done, as under
    # `python my_model.py`: the file, and later its model's forward, may import files beside it.
    folder = str(Path(args.file).resolve().parent) if args.file else None
    if folder:
        sys.path.insert(0, folder)
    try:
        return _draw_command(args)
    finally:
        if folder in sys.path:
            sys.path.remove(folder)


def _draw_command(args):
    """run_command's work, with the user's file importable."""
    if args.list:
        from minigrad.models import MODELS

        for name, (_, input_shape) in MODELS.items():
            print(f"{name:14s} input {_shape_text(input_shape)}")
        return 0
    counts = (  # checked here, so that the message names the flags, not draw_graph's arguments
        ("--depth", args.depth, "1 draws each layer as one node"),
        ("--max-nodes", args.max_nodes, "the most nodes to draw; 300 by default"),
    )
    for flag, value, meaning in counts:
        if value is not None and value < 1:
            raise ValueError(f"minigrad graph: {flag} must be an int ≥ 1 ({meaning}); got {value}.")
    path = _output_path(args.output)
    model, input_shape, source = _load_model(args)
    if args.input_shape:
        input_shape, source = _parse_shape(args.input_shape), f"--input-shape {args.input_shape}"
    if args.batch < 1:
        raise ValueError(f"minigrad graph: --batch must be ≥ 1; got {args.batch}.")
    if args.collapse and args.depth not in (None, 1):
        raise ValueError(
            f"minigrad graph: --collapse is --depth 1 (each layer one node), but --depth "
            f"{args.depth} was given too. Pass one of them."
        )
    if args.backward == "alone" and (args.collapse or args.depth is not None):
        raise ValueError(
            "minigrad graph: --collapse and --depth draw a layer of the forward graph as one "
            "node, and the backward graph alone has no layers. Use --backward both to see the "
            "collapsed forward graph beside the backward graph."
        )
    rng = np.random.default_rng(0)
    data = rng.standard_normal((args.batch, *input_shape)).astype(np.float32)
    # requires_grad=True records the ops applied to x itself (pad, patches, …) and its gradient.
    x = Tensor(data, requires_grad=True, name="x")
    batch = (
        f"a random batch x ~ {_shape_text(x.shape)} (--batch {args.batch} examples of shape "
        f"{_shape_text(input_shape)}, from {source})"
    )
    try:
        output = model(x)
    except Exception as error:  # the user's model, or a layer's error about the shape given
        raise _failed(f"model(x) on {batch}", error) from error
    if not isinstance(output, Tensor):  # (a ValueError: the command reports it in one line)
        raise ValueError(  # noqa: TRY004
            f"minigrad graph: model(x) returned a {type(output).__name__}, not a Tensor, on "
            f"{batch}. The command draws the graph of one output tensor: define `model` as a "
            "module that returns one (or draw the part you want with viz.draw_graph)."
        )
    root = output
    if args.backward:
        root = output.sum()
        root.name = "L"
        try:
            root.backward(create_graph=True)
        except Exception as error:  # a custom op's backward, say
            raise _failed(
                f"L.backward(create_graph=True), L = Σ model(x), on {batch}", error
            ) from error
    try:
        graph = draw_graph(
            root,
            model,
            depth=args.depth,
            collapse=args.collapse,
            backward={None: False, "alone": True, "both": "both"}[args.backward],
            rankdir=args.rankdir,
            max_nodes=args.max_nodes,
            batch_size=args.batch,
        )
    except TooManyNodes as error:
        raise ValueError(error.cli_message) from None
    suffix = path.suffix[1:].lower() if path else ""
    if suffix and suffix not in FORMATS:
        raise ValueError(
            f"minigrad graph: cannot write {path.name}: the output's suffix must be one "
            f"of .{', .'.join(FORMATS)} (it chooses the format); got .{suffix}."
        )
    if suffix and args.format and args.format != suffix:  # render would say format='...'
        raise ValueError(
            f"minigrad graph: -o {args.output} ends in .{suffix} but -f/--format {args.format} "
            f"would write {args.format.upper()} into it. Pass "
            f"-o {path.with_suffix('.' + args.format)}, or leave -f out (the output's suffix "
            "chooses the format)."
        )
    format = args.format or suffix or "svg"
    path = path or Path("graph." + format)
    target = path if path.suffix else path.with_suffix("." + format)  # as render names it
    if target.exists() and not args.force:  # it may be a picture of the user's, not ours
        raise FileExistsError(
            f"minigrad graph: {target} exists already, and it is not replaced without asking. "
            "Pass --force to replace it, or name another file with -o."
        )
    try:
        path = render(graph, path, format)
    except GraphvizNotFound:
        done = _dot_instead(graph, target, args)
        raise GraphvizNotFound(CLI_INSTALL_HINT.format(done=done)) from None
    print(f"wrote {path}")
    return 0


def _dot_instead(graph, target, args):
    """Without `dot`: write the DOT text beside the image asked for (x.svg → x.dot), which any
    Graphviz viewer opens, unless a file of that name exists; say what happened."""
    dot = target.with_suffix(".dot")
    if dot.exists() and not args.force:
        return f"{dot} exists already, so the DOT text was not written either (--force would)."
    render(graph, dot, "dot")
    return f"The DOT text, which needs no Graphviz, is in {dot} (any Graphviz viewer opens it)."


def _output_path(output):
    """-o as a Path (None: the default name), `graph` inside it if it names a folder: one that
    exists, or a name ending in a slash (render creates it)."""
    if output is None:
        return None
    slashes = tuple(sep for sep in ("/", os.sep, os.altsep) if sep)
    # ~ expanded here, as render does, so that the check for an existing file looks at the
    # file render would write (-o "~/g.svg", quoted, reaches us with its ~).
    path = Path(os.path.expanduser(output))
    if output.endswith(slashes) and path.exists() and not path.is_dir():
        raise ValueError(
            f"minigrad graph: -o {output} names a folder, but {path} is a file. Drop the "
            "trailing slash to write the graph to a file, or name another folder."
        )
    if output.endswith(slashes) or path.is_dir():  # -o some/folder/: graph.<format> inside it
        return path / "graph"
    return path


def _load_model(args):
    if args.file is not None:
        if not args.file.exists():
            raise FileNotFoundError(f"minigrad graph: no such file: {args.file}")
        if not args.file.is_file():
            raise ValueError(
                f"minigrad graph: --file {args.file} is a folder; pass the Python file in it "
                "that defines `model`, for example --file my_model.py."
            )
        namespace = _run_file(args.file)
        if "model" not in namespace:
            modules = [name for name, value in namespace.items() if _is_module(value)]
            hint = f" It defines {', '.join(modules[:3])}: name the one to draw `model`."
            raise ValueError(
                f"minigrad graph: {args.file} must define a variable `model` (a Module to draw), "
                "and `input_shape` (one example's shape, e.g. (8, 8, 1)) or pass --input-shape."
                + (hint if modules else "")
            )
        model = namespace["model"]
        if isinstance(model, type):  # model = Net, not Net(): Net(x) would call __init__
            raise ValueError(
                f"minigrad graph: {args.file} defines `model` as the class {model.__name__}; "
                f"make one: model = {model.__name__}()."
            )
        if not callable(model) or not _is_module(model):  # a function has no layers to name
            raise ValueError(
                f"minigrad graph: {args.file} defines `model`, but it is not a Module to call "
                f"on a batch (got {type(model).__name__}); for example "
                "model = nn.Sequential(nn.Conv2D(1, 8, 3), nn.ReLU())."
            )
        input_shape, source = namespace.get("input_shape"), f"input_shape in {args.file}"
        if input_shape is not None and not args.input_shape:  # (--input-shape replaces it)
            input_shape = _file_shape(input_shape, args.file)
        if not input_shape:
            input_shape, source = _guess_input_shape(model), "the first layer of `model`"
        if input_shape is None and not args.input_shape:
            raise ValueError(
                f"minigrad graph: {args.file} defines no `input_shape` and its first layer does "
                "not tell it (a Conv2D takes any image size; a Vect, Unvect or pooling layer "
                "before the first Dense hides the shape). Add input_shape = (h, w, c) to the "
                "file or pass --input-shape, e.g. --input-shape 6,6,1."
            )
        return model, tuple(input_shape or ()), source
    from minigrad.models import MODELS

    if args.model not in MODELS:
        raise ValueError(
            f"minigrad graph: no example model called {args.model!r}; choose one of "
            f"{', '.join(MODELS)} (or draw your own with --file my_model.py)."
        )
    constructor, input_shape = MODELS[args.model]
    return constructor(), tuple(input_shape), f"the example model {args.model}"


def _file_shape(value, file):
    """The input_shape a file defines, as a tuple of sizes (an int is one axis, as in numpy)."""
    shape = (value,) if is_int(value) else value
    if isinstance(shape, tuple | list | np.ndarray) and all(is_int(n) and n >= 1 for n in shape):
        return tuple(int(size) for size in shape)
    raise ValueError(
        f"minigrad graph: input_shape in {file} must be one example's shape, positive ints "
        f"such as (8, 8, 1) or (4,); got {value!r}."
    )


def _is_module(value):
    """A Module instance (not the class), or a stand-in that names its modules as one does."""
    names = hasattr(value, "named_parameters") or hasattr(value, "named_modules")
    return names and not isinstance(value, type)


def _run_file(path):
    """Run the user's file as `python path` would (run_command has put its folder first on
    sys.path) and return its variables. Its `if __name__ == "__main__":` part does not run.
    An error in it, or a sys.exit(), is reported with the lines of the user's code that raised
    it (see `_failed`)."""
    try:
        return runpy.run_path(str(path))
    except SystemExit as stop:  # without this, the command would stop here, saying nothing
        raise ValueError(
            f"minigrad graph: {path} called sys.exit({stop.code!r}) while it was run to find "
            "`model`, so nothing was drawn. Put the code that should run only as a script "
            '(training, reading arguments) under `if __name__ == "__main__":`.'
        ) from None
    except Exception as error:
        raise _failed(f"running {path} to find `model`", error) from error


PACKAGE = str(Path(__file__).resolve().parent) + os.sep  # minigrad's own files


def _failed(what, error):
    """The error of the user's code (their file, their model's forward, a custom op), for the
    command's one message: what it was doing, the lines of the user's own files in the
    traceback (not minigrad's, nor runpy's, unless the error looks like a bug of minigrad's),
    and the exception as Python prints it."""
    every = traceback.extract_tb(error.__traceback__)
    frames = [frame for frame in every if not frame.filename.startswith(("<", PACKAGE))]
    if not frames and not isinstance(error, ValueError | TypeError):
        # Not the user's code, and not one of minigrad's messages to the user (those are
        # ValueErrors and TypeErrors that say what to change): a bug of minigrad's, shown whole.
        frames = every
    lines = traceback.format_list(frames) + traceback.format_exception_only(error)
    return ValueError(f"minigrad graph: {what} failed:\n" + "".join(lines).rstrip())


def _guess_input_shape(model):
    """One example's shape, read from the first layer when it tells (Dense: (in_features,),
    Local: in_shape); None when it cannot: a Conv2D takes images of any size, and a Vect, Unvect
    or pooling layer before the first Dense changes the shape the Dense sees."""
    for _, module in _named_modules(model):
        if hasattr(module, "in_shape"):
            return tuple(module.in_shape)
        if hasattr(module, "in_features"):
            return (module.in_features,)
        if hasattr(module, "in_channels") or type(module).__name__ in SHAPE_CHANGING:
            return None
    return None


# Layers whose input shape is not their output's: a Dense after them does not tell the input.
SHAPE_CHANGING = ("Vect", "Unvect", "MaxPool2D", "AvgPool2D")


def _parse_shape(text):
    try:
        shape = tuple(int(part) for part in text.replace("x", ",").split(",") if part.strip())
    except ValueError:
        shape = ()
    if not shape or min(shape) < 1:
        raise ValueError(
            f"minigrad graph: --input-shape takes positive sizes separated by commas, such as "
            f"8,8,1; got {text!r}."
        )
    return shape
