"""Poole, Alemi, Sohl-Dickstein & Angelova (2016), "Improved generator objectives for GANs"
(NIPS 2016 workshop on adversarial training, arXiv 1612.02780): settings and figures.

With the discriminator's logit read as the log density ratio, the generator loss
E_q[f(r) - r f'(r)] follows the gradient of any f-divergence (:mod:`expressivity.gan.
objectives`; tested against quadrature). The paper's claim on mixtures: the forward KL covers
modes (mass everywhere the data is, lower KL(P||Q)), the reverse KL and the -log D trick seek
modes (sharper samples, fewer modes). Every objective is trained with the same data, seeds
and networks; each (setting, objective, seed) run is one sweep cell. The settings tried are
:data:`TRIED`; the networks are Metz et al.'s App. A ones unless a setting says otherwise.

Where the family separates (:data:`MAIN`): a generator too weak to represent the mixture -- a
linear G, i.e. a Gaussian -- on the 8-mode ring, with both learning rates 1e-3 so that the
discriminator's ratio estimate keeps up. The forward KL then spreads a broad Gaussian over
the whole ring (every mode gets mass: low KL(P||Q)), the reverse KL and -log D shrink onto an
arc of one or two modes (low KL(Q||P), more high-quality samples), the textbook picture of
covering vs seeking. With networks that can represent the ring (App. A, K = 0 or 5 unrolled
steps, the unbalanced ring, the CPU-scale setting) or with the Gaussian generator at lr 1e-4,
the objectives do not separate at 5000 iterations: the training dynamics (mode hopping of the
plain GAN, slow convergence of the unrolled one), not the divergence, decide where the mass is.

Notebook: ``notebooks/poole2016_gan.ipynb``.
"""
from __future__ import annotations

import json

import numpy as np

from meanfield.figures import pyplot

from .. import sweep
from ..gan import MIXTURES, train_gan
from ..gan.plot import density_panel, pm
from . import FigureJob, SharedRuns

__all__ = ["OBJECTIVE_ORDER", "TRIED", "objective_cell", "objective_runs", "fig_objectives",
           "fig_settings", "JOBS"]

OBJECTIVE_ORDER = ("kl", "hellinger", "minimax", "logd", "reverse_kl", "pearson")

#: Settings tried, by name: the mixture, the iterations and overrides of the GAN setting
#: (``setting`` picks "metz2017" or "cpu_scale"). A "Gaussian generator" is G = 256 -> 16 -> 2
#: with linear activations: its samples are Gaussian.
_GAUSSIAN_G = dict(g_activation="linear", g_hidden=16, g_layers=1)
TRIED = {
    "ring, Gaussian generator, lr 1e-3": dict(mixture="ring", steps=5000,
                                              options=dict(_GAUSSIAN_G, d_lr=1e-3, g_lr=1e-3)),
    "ring, Gaussian generator, lr 1e-4": dict(mixture="ring", steps=5000, options=dict(_GAUSSIAN_G)),
    "unbalanced ring, App. A, K=5": dict(mixture="unbalanced_ring", steps=5000, options=dict(unroll_steps=5)),
    "ring, App. A, K=0": dict(mixture="ring", steps=5000, options={}),
    "ring, CPU-scale networks": dict(mixture="ring", steps=5000, options=dict(setting="cpu_scale")),
}
#: The setting of the main figure: the Gaussian generator on the ring at lr 1e-3 (module doc),
#: the one setting tried where the objectives separate.
MAIN = "ring, Gaussian generator, lr 1e-3"
#: Objectives of the settings figure (the main figure has all six).
CORE = ("kl", "minimax", "logd", "reverse_kl")
_RUNS = SharedRuns("poole2016_gan_runs")


def objective_cell(objective, seed, mixture, steps, options):
    """One run with one generator objective as a sweep cell; ``options`` is JSON."""
    params = dict(objective=objective, seed=seed, mixture=mixture, steps=steps, options=options)
    ck = _RUNS.checkpoint("obj", params)
    r = train_gan(mixture, steps, seed, objective=objective, progress=False, checkpoint=ck,
                  checkpoint_every=10.0, **json.loads(options))
    if r.interrupted:
        raise KeyboardInterrupt("objective run interrupted (its checkpoint is kept)")
    return dict(r.summary(), samples=r.samples.astype(np.float32), mode_fractions=r.mode_fractions)


