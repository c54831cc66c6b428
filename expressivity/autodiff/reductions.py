"""Reduction primitives with their VJPs: sum, mean, max, min, var, std, logsumexp, softmax,
log_softmax, logcumsumexp, the leave-one-out loo_logsumexp, cumsum.

``loo_logsumexp_value`` and ``loo_logsumexp_vjp`` are the plain-numpy forward and first-order
VJP of ``loo_logsumexp``, public for fused primitives built on it
(:mod:`expressivity.mi._interpolated_fused`).
"""
from __future__ import annotations

import math

import numpy as _np

from .core import Box, defvjp, getval, primitive1


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


def loo_logsumexp_value(x, axis=-1):
    """Plain-numpy forward of :data:`loo_logsumexp` on an ndarray ``x`` (no tracing):
    ``out[..., j, ...] = log sum_{l != j} exp x[..., l, ...]``, exact (see its docstring)."""
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


def loo_logsumexp_vjp(g, ans, x, axis=-1):
    """VJP of :data:`loo_logsumexp`: the cotangent of ``x`` for the output cotangent ``g`` and
    the forward result ``ans``. Plain numpy (a new array) when nothing is traced, else written
    in differentiable primitives."""
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


loo_logsumexp = primitive1(loo_logsumexp_value, "loo_logsumexp")
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
defvjp(loo_logsumexp, loo_logsumexp_vjp)


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


from .elementwise import _safe_ans, exp, log, sqrt, where  # noqa: E402  (bound last: the primitive modules import one another)
from .shapes import broadcast_to, flip, reshape  # noqa: E402
from ._helpers import _dtype_of, _expand_reduced, _keep_shape, _normalize_axes, _shape  # noqa: E402
