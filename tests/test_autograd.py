"""Tests of the engine: graph shapes (diamonds, reuse, a 100 000-deep chain), accumulation,
no_grad, released graphs and retain_graph, higher-order gradients, mg.grad, retain_grad,
fresh gradient arrays, a deterministic topological order, custom Functions, and the errors."""

import copy
import copyreg
import functools
import gc
import io
import pickle
import weakref
from contextlib import contextmanager

import numpy as np
import pytest
from helpers import SquareInNumpy, leaf
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad as mg
from minigrad.autograd import count_uses, is_grad_enabled, is_released, module_scope
from minigrad.viz import _walk


@contextmanager
def buffers_off():
    """Arrays straight from numpy (not kept by the pool), so a freed one can be seen to go."""
    previous, mg.buffers.ENABLED = mg.buffers.ENABLED, False
    try:
        yield
    finally:
        mg.buffers.ENABLED = previous


# ---- graph shapes -----------------------------------------------------------------------------
def test_diamond_graph_adds_both_paths():
    x = leaf([0.5, -1.0])
    y = x * 3  # y feeds two branches that meet again in z
    z = y.tanh() * y.exp()
    z.sum().backward()
    v = 3 * x.data
    dz_dv = (1 - np.tanh(v) ** 2) * np.exp(v) + np.tanh(v) * np.exp(v)
    np.testing.assert_allclose(x.grad.data, 3 * dz_dv)


def test_a_node_used_many_times():
    x = leaf([2.0])
    y = x
    for _ in range(9):
        y = y + x  # y = 10x
    (y * x).sum().backward()  # 10x²
    np.testing.assert_allclose(x.grad.data, [40.0])


def test_the_same_tensor_on_both_sides_of_an_op():
    x = leaf([3.0])
    (x * x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [27.0])


def test_a_100000_deep_chain_runs_backward_without_recursion():
    x = mg.Tensor(np.array([1.0], dtype=np.float32), requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [1.0])
    np.testing.assert_array_equal(y.data, [100_001.0])


def test_gradients_accumulate_across_two_backward_calls():
    x = leaf([1.0, 2.0])
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0 + 3, 4.0 + 3])


def test_backward_twice_through_a_retained_graph_accumulates():
    x = leaf([1.0, 2.0])
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(x.grad.data, [4.0, 8.0])


def test_backward_of_a_leaf():
    x = mg.Tensor(5.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


@pytest.mark.parametrize(
    "grad",
    [np.array([1.0, -2.0]), [1.0, -2.0], mg.Tensor([1.0, -2.0])],
    ids=["array", "list", "Tensor"],
)
def test_backward_with_an_explicit_grad(grad):
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).backward(grad)
    np.testing.assert_allclose(x.grad.data, [3.0, -6.0])


def test_backward_with_a_number_as_grad():
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward(2.0)
    np.testing.assert_allclose(x.grad.data, [6.0, 6.0])


def test_inputs_that_do_not_require_grad_get_no_grad():
    x = leaf([1.0])
    c = mg.Tensor([2.0])
    (x * c).sum().backward()
    assert c.grad is None
    assert x.grad is not None


def test_intermediates_keep_no_grad_unless_retained():
    x = leaf([1.0, 2.0])
    y = x * 2
    z = (x * 3).retain_grad()
    (y * z).sum().backward()
    assert y.grad is None
    np.testing.assert_allclose(z.grad.data, y.data)  # ∂(y·z)/∂z = y
    np.testing.assert_allclose(x.grad.data, 12 * x.data)


STEPS = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "tanh of sum": lambda a, b: (a + b).tanh(),
    "sigmoid of product": lambda a, b: (a * b).sigmoid(),
    "broadcast row": lambda a, b: a * b.sum(axis=0, keepdims=True),
}
programs = st.lists(
    st.tuples(st.sampled_from(sorted(STEPS)), st.integers(0, 100), st.integers(0, 100)),
    min_size=1,
    max_size=8,
)


# At least 40 examples, and the profile's count when larger (a fixed count caps "thorough").
@settings(max_examples=max(40, settings().max_examples))
@given(program=programs, seed=st.integers(0, 2**16))
def test_random_graphs_with_shared_nodes_have_right_gradients(program, seed):
    """A random program over a pool of values: each step may reuse any earlier value (or the
    same one twice), so the graph has diamonds, fan-out and repeated inputs."""

    def run(x, y):
        pool = [x, y]
        for name, i, j in program:
            pool.append(STEPS[name](pool[i % len(pool)], pool[j % len(pool)]))
        return pool[-1] + pool[len(pool) // 2]

    rng = np.random.default_rng(seed)
    x, y = leaf(rng.uniform(-1, 1, (2, 3))), leaf(rng.uniform(-1, 1, (2, 3)))
    assert mg.gradcheck(run, x, y)
    assert mg.gradgradcheck(run, x, y)
    # .backward() (accumulating into .grad) agrees with mg.grad (returning the gradients)
    weights = rng.standard_normal((2, 3))
    expected = mg.grad((run(x, y) * weights).sum(), [x, y])
    (run(x, y) * weights).sum().backward()
    for tensor, grad in zip((x, y), expected):
        if grad is None:  # the program did not use this input
            assert tensor.grad is None
        else:
            np.testing.assert_allclose(tensor.grad.data, grad.data, rtol=1e-10)


# ---- no_grad ----------------------------------------------------------------------------------
def test_no_grad_records_nothing_and_is_restored():
    x = leaf([1.0])
    assert is_grad_enabled()
    with mg.no_grad():
        assert not is_grad_enabled()
        y = x * 2
        with mg.no_grad():
            pass
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert (x * 2).requires_grad


def test_no_grad_is_restored_after_an_exception():
    with pytest.raises(KeyError), mg.no_grad():
        raise KeyError("inside no_grad")
    assert is_grad_enabled()


# ---- released graphs --------------------------------------------------------------------------
def test_second_backward_through_a_freed_graph_says_to_retain_it():
    x = leaf([1.0, 2.0])
    loss = (x.exp() * 2).sum()
    loss.backward()
    with pytest.raises(RuntimeError) as info:
        loss.backward()
    message = str(info.value)
    assert "retain_graph=True" in message
    assert "Sum" in message  # names the op where it hit a freed node
    assert "freed" in message


def test_backward_releases_saved_values_but_keeps_the_graph_shape():
    x = leaf([1.0])
    y = x.exp()
    node = y.grad_fn
    y.sum().backward()
    assert node.released
    assert node.inputs == (x,) and node.name == "Exp"


class SavesSquare(mg.Function):
    """y = x², saving 2x on the node for backward (what release must drop)."""

    def forward(self, x):
        self.twice_x = 2 * x
        return x * x

    def backward(self, grad_out):
        return (grad_out * mg.Tensor(self.twice_x),)


def test_release_drops_what_forward_saved_and_keeps_the_inputs():
    x = leaf([-1.0, 2.0])
    y = SavesSquare.apply(x)
    node = y.grad_fn
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, [-2.0, 4.0])
    assert not hasattr(node, "twice_x")
    assert node.inputs == (x,) and node.released


class Blocks(mg.Function):
    """y = x with no gradient back to x (backward returns None)."""

    def forward(self, x):
        return x.copy()

    def backward(self, grad_out):
        return (None,)


def test_nodes_no_gradient_reached_are_released_too():
    x = leaf([1.0, 2.0])
    h = x.exp()  # its node gets no gradient: Blocks stops it
    loss = Blocks.apply(h).sum() + x.sum()
    loss.backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])
    assert h.grad_fn.released
    with pytest.raises(RuntimeError, match="freed"):
        loss.backward()


class GivesOnlySecond(mg.Function):
    """a + b, differentiated in b only: backward gives the first input no gradient."""

    def forward(self, a, b):
        return a + b

    def backward(self, grad_out):
        return None, grad_out


def test_a_node_no_gradient_reached_sends_none_on_even_after_a_node_that_did():
    x = leaf([1.0, 2.0])
    # Backward reaches x * 3 (whose gradient flows on to x) just before x.exp(), which gets
    # no gradient: nothing of the first may reach x a second time through the second.
    GivesOnlySecond.apply(x.exp(), x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])
    a, b = leaf([1.0]), leaf([2.0])
    GivesOnlySecond.apply(a, b).sum().backward()
    assert a.grad is None and b.grad.item() == 1.0  # a leaf no gradient reached keeps None


# ---- large intermediate values: given back by backward when only the graph holds them --------
BIG = (256, 1024)  # 1 MiB of float32: above RELEASE_MIN_BYTES


def big_leaf():
    rng = np.random.default_rng(0)
    return mg.Tensor(rng.standard_normal(BIG).astype(np.float32), requires_grad=True)


def chain_of_intermediates(x):
    """loss = Σ 3·relu(2x), and the three intermediates (each held here only by the graph)."""
    loss = ((x * 2).relu() * 3).sum()
    tripled = loss.grad_fn.inputs[0]
    rectified = tripled.grad_fn.inputs[0]
    doubled = rectified.grad_fn.inputs[0]
    return loss, (doubled, rectified, tripled)


