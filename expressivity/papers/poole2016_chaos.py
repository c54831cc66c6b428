"""Poole, Lahiri, Raghu, Sohl-Dickstein & Ganguli (2016), "Exponential expressivity in deep
neural networks through transient chaos" (NeurIPS 2016, arXiv 1606.05340): settings and figures.

Theory panels (Figs. 1-2) draw :mod:`meanfield`; the simulation overlays (Figs. 1A, 2B, 3,
4 C-E, 5) draw finite networks from :mod:`expressivity` (``propagate_circle``,
:mod:`expressivity.compare`) against it. The paper's networks are tanh with sigma_b = 0.3
and sigma_w in {1.3, 2.5, 4.0}, width N = 1000; it quotes standard deviations, converted to
the library's variances here. Notebook: ``notebooks/poole2016_chaos.ipynb``.

Every heat map takes ``pointwise``: False (default) uses :func:`meanfield.phase_diagram`
(tables built once per activation, cached on disk); True evaluates the pointwise functions on
the grid, which needs no table (the quick settings use it on tiny grids).
"""
from __future__ import annotations

import numpy as np

import meanfield as mf
from meanfield.figures import pyplot

from .. import compare, sweep
from ..curves import great_circle
from ..measures import pca_projection, pca_spectrum
from ..networks import as_generator, draw_layers, random_network
from ..propagate import circle_network, circle_q, iterate_layers, propagate_circle
from . import FigureJob

SIGMA_W = (1.3, 2.5, 4.0)    # Poole's three networks (standard deviations)
SIGMA_B = 0.3
WIDTH = 1000
_COLORS = ("tab:blue", "tab:green", "tab:red", "tab:purple", "tab:orange")
_STYLES = ("-", "--", ":", "-.")


def _diagram(sigma_w2, sigma_b2, pointwise, fields):
    if pointwise:
        return mf.phase_diagram_pointwise("tanh", sigma_w2, sigma_b2, fields=fields)
    return mf.phase_diagram("tanh", sigma_w2, sigma_b2)


