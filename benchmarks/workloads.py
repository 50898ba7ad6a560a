"""The benchmark's workloads: their inputs, and their minigrad side (public API only: mg.nn,
mg.optim) and PyTorch side (only when torch is importable; never a dependency).

The numpy side of each workload is in references.py; run.py times them all."""

import math

import numpy as np

import minigrad as mg

DTYPE = np.float32
CONV_SIZES = {"W1": (32, 28, 28, 8, 16), "W2": (64, 32, 32, 16, 32)}  # (n, h, w, c, c')
CHAIN_LENGTH = 50  # W3: element-wise ops per chain

# ---- inputs (seeded, float32, channels-last) --------------------------------------------------


def _normal(rng, shape, scale=1.0):
    return rng.standard_normal(shape, dtype=DTYPE) * DTYPE(scale)


def conv_inputs(name, n=None, size=None, seed=0):
    """x ~ (n, h, w, c), W ~ (9c, c'), b ~ (c',) for the conv workload `name` (W1 or W2).

    >>> [a.shape for a in conv_inputs("W1", n=2)]
    [(2, 28, 28, 8), (72, 16), (16,)]
    """
    n_default, h, w, c, c_out = CONV_SIZES[name]
    n = n or n_default
    h = w = size or h
    rng = np.random.default_rng(seed)
    x = _normal(rng, (n, h, w, c))
    weight = _normal(rng, (9 * c, c_out), math.sqrt(2 / (9 * c)))
    bias = _normal(rng, (c_out,), 0.1)
    return x, weight, bias


def mlp_inputs(seed=0):
    """W4: a batch of 128 inputs of 784 features, labels in 0…9, and [W1, b1, W2, b2]."""
    rng = np.random.default_rng(seed)
    x = _normal(rng, (128, 784))
    labels = rng.integers(0, 10, 128)
    params = [
        _normal(rng, (784, 256), math.sqrt(2 / 784)),
        _normal(rng, (256,), 0.1),
        _normal(rng, (256, 10), math.sqrt(2 / 256)),
        _normal(rng, (10,), 0.1),
    ]
    return x, labels, params


def lenet_inputs(seed=0):
    """W5: 64 images 28×28×1, labels in 0…9, and the six parameters of the LeNet-like net."""
    rng = np.random.default_rng(seed)
    x = rng.random((64, 28, 28, 1), dtype=DTYPE)
    labels = rng.integers(0, 10, 64)
    params = [
        _normal(rng, (9, 8), math.sqrt(2 / 9)),
        _normal(rng, (8,), 0.1),
        _normal(rng, (72, 16), math.sqrt(2 / 72)),
        _normal(rng, (16,), 0.1),
        _normal(rng, (784, 10), math.sqrt(1 / 784)),
        _normal(rng, (10,), 0.1),
    ]
    return x, labels, params


def chain_inputs(seed=0):
    """W3: x, a, b ~ (16,) (0.5 ≤ b ≤ 0.9 keeps the values of a long chain bounded)."""
    rng = np.random.default_rng(seed)
    return _normal(rng, (16,)), _normal(rng, (16,), 0.1), rng.uniform(0.5, 0.9, 16).astype(DTYPE)


# ---- the minigrad side ------------------------------------------------------------------------


def _load(params, values):
    """Copy numpy arrays into parameters, so minigrad starts from the reference's weights."""
    for param, value in zip(params, values):
        param.data[...] = value


def minigrad_conv(x_np, weight_np, bias_np):
    """W1/W2: L = Σ relu(Conv2D(x)); a step returns (L, ∂L/∂x, ∂L/∂W, ∂L/∂b) as arrays."""
    c, c_out = x_np.shape[-1], weight_np.shape[1]
    x = mg.Tensor(x_np, requires_grad=True)
    conv = mg.nn.Conv2D(c, c_out, 3, padding="same")
    _load([conv.weight, conv.bias], [weight_np, bias_np])

    def step():
        x.grad = None
        conv.zero_grad()
        loss = conv(x).relu().sum()
        loss.backward()
        return loss.item(), x.grad.data, conv.weight.grad.data, conv.bias.grad.data

    return step


def minigrad_mlp(x_np, labels, params_np):
    """W4: L = CE(Dense(relu(Dense(x)))); a step returns (L, ∂W1, ∂b1, ∂W2, ∂b2) as arrays."""
    nn = mg.nn
    x = mg.Tensor(x_np)
    model = nn.Sequential(nn.Dense(784, 256), nn.ReLU(), nn.Dense(256, 10))
    params = list(model.parameters())
    _load(params, params_np)

    def step():
        model.zero_grad()
        loss = nn.functional.cross_entropy(model(x), labels)
        loss.backward()
        return (loss.item(), *(param.grad.data for param in params))

    return step