def test_backward_gives_back_large_intermediates_only_the_graph_holds():
    x = big_leaf()
    with buffers_off():
        loss, intermediates = chain_of_intermediates(x)
        arrays = [weakref.ref(t.data) for t in intermediates]
        del intermediates
        loss.backward()
    assert all(array() is None for array in arrays)  # back to numpy: the memory is free
    np.testing.assert_array_equal(x.grad.data, 6 * (x.data > 0))
    tripled = loss.grad_fn.inputs[0]
    assert is_released(tripled) and tripled.shape == BIG and tripled.dtype == np.float32
    assert np.isnan(tripled.data).all() and not tripled.data.flags.writeable
    assert repr(tripled).startswith("Tensor(<values released by backward>, shape=(256, 1024)")


def test_backward_never_touches_an_intermediate_someone_holds():
    x = big_leaf()
    doubled = x * 2  # a variable holds it
    loss = (doubled.relu() * 3).sum()
    kept = doubled.data.copy()
    in_a_list = [loss.grad_fn.inputs[0]]  # and a list holds this one
    loss.backward()
    np.testing.assert_array_equal(doubled.data, kept)
    np.testing.assert_array_equal(in_a_list[0].data, 3 * np.maximum(kept, 0))
    assert not is_released(doubled) and not is_released(in_a_list[0])
    assert is_released(loss.grad_fn.inputs[0].grad_fn.inputs[0])  # relu(2x): no one held it


def test_an_intermediate_used_twice_is_given_back_after_both_uses():
    x = big_leaf()
    with buffers_off():
        doubled = x * 2
        loss = (doubled * doubled).sum()  # Mul reads `doubled` twice in its backward
        ref = weakref.ref(doubled.data)
        del doubled
        loss.backward()
    np.testing.assert_allclose(x.grad.data, 8 * x.data, rtol=1e-6)
    assert ref() is None


def test_an_intermediate_its_own_op_reads_in_backward_is_given_back_after_that_backward():
    x = big_leaf()
    with buffers_off():
        loss = ((x * 0.5).exp() * 3).sum()  # Exp's backward reads its output
        exponential = loss.grad_fn.inputs[0].grad_fn.inputs[0]
        array = weakref.ref(exponential.data)
        del exponential
        loss.backward()
    assert array() is None
    np.testing.assert_allclose(x.grad.data, 1.5 * np.exp(0.5 * x.data), rtol=1e-6)
    assert is_released(loss.grad_fn.inputs[0].grad_fn.inputs[0])


@pytest.mark.parametrize("keep", ["retain_graph", "create_graph", "retain_grad", "small"], ids=str)
def test_intermediates_stay_when_the_graph_may_be_used_again(keep):
    x = big_leaf() if keep != "small" else leaf(np.ones(4))
    loss, intermediates = chain_of_intermediates(x)
    if keep == "retain_grad":
        intermediates[1].retain_grad()
    refs = [weakref.ref(t) for t in intermediates]
    del intermediates
    loss.backward(retain_graph=keep == "retain_graph", create_graph=keep == "create_graph")
    if keep == "retain_grad":
        refs = refs[1:2]
    assert not any(is_released(ref()) for ref in refs)
    if keep == "retain_graph":
        loss.backward()  # the values are all there for a second backward
        np.testing.assert_array_equal(x.grad.data, 12 * (x.data > 0))


@pytest.mark.parametrize("backward", [True, False], ids=["after backward", "without backward"])
def test_dropping_the_loss_frees_every_node_without_the_garbage_collector(backward):
    """Issue 2: "after backward() and dropping the loss, the graph is gone". Nodes hold their
    inputs, never their outputs' users, so reference counting alone frees them: no cycle may
    wait for gc (a training loop would grow between collections)."""
    model = mg.nn.Sequential(mg.nn.Conv2D(1, 2, 3, seed=0), mg.nn.ReLU(), mg.nn.MaxPool2D(2),
                             mg.nn.Vect(), mg.nn.Dense(8, 3, seed=0))  # fmt: skip
    x = mg.Tensor(np.random.default_rng(0).standard_normal((2, 4, 4, 1)), requires_grad=True)
    enabled = gc.isenabled()
    gc.disable()
    try:
        loss = mg.nn.functional.cross_entropy(model(x), [0, 2])
        nodes, stack = [], [loss.grad_fn]
        while stack:
            node = stack.pop()
            nodes.append(weakref.ref(node))
            stack += [t.grad_fn for t in node.inputs if t.grad_fn is not None]
        del node
        if backward:
            loss.backward()
        del loss
        assert len(nodes) > 10 and [ref for ref in nodes if ref() is not None] == []
    finally:
        if enabled:
            gc.enable()


def test_a_released_intermediate_still_draws():
    x = big_leaf()
    loss, intermediates = chain_of_intermediates(x)
    del intermediates
    loss.backward()
    source = mg.viz.draw_graph(loss).source
    assert "256" in source and "Mul" in source and "ReLU" in source


def test_retain_graph_keeps_the_nodes():
    x = leaf([1.0])
    y = x.exp()
    y.sum().backward(retain_graph=True)
    assert not y.grad_fn.released


def test_create_graph_retains_the_graph_by_default():
    x = leaf([2.0])
    loss = (x * x).sum()
    loss.backward(create_graph=True)
    loss.backward()  # would fail if the first backward had freed the graph
    np.testing.assert_allclose(x.grad.data, [8.0])


# ---- higher order -----------------------------------------------------------------------------
def test_third_order_gradients_of_a_cube():
    x = leaf([2.0, -1.0])
    (dy,) = mg.grad((x**3).sum(), [x], create_graph=True)
    np.testing.assert_allclose(dy.data, 3 * x.data**2)
    (d2y,) = mg.grad(dy.sum(), [x], create_graph=True)
    np.testing.assert_allclose(d2y.data, 6 * x.data)
    (d3y,) = mg.grad(d2y.sum(), [x])
    np.testing.assert_allclose(d3y.data, [6.0, 6.0])


def test_backward_with_create_graph_gives_grads_with_a_graph():
    x = leaf([2.0])
    (x**3).sum().backward(create_graph=True)
    grad = x.grad
    assert grad.requires_grad and grad.grad_fn is not None
    np.testing.assert_allclose(grad.data, [12.0])
    x.grad = None
    grad.sum().backward()
    np.testing.assert_allclose(x.grad.data, [12.0])  # 6x


def test_first_order_grads_have_no_graph():
    x = leaf([2.0])
    (x**3).sum().backward()
    assert not x.grad.requires_grad and x.grad.grad_fn is None


# ---- mg.grad ----------------------------------------------------------------------------------
def test_mg_grad_leaves_dot_grad_untouched():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    w.grad = mg.Tensor(np.array([9.0, 9.0]))
    gx, gw = mg.grad((x * w).sum(), [x, w])
    np.testing.assert_allclose(gx.data, [3.0, 4.0])
    np.testing.assert_allclose(gw.data, [1.0, 2.0])
    assert x.grad is None
    np.testing.assert_array_equal(w.grad.data, [9.0, 9.0])


def test_mg_grad_of_an_unused_input_is_none():
    x, unused = leaf([1.0]), leaf([1.0])
    gx, g_unused = mg.grad((x * 2).sum(), [x, unused])
    np.testing.assert_allclose(gx.data, [2.0])
    assert g_unused is None
    assert mg.grad((x * 2).sum(), [unused, x, unused])[::2] == (None, None)  # listed twice


def test_mg_grad_takes_one_tensor_as_well_as_a_list():
    x = leaf([1.0, 2.0])
    (dx,) = mg.grad((x * x).sum(), x)  # not iterated over its rows
    np.testing.assert_array_equal(dx.data, [2.0, 4.0])
    s = leaf(3.0)
    (ds,) = mg.grad(s * s, s)
    assert ds.item() == 6.0


def test_mg_grad_with_respect_to_an_intermediate():
    x = leaf([1.0, 2.0])
    y = x * 3
    (gy,) = mg.grad((y * y).sum(), [y])
    np.testing.assert_allclose(gy.data, 2 * y.data)


def test_mg_grad_refuses_inputs_that_do_not_require_grad():
    x = leaf([1.0])
    with pytest.raises(ValueError, match=r"input 1 does not require grad.*requires_grad=True"):
        mg.grad((x * 2).sum(), [x, mg.Tensor([1.0])])


# ---- fresh gradient arrays --------------------------------------------------------------------
@pytest.mark.parametrize("create_graph", [False, True])
def test_leaf_grads_do_not_alias_each_other_or_the_upstream_array(create_graph):
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    upstream = np.array([1.0, 1.0])
    (a + b).backward(upstream, create_graph=create_graph)  # one gradient object reaches both
    assert not np.shares_memory(a.grad.data, b.grad.data)
    assert not np.shares_memory(a.grad.data, upstream)
    a.grad.data[0] = 100.0
    assert b.grad.data[0] == 1.0 and upstream[0] == 1.0


