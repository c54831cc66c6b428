"""Distributions of the latent-variable models: ``*_sample`` and ``*_log_prob`` functions.

Every ``log_prob`` works on numpy arrays and on traced values (it is written with
:mod:`expressivity.autodiff.numpy`) and sums over nothing but what its docstring says: the
event axes are named, batch axes broadcast. Samplers take an explicit ``rng`` (a
``numpy.random.Generator`` or an int seed) and are reparameterised where a reparameterisation
exists (Gaussian, AR(1), Gumbel-Softmax): the noise is drawn with numpy and the sample is a
differentiable function of the parameters.

- Bernoulli with logits ``l``: log p(x) = x l - softplus(l), x in {0, 1}.
- Diagonal Gaussian N(mean, exp(log_var)): z = mean + exp(log_var / 2) eps.
- Categorical with logits (last axis): log p(x) = sum_i x_i log_softmax(l)_i for one-hot x;
  sampled by the Gumbel-max trick z = onehot(argmax_i (l_i + g_i)), g_i = -log(-log u_i).
- Gumbel-Softmax / Concrete (Jang, Gu & Poole 2017; Maddison, Mnih & Teh 2017):
  y = softmax((l + g) / tau) on the simplex, with density w.r.t. Lebesgue measure on its
  first k - 1 coordinates

      p(y) = Gamma(k) tau^(k-1) (sum_i pi_i / y_i^tau)^(-k) prod_i pi_i / y_i^(tau + 1),

  (Jang et al. Eq. 2), unchanged when a constant is added to the logits, so ``pi`` may be
  unnormalised ``exp(l)``. ``hard=True`` is the straight-through variant:
  y = stop_gradient(onehot(argmax y) - y) + y (one-hot forward, relaxed gradient).
- AR(1) prior of the delta-VAE (Razavi et al. 2019, Sec. 3.1) over the last axis of length n:
  p(z_1) = N(0, 1), p(z_i | z_(i-1)) = N(alpha z_(i-1), 1 - alpha^2), stationary with unit
  marginal variance and correlation alpha^|i-j|.
"""
from __future__ import annotations

import math

import numpy as np

from ..autodiff import numpy as anp
from ..autodiff import stop_gradient
from ..autodiff.core import getval
from ..checks import as_generator, check_in_range, check_positive

__all__ = [
    "bernoulli_log_prob", "bernoulli_sample",
    "gaussian_log_prob", "gaussian_sample",
    "categorical_log_prob", "categorical_sample", "logits_from_probs",
    "gumbel_noise", "gumbel_softmax_sample", "gumbel_softmax_log_prob",
    "gumbel_softmax_log_prob_from_log", "gumbel_softmax_log_sample",
    "ar1_log_prob", "ar1_sample", "check_alpha",
]

_LOG_2PI = math.log(2.0 * math.pi)


# ----------------------------------------------------------------------------- helpers

def _shape(x):
    return np.shape(getval(x))


def _check_finite(name, x):
    v = np.asarray(getval(x))
    if v.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be a real array, got dtype {v.dtype}")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return v


def _check_tau(tau):
    return check_positive("tau", tau)


def _check_event(name, x, ref_name, ref):
    """The last axes of ``x`` and ``ref`` must agree (the event axis), batch axes broadcast."""
    sx, sr = _shape(x), _shape(ref)
    if len(sx) == 0 or len(sr) == 0 or sx[-1] != sr[-1]:
        raise ValueError(f"{name} must have the same last axis (classes) as {ref_name}: "
                         f"got shapes {sx} and {sr}")
    try:
        np.broadcast_shapes(sx, sr)
    except ValueError:
        raise ValueError(f"{name} {sx} and {ref_name} {sr} do not broadcast") from None


def check_alpha(alpha) -> float:
    """The AR(1) correlation: a finite number with |alpha| < 1."""
    alpha = check_in_range("alpha", alpha, -1.0, 1.0)
    if abs(alpha) >= 1.0:
        raise ValueError(f"alpha must satisfy |alpha| < 1 (a stationary AR(1)), got {alpha!r}")
    return alpha


