"""Dumoulin, Belghazi, Poole, Mastropietro, Lamb, Arjovsky & Courville (2017), "Adversarially
Learned Inference" (ICLR 2017, arXiv 1606.00704): ALI against a GAN on the 25-Gaussian grid.

The networks and optimiser are the official experiment's (``IshmaelBelghazi/ALI``,
``experiments/ali_mixture.py`` and ``gan_mixture.py``; :data:`expressivity.gan.ALI_SETTINGS`):
decoder 2 -> 4 x 400 ReLU -> 2 shared by both models, an encoder on [x, eps] for ALI, maxout
discriminators (3 x 200 units x 5 pieces) on [x, z] (ALI) or x (GAN), Adam 1e-4 with
beta1 = 0.8, batch 100, data std 0.05 on {-4, -2, 0, 2, 4}^2, weights N(0, 0.02^2) and batch
normalisation of the generator networks' hidden layers as there. One deviation, forced by CPU
time: 20 000 steps instead of the official 200 epochs of 100 000 points (200 000 steps, 2-5 hours a
run on this machine), this module's ``FULL``; batch norm uses each batch's statistics also
when sampling (the official code keeps running averages).
Each (model, seed) run is one sweep cell with a checkpoint (every 10 s) beside it.

Published (Dumoulin et al.): modes covered ALI 13.4 +- 5.8, GAN 10.4 +- 9.2 (of 25).

Notebook: ``notebooks/dumoulin2017_ali.ipynb``.
"""
from __future__ import annotations

import json

import numpy as np

from meanfield.figures import pyplot

from .. import sweep
from ..gan import PUBLISHED, grid, grid_experiment
from ..gan.plot import density_panel, pm, samples_panel
from . import FigureJob, SharedRuns

__all__ = ["ali_cell", "ali_runs", "fig_ali_vs_gan", "fig_reconstructions", "FULL", "QUICK", "JOBS"]

FULL = dict(seeds=(0, 1, 2, 3, 4), steps=20_000, options={})
QUICK = dict(seeds=(0, 1), steps=6, options=dict(gen_hidden=8, d_hidden=8, batch_size=16, n_eval=200,
                                                 n_reconstruct=50))
_RUNS = SharedRuns("dumoulin2017_ali_runs")


def ali_cell(model, seed, steps, options):
    """One ALI or GAN run on the 25-grid as a sweep cell; ``options`` (overrides of the
    "dumoulin2017" setting) is JSON."""
    params = dict(model=model, seed=seed, steps=steps, options=options)
    ck = _RUNS.checkpoint("ali", params)
    r = grid_experiment(model, steps, seed, progress=False, checkpoint=ck, checkpoint_every=10.0,
                        **json.loads(options))
    if r.interrupted:
        raise KeyboardInterrupt("ALI run interrupted (its checkpoint is kept)")
    out = dict(r.summary(), samples=r.samples.astype(np.float32), mode_fractions=r.mode_fractions,
               reconstruction_error=r.config["reconstruction_error"], g_loss=r.history["g_loss"],
               d_loss=r.history["d_loss"])
    if r.extras:
        out.update(data=r.extras["data"].astype(np.float32),
                   reconstruction=r.extras["reconstruction"].astype(np.float32))
    return out


def ali_runs(seeds=FULL["seeds"], steps=FULL["steps"], options=None, cache_dir=None, progress=True):
    """{(model, seed): cell} for ALI and the GAN; the store is shared by this module's
    figures (``<figures>/.cache/dumoulin2017_ali_runs``)."""
    store = _RUNS.store(cache_dir, JOBS)
    opt = json.dumps(dict(options or {}), sort_keys=True)
    out = {}
    with _RUNS.checkpoints(store):
        for model in ("ali", "gan"):
            for s in seeds:
                out[model, s] = sweep.run_one("ali", ali_cell, dict(model=model, seed=int(s), steps=int(steps),
                                                                   options=opt), store, progress=progress)
    return out


def _modes_at(cell, threshold=0.01):
    """Modes holding >= 1 % of the samples (nearest-mode fractions, quality aside)."""
    return int(np.sum(np.asarray(cell["mode_fractions"]) >= threshold))


