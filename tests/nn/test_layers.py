"""Tests of Dense, Conv2D and Local: gradients (input and every parameter), Conv2D against the
notes' formula written as a loop, Conv2D = Local with tied weights, parameter counts, errors."""

import numpy as np
import pytest
from helpers import rand, seeds
from hypothesis import assume, given
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn


def image(*shape, seed=0):
    return mg.Tensor(rand(*shape, seed=seed))


def conv_by_the_notes(x, weight, bias, k, padding, stride):
    """H_ij = vect(P_k(i, j))ᵀ W + bᵀ, one output pixel at a time (P_k inclusive)."""
    if padding == "same":
        x = np.pad(x, ((0, 0), (k, k), (k, k), (0, 0)))
    n, h, w, _ = x.shape
    centres_i = range(k, h - k, stride)
    centres_j = range(k, w - k, stride)
    out = np.zeros((n, len(centres_i), len(centres_j), weight.shape[1]))
    for b in range(n):
        for i, ci in enumerate(centres_i):
            for j, cj in enumerate(centres_j):
                patch = x[b, ci - k : ci + k + 1, cj - k : cj + k + 1, :]
                out[b, i, j] = patch.reshape(-1) @ weight + (0 if bias is None else bias)
    return out


@given(
    seed=seeds,
    n=st.integers(1, 2),
    h=st.integers(1, 7),
    w=st.integers(1, 7),
    c=st.integers(1, 3),
    c_out=st.integers(1, 3),
    k=st.integers(0, 2),
    padding=st.sampled_from(["same", "valid"]),
    stride=st.integers(1, 3),
    bias=st.booleans(),
)
def test_conv2d_is_the_notes_formula(seed, n, h, w, c, c_out, k, padding, stride, bias):
    # Batch of 1, 1-pixel sides, and a kernel as large as (or, with "same", larger than) the
    # image; "valid" needs the kernel to fit (the error is tested on its own).
    assume(padding == "same" or min(h, w) >= 2 * k + 1)
    conv = nn.Conv2D(c, c_out, 2 * k + 1, padding=padding, bias=bias, stride=stride, seed=seed)
    if bias:
        conv.bias.data = rand(c_out, seed=seed + 1).astype(np.float32)
    x = rand(n, h, w, c, seed=seed)
    out = conv(mg.Tensor(x))
    expected = conv_by_the_notes(
        x, conv.weight.data, None if not bias else conv.bias.data, k, padding, stride
    )
    assert out.shape == expected.shape
    np.testing.assert_allclose(out.data, expected, rtol=1e-5, atol=1e-5)


def test_conv2d_output_shapes_follow_the_notes():
    x = image(2, 9, 7, 3)
    assert nn.Conv2D(3, 4, 5, padding="same", seed=0)(x).shape == (2, 9, 7, 4)
    assert nn.Conv2D(3, 4, 5, padding="valid", seed=0)(x).shape == (2, 5, 3, 4)  # h − 2k
    assert nn.Conv2D(3, 4, 3, stride=2, seed=0)(x).shape == (2, 5, 4, 4)  # ⌈h/2⌉, ⌈w/2⌉


def test_conv2d_weight_rows_are_in_patch_order():
    # W row (a·s + b)·c + channel multiplies pixel (i − k + a, j − k + b) channel `channel`.
    s, c = 3, 2
    conv = nn.Conv2D(c, 1, s, padding="valid", bias=False, seed=0)
    a, b, channel = 2, 0, 1
    conv.weight.data[:] = 0
    conv.weight.data[(a * s + b) * c + channel, 0] = 1
    x = rand(1, 3, 3, c)
    assert conv(mg.Tensor(x)).data[0, 0, 0, 0] == pytest.approx(x[0, a, b, channel])


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_conv2d_equals_local_with_every_w_ij_the_conv_w(padding):
    conv = nn.Conv2D(2, 3, 3, padding=padding, seed=0)
    conv.bias.data = rand(3, seed=1).astype(np.float32)
    local = nn.Local((5, 6, 2), 3, 3, padding=padding, seed=1)
    local.weight.data[:] = conv.weight.data  # broadcast W to every (i, j)
    local.bias.data[:] = conv.bias.data
    x = image(2, 5, 6, 2, seed=2)
    np.testing.assert_allclose(local(x).data, conv(x).data, rtol=1e-5, atol=1e-6)


