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
from ..checks import check_array, check_in_range, check_positive_int, check_real, plain
from ..autodiff import stop_gradient
from ._interpolated_fused import interpolated_scores

__all__ = [
    "check_scores", "lme_offdiag", "loo_logmeanexp", "ba", "dv", "mine", "mine_update",
    "tuba", "nwj", "infonce", "js_objective", "js", "interpolated", "interpolated_cap",
    "upper_bound", "loo_upper_bound", "tnce", "log_alpha_pair",
]


def _shape(S):
    return np.shape(_ad.getval(S))


def _real_values(x, name, allow_neg_inf=True):
    """``x`` (plain or traced) as a real array: integer and boolean-free numeric input is
    converted to float64; strings, None and complex are a TypeError; NaN (and +inf, and -inf
    unless allowed) a ValueError. Returns ``x`` (converted if it was plain and not float)."""
    v = _ad.getval(x)
    if not (isinstance(v, np.ndarray) and v.dtype.kind == "f"):
        v = check_array(name, v, min_size=0, finite=False, dtype=None)   # the type rules, converted
        if type(x) is not _ad.Box:
            x = v
    if v.size:
        top = v.max()
        if not top < np.inf:
            raise ValueError(f"{name} contains NaN" if np.isnan(v).any() else f"{name} contains +inf")
        if not allow_neg_inf and not np.isfinite(v.min()):
            raise ValueError(f"{name} contains -inf")
    return x


def _scores(S, name="S"):
    """(S as a real matrix, K): validated K x K score matrix, K >= 2 (see check_scores)."""
    S = _real_values(S, name)
    shp = _shape(S)
    if len(shp) != 2 or shp[0] != shp[1]:
        raise ValueError(f"{name} must be a square K x K score matrix (rows x, columns y), got shape {shp}")
    if shp[0] < 2:
        raise ValueError(f"{name} needs K >= 2 samples (off-diagonal negatives), got K = {shp[0]}")
    return S, shp[0]


def check_scores(S, name="S"):
    """Validate a K x K score matrix (K >= 2); returns K.

    Raises TypeError for non-real input (strings, None, complex) and ValueError for a wrong
    shape, NaN or +inf entries (-inf entries are allowed: they are masked pairs). Integer
    matrices are accepted (the bounds convert them to float64).
    """
    return _scores(S, name)[1]


def _eye(K):
    return np.eye(K, dtype=bool)


def lme_offdiag(S):
    """log of the mean of exp(S_ij) over the K(K-1) off-diagonal entries (mask with -inf)."""
    S, K = _scores(S)
    return anp.logsumexp(anp.where(_eye(K), -np.inf, S)) - math.log(K * (K - 1))


def _diag_mean(S):
    return anp.mean(anp.diag(S))


