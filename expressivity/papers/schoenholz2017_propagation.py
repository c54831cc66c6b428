"""Schoenholz, Gilmer, Ganguli & Sohl-Dickstein (2017), "Deep Information Propagation"
(ICLR 2017, arXiv 1611.01232): settings and figures.

The depth scales xi_q and xi_c against sigma_w2 (Fig. 2; xi_c diverges on the critical
line), the decay of |q^l - q*| and |c^l - c*|, the backpropagated gradient factor
chi1^(L-l) (Sec. 4) and the trainable-depth line L = 6 xi_c over the depth x sigma_w2 plane
(Fig. 5). The paper quotes variances; its networks are tanh with sigma_b2 = 0.05.

Trainability (Sec. 5, Fig. 5) measured at CPU scale: tanh classifiers of depth x sigma_w2 on
the shipped 8 x 8 digits, trained for a fixed number of SGD steps through
:mod:`expressivity.trained` (one sweep cell per (depth, sigma_w2, seed): resumable, any
executor), their test accuracy drawn as a heat map under the theory's 6 xi_c line.
Notebook: ``notebooks/schoenholz2017_propagation.ipynb``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

import meanfield as mf
from meanfield.figures import pyplot

from . import FigureJob
from .. import sweep

SIGMA_B2 = 0.05     # the paper's bias variance
ACTIVATION = "tanh"
_COLORS = ("tab:blue", "tab:green", "tab:red", "tab:purple", "tab:orange", "tab:brown", "tab:pink")


def fig_depth_scales(activation="tanh", sigma_b2=SIGMA_B2, w_range=(1.0, 4.0),
                            n_w=400, decay_sigma_w2=(1.3, 1.6, 2.2, 3.0), depth=60, q0=3.0, c0=0.5):
    """Schoenholz Fig. 2 (theory): (a) xi_q and xi_c against sigma_w2 at ``sigma_b2`` with the
    critical sigma_w2 (xi_c diverges there, xi_q stays finite); (b) |q^l - q*| and (c)
    |c^l - c*| against l for a few sigma_w2, with the predicted exp(-l/xi) slopes (dashed)."""
    plt = pyplot()
    fig, (a0, a1, a2) = plt.subplots(1, 3, figsize=(15, 4))
    w = np.linspace(*w_range, n_w)
    xq, xc = mf.depth_scales(activation, w, sigma_b2)
    a0.semilogy(w, xq, label=r"$\xi_q$")
    a0.semilogy(w, xc, label=r"$\xi_c$")
    try:
        wc = float(mf.critical_sigma_w2(activation, sigma_b2))
        a0.axvline(wc, color="k", ls="--", lw=1, label=f"critical $\\sigma_w^2$={wc:.3f}")
    except ValueError:
        pass
    a0.set(xlabel=r"$\sigma_w^2$", ylabel="depth scale",
           title=f"(a) {activation}, $\\sigma_b^2$={sigma_b2:g}")
    a0.legend(fontsize=8)
    l = np.arange(depth)
    ws = np.asarray(decay_sigma_w2, float)
    qs = np.asarray(mf.q_star(activation, ws, sigma_b2), dtype=float)
    cs = np.asarray(mf.c_star(activation, ws, sigma_b2), dtype=float)
    xq_d, xc_d = (np.asarray(x, float) for x in mf.depth_scales(activation, ws, sigma_b2))
    dq = np.abs(mf.q_dynamics(activation, ws, sigma_b2, q0, depth) - qs)
    dc = np.abs(mf.c_dynamics(activation, ws, sigma_b2, c0, depth) - cs)
    for i, wi in enumerate(ws):
        col = _COLORS[i % len(_COLORS)]
        for ax, d, xi, scale in ((a1, dq[:, i], xq_d[i], qs[i]), (a2, dc[:, i], xc_d[i], 1.0)):
            pos = d > 1e-13 * scale  # below this the residual is rounding noise
            ax.semilogy(l[pos], d[pos], color=col, label=f"$\\sigma_w^2$={wi:g}")
            if np.isfinite(xi) and xi > 0 and pos.any():
                # guide exp(-l/xi) through a point well into the asymptotic decay
                idx = np.flatnonzero(pos)
                k = idx[min(len(idx) - 1, max(1, int(0.6 * len(idx))))]
                ax.semilogy(l[pos], d[k] * np.exp(-(l[pos] - l[k]) / xi), color=col, ls="--", lw=0.8)
    a1.set(xlabel="layer $l$", ylabel="$|q^l - q^*|$", title=f"(b) from $q^0$={q0:g}; dashed: $e^{{-l/\\xi_q}}$")
    a2.set(xlabel="layer $l$", ylabel="$|c^l - c^*|$", title=f"(c) from $c^0$={c0:g}; dashed: $e^{{-l/\\xi_c}}$")
    a1.legend(fontsize=8)
    fig.tight_layout()
    return fig


def fig_gradients(activation="tanh", sigma_b2=SIGMA_B2, sigma_w2s=(1.5, None, 2.5, 3.0),
                         depth=100, w_range=(1.0, 4.0), n_w=400):
    """Schoenholz Sec. 4 (theory): (a) the backpropagated gradient variance factor
    chi1^(L-l) against layer l for a few sigma_w2 (None = the critical one), (b) the gradient
    depth scale xi_grad = -1/log chi1 and xi_c against sigma_w2 (|xi_grad| where negative)."""
    plt = pyplot()
    fig, (a0, a1) = plt.subplots(1, 2, figsize=(11, 4))
    wc = float(mf.critical_sigma_w2(activation, sigma_b2))
    ws = np.array([wc if x is None else x for x in sigma_w2s], float)
    g = mf.gradient_factor(activation, ws, sigma_b2, depth)
    l = np.arange(1, depth + 1)
    for i, wi in enumerate(ws):
        lab = f"$\\sigma_w^2$={wi:.3g}" + (" (critical)" if sigma_w2s[i] is None else "")
        a0.semilogy(l, g[:, i], color=_COLORS[i % len(_COLORS)], label=lab)
    a0.set(xlabel="layer $l$", ylabel=r"$\tilde{q}^{l} / \tilde{q}^{L} = \chi_1^{L-l}$",
           title=f"(a) gradient variance, L={depth}, {activation}, $\\sigma_b^2$={sigma_b2:g}")
    a0.legend(fontsize=8)
    w = np.linspace(*w_range, n_w)
    xg = np.asarray(mf.gradient_depth_scale(activation, w, sigma_b2), float)
    xc = np.asarray(mf.depth_scales(activation, w, sigma_b2)[1], float)
    a1.semilogy(w, np.abs(xg), label=r"$|\xi_\nabla|$")
    a1.semilogy(w, xc, "--", label=r"$\xi_c$")
    a1.axvline(wc, color="k", ls=":", lw=1)
    a1.set(xlabel=r"$\sigma_w^2$", ylabel="depth scale", title=r"(b) $\xi_\nabla = -1/\log\chi_1$")
    a1.legend(fontsize=8)
    fig.tight_layout()
    return fig


def fig_trainable_depth(activation="tanh", sigma_b2=SIGMA_B2, w_range=(1.0, 4.0),
                               n_w=400, max_depth=300, n_depth=300, factor=6.0):
    """Schoenholz Fig. 5 (theory): the depth x sigma_w2 plane shaded by L / xi_c (how many
    correlation depth scales a signal crosses) with the trainable-depth line L = 6 xi_c."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.5))
    w = np.linspace(*w_range, n_w)
    L = np.linspace(1, max_depth, n_depth)
    xc = np.asarray(mf.depth_scales(activation, w, sigma_b2)[1], float)
    ratio = L[:, None] / xc[None, :]
    mesh = ax.pcolormesh(w, L, np.minimum(ratio, 2 * factor), shading="auto", cmap="viridis_r")
    fig.colorbar(mesh, ax=ax, label=r"$L / \xi_c$ (clipped)")
    ax.plot(w, factor * xc, "w--", lw=2, label=f"$L = {factor:g}\\,\\xi_c$")
    ax.set(xlabel=r"$\sigma_w^2$", ylabel="depth $L$", ylim=(L[0], L[-1]),
           title=f"trainable depth, {activation}, $\\sigma_b^2$={sigma_b2:g}")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


