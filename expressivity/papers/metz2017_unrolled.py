"""Metz, Poole, Pfau & Sohl-Dickstein (2017), "Unrolled Generative Adversarial Networks"
(ICLR 2017, arXiv 1611.02163): settings and figures on the 8-mode ring.

The runs use the paper's setting (App. A; :data:`expressivity.gan.SETTINGS` ``"metz2017"``,
each value and its source in :mod:`expressivity.gan.experiments`): G 256 -> 128 -> 128 -> 2
ReLU, D x/4 -> 128 ReLU -> logit, weights 0.8 Q, Adam 1e-4 (beta1 = 0.5) for both, batch
512, alternating minimax updates, K unrolled Adam steps. Each (K, first-order, seed) run is
one sweep cell of 12 500 iterations holding samples every 250 iterations; the four figures
of this module draw from the same cells (a store beside their own cache directories,
``<figures>/.cache/metz2017_unrolled_runs``), and a cell interrupted mid-run resumes from its
checkpoint (saved every 10 s). Full settings: K = 0 and 10 and the K = 10 first-order
ablation with 5 seeds each, K = 5 for seed 0 (Fig. 1): 16 runs.

What the paper shows (its Fig. 1): the plain GAN puts its mass on one mode at a time and
rotates through the modes; with 10 unrolled steps the generator spreads over all 8. The
counts "GAN 1 mode (99.3 % high quality), unrolled GAN 7.6 (35.6 %)" are VEEGAN's Table 1
(Srivastava et al. 2017) in VEEGAN's own setup; they are shown as such.

Notebook: ``notebooks/metz2017_unrolled.ipynb``.
"""
from __future__ import annotations

import json

import numpy as np

from meanfield.figures import pyplot

from .. import sweep
from ..gan import PUBLISHED, mode_fractions, ring, train_gan
from ..gan.plot import density_panel, pm
from . import FigureJob, SharedRuns

__all__ = ["ring_cell", "ring_runs", "hop_statistics", "fig_samples_over_training", "fig_mode_hops",
           "fig_seed_table", "fig_ablation", "FULL", "QUICK", "JOBS"]

#: Shared full settings of the module's figures (the paper's networks and optimiser are the
#: library's "metz2017" setting; these choose the runs).
FULL = dict(unroll_steps=(0, 5, 10), seeds=(0, 1, 2, 3, 4), steps=12_500, snapshot_every=250,
            n_snapshot=1000, options={})
#: Seconds-scale settings (tests, EXPRESSIVITY_QUICK=1 notebooks): tiny networks, 20 steps.
QUICK = dict(unroll_steps=(0, 2), seeds=(0, 1), steps=20, snapshot_every=5, n_snapshot=200,
             options=dict(latent_dim=4, g_hidden=8, d_hidden=8, batch_size=32, n_eval=200))

COLLAPSE_FRACTION = 0.8   # a snapshot is "on one mode" when >= 80 % of samples are nearest it
HOPS_AFTER = 5000         # ... counted after this many iterations (5 for quick runs, see below)
_RUNS = SharedRuns("metz2017_unrolled_runs")


def ring_cell(unroll_steps, first_order, seed, steps, snapshot_every, n_snapshot, options):
    """One training run as a sweep cell (module level: picklable). ``options`` (overrides of
    the "metz2017" setting) arrives as JSON. Returns the final metrics, the final samples,
    the snapshots (every ``snapshot_every`` iterations) and the losses."""
    opts = json.loads(options)
    snaps = list(range(0, steps + 1, snapshot_every))
    params = dict(unroll_steps=unroll_steps, first_order=first_order, seed=seed, steps=steps,
                  snapshot_every=snapshot_every, n_snapshot=n_snapshot, options=options)
    ck = _RUNS.checkpoint("ring", params)
    r = train_gan("ring", steps, seed, unroll_steps=unroll_steps, first_order=first_order,
                  snapshot_steps=snaps, n_snapshot=n_snapshot, progress=False, checkpoint=ck,
                  checkpoint_every=10.0, **opts)
    if r.interrupted:
        raise KeyboardInterrupt("ring run interrupted (its checkpoint is kept)")
    return dict(r.summary(), samples=r.samples.astype(np.float32), mode_fractions=r.mode_fractions,
                snapshot_steps=np.array(snaps), snapshots=np.stack([r.snapshots[s] for s in snaps]).astype(np.float32),
                g_loss=r.history["g_loss"], d_loss=r.history["d_loss"])


