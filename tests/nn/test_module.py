"""Tests of Module, Parameter and Sequential: registration, dotted names in definition order,
named_modules, zero_grad, counts, repr, and the module scope recorded on graph nodes."""

import numpy as np
import pytest

import minigrad as mg
from minigrad import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2D(1, 2, 3, seed=0)
        self.scale = nn.Parameter(np.ones(1, dtype=np.float32))
        self.inner = nn.Sequential(nn.ReLU(), nn.Conv2D(2, 2, 1, seed=1))
        self.note = "not registered"

    def forward(self, x):
        return self.inner(self.conv1(x)) * self.scale


def test_parameters_are_registered_in_definition_order_with_dotted_names():
    names = [name for name, _ in Block().named_parameters()]
    assert names == ["conv1.weight", "conv1.bias", "scale", "inner.1.weight", "inner.1.bias"]
    block = Block()
    assert [id(p) for p in block.parameters()] == [id(p) for _, p in block.named_parameters()]


@pytest.mark.parametrize(
    "values, held",
    [
        ("tensor", "a Tensor.*w.data = w.data - lr \\* w.grad.data"),
        ([3.0, 4.0], "a list.*np.asarray\\(values, dtype=np.float32\\)"),
        (np.ones((3, 2), dtype=int), "an array of int64"),
    ],
)
def test_a_parameter_refuses_data_that_is_not_a_float_array_where_it_is_assigned(values, held):
    """w.data = w.data - lr * w.grad (a Tensor) was accepted, and the layer then failed with
    "array @= tensor" and its repr and state_dict with AttributeErrors (a second reader's find)."""
    layer = nn.Dense(3, 2, seed=0)
    layer(np.ones((4, 3), dtype=np.float32)).sum().backward()
    before = layer.weight.data
    if isinstance(values, str):
        values = layer.weight.data - 0.1 * layer.weight.grad
    with pytest.raises(TypeError, match=r"^Parameter.data = …: a tensor's .data is a numpy float "
                       rf"array; got {held}"):  # fmt: skip
        layer.weight.data = values
    assert layer.weight.data is before
    layer.weight.data = layer.weight.data - 0.1 * layer.weight.grad.data  # the fix
    layer.weight.data = np.zeros((5, 2), dtype=np.float64)  # any float array (load_state_dict)
    assert layer.weight.shape == (5, 2)


def test_a_plain_tensor_whose_data_was_assigned_a_tensor_is_named_by_the_op_that_fails():
    v = mg.Tensor([1.0, 2.0], requires_grad=True, name="v")
    v.data = v * 2  # (a plain Tensor's .data is not checked where it is assigned: it is hot)
    with pytest.raises(TypeError, match=r"^Mul: v's .data holds a Tensor, where a tensor keeps "
                       r"a numpy float array: it was assigned by hand\."):  # fmt: skip
        v * 3
    v.data = [1.0, 2.0]
    with pytest.raises(TypeError, match=r"^shape: v's .data holds a list"):
        _ = v.shape


def test_named_modules_and_children():
    block = Block()
    names = [name for name, _ in block.named_modules()]
    assert names == ["", "conv1", "inner", "inner.0", "inner.1"]
    assert next(iter(block.named_modules()))[1] is block
    assert block.children() == [block.conv1, block.inner]


def test_reassigning_and_deleting_update_the_registry():
    block = Block()
    block.scale = None
    assert "scale" not in [name for name, _ in block.named_parameters()]
    del block.conv1
    assert [name for name, _ in block.named_modules()] == ["", "inner", "inner.0", "inner.1"]
    assert not hasattr(block, "conv1")  # gone from the object too, not only from the registry


def test_replacing_a_parameter_or_layer_by_something_else_is_refused():
    """The layer would still use the new value, but parameters() and the optimizer would not
    see it: it would never be trained, with no error (PyTorch refuses it too)."""
    dense = nn.Dense(3, 2, seed=0)
    with pytest.raises(TypeError, match=r"Dense.weight is a registered Parameter.*nn.Parameter"):
        dense.weight = mg.Tensor(np.ones((3, 2)), requires_grad=True)
    with pytest.raises(TypeError, match=r"Dense.bias is a registered Parameter"):
        dense.bias = np.zeros(2)
    assert [name for name, _ in dense.named_parameters()] == ["weight", "bias"]
    dense.weight = nn.Parameter(np.ones((3, 2), dtype=np.float32))  # a Parameter replaces it
    assert dense.parameters()[0] is dense.weight
    block = Block()
    with pytest.raises(TypeError, match=r"Block.inner is a registered Module.*or None"):
        block.inner = "gone"
    block.inner = None  # None removes it on purpose
    assert [name for name, _ in block.named_modules()] == ["", "conv1"]