def objective_runs(objectives, seeds, mixture, steps, options=None, cache_dir=None, progress=True):
    """{(objective, seed): cell}; the store is shared by this module's figures."""
    store = _RUNS.store(cache_dir, JOBS)
    opt = json.dumps(dict(options or {}), sort_keys=True)
    out = {}
    with _RUNS.checkpoints(store):
        for o in objectives:
            for s in seeds:
                out[o, s] = sweep.run_one("objectives", objective_cell,
                                          dict(objective=o, seed=int(s), mixture=mixture, steps=int(steps),
                                               options=opt), store, progress=progress)
    return out


def _covered(cell, threshold=0.02):
    """Modes holding >= 2 % of the samples (nearest-mode fractions, quality aside)."""
    return int(np.sum(np.asarray(cell["mode_fractions"]) >= threshold))


def _summary(runs, objectives, seeds):
    keys = ("modes_covered", "high_quality_fraction", "largest_mode_fraction", "kl_pq", "kl_qp")
    out = {}
    for o in objectives:
        cells = [runs[o, s] for s in seeds]
        out[o] = {k: np.array([c[k] for c in cells], float) for k in keys}
        out[o]["covered"] = np.array([_covered(c) for c in cells], float)
    return out


_KL_FLOOR = 1e-2  # the log axes' floor (a smoothed KL estimate can come out ~0 or slightly negative)


def _kl_panel(ax, tab, objectives, seeds, legend=True):
    """KL(P||Q) against KL(Q||P) on log axes: each seed a small dot, the median a large one.
    Covering puts an objective low on the vertical axis, seeking low on the horizontal."""
    from matplotlib.ticker import NullFormatter

    for j, o in enumerate(objectives):
        c = tab[o]
        x, y = np.maximum(c["kl_qp"], _KL_FLOOR), np.maximum(c["kl_pq"], _KL_FLOOR)
        ax.scatter(x, y, s=9, color=f"C{j}", alpha=0.5, lw=0)
        ax.scatter(np.median(x), np.median(y), s=45, color=f"C{j}", edgecolor="k", lw=0.6,
                   label=f"{o}: {pm(c['covered'], '{:.1f}')} modes ≥ 2 %")
    ax.set_xscale("log")
    ax.set_yscale("log")
    for get, lim in (("kl_qp", ax.set_xlim), ("kl_pq", ax.set_ylim)):  # whole decades
        v = np.maximum(np.concatenate([tab[o][get] for o in objectives]), _KL_FLOOR)
        lim(10.0 ** np.floor(np.log10(v.min() / 1.5)), 10.0 ** np.ceil(np.log10(v.max() * 1.5)))
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("KL(Q||P)  (low: samples on modes; seeking)", fontsize=7)
    ax.set_ylabel("KL(P||Q)  (low: every mode covered)", fontsize=7)
    ax.tick_params(labelsize=7)
    if legend:
        ax.legend(fontsize=6, loc="best")