def ring_runs(unroll_steps=FULL["unroll_steps"], seeds=FULL["seeds"], steps=FULL["steps"],
              snapshot_every=FULL["snapshot_every"], n_snapshot=FULL["n_snapshot"], options=None,
              first_order=False, cache_dir=None, progress=True):
    """{(K, seed): cell dict} for every K in ``unroll_steps`` and seed; finished cells come
    from the store (``cache_dir``'s shared run store), missing ones are trained."""
    store = _RUNS.store(cache_dir, JOBS)
    out = {}
    opt = json.dumps(dict(options or {}), sort_keys=True)
    with _RUNS.checkpoints(store):
        for K in unroll_steps:
            for s in seeds:
                params = dict(unroll_steps=int(K), first_order=bool(first_order), seed=int(s),
                              steps=int(steps), snapshot_every=int(snapshot_every),
                              n_snapshot=int(n_snapshot), options=opt)
                out[K, s] = sweep.run_one("ring", ring_cell, params, store, progress=progress)
    return out


def hop_statistics(cell, after=HOPS_AFTER, threshold=COLLAPSE_FRACTION):
    """From a cell's snapshots after ``after`` iterations: the fraction of snapshots with
    >= ``threshold`` of the samples nearest one mode, the number of changes of the dominant
    mode between consecutive snapshots, the number of distinct dominant modes, and the
    dominant mode and its fraction at every snapshot."""
    mix = ring()
    steps = np.asarray(cell["snapshot_steps"])
    fr = np.array([mode_fractions(x, mix) for x in cell["snapshots"]])
    dom, top = fr.argmax(1), fr.max(1)
    sel = steps >= after
    d = dom[sel]
    return dict(collapsed=float(np.mean(top[sel] >= threshold)) if sel.any() else np.nan,
                changes=int(np.sum(d[1:] != d[:-1])), distinct=int(len(set(d.tolist()))),
                steps=steps, dominant=dom, largest=top)


def _after(steps):
    return HOPS_AFTER if steps >= 2 * HOPS_AFTER else steps // 4


def fig_samples_over_training(unroll_steps=FULL["unroll_steps"], seed=0, steps=FULL["steps"],
                              snapshot_every=FULL["snapshot_every"], n_snapshot=FULL["n_snapshot"],
                              columns=6, options=None, cache_dir=None, progress=True):
    """Fig. 1 of the paper: where the generator puts its mass (log-density of its samples)
    after increasing numbers of iterations, one row per K; the last column is the target."""
    plt = pyplot()
    runs = ring_runs(unroll_steps, (seed,), steps, snapshot_every, n_snapshot, options, False,
                     cache_dir, progress)
    mix = ring()
    cols = np.linspace(0, steps, columns).round().astype(int)
    fig, axes = plt.subplots(len(unroll_steps), columns + 1, squeeze=False,
                             figsize=(1.55 * (columns + 1), 1.65 * len(unroll_steps)))
    for i, K in enumerate(unroll_steps):
        cell = runs[K, seed]
        st = np.asarray(cell["snapshot_steps"])
        for j, c in enumerate(cols):
            k = int(np.argmin(np.abs(st - c)))
            density_panel(axes[i, j], cell["snapshots"][k], mix, f"step {int(st[k])}" if i == 0 else "")
        axes[i, 0].set_ylabel(f"{K} unrolling steps" if K else "standard GAN", fontsize=8)
        density_panel(axes[i, -1], mix.sample(len(cell["snapshots"][0]), seed=0), mix,
                      "target" if i == 0 else "")
    fig.suptitle(f"Unrolled GAN on the 8-mode ring (Metz et al. 2017, Fig. 1; App. A setting, seed {seed})",
                 fontsize=9)
    fig.tight_layout()
    return fig


def fig_mode_hops(seeds=FULL["seeds"], steps=FULL["steps"], snapshot_every=FULL["snapshot_every"],
                  n_snapshot=FULL["n_snapshot"], unrolled=10, options=None, cache_dir=None, progress=True):
    """The plain GAN's dominant mode over training, one row of markers per seed (colour: the
    fraction of samples nearest that mode), and the largest nearest-mode fraction against
    iterations for K = 0 and K = ``unrolled`` (1/8 is an even spread, 1 a collapse)."""
    plt = pyplot()
    runs = ring_runs((0, unrolled), seeds, steps, snapshot_every, n_snapshot, options, False,
                     cache_dir, progress)
    after = _after(steps)
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 3.4), gridspec_kw=dict(width_ratios=[1.5, 1]))
    for r, s in enumerate(seeds):
        h = hop_statistics(runs[0, s], after)
        sc = ax.scatter(h["steps"], h["dominant"] + 9 * r, c=h["largest"], cmap="viridis", vmin=0.125,
                        vmax=1, s=7)
        ax.text(steps * 1.01, 9 * r + 3.5, f"seed {s}: {100 * h['collapsed']:.0f} % on one mode,\n"
                f"{h['changes']} changes, {h['distinct']} modes", fontsize=6, va="center")
    ax.set_yticks([9 * r + 3.5 for r in range(len(seeds))], [f"seed {s}" for s in seeds], fontsize=7)
    ax.axvline(after, color="0.6", lw=0.8, ls=":")
    ax.set_xlim(0, steps * 1.3)
    ax.set_xlabel("iteration")
    ax.set_title("standard GAN (K = 0): dominant mode (0-7) over training", fontsize=8)
    fig.colorbar(sc, ax=ax, fraction=0.03, label="fraction nearest it")
    for K, col in ((0, "tab:red"), (unrolled, "tab:blue")):
        tops = np.array([hop_statistics(runs[K, s], after)["largest"] for s in seeds])
        st = hop_statistics(runs[K, seeds[0]], after)["steps"]
        for t in tops:
            ax2.plot(st, t, color=col, alpha=0.25, lw=0.7)
        ax2.plot(st, tops.mean(0), color=col, lw=1.6, label=f"K = {K} (mean of {len(seeds)} seeds)")
    ax2.axhline(1 / 8, color="k", ls=":", lw=0.8, label="even spread (1/8)")
    ax2.set_ylim(0, 1.02)
    ax2.set_xlabel("iteration")
    ax2.set_ylabel("largest nearest-mode fraction")
    ax2.legend(fontsize=7)
    fig.tight_layout()
    return fig


