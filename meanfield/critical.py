"""The order-to-chaos transition chi1(sigma_w2, sigma_b2) = 1.

Without root finding in (sigma_w2, sigma_b2): every q > 0 is q* of exactly one critical
network, q -> (sigma_w2, sigma_b2) = (1/D(q), q - V(q)/D(q)) with V = E[phi(sqrt(q) z)^2],
D = E[phi'(sqrt(q) z)^2] (Poole et al. 2016, Sec. 3; Schoenholz et al. 2017).
"""
from __future__ import annotations

import math

import numpy as np

from . import kernels
from ._validate import as_array, scalar_or_array
from .activations import get_activation


def critical_line(activation, q):
    """(sigma_w2, sigma_b2) of the critical network whose q* is ``q`` (array-valued)."""
    act = get_activation(activation)
    q = as_array("q", q, 0.0, lo_open=True)
    w = np.empty(q.shape)
    b = np.empty(q.shape)
    for i in np.ndindex(q.shape):
        d = kernels.one_d(act, "D", float(q[i]))
        w[i] = 1.0 / d
        b[i] = float(q[i]) - kernels.one_d(act, "V", float(q[i])) / d
    return scalar_or_array(w), scalar_or_array(b)


def _critical_scalar(act, b: float, q0: float = 1.0) -> float:
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
        if hi > 1e6:
            raise ValueError(f"no critical point for {act.name} at sigma_b2 = {b}: "
                             "chi1 stays below 1 for every q* up to 1e6")
    q = _brentq()(g, lo, hi, xtol=1e-300, rtol=4 * np.finfo(float).eps, maxiter=500)
    w = 1.0 / kernels.one_d(act, "D", q)
    from .maps import _q_star_scalar

    reached = _q_star_scalar(act, w, b, q0)
    if not abs(reached - q) <= 1e-8 * q:
        raise ValueError(
            f"no critical point for {act.name} at sigma_b2 = {b} reachable from q0 = {q0}: the "
            f"chi1 = 1 fixed point q = {q:.6g} at sigma_w2 = {w:.6g} is not the limit of the "
            f"length map (which goes to {reached:.6g}); the map is bistable there")
    return w


def critical_sigma_w2(activation, sigma_b2, q0=1.0):
    """sigma_w2 with chi1(sigma_w2, sigma_b2) = 1 at q*(q0); ValueError where there is no root.

    Found along the parametric critical line (no nested root finding); the crossing is
    checked to be the fixed point the length map reaches from ``q0`` (bistable activations
    such as gelu at small bias have a chi1 = 1 fixed point that is unstable).
    """
    act = get_activation(activation)
    b = as_array("sigma_b2", sigma_b2, 0.0)
    if np.isinf(b).any():
        raise ValueError("sigma_b2 must be finite")
    out = np.empty(b.shape)
    for i in np.ndindex(b.shape):
        out[i] = _critical_scalar(act, float(b[i]), float(q0))
    return scalar_or_array(out)


def _brentq():
    from scipy.optimize import brentq  # scipy.optimize is slow to import: load on first use

    return brentq
