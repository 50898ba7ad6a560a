"""The notes' three layers, composed from primitives with no backward of their own: Dense (on
vect(X)), Local (one W_ij per pixel) and Conv2D (one shared W); plus Vect, Unvect, activations."""

import math

import numpy as np

from minigrad import ops
from minigrad.nn.init import initial_weight
from minigrad.nn.module import Module, Parameter
from minigrad.ops.shape import is_int, shape_argument, tensor_input

PADDINGS = ("same", "valid")


def kernel_radius(layer, kernel_size):
    """k for an odd kernel size s = 2k + 1; an error naming `layer` for anything else."""
    if not is_int(kernel_size) or kernel_size < 1 or kernel_size % 2 == 0:
        even = is_int(kernel_size) and kernel_size >= 2
        suggestion = f"{kernel_size - 1} or {kernel_size + 1}" if even else "3"
        raise ValueError(
            f"{layer}: kernel_size must be an odd int s = 2k + 1 (1, 3, 5, …) so that each "
            f"patch P_k(i, j) is centred on its pixel, as in the notes; got {kernel_size!r}. "
            f"Use {suggestion} instead."
        )
    return (int(kernel_size) - 1) // 2


def check_padding(layer, padding):
    """Refuse a padding other than "same" and "valid"."""
    if padding not in PADDINGS:
        raise ValueError(
            f"{layer}: padding must be 'same' (k zeros around the image: output (h, w, c')) "
            f"or 'valid' (no zeros: output (h − 2k, w − 2k, c')); got {padding!r}."
        )


def check_size(layer, argument, value, what="a number of features or channels"):
    """`value` as an int ≥ 1; an error naming `layer`, `argument` and the value for anything
    else (0, −1, 2.5, "8", True)."""
    if not is_int(value) or value < 1:
        raise ValueError(f"{layer}: {argument} must be an int ≥ 1 ({what}); got {value!r}.")
    return int(value)


def check_image(layer, x, channels=None):
    """Refuse anything but a batch (n, h, w, c) with `channels` channels, with a hint.

    Three axes are either one image (h, w, c) or a batch of grayscale images (n, h, w) with no
    channel axis: the last axis tells them apart when `channels` is known (pooling gives both).
    """
    if x.ndim != 4:
        hint = ""
        if x.ndim == 3:
            n, h, w = x.shape
            single = " For a single image, add a batch axis: x.reshape(1, h, w, c)."
            grayscale = (
                f" If it is a batch of {n} grayscale images (n, h, w) without a channel axis, "
                f"add one: x.reshape({n}, {h}, {w}, 1)."
            )
            if channels is None:  # pooling: it cannot tell, so both hints
                hint = single + grayscale
            elif x.shape[-1] == channels:
                hint = single
            elif n == channels > 1:  # (c, h, w): one image, channels first
                hint = (
                    f" minigrad is channels-last: this looks like one channels-first image "
                    f"(c, h, w); use x.transpose(1, 2, 0).reshape(1, {h}, {w}, {n})."
                )
            else:
                hint = (
                    f" Its last axis is not c={channels}, so it looks like a batch of {n} "
                    f"grayscale images (n, h, w) without a channel axis: add one with "
                    f"x.reshape({n}, {h}, {w}, 1)."
                )
                if channels != 1:
                    hint += f" ({layer} was built for c={channels} channels.)"
        elif x.ndim == 2:
            hint = " A flat batch (n, features) goes to Dense; reshape images to (n, h, w, c)."
        raise ValueError(
            f"{layer} expects a batch of images (n, h, w, c) with 4 axes; got shape "
            f"{x.shape}.{hint}"
        )
    if channels is not None and x.shape[-1] != channels:
        n, a, b, c = x.shape
        if a == channels or (a <= 4 < c and b == c):  # (n, c, h, w), square images: likely
            hint = (
                " minigrad is channels-last: this looks like a channels-first (n, c, h, w) "
                f"batch of {a}-channel images; use x.transpose(0, 2, 3, 1)."
            )
            if a != channels:
                hint += f" ({layer} was built for c={channels} channels.)"
        else:
            hint = f" It gets c={c}: build it for c={c}, or change what comes before it."
        raise ValueError(
            f"{layer} expects input (n, h, w, c) with c={channels}; got shape {x.shape} "
            f"(c={x.shape[-1]}).{hint}"
        )