def _table_rows(runs, keys, seeds, after):
    rows = []
    for label, key in keys:
        cells = [runs[key, s] for s in seeds]
        hs = [hop_statistics(c, after) for c in cells]
        rows.append([label, pm([c["modes_covered"] for c in cells], "{:.1f}"),
                     pm([100 * c["high_quality_fraction"] for c in cells], "{:.1f}"),
                     pm([c["largest_mode_fraction"] for c in cells], "{:.2f}"),
                     pm([100 * h["collapsed"] for h in hs], "{:.0f}"),
                     pm([h["distinct"] for h in hs], "{:.1f}"),
                     pm([c["kl_pq"] for c in cells], "{:.3g}"),
                     pm([c["seconds"] for c in cells], "{:.0f}")])
    return rows


def fig_seed_table(unroll_steps=FULL["unroll_steps"], seeds=FULL["seeds"], steps=FULL["steps"],
                   snapshot_every=FULL["snapshot_every"], n_snapshot=FULL["n_snapshot"], options=None,
                   cache_dir=None, progress=True):
    """Mean ± std over seeds per K, next to the published numbers: modes covered and
    high-quality fraction (VEEGAN's 3-sigma metric, 2500 samples), the largest nearest-mode
    fraction, % of snapshots after 5k iterations on one mode (>= 80 %), the dominant modes
    visited, KL(P||Q) and the run time; plus each seed's final nearest-mode fractions."""
    plt = pyplot()
    runs = ring_runs(unroll_steps, seeds, steps, snapshot_every, n_snapshot, options, False,
                     cache_dir, progress)
    fo = ring_runs((max(unroll_steps),), seeds, steps, snapshot_every, n_snapshot, options, True,
                   cache_dir, progress)
    runs.update({("fo", s): v for (K, s), v in fo.items()})
    after = _after(steps)
    fig = plt.figure(figsize=(12, 2.2 + 0.9 * len(unroll_steps)))
    gs = fig.add_gridspec(2, len(unroll_steps), height_ratios=[1, 1.25])
    for i, K in enumerate(unroll_steps):
        ax = fig.add_subplot(gs[0, i])
        fr = np.array([runs[K, s]["mode_fractions"] for s in seeds])
        im = ax.imshow(fr, vmin=0, vmax=1, cmap="magma", aspect="auto")
        ax.set_yticks(range(len(seeds)), [f"seed {s}" for s in seeds], fontsize=6)
        ax.set_xticks(range(8), range(8), fontsize=6)
        ax.set_xlabel("mode", fontsize=7)
        ax.set_title(f"K = {K}: final nearest-mode fractions", fontsize=8)
    fig.colorbar(im, ax=ax, fraction=0.04)
    axt = fig.add_subplot(gs[1, :])
    axt.axis("off")
    keys = [(f"K = {K}", K) for K in unroll_steps] + [(f"K = {max(unroll_steps)}, no 2nd-order term", "fo")]
    rows = _table_rows(runs, keys, seeds, after)
    v = PUBLISHED["veegan_ring"]
    rows += [["Metz et al. Fig. 1, GAN", "one mode at a time", "", "", "", "", "", ""],
             ["Metz et al. Fig. 1, K = 10", "all 8", "", "", "", "", "", ""],
             ["VEEGAN Table 1, GAN", f"{v['GAN']['modes']:.0f}", f"{100 * v['GAN']['hq']:.1f}", "", "", "", "", ""],
             ["VEEGAN Table 1, unrolled", f"{v['Unrolled GAN']['modes']}", f"{100 * v['Unrolled GAN']['hq']:.1f}",
              "", "", "", "", ""]]
    t = axt.table(cellText=rows, loc="center",
                  colLabels=["", "modes\n(3σ, of 8)", "high\nquality %", "largest\nmode fraction",
                             f"% snapshots on one\nmode (after {after})", "dominant\nmodes visited",
                             "KL(P||Q)", "seconds\n(shared CPU)"])
    t.auto_set_font_size(False)
    t.set_fontsize(7)
    t.scale(1, 1.25)
    for (r, c), cell in t.get_celld().items():
        if r == 0:
            cell.set_height(cell.get_height() * 1.8)
    axt.set_title(f"{len(seeds)} seeds, {steps} iterations, mean ± std (App. A setting)", fontsize=8)
    fig.tight_layout()
    return fig


