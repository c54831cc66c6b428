"""Correlated-Gaussian benchmark of Poole et al. (2019), Sec. 4 / Fig. 2.

x ~ N(0, I_d), y = rho x + sqrt(1 - rho^2) eps with eps ~ N(0, I_d) independent, so that

    I(X; Y) = -(d/2) log(1 - rho^2),      rho = sqrt(1 - exp(-2 I / d)).

The cubic variant returns y^3 (elementwise), an invertible map of y: the MI is unchanged.
"""
from __future__ import annotations

import math

import numpy as np

from ..autodiff.nn import as_generator

__all__ = ["mi_to_rho", "rho_to_mi", "sample_gaussian", "staircase", "log_conditional",
           "log_marginal", "pmi", "entropy_gaussian"]


def _check_dim(dim):
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 1:
        raise ValueError(f"dim must be a positive integer, got {dim!r}")
    return int(dim)


def mi_to_rho(mi, dim):
    """Correlation rho giving I = -(d/2) log(1 - rho^2) nats; mi >= 0 (array-friendly)."""
    dim = _check_dim(dim)
    mi = np.asarray(mi, dtype=np.float64)
    if np.any(~np.isfinite(mi)) or np.any(mi < 0):
        raise ValueError(f"mi must be finite and >= 0 nats, got {mi}")
    return np.sqrt(-np.expm1(-2.0 * mi / dim))


def rho_to_mi(rho, dim):
    """I = -(d/2) log(1 - rho^2) for |rho| < 1."""
    dim = _check_dim(dim)
    rho = np.asarray(rho, dtype=np.float64)
    if np.any(~(np.abs(rho) < 1)):
        raise ValueError(f"rho must lie in (-1, 1), got {rho}")
    return -0.5 * dim * np.log1p(-rho * rho)


def sample_gaussian(rng, batch_size, dim=20, mi=2.0, cubic=False, dtype=np.float64):
    """A batch (x, y) of shape (batch_size, dim) each with I(X; Y) = mi nats."""
    rng = as_generator(rng)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    rho = float(mi_to_rho(mi, dim))
    x = rng.standard_normal((batch_size, dim))
    y = rho * x + math.sqrt(1.0 - rho * rho) * rng.standard_normal((batch_size, dim))
    if cubic:
        y = y ** 3
    return x.astype(dtype, copy=False), y.astype(dtype, copy=False)


def staircase(levels=(2.0, 4.0, 6.0, 8.0, 10.0), steps_per_level=4000):
    """True MI at every training step: each level held for ``steps_per_level`` steps."""
    levels = np.asarray(levels, dtype=np.float64)
    if levels.ndim != 1 or levels.size == 0 or np.any(levels < 0):
        raise ValueError(f"levels must be a non-empty 1-D sequence of MI values >= 0, got {levels}")
    if isinstance(steps_per_level, bool) or not isinstance(steps_per_level, (int, np.integer)) or steps_per_level < 1:
        raise ValueError(f"steps_per_level must be a positive integer, got {steps_per_level!r}")
    return np.repeat(levels, int(steps_per_level))


def _uncube(y, cubic):
    return np.cbrt(y) if cubic else y


def log_conditional(x, y, mi, cubic=False):
    """L[i, j] = log p(y_j | x_i) of the Gaussian (for y, not y^3: the cubic Jacobian cancels
    in every bound that uses it as a critic together with the marginal)."""
    x = np.asarray(x, np.float64)
    y = _uncube(np.asarray(y, np.float64), cubic)
    d = x.shape[1]
    rho = float(mi_to_rho(mi, d))
    s2 = 1.0 - rho * rho
    diff2 = (np.sum(y * y, 1)[None, :] - 2.0 * rho * (x @ y.T) + rho * rho * np.sum(x * x, 1)[:, None])
    return -0.5 * diff2 / s2 - 0.5 * d * math.log(2 * math.pi * s2)


def log_marginal(y, cubic=False):
    """log p(y_j) = log N(y_j; 0, I) per row of y (of the uncubed y)."""
    y = _uncube(np.asarray(y, np.float64), cubic)
    return -0.5 * np.sum(y * y, 1) - 0.5 * y.shape[1] * math.log(2 * math.pi)


def pmi(x, y, mi, cubic=False):
    """The optimal critic f*[i, j] = log p(y_j | x_i) - log p(y_j) (invariant under y -> y^3)."""
    return log_conditional(x, y, mi, cubic) - log_marginal(y, cubic)[None, :]


def entropy_gaussian(dim, variance=1.0):
    """h(N(0, variance I_d)) = (d/2) log(2 pi e variance)."""
    return 0.5 * _check_dim(dim) * math.log(2 * math.pi * math.e * variance)
