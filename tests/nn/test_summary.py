"""Tests of nn.summary: rows, output shapes, counts and the notes' formulas."""

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