def test_local_is_the_notes_formula_with_its_own_w_ij():
    k, s = 1, 3
    local = nn.Local((5, 4, 2), 3, s, seed=0)
    local.bias.data = rand(*local.bias.shape, seed=3).astype(np.float32)
    x = rand(2, 5, 4, 2, seed=4)
    out = local(mg.Tensor(x)).data
    assert out.shape == (2, 3, 2, 3)
    for i in range(3):
        for j in range(2):
            ci, cj = i + k, j + k
            patch = x[:, ci - k : ci + k + 1, cj - k : cj + k + 1, :].reshape(2, -1)
            expected = patch @ local.weight.data[i, j] + local.bias.data[i, j]
            np.testing.assert_allclose(out[:, i, j], expected, rtol=1e-5, atol=1e-6)


def local_by_the_notes(x, weight, bias, k, padding):
    """H_ij = vect(P_k(i, j))ᵀ W_ij + b_ij, one output pixel at a time, each with its own W_ij."""
    if padding == "same":
        x = np.pad(x, ((0, 0), (k, k), (k, k), (0, 0)))
    n, h_out, w_out, c_out = x.shape[0], weight.shape[0], weight.shape[1], weight.shape[3]
    out = np.zeros((n, h_out, w_out, c_out))
    for i in range(h_out):
        for j in range(w_out):
            ci, cj = i + k, j + k  # the centre, in the padded image when padding="same"
            patch = x[:, ci - k : ci + k + 1, cj - k : cj + k + 1, :].reshape(n, -1)
            out[:, i, j] = patch @ weight[i, j] + (0 if bias is None else bias[i, j])
    return out


