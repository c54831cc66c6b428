"""Figures: Unrolled GAN samples over training and seed table (Metz et al. 2017), generator
objectives side by side (Poole et al. 2016), ALI vs GAN on the 25-mode grid (Dumoulin et al.
2017). Library functions returning matplotlib Figures; ``expressivity-figures`` and the
notebook ``notebooks/gan_objectives_unrolled.ipynb`` call them.

Long runs are stored per cell (one verified sweep cell per (experiment, K or objective or
model, seed, settings), see :mod:`expressivity.sweep.ensembles`): an interrupted figure job
resumes where it stopped when called again with the same ``cache_dir``.
"""
from __future__ import annotations

import json

import numpy as np

from ..sweep import run_one
from . import data as _data
from .experiments import grid_experiment, train_gan

__all__ = ["PUBLISHED", "unrolled_seed_table", "fig_unrolled_samples", "fig_unrolled_seed_table",
           "objectives_table", "fig_objectives", "ali_table", "fig_ali_vs_gan"]

# Published numbers: VEEGAN (Srivastava et al. 2017) Table 1, 8-mode ring (2500 samples);
# ALI (Dumoulin et al. 2017) 25-mode grid, modes covered mean +- std over runs.
PUBLISHED = {
    "ring": {"GAN": dict(modes=1.0, hq=0.993), "Unrolled GAN": dict(modes=7.6, hq=0.356)},
    "grid": {"ALI": dict(modes=13.4, modes_std=5.8), "GAN": dict(modes=10.4, modes_std=9.2)},
}


def _plt():
    import matplotlib.pyplot as plt

    return plt


def gan_run_cell(mixture, steps, seed, unroll_steps, objective, snapshot_steps, options):
    """One training run as a sweep cell (module level: picklable). ``snapshot_steps`` and
    ``options`` (keyword arguments of :func:`train_gan`) arrive as JSON strings."""
    r = train_gan(mixture, steps, seed, unroll_steps=unroll_steps, objective=objective,
                  snapshot_steps=tuple(json.loads(snapshot_steps)), progress=False, **json.loads(options))
    if r.interrupted:
        raise KeyboardInterrupt  # never store a partial run
    out = dict(r.summary(), samples=r.samples)
    out.update({f"snapshot_{k}": v for k, v in r.snapshots.items()})
    return out


def _gan_cell(cache_dir, mixture, steps, seed, unroll_steps, objective="minimax", snapshot_steps=(),
              progress=False, **kw):
    params = dict(mixture=mixture, steps=steps, seed=seed, unroll_steps=unroll_steps, objective=objective,
                  snapshot_steps=json.dumps(sorted(snapshot_steps)), options=json.dumps(kw, sort_keys=True))
    cell = run_one("gan_run", gan_run_cell, params, cache_dir, progress=progress)
    cell["snapshots"] = {k[len("snapshot_"):]: v for k, v in cell.items() if k.startswith("snapshot_")}
    return cell


def _scatter(ax, x, mix, title="", lim=None, color="tab:blue"):
    x = np.asarray(x)
    ax.scatter(mix.means[:, 0], mix.means[:, 1], s=25, c="none", edgecolors="k", lw=0.6, zorder=3)
    ax.scatter(x[:, 0], x[:, 1], s=1.5, alpha=0.4, color=color, rasterized=True)
    lim = lim or 1.4 * float(np.abs(mix.means).max()) + 0.2
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=8)


def fig_unrolled_samples(unroll_steps=(0, 5, 10), steps=5000, seed=0, n_snapshots=5, cache_dir=None,
                         progress=True, **kw):
    """Metz et al. (2017) Fig. 1/2: generator samples over training (columns) for K unrolling
    steps (rows), with the target ring and the final data samples."""
    plt = _plt()
    mix = _data.ring()
    snaps = [int(round(s)) for s in np.linspace(0, steps, n_snapshots + 1)[1:]]
    fig, axes = plt.subplots(len(unroll_steps), len(snaps) + 1,
                             figsize=(1.9 * (len(snaps) + 1), 1.9 * len(unroll_steps)), squeeze=False)
    for i, K in enumerate(unroll_steps):
        cell = _gan_cell(cache_dir, "ring", steps, seed, K, snapshot_steps=snaps, progress=progress, **kw)
        for j, s in enumerate(snaps):
            _scatter(axes[i, j], cell["snapshots"][str(s)], mix, f"K={K}, step {s}")
        axes[i, -1].set_visible(False) if i else _scatter(axes[i, -1], mix.sample(1000, seed=0), mix,
                                                          "data", color="tab:green")
        axes[i, 0].set_ylabel(f"K = {K}")
    fig.suptitle(f"Unrolled GAN on the 8-mode ring (seed {seed}; {kw or 'CPU-scale defaults'})", fontsize=9)
    fig.tight_layout()
    return fig