def _log_baseline_vector(log_baseline, K, name="log_baseline"):
    if log_baseline is None:
        return None
    log_baseline = _real_values(log_baseline, name, allow_neg_inf=False)
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

    Parameters
    ----------
    log_q_x_given_y : array (K,)
        log q(x_i | y_i) at the positive pairs; real, no NaN or +inf.
    entropy_x : float
        h(X) in nats, finite.

    Returns
    -------
    scalar
        I_BA.

    Raises
    ------
    TypeError, ValueError
        For non-real, empty, non-1-D or NaN ``log_q_x_given_y`` and a non-finite ``entropy_x``.
    """
    log_q_x_given_y = _real_values(log_q_x_given_y, "log_q_x_given_y")
    if np.ndim(_ad.getval(log_q_x_given_y)) != 1 or np.size(_ad.getval(log_q_x_given_y)) == 0:
        raise ValueError("log_q_x_given_y must be a non-empty 1-D array of log q(x_i | y_i)")
    if type(entropy_x) is _ad.Box:
        _real_values(entropy_x, "entropy_x", allow_neg_inf=False)
    else:
        entropy_x = check_real("entropy_x", entropy_x)
    return anp.mean(log_q_x_given_y) + entropy_x


# ----------------------------------------------------------------------------- DV / MINE

def dv(S):
    """Donsker-Varadhan I_DV = mean_i S_ii - lme_O(S) (Eq. 5 with batch estimates).

    Tight for f = PMI + any constant; in a finite batch it is biased upward (the log of a
    mean is concave), so it is not a lower bound.

    Parameters
    ----------
    S : array (K, K)
        Scores S[i, j] = f(x_i, y_j) (rows x, columns y, diagonal positive pairs), K >= 2;
        real (integers are converted), no NaN or +inf (-inf entries are masked pairs);
        plain or traced.

    Returns
    -------
    scalar
        I_DV (traced if S is).

    Raises
    ------
    TypeError
        For non-real scores (strings, None, complex, booleans).
    ValueError
        For a non-square or K < 2 matrix, NaN or +inf scores.
    """
    S, _ = _scores(S)
    return _diag_mean(S) - lme_offdiag(S)


def mine(S, log_moving_average=None):
    """MINE (Belghazi et al. 2018): value I_DV, gradient of the bias-corrected surrogate

        mean_i S_ii - mean_O(exp S) / stop_grad(abar),   abar = EMA of mean_O(exp S),

    passed in log space as ``log_moving_average`` (log abar; update it with
    :func:`mine_update`). The returned value equals ``dv(S)`` exactly; its gradient is the
    surrogate's. Without a moving average this is ``dv(S)`` (value and gradient).

    When the batch's mean_O(exp S) exceeds abar by more than half the dtype's exponent range
    (e.g. ``log_moving_average=-800``), the ratio is capped there in value (not in direction),
    so the value stays ``dv(S)`` instead of inf - inf = NaN.

    Parameters
    ----------
    S : array (K, K)
        Scores S[i, j] = f(x_i, y_j) (rows x, columns y, diagonal positive pairs), K >= 2;
        real (integers are converted), no NaN or +inf (-inf entries are masked pairs);
        plain or traced.
    log_moving_average : float, optional
        log abar, finite (from :func:`mine_update`); None: plain DV.

    Returns
    -------
    scalar
        The value of ``dv(S)``; with a moving average, the surrogate's gradient.

    Raises
    ------
    TypeError
        For non-real scores (strings, None, complex, booleans).
    ValueError
        For a non-square or K < 2 matrix, NaN or +inf scores, a non-finite ``log_moving_average``.
    """
    S, _ = _scores(S)
    val = dv(S)
    if log_moving_average is None:
        return val
    lma = _ad.getval(log_moving_average)
    if type(log_moving_average) is _ad.Box:
        _real_values(log_moving_average, "log_moving_average", allow_neg_inf=False)
    else:
        lma = check_real("log_moving_average", lma)
    u = lme_offdiag(S) - lma
    cap = 0.5 * math.log(np.finfo(np.result_type(_ad.getval(S).dtype, np.float32)).max)
    if _ad.getval(u) > cap:  # keep exp(u) finite: value capped, gradient direction kept
        u = u - stop_gradient(u) + cap
    surrogate = _diag_mean(S) - anp.exp(u)
    return stop_gradient(val) + (surrogate - stop_gradient(surrogate))


def mine_update(log_moving_average, S, rate=0.01):
    """New log abar = log((1 - rate) abar + rate mean_O(exp S)) (a plain float; no gradient).
    ``log_moving_average=None`` starts the average at the current batch."""
    rate = check_in_range("rate", rate, 0.0, 1.0)
    if rate == 0.0:
        raise ValueError("rate must be a number in (0.0, 1.0], got 0.0")
    cur = float(_ad.getval(lme_offdiag(_ad.getval(S))))
    if log_moving_average is None:
        return cur
    log_moving_average = check_real("log_moving_average", log_moving_average)
    return float(np.logaddexp(math.log1p(-rate) + log_moving_average if rate < 1 else -np.inf,
                              math.log(rate) + cur))


# ----------------------------------------------------------------------------- TUBA / NWJ

def tuba(S, log_baseline=None):
    """Tractable unnormalised Barber-Agakov bound (Eq. 7) with baseline a(y) > 0:

        I_TUBA = 1 + mean_i (S_ii - log a(y_i)) - mean_{i != j} exp(S_ij - log a(y_j)).

    ``log_baseline`` is log a(y_j) per column j (shape (K,)) or a scalar; None means a = 1.
    Tight when a(y) = Z(y) = E_x exp f(x, y) and f = log p(y|x) + c(y).

    Parameters
    ----------
    S : array (K, K)
        Scores S[i, j] = f(x_i, y_j) (rows x, columns y, diagonal positive pairs), K >= 2;
        real (integers are converted), no NaN or +inf (-inf entries are masked pairs);
        plain or traced.
    log_baseline : scalar or array (K,), optional
        log a(y_j) per column, finite; None means a = 1.

    Returns
    -------
    scalar
        I_TUBA.

    Raises
    ------
    TypeError
        For non-real scores (strings, None, complex, booleans).
    ValueError
        For a non-square or K < 2 matrix, NaN or +inf scores, a non-finite or mis-shaped ``log_baseline``.
    """
    S, K = _scores(S)
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

    Parameters
    ----------
    S : array (K, K)
        Scores S[i, j] = f(x_i, y_j) (rows x, columns y, diagonal positive pairs), K >= 2;
        real (integers are converted), no NaN or +inf (-inf entries are masked pairs);
        plain or traced.

    Returns
    -------
    scalar
        I_NWJ.

    Raises
    ------
    TypeError
        For non-real scores (strings, None, complex, booleans).
    ValueError
        For a non-square or K < 2 matrix, NaN or +inf scores.
    """
    S, _ = _scores(S)
    return _diag_mean(S) - anp.exp(lme_offdiag(S) - 1.0)


