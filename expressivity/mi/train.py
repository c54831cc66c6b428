"""Training critics to maximise an MI bound, held-out evaluation, and ``estimate_mi``.

    from expressivity import mi
    res = mi.train("infonce", "separable", mi=mi.staircase(steps_per_level=4000))
    res.estimates                     # per-step training estimates (noisy)
    mi.evaluate(res, mi=10.0)         # stable estimate: mean (and standard error) of the
                                      # bound over fresh held-out batches, critic frozen
    mi.estimate_mi(x, y, bound="infonce", critic="separable")   # your own samples

The loop is :func:`expressivity.training.run_steps` (tqdm progress, Ctrl-C returns what was
done). Setup as in Poole et al. (2019) Sec. 4: fresh batch of K = 64 every step, one Adam
(lr 5e-4) over critic and baseline, float32 networks.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import autodiff as _ad
from ..autodiff import optim, value_and_grad
from ..autodiff.nn import as_generator
from ..training import run_steps
from . import bounds as B
from . import data as D
from .baselines import make_baseline
from .critics import make_critic

__all__ = ["Estimator", "ESTIMATORS", "PAPER_ESTIMATORS", "make_estimator", "TrainResult", "train",
           "evaluate", "estimate_mi", "EstimateResult", "ema"]

_BOUNDS = ("ba", "dv", "mine", "tuba", "nwj", "infonce", "js", "interpolated")


@dataclass(frozen=True)
class Estimator:
    """A bound plus what it needs: ``baseline`` (for tuba / interpolated) and ``alpha_logit``
    (interpolated; alpha = sigmoid(alpha_logit)). ``label`` is used in figures."""

    bound: str
    baseline: Any = None
    alpha_logit: float | None = None
    label: str = ""
    mine_rate: float = 0.01

    @property
    def alpha(self):
        return None if self.alpha_logit is None else 1.0 / (1.0 + math.exp(-self.alpha_logit))

    def cap(self, K):
        """The estimator's ceiling for batch size K (log K for InfoNCE, 1 + log((K-1)/alpha)
        for I_alpha), or None."""
        if self.bound == "infonce":
            return math.log(K)
        if self.bound == "interpolated":
            return B.interpolated_cap(K, self.alpha)
        return None


ESTIMATORS = {
    "tuba": Estimator("tuba", "mlp", label="TUBA"),
    "nwj": Estimator("nwj", label="NWJ"),
    "js": Estimator("js", label="JS"),
    "infonce": Estimator("infonce", label="InfoNCE"),
    "alpha=0.01": Estimator("interpolated", "mlp", -5.0, label=r"$\alpha$=0.01"),
    "alpha=0.5": Estimator("interpolated", "mlp", 0.0, label=r"$\alpha$=0.5"),
    "alpha=0.99": Estimator("interpolated", "mlp", 5.0, label=r"$\alpha$=0.99"),
    "dv": Estimator("dv", label="DV"),
    "mine": Estimator("mine", label="MINE"),
}
# the estimators of the paper's Figure 2 (alpha = sigmoid(-5, 0, 5))
PAPER_ESTIMATORS = ("tuba", "nwj", "js", "infonce", "alpha=0.01", "alpha=0.5", "alpha=0.99")


def make_estimator(bound, baseline=None, alpha=None):
    """An :class:`Estimator` from a name in ``ESTIMATORS``, a bound name, or an Estimator."""
    if isinstance(bound, Estimator):
        return bound
    if bound in ESTIMATORS and baseline is None and alpha is None:
        return ESTIMATORS[bound]
    if bound not in _BOUNDS or bound == "ba":
        raise ValueError(f"bound must be one of {sorted(set(_BOUNDS) - {'ba'}) + sorted(ESTIMATORS)}, got {bound!r}")
    logit = None
    if bound == "interpolated":
        a = 0.5 if alpha is None else float(alpha)
        if not 0.0 < a < 1.0:
            raise ValueError(f"alpha must lie in (0, 1) for training, got {alpha}")
        logit = math.log(a) - math.log1p(-a)
    return Estimator(bound, baseline, logit, label=bound)


def _value(est: Estimator, S, log_a, log_ma=None):
    """The estimator's training objective; its value is the reported estimate."""
    b = est.bound
    if b == "tuba":
        return B.tuba(S, log_a)
    if b == "nwj":
        return B.nwj(S)
    if b == "js":
        return B.js(S)
    if b == "infonce":
        return B.infonce(S)
    if b == "dv":
        return B.dv(S)
    if b == "mine":
        return B.mine(S, log_ma)
    if b == "interpolated":
        return B.interpolated(S, log_baseline=log_a, alpha_logit=est.alpha_logit)
    raise ValueError(f"unknown bound {b!r}")


