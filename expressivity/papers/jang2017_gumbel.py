"""Jang, Gu & Poole (2017), "Categorical Reparameterization with Gumbel-Softmax" (ICLR 2017,
arXiv 1611.01144): settings and figures.

Fig. 1 (the relaxed distribution for several tau), the categorical-VAE comparison of gradient
estimators (Gumbel-Softmax, straight-through Gumbel-Softmax, straight-through, score function
with a moving-average baseline) on binarised 8 x 8 digits over seeds, and the variance of each
estimator's gradient at the same parameters. Library: :mod:`expressivity.latent`.

Paper settings (Sec. 4.3): 20 categorical variables x 10 classes on 28 x 28 binarised MNIST,
encoder 512-256, decoder 256-512 (ReLU), batch 100, tau = max(0.5, exp(-r t)) updated every N
steps (r in {1e-5, 1e-4}, N in {500, 1000}), analytic categorical KL against the uniform prior.
The reference code ``ericjang/gumbel-softmax`` has two notebooks and no score-function
estimator: ``Categorical VAE.ipynb`` (30 x 10, Adam lr 1e-3 times 0.9 every 1000 steps, r = 3e-5
every 1000 steps, 50000 steps) and ``gumbel_softmax_vae_v2.ipynb`` (20 x 10, Adam lr 3e-4, tau
fixed at 1, relaxed KL, dynamic binarisation, 50000 steps). CPU scale here: 8 variables x 8
classes (a 20 x 10 latent collapsed to R = 0 on the 64-pixel digits for every estimator),
256-128 / 128-256, 3000 steps at batch 100 (~210 epochs of the 1438 training digits), r = 2e-4
every 500 steps (tau reaches 0.55), constant Adam lr 1e-3 and 3e-4 (the two notebooks' rates);
the score function uses a moving-average baseline (decay 0.99) and the analytic KL gradient.
Notebook: ``notebooks/jang2017_gumbel.ipynb``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from meanfield.figures import pyplot

from .. import sweep
from ..latent import estimators as est
from ..latent.distributions import gumbel_softmax_log_prob, gumbel_softmax_sample
from ..latent.experiments import gradient_variance, gs_cell
from . import FigureJob

__all__ = ["PUBLISHED", "estimator_runs", "figure_relaxed", "figure_estimators", "figure_variance", "JOBS"]

#: Jang et al. (2017) Table 1, VAE with categorical latents (20 x 10) on binarised MNIST:
#: negative ELBO in nats on the test set.
PUBLISHED = {"score_function": 110.6, "st": 110.9, "st_gumbel": 107.8, "gumbel": 101.5}

_COLORS = {"gumbel": "tab:blue", "st_gumbel": "tab:green", "st": "tab:orange", "score_function": "tab:red"}


# ----------------------------------------------------------------------------- Fig. 1

def figure_relaxed(taus=(0.1, 0.5, 1.0, 10.0), logits=(0.1, 0.5, 1.5, 0.8, -0.5), n_mc=20000, seed=0,
                   grid=300):
    """Paper Fig. 1: for each tau, the expectation of a Gumbel-Softmax vector (top; dots: the
    categorical probabilities), one sample (middle, the same Gumbel noise for every tau), and
    (bottom) the log density on the 2-simplex of a 3-class Gumbel-Softmax
    (:func:`~expressivity.latent.gumbel_softmax_log_prob`)."""
    plt = pyplot()
    logits = np.asarray(logits, np.float64)
    k = len(logits)
    p = np.exp(logits - logits.max())
    p /= p.sum()
    fig, axes = plt.subplots(3, len(taus), figsize=(2.6 * len(taus), 7.2))
    l3 = logits[:3]
    # barycentric grid on the 2-simplex
    u = (np.arange(grid) + 0.5) / grid
    A, B = np.meshgrid(u, u)
    inside = A + B < 1 - 1e-9
    Y = np.stack([A[inside], B[inside], 1 - A[inside] - B[inside]], -1)
    px, py = Y[:, 1] + 0.5 * Y[:, 2], np.sqrt(3) / 2 * Y[:, 2]
    for c, tau in enumerate(taus):
        ys = gumbel_softmax_sample(np.broadcast_to(logits, (n_mc, k)), tau, np.random.default_rng(seed))
        ax = axes[0, c]
        ax.bar(np.arange(k), ys.mean(0), color="tab:blue", alpha=0.7)
        ax.plot(np.arange(k), p, "ko", ms=4, label="categorical p")
        ax.set_ylim(0, 1)
        ax.set_title(rf"$\tau$ = {tau:g}", fontsize=10)
        ax = axes[1, c]
        ax.bar(np.arange(k), ys[0], color="tab:purple", alpha=0.8)
        ax.set_ylim(0, 1)
        ax = axes[2, c]
        lp = gumbel_softmax_log_prob(Y, l3, tau)
        lo = np.percentile(lp, 2)
        ax.tripcolor(px, py, np.clip(lp, lo, None), shading="gouraud", cmap="viridis")
        ax.set_aspect("equal")
        ax.axis("off")
    axes[0, 0].set_ylabel("E[y] (bars), p (dots)")
    axes[0, 0].legend(fontsize=7)
    axes[1, 0].set_ylabel("one sample y")
    axes[2, 0].set_title("log density, k = 3", fontsize=8, loc="left")
    fig.suptitle("Gumbel-Softmax: expectation, a sample, and the density on the simplex", fontsize=10)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------------- estimators

def estimator_runs(estimators=est.ESTIMATORS, seeds=(0, 1, 2), steps=3000, lr=1e-3, anneal_rate=2e-4,
                   anneal_every=500, eval_every=250, n_vars=8, n_classes=8, cache_dir=None, progress=True,
                   executor=None):
    """Every (estimator, seed) run as one sweep cell; returns the LabelledArray (rows in the
    order estimator-major) and the row list."""
    rows = [dict(estimator=e, seed=int(s)) for e in estimators for s in seeds]
    ck = None if cache_dir is None else str(Path(cache_dir) / "checkpoints")
    res = sweep.run_rows("gs_runs", gs_cell, rows, cache_dir, executor=executor, progress=progress,
                         fixed=dict(steps=steps, lr=lr, anneal_rate=anneal_rate, anneal_every=anneal_every,
                                    eval_every=eval_every, n_vars=n_vars, n_classes=n_classes, checkpoint_dir=ck))
    return res, rows


def _pm(v, fmt="{:.2f}"):
    v = np.asarray(v, float)
    return (fmt + " ± " + fmt).format(v.mean(), v.std(ddof=1)) if len(v) > 1 else fmt.format(v.mean())


def _at(steps_, curve, budget):
    """The curve's value at the evaluation step nearest to ``budget``."""
    return curve[..., int(np.argmin(np.abs(np.asarray(steps_) - budget)))]


