"""Plain-numpy references for the benchmark: each workload written by hand, the obvious way.

They are what a careful student would write without an autograd engine (im2col with a strided view
and one copy, one matmul forward; matmuls and s² slice-adds backward), so a ratio below 1 means
minigrad beats hand-written numpy. Everything is float32 and channels-last, (n, h, w, c)."""

import numpy as np
from workloads import chain

# ---- W3: the per-op overhead chain --------------------------------------------------------------


def chain_numpy(x, a, b, length=50):
    """The numpy floor of the overhead chain: the same `length` ops (add, mul, tanh cycling) as raw
    numpy calls on x ~ (16,), forward only (there is no backward to take without an engine).

    >>> float(chain_numpy(np.float32(0.5), 1.0, 2.0, length=2))  # (0.5 + 1) · 2
    3.0
    """
    return chain(x, a, b, length, np.tanh)  # the same loop minigrad runs, on plain arrays


def chain_by_hand(x, a, b, length=50):
    """W3's floor with a backward: the chain's forward, keeping what its backward needs, then
    ∂(Σ y)/∂x by hand (+ a passes g on, · b multiplies it by b, tanh by 1 − y²). No graph and
    no engine: what numpy alone costs for forward + backward. Returns (y, ∂(Σ y)/∂x).

    >>> y, grad_x = chain_by_hand(np.float32(0.5), 1.0, 2.0, length=2)  # (x + 1) · 2
    >>> float(y), float(grad_x)
    (3.0, 2.0)
    """
    saved = []  # the tanh outputs, for their derivative 1 − y²

    def tanh(z):
        saved.append(np.tanh(z))
        return saved[-1]

    y = chain(x, a, b, length, tanh)
    grad = np.ones_like(y)
    for i in reversed(range(length)):
        step = i % 3
        if step == 1:
            grad = grad * b
        elif step == 2:
            tanh_y = saved.pop()
            grad = grad - grad * tanh_y * tanh_y
    return y, grad


# ---- W1, W2: one conv step ----------------------------------------------------------------------


def im2col(x_padded, s):
    """Every s×s patch of x_padded ~ (n, h + 2k, w + 2k, c) as rows: (n·h·w, s²c).

    A strided view of the windows, then one copy into patch order (a, b, channel).

    >>> im2col(np.arange(9.0).reshape(1, 3, 3, 1), 3)
    array([[0., 1., 2., 3., 4., 5., 6., 7., 8.]])
    """
    n, hp, wp, c = x_padded.shape
    h, w = hp - s + 1, wp - s + 1
    windows = np.lib.stride_tricks.sliding_window_view(x_padded, (s, s), axis=(1, 2))
    cols = np.ascontiguousarray(windows.transpose(0, 1, 2, 4, 5, 3))  # (n, h, w, s, s, c)
    return cols.reshape(n * h * w, s * s * c)


def col2im(grad_cols, padded_shape, s):
    """The adjoint of im2col: scatter-add rows (n·h·w, s²c) back into an image ~ padded_shape,
    with s² slice-adds.

    >>> col2im(np.ones((4, 9)), (1, 4, 4, 1), 3)[0, :, :, 0]
    array([[1., 2., 2., 1.],
           [2., 4., 4., 2.],
           [2., 4., 4., 2.],
           [1., 2., 2., 1.]])
    """
    n, hp, wp, c = padded_shape
    h, w = hp - s + 1, wp - s + 1
    grad_cols = grad_cols.reshape(n, h, w, s, s, c)
    grad_padded = np.zeros(padded_shape, dtype=grad_cols.dtype)
    for a in range(s):
        for b in range(s):
            grad_padded[:, a : a + h, b : b + w, :] += grad_cols[:, :, :, a, b, :]
    return grad_padded


def conv_forward(x, weight, bias, k):
    """Conv2D 'same': y = im2col(pad(x)) W + b ~ (n·h·w, c'); also returns what backward needs.

    >>> y, cols, padded_shape = conv_forward(np.ones((1, 2, 2, 1)), np.ones((9, 1)), np.zeros(1), 1)
    >>> y.ravel(), cols.shape, padded_shape
    (array([4., 4., 4., 4.]), (4, 9), (1, 4, 4, 1))
    """
    x_padded = np.pad(x, ((0, 0), (k, k), (k, k), (0, 0)))
    cols = im2col(x_padded, 2 * k + 1)
    return cols @ weight + bias, cols, x_padded.shape


