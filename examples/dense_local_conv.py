"""Dense vs local vs convolutional layers, the course notes' path in numbers: parameter counts,
the three 1-D matrices (read from real layers), equivariance and receptive fields."""

# %%
import numpy as np

from minigrad import nn, teach

# %% [markdown]
# Parameter counts without biases: dense (hw)²cc'; k-local hw·s²cc', reduced by a factor
# s²/(hw); convolutional s²cc', reduced by another 1/(hw). The notes' example: a 1024×1024 RGB
# image, c' = 3.
# Nothing is allocated: these are Python integers.

# %%
print(teach.param_counts(1024, 1024, 3, 3, k=1))
print()
print(teach.param_counts(8, 8, 1, 4, k=1))

# %% [markdown]
# The same counts from real layers on an 8×8 grey image with 4 output channels:

# %%
layers = {
    "Dense": nn.Dense(8 * 8, 8 * 8 * 4, bias=False),
    "Local": nn.Local((8, 8, 1), 4, kernel_size=3, padding="same", bias=False),
    "Conv2D": nn.Conv2D(1, 4, kernel_size=3, bias=False),
}
for name, layer in layers.items():
    print(f"{name:<7} num_parameters() = {layer.num_parameters():>6}")

# %% [markdown]
# The notes' three 1-D matrices (4 pixels, k = 1), [h₁ … h₄] = [x₁ … x₄] M for the dense layer
# and [h₁ … h₄] = [0 x₁ … x₄ 0] M for the local and convolutional layers (zero-padding). Each
# weight of a real layer is set to 1 in turn and the matrix read by autodiff: the zeros (locality)
# and the repeated W₁ W₂ W₃ (shared weights) come out of the computation.

# %%
for name, pattern in teach.notes_matrices().items():
    print(f"{name}:")
    print(pattern)
    print()

# %% [markdown]
# Translation equivariance: f(shift(X)) = shift(f(X)) holds for the convolution (one shared W),
# not for the local layer (one W_ij per pixel) nor for the dense one.

# %%
x = np.zeros((8, 8, 1))
x[3:6, 2:5, 0] = [[0, 1, 0], [1, 1, 1], [0, 1, 0]]  # a "plus" in the middle
models = {
    "Conv2D": nn.Conv2D(1, 2, kernel_size=3, seed=0),
    "Local": nn.Local((8, 8, 1), 2, kernel_size=3, padding="same", seed=0),
    "Dense": nn.Sequential(nn.Vect(), nn.Dense(64, 128, seed=0), nn.Unvect((8, 8, 2))),
}
for name, model in models.items():
    result = teach.check_equivariance(model, x, shift=(1, 2))
    print(f"{name:<7} equivariant: {result.equivariant}  (max error {result.max_error:.2g})")

# %% [markdown]
# Receptive fields: H_ij of one 3×3 layer depends on a 3×3 patch (k-locality); two stacked
# layers see 5×5; a dense layer sees every pixel.

# %%
two_convs = nn.Sequential(nn.Conv2D(1, 4, 3, seed=0), nn.ReLU(), nn.Conv2D(4, 1, 3, seed=1))
print(teach.receptive_field(models["Conv2D"], (9, 9, 1), (4, 4)))
print(teach.receptive_field(two_convs, (9, 9, 1), (4, 4)))
dense = nn.Sequential(nn.Vect(), nn.Dense(81, 162, seed=0), nn.Unvect((9, 9, 2)))
print(teach.receptive_field(dense, (9, 9, 1), (4, 4)))

# %% [markdown]
# Which pixels form vect(P_1(0, 0)) — five of them are padded zeros — and in which order:

# %%
patch = teach.explain_patch((4, 4, 1), 0, 0, k=1)
print(patch)
try:
    ax = patch.plot()  # a picture of the same, with matplotlib
except ImportError:
    print("matplotlib is not installed: no picture (pip install matplotlib to get one).")
else:
    ax.figure.savefig("patch.png")
    print("wrote patch.png")
