"""The order-to-chaos transition chi1(sigma_w2, sigma_b2) = 1.

Without root finding in (sigma_w2, sigma_b2): every q > 0 is q* of exactly one critical
network, q -> (sigma_w2, sigma_b2) = (1/D(q), q - V(q)/D(q)) with V = E[phi(sqrt(q) z)^2],
D = E[phi'(sqrt(q) z)^2] (Poole et al. 2016, Sec. 3; Schoenholz et al. 2017).
"""
from __future__ import annotations

import numpy as np

from . import kernels
from ._solvers import critical_scalar
from ._validate import VALUE_MAX, as_array, scalar, scalar_or_array
from .activations import get_activation


def critical_line(activation, q):
    """(sigma_w2, sigma_b2) of the critical network (chi1 = 1) whose q* is ``q``:
    (1/D(q), q - V(q)/D(q)) with V = E[phi(sqrt(q) z)^2], D = E[phi'(sqrt(q) z)^2]
    (Poole et al. 2016, Sec. 3).

    Parameters
    ----------
    activation : str or Activation
        A built-in name or an :class:`Activation`.
    q : float or array_like
        q* of the critical networks, in (0, 1e300].

    Returns
    -------
    (sigma_w2, sigma_b2) : tuple of float or ndarray
        Shaped like q. sigma_b2 < 0 where no network with that q* is critical (the line leaves
        the physical quadrant: e.g. ReLU-like phi beyond sigma_b2 = 0).

    Raises
    ------
    ValueError
        q out of range; an activation with E[phi'^2] = 0 at some q (no critical network there).
    TypeError, IntegrationError
        As for :func:`meanfield.length_map`.
    """
    act = get_activation(activation)
    q = as_array("q", q, 0.0, VALUE_MAX, lo_open=True)
    w = np.empty(q.shape)
    b = np.empty(q.shape)
    for i in np.ndindex(q.shape):
        d = kernels.one_d(act, "D", float(q[i]))
        if not d > 0.0:
            raise ValueError(f"no critical network with q* = {float(q[i])!r} for {act.name}: "
                             "E[phi'(sqrt(q) z)^2] = 0 there")
        w[i] = 1.0 / d
        b[i] = float(q[i]) - kernels.one_d(act, "V", float(q[i])) / d
    return scalar_or_array(w), scalar_or_array(b)


def critical_sigma_w2(activation, sigma_b2, q0=1.0):
    """sigma_w2 with chi1(sigma_w2, sigma_b2) = 1 at q*(q0) (Poole et al. 2016, Fig. 2;
    Schoenholz et al. 2017, Sec. 3).

    Found along the parametric critical line (:func:`critical_line`, no nested root finding);
    the crossing is checked to be the fixed point the length map reaches from ``q0``
    (bistable activations such as gelu at small bias have a chi1 = 1 fixed point that is
    unstable).

    Parameters
    ----------
    activation : str or Activation
        A built-in name or an :class:`Activation`.
    sigma_b2 : float or array_like
        Bias variance(s), in [0, 1e300].
    q0 : float, default 1
        Where the length map starts, in (0, 1e300].

    Returns
    -------
    float or ndarray
        The critical sigma_w2, shaped like sigma_b2.

    Raises
    ------
    ValueError
        Arguments out of range; no critical point at some sigma_b2 (ReLU with bias; chi1 below
        1 for every q* up to 1e300; a crossing the map does not reach from q0).
    TypeError, IntegrationError, ConvergenceError
        As for :func:`meanfield.q_star`.
    """
    act = get_activation(activation)
    b = as_array("sigma_b2", sigma_b2, 0.0, VALUE_MAX)
    q0 = scalar("q0", q0, 0.0, VALUE_MAX, lo_open=True)
    out = np.empty(b.shape)
    for i in np.ndindex(b.shape):
        out[i] = critical_scalar(act, float(b[i]), q0)
    return scalar_or_array(out)