# ----------------------------------------------------------------------------- Bernoulli

def bernoulli_log_prob(x, logits):
    """Elementwise log p(x) = x l - softplus(l) of a Bernoulli with logits ``l`` (no sum).

    Parameters
    ----------
    x : array of 0/1 values (broadcasts against ``logits``).
    logits : array or traced value.

    Raises
    ------
    ValueError
        If ``x`` holds values other than 0 and 1 or the shapes do not broadcast.
    """
    xv = np.asarray(getval(x))
    if xv.size and not np.all((xv == 0) | (xv == 1)):
        raise ValueError("x must hold only 0 and 1 (binary pixels)")
    try:
        np.broadcast_shapes(xv.shape, _shape(logits))
    except ValueError:
        raise ValueError(f"x {xv.shape} and logits {_shape(logits)} do not broadcast") from None
    return x * logits - anp.softplus(logits)


def bernoulli_sample(logits, rng):
    """Bernoulli draws (0./1. floats) with success probability sigmoid(logits); not
    reparameterisable (returns a plain array)."""
    rng = as_generator(rng, "rng")
    lv = _check_finite("logits", logits)
    p = 0.5 * (1.0 + np.tanh(0.5 * lv))  # sigmoid without overflow
    return (rng.random(lv.shape) < p).astype(lv.dtype if lv.dtype.kind == "f" else np.float64)


# ----------------------------------------------------------------------------- Gaussian

def gaussian_log_prob(z, mean, log_var):
    """Elementwise log N(z; mean, exp(log_var)) (no sum over dimensions)."""
    try:
        np.broadcast_shapes(_shape(z), _shape(mean), _shape(log_var))
    except ValueError:
        raise ValueError(f"z {_shape(z)}, mean {_shape(mean)} and log_var {_shape(log_var)} "
                         "do not broadcast") from None
    d = z - mean
    return -0.5 * (_LOG_2PI + log_var + d * d * anp.exp(-log_var))


def gaussian_sample(mean, log_var, rng):
    """Reparameterised draw z = mean + exp(log_var / 2) * eps, eps ~ N(0, 1) (differentiable in
    ``mean`` and ``log_var``)."""
    rng = as_generator(rng, "rng")
    shape = np.broadcast_shapes(_shape(mean), _shape(log_var))
    dt = np.result_type(getval(mean), getval(log_var), np.float32)
    eps = rng.standard_normal(shape).astype(dt, copy=False)
    return mean + anp.exp(0.5 * log_var) * eps


# ----------------------------------------------------------------------------- categorical

def logits_from_probs(probs, name="probs", atol=1e-6):
    """log(probs) after checking that ``probs`` are probabilities over the last axis.

    Raises
    ------
    ValueError
        Naming ``name`` if an entry is negative or not finite, or a row does not sum to 1
        (within ``atol``).
    """
    p = np.asarray(getval(probs), dtype=np.float64)
    if p.ndim == 0:
        raise ValueError(f"{name} must have a last axis of classes, got a scalar")
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise ValueError(f"{name} must be finite and >= 0")
    s = p.sum(axis=-1)
    if not np.all(np.abs(s - 1.0) <= atol):
        worst = float(s.flat[np.argmax(np.abs(s - 1.0))])
        raise ValueError(f"{name} must sum to 1 over the last axis, got a sum of {worst!r}")
    with np.errstate(divide="ignore"):
        return np.log(p)


def categorical_log_prob(x, logits=None, probs=None):
    """log p(x) = sum_i x_i log_softmax(logits)_i for one-hot (or relaxed) ``x`` on the last
    axis; pass ``probs`` instead of ``logits`` for probabilities (checked to sum to 1).

    Returns the log-probability with the last axis summed out.
    """
    if (logits is None) == (probs is None):
        raise ValueError("give exactly one of logits and probs")
    if probs is not None:
        lp = logits_from_probs(probs)
        _check_event("x", x, "probs", lp)
        # sum_i x_i log p_i with 0 log 0 = 0; -inf where x puts mass on a class of probability 0
        impossible = np.any((np.asarray(getval(x)) != 0) & ~np.isfinite(lp), axis=-1)
        out = anp.sum(x * np.where(np.isfinite(lp), lp, 0.0), axis=-1)
        return out - np.where(impossible, np.inf, 0.0) if np.any(impossible) else out
    _check_event("x", x, "logits", logits)
    return anp.sum(x * anp.log_softmax(logits, axis=-1), axis=-1)