# ---- Figures 1-2, theory ----------------------------------------------------------------
def fig1_length_map(sigma_ws=SIGMA_W, sigma_b=SIGMA_B, q_max=15.0, n_q=301,
                          q0s=(0.5, 4.0, 10.0, 15.0), n_layers=15, grid=256, w_range=(1.0, 5.0),
                          b_range=(0.0, 4.0), conv_q0=1.0, rtol=0.01, pointwise=False):
    """Poole Fig. 1 (theory): (A) V(q) on [0, q_max] for tanh networks (sigma_b, sigma_ws),
    (B) q^l from several q0, (C) q* heat map over sigma_w x sigma_b (stds), (D) the number
    of iterations to get within ``rtol`` of q* from ``conv_q0``, with the chi1 = 1 line."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 4, figsize=(18, 4))
    a0, a1, a2, a3 = axes
    b2 = sigma_b ** 2
    q = np.linspace(0.0, q_max, n_q)
    a0.plot(q, q, "k:", lw=1, label="identity")
    for i, sw in enumerate(sigma_ws):
        a0.plot(q, mf.length_map(q, "tanh", sw ** 2, b2), color=_COLORS[i], label=f"$\\sigma_w$={sw}")
        qs = mf.q_star("tanh", sw ** 2, b2)
        if qs <= q_max:
            a0.plot([qs], [qs], "o", color=_COLORS[i], ms=5)
        traj = mf.q_dynamics("tanh", sw ** 2, b2, np.asarray(q0s, float), n_layers)
        for j in range(len(q0s)):
            a1.plot(np.arange(n_layers), traj[:, j], color=_COLORS[i], ls=_STYLES[j % 4], lw=1.2,
                    label=(f"$\\sigma_w$={sw}" if j == 0 else None))
    a0.set(xlabel="$q^{l-1}$", ylabel="$q^l$", title=f"A: length map, $\\sigma_b$={sigma_b}",
           xlim=(0, q_max), ylim=(0, q_max))
    a0.legend(fontsize=8)
    a1.set(xlabel="layer $l$", ylabel="$q^l$", title="B: $q^l$ from $q^0$ = " + ", ".join(f"{x:g}" for x in q0s))
    a1.legend(fontsize=8)
    sw = np.linspace(*w_range, grid)
    sb = np.linspace(*b_range, grid)
    pd = _diagram(sw ** 2, sb ** 2, pointwise, ("q_star", "chi1"))
    pd.plot("q_star", ax=a2, stds=True, log=False)
    a2.set_title("C: $q^*$")
    n = mf.iterations_to_converge("tanh", sw[:, None] ** 2, sb[None, :] ** 2, conv_q0, rtol, qstar=pd.q_star)
    # near (sigma_b, sigma_w) = (0, 1) convergence is a slow power law: clip the colour scale
    vmax = max(5.0, float(np.nanpercentile(n, 98))) if np.isfinite(n).any() else None
    mesh = a3.pcolormesh(sb, sw, np.ma.masked_invalid(n), shading="auto", cmap="viridis", vmin=0, vmax=vmax)
    fig.colorbar(mesh, ax=a3, label="iterations", extend="max")
    if np.nanmax(pd.chi1) > 1 > np.nanmin(pd.chi1):
        a3.contour(sb, sw, pd.chi1, levels=[1.0], colors="w", linewidths=1.5)
    a3.set(xlabel=r"$\sigma_b$", ylabel=r"$\sigma_w$",
           title=f"D: iterations to {100 * rtol:g}% of $q^*$ from $q^0$={conv_q0:g}")
    fig.tight_layout()
    return fig


def fig2_correlation_map(sigma_ws=SIGMA_W, sigma_b=SIGMA_B, n_c=201,
                               c0s=(0.2, 0.5, 0.8), depth=30, grid=256, w_range=(1.0, 5.0),
                               b_range=(0.0, 4.0), pointwise=False):
    """Poole Fig. 2 (theory): (A) the C-map c^{l-1} -> c^l at q* for the three networks,
    (B) c^l from c0s over ``depth`` layers, (C) c* heat map with the chi1 = 1 contour,
    (D) chi1 heat map (sigma_w x sigma_b in stds)."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 4, figsize=(18, 4))
    a0, a1, a2, a3 = axes
    b2 = sigma_b ** 2
    c = np.linspace(0.0, 1.0, n_c)
    a0.plot(c, c, "k:", lw=1, label="identity")
    for i, sw in enumerate(sigma_ws):
        a0.plot(c, mf.correlation_map(c, "tanh", sw ** 2, b2), color=_COLORS[i], label=f"$\\sigma_w$={sw}")
        cs = mf.c_star("tanh", sw ** 2, b2)
        a0.plot([cs], [cs], "o", color=_COLORS[i], ms=5)
        traj = mf.c_dynamics("tanh", sw ** 2, b2, np.asarray(c0s, float), depth)
        for j in range(len(c0s)):
            a1.plot(np.arange(depth), traj[:, j], color=_COLORS[i], ls=_STYLES[j % 4], lw=1.2,
                    label=(f"$\\sigma_w$={sw}" if j == 0 else None))
    a0.set(xlabel="$c^{l-1}$", ylabel="$c^l$", title=f"A: C-map at $q^*$, $\\sigma_b$={sigma_b}",
           xlim=(0, 1), ylim=(0, 1))
    a0.legend(fontsize=8)
    a1.set(xlabel="layer $l$", ylabel="$c^l$", ylim=(-0.02, 1.02),
           title="B: $c^l$ from $c^0$ = " + ", ".join(f"{x:g}" for x in c0s))
    a1.legend(fontsize=8)
    sw = np.linspace(*w_range, grid)
    sb = np.linspace(*b_range, grid)
    pd = _diagram(sw ** 2, sb ** 2, pointwise, ("chi1", "c_star"))
    pd.plot("c_star", ax=a2, stds=True)
    a2.set_title("C: $c^*$ with $\\chi_1 = 1$")
    pd.plot("chi1", ax=a3, stds=True, cmap="magma")
    a3.set_title("D: $\\chi_1$")
    fig.tight_layout()
    return fig


