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

The entry points run inside :func:`expressivity.training.blas_threads` (``threads=1`` by
default; ``threads=None`` leaves BLAS alone): the critic's small matrix products are slower
with several BLAS threads, and on a loaded machine 1000 steps took 62 s instead of 1.5 s.
Long runs take ``checkpoint=path``: the run saves its state (parameters, Adam moments, the
generator, the records) every ``checkpoint_every`` seconds and a rerun with the same path
resumes bit-identically from the last save.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import autodiff as _ad
from ..autodiff import optim, value_and_grad
from ..autodiff.nn import as_generator
from ..checks import check_array, check_bool, check_in_range, check_positive, check_positive_int, plain
from ..training import Checkpoint, blas_threads, run_steps
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
    if not isinstance(bound, str):
        raise TypeError(f"bound must be an estimator name, a bound name or an Estimator, got "
                        f"{type(bound).__name__}")
    if bound in ESTIMATORS and baseline is None and alpha is None:
        return ESTIMATORS[bound]
    if bound not in _BOUNDS or bound == "ba":
        raise ValueError(f"bound must be one of {sorted(set(_BOUNDS) - {'ba'}) + sorted(ESTIMATORS)}, got {bound!r}")
    logit = None
    if bound == "interpolated":
        a = 0.5 if alpha is None else check_in_range("alpha", alpha, 0.0, 1.0)
        if not 0.0 < a < 1.0:
            raise ValueError(f"alpha must lie in (0, 1) for training, got {plain(a)}")
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


@dataclass(repr=False)
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

    def __repr__(self):
        n = len(self.estimates)
        last = f"{float(self.estimates[-1]):.4g}" if n else "none"
        true = f"{float(self.true_mi[-1]):.4g}" if n and math.isfinite(self.true_mi[-1]) else "unknown"
        return (f"TrainResult({self.estimator.label or self.estimator.bound}, critic={self.critic.name}, "
                f"steps={n}{' (interrupted)' if self.interrupted else ''}, last estimate={last}, "
                f"true MI={true}, K={self.batch_size}, dim={self.dim}, {self.seconds:.3g} s)")


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

    step.opt = opt
    step.counter = counter
    return step


def _optimizer_state(opt):
    if opt is None:
        return None
    if opt.flat:
        return {"count": opt.count, "m": opt.m.copy(), "v": opt.v.copy()}
    return {"count": opt.count, "m": [a.copy() for a in opt.m], "v": [a.copy() for a in opt.v]}


def _set_optimizer_state(opt, st):
    if opt is None:
        return
    opt.count = st["count"]
    if opt.flat:
        np.copyto(opt.m, st["m"])
        np.copyto(opt.v, st["v"])
    else:
        for a, b in zip(opt.m + opt.v, st["m"] + st["v"]):
            np.copyto(a, b)


def _checkpoint(path, every, params, step, rng, box, skipped):
    """A :class:`~expressivity.training.Checkpoint` of one training run: the parameter arrays
    (restored in place: the optimiser holds them), Adam's moments and count, the generator,
    the MINE moving average and the skipped steps."""
    if path is None:
        return None
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"checkpoint must be None or a file path, got {type(path).__name__}")
    every = check_positive("checkpoint_every", every) if every != 0 else 0.0
    leaves = _ad.tree_leaves(params)

    def get_state():
        return {"params": [np.array(a) for a in leaves], "opt": _optimizer_state(step.opt),
                "rng": rng.bit_generator.state, "log_ma": box[0], "skipped": list(skipped),
                "counter": step.counter[0]}

    def set_state(st):
        if len(st["params"]) != len(leaves) or any(a.shape != b.shape or a.dtype != b.dtype
                                                   for a, b in zip(leaves, st["params"])):
            raise ValueError(f"checkpoint {path} holds parameters of another model")
        for a, b in zip(leaves, st["params"]):
            np.copyto(a, b)
        _set_optimizer_state(step.opt, st["opt"])
        rng.bit_generator.state = st["rng"]
        box[0] = st["log_ma"]
        skipped[:] = st["skipped"]
        step.counter[0] = st["counter"]

    return Checkpoint(path, get_state, set_state, every)


def _init(est, critic, x_dim, y_dim, seed, critic_kwargs, dtype):
    crit = make_critic(critic)
    base = make_baseline(est.baseline)
    rng = as_generator(seed)
    params = {"critic": crit.init(rng, x_dim, y_dim, dtype=dtype, **(critic_kwargs or {})),
              "baseline": base.init(rng, y_dim, dtype=dtype)}
    return crit, base, params, rng


def _check_dtype(dtype):
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be a floating numpy dtype (float32 or float64), got {dtype!r}") from None
    if dt.kind != "f":
        raise TypeError(f"dtype must be a floating numpy dtype (float32 or float64), got {dt}")
    return dt.type


def _check_common(batch_size, lr, dtype, progress):
    return (check_positive_int("batch_size", batch_size, 2), check_positive("lr", lr),
            _check_dtype(dtype), check_bool("progress", progress))


