"""minigrad: a small autograd engine on numpy, for learning how deep-learning layers work.

>>> import minigrad as mg
>>> x = mg.Tensor([2.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
Tensor([4.])
"""

from minigrad.autograd import Function, grad, is_grad_enabled, no_grad
from minigrad.gradcheck import GradcheckError, gradcheck, gradgradcheck
from minigrad.ops import (
    add,
    broadcast_to,
    concat,
    crop,
    div,
    exp,
    fold,
    getitem,
    log,
    matmul,
    max,
    mean,
    mul,
    neg,
    pad,
    patches,
    pow,
    relu,
    reshape,
    scatter_add,
    sigmoid,
    stack,
    sub,
    sum,
    sum_to,
    tanh,
    transpose,
    unvect,
    vect,
)
from minigrad.tensor import Tensor

__version__ = "0.1.0"


def tensor(data, requires_grad=False, dtype=None, name=None):
    """The same as `Tensor(...)`: a tensor over `data` (float32 unless data is a float array).

    >>> tensor([1, 2]).dtype
    dtype('float32')
    """
    return Tensor(data, requires_grad=requires_grad, dtype=dtype, name=name)


# The subpackages, last: they use the engine above.
from minigrad import data, models, nn, optim, teach, train, viz