# ---- Figures 1A, 2B, 3, 4 C-E, 5: theory against finite networks ---------------------------
def fig1a_length_map(sigma_ws=SIGMA_W, sigma_b=SIGMA_B, width=1000, n_q=31,
                     q_max=15.0, q0s=(0.5, 4.0, 10.0, 15.0), n_layers=15, seed=0):
    """Left: V(q) theory (lines) vs one simulated layer (dots). Right: q^l from several q0."""
    plt = pyplot()
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 4))
    q = np.linspace(q_max / n_q, q_max, n_q)
    ax0.plot(q, q, "k:", lw=1, label="identity")
    for i, sw in enumerate(sigma_ws):
        r = compare.length_map_theory_vs_simulation("tanh", sw ** 2, sigma_b ** 2, q, width, seed + i)
        ax0.plot(q, r.theory, color=_COLORS[i], label=f"$\\sigma_w$={sw}")
        ax0.plot(q, r.simulation, "o", ms=3, color=_COLORS[i])
        for j, q0 in enumerate(q0s):
            th = [q0]
            for _ in range(n_layers - 1):
                th.append(float(mf.length_map(th[-1], "tanh", sw ** 2, sigma_b ** 2)))
            rng = as_generator(seed + 100 * i + j)
            net = random_network(width, width, n_layers - 1, "tanh", sw ** 2, sigma_b ** 2, seed=rng)
            u = rng.standard_normal(width)
            h = u * np.sqrt(width * q0) / np.linalg.norm(u)
            sim = [q0] + [float(x @ x) / width for x in net.forward(h, input_is_preactivation=True)]
            ax1.plot(np.arange(1, n_layers + 1), th, color=_COLORS[i], lw=1)
            ax1.plot(np.arange(1, n_layers + 1), sim, "o", ms=2.5, color=_COLORS[i])
    ax0.set(xlabel="$q^{l-1}$", ylabel="$q^l$", title="length map: theory (lines), N=%d (dots)" % width)
    ax0.legend(fontsize=8)
    ax1.set(xlabel="layer $l$", ylabel="$q^l$", title="$q^l$ dynamics from several $q^1$")
    fig.tight_layout()
    return fig


def fig2b_correlation_dynamics(sigma_ws=SIGMA_W, sigma_b=SIGMA_B, c0s=(0.2, 0.5, 0.8),
                               depth=30, width=1000, seed=0):
    """c^l from c^1 = c0 over ``depth`` layers: theory (lines) vs one width-``width`` net."""
    plt = pyplot()
    fig, axes = plt.subplots(1, len(sigma_ws), figsize=(4 * len(sigma_ws), 3.4), sharey=True)
    for ax, sw, i in zip(np.atleast_1d(axes), sigma_ws, range(len(sigma_ws))):
        r = compare.correlation_dynamics_theory_vs_simulation("tanh", sw ** 2, sigma_b ** 2, c0s,
                                                              depth, width, seed + i)
        for k, c0 in enumerate(c0s):
            ax.plot(r.x, r.theory[k], color=_COLORS[k], label=f"$c^1$={c0}")
            ax.plot(r.x, r.simulation[k], "o", ms=2.5, color=_COLORS[k])
        ax.set(title=f"$\\sigma_w$={sw}, $\\sigma_b$={sigma_b}", xlabel="layer $l$", ylim=(-0.05, 1.02))
    np.atleast_1d(axes)[0].set_ylabel("$c^l$")
    np.atleast_1d(axes)[0].legend(fontsize=8)
    fig.tight_layout()
    return fig