def test_named_parameters_with_a_prefix_are_dotted_like_named_modules():
    block = Block()
    assert [name for name, _ in block.named_parameters("net")][:3] == [
        "net.conv1.weight",
        "net.conv1.bias",
        "net.scale",
    ]
    assert [name for name, _ in block.named_modules("net")][1] == "net.conv1"


def test_zero_grad_and_num_parameters():
    block = Block()
    block(mg.Tensor(np.ones((1, 4, 4, 1)))).sum().backward()
    assert all(p.grad is not None for p in block.parameters())
    block.zero_grad()
    assert all(p.grad is None for p in block.parameters())
    assert block.num_parameters() == (9 * 2 + 2) + 1 + (2 * 2 + 2)


def test_parameter_is_a_tensor_that_requires_grad():
    p = nn.Parameter(np.zeros(3, dtype=np.float32))
    assert isinstance(p, mg.Tensor) and p.requires_grad and p.grad is None
    assert repr(p) == "Parameter([0., 0., 0.])"


def test_parameter_repr_lines_its_rows_up_under_its_own_name():
    # (numpy aligned them under "Tensor(", 3 columns to the left, and wrapped them too late)
    assert repr(nn.Parameter(np.ones((2, 2), dtype=np.float32))) == (
        "Parameter([[1., 1.],\n           [1., 1.]])"
    )
    rows = repr(nn.Dense(16, 16, seed=0).weight).splitlines()
    assert max(len(row) for row in rows) <= np.get_printoptions()["linewidth"]


def test_call_records_the_module_scope_on_each_node():
    model = nn.Sequential(("conv", nn.Conv2D(1, 2, 3, seed=0)), ("relu", nn.ReLU()))
    out = model(mg.Tensor(np.ones((1, 4, 4, 1))))
    assert out.grad_fn.name == "ReLU"
    assert out.grad_fn.scope == (model, model.relu)
    add = out.grad_fn.inputs[0].grad_fn.inputs[0].grad_fn  # Reshape ← Add
    assert add.name == "Add" and add.scope == (model, model.conv)


def test_a_failing_forward_leaves_no_scope_behind():
    x = mg.Tensor(np.ones((1, 4, 4, 1)), requires_grad=True)
    model = nn.Sequential(("conv", nn.Conv2D(1, 2, 3, seed=0)), ("dense", nn.Dense(5, 2)))
    with pytest.raises(ValueError, match="Dense expects input"):
        model(x)  # the conv runs, then Dense refuses its (1, 4, 4, 2) input
    y = x * 2  # recorded outside any module call
    assert y.grad_fn.scope == () and y.grad_fn.call_ids == ()


def test_sequential_names_and_indexing():
    named = nn.Sequential(("a", nn.ReLU()), nn.Tanh(), last=nn.Sigmoid())
    assert [name for name, _ in named.named_children()] == ["a", "1", "last"]
    assert len(named) == 3 and isinstance(named[1], nn.Tanh) and list(named)[2] is named.last
    assert repr(nn.Sequential(nn.ReLU())) == "Sequential(\n  (0): ReLU()\n)"
    head = named[1:]  # a slice is a Sequential of the same layers, with their names
    assert isinstance(head, nn.Sequential) and head[0] is named[1] and head.last is named.last
    assert [name for name, _ in head.named_children()] == ["1", "last"]
    x = mg.Tensor([[0.5, -1.0]])
    np.testing.assert_array_equal(named[:2](x).data, named[1](named[0](x)).data)