@dataclass
class TrainResult:
    """Output of :func:`train`: per-step ``estimates`` and ``true_mi`` (NaN where unknown),
    the trained ``params`` ({"critic", "baseline"}), and what produced them.
    ``extra["skipped_steps"]``: steps whose gradient overflowed to NaN and were not applied
    (an exp-bound whose critic ran away; their estimates are kept, usually -inf)."""

    estimates: np.ndarray
    true_mi: np.ndarray
    params: dict
    estimator: Estimator
    critic: Any
    baseline: Any
    batch_size: int
    dim: int
    cubic: bool
    seconds: float
    interrupted: bool = False
    extra: dict = field(default_factory=dict)


def _make_step(est, crit, base, params, lr, log_ma_box, skipped):
    """One training step: value and gradient of the bound, one Adam update. Steps whose gradient
    holds NaN are not applied; their indices are appended to ``skipped``."""
    def objective(p, x, y):
        S = crit.apply(p["critic"], x, y)
        log_a = base.apply(p["baseline"], y)
        log_ma_box[1] = _ad.getval(S)
        return -_value(est, S, log_a, log_ma_box[0])

    vg = value_and_grad(objective)
    opt = optim.adam_inplace(params, lr=lr) if _ad.tree_leaves(params) else None
    counter = [0]

    def step(x, y):
        loss, g = vg(params, x, y)
        if opt is not None:
            # exp-bounds (TUBA, NWJ) whose critic has run away overflow float32 (exp S > 3e38):
            # huge or infinite gradient entries are clipped by Adam; a NaN (inf * 0 in the
            # logsumexp VJP) skips the update, as mixed-precision loss scalers do, and the
            # (non-finite) estimate stays in the record
            if not opt.step(g, skip_nan=True):
                skipped.append(counter[0])
        counter[0] += 1
        if est.bound == "mine":
            log_ma_box[0] = B.mine_update(log_ma_box[0], log_ma_box[1], est.mine_rate)
        log_ma_box[1] = None
        return -float(loss)

    return step


def _init(est, critic, x_dim, y_dim, seed, critic_kwargs, dtype):
    crit = make_critic(critic)
    base = make_baseline(est.baseline)
    rng = as_generator(seed)
    params = {"critic": crit.init(rng, x_dim, y_dim, dtype=dtype, **(critic_kwargs or {})),
              "baseline": base.init(rng, y_dim, dtype=dtype)}
    return crit, base, params, rng


def train(bound="infonce", critic="separable", *, mi=2.0, steps=None, batch_size=64, dim=20,
          cubic=False, lr=5e-4, baseline=None, alpha=None, seed=0, dtype=np.float32,
          critic_kwargs=None, progress=True, desc=None, params=None) -> TrainResult:
    """Train a critic (and baseline) on the correlated-Gaussian benchmark.

    ``mi`` is the true MI in nats, a scalar (then give ``steps``) or one value per step (e.g.
    :func:`~expressivity.mi.data.staircase`). A fresh batch of ``batch_size`` pairs of
    dimension ``dim`` is drawn every step. ``bound`` is an estimator name of ``ESTIMATORS``
    (e.g. ``"alpha=0.5"``), a bound name (with ``baseline``/``alpha``) or an
    :class:`Estimator`. Returns a :class:`TrainResult` (partial if interrupted with Ctrl-C).
    """
    est = make_estimator(bound, baseline, alpha)
    sched = np.atleast_1d(np.asarray(mi, dtype=np.float64))
    if sched.ndim != 1:
        raise ValueError("mi must be a scalar or a 1-D schedule")
    if sched.size == 1:
        if steps is None:
            raise ValueError("give steps when mi is a scalar")
        sched = np.full(int(steps), sched[0])
    elif steps is not None and int(steps) != sched.size:
        raise ValueError(f"steps={steps} disagrees with the schedule length {sched.size}")
    D.mi_to_rho(sched, dim)  # validates
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 2:
        raise ValueError(f"batch_size must be an integer >= 2, got {batch_size!r}")
    crit, base, p0, rng = _init(est, critic, dim, dim, seed, critic_kwargs, dtype)
    params = p0 if params is None else params
    box = [None, None]
    skipped = []
    step = _make_step(est, crit, base, params, lr, box, skipped)

    def one(i):
        x, y = D.sample_gaussian(rng, batch_size, dim, sched[i], cubic, dtype)
        return step(x, y)

    hist = run_steps(one, sched.size, desc=desc or f"{est.label or est.bound} ({crit.name})",
                     progress=progress)
    n = len(hist)
    est_values = hist["value"] if n else np.zeros(0)
    return TrainResult(est_values, sched[:n], params, est, crit, base, batch_size, dim, cubic,
                       hist.seconds, hist.interrupted, extra={"skipped_steps": np.asarray(skipped, int)})