@pytest.mark.parametrize("create_graph", [False, True])
def test_a_leaf_root_grad_does_not_alias_the_upstream_array(create_graph):
    x = leaf([1.0, 2.0])
    upstream = np.array([5.0, 6.0])
    x.backward(upstream, create_graph=create_graph)
    assert not np.shares_memory(x.grad.data, upstream)


@pytest.mark.parametrize("create_graph", [False, True])
def test_grad_dtype_follows_the_leaf(create_graph):
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    (x * 2).backward(np.array([1.0, 1.0]), create_graph=create_graph)  # float64 upstream
    assert x.grad.dtype == np.float32
    y = mg.Tensor([3.0, 4.0], dtype=np.float64, requires_grad=True)
    x.grad = None
    (x * y).sum().backward(create_graph=create_graph)  # ∂/∂x = y: float64, for a float32 x
    assert x.grad.dtype == np.float32 and y.grad.dtype == np.float64


def test_create_graph_grads_are_private_writable_and_still_differentiable():
    """With create_graph a gradient is a tensor of the backward graph; one that is not the
    leaf's own (here both leaves get Sum's read-only broadcast, the same object) is copied by
    an op of that graph, AsType, so it can still be differentiated."""
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    ((a + b) * a).sum().backward(create_graph=True)  # ∂/∂a = 2a + b, ∂/∂b = a
    (b * b).sum().backward(create_graph=True)  # accumulates: ∂/∂b = a + 2b
    assert a.grad is not b.grad and not np.shares_memory(a.grad.data, b.grad.data)
    assert a.grad.data.flags.writeable and b.grad.data.flags.writeable
    np.testing.assert_allclose(a.grad.data, 2 * a.data + b.data)
    (d2,) = mg.grad(b.grad.sum(), [a])  # ∂(Σ a + 2b)/∂a = 1
    np.testing.assert_allclose(d2.data, [1.0, 1.0])
    x, y, z = leaf([1.0, 2.0]), leaf([0.5, 0.5]), leaf([3.0, 4.0])
    ((x + y) * z).sum().backward(create_graph=True)  # Add hands z·1 to x and to y
    assert {x.grad.grad_fn.name, y.grad.grad_fn.name} == {"Mul", "AsType"}
    for g in (x.grad, y.grad):
        (d2,) = mg.grad(g.sum(), [z], retain_graph=True)  # (the two share their graph)
        np.testing.assert_allclose(d2.data, [1.0, 1.0])


# ---- order of the walk ------------------------------------------------------------------------
def test_count_uses_counts_every_use_of_each_tensor_and_collects_the_arrays():
    a, b = leaf([1.0]), leaf([2.0])
    c = a * b
    d = c + a
    root = (d.exp() * c.tanh()).sum()
    uses, arrays, large = count_uses(root)
    assert uses[id(a)] == 2 and uses[id(b)] == 1  # a in c and d; b in c
    assert uses[id(c)] == 2 and uses[id(d)] == 1 and uses[id(root)] == 0
    assert {id(a.data), id(b.data), id(c.data), id(d.data), id(root.data)} <= arrays
    assert large == []  # no tensor of RELEASE_MIN_BYTES or more
    x = big_leaf()
    doubled = x * 2
    tripled = doubled * 3
    large = count_uses(tripled.sum())[2]
    assert [id(t) for t in large] == [id(tripled), id(doubled), id(x)]


TAPPED = []  # the labels of the Tap nodes, in the order backward reached them


class Tap(mg.Function):
    """The identity, noting the order in which backward reaches it."""

    def forward(self, x, label):
        return x

    def backward(self, grad_out):
        TAPPED.append(self.settings["label"])
        return (grad_out,)


def test_backward_reaches_a_node_after_every_use_of_its_output_and_in_a_fixed_order():
    orders = []
    for _ in range(3):
        TAPPED.clear()
        a = leaf([1.0, 2.0])
        x = Tap.apply(a, label="x")
        y, z = Tap.apply(x, label="y"), Tap.apply(x * 2, label="z")
        w = Tap.apply(z.exp(), label="w")
        (y * w + z).sum().backward()
        orders.append(list(TAPPED))
    assert orders[0] == orders[1] == orders[2]
    order = orders[0]
    assert order.index("x") > max(order.index("y"), order.index("z"))
    assert order.index("z") > order.index("w")
    assert sorted(order) == ["w", "x", "y", "z"]  # each node once


# ---- errors -----------------------------------------------------------------------------------
def test_backward_on_a_non_scalar_without_grad_says_how_to_fix():
    y = leaf([1.0, 2.0]) * 2
    with pytest.raises(RuntimeError) as info:
        y.backward()
    message = str(info.value)
    assert "(2,)" in message and "y.sum()" in message and "grad=" in message


def test_backward_on_a_tensor_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match=r"does not require grad.*requires_grad=True"):
        (mg.Tensor([1.0]) * 2).sum().backward()


def test_backward_inside_no_grad_mentions_no_grad():
    x = leaf([1.0])
    with mg.no_grad():
        y = (x * 2).sum()
    with pytest.raises(RuntimeError, match=r"mg.no_grad\(\)"):
        y.backward()


def test_backward_with_a_grad_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"grad has shape \(3,\) but the tensor has shape \(2,\)"):
        (leaf([1.0, 2.0]) * 2).backward(np.ones(3))


# ---- custom Functions -------------------------------------------------------------------------
class Cube(mg.Function):
    """y = x³ with its settings recorded; backward: 3x² · g."""

    def forward(self, x, scale):
        return scale * x**3

    def backward(self, grad_out):
        (x,) = self.inputs
        return (grad_out * self.settings["scale"] * 3 * x * x,)


class WrongShape(mg.Function):
    """A broken op whose backward returns a gradient of the wrong shape."""

    def forward(self, x):
        return x.sum()

    def backward(self, grad_out):
        return (grad_out,)


def test_a_custom_function_records_its_node_and_differentiates_twice():
    x = leaf([2.0])
    y = Cube.apply(x, scale=2.0)
    node = y.grad_fn
    assert node.name == "Cube" and node.inputs == (x,) and node.settings == {"scale": 2.0}
    assert node.scope == ()
    (dy,) = mg.grad(y.sum(), [x], create_graph=True)
    np.testing.assert_allclose(dy.data, [24.0])
    (d2y,) = mg.grad(dy.sum(), [x])
    np.testing.assert_allclose(d2y.data, [24.0])  # 12 · scale · x


def test_module_scope_is_recorded_on_nodes():
    outer, inner = object(), object()
    x = leaf([1.0])
    with module_scope(outer):
        with module_scope(inner):
            y = x * 2
        z = y + 1
    w = z * 1
    assert y.grad_fn.scope == (outer, inner)
    assert z.grad_fn.scope == (outer,)
    assert w.grad_fn.scope == ()
    assert y.grad_fn.call_ids[:1] == z.grad_fn.call_ids  # a number per call: outer, then inner
    assert len(y.grad_fn.call_ids) == 2 and w.grad_fn.call_ids == ()
    block = module_scope(outer)  # one object, used twice: two calls of `outer`
    with block:
        first = x * 3
    with block:
        second = x * 3
    assert first.grad_fn.scope == second.grad_fn.scope == (outer,)
    assert first.grad_fn.call_ids != second.grad_fn.call_ids


def test_a_gradient_of_the_wrong_shape_names_the_op():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"WrongShape.backward returned a gradient of shape"):
        WrongShape.apply(x).backward()


def test_a_value_error_in_forward_names_the_op_and_shapes():
    class Fails(mg.Function):
        def forward(self, x):
            raise ValueError("bad input")

    with pytest.raises(ValueError, match=r"Fails got inputs of shapes \(2,\): bad input"):
        Fails.apply(leaf([1.0, 2.0]))


def test_summing_gradients_never_writes_into_the_callers_array():
    x = leaf([1.0, 2.0])
    upstream = np.array([1.0, 10.0])
    (x + x + x).backward(upstream)  # x gets the same upstream array three times
    np.testing.assert_array_equal(upstream, [1.0, 10.0])
    np.testing.assert_array_equal(x.grad.data, [3.0, 30.0])


def test_summing_gradients_never_writes_into_saved_values():
    x = leaf([1.0, 2.0])
    w = leaf([3.0, 4.0])
    y = x * w  # Mul saves x and w; the gradient of w is x·g and of x is w·g
    (y + x * 1.0 + w * 1.0).backward(np.ones(2), retain_graph=True)
    np.testing.assert_array_equal(x.data, [1.0, 2.0])
    np.testing.assert_array_equal(w.data, [3.0, 4.0])
    np.testing.assert_array_equal(x.grad.data, [4.0, 5.0])
    np.testing.assert_array_equal(w.grad.data, [2.0, 3.0])


def test_mg_grad_frees_the_graph_unless_asked_to_retain_it():
    x = leaf([1.0, 2.0])
    loss = (x.exp() * x).sum()
    mg.grad(loss, [x], retain_graph=True)
    mg.grad(loss, [x])
    with pytest.raises(RuntimeError, match=r"retain_graph=True"):
        loss.backward()