def conv_backward(grad_y, cols, padded_shape, weight, k, need_input=True):
    """Gradients of the conv for ∂L/∂y ~ (n·h·w, c'): (∂L/∂x or None, ∂L/∂W, ∂L/∂b).

    >>> _, cols, padded_shape = conv_forward(np.ones((1, 2, 2, 1)), np.ones((9, 1)), np.zeros(1), 1)
    >>> weight = np.ones((9, 1))
    >>> grad_x, grad_w, grad_b = conv_backward(np.ones((4, 1)), cols, padded_shape, weight, 1)
    >>> grad_x[0, :, :, 0], grad_b
    (array([[4., 4.],
           [4., 4.]]), array([4.]))
    """
    grad_w = cols.T @ grad_y
    grad_b = grad_y.sum(axis=0)
    if not need_input:
        return None, grad_w, grad_b
    grad_padded = col2im(grad_y @ weight.T, padded_shape, 2 * k + 1)
    hp, wp = padded_shape[1], padded_shape[2]
    return grad_padded[:, k : hp - k, k : wp - k, :], grad_w, grad_b


def conv_step(x, weight, bias, k=1):
    """W1/W2: L = Σ relu(conv(x)); returns (L, ∂L/∂x, ∂L/∂W, ∂L/∂b).

    >>> float(conv_step(np.ones((1, 2, 2, 1)), np.ones((9, 1)), np.zeros(1))[0])  # 4 pixels · 4
    16.0
    """
    y, cols, padded_shape = conv_forward(x, weight, bias, k)  # (n·h·w, c')
    loss = np.maximum(y, 0).sum()
    grad_y = (y > 0).astype(y.dtype)
    grad_x, grad_w, grad_b = conv_backward(grad_y, cols, padded_shape, weight, k)
    return loss, grad_x, grad_w, grad_b


def conv_matmul_floor(cols, weight, grad_y, out=None):
    """The three GEMMs of a conv step and nothing else: forward, ∂L/∂W and ∂L/∂cols.

    `out`, three arrays (y, ∂L/∂W, ∂L/∂cols), receives the products: timed as a floor, the
    GEMMs must not pay for fresh, zero-filled pages of new outputs (W2's ∂L/∂cols is 36 MiB,
    above what glibc ever reuses), which minigrad's matmul, writing into reused arrays, does not.

    >>> [a.shape for a in conv_matmul_floor(np.ones((6, 9)), np.ones((9, 2)), np.ones((6, 2)))]
    [(6, 2), (9, 2), (6, 9)]
    """
    y, grad_w, grad_cols = out or (None, None, None)
    y = np.matmul(cols, weight, out=y)
    grad_w = np.matmul(cols.T, grad_y, out=grad_w)
    grad_cols = np.matmul(grad_y, weight.T, out=grad_cols)
    return y, grad_w, grad_cols


# ---- W4: the MLP step ---------------------------------------------------------------------------


def cross_entropy(logits, labels):
    """Mean cross-entropy of integer labels and its gradient ∂L/∂logits (stable log-softmax).

    >>> loss, grad = cross_entropy(np.zeros((1, 2)), np.array([1]))
    >>> round(float(loss), 4), grad    # log 2; softmax − one-hot
    (0.6931, array([[ 0.5, -0.5]]))
    """
    n = logits.shape[0]
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = -log_probs[rows, labels].mean()
    grad = np.exp(log_probs)
    grad[rows, labels] -= 1
    return loss, grad / n


def mlp_step(x, labels, w1, b1, w2, b2):
    """W4: L = CE(relu(x W1 + b1) W2 + b2, labels); returns (L, ∂W1, ∂b1, ∂W2, ∂b2).

    >>> step = mlp_step(np.ones((2, 3)), np.array([0, 1]), np.ones((3, 4)), np.zeros(4),
    ...                 np.ones((4, 2)), np.zeros(2))
    >>> round(float(step[0]), 4), step[1].shape    # equal logits: log 2
    (0.6931, (3, 4))
    """
    h = x @ w1 + b1  # (n, 256)
    a = np.maximum(h, 0)
    logits = a @ w2 + b2  # (n, 10)
    loss, grad_logits = cross_entropy(logits, labels)
    grad_w2 = a.T @ grad_logits
    grad_b2 = grad_logits.sum(axis=0)
    grad_h = (grad_logits @ w2.T) * (h > 0)
    grad_w1 = x.T @ grad_h
    grad_b1 = grad_h.sum(axis=0)
    return loss, grad_w1, grad_b1, grad_w2, grad_b2