def gumbel_noise(shape, rng, dtype=np.float64):
    """Standard Gumbel noise g = -log(E), E ~ Exp(1) (equal in law to -log(-log U), U uniform;
    never infinite)."""
    rng = as_generator(rng, "rng")
    return (-np.log(rng.standard_exponential(shape))).astype(dtype, copy=False)


def categorical_sample(logits=None, rng=None, probs=None):
    """One-hot draws by the Gumbel-max trick: onehot(argmax_i (logits_i + g_i)) on the last
    axis (plain array; no gradient). Give ``logits`` or ``probs``."""
    if (logits is None) == (probs is None):
        raise ValueError("give exactly one of logits and probs")
    if rng is None:
        raise ValueError("rng must be a numpy Generator or an int seed")
    lv = logits_from_probs(probs) if probs is not None else _check_finite("logits", logits)
    lv = np.asarray(lv, dtype=np.float64 if lv.dtype.kind != "f" else lv.dtype)
    if lv.ndim == 0:
        raise ValueError("logits must have a last axis of classes")
    idx = np.argmax(lv + gumbel_noise(lv.shape, rng, lv.dtype), axis=-1)
    return np.eye(lv.shape[-1], dtype=lv.dtype)[idx]


# ----------------------------------------------------------------------------- Gumbel-Softmax

def gumbel_softmax_log_sample(logits, tau, rng):
    """log y for a Gumbel-Softmax draw y = softmax((logits + g) / tau): the stable form
    log_softmax((logits + g) / tau) (differentiable in ``logits``). Small tau makes most
    coordinates of y underflow to 0; their logs stay finite here."""
    tau = _check_tau(tau)
    _check_finite("logits", logits)
    if len(_shape(logits)) == 0:
        raise ValueError("logits must have a last axis of classes")
    dt = np.result_type(getval(logits), np.float32)
    g = gumbel_noise(_shape(logits), rng, dt)
    return anp.log_softmax((logits + g) / tau, axis=-1)


def gumbel_softmax_sample(logits, tau, rng, hard=False):
    """A Gumbel-Softmax (Concrete) draw y = softmax((logits + g) / tau) on the last axis.

    Parameters
    ----------
    logits : array or traced value, shape (..., k)
        Unnormalised log class probabilities (a constant shift changes nothing).
    tau : float > 0
        Temperature: tau -> 0 approaches one-hot Gumbel-max samples, tau -> inf the centroid.
    rng : numpy Generator or int seed
    hard : bool
        Straight-through (Jang et al. 2017, Sec. 2.2): the forward value is the one-hot
        argmax of y, the gradient that of the relaxed y.

    Returns
    -------
    y : same shape as ``logits``; differentiable in ``logits``.

    Raises
    ------
    ValueError
        If ``tau <= 0`` (names ``tau``) or ``logits`` is a scalar or not finite.
    """
    y = anp.exp(gumbel_softmax_log_sample(logits, tau, rng))
    if not hard:
        return y
    yv = getval(y)
    onehot = np.eye(yv.shape[-1], dtype=yv.dtype)[np.argmax(yv, axis=-1)]
    return y + stop_gradient(onehot - yv)


def _gs_log_density(log_y, logits, tau):
    k = _shape(logits)[-1]
    const = math.lgamma(k) + (k - 1) * math.log(tau)
    return (const + anp.sum(logits - (tau + 1.0) * log_y, axis=-1)
            - k * anp.logsumexp(logits - tau * log_y, axis=-1))


