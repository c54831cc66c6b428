"""Raghu, Poole, Kleinberg, Ganguli & Sohl-Dickstein (2017), "On the Expressive Power of Deep
Neural Networks" (ICML 2017, arXiv 1606.05336): settings and figures.

Random networks: trajectory growth (Fig. 1), transitions against trajectory length (Fig. 2),
activation regions in a 2-D input plane (Fig. 3), dichotomies against remaining depth and
width (Figs. 4-5). Trajectories are Raghu's circular arcs x(t) = cos(pi t/2) x0 +
sin(pi t/2) x1, lengths are measured exactly on post-activations z^(d), and the mean-field
rate sqrt(chi1)^d from :mod:`meanfield` is drawn beside the paper's bound.
Notebook: ``notebooks/raghu2017_expressive.ipynb``.
"""
from __future__ import annotations

import numpy as np

import meanfield as mf
from meanfield.figures import pyplot

from .. import sweep
from ..curves import arc
from ..networks import as_generator, random_network
from ..propagate import propagate_curve
from ..regions import dichotomies, walk_arc
from . import FigureJob

_COLORS = ("tab:blue", "tab:green", "tab:red", "tab:purple", "tab:orange", "tab:brown", "tab:pink",
           "tab:gray", "tab:olive", "tab:cyan")


def hard_tanh_bound_base(sigma_w2, sigma_b2, k):
    """Raghu et al. (2017) Thm. 1 base: sigma_w sqrt(k) / sqrt(sigma_w2 + sigma_b2 +
    k sqrt(sigma_w2 + sigma_b2)); the lower bound grows like base^d (constants dropped)."""
    s = sigma_w2 + sigma_b2
    return np.sqrt(sigma_w2) * np.sqrt(k) / np.sqrt(s + k * np.sqrt(s))


def _arc_endpoints(dim, rng):
    x0, x1 = rng.standard_normal(dim), rng.standard_normal(dim)
    return x0, x1


def trajectory_lengths(activation, sigma_w2, sigma_b2, width, depth, n_points=2000, seed=0):
    """Length of z^(d), d = 0..depth, along Raghu's arc (forward mode, trapezoid in t)."""
    rng = as_generator(seed)
    x0, x1 = _arc_endpoints(width, rng)
    net = random_network(width, width, depth, activation, sigma_w2, sigma_b2, seed=rng)
    m = propagate_curve(net, arc(x0, x1, n_points), post_activation=True)
    return m.euclidean_length * np.sqrt(width)


def fig_trajectory_length(widths=(20, 100, 500), sigma_w2s=(2.0, 4.0, 8.0, 16.0), fixed_width=100,
                          fixed_sigma_w2=4.0, sigma_b2=0.0, depth=12, n_points=2000, seed=0,
                          activation="hard_tanh", cache_dir=None, executor=None, progress=False):
    """Trajectory length vs depth (log scale), sweeping k at sigma_w2 = ``fixed_sigma_w2`` and
    sigma_w2 at k = ``fixed_width``; dashed: mean-field sqrt(chi1)^d, dotted: the bound's base^d
    (both started at the measured input length). Third panel: per-layer growth ratio.

    Curve i uses seed ``seed + i``; each curve is one sweep cell of :func:`trajectory_lengths`
    (stored under ``cache_dir``, resumable; run on ``executor`` as in :func:`expressivity.sweep.run`)."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.9))
    d = np.arange(depth + 1)
    ratios = []
    configs = [(k, fixed_sigma_w2, axes[0], f"k={k}") for k in widths] + \
              [(fixed_width, s, axes[1], f"$\\sigma_w^2$={s}") for s in sigma_w2s]
    rows = [dict(width=int(k), sigma_w2=float(sw2), seed=int(seed) + i)
            for i, (k, sw2, _, _) in enumerate(configs)]
    lengths = sweep.run_rows("raghu_trajectory", trajectory_lengths, rows, cache_dir,
                       fixed=dict(activation=activation, sigma_b2=sigma_b2, depth=depth, n_points=n_points),
                       executor=executor, progress=progress)["value"]
    for i, (k, sw2, ax, label) in enumerate(configs):
        L = lengths[i]
        c = _COLORS[i % len(_COLORS)]
        ax.plot(d, L, "o-", ms=3, color=c, label=label)
        chi1 = float(mf.chi1(activation, sw2, sigma_b2))
        ax.plot(d[1:], L[1] * np.sqrt(chi1) ** (d[1:] - 1), "--", color=c, lw=1)
        ax.plot(d, L[0] * hard_tanh_bound_base(sw2, sigma_b2, k) ** d, ":", color=c, lw=1)
        ratios.append((label, L[1:] / L[:-1], chi1))
    for j, (label, r, chi1) in enumerate(ratios):
        c = _COLORS[j % len(_COLORS)]
        axes[2].plot(np.arange(1, depth + 1), r, "o-", ms=2.5, color=c, label=label)
        axes[2].axhline(np.sqrt(chi1), color=c, ls="--", lw=1)
    axes[0].set(yscale="log", xlabel="depth d", ylabel="trajectory length of $z^{(d)}$",
                title=f"$\\sigma_w^2$={fixed_sigma_w2}, sweeping width")
    axes[1].set(yscale="log", xlabel="depth d", title=f"k={fixed_width}, sweeping $\\sigma_w^2$")
    axes[2].set(xlabel="layer d", ylabel="$l(z^{(d)}) / l(z^{(d-1)})$",
                title="per-layer ratio (dashed: $\\sqrt{\\chi_1}$)")
    for ax in axes:
        ax.legend(fontsize=7)
    fig.suptitle(f"{activation}, $\\sigma_b^2$={sigma_b2}; dashed: mean field, dotted: Raghu bound base$^d$")
    fig.tight_layout()
    return fig


def transitions_and_lengths(sigma_w2, seed, *, width, depth, sigma_b2=0.0, activation="hard_tanh"):
    """Sweep cell of :func:`fig_transitions_vs_length`: per layer d = 1..depth, the exact
    transitions of layer d along Raghu's arc and the length of its input z^(d-1)."""
    rng = as_generator(seed)
    x0, x1 = _arc_endpoints(width, rng)
    net = random_network(width, width, depth, activation, sigma_w2, sigma_b2, seed=rng)
    w = walk_arc(net, x0, x1, post_activation=True)
    l0 = propagate_curve(net, arc(x0, x1, 4001), post_activation=True).euclidean_length[0]
    lengths = np.concatenate([[l0 * np.sqrt(width)], w.euclidean_length[:-1]])
    return {"length": lengths, "transitions": np.asarray(w.transitions)}


