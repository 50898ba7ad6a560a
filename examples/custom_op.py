"""A new primitive op in a few lines: Abs (forward and backward side by side), checked with
mg.gradcheck, used inside a model, and drawn with mg.viz (see docs/guides/extending.md)."""

# %%
import numpy as np

import minigrad as mg
from minigrad import viz

# %% [markdown]
# One op = one class. forward gets numpy arrays and returns one; backward gets ∂L/∂y as a
# Tensor and returns one gradient per input, written with Tensor ops.


# %%
class Abs(mg.Function):
    """|x|, element-wise.

    forward:  y = |x|
    backward: ∂L/∂x = ∂L/∂y · sign(x)     (sign(0) = 0: a subgradient at the kink)
    """

    def forward(self, x):
        self.sign = np.sign(x)  # all that backward needs
        return np.abs(x)

    def backward(self, grad_out):
        return (grad_out * mg.Tensor(self.sign),)


def absolute(x):
    """|x| element-wise: the lowercase function users call, as beside each op of minigrad.ops."""
    return Abs.apply(x)


# %%
x = mg.Tensor([-2.0, -0.5, 1.0, 3.0], requires_grad=True)
y = absolute(x)
y.sum().backward()
print("x =", x.data, " |x| =", y.data, " d(Σ|x|)/dx =", x.grad.data)

# %% [markdown]
# gradcheck compares backward with central differences in float64 (away from the kink at 0).

# %%
rng = np.random.default_rng(0)
point = mg.Tensor(rng.choice([-1.0, 1.0], size=(3, 4)) * rng.uniform(0.1, 2.0, size=(3, 4)))
print("gradcheck(Abs):", mg.gradcheck(absolute, point))


# %% [markdown]
# A wrong backward (the sign forgotten) is caught, and the message says where.


# %%
class WrongAbs(Abs):
    def backward(self, grad_out):
        return (grad_out,)


try:
    mg.gradcheck(WrongAbs.apply, point)
except mg.GradcheckError as error:
    print("the wrong backward is caught:", str(error).splitlines()[0])

# %% [markdown]
# The new op composes with everything else: an L1 penalty on a layer's output.

# %%
w = mg.Tensor(rng.standard_normal((4, 2)), requires_grad=True, name="w")
loss = absolute(point @ w).mean()
loss.backward()
print("L1 loss:", round(loss.item(), 4), " gradient shape:", w.grad.shape)

# %%
graph = viz.draw_graph(absolute(point @ w).mean())
print("the drawing has an Abs node:", "Abs" in graph.source)
graph.save("custom_op.dot")  # render with `dot -Tsvg custom_op.dot` (needs Graphviz)
print("wrote custom_op.dot")
