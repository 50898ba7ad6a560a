"""Reuse of large arrays from one training step to the next (a fast path of a few ops).

Why: a large new numpy array comes from the operating system as fresh pages, which are zeroed
on first touch. A conv step makes the same big arrays (patches, their gradient, …) every step,
and that first touch can cost as much as the arithmetic. So the ops that make big arrays ask
`empty` for their output: it hands back an array of the same shape that an earlier step made
and that nothing refers to any more, or makes a new one.

"Nothing refers to it" is checked with the reference count: a pooled array is free when the
pool is its only owner. A request with no free array of its shape may get a view of a free one
up to twice its size (the view then holds that array), so that memory freed during a step is
reused within the step, as numpy's own allocator would. A Tensor, a view, or any variable
holding an array keeps it out of reuse, so a reused array is never visible anywhere else.

The pool keeps at most MAX_BYTES of arrays no one uses; `clear()` gives them back at once (for
example after training, in a notebook). It is meant for one thread, like the rest of the
engine. Set `ENABLED = False` to switch it off."""

import math
import sys

import numpy as np

ENABLED = True
# Smaller arrays come from numpy as usual. C's allocator (glibc's malloc) reuses freed memory
# for arrays below its mmap threshold, which starts at 128 KiB and rises to the size of the
# largest array freed, so arrays of a few hundred KiB may or may not get fresh pages, depending
# on what ran before. Measured: with 1 MiB here, the W1 conv step (benchmarks/) touched ~600
# fresh pages a step (its 800 KiB images); with 512 KiB, none.
MIN_BYTES = 1 << 19
MAX_BYTES = 256 << 20  # the pool never keeps more than this much memory that no one uses

_pool = []  # arrays handed out, least recently used first


def _references(array):
    """How many references `array` has, counted the same way `empty` counts them."""
    return sys.getrefcount(array)


_PROBE = [np.empty(1)]  # an array whose only owner is a list, to measure what "free" reads as


def _free_count():
    """The count `_references` reports for an array whose only owner is a pool list.

    Measured at each request rather than once: a tracer or debugger that looks at local
    variables adds references of its own while it runs.
    """
    # A loop that returns at once: the probe is read as `empty` and `_evict` read the pool (a
    # loop variable taken from a list by index), so that both counts are taken the same way.
    for index in range(len(_PROBE)):
        array = _PROBE[index]
        return _references(array)


def empty(shape, dtype):
    """An uninitialised array of `shape` and `dtype`: reused when a free one exists.

    >>> a = empty((512, 1024), np.float32)
    >>> a.shape, a.dtype
    ((512, 1024), dtype('float32'))
    >>> b = empty((512, 1024), np.float32)   # `a` is still held here: a different array
    >>> b is a
    False
    """
    count = math.prod(shape)
    if 16 * count < MIN_BYTES or not ENABLED:  # small for any dtype (≤ 16 bytes): no lookup
        return np.empty(shape, dtype)
    dtype = np.dtype(dtype)
    nbytes = dtype.itemsize * count
    if nbytes < MIN_BYTES:
        return np.empty(shape, dtype)
    shape = tuple(shape)
    best = None  # the smallest free array of at most twice the size, if none fits exactly
    free = _free_count()
    for index in range(len(_pool)):
        array = _pool[index]
        if array.dtype != dtype or not nbytes <= array.nbytes <= 2 * nbytes:
            continue
        if _references(array) != free:
            continue
        if array.shape == shape:
            best = index
            break
        if best is None or array.nbytes < _pool[best].nbytes:
            best = index
    if best is not None:
        array = _pool.pop(best)  # by position: list.remove would compare arrays with ==
        _pool.append(array)
        if array.shape == shape:
            return array
        return array.reshape(-1)[: nbytes // dtype.itemsize].reshape(shape)  # a view of it
    array = np.empty(shape, dtype)
    _pool.append(array)
    _evict()
    return array


def _evict():
    """Forget the least recently used free arrays while the free ones exceed MAX_BYTES."""
    free, count = [], _free_count()
    for index in range(len(_pool)):
        array = _pool[index]
        if _references(array) == count:
            free.append(index)
    excess = sum(_pool[index].nbytes for index in free) - MAX_BYTES
    for index in reversed(free[: _count_to_drop(free, excess)]):
        del _pool[index]


def _count_to_drop(free, excess):
    """How many of the oldest free arrays (positions `free`) must go to remove `excess` bytes."""
    count = 0
    for index in free:
        if excess <= 0:
            break
        excess -= _pool[index].nbytes
        count += 1
    return count


def clear():
    """Drop every pooled array (the memory is returned once nothing else holds it)."""
    _pool.clear()