def fig3_circle(sigma_w=4.0, sigma_b=SIGMA_B, width=1000, depth=40, n_points=500,
                layers=(5, 10, 15), n_singular=20, seed=0):
    """Great circle through a chaotic tanh net: PCA projections at ``layers``, the fraction of
    variance of the top singular values per layer, and the autocorrelation vs dtheta (theory
    lines, simulation dots)."""
    plt = pyplot()
    net, circle = circle_network("tanh", sigma_w ** 2, sigma_b ** 2, width, depth, n_points, seed)
    keep, spectra = {}, []
    for l, (x, _, _) in enumerate(iterate_layers(net, circle, input_is_preactivation=True), 1):
        if l in layers:
            keep[l] = x.copy()
        spectra.append(pca_spectrum(x)[1][:n_singular])
    fig = plt.figure(figsize=(4 * len(layers), 7.5))
    for i, l in enumerate(layers):
        ax = fig.add_subplot(2, len(layers), i + 1, projection="3d")
        P = pca_projection(keep[l], 3)
        ax.scatter(P[:, 0], P[:, 1], P[:, 2], c=circle.t, cmap="hsv", s=3)
        ax.set_title(f"layer {l}: top-3 PCA projection")
        ax.set_xticks([]); ax.set_yticks([]); ax.set_zticks([])
    ax = fig.add_subplot(2, 2, 3)
    S = np.array(spectra)
    for k in range(min(5, S.shape[1])):
        ax.plot(np.arange(1, depth + 1), S[:, k], label=f"singular value {k + 1}")
    ax.plot(np.arange(1, depth + 1), S[:, :10].sum(1), "k--", label="top 10")
    ax.set(xlabel="layer $l$", ylabel="fraction of variance", title="variance explained")
    ax.legend(fontsize=7)
    ax = fig.add_subplot(2, 2, 4)
    r = compare.autocorrelation_theory_vs_simulation("tanh", sigma_w ** 2, sigma_b ** 2, width,
                                                     layers, n_points, seed)
    half = slice(0, n_points // 2 + 1)
    for k, l in enumerate(layers):
        ax.plot(r.x[half], r.theory[k][half], color=_COLORS[k], label=f"layer {l}")
        ax.plot(r.x[half][::max(1, n_points // 60)], r.simulation[k][half][::max(1, n_points // 60)],
                "o", ms=2.5, color=_COLORS[k])
    ax.set(xlabel="$\\Delta\\theta$", ylabel="autocorrelation", title="theory (lines) vs simulation")
    ax.legend(fontsize=8)
    fig.suptitle(f"tanh, $\\sigma_w$={sigma_w}, $\\sigma_b$={sigma_b}, N={width}")
    fig.subplots_adjust(hspace=0.3, wspace=0.25)
    return fig


def fig4_curve_geometry(sigma_ws=SIGMA_W, sigma_b=SIGMA_B, width=1000, depth=20,
                        n_points=500, seeds=(0,), cache_dir=None, executor=None, progress=False):
    """gbar^E, kappa_bar and the Grassmannian length against depth: Eq. 8 (lines) vs
    simulation (dots, mean over seeds) for the three networks (Fig. 4 C-E).

    The simulations are a sweep over sigma_w2 x seed of :func:`expressivity.propagate_circle`
    (stored under ``cache_dir``, resumable; run on ``executor`` as in
    :func:`expressivity.sweep.run`); the dots are the means over seeds, as in
    :func:`expressivity.compare.circle_theory_vs_simulation`."""
    plt = pyplot()
    grid = sweep.Grid(sigma_w2=[float(sw) ** 2 for sw in sigma_ws], seeds=[int(s) for s in seeds])
    sims = sweep.ensemble("poole4_circles", propagate_circle, grid, cache_dir,
                        fixed=dict(activation="tanh", sigma_b2=sigma_b ** 2, width=width, depth=depth,
                                   n_points=n_points),
                        executor=executor, progress=progress)
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    l = np.arange(1, depth + 1)
    for i, sw in enumerate(sigma_ws):
        theory = mf.curve_theory("tanh", sw ** 2, sigma_b ** 2, depth)
        sim = {f: sims[f][i].mean(axis=0) for f in ("gbar", "kappa_bar2", "grassmannian_length")}
        for ax, th, s in ((axes[0], theory.gbar, sim["gbar"]),
                          (axes[1], np.sqrt(theory.kappa_bar2), np.sqrt(sim["kappa_bar2"])),
                          (axes[2], theory.grassmannian_length, sim["grassmannian_length"])):
            ax.plot(l, th, color=_COLORS[i], label=f"$\\sigma_w$={sw}")
            ax.plot(l, s, "o", ms=3, color=_COLORS[i])
    for ax, name in zip(axes, ("$\\bar g^E$", "$\\bar\\kappa$", "$\\mathcal{L}^G$")):
        ax.set(yscale="log", xlabel="layer $l$", title=name)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"theory (Eq. 8, lines) vs simulation (N={width}, dots)")
    fig.tight_layout()
    return fig


def _readout_error(F, Y, lam=1e-10):
    """Relative squared error of the best (ridge, lam relative to the mean feature power)
    linear readout with a constant: min_w ||F w + c - Y||^2 / ||Y||^2 per target column."""
    F = np.hstack([F, np.ones((F.shape[0], 1))])
    G = F.T @ F
    A = G + lam * np.trace(G) / G.shape[0] * np.eye(G.shape[0])
    pred = F @ np.linalg.solve(A, F.T @ Y)
    return np.sum((pred - Y) ** 2, axis=0) / np.sum(Y ** 2, axis=0)


def _fig5_inputs(sigma_w2, sigma_b2, input_dim, n_points, frequencies, seed):
    """Generator after drawing the input circle, the circle X on [0, pi) at q*, and targets Y."""
    rng = as_generator(seed)
    qs = circle_q("tanh", sigma_w2, sigma_b2)
    theta = np.pi * np.arange(n_points) / n_points
    u0, u1 = great_circle(input_dim, 4, 1.0, seed=rng).x[:2] / np.sqrt(input_dim)
    r = np.sqrt(input_dim * max(qs - sigma_b2, 1e-12) / sigma_w2)   # sigma_w2 ||x||^2/d + sigma_b2 = q*
    X = r * (np.cos(theta)[:, None] * u0 + np.sin(theta)[:, None] * u1)
    Y = np.cos(theta[:, None] * np.asarray(frequencies, dtype=float)[None, :])
    return rng, X, Y


def fig5_deep_cell(seed, *, sigma_w2, sigma_b2, input_dim, n_points, depths, width, frequencies):
    """Sweep cell of Fig. 5, deep features: readout error ``(len(depths), len(frequencies))``.

    One network of ``max(depths)`` tanh layers of width ``width``, drawn after the circle
    from ``seed``; the features are its post-activations at each depth in ``depths``."""
    rng, X, Y = _fig5_inputs(sigma_w2, sigma_b2, input_dim, n_points, frequencies, seed)
    error, z = [], X
    for d, (W, b) in enumerate(draw_layers(rng, input_dim, [width] * max(depths), sigma_w2, sigma_b2), 1):
        z = np.tanh(z @ W.T + b)   # one layer in memory
        if d in depths:
            error.append(_readout_error(z, Y))
    return {"error": np.array(error)}


def fig5_shallow_cell(shallow_width, seed, *, sigma_w2, sigma_b2, input_dim, n_points, depths, width,
                      shallow_widths, frequencies):
    """Sweep cell of Fig. 5, one hidden layer of width ``shallow_width``: readout error per frequency.

    The shallow networks are drawn from the same generator as the deep one, after it and in the
    order of ``shallow_widths`` (as one sequential run would draw them); the cell replays those
    draws so that every cell is independent and the numbers do not depend on which cells ran."""
    rng, X, Y = _fig5_inputs(sigma_w2, sigma_b2, input_dim, n_points, frequencies, seed)
    for _ in draw_layers(rng, input_dim, [width] * max(depths), sigma_w2, sigma_b2):
        pass
    for k in shallow_widths:
        net = random_network(input_dim, [k], None, "tanh", sigma_w2, sigma_b2, seed=rng)
        if k == shallow_width:
            return {"error": _readout_error(net.forward(X, post_activation=True)[0], Y)}
    raise ValueError(f"shallow_width={shallow_width} is not in shallow_widths={shallow_widths}")


def fig5_deep_vs_shallow(sigma_w=4.0, sigma_b=SIGMA_B, input_dim=500, n_points=10_000,
                         depths=(1, 3, 5, 7, 9, 11, 13), width=1000,
                         shallow_widths=(100, 300, 1000, 3000), frequencies=tuple(range(1, 41)),
                         seed=0, cache_dir=None, executor=None, progress=False):
    """Deep vs shallow random features: ridge readout of cos(f theta) on half a great circle.

    The input circle (``input_dim``-d, ``n_points`` angles on [0, pi)) is scaled so that the
    first layer sits at q*; features are the post-activations of a deep net (width ``width``)
    at each depth, or of one hidden layer of each shallow width. Error: relative squared error
    of the least-squares readout over all angles (what the features can represent; keep
    ``n_points`` well above the widths), per frequency f.

    The deep network and each shallow one are sweep cells (:func:`fig5_deep_cell`,
    :func:`fig5_shallow_cell`) stored under ``cache_dir`` (resumable) and run on ``executor``
    (as in :func:`expressivity.sweep.run`: None = local processes, ``"inprocess"``, an
    Executor or a dask Client).
    """
    plt = pyplot()
    depths, shallow_widths = tuple(int(d) for d in depths), tuple(int(k) for k in shallow_widths)
    freqs = tuple(float(f) for f in frequencies)
    fixed = dict(sigma_w2=sigma_w ** 2, sigma_b2=sigma_b ** 2, input_dim=input_dim, n_points=n_points,
                 depths=depths, width=width, frequencies=freqs)
    deep = sweep.ensemble("poole5_deep", fig5_deep_cell, sweep.Grid(seeds=[seed]), cache_dir,
                        fixed=fixed, executor=executor, progress=progress)["error"][0]
    shallow = sweep.ensemble("poole5_shallow", fig5_shallow_cell,
                           sweep.Grid(shallow_width=shallow_widths, seeds=[seed]), cache_dir,
                           fixed=dict(fixed, shallow_widths=shallow_widths), executor=executor,
                           progress=progress)["error"][:, 0]
    freqs = np.asarray(freqs)
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 3.8), sharey=True)
    cmap = plt.get_cmap("viridis")
    for i, d in enumerate(depths):
        ax0.plot(freqs, deep[i], color=cmap(i / max(1, len(depths) - 1)), label=f"depth {d}")
    for i, k in enumerate(shallow_widths):
        ax1.plot(freqs, shallow[i], color=cmap(i / max(1, len(shallow_widths) - 1)),
                 label=f"1 layer, width {k}")
    ax0.set(yscale="log", xlabel="frequency f of cos(f theta)", ylabel="relative readout error",
            title=f"deep, width {width}")
    ax1.set(yscale="log", xlabel="frequency f", title="shallow")
    ax0.legend(fontsize=7)
    ax1.legend(fontsize=7)
    fig.suptitle(f"tanh, $\\sigma_w$={sigma_w}, $\\sigma_b$={sigma_b}, {n_points} points on half a great circle")
    fig.tight_layout()
    return fig


