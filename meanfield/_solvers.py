"""The scalar solvers behind the theory functions, in one place.

q* (limit of the length map from q0), c* (stable fixed point of the correlation map, by
bracketing 1 - c), the depth scales at (q*, c*), the critical sigma_w2 at one sigma_b2, and
all five phase-diagram fields at one grid point. :mod:`meanfield.maps`, :mod:`meanfield.depth`,
:mod:`meanfield.critical` and :mod:`meanfield.phase` import them from here (no private imports
between those modules). Every loop here is bounded; :func:`brentq` is scipy's, loaded on
first use (scipy.optimize is slow to import).

Poole et al. 2016 (arXiv 1606.05340), Eqs. 3-7; Schoenholz et al. 2017 (arXiv 1611.01232),
Eqs. 7-10.
"""
from __future__ import annotations

import math

import numpy as np

from . import kernels
from ._validate import scalar_or_array
from .errors import ConvergenceError
from .activations import Activation

Q_CAP = 1e300    # the largest q the integrals take (V(q) ~ q/2 at 1e300 keeps phi^2 finite)
Q_MIN = 1e-300   # below this q* is reported as 0 (the map collapses)
Q_ASYMPTOTIC = 1e4  # past this q the asymptotic slope of the length map decides divergence
EPS_MIN = 1e-17  # 1 - c below this rounds c to 1: c* = 1 to double precision
RTOL = 4 * np.finfo(float).eps
MAXITER = 500


def brentq(f, lo: float, hi: float, what: str = "root") -> float:
    """Root of ``f`` in the bracket [lo, hi] to 4 ulp relative (scipy's brentq, at most 500
    steps; ConvergenceError naming ``what`` and the bracket if it needs more)."""
    from scipy.optimize import brentq as _brentq

    root, info = _brentq(f, lo, hi, xtol=1e-300, rtol=RTOL, maxiter=MAXITER, full_output=True, disp=False)
    if not info.converged:
        raise ConvergenceError(f"{what}: brentq did not converge in {MAXITER} steps on [{lo!r}, {hi!r}] "
                               f"(last iterate {root!r}, {info.flag})")
    return root


def broadcast(fn, *arrays):
    """``fn`` of Python floats over the broadcast of ``arrays``; a float for 0-d input."""
    arrays = np.broadcast_arrays(*arrays)
    out = np.empty(arrays[0].shape, dtype=np.float64)
    for idx in np.ndindex(out.shape):
        out[idx] = fn(*(float(a[idx]) for a in arrays))
    return scalar_or_array(out)


def d_limit(act: Activation) -> float:
    """lim_{q -> inf} E[phi'(sqrt(q) z)^2] = (phi'(+inf)^2 + phi'(-inf)^2)/2 (ReLU-like)."""
    big = 1e8
    return 0.5 * (float(act.dphi(big)) ** 2 + float(act.dphi(-big)) ** 2)


def dd_limit(act: Activation) -> float:
    """lim_{q -> inf} E[phi''(sqrt(q) z)^2] = (phi''(+inf)^2 + phi''(-inf)^2)/2 (0 for the smooth
    built-ins, whose phi'' vanishes at +-inf)."""
    big = 1e8
    return 0.5 * (float(act.d2phi(big)) ** 2 + float(act.d2phi(-big)) ** 2)


def _marginal_diverges(g_lo, g_hi):
    """The marginal-slope rule (:func:`meanfield._phasekernels.marginal_diverges`) for G at q/2
    and q; margin 0.5 (the neglected O(1/q) term is ~10 % of the drop for softplus at q = 1e4)."""
    from ._phasekernels import marginal_diverges

    return marginal_diverges(g_lo, g_hi, 2.0, 0.5)


