"""Tests of minigrad.teach: the notes' matrices entry by entry, parameter counts against real
layers, patches, equivariance verdicts, receptive fields, and the errors."""

import tracemalloc

import numpy as np
import pytest
from helpers import require
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad import nn, teach

# The notes' matrices, typed from the slides ("0" = no connection).
NOTES_DENSE = [[f"W{i}{j}" for j in range(1, 5)] for i in range(1, 5)]
NOTES_LOCAL = [
    ["W11", "0", "0", "0"],
    ["W21", "W22", "0", "0"],
    ["W31", "W32", "W33", "0"],
    ["0", "W42", "W43", "W44"],
    ["0", "0", "W53", "W54"],
    ["0", "0", "0", "W64"],
]
NOTES_CONV = [
    ["W1", "0", "0", "0"],
    ["W2", "W1", "0", "0"],
    ["W3", "W2", "W1", "0"],
    ["0", "W3", "W2", "W1"],
    ["0", "0", "W3", "W2"],
    ["0", "0", "0", "W3"],
]


def plain_symbols(pattern):
    rows, cols = pattern.shape
    return [
        [pattern.symbol(p, q, latex=True).replace("_{", "").replace("}", "") for q in range(cols)]
        for p in range(rows)
    ]


@pytest.fixture(scope="module")
def matrices():
    return teach.notes_matrices()


@pytest.mark.parametrize(
    ("name", "expected"), [("dense", NOTES_DENSE), ("local", NOTES_LOCAL), ("conv", NOTES_CONV)]
)
def test_notes_matrices_equal_the_slides_entry_by_entry(matrices, name, expected):
    assert plain_symbols(matrices[name]) == expected


def test_local_weights_are_distinct_and_conv_weights_shared(matrices):
    assert len(matrices["dense"].names) == 16
    assert len(matrices["local"].names) == 12  # 3 per output pixel, none shared
    assert len(matrices["conv"].names) == 3  # W1 W2 W3 along the diagonals
    # In the 1-pixel-high 2-D layers, a 3×3 kernel's top and bottom rows see only padding.
    assert matrices["conv"].unused == 6 and matrices["local"].unused == 24


def test_pattern_with_the_real_weights_is_the_layer_matrix():
    conv = nn.Conv2D(1, 1, kernel_size=3, bias=False, seed=3)
    pattern = teach.weight_pattern(conv, (1, 4, 1), wrt="padded", rows=slice(6, 12))
    rebuilt = np.zeros(pattern.shape)
    for p, row in enumerate(pattern.entries):
        for q, cell in enumerate(row):
            for coefficient, (name, index) in cell:
                rebuilt[p, q] += coefficient * dict(conv.named_parameters())[name].data[index]
    actual = teach.layer_matrix(conv, (1, 4, 1), wrt="padded")[6:12]
    np.testing.assert_allclose(rebuilt, actual, rtol=1e-6)


def test_pattern_text_and_latex(matrices):
    text = str(matrices["conv"])
    assert "W₁" in text and text.splitlines()[1].lstrip().startswith("0 [")
    latex = matrices["local"].to_latex()
    assert latex.startswith(r"\begin{bmatrix} W_{11} & 0") and latex.endswith(r"\end{bmatrix}")
    assert matrices["dense"]._repr_latex_().startswith("$")
    assert matrices["conv"].zero_pattern().sum() == 12


def test_layer_matrix_of_dense_is_its_weight_and_offset_its_bias():
    layer = nn.Dense(5, 3, seed=0)
    layer.bias.data[:] = [1.0, -2.0, 0.5]
    m, offset = teach.layer_matrix(layer, (5,), with_offset=True)
    np.testing.assert_allclose(m, layer.weight.data, rtol=1e-6)
    np.testing.assert_allclose(offset, layer.bias.data, rtol=1e-6)


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_layer_matrix_reproduces_a_conv(padding):
    conv = nn.Conv2D(2, 3, kernel_size=3, padding=padding, seed=1)
    conv.bias.data[:] = [0.1, 0.2, 0.3]
    m, offset = teach.layer_matrix(conv, (5, 4, 2), with_offset=True)
    x = np.random.default_rng(0).standard_normal((1, 5, 4, 2))
    expected = conv(mg.Tensor(x)).data.reshape(-1)
    np.testing.assert_allclose(x.reshape(-1) @ m + offset, expected, rtol=1e-5, atol=1e-6)


def test_layer_matrix_linearizes_a_nonlinear_function():
    at = np.array([[0.5, -1.0]])
    m = teach.layer_matrix(lambda x: x.tanh(), (2,), at=at)
    np.testing.assert_allclose(np.diag(m), 1 - np.tanh(at[0]) ** 2, rtol=1e-6)
    assert m[0, 1] == 0 and m[1, 0] == 0


def test_layer_matrix_of_a_function_that_ignores_its_input_is_zero():
    m, offset = teach.layer_matrix(
        lambda x: mg.Tensor(np.ones((len(x), 2))), (3,), with_offset=True
    )
    assert m.shape == (3, 2) and not m.any()
    np.testing.assert_array_equal(offset, [1.0, 1.0])


