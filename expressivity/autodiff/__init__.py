"""expressivity.autodiff: a small reverse-mode automatic differentiation engine on numpy.

    from expressivity.autodiff import grad, value_and_grad, stop_gradient
    import expressivity.autodiff.numpy as anp

    f = lambda x: anp.sum(anp.tanh(x) ** 2)
    grad(f)(x)                       # df/dx
    grad(lambda x: anp.vdot(grad(f)(x), v))(x)   # Hessian-vector product

See :mod:`expressivity.autodiff.core` for the design (HIPS-autograd-style boxes, one tape per
trace, VJPs written in the engine's own primitives so derivatives nest to any order),
:mod:`expressivity.autodiff.nn` for initialisers and MLPs, :mod:`expressivity.autodiff.optim`
for differentiable and in-place optimisers. Imports only numpy (scipy.special lazily for
``sigmoid`` and ``erf``).
"""
from .core import (
    Box,
    FusedVJP,
    defvjp,
    getval,
    grad,
    primitive,
    primitive1,
    stop_gradient,
    value_and_grad,
)
from .tree import tree_flatten, tree_leaves, tree_map, tree_unflatten
from . import numpy  # noqa: F401  (installs the Box operators)
from . import nn, optim  # noqa: F401

__all__ = [
    "grad", "value_and_grad", "stop_gradient", "getval", "primitive", "primitive1", "defvjp",
    "FusedVJP", "Box", "tree_flatten", "tree_unflatten", "tree_map", "tree_leaves", "nn", "optim",
]