def test_an_error_inside_a_sequential_names_the_layer():
    """The traceback shows Sequential.forward's loop, not which layer refused its input."""
    model = nn.Sequential(
        ("features", nn.Sequential(nn.Conv2D(1, 8, 3, seed=0), nn.ReLU(), nn.Conv2D(16, 8, 3))),
        nn.Vect(),
    )
    with pytest.raises(ValueError, match="c=16; got shape") as error:
        model(mg.Tensor(np.zeros((2, 8, 8, 1))))
    if hasattr(error.value, "add_note"):  # Python ≥ 3.11: the notes, innermost first
        assert error.value.__notes__ == [
            "(in layer '2', a Conv2D, of Sequential)",
            "(in layer 'features', a Sequential, of Sequential)",
        ]


def test_module_errors():
    with pytest.raises(TypeError, match=r"Sequential: layer '0' is a type.*\(note the \(\)\)"):
        nn.Sequential(nn.ReLU)

    class Forgot(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(np.zeros(1))

    with pytest.raises(RuntimeError, match=r"call super\(\).__init__\(\)"):
        Forgot()
    with pytest.raises(NotImplementedError, match="must define forward"):
        nn.Module()(mg.Tensor(1.0))


@pytest.mark.parametrize(
    ("layers", "named", "message"),
    [
        ((nn.Dense(2, 2), ("0", nn.Dense(2, 3))), {}, "'0' is given to two layers"),
        ((), {"parameters": nn.Dense(2, 2)}, "'parameters' is the name of Sequential's method"),
        ((nn.ReLU(),), {"forward": nn.Tanh()}, "'forward' is the name of Sequential's method"),
        ((("a.b", nn.ReLU()),), {}, "'a.b' is not a valid layer name"),
        ((("", nn.ReLU()),), {}, "'' is not a valid layer name"),
    ],
)
def test_sequential_refuses_a_name_that_would_lose_or_shadow_something(layers, named, message):
    with pytest.raises(ValueError, match=message):
        nn.Sequential(*layers, **named)


def test_the_repr_of_nested_containers_indents_each_level():
    model = nn.Sequential(nn.Sequential(nn.ReLU()), nn.Tanh())
    assert repr(model) == (
        "Sequential(\n  (0): Sequential(\n    (0): ReLU()\n  )\n  (1): Tanh()\n)"
    )


def test_a_shared_parameter_is_listed_once():
    first = nn.Dense(3, 3, seed=0)
    second = nn.Dense(3, 3, seed=1)
    second.weight = first.weight  # tied weights
    model = nn.Sequential(first, second)
    names = [name for name, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "1.bias"]
    assert model.num_parameters() == 9 + 3 + 3


def test_a_list_or_dict_of_layers_is_refused_with_the_fix():
    class Net(nn.Module):
        def __init__(self, container):
            super().__init__()
            self.layers = container

    layers = [nn.Dense(2, 3, seed=0), nn.ReLU(), nn.Dense(3, 1, seed=0)]
    for container in (layers, tuple(layers), {"first": layers[0]}):
        with pytest.raises(TypeError, match=r"Net: self.layers is a .* holding Dense.*"
                           r"use self.layers = nn.Sequential\(\*layers\) \(or assign each "
                           r"layer to its own attribute\)"):  # fmt: skip
            Net(container)
    with pytest.raises(TypeError, match="holding Parameters.*assign each to its own attribute"):
        Net([nn.Parameter(np.zeros(2))])
    plain = Net([1, 2, "three"])  # lists without layers or parameters are fine
    assert plain.layers == [1, 2, "three"] and plain.parameters() == []


def test_a_type_error_inside_a_sequential_names_the_layer_too():
    class Picky(nn.Module):
        def forward(self, x):
            raise TypeError("Picky refuses its input")

    model = nn.Sequential(nn.ReLU(), Picky())
    with pytest.raises(TypeError, match="Picky refuses its input") as error:
        model(mg.Tensor([1.0]))
    if hasattr(error.value, "add_note"):  # Python ≥ 3.11
        assert error.value.__notes__ == ["(in layer '1', a Picky, of Sequential)"]


def _small_net(c_out, seed):
    return nn.Sequential(
        nn.Conv2D(1, c_out, 3, seed=seed), nn.ReLU(), nn.Vect(), nn.Dense(16 * c_out, 3, seed=seed)
    )


def test_state_dict_round_trips_through_an_npz_file(tmp_path):
    trained, fresh = _small_net(4, seed=0), _small_net(4, seed=1)
    state = trained.state_dict()
    assert list(state) == ["0.weight", "0.bias", "3.weight", "3.bias"]
    np.savez(tmp_path / "model.npz", **state)
    weight = fresh[0].weight
    optimizer = mg.optim.SGD(fresh.parameters(), lr=0.1)
    with np.load(tmp_path / "model.npz") as saved:
        fresh.load_state_dict(saved)
    x = mg.Tensor(np.random.default_rng(0).random((2, 4, 4, 1), dtype=np.float32))
    np.testing.assert_array_equal(fresh(x).data, trained(x).data)
    assert fresh[0].weight is weight and optimizer.params[0] is weight  # in place: still trained
    assert all(value.dtype == np.float32 for value in state.values())


def test_state_dict_is_a_copy_and_loading_copies_too():
    net = _small_net(2, seed=0)
    state = net.state_dict()
    before = state["0.bias"].copy()
    net[0].bias.data += 1.0  # training after saving does not change what was saved
    np.testing.assert_array_equal(state["0.bias"], before)
    net.load_state_dict(state)
    state["0.bias"] += 5.0  # nor does changing the dict after loading
    np.testing.assert_array_equal(net[0].bias.data, before)


def test_load_state_dict_casts_to_the_parameters_dtype():
    net = _small_net(2, seed=0)
    state = {name: value.astype(np.float64) for name, value in net.state_dict().items()}
    net.load_state_dict(state)
    assert all(p.dtype == np.float32 for p in net.parameters())


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda s: s.pop("3.bias"), r"missing \['3\.bias'\], unexpected \[\]"),
        (lambda s: s.update(extra=np.zeros(1)), r"missing \[\], unexpected \['extra'\]"),
    ],
)
def test_load_state_dict_refuses_other_names_and_changes_nothing(change, message):
    net = _small_net(2, seed=0)
    state = _small_net(2, seed=1).state_dict()
    change(state)
    before = net.state_dict()
    with pytest.raises(ValueError, match=message):
        net.load_state_dict(state)
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_load_state_dict_names_every_shape_that_differs_and_changes_nothing():
    net, other = _small_net(2, seed=0), _small_net(3, seed=1)
    before = net.state_dict()
    with pytest.raises(ValueError, match=r"0\.weight: saved \(9, 3\), model \(9, 2\);.*3\.weight"):
        net.load_state_dict(other.state_dict())
    for name, value in net.state_dict().items():
        np.testing.assert_array_equal(value, before[name])


