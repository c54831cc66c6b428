"""Depth scales of signal propagation (Schoenholz et al. 2017, arXiv 1611.01232, Eqs. 7-10).

  xi_q^-1 = -log[sigma_w2 dV/dq (q*)]            (length: |q^l - q*| ~ exp(-l/xi_q))
  xi_c^-1 = -log[sigma_w2 E[phi'(u1) phi'(u2)]]  at (q*, c*)  (correlation)
  xi_grad^-1 = -log chi1                         (backpropagated gradient variance)

dV/dq includes the delta terms of kinked activations (hard-tanh: erf(a/sqrt2) - 2a phi_N(a),
a = q^-1/2). In the ordered phase xi_c = -1/log chi1; xi_c diverges on the critical line,
xi_q stays finite. The paper's empirical rule: networks train up to depth ~ 6 xi_c.
"""
from __future__ import annotations

import numpy as np

from ._solvers import depth_scales_scalar
from ._validate import VALUE_MAX, as_array, broadcast, positive_int, scalar, scalar_or_array, variances
from .activations import get_activation
from .maps import chi1, q_star


def depth_scales(activation, sigma_w2, sigma_b2, q0=1.0):
    """(xi_q, xi_c): depth scales of q^l and c^l at (q*, c*) (Schoenholz et al. 2017, Eqs. 7-10).

    xi_q^-1 = -log[sigma_w2 dV/dq(q*)] (dV/dq including the kinks' delta terms),
    xi_c^-1 = -log[sigma_w2 E[phi'(u1) phi'(u2)]] at (q*, c*); in the ordered phase
    xi_c = -1/log chi1, which diverges on the critical line.

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
    (xi_q, xi_c) : tuple of float or ndarray
        Broadcast over the arguments; NaN where q* is infinite; inf where the slope is exactly
        1; 0 where it is 0 (the map forgets its input in one layer).

    Raises
    ------
    ValueError, TypeError, IntegrationError, ConvergenceError
        As for :func:`meanfield.q_star` and :func:`meanfield.c_star`.
    """
    act = get_activation(activation)
    w, b = variances(sigma_w2, sigma_b2)
    w, b, q0 = broadcast(sigma_w2=w, sigma_b2=b, q0=as_array("q0", q0, 0.0, VALUE_MAX, lo_open=True))
    qq = np.asarray(q_star(act, w, b, q0), dtype=np.float64)
    xq = np.empty(w.shape)
    xc = np.empty(w.shape)
    for i in np.ndindex(w.shape):   # one c* solve per point for both scales
        xq[i], xc[i] = depth_scales_scalar(act, float(w[i]), float(b[i]), float(qq[i]))
    return scalar_or_array(xq), scalar_or_array(xc)


def gradient_depth_scale(activation, sigma_w2, sigma_b2, q0=1.0):
    """xi_grad = -1/log chi1 (Schoenholz et al. 2017, Eq. 13): the depth scale of the
    backpropagated gradient variance, q~^l = q~^L chi1^(L - l).

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
        Positive in the ordered phase (gradients vanish as exp(-l/xi_grad)), negative in the
        chaotic phase (they explode as exp(l/|xi_grad|)), inf on the critical line, 0 where
        chi1 = 0.

    Raises
    ------
    ValueError, TypeError, IntegrationError, ConvergenceError
        As for :func:`meanfield.q_star`.
    """
    act = get_activation(activation)
    w, b = variances(sigma_w2, sigma_b2)
    w, b, q0 = broadcast(sigma_w2=w, sigma_b2=b, q0=as_array("q0", q0, 0.0, VALUE_MAX, lo_open=True))
    c1 = np.asarray(chi1(act, w, b, q=q_star(act, w, b, q0)))
    with np.errstate(divide="ignore"):
        out = np.where(c1 == 1.0, np.inf, -1.0 / np.log(np.where(c1 == 1.0, 2.0, c1)))
    return float(out) if out.ndim == 0 else out


def trainable_depth(activation, sigma_w2, sigma_b2, factor=6.0):
    """factor * xi_c: Schoenholz et al.'s (2017, Sec. 5) empirical limit of trainable depth.

    Networks deeper than about 6 xi_c (the correlation depth scale at (q*, c*)) fail to
    train; on the critical line xi_c and hence the trainable depth diverge.

    Parameters
    ----------
    activation : str or Activation
        A built-in name or an :class:`Activation`.
    sigma_w2, sigma_b2 : float or array_like
        Weight and bias variances, in [0, 1e300].
    factor : float, default 6
        The multiple of xi_c, in (0, 1e300].

    Returns
    -------
    float or ndarray
        factor * xi_c (NaN where q* is infinite, inf on the critical line).

    Raises
    ------
    ValueError, TypeError, IntegrationError, ConvergenceError
        As for :func:`depth_scales`; factor not a positive number.
    """
    factor = scalar("factor", factor, 0.0, VALUE_MAX, lo_open=True)
    out = factor * np.asarray(depth_scales(activation, sigma_w2, sigma_b2)[1])
    return float(out) if out.ndim == 0 else out


def gradient_factor(activation, sigma_w2, sigma_b2, depth):
    """chi1^(L-l) for l = 1..L: the backpropagated gradient variance at layer l relative to the
    last layer, q~^l = q~^L chi1^(L-l) (Schoenholz et al. 2017, Eq. 13).

    Parameters
    ----------
    activation : str or Activation
        A built-in name or an :class:`Activation`.
    sigma_w2, sigma_b2 : float or array_like
        Weight and bias variances, in [0, 1e300].
    depth : int
        L, in [1, 1e6].

    Returns
    -------
    ndarray
        Shape (L,) + the broadcast shape of sigma_w2, sigma_b2 (inf where chi1^(L-l) overflows).

    Raises
    ------
    ValueError, TypeError, IntegrationError, ConvergenceError
        As for :func:`meanfield.chi1`; depth not an integer in [1, 1e6].
    """
    depth = positive_int("depth", depth)
    c1 = np.asarray(chi1(activation, sigma_w2, sigma_b2), dtype=float)
    l = np.arange(1, depth + 1).reshape((depth,) + (1,) * c1.ndim)
    with np.errstate(over="ignore"):
        return c1 ** (depth - l)
