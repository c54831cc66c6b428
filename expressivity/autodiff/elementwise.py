"""Elementwise primitives with their VJPs: arithmetic, unary maps, max/min, clip, where,
logaddexp and astype.

Broadcasting is undone in every binary VJP by :func:`~._helpers.unbroadcast`; masks and other
piecewise choices are computed on plain values (zero derivative); every VJP is written in the
engine's own primitives, so derivatives nest to any order.
"""
from __future__ import annotations

import numpy as _np

from .core import Box, defvjp, getval, primitive, primitive1


# ----------------------------------------------------------------------------- arithmetic

add = primitive(_np.add, "add")
defvjp(add, lambda g, ans, x, y: unbroadcast(g, x), lambda g, ans, x, y: unbroadcast(g, y))

subtract = primitive(_np.subtract, "subtract")
defvjp(subtract, lambda g, ans, x, y: unbroadcast(g, x), lambda g, ans, x, y: unbroadcast(-g, y))

multiply = primitive(_np.multiply, "multiply")
defvjp(
    multiply,
    lambda g, ans, x, y: unbroadcast(g * y, x),
    lambda g, ans, x, y: unbroadcast(g * x, y),
)

divide = primitive(_np.divide, "divide")
true_divide = divide
defvjp(
    divide,
    lambda g, ans, x, y: unbroadcast(g / y, x),
    lambda g, ans, x, y: unbroadcast(-g * ans / y, y),
)

negative = primitive1(_np.negative, "negative")
defvjp(negative, lambda g, ans, x: -g)


def _replace_zero(x, val):
    return where(getval(x) == 0, val, x)


def _power_vjp0(g, ans, x, y):
    if type(y) in (int, float) and y == 2:
        return unbroadcast(g * 2 * x, x)
    return unbroadcast(g * y * x ** (y - 1), x)


power = primitive(_np.power, "power")
defvjp(
    power,
    _power_vjp0,
    lambda g, ans, x, y: unbroadcast(g * log(_replace_zero(x, 1.0)) * ans, y),
)


def square(x):
    """x**2 (as ``x * x``)."""
    return x * x


# ----------------------------------------------------------------------------- unary maps

exp = primitive1(_np.exp, "exp")
defvjp(exp, lambda g, ans, x: g * ans)

log = primitive1(_np.log, "log")
defvjp(log, lambda g, ans, x: g / x)

log1p = primitive1(_np.log1p, "log1p")
defvjp(log1p, lambda g, ans, x: g / (x + 1))

expm1 = primitive1(_np.expm1, "expm1")
defvjp(expm1, lambda g, ans, x: g * (ans + 1))

sqrt = primitive1(_np.sqrt, "sqrt")
defvjp(sqrt, lambda g, ans, x: g * 0.5 / ans)

tanh = primitive1(_np.tanh, "tanh")
defvjp(tanh, lambda g, ans, x: g * (1 - ans * ans))

sin = primitive1(_np.sin, "sin")
cos = primitive1(_np.cos, "cos")
defvjp(sin, lambda g, ans, x: g * cos(x))
defvjp(cos, lambda g, ans, x: -g * sin(x))

sinh = primitive1(_np.sinh, "sinh")
cosh = primitive1(_np.cosh, "cosh")
defvjp(sinh, lambda g, ans, x: g * cosh(x))
defvjp(cosh, lambda g, ans, x: g * sinh(x))

arctan = primitive1(_np.arctan, "arctan")
defvjp(arctan, lambda g, ans, x: g / (1 + x * x))

absolute = primitive1(_np.abs, "absolute")
abs = absolute  # noqa: A001 (mirrors numpy)
defvjp(absolute, lambda g, ans, x: g * _np.sign(getval(x)))


def _relu(x):
    return _np.maximum(x, 0)


relu = primitive1(_relu, "relu")
relu.__doc__ = "max(x, 0); derivative 1 for x > 0 and 0 otherwise (0 at x = 0)."
defvjp(relu, lambda g, ans, x: g * (getval(x) > 0))


def _balanced(g, a, b):
    """g * d max(a, b)/da with ties shared equally (the subgradient autograd uses)."""
    av, bv = getval(a), getval(b)
    eq = av == bv
    out = g * (av > bv)
    if _np.any(eq):
        out = out + (g * eq) * 0.5
    return out


maximum = primitive(_np.maximum, "maximum")
defvjp(
    maximum,
    lambda g, ans, x, y: unbroadcast(_balanced(g, x, y), x),
    lambda g, ans, x, y: unbroadcast(_balanced(g, y, x), y),
)
minimum = primitive(_np.minimum, "minimum")
defvjp(
    minimum,
    lambda g, ans, x, y: unbroadcast(_balanced(g, y, x), x),
    lambda g, ans, x, y: unbroadcast(_balanced(g, x, y), y),
)


def _clip(x, a_min=None, a_max=None):
    return _np.clip(x, a_min, a_max)


def _clip_vjp(g, ans, x, a_min=None, a_max=None):
    xv = getval(x)
    if a_min is None:
        mask = xv <= a_max
    elif a_max is None:
        mask = xv >= a_min
    else:
        mask = (xv >= a_min) & (xv <= a_max)
    return g * mask


_clip_p = primitive1(_clip, "clip")
defvjp(_clip_p, _clip_vjp)


def clip(x, a_min=None, a_max=None):
    """numpy.clip; the bounds are constants (no gradient flows to them)."""
    return _clip_p(x, getval(a_min), getval(a_max))


def _where(c, x, y):
    return _np.where(c, x, y)


_where_p = primitive(_where, "where")
defvjp(
    _where_p,
    None,
    lambda g, ans, c, x, y: unbroadcast(where(c, g, 0), x),
    lambda g, ans, c, x, y: unbroadcast(where(c, 0, g), y),
    argnums=(0, 1, 2),
)


def where(condition, x=None, y=None):
    """numpy.where(condition, x, y); the condition is a constant. The one-argument form is not
    differentiable and returns indices."""
    if x is None and y is None:
        return _np.where(getval(condition))
    return _where_p(getval(condition), x, y)


def logaddexp(x, y):
    """log(exp(x) + exp(y)), stable; gradients exp(x - ans), exp(y - ans) (0 where both -inf)."""
    return _logaddexp_p(x, y)


_logaddexp_p = primitive(_np.logaddexp, "logaddexp")


def _safe_ans(ans):
    av = getval(ans)
    if _np.all(_np.isfinite(av)):
        return ans
    return where(_np.isfinite(av), ans, 0)


defvjp(
    _logaddexp_p,
    lambda g, ans, x, y: unbroadcast(g * exp(x - _safe_ans(ans)), x),
    lambda g, ans, x, y: unbroadcast(g * exp(y - _safe_ans(ans)), y),
)


def astype(x, dtype):
    """x.astype(dtype); the cotangent is cast back to x's dtype."""
    return _astype_p(x, dtype)


_astype_p = primitive1(lambda x, dtype: _np.asarray(x).astype(dtype), "astype")
defvjp(_astype_p, lambda g, ans, x, dtype: astype(g, _dtype_of(x)))
from ._helpers import _dtype_of, unbroadcast  # noqa: E402
