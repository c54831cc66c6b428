"""Raghu, Poole, Kleinberg, Ganguli & Sohl-Dickstein (2017), "On the Expressive Power of Deep
Neural Networks" (ICML 2017, arXiv 1606.05336): settings and figures.

Random networks: trajectory growth (Fig. 1), transitions against trajectory length (Fig. 2),
activation regions in a 2-D input plane (Fig. 3), dichotomies against remaining depth and
width (Figs. 4-5). Trajectories are Raghu's circular arcs x(t) = cos(pi t/2) x0 +
sin(pi t/2) x1, lengths are measured exactly on post-activations z^(d), and the mean-field
rate sqrt(chi1)^d from :mod:`meanfield` is drawn beside the paper's bound.
Notebook: ``notebooks/raghu2017_expressive.ipynb``.

Trained networks (Sec. 4-5; figures named ``raghu2017_expressive_trained_*``), on the
shipped 8 x 8 digits in place of MNIST / CIFAR-10, through :mod:`expressivity.trained`:
training one layer with the others frozen (Figs. 6-7), noise in one layer's weights,
trajectory length during training (Figs. 8-9) and trajectory regularisation against batch
norm (Sec. 5). Notebook: ``notebooks/raghu2017_trained.ipynb``.
"""
from __future__ import annotations

import json

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


# ==== trained networks (Raghu et al. 2017, Secs. 4-5) =========================================
# The paper's single-layer experiment: width k = 100, hard-tanh, sigma_w2 = 2 (as the spec and
# the ICML text give it), every hidden-to-hidden layer trained in turn "from W^(1) onwards so
# that the number of parameters trained remains fixed"; their data were MNIST and CIFAR-10,
# ours the shipped digits, as raw pixel intensities in [0, 1] like the paper's MNIST inputs
# (standardize=False). Depth 8 hidden layers, sigma_b2 = 0, Adam (lr 1e-3, batch 128): the
# paper does not state its optimiser for these runs.
TRAINED = dict(activation="hard_tanh", sigma_w2=2.0, sigma_b2=0.0, width=100, depth=8,
               optimizer="adam", lr=1e-3, batch_size=128, standardize=False)


def _mean_se(a, axis=0):
    a = np.asarray(a, float)
    n = a.shape[axis]
    return a.mean(axis), (a.std(axis, ddof=1) / np.sqrt(n) if n > 1 else np.zeros_like(a.mean(axis)))


def single_layer_runs(layers=None, seeds=(0, 1, 2), steps=500, cache_dir=None, executor=None,
                      progress=False, **settings):
    """Train each of ``layers`` (default: the hidden-to-hidden ones, 1 .. depth-1) alone, for
    every seed: the fields of :func:`expressivity.trained.single_layer.single_layer_cell`
    stacked as arrays [layer, seed, ...] in a dict, plus ``"layer"``."""
    from ..trained.single_layer import HIDDEN_TO_HIDDEN, single_layer_cell

    kw = dict(TRAINED, steps=steps, **settings)
    layers = HIDDEN_TO_HIDDEN(kw["depth"]) if layers is None else list(layers)
    grid = sweep.Grid(layer=[int(l) for l in layers], seeds=[int(s) for s in seeds])
    res = sweep.ensemble("raghu_single_layer", single_layer_cell, grid, cache_dir, fixed=kw,
                         executor=executor, progress=progress)
    out = {k: np.asarray(v) for k, v in res.values.items()}
    out["layer"] = np.asarray(layers)
    return out