def minigrad_lenet(x_np, labels, params_np, lr):
    """W5: the LeNet-like net. Returns (step, gradients): `step()` is one SGD step;
    `gradients()` returns (L, ∂params…) as arrays without updating."""
    nn = mg.nn
    x = mg.Tensor(x_np)
    model = nn.Sequential(
        nn.Conv2D(1, 8, 3),
        nn.ReLU(),
        nn.MaxPool2D(2),
        nn.Conv2D(8, 16, 3),
        nn.ReLU(),
        nn.MaxPool2D(2),
        nn.Vect(),
        nn.Dense(7 * 7 * 16, 10),
    )
    params = list(model.parameters())
    _load(params, params_np)
    optimizer = mg.optim.SGD(params, lr=lr)

    def gradients():
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x), labels)
        loss.backward()
        return (loss.item(), *(param.grad.data for param in params))

    def step():
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), labels).backward()
        optimizer.step()

    return step, gradients


def minigrad_chain(x_np, a_np, b_np, length=CHAIN_LENGTH):
    """W3: `length` ops (add, mul, tanh cycling) on x ~ (16,), then sum and backward."""
    x = mg.Tensor(x_np, requires_grad=True)
    a, b = mg.Tensor(a_np), mg.Tensor(b_np)

    def step():
        x.grad = None
        chain(x, a, b, length, mg.tanh).sum().backward()

    return step


def chain(x, a, b, length, tanh):
    """y = x, then `length` times, cycling: y + a, y · b, tanh(y) — with any engine's tensors.

    >>> round(float(chain(np.float32(0.5), 1.0, 2.0, 3, np.tanh)), 4)  # tanh((0.5 + 1) · 2)
    0.9951
    """
    y = x
    for i in range(length):
        step = i % 3
        if step == 0:
            y = y + a
        elif step == 1:
            y = y * b
        else:
            y = tanh(y)
    return y


def minigrad_steady(seed=0):
    """A train-like step of a small MLP (16 → 32 → 1, tanh, MSE, SGD) whose loss is dropped."""
    nn = mg.nn
    rng = np.random.default_rng(seed)
    x, target = mg.Tensor(_normal(rng, (32, 16))), mg.Tensor(_normal(rng, (32, 1)))
    model = nn.Sequential(nn.Dense(16, 32, seed=seed), nn.Tanh(), nn.Dense(32, 1, seed=seed))
    optimizer = mg.optim.SGD(model.parameters(), lr=0.01)

    def step():
        optimizer.zero_grad()
        nn.functional.mse_loss(model(x), target).backward()
        optimizer.step()

    return step


# ---- the PyTorch side (never imported unless torch is installed) ------------------------------


def torch_conv(x_np, weight_np, bias_np):
    """W1/W2 in PyTorch's native layout (NCHW), with the same weights."""
    import torch

    s, c, c_out = 3, x_np.shape[-1], weight_np.shape[1]
    x = torch.tensor(x_np.transpose(0, 3, 1, 2).copy(), requires_grad=True)
    kernel = weight_np.reshape(s, s, c, c_out).transpose(3, 2, 0, 1).copy()  # (c', c, s, s)
    weight = torch.tensor(kernel, requires_grad=True)
    bias = torch.tensor(bias_np, requires_grad=True)

    def step():
        for tensor in (x, weight, bias):
            tensor.grad = None
        torch.nn.functional.conv2d(x, weight, bias, padding=1).relu().sum().backward()

    return step


def torch_mlp(x_np, labels, params_np):
    """W4 in PyTorch."""
    import torch

    x, target = torch.tensor(x_np), torch.tensor(labels, dtype=torch.long)
    params = [torch.tensor(value, requires_grad=True) for value in params_np]
    w1, b1, w2, b2 = params

    def step():
        for param in params:
            param.grad = None
        logits = (x @ w1 + b1).relu() @ w2 + b2
        torch.nn.functional.cross_entropy(logits, target).backward()

    return step


def torch_lenet(x_np, labels, lr):
    """W5 in PyTorch (NCHW), with its own initial weights (the time does not depend on them)."""
    import torch

    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(7 * 7 * 16, 10),
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    x = torch.tensor(x_np.transpose(0, 3, 1, 2).copy())
    target = torch.tensor(labels, dtype=torch.long)

    def step():
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), target).backward()
        optimizer.step()

    return step


def torch_chain(x_np, a_np, b_np, length=CHAIN_LENGTH):
    """W3 in PyTorch."""
    import torch

    x = torch.tensor(x_np, requires_grad=True)
    a, b = torch.tensor(a_np), torch.tensor(b_np)

    def step():
        x.grad = None
        chain(x, a, b, length, torch.tanh).sum().backward()

    return step
