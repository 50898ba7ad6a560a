"""Tests of patches (against the notes' P_k(i, j), written as a plain loop) and of fold, its
adjoint: shapes, values, gradients of first and second order, edge cases and errors."""

import sys

import numpy as np
import pytest
from helpers import FLOATS, check_op, dirty_pool, images, inner, leaf, rand, seeds
from hypothesis import given

import minigrad as mg
from minigrad.ops import spatial


def patches_by_the_notes(x, k, stride):
    """The notes' patches, one pixel at a time: out[..., i, j] = P_k(i·stride + k, j·stride + k)
    with P_k(i, j) = X[i−k : i+k, j−k : j+k, :] inclusive, i.e. X[i-k : i+k+1, j-k : j+k+1]."""
    h, w = x.shape[-3], x.shape[-2]
    s = 2 * k + 1
    h_out, w_out = (h - s) // stride + 1, (w - s) // stride + 1
    out = np.zeros((*x.shape[:-3], h_out, w_out, s, s, x.shape[-1]))
    for i in range(h_out):
        for j in range(w_out):
            ci, cj = i * stride + k, j * stride + k  # the centre of the patch
            out[..., i, j, :, :, :] = x[..., ci - k : ci + k + 1, cj - k : cj + k + 1, :]
    return out


def fold_by_loop(p, shape, k, stride):
    """Scatter-add every patch back to where it came from, one patch at a time."""
    s = 2 * k + 1
    y = np.zeros(shape)
    for i in range(p.shape[-5]):
        for j in range(p.shape[-4]):
            top, left = i * stride, j * stride
            y[..., top : top + s, left : left + s, :] += p[..., i, j, :, :, :]
    return y


@given(case=images(), seed=seeds)
def test_patches_are_the_notes_patches(case, seed):
    shape, k, stride = case
    x = rand(*shape, seed=seed)
    expected = patches_by_the_notes(x, k, stride)
    out = check_op(lambda t: mg.patches(t, k, stride), x, expected=expected)
    s = 2 * k + 1
    h_out, w_out = (shape[-3] - s) // stride + 1, (shape[-2] - s) // stride + 1
    assert out.shape == (*shape[:-3], h_out, w_out, s, s, shape[-1])


@given(case=images(), seed=seeds)
def test_fold_matches_a_loop_and_has_right_gradients(case, seed):
    shape, k, stride = case
    p_shape = patches_by_the_notes(np.zeros(shape), k, stride).shape
    p = rand(*p_shape, seed=seed)
    check_op(lambda t: mg.fold(t, shape, k, stride), p, expected=fold_by_loop(p, shape, k, stride))


@given(case=images(max_batch_dims=2, max_side=6, max_c=3), seed=seeds)
def test_fold_is_the_adjoint_of_patches(case, seed):
    shape, k, stride = case
    x = rand(*shape, seed=seed)
    px = mg.patches(mg.Tensor(x), k, stride)
    p = rand(*px.shape, seed=seed + 1)
    right = inner(x, mg.fold(mg.Tensor(p), shape, k, stride).data)
    assert inner(px.data, p) == pytest.approx(right, rel=1e-12, abs=1e-12)


@given(case=images(max_batch_dims=2, max_side=9, max_c=3, max_k=3), seed=seeds)
def test_fold_in_chunks_of_one_image_matches_a_loop(case, seed):
    """Fold goes a few images at a time and, when the stride divides s, moves runs of s·c
    numbers (spatial._fold_into): with chunks of one image, every chunk boundary is crossed."""
    shape, k, stride = case
    p_shape = patches_by_the_notes(np.zeros(shape), k, stride).shape
    p = rand(*p_shape, seed=seed)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(spatial, "CHUNK_BYTES", 1)
        out = mg.fold(mg.Tensor(p), shape, k, stride)
    # atol: sums near 0, added in another order, differ by ~1e-16
    np.testing.assert_allclose(out.data, fold_by_loop(p, shape, k, stride), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("k", "stride"), [(1, 3), (2, 5), (4, 3), (1, 2), (3, 1)])
def test_fold_when_the_stride_divides_the_patch_size_and_when_not(k, stride):
    shape = (3, 2 * k + 1 + 2 * stride + 1, 2 * k + 1 + 3 * stride, 2)
    p_shape = patches_by_the_notes(np.zeros(shape), k, stride).shape
    p = rand(*p_shape, seed=k + stride)
    out = mg.fold(mg.Tensor(p), shape, k, stride)
    np.testing.assert_allclose(out.data, fold_by_loop(p, shape, k, stride), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("k", "stride"), [(1, 3), (2, 5), (1, 1)])
def test_fold_of_a_wide_image_with_more_patches_per_row_than_s(k, stride):
    """When the stride divides s, fold adds q = s / stride patches j = r, r + q, … at once per
    offset r: with w' > s·stride, a row holds more than one such run per r."""
    s = 2 * k + 1
    shape = (2, s + stride, s + stride * (3 * s * stride), 1)  # h' = 2, w' = 3·s·stride + 1
    p_shape = patches_by_the_notes(np.zeros(shape), k, stride).shape
    p = rand(*p_shape, seed=k)
    out = mg.fold(mg.Tensor(p), shape, k, stride)
    np.testing.assert_allclose(out.data, fold_by_loop(p, shape, k, stride), rtol=1e-12, atol=1e-12)