def train(bound="infonce", critic="separable", *, mi=2.0, steps=None, batch_size=64, dim=20,
          cubic=False, lr=5e-4, baseline=None, alpha=None, seed=0, dtype=np.float32,
          critic_kwargs=None, progress=True, desc=None, params=None, threads=1,
          checkpoint=None, checkpoint_every=30.0) -> TrainResult:
    """Train a critic (and baseline) to maximise an MI bound on the correlated-Gaussian
    benchmark (Poole et al. 2019, Sec. 4: x, y in R^dim with I(X; Y) = -(dim/2) log(1 - rho^2)).

    Parameters
    ----------
    bound : str or Estimator
        An estimator name of ``ESTIMATORS`` (e.g. ``"alpha=0.5"``), a bound name (with
        ``baseline``/``alpha``) or an :class:`Estimator`.
    critic : str or Critic or (init, apply)
        ``"separable"``, ``"concat"``, ``"bilinear"`` or your own pair.
    mi : float or 1-D array
        True MI in nats (>= 0): a scalar (then give ``steps``) or one value per step (e.g.
        :func:`~expressivity.mi.data.staircase`).
    steps : int, optional
        Number of steps (>= 1); must equal the schedule's length when ``mi`` is one.
    batch_size : int
        K >= 2 pairs drawn fresh every step.
    dim : int
        Dimension (>= 1) of x and y.
    cubic : bool
        Use y^3 instead of y (same MI).
    lr : float
        Adam learning rate (> 0) over critic and baseline.
    baseline, alpha : optional
        With a bound name: the baseline (None, ``"constant"``, ``"mlp"``, ...) and alpha in
        (0, 1) of ``"interpolated"``.
    seed : int or numpy.random.Generator
    dtype : numpy floating dtype
        Of the networks and batches (float32 as the paper).
    critic_kwargs : dict, optional
        Passed to the critic's ``init``.
    progress : bool
        Show a tqdm bar.
    desc : str, optional
        The bar's label.
    params : pytree, optional
        Start from these parameters (trained in place) instead of fresh ones.
    threads : int or None
        BLAS threads during training (default 1; None leaves the BLAS pools alone).
    checkpoint : str or path, optional
        A file to save the run's state to every ``checkpoint_every`` seconds; a rerun with the
        same file resumes from it (bit-identical to an uninterrupted run). Removed at the end.
    checkpoint_every : float
        Seconds between saves (0: after every step).

    Returns
    -------
    TrainResult
        Per-step ``estimates`` and ``true_mi``, the trained ``params``; partial (with
        ``interrupted=True``) if stopped with Ctrl-C.

    Raises
    ------
    TypeError
        For arguments of the wrong type (e.g. ``steps=2.5``, a string ``mi``).
    ValueError
        For values out of range (negative ``steps`` or ``mi``, ``batch_size < 2``, unknown
        ``bound`` or ``critic``, a schedule whose length disagrees with ``steps``).
    """
    est = make_estimator(bound, baseline, alpha)
    sched = check_array("mi", mi, ndim=(0, 1))
    sched = np.atleast_1d(sched)
    dim = check_positive_int("dim", dim)
    cubic = check_bool("cubic", cubic)
    batch_size, lr, dtype, progress = _check_common(batch_size, lr, dtype, progress)
    if steps is not None:
        steps = check_positive_int("steps", steps)
    if sched.size == 1:
        if steps is None:
            raise ValueError("steps must be given (an integer >= 1) when mi is a scalar")
        sched = np.full(steps, sched[0])
    elif steps is not None and steps != sched.size:
        raise ValueError(f"steps={steps} disagrees with the schedule length {sched.size} of mi")
    D.mi_to_rho(sched, dim)  # validates
    crit, base, p0, rng = _init(est, critic, dim, dim, seed, critic_kwargs, dtype)
    params = p0 if params is None else params
    box = [None, None]
    skipped = []
    with blas_threads(threads):
        step = _make_step(est, crit, base, params, lr, box, skipped)
        ckpt = _checkpoint(checkpoint, checkpoint_every, params, step, rng, box, skipped)

        def one(i):
            x, y = D.sample_gaussian(rng, batch_size, dim, sched[i], cubic, dtype)
            return step(x, y)

        hist = run_steps(one, sched.size, desc=desc or f"{est.label or est.bound} ({crit.name})",
                         progress=progress, checkpoint=ckpt)
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