def _estimate_on(est, crit, base, params, x, y, log_ma=None):
    S = crit.apply(params["critic"], x, y)
    log_a = base.apply(params["baseline"], y)
    if est.bound == "mine":
        return float(B.dv(S))
    return float(_value(est, S, log_a, log_ma))


def evaluate(result: TrainResult, mi, n_batches=100, seed=12345, batch_size=None):
    """Stable final estimate: the bound of the frozen critic averaged over ``n_batches`` fresh
    held-out batches at true MI ``mi``. Returns (mean, standard error)."""
    if n_batches < 2:
        raise ValueError(f"n_batches must be >= 2, got {n_batches}")
    rng = as_generator(seed)
    K = batch_size or result.batch_size
    dt = _ad.tree_leaves(result.params)[0].dtype if _ad.tree_leaves(result.params) else np.float64
    vals = np.array([
        _estimate_on(result.estimator, result.critic, result.baseline, result.params,
                     *D.sample_gaussian(rng, K, result.dim, mi, result.cubic, dt))
        for _ in range(n_batches)])
    return float(vals.mean()), float(vals.std(ddof=1) / math.sqrt(n_batches))


@dataclass
class EstimateResult:
    """``value`` (mean of the bound over held-out batches), its standard error ``stderr``, the
    per-step training estimates and the :class:`TrainResult`."""

    value: float
    stderr: float
    train_estimates: np.ndarray
    result: TrainResult


def estimate_mi(x, y, bound="infonce", critic="separable", *, steps=2000, batch_size=64,
                held_out=0.2, lr=5e-4, baseline=None, alpha=None, seed=0, dtype=np.float32,
                critic_kwargs=None, progress=True) -> EstimateResult:
    """Estimate I(X; Y) in nats from paired samples ``x`` (N, dx), ``y`` (N, dy).

    A random ``held_out`` fraction of the pairs is set aside; the critic is trained on
    minibatches of the rest and the reported ``value`` is the bound averaged over disjoint
    held-out batches (not the noisy last training step). Remember the estimator's ceiling:
    InfoNCE never exceeds log(batch_size).
    """
    x = np.asarray(x)
    y = np.asarray(y)
    if x.ndim == 1:
        x = x[:, None]
    if y.ndim == 1:
        y = y[:, None]
    if x.ndim != 2 or y.ndim != 2 or x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must be (N, d) arrays with the same N, got {x.shape} and {y.shape}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("x and y must be finite")
    if not 0.0 < held_out < 1.0:
        raise ValueError(f"held_out must lie in (0, 1), got {held_out}")
    N = x.shape[0]
    n_test = int(round(held_out * N))
    if n_test < 2 * batch_size or N - n_test < batch_size:
        raise ValueError(f"need at least {batch_size} training and {2 * batch_size} held-out pairs "
                         f"(N = {N}, held_out = {held_out}, batch_size = {batch_size})")
    est = make_estimator(bound, baseline, alpha)
    crit, base, params, rng = _init(est, critic, x.shape[1], y.shape[1], seed, critic_kwargs, dtype)
    perm = rng.permutation(N)
    test, tr = perm[:n_test], perm[n_test:]
    xt, yt = x[tr].astype(dtype), y[tr].astype(dtype)
    box = [None, None]
    skipped = []
    step = _make_step(est, crit, base, params, lr, box, skipped)

    def one(i):
        idx = rng.choice(xt.shape[0], batch_size, replace=False)
        return step(xt[idx], yt[idx])

    hist = run_steps(one, int(steps), desc=f"estimate_mi ({est.label or est.bound})", progress=progress)
    res = TrainResult(hist["value"] if len(hist) else np.zeros(0), np.full(len(hist), np.nan),
                      params, est, crit, base, batch_size, x.shape[1], False, hist.seconds,
                      hist.interrupted, extra={"skipped_steps": np.asarray(skipped, int)})
    nb = n_test // batch_size
    vals = np.array([
        _estimate_on(est, crit, base, params, x[test[b * batch_size:(b + 1) * batch_size]].astype(dtype),
                     y[test[b * batch_size:(b + 1) * batch_size]].astype(dtype))
        for b in range(nb)])
    return EstimateResult(float(vals.mean()), float(vals.std(ddof=1) / math.sqrt(nb)), res.estimates, res)


def ema(values, span=200):
    """Exponential moving average with alpha = 2 / (span + 1) (pandas ``ewm(span).mean()``,
    adjust=True: bias-corrected at the start). Non-finite values (an overflowed exp-bound)
    are skipped, as pandas skips NaN; the average carries over them."""
    v = np.asarray(values, dtype=np.float64)
    a = 2.0 / (span + 1.0)
    out = np.empty_like(v)
    num = den = 0.0
    for i, vi in enumerate(v):
        if not math.isfinite(vi):
            out[i] = num / den if den else math.nan
            continue
        num = (1 - a) * num + vi
        den = (1 - a) * den + 1.0
        out[i] = num / den
    return out
