"""A numpy-like namespace whose functions are differentiable primitives.

``import expressivity.autodiff.numpy as anp`` and write model code as with numpy. Each
primitive is defined together with its vector-Jacobian products (VJPs), by topic, in the
modules it is re-exported from (as in HIPS autograd: a tiny core, primitives registered with
their VJPs next to them):

- :mod:`.elementwise`  arithmetic, unary maps, maximum/minimum, clip, where, logaddexp, astype
- :mod:`.special`      sigmoid, softplus, log_sigmoid, erf
- :mod:`.reductions`   sum, mean, max, min, var, std, logsumexp, softmax, log_softmax,
                       logcumsumexp, loo_logsumexp, cumsum
- :mod:`.linalg`       matmul, dot, outer, vdot, diag, trace, einsum
- :mod:`.shapes`       reshape, transpose, indexing, concatenate, stack, array, sort, ...

and the Box operators (``x + y``, ``x @ W``, ``x.sum()``) in :mod:`.box_ops`. Every VJP is
written with these primitives (or with Box operators), so derivatives of any order work. On
plain numpy arguments every function runs the numpy code directly.

Conventions: broadcasting is undone in every VJP by :func:`unbroadcast` (summing over the
broadcast axes; skipped when the shapes already agree); dtypes are preserved (float32 stays
float32); masks and other piecewise choices are computed on plain values (they have zero
derivative). Functions that are not differentiable (``zeros``, ``argmax``, comparisons, ...)
are exported as plain numpy functions applied to the plain values. Any other numpy name raises
``AttributeError`` naming it.
"""
from __future__ import annotations

import math  # noqa: F401  (part of the namespace's historical contents)
from functools import partial  # noqa: F401

import numpy as _np

from .core import Box, defvjp, getval, primitive, primitive1, stop_gradient  # noqa: F401
from ._helpers import _unbox_deep, unbroadcast  # noqa: F401
from .elementwise import (  # noqa: F401
    abs, absolute, add, arctan, astype, clip, cos, cosh, divide, exp, expm1, log, log1p,
    logaddexp, maximum, minimum, multiply, negative, power, relu, sin, sinh, sqrt, square,
    subtract, tanh, true_divide, where,
)
from .special import erf, log_sigmoid, sigmoid, softplus  # noqa: F401
from .reductions import (  # noqa: F401
    amax, amin, cumsum, log_softmax, logcumsumexp, logsumexp, loo_logsumexp, max, mean, min,
    softmax, std, sum, var,
)
from .linalg import _matmul_vjp0, _matmul_vjp1, diag, dot, einsum, matmul, outer, trace, vdot  # noqa: F401
from .shapes import (  # noqa: F401
    array, asarray, broadcast_to, concatenate, expand_dims, flip, getitem, hstack, moveaxis,
    one_hot, ravel, reshape, sort, squeeze, stack, swapaxes, take, transpose, tril, triu, vstack,
)
from . import box_ops as _box_ops  # noqa: F401,E402  (Box operators; core imports it too)


# ----------------------------------------------------------------------------- non-differentiable

def _nondiff(f, name):
    def g(*args, **kw):
        return f(*[_unbox_deep(a) for a in args], **{k: _unbox_deep(v) for k, v in kw.items()})

    g.__name__ = name
    g.__doc__ = f"numpy.{name} on plain values (not differentiable)."
    return g


_NONDIFF = (
    "zeros zeros_like ones ones_like full full_like empty empty_like arange linspace eye "
    "identity isfinite isnan isinf isneginf isposinf sign floor ceil round rint argmax argmin "
    "argsort shape ndim size equal not_equal greater greater_equal less less_equal "
    "logical_and logical_or logical_not logical_xor any all allclose isclose array_equal "
    "nonzero count_nonzero tril_indices triu_indices diag_indices meshgrid "
    "result_type can_cast issubdtype tri"
).split()
for _name in _NONDIFF:
    if hasattr(_np, _name):
        globals()[_name] = _nondiff(getattr(_np, _name), _name)

float16, float32, float64, int8, int16, int32, int64, uint8, bool_ = (
    _np.float16, _np.float32, _np.float64, _np.int8, _np.int16, _np.int32, _np.int64, _np.uint8,
    _np.bool_,
)
ndarray, dtype, newaxis, finfo, iinfo, errstate = (
    _np.ndarray, _np.dtype, _np.newaxis, _np.finfo, _np.iinfo, _np.errstate,
)
pi, e, inf, nan = _np.pi, _np.e, _np.inf, _np.nan


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(
        f"expressivity.autodiff.numpy has no function {name!r}: numpy.{name} is not a registered "
        "differentiable primitive. Write it with the supported primitives (see "
        "expressivity.autodiff.numpy.__all__), register one with expressivity.autodiff.primitive "
        "and defvjp, or apply plain numpy to stop_gradient(x) if no gradient is needed."
    )


__all__ = sorted(
    n for n, v in list(globals().items())
    if not n.startswith("_") and (callable(v) or n in ("pi", "e", "inf", "nan", "newaxis"))
    and n not in ("annotations", "math", "partial", "Box", "defvjp", "primitive", "primitive1", "getval")
)
