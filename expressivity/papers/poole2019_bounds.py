"""Poole, Ozair, van den Oord, Alemi & Tucker (2019), "On Variational Bounds of Mutual
Information" (ICML 2019, arXiv 1905.06922): settings and figures.

The MI staircase (Fig. 2), bias / variance / MSE with the optimal critic (Fig. 3) and the
I_alpha trade-off across alpha, on the bounds, critics and trainer of :mod:`expressivity.mi`.
Full settings are the paper's: staircase 2, 4, 6, 8, 10 nats with 4000 steps each, batch 64,
Adam 5e-4, 2 x 256 ReLU critics with 32-d embeddings (separable) and the concat critic on
all K^2 pairs, d = 20. One separable staircase (7 estimators x 20 000 steps) is ~10
CPU-minutes; one concat staircase ~75-95 CPU-minutes. Notebook: ``notebooks/poole2019_bounds.ipynb``.

The staircase is the long figure: each (critic, data, estimator) run is one verified sweep cell in
``cache_dir``, so an interrupted figure job resumes with the estimators that are still missing
(and can run them on several processes or a dask cluster).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from meanfield.figures import pyplot

from .. import sweep
from ..mi import bounds as B
from ..mi import data as D
from ..mi.train import ESTIMATORS, PAPER_ESTIMATORS, ema, make_estimator, train
from . import FigureJob

__all__ = ["staircase_runs", "figure_staircase", "optimal_critic_stats", "figure_bias_variance",
           "figure_alpha_tradeoff", "longest_first", "JOBS"]


# ----------------------------------------------------------------------------- Fig. 2

def staircase_cell(estimator, critic, cubic, levels, steps_per_level, batch_size, dim, lr, seed,
                   critic_kwargs):
    """One estimator's staircase run as a sweep cell (module level: runs in worker processes).
    ``levels`` and ``critic_kwargs`` arrive as JSON strings.

    The run (minutes) checkpoints every 10 s to a file named by a hash of all its arguments
    in ``$EXPRESSIVITY_CHECKPOINT_DIR`` (the figure command sets it to the figure's cache,
    ``<out>/.cache/<figure>/checkpoints``; default: <tmp>/expressivity-checkpoints), so an
    interrupted figure cell resumes where it stopped; the file is removed when it completes.
    """
    import hashlib
    import os
    import tempfile

    from .. import __version__

    key = json.dumps([__version__, estimator, critic, cubic, levels, steps_per_level, batch_size, dim,
                      lr, seed, critic_kwargs], sort_keys=True, default=str)
    ckpt_dir = os.environ.get("EXPRESSIVITY_CHECKPOINT_DIR") or os.path.join(
        tempfile.gettempdir(), "expressivity-checkpoints")
    ckpt = os.path.join(ckpt_dir, f"staircase-{hashlib.sha256(key.encode()).hexdigest()[:20]}.pkl")
    res = train(make_estimator(estimator), critic, mi=D.staircase(tuple(json.loads(levels)), steps_per_level),
                batch_size=batch_size, dim=dim, cubic=cubic, lr=lr, seed=seed,
                critic_kwargs=json.loads(critic_kwargs), progress=False, checkpoint=ckpt,
                checkpoint_every=10.0)
    if res.interrupted:
        raise KeyboardInterrupt(f"staircase run {estimator!r} interrupted")
    return {"estimates": res.estimates, "true_mi": res.true_mi}


def staircase_runs(estimators=PAPER_ESTIMATORS, critic="separable", cubic=False,
                   levels=(2.0, 4.0, 6.0, 8.0, 10.0), steps_per_level=4000, batch_size=64, dim=20,
                   lr=5e-4, seed=0, critic_kwargs=None, cache_dir=None, progress=True, executor="inprocess"):
    """Train every estimator on the MI staircase; returns {name: (estimates, true_mi)}.

    Each estimator's run is one cell of a sweep (:func:`expressivity.sweep.run_rows`): with
    ``cache_dir`` finished runs are verified and reused, so an interrupted figure resumes with
    the estimators that are left; ``executor`` as in :func:`expressivity.sweep.run` (None:
    local processes on all cores).
    """
    order = longest_first(estimators)   # so a pool of workers ends together
    rows = [dict(estimator=name, critic=critic, cubic=bool(cubic)) for name in order]
    fixed = dict(levels=json.dumps(list(map(float, levels))), steps_per_level=steps_per_level,
                 batch_size=batch_size, dim=dim, lr=lr, seed=seed,
                 critic_kwargs=json.dumps(critic_kwargs or {}, sort_keys=True))
    res = sweep.run_rows("staircase", staircase_cell, rows, cache_dir, fixed=fixed, executor=executor,
                   progress=progress)
    out = {name: (res["estimates"][k], res["true_mi"][k]) for k, name in enumerate(order)}
    return {name: out[name] for name in estimators}


def longest_first(estimators):
    """The estimators ordered by decreasing cost of a training step (longest-processing-time-
    first scheduling; the ones with a learned baseline network cost ~2.5x the others)."""
    return sorted(estimators, key=lambda name: -_relative_cost(name))


def _relative_cost(estimator):
    """Rough relative cost of one training step (for scheduling only): a learned MLP baseline
    (2 x 512) more than doubles a step; I_alpha's leave-one-out terms add a little more."""
    est = make_estimator(estimator)
    cost = 1.0 + (1.5 if est.baseline == "mlp" else 0.0)
    return cost + {"interpolated": 0.3, "js": 0.15, "nwj": 0.05}.get(est.bound, 0.0)