def check_fits(layer, h, w, kernel_size, where):
    """Refuse an image whose h or w is smaller than the kernel (with padding="valid"); `where`
    says where h and w come from (Conv2D: its input; Local: its in_shape)."""
    if h < kernel_size or w < kernel_size:
        raise ValueError(
            f"{layer}: padding='valid' needs an image of at least s×s = {kernel_size}×"
            f"{kernel_size} pixels; got h={h}, w={w} ({where}). Use padding='same' or a "
            "smaller kernel_size."
        )


class Dense(Module):
    """Fully connected: y = x W + b (the notes' row-vector convention), for any leading axes.

    x ~ (..., in_features) → y ~ (..., out_features); W ~ (in_features, out_features), b ~
    (out_features,). Parameters: in·out + out. On an image, put nn.Vect() before it.

    >>> import minigrad as mg
    >>> layer = Dense(4, 3, seed=0)
    >>> layer.weight.shape, layer(mg.Tensor(np.ones((2, 4)))).shape
    ((4, 3), (2, 3))
    """

    def __init__(self, in_features, out_features, bias=True, init="he", seed=None):
        super().__init__()
        self.in_features = check_size("Dense", "in_features", in_features)
        self.out_features = check_size("Dense", "out_features", out_features)
        shape = (self.in_features, self.out_features)
        self.weight = Parameter(
            initial_weight(init, shape, self.in_features, self.out_features, seed, "Dense")
        )
        self.bias = Parameter(np.zeros(self.out_features, dtype=np.float32)) if bias else None

    def forward(self, x):
        x = tensor_input(x)  # an array or a list too, as the ops take them
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            hint = ""
            if x.ndim >= 3 and math.prod(x.shape[1:]) == self.in_features:
                hint = " Flatten each example first: put nn.Vect() before Dense."
            elif x.ndim >= 2 and x.size == self.in_features:
                hint = (
                    " It holds exactly in_features numbers: if it is one example, give it a "
                    "batch axis before nn.Vect() (an image (h, w, c) → x.reshape(1, h, w, c)), "
                    "which flattens every axis but the first; if it is a batch, the layer "
                    f"before gives {x.shape[-1]} features, not {self.in_features}."
                )
            elif x.ndim >= 3:
                hint = " Flatten each example first: put nn.Vect() before Dense."
            raise ValueError(
                f"Dense expects input (..., in_features) with in_features={self.in_features}; "
                f"got shape {x.shape}.{hint}"
            )
        y = x @ self.weight  # (..., out_features)
        return y + self.bias if self.bias is not None else y

    def formula(self):
        """The parameter count in symbols and in numbers."""
        n_in, n_out = self.in_features, self.out_features
        if self.bias is None:
            return "in·out", f"{n_in}·{n_out}"
        return "in·out + out", f"{n_in}·{n_out} + {n_out}"

    def extra_repr(self):
        return f"{self.in_features}, {self.out_features}, bias={self.bias is not None}"


