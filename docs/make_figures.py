"""Draw the pictures of docs/graphs.md from real minigrad graphs into docs/figures/*.svg.

Run `python docs/make_figures.py` (Graphviz's `dot` must be installed) after changing minigrad.viz.
Top to bottom and without a legend (the page explains the colours), so they fit its width."""

import sys
from pathlib import Path

import numpy as np

import minigrad as mg
from minigrad import nn, viz
from minigrad.models import MODELS

FIGURES = Path(__file__).resolve().parent / "figures"
PAGE_STYLE = {"rankdir": "TB", "legend": False}  # narrow pictures; the page has the legend


def tiny_expression():
    """L = a·b + a with a = 2, b = −3, after backward: values and gradients in every node."""
    a = mg.Tensor(2.0, requires_grad=True, name="a")
    b = mg.Tensor(-3.0, requires_grad=True, name="b")
    loss = a * b + a
    loss.name = "L"
    loss.backward()
    return viz.draw_graph(loss, **PAGE_STYLE)


def image_batch(n, shape, seed=0):
    """A random batch x ~ (n, *shape) that requires grad, so the ops applied to it are drawn."""
    data = np.random.default_rng(seed).standard_normal((n, *shape)).astype(np.float32)
    return mg.Tensor(data, requires_grad=True, name="x")


def dense_layer():
    """A Dense layer 4 → 3 on a batch of 2, after backward of L = Σ y: the gradients' norms."""
    layer = nn.Dense(4, 3, seed=0)
    loss = layer(image_batch(2, (4,))).sum()
    loss.name = "L"
    loss.backward()
    return viz.draw_graph(loss, layer, batch_size=2, **PAGE_STYLE)


def conv_loss():
    """The notes' convolution (6, 6, 1) → (6, 6, 2) and L = Σ y, backward with create_graph."""
    constructor, input_shape = MODELS["conv_image"]
    model = constructor()
    loss = model(image_batch(2, input_shape)).sum()
    loss.name = "L"
    loss.backward(create_graph=True)
    return model, loss


def conv_forward():
    model, loss = conv_loss()
    return viz.draw_graph(loss, model, batch_size=2, **PAGE_STYLE)


def conv_backward():
    model, loss = conv_loss()
    return viz.draw_graph(loss, model, backward=True, batch_size=2, **PAGE_STYLE)


def lenet_collapsed():
    """The LeNet-like example model, one node per layer, top to bottom."""
    constructor, input_shape = MODELS["lenet"]
    model = constructor()
    output = model(image_batch(2, input_shape))
    return viz.draw_graph(output, model, collapse=True, batch_size=2, **PAGE_STYLE)


PICTURES = {
    "tiny": tiny_expression,
    "dense": dense_layer,
    "conv_forward": conv_forward,
    "conv_backward": conv_backward,
    "lenet_collapsed": lenet_collapsed,
}


def main(folder=FIGURES):
    """Write every picture as folder/<name>.svg; returns the paths written."""
    paths = []
    for name, draw in PICTURES.items():
        paths.append(viz.render(draw(), Path(folder) / f"{name}.svg"))
        print(f"wrote {paths[-1]}")
    return paths


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else FIGURES)