@given(
    seed=seeds,
    n=st.integers(1, 2),
    h=st.integers(1, 6),
    w=st.integers(1, 6),
    c=st.integers(1, 3),
    c_out=st.integers(1, 3),
    k=st.integers(0, 2),
    padding=st.sampled_from(["same", "valid"]),
    bias=st.booleans(),
)
def test_local_is_the_notes_formula_on_random_shapes(seed, n, h, w, c, c_out, k, padding, bias):
    assume(padding == "same" or min(h, w) >= 2 * k + 1)  # "valid" needs the kernel to fit
    local = nn.Local((h, w, c), c_out, 2 * k + 1, padding=padding, bias=bias, seed=seed)
    if bias:
        local.bias.data = rand(*local.bias.shape, seed=seed + 1).astype(np.float32)
    x = rand(n, h, w, c, seed=seed)
    out = local(mg.Tensor(x))
    b = None if local.bias is None else local.bias.data
    expected = local_by_the_notes(x, local.weight.data, b, k, padding)
    assert out.shape == expected.shape == (n, *local.out_shape)
    np.testing.assert_allclose(out.data, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("leading", [(), (2,), (2, 5)], ids=["one vector", "batch", "2 axes"])
def test_dense_takes_any_leading_axes(leading):
    dense = nn.Dense(4, 3, seed=0)
    x = rand(*leading, 4)
    y = dense(mg.Tensor(x))
    expected = x @ dense.weight.data + dense.bias.data
    assert y.shape == (*leading, 3)
    np.testing.assert_allclose(y.data, expected, rtol=1e-6)


def test_dense_is_x_w_plus_b():
    dense = nn.Dense(4, 3, seed=0)
    dense.bias.data = rand(3, seed=1).astype(np.float32)
    x = rand(5, 4)
    expected = x @ dense.weight.data + dense.bias.data
    np.testing.assert_allclose(dense(mg.Tensor(x)).data, expected, rtol=1e-6)
    assert dense(mg.Tensor(rand(2, 3, 4))).shape == (2, 3, 3)  # any leading axes


LAYERS = {
    "dense": (lambda: nn.Dense(4, 3, seed=0), (2, 4)),
    "dense_no_bias": (lambda: nn.Dense(4, 3, bias=False, seed=0), (2, 4)),
    "conv_same": (lambda: nn.Conv2D(2, 3, 3, seed=0), (2, 4, 5, 2)),
    "conv_valid_stride": (
        lambda: nn.Conv2D(2, 2, 3, padding="valid", stride=2, seed=0),
        (1, 5, 6, 2),
    ),
    "conv_1x1": (lambda: nn.Conv2D(3, 2, 1, seed=0), (2, 3, 3, 3)),
    "local_valid": (lambda: nn.Local((4, 5, 2), 2, 3, seed=0), (2, 4, 5, 2)),
    "local_same_no_bias": (
        lambda: nn.Local((3, 3, 1), 2, 3, padding="same", bias=False, seed=0),
        (2, 3, 3, 1),
    ),
    "vect_unvect": (lambda: nn.Sequential(nn.Vect(), nn.Unvect((3, 2, 1))), (2, 3, 2, 1)),
    "activations": (lambda: nn.Sequential(nn.Tanh(), nn.Sigmoid()), (2, 3)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_gradients_for_input_and_every_parameter(name):
    make, shape = LAYERS[name]
    layer = make()
    x = mg.Tensor(rand(*shape, seed=5))
    assert mg.gradcheck(layer, x, params=layer)
    assert all(p.dtype == np.float32 for p in layer.parameters())  # restored after the check


def test_layer_gradients_reach_the_parameters_with_backward():
    conv = nn.Conv2D(1, 2, 3, seed=0)
    conv(image(2, 4, 4, 1)).sum().backward()
    assert conv.weight.grad.shape == (9, 2)
    np.testing.assert_allclose(conv.bias.grad.data, [32.0, 32.0])  # n·h·w ones


def test_layers_have_no_backward_of_their_own():
    for layer in (nn.Dense, nn.Conv2D, nn.Local, nn.MaxPool2D, nn.AvgPool2D, nn.Vect):
        assert not hasattr(layer, "backward")
    x = mg.Tensor(rand(1, 4, 4, 1), requires_grad=True)
    loss = nn.Conv2D(1, 2, 3, seed=0)(x).sum()
    names = set()
    stack = [loss.grad_fn]
    while stack:
        fn = stack.pop()
        names.add(fn.name)
        stack += [t.grad_fn for t in fn.inputs if t.grad_fn is not None]
    assert names == {"Sum", "Reshape", "Add", "MatMul", "Patches", "Pad"}


def ops_of(loss):
    """The names of the ops in loss's graph, one per node, sorted."""
    names, stack, seen = [], [loss.grad_fn], set()
    while stack:
        fn = stack.pop()
        if id(fn) not in seen:
            seen.add(id(fn))
            names.append(fn.name)
            stack += [t.grad_fn for t in fn.inputs if t.grad_fn is not None]
    return sorted(names)


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_local_is_one_batched_matmul_whatever_the_image_size(padding):
    """The issue: Local is "computed with batched matmuls, not a Python loop over pixels". A loop
    would add nodes per output pixel; the graph must be the same few ops for 4×4 and 9×7."""
    graphs = []
    for shape in ((1, 4, 4, 1), (2, 9, 7, 2)):
        local = nn.Local(shape[1:], 3, 3, padding=padding, seed=0)
        x = mg.Tensor(rand(*shape), requires_grad=True)
        graphs.append(ops_of(local(x).sum()))
    assert graphs[0] == graphs[1]
    assert graphs[0].count("MatMul") == 1 and graphs[0].count("Patches") == 1


@given(
    h=st.integers(3, 30),
    w=st.integers(3, 30),
    c=st.integers(1, 4),
    c_out=st.integers(1, 4),
    k=st.integers(0, 1),
)
def test_parameter_counts_are_the_notes_formulas(h, w, c, c_out, k):
    s = 2 * k + 1
    dense = nn.Dense(h * w * c, h * w * c_out, bias=False, seed=0)
    assert dense.num_parameters() == (h * w) ** 2 * c * c_out
    local = nn.Local((h, w, c), c_out, s, padding="same", seed=0)
    assert local.num_parameters() == h * w * s * s * c * c_out + h * w * c_out
    valid = nn.Local((h, w, c), c_out, s, bias=False, seed=0)
    assert valid.num_parameters() == (h - 2 * k) * (w - 2 * k) * s * s * c * c_out
    conv = nn.Conv2D(c, c_out, s, seed=0)
    assert conv.num_parameters() == s * s * c * c_out + c_out


def test_weight_shapes_follow_the_design():
    assert nn.Dense(6, 4, seed=0).weight.shape == (6, 4)
    conv = nn.Conv2D(3, 8, 5, seed=0)
    assert (conv.weight.shape, conv.bias.shape) == ((75, 8), (8,))
    local = nn.Local((7, 6, 2), 4, 3, seed=0)
    assert (local.weight.shape, local.bias.shape) == ((5, 4, 18, 4), (5, 4, 4))
    assert (conv.k, conv.kernel_size, conv.padding, conv.stride) == (2, 5, "same", 1)
    assert (local.in_shape, local.in_channels, local.out_channels) == ((7, 6, 2), 2, 4)
    assert (local.kernel_size, local.padding, local.stride) == (3, "valid", 1)


def test_initializers_are_seeded_and_scaled():
    a = nn.Conv2D(4, 8, 3, seed=1).weight.data
    b = nn.Conv2D(4, 8, 3, seed=1).weight.data
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, nn.Conv2D(4, 8, 3, seed=2).weight.data)
    big = nn.Dense(500, 400, seed=0).weight.data
    assert big.std() == pytest.approx(np.sqrt(2 / 500), rel=0.05)  # He: 2 / fan_in
    glorot = nn.Dense(500, 400, init="glorot", seed=0).weight.data
    assert glorot.std() == pytest.approx(np.sqrt(2 / 900), rel=0.05)  # U(−a, a): a²/3
    rng = np.random.default_rng(0)
    first, second = nn.Dense(3, 3, seed=rng), nn.Dense(3, 3, seed=rng)
    assert not np.array_equal(first.weight.data, second.weight.data)  # one stream, advancing


@pytest.mark.parametrize("init", ["he", "glorot"])
def test_conv_and_local_initializers_use_the_fans_of_a_patch(init):
    """fan_in = s²·c (the numbers each output sums) and fan_out = s²·c', as for PyTorch's conv."""
    s, c, c_out = 3, 16, 32
    fan_in, fan_out = s * s * c, s * s * c_out
    std = np.sqrt(2 / fan_in) if init == "he" else np.sqrt(6 / (fan_in + fan_out) / 3)
    conv = nn.Conv2D(c, c_out, s, init=init, seed=0)
    local = nn.Local((4, 4, c), c_out, s, init=init, seed=0)
    for layer in (conv, local):
        assert layer.weight.data.std() == pytest.approx(std, rel=0.05)


@pytest.mark.parametrize(
    "make",
    [
        lambda fan: nn.init.he_normal((3, 3), fan),
        lambda fan: nn.init.glorot_uniform((3, 3), fan, 3),
        lambda fan: nn.init.glorot_uniform((3, 3), 3, fan),
    ],
)
@pytest.mark.parametrize("fan", [0, -1, 2.5, "8"])
def test_initializers_refuse_a_fan_that_is_not_a_count(make, fan):
    # 0 divided by zero, and −1 gave NaN weights without a word
    with pytest.raises(ValueError, match=r"nn\.init\.(he_normal|glorot_uniform): fan_(in|out) mu"):
        make(fan)


# ---- errors ---------------------------------------------------------------------------------
def test_conv2d_wrong_channels_hints_channels_first():
    conv = nn.Conv2D(3, 4, 3, seed=0)
    with pytest.raises(ValueError, match=r"c=3; got shape \(2, 3, 8, 8\).*channels-first"):
        conv(image(2, 3, 8, 8))
    with pytest.raises(ValueError, match="c=3") as error:
        conv(image(2, 8, 8, 1))
    assert "channels-first" not in str(error.value)
    assert "It gets c=1: build it for c=1, or change what comes before it" in str(error.value)
    # A channels-first grayscale batch for a colour layer: (n, 1, 28, 28), square images.
    with pytest.raises(ValueError, match=r"channels-first .* 1-channel .*built for c=3"):
        conv(image(2, 1, 28, 28))


@pytest.mark.parametrize("layer", ["conv", "local", "maxpool", "avgpool"])
def test_spatial_layers_want_four_axes(layer):
    make = {
        "conv": lambda: nn.Conv2D(1, 2, 3, seed=0),
        "local": lambda: nn.Local((4, 4, 1), 2, 3, seed=0),
        "maxpool": lambda: nn.MaxPool2D(2),
        "avgpool": lambda: nn.AvgPool2D(2),
    }[layer]()
    name = type(make).__name__  # the message names the layer, what it expects and what it got
    with pytest.raises(ValueError, match=rf"^{name} expects a batch of images \(n, h, w, c\) "
                       r"with 4 axes; got shape \(4, 4, 1\)\..*reshape\(1, h, w, c\)"):  # fmt: skip
        make(image(4, 4, 1))
    with pytest.raises(ValueError, match=rf"^{name} .*4 axes; got shape \(2, 16\)\."):
        make(image(2, 16))
    for shape in ((2, 4, 4, 1, 1), (16,)):  # neither one image nor a flat batch: no hint
        with pytest.raises(ValueError, match=r"4 axes; got shape \(.*\)\.$"):
            make(image(*shape))


def test_one_channels_first_image_gets_the_channels_first_hint():
    with pytest.raises(ValueError, match=r"one channels-first image \(c, h, w\); use "
                       r"x\.transpose\(1, 2, 0\)\.reshape\(1, 28, 28, 3\)\.$"):  # fmt: skip
        nn.Conv2D(3, 8, 3, seed=0)(image(3, 28, 28))


def test_a_grayscale_batch_without_channel_axis_is_recognised():
    with pytest.raises(ValueError, match=r"got shape \(32, 28, 28\)\. Its last axis is not c=1, "
                       r"so it looks like a batch of 32 grayscale images .*"
                       r"x\.reshape\(32, 28, 28, 1\)\.$") as error:  # fmt: skip
        nn.Conv2D(1, 8, 3, seed=0)(image(32, 28, 28))
    assert "single image" not in str(error.value)
    with pytest.raises(ValueError, match=r"grayscale.*Local was built for c=2 channels"):
        nn.Local((28, 28, 2), 2, 3, seed=0)(image(32, 28, 28))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: nn.Conv2D(0, 8, 3), "Conv2D: in_channels must be an int ≥ 1 .*got 0"),
        (lambda: nn.Conv2D(3, -1, 3), "Conv2D: out_channels must be an int ≥ 1 .*got -1"),
        (lambda: nn.Conv2D(2.5, 8, 3), "Conv2D: in_channels .*got 2.5"),
        (lambda: nn.Dense(0, 3), "Dense: in_features must be an int ≥ 1 .*got 0"),
        (lambda: nn.Dense(4, -2), "Dense: out_features must be an int ≥ 1 .*got -2"),
        (lambda: nn.Dense("4", 2), "Dense: in_features .*got '4'"),
        (lambda: nn.Dense(True, 2), "Dense: in_features .*got True"),
        (lambda: nn.Local((5, 5, 1), 0, 3), "Local: out_channels must be an int ≥ 1 .*got 0"),
        (lambda: nn.Local((5, 5, 0), 2, 3), r"Local: in_shape\[2\] \(c\) must be .*got 0"),
        (lambda: nn.Local((5, -5, 1), 2, 3), r"Local: in_shape\[1\] \(w\) must be .*got -5"),
    ],
)
def test_sizes_must_be_positive_ints(make, message):
    with pytest.raises(ValueError, match=message):
        make()
    assert nn.Dense(np.int64(2), 3, seed=0).in_features == 2  # numpy ints are ints