def fig_transitions_vs_length(sigma_w2s=(4.0, 8.0, 16.0), width=100, depth=8, sigma_b2=0.0,
                              seed=0, activation="hard_tanh", cache_dir=None, executor=None,
                              progress=False):
    """Exact transitions of layer d against the exact length of its input z^(d-1), one point
    per layer and network (Raghu et al. 2017, Fig. 2: transitions are linear in length).

    Network i (seed ``seed + i``) is one sweep cell of :func:`transitions_and_lengths`."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    allx, ally = [], []
    rows = [dict(sigma_w2=float(sw2), seed=int(seed) + i) for i, sw2 in enumerate(sigma_w2s)]
    res = sweep.run_rows("raghu_transitions", transitions_and_lengths, rows, cache_dir,
                   fixed=dict(width=width, depth=depth, sigma_b2=sigma_b2, activation=activation),
                   executor=executor, progress=progress)
    for i, sw2 in enumerate(sigma_w2s):
        x, y = res["length"][i], res["transitions"][i]
        ax.plot(x, y, "o", color=_COLORS[i], label=f"$\\sigma_w^2$={sw2}")
        allx.append(x)
        ally.append(y)
    x, y = np.concatenate(allx), np.concatenate(ally)
    ok = y > 0
    slope = np.exp(np.mean(np.log(y[ok] / x[ok])))
    xs = np.geomspace(x[ok].min(), x[ok].max(), 10)
    ax.plot(xs, slope * xs, "k--", lw=1, label=f"transitions = {slope:.2f} x length")
    ax.set(xscale="log", yscale="log", xlabel="trajectory length of the layer's input $z^{(d-1)}$",
           ylabel="transitions in layer d (exact)", title=f"{activation}, k={width}, depth {depth}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def fig_activation_regions(widths=(4, 4, 4), sigma_w2=2.0, sigma_b2=0.5, extent=3.0, grid=600,
                           seed=4, activation="relu"):
    """Boundaries of the activation regions of a small net in a 2-D input plane: the zero set
    of every neuron's pre-activation, coloured by layer (Raghu et al. 2017, Fig. 3)."""
    plt = pyplot()
    net = random_network(2, list(widths), None, activation, sigma_w2, sigma_b2, seed=seed)
    g = np.linspace(-extent, extent, grid)
    X, Y = np.meshgrid(g, g)
    P = np.stack([X.ravel(), Y.ravel()], 1)
    hs = net.forward(P)
    fig, axes = plt.subplots(1, len(widths), figsize=(4 * len(widths), 4), sharey=True)
    kinks = [0.0] if activation == "relu" else [-1.0, 1.0]
    for j, ax in enumerate(np.atleast_1d(axes)):
        for l in range(j + 1):
            for u in range(widths[l]):
                ax.contour(X, Y, hs[l][:, u].reshape(grid, grid), levels=kinks,
                           colors=_COLORS[l], linewidths=1.2 if l == j else 0.6)
        ax.set(title=f"boundaries up to layer {j + 1}", xlabel="$x_1$", aspect="equal")
    np.atleast_1d(axes)[0].set_ylabel("$x_2$")
    fig.suptitle(f"{activation} net {'x'.join(map(str, widths))}, $\\sigma_w^2$={sigma_w2}, "
                 f"$\\sigma_b^2$={sigma_b2}: colour = layer")
    fig.tight_layout()
    return fig


