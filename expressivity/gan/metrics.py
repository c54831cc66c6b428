"""Sample-quality metrics on 2-D mixtures: modes covered, high-quality fraction, two KLs.

Modes (VEEGAN, Srivastava et al. 2017, Sec. 5.1; the metric of their Table 1, which lists the
unrolled GAN): draw 2500 generator samples; a sample is *high quality* if it lies within
``n_sigma`` = 3 standard deviations of the nearest mixture mean; a mode is *covered* if it is
the nearest mean of at least ``min_count`` (default 1) high-quality samples.

Mode fractions: for each mode, the fraction of all samples whose nearest mean it is, quality
aside. A collapsed generator has one dominant fraction even where its blob is wider than
3 sigma (then the VEEGAN metric counts 0 modes and ~0 % high quality).

KL estimates (documented estimator): both distributions are smoothed with the Gaussian kernel
N(0, h2 I), h2 = ``smoothing_variance`` (default: the component variance sigma2). The
smoothed data density P_h is known in closed form (the mixture with component variance
sigma2 + h2); the smoothed generator density Q_h is the kernel density estimate
q_h(x) = (1/n) sum_j N(x; y_j, h2 I) of the generator samples y_j. Then

    KL(P||Q) ~ (1/m) sum_i [log p_h(x_i) - log q_h(x_i)],   x_i ~ P_h,
    KL(Q||P) ~ (1/n) sum_j [log q_h^{(-j)}(y_j + e_j) - log p_h(y_j + e_j)],  e_j ~ N(0, h2 I),

with the leave-one-out KDE q_h^{(-j)} at the noisy own sample. This is the KL between the
smoothed distributions (a lower bound on the unsmoothed KL by the data-processing inequality,
up to Monte-Carlo and KDE error); dropped modes make KL(P||Q) large (~ d^2/(4 h2) per unit of
missing mass at distance d), spread-out mass between modes makes KL(Q||P) large.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import as_generator, check_positive, check_positive_int
from .data import Mixture

__all__ = ["ModeMetrics", "mode_metrics", "mode_fractions", "kde_log_density", "kl_estimates"]


@dataclass(frozen=True)
class ModeMetrics:
    """``modes_covered`` (int), ``high_quality_fraction`` in [0, 1], ``counts`` of high-quality
    samples per mode (n_modes,), ``fractions``: all samples' nearest-mode fractions (n_modes,)."""

    modes_covered: int
    high_quality_fraction: float
    counts: np.ndarray
    fractions: np.ndarray = None

    def __repr__(self):
        return (f"ModeMetrics(modes_covered={self.modes_covered}, high_quality_fraction="
                f"{self.high_quality_fraction:.3f}, largest mode fraction="
                f"{float(np.max(self.fractions)) if self.fractions is not None else float('nan'):.3f})")


def _check_samples(samples, dim, name="samples", minimum=1):
    try:
        x = np.asarray(samples, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of numbers of shape (n, {dim}), got "
                        f"{type(samples).__name__}") from None
    if x.ndim != 2 or x.shape[1] != dim or x.shape[0] < minimum:
        raise ValueError(f"{name} must have shape (n >= {minimum}, {dim}), got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contain NaN or inf")
    return x


def _check_mixture(mixture):
    if not isinstance(mixture, Mixture):
        raise TypeError(f"mixture must be a gan.Mixture, got {type(mixture).__name__}")
    return mixture


def _nearest(x, mixture):
    d2 = ((x[:, None, :] - mixture.means[None]) ** 2).sum(-1)
    nearest = d2.argmin(1)
    return nearest, d2[np.arange(len(x)), nearest]


def mode_metrics(samples, mixture: Mixture, n_sigma=3.0, min_count=1) -> ModeMetrics:
    """Modes covered, high-quality fraction and nearest-mode fractions of ``samples`` w.r.t.
    ``mixture`` (see module)."""
    _check_mixture(mixture)
    x = _check_samples(samples, mixture.dim)
    n_sigma = check_positive("n_sigma", n_sigma)
    min_count = check_positive_int("min_count", min_count)
    nearest, d2 = _nearest(x, mixture)
    hq = d2 <= (n_sigma**2) * mixture.variance
    counts = np.bincount(nearest[hq], minlength=mixture.n_modes)
    fractions = np.bincount(nearest, minlength=mixture.n_modes) / len(x)
    return ModeMetrics(int((counts >= min_count).sum()), float(hq.mean()), counts, fractions)


def mode_fractions(samples, mixture: Mixture) -> np.ndarray:
    """For each mode of ``mixture``, the fraction of ``samples`` whose nearest mean it is
    (shape (n_modes,), sums to 1)."""
    _check_mixture(mixture)
    x = _check_samples(samples, mixture.dim)
    return np.bincount(_nearest(x, mixture)[0], minlength=mixture.n_modes) / len(x)


def kde_log_density(points, samples, variance, leave_one_out=False, chunk=2048):
    """log of (1/n) sum_j N(points_i; samples_j, variance I); with ``leave_one_out`` (points
    and samples of equal length, paired) sample i is left out of the sum at point i."""
    s = _check_samples(samples, np.shape(samples)[-1] if np.ndim(samples) == 2 else 2)
    n, d = s.shape
    p = _check_samples(points, d, "points")
    variance = check_positive("variance", variance)
    chunk = check_positive_int("chunk", chunk)
    if leave_one_out and (len(p) != n or n < 2):
        raise ValueError("leave_one_out needs len(points) == len(samples) >= 2")
    out = np.empty(len(p))
    s2 = (s * s).sum(1)
    norm = -0.5 * d * np.log(2 * np.pi * variance) - np.log(n - 1 if leave_one_out else n)
    for a in range(0, len(p), chunk):
        pc = p[a:a + chunk]
        # squared distances by |a|^2 + |b|^2 - 2 a.b (one matmul), clipped at 0
        d2 = (pc * pc).sum(1)[:, None] + s2[None, :] - 2.0 * (pc @ s.T)
        np.maximum(d2, 0.0, out=d2)
        L = d2 * (-0.5 / variance)
        if leave_one_out:
            idx = np.arange(a, a + len(pc))
            L[np.arange(len(pc)), idx] = -np.inf
        m = L.max(1, keepdims=True)
        L -= m
        np.exp(L, out=L)
        out[a:a + chunk] = (m[:, 0] + np.log(L.sum(1))) + norm
    return out


def kl_estimates(samples, mixture: Mixture, smoothing_variance=None, n_data=2500, seed=0):
    """(KL(P||Q), KL(Q||P)) between the smoothed data and generator distributions (module doc)."""
    _check_mixture(mixture)
    y = _check_samples(samples, mixture.dim, minimum=2)
    h2 = mixture.variance if smoothing_variance is None else check_positive("smoothing_variance",
                                                                            smoothing_variance)
    n_data = check_positive_int("n_data", n_data)
    rng = as_generator(seed)
    xp = mixture.sample(n_data, rng) + np.sqrt(h2) * rng.standard_normal((n_data, mixture.dim))
    kl_pq = np.mean(mixture.log_prob(xp, h2) - kde_log_density(xp, y, h2))
    yq = y + np.sqrt(h2) * rng.standard_normal(y.shape)
    kl_qp = np.mean(kde_log_density(yq, y, h2, leave_one_out=True) - mixture.log_prob(yq, h2))
    return float(kl_pq), float(kl_qp)
