"""The Gaussian integrals of mean-field theory for one activation, at scalar (q) or (c, q).

  V(q)    = E[phi(sqrt(q) z)^2]                 (length map: q' = sigma_w2 V(q) + sigma_b2)
  D(q)    = E[phi'(sqrt(q) z)^2]                (chi1 = sigma_w2 D(q*))
  W(q)    = dV/dq                               (xi_q; includes the kinks' delta terms)
  X2(q)   = E[phi''(sqrt(q) z)^2]               (chi2; inf if phi'' has a delta)
  C(c, q) = E[phi(u1) phi(u2)]                  (correlation map), u ~ N(0, q[[1, c], [c, 1]])
  Dc(c,q) = E[phi'(u1) phi'(u2)]                (slope of the C-map, xi_c)
  Delta(c, q) = V(q) - C(c, q) = E[(phi(u1) - phi(u2))^2] / 2   (no cancellation near c = 1)

Closed forms where they exist (Poole et al. 2016; Cho & Saul 2009 for ReLU; Williams 1997
for erf); otherwise the quadratures of :mod:`meanfield.quadrature` up to q = Q_LARGE_1D (1-D)
and Q_LARGE_2D (2-D), and beyond them the graded quadrature of :mod:`meanfield._largeq`, whose
node count does not grow with q (so no call's memory grows with q). C(1, q) is computed by
the same rule as V(q), so c = 1 is an exact fixed point of the correlation map.
"""
from __future__ import annotations

import math

import numpy as np

from . import quadrature as quad
from .activations import Activation

_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)
Q_LARGE_1D = 1e6   # beyond: 1-D integrals by the q-independent quadrature (the tables end here)
Q_LARGE_2D = 1e3   # beyond: 2-D integrals by it (the trapezoid would need ~1600 q nodes)


def _special():
    from scipy import special  # slow to import; only the kinked 2-D kernels need it

    return special


def _npdf(x):
    return _INV_SQRT2PI * np.exp(-0.5 * x * x)


# ---- closed forms, 1-D ------------------------------------------------------------------
def _relu_1d(kind, q):
    return {"V": 0.5 * q, "D": 0.5, "W": 0.5, "X2": math.inf}[kind]


def _linear_1d(kind, q):
    return {"V": q, "D": 1.0, "W": 1.0, "X2": 0.0}[kind]


def _erf_1d(kind, q):
    if kind == "V":
        if q > Q_LARGE_1D:   # asin(1 - d) = pi/2 - 2 asin(sqrt(d/2)), d = 1/(1 + 2q): no rounding of 1 - d
            return 1.0 - (4.0 / math.pi) * math.asin(math.sqrt(0.5 / (1.0 + 2.0 * q)))
        return (2.0 / math.pi) * math.asin(2.0 * q / (1.0 + 2.0 * q))
    if kind == "D":
        return (4.0 / math.pi) / math.sqrt(1.0 + 4.0 * q)
    if kind == "W":
        return (4.0 / math.pi) / ((1.0 + 2.0 * q) * math.sqrt(1.0 + 4.0 * q))
    return (16.0 / math.pi) * (q / (1.0 + 4.0 * q)) / math.sqrt(1.0 + 4.0 * q)   # (no overflow)


def _sin_1d(kind, q):
    if kind in ("V", "X2"):
        return -0.5 * math.expm1(-2.0 * q)
    if kind == "D":
        return 0.5 * (1.0 + math.exp(-2.0 * q))
    return math.exp(-2.0 * q)


def _erf_minus_slope(t):
    """erf(t) - (2/sqrt(pi)) t exp(-t^2) for small t by its series (the two terms agree to
    O(t^3): the direct difference loses digits like 1/t^2)."""
    t2 = t * t
    return (2.0 / math.sqrt(math.pi)) * t * t2 * (2.0 / 3.0 - t2 * (2.0 / 5.0 - t2 * (1.0 / 7.0 - t2 / 27.0)))


def _hard_tanh_1d(kind, q):
    if kind == "X2":
        return math.inf
    if q == 0.0:
        return {"V": 0.0, "D": 1.0, "W": 1.0}[kind]
    a = 1.0 / math.sqrt(q)
    e = math.erf(a / math.sqrt(2.0))
    if kind == "D":
        return e
    if q > Q_LARGE_1D:   # a < 1e-3: the series (relative error < 1e-24)
        f = _erf_minus_slope(a / math.sqrt(2.0))
    else:
        f = e - 2.0 * a * _INV_SQRT2PI * math.exp(-0.5 * a * a)
    if kind == "V":
        return q * f + math.erfc(a / math.sqrt(2.0))
    return f