def test_layer_matrix_errors():
    with pytest.raises(ValueError, match="wrt must be"):
        teach.layer_matrix(nn.Dense(2, 2), (2,), wrt="output")
    with pytest.raises(ValueError, match="padding='same'"):
        teach.layer_matrix(nn.Dense(2, 2), (2,), wrt="padded")
    with pytest.raises(ValueError, match="shape of one example"):
        teach.layer_matrix(nn.Dense(2, 2), (0, 2))
    with pytest.raises(ValueError, match="shape of one example"):
        teach.layer_matrix(nn.Dense(2, 2), None)
    dense = nn.Dense(3, 2, bias=False, seed=0)
    np.testing.assert_allclose(teach.layer_matrix(dense, 3), dense.weight.data)  # an int shape
    with pytest.raises(ValueError, match="too many"):
        teach.layer_matrix(lambda x: x, (5000,))
    with pytest.raises(ValueError, match="with_offset=True needs"):
        conv = nn.Conv2D(1, 1, 3)
        teach.layer_matrix(conv, (3, 3, 1), wrt="padded", with_offset=True)
    with pytest.raises(ValueError, match="weight_pattern: the layer has"):
        teach.weight_pattern(nn.Dense(100, 100), (100,))


@pytest.mark.parametrize("helper", [teach.layer_matrix, teach.weight_pattern])
def test_an_input_shape_without_channels_is_named_in_the_layers_error(helper):
    # The layer's message speaks of a batch (1, 4, 4) the student never made: a note says where it
    # came from, input_shape=(4, 4) (one example, so (h, w, c) = (4, 4, 1) was meant).
    conv = nn.Conv2D(1, 1, 3, bias=False, seed=0)
    with pytest.raises(ValueError, match=rf"^{helper.__name__}\(input_shape=\(4, 4\)\): .*"
                       r"expects a batch of images.*such as \(h, w, c\)") as error:  # fmt: skip
        helper(conv, (4, 4))
    assert isinstance(error.value.__cause__, ValueError)
    assert helper(conv, (4, 4, 1)).shape == (16, 16)


# At least 25 examples, and the profile's count when larger (a fixed count caps "thorough").
@settings(max_examples=max(25, settings().max_examples), deadline=None)
@given(
    h=st.integers(3, 7),
    w=st.integers(3, 7),
    c=st.integers(1, 3),
    c_out=st.integers(1, 3),
    k=st.integers(0, 1),
    padding=st.sampled_from(["same", "valid"]),
)
def test_param_counts_equal_real_layers(h, w, c, c_out, k, padding):
    counts = teach.param_counts(h, w, c, c_out, k, padding)
    s = 2 * k + 1
    h_out, w_out = (h, w) if padding == "same" else (h - 2 * k, w - 2 * k)
    dense = nn.Dense(h * w * c, h_out * w_out * c_out, bias=False)
    local = nn.Local((h, w, c), c_out, kernel_size=s, padding=padding, bias=False)
    conv = nn.Conv2D(c, c_out, kernel_size=s, padding=padding, bias=False)
    assert counts.dense == dense.num_parameters()
    assert counts.local == local.num_parameters()
    assert counts.conv == conv.num_parameters()


def test_param_counts_reduction_factors_are_the_notes():
    counts = teach.param_counts(32, 24, 3, 8, 2)
    (_, _, _, _, _), (_, _, _, local_factor, f1), (_, _, _, conv_factor, f2) = counts.rows()
    assert local_factor == pytest.approx(25 / (32 * 24)) and f1 == "s²/(hw)"
    assert conv_factor == pytest.approx(1 / (32 * 24)) and f2 == "1/(hw)"
    assert "(hw)²·c·c'" in str(counts)


def test_the_notes_megapixel_example_is_about_ten_to_the_13_without_allocating():
    tracemalloc.start()
    counts = teach.param_counts(1024, 1024, 3, 3, 1)
    text = str(counts)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert counts.dense == (1024 * 1024) ** 2 * 9
    assert 0.5e13 < counts.dense < 2e13
    assert "9,895,604,649,984" in text
    assert peak < 100_000  # bytes: nothing of the size of a layer was allocated


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((0, 4, 1, 1, 1), "h must be"),
        ((4, 4, 1, 1, -1), "k .the patch radius."),
        ((4, 4, 1, 1, 1, "full"), "padding must be"),
        ((2, 2, 1, 1, 1, "valid"), "at least"),
    ],
)
def test_param_counts_errors(args, message):
    with pytest.raises(ValueError, match=message):
        teach.param_counts(*args)


def test_explain_patch_order_is_the_notes_flattening():
    h, w, c, k, i, j = 4, 5, 2, 1, 0, 3
    explanation = teach.explain_patch((h, w, c), i, j, k)
    s = 2 * k + 1
    x = np.random.default_rng(0).standard_normal((h, w, c))
    reference = mg.vect(mg.patches(mg.pad(mg.Tensor(x), k), k)[i, j]).data
    for index, (a, b, channel, where) in enumerate(explanation.pixels):
        assert index == (a * s + b) * c + channel
        row, col = i - k + a, j - k + b
        if 0 <= row < h and 0 <= col < w:
            assert where == (row, col) and reference[index] == x[row, col, channel]
        else:
            assert where is None and reference[index] == 0


