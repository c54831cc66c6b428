"""KL divergences of the latent-variable models: closed forms, the committed rate of the
delta-VAE, and the relaxed (density-based) KL of the Gumbel-Softmax VAE.

Gaussian-Gaussian (per dimension):
    KL(N(m_q, v_q) || N(m_p, v_p)) = 1/2 [log v_p/v_q + (v_q + (m_q - m_p)^2)/v_p - 1].
Categorical-categorical (last axis): sum_i q_i (log q_i - log p_i).

Mean-field Gaussian q(z) = prod_i N(z_i; mu_i, s_i^2) against the AR(1) prior p(z_1) = N(0, 1),
p(z_i | z_(i-1)) = N(alpha z_(i-1), 1 - alpha^2) (Razavi et al. 2019, Sec. 3.1). Using
E_q[(z_i - alpha z_(i-1))^2] = (mu_i - alpha mu_(i-1))^2 + s_i^2 + alpha^2 s_(i-1)^2:

    KL = sum_i [-1/2 log s_i^2 - 1/2] + 1/2 (mu_1^2 + s_1^2)
         + sum_(i>=2) [1/2 log(1 - alpha^2)
                       + ((mu_i - alpha mu_(i-1))^2 + s_i^2 + alpha^2 s_(i-1)^2) / (2 (1 - alpha^2))].

(alpha = 0 gives the standard-normal KL.) Its minimum over the posterior family is the
*committed rate* delta (Razavi et al. Eq. 4): with free variances the minimiser is mu = 0,
s_i^2 = 1 / Lambda_ii (Lambda the prior precision), so

    delta = 1/2 [sum_i log Lambda_ii - log det Lambda]
          = 1/2 [(n - 2) log(1 + alpha^2) - log(1 - alpha^2)]   (n >= 2),

about (n - 1)/2 log(1 + alpha^2) per sequence; with a fixed posterior variance s^2 and the
N(0, 1) prior, delta = n/2 (s^2 - log s^2 - 1) (the paper's simplest case).

Relaxed KL (Jang et al. 2017, reference code ``kl_type='relaxed'``): the single-sample
density-based estimate log q_tau(y) - log p_tau(y) at a Gumbel-Softmax draw y of q, with both
densities Gumbel-Softmax at the same temperature.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import optimize

from ..autodiff import numpy as anp
from ..autodiff.core import getval
from ..checks import check_positive, check_positive_int, check_variance
from .distributions import _check_event, check_alpha, gumbel_softmax_log_prob_from_log

__all__ = ["kl_gaussian", "kl_standard_normal", "kl_categorical", "kl_ar1", "relaxed_kl",
           "ar1_committed_rate", "gaussian_committed_rate", "alpha_for_rate",
           "sigma2_for_rate"]


def _shape(x):
    return np.shape(getval(x))


def kl_gaussian(mean_q, log_var_q, mean_p=0.0, log_var_p=0.0):
    """Elementwise KL(N(mean_q, e^log_var_q) || N(mean_p, e^log_var_p)) (no sum)."""
    try:
        np.broadcast_shapes(_shape(mean_q), _shape(log_var_q), _shape(mean_p), _shape(log_var_p))
    except ValueError:
        raise ValueError("mean_q, log_var_q, mean_p and log_var_p do not broadcast") from None
    d = mean_q - mean_p
    return 0.5 * (log_var_p - log_var_q + (anp.exp(log_var_q) + d * d) * anp.exp(-log_var_p) - 1.0)


def kl_standard_normal(mean, log_var):
    """Elementwise KL(N(mean, e^log_var) || N(0, 1)) = 1/2 (mean^2 + e^log_var - log_var - 1)."""
    return 0.5 * (mean * mean + anp.exp(log_var) - log_var - 1.0)


def kl_categorical(logits_q, logits_p=None):
    """KL(q || p) of categoricals with logits on the last axis (summed over it); ``logits_p``
    None is the uniform prior. Exact 0 log 0 = 0 through log_softmax."""
    log_q = anp.log_softmax(logits_q, axis=-1)
    q = anp.exp(log_q)
    if logits_p is None:
        k = _shape(logits_q)[-1]
        return anp.sum(q * log_q, axis=-1) + math.log(k)
    _check_event("logits_p", logits_p, "logits_q", logits_q)
    return anp.sum(q * (log_q - anp.log_softmax(logits_p, axis=-1)), axis=-1)


def kl_ar1(mean, log_var, alpha):
    """KL(prod_i N(mean_i, e^log_var_i) || AR(1)(alpha)) over the last axis (summed over it);
    the closed form of the module docstring. Differentiable in ``mean`` and ``log_var``."""
    alpha = check_alpha(alpha)
    s = np.broadcast_shapes(_shape(mean), _shape(log_var))
    if len(s) == 0:
        raise ValueError("mean and log_var must have a last axis (the sequence of latents)")
    if _shape(log_var) != s:
        log_var = log_var + anp.zeros(s)
    if _shape(mean) != s:
        mean = mean + anp.zeros(s)
    var = anp.exp(log_var)
    n = s[-1]
    ent = anp.sum(-0.5 * log_var - 0.5, axis=-1)
    first = 0.5 * (mean[..., 0] * mean[..., 0] + var[..., 0])
    if n == 1:
        return ent + first
    v = 1.0 - alpha * alpha
    d = mean[..., 1:] - alpha * mean[..., :-1]
    quad = anp.sum(d * d + var[..., 1:] + (alpha * alpha) * var[..., :-1], axis=-1)
    return ent + first + 0.5 * (n - 1) * math.log(v) + quad / (2.0 * v)


def relaxed_kl(log_y, logits_q, tau, logits_p=None):
    """log q_tau(y) - log p_tau(y) at a draw ``y`` (given as ``log_y``) of the Gumbel-Softmax q
    with ``logits_q``; p the Gumbel-Softmax of ``logits_p`` (None: uniform) at the same tau.
    One value per categorical variable (the last axis summed out): an unbiased single-sample
    estimate of KL(q_tau || p_tau)."""
    if logits_p is None:
        logits_p = np.zeros(_shape(logits_q)[-1])
    return (gumbel_softmax_log_prob_from_log(log_y, logits_q, tau)
            - gumbel_softmax_log_prob_from_log(log_y, logits_p, tau))


# ----------------------------------------------------------------------------- committed rate

def gaussian_committed_rate(sigma2, n=1):
    """min over means of sum_i KL(N(mu_i, sigma2) || N(0, 1)) = n/2 (sigma2 - log sigma2 - 1)."""
    sigma2 = check_positive("sigma2", sigma2)
    n = check_positive_int("n", n)
    return 0.5 * n * (sigma2 - math.log(sigma2) - 1.0)


def ar1_committed_rate(n, alpha, sigma2=None):
    """min of :func:`kl_ar1` over the posterior means (and over the variances when ``sigma2``
    is None; else all variances fixed at ``sigma2``): the delta of the delta-VAE.

    Free variances: 1/2 [(n - 2) log(1 + alpha^2) - log(1 - alpha^2)] for n >= 2, 0 for n = 1.
    """
    n = check_positive_int("n", n)
    alpha = check_alpha(alpha)
    if sigma2 is None:
        if n == 1:
            return 0.0
        return 0.5 * ((n - 2) * math.log1p(alpha * alpha) - math.log1p(-alpha * alpha))
    sigma2 = check_positive("sigma2", sigma2)
    return float(kl_ar1(np.zeros(n), np.full(n, math.log(sigma2)), alpha))


def alpha_for_rate(delta, n):
    """The alpha in [0, 1) whose free-variance committed rate over n latents is ``delta``.

    Raises
    ------
    ValueError
        If ``delta < 0`` (names ``delta``) or n < 2 with delta > 0 (a single latent has no
        correlation to commit to).
    """
    delta = _check_delta(delta)
    n = check_positive_int("n", n)
    if delta == 0.0:
        return 0.0
    if n < 2:
        raise ValueError("n must be >= 2 for an AR(1) prior to commit a rate delta > 0")
    f = lambda a: ar1_committed_rate(n, a) - delta
    return float(optimize.brentq(f, 0.0, 1.0 - 1e-15, xtol=1e-15, rtol=1e-14))


def sigma2_for_rate(delta, n=1):
    """The fixed posterior variance sigma2 <= 1 with n/2 (sigma2 - log sigma2 - 1) = delta."""
    delta = _check_delta(delta)
    n = check_positive_int("n", n)
    if delta == 0.0:
        return 1.0
    target = 2.0 * delta / n
    # sigma2 - log sigma2 - 1 = target on (0, 1]: decreasing from +inf to 0
    lo = math.exp(-target - 1.0) * 0.5
    return float(optimize.brentq(lambda s: s - math.log(s) - 1.0 - target, lo, 1.0, xtol=1e-15,
                                 rtol=1e-14))


def _check_delta(delta):
    try:
        return check_variance("delta", delta)
    except ValueError:
        raise ValueError(f"delta must be a finite rate >= 0 (nats), got {delta!r}") from None