def test_fold_and_the_gradient_of_patches_of_an_empty_batch():
    x = leaf(np.zeros((0, 5, 5, 3)))
    mg.patches(x, 1).sum().backward()
    assert x.grad.shape == (0, 5, 5, 3)
    assert mg.fold(mg.Tensor(np.zeros((0, 3, 3, 3, 3, 3))), (0, 5, 5, 3), 1).shape == (0, 5, 5, 3)


EDGE_CASES = {
    "k = 0": ((4, 3, 2), 0, 1),
    "kernel as large as the image": ((3, 3, 1), 1, 1),
    "kernel as tall as a wide image": ((5, 7, 1), 2, 1),
    "batch of 1": ((1, 4, 4, 2), 1, 1),
    "non-square image": ((3, 6, 1), 1, 1),
    "stride 2 with a remainder": ((6, 5, 1), 1, 2),
    "stride larger than the kernel": ((7, 7, 1), 0, 3),
    "two batch axes": ((2, 1, 4, 3, 1), 1, 2),
}


@pytest.mark.parametrize("name", sorted(EDGE_CASES))
def test_patches_and_fold_edge_cases(name):
    shape, k, stride = EDGE_CASES[name]
    x = rand(*shape, seed=1)
    expected = patches_by_the_notes(x, k, stride)
    out = check_op(lambda t: mg.patches(t, k, stride), x, expected=expected)
    p = rand(*out.shape, seed=2)
    check_op(lambda t: mg.fold(t, shape, k, stride), p, expected=fold_by_loop(p, shape, k, stride))


def test_patches_method_and_the_docstring_example():
    x = mg.Tensor(np.arange(16, dtype=np.float32).reshape(4, 4, 1))
    p = x.patches(1)
    assert p.shape == (2, 2, 3, 3, 1) and p.dtype == np.float32
    np.testing.assert_array_equal(p.data[1, 0, :, :, 0], [[4, 5, 6], [8, 9, 10], [12, 13, 14]])


def test_patches_and_fold_take_an_array_or_a_list_as_numpy_does():
    """An array or a list is wrapped as a constant Tensor, as the element-wise ops do."""
    x, p = rand(4, 4, 1), rand(2, 2, 3, 3, 1, seed=1)
    for form in (np.asarray, np.ndarray.tolist):
        out = mg.patches(form(x), 1)
        assert isinstance(out, mg.Tensor)
        np.testing.assert_allclose(out.data, patches_by_the_notes(x, 1, 1), atol=1e-6)
        out = mg.fold(form(p), (4, 4, 1), 1)
        assert isinstance(out, mg.Tensor)
        np.testing.assert_allclose(out.data, fold_by_loop(p, (4, 4, 1), 1, 1), atol=1e-6)


def test_pad_then_patches_keeps_the_image_size():
    x = mg.Tensor(rand(1, 5, 4, 3))
    assert mg.patches(mg.pad(x, 2), 2).shape == (1, 5, 4, 5, 5, 3)


def test_patches_gradient_counts_how_many_patches_hold_each_pixel():
    x = leaf(np.zeros((4, 4, 1)))
    mg.patches(x, 1).sum().backward()
    np.testing.assert_array_equal(
        x.grad.data[..., 0], [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]]
    )


@pytest.mark.parametrize(
    "shape",
    [(2, 6, 7, 3), (2, 7, 6, 3), (2, 5, 9, 3)],
    ids=["h too small", "w too small", "odd side"],
)
def test_patches_with_k_too_large_gives_the_shapes_and_the_largest_valid_k(shape):
    with pytest.raises(ValueError) as info:
        mg.patches(mg.Tensor(np.zeros(shape)), 3)
    message = str(info.value)
    assert "patches" in message and str(shape) in message
    assert "s = 2k + 1 = 7" in message
    assert "largest valid k here is 2;" in message
    assert "mg.pad(x, 3)" in message


@pytest.mark.parametrize(
    ("shape", "k", "stride", "message"),
    [
        ((4, 4), 1, 1, r"at least 3 axes; got shape \(4, 4\)"),
        ((4, 4, 1), -1, 1, r"k \(the patch radius\) must be an int ≥ 0; got -1"),
        ((4, 4, 1), 1.0, 1, r"must be an int ≥ 0; got 1.0"),
        ((4, 4, 1), 1, 0, r"stride must be an int ≥ 1; got 0"),
        ((4, 4, 1), True, 1, r"must be an int ≥ 0; got True"),
        ((4, 4, 1), 1, True, r"stride must be an int ≥ 1; got True"),
    ],
)
def test_patches_argument_errors(shape, k, stride, message):
    with pytest.raises(ValueError, match=message):
        mg.patches(mg.Tensor(np.zeros(shape)), k, stride)