def q_star_scalar(act: Activation, w: float, b: float, q0: float) -> float:
    """q* from q0: the first root of sigma_w2 V(q) + sigma_b2 - q on the side the first step
    goes; inf if the map diverges, 0 if it collapses."""
    if act.closed_form in ("relu", "linear"):  # V(q) = kappa q: q* in closed form
        kappa = 0.5 if act.closed_form == "relu" else 1.0
        slope = w * kappa
        if slope == 1.0:
            return q0 if b == 0.0 else math.inf
        return b / (1.0 - slope) if slope < 1.0 else math.inf
    def gap(q):
        return w * kernels.one_d(act, "V", q) + b - q

    g0 = gap(q0)
    if abs(g0) <= 4e-16 * max(q0, 1e-300):
        return q0
    if g0 > 0.0:  # the map increases q: the limit is the first root above q0, or inf
        lo, hi = q0, max(2.0 * q0, 1e-8)
        growth = None
        g_lo, g_hi = g0, gap(hi)
        while g_hi > 0.0:
            if hi >= Q_CAP:
                if g_hi <= 4e-16 * hi:   # the root sits at the cap, within rounding
                    return hi
                if growth is None:
                    growth = w * d_limit(act)
                if growth < 1.0:
                    raise ValueError(
                        f"q* of {act.name} at sigma_w2 = {w:g}, sigma_b2 = {b:g} exceeds {Q_CAP:g}, the "
                        "largest q the integrals take (the map converges, beyond the float range)")
                # slope 1 and a gap the marginal rule cannot call: the map grows past 1e300
                return math.inf
            lo, hi = hi, min(2.0 * hi, Q_CAP)
            g_lo, g_hi = g_hi, gap(hi)
            if hi > Q_ASYMPTOTIC:
                # V(q) ~ kappa q for large q (kappa = 0 for bounded phi): a slope
                # sigma_w2 kappa > 1 diverges; no need to integrate out to Q_CAP. At a slope
                # of 1 (to rounding; elu, softplus at sigma_w2 = 2) the gap tends to a
                # constant, G ~ G_inf + c / sqrt(q): a positive gap that is not falling, or
                # whose limit G_inf (from q/2 and q) is clearly positive, diverges (linearly)
                if growth is None:
                    growth = w * d_limit(act)
                if growth > 1.0 or (abs(growth - 1.0) <= 1e-12 and _marginal_diverges(g_lo, g_hi)):
                    return math.inf
    else:         # the map decreases q: the last root below q0, or 0
        hi, lo = q0, 0.5 * q0
        # a gap within rounding of zero at tiny q (critical collapse, q^l ~ 1/l) keeps going
        while gap(lo) <= 1e-14 * lo:
            hi, lo = lo, 0.5 * lo
            if lo < Q_MIN:
                return 0.0
        if gap(hi) >= 0.0:  # hi sits on the root within rounding
            return hi
    if gap(hi) == 0.0:
        return hi
    return brentq(gap, lo, hi, f"q* of {act.name} at sigma_w2 = {w!r}, sigma_b2 = {b!r}")


def c_star_scalar(act: Activation, w: float, b: float, q: float) -> float:
    """c* at q (= q*): 1 in the ordered phase, else the fixed point nearest c = 1, found by
    bracketing eps = 1 - c; 0 for odd phi without bias; NaN where q is infinite."""
    if math.isinf(q):
        return math.nan
    chi = w * kernels.one_d(act, "D", q)
    if chi <= 1.0 or q == 0.0:
        return 1.0
    if act.odd and b == 0.0:
        return 0.0
    big_q = w * kernels.one_d(act, "V", q) + b

    def h(eps):  # sigma_w2 [V - C(1 - eps)] - eps q: positive just below c = 1 when chi1 > 1
        return w * kernels.two_d(act, "Delta", 1.0 - eps, q) - eps * big_q

    lo = 1e-3
    while h(lo) <= 0.0:   # near the critical line the root is close to c = 1
        lo *= 0.1
        if lo < EPS_MIN:   # (c = 1 - lo rounds to 1 below this: h = -lo q < 0 from here on)
            return 1.0
    hi = lo
    while True:  # first sign change above lo: the fixed point nearest c = 1
        nxt = min(2.0, 2.0 * hi)
        if h(nxt) <= 0.0:
            lo, hi = hi, nxt
            break
        hi = nxt
        if hi >= 2.0:
            return -1.0
    eps = brentq(h, lo, hi, f"1 - c* of {act.name} at sigma_w2 = {w!r}, sigma_b2 = {b!r}")
    return 1.0 - eps