@pytest.mark.parametrize("kernel_size", [2, 4, 0, -1, 3.0, True, "3"])
def test_even_or_invalid_kernel_size(kernel_size):
    with pytest.raises(ValueError, match="Conv2D: kernel_size must be an odd int"):
        nn.Conv2D(1, 2, kernel_size)
    with pytest.raises(ValueError, match="Local: kernel_size must be an odd int"):
        nn.Local((5, 5, 1), 2, kernel_size)


def test_even_kernel_size_suggests_its_odd_neighbours():
    with pytest.raises(ValueError, match="got 4. Use 3 or 5 instead"):
        nn.Conv2D(1, 2, 4)


def test_valid_padding_on_an_image_smaller_than_the_kernel():
    conv = nn.Conv2D(1, 2, 5, padding="valid", seed=0)
    with pytest.raises(ValueError, match=r"Conv2D: padding='valid' needs .* 5×5.*h=3, w=6"):
        conv(image(1, 3, 6, 1))
    with pytest.raises(ValueError, match=r"Local: padding='valid' needs .* 5×5.*h=3, w=6 "
                       r"\(in_shape \(3, 6, 1\)\)"):  # fmt: skip
        nn.Local((3, 6, 1), 2, 5)
    with pytest.raises(ValueError, match=r"Conv2D: padding='valid' needs .* 5×5.*h=6, w=3"):
        conv(image(1, 6, 3, 1))  # only w too small
    with pytest.raises(ValueError, match=r"Local: padding='valid' needs .* 5×5.*h=6, w=3"):
        nn.Local((6, 3, 1), 2, 5)


