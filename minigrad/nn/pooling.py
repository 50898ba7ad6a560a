"""Pooling over non-overlapping size×size windows, composed from a reshape and a max or mean
(no backward of their own)."""

from minigrad import ops
from minigrad.nn.layers import check_image, check_size
from minigrad.nn.module import Module
from minigrad.ops.shape import tensor_input


class _Pool2D(Module):
    """Shared by MaxPool2D and AvgPool2D: split h and w into windows, then reduce them."""

    reduce = None

    def __init__(self, size=2):
        super().__init__()
        size = check_size(type(self).__name__, "size", size, "the window's side, for example 2")
        # Windows do not overlap: kernel_size and stride (which teach and viz read from every
        # spatial layer) are both the size.
        self.size = self.kernel_size = self.stride = size

    def forward(self, x):
        name, size = type(self).__name__, self.size
        x = tensor_input(x)  # an array or a list too, as the ops take them
        check_image(name, x)
        n, h, w, c = x.shape
        if h < size or w < size:
            raise ValueError(
                f"{name}({size}) needs an image of at least {size}×{size} pixels; got h={h}, "
                f"w={w} (input shape {x.shape}). If c={c} is really h or w, the batch may be "
                "channels-first (n, c, h, w): minigrad is channels-last."
            )
        h_out, w_out = h // size, w // size
        if (h_out * size, w_out * size) != (h, w):
            x = x[:, : h_out * size, : w_out * size, :]  # (n, h'·size, w'·size, c): drop the rest
        windows = x.reshape(n, h_out, size, w_out, size, c)  # (n, h', size, w', size, c)
        return self.reduce(windows, axis=(2, 4))  # (n, h', w', c)

    def extra_repr(self):
        return str(self.size)


class MaxPool2D(_Pool2D):
    """H_ij = max over the size×size window at (i·size, j·size), per channel.

    (n, h, w, c) → (n, ⌊h/size⌋, ⌊w/size⌋, c): the last h mod size rows and w mod size columns
    are dropped (as PyTorch does) and get a zero gradient. Tied maxima share the gradient equally.

    >>> import numpy as np, minigrad as mg
    >>> x = mg.Tensor(np.arange(16.0, dtype=np.float32).reshape(1, 4, 4, 1))
    >>> MaxPool2D(2)(x)[0, :, :, 0]
    Tensor([[ 5.,  7.],
            [13., 15.]])
    """

    reduce = staticmethod(ops.max)


class AvgPool2D(_Pool2D):
    """H_ij = mean over the size×size window at (i·size, j·size), per channel.

    (n, h, w, c) → (n, ⌊h/size⌋, ⌊w/size⌋, c): the last h mod size rows and w mod size columns
    are dropped (as PyTorch does) and get a zero gradient.

    >>> import numpy as np, minigrad as mg
    >>> x = mg.Tensor(np.arange(16.0, dtype=np.float32).reshape(1, 4, 4, 1))
    >>> AvgPool2D(2)(x)[0, :, :, 0]
    Tensor([[ 2.5,  4.5],
            [10.5, 12.5]])
    """

    reduce = staticmethod(ops.mean)
