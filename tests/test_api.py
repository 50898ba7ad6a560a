"""DESIGN §3 is a contract: every public name it lists exists, with the parameters (names, order,
defaults) that the docs and users call it with. Parameters added after those must have defaults,
so that a call written from DESIGN §3 still works."""

import inspect
import re

import pytest

import minigrad as mg
from minigrad import nn, optim
from minigrad.nn import functional as F
from minigrad.ops import elementwise, linalg, reduce, shape, spatial

REQUIRED = inspect.Parameter.empty
ANY = object()  # a default DESIGN §3 leaves open (retain_graph: "defaults to create_graph")

# name → (the object, [(parameter, default)]); "*shape" is a variable positional parameter.
SIGNATURES = {
    "Tensor": (
        mg.Tensor,
        [("data", REQUIRED), ("requires_grad", False), ("dtype", None), ("name", None)],
    ),
    "tensor": (
        mg.tensor,
        [("data", REQUIRED), ("requires_grad", False), ("dtype", None), ("name", None)],
    ),
    "Tensor.backward": (
        mg.Tensor.backward,
        [("self", REQUIRED), ("grad", None), ("retain_graph", ANY), ("create_graph", False)],
    ),
    "Tensor.sum": (mg.Tensor.sum, [("self", REQUIRED), ("axis", None), ("keepdims", False)]),
    "Tensor.mean": (mg.Tensor.mean, [("self", REQUIRED), ("axis", None), ("keepdims", False)]),
    "Tensor.max": (mg.Tensor.max, [("self", REQUIRED), ("axis", None), ("keepdims", False)]),
    "Tensor.reshape": (mg.Tensor.reshape, [("self", REQUIRED), ("*shape", REQUIRED)]),
    "Tensor.transpose": (mg.Tensor.transpose, [("self", REQUIRED), ("*axes", REQUIRED)]),
    "Tensor.pad": (mg.Tensor.pad, [("self", REQUIRED), ("k", REQUIRED)]),
    "Tensor.patches": (mg.Tensor.patches, [("self", REQUIRED), ("k", REQUIRED), ("stride", 1)]),
    "matmul": (mg.matmul, [("a", REQUIRED), ("b", REQUIRED)]),
    "reshape": (mg.reshape, [("x", REQUIRED), ("*shape", REQUIRED)]),
    "vect": (mg.vect, [("x", REQUIRED)]),
    "unvect": (mg.unvect, [("a", REQUIRED), ("shape", REQUIRED)]),
    "transpose": (mg.transpose, [("x", REQUIRED), ("*axes", REQUIRED)]),
    "pad": (mg.pad, [("x", REQUIRED), ("k", REQUIRED)]),
    "patches": (mg.patches, [("x", REQUIRED), ("k", REQUIRED), ("stride", 1)]),
    "concat": (mg.concat, [("tensors", REQUIRED), ("axis", 0)]),
    "stack": (mg.stack, [("tensors", REQUIRED), ("axis", 0)]),
    "gradcheck": (
        mg.gradcheck,
        [("fn", REQUIRED), ("*inputs", REQUIRED), ("eps", 1e-6), ("atol", 1e-5), ("rtol", 1e-3)],
    ),
    "gradgradcheck": (
        mg.gradgradcheck,
        [("fn", REQUIRED), ("*inputs", REQUIRED), ("eps", 1e-6), ("atol", 1e-5), ("rtol", 1e-3)],
    ),
    "nn.Dense": (
        nn.Dense,
        [("in_features", REQUIRED), ("out_features", REQUIRED), ("bias", True)],
    ),
    "nn.Local": (
        nn.Local,
        [
            ("in_shape", REQUIRED),
            ("out_channels", REQUIRED),
            ("kernel_size", REQUIRED),
            ("padding", "valid"),
            ("bias", True),
        ],
    ),
    "nn.Conv2D": (
        nn.Conv2D,
        [
            ("in_channels", REQUIRED),
            ("out_channels", REQUIRED),
            ("kernel_size", REQUIRED),
            ("padding", "same"),
            ("bias", True),
            ("stride", 1),
        ],
    ),
    "nn.Vect": (nn.Vect, []),
    "nn.Unvect": (nn.Unvect, [("shape", REQUIRED)]),
    "nn.ReLU": (nn.ReLU, []),
    "nn.Tanh": (nn.Tanh, []),
    "nn.Sigmoid": (nn.Sigmoid, []),
    "nn.MaxPool2D": (nn.MaxPool2D, [("size", ANY)]),
    "nn.AvgPool2D": (nn.AvgPool2D, [("size", ANY)]),
    "nn.Sequential": (nn.Sequential, [("*layers", REQUIRED)]),
    "nn.summary": (nn.summary, [("model", REQUIRED), ("input_shape", REQUIRED)]),
    "nn.Module.parameters": (nn.Module.parameters, [("self", REQUIRED)]),
    "nn.Module.named_parameters": (nn.Module.named_parameters, [("self", REQUIRED)]),
    "nn.Module.zero_grad": (nn.Module.zero_grad, [("self", REQUIRED)]),
    "nn.Module.num_parameters": (nn.Module.num_parameters, [("self", REQUIRED)]),
    "F.softmax": (F.softmax, [("x", REQUIRED)]),
    "F.log_softmax": (F.log_softmax, [("x", REQUIRED)]),
    "F.cross_entropy": (F.cross_entropy, [("logits", REQUIRED), ("labels", REQUIRED)]),
    "F.mse_loss": (F.mse_loss, [("prediction", REQUIRED), ("target", REQUIRED)]),
    "optim.SGD": (
        optim.SGD,
        [("params", REQUIRED), ("lr", REQUIRED), ("momentum", 0.0), ("weight_decay", 0.0)],
    ),
    "optim.Adam": (optim.Adam, [("params", REQUIRED), ("lr", 1e-3)]),
    "data.load_digits": (mg.data.load_digits, []),
    "data.batches": (
        mg.data.batches,
        [
            ("X", REQUIRED),
            ("y", REQUIRED),
            ("batch_size", REQUIRED),
            ("shuffle", True),
            ("seed", None),
        ],
    ),
    "viz.draw_graph": (mg.viz.draw_graph, [("root", REQUIRED), ("model", None)]),
    "teach.layer_matrix": (mg.teach.layer_matrix, [("f", REQUIRED), ("input_shape", REQUIRED)]),
    "teach.param_counts": (
        mg.teach.param_counts,
        [("h", REQUIRED), ("w", REQUIRED), ("c", REQUIRED), ("c_out", REQUIRED), ("k", REQUIRED)],
    ),
    "teach.check_equivariance": (
        mg.teach.check_equivariance,
        [("f", REQUIRED), ("x", REQUIRED), ("shift", REQUIRED)],
    ),
}