def test_local_given_an_image_of_another_size():
    local = nn.Local((5, 5, 2), 3, 3, seed=0)
    with pytest.raises(ValueError, match=r"\(h, w\) = \(5, 5\).*got input shape \(1, 6, 5, 2\)"):
        local(image(1, 6, 5, 2))
    with pytest.raises(ValueError, match="c=2.*channels-first"):
        local(image(1, 2, 5, 5))


def test_other_construction_errors():
    with pytest.raises(ValueError, match="padding must be 'same'.*or 'valid'"):
        nn.Conv2D(1, 2, 3, padding="full")
    with pytest.raises(ValueError, match="Local: padding must be 'same'.*or 'valid'"):
        nn.Local((5, 5, 1), 2, 3, padding="full")
    with pytest.raises(ValueError, match="Conv2D: stride must be an int ≥ 1"):
        nn.Conv2D(1, 2, 3, stride=0)
    with pytest.raises(ValueError, match=r"Conv2D: stride must be an int ≥ 1 \(.*\); got True"):
        nn.Conv2D(1, 2, 3, stride=True)
    with pytest.raises(ValueError, match="MaxPool2D: size must be an int ≥ 1 .*got True"):
        nn.MaxPool2D(True)
    with pytest.raises(ValueError, match=r"in_shape must be \(h, w, c\)"):
        nn.Local((5, 5), 2, 3)
    with pytest.raises(ValueError, match="init must be one of"):
        nn.Dense(2, 2, init="zeros")
    with pytest.raises(TypeError, match="Dense: seed must be an int, a numpy Generator"):
        nn.Dense(2, 2, seed="zero")
    with pytest.raises(ValueError, match=r"Conv2D: seed must be an int ≥ 0 .*got -1"):
        nn.Conv2D(1, 2, 3, seed=-1)  # numpy's own message named neither the layer nor seed
    with pytest.raises(TypeError, match="Local: seed must be an int.*got bool"):
        nn.Local((5, 5, 1), 2, 3, seed=True)