def evaluate(result: TrainResult, mi, n_batches=100, seed=12345, batch_size=None, threads=1):
    """Stable final estimate: the bound of the frozen critic averaged over fresh held-out
    batches at true MI ``mi`` (Poole et al. 2019 report such held-out averages, not the noisy
    training estimates): mean_b I(S_b) and its standard error std_b / sqrt(n_batches).

    Parameters
    ----------
    result : TrainResult
        The output of :func:`train`.
    mi : float
        True MI (nats, >= 0) of the held-out batches.
    n_batches : int
        Number of batches (>= 2).
    seed : int or numpy.random.Generator
        Draws the held-out batches.
    batch_size : int, optional
        K >= 2 (default: the training batch size).
    threads : int or None
        BLAS threads (default 1; None leaves the pools alone).

    Returns
    -------
    (float, float)
        Mean and standard error of the bound over the batches.

    Raises
    ------
    TypeError, ValueError
        For a ``result`` that is not a TrainResult, ``n_batches < 2``, a negative or
        non-finite ``mi``, a bad ``batch_size`` or ``seed``.
    """
    if not isinstance(result, TrainResult):
        raise TypeError(f"result must be a TrainResult (from mi.train), got {type(result).__name__}")
    n_batches = check_positive_int("n_batches", n_batches, 2)
    mi = float(check_array("mi", mi, ndim=0))
    D.mi_to_rho(mi, result.dim)
    rng = as_generator(seed)
    K = result.batch_size if batch_size is None else check_positive_int("batch_size", batch_size, 2)
    dt = _ad.tree_leaves(result.params)[0].dtype if _ad.tree_leaves(result.params) else np.float64
    with blas_threads(threads):
        vals = np.array([
            _estimate_on(result.estimator, result.critic, result.baseline, result.params,
                         *D.sample_gaussian(rng, K, result.dim, mi, result.cubic, dt))
            for _ in range(n_batches)])
    return float(vals.mean()), float(vals.std(ddof=1) / math.sqrt(n_batches))


@dataclass(repr=False)
class EstimateResult:
    """``value`` (mean of the bound over held-out batches), its standard error ``stderr``, the
    per-step training estimates and the :class:`TrainResult`."""

    value: float
    stderr: float
    train_estimates: np.ndarray
    result: TrainResult

    def __repr__(self):
        r = self.result
        return (f"EstimateResult(value={self.value:.4g}, stderr={self.stderr:.2g}, "
                f"bound={r.estimator.label or r.estimator.bound}, critic={r.critic.name}, "
                f"steps={len(self.train_estimates)}{' (interrupted)' if r.interrupted else ''}, "
                f"K={r.batch_size})")


def estimate_mi(x, y, bound="infonce", critic="separable", *, steps=2000, batch_size=64,
                held_out=0.2, lr=5e-4, baseline=None, alpha=None, seed=0, dtype=np.float32,
                critic_kwargs=None, progress=True, threads=1, checkpoint=None,
                checkpoint_every=30.0) -> EstimateResult:
    """Estimate I(X; Y) in nats from paired samples with a variational bound (Poole et al. 2019).

    A random ``held_out`` fraction of the pairs is set aside; the critic is trained on
    minibatches of the rest and the reported ``value`` is the bound averaged over disjoint
    held-out batches (not the noisy last training step). Remember the estimator's ceiling:
    InfoNCE never exceeds log(batch_size).

    Parameters
    ----------
    x, y : array (N, dx), (N, dy)
        Paired samples (1-D arrays are one feature); finite reals.
    bound, critic, baseline, alpha, lr, seed, dtype, critic_kwargs, progress, threads, checkpoint, checkpoint_every
        As in :func:`train`.
    steps : int
        Training steps (>= 1).
    batch_size : int
        K >= 2 pairs per step and per held-out batch.
    held_out : float
        Fraction in (0, 1) of the pairs kept for evaluation.

    Returns
    -------
    EstimateResult
        ``value``, ``stderr``, the training estimates and the :class:`TrainResult`.

    Raises
    ------
    TypeError
        For non-numeric or complex samples and arguments of the wrong type.
    ValueError
        For mismatched shapes, non-finite samples, too few pairs for ``batch_size`` and
        ``held_out``, values out of range.
    """
    x = check_array("x", x, ndim=(1, 2), dtype=None)
    y = check_array("y", y, ndim=(1, 2), dtype=None)
    if x.ndim == 1:
        x = x[:, None]
    if y.ndim == 1:
        y = y[:, None]
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must be (N, d) arrays with the same N, got {x.shape} and {y.shape}")
    held_out = check_in_range("held_out", held_out, 0.0, 1.0)
    if not 0.0 < held_out < 1.0:
        raise ValueError(f"held_out must lie in (0, 1), got {plain(held_out)}")
    steps = check_positive_int("steps", steps)
    batch_size, lr, dtype, progress = _check_common(batch_size, lr, dtype, progress)
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
    with blas_threads(threads):
        step = _make_step(est, crit, base, params, lr, box, skipped)
        ckpt = _checkpoint(checkpoint, checkpoint_every, params, step, rng, box, skipped)

        def one(i):
            idx = rng.choice(xt.shape[0], batch_size, replace=False)
            return step(xt[idx], yt[idx])

        hist = run_steps(one, steps, desc=f"estimate_mi ({est.label or est.bound})",
                         progress=progress, checkpoint=ckpt)
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
    v = check_array("values", values, ndim=1, min_size=0, finite=False)
    span = check_positive("span", span)
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
