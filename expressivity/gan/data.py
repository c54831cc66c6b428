"""Two-dimensional Gaussian mixtures: the 8-mode ring, the 25-mode grid, unbalanced mixtures.

A mixture is p(x) = sum_k w_k N(x; mu_k, sigma2 I) with isotropic component variance
``variance`` (= sigma2; the papers quote the standard deviation sigma).

- Ring (Metz et al. 2017, Unrolled GANs): 8 means on a circle of radius 2 at the *distinct*
  angles 2 pi i / 8, i = 0..7, std 0.02. (The reference code ``poolio/unrolled_gan`` uses
  ``linspace(0, 2 pi, 8)``, whose first and last angle coincide: only 7 distinct modes.)
- Grid (Dumoulin et al. 2017, ALI): 25 means on {-4, -2, 0, 2, 4}^2, std 0.05.
- Unbalanced (Poole et al. 2016): any of these with unequal weights w_k.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Mixture", "ring", "grid", "unbalanced", "as_generator"]


from ..checks import as_generator, check_nonnegative_int, check_positive, check_positive_int, plain  # noqa: E402


@dataclass(frozen=True, eq=False)
class Mixture:
    """Isotropic Gaussian mixture: ``means`` (k, d), ``variance`` sigma2 > 0, ``weights`` (k,)."""

    means: np.ndarray
    variance: float
    weights: np.ndarray

    def __post_init__(self):
        means = np.asarray(self.means, dtype=np.float64)
        if means.ndim != 2 or means.shape[0] < 1 or means.shape[1] < 1:
            raise ValueError(f"means must have shape (n_modes >= 1, dim >= 1), got {means.shape}")
        if not np.all(np.isfinite(means)):
            raise ValueError("means must be finite numbers (got NaN or inf)")
        v = check_positive("variance", self.variance)
        w = np.asarray(self.weights, dtype=np.float64)
        if w.shape != (means.shape[0],) or np.any(~np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError(
                f"weights must be {means.shape[0]} finite numbers >= 0 with a positive sum, got {w}")
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "variance", v)
        object.__setattr__(self, "weights", w / w.sum())

    @property
    def n_modes(self) -> int:
        return self.means.shape[0]

    @property
    def dim(self) -> int:
        return self.means.shape[1]

    @property
    def std(self) -> float:
        return float(np.sqrt(self.variance))

    def sample(self, n, seed=0, return_labels=False):
        """``n`` i.i.d. samples (and their component labels); seeded by an int or Generator."""
        n = check_nonnegative_int("n", n)
        rng = as_generator(seed)
        labels = rng.choice(self.n_modes, size=int(n), p=self.weights)
        x = self.means[labels] + self.std * rng.standard_normal((int(n), self.dim))
        return (x, labels) if return_labels else x

    def log_prob(self, x, extra_variance=0.0):
        """log p(x) for rows of ``x``; with ``extra_variance`` h2 the density of p convolved
        with N(0, h2 I) (components N(mu_k, (sigma2 + h2) I))."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(f"x must have shape (n, {self.dim}), got {x.shape}")
        if not np.all(np.isfinite(x)):
            raise ValueError("x must be finite numbers (got NaN or inf)")
        h2 = float(extra_variance) if isinstance(extra_variance, (int, float, np.number)) else np.nan
        if not (np.isfinite(h2) and h2 >= 0):
            raise ValueError(f"extra_variance must be a finite number >= 0, got {plain(extra_variance)}")
        s2 = self.variance + h2
        d2 = ((x[:, None, :] - self.means[None, :, :]) ** 2).sum(-1)
        logc = np.log(self.weights)[None, :] - d2 / (2 * s2) - 0.5 * self.dim * np.log(2 * np.pi * s2)
        m = logc.max(1, keepdims=True)
        return (m + np.log(np.exp(logc - m).sum(1, keepdims=True)))[:, 0]


def ring(n_modes=8, radius=2.0, variance=0.02**2, weights=None) -> Mixture:
    """``n_modes`` components at angles 2 pi i / n_modes on a circle of ``radius``."""
    n_modes = check_positive_int("n_modes", n_modes)
    radius = check_positive("radius", radius)
    theta = 2 * np.pi * np.arange(n_modes) / n_modes
    means = radius * np.stack([np.cos(theta), np.sin(theta)], 1)
    return Mixture(means, variance, np.ones(n_modes) if weights is None else weights)


def grid(n_per_side=5, spacing=2.0, variance=0.05**2, weights=None) -> Mixture:
    """``n_per_side``^2 components on a centred square grid (default {-4,-2,0,2,4}^2)."""
    n_per_side = check_positive_int("n_per_side", n_per_side)
    spacing = check_positive("spacing", spacing)
    c = spacing * (np.arange(n_per_side) - (n_per_side - 1) / 2)
    means = np.stack(np.meshgrid(c, c, indexing="ij"), -1).reshape(-1, 2)
    return Mixture(means, variance, np.ones(len(means)) if weights is None else weights)


def unbalanced(mixture: Mixture, ratio=10.0) -> Mixture:
    """The same components with geometrically spaced weights, largest/smallest = ``ratio``."""
    if not isinstance(mixture, Mixture):
        raise TypeError(f"mixture must be a gan.Mixture, got {type(mixture).__name__}")
    ratio = check_positive("ratio", ratio)
    if ratio < 1:
        raise ValueError(f"ratio must be a finite number >= 1, got {plain(ratio)}")
    k = mixture.n_modes
    w = ratio ** (-np.arange(k) / max(k - 1, 1))
    return Mixture(mixture.means, mixture.variance, w)