def test_dense_and_unvect_errors():
    with pytest.raises(ValueError, match=r"in_features=64; got shape \(2, 8, 8, 1\).*nn.Vect"):
        nn.Dense(64, 10, seed=0)(image(2, 8, 8, 1))
    with pytest.raises(ValueError, match=r"\(1, 8, 8, 1\)\. Flatten each example first"):
        nn.Dense(64, 10, seed=0)(image(1, 8, 8, 1))  # a batch of one image, no Vect
    model = nn.Sequential(nn.Vect(), nn.Dense(64, 10, seed=0))  # one image, no batch axis
    with pytest.raises(ValueError, match=r"got shape \(8, 8\)\. .*one example, give it a batch "
                       r"axis before nn\.Vect\(\)"):  # fmt: skip
        model(image(8, 8, 1))
    with pytest.raises(ValueError, match=r"Unvect\(3, 3, 2\) expects .*\(n, 18\)"):
        nn.Unvect((3, 3, 2))(image(2, 17))
    with pytest.raises(ValueError, match=r"Vect expects a batch \(n, \.\.\.\); got a scalar"):
        nn.Vect()(mg.Tensor(1.0))
    assert nn.Vect()(image(3)).shape == (3, 1)  # a batch of numbers: one feature each
    with pytest.raises(ValueError, match=r"Unvect\(3, 3, 2\) expects .*\(n, 18\); got shape"):
        nn.Unvect((3, 3, 2))(image(2, 18, 1))
    for shape in ((), (2, 5)):  # no hint applies: the shapes alone
        with pytest.raises(ValueError, match=r"in_features=4; got shape \(.*\)\.$"):
            nn.Dense(4, 3, seed=0)(image(*shape))


