"""Variational bounds on mutual information as functions of a score matrix.

Poole, Ozair, van den Oord, Alemi & Tucker, *On Variational Bounds of Mutual Information*,
ICML 2019 (arXiv:1905.06922). Every estimator takes the critic evaluated on all pairs of a
batch of K samples (x_i, y_i) ~ p(x, y):

    S[i, j] = f(x_i, y_j)      rows index x, columns index y,

so the diagonal holds the K positive pairs and the K(K-1) off-diagonal entries are samples
from p(x) p(y). A baseline a(y_j) always applies to column j. All functions work on numpy
arrays and on traced values of :mod:`expressivity.autodiff` alike; everything is computed in
log space and masked entries are -inf inside log-sum-exp (never ``inf * eye``, whose
off-diagonal is NaN), so no NaN reaches values or gradients.

    lme_O(S) = log (1 / (K (K-1))) sum_{i != j} exp S_ij          (off-diagonal log-mean-exp)

    I_DV    = mean_i S_ii - lme_O(S)                              (Donsker-Varadhan; biased up)
    I_TUBA  = 1 + mean_i (S_ii - log a(y_i)) - mean_{i!=j} exp(S_ij - log a(y_j))
    I_NWJ   = I_TUBA with log a = 1 = mean_i S_ii - exp(lme_O(S) - 1)
    I_NCE   = log K + mean_i [S_ii - logsumexp_l S_li]            (<= log K)
    I_alpha = 1 + mean_{i!=j} [S_ii - log A_ij] - mean_{i!=j} exp(S_ji - log A_ii),
              A_ij = alpha mean_{l!=j} exp(S_li) + (1 - alpha) a(y_i)   (<= 1 + log((K-1)/alpha))
"""
from __future__ import annotations

import math

import numpy as np

from .. import autodiff as _ad
from ..autodiff import numpy as anp
from ..autodiff import stop_gradient
from ._interpolated_fused import interpolated_scores

__all__ = [
    "check_scores", "lme_offdiag", "loo_logmeanexp", "ba", "dv", "mine", "mine_update",
    "tuba", "nwj", "infonce", "js_objective", "js", "interpolated", "interpolated_cap",
    "upper_bound", "loo_upper_bound", "tnce", "log_alpha_pair",
]


def _shape(S):
    return np.shape(_ad.getval(S))


def check_scores(S, name="S"):
    """Validate a K x K score matrix (K >= 2); returns K."""
    shp = _shape(S)
    if len(shp) != 2 or shp[0] != shp[1]:
        raise ValueError(f"{name} must be a square K x K score matrix (rows x, columns y), got shape {shp}")
    if shp[0] < 2:
        raise ValueError(f"{name} needs K >= 2 samples (off-diagonal negatives), got K = {shp[0]}")
    v = _ad.getval(S)
    if np.isnan(v).any():
        raise ValueError(f"{name} contains NaN")
    return shp[0]


def _eye(K):
    return np.eye(K, dtype=bool)


def lme_offdiag(S):
    """log of the mean of exp(S_ij) over the K(K-1) off-diagonal entries (mask with -inf)."""
    K = check_scores(S)
    return anp.logsumexp(anp.where(_eye(K), -np.inf, S)) - math.log(K * (K - 1))


def _diag_mean(S):
    return anp.mean(anp.diag(S))


def _log_baseline_vector(log_baseline, K, name="log_baseline"):
    if log_baseline is None:
        return None
    shp = np.shape(_ad.getval(log_baseline))
    if shp not in ((), (K,), (1,)):
        raise ValueError(f"{name} must be a scalar or have shape ({K},) (one log a(y_j) per column), got {shp}")
    return log_baseline


# ----------------------------------------------------------------------------- BA

def ba(log_q_x_given_y, entropy_x):
    """Barber-Agakov bound I_BA = (1/K) sum_i log q(x_i | y_i) + h(X) (Eq. 2).

    Needs a tractable decoder q(x|y) (its log density at the positive pairs) and the entropy
    h(X) of the known marginal p(x); tight when q = p(x|y). Not a function of a score matrix.
    The unnormalised I_UBA needs the exact log Z(y) and is intractable in general.
    """
    if np.ndim(_ad.getval(log_q_x_given_y)) != 1:
        raise ValueError("log_q_x_given_y must be a 1-D array of log q(x_i | y_i)")
    return anp.mean(log_q_x_given_y) + entropy_x


# ----------------------------------------------------------------------------- DV / MINE

def dv(S):
    """Donsker-Varadhan I_DV = mean_i S_ii - lme_O(S) (Eq. 5 with batch estimates).

    Tight for f = PMI + any constant; in a finite batch it is biased upward (the log of a
    mean is concave), so it is not a lower bound.
    """
    check_scores(S)
    return _diag_mean(S) - lme_offdiag(S)


