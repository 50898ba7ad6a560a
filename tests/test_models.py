"""Tests of the example models: every entry of MODELS builds with a seed, runs on its input
shape, and has the parameter counts its docstring and the notes give."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn
from minigrad.models import MODELS

OUTPUT_SHAPES = {
    "digits_cnn": (10,),
    "lenet": (10,),
    "mlp": (10,),
    "dense_image": (6, 6, 2),
    "local_image": (6, 6, 2),
    "conv_image": (6, 6, 2),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_runs_on_its_input_shape(name):
    constructor, input_shape = MODELS[name]
    model = constructor(seed=0)
    assert isinstance(model, nn.Module)
    out = model(mg.Tensor(np.ones((2, *input_shape), dtype=np.float32)))
    assert out.shape == (2, *OUTPUT_SHAPES[name])
    same = constructor(seed=0)
    other = constructor(seed=1)
    for (_, p), (_, q), (_, r) in zip(
        model.named_parameters(), same.named_parameters(), other.named_parameters()
    ):
        np.testing.assert_array_equal(p.data, q.data)
        if p.data.any():  # weights are drawn from the seed; biases start at 0
            assert not np.array_equal(p.data, r.data)
    assert any(p.data.any() for p in model.parameters())


def test_models_follow_the_issue():
    lenet = MODELS["lenet"][0]()
    kinds = [type(m).__name__ for m in lenet.children()]
    assert kinds == ["Conv2D", "ReLU", "MaxPool2D", "Conv2D", "ReLU", "MaxPool2D", "Vect", "Dense"]
    assert (lenet.conv1.out_channels, lenet.conv2.out_channels) == (8, 16)
    assert MODELS["mlp"][0]().num_parameters() == 784 * 256 + 256 + 256 * 10 + 10
    h = w = 6
    assert MODELS["dense_image"][0]().num_parameters() == (h * w) ** 2 * 1 * 2
    assert MODELS["local_image"][0]().num_parameters() == h * w * 9 * 1 * 2
    assert MODELS["conv_image"][0]().num_parameters() == 9 * 1 * 2 + 2