def test_fold_with_patches_of_the_wrong_shape_is_an_error():
    with pytest.raises(ValueError, match=r"have shape \(2, 2, 3, 3, 1\); got \(2, 2, 3, 3, 2\)"):
        mg.fold(mg.Tensor(np.zeros((2, 2, 3, 3, 2))), (4, 4, 1), 1)


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize(
    ("shape", "k", "stride"), [((5, 9, 9, 1), 1, 1), ((5, 9, 9, 3), 1, 2), ((5, 12, 12, 2), 1, 3)]
)
def test_patches_and_fold_of_views_in_every_dtype_match_a_loop(dtype, shape, k, stride):
    """Patches (one copy, or s² with one channel) and Fold (chunks of images; runs of s·c when
    the stride divides s, here stride 1 and stride = s = 3) write into reused arrays: from a
    transposed view, in every float dtype, with chunks of 2 images and a shorter last chunk."""
    rng = np.random.default_rng(k + stride)
    x = rng.standard_normal(shape).astype(dtype)
    view = mg.Tensor(np.swapaxes(x, -2, -3).copy()).transpose(0, 2, 1, 3)  # x, not contiguous
    dirty_pool(patches_by_the_notes(x, k, stride).shape, shape)
    np.testing.assert_array_equal(
        mg.patches(view, k, stride).data, patches_by_the_notes(x, k, stride)
    )
    p = rng.standard_normal(patches_by_the_notes(x, k, stride).shape).astype(dtype)
    p_view = mg.Tensor(np.swapaxes(p, 1, 2).copy()).transpose(0, 2, 1, 3, 4, 5)  # p, a view
    expected = fold_by_loop(p.astype(np.float64), shape, k, stride)
    tolerance = {np.float16: 1e-2, np.float32: 1e-5, np.float64: 1e-12}[dtype]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(spatial, "CHUNK_BYTES", 2 * p[0].nbytes)  # 5 images: 2 + 2 + 1
        dirty_pool(shape)
        out = mg.fold(p_view, shape, k, stride).data
    assert out.dtype == dtype
    np.testing.assert_allclose(out, expected, rtol=tolerance, atol=tolerance)


# ---- no loop over pixels (issue: "a strided view plus one copy; fold is at most s² slice-adds")
def lines_run_in(module, call):
    """How many lines of `module`'s source run during call() (sys.settrace 'line' events)."""
    count = 0

    def count_lines(frame, event, arg):
        nonlocal count
        count += event == "line"
        return count_lines

    def in_module(frame, event, arg):
        return count_lines if frame.f_code.co_filename == module.__file__ else None

    previous = sys.gettrace()
    sys.settrace(in_module)
    try:
        call()
    finally:
        sys.settrace(previous)
    return count


class CountingNumpy:
    """numpy, counting the calls of np.add (fold's slice-adds) and np.copyto (patches' copy)."""

    def __init__(self):
        self.calls = {"add": 0, "copyto": 0}

    def __getattr__(self, name):
        return getattr(np, name)

    def add(self, *args, **kwargs):
        self.calls["add"] += 1
        return np.add(*args, **kwargs)

    def copyto(self, *args, **kwargs):
        self.calls["copyto"] += 1
        return np.copyto(*args, **kwargs)


@pytest.mark.parametrize("c", [1, 3])
@pytest.mark.parametrize(("k", "stride"), [(1, 1), (1, 2), (2, 3)])
def test_patches_and_fold_run_as_many_python_lines_for_a_big_image_as_for_a_small_one(k, stride, c):
    """A Python loop over pixels would run more lines for more pixels: 7×7 and 40×33 images
    (one chunk of fold each) must run exactly the same lines of spatial.py."""
    counts = []
    for h, w in ((2 * k + 5, 2 * k + 5), (40, 33)):
        x = mg.Tensor(rand(2, h, w, c))
        p = mg.Tensor(rand(*mg.patches(x, k, stride).shape))
        counts.append(
            (
                lines_run_in(spatial, lambda x=x: mg.patches(x, k, stride)),
                lines_run_in(spatial, lambda p=p, x=x: mg.fold(p, x.shape, k, stride)),
            )
        )
    assert counts[0] == counts[1]


@pytest.mark.parametrize(("k", "stride"), [(0, 1), (1, 1), (1, 2), (2, 1), (2, 3), (1, 4)])
def test_patches_is_one_copy_and_fold_at_most_s_squared_slice_adds(k, stride, monkeypatch):
    s = 2 * k + 1
    counting = CountingNumpy()
    monkeypatch.setattr(spatial, "np", counting)
    x = mg.Tensor(rand(2, 17, 13, 3))
    p = mg.patches(x, k, stride)
    assert counting.calls == {"add": 0, "copyto": 1}
    np.testing.assert_array_equal(p.data, patches_by_the_notes(x.data, k, stride))
    y = mg.fold(p, x.shape, k, stride)
    assert 1 <= counting.calls["add"] <= s * s
    np.testing.assert_allclose(y.data, fold_by_loop(p.data, x.shape, k, stride), rtol=1e-12)
