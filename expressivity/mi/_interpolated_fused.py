"""The interpolated bound I_alpha as one fused primitive (value and hand-written VJP).

Poole et al. (2019), Eq. 11 with the leave-one-out estimator of the official code, for a K x K
score matrix S (rows x, columns y) and a baseline column w_i = log(1 - alpha) + log a(y_i):

    u_ij    = log alpha + log mean_{l != j} exp S_li          (leave-one-out, exact)
    logA_ij = logaddexp(u_ij, w_i)
    I_alpha = 1 + mean_{i != j}[S_ii - logA_ij] - mean_{i != j} exp(S_ji - logA_ii).

Composed from the engine's primitives this is ~20 recorded operations on K x K arrays (about
1 ms of a 7 ms MI training step at K = 64). Here the forward is plain numpy and the gradient

    G_ij   = dI/dlogA_ij = -c (i != j),   G_ii = c sum_{j != i} P_ij,
    P_ij   = exp(S_ji - logA_ii) (i != j),  c = 1 / (K (K - 1)),
    dS     = diag(1/K) - c P^T + loo-VJP(G * exp(u - logA)),
    dw_i   = sum_j G_ij exp(w_i - logA_ij),

is written out with the leave-one-out log-sum-exp's exact VJP. When the backward pass is
itself differentiated (a cotangent or an argument is traced) the VJP differentiates the
composed form instead, so higher derivatives stay exact.
"""
from __future__ import annotations

import math

import numpy as np

from ..autodiff import getval, grad
from ..autodiff import numpy as anp
from ..autodiff.core import Box, FusedVJP, primitive
from ..autodiff.reductions import loo_logsumexp_value, loo_logsumexp_vjp

__all__ = ["interpolated_scores", "interpolated_composed"]


def interpolated_composed(S, base_col, log_a, log_1ma):
    """I_alpha from the engine's primitives (the oracle, and the path of higher derivatives).
    ``base_col`` is log a(y_i) as a (K, 1) column; ``log_a``, ``log_1ma`` are log alpha and
    log(1 - alpha) (floats or traced scalars)."""
    K = np.shape(getval(S))[0]
    eye = np.eye(K, dtype=bool)
    nce_base = anp.transpose(anp.loo_logsumexp(S, axis=0)) - math.log(K - 1)
    logA = anp.logaddexp(log_a + nce_base, log_1ma + base_col)
    diag_S = anp.diag(S)
    joint = anp.sum(anp.where(eye, 0.0, anp.reshape(diag_S, (K, 1)) - logA)) / (K * (K - 1))
    X = anp.transpose(S) - anp.reshape(anp.diag(logA), (K, 1))
    marg = anp.exp(anp.logsumexp(anp.where(eye, -np.inf, X)) - math.log(K * (K - 1)))
    return 1.0 + joint - marg


def _logaddexp(a, b):
    """log(e^a + e^b) = max + log(1 + e^-|a - b|) with vectorised exp and log (numpy's
    logaddexp is a scalar loop, ~5x slower on float32; log1p is not vectorised either);
    -inf arguments allowed. Accurate in absolute terms only (e^-|d| below the rounding of 1
    is lost), which is all logA needs here: it enters I_alpha only through differences.
    ``anp.logaddexp`` and ``softplus`` keep numpy's form for their relative accuracy."""
    m = np.maximum(a, b)
    d = a - b
    with np.errstate(invalid="ignore"):  # (a = b = -inf: NaN, replaced by m below)
        np.abs(d, out=d)
        np.negative(d, out=d)
        np.exp(d, out=d)
        d += 1.0
        np.log(d, out=d)
    d += m
    return d if np.isfinite(m).all() else np.where(np.isfinite(m), d, m)


def _parts(S, base_col, log_a, log_1ma):
    """Forward in numpy: (value, loo, u, logA, X) with loo the leave-one-out log-sum-exp of the
    columns of S (loo[j, i] over l != j of S[l, i]) and X[i, j] = S[j, i] - logA_ii."""
    K = S.shape[0]
    loo = loo_logsumexp_value(S, axis=0)
    u = loo.T + (log_a - math.log(K - 1))
    logA = _logaddexp(u, base_col + log_1ma)
    dA = np.diagonal(logA)
    c = 1.0 / (K * (K - 1))
    joint = ((K - 1) * np.trace(S) - (logA.sum() - dA.sum())) * c
    X = S.T - dA[:, None]
    np.fill_diagonal(X, -np.inf)
    m = X.max()
    m = m if np.isfinite(m) else 0.0
    with np.errstate(over="ignore"):
        marg = np.exp(m + np.log(np.exp(X - m).sum()) + math.log(c))
    return 1.0 + joint - marg, loo, u, logA, X


def _with_residual(S, base_col, log_a, log_1ma):
    parts = _parts(S, base_col, log_a, log_1ma)
    return np.asarray(parts[0], dtype=np.result_type(S.dtype, np.float32)), parts


def _fun(S, base_col, log_a, log_1ma):
    return _with_residual(S, base_col, log_a, log_1ma)[0]


def _vjp(g, ans, argnums, S, base_col, log_a, log_1ma, _res=None):
    if any(type(v) is Box for v in (g, ans, S, base_col, log_a, log_1ma)):
        # higher order: differentiate the composed form (its VJPs are engine primitives)
        args = (S, base_col, log_a, log_1ma)
        return [grad(lambda a, i=i: g * interpolated_composed(*args[:i], a, *args[i + 1:]))(args[i])
                for i in argnums]
    K = S.shape[0]
    c = 1.0 / (K * (K - 1))
    _, loo, u, logA, X = _parts(S, base_col, log_a, log_1ma) if _res is None else _res
    with np.errstate(over="ignore"):
        P = np.exp(X + math.log(c))                  # c P_ij, 0 on the diagonal
    G = np.full_like(logA, -c)
    np.fill_diagonal(G, P.sum(axis=1))
    G *= g
    Gw = G * np.exp((base_col + log_1ma) - logA)     # through logaddexp: d/dw, d/du
    Gu = G * np.exp(u - logA)
    out = []
    for i in argnums:
        if i == 0:
            dS = loo_logsumexp_vjp(np.ascontiguousarray(Gu.T), loo, S, axis=0)
            dS -= g * P.T
            dS[np.diag_indices(K)] += g / K
            out.append(dS.astype(S.dtype, copy=False))
        elif i == 1:
            out.append(Gw.sum(axis=1, keepdims=True).astype(np.result_type(base_col), copy=False))
        elif i == 2:
            out.append(Gu.sum())
        else:
            out.append(Gw.sum())
    return out


interpolated_scores = primitive(_fun, "interpolated", vjp_table=FusedVJP(_vjp),
                                with_residual=_with_residual)
interpolated_scores.__doc__ = """I_alpha of a K x K score matrix as one primitive:
``interpolated_scores(S, base_col, log_alpha, log_one_minus_alpha)``, ``base_col`` the (K, 1)
column log a(y_i). Same value as :func:`interpolated_composed` (see the module docstring)."""