def test_parameters_put_in_a_list_after_its_assignment_are_refused_when_listed():
    """self.ws = [] then self.ws.append(Parameter(...)) passed __setattr__'s check, and
    parameters() silently left them out (never trained)."""

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.ws = []
            self.blocks = {}

        def forward(self, x):
            return x

    net = Net()
    assert net.parameters() == []  # empty containers are fine
    net.ws.append(nn.Parameter(np.ones(2)))
    with pytest.raises(TypeError, match=r"Net: self.ws is a list holding Parameters \(added "
                       r"after the assignment\).*invisible to parameters\(\)"):  # fmt: skip
        net.parameters()
    net.ws.clear()
    net.blocks["first"] = [nn.Dense(2, 2, seed=0)]  # nested in a dict
    with pytest.raises(TypeError, match=r"self.blocks is a dict holding Denses"):
        mg.optim.SGD(net.parameters(), lr=0.1)


def test_a_tensor_that_requires_grad_is_refused_as_an_attribute():
    """It was silently not registered (as in PyTorch): never trained, with no word."""

    class Net(nn.Module):
        def __init__(self, value):
            super().__init__()
            self.scale = value

        def forward(self, x):
            return x * self.scale

    with pytest.raises(TypeError, match=r"Net: self.scale is a Tensor with requires_grad=True.*"
                       r"self.scale = nn.Parameter\(values\)"):  # fmt: skip
        Net(mg.Tensor([2.0], requires_grad=True))
    assert Net(mg.Tensor([2.0])).parameters() == []  # a constant is fine
    assert len(Net(nn.Parameter(np.ones(1))).parameters()) == 1
    computed = mg.Tensor([2.0], requires_grad=True) * 3  # a result (say, a cached output): kept
    assert Net(computed).scale is computed