def fig_objectives(setting=MAIN, objectives=OBJECTIVE_ORDER, seeds=(0, 1, 2, 3, 4), steps=None,
                   cache_dir=None, progress=True, **quick_overrides):
    """One setting of :data:`TRIED`: each objective's samples (first seed, log density), and
    over seeds the modes holding >= 2 % of the samples, VEEGAN's 3-sigma modes and
    high-quality fraction, KL(P||Q) (mode covering: low when every mode has mass) and
    KL(Q||P) (mode seeking: low when the mass sits on modes)."""
    plt = pyplot()
    cfg = dict(TRIED[setting])
    cfg["options"] = dict(cfg["options"], **quick_overrides.pop("options", {}))
    steps = cfg["steps"] if steps is None else steps
    runs = objective_runs(objectives, seeds, cfg["mixture"], steps, cfg["options"], cache_dir, progress)
    mix = MIXTURES[cfg["mixture"]]()
    tab = _summary(runs, objectives, seeds)
    n = len(objectives)
    fig = plt.figure(figsize=(2.0 * n, 6.4))
    gs = fig.add_gridspec(3, n, height_ratios=[1, 0.9, 1.0])
    for j, o in enumerate(objectives):
        density_panel(fig.add_subplot(gs[0, j]), runs[o, seeds[0]]["samples"], mix,
                      f"{o} (seed {seeds[0]})", means=True)
    ax = fig.add_subplot(gs[1, : n // 2])
    ax2 = fig.add_subplot(gs[1, n // 2:])
    _kl_panel(ax, tab, objectives, seeds)
    for j, o in enumerate(objectives):
        ax2.scatter(np.full(len(seeds), j) + np.linspace(-0.15, 0.15, len(seeds)), tab[o]["covered"], s=10,
                    color=f"C{j}")
        ax2.scatter(np.full(len(seeds), j + 0.3), tab[o]["largest_mode_fraction"] * mix.n_modes, s=10,
                    color=f"C{j}", marker="x", lw=0.8)
    ax2.set_xticks(range(n), objectives, fontsize=6, rotation=30)
    ax2.set_ylabel(f"dots: modes with ≥ 2 % (of {mix.n_modes})\n"
                   f"x: largest mode fraction × {mix.n_modes}", fontsize=7)
    ax2.set_ylim(0, mix.n_modes + 0.5)
    axt = fig.add_subplot(gs[2, :])
    axt.axis("off")
    rows = [[o, pm(tab[o]["covered"], "{:.1f}"), pm(tab[o]["modes_covered"], "{:.1f}"),
             pm(100 * tab[o]["high_quality_fraction"], "{:.1f}"), pm(tab[o]["largest_mode_fraction"]),
             pm(tab[o]["kl_pq"], "{:.3g}"), pm(tab[o]["kl_qp"], "{:.3g}")] for o in objectives]
    t = axt.table(cellText=rows, loc="center",
                  colLabels=["objective", "modes ≥ 2 %", "modes (3σ)", "high quality %", "largest fraction",
                             "KL(P||Q)", "KL(Q||P)"])
    t.auto_set_font_size(False)
    t.set_fontsize(7)
    fig.suptitle(f"Generator objectives, {setting} ({len(seeds)} seeds, {steps} iterations, mean ± std)",
                 fontsize=9)
    fig.tight_layout()
    return fig


def fig_settings(settings=tuple(TRIED), objectives=CORE, seeds=(0, 1, 2, 3, 4), steps=None,
                 cache_dir=None, progress=True, **quick_overrides):
    """Every setting tried: per objective, KL(P||Q) against KL(Q||P) (each seed a dot, the
    median a large one) and the modes holding >= 2 % of the samples. A
    covering/seeking split puts "kl" low on the vertical axis and "reverse_kl"/"logd" low on
    the horizontal one."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(settings), figsize=(3.6 * len(settings), 3.7), squeeze=False)
    for ax, name in zip(axes[0], settings):
        cfg = dict(TRIED[name])
        cfg["options"] = dict(cfg["options"], **quick_overrides.get("options", {}))
        st = cfg["steps"] if steps is None else steps
        runs = objective_runs(objectives, seeds, cfg["mixture"], st, cfg["options"], cache_dir, progress)
        tab = _summary(runs, objectives, seeds)
        _kl_panel(ax, tab, objectives, seeds)
        ax.set_title(f"{name}\n({len(seeds)} seeds, {st} iterations)", fontsize=8)
    fig.tight_layout()
    return fig


_QUICK = dict(seeds=(0,), steps=6, options=dict(latent_dim=4, g_hidden=8, d_hidden=8, batch_size=16, n_eval=200),
              progress=False)

JOBS = [
    FigureJob("poole2016_gan_objectives", fig_objectives,
              full=dict(setting=MAIN, objectives=OBJECTIVE_ORDER, seeds=(0, 1, 2, 3, 4)),
              quick=dict(_QUICK, setting=MAIN, objectives=("kl", "reverse_kl", "logd")),
              uses_cache=True, revision=4,
              description="Improved generator objectives: samples, modes, KL(P||Q) vs KL(Q||P) per f-divergence"),
    FigureJob("poole2016_gan_settings", fig_settings,
              full=dict(settings=tuple(TRIED), objectives=CORE, seeds=(0, 1, 2)),
              quick=dict(_QUICK, settings=tuple(TRIED)[:2], objectives=("kl", "reverse_kl")),
              uses_cache=True, revision=2,
              description="Generator objectives in every setting tried: covering (KL(P||Q)) vs seeking (KL(Q||P))"),
]