def figure_staircase(estimators=PAPER_ESTIMATORS, critics=("separable", "concat"), cubic=False,
                     levels=(2.0, 4.0, 6.0, 8.0, 10.0), steps_per_level=4000, batch_size=64,
                     dim=20, lr=5e-4, seed=0, ema_span=200, critic_kwargs=None, cache_dir=None,
                     progress=True, ylim=(-1.0, 12.0), executor="inprocess"):
    """Paper Fig. 2: per-step estimates (light) and their EMA (dark, span ``ema_span``) on the
    staircase of true MI (black), one row per critic and one column per estimator; dashed:
    log K for InfoNCE and the cap 1 + log((K-1)/alpha) for I_alpha. ``executor`` runs the
    estimators' cells (:func:`expressivity.sweep.run`; ``expressivity-figures --workers N``)."""
    plt = pyplot()

    if isinstance(critics, str):
        critics = (critics,)
    estimators = tuple(estimators)
    fig, axes = plt.subplots(len(critics), len(estimators), squeeze=False, sharex=True, sharey=True,
                             figsize=(2.3 * len(estimators), 2.2 * len(critics) + 0.6))
    colors = plt.get_cmap("tab10")
    for r, critic in enumerate(critics):
        runs = staircase_runs(estimators, critic, cubic, levels, steps_per_level, batch_size, dim,
                              lr, seed, critic_kwargs,
                              None if cache_dir is None else Path(cache_dir), progress, executor)
        for c, name in enumerate(estimators):
            ax = axes[r, c]
            est_vals, true_mi = runs[name]
            steps = np.arange(len(est_vals))
            col = colors(c % 10)
            ax.plot(steps, est_vals, color=col, alpha=0.25, lw=0.5)
            ax.plot(steps, ema(est_vals, ema_span), color=col, lw=1.2)
            ax.plot(steps, true_mi, color="k", lw=1.0)
            bad = int(np.sum(~np.isfinite(est_vals)))
            if bad:   # overflowed float32 exp-bound steps (their updates were skipped)
                ax.text(0.03, 0.95, f"{bad} steps overflowed", transform=ax.transAxes, fontsize=6,
                        va="top")
            cap = make_estimator(name).cap(batch_size)
            if cap is not None:
                ax.axhline(cap, color="k", ls="--", lw=0.8)
            ax.set_ylim(*ylim)
            if r == 0:
                ax.set_title(ESTIMATORS[name].label if name in ESTIMATORS else str(name), fontsize=9)
            if c == 0:
                ax.set_ylabel(f"{critic}\nMI (nats)", fontsize=8)
            if r == len(critics) - 1:
                ax.set_xlabel("step", fontsize=8)
            ax.tick_params(labelsize=7)
    fig.suptitle(f"MI staircase, {'cubic' if cubic else 'Gaussian'} data, d={dim}, K={batch_size}",
                 fontsize=10)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- Fig. 3