class Conv2D(Module):
    """H_ij = vect(P_k(i, j))ᵀ W + bᵀ, with W ~ (s²c, c') shared by every pixel, s = 2k + 1.

    x ~ (n, h, w, c) → (n, h, w, c') with padding="same" (k zeros around; ⌈h/t⌉ × ⌈w/t⌉ with
    stride t), (n, h − 2k, w − 2k, c') with "valid" (⌊(h − s)/t⌋ + 1 rows with stride t). Rows of
    W are in patch order (a·s + b)·c + channel. Parameters: s²·c·c' + c'. Composed: pad →
    patches → matmul → + b.

    >>> import minigrad as mg
    >>> conv = Conv2D(1, 8, kernel_size=3, seed=0)
    >>> conv.weight.shape, conv(mg.Tensor(np.ones((2, 6, 6, 1)))).shape
    ((9, 8), (2, 6, 6, 8))
    """

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        padding="same",
        bias=True,
        stride=1,
        init="he",
        seed=None,
    ):
        super().__init__()
        self.k = kernel_radius("Conv2D", kernel_size)
        check_padding("Conv2D", padding)
        check_size("Conv2D", "stride", stride, "pixels from one kept patch to the next")
        self.in_channels = check_size("Conv2D", "in_channels", in_channels)
        self.out_channels = check_size("Conv2D", "out_channels", out_channels)
        self.kernel_size, self.padding, self.stride = int(kernel_size), padding, int(stride)
        s, c, c_out = self.kernel_size, self.in_channels, self.out_channels
        shape = (s * s * c, c_out)
        self.weight = Parameter(
            initial_weight(init, shape, s * s * c, s * s * c_out, seed, "Conv2D")
        )
        self.bias = Parameter(np.zeros(c_out, dtype=np.float32)) if bias else None

    def forward(self, x):
        x = tensor_input(x)  # an array or a list too, as the ops take them
        check_image("Conv2D", x, self.in_channels)
        if self.padding == "same":
            x = ops.pad(x, self.k)  # (n, h + 2k, w + 2k, c)
        else:
            check_fits("Conv2D", x.shape[1], x.shape[2], self.kernel_size, f"input shape {x.shape}")
        p = ops.patches(x, self.k, self.stride)  # (n, h', w', s, s, c)
        n, h_out, w_out = p.shape[:3]
        # s²c spelled out rather than -1: numpy cannot infer a -1 when the batch is empty (n = 0).
        cols = p.reshape(n * h_out * w_out, self.weight.shape[0])  # (n·h'·w', s²c)
        y = cols @ self.weight  # (n·h'·w', c')
        if self.bias is not None:
            y = y + self.bias
        return y.reshape(n, h_out, w_out, self.out_channels)  # (n, h', w', c')

    def formula(self):
        """The parameter count in symbols and in numbers."""
        s2, c, c_out = self.kernel_size**2, self.in_channels, self.out_channels
        if self.bias is None:
            return "s²·c·c'", f"{s2}·{c}·{c_out}"
        return "s²·c·c' + c'", f"{s2}·{c}·{c_out} + {c_out}"

    def extra_repr(self):
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
        text += f"padding={self.padding!r}"
        if self.stride != 1:
            text += f", stride={self.stride}"
        return text + ("" if self.bias is not None else ", bias=False")


class Local(Module):
    """k-local layer: H_ij = vect(P_k(i, j))ᵀ W_ij + b_ij, one W_ij ~ (s²c, c') per pixel.

    in_shape = (h, w, c) is fixed (each pixel has its own weights). x ~ (n, h, w, c) →
    (n, h', w', c') with h' = h − 2k ("valid") or h ("same"). weight ~ (h', w', s²c, c'),
    bias ~ (h', w', c'). Parameters: h'·w'·s²·c·c' + h'·w'·c'. Composed: patches, then one
    batched matmul over the pixels (no Python loop).

    >>> import minigrad as mg
    >>> layer = Local((5, 5, 1), 2, kernel_size=3, seed=0)
    >>> layer.weight.shape, layer(mg.Tensor(np.ones((4, 5, 5, 1)))).shape
    ((3, 3, 9, 2), (4, 3, 3, 2))
    """

    def __init__(
        self, in_shape, out_channels, kernel_size, padding="valid", bias=True, init="he", seed=None
    ):
        super().__init__()
        self.k = kernel_radius("Local", kernel_size)
        check_padding("Local", padding)
        try:
            sizes = tuple(in_shape)
        except TypeError:
            sizes = ()  # not a sequence (Local(28, …)): reported below
        if len(sizes) != 3:
            raise ValueError(
                f"Local: in_shape must be (h, w, c) of one image (no batch axis); got {in_shape!r}."
            )
        self.in_shape = tuple(
            check_size("Local", f"in_shape[{axis}] ({letter})", size, "pixels or channels")
            for axis, (letter, size) in enumerate(zip("hwc", sizes))
        )
        self.in_channels = self.in_shape[2]
        self.out_channels = check_size("Local", "out_channels", out_channels)
        # stride: always 1 (one W_ij per pixel), kept so that Local has Conv2D's attributes.
        self.kernel_size, self.padding, self.stride = int(kernel_size), padding, 1
        h, w, c = self.in_shape
        s, k, c_out = self.kernel_size, self.k, self.out_channels
        if padding == "valid":
            check_fits("Local", h, w, s, f"in_shape {self.in_shape}")
        self.out_shape = (h, w, c_out) if padding == "same" else (h - 2 * k, w - 2 * k, c_out)
        h_out, w_out = self.out_shape[:2]
        shape = (h_out, w_out, s * s * c, c_out)
        self.weight = Parameter(
            initial_weight(init, shape, s * s * c, s * s * c_out, seed, "Local")
        )
        self.bias = Parameter(np.zeros(self.out_shape, dtype=np.float32)) if bias else None

    def forward(self, x):
        x = tensor_input(x)  # an array or a list too, as the ops take them
        check_image("Local", x, self.in_channels)
        if x.shape[1:3] != self.in_shape[:2]:
            raise ValueError(
                f"Local was built for images (h, w) = {self.in_shape[:2]} (in_shape "
                f"{self.in_shape}); got input shape {x.shape}. A local layer has one W_ij per "
                "pixel, so it only takes images of that size (a Conv2D takes any size)."
            )
        if self.padding == "same":
            x = ops.pad(x, self.k)  # (n, h + 2k, w + 2k, c)
        p = ops.patches(x, self.k)  # (n, h', w', s, s, c)
        n, h_out, w_out = p.shape[:3]
        # s²c spelled out rather than -1: numpy cannot infer a -1 when the batch is empty (n = 0).
        cols = p.reshape(n, h_out, w_out, self.weight.shape[2])  # (n, h', w', s²c)
        cols = cols.transpose(1, 2, 0, 3)  # (h', w', n, s²c): one matrix per pixel
        y = cols @ self.weight  # (h', w', n, c'): a batched matmul over pixels
        y = y.transpose(2, 0, 1, 3)  # (n, h', w', c')
        if self.bias is not None:
            y = y + self.bias
        return y

    def formula(self):
        """The parameter count in symbols and in numbers."""
        h_out, w_out, c_out = self.out_shape
        s2, c = self.kernel_size**2, self.in_channels
        symbols, numbers = "h'·w'·s²·c·c'", f"{h_out}·{w_out}·{s2}·{c}·{c_out}"
        if self.bias is None:
            return symbols, numbers
        return symbols + " + h'·w'·c'", numbers + f" + {h_out}·{w_out}·{c_out}"

    def extra_repr(self):
        text = f"in_shape={self.in_shape}, out_channels={self.out_channels}, "
        text += f"kernel_size={self.kernel_size}, padding={self.padding!r}"
        return text + ("" if self.bias is not None else ", bias=False")


