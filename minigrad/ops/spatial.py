"""The notes' patches P_k(i, j) as one op, and fold, its adjoint (scatter-add of patches).

Images are channels-last, (..., h, w, c); a patch has shape (s, s, c) with s = 2k + 1."""

import math

import numpy as np

from minigrad import buffers
from minigrad.autograd import Function
from minigrad.ops.shape import is_int, shape_argument, tensor_input


class Patches(Function):
    """Every patch P_k(i, j) that lies fully inside x (im2col, channels-last).

    forward:  x ~ (..., h, w, c) → y ~ (..., h', w', s, s, c),  h' = (h − s) // stride + 1,
              y[..., i, j, a, b, :] = x[..., i·stride + a, j·stride + b, :]
    backward: ∂L/∂x = fold(g, x.shape, k, stride)   (each pixel collects the gradient of every
              patch it belongs to)

    Fast because numpy builds the (h', w', s, s) windows as a strided *view* of x (no pixel
    is copied, no Python loop) and `np.copyto` then makes one copy in patch order: runs of s·c
    numbers, contiguous in x and in the patches. With one channel such runs are short (s
    numbers), so then the copy goes one offset (a, b) at a time: s² copies, each reading rows of
    w' numbers of x (written s² apart): ~3× faster for a first layer on grey images.
    """

    def forward(self, x, k, stride):
        s = 2 * k + 1
        # (..., h − s + 1, w − s + 1, c, s, s): every window, a view
        windows = np.lib.stride_tricks.sliding_window_view(x, (s, s), axis=(-3, -2))
        windows = windows[..., ::stride, ::stride, :, :, :]  # (..., h', w', c, s, s), a view
        windows = np.moveaxis(windows, -3, -1)  # (..., h', w', s, s, c), still a view
        out = buffers.empty(windows.shape, x.dtype)
        if x.shape[-1] != 1:
            np.copyto(out, windows)  # the one copy
            return out
        for a in range(s):
            for b in range(s):
                out[..., a, b, :] = windows[..., a, b, :]
        return out

    def backward(self, grad_out):
        settings = self.settings
        return (fold(grad_out, self.inputs[0].shape, settings["k"], settings["stride"]),)