def unrolled_seed_table(unroll_steps=(0, 5, 10), seeds=(0, 1, 2, 3, 4), steps=5000, cache_dir=None,
                        progress=True, **kw):
    """{K: dict(modes=[...], hq=[...], kl_pq=[...], kl_qp=[...])} over ``seeds``; every
    (K, seed) cell is cached separately (resumable)."""
    out = {}
    for K in unroll_steps:
        rows = [_gan_cell(cache_dir, "ring", steps, s, K, progress=progress, **kw) for s in seeds]
        out[K] = {k: np.array([r[src] for r in rows], float) for k, src in
                  [("modes", "modes_covered"), ("hq", "high_quality_fraction"), ("kl_pq", "kl_pq"),
                   ("kl_qp", "kl_qp"), ("seconds", "seconds")]}
    return out


def _pm(a, fmt="{:.2f}"):
    a = np.asarray(a, float)
    return (fmt + " ± " + fmt).format(a.mean(), a.std(ddof=1) if len(a) > 1 else 0.0)


def fig_unrolled_seed_table(unroll_steps=(0, 5, 10), seeds=(0, 1, 2, 3, 4), steps=5000, cache_dir=None,
                            progress=True, **kw):
    """Modes covered and high-quality fraction (mean ± std over seeds) per K, next to the
    published GAN 1 mode (99.3 %) and Unrolled GAN 7.6 modes (35.6 %) of VEEGAN's Table 1."""
    plt = _plt()
    tab = unrolled_seed_table(unroll_steps, seeds, steps, cache_dir, progress, **kw)
    fig, (ax, axt) = plt.subplots(1, 2, figsize=(11, 3.2), gridspec_kw=dict(width_ratios=[1, 1.6]))
    for i, K in enumerate(unroll_steps):
        m = tab[K]["modes"]
        ax.scatter(np.full(len(m), i) + np.linspace(-0.12, 0.12, len(m)), m, s=14)
        ax.errorbar(i + 0.25, m.mean(), m.std(ddof=1) if len(m) > 1 else 0, fmt="ks", ms=4)
    ax.axhline(PUBLISHED["ring"]["GAN"]["modes"], ls=":", c="tab:red", label="published GAN")
    ax.axhline(PUBLISHED["ring"]["Unrolled GAN"]["modes"], ls="--", c="tab:green", label="published Unrolled")
    ax.set_xticks(range(len(unroll_steps)), [f"K={K}" for K in unroll_steps])
    ax.set_ylim(0, 8.5)
    ax.set_ylabel("modes covered (of 8)")
    ax.legend(fontsize=7, loc="center right")
    rows = [[f"K = {K}", _pm(tab[K]["modes"]), _pm(100 * tab[K]["hq"], "{:.1f}"),
             _pm(tab[K]["kl_pq"], "{:.3g}"), _pm(tab[K]["kl_qp"], "{:.3g}")] for K in unroll_steps]
    rows += [["paper GAN", "1", "99.3", "", ""], ["paper Unrolled", "7.6", "35.6", "", ""]]
    axt.axis("off")
    t = axt.table(cellText=rows, colLabels=["", "modes", "HQ %", "KL(P||Q)", "KL(Q||P)"], loc="center")
    t.auto_set_font_size(False)
    t.set_fontsize(7)
    t.scale(1, 1.3)
    axt.set_title(f"{len(seeds)} seeds, {steps} generator steps (mean ± std)", fontsize=8)
    fig.tight_layout()
    return fig


def objectives_table(objectives=("kl", "reverse_kl", "minimax", "logd", "hellinger", "pearson"),
                     mixture="ring", seeds=(0,), steps=5000, cache_dir=None, progress=True, **kw):
    """{objective: dict(modes, hq, kl_pq, kl_qp arrays over seeds, samples of the first seed)}."""
    out = {}
    for o in objectives:
        rows = [_gan_cell(cache_dir, mixture, steps, s, 0, objective=o, progress=progress, **kw) for s in seeds]
        out[o] = {k: np.array([r[src] for r in rows], float) for k, src in
                  [("modes", "modes_covered"), ("hq", "high_quality_fraction"), ("kl_pq", "kl_pq"),
                   ("kl_qp", "kl_qp")]}
        out[o]["samples"] = np.asarray(rows[0]["samples"])
    return out