def figure_estimators(estimators=est.ESTIMATORS, seeds=(0, 1, 2), steps=3000, lrs=(1e-3,), anneal_rate=2e-4,
                      anneal_every=500, eval_every=250, n_vars=8, n_classes=8, budgets=(250, 500, 1000, 3000),
                      cache_dir=None, progress=True, executor=None):
    """One row per Adam learning rate in ``lrs``. Left: test -ELBO over training (mean and range
    over seeds, log step axis) per estimator; middle: the score function's excess -ELBO over
    Gumbel-Softmax at equal steps, seed by seed (same seed: same initial parameters and
    batches); right: the table of test -ELBO after each step budget in ``budgets`` (one
    posterior sample per test digit at the intermediate budgets, 10 at the end) next to the
    published -ELBO."""
    plt = pyplot()
    lrs = tuple(float(v) for v in np.atleast_1d(lrs))
    fig, axes = plt.subplots(len(lrs), 3, figsize=(16.5, 4.4 * len(lrs)), squeeze=False,
                             gridspec_kw=dict(width_ratios=[1, 0.8, 1.6]))
    budgets = sorted({int(b) for b in budgets if b < steps} | {int(steps)})
    for (ax, axd, axt), lr in zip(axes, lrs):
        res, rows = estimator_runs(estimators, seeds, steps, lr, anneal_rate, anneal_every, eval_every,
                                   n_vars, n_classes, cache_dir, progress, executor)
        table, curves_of = [], {}
        for e in estimators:
            idx = [k for k, r in enumerate(rows) if r["estimator"] == e]
            steps_ = np.asarray(res["curve_step"][idx[0]])
            curves = -np.asarray([res["curve_test_elbo"][k] for k in idx])
            curves_of[e] = (steps_, curves)
            ax.plot(steps_, curves.mean(0), color=_COLORS.get(e), label=est.LABELS[e])
            ax.fill_between(steps_, curves.min(0), curves.max(0), color=_COLORS.get(e), alpha=0.2)
            cells = [_pm(_at(steps_, curves, b)) for b in budgets[:-1]] + [_pm(-res["test_elbo"][idx])]
            table.append([est.LABELS[e], *cells, _pm(res["test_R"][idx], "{:.1f}"),
                          f"{PUBLISHED[e]:.1f}" if e in PUBLISHED else ""])
        ax.set_xscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel("test -ELBO (nats)")
        ax.legend(fontsize=8)
        lo = np.nanmin(-res["test_elbo"]) - 1.0
        ax.set_ylim(lo, lo + 12.0)
        ax.set_title(f"Adam lr {lr:g}: categorical VAE {n_vars} x {n_classes}, binarised digits, {len(seeds)} "
                     "seeds (band: range)", fontsize=9)
        if "score_function" in curves_of and "gumbel" in curves_of:
            (s_sf, c_sf), (s_gs, c_gs) = curves_of["score_function"], curves_of["gumbel"]
            diff = c_sf - c_gs
            for j in range(len(diff)):
                axd.plot(s_sf, diff[j], color="tab:red", alpha=0.35, lw=0.8)
            axd.plot(s_sf, diff.mean(0), color="tab:red", lw=2, label="mean over seeds")
            axd.axhline(0.0, color="k", lw=0.8)
            axd.set_xscale("log")
            axd.set_xlabel("step")
            axd.set_ylabel("-ELBO: score function minus GS (nats)")
            axd.legend(fontsize=7)
            axd.set_title(f"lr {lr:g}: the score function's lag at equal steps", fontsize=9)
        else:
            axd.axis("off")
        axt.axis("off")
        cols = ["estimator", *[f"{b} steps" for b in budgets], "R (end)", "paper (MNIST)"]
        t = axt.table(cellText=table, colLabels=cols, loc="center")
        t.auto_set_font_size(False)
        t.set_fontsize(7.5)
        t.auto_set_column_width([0])
        t.scale(1, 1.5)
        axt.set_title(f"lr {lr:g}: test -ELBO (nats), mean ± std over seeds, after each step budget\n"
                      "paper: 20 x 10 latents on 28 x 28 MNIST (Table 1) — compare the ordering, not the values",
                      fontsize=8)
    fig.tight_layout()
    return fig