def fig_trained_single_layer(layers=None, seeds=(0, 1, 2), steps=500, cache_dir=None, executor=None,
                             progress=False, **settings):
    """Raghu et al. Figs. 6-7: (a) training loss against step when only layer l is trained
    (mean over seeds, smoothed), (b) final train and test accuracy against the trained layer
    (mean +- s.e.): lower layers, with more remaining depth above them, train better."""
    plt = pyplot()
    kw = dict(TRAINED, steps=steps, **settings)
    r = single_layer_runs(layers, seeds, steps, cache_dir, executor, progress, **settings)
    fig, (a0, a1) = plt.subplots(1, 2, figsize=(11, 4))
    cmap = plt.get_cmap("viridis")
    L = r["layer"]
    span = max(1, steps // 50)
    for i, l in enumerate(L):
        loss = r["train_loss"][i].mean(axis=0)
        sm = np.convolve(loss, np.ones(span) / span, mode="valid")
        a0.plot(np.arange(len(sm)) + span // 2, sm, color=cmap(i / max(1, len(L) - 1)),
                label=f"layer {l} (remaining depth {kw['depth'] - l})")
    a0.set(yscale="log", xlabel="step", ylabel="training loss (running mean)",
           title=f"train one layer: {kw['activation']}, k={kw['width']}, $\\sigma_w^2$={kw['sigma_w2']:g}, "
                 f"{kw['depth']} hidden layers")
    a0.legend(fontsize=7)
    for key, mk, lab in (("train_accuracy", "s--", "train"), ("test_accuracy", "o-", "test")):
        m, se = _mean_se(r[key], axis=1)
        a1.errorbar(L, m, yerr=se, fmt=mk, ms=4, capsize=2, label=lab)
    a1.set(xlabel="trained layer (others frozen at their random initialisation)", ylabel="accuracy",
           title=f"after {steps} steps, mean $\\pm$ s.e. over {len(seeds)} seeds")
    a1.legend(fontsize=8)
    fig.tight_layout()
    return fig


def noise_runs(layers=None, scales=(0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0), seeds=(0, 1, 2), steps=1000,
               draws=10, cache_dir=None, executor=None, progress=False, **settings):
    """Accuracy [seed, layer, scale] of trained networks with relative noise ``scales`` in
    one layer's weights (:func:`expressivity.trained.noise.noise_cell`), and the layers."""
    from ..trained.noise import noise_cell

    kw = dict(TRAINED, steps=steps, **settings)
    layers = list(range(kw["depth"] + 1)) if layers is None else list(layers)
    rows = [dict(seed=int(s)) for s in seeds]
    res = sweep.run_rows("raghu_noise", noise_cell, rows, cache_dir,
                         fixed=dict(kw, layers=json.dumps(layers), scales=json.dumps(list(map(float, scales))),
                                    draws=draws), executor=executor, progress=progress)
    return np.asarray(res["accuracy"]), layers, np.asarray(scales, float)


def fig_trained_noise(layers=None, scales=(0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0), seeds=(0, 1, 2), steps=1000,
                      draws=10, cache_dir=None, executor=None, progress=False, **settings):
    """Raghu et al. (Sec. 4.1): test accuracy of a trained network when Gaussian noise of
    relative size eps (W -> W + eps rms(W) N(0, 1)) is added to the weights of one layer, one
    curve per layer (mean over seeds and noise draws): noise in lower layers hurts more."""
    plt = pyplot()
    kw = dict(TRAINED, steps=steps, **settings)
    acc, layers, scales = noise_runs(layers, scales, seeds, steps, draws, cache_dir, executor, progress,
                                     **settings)
    fig, (a0, a1) = plt.subplots(1, 2, figsize=(11, 4))
    cmap = plt.get_cmap("viridis")
    m = acc.mean(axis=0)
    for i, l in enumerate(layers):
        a0.plot(scales, m[i], "o-", ms=3, color=cmap(i / max(1, len(layers) - 1)),
                label="readout" if l == kw["depth"] else f"layer {l}")
    a0.set(xlabel=r"relative noise $\epsilon$ in one layer's weights", ylabel="test accuracy",
           title=f"{kw['activation']}, k={kw['width']}, $\\sigma_w^2$={kw['sigma_w2']:g}, trained {steps} steps")
    a0.legend(fontsize=7, ncol=2)
    j = int(np.argmin(np.abs(scales - 0.5))) if len(scales) > 1 else 0
    mm, se = _mean_se(acc[:, :, j], axis=0)
    a1.errorbar(layers, mm, yerr=se, fmt="o-", capsize=2)
    a1.set(xlabel="perturbed layer", ylabel="test accuracy",
           title=f"at $\\epsilon$={scales[j]:g} (mean $\\pm$ s.e. over {acc.shape[0]} seeds)")
    fig.tight_layout()
    return fig


# Figs. 8-9: hard-tanh, k = 100 (the paper's width); sigma_w2 = 16 (training shortens the
# trajectory) and 3 (training lengthens it), as the spec gives them; raw pixels, SGD lr 0.01.
# (With standardised inputs, q^0 = 1, the sigma_w2 = 3 network's top-layer length fell by
# ~6 % instead of rising; with Adam at lr 1e-3 the sigma_w2 = 16 one hardly changed.)
TRAJECTORY = dict(activation="hard_tanh", sigma_b2=0.0, width=100, depth=6, optimizer="sgd", lr=0.01,
                  batch_size=128, standardize=False)


def trajectory_runs(sigma_w2s=(16.0, 3.0), seeds=(0, 1, 2), steps=2000, record_every=100, n_points=2000,
                    curve="loop", cache_dir=None, executor=None, progress=False, **settings):
    """Lengths during training (:func:`expressivity.trained.length_dynamics.lengths_during_training`)
    per (sigma_w2, seed): a dict of arrays [sigma_w2, seed, ...] (``step``, ``length``,
    ``test_accuracy``)."""
    from ..trained.length_dynamics import lengths_during_training

    kw = dict(TRAJECTORY, steps=steps, record_every=record_every, n_points=n_points, curve=curve, **settings)
    grid = sweep.Grid(sigma_w2=[float(w) for w in sigma_w2s], seeds=[int(s) for s in seeds])
    res = sweep.ensemble("raghu_trajectory_training", lengths_during_training, grid, cache_dir, fixed=kw,
                         executor=executor, progress=progress)
    return {k: np.asarray(v) for k, v in res.values.items()}


def fig_trained_trajectory(sigma_w2s=(16.0, 3.0), seeds=(0, 1, 2), steps=2000, record_every=100,
                           n_points=2000, curve="loop", cache_dir=None, executor=None, progress=False,
                           **settings):
    """Raghu et al. Figs. 8-9: exact trajectory length of a loop through the digits at every
    hidden layer, at several points of training (colour: step; geometric mean over seeds), one
    panel per sigma_w2; last panel: length at the top hidden layer relative to its initial
    value against step."""
    plt = pyplot()
    kw = dict(TRAJECTORY, **settings)
    r = trajectory_runs(sigma_w2s, seeds, steps, record_every, n_points, curve, cache_dir, executor,
                        progress, **settings)
    n = len(sigma_w2s)
    fig, axes = plt.subplots(1, n + 1, figsize=(4.6 * (n + 1), 4))
    cmap = plt.get_cmap("plasma")
    st = r["step"][0, 0]
    show = sorted(set(np.linspace(0, len(st) - 1, 6).round().astype(int)))
    for i, w in enumerate(sigma_w2s):
        ax = axes[i]
        G = np.exp(np.log(r["length"][i]).mean(axis=0))     # [record, layer]
        for k in show:
            ax.plot(np.arange(G.shape[1]), G[k], "o-", ms=3, color=cmap(k / max(1, len(st) - 1)),
                    label=f"step {st[k]}")
        acc = r["test_accuracy"][i].mean(axis=0)[-1]
        ax.set(yscale="log", xlabel="layer d", ylabel="trajectory length $l(z^{(d)})$",
               title=f"$\\sigma_w^2$={w:g} (test accuracy {acc:.2f} at the end)")
        ax.legend(fontsize=7)
        rel = r["length"][i][:, :, -1] / r["length"][i][:, :1, -1]
        m = np.exp(np.log(rel).mean(axis=0))
        axes[-1].plot(st, m, "-", color=_COLORS[i % len(_COLORS)], label=f"$\\sigma_w^2$={w:g}")
        for s in range(rel.shape[0]):
            axes[-1].plot(st, rel[s], "-", lw=0.5, alpha=0.4, color=_COLORS[i % len(_COLORS)])
    axes[-1].axhline(1, color="k", lw=0.6)
    axes[-1].set(yscale="log", xlabel="training step", ylabel="length at the top hidden layer / initial",
                 title=f"{kw['activation']}, k={kw['width']}, {kw['depth']} hidden layers")
    axes[-1].legend(fontsize=8)
    fig.tight_layout()
    return fig


# Sec. 5: trajectory regularisation in place of batch norm, the penalty scaled by 0.01 (the
# paper's constant; "trajectory:c" rows use c instead); an MLP on the digits in place of their
# CIFAR-10 convnet, in the large-sigma_w regime where batch norm matters (hard-tanh,
# sigma_w2 = 16, 10 hidden layers; raw pixels, SGD lr 0.01 as in the trajectory runs).
REGULARIZATION = dict(activation="hard_tanh", sigma_w2=16.0, sigma_b2=0.0, width=100, depth=10,
                      optimizer="sgd", lr=0.01, batch_size=128, reg_strength=0.01, standardize=False)
NORMS = ("none", "batch_norm", "trajectory", "trajectory:0.1", "trajectory:1")


def regularization_runs(norms=NORMS, seeds=(0, 1, 2), steps=1000,
                        cache_dir=None, executor=None, progress=False, **settings):
    """Accuracy cells (:func:`expressivity.trained.classifier.accuracy_cell`) per (norm, seed):
    a dict of arrays [norm, seed, ...]."""
    from ..trained.classifier import accuracy_cell

    kw = dict(REGULARIZATION, steps=steps, **settings)
    rows = [dict(norm=nm, seed=int(s)) for nm in norms for s in seeds]
    res = sweep.run_rows("raghu_regularization", _norm_cell, rows, cache_dir, fixed=kw, executor=executor,
                         progress=progress)
    return {k: np.asarray(v).reshape((len(norms), len(seeds)) + np.shape(v)[1:]) for k, v in res.values.items()}


def _norm_cell(norm, seed, **kw):
    """accuracy_cell with ``norm="none"`` meaning no normalisation and ``"trajectory:c"`` the
    trajectory layer with penalty constant c (sweep rows hold strings)."""
    from ..trained.classifier import accuracy_cell

    if norm.startswith("trajectory:"):
        norm, c = norm.split(":")
        kw = dict(kw, reg_strength=float(c))
    return accuracy_cell(seed, norm=None if norm == "none" else norm, **kw)


def _norm_label(nm, strength):
    if nm.startswith("trajectory"):
        c = float(nm.split(":")[1]) if ":" in nm else strength
        return f"trajectory\n(c={c:g})"
    return {"none": "neither", "batch_norm": "batch norm"}.get(nm, nm)


def fig_trained_regularization(norms=NORMS, seeds=(0, 1, 2), steps=1000,
                               cache_dir=None, executor=None, progress=False, **settings):
    """Raghu et al. Sec. 5: training loss and test accuracy with neither, batch norm, or the
    trajectory-regularisation layer in its place (a learned scale lambda and the penalty
    c |lambda| current / original length per hidden layer; c = 0.01 in the paper)."""
    plt = pyplot()
    kw = dict(REGULARIZATION, steps=steps, **settings)
    r = regularization_runs(norms, seeds, steps, cache_dir, executor, progress, **settings)
    fig, (a0, a1) = plt.subplots(1, 2, figsize=(11, 4))
    span = max(1, steps // 50)
    names = {nm: _norm_label(nm, kw["reg_strength"]) for nm in norms}
    for i, nm in enumerate(norms):
        col = _COLORS[i % len(_COLORS)]
        loss = r["train_loss"][i].mean(axis=0)
        sm = np.convolve(loss, np.ones(span) / span, mode="valid")
        a0.plot(np.arange(len(sm)) + span // 2, sm, color=col, label=names.get(nm, nm).replace("\n", " "))
        acc = r["test_accuracy"][i]
        a1.bar(i, acc.mean(), color=col, alpha=0.5)
        a1.errorbar(i, acc.mean(), yerr=_mean_se(acc)[1], color="k", capsize=3)
        a1.plot([i] * len(acc), acc, "o", color=col, ms=4)
    a0.set(yscale="log", xlabel="step", ylabel="training loss (running mean; + penalty)",
           title=f"{kw['activation']}, k={kw['width']}, {kw['depth']} layers, $\\sigma_w^2$={kw['sigma_w2']:g}")
    a0.legend(fontsize=8)
    a1.set_xticks(range(len(norms)), [names.get(nm, nm) for nm in norms], fontsize=8)
    lo = float(np.min(r["test_accuracy"]))
    a1.set(ylabel="test accuracy", ylim=(max(0.0, lo - 0.1), 1.0),
           title=f"after {steps} steps, {len(seeds)} seeds")
    fig.tight_layout()
    return fig


_QUICK_TRAINED = dict(width=12, depth=3, executor="inprocess")

JOBS += [
    FigureJob("raghu2017_expressive_trained_single_layer", fig_trained_single_layer,
              full=dict(seeds=(0, 1, 2), steps=500),
              quick=dict(_QUICK_TRAINED, seeds=(0,), steps=10),
              uses_cache=True,
              description="Figs. 6-7: train one layer, the rest frozen: accuracy vs layer"),
    FigureJob("raghu2017_expressive_trained_noise", fig_trained_noise,
              full=dict(seeds=(0, 1, 2), steps=1000, draws=10),
              quick=dict(_QUICK_TRAINED, seeds=(0,), steps=10, draws=1, scales=(0.0, 0.5)),
              uses_cache=True,
              description="noise in one layer's weights of a trained net: accuracy vs layer",
              revision=1),
    FigureJob("raghu2017_expressive_trained_trajectory", fig_trained_trajectory,
              full=dict(seeds=(0, 1, 2), steps=2000, record_every=100, n_points=2000),
              quick=dict(_QUICK_TRAINED, seeds=(0,), steps=10, record_every=5, n_points=50),
              uses_cache=True,
              description="Figs. 8-9: trajectory length per layer during training"),
    FigureJob("raghu2017_expressive_trained_regularization", fig_trained_regularization,
              full=dict(seeds=(0, 1, 2), steps=1000),
              quick=dict(_QUICK_TRAINED, seeds=(0,), steps=10),
              uses_cache=True,
              description="Sec. 5: trajectory regularisation vs batch norm vs neither"),
]