# ---- review fixes: the Function contract, all-or-nothing second backward ----------------------
class Double(mg.Function):
    """y = 2x; subclasses break the backward contract in different ways."""

    def forward(self, x):
        return 2 * x

    def backward(self, grad_out):
        return (grad_out * 2,)


class ReturnsBareTensor(Double):
    def backward(self, grad_out):
        return grad_out * 2


class ReturnsArray(Double):
    def backward(self, grad_out):
        return (grad_out.data * 2,)


class ReturnsTooFew(mg.Function):
    def forward(self, a, b):
        return a * b

    def backward(self, grad_out):
        return (grad_out * self.inputs[1],)


class ReturnsInts(mg.Function):
    def forward(self, x):
        return (x > 0).astype(np.int64)

    def backward(self, grad_out):
        return (grad_out,)


def test_backward_must_return_a_tuple_of_tensors():
    x = leaf([1.0, 2.0])
    with pytest.raises(TypeError, match="trailing comma"):
        ReturnsBareTensor.apply(x).sum().backward()
    # The tuple is right; its element is an array: the fix is a Tensor, not a comma.
    with pytest.raises(TypeError, match=r"tuple of 1 \(ndarray\)\. Each gradient must be a Tensor"):
        ReturnsArray.apply(x).sum().backward()


class ReturnsParameter(Double):
    def backward(self, grad_out):
        return (mg.nn.Parameter(grad_out.data * 2),)  # a Tensor subclass: a Tensor all the same


def test_backward_may_return_a_tensor_subclass():
    x = leaf([1.0, 2.0])
    ReturnsParameter.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 2.0])


def test_backward_must_return_one_gradient_per_input():
    a, b = leaf([1.0]), leaf([2.0])
    with pytest.raises(TypeError, match=r"2 here .* Write `return \(grad_0, grad_1\)`"):
        ReturnsTooFew.apply(a, b).sum().backward()


def test_an_op_is_applied_not_called():
    with pytest.raises(TypeError, match=r"Double is applied with Double.apply\(x, …\)"):
        Double()(leaf([1.0]))


def test_a_setting_given_by_position_is_pointed_to_keywords():
    with pytest.raises(TypeError, match=r"input 1 is of type int\. A setting goes in as a "
                       r"keyword: Double.apply\(x, k=2\)"):  # fmt: skip
        Double.apply(leaf([1.0]), 2)


def test_apply_refuses_arrays_and_int_results():
    with pytest.raises(TypeError, match="takes Tensors"):
        Double.apply(np.ones(3))
    with pytest.raises(TypeError, match="Exp.apply takes Tensors as inputs; input 0 is of type nd"):
        mg.ops.Exp.apply(np.ones(3))  # numpy reads the array's .data buffer: forward succeeds
    with mg.no_grad(), pytest.raises(TypeError, match="input 1 is of type ndarray"):
        mg.ops.Add.apply(leaf([1.0]), np.ones(1))  # the same under no_grad (it once passed)
    with pytest.raises(TypeError, match="must return floats"):
        ReturnsInts.apply(leaf([1.0, -1.0]))


class ForgetsReturn(mg.Function):
    def forward(self, x):
        x * 2  # the mistake under test: no return

    def backward(self, grad_out):
        grad_out * 2


class ForgetsBackwardReturn(Double):
    def backward(self, grad_out):
        grad_out * 2


class Inverse(mg.Function):
    def forward(self, x):
        return np.linalg.inv(x)

    def backward(self, grad_out):
        raise NotImplementedError


class SumAsNumpyScalar(mg.Function):
    """Σ x as numpy returns it from a full reduction: a numpy scalar, not a 0-d array."""

    def forward(self, x):
        return np.add.reduce(x, axis=None)

    def backward(self, grad_out):
        return (grad_out.broadcast_to(self.inputs[0].shape),)


class SumAsFloat(SumAsNumpyScalar):
    def forward(self, x):
        return float(x.sum())


@pytest.mark.parametrize("op", [SumAsNumpyScalar, SumAsFloat])
def test_a_forward_returning_a_number_gives_a_0d_tensor(op):
    x = leaf([1.0, 2.0])
    y = op.apply(x)
    assert type(y.data) is np.ndarray and y.shape == () and y.item() == 3.0
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])


def test_a_forward_returning_a_python_float_keeps_the_inputs_dtype():
    """float(...) gave a float64 result for float32 inputs: the network silently became
    float64. A Python float takes the inputs' dtype, as a Python number in an expression does."""
    x = mg.Tensor([1.0, 2.0], requires_grad=True)  # float32
    y = SumAsFloat.apply(x)
    assert y.dtype == np.float32 and y.item() == 3.0


class ReturnsTwo(Double):
    """forward returns (y, something backward needs), a PyTorch habit."""

    def forward(self, x):
        return x * 2, x > 0


class ReturnsResultAndCache(Double):
    def forward(self, x):
        return x * 2, x.sum()


class ReturnsList(Double):
    def forward(self, x):
        return [x * 2, x > 0]


class ReturnsListOfNumbers(Double):
    def forward(self, x):
        return [[float(v) * 2 for v in x]]  # (nested: rows of numbers)


class ReturnsListOfTensors(Double):
    def forward(self, x):
        return [mg.Tensor(x * 2), mg.Tensor(x > 0)]


class ReturnsLen(Double):
    def forward(self, x):
        return len(x)


def test_a_forward_returning_a_tuple_a_list_or_an_int_says_what_to_return():
    """A tuple of equal shapes was stacked into one (2, …) result without a word; of other
    shapes, numpy's 'inhomogeneous shape' error came up from apply, naming no op."""
    refused = r"forward returned a tuple of 2; forward returns one array .*Save what backward"
    for op in (ReturnsTwo, ReturnsResultAndCache):
        with pytest.raises(TypeError, match=rf"^{op.__name__}.{refused} needs on self"):
            op.apply(leaf([1.0, -1.0]))
    with pytest.raises(
        TypeError, match=r"^ReturnsList.forward returned a list of 2; forward returns one array"
    ):
        ReturnsList.apply(leaf([1.0, -1.0]))  # (numpy stacked it into one (2, 2) result)
    with pytest.raises(TypeError, match=r"^ReturnsListOfTensors.forward returned a list of 2"):
        ReturnsListOfTensors.apply(leaf([1.0, -1.0]))
    with pytest.raises(TypeError, match=r"ReturnsListOfNumbers.forward returned a list; .* "
                       r"np.asarray\(values, dtype=x.dtype\)"):  # fmt: skip
        ReturnsListOfNumbers.apply(leaf([1.0, -1.0]))  # (numpy made it float64)
    with pytest.raises(TypeError, match=r"ReturnsLen.forward returned the Python int 2; forward "
                       r"must return floats: np.asarray\(value, dtype=x.dtype\)"):  # fmt: skip
        ReturnsLen.apply(leaf([1.0, -1.0]))


class ScaleBy(mg.Function):
    def forward(self, x, factor):
        return x * factor

    def backward(self, grad_out):
        return (grad_out * self.settings["factor"],)


def test_an_array_given_for_a_setting_is_pointed_to_the_settings_name():
    with pytest.raises(TypeError, match=r"input 1 is of type ndarray\. To differentiate with "
                       r"respect to it, wrap it.* ScaleBy.apply\(x, factor=…\)"):  # fmt: skip
        ScaleBy.apply(leaf([1.0]), np.array(2.0))


def test_differentiating_a_gradient_a_numpy_backward_made_says_why_it_has_no_graph():
    x = leaf([0.5, -1.5])
    (grad_x,) = mg.grad(SquareInNumpy.apply(x).sum(), [x], create_graph=True)
    with pytest.raises(RuntimeError, match=r"does not require grad.*create_graph=True has no "
                       r"graph when an op's backward computed it with numpy"):  # fmt: skip
        mg.grad(grad_x.sum(), [x])


def test_a_forgotten_return_is_named_as_such():
    with pytest.raises(TypeError, match=r"ForgetsReturn.forward returned None: is `return`"):
        ForgetsReturn.apply(leaf([1.0]))
    with pytest.raises(TypeError, match=r"but returned None \(is `return` missing\?\)"):
        ForgetsBackwardReturn.apply(leaf([1.0])).sum().backward()


def test_an_op_with_an_init_is_refused_when_defined():
    """apply makes the node without calling __init__: the settings would be missing later."""
    with pytest.raises(TypeError, match=r"LeakyReLU defines __init__.*apply\(x, slope=0.1\)"):

        class LeakyReLU(mg.Function):
            def __init__(self, slope=0.1):
                self.slope = slope


def test_pytorchs_static_forward_and_backward_with_ctx_are_refused_when_defined():
    """@staticmethod forward(ctx, a) got the advice "pass a setting: Scale.apply(ctx, a=…)",
    which made things worse (a second reader's find)."""
    with pytest.raises(TypeError, match=r"^Twice.forward is a @staticmethod taking ctx, as "
                       r"PyTorch writes it;.*remove @staticmethod"):  # fmt: skip

        class Twice(mg.Function):
            @staticmethod
            def forward(ctx, a):
                return a * 2

    with pytest.raises(TypeError, match=r"^TwiceBack.backward is a @staticmethod taking ctx"):

        class TwiceBack(mg.Function):
            def forward(self, a):
                return a * 2

            @staticmethod
            def backward(ctx, grad_out):
                return (grad_out * 2,)

    assert SlopeStatic.apply(leaf([1.0, -2.0]), slope=0.5).data[1] == -1.0  # no ctx: allowed