def test_reprs_show_the_settings():
    assert repr(nn.Conv2D(1, 8, 3, seed=0)) == "Conv2D(1, 8, kernel_size=3, padding='same')"
    assert "stride=2" in repr(nn.Conv2D(1, 8, 3, stride=2, seed=0))
    assert repr(nn.Local((5, 5, 1), 2, 3, bias=False, seed=0)) == (
        "Local(in_shape=(5, 5, 1), out_channels=2, kernel_size=3, padding='valid', bias=False)"
    )
    assert repr(nn.Dense(3, 2, seed=0)) == "Dense(3, 2, bias=True)"
    assert repr(nn.Unvect((3, 3, 2))) == "Unvect((3, 3, 2))"


@pytest.mark.parametrize(
    ("layer", "function"),
    [
        (nn.ReLU(), lambda x: np.maximum(x, 0.0)),
        (nn.Tanh(), np.tanh),
        (nn.Sigmoid(), lambda x: 1.0 / (1.0 + np.exp(-x))),
    ],
    ids=["relu", "tanh", "sigmoid"],
)
def test_activation_layers_apply_their_function(layer, function):
    x = rand(2, 3, 4)
    np.testing.assert_allclose(layer(mg.Tensor(x)).data, function(x), rtol=1e-12)


def test_second_order_gradients_flow_through_the_composed_layers():
    # Layers are compositions of primitives whose backward is written with Tensor ops, so a
    # layer is differentiable twice with no extra code.
    conv = nn.Conv2D(1, 2, 3, seed=0)
    assert mg.gradgradcheck(lambda x: conv(x).tanh(), image(1, 3, 3, 1), params=conv)
    local = nn.Local((3, 3, 1), 1, 3, seed=0)
    assert mg.gradgradcheck(lambda x: local(x).tanh(), image(2, 3, 3, 1), params=local)


@pytest.mark.parametrize("init", ["he", "glorot"])
@pytest.mark.parametrize(
    "make",
    [
        lambda init, seed: nn.Dense(4, 3, init=init, seed=seed),
        lambda init, seed: nn.Conv2D(2, 3, 3, init=init, seed=seed),
        lambda init, seed: nn.Local((4, 4, 1), 2, 3, init=init, seed=seed),
    ],
    ids=["dense", "conv", "local"],
)
def test_every_initializer_honours_the_seed(make, init):
    np.testing.assert_array_equal(make(init, 0).weight.data, make(init, 0).weight.data)
    assert not np.array_equal(make(init, 0).weight.data, make(init, 1).weight.data)


@pytest.mark.parametrize(
    "layer",
    [
        lambda: nn.Conv2D(1, 2, 3, seed=0),
        lambda: nn.Conv2D(1, 2, 3, padding="valid", seed=0),
        lambda: nn.Local((4, 4, 1), 2, 3, seed=0),
        lambda: nn.Vect(),
    ],
)
def test_layers_take_an_empty_batch(layer):
    """As numpy and PyTorch do: n = 0 gives n = 0, and zero gradients (review)."""
    x = mg.Tensor(np.zeros((0, 4, 4, 1)), requires_grad=True)
    model = layer()
    y = model(x)
    assert y.shape[0] == 0
    y.sum().backward()
    assert x.grad.shape == x.shape
    for p in model.parameters():
        np.testing.assert_array_equal(p.grad.data, 0.0)