def fig_ablation(unrolled=10, seeds=FULL["seeds"], seed=0, steps=FULL["steps"],
                 snapshot_every=FULL["snapshot_every"], n_snapshot=FULL["n_snapshot"], columns=6,
                 options=None, cache_dir=None, progress=True):
    """The ablation: K unrolled steps with and without the second-order term (the gradient
    through theta_D^K cut): samples over training for ``seed``, and the modes covered and
    largest nearest-mode fraction over ``seeds``."""
    plt = pyplot()
    full = ring_runs((unrolled,), seeds, steps, snapshot_every, n_snapshot, options, False, cache_dir, progress)
    fo = ring_runs((unrolled,), seeds, steps, snapshot_every, n_snapshot, options, True, cache_dir, progress)
    mix = ring()
    cols = np.linspace(0, steps, columns).round().astype(int)
    fig, axes = plt.subplots(2, columns + 1, figsize=(1.55 * (columns + 1), 3.6), squeeze=False)
    for i, (label, runs) in enumerate((("with 2nd-order term", full), ("first order only", fo))):
        cell = runs[unrolled, seed]
        st = np.asarray(cell["snapshot_steps"])
        for j, c in enumerate(cols):
            k = int(np.argmin(np.abs(st - c)))
            density_panel(axes[i, j], cell["snapshots"][k], mix, f"step {int(st[k])}" if i == 0 else "")
        axes[i, 0].set_ylabel(f"K={unrolled}, {label}", fontsize=7)
        ax = axes[i, -1]
        m = [runs[unrolled, s]["modes_covered"] for s in seeds]
        lf = [runs[unrolled, s]["largest_mode_fraction"] for s in seeds]
        ax.axis("off")
        ax.text(0.02, 0.5, f"{len(seeds)} seeds:\nmodes {pm(m, '{:.1f}')}\nlargest fraction\n{pm(lf)}",
                fontsize=7, va="center", transform=ax.transAxes)
    fig.suptitle("Ablation: unrolled GAN without the gradient through the unrolled steps", fontsize=9)
    fig.tight_layout()
    return fig


_Q = dict(steps=QUICK["steps"], snapshot_every=QUICK["snapshot_every"], n_snapshot=QUICK["n_snapshot"],
          options=QUICK["options"], progress=False)
_F = dict(steps=FULL["steps"], snapshot_every=FULL["snapshot_every"], n_snapshot=FULL["n_snapshot"],
          options=FULL["options"])

JOBS = [
    FigureJob("metz2017_unrolled_fig1", fig_samples_over_training,
              full=dict(_F, unroll_steps=FULL["unroll_steps"], seed=0),
              quick=dict(_Q, unroll_steps=QUICK["unroll_steps"], seed=0, columns=3),
              uses_cache=True,
              description="Fig. 1: generator density over training, K = 0 (mode hopping) vs K = 5, 10"),
    FigureJob("metz2017_unrolled_mode_hops", fig_mode_hops,
              full=dict(_F, seeds=FULL["seeds"], unrolled=10),
              quick=dict(_Q, seeds=QUICK["seeds"], unrolled=2),
              uses_cache=True,
              description="Standard GAN: dominant mode over training (hops), largest mode fraction vs K = 10"),
    FigureJob("metz2017_unrolled_seed_table", fig_seed_table,
              full=dict(_F, unroll_steps=(0, 10), seeds=FULL["seeds"]),
              quick=dict(_Q, unroll_steps=QUICK["unroll_steps"], seeds=QUICK["seeds"]),
              uses_cache=True, revision=1,
              description="Seed table: modes, high quality, mode fractions per K vs Metz et al. and VEEGAN's table"),
    FigureJob("metz2017_unrolled_ablation", fig_ablation,
              full=dict(_F, unrolled=10, seeds=FULL["seeds"], seed=0),
              quick=dict(_Q, unrolled=2, seeds=QUICK["seeds"], seed=0, columns=3),
              uses_cache=True,
              description="Ablation: K = 10 with and without the second-order term"),
]
