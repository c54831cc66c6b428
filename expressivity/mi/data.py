"""Correlated-Gaussian benchmark of Poole et al. (2019), Sec. 4 / Fig. 2.

x ~ N(0, I_d), y = rho x + sqrt(1 - rho^2) eps with eps ~ N(0, I_d) independent, so that

    I(X; Y) = -(d/2) log(1 - rho^2),      rho = sqrt(1 - exp(-2 I / d)).

The cubic variant returns y^3 (elementwise), an invertible map of y: the MI is unchanged.
"""
from __future__ import annotations

import math

import numpy as np

from ..autodiff.nn import as_generator
from ..checks import check_array, check_bool, check_positive, check_positive_int

__all__ = ["mi_to_rho", "rho_to_mi", "sample_gaussian", "staircase", "log_conditional",
           "log_marginal", "pmi", "entropy_gaussian"]


def _check_dim(dim):
    return check_positive_int("dim", dim)


def mi_to_rho(mi, dim):
    """Correlation rho giving I = -(d/2) log(1 - rho^2) nats; mi >= 0 (array-friendly)."""
    dim = _check_dim(dim)
    mi = check_array("mi", mi, min_size=0)
    if np.any(mi < 0):
        raise ValueError(f"mi must be finite and >= 0 nats, got a minimum of {float(mi.min())}")
    return np.sqrt(-np.expm1(-2.0 * mi / dim))


def rho_to_mi(rho, dim):
    """I = -(d/2) log(1 - rho^2) for |rho| < 1."""
    dim = _check_dim(dim)
    rho = check_array("rho", rho, min_size=0)
    if np.any(~(np.abs(rho) < 1)):
        raise ValueError(f"rho must lie in (-1, 1), got values up to {float(np.max(np.abs(rho)))}")
    return -0.5 * dim * np.log1p(-rho * rho)


def sample_gaussian(rng, batch_size, dim=20, mi=2.0, cubic=False, dtype=np.float64):
    """A batch (x, y) of shape (batch_size, dim) each with I(X; Y) = mi nats."""
    rng = as_generator(rng)
    batch_size = check_positive_int("batch_size", batch_size)
    cubic = check_bool("cubic", cubic)
    rho = float(mi_to_rho(check_array("mi", mi, ndim=0), dim))
    x = rng.standard_normal((batch_size, dim))
    y = rho * x + math.sqrt(1.0 - rho * rho) * rng.standard_normal((batch_size, dim))
    if cubic:
        y = y ** 3
    return x.astype(dtype, copy=False), y.astype(dtype, copy=False)


def staircase(levels=(2.0, 4.0, 6.0, 8.0, 10.0), steps_per_level=4000):
    """True MI at every training step: each level held for ``steps_per_level`` steps."""
    levels = check_array("levels", levels, ndim=1)
    if np.any(levels < 0):
        raise ValueError(f"levels must be a non-empty 1-D sequence of MI values >= 0, got {levels.tolist()}")
    steps_per_level = check_positive_int("steps_per_level", steps_per_level)
    return np.repeat(levels, int(steps_per_level))


def _uncube(y, cubic):
    return np.cbrt(y) if cubic else y


def log_conditional(x, y, mi, cubic=False):
    """L[i, j] = log p(y_j | x_i) of the Gaussian (for y, not y^3: the cubic Jacobian cancels
    in every bound that uses it as a critic together with the marginal)."""
    x = check_array("x", x, ndim=2)
    y = _uncube(check_array("y", y, shape=(None, x.shape[1])), check_bool("cubic", cubic))
    d = x.shape[1]
    rho = float(mi_to_rho(mi, d))
    s2 = 1.0 - rho * rho
    diff2 = (np.sum(y * y, 1)[None, :] - 2.0 * rho * (x @ y.T) + rho * rho * np.sum(x * x, 1)[:, None])
    return -0.5 * diff2 / s2 - 0.5 * d * math.log(2 * math.pi * s2)


def log_marginal(y, cubic=False):
    """log p(y_j) = log N(y_j; 0, I) per row of y (of the uncubed y)."""
    y = _uncube(check_array("y", y, ndim=2), check_bool("cubic", cubic))
    return -0.5 * np.sum(y * y, 1) - 0.5 * y.shape[1] * math.log(2 * math.pi)


def pmi(x, y, mi, cubic=False):
    """The optimal critic f*[i, j] = log p(y_j | x_i) - log p(y_j) (invariant under y -> y^3)."""
    return log_conditional(x, y, mi, cubic) - log_marginal(y, cubic)[None, :]


def entropy_gaussian(dim, variance=1.0):
    """h(N(0, variance I_d)) = (d/2) log(2 pi e variance)."""
    return 0.5 * _check_dim(dim) * math.log(2 * math.pi * math.e * check_positive("variance", variance))