def written(parameter):
    """A parameter as SIGNATURES writes it: its name, with a '*' if it is variable positional."""
    star = "*" if parameter.kind is inspect.Parameter.VAR_POSITIONAL else ""
    return star + parameter.name


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_the_signatures_of_design_section_3(name):
    obj, expected = SIGNATURES[name]
    parameters = list(inspect.signature(obj).parameters.values())
    names = [written(p) for p in parameters[: len(expected)]]
    assert names == [parameter for parameter, _ in expected], f"{name}{inspect.signature(obj)}"
    for parameter, (_, default) in zip(parameters, expected):
        if default is not ANY and parameter.kind is not inspect.Parameter.VAR_POSITIONAL:
            assert parameter.default == default, f"{name}: {parameter.name}"
    for extra in parameters[len(expected) :]:  # added later: must not break a §3 call
        assert extra.kind is inspect.Parameter.VAR_KEYWORD or (
            extra.default is not REQUIRED or extra.kind is inspect.Parameter.VAR_POSITIONAL
        ), f"{name}: {extra.name} has no default"


TENSOR_MEMBERS = [
    "data",
    "grad",
    "shape",
    "ndim",
    "dtype",
    "requires_grad",
    "name",
    "backward",
    "detach",
    "numpy",
    "item",
    "sum",
    "mean",
    "max",
    "exp",
    "log",
    "relu",
    "tanh",
    "sigmoid",
    "reshape",
    "vect",
    "transpose",
    "T",
    "pad",
    "patches",
    "__getitem__",
    "__neg__",
    "__add__",
    "__radd__",
    "__sub__",
    "__rsub__",
    "__mul__",
    "__rmul__",
    "__truediv__",
    "__rtruediv__",
    "__pow__",
    "__rpow__",
    "__matmul__",
    "__rmatmul__",
]
MODULE_NAMES = {
    mg: "matmul reshape vect unvect transpose pad patches fold concat stack exp log relu tanh "
    "sigmoid no_grad gradcheck gradgradcheck GradcheckError Function Tensor tensor nn optim data "
    "viz teach",
    nn: "Module Parameter Sequential Dense Local Conv2D Vect Unvect ReLU Tanh Sigmoid MaxPool2D "
    "AvgPool2D summary functional",
    F: "softmax log_softmax cross_entropy mse_loss",
    optim: "SGD Adam",
    mg.data: "load_digits load_shapes batches load_mnist",
    mg.teach: "layer_matrix weight_pattern param_counts check_equivariance explain_patch "
    "receptive_field",
}