def fig_ali_vs_gan(seeds=FULL["seeds"], steps=FULL["steps"], options=None, cache_dir=None, progress=True):
    """Samples of ALI's decoder and of the GAN (first seed) and, over seeds, modes covered
    (VEEGAN's 3-sigma metric), high-quality fraction, modes holding >= 1 % of the samples,
    KL(P||Q) and ALI's reconstruction error, next to the paper's mode counts."""
    plt = pyplot()
    runs = ali_runs(seeds, steps, options, cache_dir, progress)
    mix = grid()
    fig = plt.figure(figsize=(11, 6.4))
    gs = fig.add_gridspec(2, 4, height_ratios=[1.25, 1])
    s0 = seeds[0]
    for j, model in enumerate(("ali", "gan")):
        density_panel(fig.add_subplot(gs[0, 2 * j]), runs[model, s0]["samples"], mix,
                      f"{model.upper()} samples (seed {s0})")
        ax = fig.add_subplot(gs[0, 2 * j + 1])
        fr = np.array([runs[model, s]["mode_fractions"] for s in seeds])
        ax.imshow(fr, cmap="magma", vmin=0, vmax=max(0.2, fr.max()), aspect="auto")
        ax.set_yticks(range(len(seeds)), [f"seed {s}" for s in seeds], fontsize=6)
        ax.set_xticks([0, 12, 24], [0, 12, 24], fontsize=6)
        ax.set_xlabel("mode", fontsize=7)
        ax.set_title(f"{model.upper()}: nearest-mode fractions", fontsize=8)
    axt = fig.add_subplot(gs[1, :])
    axt.axis("off")
    rows = []
    for model in ("ali", "gan"):
        cells = [runs[model, s] for s in seeds]
        rows.append([f"{model.upper()} (ours)", pm([c["modes_covered"] for c in cells], "{:.1f}"),
                     pm([100 * c["high_quality_fraction"] for c in cells], "{:.1f}"),
                     pm([_modes_at(c) for c in cells], "{:.1f}"), pm([c["kl_pq"] for c in cells], "{:.3g}"),
                     pm([c["reconstruction_error"] for c in cells], "{:.3g}") if model == "ali" else "-",
                     pm([c["seconds"] for c in cells], "{:.0f}")])
    p = PUBLISHED["ali_grid"]
    rows += [["ALI (Dumoulin et al.)", f"{p['ALI']['modes']} ± {p['ALI']['modes_std']}", "", "", "", "", ""],
             ["GAN (Dumoulin et al.)", f"{p['GAN']['modes']} ± {p['GAN']['modes_std']}", "", "", "", "", ""]]
    t = axt.table(cellText=rows, loc="center",
                  colLabels=["", "modes (3σ, of 25)", "high quality %", "modes with ≥ 1 %", "KL(P||Q)",
                             "reconstruction MSE", "seconds"])
    t.auto_set_font_size(False)
    t.set_fontsize(7.5)
    t.scale(1, 1.3)
    axt.set_title(f"{len(seeds)} seeds, {steps} steps, mean ± std (official networks, batch norm)", fontsize=8)
    ali = np.mean([runs["ali", s]["modes_covered"] for s in seeds])
    gan = np.mean([runs["gan", s]["modes_covered"] for s in seeds])
    if ali > gan:
        note, color = f"ALI covers more modes than the GAN ({ali:.1f} vs {gan:.1f}), as in the paper.", "tab:blue"
    else:
        note, color = (f"Not reproduced at {steps} steps (the official run: 200 000): ALI covers fewer modes than the "
                       f"GAN ({ali:.1f} vs {gan:.1f} of 25); the paper reports ALI ahead."), "tab:red"
    axt.text(0.5, 0.02, note, transform=axt.transAxes, ha="center", fontsize=8, color=color)
    fig.tight_layout()
    return fig


def fig_reconstructions(seeds=FULL["seeds"], steps=FULL["steps"], options=None, n_show=300,
                        cache_dir=None, progress=True):
    """ALI's reconstructions x -> G_x(G_z(x)) (the paper's Fig. on the toy data): data points
    and their reconstructions joined by lines, one panel per seed (first four); the title
    gives the mean squared distance of two independent data points, 2 tr Cov(x), the error
    of a reconstruction that ignores its input."""
    plt = pyplot()
    runs = ali_runs(seeds, steps, options, cache_dir, progress)
    mix = grid()
    show = list(seeds)[:4]
    fig, axes = plt.subplots(1, len(show), figsize=(3.0 * len(show), 3.2), squeeze=False)
    for ax, s in zip(axes[0], show):
        c = runs["ali", s]
        x, xr = np.asarray(c["data"])[:n_show], np.asarray(c["reconstruction"])[:n_show]
        for a, b in zip(x, xr):
            ax.plot([a[0], b[0]], [a[1], b[1]], color="0.6", lw=0.4, zorder=1)
        samples_panel(ax, xr, mix, f"seed {s}: MSE {c['reconstruction_error']:.3g}", color="tab:red")
        ax.scatter(x[:, 0], x[:, 1], s=3, color="tab:green", zorder=2, lw=0)
    w = mix.weights / mix.weights.sum()
    centred = mix.means - w @ mix.means
    chance = 2 * (float(w @ (centred ** 2).sum(1)) + mix.dim * mix.variance)
    err = np.mean([runs["ali", s]["reconstruction_error"] for s in seeds])
    verdict = ("reconstructions carry x" if err < 0.5 * chance else
               "not reproduced: no better than ignoring the input")
    fig.suptitle(f"ALI reconstructions: data (green) -> G_x(G_z(x)) (red); mean MSE {err:.3g} vs {chance:.3g} for "
                 f"independent pairs of data points ({verdict})", fontsize=9)
    fig.tight_layout()
    return fig


_Q = dict(seeds=QUICK["seeds"], steps=QUICK["steps"], options=QUICK["options"], progress=False)
_F = dict(seeds=FULL["seeds"], steps=FULL["steps"], options=FULL["options"])

JOBS = [
    FigureJob("dumoulin2017_ali_vs_gan", fig_ali_vs_gan, full=_F, quick=_Q, uses_cache=True, revision=3,
              description="ALI vs GAN on the 25-Gaussian grid: samples, mode fractions, modes over seeds vs the paper"),
    FigureJob("dumoulin2017_ali_reconstructions", fig_reconstructions, full=_F, quick=_Q, uses_cache=True, revision=2,
              description="ALI reconstructions x -> G_x(G_z(x)) on the grid"),
]