def mine(S, log_moving_average=None):
    """MINE (Belghazi et al. 2018): value I_DV, gradient of the bias-corrected surrogate

        mean_i S_ii - mean_O(exp S) / stop_grad(abar),   abar = EMA of mean_O(exp S),

    passed in log space as ``log_moving_average`` (log abar; update it with
    :func:`mine_update`). The returned value equals ``dv(S)`` exactly; its gradient is the
    surrogate's. Without a moving average this is ``dv(S)`` (value and gradient).
    """
    val = dv(S)
    if log_moving_average is None:
        return val
    surrogate = _diag_mean(S) - anp.exp(lme_offdiag(S) - stop_gradient(log_moving_average))
    return stop_gradient(val) + (surrogate - stop_gradient(surrogate))


def mine_update(log_moving_average, S, rate=0.01):
    """New log abar = log((1 - rate) abar + rate mean_O(exp S)) (a plain float; no gradient).
    ``log_moving_average=None`` starts the average at the current batch."""
    if not 0.0 < rate <= 1.0:
        raise ValueError(f"rate must lie in (0, 1], got {rate}")
    cur = float(_ad.getval(lme_offdiag(_ad.getval(S))))
    if log_moving_average is None:
        return cur
    return float(np.logaddexp(math.log1p(-rate) + log_moving_average if rate < 1 else -np.inf,
                              math.log(rate) + cur))


# ----------------------------------------------------------------------------- TUBA / NWJ

def tuba(S, log_baseline=None):
    """Tractable unnormalised Barber-Agakov bound (Eq. 7) with baseline a(y) > 0:

        I_TUBA = 1 + mean_i (S_ii - log a(y_i)) - mean_{i != j} exp(S_ij - log a(y_j)).

    ``log_baseline`` is log a(y_j) per column j (shape (K,)) or a scalar; None means a = 1.
    Tight when a(y) = Z(y) = E_x exp f(x, y) and f = log p(y|x) + c(y).
    """
    K = check_scores(S)
    la = _log_baseline_vector(log_baseline, K)
    if la is None:
        return 1.0 + _diag_mean(S) - anp.exp(lme_offdiag(S))
    if np.ndim(_ad.getval(la)) == 0 or np.shape(_ad.getval(la)) == (1,):
        diag_la = anp.mean(la)
        return 1.0 + _diag_mean(S) - diag_la - anp.exp(lme_offdiag(S) - diag_la)
    return 1.0 + _diag_mean(S) - anp.mean(la) - anp.exp(lme_offdiag(S - anp.reshape(la, (1, K))))


def nwj(S):
    """Nguyen-Wainwright-Jordan / f-GAN KL bound (Eq. 8): TUBA with a = e,

        I_NWJ = mean_i S_ii - e^{-1} mean_{i != j} exp S_ij,

    tight only for f* = 1 + PMI. With f = PMI the expectation is I - 1/e exactly, because
    E_{p(x)p(y)}[exp PMI] = 1.
    """
    check_scores(S)
    return _diag_mean(S) - anp.exp(lme_offdiag(S) - 1.0)


# ----------------------------------------------------------------------------- InfoNCE

def infonce(S):
    """InfoNCE / CPC (van den Oord et al. 2018), Eq. 12 with the K x's competing for each y:

        I_NCE = log K + (1/K) sum_i [S_ii - logsumexp_l S_li]  <=  log K.

    (The paper writes the y's competing, the transpose; both are lower bounds.)
    """
    K = check_scores(S)
    return math.log(K) + _diag_mean(S) - anp.mean(anp.logsumexp(S, axis=0))


def tnce(log_conditional):
    """TNCE: InfoNCE with the true conditional as critic, S_ij = log p(y_j | x_i)."""
    return infonce(log_conditional)


# ----------------------------------------------------------------------------- JS

def js_objective(S):
    """f-GAN Jensen-Shannon objective -mean_i softplus(-S_ii) - mean_{i!=j} softplus(S_ij).

    Maximised by the PMI log p(x,y)/(p(x)p(y)) (the logit of a classifier of joint vs product).
    """
    K = check_scores(S)
    pos = -anp.mean(anp.softplus(-anp.diag(S)))
    neg = anp.sum(anp.where(_eye(K), 0.0, anp.softplus(S))) / (K * (K - 1))
    return pos - neg


def js(S, shift=1.0):
    """JS-trained critic reported through NWJ (Poole et al. 2019, Sec. 2.3).

    The value is ``nwj(S + shift)`` and the gradient that of :func:`js_objective`
    (``js + stop_grad(nwj - js)``). Because the JS optimum is f = PMI and NWJ is tight at
    1 + PMI, the default ``shift=1`` makes the reported estimate tight; ``shift=0`` (NWJ of
    the raw critic) is 1/e low in expectation at the optimum.
    """
    obj = js_objective(S)
    val = nwj(S + shift)
    return obj + stop_gradient(val - obj)


# ----------------------------------------------------------------------------- I_alpha