# ----------------------------------------------------------------------------- InfoNCE

def infonce(S):
    """InfoNCE / CPC (van den Oord et al. 2018), Eq. 12 with the K x's competing for each y:

        I_NCE = log K + (1/K) sum_i [S_ii - logsumexp_l S_li]  <=  log K.

    (The paper writes the y's competing, the transpose; both are lower bounds.)

    Parameters
    ----------
    S : array (K, K)
        Scores S[i, j] = f(x_i, y_j) (rows x, columns y, diagonal positive pairs), K >= 2;
        real (integers are converted), no NaN or +inf (-inf entries are masked pairs);
        plain or traced.

    Returns
    -------
    scalar
        I_NCE <= log K.

    Raises
    ------
    TypeError
        For non-real scores (strings, None, complex, booleans).
    ValueError
        For a non-square or K < 2 matrix, NaN or +inf scores.
    """
    S, K = _scores(S)
    return math.log(K) + _diag_mean(S) - anp.mean(anp.logsumexp(S, axis=0))


def tnce(log_conditional):
    """TNCE: InfoNCE with the true conditional as critic, S_ij = log p(y_j | x_i)
    (Poole et al. 2019, Sec. 4: a lower bound <= log K that needs no training).

    Parameters
    ----------
    log_conditional : array (K, K)
        log p(y_j | x_i) (rows x, columns y, diagonal positive pairs), K >= 2;
        real (integers are converted), no NaN or +inf (-inf entries are masked pairs);
        plain or traced.

    Returns
    -------
    scalar
        I_TNCE <= log K.

    Raises
    ------
    TypeError
        For non-real scores (strings, None, complex, booleans).
    ValueError
        For a non-square or K < 2 matrix, NaN or +inf scores.
    """
    log_conditional, _ = _scores(log_conditional, "log_conditional")
    return infonce(log_conditional)


# ----------------------------------------------------------------------------- JS

def js_objective(S):
    """f-GAN Jensen-Shannon objective -mean_i softplus(-S_ii) - mean_{i!=j} softplus(S_ij).

    Maximised by the PMI log p(x,y)/(p(x)p(y)) (the logit of a classifier of joint vs product).
    """
    S, K = _scores(S)
    pos = -anp.mean(anp.softplus(-anp.diag(S)))
    neg = anp.sum(anp.where(_eye(K), 0.0, anp.softplus(S))) / (K * (K - 1))
    return pos - neg


def js(S, shift=1.0):
    """JS-trained critic reported through NWJ (Poole et al. 2019, Sec. 2.3).

    The value is ``nwj(S + shift)`` and the gradient that of :func:`js_objective`
    (``js + stop_grad(nwj - js)``). Because the JS optimum is f = PMI and NWJ is tight at
    1 + PMI, the default ``shift=1`` makes the reported estimate tight; ``shift=0`` (NWJ of
    the raw critic) is 1/e low in expectation at the optimum.

    Parameters
    ----------
    S : array (K, K)
        Scores S[i, j] = f(x_i, y_j) (rows x, columns y, diagonal positive pairs), K >= 2;
        real (integers are converted), no NaN or +inf (-inf entries are masked pairs);
        plain or traced.
    shift : float
        Finite offset added to S before NWJ.

    Returns
    -------
    scalar
        ``nwj(S + shift)`` in value, the JS objective's gradient.

    Raises
    ------
    TypeError
        For non-real scores (strings, None, complex, booleans).
    ValueError
        For a non-square or K < 2 matrix, NaN or +inf scores, a non-finite ``shift``.
    """
    S, _ = _scores(S)
    shift = check_real("shift", shift)
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
    T = _real_values(T, "T")
    shp = np.shape(_ad.getval(T))
    if len(shp) != 2:
        raise ValueError(f"T must be 2-D, got shape {shp}")
    if axis not in (0, 1, -1, -2):
        raise ValueError(f"axis must be 0 or 1, got {axis}")
    n = shp[axis]
    if n < 2:
        raise ValueError(f"T needs at least 2 entries along axis {axis} (leave-one-out), got {n}")
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
        if type(alpha_logit) is not _ad.Box:
            # a plain Python number stays one: a numpy float64 scalar would promote float32
            # score matrices to float64 (NumPy 2 promotion) and double the training cost
            lg = check_real("alpha_logit", alpha_logit)
            return -_softplus_float(-lg), -_softplus_float(lg)
        _real_values(alpha_logit, "alpha_logit", allow_neg_inf=False)
        return -anp.softplus(-alpha_logit), -anp.softplus(alpha_logit)
    a = check_in_range("alpha", alpha, 0.0, 1.0)
    with np.errstate(divide="ignore"):
        return float(np.log(a)), float(np.log1p(-a))