def test_explain_patch_text_shows_the_padded_zeros():
    explanation = teach.explain_patch((3, 3, 1), 0, 0, 1)
    expected = "[0, 0, 0, 0, X[0,0,0], X[0,1,0], 0, X[1,0,0], X[1,1,0]]"
    assert explanation.vect_text() == expected
    assert sum(where is None for *_, where in explanation.pixels) == 5
    text = str(explanation)
    assert "(0)" in text and "vect index = (a·3 + b)·1 + channel" in text


def test_pictures(matrices):
    require("matplotlib")  # the pictures are optional; the text versions are tested
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    assert len(teach.explain_patch((4, 4, 1), 1, 2, 1).plot().texts) == 9
    assert len(matrices["conv"].plot().texts) == 24
    result = teach.check_equivariance(nn.Conv2D(1, 1, 3, seed=0), blob(), (1, 1))
    assert "equivariant" in result.plot().get_title()
    field = teach.receptive_field(nn.Conv2D(1, 1, 3, seed=0), (5, 5, 1), (2, 2))
    assert field.plot().get_title() == "receptive field of H[2, 2]"
    plt.close("all")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (((4, 4), 0, 0, 1), r"must be \(h, w, c\)"),
        (((4, 4, 1), 4, 0, 1), "outside an image"),
        (((4, 4, 1), 0, 0, -1), "patch radius"),
        (((4, 4, 1), 1.5, 0, 1), r"i and j must be ints .*got \(1.5, 0\)"),
        (((4, 4, 1), 0, 0, True), "patch radius"),
    ],
)
def test_explain_patch_errors(args, message):
    with pytest.raises(ValueError, match=message):
        teach.explain_patch(*args)


def blob(h=8, w=8, c=1, seed=0):
    """An image with content in the middle and zeros near the borders."""
    x = np.zeros((h, w, c))
    x[2 : h - 2, 2 : w - 2] = np.random.default_rng(seed).standard_normal((h - 4, w - 4, c))
    return x


@pytest.mark.parametrize("shift", [(1, 0), (0, -2), (2, 1), (-1, -1)])
@pytest.mark.parametrize("padding", ["same", "valid"])
def test_conv_is_equivariant(shift, padding):
    conv = nn.Conv2D(1, 3, kernel_size=3, padding=padding, seed=0)
    conv.bias.data[:] = [0.5, -0.5, 1.0]
    result = teach.check_equivariance(conv, blob(), shift)
    assert result.equivariant, str(result)
    assert "equivariant" in str(result)


def test_local_with_untied_weights_is_not_equivariant_but_with_tied_weights_is():
    local = nn.Local((8, 8, 1), 2, kernel_size=3, padding="same", seed=0)
    result = teach.check_equivariance(local, blob(), (1, 2))
    assert not result.equivariant and "NOT equivariant" in str(result)
    local.weight.data[:] = local.weight.data[0, 0]  # every W_ij = W: a convolution
    assert teach.check_equivariance(local, blob(), (1, 2)).equivariant


def test_dense_model_is_not_equivariant():
    model = nn.Sequential(nn.Vect(), nn.Dense(64, 64, seed=0), nn.Unvect((8, 8, 1)))
    result = teach.check_equivariance(model, blob(), (0, 1))
    assert not result.equivariant
    assert result.error_map.shape == (8, 8)
    assert np.isnan(result.error_map[:, 0]).all()  # the uncovered column is not compared
    assert np.isfinite(result.error_map[:, 1:]).all()


def test_equivariance_errors():
    conv = nn.Conv2D(1, 1, 3)
    with pytest.raises(ValueError, match="pushes some of its non-zero"):
        teach.check_equivariance(conv, np.ones((5, 5, 1)), (1, 0))
    with pytest.raises(ValueError, match=r"image .h, w, c. or a batch.*x.reshape\(5, 6, 1\)"):
        teach.check_equivariance(conv, np.ones((5, 6)), (1, 0))  # a grey image without its c
    with pytest.raises(ValueError, match=r"shift must be \(di, dj\)"):
        teach.check_equivariance(conv, blob(), (1,))
    with pytest.raises(ValueError, match="nn.Unvect"):
        teach.check_equivariance(nn.Vect(), blob(), (1, 0))
    with pytest.raises(ValueError, match=r"shift \(0, 0\) moves nothing"):  # every f passed
        teach.check_equivariance(nn.Local((5, 5, 1), 1, 3, seed=0), blob(), (0, 0))