# ---- W5: the LeNet-like SGD step ----------------------------------------------------------------


def maxpool2(x):
    """2×2 max pooling of x ~ (n, h, w, c) with even h, w; returns (y, mask of the maxima).

    >>> y, mask = maxpool2(np.arange(16.0).reshape(1, 4, 4, 1))
    >>> y[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    n, h, w, c = x.shape
    blocks = x.reshape(n, h // 2, 2, w // 2, 2, c)
    y = blocks.max(axis=(2, 4))
    mask = blocks == y[:, :, None, :, None, :]
    return y, mask


def maxpool2_backward(grad_y, mask):
    """Route ∂L/∂y to the maxima of each 2×2 block: ∂L/∂x ~ (n, h, w, c).

    >>> _, mask = maxpool2(np.arange(4.0).reshape(1, 2, 2, 1))
    >>> maxpool2_backward(np.ones((1, 1, 1, 1)), mask)[0, :, :, 0]
    array([[0., 0.],
           [0., 1.]])
    """
    n, h2, _, w2, _, c = mask.shape
    grad_blocks = mask * grad_y[:, :, None, :, None, :]
    return grad_blocks.reshape(n, 2 * h2, 2 * w2, c)


def lenet_gradients(x, labels, params):
    """W5's forward and backward: conv 3×3 → relu → pool → conv 3×3 → relu → pool → dense → CE.

    params = [W1 (9·1, 8), b1, W2 (9·8, 16), b2, W3 (7·7·16, 10), b3]; returns (L, ∂params…).

    >>> params = [np.zeros(shape) for shape in [(9, 8), 8, (72, 16), 16, (784, 10), 10]]
    >>> round(float(lenet_gradients(np.ones((2, 28, 28, 1)), np.array([0, 1]), params)[0]), 4)
    2.3026
    """
    w1, b1, w2, b2, w3, b3 = params
    n, h, w, _ = x.shape
    y1, cols1, padded1 = conv_forward(x, w1, b1, 1)  # (n·h·w, 8)
    y1 = y1.reshape(n, h, w, -1)
    r1 = np.maximum(y1, 0)
    p1, mask1 = maxpool2(r1)  # (n, h/2, w/2, 8)
    y2, cols2, padded2 = conv_forward(p1, w2, b2, 1)  # (n·h/2·w/2, 16)
    y2 = y2.reshape(p1.shape[:3] + (-1,))
    r2 = np.maximum(y2, 0)
    p2, mask2 = maxpool2(r2)  # (n, h/4, w/4, 16)
    flat = p2.reshape(n, -1)
    logits = flat @ w3 + b3
    loss, grad_logits = cross_entropy(logits, labels)

    grad_w3 = flat.T @ grad_logits
    grad_b3 = grad_logits.sum(axis=0)
    grad_p2 = (grad_logits @ w3.T).reshape(p2.shape)
    grad_y2 = maxpool2_backward(grad_p2, mask2) * (y2 > 0)
    grad_p1, grad_w2, grad_b2 = conv_backward(
        grad_y2.reshape(-1, w2.shape[1]), cols2, padded2, w2, 1
    )
    grad_y1 = maxpool2_backward(grad_p1, mask1) * (y1 > 0)
    _, grad_w1, grad_b1 = conv_backward(
        grad_y1.reshape(-1, w1.shape[1]), cols1, padded1, w1, 1, need_input=False
    )
    return loss, grad_w1, grad_b1, grad_w2, grad_b2, grad_w3, grad_b3


def lenet_step(x, labels, params, lr):
    """W5: one SGD step, params ← params − lr · ∂L/∂params, in place; returns L.

    >>> params = [np.zeros(shape) for shape in [(9, 8), 8, (72, 16), 16, (784, 10), 10]]
    >>> _ = lenet_step(np.ones((2, 28, 28, 1)), np.array([0, 1]), params, lr=0.1)
    >>> params[5][:3]    # −0.1 · mean(softmax − one-hot) = −0.1 · (−0.4, −0.4, 0.1)
    array([ 0.04,  0.04, -0.01])
    """
    loss, *grads = lenet_gradients(x, labels, params)
    for param, grad in zip(params, grads):
        param -= lr * grad
    return loss
