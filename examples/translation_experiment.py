"""The translation experiment: train a dense model and a convolutional model on "shapes" images
whose pattern always sits in the LEFT half, then test with the pattern in the RIGHT half.

The conv model shares one W across pixels (equivariance) and ends with a global max over the
pixels (so its answer does not depend on where the pattern is): it keeps its accuracy. The dense
model's weights for the right-half pixels never saw a pattern there, only faint noise: on the
right half it is near chance (25 %)."""

# %%
import os

import numpy as np

import minigrad as mg
from minigrad import nn

FAST = os.environ.get("MINIGRAD_FAST") == "1"  # the test suite sets it: less data, fewer epochs
SEED = 0


# %% [markdown]
# Global max pooling: the largest activation of each channel over all pixels, (n, h, w, c) →
# (n, c). Composed from `max` — no backward of its own. Equivariance followed by a max over
# positions gives invariance: moving the pattern moves the activations, not their maximum.


# %%
class GlobalMaxPool(nn.Module):
    """(n, h, w, c) → (n, c): the maximum over the pixels of each channel."""

    def forward(self, x):
        return x.max(axis=(1, 2))  # (n, c)


def dense_model(size, seed):
    rng = nn.init.generator(seed)
    return nn.Sequential(
        nn.Vect(),  # (n, size·size)
        nn.Dense(size * size, 32, seed=rng),
        nn.ReLU(),
        nn.Dense(32, 4, seed=rng),
    )


def conv_model(seed):
    rng = nn.init.generator(seed)
    return nn.Sequential(
        nn.Conv2D(1, 8, kernel_size=3, seed=rng),  # (n, size, size, 8), one W for every pixel
        nn.ReLU(),
        GlobalMaxPool(),  # (n, 8)
        nn.Dense(8, 4, seed=rng),
    )


def run_experiment(fast=FAST, seed=SEED):
    """Train both models on left-half patterns; return their accuracies on held-out left-half
    images ("train_region") and on right-half images ("elsewhere")."""
    n_train, epochs = (500, 15) if fast else (800, 20)
    (X, y), (X_left, y_left) = mg.data.load_shapes(
        n_train=n_train, n_test=200, train_region="left", test_region="left", seed=seed
    )
    _, (X_right, y_right) = mg.data.load_shapes(
        n_train=1, n_test=400, train_region="left", test_region="right", seed=seed + 1
    )
    size = X.shape[1]
    results = {}
    for name, model in (("Dense", dense_model(size, seed)), ("Conv2D", conv_model(seed))):
        optimizer = mg.optim.Adam(model.parameters(), lr=0.02)
        mg.train.fit(model, optimizer, X, y, epochs=epochs, seed=seed, progress=False)
        results[name] = {
            "parameters": model.num_parameters(),
            "train_region": mg.train.evaluate(model, X_left, y_left)[1],
            "elsewhere": mg.train.evaluate(model, X_right, y_right)[1],
        }
    return results


# %%
results = run_experiment()
print(f"{'model':<7} {'weights':>7}  {'accuracy, left half':>20}  {'accuracy, right half':>20}")
for name, r in results.items():
    print(f"{name:<7} {r['parameters']:>7}  {r['train_region']:>20.1%}  {r['elsewhere']:>20.1%}")

# %%
try:
    import matplotlib.pyplot as plt
except ModuleNotFoundError:
    print("matplotlib is not installed: no plot (pip install matplotlib to get one).")
else:
    fig, ax = plt.subplots(figsize=(5, 3))
    names = list(results)
    positions = np.arange(len(names))
    bars = (
        ("train_region", "left half (seen)", -0.2),
        ("elsewhere", "right half (no pattern there in training)", 0.2),
    )
    for key, label, offset in bars:
        ax.bar(positions + offset, [results[n][key] for n in names], 0.4, label=label)
    ax.axhline(0.25, color="grey", linestyle=":", label="chance")
    ax.set(xticks=positions, xticklabels=names, ylabel="test accuracy", ylim=(0, 1.3))
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_title("trained on the left half only")
    ax.legend(loc="upper center", ncol=3, fontsize=7)  # above the bars, hiding none
    fig.tight_layout()
    fig.savefig("translation_experiment.png")
    print("wrote translation_experiment.png")