@pytest.mark.parametrize(
    ("layers", "size"),
    [
        ([nn.Conv2D(1, 2, 3, seed=0)], (3, 3)),
        ([nn.Conv2D(1, 2, 5, seed=0)], (5, 5)),
        ([nn.Conv2D(1, 2, 3, seed=0), nn.ReLU(), nn.Conv2D(2, 2, 3, seed=1)], (5, 5)),
        (
            [
                nn.Conv2D(1, 2, 3, seed=0),
                nn.Tanh(),
                nn.Conv2D(2, 2, 3, seed=1),
                nn.ReLU(),
                nn.Conv2D(2, 1, 3, seed=2),
            ],
            (7, 7),
        ),
        ([nn.Local((11, 11, 1), 2, 3, padding="same", seed=0)], (3, 3)),
        ([nn.Conv2D(1, 2, 3, seed=0), nn.MaxPool2D(2), nn.Conv2D(2, 1, 3, seed=1)], (8, 8)),
    ],
)
def test_receptive_fields_of_known_stacks(layers, size):
    model = nn.Sequential(*layers)
    target = (2, 2) if any(isinstance(layer, nn.MaxPool2D) for layer in layers) else (5, 5)
    field = teach.receptive_field(model, (11, 11, 1), target)
    assert field.size == size, str(field)
    assert field.mask.sum() == size[0] * size[1]  # a full box: no connection is missed


def test_receptive_field_of_a_dense_model_is_everything():
    model = nn.Sequential(nn.Vect(), nn.Dense(36, 36, seed=0), nn.Unvect((6, 6, 1)))
    field = teach.receptive_field(model, (6, 6, 1), (0, 0))
    assert field.mask.all() and "36 input pixels" in str(field)


def test_receptive_field_at_a_corner_is_cut_by_the_border():
    field = teach.receptive_field(nn.Conv2D(1, 1, 3, seed=0), (5, 5, 1), (0, 0))
    assert field.size == (2, 2)


def test_receptive_field_errors():
    conv = nn.Conv2D(1, 1, 3)
    with pytest.raises(ValueError, match="outside the output"):
        teach.receptive_field(conv, (5, 5, 1), (5, 0))
    with pytest.raises(ValueError, match=r"must be \(h, w, c\)"):
        teach.receptive_field(conv, (5, 5), (0, 0))
    with pytest.raises(ValueError, match="must return images"):
        teach.receptive_field(nn.Vect(), (5, 5, 1), (0, 0))
    for samples in (0, 2.5):  # 0 gave an empty (0, 0) box
        with pytest.raises(ValueError, match="samples must be an int ≥ 1"):
            teach.receptive_field(conv, (5, 5, 1), (2, 2), samples=samples)