def gumbel_softmax_log_prob_from_log(log_y, logits, tau):
    """:func:`gumbel_softmax_log_prob` evaluated from ``log y`` (what
    :func:`gumbel_softmax_log_sample` returns): stable for small tau, where y underflows.

    ``log_y`` must be the log of a point of the open simplex (logsumexp over the last axis 0).
    """
    tau = _check_tau(tau)
    _check_event("log_y", log_y, "logits", logits)
    lv = np.asarray(getval(log_y))
    if not np.all(np.isfinite(lv)):
        raise ValueError("log_y must be finite (the log of a point inside the simplex)")
    s = np.logaddexp.reduce(lv, axis=-1)
    if not np.all(np.abs(s) <= 1e-6):
        raise ValueError("log_y must be the log of a point of the simplex: logsumexp over the "
                         f"last axis must be 0, got {float(s.flat[np.argmax(np.abs(s))])!r}")
    return _gs_log_density(log_y, logits, tau)


def gumbel_softmax_log_prob(y, logits, tau):
    """Log density of the Gumbel-Softmax distribution at ``y`` on the simplex (last axis).

    log p(y) = log Gamma(k) + (k-1) log tau + sum_i (l_i - (tau+1) log y_i)
               - k logsumexp_i(l_i - tau log y_i),

    the density of Jang et al. (2017, Eq. 2) w.r.t. Lebesgue measure on the first k - 1
    coordinates of y (y_k = 1 - sum of the others). Differentiable in ``y`` and ``logits``.

    Parameters
    ----------
    y : array or traced value, shape (..., k), entries > 0 summing to 1 over the last axis.
    logits : array or traced value, shape broadcasting with ``y``.
    tau : float > 0

    Raises
    ------
    ValueError
        If ``tau <= 0`` (names ``tau``), ``y`` is not inside the simplex (names ``y``), or the
        last axes of ``y`` and ``logits`` differ.
    """
    tau = _check_tau(tau)
    _check_event("y", y, "logits", logits)
    yv = np.asarray(getval(y), dtype=np.float64)
    if not np.all(np.isfinite(yv)) or np.any(yv <= 0):
        raise ValueError("y must lie inside the simplex: every entry > 0")
    s = yv.sum(axis=-1)
    if not np.all(np.abs(s - 1.0) <= 1e-6):
        raise ValueError(f"y must lie on the simplex: entries summing to 1 over the last axis, "
                         f"got a sum of {float(s.flat[np.argmax(np.abs(s - 1.0))])!r}")
    return _gs_log_density(anp.log(y), logits, tau)


# ----------------------------------------------------------------------------- AR(1) prior

def ar1_log_prob(z, alpha):
    """log p(z) under the AR(1) prior over the last axis (length n >= 1), summed over it:

    log N(z_1; 0, 1) + sum_(i>=2) log N(z_i; alpha z_(i-1), 1 - alpha^2).
    """
    alpha = check_alpha(alpha)
    s = _shape(z)
    if len(s) == 0:
        raise ValueError("z must have a last axis (the sequence of latents)")
    first = -0.5 * (_LOG_2PI + z[..., 0] * z[..., 0])
    if s[-1] == 1:
        return first
    v = 1.0 - alpha * alpha
    d = z[..., 1:] - alpha * z[..., :-1]
    rest = -0.5 * ((s[-1] - 1) * (_LOG_2PI + math.log(v)) + anp.sum(d * d, axis=-1) / v)
    return first + rest


def ar1_sample(shape, alpha, rng):
    """Draws of the AR(1) prior with the sequence on the last axis of ``shape``."""
    alpha = check_alpha(alpha)
    rng = as_generator(rng, "rng")
    shape = tuple(int(n) for n in np.atleast_1d(shape))
    if len(shape) == 0 or shape[-1] < 1:
        raise ValueError(f"shape must end with a sequence length >= 1, got {shape}")
    eps = rng.standard_normal(shape)
    z = np.empty(shape)
    z[..., 0] = eps[..., 0]
    s = math.sqrt(1.0 - alpha * alpha)
    for i in range(1, shape[-1]):
        z[..., i] = alpha * z[..., i - 1] + s * eps[..., i]
    return z
