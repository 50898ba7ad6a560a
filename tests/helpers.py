"""Helpers shared by the test files: random float64 data, hypothesis strategies for shapes and
images, `check_op` (forward against numpy, then first- and second-order gradcheck), and the
sizes and layouts the fast paths are tested at (`around`, `layouts`, `dirty_pool`)."""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad as mg


def rand(*shape, seed=0, low=-1.0, high=1.0):
    """A float64 array of `shape` with entries uniform in [low, high), reproducible by `seed`."""
    return np.random.default_rng(seed).uniform(low, high, size=shape)


def away_from_zero(*shape, seed=0, low=0.3, high=1.5):
    """A float64 array whose entries have |v| in [low, high) and a random sign (no kinks at 0)."""
    rng = np.random.default_rng(seed)
    signs = rng.choice([-1.0, 1.0], size=shape)
    return signs * rng.uniform(low, high, size=shape)


def distinct(*shape, seed=0, gap=0.1):
    """A float64 array of `shape` with all entries distinct and at least `gap` apart (no ties)."""
    size = int(np.prod(shape, dtype=int))
    values = np.random.default_rng(seed).permutation(size) * gap - size * gap / 2
    return values.reshape(shape)


def leaf(array, name=None):
    """A float64 leaf tensor that requires grad (the dtype gradcheck works in)."""
    return mg.Tensor(np.asarray(array, dtype=np.float64), requires_grad=True, name=name)


class SquareInNumpy(mg.Function):
    """y = x², with a backward computed in numpy: right in first order, but cut off the graph."""

    def forward(self, x):
        return x * x

    def backward(self, grad_out):
        (x,) = self.inputs
        return (mg.Tensor(2 * x.data * grad_out.data),)


def check_op(fn, *arrays, expected=None, second_order=True, atol=1e-8, rtol=1e-6):
    """Check an op on float64 `arrays`: fn(*tensors) equals `expected` (a numpy result, if
    given), its backward passes `mg.gradcheck`, and (if `second_order`) `mg.gradgradcheck`.

    The tolerances are 1000× tighter than gradcheck's defaults (made for float32 work): in
    float64, central differences with eps = 1e-6 are good to ~1e-9, so a backward off by 0.02 %
    fails here.

    Returns the forward result, so a test can check more about it.
    """
    tensors = [leaf(a) for a in arrays]
    out = fn(*tensors)
    assert isinstance(out, mg.Tensor)
    if expected is not None:
        expected = np.asarray(expected)
        assert out.shape == expected.shape
        np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
    assert mg.gradcheck(fn, *tensors, atol=atol, rtol=rtol)
    if second_order:
        assert mg.gradgradcheck(fn, *tensors, atol=atol, rtol=rtol)
    return out


def inner(a, b):
    """<a, b> = Σ a·b for two arrays of the same shape (used by the adjoint tests)."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape
    return float(np.sum(a * b))


# ---- hypothesis strategies -------------------------------------------------------------------
seeds = st.integers(0, 2**16)


def shapes(min_dims=0, max_dims=3, min_side=1, max_side=3):
    """Array shapes small enough for element-by-element numerical gradients."""
    return hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
    )


def broadcast_pairs(max_dims=3, max_side=3):
    """Two shapes that broadcast together (numpy's rules), for binary element-wise ops."""
    return hnp.mutually_broadcastable_shapes(
        num_shapes=2, min_dims=0, max_dims=max_dims, min_side=1, max_side=max_side
    ).map(lambda result: result.input_shapes)


@st.composite
def images(draw, max_batch_dims=1, max_side=5, max_c=2, max_k=2):
    """(shape, k, stride) for patches/fold: x ~ (*batch, h, w, c) with s = 2k + 1 ≤ h and w.

    Covers batch of 1, no batch axis, non-square images, k = 0, s equal to h or w, stride > 1.
    """
    k = draw(st.integers(0, max_k))
    s = 2 * k + 1
    h = draw(st.integers(s, max(s, max_side)))
    w = draw(st.integers(s, max(s, max_side)))
    c = draw(st.integers(1, max_c))
    batch = draw(st.lists(st.integers(1, 2), min_size=0, max_size=max_batch_dims))
    stride = draw(st.integers(1, 3))
    return (*batch, h, w, c), k, stride


# ---- markers ---------------------------------------------------------------------------------
import importlib
import os
import shutil

import pytest

needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None and not os.environ.get("CI"),
    reason="Graphviz's dot is not installed (in CI these tests run and must pass)",
)


def require(module):
    """Import an optional extra (matplotlib, mkdocs) for a test that needs it: skip the test
    where it is not installed, but never in CI, which installs every extra: there a missing
    extra fails the test instead of hiding the feature."""
    if os.environ.get("CI"):
        return importlib.import_module(module)
    return pytest.importorskip(module, reason=f"{module} is not installed (an optional extra)")


FLOATS = (np.float16, np.float32, np.float64)


def around(limit):
    """Sizes just below, at and just above a fast path's threshold `limit`."""
    return (limit - 1, limit, limit + 1)


def layouts(x, requires_grad=False):
    """x as a Tensor in the layouts a fast path may meet: contiguous, and two views an op makes
    (a transpose, Fortran-ordered; a strided slice). mg.Tensor copies into C order, hence ops."""
    axes = tuple(reversed(range(x.ndim)))
    return {
        "contiguous": mg.Tensor(x, requires_grad=requires_grad),
        "transposed": mg.Tensor(x.transpose(axes), requires_grad=requires_grad).transpose(*axes),
        "strided view": mg.Tensor(np.repeat(x, 2, axis=-1), requires_grad=requires_grad)[..., ::2],
    }


def dirty_pool(*shapes):
    """Fill the pool of reused arrays (minigrad/buffers.py) with free arrays of 7s of `shapes`,
    in every float dtype: a fast path writing into a reused array must overwrite every number."""
    for shape in shapes:
        for dtype in FLOATS:
            array = mg.buffers.empty(shape, dtype)
            array.fill(7)
            del array