def test_plots_need_matplotlib_or_say_so(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ModuleNotFoundError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        teach.explain_patch((3, 3, 1), 1, 1, 1).plot()
    with pytest.raises(ImportError, match=r"ReceptiveField\.plot draws with matplotlib"):
        teach.receptive_field(nn.Conv2D(1, 1, 3), (5, 5, 1), (2, 2)).plot()
    with pytest.raises(ImportError, match="WeightPattern.plot"):
        teach.notes_matrices()["dense"].plot()
    with pytest.raises(ImportError, match="EquivarianceResult.plot"):
        teach.check_equivariance(nn.Conv2D(1, 1, 3), blob(), (1, 1)).plot()


# ---- review findings: silent zeros, false verdicts, bare numpy errors ----------------------------
@pytest.mark.parametrize("name", ["dense_image", "local_image", "conv_image"])
def test_layer_matrix_of_a_relu_model_at_zero_says_so_instead_of_a_zero_matrix(name):
    model = mg.models.MODELS[name][0](seed=0)
    with pytest.raises(ValueError, match=r"Jacobian at X = 0 is zero \(ReLU'\(0\) = 0\): pass at="):
        teach.layer_matrix(model, (6, 6, 1))
    at = np.random.default_rng(0).standard_normal((6, 6, 1))  # a point: the matrix is defined
    m = teach.layer_matrix(model, (6, 6, 1), at=at)
    assert m.shape == (36, 72) and m.any()
    linear = model.conv if name == "conv_image" else None  # the layer without its activation
    if linear is not None:
        assert teach.layer_matrix(linear, (6, 6, 1)).any()


def test_weight_pattern_still_names_weights_that_only_see_padding():
    conv = nn.Conv2D(1, 1, kernel_size=3, bias=False, seed=0)
    pattern = teach.weight_pattern(conv, (1, 4, 1), wrt="padded", rows=slice(6, 12))
    assert pattern.unused == 6 and len(pattern.names) == 3


def test_weight_pattern_of_a_layer_with_its_relu_says_so():
    with pytest.raises(ValueError, match="without its activation"):
        teach.weight_pattern(mg.models.conv_image(shape=(3, 3, 1), out_channels=1), (3, 3, 1))


def test_layer_matrix_says_f_must_keep_the_batch_axis():
    with pytest.raises(ValueError, match=r"keep the batch axis.*nn.Vect\(\)"):
        teach.layer_matrix(mg.vect, (2, 2))
    assert teach.layer_matrix(nn.Vect(), (2, 2)).shape == (4, 4)


@pytest.mark.parametrize("at_shape", [(3,), (4,), (2, 2, 1), (2, 2, 2)])
def test_layer_matrix_says_the_shape_at_must_have(at_shape):
    with pytest.raises(ValueError, match=r"at must be one example of shape \(2, 2\)"):
        teach.layer_matrix(nn.Vect(), (2, 2), at=np.ones(at_shape))
    m = teach.layer_matrix(nn.Vect(), (2, 2), at=np.ones((1, 2, 2)))  # a batch of one is fine
    np.testing.assert_array_equal(m, np.eye(4))


@pytest.mark.parametrize("target", [(1, 1, 0), (1,), 3, (1.5, 0)])
def test_receptive_field_says_what_target_must_be(target):
    with pytest.raises(ValueError, match=r"target must be \(i, j\)"):
        teach.receptive_field(nn.Conv2D(1, 1, 3), (5, 5, 1), target)


def conv_then_pool(seed=0):
    return nn.Sequential(nn.Conv2D(1, 2, 3, seed=seed), nn.MaxPool2D(2))


def test_conv_then_max_pool_is_equivariant_to_shifts_by_multiples_of_the_pool():
    x = blob(12, 12)
    result = teach.check_equivariance(conv_then_pool(), x, (2, 2))
    assert result.equivariant, str(result)
    assert result.output_shift == (1, 1) and result.error_map.shape == (6, 6)
    assert np.isnan(result.error_map[0]).all() and np.isfinite(result.error_map[1:, 1:]).all()
    assert "output moves by (1, 1)" in str(result)
    assert not teach.check_equivariance(nn.Local((12, 12, 1), 2, 3), x, (2, 2)).equivariant


@pytest.mark.parametrize("shift", [(1, 0), (2, 1)])
def test_a_shift_that_is_not_a_multiple_of_the_output_stride_is_refused(shift):
    with pytest.raises(ValueError, match=r"multiple of 2.*2× smaller"):
        teach.check_equivariance(conv_then_pool(), blob(12, 12), shift)


def test_a_module_gives_the_output_stride_from_its_layers():
    model = nn.Sequential(nn.Conv2D(1, 1, 3, padding="valid", seed=0), nn.MaxPool2D(2))
    result = teach.check_equivariance(model, blob(12, 10), (2, 2))  # 12×10 → 5×4: t = 2
    assert result.equivariant and result.output_shift == (1, 1), str(result)
    strided = nn.Conv2D(1, 2, 3, stride=2, seed=0)  # 7×7 → 4×4: the sizes show no factor
    assert teach.check_equivariance(strided, blob(7, 7), (2, 0)).output_shift == (1, 0)


class _PoolTwice(nn.Module):  # its forward calls one pooling twice: its layers do not tell t
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2D(1, 2, 3, seed=0)
        self.pool = nn.MaxPool2D(2)

    def forward(self, x):
        return self.pool(self.pool(self.conv(x)))


def test_a_model_with_its_own_forward_gets_the_output_stride_from_the_sizes():
    x = np.zeros((16, 16, 1))
    x[4:8, 4:8, 0] = np.arange(16.0).reshape(4, 4)
    result = teach.check_equivariance(_PoolTwice(), x, (4, 4))  # 16×16 → 4×4: t = 4
    assert result.equivariant and result.output_shift == (1, 1), str(result)


def test_a_valid_border_that_looks_like_a_factor_does_not_fool_it():
    conv = nn.Conv2D(1, 4, 5, padding="valid", seed=0)  # 8×8 → 4×4, yet t = 1
    x = np.zeros((8, 8, 1))
    x[3:5, 3:5, 0] = [[1, 2], [3, 4]]
    for shift in [(1, 0), (2, 0)]:
        result = teach.check_equivariance(conv, x, shift)
        assert result.equivariant and result.output_shift == shift, str(result)


def test_stride_can_be_given_when_the_sizes_of_a_function_do_not_tell():
    model = nn.Sequential(nn.Conv2D(1, 1, 3, padding="valid", seed=0), nn.MaxPool2D(2))

    def f(x):  # a plain function: only the sizes are known
        return model(x)

    with pytest.raises(ValueError, match="pass stride="):
        teach.check_equivariance(f, blob(12, 10), (2, 2))  # 12×10 → 5×4
    assert teach.check_equivariance(f, blob(12, 10), (2, 2), stride=2).equivariant


def test_a_shift_that_leaves_nothing_to_compare_is_refused():
    conv = nn.Conv2D(1, 1, 7, padding="valid", seed=0)  # 8×8 → 2×2
    x = np.zeros((8, 8, 1))
    x[:2, :2, 0] = 1.0
    with pytest.raises(ValueError, match="nothing to compare"):
        teach.check_equivariance(conv, x, (2, 0))


@pytest.mark.parametrize("shift", [(0.5, 1), (1, 1.0), ("1", 0)])
def test_non_integer_shifts_are_refused_not_truncated(shift):
    with pytest.raises(ValueError, match="whole pixels"):
        teach.check_equivariance(nn.Conv2D(1, 1, 3), blob(), shift)


def test_an_all_zero_image_cannot_test_equivariance():
    local = nn.Local((8, 8, 1), 2, 3, seed=0)
    with pytest.raises(ValueError, match="use a non-constant image"):
        teach.check_equivariance(local, np.zeros((8, 8, 1)), (1, 1))


def test_patch_picture_names_the_padding_colour_and_its_title_fits():
    matplotlib = require("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = teach.explain_patch((3, 3, 1), 0, 0, 1).plot()
    title = ax.get_title()
    assert "pale: padding" in title and "grey" not in title
    # The colours the title names: padding pale, the patch blue, padding inside the patch darkest.
    shade = ax.images[0].get_array()
    assert shade[0, 3] < shade[2, 2] < shade[0, 0]  # padding outside, patch in the image, both
    figure = ax.figure
    figure.canvas.draw()
    box = ax.title.get_window_extent()
    assert 0 <= box.x0 and box.x1 <= figure.bbox.width and box.y1 <= figure.bbox.height
    plt.close(figure)


def test_layer_matrix_offset_at_a_point_makes_the_tangent_touch_f_there():
    # offset = f(at) − vect(at) M: for an affine layer it is the bias wherever it is linearized,
    # and for a non-linear f the tangent vect(X) M + offset equals f at X = at.
    dense = nn.Dense(3, 2, seed=0)
    dense.bias.data[:] = [0.5, -1.0]
    at = np.array([0.3, -0.2, 0.8])
    m, offset = teach.layer_matrix(dense, (3,), at=at, with_offset=True)
    np.testing.assert_allclose(offset, [0.5, -1.0], rtol=1e-6)
    model = nn.Sequential(dense, nn.Tanh())
    m, offset = teach.layer_matrix(model, (3,), at=at, with_offset=True)
    np.testing.assert_allclose(at @ m + offset, model(mg.Tensor(at[None])).data[0], rtol=1e-6)


def test_one_channel_that_breaks_equivariance_is_enough_to_fail():
    local = nn.Local((8, 8, 1), 2, kernel_size=3, padding="same", seed=0)
    local.weight.data[..., 0] = local.weight.data[0, 0, :, 0]  # channel 0: one shared W
    assert teach.check_equivariance(lambda x: local(x)[..., :1], blob(), (1, 2)).equivariant
    result = teach.check_equivariance(local, blob(), (1, 2))  # channel 1: one W_ij per pixel
    assert not result.equivariant, str(result)


def test_the_output_stride_of_a_stack_is_the_product_of_its_strides():
    model = nn.Sequential(nn.Conv2D(1, 2, 3, stride=2, seed=0), nn.MaxPool2D(2))  # t = 2·2 = 4
    x = np.zeros((16, 16, 1))
    x[4:8, 4:8, 0] = np.arange(1.0, 17.0).reshape(4, 4)
    result = teach.check_equivariance(model, x, (4, 4))  # 16×16 → 4×4: moves by one pixel
    assert result.equivariant and result.output_shift == (1, 1), str(result)
    with pytest.raises(ValueError, match="not a multiple of 4"):
        teach.check_equivariance(model, x, (2, 2))


def test_a_small_break_of_equivariance_is_reported_at_the_default_tolerance():
    local = nn.Local((8, 8, 1), 2, kernel_size=3, padding="same", seed=0)
    local.weight.data[:] = local.weight.data[0, 0]  # a convolution…
    local.weight.data[4, 4] += 1e-3  # …but for one pixel's W_ij, off by 1e-3
    result = teach.check_equivariance(local, blob(), (1, 2))
    assert not result.equivariant, str(result)
    assert result.error_map[4, 4] > 1e-4 and np.nanmax(result.error_map[:3]) < 1e-5


def test_a_subclass_of_a_layer_with_its_own_forward_has_its_stride_read_from_the_sizes():
    """Only minigrad's layers themselves have a known stride: a subclass may subsample (here a
    ReLU keeping every other pixel, t = 2), so its stride is read from the sizes instead."""

    class SubsamplingReLU(nn.ReLU):
        def forward(self, x):
            return super().forward(x)[:, ::2, ::2]

    model = nn.Sequential(nn.Conv2D(1, 2, 3, padding="same", seed=0), SubsamplingReLU())
    x = np.zeros((8, 8, 1))
    x[2:4, 2:4, 0] = [[1.0, 2.0], [3.0, 4.0]]
    result = teach.check_equivariance(model, x, (2, 2))  # 8×8 → 4×4: moves by one pixel
    assert result.equivariant and result.output_shift == (1, 1), str(result)


@pytest.mark.parametrize("shift", [(-5, 0), (0, -7), (5, 0), (-3, 2)])
def test_a_shift_by_more_than_the_image_moves_everything_out(shift):
    """A negative shift between h and 2h once made numpy's slices wrap around and crash."""
    x = np.arange(1.0, 13.0).reshape(3, 4, 1)
    assert not teach.shift_image(x, shift).any()
    with pytest.raises(ValueError, match="pushes some of its non-zero"):
        teach.check_equivariance(nn.Conv2D(1, 1, 3), blob(), (-12, 0))


def test_a_weight_used_once_is_never_named_like_a_shared_one():
    """A 5×5 kernel on a 3×3 image: 4 corner weights are used once, 21 are shared; the corner
    at row 1, column 9 was W₁₉, the name of the 19th shared weight too."""
    pattern = teach.weight_pattern(nn.Conv2D(1, 1, 5, bias=False, seed=0), (3, 3, 1))
    names = list(pattern.names.values())
    assert len(names) == len(set(names)) == 25
    assert pattern.symbol(0, 8) == "W₁,₉" and pattern.symbol(0, 6) == "W₁₉"


def test_weight_pattern_of_stacked_linear_layers_says_why_it_is_zero():
    two = nn.Sequential(nn.Conv2D(1, 1, 3, bias=False), nn.Conv2D(1, 1, 3, bias=False))
    with pytest.raises(ValueError, match="product of weights"):
        teach.weight_pattern(two, (1, 4, 1))
    with pytest.raises(ValueError, match="no weights"):
        teach.weight_pattern(nn.Sequential(nn.ReLU()), (1, 4, 1))


def test_receptive_field_is_not_hidden_by_channels_that_cancel():
    conv = nn.Conv2D(1, 2, 3, seed=0)
    conv.weight.data[:, 1] = -conv.weight.data[:, 0]  # H_ij1 = −H_ij0: their sum is 0
    assert teach.receptive_field(conv, (5, 5, 1), (2, 2)).size == (3, 3)


def test_receptive_field_of_a_function_that_ignores_its_input_is_empty():
    def constant(x):
        return mg.Tensor(np.ones((x.shape[0], 3, 3, 1)))

    assert not teach.receptive_field(constant, (5, 5, 1), (1, 1)).mask.any()


def test_enough_samples_find_a_whole_max_pool_window():
    """The docstring's advice: MaxPool2D(p) needs about 30·p² samples."""
    field = teach.receptive_field(nn.MaxPool2D(6), (6, 6, 1), (0, 0), samples=30 * 36)
    assert field.mask.all()


@pytest.mark.parametrize(
    "model",
    [
        nn.Local((8, 8, 1), 2, kernel_size=3, padding="same", seed=0),
        nn.Sequential(nn.Vect(), nn.Dense(64, 64, seed=0), nn.Unvect((8, 8, 1))),
    ],
)
def test_a_faint_image_does_not_make_a_layer_look_equivariant(model):
    """The tolerance is relative to the outputs, with no absolute floor: on an image of 1e-6 the
    outputs are ~1e-6, and the errors of a non-equivariant layer are too."""
    faint = blob() * 1e-6
    result = teach.check_equivariance(model, faint, (1, 1))
    assert not result.equivariant, str(result)
    assert teach.check_equivariance(nn.Conv2D(1, 2, 3, seed=0), faint, (1, 1)).equivariant


# ---- review (a teacher's): memory, stride read from the sizes ----------------------------------
def _peak_bytes(run):
    tracemalloc.start()
    try:
        result = run()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_layer_matrix_memory_follows_the_matrix_not_the_outputs_squared():
    """One batch of m copies held m × m outputs and an m × m one-hot: a Conv2D(1, 64, 3) on a
    16×16 grey image (a 256 × 16384 matrix, 32 MB) took 8.6 GB. Here m = 6000: the matrix is
    6000 numbers, the old batch 2 × 6000² × 8 bytes = 576 MB."""
    dense = nn.Dense(1, 6000, bias=False, seed=0)
    m, peak = _peak_bytes(lambda: teach.layer_matrix(dense, (1,)))
    np.testing.assert_allclose(m, dense.weight.data, rtol=1e-6)
    assert peak < 150e6, f"peak {peak / 1e6:.0f} MB"


def test_layer_matrix_in_several_chunks_is_the_same_matrix(monkeypatch):
    conv = nn.Conv2D(2, 3, kernel_size=3, stride=2, seed=0)
    whole = teach.layer_matrix(conv, (5, 4, 2))
    monkeypatch.setattr(teach, "_CHUNK_ENTRIES", 100)  # 100 // (18 + 40): 1 output per chunk
    np.testing.assert_array_equal(teach.layer_matrix(conv, (5, 4, 2)), whole)
    padded = teach.layer_matrix(conv, (5, 4, 2), wrt="padded")
    monkeypatch.setattr(teach, "_CHUNK_ENTRIES", 10**9)
    np.testing.assert_array_equal(teach.layer_matrix(conv, (5, 4, 2), wrt="padded"), padded)


def test_weight_pattern_keeps_the_entries_not_a_matrix_per_weight():
    """A matrix per weight: 576 weights × a 64 × 64 float64 matrix = 19 MB for this small Local
    (1.1 GB for a Local((10, 10, 2), 2, 3)); the pattern itself is a few hundred entries."""
    local = nn.Local((8, 8, 1), 1, 3, padding="same", bias=False, seed=0)
    pattern, peak = _peak_bytes(lambda: teach.weight_pattern(local, (8, 8, 1)))
    # Entries: 36 inner pixels see 9 pixels, 24 edge pixels 6, 4 corners 4.
    assert pattern.shape == (64, 64) and int(pattern.zero_pattern().sum()) == 36 * 9 + 24 * 6 + 16
    assert peak < 8e6, f"peak {peak / 1e6:.0f} MB"


def test_a_stride_on_an_odd_image_is_not_taken_for_a_valid_border():
    """Wrapped in a function, a Conv2D with stride 2 on 7×7 (→ 4×4) was taken for t = 1 (7 // 4
    is 1): the output was compared moved by (2, 2) rather than (1, 1), and a convolution came
    out NOT equivariant. A "valid" border is 2k pixels on both axes; 3 is none: ask for t."""
    conv = nn.Conv2D(1, 2, 3, stride=2, seed=0)
    x = np.zeros((7, 7, 1))
    x[2:4, 2:4, 0] = [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(ValueError, match=r"\(7, 7\) and the output \(4, 4\).*pass stride=t"):
        teach.check_equivariance(lambda batch: conv(batch), x, (2, 2))
    result = teach.check_equivariance(lambda batch: conv(batch), x, (2, 2), stride=2)
    assert result.equivariant and result.output_shift == (1, 1), str(result)
    # An output larger by an even border (a pad) follows shifts one to one.
    result = teach.check_equivariance(lambda batch: mg.pad(batch, 1), x, (1, 2))
    assert result.equivariant and result.output_shift == (1, 2), str(result)


@pytest.mark.parametrize("rows", [None, slice(5, 10), [5, 6, 7], np.arange(5, 10)])
def test_padded_rows_are_labelled_0_as_in_the_notes(rows):
    """With wrt="padded" every row of vect(pad(X, k)) was labelled x₁, x₂, …, x₁₅, padded zeros
    included: x₁ was a zero above the image, and the notes' x₁ appeared as x₇."""
    conv = nn.Conv2D(1, 1, 3, bias=False, seed=0)
    pattern = teach.weight_pattern(conv, (1, 3, 1), wrt="padded", rows=rows)
    padded = ["0"] * 5 + ["0", "x₁", "x₂", "x₃", "0"] + ["0"] * 5  # 3 rows of 5: X in the middle
    assert pattern.row_labels == list(np.array(padded)[slice(None) if rows is None else rows])
    assert str(teach.weight_pattern(conv, (1, 3, 1))).splitlines()[1].startswith("x₁ [")


@pytest.mark.parametrize(
    "rows, labels",
    [
        (slice(2, 4), ["x₃", "x₄"]),
        ([3, 1], ["x₄", "x₂"]),
        (np.array([1, 0, 1, 0], bool), ["x₁", "x₃"]),
    ],
)
def test_rows_picked_from_vect_x_keep_their_labels(rows, labels):
    """With rows= and wrt="input" the labels started again at x₁: rows 3 and 4 of vect(X) read
    x₁ and x₂ (a second reader's find)."""
    pattern = teach.weight_pattern(nn.Dense(4, 2, bias=False), (4,), rows=rows)
    assert pattern.row_labels == labels
    assert [line.split("[")[0].strip() for line in str(pattern).splitlines()[1:]] == labels


def test_explain_patch_of_the_notes_megapixel_image_takes_no_more_than_the_image():
    """All h·w patches were built to show one: 28 numbers per pixel of a 1024 × 1024 RGB image
    with k = 1 (226 MB; 1.2 GB with k = 3)."""
    explanation, peak = _peak_bytes(lambda: teach.explain_patch((1024, 1024, 3), 500, 7, 1))
    assert explanation.pixels[13] == (1, 1, 1, (500, 7)) and len(explanation.pixels) == 27
    assert explanation.vect_text().startswith("[X[499,6,0], X[499,6,1], X[499,6,2], X[499,7,0]")
    assert peak < 80e6, f"peak {peak / 1e6:.0f} MB"  # the pixel numbers are 25 MB


def test_a_faint_pixel_pushed_out_is_refused_not_judged():
    """The check compared the sums of |X| with np.isclose, whose absolute tolerance (1e-8)
    hid a faint image's pixel leaving it: a Conv2D then came out NOT equivariant."""
    x = blob() * 1e-9
    x[0, 3, 0] = 1e-9  # on the top border, which a shift up pushes out
    with pytest.raises(ValueError, match="pushes some of its non-zero"):
        teach.check_equivariance(nn.Conv2D(1, 2, 3, seed=0), x, (-1, 0))
    assert teach.check_equivariance(nn.Conv2D(1, 2, 3, seed=0), x, (1, 0)).equivariant


def test_weight_pattern_of_a_function_points_to_layer_matrix():
    with pytest.raises(TypeError, match=r"weight_pattern takes a layer .*got a function\. For "
                       r"the matrix of a function use layer_matrix"):  # fmt: skip
        teach.weight_pattern(lambda x: x * 2.0, (4,))