def interpolated(S, alpha=None, log_baseline=None, *, alpha_logit=None):
    """Interpolated bound I_alpha (Eq. 11), leave-one-out estimator of the official code:

        A_ij = alpha mean_{l != j} exp(S_li) + (1 - alpha) a(y_i)
        I_alpha = 1 + mean_{i != j}[S_ii - log A_ij] - mean_{i != j} exp(S_ji - log A_ii).

    alpha = 1 gives a multi-sample NCE-like bound, alpha -> 0 TUBA with baseline a. The value
    is capped at 1 + log((K-1)/alpha) (:func:`interpolated_cap`). ``log_baseline`` is
    log a(y_j) per column (None: a = 1); give ``alpha`` or a (traced) ``alpha_logit``.

    Parameters
    ----------
    S : array (K, K)
        Scores S[i, j] = f(x_i, y_j) (rows x, columns y, diagonal positive pairs), K >= 2;
        real (integers are converted), no NaN or +inf (-inf entries are masked pairs);
        plain or traced.
    alpha : float in [0, 1], optional
        Interpolation weight (give this or ``alpha_logit``).
    log_baseline : scalar or array (K,), optional
        log a(y_j) per column, finite; None means a = 1.
    alpha_logit : float or traced scalar, optional
        logit of alpha, finite (a trained alpha).

    Returns
    -------
    scalar
        I_alpha <= 1 + log((K - 1) / alpha).

    Raises
    ------
    TypeError
        For non-real scores (strings, None, complex, booleans).
    ValueError
        For a non-square or K < 2 matrix, NaN or +inf scores, alpha outside [0, 1] or a non-finite logit, both or neither of ``alpha`` and
        ``alpha_logit``, a non-finite or mis-shaped ``log_baseline``.
    """
    S, K = _scores(S)
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
    """Upper limit 1 + log((K - 1) / alpha) of the leave-one-out I_alpha estimator
    (K >= 2 samples, alpha in (0, 1])."""
    K = check_positive_int("K", K, 2)
    alpha = check_in_range("alpha", alpha, 0.0, 1.0)
    if alpha == 0.0:
        raise ValueError("alpha must be a number in (0.0, 1.0], got 0.0 (the cap is infinite)")
    return 1.0 + math.log((K - 1) / alpha)


# ----------------------------------------------------------------------------- upper bounds

def upper_bound(log_conditional_pos, log_marginal_q):
    """Variational upper bound I <= R = mean_i [log p(y_i | x_i) - log q(y_i)] (Eq. 13),
    for a known conditional and any marginal q(y); tight at q = p(y). Both arguments are 1-D
    arrays of the same length (one entry per sample).

    Parameters
    ----------
    log_conditional_pos : array (K,)
        log p(y_i | x_i); real, no NaN or +inf.
    log_marginal_q : array (K,)
        log q(y_i), same shape.

    Returns
    -------
    scalar
        R >= I in expectation.

    Raises
    ------
    TypeError, ValueError
        For non-real input, NaN or +inf entries, or shapes that are not the same 1-D shape
        (no silent broadcasting).
    """
    a = _real_values(log_conditional_pos, "log_conditional_pos")
    b = _real_values(log_marginal_q, "log_marginal_q")
    sa, sb = np.shape(_ad.getval(a)), np.shape(_ad.getval(b))
    if len(sa) != 1 or sa[0] == 0 or sa != sb:
        raise ValueError(f"log_conditional_pos and log_marginal_q must be non-empty 1-D arrays of "
                         f"the same length, got shapes {sa} and {sb}")
    return anp.mean(a - b)


def loo_upper_bound(log_conditional):
    """Leave-one-out minibatch upper bound (Eq. 13 with q(y) = mean_{j!=i} p(y|x_j)):

        I <= mean_i [L_ii - log mean_{j != i} exp L_ji],   L_ij = log p(y_j | x_i).

    Parameters
    ----------
    log_conditional : array (K, K)
        L[i, j] = log p(y_j | x_i) (rows x, columns y, diagonal positive pairs), K >= 2;
        real (integers are converted), no NaN or +inf (-inf entries are masked pairs);
        plain or traced.

    Returns
    -------
    scalar
        The upper bound (>= I in expectation).

    Raises
    ------
    TypeError
        For non-real scores (strings, None, complex, booleans).
    ValueError
        For a non-square or K < 2 matrix, NaN or +inf scores.
    """
    log_conditional, K = _scores(log_conditional, "log_conditional")
    off = anp.where(_eye(K), -np.inf, log_conditional)
    return _diag_mean(log_conditional) - anp.mean(anp.logsumexp(off, axis=0)) + math.log(K - 1)
