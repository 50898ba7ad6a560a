"""Weight initializers (He and Glorot) drawn from a seedable numpy Generator, so that every run
with the same seed starts from the same weights."""

import numpy as np

from minigrad.data import check_seed
from minigrad.ops.shape import is_int


def generator(seed=None, caller="nn.init"):
    """A numpy Generator from an int seed ≥ 0, a Generator (returned as is) or None (fresh
    entropy); anything else is an error naming `caller` (the layer being built).

    >>> int(generator(0).integers(100)), int(generator(0).integers(100))
    (85, 85)
    """
    return check_seed(caller, seed)  # the one check of seeds, as data.batches and fit use it


def he_normal(shape, fan_in, seed=None, dtype=np.float32):
    """He (Kaiming) normal: W ~ N(0, 2 / fan_in), the usual choice before a ReLU.

    `fan_in` is the number of inputs each output sums (in_features, or s²c for a conv).

    >>> w = he_normal((400, 300), fan_in=400, seed=0)
    >>> w.shape, w.dtype, round(float(w.std()), 2)
    ((400, 300), dtype('float32'), 0.07)
    """
    check_fan("he_normal", fan_in=fan_in)
    std = np.sqrt(2.0 / fan_in)
    return (generator(seed).standard_normal(shape) * std).astype(dtype)


def glorot_uniform(shape, fan_in, fan_out, seed=None, dtype=np.float32):
    """Glorot (Xavier) uniform: W ~ U(−a, a) with a = √(6 / (fan_in + fan_out)).

    Keeps the variance of activations and of gradients about equal for tanh or sigmoid.

    >>> w = glorot_uniform((3, 5), fan_in=3, fan_out=5, seed=0)
    >>> bool(np.abs(w).max() <= np.sqrt(6 / 8))
    True
    """
    check_fan("glorot_uniform", fan_in=fan_in, fan_out=fan_out)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return generator(seed).uniform(-limit, limit, size=shape).astype(dtype)


def check_fan(initializer, **fans):
    """Refuse a fan that is not an int ≥ 1: a fan of 0 would divide by zero, and a negative one
    would give NaN weights without a word."""
    for name, value in fans.items():
        if not is_int(value) or value < 1:
            raise ValueError(
                f"nn.init.{initializer}: {name} must be an int ≥ 1 (the number of inputs each "
                f"output sums, or of outputs each input feeds); got {value!r}."
            )


INITIALIZERS = ("he", "glorot")


def initial_weight(init, shape, fan_in, fan_out, seed, layer):
    """The weight array for a layer: `init` is "he" or "glorot" (named in errors by `layer`)."""
    if init not in INITIALIZERS:
        raise ValueError(f"{layer}: init must be one of {INITIALIZERS}; got {init!r}.")
    rng = generator(seed, layer)  # a bad seed is named by the layer too
    if init == "he":
        return he_normal(shape, fan_in, rng)
    return glorot_uniform(shape, fan_in, fan_out, rng)