class Vect(Module):
    """The notes' vect for each example of a batch: (n, h, w, c) → (n, h·w·c).

    >>> import minigrad as mg
    >>> Vect()(mg.Tensor(np.zeros((2, 3, 3, 4)))).shape
    (2, 36)
    """

    def forward(self, x):
        x = tensor_input(x)  # an array or a list too (a Tensor out, as from every layer)
        if x.ndim < 1:
            raise ValueError("Vect expects a batch (n, ...); got a scalar tensor.")
        return x.reshape(x.shape[0], math.prod(x.shape[1:]))  # (n, h·w·c) (n = 0 too)


class Unvect(Module):
    """The inverse of Vect: (n, h'·w'·c') → (n, h', w', c'); `shape` has no batch axis.

    >>> import minigrad as mg
    >>> Unvect((3, 3, 2))(mg.Tensor(np.zeros((4, 18)))).shape
    (4, 3, 3, 2)
    """

    def __init__(self, shape):
        super().__init__()
        self.shape = shape_argument(shape, "Unvect")  # 2.9 refused, not cut to 2
        if any(size < 1 for size in self.shape):
            raise ValueError(
                f"Unvect: every size of shape (one example's, without the batch axis) must be "
                f"≥ 1; got {self.shape}."
            )

    def forward(self, x):
        x = tensor_input(x)  # an array or a list too (a Tensor out, as from every layer)
        size = int(np.prod(self.shape))
        if x.ndim != 2 or x.shape[1] != size:
            raise ValueError(
                f"Unvect{self.shape} expects a batch of vectors (n, {size}); got shape {x.shape}."
            )
        return x.reshape(x.shape[0], *self.shape)  # (n, h', w', c')

    def extra_repr(self):
        return str(self.shape)


class ReLU(Module):
    """A(x) = max(x, 0), element-wise.

    >>> import minigrad as mg
    >>> ReLU()(mg.Tensor([-1.0, 2.0]))
    Tensor([0., 2.])
    """

    def forward(self, x):
        return ops.relu(x)


class Tanh(Module):
    """A(x) = tanh(x), element-wise.

    >>> import minigrad as mg
    >>> Tanh()(mg.Tensor([0.0]))
    Tensor([0.])
    """

    def forward(self, x):
        return ops.tanh(x)


class Sigmoid(Module):
    """A(x) = 1 / (1 + e^−x), element-wise.

    >>> import minigrad as mg
    >>> Sigmoid()(mg.Tensor([0.0]))
    Tensor([0.5])
    """

    def forward(self, x):
        return ops.sigmoid(x)
