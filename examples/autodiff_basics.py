"""Autodiff basics: tensors, the recorded graph, backward, and gradient descent by hand.

Run it as a script (`python examples/autodiff_basics.py`) or open it as a notebook (# %% cells)."""

# %%
import os

import numpy as np

import minigrad as mg

FAST = os.environ.get("MINIGRAD_FAST") == "1"  # the test suite sets it: fewer steps

# %% [markdown]
# A tensor that requires grad records every operation made with it. L = Σ (x² + 3x) has
# ∂L/∂x = 2x + 3, and backward() finds exactly that.

# %%
x = mg.Tensor([1.0, 2.0, 3.0], requires_grad=True, name="x")
loss = (x * x + 3 * x).sum()
loss.backward()
print("L =", loss.item(), " dL/dx =", x.grad, " (2x + 3 =", 2 * x.data + 3, ")")

# %% [markdown]
# The graph: each result keeps the node (`grad_fn`) that made it, and each node its inputs.

# %%
node = loss.grad_fn
while node is not None:
    print(f"{node.name:>4} <- inputs of shapes {[t.shape for t in node.inputs]}")
    node = node.inputs[0].grad_fn

# %% [markdown]
# Gradient descent by hand: fit y = a·t + b to noisy points. The loss is the mean squared
# error; each step computes its gradient with backward() and moves against it.

# %%
rng = np.random.default_rng(0)
t = rng.uniform(-1, 1, size=50).astype(np.float32)
y = (2.0 * t - 0.5 + 0.1 * rng.standard_normal(50)).astype(np.float32)
a = mg.Tensor(0.0, requires_grad=True, name="a")
b = mg.Tensor(0.0, requires_grad=True, name="b")
learning_rate = 0.5
losses = []
for step in range(20 if FAST else 100):
    mse = ((a * t + b - y) ** 2).mean()
    a.zero_grad()
    b.zero_grad()
    mse.backward()
    # These .data updates are plain numpy and never recorded; no_grad keeps out of the graph
    # any part of an update written with Tensor ops (as the optimizers' step() does).
    with mg.no_grad():
        a.data -= learning_rate * a.grad.data
        b.data -= learning_rate * b.grad.data
    losses.append(mse.item())
print(f"after {len(losses)} steps: a = {a.item():.3f} (true 2), b = {b.item():.3f} (true -0.5)")

# %% [markdown]
# A second derivative: with create_graph=True the backward pass is recorded too.

# %%
u = mg.Tensor(3.0, requires_grad=True)
(du,) = mg.grad(u**3, [u], create_graph=True)  # 3u² = 27
(d2u,) = mg.grad(du, [u])  # 6u = 18
print("d/du u³ at 3 =", du.item(), "; d²/du² u³ at 3 =", d2u.item())

# %%
try:
    import matplotlib.pyplot as plt
except ModuleNotFoundError:
    print("matplotlib is not installed: no plot (pip install matplotlib to get one).")
else:
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot(losses)
    ax.set(xlabel="step", ylabel="mean squared error", yscale="log", title="gradient descent")
    fig.tight_layout()
    fig.savefig("autodiff_basics_loss.png")
    print("wrote autodiff_basics_loss.png")