_CLOSED_1D = {"relu": _relu_1d, "linear": _linear_1d, "erf": _erf_1d, "sin": _sin_1d,
              "hard_tanh": _hard_tanh_1d}


# ---- closed forms, 2-D --------------------------------------------------------------------
def _relu_2d(kind, c, q):
    theta = math.acos(c)
    if kind == "C":
        return q / (2.0 * math.pi) * (math.sqrt(max(0.0, 1.0 - c * c)) + (math.pi - theta) * c)
    if kind == "Delta":
        return 0.5 * q - _relu_2d("C", c, q)
    return (math.pi - theta) / (2.0 * math.pi)


def _linear_2d(kind, c, q):
    return {"C": q * c, "Delta": q * (1.0 - c), "Dc": 1.0}[kind]


def _erf_2d(kind, c, q):
    if kind == "C":
        return (2.0 / math.pi) * math.asin(2.0 * q * c / (1.0 + 2.0 * q))
    if kind == "Delta":  # asin(x) - asin(y) = asin(x sqrt(1-y^2) - y sqrt(1-x^2)) for x, y >= 0 ...
        return _erf_1d("V", q) - _erf_2d("C", c, q)
    return (4.0 / math.pi) / math.sqrt((1.0 + 2.0 * q) ** 2 - 4.0 * q * q * c * c)


def _sin_2d(kind, c, q):
    """E[sin u1 sin u2] = e^{-q} sinh(qc), E[cos u1 cos u2] = e^{-q} cosh(qc), overflow-free."""
    lo, hi = math.exp(-q * (1.0 - c)), math.exp(-q * (1.0 + c))
    if kind == "C":
        return 0.5 * (lo - hi)
    if kind == "Delta":  # V - C = [1 - e^{-q(1-c)} + e^{-q(1+c)} - e^{-2q}] / 2, both differences by expm1
        e = q * (1.0 - c)
        tail = math.exp(-2.0 * q) * math.expm1(e) if e < 700.0 else hi - math.exp(-2.0 * q)
        return 0.5 * (-math.expm1(-e) + tail)
    return 0.5 * (lo + hi)


_CLOSED_2D = {"relu": _relu_2d, "linear": _linear_2d, "erf": _erf_2d, "sin": _sin_2d}


# ---- inner expectations E_z[g(m + s z)] in closed form (for kinked activations) ----------
def _relu_mean(m, s):
    """E[relu(m + s z)] = m Phi(m/s) + s phi_N(m/s)."""
    t = m / s
    return m * _special().ndtr(t) + s * _npdf(t)


def _hard_tanh_inner(m, s):
    return _relu_mean(m + 1.0, s) - _relu_mean(m - 1.0, s) - 1.0


def _hard_tanh_d_inner(m, s):
    return _special().ndtr((1.0 - m) / s) - _special().ndtr((-1.0 - m) / s)


def _exp_neg_part(m, s):
    """E[exp(m + s z) 1{m + s z < 0}] = exp(m + s^2/2) Phi(-m/s - s), in log space."""
    return np.exp(m + 0.5 * s * s + _special().log_ndtr(-m / s - s))


def _elu_inner(m, s):
    return _relu_mean(m, s) + _exp_neg_part(m, s) - _special().ndtr(-m / s)


def _elu_d_inner(m, s):
    return _special().ndtr(m / s) + _exp_neg_part(m, s)


def _relu_inner(m, s):
    return _relu_mean(m, s)


def _relu_d_inner(m, s):
    return _special().ndtr(m / s)


_INNER = {"relu": (_relu_inner, _relu_d_inner), "hard_tanh": (_hard_tanh_inner, _hard_tanh_d_inner),
          "elu": (_elu_inner, _elu_d_inner)}