def test_a_module_may_keep_an_input_that_requires_grad():
    """forward's self.last_input = x was refused (minigrad graph calls the model on such an x)."""

    class Keep(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Dense(3, 2, seed=0)

        def forward(self, x):
            self.last_input = x
            return self.fc(x)

    model = Keep()
    x = mg.Tensor(np.ones((1, 3)), requires_grad=True)
    model(x)
    assert model.last_input is x
    assert len(model.parameters()) == 2
    with pytest.raises(TypeError, match=r"self.w is a Tensor with requires_grad=True"):
        model.w = mg.Tensor([1.0], requires_grad=True)  # outside forward: still refused


def test_a_list_of_the_modules_own_layers_and_parameters_is_not_refused():
    """They are registered through their attributes, so parameters() does not miss them."""

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Sequential(nn.Dense(3, 3, seed=0), nn.ReLU())
            self.head = nn.Dense(3, 2, seed=1)
            self.taps = [self.encoder[0], self.head]
            self.no_decay = []

        def forward(self, x):
            return self.head(self.encoder(x))

    net = Net()
    net.no_decay.append(net.head.bias)
    assert len(net.parameters()) == 4
    net.no_decay.append(nn.Parameter(np.ones(2)))  # a new one: still refused
    with pytest.raises(TypeError, match=r"self.no_decay is a list holding Parameters"):
        net.parameters()


def test_load_state_dict_refuses_a_path_instead_of_the_saved_arrays(tmp_path):
    """A path's letters were listed as unexpected names: ['m', 'o', 'd', 'e', 'l', …]."""
    net = _small_net(2, seed=0)
    np.savez(tmp_path / "model.npz", **net.state_dict())
    for state in ("model.npz", tmp_path / "model.npz", net):
        with pytest.raises(TypeError, match=r"saved arrays by name .*np\.load\(\"model\.npz\"\)"):
            net.load_state_dict(state)


class _Holder(nn.Module):
    """A layer with a list attribute, empty until filled after the assignment."""

    def __init__(self):
        super().__init__()
        self.dense = nn.Dense(2, 2, seed=0)
        self.extra = []

    def forward(self, x):
        return self.dense(x)


class _Outer(nn.Module):
    def __init__(self):
        super().__init__()
        self.inner = _Holder()

    def forward(self, x):
        return self.inner(x)


def test_a_list_filled_after_its_assignment_is_refused_in_a_submodule_too():
    net = _Outer()
    net.inner.extra.append(nn.Parameter(np.ones(2)))
    with pytest.raises(TypeError, match=r"_Holder: self.extra is a list holding Parameters "
                       r"\(added after the assignment\)"):  # fmt: skip
        net.parameters()


def test_zero_grad_does_not_repeat_the_list_check_of_parameters(monkeypatch):
    """zero_grad runs at every step; the optimizer's parameters() made the check once."""
    from minigrad.nn import module

    net, checked = _Outer(), []
    check = module._check_container
    monkeypatch.setattr(
        module, "_check_container", lambda *args: checked.append(args[1]) or check(*args)
    )
    params = net.parameters()  # as an optimizer is built
    assert len(params) == 2 and checked == ["extra"]
    net(mg.Tensor(np.ones((1, 2), np.float32))).sum().backward()
    net.zero_grad()
    assert checked == ["extra"] and all(p.grad is None for p in params)


def test_lists_that_hold_each_other_are_checked_once_each():
    """A list may hold itself, or another list that holds it: the check must end."""

    class Net(nn.Module):
        def forward(self, x):
            return x

    first, second = [], []
    first.append(first)  # a list that holds itself
    first.append(second)
    second.append(first)  # two lists that hold each other
    net = Net()
    net.held = [first]
    assert net.parameters() == []
    second.append(nn.Parameter(np.ones(1)))
    with pytest.raises(TypeError, match=r"self.held is a list holding Parameters"):
        net.parameters()


def test_a_tensor_attribute_that_requires_grad_is_told_how_to_keep_a_constant():
    class Net(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(TypeError, match=r"\(for a constant: mg\.Tensor\(values\), without "
                       r"requires_grad\)\.$"):  # fmt: skip
        Net().offset = mg.Tensor([1.0], requires_grad=True)
