"""Geometry of a sampled curve from exact derivatives (Poole et al. 2016, Sec. 4 and Eq. 8).

For a curve h(t) in R^N with v = dh/dt and a = d^2h/dt^2 (exact, from forward mode):

    g^E = ||v||^2,   a_perp = a - (a.v / ||v||^2) v,   kappa = ||a_perp|| / ||v||^2,
    L^E = integral ||v|| dt,   L^G = integral kappa ||v|| dt = integral ||a_perp|| / ||v|| dt.

Renormalised as in the mean-field theory: gbar = g^E / N, kappa_bar^2 = N kappa^2, and
L^E / sqrt(N) (2 pi sqrt(gbar) for a circle). q = ||h||^2 / N. Averages over t use the curve's
quadrature weights (the periodic trapezoid rule on a closed curve).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .checks import check_array, check_positive_int


class CurveMeasures(NamedTuple):
    """Per-layer fields; the same names and indexing as ``meanfield.curve_theory``."""

    q: np.ndarray
    gbar: np.ndarray
    kappa_bar2: np.ndarray
    euclidean_length: np.ndarray
    grassmannian_length: np.ndarray


def _rowdot(a, b):
    return np.einsum("ij,ij->i", a, b)


def layer_measures(x, v, a, weights) -> tuple[float, float, float, float, float]:
    """(q, gbar, kappa_bar2, euclidean_length, grassmannian_length) of one sampled curve.

    ``x``, ``v``, ``a``: arrays (n, N); ``weights``: quadrature weights (n,) of the parameter.
    kappa_bar2 is NaN where the curve has zero speed somewhere (curvature undefined).
    """
    x = check_array("x", x, ndim=2)
    v = check_array("v", v, shape=x.shape)
    a = check_array("a", a, shape=x.shape)
    weights = check_array("weights", weights, shape=(x.shape[0],))
    if np.any(weights < 0):
        raise ValueError("weights must be quadrature weights >= 0")
    return measures_from_sums(_rowdot(x, x), _rowdot(v, v), _rowdot(v, a), _rowdot(a, a), v, a,
                              weights)


def measures_from_sums(xx, vv, va, aa, v, a, weights) -> tuple[float, float, float, float, float]:
    """:func:`layer_measures` from the row dot products x.x, v.v, v.a, a.a (each (n,)).

    ``v`` and ``a`` (n, N) are only read for rows where ||a_perp||^2 cancels.
    """
    N = v.shape[1]
    w = np.asarray(weights, dtype=float)
    span = w.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        coef = va / vv
        ap2 = aa - coef * va  # ||a_perp||^2 = ||a||^2 - (a.v)^2/||v||^2
        # where that cancels (nearly straight pieces) form a_perp explicitly, row by row
        bad = ~(ap2 > 1e-8 * aa)
        if np.any(bad):
            a_perp = a[bad] - coef[bad, None] * v[bad]
            ap2[bad] = _rowdot(a_perp, a_perp)
        speed = np.sqrt(vv)
        kappa2 = ap2 / (vv * vv)
        turning = np.sqrt(ap2) / speed
    q = float(w @ xx) / (span * N)
    gbar = float(w @ vv) / (span * N)
    if np.any(vv == 0):
        kappa_bar2, grass = np.nan, np.nan
    else:
        kappa_bar2 = N * float(w @ kappa2) / span
        grass = float(w @ turning)
    return q, gbar, kappa_bar2, float(w @ speed) / np.sqrt(N), grass


def autocorrelation(h) -> np.ndarray:
    """Circular autocorrelation of a closed, uniformly sampled curve h (shape (n, N)).

    c[k] = sum_j h_j . h_{j+k} / sum_j h_j . h_j, the simulated counterpart of
    q(theta, theta + dtheta_k) / q* (Poole et al. 2016, Fig. 3), dtheta_k = 2 pi k / n.
    """
    h = check_array("h", h, ndim=2)
    F = np.fft.rfft(h, axis=0)
    power = np.sum(F.real ** 2 + F.imag ** 2, axis=1)
    ac = np.fft.irfft(power, n=h.shape[0])
    if not ac[0] > 0:
        raise ValueError("h must not be identically zero (the autocorrelation is 0/0)")
    return ac / ac[0]


def pca_spectrum(h) -> tuple[np.ndarray, np.ndarray]:
    """Singular values of the centred samples and the fraction of variance each explains
    (NaN fractions if all samples coincide: no variance to share)."""
    h = check_array("h", h, ndim=2)
    s = np.linalg.svd(h - h.mean(axis=0), compute_uv=False)
    var = s * s
    total = var.sum()
    return s, (var / total if total > 0 else np.full_like(var, np.nan))


def pca_projection(h, k: int = 3) -> np.ndarray:
    """Coordinates of the centred samples on their top-``k`` principal directions, (n, k)."""
    h = check_array("h", h, ndim=2)
    k = check_positive_int("k", k)
    if k > min(h.shape):
        raise ValueError(f"k must be an integer in [1, {min(h.shape)}] (min of h's shape {h.shape}), got {k}")
    c = h - h.mean(axis=0)
    U, s, _ = np.linalg.svd(c, full_matrices=False)
    return U[:, :k] * s[:k]


def growth_rate(lengths) -> float:
    """Geometric-mean per-layer ratio of a positive sequence: (l_last / l_first)^(1/(L-1))."""
    lengths = check_array("lengths", lengths, ndim=1)
    if lengths.size < 2 or np.any(lengths <= 0):
        raise ValueError("lengths must be a 1-D array of >= 2 positive values")
    return float(np.exp(np.log(lengths[-1] / lengths[0]) / (lengths.size - 1)))
