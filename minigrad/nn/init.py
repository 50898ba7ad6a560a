"""Weight initializers (He and Glorot) drawn from a seedable numpy Generator, so that every run
with the same seed starts from the same weights."""

import numbers

import numpy as np


def generator(seed=None):
    """A numpy Generator from an int seed, a Generator (returned as is) or None (fresh entropy).

    >>> int(generator(0).integers(100)), int(generator(0).integers(100))
    (85, 85)
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, numbers.Integral):
        return np.random.default_rng(seed)
    raise TypeError(
        f"seed must be an int, a numpy Generator (np.random.default_rng(0)) or None; "
        f"got {type(seed).__name__}."
    )


def he_normal(shape, fan_in, seed=None, dtype=np.float32):
    """He (Kaiming) normal: W ~ N(0, 2 / fan_in), the usual choice before a ReLU.

    `fan_in` is the number of inputs each output sums (in_features, or s²c for a conv).

    >>> w = he_normal((400, 300), fan_in=400, seed=0)
    >>> w.shape, w.dtype, round(float(w.std()), 2)
    ((400, 300), dtype('float32'), 0.07)
    """
    std = np.sqrt(2.0 / fan_in)
    return (generator(seed).standard_normal(shape) * std).astype(dtype)


def glorot_uniform(shape, fan_in, fan_out, seed=None, dtype=np.float32):
    """Glorot (Xavier) uniform: W ~ U(−a, a) with a = √(6 / (fan_in + fan_out)).

    Keeps the variance of activations and of gradients about equal for tanh or sigmoid.

    >>> w = glorot_uniform((3, 5), fan_in=3, fan_out=5, seed=0)
    >>> bool(np.abs(w).max() <= np.sqrt(6 / 8))
    True
    """
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return generator(seed).uniform(-limit, limit, size=shape).astype(dtype)


INITIALIZERS = ("he", "glorot")


def initial_weight(init, shape, fan_in, fan_out, seed, layer):
    """The weight array for a layer: `init` is "he" or "glorot" (named in errors by `layer`)."""
    if init == "he":
        return he_normal(shape, fan_in, seed)
    if init == "glorot":
        return glorot_uniform(shape, fan_in, fan_out, seed)
    raise ValueError(f"{layer}: init must be one of {INITIALIZERS}; got {init!r}.")