def _optimal_estimates(x, y, I, alphas):
    L = D.log_conditional(x, y, I)
    la = D.log_marginal(y)
    pmi = L - la[None, :]
    out = {"NWJ / TUBA": float(B.nwj(pmi + 1.0)), "InfoNCE": float(B.infonce(pmi)),
           "DV": float(B.dv(pmi))}
    for a in alphas:
        out[f"alpha={a:g}"] = float(B.interpolated(L, a, la))
    return out


def optimal_critic_stats(mis, K=64, n_batches=500, dim=20, alphas=(0.01, 0.5, 0.99), seed=0):
    """Bias, variance and MSE of each estimator with the optimal critic (NWJ with f* = 1 +
    PMI, identical to TUBA with f = log p(y|x) and a = p(y); InfoNCE and DV with f = PMI;
    I_alpha with f = log p(y|x), a = p(y)) over ``n_batches`` batches of size K per true MI.

    Returns {name: dict(bias=(n_mi,), var=(n_mi,), mse=(n_mi,))}.
    """
    mis = np.asarray(mis, dtype=np.float64)
    rng = np.random.default_rng(seed)
    stats = {}
    for k, I in enumerate(mis):
        vals = {}
        for _ in range(n_batches):
            x, y = D.sample_gaussian(rng, K, dim, I)
            for name, v in _optimal_estimates(x, y, I, alphas).items():
                vals.setdefault(name, []).append(v)
        for name, v in vals.items():
            v = np.asarray(v)
            s = stats.setdefault(name, {q: np.zeros(mis.size) for q in ("bias", "var", "mse")})
            s["bias"][k] = v.mean() - I
            s["var"][k] = v.var(ddof=1)
            s["mse"][k] = np.mean((v - I) ** 2)
    return stats


def figure_bias_variance(mis=tuple(np.arange(0.0, 10.5, 1.0)), Ks=(64, 128), n_batches=500, dim=20,
                         alphas=(0.01, 0.5, 0.99), seed=0):
    """Paper Fig. 3: bias, variance and MSE against true MI with the optimal critic, one column
    per batch size K."""
    plt = pyplot()

    fig, axes = plt.subplots(3, len(Ks), squeeze=False, figsize=(4.2 * len(Ks), 8), sharex=True)
    for c, K in enumerate(Ks):
        st = optimal_critic_stats(mis, K, n_batches, dim, alphas, seed + c)
        for name, s in st.items():
            ls = "--" if name == "DV" else "-"
            axes[0, c].plot(mis, s["bias"], ls, label=name, marker=".")
            # at I = 0 every estimate is 0 up to rounding: leave it off the log axes
            axes[1, c].semilogy(mis, np.where(s["var"] > 1e-20, s["var"], np.nan), ls, marker=".")
            axes[2, c].semilogy(mis, np.where(s["mse"] > 1e-20, s["mse"], np.nan), ls, marker=".")
        axes[0, c].axhline(0, color="k", lw=0.6)
        axes[0, c].set_title(f"K = {K}")
        axes[2, c].set_xlabel("true MI (nats)")
    for r, lab in enumerate(("bias", "variance", "MSE")):
        axes[r, 0].set_ylabel(lab)
    axes[0, 0].legend(fontsize=7)
    fig.suptitle(f"Optimal critic, d={dim}, {n_batches} batches per point", fontsize=10)
    fig.tight_layout()
    return fig