# ---- trainability (Sec. 5, Fig. 5) at CPU scale ----------------------------------------------
# The paper trains tanh networks (sigma_b2 = 0.05) of depth 10-300 and sigma_w2 1-4 on MNIST and
# CIFAR-10 with SGD and RMSProp for a fixed number of steps (learning rate 1e-3 for SGD). Here:
# the shipped 8 x 8 digits (64 inputs, standardised), width 64, plain SGD at lr 1e-3 with
# batch 16 for 3000 steps, the learning rate falling linearly to ~0 over the last 30 % (with a
# constant rate the batch-16 noise of the final iterate left one of three critical depth-100
# seeds at 60 % although its running loss was as low as the others'). 3000 steps is the
# shortest budget in which the depth-100 net at the critical sigma_w2 passes 80 % test
# accuracy in every seed tried (2000 steps: 71-84 %; RMSProp at 3e-5 plateaued near 70 %,
# larger SGD steps were unstable). The grid is 13 depths
# x 13 sigma_w2, denser at small depth where 6 xi_c lies on both sides of criticality, so
# that it fits ~30 minutes on two idle cores (README).
TRAINABILITY = dict(activation=ACTIVATION, sigma_b2=SIGMA_B2, width=64, steps=3000, optimizer="sgd",
                    lr=1e-3, batch_size=16, lr_decay=0.3)