# ---- the figure jobs ----------------------------------------------------------------------
# Quick heat maps use the pointwise functions on tiny grids, so no per-activation table is
# built; full ones use meanfield.phase_diagram on 256 x 256 grids.
JOBS = [
    FigureJob("poole2016_chaos_fig1_length_map", fig1_length_map,
              full=dict(n_q=301, n_layers=15, grid=256),
              quick=dict(n_q=31, n_layers=6, q0s=(0.5, 10.0), grid=6, pointwise=True),
              description="Fig. 1 theory: V(q), q^l dynamics, q* heat map, iterations to 1% of q*"),
    FigureJob("poole2016_chaos_fig2_correlation_map", fig2_correlation_map,
              full=dict(n_c=201, depth=30, grid=256),
              quick=dict(n_c=21, depth=8, grid=6, pointwise=True),
              description="Fig. 2 theory: C-map, c^l dynamics, c* and chi1 heat maps with chi1=1"),
    FigureJob("poole2016_chaos_fig1a_simulation", fig1a_length_map,
              full=dict(width=WIDTH, n_q=31, n_layers=15),
              quick=dict(width=100, n_q=8, n_layers=6, q0s=(0.5, 10.0)),
              description="Fig. 1A: length map, theory vs one simulated layer; q^l dynamics"),
    FigureJob("poole2016_chaos_fig2b_simulation", fig2b_correlation_dynamics,
              full=dict(width=WIDTH, depth=30),
              quick=dict(width=100, depth=8),
              description="Fig. 2B: c^l dynamics, theory vs N=1000 simulation"),
    FigureJob("poole2016_chaos_fig3_circle", fig3_circle,
              full=dict(width=WIDTH, depth=40, n_points=500, layers=(5, 10, 15)),
              quick=dict(width=100, depth=10, n_points=60, layers=(2, 5, 10)),
              description="Fig. 3: great circle PCA projections, spectra, autocorrelation"),
    FigureJob("poole2016_chaos_fig4cde_curve_geometry", fig4_curve_geometry,
              full=dict(width=WIDTH, depth=15, n_points=500, seeds=(0, 1, 2)),
              quick=dict(width=100, depth=5, n_points=60, executor="inprocess"),
              uses_cache=True,
              description="Fig. 4 C-E: gbar, kappa_bar, Grassmannian length, Eq. 8 vs simulation"),
    FigureJob("poole2016_chaos_fig5_deep_vs_shallow", fig5_deep_vs_shallow,
              full=dict(input_dim=500, n_points=10_000, depths=(1, 3, 5, 7, 9, 11, 13), width=WIDTH,
                        shallow_widths=(100, 300, 1000, 3000), frequencies=tuple(range(1, 61))),
              quick=dict(input_dim=20, n_points=400, depths=(1, 3), width=40,
                         shallow_widths=(20, 80), frequencies=(1, 2, 4, 8), executor="inprocess"),
              uses_cache=True,
              description="Fig. 5: deep vs shallow random features, readout error per frequency"),
]
