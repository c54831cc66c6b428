"""Length and correlation maps, their fixed points q* and c*, and chi1, chi2.

Poole et al. 2016 (arXiv 1606.05340), Eqs. 3-5; Schoenholz et al. 2017 (arXiv 1611.01232):

  q^l = sigma_w2 V(q^{l-1}) + sigma_b2,           V(q) = E[phi(sqrt(q) z)^2]
  c^l = [sigma_w2 C(c^{l-1}, q) + sigma_b2] / [sigma_w2 V(q) + sigma_b2]   (at q = q*)
  chi1 = sigma_w2 E[phi'(sqrt(q*) z)^2],  chi2 = sigma_w2 E[phi''(sqrt(q*) z)^2]

All functions broadcast their numeric arguments like numpy ufuncs and return a float for
scalar input. ``q_star`` is the limit of the length map started at ``q0`` (default 1): ``inf``
where the map diverges (ReLU with sigma_w2 >= 2 and sigma_b2 > 0, or sigma_w2 > 2), 0 where
it collapses (odd phi, sigma_b2 = 0, sigma_w2 phi'(0)^2 <= 1).
"""
from __future__ import annotations

import math

import numpy as np

from . import kernels
from ._solvers import broadcast as _broadcast
from ._solvers import c_star_scalar, d_limit, q_star_scalar
from ._validate import as_array, positive_int, variances
from .activations import get_activation

def _check_q(q, name="q"):
    q = as_array(name, q, 0.0)
    if np.isinf(q).any():
        raise ValueError(f"{name} must be finite")
    return q


# ---- the length map --------------------------------------------------------------------
def length_map(q, activation, sigma_w2, sigma_b2):
    """q -> sigma_w2 E[phi(sqrt(q) z)^2] + sigma_b2 (Poole et al. 2016, Eq. 3)."""
    act = get_activation(activation)
    q = _check_q(q)
    w, b = variances(sigma_w2, sigma_b2)
    return _broadcast(lambda q_, w_, b_: w_ * kernels.one_d(act, "V", q_) + b_, q, w, b)


def q_star(activation, sigma_w2, sigma_b2, q0=1.0):
    """Limit of the length map started at ``q0`` (default 1).

    For an increasing length map the iteration converges monotonically, so q* is the first
    root of sigma_w2 V(q) + sigma_b2 = q on the side the first step goes; ``inf`` if there is
    none (the map diverges), 0 if the map collapses to the origin. Bistable activations
    (gelu, swish at sigma_w2 = 3, sigma_b2 = 0) give different q* from different q0.
    """
    act = get_activation(activation)
    w, b = variances(sigma_w2, sigma_b2)
    q0 = as_array("q0", q0, 0.0, lo_open=True)
    if np.isinf(q0).any():
        raise ValueError("q0 must be finite")
    return _broadcast(lambda w_, b_, q0_: q_star_scalar(act, w_, b_, q0_), w, b, q0)


def _resolve_q(act, w, b, q):
    """q where given, else q*(from q0 = 1) per element."""
    if q is None:
        return np.asarray(q_star(act, w, b), dtype=np.float64)
    return _check_q(q)


def chi1(activation, sigma_w2, sigma_b2, q=None):
    """chi1 = sigma_w2 E[phi'(sqrt(q) z)^2] at q* (or at ``q``) -- Poole et al. 2016, Eq. 7.

    The slope of the correlation map at c = 1; chi1 = 1 is the order-to-chaos transition.
    Where q* is infinite the q -> inf limit of E[phi'^2] is used.
    """
    act = get_activation(activation)
    w, b = variances(sigma_w2, sigma_b2)
    qq = _resolve_q(act, w, b, q)

    def f(w_, q_):
        return w_ * (d_limit(act) if math.isinf(q_) else kernels.one_d(act, "D", q_))

    return _broadcast(f, w, qq)


def chi2(activation, sigma_w2, sigma_b2, q=None):
    """chi2 = sigma_w2 E[phi''(sqrt(q) z)^2] at q* (or ``q``) -- Poole et al. 2016, Eq. 8.

    ``inf`` for ReLU and hard-tanh: phi'' holds Dirac deltas at the kinks.
    """
    act = get_activation(activation)
    w, b = variances(sigma_w2, sigma_b2)
    qq = _resolve_q(act, w, b, q)

    def f(w_, q_):
        if act.deltas:
            return math.inf
        if math.isinf(q_):
            return math.nan if w_ > 0 else 0.0
        return w_ * kernels.one_d(act, "X2", q_)

    return _broadcast(f, w, qq)


# ---- the correlation map ---------------------------------------------------------------
def _finite_q(q_, what="q*"):
    if math.isinf(q_):
        raise ValueError(f"{what} is infinite (the length map diverges): pass a finite q")
    return q_


def _correlation_scalar(act, c, w, b, q):
    den = w * kernels.one_d(act, "V", q) + b
    if den == 0.0:
        # q = 0 and sigma_b2 = 0: the q -> 0 limit of the ratio
        return c if act.odd or float(act.phi(0.0)) == 0.0 else 1.0
    if c == 1.0:
        return 1.0
    return (w * kernels.two_d(act, "C", c, q) + b) / den