DEPTHS = (10, 20, 30, 40, 50, 60, 80, 100, 120, 140, 160, 180, 200)
SIGMA_W2S = tuple(float(x) for x in np.round(np.arange(1.0, 4.01, 0.25), 2))
TRAINS = 0.5          # "trains": test accuracy >= 50 % (chance is 10 %)


def fig_trainability(depths=DEPTHS, sigma_w2s=SIGMA_W2S, seeds=1, width=64, steps=3000, optimizer="sgd",
                     lr=1e-3, batch_size=16, lr_decay=0.3,
                     activation=ACTIVATION, sigma_b2=SIGMA_B2, threshold=TRAINS, factor=6.0,
                     n_line=120, cache_dir=None, executor=None, progress=False):
    """Schoenholz Fig. 5 at CPU scale: test accuracy (mean over seeds) of tanh classifiers of
    each depth and sigma_w2 after ``steps`` steps, with the theory's ``factor`` xi_c line
    (white dashed) and the measured "trains" boundary (accuracy = ``threshold``, black); the
    title gives the fraction of cells where "trains" agrees with "depth < 6 xi_c"."""
    from ..trained.trainability import agreement, theory_depth, trainability_grid

    plt = pyplot()
    res = trainability_grid(depths, sigma_w2s, seeds, cache_dir, executor=executor, progress=progress,
                            activation=activation, sigma_b2=sigma_b2, width=width, steps=steps,
                            optimizer=optimizer, lr=lr, batch_size=batch_size, lr_decay=lr_decay)
    acc = res["test_accuracy"].mean(axis=-1)              # [depth, sigma_w2]
    d, w = res.coords["depth"].astype(float), res.coords["sigma_w2"].astype(float)
    frac, _, _ = agreement(acc, d, w, threshold, sigma_b2, activation, factor)
    fig, ax = plt.subplots(figsize=(6.8, 4.8))
    mesh = ax.pcolormesh(w, d, acc, shading="nearest", cmap="viridis", vmin=0.0, vmax=1.0)
    fig.colorbar(mesh, ax=ax, label=f"test accuracy after {steps} steps")
    if len(d) > 1 and len(w) > 1:
        ax.contour(w, d, acc, levels=[threshold], colors="k", linewidths=1.2)
    wf = np.linspace(w.min(), w.max(), n_line)
    ax.plot(wf, theory_depth(wf, sigma_b2, activation, factor), "w--", lw=2,
            label=f"${factor:g}\\,\\xi_c$ (mean field)")
    ax.plot([], [], "k-", lw=1.2, label=f"measured: accuracy = {threshold:g}")
    decay = f" (to ~0 over the last {100 * lr_decay:.0f} %)" if lr_decay else ""
    ax.set(xlabel=r"$\sigma_w^2$", ylabel="depth $L$", ylim=(d.min() - 5, d.max() + 5),
           title=f"{activation}, $\\sigma_b^2$={sigma_b2:g}, width {width}, batch {batch_size}, {optimizer} lr "
                 f"{lr:g}{decay}\n\"trains\" agrees with $L < {factor:g}\\xi_c$ in {100 * frac:.0f} % of cells")
    ax.legend(loc="upper right", fontsize=8, framealpha=0.8)
    fig.tight_layout()
    return fig


def trainability_curves(sigma_w2s=(1.0, None, 3.0), depth=100, seeds=(0, 1, 2), cache_dir=None,
                        executor=None, progress=False, **settings):
    """Training runs of one depth at a few sigma_w2 (None: the critical one): the fields of
    :func:`expressivity.trained.classifier.accuracy_cell` per (sigma_w2, seed), as
    ``{sigma_w2: list over seeds}``; ``settings`` override :data:`TRAINABILITY`."""
    from ..trained.classifier import accuracy_cell

    kw = dict(TRAINABILITY, **settings)
    wc = float(mf.critical_sigma_w2(kw["activation"], kw["sigma_b2"]))
    ws = [round(wc, 4) if x is None else float(x) for x in sigma_w2s]
    rows = [dict(sigma_w2=x, seed=int(s)) for x in ws for s in seeds]
    fixed = dict(kw, depth=depth)
    if cache_dir is not None:   # runs of ~30 s and more resume mid-run
        fixed["checkpoint_dir"] = str(Path(cache_dir) / "trainability_curves" / "checkpoints")
    res = sweep.run_rows("trainability_curves", accuracy_cell, rows, cache_dir, fixed=fixed,
                         executor=executor, progress=progress)
    out = {}
    for k, r in enumerate(rows):
        out.setdefault(r["sigma_w2"], []).append({f: res[f][k] for f in res.values})
    return out