def loo_logmeanexp(T, axis=1):
    """Exact leave-one-out log-mean-exp along ``axis`` of a 2-D array:

        out[i, j] = log (1 / (n-1)) sum_{l != j} exp T[i, l]     (axis = 1)

    with the fused primitive :func:`expressivity.autodiff.numpy.loo_logsumexp` (exact even
    when one entry dominates: the sum without entry j never subtracts a dominant term; the
    notebook's ``t + softplus_inverse(lse - t)`` does and is off by tens of nats).
    """
    shp = np.shape(_ad.getval(T))
    if len(shp) != 2:
        raise ValueError(f"T must be 2-D, got shape {shp}")
    if axis not in (0, 1, -1, -2):
        raise ValueError(f"axis must be 0 or 1, got {axis}")
    n = shp[axis]
    if n < 2:
        raise ValueError(f"leave-one-out needs at least 2 entries along axis, got {n}")
    return anp.loo_logsumexp(T, axis=axis) - math.log(n - 1)


def _softplus_float(t):
    """log(1 + e^t) for a Python float, without overflow."""
    return max(t, 0.0) + math.log1p(math.exp(-abs(t)))


def log_alpha_pair(alpha=None, alpha_logit=None):
    """(log alpha, log(1 - alpha)) from alpha in [0, 1] or from a logit (log space:
    log alpha = -softplus(-logit), log(1 - alpha) = -softplus(logit)); the logit may be traced."""
    if (alpha is None) == (alpha_logit is None):
        raise ValueError("give exactly one of alpha (in [0, 1]) and alpha_logit")
    if alpha_logit is not None:
        if isinstance(alpha_logit, (int, float)):
            # a plain Python number stays one: a numpy float64 scalar would promote float32
            # score matrices to float64 (NumPy 2 promotion) and double the training cost
            lg = float(alpha_logit)
            return -_softplus_float(-lg), -_softplus_float(lg)
        return -anp.softplus(-alpha_logit), -anp.softplus(alpha_logit)
    a = float(alpha)
    if not 0.0 <= a <= 1.0:
        raise ValueError(f"alpha must lie in [0, 1], got {alpha}")
    with np.errstate(divide="ignore"):
        return float(np.log(a)), float(np.log1p(-a))


def interpolated(S, alpha=None, log_baseline=None, *, alpha_logit=None):
    """Interpolated bound I_alpha (Eq. 11), leave-one-out estimator of the official code:

        A_ij = alpha mean_{l != j} exp(S_li) + (1 - alpha) a(y_i)
        I_alpha = 1 + mean_{i != j}[S_ii - log A_ij] - mean_{i != j} exp(S_ji - log A_ii).

    alpha = 1 gives a multi-sample NCE-like bound, alpha -> 0 TUBA with baseline a. The value
    is capped at 1 + log((K-1)/alpha) (:func:`interpolated_cap`). ``log_baseline`` is
    log a(y_j) per column (None: a = 1); give ``alpha`` or a (traced) ``alpha_logit``.
    """
    K = check_scores(S)
    log_a, log_1ma = log_alpha_pair(alpha, alpha_logit)
    la = _log_baseline_vector(log_baseline, K)
    dt = np.result_type(_ad.getval(S).dtype, np.float32)
    if la is None:
        base_col = np.zeros((K, 1), dt)
    elif np.ndim(_ad.getval(la)) == 0 or np.shape(_ad.getval(la)) == (1,):
        base_col = anp.reshape(la, (1, 1)) + np.zeros((K, 1), dt)
    else:
        base_col = anp.reshape(la, (K, 1))
    # one fused primitive (numpy forward, hand-written VJP); the same expression composed
    # from the engine's primitives is _interpolated_fused.interpolated_composed (its oracle)
    return interpolated_scores(S, base_col, log_a, log_1ma)


def interpolated_cap(K, alpha):
    """Upper limit 1 + log((K - 1) / alpha) of the leave-one-out I_alpha estimator."""
    if not 0.0 < alpha <= 1.0:
        raise ValueError(f"alpha must lie in (0, 1], got {alpha}")
    return 1.0 + math.log((K - 1) / alpha)


# ----------------------------------------------------------------------------- upper bounds

def upper_bound(log_conditional_pos, log_marginal_q):
    """Variational upper bound I <= R = mean_i [log p(y_i | x_i) - log q(y_i)] (Eq. 13),
    for a known conditional and any marginal q(y); tight at q = p(y)."""
    return anp.mean(log_conditional_pos - log_marginal_q)


def loo_upper_bound(log_conditional):
    """Leave-one-out minibatch upper bound (Eq. 13 with q(y) = mean_{j!=i} p(y|x_j)):

        I <= mean_i [L_ii - log mean_{j != i} exp L_ji],   L_ij = log p(y_j | x_i).
    """
    K = check_scores(log_conditional, "log_conditional")
    off = anp.where(_eye(K), -np.inf, log_conditional)
    return _diag_mean(log_conditional) - anp.mean(anp.logsumexp(off, axis=0)) + math.log(K - 1)