def fig_objectives(objectives=("kl", "reverse_kl", "minimax", "logd", "hellinger", "pearson"),
                   mixture="ring", seeds=(0,), steps=5000, cache_dir=None, progress=True, **kw):
    """Poole et al. (2016): the same data, seeds and networks trained with each generator
    objective: samples (top), log-density of a KDE of the samples (middle), and the table of
    modes, HQ fraction, KL(P||Q) (mode covering) and KL(Q||P) (mode seeking)."""
    plt = _plt()
    from .experiments import _mixture
    from .metrics import kde_log_density

    mix = _mixture(mixture)
    tab = objectives_table(objectives, mixture, seeds, steps, cache_dir, progress, **kw)
    n = len(objectives)
    fig = plt.figure(figsize=(2.1 * n, 6.6))
    gs = fig.add_gridspec(3, n, height_ratios=[1, 1, 0.9])
    lim = 1.4 * float(np.abs(mix.means).max()) + 0.2
    g = np.linspace(-lim, lim, 120)
    X, Y = np.meshgrid(g, g)
    pts = np.stack([X.ravel(), Y.ravel()], 1)
    h2 = max(mix.variance, (0.05 * lim) ** 2)
    for j, o in enumerate(objectives):
        _scatter(fig.add_subplot(gs[0, j]), tab[o]["samples"], mix, o)
        ax = fig.add_subplot(gs[1, j])
        L = kde_log_density(pts, tab[o]["samples"][:1000], h2).reshape(X.shape)
        ax.imshow(np.maximum(L, L.max() - 12), extent=(-lim, lim, -lim, lim), origin="lower", cmap="magma")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title("log density (KDE)", fontsize=7)
    axt = fig.add_subplot(gs[2, :])
    axt.axis("off")
    rows = [[o, _pm(tab[o]["modes"]), _pm(100 * tab[o]["hq"], "{:.1f}"), _pm(tab[o]["kl_pq"], "{:.3g}"),
             _pm(tab[o]["kl_qp"], "{:.3g}")] for o in objectives]
    t = axt.table(cellText=rows, colLabels=["objective", f"modes (of {mix.n_modes})", "HQ %",
                                            "KL(P||Q)", "KL(Q||P)"], loc="center")
    t.auto_set_font_size(False)
    t.set_fontsize(7)
    fig.suptitle(f"Generator objectives on '{mixture}' ({len(seeds)} seed(s), {steps} steps, K=0)", fontsize=9)
    fig.tight_layout()
    return fig


def ali_run_cell(model, steps, seed, options):
    """One ALI or GAN run on the 25-grid as a sweep cell; ``options`` is JSON."""
    r = grid_experiment(model, steps, seed, progress=False, **json.loads(options))
    if r.interrupted:
        raise KeyboardInterrupt
    return dict(r.summary(), samples=r.samples, reconstruction_error=r.config["reconstruction_error"])


def _ali_cell(cache_dir, model, steps, seed, progress=False, **kw):
    params = dict(model=model, steps=steps, seed=seed, options=json.dumps(kw, sort_keys=True))
    return run_one("ali_run", ali_run_cell, params, cache_dir, progress=progress)


def ali_table(seeds=(0, 1, 2, 3, 4), steps=5000, cache_dir=None, progress=True, **kw):
    """{"ali"/"gan": dict(modes, hq, rec arrays over seeds, samples of the first seed)}."""
    out = {}
    for model in ("ali", "gan"):
        rows = [_ali_cell(cache_dir, model, steps, s, progress=progress, **kw) for s in seeds]
        out[model] = dict(modes=np.array([r["modes_covered"] for r in rows], float),
                          hq=np.array([r["high_quality_fraction"] for r in rows], float),
                          rec=np.array([np.nan if r["reconstruction_error"] is None else r["reconstruction_error"]
                                        for r in rows], float),
                          samples=np.asarray(rows[0]["samples"]))
    return out


def fig_ali_vs_gan(seeds=(0, 1, 2, 3, 4), steps=5000, cache_dir=None, progress=True, **kw):
    """Dumoulin et al. (2017): ALI and a GAN with the same decoder on the 25-mode grid; samples
    of the first seed, and modes covered over seeds next to the paper (ALI 13.4 ± 5.8,
    GAN 10.4 ± 9.2)."""
    plt = _plt()
    mix = _data.grid()
    tab = ali_table(seeds, steps, cache_dir, progress, **kw)
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.6), gridspec_kw=dict(width_ratios=[1, 1, 1.3]))
    _scatter(axes[0], tab["ali"]["samples"], mix, "ALI decoder samples", lim=6)
    _scatter(axes[1], tab["gan"]["samples"], mix, "GAN samples (same decoder)", lim=6)
    axes[2].axis("off")
    rows = [["ALI (ours)", _pm(tab["ali"]["modes"]), _pm(100 * tab["ali"]["hq"], "{:.1f}"), _pm(tab["ali"]["rec"], "{:.3g}")],
            ["GAN (ours)", _pm(tab["gan"]["modes"]), _pm(100 * tab["gan"]["hq"], "{:.1f}"), "-"],
            ["ALI (paper)", "13.4 ± 5.8", "", ""], ["GAN (paper)", "10.4 ± 9.2", "", ""]]
    t = axes[2].table(cellText=rows, colLabels=["", "modes (of 25)", "HQ %", "recon. MSE"], loc="center")
    t.auto_set_font_size(False)
    t.set_fontsize(7)
    axes[2].set_title(f"{len(seeds)} seeds, {steps} steps", fontsize=8)
    fig.tight_layout()
    return fig