def fig_trainability_curves(sigma_w2s=(1.0, None, 3.0), depth=100, seeds=(0, 1, 2), steps=3000,
                            cache_dir=None, executor=None, progress=False, **settings):
    """Depth-``depth`` tanh classifiers at the ordered, critical and chaotic sigma_w2: training
    loss against step (one line per seed) and the final test accuracy, with 6 xi_c."""
    from ..trained.trainability import theory_depth

    plt = pyplot()
    runs = trainability_curves(sigma_w2s, depth, seeds, cache_dir, executor, progress, steps=steps, **settings)
    kw = dict(TRAINABILITY, steps=steps, **settings)
    fig, (a0, a1) = plt.subplots(1, 2, figsize=(11, 4))
    for i, (w, cells) in enumerate(runs.items()):
        col = _COLORS[i % len(_COLORS)]
        L6 = float(theory_depth(w, kw["sigma_b2"], kw["activation"]))
        accs = [c["test_accuracy"] for c in cells]
        for j, c in enumerate(cells):
            a0.plot(c["train_loss"], color=col, lw=0.6, alpha=0.7,
                    label=f"$\\sigma_w^2$={w:g} (6$\\xi_c$={L6:.0f})" if j == 0 else None)
        a1.plot([i] * len(accs), accs, "o", color=col)
        a1.bar(i, np.mean(accs), color=col, alpha=0.4)
    a0.axhline(np.log(10), color="k", ls=":", lw=1, label="log 10 (chance)")
    a0.set(xlabel="SGD step", ylabel="training loss (per batch)", title=f"{kw['activation']}, depth {depth}, "
           f"width {kw['width']}, $\\sigma_b^2$={kw['sigma_b2']:g}")
    a0.legend(fontsize=8)
    a1.axhline(0.1, color="k", ls=":", lw=1)
    a1.set_xticks(range(len(runs)), [f"{w:g}" for w in runs])
    a1.set(xlabel=r"$\sigma_w^2$", ylabel="test accuracy", ylim=(0, 1), title=f"after {steps} steps, {len(seeds)} seeds")
    fig.tight_layout()
    return fig


JOBS = [
    FigureJob("schoenholz2017_propagation_depth_scales", fig_depth_scales,
              full=dict(n_w=400, depth=60),
              quick=dict(n_w=12, depth=10, decay_sigma_w2=(1.3, 3.0)),
              description="Fig. 2 theory: xi_q, xi_c vs sigma_w2; |q-q*|, |c-c*| decay"),
    FigureJob("schoenholz2017_propagation_gradients", fig_gradients,
              full=dict(depth=100, n_w=400),
              quick=dict(depth=10, n_w=12),
              description="Sec. 4 theory: gradient variance chi1^(L-l), gradient depth scale"),
    FigureJob("schoenholz2017_propagation_trainable_depth", fig_trainable_depth,
              full=dict(n_w=400, max_depth=300, n_depth=300),
              quick=dict(n_w=12, max_depth=100, n_depth=10),
              description="Fig. 5 theory: L = 6 xi_c over the depth x sigma_w2 plane"),
    FigureJob("schoenholz2017_propagation_trainability", fig_trainability,
              full=dict(depths=DEPTHS, sigma_w2s=SIGMA_W2S, seeds=1, steps=3000, batch_size=16, lr_decay=0.3),
              quick=dict(depths=(2, 12), sigma_w2s=(1.0, 1.76, 3.0), width=8, steps=10, n_line=12,
                         executor="inprocess"),
              uses_cache=True,
              description="Fig. 5 measured: test accuracy over depth x sigma_w2 (digits) under 6 xi_c"),
    FigureJob("schoenholz2017_propagation_trainability_curves", fig_trainability_curves,
              full=dict(depth=100, seeds=(0, 1, 2), steps=3000, lr_decay=0.3),
              quick=dict(depth=6, seeds=(0,), steps=10, width=8, executor="inprocess"),
              uses_cache=True,
              description="depth-100 training curves at ordered, critical and chaotic sigma_w2"),
]
