"""Length and correlation maps, their fixed points q* and c*, and chi1, chi2.

Poole et al. 2016 (arXiv 1606.05340), Eqs. 3-5; Schoenholz et al. 2017 (arXiv 1611.01232):

  q^l = sigma_w2 V(q^{l-1}) + sigma_b2,           V(q) = E[phi(sqrt(q) z)^2]
  c^l = [sigma_w2 C(c^{l-1}, q) + sigma_b2] / [sigma_w2 V(q) + sigma_b2]   (at q = q*)
  chi1 = sigma_w2 E[phi'(sqrt(q*) z)^2],  chi2 = sigma_w2 E[phi''(sqrt(q*) z)^2]

All functions broadcast their numeric arguments like numpy ufuncs (integer arrays are taken
as floats; empty arrays give empty results) and return a float for scalar input. Variances
and q lie in [0, 1e300]. ``q_star`` is the limit of the length map started at ``q0`` (default
1): ``inf`` where the map diverges (ReLU with sigma_w2 >= 2 and sigma_b2 > 0, or sigma_w2 > 2),
0 where it collapses (odd phi, sigma_b2 = 0, sigma_w2 phi'(0)^2 <= 1).
"""
from __future__ import annotations

import math

import numpy as np

from . import kernels
from ._solvers import broadcast as _broadcast
from ._solvers import c_star_scalar, d_limit, dd_limit, q_star_scalar
from ._validate import VALUE_MAX, as_array, broadcast, positive_int, scalar, variances
from .activations import get_activation

def _q(q, name="q"):
    return as_array(name, q, 0.0, VALUE_MAX)


def _q0(q0):
    return as_array("q0", q0, 0.0, VALUE_MAX, lo_open=True)


# ---- the length map --------------------------------------------------------------------
def length_map(q, activation, sigma_w2, sigma_b2):
    """q -> sigma_w2 E[phi(sqrt(q) z)^2] + sigma_b2 (Poole et al. 2016, Eq. 3).

    Parameters
    ----------
    q : float or array_like
        Squared length per neuron of the input pre-activation, in [0, 1e300].
    activation : str or Activation
        A built-in name (``meanfield.BUILTIN_NAMES``) or an :class:`Activation`.
    sigma_w2, sigma_b2 : float or array_like
        Weight and bias variances, in [0, 1e300].

    Returns
    -------
    float or ndarray
        q of the next layer, broadcast over the arguments; ``inf`` where it overflows float64
        (e.g. ReLU-like phi with sigma_w2 q > 1e308).

    Raises
    ------
    ValueError
        An argument outside its range, NaN, inf; shapes that do not broadcast; an unknown name.
    TypeError
        A string, None, bool or complex number where a number is due.
    IntegrationError
        A user-defined activation the large-q quadrature cannot resolve (oscillating phi).
    """
    act = get_activation(activation)
    q = _q(q)
    w, b = variances(sigma_w2, sigma_b2)
    q, w, b = broadcast(q=q, sigma_w2=w, sigma_b2=b)
    return _broadcast(lambda q_, w_, b_: w_ * kernels.one_d(act, "V", q_) + b_, q, w, b)