@pytest.mark.parametrize(
    ("shape", "error", "message"),
    [
        ((3, 2.9, 1), TypeError, r"Unvect: a shape is an int or a sequence of ints; got \(3, 2.9"),
        ((True, 6), TypeError, r"Unvect: a shape is .*got \(True, 6\)"),
        ((-1, 2), ValueError, r"Unvect: every size of shape .* must be ≥ 1; got \(-1, 2\)"),
        ((0, 2), ValueError, r"Unvect: every size .*got \(0, 2\)"),
    ],
)
def test_unvect_refuses_a_shape_that_is_not_sizes(shape, error, message):
    """(review) Unvect((3, 2.9, 1)) was cut to (3, 2, 1) and reshaped 6 numbers to it."""
    with pytest.raises(error, match=message):
        nn.Unvect(shape)
    assert nn.Unvect(18)(image(2, 18)).shape == (2, 18)  # an int is a shape, as numpy takes it


def test_local_in_shape_that_is_not_a_sequence_gets_the_layers_error():
    with pytest.raises(ValueError, match=r"Local: in_shape must be \(h, w, c\) .*got 28\."):
        nn.Local(28, 2, 3)  # was: TypeError: 'int' object is not iterable


@pytest.mark.parametrize(
    "layer",
    [
        lambda: nn.Dense(4, 3, seed=0),
        lambda: nn.Conv2D(2, 3, 3, seed=0),
        lambda: nn.Local((4, 4, 2), 3, 3, seed=0),
        lambda: nn.MaxPool2D(2),
    ],
    ids=["dense", "conv", "local", "maxpool"],
)
def test_layers_compute_in_the_common_dtype_of_input_and_parameters(layer):
    """As documented in docs/reference/nn.md: a float64 batch through float32 parameters
    gives a float64 output and x.grad (numpy's promotion); the parameters' gradients stay
    float32, their own dtype."""
    model = layer()
    shape = (2, 4) if isinstance(model, nn.Dense) else (2, 4, 4, 2)
    x = mg.Tensor(rand(*shape), requires_grad=True)
    y = model(x)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == np.float64
    assert all(p.grad.dtype == np.float32 for p in model.parameters())
    assert model(mg.Tensor(rand(*shape).astype(np.float32))).dtype == np.float32


@pytest.mark.parametrize(
    "layer, shape",
    [
        (lambda: nn.Dense(4, 3, seed=0), (2, 4)),
        (lambda: nn.Conv2D(2, 3, 3, seed=0), (1, 4, 4, 2)),
        (lambda: nn.Local((4, 4, 2), 3, 3, seed=0), (1, 4, 4, 2)),
        (lambda: nn.MaxPool2D(2), (1, 4, 4, 2)),
        (lambda: nn.AvgPool2D(2), (1, 4, 4, 2)),
        (lambda: nn.Vect(), (2, 3, 3, 1)),
        (lambda: nn.Unvect((2, 2)), (3, 4)),
    ],
    ids=["dense", "conv", "local", "maxpool", "avgpool", "vect", "unvect"],
)
def test_every_layer_takes_an_array_or_a_list_and_returns_a_tensor(layer, shape):
    """(review) Dense([[…]]) and Conv2D(a list) raised AttributeError: 'list' object has no
    attribute 'ndim', and Vect and Unvect gave an array back for an array, where the ops, the
    losses and ReLU take both and give a Tensor, as every layer does for a Tensor."""
    model = layer()
    x = rand(*shape).astype(np.float32)
    expected = model(mg.Tensor(x)).data
    for given_as in (x, x.tolist()):
        y = model(given_as)
        assert isinstance(y, mg.Tensor)
        np.testing.assert_allclose(y.data, expected, rtol=1e-6)