def test_a_subclass_of_valueerror_from_forward_keeps_its_type():
    """_explain rebuilt every ValueError: `except np.linalg.LinAlgError` stopped catching."""
    with pytest.raises(np.linalg.LinAlgError):
        Inverse.apply(leaf(np.zeros((2, 2))))


def test_a_refused_second_backward_writes_no_gradient():
    old, fresh = leaf([1.0]), leaf([1.0])
    used = (old * 2).sum()
    used.backward()
    old.grad = None
    loss = used + (fresh * 3).sum()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()
    assert fresh.grad is None and old.grad is None


class Dot(mg.Function):
    """L = Σ a·b; its backward legally returns the other input as the gradient (for g = 1)."""

    def forward(self, a, b):
        return np.sum(a * b)

    def backward(self, grad_out):
        a, b = self.inputs
        return b * grad_out, a * grad_out


class DotReturningInputs(Dot):
    def backward(self, grad_out):
        a, b = self.inputs
        return b, a  # right only for g = 1, but a legal return: tensors of the graph


@pytest.mark.parametrize("create_graph", [False, True])
def test_a_gradient_is_never_the_data_of_a_tensor_of_the_graph(create_graph):
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    DotReturningInputs.apply(a, b).backward(create_graph=create_graph)
    assert not np.shares_memory(a.grad.data, b.data)
    assert not np.shares_memory(b.grad.data, a.data)
    mg.optim.SGD([b, a], lr=0.1).step()  # b changes in place before a's step reads a.grad
    np.testing.assert_allclose(a.data, [0.7, 1.6])


@pytest.mark.parametrize("create_graph", [False, True])
def test_mg_grad_returns_private_arrays(create_graph):
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    up = np.array([5.0, 6.0])
    ga, gb = mg.grad(a + b, [a, b], grad_output=up, create_graph=create_graph)
    assert ga is not gb and not np.shares_memory(ga.data, gb.data)
    ga.data[0] = 0.0
    np.testing.assert_array_equal(gb.data, up)
    np.testing.assert_array_equal(up, [5.0, 6.0])


@pytest.mark.parametrize("how", ["copy.copy", "by hand"])
def test_a_copied_intermediate_does_not_make_backward_release_a_held_tensor(how):
    x = big_leaf()
    doubled = x * 2  # held here
    rectified = doubled.relu()
    if how == "copy.copy":  # a node of its own (Tensor.__copy__)
        twin = copy.copy(rectified)
        assert twin.grad_fn is not rectified.grad_fn
        assert np.shares_memory(twin.data, rectified.data)
    else:  # a second tensor of the same node: its input is counted twice
        twin = mg.Tensor._wrap(rectified.data, True, rectified.grad_fn)
    loss = (rectified + twin).sum()
    kept = doubled.data.copy()
    loss.backward()
    np.testing.assert_array_equal(doubled.data, kept)
    np.testing.assert_array_equal(x.grad.data, 4 * (x.data > 0))


def test_backward_through_a_tensor_and_its_copy_reaches_the_node_once_each():
    x = leaf([[1.0, 3.0], [2.0, 0.5]])
    y = x.max(axis=1)  # Max keeps what it saved until its backward
    (y + copy.copy(y)).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [[0.0, 2.0], [2.0, 0.0]])
    leaf_copy = copy.copy(x)
    assert leaf_copy.grad_fn is None and leaf_copy.data is x.data and leaf_copy.requires_grad
    parameter = copy.copy(mg.nn.Parameter(np.zeros(2, np.float32)))
    assert type(parameter) is mg.nn.Parameter  # so a Module still registers the copy


def test_a_deep_copied_graph_reads_its_own_saved_outputs():
    x = big_leaf()
    loss = ((x * 0.5).exp() * 1.0).sum()  # Exp reads its output in backward
    twin = copy.deepcopy(loss)
    loss.backward()  # releases the original graph's intermediates
    twin.backward()
    exponential = twin.grad_fn.inputs[0].grad_fn.inputs[0]
    assert exponential.grad_fn.output is exponential
    copied_x = exponential.grad_fn.inputs[0].grad_fn.inputs[0]
    assert copied_x is not x and x.grad is not None
    np.testing.assert_allclose(copied_x.grad.data, 0.5 * np.exp(0.5 * x.data), rtol=1e-6)


def test_a_deep_copied_graph_keeps_what_forward_saved():
    x = leaf([[1.0, 3.0], [2.0, 0.5]])
    loss = x.max(axis=1).mean()  # Max saves its maxima, Mean its count, as attributes
    twin = copy.deepcopy(loss)
    loss.backward()  # releases what the original nodes saved
    twin.backward()
    copied_x = twin.grad_fn.inputs[0].grad_fn.inputs[0]
    np.testing.assert_array_equal(copied_x.grad.data, [[0.0, 0.5], [0.5, 0.0]])


def test_a_deep_copied_node_is_one_node_with_its_output_or_none_once_that_is_gone():
    x = leaf([1.0, 2.0])
    y = x.exp()
    node, y_copy = copy.deepcopy((y.grad_fn, y))  # the node first: its output is copied inside
    assert y_copy.grad_fn is node and node.output is y_copy
    gone = x.exp().grad_fn  # its output is dropped at once
    assert gone.output is None and copy.deepcopy(gone).output is None


def test_a_pickled_graph_goes_back_like_the_original():
    x = leaf([[0.5, -1.0], [2.0, 0.25]])
    loss = (x.tanh() * x.exp()).max(axis=1).sum()  # tanh and exp read their outputs in backward
    twin = pickle.loads(pickle.dumps(loss))
    loss.backward()
    twin.backward()
    product = twin.grad_fn.inputs[0].grad_fn.inputs[0]
    tanh, exponential = product.grad_fn.inputs
    assert tanh.grad_fn.output is tanh and exponential.grad_fn.output is exponential
    copied_x = tanh.grad_fn.inputs[0]
    assert copied_x is not x and exponential.grad_fn.inputs[0] is copied_x  # one leaf, shared
    np.testing.assert_array_equal(copied_x.grad.data, x.grad.data)


def test_a_pickled_node_whose_output_is_gone_reads_none():
    node = leaf([1.0, 2.0]).exp().grad_fn  # its output is dropped at once
    assert node.output is None
    copied = pickle.loads(pickle.dumps(node))
    assert copied.output is None and copied.inputs[0].data.tolist() == [1.0, 2.0]


def test_a_pickled_graph_that_backward_freed_is_still_refused():
    x = leaf([1.0, 2.0])
    loss = x.exp().sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="already went through and freed"):
        pickle.loads(pickle.dumps(loss)).backward()


def test_values_backward_released_stay_released_in_a_copy_or_a_pickle():
    """A copy wrote a released tensor's placeholder as a full, writable array of NaNs, which
    the copy then showed as its values (and a pickle held a NaN array the size of the data)."""
    x = mg.Tensor(np.ones((256, 512)), requires_grad=True)  # float64: 1 MiB tensors
    loss = (x * 2.0).tanh().sum()
    loss.backward()
    released = loss.grad_fn.inputs[0]  # tanh's output: only the graph held it
    assert is_released(released)
    size = len(pickle.dumps(loss))
    assert size < 2.1 * x.data.nbytes  # x and x.grad; no arrays for the two released values
    for twin in (pickle.loads(pickle.dumps(released)), copy.deepcopy(released)):
        assert is_released(twin) and twin.shape == (256, 512) and twin.dtype == np.float64
        assert "<values released by backward>" in repr(twin)
    parameter = mg.nn.Parameter(np.ones(2, np.float32), name="w")
    parameter.note = "kept"  # a subclass's own attributes are copied too
    twin = pickle.loads(pickle.dumps(parameter))
    assert type(twin) is mg.nn.Parameter and twin.note == "kept" and twin.name == "w"
    np.testing.assert_array_equal(twin.data, [1.0, 1.0])


class TaggedTensor(mg.Tensor):
    __slots__ = ("tag",)


def test_a_copy_or_a_pickle_keeps_a_tensor_subclass_s_own_slots():
    """Only Tensor's own slots were written: a subclass's slot was lost in the copy."""
    tagged = TaggedTensor([1.0, 2.0])
    tagged.tag = "kept"
    for twin in (pickle.loads(pickle.dumps(tagged)), copy.deepcopy(tagged)):
        assert type(twin) is TaggedTensor and twin.tag == "kept"


