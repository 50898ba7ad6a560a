"""Tests of the reuse of large arrays (minigrad/buffers.py): an array is reused only when nothing
refers to it, results are the same with reuse on and off, and the pool stays bounded."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import buffers

BIG = (512, 1024)  # 2 MiB of float32: above buffers.MIN_BYTES


@pytest.fixture(autouse=True)
def fresh_pool(monkeypatch):
    buffers.clear()
    yield
    buffers.clear()


def test_a_free_array_is_reused_and_a_held_one_is_not():
    first = buffers.empty(BIG, np.float32)
    first_id = id(first)
    second = buffers.empty(BIG, np.float32)
    assert second is not first  # `first` is still held
    del first
    assert id(buffers.empty(BIG, np.float32)) == first_id


@pytest.mark.parametrize(
    "holder",
    [
        lambda a: a[1:],  # a view keeps its base alive
        lambda a: mg.Tensor._wrap(a, False, None),  # a tensor
        lambda a: [a],  # any container
        lambda a: memoryview(a),  # a buffer export
    ],
    ids=["view", "tensor", "list", "memoryview"],
)
def test_anything_that_refers_to_an_array_keeps_it_out_of_reuse(holder):
    array = buffers.empty(BIG, np.float32)
    array_id = id(array)
    kept = holder(array)
    del array
    assert id(buffers.empty(BIG, np.float32)) != array_id
    del kept  # held until here, through the request above


def test_small_arrays_and_other_shapes_or_dtypes_are_not_pooled():
    small = buffers.empty((10, 10), np.float32)
    assert all(a is not small for a in buffers._pool)
    a = buffers.empty(BIG, np.float32)
    a_id = id(a)
    del a
    assert id(buffers.empty(BIG, np.float64)) != a_id
    assert id(buffers.empty((1024, 512), np.float32)) != a_id


def test_the_free_part_of_the_pool_is_bounded(monkeypatch):
    monkeypatch.setattr(buffers, "MAX_BYTES", 3 * 2**21)
    for rows in range(512, 532):  # 20 different shapes of 2 MiB, each dropped at once
        buffers.empty((rows, 1024), np.float32)
    free_bytes = sum(a.nbytes for a in buffers._pool)
    assert free_bytes <= 3 * 2**21 + (532 * 1024 * 4)


def test_eviction_drops_the_oldest_free_arrays_and_no_held_one(monkeypatch):
    """Held and free arrays alternate in the pool when the bound is lowered: one eviction drops
    several free arrays, oldest first, and no held one (deleting the positions in increasing
    order would shift the later ones onto the wrong arrays)."""
    held = []
    for rows in range(512, 520):  # 8 shapes of ~2 MiB; the even ones are kept
        array = buffers.empty((rows, 1024), np.float32)
        if rows % 2 == 0:
            held.append(array)
        del array
    monkeypatch.setattr(buffers, "MAX_BYTES", 3 * 2**21)  # room for two of the four free ones
    kept = buffers.empty((600, 1024), np.float32)  # a new array: evicts 513 and 515
    assert [a.shape[0] for a in buffers._pool] == [512, 514, 516, 517, 518, 519, 600]
    del kept


def test_reuse_can_be_switched_off(monkeypatch):
    monkeypatch.setattr(buffers, "ENABLED", False)
    a = buffers.empty(BIG, np.float32)
    del a
    assert not buffers._pool
    b = buffers.empty(BIG, np.float32)
    assert b.shape == BIG and not buffers._pool  # a new array each time, none kept


def conv_step(x, conv):
    conv.zero_grad()
    x.grad = None
    out = conv(x)
    out.relu().sum().backward()
    return out, x.grad.data.copy(), conv.weight.grad.data.copy()


def test_results_are_the_same_with_and_without_reuse(monkeypatch):
    rng = np.random.default_rng(0)
    x = mg.Tensor(rng.standard_normal((16, 32, 32, 16)).astype(np.float32), requires_grad=True)
    conv = mg.nn.Conv2D(16, 32, 3, seed=0)
    with_reuse = [conv_step(x, conv)[1:] for _ in range(3)]
    monkeypatch.setattr(buffers, "ENABLED", False)
    without = conv_step(x, conv)[1:]
    for grads in with_reuse:
        for a, b in zip(grads, without):
            np.testing.assert_array_equal(a, b)


def test_an_output_the_user_keeps_is_never_overwritten_by_a_later_step():
    rng = np.random.default_rng(1)
    x = mg.Tensor(rng.standard_normal((16, 32, 32, 16)).astype(np.float32), requires_grad=True)
    conv = mg.nn.Conv2D(16, 32, 3, seed=0)
    kept, _, _ = conv_step(x, conv)
    snapshot = kept.data.copy()
    x2 = mg.Tensor(rng.standard_normal((16, 32, 32, 16)).astype(np.float32), requires_grad=True)
    for _ in range(3):
        conv_step(x2, conv)
    np.testing.assert_array_equal(kept.data, snapshot)


def test_a_smaller_request_borrows_a_free_array_up_to_twice_its_size():
    big = buffers.empty((512, 1024), np.float32)  # 2 MiB
    big_id = id(big)
    del big
    small = buffers.empty((300, 1024), np.float32)  # 1.2 MiB: a view of the free 2 MiB array
    assert small.base is not None and id(small.base) == big_id
    assert small.shape == (300, 1024) and small.flags.c_contiguous
    again = buffers.empty((512, 1024), np.float32)  # the borrowed array is held by the view
    assert id(again) != big_id
    del small
    tiny = buffers.empty((260, 1024), np.float32)  # free again once the view is gone
    assert tiny.base is not None and id(tiny.base) == big_id


def test_a_much_smaller_request_does_not_borrow_a_big_array():
    big = buffers.empty((2048, 1024), np.float32)  # 8 MiB
    big_id = id(big)
    del big
    small = buffers.empty((300, 1024), np.float32)
    assert small.base is None or id(small.base) != big_id


def test_a_tracer_that_reads_local_variables_cannot_make_a_live_array_look_free():
    # A debugger's tracer holds extra references while it runs; "free" is measured each time.
    import sys

    def tracer(frame, event, arg):
        frame.f_locals  # noqa: B018 - this is what debuggers do
        return tracer

    rng = np.random.default_rng(0)
    x = mg.Tensor(rng.standard_normal((512, 512)).astype(np.float32))
    w = mg.Tensor(rng.standard_normal((512, 512)).astype(np.float32))
    sys.settrace(tracer)
    try:
        a = x @ w
        keep = a.data.copy()
        b = (x * 2) @ w
    finally:
        sys.settrace(None)
    np.testing.assert_array_equal(a.data, keep)
    assert not np.shares_memory(a.data, b.data)


def test_loading_the_module_under_a_debugger_does_not_skew_what_free_means():
    import importlib
    import sys

    def tracer(frame, event, arg):
        frame.f_locals  # noqa: B018 - this is what debuggers do
        return tracer

    sys.settrace(tracer)
    try:
        importlib.reload(buffers)
    finally:
        sys.settrace(None)
    live = buffers.empty(BIG, np.float32)
    also_live = live  # two holders: what a skewed count would have taken for "free"
    other = buffers.empty(BIG, np.float32)
    assert other is not live and also_live is live


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_arrays_of_min_bytes_or_more_are_pooled_and_smaller_ones_are_not(dtype):
    itemsize = np.dtype(dtype).itemsize
    below = buffers.empty((buffers.MIN_BYTES // itemsize - 1,), dtype)
    at = buffers.empty([buffers.MIN_BYTES // itemsize], dtype)  # (a list: Pad passes one)
    assert all(a is not below for a in buffers._pool)
    assert any(a is at for a in buffers._pool) and at.shape == (buffers.MIN_BYTES // itemsize,)
