"""Tests of nn.summary: rows, output shapes, counts and the notes' formulas."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import models, nn


def test_summary_rows_of_the_demo_model():
    model = models.digits_cnn()
    table = nn.summary(model, (8, 8, 1))
    rows = {name: (kind, shape, count, formula) for name, kind, shape, count, formula in table.rows}
    assert rows["conv1"] == ("Conv2D", (8, 8, 16), 160, "s²·c·c' + c' = 9·1·16 + 16")
    assert rows["pool2"][1] == (2, 2, 32)
    assert rows["dense"][2:] == (1290, "in·out + out = 128·10 + 10")
    assert table.total == model.num_parameters() == sum(row[3] for row in table.rows)
    text = str(table)
    assert text == repr(table)
    assert "conv1 (Conv2D)" in text and "Total parameters: 6,090" in text


def test_summary_displays_as_its_table_in_ipython_and_jupyter():
    """DESIGN §3: the table is what a REPL and Jupyter show (IPython calls _repr_pretty_)."""
    table = nn.summary(models.digits_cnn(), (8, 8, 1))
    shown = []

    class Printer:  # the part of IPython's pretty printer that _repr_pretty_ uses
        def text(self, text):
            shown.append(text)

    table._repr_pretty_(Printer(), cycle=False)
    assert shown == [str(table)]


def test_summary_of_local_and_dense_image_models():
    local = nn.summary(models.local_image(), (6, 6, 1))
    assert local.rows[0][3:] == (648, "h'·w'·s²·c·c' = 6·6·9·1·2")
    with_bias = nn.summary(nn.Local((5, 5, 1), 2, 3, seed=0), (5, 5, 1))
    assert with_bias.rows[0][4] == "h'·w'·s²·c·c' + h'·w'·c' = 3·3·9·1·2 + 3·3·2"
    dense = nn.summary(models.dense_image(), (6, 6, 1))
    assert [row[2] for row in dense.rows] == [(36,), (72,), (72,), (6, 6, 2)]


def test_summary_of_a_custom_module_lists_its_leaves_and_keeps_no_graph():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2D(1, 2, 3, bias=False, seed=0)
            self.head = nn.Sequential(nn.Vect(), nn.Dense(32, 3, seed=0))

        def forward(self, x):
            return self.head(self.conv(x).relu())

    table = nn.summary(Net(), (4, 4, 1))
    assert [row[0] for row in table.rows] == ["conv", "head.0", "head.1"]
    assert table.rows[0][4] == "s²·c·c' = 9·1·2"
    single = nn.summary(nn.Dense(3, 2, seed=0), (3,))
    assert [row[:3] for row in single.rows] == [("Dense", "Dense", (2,))]
    assert mg.is_grad_enabled()


class ScaledDense(nn.Module):
    """A container with a Parameter of its own (a scale) and a child."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.ones(3, dtype=np.float32))
        self.dense = nn.Dense(3, 3, seed=0)

    def forward(self, x):
        return self.dense(x) * self.scale


class Affine(nn.Module):
    """A layer of a student's own: Parameters, no formula()."""

    def __init__(self):
        super().__init__()
        self.gain = nn.Parameter(np.ones(3, dtype=np.float32))
        self.mix = nn.Parameter(np.eye(3, dtype=np.float32))
        self.offset = nn.Parameter(np.float32(0))

    def forward(self, x):
        return x @ self.mix * self.gain + self.offset


def test_summary_of_a_layer_without_formula_lists_its_parameters_shapes():
    table = nn.summary(nn.Sequential(Affine(), nn.ReLU()), (3,))
    assert table.rows[0][3:] == (13, "gain (3,) + mix (3, 3) + offset () = 3 + 3·3 + 1")
    assert table.rows[1][4] == ""  # no Parameters, no formula


def test_summary_rows_add_up_with_a_containers_own_parameters():
    table = nn.summary(ScaledDense(), (3,))
    assert table.total == 15
    assert [row[0] for row in table.rows] == ["dense", "ScaledDense"]
    assert table.rows[1][3:] == (3, "its own parameters: scale")
    assert sum(row[3] for row in table.rows) == table.total


def test_summary_of_a_layer_used_twice_counts_it_once():
    shared = nn.Dense(4, 4, seed=0)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    table = nn.summary(model, (4,))
    assert [row[:4] for row in table.rows] == [
        ("0", "Dense", (4,), 20),
        ("1", "ReLU", (4,), 0),
        ("0", "Dense", (4,), 0),
    ]
    assert table.rows[2][4] == "(shared)" and "(shared)" in str(table)
    assert table.total == 20 == sum(row[3] for row in table.rows)


def test_summary_rows_add_up_with_tied_weights_and_an_uncalled_layer():
    first, second = nn.Dense(3, 3, seed=0), nn.Dense(3, 3, seed=1)
    second.weight = first.weight

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.first, self.second, self.unused = first, second, nn.Dense(3, 1, seed=0)

        def forward(self, x):
            return self.second(self.first(x))

    table = nn.summary(Net(), (3,))
    assert [row[3] for row in table.rows] == [12, 3, 4]
    assert "some parameters shared" in table.rows[1][4]
    assert table.rows[2][2] == "—" and "not called by forward: weight, bias" in table.rows[2][4]
    assert table.total == 19 == sum(row[3] for row in table.rows)


def test_summary_with_a_batch_axis_in_input_shape_hints_at_one_example():
    with pytest.raises(ValueError, match=r"input_shape=\(1, 8, 8, 1\).*Conv2D expects .*"
                       r"Hint: input_shape is the shape of ONE example, without the batch axis, "
                       r"e\.g\. \(8, 8, 1\); here perhaps \(8, 8, 1\)\.") as error:  # fmt: skip
        nn.summary(models.digits_cnn(), (1, 8, 8, 1))
    assert isinstance(error.value.__cause__, ValueError)
    with pytest.raises(ValueError, match=r"ONE example.*e\.g\. \(8, 8, 1\)\.$"):
        nn.summary(nn.Dense(3, 2, seed=0), (1, 3, 4))


def test_summary_formula_of_a_dense_layer_without_bias():
    table = nn.summary(nn.Sequential(nn.Vect(), nn.Dense(12, 5, bias=False, seed=0)), (2, 2, 3))
    assert table.rows[1][1:] == ("Dense", (5,), 60, "in·out = 12·5")


def test_summary_of_a_layer_made_inside_forward_says_it_is_not_in_the_model():
    """A layer created in forward (or held outside the model) is not an attribute: its
    parameters are not in model.parameters(), so the optimizer never trains them."""

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Dense(4, 3, seed=0)

        def forward(self, x):
            return nn.Dense(3, 2, seed=0)(nn.ReLU()(self.fc(x)))

    table = str(nn.summary(Net(), (4,)))
    assert "(not in model) (ReLU)" in table
    assert "8 parameters not in model.parameters(): never trained" in table
    assert "Total parameters: 15" in table


def test_summary_input_shape_is_a_shape_as_numpy_takes_it():
    """(review) An int is a shape of one axis; a size of 2.5 is refused, not cut to 2."""
    assert nn.summary(nn.Dense(3, 2, seed=0), 3).input_shape == (3,)
    with pytest.raises(TypeError, match=r"nn.summary: a shape is an int or a sequence of ints"):
        nn.summary(nn.Dense(2, 2, seed=0), (2.5,))