def test_a_tensor_pickled_before_tensors_had_getstate_still_loads():
    """Python's own state of a tensor, (__dict__ or None, slots), as pickles written before
    Tensor.__getstate__ hold it, failed to load: 'tuple' object has no attribute 'items'."""
    parameter = mg.nn.Parameter(np.ones(2, np.float32), name="w")
    parameter.note = "kept"

    def as_before(tensor):  # how object.__reduce_ex__ wrote a tensor
        slots = {slot: getattr(tensor, slot) for slot in mg.Tensor.__slots__[1:]}  # not __weakref__
        return copyreg.__newobj__, (type(tensor),), (getattr(tensor, "__dict__", None), slots)

    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=2)
    pickler.dispatch_table = {mg.nn.Parameter: as_before, mg.Tensor: as_before}
    pickler.dump([parameter, mg.Tensor([1.0, 2.0], name="x")])
    twin, tensor = pickle.loads(buffer.getvalue())
    assert type(twin) is mg.nn.Parameter and twin.note == "kept" and twin.name == "w"
    np.testing.assert_array_equal(twin.data, [1.0, 1.0])
    assert type(tensor) is mg.Tensor and tensor.name == "x" and not tensor.requires_grad


def every_op_on_large_tensors(x, w):
    """A loss through nearly every primitive, on intermediates of 1 MiB or more (released by
    backward unless retained): values read in backward come from inputs, outputs and saves."""
    m = mg.ops
    h = (x @ w).tanh()  # (256, 1024)
    h = h.sigmoid() * h.exp() / (h * h + 1.0) + (h + 2.0).log() + h**3
    h = m.relu(h - 0.5) + m.log_softmax(h, axis=1)
    images = h.reshape(16, 16, 32, 32).transpose((0, 2, 3, 1))  # (16, 32, 32, 16)
    p = m.patches(m.pad(images, 1), 1)  # (16, 32, 32, 3, 3, 16)
    pooled = m.max(p, axis=(3, 4))  # (16, 32, 32, 16)
    back = m.fold(p * 0.5, (16, 34, 34, 16), 1)  # (16, 34, 34, 16)
    both = m.concat([pooled.reshape(-1), m.crop(back, 1).reshape(-1)], axis=0)
    stacked = m.sum_to(m.stack([both, both * 2.0]), (1, both.shape[0]))
    return both.mean() + both[::3].sum() + (stacked * m.broadcast_to(both, stacked.shape)).sum()


def test_releasing_intermediates_never_changes_a_gradient():
    rng = np.random.default_rng(1)
    x = mg.Tensor(rng.standard_normal((256, 64)).astype(np.float32) * 0.3, requires_grad=True)
    w = mg.Tensor(rng.standard_normal((64, 1024)).astype(np.float32) * 0.3, requires_grad=True)
    every_op_on_large_tensors(x, w).backward(retain_graph=True)  # keeps every value
    expected = x.grad.data.copy(), w.grad.data.copy()
    x.grad = w.grad = None
    loss = every_op_on_large_tensors(x, w)
    loss.backward()
    tensors, _ = _walk([loss])  # every tensor of the graph, as the drawer walks it
    released = [t for t in tensors if is_released(t)]
    assert len(released) >= 10  # the test does go through released values
    np.testing.assert_array_equal(x.grad.data, expected[0])
    np.testing.assert_array_equal(w.grad.data, expected[1])


# ---- create_graph gradients that are views (review) --------------------------------------------
def test_create_graph_views_of_one_shared_gradient_are_private():
    """Add hands one gradient to both inputs; a reshape (or transpose) on each branch makes two
    views of it. Under create_graph the second view must be copied (AsType), as in first order."""
    a, b, c = leaf([[1.0, 2.0]]), leaf([[3.0, 4.0]]), leaf([5.0, 6.0])
    ((a.reshape(2) + b.reshape(2)) * c).sum().backward(create_graph=True)
    assert not np.shares_memory(a.grad.data, b.grad.data)
    a.grad.data[0, 0] = 100.0
    np.testing.assert_array_equal(b.grad.data, [[5.0, 6.0]])
    p, q = leaf([[1.0, 2.0], [3.0, 4.0]]), leaf([[1.0, 2.0], [3.0, 4.0]])
    (gp, gq) = mg.grad(((p.T + q.T) * p).sum(), [p, q], create_graph=True)
    assert not np.shares_memory(gp.data, gq.data)
    (d2,) = mg.grad(gq.sum(), [p])  # ∂/∂q = p, so ∂(Σ p)/∂p = 1: still differentiable
    np.testing.assert_array_equal(d2.data, np.ones((2, 2)))


def test_a_create_graph_gradient_that_is_a_view_of_its_own_array_is_not_copied():
    """One view, of an array the backward made for it alone: no AsType copy, so a drawing of the
    backward graph shows no extra node."""
    x, w = leaf([[1.0, 2.0]]), leaf([3.0, 4.0])
    (x.reshape(2) * w).sum().backward(create_graph=True)
    assert x.grad.grad_fn.name == "Reshape"
    np.testing.assert_array_equal(x.grad.data, [[3.0, 4.0]])


def test_create_graph_grad_is_not_a_view_of_the_upstream_tensor_or_a_retained_grad():
    x, w = leaf([[1.0, 2.0]]), leaf([3.0, 4.0])
    (gx,) = mg.grad(x.reshape(2), [x], grad_output=w, create_graph=True)  # w: a leaf of yours
    assert not np.shares_memory(gx.data, w.data)
    x = leaf([1.0, 2.0, 3.0, 4.0])
    y = x.reshape(2, 2).retain_grad()
    (y * leaf([[1.0, 2.0], [3.0, 4.0]])).sum().backward(create_graph=True)
    assert not np.shares_memory(x.grad.data, y.grad.data)


@pytest.mark.parametrize("create_graph", [False, True])
def test_mg_grad_of_one_input_listed_twice_gives_two_private_gradients(create_graph):
    x = leaf([1.0, 2.0])
    g1, g2 = mg.grad((x * x).sum(), [x, x], create_graph=create_graph)
    np.testing.assert_array_equal(g2.data, [2.0, 4.0])
    assert g1 is not g2 and not np.shares_memory(g1.data, g2.data)


# ---- what the walk must keep: grad mode, sums of gradients, private gradients, dtypes ---------
def test_backward_inside_no_grad_leaves_it_off():
    x = leaf([1.0, 2.0])
    loss = (x * x).sum()
    with mg.no_grad():
        loss.backward()  # backward switches grad mode for its own walk, then restores it
        assert not is_grad_enabled()
        assert not (x * 2).requires_grad
    assert is_grad_enabled()


def test_create_graph_sums_three_gradients_into_one_graph():
    """x reaches x·x·x three times: the sum of its three gradients must stay in the backward
    graph (never added into in place), or the second derivative misses a term."""
    x = leaf([2.0, -1.0])
    (x * x * x).sum().backward(create_graph=True)
    np.testing.assert_allclose(x.grad.data, 3 * x.data**2)
    (d2,) = mg.grad(x.grad.sum(), [x])
    np.testing.assert_allclose(d2.data, 6 * x.data)


def test_a_summed_gradient_handed_on_is_never_added_into_again():
    """t's gradient is a sum backward made (t is used twice); Add hands that one array to x and
    to y, and y stores it at once. x's second gradient arrives after: it must go into a new
    array, not into the one y holds."""
    x, y = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    t = x + y
    ((x * 3).sum() + (t + t).sum()).backward()
    np.testing.assert_array_equal(y.grad.data, [2.0, 2.0])
    np.testing.assert_array_equal(x.grad.data, [5.0, 5.0])


def test_leaf_grads_that_are_views_of_one_shared_gradient_are_private():
    """The first-order twin of test_create_graph_views_of_one_shared_gradient_are_private: Add
    hands one gradient to both inputs, and each reshape's backward makes a view of it."""
    a, b, c = leaf([[1.0, 2.0]]), leaf([[3.0, 4.0]]), leaf([5.0, 6.0])
    ((a.reshape(2) + b.reshape(2)) * c).sum().backward()
    assert not np.shares_memory(a.grad.data, b.grad.data)
    a.grad.data[0, 0] = 100.0
    np.testing.assert_array_equal(b.grad.data, [[5.0, 6.0]])


class DotReturningViewsOfInputs(Dot):
    def backward(self, grad_out):
        a, b = self.inputs
        return b[:], a[:]  # right only for g = 1: views of the inputs' arrays


def test_a_create_graph_gradient_is_never_a_view_of_a_constant_of_the_graph():
    """b is a view (a reshape of a constant that requires no grad, so the walk never visits
    it): the array whose memory b shows must still count as given out."""
    a = leaf([[1.0, 2.0], [3.0, 4.0]])
    b = mg.Tensor(np.arange(4.0)).reshape(2, 2)
    DotReturningViewsOfInputs.apply(a, b).backward(create_graph=True)
    assert not np.shares_memory(a.grad.data, b.data)


class TimesThree(mg.Function):
    """y = 3x, whose backward returns a cached read-only array (right only for g = 1)."""

    THREE = np.full(2, 3.0)
    THREE.flags.writeable = False

    def forward(self, x):
        return 3 * x

    def backward(self, grad_out):
        return (mg.Tensor._wrap(self.THREE, False, None),)


def test_a_read_only_gradient_is_stored_as_a_writable_copy():
    x = leaf([1.0, 2.0])
    TimesThree.apply(x).sum().backward()
    assert x.grad.data.flags.writeable
    assert not np.shares_memory(x.grad.data, TimesThree.THREE)