def dichotomy_count(width, depth, layer, n_inputs=15, sigma_w2=8.0, sigma_b2=0.0, seed=0,
                    activation="hard_tanh", input_dim=None):
    """Dichotomies of ``n_inputs`` Gaussian inputs when layer ``layer`` of a depth-``depth``
    network (plus a width-1 readout) is swept along a great circle in weight space."""
    rng = as_generator(seed)
    input_dim = input_dim or width
    X = rng.standard_normal((n_inputs, input_dim))
    net = random_network(input_dim, [width] * depth + [1], None, activation, sigma_w2, sigma_b2, seed=rng)
    return dichotomies(net, layer, X, seed=rng)


def fig_dichotomies(widths=(32, 64, 128), depth=6, n_inputs=15, sigma_w2=8.0, sigma_b2=0.0,
                    seeds=(0,), activation="hard_tanh", cache_dir=None, executor=None, progress=False):
    """Dichotomies vs remaining depth (layers above the swept one), one curve per width, and
    vs width, one curve per remaining depth (Raghu et al. 2017, Figs. 4-5; max 2^s).

    The sweep grid is width x swept layer x seed, one :func:`dichotomy_count` per cell (stored
    under ``cache_dir``, resumable; run on ``executor`` as in :func:`expressivity.sweep.run`);
    the curves are means over seeds."""

    plt = pyplot()
    grid = sweep.Grid(width=[int(k) for k in widths], layer=list(range(1, depth + 2)),
                      seeds=[int(s) for s in seeds])
    res = sweep.ensemble("raghu_dichotomies", dichotomy_count, grid, cache_dir,
                       fixed=dict(depth=depth, n_inputs=n_inputs, sigma_w2=sigma_w2, sigma_b2=sigma_b2,
                                  activation=activation),
                       executor=executor, progress=progress)
    counts = res["value"].mean(axis=-1)[:, ::-1]   # [width, remaining depth = depth + 1 - layer]
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 3.9))
    rem = np.arange(depth + 1)
    for a, k in enumerate(widths):
        ax0.plot(rem, counts[a], "o-", ms=3, color=_COLORS[a % len(_COLORS)], label=f"k={k}")
    cmap = plt.get_cmap("viridis")
    for r in rem:
        ax1.plot(widths, counts[:, r], "o-", ms=3, color=cmap(r / max(1, depth)), label=f"remaining {r}")
    for ax in (ax0, ax1):
        ax.axhline(2 ** n_inputs, color="k", ls=":", lw=1)
        ax.set(yscale="log", ylabel="unique dichotomies")
    ax0.set(xlabel="remaining depth", title=f"s={n_inputs}, $\\sigma_w^2$={sigma_w2} (dotted: $2^s$)")
    ax1.set(xscale="log", xlabel="width k", title="vs width")
    ax0.legend(fontsize=7)
    ax1.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    return fig


JOBS = [
    FigureJob("raghu2017_expressive_trajectory_length", fig_trajectory_length,
              full=dict(widths=(20, 100, 500), sigma_w2s=(2.0, 4.0, 8.0, 16.0), depth=12,
                        n_points=4000),
              quick=dict(widths=(10, 40), sigma_w2s=(2.0, 16.0), fixed_width=40, depth=4, n_points=200,
                         executor="inprocess"),
              uses_cache=True,
              description="Fig. 1: trajectory length vs depth, sweeping k and sigma_w2"),
    FigureJob("raghu2017_expressive_transitions_vs_length", fig_transitions_vs_length,
              full=dict(sigma_w2s=(4.0, 8.0, 16.0), width=100, depth=8),
              quick=dict(sigma_w2s=(4.0, 16.0), width=15, depth=3, executor="inprocess"),
              uses_cache=True,
              description="Fig. 2: exact transitions vs trajectory length"),
    FigureJob("raghu2017_expressive_activation_regions", fig_activation_regions,
              full=dict(grid=800), quick=dict(grid=80),
              description="Fig. 3: activation regions of a 3x4 ReLU net in a 2-D plane"),
    FigureJob("raghu2017_expressive_dichotomies", fig_dichotomies,
              full=dict(widths=(32, 64, 128), depth=6, n_inputs=15, sigma_w2=8.0, seeds=(0, 1, 2)),
              quick=dict(widths=(6, 12), depth=2, n_inputs=6, executor="inprocess"),
              uses_cache=True,
              description="Figs. 4-5: dichotomies vs remaining depth and width"),
]