@pytest.mark.parametrize("module", MODULE_NAMES, ids=lambda module: module.__name__)
def test_every_name_of_design_section_3_exists(module):
    missing = [name for name in MODULE_NAMES[module].split() if not hasattr(module, name)]
    assert not missing


def test_a_tensor_has_the_attributes_and_operators_of_design_section_3():
    x = mg.Tensor([[1.0, 2.0]], requires_grad=True, name="x")
    missing = [name for name in TENSOR_MEMBERS if not hasattr(x, name)]
    assert not missing
    assert (x.shape, x.ndim, x.name, x.requires_grad, x.grad) == ((1, 2), 2, "x", True, None)


def test_optimizers_step_and_zero_grad_and_functions_apply():
    params = nn.Dense(2, 2, seed=0).parameters()
    for optimizer in (optim.SGD(params, lr=0.1), optim.Adam(params)):
        assert callable(optimizer.step) and callable(optimizer.zero_grad)
    assert callable(mg.Function.apply)
    assert issubclass(mg.GradcheckError, Exception)


FAMILIES = (elementwise, linalg, reduce, shape, spatial)  # DESIGN §2: one family per file
PRIMITIVES = {
    name: obj
    for family in FAMILIES
    for name, obj in vars(family).items()
    if isinstance(obj, type) and issubclass(obj, mg.Function) and obj is not mg.Function
}
OP_FUNCTIONS = sorted(
    name for name, obj in vars(mg.ops).items() if inspect.isfunction(obj) and name[0] != "_"
)


@pytest.mark.parametrize("name", sorted(PRIMITIVES))
def test_every_primitive_states_its_math_forward_and_backward(name):
    """Issue 2: each primitive has "a docstring with the math"; DESIGN §4: `forward:` with
    shapes, `backward:` with the gradient."""
    doc = PRIMITIVES[name].__doc__ or ""
    assert re.search(r"^\s*forward:", doc, re.MULTILINE), name
    assert re.search(r"^\s*backward:", doc, re.MULTILINE), name


@pytest.mark.parametrize("name", OP_FUNCTIONS)
def test_every_op_function_has_a_runnable_example(name):
    """DESIGN §4: one runnable example per public function (pytest runs them as doctests)."""
    assert ">>> " in (getattr(mg.ops, name).__doc__ or ""), name


def test_max_documents_its_tie_rule():
    """Issue 2: max's ties are "split or routed deterministically — document which"."""
    for doc in (mg.max.__doc__, mg.ops.Max.__doc__):
        assert re.search(r"(ties|tied maxima) share the gradient equally", doc, re.IGNORECASE)