SEEN_DTYPES = []  # what SeesGradOut's backward received


class SeesGradOut(mg.Function):
    """y = x; records the dtype of each ∂L/∂y its backward receives in SEEN_DTYPES."""

    def forward(self, x):
        return x.copy()

    def backward(self, grad_out):
        SEEN_DTYPES.append(grad_out.dtype)
        return (grad_out,)


@pytest.mark.parametrize(
    "grad", [None, 2.0, np.array(2.0)], ids=["implied", "a number", "a float64 array"]
)
def test_the_root_gradient_takes_the_roots_dtype(grad):
    """Leaves get their own dtype at the end in any case; this is about the walk itself: a
    float32 graph is differentiated in float32, not in float64."""
    x = mg.Tensor(3.0, requires_grad=True)
    SEEN_DTYPES.clear()
    SeesGradOut.apply(x).backward(grad)
    assert SEEN_DTYPES == [np.float32]


def test_astype_sends_the_gradient_back_in_the_inputs_dtype():
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    SEEN_DTYPES.clear()
    SeesGradOut.apply(x).astype(np.float64).sum().backward()
    assert SEEN_DTYPES == [np.float32]


def test_gradients_of_two_dtypes_sum_in_the_wider_one():
    """t gets two float32 gradients (summed into a fresh array), then a float64 one: the total
    is float64, as numpy's sum of the two would be, not added into the float32 array."""
    x = mg.Tensor([1.0, 2.0], requires_grad=True)
    t = SeesGradOut.apply(x)  # float32
    c = mg.Tensor(np.array([0.1, 0.2]))  # float64
    loss = (t * c).sum() + (t * t).sum().astype(np.float64)  # t·t's gradients arrive first
    SEEN_DTYPES.clear()
    loss.backward()
    assert SEEN_DTYPES == [np.float64]


