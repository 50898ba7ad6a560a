"""Draw computation graphs with mg.viz: a tiny expression, a dense layer, a conv layer's
forward and backward graphs, and the digits conv net with each layer collapsed to one node.
Writes SVG files when Graphviz's `dot` is installed, and the DOT text always."""

# %%
import numpy as np

import minigrad as mg
from minigrad import nn, viz


def save(graph, name):
    """Write name.dot, and name.svg when Graphviz is installed."""
    viz.render(graph, name, format="dot")
    try:
        path = viz.render(graph, name, format="svg")
    except viz.GraphvizNotFound:
        print(f"wrote {name}.dot (Graphviz's dot is not installed: no SVG)")
    else:
        print(f"wrote {name}.dot and {path}")


# %% [markdown]
# A tiny expression: L = Σ (a·b + a), drawn after backward: each leaf shows its gradient (before
# backward, the drawing would say "grad: not computed yet").

# %%
a = mg.Tensor([1.0, 2.0], requires_grad=True, name="a")
b = mg.Tensor([3.0, 4.0], requires_grad=True, name="b")
loss = (a * b + a).sum()
loss.backward()
save(viz.draw_graph(loss), "expression")

# %% [markdown]
# A dense layer and a conv layer: their ops are grouped in a box labelled with the layer.

# %%
rng = np.random.default_rng(0)  # float32 data, like the layers' weights (float64 would show)
dense = nn.Dense(4, 3, seed=0)
data = rng.standard_normal((2, 4)).astype(np.float32)
save(viz.draw_graph(dense(mg.Tensor(data, name="x")).sum(), dense, batch_size=2), "dense")

conv = nn.Conv2D(1, 2, kernel_size=3, seed=0)
image = rng.standard_normal((1, 5, 5, 1)).astype(np.float32)
x = mg.Tensor(image, requires_grad=True, name="x")
out = conv(x).relu().sum()
out.backward(create_graph=True)  # record the backward computation too
save(viz.draw_graph(out, conv), "conv_forward")
save(viz.draw_graph(out, conv, backward=True), "conv_backward")

# %% [markdown]
# A whole network, one node per layer.

# %%
model = mg.models.digits_cnn(seed=0)
logits = model(mg.Tensor(np.zeros((1, 8, 8, 1), dtype=np.float32)))
save(viz.draw_graph(logits, model, collapse=True), "digits_cnn")