# ---- public scalar kernels ------------------------------------------------------------
def one_d(act: Activation, kind: str, q: float) -> float:
    """V, D, W or X2 at a scalar q >= 0 (see module docstring)."""
    closed = _CLOSED_1D.get(act.closed_form)
    if closed is not None:
        return float(closed(kind, q))
    if kind == "X2" and act.deltas:
        return math.inf
    if q > Q_LARGE_1D:
        from . import _largeq

        return _largeq.one_d(act, kind, q)
    phi, dphi, d2phi = act.phi, act.dphi, act.d2phi
    if kind == "V":
        return quad.expect(lambda x: phi(x) ** 2, q, act.kinks)
    if kind == "D":
        return quad.expect(lambda x: dphi(x) ** 2, q, act.kinks)
    if kind == "X2":
        return quad.expect(lambda x: d2phi(x) ** 2, q, act.kinks)
    if kind == "W":
        # Stein: dV/dq = E[(phi^2)''(sqrt(q) z)]/2 = E[phi'^2 + phi phi''] + sum over the
        # jumps J_k of phi' at x_k of phi(x_k) J_k phi_N(x_k/sqrt(q))/sqrt(q)
        val = quad.expect(lambda x: dphi(x) ** 2 + phi(x) * d2phi(x), q, act.kinks)
        if q > 0.0:
            rq = math.sqrt(q)
            for xk, jump in act.deltas:
                val += float(phi(xk)) * jump * _INV_SQRT2PI * math.exp(-0.5 * xk * xk / q) / rq
        return val
    raise ValueError(f"kind must be one of V, D, W, X2; got {kind!r}")


def two_d(act: Activation, kind: str, c: float, q: float) -> float:
    """C, Dc or Delta at scalar c in [-1, 1], q >= 0 (see module docstring)."""
    name = act.closed_form or ""
    if name in _CLOSED_2D:
        return float(_CLOSED_2D[name](kind, c, q))
    if c == 1.0:
        v = one_d(act, "V" if kind == "C" else "D", q)
        return 0.0 if kind == "Delta" else v
    phi, dphi = act.phi, act.dphi
    if c == -1.0 or q == 0.0:
        g = dphi if kind == "Dc" else phi
        if q > Q_LARGE_2D:
            from . import _largeq

            val = _largeq.anti(act, g, q)
        else:
            val = quad.expect(lambda x: g(x) * g(-x), q, tuple(act.kinks) + tuple(-k for k in act.kinks))
        if kind == "Delta":
            return one_d(act, "V", q) - val
        return val
    inner = _INNER.get(act.name) if act.expr is None else None
    if q > Q_LARGE_2D or not (act.smooth or inner):
        return _large_two_d(act, kind, c, q)
    if act.smooth:
        if kind == "C":
            return quad.expect_pair_smooth(phi, c, q)
        if kind == "Dc":
            return quad.expect_pair_smooth(dphi, c, q)
        return quad.expect_half_sq_diff_smooth(phi, c, q)
    if kind == "Dc":
        return quad.expect_pair_inner_closed(dphi, inner[1], c, q, act.kinks)
    val = quad.expect_pair_inner_closed(phi, inner[0], c, q, act.kinks)
    return one_d(act, "V", q) - val if kind == "Delta" else val


def _large_two_d(act: Activation, kind: str, c: float, q: float) -> float:
    """C, Dc, Delta by the q-independent quadrature (large q; kinked phi without a closed-form
    inner expectation at any q). Delta = (1 - c) R for c >= 0 (no cancellation near c = 1)."""
    from . import _largeq

    if kind == "Delta":
        if c >= 0.0:
            return (1.0 - c) * _largeq.two_d(act, "R", c, q)
        return one_d(act, "V", q) - _largeq.two_d(act, "C", c, q)
    return _largeq.two_d(act, kind, c, q)


def near_ratio(act: Activation, b: float, q: float) -> float:
    """R = Delta(c, q) / (1 - c) = [V(q) - C(c, q)] / (1 - c) at b = sqrt(q (1 - c) / 2), 0 < b^2 <= q.

    The slope of the chord of the C-map from c to 1; R -> q E[phi'(u)^2] as c -> 1. Smooth phi:
    R = q E[y^2 m^2] with m the mean of phi' over the segment [u2, u1] (no cancellation, see
    :func:`meanfield.quadrature.near_ratio_smooth`); kinked phi: the same form with m by
    Gauss-Legendre over the pieces between kinks where eps < 1e-2 (:mod:`meanfield._nearkinked`),
    Delta / eps above (accurate there to ~1e-14).
    """
    if not (0.0 < b * b <= q):
        raise ValueError(f"b must satisfy 0 < b^2 <= q; got b={b}, q={q}")
    if q > Q_LARGE_2D:
        from . import _largeq

        return _largeq.two_d(act, "R", 1.0 - 2.0 * b * b / q, q)
    if act.smooth:
        return quad.near_ratio_smooth(act.phi, act.dphi, b, q)
    eps = 2.0 * b * b / q
    if eps < 1e-2 and act.expr is None:
        from ._nearkinked import near_ratio_kinked

        return float(near_ratio_kinked(act, b, q)[0])
    return two_d(act, "Delta", 1.0 - eps, q) / eps

