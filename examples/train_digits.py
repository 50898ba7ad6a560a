"""Train the demo's small conv net on the embedded 8×8 digits (UCI, shipped with minigrad),
then plot the history and the learned filters (numbers instead when matplotlib is missing)."""

# %%
import os

import minigrad as mg

FAST = os.environ.get("MINIGRAD_FAST") == "1"  # the test suite sets it: a subset, two epochs

# %%
(X_train, y_train), (X_test, y_test) = mg.data.load_digits()
if FAST:
    X_train, y_train = X_train[:600], y_train[:600]
print("train:", X_train.shape, " test:", X_test.shape)

# %% [markdown]
# Two 3×3 convolutions with ReLU and 2×2 max-pooling, then a dense layer to the 10 classes.

# %%
model = mg.models.digits_cnn(seed=0)
print(mg.nn.summary(model, (8, 8, 1)))

# %%
# Every tenth training image is held out to watch (validation); the test set is used once.
(X_fit, y_fit), (X_val, y_val) = mg.data.validation_split(X_train, y_train)
optimizer = mg.optim.Adam(model.parameters(), lr=0.01)
history = mg.train.fit(
    model,
    optimizer,
    X_fit,
    y_fit,
    epochs=2 if FAST else 10,
    batch_size=32,
    validation=(X_val, y_val),
    seed=0,
)
loss, accuracy = mg.train.evaluate(model, X_test, y_test)
print(f"test accuracy: {accuracy:.1%}")

# %% [markdown]
# The loss curve and the 16 learned 3×3 filters of the first layer (without matplotlib, both
# are written as numbers, and the functions say so).

# %%
print("wrote", mg.train.plot_history(history, "digits_history.png"))
print("wrote", mg.train.plot_filters(model.conv1, "digits_filters.png"))
