"""A generated data set with a known discrete factor and a known density: noisy digit
prototypes (for the delta-VAE experiment, Razavi et al. 2019).

Each image is one of ten binary templates t_c (the binarised class means of the digits
training split: t_c,d = 1 if the mean of pixel d over class c exceeds 1/2) with every pixel
flipped independently with probability ``flip``:

    c ~ Uniform{0..9},   x_d | c ~ Bernoulli(|t_c,d - flip|)   (so P(x_d != t_c,d) = flip),
    log p(x) = logsumexp_c [log 1/10 + sum_d log p(x_d | c)]      (exact).

Why this data: the class is a global factor, yet an autoregressive decoder recovers it from the
first rows of pixels and then predicts the rest almost exactly, so it can model p(x) well
without any latent - the situation in which a VAE's posterior collapses (the ELBO's optimum
then has rate 0). The factor c is what a linear probe on the latents should recover, and the
exact log p(x) says how close each model's -ELBO is to the best possible.
"""
from __future__ import annotations

import functools

import numpy as np
from scipy.special import logsumexp

from ..checks import as_generator, check_in_range, check_positive_int
from ..datasets import Dataset, load_digits

__all__ = ["digit_prototypes", "prototype_digits", "prototype_log_prob"]


def digit_prototypes(threshold=0.5) -> np.ndarray:
    """(10, 64) binary templates: the class means of the binarised digits training split,
    thresholded at ``threshold`` (computed once per threshold; a fresh copy is returned)."""
    threshold = check_in_range("threshold", threshold, 0.0, 1.0)
    return _prototypes(float(threshold)).copy()


@functools.lru_cache(maxsize=4)
def _prototypes(threshold):
    d = load_digits(binarize=True)
    return np.array([d.x_train[d.y_train == c].mean(0) > threshold for c in range(10)], np.float64)


def _check_flip(flip):
    flip = check_in_range("flip", flip, 0.0, 0.5)
    if not 0.0 < flip < 0.5:
        raise ValueError(f"flip must lie strictly between 0 and 0.5, got {flip!r}")
    return flip


def _check_templates(templates):
    t = np.asarray(templates, np.float64)
    if t.ndim != 2 or t.shape[0] < 1 or t.shape[1] < 1:
        raise ValueError(f"templates must be a (n_classes, n_pixels) array, got shape {t.shape}")
    if not np.all((t == 0) | (t == 1)):
        raise ValueError("templates must hold binary pixels (0/1)")
    return t


def prototype_log_prob(x, flip=0.05, templates=None) -> np.ndarray:
    """Exact log p(x) (nats) of each row of ``x`` under the noisy-prototype mixture (uniform
    over the templates; each pixel flipped with probability ``flip``)."""
    flip = _check_flip(flip)
    t = digit_prototypes() if templates is None else _check_templates(templates)
    x = np.asarray(x, np.float64)
    if x.ndim != 2 or x.shape[1] != t.shape[1]:
        raise ValueError(f"x must be (n, {t.shape[1]}), got {x.shape}")
    n_diff = np.abs(x[:, None, :] - t[None, :, :]).sum(-1)          # (n, classes): flipped pixels
    ll = n_diff * np.log(flip) + (t.shape[1] - n_diff) * np.log1p(-flip)
    return logsumexp(ll, axis=1) - np.log(t.shape[0])


def prototype_digits(flip=0.05, n_train=4000, n_test=1000, seed=0, templates=None) -> Dataset:
    """Noisy digit prototypes (module docstring): ``n_train`` + ``n_test`` images drawn
    independently (classes uniform, fixed by ``seed``), labels = the template's class.

    Raises
    ------
    ValueError
        ``flip`` outside (0, 0.5), non-positive sizes, non-binary ``templates``.
    """
    flip = _check_flip(flip)
    n_train = check_positive_int("n_train", n_train)
    n_test = check_positive_int("n_test", n_test)
    t = digit_prototypes() if templates is None else _check_templates(templates)
    rng = as_generator(seed, "seed")
    k = t.shape[0]
    y = rng.integers(0, k, n_train + n_test)
    x = t[y].copy()
    f = rng.random(x.shape) < flip
    x[f] = 1.0 - x[f]
    side = int(round(np.sqrt(t.shape[1])))
    shape = (side, side) if side * side == t.shape[1] else (t.shape[1],)
    return Dataset(x[:n_train], y[:n_train].astype(np.int64), x[n_train:], y[n_train:].astype(np.int64),
                   shape, k, f"prototype-digits-flip{flip:g}")