def q_star(activation, sigma_w2, sigma_b2, q0=1.0):
    """q* = lim q^l, the limit of the length map started at ``q0`` (Poole et al. 2016, Eq. 4).

    For an increasing length map the iteration converges monotonically, so q* is the first
    root of sigma_w2 V(q) + sigma_b2 = q on the side the first step goes: ``inf`` if there is
    none (the map diverges; decided from the asymptotic slope sigma_w2 lim E[phi'^2] beyond
    q = 1e4), 0 if the map collapses to the origin (q* below 1e-300). Bistable activations
    (gelu, swish at sigma_w2 = 3, sigma_b2 = 0) give different q* from different q0.

    Parameters
    ----------
    activation : str or Activation
        A built-in name or an :class:`Activation`.
    sigma_w2, sigma_b2 : float or array_like
        Weight and bias variances, in [0, 1e300].
    q0 : float or array_like, default 1
        Where the length map starts, in (0, 1e300].

    Returns
    -------
    float or ndarray
        q*, broadcast over the arguments; ``inf`` where the map diverges (including a map of
        slope exactly 1 whose growth the marginal rule cannot call, which then exceeds 1e300).

    Raises
    ------
    ValueError
        Arguments out of range / NaN / inf, shapes that do not broadcast, an unknown name; a
        convergent map whose q* exceeds 1e300 (the largest q the integrals take).
    TypeError
        A string, None, bool or complex number where a number is due.
    ConvergenceError
        The root bracketing did not converge in 500 steps (not seen for valid input).
    """
    act = get_activation(activation)
    w, b = variances(sigma_w2, sigma_b2)
    q0 = _q0(q0)
    w, b, q0 = broadcast(sigma_w2=w, sigma_b2=b, q0=q0)
    return _broadcast(lambda w_, b_, q0_: q_star_scalar(act, w_, b_, q0_), w, b, q0)


def _resolve_q(act, w, b, q):
    """(w, b, q) broadcast: q where given, else q* (from q0 = 1) per element."""
    if q is None:
        w, b = broadcast(sigma_w2=w, sigma_b2=b)
        return w, b, np.asarray(q_star(act, w, b), dtype=np.float64)
    return broadcast(sigma_w2=w, sigma_b2=b, q=_q(q))


def chi1(activation, sigma_w2, sigma_b2, q=None):
    """chi1 = sigma_w2 E[phi'(sqrt(q) z)^2] at q* (or at ``q``) -- Poole et al. 2016, Eq. 7.

    The slope of the correlation map at c = 1; chi1 = 1 is the order-to-chaos transition.

    Parameters
    ----------
    activation : str or Activation
        A built-in name or an :class:`Activation`.
    sigma_w2, sigma_b2 : float or array_like
        Weight and bias variances, in [0, 1e300].
    q : float or array_like, optional
        Evaluate at this q (in [0, 1e300]) instead of q* (from q0 = 1).

    Returns
    -------
    float or ndarray
        chi1; where q* is infinite, the q -> inf limit sigma_w2 [phi'(+inf)^2 + phi'(-inf)^2]/2.

    Raises
    ------
    ValueError, TypeError, IntegrationError, ConvergenceError
        As for :func:`q_star` and :func:`length_map`.
    """
    act = get_activation(activation)
    w, b = variances(sigma_w2, sigma_b2)
    w, b, qq = _resolve_q(act, w, b, q)

    def f(w_, q_):
        return w_ * (d_limit(act) if math.isinf(q_) else kernels.one_d(act, "D", q_))

    return _broadcast(f, w, qq)