def test_intermediates_are_given_back_from_release_min_bytes_on():
    """Just below RELEASE_MIN_BYTES an intermediate keeps its values; at it, they go back. The
    gradient is the same either way."""
    for size, released in [
        (mg.autograd.RELEASE_MIN_BYTES // 4 - 1, False),
        (mg.autograd.RELEASE_MIN_BYTES // 4, True),
    ]:
        x = mg.Tensor(np.linspace(-1, 1, size, dtype=np.float32), requires_grad=True)
        loss, intermediates = chain_of_intermediates(x)
        refs = [weakref.ref(t) for t in intermediates]
        del intermediates
        loss.backward()
        assert [is_released(ref()) for ref in refs] == [released] * 3
        np.testing.assert_array_equal(x.grad.data, 6 * (x.data > 0))


class ThreeInputs(mg.Function):
    """a + b·c with no settings: the path of Function.apply for more than two inputs."""

    def forward(self, a, b, c):
        return a + b * c

    def backward(self, grad_out):
        _, b, c = self.inputs
        return grad_out, grad_out * c, grad_out * b


@pytest.mark.parametrize("requires", [(True, False, False), (False, False, True), (False,) * 3])
def test_apply_with_one_two_and_three_inputs_records_the_same_node(requires):
    """Function.apply skips a list for one and two inputs without settings: those paths record
    the same needs_input_grad and give the same gradients as the general one."""
    a, b, c = (mg.Tensor(np.array([1.0, 2.0]) + i, requires_grad=r) for i, r in enumerate(requires))
    nodes = [
        ThreeInputs.apply(a, b, c),
        mg.ops.elementwise.Add.apply(a, mg.ops.elementwise.Mul.apply(b, c)),
        mg.ops.elementwise.AsType.apply(ThreeInputs.apply(a, b, c), dtype=np.float64),  # settings
    ]
    for y in nodes:
        np.testing.assert_array_equal(y.data, a.data + b.data * c.data)
        assert y.requires_grad == any(requires)
    if any(requires):
        assert nodes[0].grad_fn.needs_input_grad == requires
        grads = [mg.grad(y.sum(), [t for t in (a, b, c) if t.requires_grad]) for y in nodes]
        for other in grads[1:]:
            for g0, g1 in zip(grads[0], other):
                np.testing.assert_array_equal(g0.data, g1.data)


# ---- review fixes: what a student writing an op gets told --------------------------------------
class ScaleNoUnbroadcast(mg.Function):
    """a · b with the unbroadcast forgotten: a gradient of the broadcast shape."""

    def forward(self, a, b):
        return a * b

    def backward(self, grad_out):
        a, b = self.inputs
        return grad_out * b, grad_out * a


class RowSumForgetsBroadcast(mg.Function):
    """Σ over axis 1 whose backward hands the gradient on without spreading it back."""

    def forward(self, x):
        return x.sum(axis=1)

    def backward(self, grad_out):
        return (grad_out,)


class TransposeForgetsTranspose(mg.Function):
    def forward(self, x):
        return x.T.copy()

    def backward(self, grad_out):
        return (grad_out,)


def test_a_gradient_of_the_wrong_shape_says_how_to_fix_it():
    """The message named the shapes only; the fix depends on how they differ."""
    with pytest.raises(RuntimeError, match=r"of shape \(2, 3\) for an input of shape \(3,\).*"
                       r"broadcast in forward.*unbroadcast\(grad, x.shape\)"):  # fmt: skip
        ScaleNoUnbroadcast.apply(leaf(np.ones((2, 3))), leaf([1.0, 2.0, 3.0])).sum().backward()
    with pytest.raises(RuntimeError, match=r"of shape \(3,\) for an input of shape \(3, 4\).*"
                       r"grad.broadcast_to\(x.shape\)"):  # fmt: skip
        RowSumForgetsBroadcast.apply(leaf(np.ones((3, 4)))).sum().backward()
    with pytest.raises(RuntimeError, match=r"another layout.*inverse of forward's reshape or "
                       r"transpose"):  # fmt: skip
        TransposeForgetsTranspose.apply(leaf(np.ones((2, 3)))).sum().backward()


class ExpWithoutSavesOutput(mg.Function):
    def forward(self, x):
        return np.exp(x)

    def backward(self, grad_out):
        return (grad_out * self.output,)


def test_reading_self_output_without_saves_output_says_to_set_it():
    """It was AttributeError: 'ExpWithoutSavesOutput' object has no attribute '_output_ref'."""
    with pytest.raises(AttributeError, match=r"ExpWithoutSavesOutput reads self.output.*"
                       r"saves_output = True"):  # fmt: skip
        ExpWithoutSavesOutput.apply(leaf([1.0])).sum().backward()


class Leaky(mg.Function):
    """max(x, slope·x), with its setting `slope` (and a default for it in forward: the mistake
    the last test makes)."""

    def forward(self, x, slope=0.01):
        return np.where(x > 0, x, slope * x)

    def backward(self, grad_out):
        (x,) = self.inputs
        slope = self.settings["slope"]
        return (grad_out * mg.Tensor(np.where(x.data > 0, 1.0, slope)),)


def test_a_setting_given_by_position_is_named_after_forwards_parameter():
    """The hint said apply(x, k=0.1) whatever forward calls it, and missed numpy numbers."""
    x = leaf([1.0, -2.0])
    with pytest.raises(TypeError, match=r"keyword: Leaky.apply\(x, slope=0.1\)"):
        Leaky.apply(x, 0.1)
    with pytest.raises(TypeError, match=r"float32\. A setting goes in as a keyword: Leaky.apply"):
        Leaky.apply(x, np.float32(0.1))


def test_a_missing_or_misspelt_setting_says_to_pass_it_to_apply_as_a_keyword():
    """Python's "missing 1 required positional argument" pointed to passing it by position."""

    class NeedsSlope(Leaky):
        def forward(self, x, slope):
            return np.where(x > 0, x, slope * x)

    x = leaf([1.0, -2.0])
    for keywords in ({}, {"slop": 0.1}):
        with pytest.raises(TypeError, match=r"NeedsSlope.apply could not call forward: .*"
                           r"slope got nothing.*NeedsSlope.apply\(x, slope=…\)"):  # fmt: skip
            NeedsSlope.apply(x, **keywords)


def test_an_op_made_with_its_input_says_it_is_applied():
    """Leaky(x) raised Python's "Leaky() takes no arguments"."""
    with pytest.raises(TypeError, match=r"Leaky is applied with Leaky.apply\(x, …\).*Leaky\(x\)"):
        Leaky(leaf([1.0]))


def test_a_setting_backward_reads_but_apply_was_not_given_is_explained():
    """forward's default made it work; backward then failed with a bare KeyError: 'slope'."""
    with pytest.raises(RuntimeError, match=r"read self.settings\['slope'\], but apply was called "
                       r"without slope=.*def f\(x, slope=0.01\)"):  # fmt: skip
        Leaky.apply(leaf([1.0, -2.0])).sum().backward()
    x = leaf([1.0, -2.0])
    Leaky.apply(x, slope=0.1).sum().backward()  # given: fine
    np.testing.assert_allclose(x.grad.data, [1.0, 0.1])


class InvertAsForward(mg.Function):
    """A numpy function as forward, which raises its own TypeError for float inputs."""

    forward = staticmethod(np.invert)

    def backward(self, grad_out):
        return (grad_out,)


def test_a_type_error_from_inside_a_numpy_forward_is_not_called_a_call_error():
    """It had no Python frame of forward, so it was reported as "could not call forward"."""
    with pytest.raises(TypeError, match=r"^ufunc 'invert' not supported"):
        InvertAsForward.apply(leaf([1.0]))


def _passed_on(forward):
    @functools.wraps(forward)
    def wrapper(*args, **kwargs):
        return forward(*args, **kwargs)

    return wrapper


class SlopeKeywordOnly(Leaky):
    def forward(self, x, *, slope):
        return np.where(x > 0, x, slope * x)


class SlopeStatic(Leaky):
    @staticmethod
    def forward(x, slope):
        return np.where(x > 0, x, slope * x)


class SlopeWrapped(Leaky):
    @_passed_on
    def forward(self, x, slope):
        return np.where(x > 0, x, slope * x)


@pytest.mark.parametrize("op", [SlopeKeywordOnly, SlopeStatic, SlopeWrapped])
def test_a_missing_setting_is_named_for_keyword_only_static_and_wrapped_forwards(op):
    """Keyword-only: "forward takes (x)"; staticmethod: "forward takes (slope)"; wrapped: no
    hint at all."""
    name = op.__name__
    with pytest.raises(TypeError, match=rf"{name}.apply could not call forward: .*slope got "
                       rf"nothing.*{name}.apply\(x, slope=…\)"):  # fmt: skip
        op.apply(leaf([1.0, -2.0]))


class MulReadsInputAsSetting(mg.Function):
    def forward(self, a, b):
        return a * b

    def backward(self, grad_out):
        return grad_out * self.settings["b"], grad_out


def test_a_tensor_input_read_as_a_setting_is_not_called_a_default():
    """b is a tensor input, not a setting with a default: the hint proposed def f(x, b=<class
    'inspect._empty'>)."""
    with pytest.raises(KeyError, match="'b'"):
        MulReadsInputAsSetting.apply(leaf([1.0]), leaf([2.0])).sum().backward()


@pytest.mark.parametrize("requires_grad", [True, False])
def test_a_tensor_given_as_a_setting_is_refused_with_the_input_it_should_be(requires_grad):
    """A Parameter passed as a keyword was never trained, with no error (forward got the Tensor
    itself, and settings get no gradient; a second reader's find)."""
    slope = mg.Tensor([0.1], requires_grad=requires_grad)
    with pytest.raises(TypeError, match=r"^Leaky.apply got a Tensor as the setting slope=…: "
                       r"settings .* get no gradient.*Leaky.apply\(x, slope\)"):  # fmt: skip
        Leaky.apply(leaf([1.0, -2.0]), slope=slope)
    assert Leaky.apply(leaf([1.0, -2.0]), slope=slope.data).data[1] == pytest.approx(-0.2)


# ---- mutation audit: what the review fixes' messages must keep saying ----------------------------
class LeakyNoDefault(Leaky):
    def forward(self, x, slope):
        return np.where(x > 0, x, slope * x)


def test_explained_errors_keep_pythons_error_as_their_cause():
    """`raise … from error`: the traceback shows Python's own error above the explanation."""
    with pytest.raises(TypeError, match="could not call forward") as error:
        LeakyNoDefault.apply(leaf([1.0]))
    assert isinstance(error.value.__cause__, TypeError)
    with pytest.raises(RuntimeError, match=r"read self.settings\['slope'\]") as error:
        Leaky.apply(leaf([1.0, -2.0])).sum().backward()
    assert isinstance(error.value.__cause__, KeyError)


@pytest.mark.parametrize("key_error", [KeyError("cache"), KeyError()])
def test_a_keyerror_of_backward_that_names_no_setting_is_raised_unchanged(key_error):
    class ReadsCache(Leaky):
        """A backward whose KeyError is its own (a dict it keeps), not a setting apply missed."""

        def backward(self, grad_out):
            raise key_error

    with pytest.raises(KeyError) as error:
        ReadsCache.apply(leaf([1.0])).sum().backward()
    assert error.value is key_error and error.value.__cause__ is None


class ReadsOutputInForward(mg.Function):
    saves_output = True

    def forward(self, x):
        self.y = self.output  # the mistake: forward has the result itself, as an array
        return np.exp(x)

    def backward(self, grad_out):
        return (grad_out * self.output,)


def test_reading_self_output_in_forward_says_to_read_it_in_backward():
    """saves_output is set: the fix is where it is read, not the class attribute."""
    with pytest.raises(AttributeError, match=r"ReadsOutputInForward: self.output is the "
                       r"result of forward, kept once apply has recorded the node; read it in "
                       r"backward"):  # fmt: skip
        ReadsOutputInForward.apply(leaf([1.0]))


def test_an_op_made_with_a_setting_says_it_is_applied():
    with pytest.raises(TypeError, match=r"Leaky is applied with Leaky.apply\(x, …\)"):
        Leaky(slope=0.1)


def test_settings_given_by_position_are_named_whatever_their_type():
    x = leaf(np.ones((2, 3)))
    with pytest.raises(TypeError, match=r"input 1 is of type tuple\. .*Transpose.apply\(x, "
                       r"axes=\(1, 0\)\)"):  # fmt: skip
        mg.ops.Transpose.apply(x, (1, 0))
    with pytest.raises(TypeError, match=r"input 1 is of type NoneType\. .*Sum.apply\(x, "
                       r"axes=None\)"):  # fmt: skip
        mg.ops.Sum.apply(x, None, False)
    # forward(self, *arrays, axis): a number after the tensors is its keyword-only setting.
    with pytest.raises(TypeError, match=r"input 2 is of type int\. .*Concat.apply\(x, axis=0\)"):
        mg.ops.Concat.apply(x, x, 0)
    # Input 0 is forward's tensor x, not a setting: the hint does not name x as a keyword.
    with pytest.raises(TypeError, match=r"input 0 is of type float") as error:
        Leaky.apply(0.5)
    assert "x=0.5" not in str(error.value)


class Blend(mg.Function):
    """y = a·x + b (two settings without defaults)."""

    def forward(self, x, a, b):
        return a * x + b

    def backward(self, grad_out):
        return (grad_out * self.settings["a"],)


def test_a_call_error_names_only_the_settings_missing_and_what_forward_takes():
    x = leaf([1.0, 2.0])
    with pytest.raises(TypeError, match=r"forward's b got nothing: .*Blend.apply\(x, b=…\) .*"
                       r"Give a setting its default in the lowercase function"):  # fmt: skip
        Blend.apply(x, a=2.0)
    with pytest.raises(TypeError, match=r"one array per tensor input \(2 here\), then apply's "
                       r"keywords as settings \(none here\); forward takes \(x\)\.$"):  # fmt: skip
        Double.apply(x, x)


def test_a_keyword_only_setting_is_named_when_missing_and_when_backward_reads_it():
    """Concat.forward(self, *arrays, axis): the hint said "forward takes ()"."""
    a, b = leaf([1.0]), leaf([2.0])
    with pytest.raises(TypeError, match=r"forward's axis got nothing: .*Concat.apply\(x, axis=…\)"):
        mg.ops.Concat.apply(a, b)

    class LeakyKeyword(Leaky):
        def forward(self, x, *, slope=0.01):
            return np.where(x > 0, x, slope * x)

    with pytest.raises(RuntimeError, match=r"read self.settings\['slope'\], but apply was called"):
        LeakyKeyword.apply(leaf([1.0, -2.0])).sum().backward()


class RowSumKeepdimsForgetsBroadcast(mg.Function):
    def forward(self, x):
        return x.sum(axis=1, keepdims=True)

    def backward(self, grad_out):
        return (grad_out,)


class SwapsGradients(mg.Function):
    """Σa · Σb whose backward returns the two gradients in the wrong order."""

    def forward(self, a, b):
        return np.asarray(a.sum() * b.sum())

    def backward(self, grad_out):
        a, b = self.inputs
        return grad_out.broadcast_to(b.shape), grad_out.broadcast_to(a.shape)


def test_a_gradient_of_the_wrong_shape_from_keepdims_or_another_input_says_how_to_fix_it():
    with pytest.raises(RuntimeError, match=r"of shape \(3, 1\) for an input of shape \(3, 4\).*"
                       r"spread it back with grad.broadcast_to\(x.shape\)"):  # fmt: skip
        RowSumKeepdimsForgetsBroadcast.apply(leaf(np.ones((3, 4)))).sum().backward()
    # (5, 3) holds sizes of (3, 4, 5), but not in order: no reduction leaves it
    a, b = leaf(np.ones((3, 4, 5))), leaf(np.ones((5, 3)))
    with pytest.raises(RuntimeError, match=r"of shape \(5, 3\) for an input of shape \(3, 4, 5\)"
                       r"; .*\. Compute each gradient from the input it belongs to"):  # fmt: skip
        SwapsGradients.apply(a, b).backward()
