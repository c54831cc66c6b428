"""Gradient estimators for categorical latents, selectable by name, and the tau schedule.

For an objective E_{z ~ q(z|x)}[f(z)] with q categorical (logits on the last axis),
:func:`draw_latent` returns what the decoder sees and :func:`surrogate_loss` a per-example
loss whose gradient is the estimator (Jang, Gu & Poole 2017, Sec. 2-3):

``"gumbel"``          Gumbel-Softmax: z = y = softmax((l + g) / tau), pathwise gradient of
                      f(y) (biased for f on one-hot inputs; the bias vanishes as tau -> 0,
                      the variance grows).
``"st_gumbel"``       straight-through Gumbel-Softmax: forward onehot(argmax y), backward the
                      gradient of y.
``"st"``              plain straight-through (Bengio et al. 2013): forward a one-hot draw of q,
                      backward the gradient of the probabilities softmax(l).
``"score_function"``  REINFORCE: z one-hot, gradient (f(z) - b) grad log q(z|x) + grad f, with
                      b a moving average of f (:class:`MovingAverageBaseline`); unbiased.

tau schedule of the paper (Sec. 4.3 / Appendix): tau = max(tau_min, tau0 exp(-r t)), updated
every N steps (paper: N in {500, 1000}, r in {1e-5, 1e-4}, tau_min = 0.5).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..autodiff import numpy as anp
from ..autodiff import stop_gradient
from ..autodiff.core import getval
from ..checks import check_choice, check_in_range, check_nonnegative_int, check_positive, check_positive_int
from .distributions import gumbel_noise, gumbel_softmax_log_sample

__all__ = ["ESTIMATORS", "LABELS", "LatentDraw", "draw_latent", "surrogate_loss",
           "MovingAverageBaseline", "anneal_tau", "check_estimator"]

ESTIMATORS = ("gumbel", "st_gumbel", "st", "score_function")
LABELS = {"gumbel": "Gumbel-Softmax", "st_gumbel": "ST Gumbel-Softmax", "st": "straight-through",
          "score_function": "score function"}


def check_estimator(name: str) -> str:
    """One of :data:`ESTIMATORS` (ValueError naming ``estimator`` otherwise)."""
    return check_choice("estimator", name, ESTIMATORS)


class LatentDraw(NamedTuple):
    """A draw of the categorical latent for one estimator.

    ``z``: the decoder's input (traced where the estimator differentiates through it);
    ``hard``: the one-hot sample (plain array; the relaxed y for ``"gumbel"``, which has none);
    ``log_q``: log q(hard | x) summed over the latent variables, per example (score function
    only, else None); ``log_y``: log of the relaxed sample (``"gumbel"``/``"st_gumbel"``, for the
    relaxed KL; else None).
    """

    z: object
    hard: np.ndarray
    log_q: object
    log_y: object


def _onehot_argmax(v):
    return np.eye(v.shape[-1], dtype=v.dtype)[np.argmax(v, axis=-1)]


def draw_latent(logits, estimator, tau, rng) -> LatentDraw:
    """Sample the categorical latent with ``logits`` (..., n_vars, k) for ``estimator``.

    Parameters
    ----------
    logits : traced value or array, last axis the classes.
    estimator : one of :data:`ESTIMATORS`.
    tau : float > 0 (used by the relaxed estimators; checked for all).
    rng : numpy Generator or int seed.

    Returns
    -------
    LatentDraw

    Raises
    ------
    ValueError
        Unknown ``estimator``; ``tau <= 0``.
    """
    estimator = check_estimator(estimator)
    tau = check_positive("tau", tau)
    lv = getval(logits)
    if np.ndim(lv) == 0:
        raise ValueError("logits must have a last axis of classes")
    if estimator in ("gumbel", "st_gumbel"):
        log_y = gumbel_softmax_log_sample(logits, tau, rng)
        y = anp.exp(log_y)
        if estimator == "gumbel":
            return LatentDraw(y, getval(y), None, log_y)
        hard = _onehot_argmax(getval(y))
        return LatentDraw(y + stop_gradient(hard - getval(y)), hard, None, log_y)
    dt = np.result_type(lv, np.float32)
    hard = _onehot_argmax(lv + gumbel_noise(np.shape(lv), rng, dt))
    if estimator == "st":
        p = anp.softmax(logits, axis=-1)
        return LatentDraw(p + stop_gradient(hard - getval(p)), hard, None, None)
    log_q = anp.sum(hard * anp.log_softmax(logits, axis=-1), axis=-1)   # per variable
    if np.ndim(lv) >= 3:   # (batch, variables..., k): one value per example
        log_q = anp.sum(anp.reshape(log_q, (np.shape(lv)[0], -1)), axis=-1)
    return LatentDraw(hard, hard, log_q, None)


def surrogate_loss(loss, draw: LatentDraw, baseline=0.0):
    """Per-example loss whose gradient is the estimator's: ``loss`` itself for the pathwise
    estimators, ``loss + stop_gradient(loss - baseline) * log_q`` for the score function
    (``loss`` per example, e.g. the reconstruction term -log p(x|z))."""
    if draw.log_q is None:
        return loss
    return loss + stop_gradient(loss - baseline) * draw.log_q


class MovingAverageBaseline:
    """b <- decay b + (1 - decay) mean(f): the score-function estimator's control variate.

    The first update sets b to the batch mean. ``value`` is the current b.
    """

    def __init__(self, decay: float = 0.99):
        self.decay = check_in_range("decay", decay, 0.0, 1.0)
        self.value = 0.0
        self.n = 0

    def update(self, signal) -> float:
        m = float(np.mean(getval(signal)))
        self.value = m if self.n == 0 else self.decay * self.value + (1.0 - self.decay) * m
        self.n += 1
        return self.value

    def state(self):
        return (self.value, self.n)

    def set_state(self, s):
        self.value, self.n = float(s[0]), int(s[1])

    def __repr__(self):
        return f"MovingAverageBaseline(decay={self.decay}, value={self.value:.4g}, updates={self.n})"


def anneal_tau(step, tau0=1.0, rate=1e-4, tau_min=0.5, every=500):
    """tau at training ``step``: max(tau_min, tau0 exp(-rate * N floor(step / N))), N = every
    (Jang et al. 2017: tau updated every N steps, N in {500, 1000}, r in {1e-5, 1e-4},
    tau_min = 0.5)."""
    step = check_nonnegative_int("step", step)
    tau0 = check_positive("tau0", tau0)
    tau_min = check_positive("tau_min", tau_min)
    every = check_positive_int("every", every)
    if not (isinstance(rate, (int, float)) and math.isfinite(rate) and rate >= 0):
        raise ValueError(f"rate must be a finite number >= 0, got {rate!r}")
    t = every * (step // every)
    return max(tau_min, tau0 * math.exp(-rate * t))