def chi2(activation, sigma_w2, sigma_b2, q=None):
    """chi2 = sigma_w2 E[phi''(sqrt(q) z)^2] at q* (or ``q``) -- Poole et al. 2016, Eq. 8.

    Parameters
    ----------
    activation : str or Activation
        A built-in name or an :class:`Activation`.
    sigma_w2, sigma_b2 : float or array_like
        Weight and bias variances, in [0, 1e300].
    q : float or array_like, optional
        Evaluate at this q (in [0, 1e300]) instead of q* (from q0 = 1).

    Returns
    -------
    float or ndarray
        chi2; ``inf`` for ReLU and hard-tanh (phi'' holds Dirac deltas at the kinks); where q*
        is infinite, the q -> inf limit sigma_w2 [phi''(+inf)^2 + phi''(-inf)^2]/2 (0 for the
        smooth built-ins).

    Raises
    ------
    ValueError, TypeError, IntegrationError, ConvergenceError
        As for :func:`q_star` and :func:`length_map`.
    """
    act = get_activation(activation)
    w, b = variances(sigma_w2, sigma_b2)
    w, b, qq = _resolve_q(act, w, b, q)

    def f(w_, q_):
        if act.deltas:
            return math.inf
        if math.isinf(q_):
            return w_ * dd_limit(act)
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

    Poole et al. 2016, Eq. 5, with both inputs at squared length q; C(c, q) = E[phi(u1)
    phi(u2)], u ~ N(0, q [[1, c], [c, 1]]). c = 1 maps to 1 exactly.

    Parameters
    ----------
    c : float or array_like
        Correlation of the two inputs, in [-1, 1].
    activation : str or Activation
        A built-in name or an :class:`Activation`.
    sigma_w2, sigma_b2 : float or array_like
        Weight and bias variances, in [0, 1e300].
    q : float or array_like, optional
        Squared length of both inputs (in [0, 1e300]); default q* from q0 = 1.

    Returns
    -------
    float or ndarray
        The correlation of the next layer, broadcast over the arguments.

    Raises
    ------
    ValueError
        As for :func:`length_map`; also where q* is infinite and no q is given.
    TypeError, IntegrationError, ConvergenceError
        As for :func:`q_star` and :func:`length_map`.
    """
    act = get_activation(activation)
    c = as_array("c", c, -1.0, 1.0)
    w, b = variances(sigma_w2, sigma_b2)
    w, b, qq = _resolve_q(act, w, b, q)
    c, w, b, qq = broadcast(c=c, sigma_w2=w, sigma_b2=b, q=qq)
    return _broadcast(lambda c_, w_, b_, q_: _correlation_scalar(act, c_, w_, b_, _finite_q(q_)),
                      c, w, b, qq)


def c_star(activation, sigma_w2, sigma_b2, q0=1.0):
    """c*, the stable fixed point of the correlation map at q*(q0) (Poole et al. 2016, Sec. 3).

    1 in the ordered phase (chi1 <= 1); in the chaotic phase the fixed point nearest c = 1,
    found by bracketing 1 - c (reliable next to the critical line, where 1 - c* -> 0; where
    1 - c* falls below 1e-17, c* rounds to 1); 0 for odd phi with sigma_b2 = 0.

    Parameters
    ----------
    activation : str or Activation
        A built-in name or an :class:`Activation`.
    sigma_w2, sigma_b2 : float or array_like
        Weight and bias variances, in [0, 1e300].
    q0 : float or array_like, default 1
        Where the length map starts (selects q*), in (0, 1e300].

    Returns
    -------
    float or ndarray
        c*; NaN where q* is infinite (no fixed point of the correlation map); -1 where the
        map has no fixed point in (-1, 1) (c -> -1).

    Raises
    ------
    ValueError, TypeError, IntegrationError, ConvergenceError
        As for :func:`q_star` and :func:`length_map`.
    """
    act = get_activation(activation)
    w, b = variances(sigma_w2, sigma_b2)
    w, b, q0 = broadcast(sigma_w2=w, sigma_b2=b, q0=_q0(q0))
    qq = np.asarray(q_star(act, w, b, q0), dtype=np.float64)
    return _broadcast(lambda w_, b_, q_: c_star_scalar(act, w_, b_, q_), w, b, qq)

# ---- iterating the maps (Poole et al. 2016, Figs. 1-2; Schoenholz et al. 2017, Fig. 2) --------


def q_dynamics(activation, sigma_w2, sigma_b2, q0, n_layers):
    """q^0 = q0, q^l = sigma_w2 V(q^{l-1}) + sigma_b2 for l < n_layers (Poole et al. 2016, Eq. 3).

    Parameters
    ----------
    activation : str or Activation
        A built-in name or an :class:`Activation`.
    sigma_w2, sigma_b2 : float or array_like
        Weight and bias variances, in [0, 1e300].
    q0 : float or array_like
        q^0, in [0, 1e300].
    n_layers : int
        Number of entries, in [1, 1e6].

    Returns
    -------
    ndarray
        Shape (n_layers,) + the broadcast shape of the arguments; ``inf`` once q overflows.

    Raises
    ------
    ValueError, TypeError, IntegrationError
        As for :func:`length_map`; n_layers not an integer in [1, 1e6].
    """
    act = get_activation(activation)
    n_layers = positive_int("n_layers", n_layers)
    w, b = variances(sigma_w2, sigma_b2)
    q, w, b = broadcast(q0=_q(q0, "q0"), sigma_w2=w, sigma_b2=b)
    out = [np.array(q, dtype=float)]
    for _ in range(n_layers - 1):
        nxt = np.asarray(length_map(np.minimum(out[-1], VALUE_MAX), act, w, b), dtype=float)
        out.append(np.where(out[-1] > VALUE_MAX, np.inf, nxt))
    return np.stack(out)


def c_dynamics(activation, sigma_w2, sigma_b2, c0, n_layers):
    """c^0 = c0, c^l = the correlation map at q* (Poole et al. 2016, Eq. 5).

    Both inputs are taken to sit at q* already (Poole's and Schoenholz's convention).

    Parameters
    ----------
    activation : str or Activation
        A built-in name or an :class:`Activation`.
    sigma_w2, sigma_b2 : float or array_like
        Weight and bias variances, in [0, 1e300].
    c0 : float or array_like
        c^0, in [-1, 1].
    n_layers : int
        Number of entries, in [1, 1e6].

    Returns
    -------
    ndarray
        Shape (n_layers,) + the broadcast shape of the arguments.

    Raises
    ------
    ValueError
        As for :func:`correlation_map` (including an infinite q*); n_layers out of range.
    TypeError, IntegrationError, ConvergenceError
        As for :func:`correlation_map`.
    """
    act = get_activation(activation)
    n_layers = positive_int("n_layers", n_layers)
    w, b = variances(sigma_w2, sigma_b2)
    c, w, b = broadcast(c0=as_array("c0", c0, -1.0, 1.0), sigma_w2=w, sigma_b2=b)
    qs = q_star(act, w, b)
    out = [np.array(c, dtype=float)]
    for _ in range(n_layers - 1):
        out.append(np.asarray(correlation_map(out[-1], act, w, b, q=qs), dtype=float))
    return np.stack(out)


def iterations_to_converge(activation, sigma_w2, sigma_b2, q0=1.0, rtol=0.01, max_iter=200, qstar=None):
    """Fewest applications l of the length map with |q^l - q*| <= rtol q*, from q^0 = q0.

    Poole et al. 2016, Fig. 1D (there: within 1 % of q*).

    Parameters
    ----------
    activation : str or Activation
        A built-in name or an :class:`Activation`.
    sigma_w2, sigma_b2 : float or array_like
        Weight and bias variances, in [0, 1e300].
    q0 : float or array_like, default 1
        q^0, in (0, 1e300].
    rtol : float, default 0.01
        Relative tolerance, in (0, 1).
    max_iter : int, default 200
        Iteration bound, in [1, 1e6].
    qstar : float or array_like, optional
        Precomputed fixed points (e.g. from a phase diagram), broadcastable to the arguments,
        in [0, inf].

    Returns
    -------
    float or ndarray
        The number of layers; 0 where q0 is already within tolerance; NaN where q* is 0 or
        infinite or the map needs more than ``max_iter`` steps.

    Raises
    ------
    ValueError, TypeError
        An argument out of its range or of the wrong type; shapes that do not broadcast.
    """
    act = get_activation(activation)
    rtol = scalar("rtol", rtol, 0.0, 1.0, lo_open=True)
    if rtol == 1.0:
        raise ValueError("rtol must lie in (0, 1); got 1.0")
    max_iter = positive_int("max_iter", max_iter)
    w, b = variances(sigma_w2, sigma_b2)
    w, b, q = (np.array(a, dtype=float) for a in broadcast(sigma_w2=w, sigma_b2=b, q0=_q0(q0)))
    if qstar is None:
        qs = np.asarray(q_star(act, w, b, q), dtype=float)
    else:
        qs = as_array("qstar", qstar, 0.0, allow_inf=True)
        try:
            qs = np.broadcast_to(qs, w.shape)
        except ValueError:
            raise ValueError(f"qstar must broadcast to the arguments' shape {w.shape}; got shape {qs.shape}") from None
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
        q[todo] = length_map(np.minimum(q[todo], VALUE_MAX), act, w[todo], b[todo])
    return float(n) if n.ndim == 0 else n
