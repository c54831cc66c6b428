"""Alemi, Poole, Fischer, Dillon, Saurous & Murphy (2018), "Fixing a Broken ELBO" (ICML 2018,
arXiv 1711.00464): settings and figures.

The rate-distortion plane: D = -E log d(x|z), R = E KL(e(z|x) || m(z)), with H - D <= I(X; Z) <= R
and the feasible region D >= 0, R >= 0, R + D >= H. The beta-VAE family min D + beta R traces
the frontier; on the line R + D = H every model has the ELBO -H, from R = 0 (a decoder that
ignores z) to R = H (an autoencoder).

1. The 1-D toy (:mod:`expressivity.latent.toy`): 30 bins, a two-mode p*(x) with exact entropy H,
   a Gaussian latent, a powerful decoder (a free per-bin bias: it can ignore z) and a weak one
   (a unimodal discretised Gaussian whose centre and width depend on z). Every model's exact
   I(X; Z) is checked to lie in [H - D, R].
2. Binarised digits: a factorised (weak) decoder against an autoregressive (MADE) decoder, a
   beta sweep for each; H is unknown, lines of equal ELBO are drawn instead.

The paper's own toy (Sec. 4.1) and its MNIST/Omniglot sweeps use other architectures (VampPrior
marginals, PixelCNN decoders); these are CPU-scale settings of ours. Notebook:
``notebooks/alemi2018_elbo.ipynb``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from meanfield.figures import pyplot

from .. import sweep
from ..latent.experiments import rd_cell, toy_cell
from ..latent.toy import toy_data
from . import FigureJob

__all__ = ["toy_runs", "figure_toy", "digits_runs", "figure_digits", "JOBS"]

_DEC_COLORS = {"powerful": "tab:red", "weak": "tab:blue", "autoregressive": "tab:red", "factorized": "tab:blue"}


def toy_runs(betas, decoders=("powerful", "weak"), seed=0, steps=3000, lr=1e-2, cache_dir=None, progress=True,
             executor=None):
    rows = [dict(decoder=d, beta=float(b), seed=int(seed)) for d in decoders for b in betas]
    res = sweep.run_rows("toy_runs", toy_cell, rows, cache_dir, fixed=dict(steps=steps, lr=lr),
                         executor=executor, progress=progress)
    return res, rows


def figure_toy(betas=(0.1, 0.3, 0.6, 0.9, 1.0, 1.2, 2.0), decoders=("powerful", "weak"), seed=0, steps=3000,
               lr=1e-2, cache_dir=None, progress=True, executor=None):
    """The toy's R-D plane: one point per (decoder, beta) with its beta; the exact I(X; Z) as a
    dot on the segment [H - D, R] drawn at the model's D (asserted to lie in it); the lines
    R + D = H, D = 0, R = 0. Right: -ELBO and R against beta (the beta = 1 models reach about
    the same ELBO with very different rates)."""
    plt = pyplot()
    res, rows = toy_runs(betas, decoders, seed, steps, lr, cache_dir, progress, executor)
    H = float(toy_data().H)
    D, R, I = (np.asarray(res[k], float) for k in ("D", "R", "I"))
    tol = 1e-6
    bad = [(r, d, i, rr) for r, d, i, rr in zip(rows, D, I, R) if not (H - d - tol <= i <= rr + tol)]
    if bad:
        raise AssertionError(f"H - D <= I <= R violated for {bad}")
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11.5, 4.6), gridspec_kw=dict(width_ratios=[1.3, 1]))
    top = max(H * 1.25, float(np.max(R)) * 1.1, float(np.max(D)) * 1.1)
    ax.fill_between([0, H], [H, 0], [0, 0], color="0.85", label="infeasible: R + D < H")
    ax.plot([0, H], [H, 0], "k-", lw=1, label="R + D = H (ELBO = -H)")
    ax.axhline(0, color="k", lw=0.8)
    ax.axvline(0, color="k", lw=0.8)
    for dec in decoders:
        idx = [k for k, r in enumerate(rows) if r["decoder"] == dec]
        c = _DEC_COLORS[dec]
        ax.plot(R[idx], D[idx], "o-", color=c, ms=5, lw=1, label=f"{dec} decoder")
        for k in idx:
            ax.plot([H - D[k], R[k]], [D[k], D[k]], "-", color=c, lw=3, alpha=0.25)
            ax.plot([I[k]], [D[k]], "|", color="k", ms=9)
            ax.annotate(f"β={rows[k]['beta']:g}", (R[k], D[k]), textcoords="offset points", xytext=(4, 3),
                        fontsize=6, color=c)
    ax.plot([], [], "|", color="k", ms=9, label="exact I(X;Z) in [H - D, R] (shaded)")
    ax.set_xlim(-0.1, top)
    ax.set_ylim(-0.1, top)
    ax.set_xlabel("rate R (nats)")
    ax.set_ylabel("distortion D (nats)")
    ax.set_title(f"1-D toy: 30 bins, H = {H:.3f} nats", fontsize=9)
    ax.legend(fontsize=7, loc="upper right")
    for dec in decoders:
        idx = [k for k, r in enumerate(rows) if r["decoder"] == dec]
        b = np.array([rows[k]["beta"] for k in idx])
        c = _DEC_COLORS[dec]
        ax2.plot(b, D[idx] + R[idx], "o-", color=c, label=f"-ELBO, {dec}")
        ax2.plot(b, R[idx], "s--", color=c, alpha=0.6, label=f"R, {dec}")
    ax2.axhline(H, color="k", lw=0.8, ls=":", label="H")
    ax2.axvline(1.0, color="0.5", lw=0.6)
    ax2.set_xscale("log")
    ax2.set_xlabel(r"$\beta$")
    ax2.set_ylabel("nats")
    ax2.legend(fontsize=7)
    k1 = {d: next(k for k, r in enumerate(rows) if r["decoder"] == d and r["beta"] == 1.0)
          for d in decoders if any(r["decoder"] == d and r["beta"] == 1.0 for r in rows)}
    if k1:
        txt = "; ".join(f"{d}: -ELBO {D[k] + R[k]:.3f}, R {R[k]:.2f}" for d, k in k1.items())
        ax2.set_title(f"β = 1 — {txt}", fontsize=7)
    fig.tight_layout()
    return fig


def digits_runs(betas, decoders=("factorized", "autoregressive"), seed=0, steps=3000, n_latent=16, cache_dir=None,
                progress=True, executor=None):
    rows = [dict(decoder=d, beta=float(b), seed=int(seed)) for d in decoders for b in betas]
    ck = None if cache_dir is None else str(Path(cache_dir) / "checkpoints")
    res = sweep.run_rows("digits_runs", rd_cell, rows, cache_dir,
                         fixed=dict(steps=steps, n_latent=n_latent, checkpoint_dir=ck), executor=executor,
                         progress=progress)
    return res, rows


def figure_digits(betas=(0.1, 0.3, 0.6, 1.0, 1.5, 3.0), decoders=("factorized", "autoregressive"), seed=0,
                  steps=3000, n_latent=16, cache_dir=None, progress=True, executor=None):
    """beta sweep on binarised digits: test (R, D) per decoder with the beta labels, lines of
    equal -ELBO (R + D = const) through the beta = 1 models."""
    plt = pyplot()
    res, rows = digits_runs(betas, decoders, seed, steps, n_latent, cache_dir, progress, executor)
    D, R = np.asarray(res["D"], float), np.asarray(res["R"], float)
    fig, ax = plt.subplots(figsize=(6.4, 5))
    notes = []
    for dec in decoders:
        idx = [k for k, r in enumerate(rows) if r["decoder"] == dec]
        c = _DEC_COLORS[dec]
        ax.plot(R[idx], D[idx], "o-", color=c, label=f"{dec} decoder")
        for k in idx:
            ax.annotate(f"β={rows[k]['beta']:g}", (R[k], D[k]), textcoords="offset points", xytext=(4, 3),
                        fontsize=7, color=c)
            if rows[k]["beta"] == 1.0:
                e = R[k] + D[k]
                ax.plot([0, e], [e, 0], ":", color=c, lw=0.8)
                notes.append((c, f"β = 1, {dec}: -ELBO = {e:.1f}, R = {R[k]:.1f}, D = {D[k]:.1f}"))
    for j, (c, txt) in enumerate(notes):
        ax.text(0.98, 0.80 - 0.06 * j, txt, transform=ax.transAxes, ha="right", fontsize=7, color=c)
    ax.axhline(0, color="k", lw=0.8)
    ax.axvline(0, color="k", lw=0.8)
    m = 1.1 * max(float(np.max(R)), float(np.max(D)))
    ax.set_xlim(-0.5, m)
    ax.set_ylim(-0.5, m)
    ax.set_xlabel("rate R (nats, test)")
    ax.set_ylabel("distortion D (nats, test)")
    ax.set_title(f"β-VAE on binarised digits ({n_latent}-d Gaussian latent, {steps} steps)", fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


JOBS = [
    FigureJob("alemi2018_elbo_toy_rd", figure_toy,
              full=dict(betas=(0.1, 0.3, 0.6, 1.0, 1.5, 3.0), steps=2000, lr=1e-2),
              quick=dict(betas=(0.5, 1.0), steps=30, progress=False, executor="inprocess"), uses_cache=True,
              description="Broken ELBO: the R-D plane of the 1-D toy with the exact I(X;Z) between H - D and R"),
    FigureJob("alemi2018_elbo_digits_rd", figure_digits,
              full=dict(betas=(0.1, 0.3, 1.0, 3.0), steps=2000, n_latent=16),
              quick=dict(betas=(1.0,), steps=20, progress=False, executor="inprocess"), uses_cache=True,
              description="Broken ELBO: beta sweep on binarised digits, factorised vs autoregressive decoder",
              revision=1),
]
