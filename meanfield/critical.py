"""The order-to-chaos transition chi1(sigma_w2, sigma_b2) = 1.

Without root finding in (sigma_w2, sigma_b2): every q > 0 is q* of exactly one critical
network, q -> (sigma_w2, sigma_b2) = (1/D(q), q - V(q)/D(q)) with V = E[phi(sqrt(q) z)^2],
D = E[phi'(sqrt(q) z)^2] (Poole et al. 2016, Sec. 3; Schoenholz et al. 2017).
"""
from __future__ import annotations

import numpy as np

from . import kernels
from ._solvers import critical_scalar
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
        out[i] = critical_scalar(act, float(b[i]), float(q0))
    return scalar_or_array(out)