def _variance_cell(tau, train_steps, n_grads, seed, n_vars=8, n_classes=8):
    return gradient_variance(est.ESTIMATORS, train_steps=train_steps, n_grads=n_grads, tau=tau, seed=seed,
                             n_vars=n_vars, n_classes=n_classes)


def figure_variance(taus=(0.5, 1.0), train_steps=1000, n_grads=200, seed=0, n_vars=8, n_classes=8, cache_dir=None,
                    progress=True):
    """Variance of each estimator's encoder gradient (mean per-parameter variance over
    ``n_grads`` noise draws, same parameters and minibatch) on a log scale, for each tau of
    the relaxed estimators; the numbers above the bars are the ratios to the score function."""
    plt = pyplot()
    rows = [dict(tau=float(t), train_steps=int(train_steps), n_grads=int(n_grads), seed=int(seed),
                 n_vars=int(n_vars), n_classes=int(n_classes)) for t in taus]
    res = sweep.run_rows("grad_variance", _variance_cell, rows, cache_dir, executor="inprocess", progress=progress)
    fig, axes = plt.subplots(1, len(taus), figsize=(4.6 * len(taus), 3.6), squeeze=False)
    for c, tau in enumerate(taus):
        ax = axes[0, c]
        v = np.array([float(res[f"var_{e}"][c]) for e in est.ESTIMATORS])
        ax.bar(range(len(v)), v, color=[_COLORS[e] for e in est.ESTIMATORS])
        ax.set_yscale("log")
        sf = v[list(est.ESTIMATORS).index("score_function")]
        for i, vi in enumerate(v):
            ax.text(i, vi * 1.3, f"{vi / sf:.2g}x", ha="center", fontsize=8)
        ax.set_xticks(range(len(v)), [est.LABELS[e] for e in est.ESTIMATORS], rotation=15, fontsize=8)
        ax.set_ylim(v.min() / 3, v.max() * 10)
        ax.set_title(rf"$\tau$ = {tau:g} (relaxed estimators)", fontsize=9)
    axes[0, 0].set_ylabel("gradient variance (mean over encoder params)")
    fig.suptitle(f"Encoder-gradient variance at the same parameters (GS-trained {train_steps} steps), "
                 f"{n_grads} draws, batch 100", fontsize=9)
    fig.tight_layout()
    return fig


# ---- the figure jobs -----------------------------------------------------------------------
_QUICK_RUNS = dict(seeds=(0,), steps=40, eval_every=20, progress=False, executor="inprocess")

JOBS = [
    FigureJob("jang2017_gumbel_fig1_relaxed", figure_relaxed,
              full=dict(taus=(0.1, 0.5, 1.0, 10.0), n_mc=20000, grid=300),
              quick=dict(taus=(0.1, 1.0), n_mc=500, grid=40),
              description="Fig. 1: Gumbel-Softmax expectation, samples and simplex density for several tau"),
    FigureJob("jang2017_gumbel_estimators", figure_estimators,
              full=dict(seeds=(0, 1, 2, 3, 4), steps=3000, lrs=(1e-3, 3e-4), anneal_rate=2e-4, anneal_every=500,
                        eval_every=100, n_vars=8, n_classes=8, budgets=(100, 300, 1000, 3000)),
              quick=_QUICK_RUNS, uses_cache=True,
              description="Categorical VAE: test -ELBO of GS, ST-GS, ST, SF after 100-3000 steps at Adam lr 1e-3 "
                          "and 3e-4, 5 seeds, vs the paper's table",
              revision=1),
    FigureJob("jang2017_gumbel_variance", figure_variance,
              full=dict(taus=(0.5, 1.0), train_steps=1000, n_grads=200, n_vars=8, n_classes=8),
              quick=dict(taus=(0.5,), train_steps=5, n_grads=5, progress=False), uses_cache=True,
              description="Gradient variance of each estimator against the score function"),
]
