"""Small example models shared by the demo, the docs, `minigrad graph` and the benchmarks.

`MODELS` maps a name to (constructor, input_shape): `constructor(seed=0)` returns a fresh Module
and input_shape is the shape of one example (no batch axis)."""

from minigrad import nn


def digits_cnn(seed=0):
    """The demo's conv net for the 8×8 digits: two 3×3 convs with ReLU and 2×2 max-pooling,
    then a dense layer to the 10 classes. Input (8, 8, 1).

    >>> digits_cnn().num_parameters()
    6090
    """
    rng = nn.init.generator(seed)
    return nn.Sequential(
        ("conv1", nn.Conv2D(1, 16, kernel_size=3, seed=rng)),
        ("relu1", nn.ReLU()),
        ("pool1", nn.MaxPool2D(2)),
        ("conv2", nn.Conv2D(16, 32, kernel_size=3, seed=rng)),
        ("relu2", nn.ReLU()),
        ("pool2", nn.MaxPool2D(2)),
        ("vect", nn.Vect()),
        ("dense", nn.Dense(2 * 2 * 32, 10, seed=rng)),
    )


def lenet(seed=0):
    """A LeNet-like net for 28×28 images: conv 3×3 8ch, ReLU, max-pool 2, conv 3×3 16ch, ReLU,
    max-pool 2, Vect, Dense → 10. Input (28, 28, 1).

    >>> lenet().num_parameters()
    9098
    """
    rng = nn.init.generator(seed)
    return nn.Sequential(
        ("conv1", nn.Conv2D(1, 8, kernel_size=3, seed=rng)),
        ("relu1", nn.ReLU()),
        ("pool1", nn.MaxPool2D(2)),
        ("conv2", nn.Conv2D(8, 16, kernel_size=3, seed=rng)),
        ("relu2", nn.ReLU()),
        ("pool2", nn.MaxPool2D(2)),
        ("vect", nn.Vect()),
        ("dense", nn.Dense(7 * 7 * 16, 10, seed=rng)),
    )


def mlp(seed=0):
    """A multilayer perceptron 784 → 256 → 10 with ReLU. Input (784,).

    >>> mlp().num_parameters()
    203530
    """
    rng = nn.init.generator(seed)
    return nn.Sequential(
        ("dense1", nn.Dense(784, 256, seed=rng)),
        ("relu", nn.ReLU()),
        ("dense2", nn.Dense(256, 10, seed=rng)),
    )


def dense_image(seed=0, shape=(6, 6, 1), out_channels=2):
    """The notes' dense layer on an image: H = unvect(A(vect(X)ᵀ W)) with no bias, so it has
    exactly (hw)²·c·c' weights. Input (6, 6, 1) → output (6, 6, 2).

    >>> dense_image().num_parameters()    # (6·6)²·1·2
    2592
    """
    h, w, c = shape
    return nn.Sequential(
        ("vect", nn.Vect()),
        ("dense", nn.Dense(h * w * c, h * w * out_channels, bias=False, seed=seed)),
        ("relu", nn.ReLU()),
        ("unvect", nn.Unvect((h, w, out_channels))),
    )


def local_image(seed=0, shape=(6, 6, 1), out_channels=2):
    """The notes' k-local layer on the same image: H_ij = A(vect(P_1(i, j))ᵀ W_ij), zero-padded,
    no bias: h·w·s²·c·c' weights. Input (6, 6, 1) → output (6, 6, 2).

    >>> local_image().num_parameters()    # 6·6·9·1·2
    648
    """
    return nn.Sequential(
        ("local", nn.Local(shape, out_channels, 3, padding="same", bias=False, seed=seed)),
        ("relu", nn.ReLU()),
    )


def conv_image(seed=0, shape=(6, 6, 1), out_channels=2):
    """The notes' convolution on the same image: one shared W ~ (s²c, c') and b ~ (c').
    Input (6, 6, 1) → output (6, 6, 2).

    >>> conv_image().num_parameters()     # 9·1·2 + 2
    20
    """
    return nn.Sequential(
        ("conv", nn.Conv2D(shape[2], out_channels, 3, padding="same", seed=seed)),
        ("relu", nn.ReLU()),
    )


MODELS = {
    "digits_cnn": (digits_cnn, (8, 8, 1)),
    "lenet": (lenet, (28, 28, 1)),
    "mlp": (mlp, (784,)),
    "dense_image": (dense_image, (6, 6, 1)),
    "local_image": (local_image, (6, 6, 1)),
    "conv_image": (conv_image, (6, 6, 1)),
}