class Fold(Function):
    """Scatter-add patches back into an image: the adjoint of `patches`.

    forward:  p ~ (..., h', w', s, s, c) → y ~ shape = (..., h, w, c), zeros, then
              y[..., i·stride + a, j·stride + b, :] += p[..., i, j, a, b, :]
    backward: ∂L/∂p = patches(g, k, stride)

    At most s² numpy slice-adds per chunk of images, never a loop over pixels. Two things make
    them fast (see `_fold_into`): the images go a few at a time, so that the passes over a
    chunk find it in the CPU's cache, and when the stride divides s (stride 1 always does),
    each add moves runs of s·c numbers rather than c.
    """

    def forward(self, p, shape, k, stride):
        y = buffers.empty(shape, p.dtype)
        count = math.prod(shape[:-3])  # the images, whatever the batch axes
        if count == 0:
            return y
        images = y.reshape((count, *shape[-3:]))  # (count, h, w, c), a view: y is contiguous
        p = p.reshape((count, *p.shape[-5:]))  # (count, h', w', s, s, c)
        step = max(1, CHUNK_BYTES // max(1, p.nbytes // count))  # images per chunk
        for start in range(0, count, step):
            chunk = images[start : start + step]
            chunk.fill(0)
            _fold_into(chunk, p[start : start + step], k, stride)
        return y

    def backward(self, grad_out):
        settings = self.settings
        return (patches(grad_out, settings["k"], settings["stride"]),)


# Fold works on this many bytes of patches at a time: a few MiB stay in a CPU's L2/L3 cache
# while the s² slice-adds pass over them (measured: 2–4 MiB is fastest, from 1 to 16 images).
CHUNK_BYTES = 2 << 20


def _fold_into(y, p, k, stride):
    """y[n, i·stride + a, j·stride + b, :] += p[n, i, j, a, b, :] for y ~ (n, h, w, c), p ~
    (n, h', w', s, s, c).

    When the stride divides s, the patches j = r, r + q, r + 2q, … (q = s / stride) sit side by
    side in a row of y, so for one row offset a, the numbers p[n, i, j, a, :, :] of all those
    patches land on one contiguous run of y: q slice-adds per a (one per r), each moving runs
    of s·c numbers. numpy's loops cost per run, and c alone (8, 16) is short. Otherwise: s
    slice-adds per a (one per column offset b), with runs of c.
    """
    s = 2 * k + 1
    n, h_out, w_out, c = p.shape[0], p.shape[1], p.shape[2], p.shape[-1]
    for a in range(s):
        rows = slice(a, a + stride * (h_out - 1) + 1, stride)
        if s % stride:
            for b in range(s):
                columns = slice(b, b + stride * (w_out - 1) + 1, stride)
                target = y[:, rows, columns, :]
                np.add(target, p[:, :, :, a, b, :], out=target)
            continue
        q = s // stride
        for r in range(min(q, w_out)):
            m = len(range(r, w_out, q))  # patches j = r, r + q, …, r + (m − 1)q
            left = stride * r
            # The target's reshape is a view (it splits and merges axes inside y's contiguous
            # rows), so the add writes into y; the source's is a view too unless p is strided.
            target = y[:, rows, left : left + s * m, :].reshape(n, h_out, m, s * c)
            source = p[:, :, r::q, a, :, :].reshape(n, h_out, m, s * c)
            np.add(target, source, out=target)


def _check_window(op, shape, k, stride):
    """Validate k and stride against an image shape (..., h, w, c); return (h', w')."""
    if len(shape) < 3:
        raise ValueError(
            f"{op}: expects an image (..., h, w, c) with at least 3 axes; got shape {shape}. "
            "Add a channel axis with x.reshape(h, w, 1)."
        )
    if not is_int(k) or k < 0:
        raise ValueError(f"{op}: k (the patch radius) must be an int ≥ 0; got {k!r}.")
    if not is_int(stride) or stride < 1:
        raise ValueError(f"{op}: stride must be an int ≥ 1; got {stride!r}.")
    h, w = shape[-3], shape[-2]
    s = 2 * k + 1
    if s > h or s > w:
        largest = (min(h, w) - 1) // 2
        raise ValueError(
            f"{op}: k={k} means patches of size s = 2k + 1 = {s}, which do not fit in an image "
            f"with h={h}, w={w} (shape {shape}). The largest valid k here is {largest}; or "
            f"zero-pad first: mg.pad(x, {k})."
        )
    return (h - s) // stride + 1, (w - s) // stride + 1


def patches(x, k, stride=1):
    """Every patch P_k(i, j) of x ~ (..., h, w, c) that fits: (..., h', w', s, s, c), s = 2k + 1.

    Element [..., i, j, :, :, :] is P_k(i·stride + k, j·stride + k) of the notes.

    >>> from minigrad import Tensor
    >>> x = Tensor(np.arange(16, dtype=np.float32).reshape(4, 4, 1))
    >>> p = patches(x, 1)
    >>> p.shape
    (2, 2, 3, 3, 1)
    >>> p[0, 0, :, :, 0]
    Tensor([[ 0.,  1.,  2.],
            [ 4.,  5.,  6.],
            [ 8.,  9., 10.]])
    """
    x = tensor_input(x)
    _check_window("patches", x.shape, k, stride)
    return Patches.apply(x, k=int(k), stride=int(stride))


def fold(p, shape, k, stride=1):
    """Scatter-add patches p ~ (..., h', w', s, s, c) into an image of `shape` (..., h, w, c).

    The adjoint of `patches`: a pixel covered by several patches receives their sum.

    >>> from minigrad import Tensor
    >>> fold(Tensor(np.ones((2, 2, 3, 3, 1), dtype=np.float32)), (4, 4, 1), 1)[..., 0]
    Tensor([[1., 2., 2., 1.],
            [2., 4., 4., 2.],
            [2., 4., 4., 2.],
            [1., 2., 2., 1.]])
    """
    p, shape = tensor_input(p), shape_argument(shape, "fold")
    h_out, w_out = _check_window("fold", shape, k, stride)
    s = 2 * k + 1
    expected = shape[:-3] + (h_out, w_out, s, s, shape[-1])
    if p.shape != expected:
        raise ValueError(
            f"fold: patches of an image of shape {shape} with k={k}, stride={stride} have shape "
            f"{expected}; got {p.shape}."
        )
    return Fold.apply(p, shape=shape, k=int(k), stride=int(stride))
