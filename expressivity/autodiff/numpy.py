"""A numpy-like namespace whose functions are differentiable primitives.

``import expressivity.autodiff.numpy as anp`` and write model code as with numpy. Each
primitive is defined together with its vector-Jacobian products (VJPs); every VJP is written
with the primitives of this module (or with Box operators), so derivatives of any order work.
On plain numpy arguments every function runs the numpy code directly.

Conventions: broadcasting is undone in every VJP by :func:`unbroadcast` (summing over the
broadcast axes; skipped when the shapes already agree); dtypes are preserved (float32 stays
float32); masks and other piecewise choices are computed on plain values (they have zero
derivative). Functions that are not differentiable (``zeros``, ``argmax``, comparisons, ...)
are exported as plain numpy functions applied to the plain values. Any other numpy name raises
``AttributeError`` naming it.
"""
from __future__ import annotations

import math
from functools import partial

import numpy as _np

from .core import Box, defvjp, getval, primitive, primitive1, stop_gradient

_HALF_LOG_PI_FACTOR = 2.0 / math.sqrt(math.pi)


# ----------------------------------------------------------------------------- helpers

def _shape(x):
    return getattr(x, "shape", ())


def unbroadcast(g, x):
    """Sum the cotangent ``g`` over the axes along which ``x`` was broadcast.

    For ``z = f(x, y)`` with broadcasting, ``dL/dx = sum over broadcast axes of dL/dz``.
    Returns ``g`` itself when the shapes already agree (the common case).
    """
    shape = _shape(x)
    gshape = getattr(g, "shape", ())
    if gshape == shape:
        return g
    nd = len(gshape) - len(shape)
    if nd > 0:
        g = sum(g, axis=tuple(range(nd)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = sum(g, axis=axes, keepdims=True)
    return g


def _normalize_axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        return tuple(a % ndim for a in axis)
    return (axis % ndim,)


def _keep_shape(shape, axis):
    axes = _normalize_axes(axis, len(shape))
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _expand_reduced(g, x_shape, axis, keepdims):
    """Reshape a reduced cotangent so that it broadcasts against the input of the reduction."""
    if keepdims or axis is None:
        return g
    return reshape(g, _keep_shape(x_shape, axis))


def _unbox_deep(a):
    if type(a) is Box:
        return getval(a)
    if type(a) in (list, tuple):
        return type(a)(_unbox_deep(v) for v in a)
    return a


def _dtype_of(x):
    return getval(x).dtype


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

_special = {}


def _sp(name):
    f = _special.get(name)
    if f is None:
        import scipy.special

        f = _special[name] = getattr(scipy.special, name)
    return f


def _expit(x):
    return _sp("expit")(x)


sigmoid = primitive1(_expit, "sigmoid")
sigmoid.__doc__ = "Logistic sigmoid 1 / (1 + exp(-x)), stable for any x (scipy.special.expit)."
defvjp(sigmoid, lambda g, ans, x: g * (ans * (1 - ans)))


def _softplus(x):
    return _np.logaddexp(0, x)


softplus = primitive1(_softplus, "softplus")
softplus.__doc__ = "softplus(x) = log(1 + exp(x)) = logaddexp(0, x); exact at +-1000."
defvjp(softplus, lambda g, ans, x: g * sigmoid(x))


def _log_sigmoid(x):
    return -_np.logaddexp(0, -x)


log_sigmoid = primitive1(_log_sigmoid, "log_sigmoid")
log_sigmoid.__doc__ = "log sigmoid(x) = -softplus(-x); exact at +-1000."
defvjp(log_sigmoid, lambda g, ans, x: g * sigmoid(-x))


def _erf(x):
    return _sp("erf")(x)


erf = primitive1(_erf, "erf")
erf.__doc__ = "Error function (scipy.special.erf); d erf/dx = 2/sqrt(pi) exp(-x^2)."
defvjp(erf, lambda g, ans, x: g * (_HALF_LOG_PI_FACTOR * exp(-(x * x))))


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


# ----------------------------------------------------------------------------- linear algebra

def _matmul_nt_fun(a, b):
    return a @ b.T


def _matmul_tn_fun(a, b):
    return a.T @ b


# a @ b.T and a.T @ b for 2-D arrays as single primitives: the matmul VJPs recorded when a
# backward pass is itself differentiated, without a separate transpose node each.
_matmul_nt = primitive(_matmul_nt_fun, "matmul_nt")
_matmul_tn = primitive(_matmul_tn_fun, "matmul_tn")
defvjp(_matmul_nt, lambda g, ans, a, b: g @ b, lambda g, ans, a, b: _matmul_tn(g, a))
defvjp(_matmul_tn, lambda g, ans, a, b: _matmul_nt(b, g), lambda g, ans, a, b: a @ g)


def _matmul_vjp0(g, ans, a, b):
    bn = b.ndim
    an = a.ndim
    if bn == 2 and an == 2:
        if b.shape[1] == 1:
            # an outer product (inner dimension 1): broadcasting is exact (one product per
            # entry) and several times faster than BLAS gemm with k = 1
            return g * b.T
        return _matmul_nt(g, b)
    if bn == 1:
        if an == 1:
            return g * b
        return unbroadcast(expand_dims(g, -1) * b, a)
    return unbroadcast(matmul(g, swapaxes(b, -1, -2)), a)


def _matmul_vjp1(g, ans, a, b):
    an = a.ndim
    bn = b.ndim
    if an == 2 and bn == 2:
        return _matmul_tn(a, g)
    if an == 1:
        if bn == 1:
            return g * a
        return unbroadcast(expand_dims(a, -1) * expand_dims(g, -2), b)
    if bn == 1:
        ga = matmul(swapaxes(a, -1, -2), expand_dims(g, -1))
        return unbroadcast(reshape(ga, _shape(g)[:-1] + (a.shape[-1],)), b)
    return unbroadcast(matmul(swapaxes(a, -1, -2), g), b)


matmul = primitive(_np.matmul, "matmul")
defvjp(matmul, _matmul_vjp0, _matmul_vjp1)


def dot(a, b):
    """numpy.dot for arrays of at most 2 dimensions (scalars multiply)."""
    an, bn = _np.ndim(getval(a)), _np.ndim(getval(b))
    if an == 0 or bn == 0:
        return a * b
    if an > 2 or bn > 2:
        raise ValueError(
            f"anp.dot supports arrays with ndim <= 2 (got ndim {an} and {bn}); use anp.matmul"
        )
    return matmul(a, b)


def outer(a, b):
    """Outer product of the flattened inputs."""
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


def vdot(a, b):
    """Sum of the elementwise product of the flattened inputs (real arrays)."""
    return sum(ravel(a) * ravel(b))


def _diag_vjp(g, ans, x, k=0):
    if x.ndim == 1:
        return diag(g, k)
    return _diag_embed(g, x.shape, k)


diag = primitive1(lambda x, k=0: _np.diag(x, k), "diag")
diag.__doc__ = "numpy.diag: extract a diagonal of a 2-D array or build a 2-D array from a 1-D one."
defvjp(diag, _diag_vjp)


def _diag_embed_fun(g, shape, k=0):
    """Zeros of ``shape`` with ``g`` on the k-th diagonal (the adjoint of numpy.diag)."""
    z = _np.zeros(shape, dtype=_np.result_type(g))
    ncol = shape[1]
    start = k if k >= 0 else -k * ncol
    n = _np.shape(g)[0]
    z.reshape(-1)[start : start + n * (ncol + 1) : ncol + 1] = g
    return z


_diag_embed = primitive1(_diag_embed_fun, "_diag_embed")
defvjp(_diag_embed, lambda g, ans, x, shape, k=0: diag(g, k))


def trace(x):
    """Sum of the main diagonal of a 2-D array."""
    return sum(diag(x))


# ----------------------------------------------------------------------------- reductions

def _sum_fun(x, axis=None, keepdims=False):
    return _np.add.reduce(x, axis=axis, keepdims=keepdims)


def _fill_reduced(g, x_shape, axis, keepdims, scale=None):
    """First-order path of the sum/mean VJP: a fresh array of x's shape filled with g
    (times ``scale``), cheaper than numpy.broadcast_to for small arrays and writeable."""
    if not keepdims and axis is not None:
        g = _np.reshape(g, _keep_shape(x_shape, axis))
    out = _np.empty(x_shape, dtype=g.dtype if hasattr(g, "dtype") else _np.result_type(g))
    if scale is None:
        _np.copyto(out, g)
    else:
        _np.multiply(g, scale, out=out)
    return out


def _sum_vjp(g, ans, x, axis=None, keepdims=False):
    if type(g) is not Box:
        return _fill_reduced(g, x.shape, axis, keepdims)
    return broadcast_to(_expand_reduced(g, x.shape, axis, keepdims), x.shape)


sum = primitive1(_sum_fun, "sum")  # noqa: A001 (mirrors numpy)
sum.__doc__ = "numpy.sum(x, axis=None, keepdims=False)."
defvjp(sum, _sum_vjp)


def _count(shape, axis):
    if axis is None:
        return math.prod(shape)
    return math.prod(shape[a] for a in _normalize_axes(axis, len(shape)))


def _mean_fun(x, axis=None, keepdims=False):
    if x.__class__ is not _np.ndarray:
        x = _np.asarray(x)
    return _np.add.reduce(x, axis=axis, keepdims=keepdims) / _count(x.shape, axis)


def _mean_vjp(g, ans, x, axis=None, keepdims=False):
    n = _count(x.shape, axis)
    if type(g) is not Box:
        return _fill_reduced(g, x.shape, axis, keepdims, 1.0 / n)
    return broadcast_to(_expand_reduced(g, x.shape, axis, keepdims), x.shape) / n


mean = primitive1(_mean_fun, "mean")
mean.__doc__ = "numpy.mean(x, axis=None, keepdims=False)."
defvjp(mean, _mean_vjp)


def _minmax_vjp(g, ans, x, axis=None, keepdims=False):
    xv = getval(x)
    av = getval(ans)
    if not keepdims and axis is not None:
        av = av.reshape(_keep_shape(xv.shape, axis))
    mask = xv == av
    w = mask.astype(xv.dtype)
    w /= mask.sum(axis=axis, keepdims=True)
    return _expand_reduced(g, xv.shape, axis, keepdims) * w


def _max_fun(x, axis=None, keepdims=False):
    return _np.max(x, axis=axis, keepdims=keepdims)


def _min_fun(x, axis=None, keepdims=False):
    return _np.min(x, axis=axis, keepdims=keepdims)


max = primitive1(_max_fun, "max")  # noqa: A001 (mirrors numpy)
min = primitive1(_min_fun, "min")  # noqa: A001
amax, amin = max, min
defvjp(max, _minmax_vjp)
defvjp(min, _minmax_vjp)


def var(x, axis=None, keepdims=False, ddof=0):
    """numpy.var (composite)."""
    n = _count(_shape(x), axis)
    d = x - mean(x, axis=axis, keepdims=True)
    return sum(d * d, axis=axis, keepdims=keepdims) / (n - ddof)


def std(x, axis=None, keepdims=False, ddof=0):
    """numpy.std (composite; infinite derivative where the variance is 0)."""
    return sqrt(var(x, axis=axis, keepdims=keepdims, ddof=ddof))


def _lse_parts(x, axis, keepdims):
    """(lse, exp(x - m), sum exp(x - m), all rows finite) with m the (finite-ised) max."""
    m = _np.maximum.reduce(x, axis=axis, keepdims=True)
    finite = _np.isfinite(m).all()
    if not finite:
        m = _np.where(_np.isfinite(m), m, 0)
    e = _np.subtract(x, m)
    _np.exp(e, out=e)
    s = _np.add.reduce(e, axis=axis, keepdims=True)
    if finite:
        out = _np.log(s)  # s >= 1: the max entry contributes exp(0)
    else:
        with _np.errstate(divide="ignore"):
            out = _np.log(s)
    out += m
    if not keepdims:
        out = out.reshape(m.shape[:0] if axis is None else _np.add.reduce(m, axis=axis).shape)
    return out, e, s, finite


def _lse_fun(x, axis=None, keepdims=False):
    return _lse_parts(x, axis, keepdims)[0]


def _lse_res(x, axis=None, keepdims=False):
    out, e, s, finite = _lse_parts(x, axis, keepdims)
    if finite or (s > 0).all():
        e /= s  # the softmax, kept for the VJP
        return out, e
    return out, None


def _lse_vjp(g, ans, x, axis=None, keepdims=False, _res=None):
    if type(g) is not Box and type(ans) is not Box and type(x) is not Box:
        # first-order fast path: softmax(x) * g, reusing the forward's softmax when available
        if not keepdims and axis is not None:
            g = _np.reshape(g, _keep_shape(x.shape, axis))
        if _res is not None:
            if _np.ndim(g) == 0 or getattr(g, "dtype", None) == _res.dtype:
                _res *= g
                return _res
            return _res * g
        if not keepdims and axis is not None:
            ans = _np.reshape(ans, _keep_shape(x.shape, axis))
        if not _np.all(_np.isfinite(ans)):
            ans = _np.where(_np.isfinite(ans), ans, 0)
        out = _np.subtract(x, ans)
        _np.exp(out, out=out)
        out *= g
        return out
    if not keepdims and axis is not None:
        ks = _keep_shape(x.shape, axis)
        g = reshape(g, ks)
        ans = reshape(ans, ks)
    return g * exp(x - _safe_ans(ans))


logsumexp = primitive1(_lse_fun, "logsumexp", with_residual=_lse_res)
logsumexp.__doc__ = """log(sum(exp(x), axis)), computed as m + log(sum(exp(x - m))) with m the max.

Rows that are entirely -inf give -inf with zero gradient; -inf entries get zero gradient
(d lse / dx_i = exp(x_i - lse)).
"""
defvjp(logsumexp, _lse_vjp)


def _softmax_fun(x, axis=-1):
    m = _np.max(x, axis=axis, keepdims=True)
    if not _np.all(_np.isfinite(m)):
        m = _np.where(_np.isfinite(m), m, 0)
    e = _np.exp(x - m)
    e /= _np.add.reduce(e, axis=axis, keepdims=True)
    return e


softmax = primitive1(_softmax_fun, "softmax")
softmax.__doc__ = "exp(x - logsumexp(x, axis, keepdims=True)), stable."
defvjp(softmax, lambda g, ans, x, axis=-1: ans * (g - sum(g * ans, axis=axis, keepdims=True)))


def _log_softmax_fun(x, axis=-1):
    return x - _lse_fun(x, axis=axis, keepdims=True)


log_softmax = primitive1(_log_softmax_fun, "log_softmax")
log_softmax.__doc__ = "x - logsumexp(x, axis, keepdims=True), stable; -inf entries stay -inf."
defvjp(log_softmax, lambda g, ans, x, axis=-1: g - exp(ans) * sum(g, axis=axis, keepdims=True))


def _lcse_fun(x, axis=-1):
    return _np.logaddexp.accumulate(x, axis=axis)


def _rev_lcse(a, axis):
    """Reverse (suffix) logcumsumexp along ``axis``."""
    return flip(logcumsumexp(flip(a, axis), axis), axis)


def _lcse_vjp(g, ans, x, axis=-1):
    # dL/dx_j = sum_{i >= j} g_i exp(x_j - y_i), summed in log space separately for the
    # positive and negative parts of g (no overflow; exact when entries are -inf)
    y = _safe_ans(ans)
    gv = getval(g)
    pos = gv > 0
    neg = gv < 0
    if type(g) is not Box and type(x) is not Box and type(y) is not Box:
        with _np.errstate(divide="ignore"):
            lp = _np.log(_np.where(pos, g, 0)) - y
            ln = _np.log(_np.where(neg, -g, 0)) - y
        rp = _np.flip(_np.logaddexp.accumulate(_np.flip(lp, axis), axis=axis), axis)
        rn = _np.flip(_np.logaddexp.accumulate(_np.flip(ln, axis), axis=axis), axis)
        return _np.exp(x + rp) - _np.exp(x + rn)
    lp = where(pos, log(where(pos, g, 1)), -_np.inf) - y
    ln = where(neg, log(where(neg, -g, 1)), -_np.inf) - y
    return exp(x + _rev_lcse(lp, axis)) - exp(x + _rev_lcse(ln, axis))


logcumsumexp = primitive1(_lcse_fun, "logcumsumexp")
logcumsumexp.__doc__ = """Prefix log-sum-exp along ``axis``: y_i = log sum_{j <= i} exp(x_j).

Computed with numpy.logaddexp.accumulate (stable); -inf entries are allowed. The VJP
sum_{i >= j} g_i exp(x_j - y_i) is evaluated in log space (a suffix logcumsumexp of
log|g| - y, split by the sign of g), so it neither overflows nor produces NaN at -inf.
Use ``flip(logcumsumexp(flip(x, a), a), a)`` for suffixes (leave-one-out log-mean-exp).
"""
defvjp(logcumsumexp, _lcse_vjp)


def _loo_max(x, axis):
    """(index of the row max along ``axis`` (kept dims), the max made finite, one-hot mask)."""
    jmax = _np.argmax(x, axis=axis, keepdims=True)
    m = _np.take_along_axis(x, jmax, axis)
    if not _np.isfinite(m).all():
        m = _np.where(_np.isfinite(m), m, 0).astype(x.dtype)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    mask = _np.arange(x.shape[axis]).reshape(shape) == jmax
    return jmax, m, mask


def _loo_lse_fun(x, axis=-1):
    axis = axis % x.ndim
    jmax, m, mask = _loo_max(x, axis)
    e = _np.subtract(x, m)
    _np.exp(e, out=e)
    s = _np.add.reduce(e, axis=axis, keepdims=True)
    rest = _np.subtract(s, e, out=e)   # sum_{l != j} e_l >= 1 for every j but the argmax
    with _np.errstate(divide="ignore"):
        out = _np.log(rest, out=rest)
        out += m
        # at the argmax: the exact log-sum-exp of the others (no subtraction)
        others = _np.where(mask, -_np.inf, x)
        _np.put_along_axis(out, jmax, _lse_fun(others, axis=axis, keepdims=True), axis)
    return out


def _loo_lse_vjp(g, ans, x, axis=-1):
    # d out_j / d x_l = exp(x_l - out_j) for l != j, 0 for l = j, so
    #   gx_l = exp(x_l - m) (W - w_l) + [l != jmax] g_jmax exp(x_l - out_jmax),
    #   w_j = [j != jmax] g_j exp(m - out_j) (each exp <= 1: out_j >= m for j != jmax),
    #   W = sum_j w_j; the argmax column is kept apart because exp(m - out_jmax) may overflow.
    xv = getval(x)
    axis = axis % xv.ndim
    jmax, m, mask = _loo_max(xv, axis)
    av = getval(ans)
    finite = _np.isfinite(av)
    if type(g) is not Box and type(ans) is not Box and type(x) is not Box:
        with _np.errstate(over="ignore", invalid="ignore"):
            c = _np.subtract(m, ans)
            _np.exp(c, out=c)
            c[mask] = 0
            if not finite.all():
                c[~finite] = 0
            c *= g
            W = _np.add.reduce(c, axis=axis, keepdims=True)
            _np.subtract(W, c, out=c)
            e = _np.subtract(x, m)
            _np.exp(e, out=e)
            c *= e
            om = _np.take_along_axis(ans, jmax, axis)
            ok = _np.isfinite(om)
            om = _np.where(ok, om, 0)
            t = _np.subtract(x, om, out=e)
            _np.exp(t, out=t)
            t *= _np.where(ok, _np.take_along_axis(g, jmax, axis), 0)
            t[mask] = 0
            c += t
        return c
    keep = finite & ~mask
    c = where(keep, exp(m - where(keep, ans, m)), 0.0) * g
    W = sum(c, axis=axis, keepdims=True)
    om = _take_along_axis(ans, jmax, axis)
    okm = _np.isfinite(getval(om))
    om = where(okm, om, 0.0)
    gm = where(okm, _take_along_axis(g, jmax, axis), 0.0)
    direct = where(mask, 0.0, gm * exp(where(mask, om, x) - om))
    return exp(x - m) * (W - c) + direct


loo_logsumexp = primitive1(_loo_lse_fun, "loo_logsumexp")
loo_logsumexp.__doc__ = """Leave-one-out log-sum-exp along ``axis``:

    out[..., j, ...] = log sum_{l != j} exp x[..., l, ...].

One pass of exp around the row max m: sum_{l != j} e^{x_l - m} = s - e^{x_j - m} >= 1 for
every j except the argmax (no cancellation: the max term stays in the sum), and at the
argmax the log-sum-exp of the other entries is computed directly, so the result is exact
(relative error O(n eps)) even when one entry dominates by hundreds of nats. -inf entries are
allowed; a row with a single finite entry gives -inf there. The VJP (see the source) is a
handful of passes with every exponent <= 0 (absolute error O(n eps max|g|)); its traced form
is the same formula in differentiable primitives, so derivatives nest.
"""
defvjp(loo_logsumexp, _loo_lse_vjp)


def _take_along_axis(x, indices, axis):
    """numpy.take_along_axis with one index per row along ``axis`` (differentiable in x; the
    indices are constants). Private: the VJPs of loo_logsumexp use it."""
    return _take_along_p(x, getval(indices), axis)


def _take_along_vjp(g, ans, x, indices, axis):
    xs = _shape(x)
    if type(g) is not Box:
        out = _np.zeros(xs, _np.result_type(_dtype_of(x), g))
        _np.put_along_axis(out, indices, g, axis)
        return out
    shape = [1] * len(xs)
    shape[axis] = xs[axis]
    return where(_np.arange(xs[axis]).reshape(shape) == indices, g, 0.0)


_take_along_p = primitive1(lambda x, indices, axis: _np.take_along_axis(x, indices, axis), "take_along_axis")
defvjp(_take_along_p, _take_along_vjp)


def _cumsum_fun(x, axis=None):
    return _np.cumsum(x, axis=axis)


def _cumsum_vjp(g, ans, x, axis=None):
    if axis is None:
        return reshape(flip(cumsum(flip(g, 0), 0), 0), x.shape)
    return flip(cumsum(flip(g, axis), axis), axis)


cumsum = primitive1(_cumsum_fun, "cumsum")
defvjp(cumsum, _cumsum_vjp)

flip = primitive1(lambda x, axis=None: _np.flip(x, axis), "flip")
defvjp(flip, lambda g, ans, x, axis=None: flip(g, axis))


# ----------------------------------------------------------------------------- shapes

def _reshape_fun(x, shape):
    return _np.reshape(x, shape)


_reshape_p = primitive1(_reshape_fun, "reshape")
defvjp(_reshape_p, lambda g, ans, x, shape: reshape(g, x.shape))


def reshape(x, shape, *more):
    """numpy.reshape(x, shape)."""
    if more:
        shape = (shape,) + more
    return _reshape_p(x, shape)


def ravel(x):
    return _reshape_p(x, (-1,))


def _transpose_fun(x, axes=None):
    if x.__class__ is not _np.ndarray:
        x = _np.asarray(x)
    return x.T if axes is None else x.transpose(axes)


def _transpose_vjp(g, ans, x, axes=None):
    if axes is None:
        return transpose(g)
    return transpose(g, tuple(_np.argsort(axes)))


transpose = primitive1(_transpose_fun, "transpose")
defvjp(transpose, _transpose_vjp)

swapaxes = primitive1(lambda x, a1, a2: _np.swapaxes(x, a1, a2), "swapaxes")
defvjp(swapaxes, lambda g, ans, x, a1, a2: swapaxes(g, a1, a2))

moveaxis = primitive1(lambda x, source, destination: _np.moveaxis(x, source, destination), "moveaxis")
defvjp(moveaxis, lambda g, ans, x, source, destination: moveaxis(g, destination, source))

expand_dims = primitive1(lambda x, axis: _np.expand_dims(x, axis), "expand_dims")
defvjp(expand_dims, lambda g, ans, x, axis: reshape(g, x.shape))

squeeze = primitive1(lambda x, axis=None: _np.squeeze(x, axis), "squeeze")
defvjp(squeeze, lambda g, ans, x, axis=None: reshape(g, x.shape))

broadcast_to = primitive1(lambda x, shape: _np.broadcast_to(x, shape), "broadcast_to")
defvjp(broadcast_to, lambda g, ans, x, shape: unbroadcast(g, x))


def _is_basic_index(idx):
    if type(idx) is tuple:
        for i in idx:
            if not _is_basic_index(i):
                return False
        return True
    if idx is None or idx is Ellipsis or isinstance(idx, (int, _np.integer, slice)):
        return True
    if isinstance(idx, _np.ndarray) and idx.dtype == bool:
        return True
    return False


def _getitem_fun(x, idx):
    return x[idx]


_getitem = primitive1(_getitem_fun, "getitem")


def _untake_fun(g, idx, shape, dtype):
    z = _np.zeros(shape, dtype=dtype)
    if _is_basic_index(idx):
        z[idx] = g
    else:
        _np.add.at(z, idx, g)
    return z


_untake = primitive1(_untake_fun, "_untake")
defvjp(_getitem, lambda g, ans, x, idx: _untake(g, idx, x.shape, _dtype_of(x)))
defvjp(_untake, lambda g, ans, x, idx, shape, dtype: _getitem(g, idx))


def getitem(x, idx):
    """x[idx] for basic and advanced indices (repeated integer indices accumulate)."""
    return _getitem(x, _unbox_deep(idx))


def take(x, indices, axis=None):
    """numpy.take (via indexing)."""
    indices = _np.asarray(getval(indices))
    if axis is None:
        return _getitem(ravel(x), indices)
    axis = axis % len(_shape(x))
    return _getitem(x, (slice(None),) * axis + (indices,))


class _VariadicVJP:
    """VJP table for primitives whose array arguments are ``args[1:]``."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn

    def __getitem__(self, i):
        return partial(self.fn, i)


def _parse_einsum(subscripts, n_operands):
    subscripts = subscripts.replace(" ", "")
    if "." in subscripts:
        raise NotImplementedError("anp.einsum: ellipsis ('...') subscripts are not supported")
    if "->" in subscripts:
        ins, out = subscripts.split("->")
    else:
        ins = subscripts
        letters = ins.replace(",", "")
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    ins = ins.split(",")
    if len(ins) != n_operands:
        raise ValueError(f"anp.einsum: {len(ins)} subscripts for {n_operands} operands")
    for sub in ins:
        if len(set(sub)) != len(sub):
            raise NotImplementedError(
                f"anp.einsum: repeated index within one operand ({sub!r}) is not supported; "
                "use anp.diag / anp.trace"
            )
    return ins, out


def _einsum_fun(subscripts, *operands):
    return _np.einsum(subscripts, *operands, optimize=len(operands) > 2)


def _einsum_vjp(i, g, ans, subscripts, *operands):
    ins, out = _parse_einsum(subscripts, len(operands))
    k = i - 1
    target = ins[k]
    others = [ins[j] for j in range(len(ins)) if j != k]
    available = set(out).union(*others) if others else set(out)
    kept = "".join(c for c in target if c in available)
    spec = ",".join([out] + others) + "->" + kept
    r = einsum(spec, g, *[operands[j] for j in range(len(operands)) if j != k])
    if kept != target:  # indices summed only inside this operand: broadcast back
        shape = _shape(operands[k])
        r = reshape(r, tuple(shape[p] if c in available else 1 for p, c in enumerate(target)))
        r = broadcast_to(r, shape)
    return r


_einsum_p = primitive(_einsum_fun, "einsum", vjp_table=_VariadicVJP(_einsum_vjp))


def einsum(subscripts, *operands):
    """numpy.einsum for explicit or implicit subscripts without '...' and without an index
    repeated within one operand. The VJP of each operand is another einsum (indices summed
    in that operand alone are broadcast back)."""
    _parse_einsum(subscripts, len(operands))
    return _einsum_p(subscripts, *operands)


def _concat_fun(axis, *arrays):
    return _np.concatenate(arrays, axis=axis)


def _concat_vjp(i, g, ans, axis, *arrays):
    ax = axis % len(ans.shape)
    start = 0
    for a in arrays[: i - 1]:
        start += _shape(a)[ax]
    stop = start + _shape(arrays[i - 1])[ax]
    return _getitem(g, (slice(None),) * ax + (slice(start, stop),))


_concat_p = primitive(_concat_fun, "concatenate", vjp_table=_VariadicVJP(_concat_vjp))


def concatenate(arrays, axis=0):
    """numpy.concatenate(arrays, axis)."""
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    return _concat_p(axis, *arrays)


def _stack_fun(axis, *arrays):
    return _np.stack(arrays, axis=axis)


def _stack_vjp(i, g, ans, axis, *arrays):
    ax = axis % len(ans.shape)
    return _getitem(g, (slice(None),) * ax + (i - 1,))


_stack_p = primitive(_stack_fun, "stack", vjp_table=_VariadicVJP(_stack_vjp))


def stack(arrays, axis=0):
    """numpy.stack(arrays, axis)."""
    return _stack_p(axis, *arrays)


def hstack(arrays):
    arrays = list(arrays)
    return concatenate(arrays, axis=0 if _np.ndim(getval(arrays[0])) == 1 else 1)


def vstack(arrays):
    return concatenate([reshape(a, (1, -1)) if _np.ndim(getval(a)) == 1 else a for a in arrays], axis=0)


def array(x, dtype=None):
    """numpy.array; lists containing traced values are stacked (differentiably)."""
    if type(x) is Box:
        return x if dtype is None else astype(x, dtype)
    if isinstance(x, (list, tuple)) and any(type(v) is Box or isinstance(v, (list, tuple)) for v in x):
        if any(_contains_box(v) for v in x):
            out = stack([array(v) for v in x])
            return out if dtype is None else astype(out, dtype)
    return _np.array(x, dtype=dtype)


def _contains_box(x):
    if type(x) is Box:
        return True
    if isinstance(x, (list, tuple)):
        return any(_contains_box(v) for v in x)
    return False


def asarray(x, dtype=None):
    """numpy.asarray; traced values pass through (cast with astype when dtype is given)."""
    if type(x) is Box or _contains_box(x):
        out = array(x)
        if dtype is not None and _np.dtype(dtype) != _dtype_of(out):
            out = astype(out, dtype)
        return out
    return _np.asarray(x, dtype=dtype)


def one_hot(idx, n, dtype=_np.float64):
    """One-hot rows: ``one_hot(idx, n)[..., j] = (idx == j)`` (not differentiable)."""
    idx = _np.asarray(getval(idx))
    if not _np.issubdtype(idx.dtype, _np.integer):
        raise TypeError(f"one_hot: idx must be an integer array, got dtype {idx.dtype}")
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise ValueError(f"one_hot: idx must lie in [0, n) = [0, {n})")
    return _np.eye(n, dtype=dtype)[idx]


def tril(x, k=0):
    """Lower triangle (numpy.tril) of the last two axes, as where(mask, x, 0)."""
    n, m = _shape(x)[-2:]
    return where(_np.tri(n, m, k, dtype=bool), x, 0)


def triu(x, k=0):
    """Upper triangle (numpy.triu) of the last two axes, as where(mask, x, 0)."""
    n, m = _shape(x)[-2:]
    return where(~_np.tri(n, m, k - 1, dtype=bool), x, 0)


def sort(x, axis=-1):
    """numpy.sort (differentiable: a gather with the argsort permutation)."""
    xv = getval(x)
    if axis is None:
        return sort(ravel(x), 0)
    axis = axis % xv.ndim
    idx = _np.argsort(xv, axis=axis)
    grid = list(_np.ix_(*[_np.arange(n) for n in xv.shape]))
    grid[axis] = idx
    return _getitem(x, tuple(grid))


# ----------------------------------------------------------------------------- Box operators

def _install_box_methods():
    B = Box
    B.__add__ = add  # plain functions bind as methods: add(self, other)
    B.__radd__ = add  # addition and multiplication of floats commute exactly
    B.__sub__ = subtract
    B.__rsub__ = lambda s, o: subtract(o, s)
    B.__mul__ = multiply
    B.__rmul__ = multiply
    B.__truediv__ = divide
    B.__rtruediv__ = lambda s, o: divide(o, s)
    B.__pow__ = power
    B.__rpow__ = lambda s, o: power(o, s)
    B.__matmul__ = matmul
    B.__rmatmul__ = lambda s, o: matmul(o, s)
    B.__neg__ = negative
    B.__pos__ = lambda s: s
    B.__abs__ = lambda s: absolute(s)
    B.__getitem__ = getitem

    def _setitem(s, idx, v):
        raise TypeError(
            "in-place assignment to a traced array is not differentiable; build the array with "
            "anp.where, anp.concatenate or anp.stack instead"
        )

    B.__setitem__ = _setitem
    B.__len__ = lambda s: len(s._value)
    B.__iter__ = lambda s: (s[i] for i in range(len(s._value)))
    B.__lt__ = lambda s, o: getval(s) < getval(o)
    B.__le__ = lambda s, o: getval(s) <= getval(o)
    B.__gt__ = lambda s, o: getval(s) > getval(o)
    B.__ge__ = lambda s, o: getval(s) >= getval(o)
    B.__eq__ = lambda s, o: getval(s) == getval(o)
    B.__ne__ = lambda s, o: getval(s) != getval(o)
    B.__hash__ = object.__hash__
    B.__bool__ = lambda s: bool(getval(s))
    B.__float__ = lambda s: float(getval(s))
    B.__int__ = lambda s: int(getval(s))
    B.item = lambda s: getval(s).item()
    B.shape = property(lambda s: s._value.shape)
    B.ndim = property(lambda s: s._value.ndim)
    B.size = property(lambda s: s._value.size)
    B.dtype = property(lambda s: s._value.dtype)
    B.T = property(lambda s: transpose(s))
    B.sum = lambda s, axis=None, keepdims=False: sum(s, axis, keepdims)
    B.mean = lambda s, axis=None, keepdims=False: mean(s, axis, keepdims)
    B.max = lambda s, axis=None, keepdims=False: max(s, axis, keepdims)
    B.min = lambda s, axis=None, keepdims=False: min(s, axis, keepdims)
    B.var = lambda s, axis=None, keepdims=False, ddof=0: var(s, axis, keepdims, ddof)
    B.std = lambda s, axis=None, keepdims=False, ddof=0: std(s, axis, keepdims, ddof)
    B.reshape = reshape
    B.ravel = ravel
    B.flatten = ravel
    B.transpose = lambda s, *axes: transpose(s, axes[0] if len(axes) == 1 else (axes or None))
    B.swapaxes = swapaxes
    B.squeeze = squeeze
    B.dot = dot
    B.astype = astype
    B.clip = clip
    B.cumsum = cumsum


_install_box_methods()


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