def inv_log(slope: float) -> float:
    """-1/log(slope): inf at slope 1, 0 for slope <= 0 (a map that forgets in one layer)."""
    if slope == 1.0:
        return math.inf
    if slope <= 0.0:
        return 0.0  # the map forgets its input in one layer
    return -1.0 / math.log(slope)


def depth_scales_scalar(act: Activation, w: float, b: float, q: float) -> tuple[float, float]:
    """(xi_q, xi_c) at q (= q*) and c*; NaN where q is infinite."""
    if math.isinf(q):
        return math.nan, math.nan
    xi_q = inv_log(w * kernels.one_d(act, "W", q))
    chi = w * kernels.one_d(act, "D", q)
    if chi <= 1.0 or q == 0.0:
        return xi_q, inv_log(chi)
    c = c_star_scalar(act, w, b, q)
    slope = w * kernels.two_d(act, "Dc", c, q)
    return xi_q, inv_log(slope)


def critical_scalar(act: Activation, b: float, q0: float = 1.0) -> float:
    """sigma_w2 with chi1 = 1 at sigma_b2 = b, along the parametric critical line, checked to be
    the fixed point the length map reaches from q0; ValueError where there is none."""
    if act.closed_form in ("relu", "linear"):
        d = 0.5 if act.closed_form == "relu" else 1.0
        if b == 0.0:
            return 1.0 / d
        raise ValueError(f"{act.name} has no critical point at sigma_b2 = {b} > 0: "
                         "q* diverges before chi1 reaches 1")

    def g(q):
        return q - kernels.one_d(act, "V", q) / kernels.one_d(act, "D", q) - b

    if b == 0.0:
        d0 = kernels.one_d(act, "D", 0.0)
        if kernels.one_d(act, "V", 0.0) == 0.0 and d0 > 0.0:
            return 1.0 / d0  # q* -> 0 along the line: sigma_w2 phi'(0)^2 = 1
    lo, hi = 1e-12, 1.0
    glo = g(lo)
    if glo > 0.0:
        raise ValueError(f"no critical point for {act.name} at sigma_b2 = {b}")
    while g(hi) < 0.0:
        lo, hi = hi, 2.0 * hi
        if hi > Q_CAP:
            raise ValueError(f"no critical point for {act.name} at sigma_b2 = {b:g}: "
                             f"chi1 stays below 1 for every q* up to {Q_CAP:g}")
    q = brentq(g, lo, hi, f"the critical q* of {act.name} at sigma_b2 = {b!r}")
    w = 1.0 / kernels.one_d(act, "D", q)
    reached = q_star_scalar(act, w, b, q0)
    if not abs(reached - q) <= 1e-8 * q:
        raise ValueError(
            f"no critical point for {act.name} at sigma_b2 = {b} reachable from q0 = {q0}: the "
            f"chi1 = 1 fixed point q = {q:.6g} at sigma_w2 = {w:.6g} is not the limit of the "
            f"length map (which goes to {reached:.6g}); the map is bistable there")
    return w


def phase_point(act: Activation, w: float, b: float, q0: float):
    """(q*, chi1, c*, xi_q, xi_c) at one grid point by the pointwise solvers."""
    qs = q_star_scalar(act, w, b, q0)
    if math.isinf(qs):
        return qs, w * d_limit(act), math.nan, math.nan, math.nan
    chi = w * kernels.one_d(act, "D", qs)
    xq, xc = depth_scales_scalar(act, w, b, qs)
    return qs, chi, c_star_scalar(act, w, b, qs), xq, xc