def correlation_map(c, activation, sigma_w2, sigma_b2, q=None):
    """c -> [sigma_w2 C(c, q) + sigma_b2] / [sigma_w2 V(q) + sigma_b2] at q* (or ``q``).

    Poole et al. 2016, Eq. 5, with both inputs at squared length q. c = 1 maps to 1 exactly.
    """
    act = get_activation(activation)
    c = as_array("c", c, -1.0, 1.0)
    w, b = variances(sigma_w2, sigma_b2)
    qq = _resolve_q(act, w, b, q)
    return _broadcast(lambda c_, w_, b_, q_: _correlation_scalar(act, c_, w_, b_, _finite_q(q_)),
                      c, w, b, qq)


def c_star(activation, sigma_w2, sigma_b2, q0=1.0):
    """Stable fixed point of the correlation map at q*(q0).

    1 in the ordered phase (chi1 <= 1); in the chaotic phase the fixed point nearest c = 1,
    found by bracketing 1 - c (reliable next to the critical line, where 1 - c* -> 0);
    0 for odd phi with sigma_b2 = 0. NaN where q* is infinite.
    """
    act = get_activation(activation)
    w, b = variances(sigma_w2, sigma_b2)
    qq = np.asarray(q_star(act, w, b, q0), dtype=np.float64)
    return _broadcast(lambda w_, b_, q_: c_star_scalar(act, w_, b_, q_), w, b, qq)

# ---- iterating the maps (Poole et al. 2016, Figs. 1-2; Schoenholz et al. 2017, Fig. 2) --------


def q_dynamics(activation, sigma_w2, sigma_b2, q0, n_layers):
    """q^0 = q0, q^l = sigma_w2 V(q^{l-1}) + sigma_b2 for l < n_layers (Poole Eq. 3).

    Returns an array of shape (n_layers,) + broadcast shape of the arguments.
    """
    n_layers = positive_int("n_layers", n_layers)
    q = np.asarray(np.broadcast_arrays(np.asarray(q0, float), np.asarray(sigma_w2, float),
                                       np.asarray(sigma_b2, float))[0], dtype=float)
    out = [q]
    for _ in range(n_layers - 1):
        out.append(np.asarray(length_map(out[-1], activation, sigma_w2, sigma_b2), dtype=float))
    return np.stack(out)


def c_dynamics(activation, sigma_w2, sigma_b2, c0, n_layers):
    """c^0 = c0, c^l = correlation map at q* (Poole Eq. 5), shape (n_layers,) + broadcast shape.

    Both inputs are taken to sit at q* already (Poole's and Schoenholz's convention).
    """
    n_layers = positive_int("n_layers", n_layers)
    c = np.asarray(np.broadcast_arrays(np.asarray(c0, float), np.asarray(sigma_w2, float),
                                       np.asarray(sigma_b2, float))[0], dtype=float)
    qs = q_star(activation, sigma_w2, sigma_b2)
    out = [c]
    for _ in range(n_layers - 1):
        out.append(np.asarray(correlation_map(out[-1], activation, sigma_w2, sigma_b2, q=qs), dtype=float))
    return np.stack(out)


def iterations_to_converge(activation, sigma_w2, sigma_b2, q0=1.0, rtol=0.01, max_iter=200, qstar=None):
    """Fewest applications l of the length map with |q^l - q*| <= rtol q*, starting at q^0 = q0.

    Poole et al. 2016, Fig. 1D (there: within 1 % of q*). 0 where q0 is already within
    tolerance; NaN where q* is 0 or infinite or the map needs more than ``max_iter`` steps.
    ``qstar`` may pass precomputed fixed points (e.g. from a phase diagram) of the same
    broadcast shape. Broadcasts over ``sigma_w2``, ``sigma_b2`` and ``q0``.
    """
    if not (isinstance(rtol, (int, float)) and 0 < rtol < 1):
        raise ValueError(f"rtol must be a number in (0, 1), got {rtol!r}")
    max_iter = positive_int("max_iter", max_iter)
    w, b, q = (np.array(a, dtype=float) for a in np.broadcast_arrays(
        np.asarray(sigma_w2, float), np.asarray(sigma_b2, float), np.asarray(q0, float)))
    qs = np.asarray(q_star(activation, w, b, q) if qstar is None else qstar, dtype=float)
    qs = np.broadcast_to(qs, w.shape)
    n = np.full(w.shape, np.nan)
    ok = np.isfinite(qs) & (qs > 0)
    todo = ok.copy()
    for it in range(max_iter + 1):
        done = todo & (np.abs(q - qs) <= rtol * qs)
        n[done] = it
        todo &= ~done
        if not todo.any() or it == max_iter:
            break
        q[todo] = length_map(q[todo], activation, w[todo], b[todo])
    return float(n) if n.ndim == 0 else n