def figure_alpha_tradeoff(alphas=tuple(np.logspace(-3, 0, 13)), mis=(2.0, 6.0, 10.0), K=64,
                          n_batches=500, dim=20, seed=0):
    """I_alpha's bias-variance trade-off: bias, variance and MSE of the leave-one-out I_alpha
    (optimal critic f = log p(y|x), baseline a = p(y)) against alpha, one curve per true MI.
    Small alpha: TUBA-like, unbiased, high variance; alpha -> 1: NCE-like, capped, low
    variance."""
    plt = pyplot()

    alphas = np.asarray(alphas, dtype=np.float64)
    rng = np.random.default_rng(seed)
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    for I in mis:
        vals = np.zeros((n_batches, alphas.size))
        for b in range(n_batches):
            x, y = D.sample_gaussian(rng, K, dim, I)
            L, la = D.log_conditional(x, y, I), D.log_marginal(y)
            vals[b] = [B.interpolated(L, a, la) for a in alphas]
        bias = vals.mean(0) - I
        axes[0].semilogx(alphas, bias, marker=".", label=f"I = {I:g}")
        axes[1].loglog(alphas, vals.var(0, ddof=1), marker=".")
        axes[2].loglog(alphas, np.mean((vals - I) ** 2, 0), marker=".")
    axes[0].axhline(0, color="k", lw=0.6)
    for ax, lab in zip(axes, ("bias", "variance", "MSE")):
        ax.set_xlabel(r"$\alpha$")
        ax.set_ylabel(lab)
    axes[0].legend(fontsize=8)
    fig.suptitle(rf"$I_\alpha$ trade-off, optimal critic, K={K}, d={dim}", fontsize=10)
    fig.tight_layout()
    return fig


# ---- the figure jobs -----------------------------------------------------------------------
_QUICK_STAIR = dict(levels=(2.0, 4.0), steps_per_level=15, batch_size=16, dim=5,
                    critic_kwargs=dict(hidden=(16,)), progress=False)
_FULL_STAIR = dict(levels=(2.0, 4.0, 6.0, 8.0, 10.0), steps_per_level=4000, batch_size=64, dim=20,
                   lr=5e-4, seed=0)

JOBS = [
    FigureJob(f"poole2019_bounds_fig2_{critic}_{data}", figure_staircase,
              full=dict(_FULL_STAIR, critics=(critic,), cubic=data == "cubic"),
              quick=dict(_QUICK_STAIR, critics=(critic,), cubic=data == "cubic"),
              uses_cache=True,
              description=f"Fig. 2: MI staircase, {critic} critic, {data} data, all estimators")
    for critic in ("separable", "concat") for data in ("gaussian", "cubic")
] + [
    FigureJob("poole2019_bounds_fig3_bias_variance", figure_bias_variance,
              full=dict(mis=tuple(float(v) for v in range(0, 11)), Ks=(64, 128), n_batches=1000, dim=20),
              quick=dict(mis=(1.0, 4.0), Ks=(16, 32), n_batches=10, dim=5),
              description="Fig. 3: bias, variance, MSE vs true MI with the optimal critic"),
    FigureJob("poole2019_bounds_alpha_tradeoff", figure_alpha_tradeoff,
              full=dict(alphas=tuple(float(a) for a in (1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 0.5, 0.9, 0.99, 1.0)),
                        mis=(2.0, 6.0, 10.0), K=64, n_batches=1000, dim=20),
              quick=dict(alphas=(0.01, 0.5, 1.0), mis=(2.0,), K=16, n_batches=10, dim=5),
              description="I_alpha bias/variance/MSE trade-off across alpha"),
]
