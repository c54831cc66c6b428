"""Theory figures of Poole et al. (2016) and Schoenholz et al. (2017), and phase diagrams.

Library functions returning a matplotlib Figure (matplotlib is imported inside them, so
``import meanfield`` stays cheap); ``notebooks/poole2016_theory``,
``notebooks/schoenholz2017`` and ``expressivity-figures`` call the same functions. The
simulation overlays (theory against finite networks) live in ``expressivity.figures_poole``
and ``expressivity.figures_raghu``; these are the pure mean-field pictures.

Poole et al., "Exponential expressivity in deep neural networks through transient chaos"
(NeurIPS 2016, arXiv 1606.05340), Figs. 1-2: tanh, sigma_b = 0.3, sigma_w in {1.3, 2.5, 4.0},
heat maps over sigma_w in [1, 5] x sigma_b in [0, 4]. The paper quotes standard deviations;
the library speaks in variances, and the conversion happens here, at the figure level.

Schoenholz et al., "Deep Information Propagation" (ICLR 2017, arXiv 1611.01232), Figs. 2-5:
depth scales xi_q, xi_c against sigma_w2 at sigma_b2 = 0.05, the decay of |q^l - q*| and
|c^l - c*|, the backpropagated gradient factor chi1^(L-l), and the trainable-depth line
L = 6 xi_c over a depth x sigma_w2 plane.

Besides the figure functions, the numbers they draw are available as plain functions
(:func:`q_dynamics`, :func:`c_dynamics`, :func:`iterations_to_converge`,
:func:`trainable_depth`, :func:`gradient_factor`) so that they can be tested on their own.

Every heat-map figure takes ``pointwise``: False (default) uses :func:`phase_diagram`
(tables built once per activation, then cached on disk); True evaluates the pointwise
functions (:func:`q_star`, :func:`chi1`, :func:`c_star`, :func:`depth_scales`) on the grid,
which needs no table and is what the quick mode uses on tiny grids.
"""
from __future__ import annotations

import math

import numpy as np

from .activations import get_activation
from .critical import critical_sigma_w2
from .depth import depth_scales
from .maps import c_star, chi1, correlation_map, length_map, q_star
from .phase import PhaseDiagram, phase_diagram

POOLE_SIGMA_W = (1.3, 2.5, 4.0)
POOLE_SIGMA_B = 0.3
SCHOENHOLZ_SIGMA_B2 = 0.05
ACTIVATIONS = ("tanh", "erf", "hard_tanh", "sin", "elu", "gelu", "softplus")
_COLORS = ("tab:blue", "tab:green", "tab:red", "tab:purple", "tab:orange", "tab:brown", "tab:pink")
_STYLES = ("-", "--", ":", "-.")


def _plt():
    import matplotlib.pyplot as plt

    return plt


# ---- the numbers the figures draw --------------------------------------------------------
def q_dynamics(activation, sigma_w2, sigma_b2, q0, n_layers):
    """q^0 = q0, q^l = sigma_w2 V(q^{l-1}) + sigma_b2 for l < n_layers (Poole Eq. 3).

    Returns an array of shape (n_layers,) + broadcast shape of the arguments.
    """
    n_layers = _positive_int("n_layers", n_layers)
    q = np.asarray(np.broadcast_arrays(np.asarray(q0, float), np.asarray(sigma_w2, float),
                                       np.asarray(sigma_b2, float))[0], dtype=float)
    out = [q]
    for _ in range(n_layers - 1):
        out.append(np.asarray(length_map(out[-1], activation, sigma_w2, sigma_b2), dtype=float))
    return np.stack(out)


def c_dynamics(activation, sigma_w2, sigma_b2, c0, n_layers):
    """c^0 = c0, c^l = correlation map at q* (Poole Eq. 5), shape (n_layers,) + broadcast shape.

    Both inputs are taken to sit at q* already (Poole's and Schoenholz's convention).
    """
    n_layers = _positive_int("n_layers", n_layers)
    c = np.asarray(np.broadcast_arrays(np.asarray(c0, float), np.asarray(sigma_w2, float),
                                       np.asarray(sigma_b2, float))[0], dtype=float)
    qs = q_star(activation, sigma_w2, sigma_b2)
    out = [c]
    for _ in range(n_layers - 1):
        out.append(np.asarray(correlation_map(out[-1], activation, sigma_w2, sigma_b2, q=qs), dtype=float))
    return np.stack(out)


def iterations_to_converge(activation, sigma_w2, sigma_b2, q0=1.0, rtol=0.01, max_iter=200, qstar=None):
    """Fewest applications l of the length map with |q^l - q*| <= rtol q*, starting at q^0 = q0.

    Poole et al. 2016, Fig. 1D (there: within 1 % of q*). 0 where q0 is already within
    tolerance; NaN where q* is 0 or infinite or the map needs more than ``max_iter`` steps.
    ``qstar`` may pass precomputed fixed points (e.g. from a phase diagram) of the same
    broadcast shape. Broadcasts over ``sigma_w2``, ``sigma_b2`` and ``q0``.
    """
    if not (isinstance(rtol, (int, float)) and 0 < rtol < 1):
        raise ValueError(f"rtol must be a number in (0, 1), got {rtol!r}")
    max_iter = _positive_int("max_iter", max_iter)
    w, b, q = (np.array(a, dtype=float) for a in np.broadcast_arrays(
        np.asarray(sigma_w2, float), np.asarray(sigma_b2, float), np.asarray(q0, float)))
    qs = np.asarray(q_star(activation, w, b, q) if qstar is None else qstar, dtype=float)
    qs = np.broadcast_to(qs, w.shape)
    n = np.full(w.shape, np.nan)
    ok = np.isfinite(qs) & (qs > 0)
    todo = ok.copy()
    for it in range(max_iter + 1):
        done = todo & (np.abs(q - qs) <= rtol * qs)
        n[done] = it
        todo &= ~done
        if not todo.any() or it == max_iter:
            break
        q[todo] = length_map(q[todo], activation, w[todo], b[todo])
    return float(n) if n.ndim == 0 else n


def trainable_depth(activation, sigma_w2, sigma_b2, factor=6.0):
    """factor * xi_c: Schoenholz et al.'s empirical limit of trainable depth (factor 6)."""
    return factor * np.asarray(depth_scales(activation, sigma_w2, sigma_b2)[1])


def gradient_factor(activation, sigma_w2, sigma_b2, depth):
    """chi1^(L-l) for l = 1..L: the backpropagated gradient variance at layer l relative to the
    last layer, q~^l = q~^L chi1^(L-l) (Schoenholz et al. 2017, Eq. 13). Shape (L,) + w/b shape."""
    depth = _positive_int("depth", depth)
    c1 = np.asarray(chi1(activation, sigma_w2, sigma_b2), dtype=float)
    l = np.arange(1, depth + 1).reshape((depth,) + (1,) * c1.ndim)
    return c1 ** (depth - l)


def _positive_int(name, n):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {n!r}")
    return int(n)


def grid_diagram(activation, sigma_w2, sigma_b2, pointwise=False, fields=PhaseDiagram.FIELDS) -> PhaseDiagram:
    """A :class:`PhaseDiagram` from :func:`phase_diagram` or, with ``pointwise``, from the
    pointwise functions (no table build; fields not in ``fields`` are left NaN)."""
    if not pointwise:
        return phase_diagram(activation, sigma_w2, sigma_b2)
    act = get_activation(activation)
    w = np.asarray(sigma_w2, float)
    b = np.asarray(sigma_b2, float)
    if w.ndim != 1 or b.ndim != 1:
        raise ValueError("sigma_w2 and sigma_b2 must be 1-D arrays")
    W, B = np.meshgrid(w, b, indexing="ij")
    qs = np.asarray(q_star(act, W, B), dtype=float)
    f = {k: np.full(W.shape, np.nan) for k in PhaseDiagram.FIELDS}
    f["q_star"] = qs
    fin = np.isfinite(qs)
    if "chi1" in fields or "c_star" in fields:
        f["chi1"][fin] = chi1(act, W[fin], B[fin], q=qs[fin])
    if "c_star" in fields:
        f["c_star"][fin] = c_star(act, W[fin], B[fin])
    if "xi_q" in fields or "xi_c" in fields:
        xq, xc = depth_scales(act, W[fin], B[fin])
        f["xi_q"][fin], f["xi_c"][fin] = xq, xc
    return PhaseDiagram(act.name, w, b, **f)


def _std_grid(lo, hi, n):
    return np.linspace(lo, hi, n)


# ---- Poole et al. 2016, Figure 1 ---------------------------------------------------------
def poole_fig1_length_map(sigma_ws=POOLE_SIGMA_W, sigma_b=POOLE_SIGMA_B, q_max=15.0, n_q=301,
                          q0s=(0.5, 4.0, 10.0, 15.0), n_layers=15, grid=256, w_range=(1.0, 5.0),
                          b_range=(0.0, 4.0), conv_q0=1.0, rtol=0.01, pointwise=False):
    """Poole Fig. 1 (theory): (A) V(q) on [0, q_max] for tanh networks (sigma_b, sigma_ws),
    (B) q^l from several q0, (C) q* heat map over sigma_w x sigma_b (stds), (D) the number
    of iterations to get within ``rtol`` of q* from ``conv_q0``, with the chi1 = 1 line."""
    plt = _plt()
    fig, axes = plt.subplots(1, 4, figsize=(18, 4))
    a0, a1, a2, a3 = axes
    b2 = sigma_b ** 2
    q = np.linspace(0.0, q_max, n_q)
    a0.plot(q, q, "k:", lw=1, label="identity")
    for i, sw in enumerate(sigma_ws):
        a0.plot(q, length_map(q, "tanh", sw ** 2, b2), color=_COLORS[i], label=f"$\\sigma_w$={sw}")
        qs = q_star("tanh", sw ** 2, b2)
        if qs <= q_max:
            a0.plot([qs], [qs], "o", color=_COLORS[i], ms=5)
        traj = q_dynamics("tanh", sw ** 2, b2, np.asarray(q0s, float), n_layers)
        for j in range(len(q0s)):
            a1.plot(np.arange(n_layers), traj[:, j], color=_COLORS[i], ls=_STYLES[j % 4], lw=1.2,
                    label=(f"$\\sigma_w$={sw}" if j == 0 else None))
    a0.set(xlabel="$q^{l-1}$", ylabel="$q^l$", title=f"A: length map, $\\sigma_b$={sigma_b}",
           xlim=(0, q_max), ylim=(0, q_max))
    a0.legend(fontsize=8)
    a1.set(xlabel="layer $l$", ylabel="$q^l$", title="B: $q^l$ from $q^0$ = " + ", ".join(f"{x:g}" for x in q0s))
    a1.legend(fontsize=8)
    sw = _std_grid(*w_range, grid)
    sb = _std_grid(*b_range, grid)
    pd = grid_diagram("tanh", sw ** 2, sb ** 2, pointwise, fields=("q_star", "chi1"))
    pd.plot("q_star", ax=a2, stds=True, log=False)
    a2.set_title("C: $q^*$")
    n = iterations_to_converge("tanh", sw[:, None] ** 2, sb[None, :] ** 2, conv_q0, rtol, qstar=pd.q_star)
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


# ---- Poole et al. 2016, Figure 2 ---------------------------------------------------------
def poole_fig2_correlation_map(sigma_ws=POOLE_SIGMA_W, sigma_b=POOLE_SIGMA_B, n_c=201,
                               c0s=(0.2, 0.5, 0.8), depth=30, grid=256, w_range=(1.0, 5.0),
                               b_range=(0.0, 4.0), pointwise=False):
    """Poole Fig. 2 (theory): (A) the C-map c^{l-1} -> c^l at q* for the three networks,
    (B) c^l from c0s over ``depth`` layers, (C) c* heat map with the chi1 = 1 contour,
    (D) chi1 heat map (sigma_w x sigma_b in stds)."""
    plt = _plt()
    fig, axes = plt.subplots(1, 4, figsize=(18, 4))
    a0, a1, a2, a3 = axes
    b2 = sigma_b ** 2
    c = np.linspace(0.0, 1.0, n_c)
    a0.plot(c, c, "k:", lw=1, label="identity")
    for i, sw in enumerate(sigma_ws):
        a0.plot(c, correlation_map(c, "tanh", sw ** 2, b2), color=_COLORS[i], label=f"$\\sigma_w$={sw}")
        cs = c_star("tanh", sw ** 2, b2)
        a0.plot([cs], [cs], "o", color=_COLORS[i], ms=5)
        traj = c_dynamics("tanh", sw ** 2, b2, np.asarray(c0s, float), depth)
        for j in range(len(c0s)):
            a1.plot(np.arange(depth), traj[:, j], color=_COLORS[i], ls=_STYLES[j % 4], lw=1.2,
                    label=(f"$\\sigma_w$={sw}" if j == 0 else None))
    a0.set(xlabel="$c^{l-1}$", ylabel="$c^l$", title=f"A: C-map at $q^*$, $\\sigma_b$={sigma_b}",
           xlim=(0, 1), ylim=(0, 1))
    a0.legend(fontsize=8)
    a1.set(xlabel="layer $l$", ylabel="$c^l$", ylim=(-0.02, 1.02),
           title="B: $c^l$ from $c^0$ = " + ", ".join(f"{x:g}" for x in c0s))
    a1.legend(fontsize=8)
    sw = _std_grid(*w_range, grid)
    sb = _std_grid(*b_range, grid)
    pd = grid_diagram("tanh", sw ** 2, sb ** 2, pointwise, fields=("chi1", "c_star"))
    pd.plot("c_star", ax=a2, stds=True)
    a2.set_title("C: $c^*$ with $\\chi_1 = 1$")
    pd.plot("chi1", ax=a3, stds=True, cmap="magma")
    a3.set_title("D: $\\chi_1$")
    fig.tight_layout()
    return fig


# ---- Schoenholz et al. 2017 --------------------------------------------------------------
def schoenholz_depth_scales(activation="tanh", sigma_b2=SCHOENHOLZ_SIGMA_B2, w_range=(1.0, 4.0),
                            n_w=400, decay_sigma_w2=(1.3, 1.6, 2.2, 3.0), depth=60, q0=3.0, c0=0.5):
    """Schoenholz Fig. 2 (theory): (a) xi_q and xi_c against sigma_w2 at ``sigma_b2`` with the
    critical sigma_w2 (xi_c diverges there, xi_q stays finite); (b) |q^l - q*| and (c)
    |c^l - c*| against l for a few sigma_w2, with the predicted exp(-l/xi) slopes (dashed)."""
    plt = _plt()
    fig, (a0, a1, a2) = plt.subplots(1, 3, figsize=(15, 4))
    w = np.linspace(*w_range, n_w)
    xq, xc = depth_scales(activation, w, sigma_b2)
    a0.semilogy(w, xq, label=r"$\xi_q$")
    a0.semilogy(w, xc, label=r"$\xi_c$")
    try:
        wc = float(critical_sigma_w2(activation, sigma_b2))
        a0.axvline(wc, color="k", ls="--", lw=1, label=f"critical $\\sigma_w^2$={wc:.3f}")
    except ValueError:
        pass
    a0.set(xlabel=r"$\sigma_w^2$", ylabel="depth scale",
           title=f"(a) {activation}, $\\sigma_b^2$={sigma_b2:g}")
    a0.legend(fontsize=8)
    l = np.arange(depth)
    ws = np.asarray(decay_sigma_w2, float)
    qs = np.asarray(q_star(activation, ws, sigma_b2), dtype=float)
    cs = np.asarray(c_star(activation, ws, sigma_b2), dtype=float)
    xq_d, xc_d = (np.asarray(x, float) for x in depth_scales(activation, ws, sigma_b2))
    dq = np.abs(q_dynamics(activation, ws, sigma_b2, q0, depth) - qs)
    dc = np.abs(c_dynamics(activation, ws, sigma_b2, c0, depth) - cs)
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


def schoenholz_gradients(activation="tanh", sigma_b2=SCHOENHOLZ_SIGMA_B2, sigma_w2s=(1.5, None, 2.5, 3.0),
                         depth=100, w_range=(1.0, 4.0), n_w=400):
    """Schoenholz Sec. 4 (theory): (a) the backpropagated gradient variance factor
    chi1^(L-l) against layer l for a few sigma_w2 (None = the critical one), (b) the gradient
    depth scale xi_grad = -1/log chi1 and xi_c against sigma_w2 (|xi_grad| where negative)."""
    from .depth import gradient_depth_scale

    plt = _plt()
    fig, (a0, a1) = plt.subplots(1, 2, figsize=(11, 4))
    wc = float(critical_sigma_w2(activation, sigma_b2))
    ws = np.array([wc if x is None else x for x in sigma_w2s], float)
    g = gradient_factor(activation, ws, sigma_b2, depth)
    l = np.arange(1, depth + 1)
    for i, wi in enumerate(ws):
        lab = f"$\\sigma_w^2$={wi:.3g}" + (" (critical)" if sigma_w2s[i] is None else "")
        a0.semilogy(l, g[:, i], color=_COLORS[i % len(_COLORS)], label=lab)
    a0.set(xlabel="layer $l$", ylabel=r"$\tilde{q}^{l} / \tilde{q}^{L} = \chi_1^{L-l}$",
           title=f"(a) gradient variance, L={depth}, {activation}, $\\sigma_b^2$={sigma_b2:g}")
    a0.legend(fontsize=8)
    w = np.linspace(*w_range, n_w)
    xg = np.asarray(gradient_depth_scale(activation, w, sigma_b2), float)
    xc = np.asarray(depth_scales(activation, w, sigma_b2)[1], float)
    a1.semilogy(w, np.abs(xg), label=r"$|\xi_\nabla|$")
    a1.semilogy(w, xc, "--", label=r"$\xi_c$")
    a1.axvline(wc, color="k", ls=":", lw=1)
    a1.set(xlabel=r"$\sigma_w^2$", ylabel="depth scale", title=r"(b) $\xi_\nabla = -1/\log\chi_1$")
    a1.legend(fontsize=8)
    fig.tight_layout()
    return fig


def schoenholz_trainable_depth(activation="tanh", sigma_b2=SCHOENHOLZ_SIGMA_B2, w_range=(1.0, 4.0),
                               n_w=400, max_depth=300, n_depth=300, factor=6.0):
    """Schoenholz Fig. 5 (theory): the depth x sigma_w2 plane shaded by L / xi_c (how many
    correlation depth scales a signal crosses) with the trainable-depth line L = 6 xi_c."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4.5))
    w = np.linspace(*w_range, n_w)
    L = np.linspace(1, max_depth, n_depth)
    xc = np.asarray(depth_scales(activation, w, sigma_b2)[1], float)
    ratio = L[:, None] / xc[None, :]
    mesh = ax.pcolormesh(w, L, np.minimum(ratio, 2 * factor), shading="auto", cmap="viridis_r")
    fig.colorbar(mesh, ax=ax, label=r"$L / \xi_c$ (clipped)")
    ax.plot(w, factor * xc, "w--", lw=2, label=f"$L = {factor:g}\\,\\xi_c$")
    ax.set(xlabel=r"$\sigma_w^2$", ylabel="depth $L$", ylim=(L[0], L[-1]),
           title=f"trainable depth, {activation}, $\\sigma_b^2$={sigma_b2:g}")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


# ---- phase diagrams of several activations -----------------------------------------------
def _w_max(activation, margin=0.975):
    """Largest sigma_w2 worth drawing: for activations growing linearly (V(q) ~ kappa q with
    kappa = [phi'(+inf)^2 + phi'(-inf)^2] / 2, e.g. elu, gelu, softplus), q* diverges from
    sigma_w2 = 1/kappa on, and the diagram there is empty (and slow to certify)."""
    act = get_activation(activation)
    big = 1e8
    if max(abs(float(act.phi(big))), abs(float(act.phi(-big)))) < 1e6:
        return math.inf  # bounded activation: q* is finite everywhere
    kappa = 0.5 * (float(act.dphi(big)) ** 2 + float(act.dphi(-big)) ** 2)
    return margin / kappa if kappa > 0 else math.inf


def phase_diagrams(activations=ACTIVATIONS, fields=("c_star", "chi1"), w_range=(0.05, 5.0),
                   b_range=(0.0, 1.0), grid=256, pointwise=False):
    """One column per activation, one row per field, over sigma_w2 x sigma_b2 (variances),
    each with the chi1 = 1 line (white). For linearly growing activations the sigma_w2 axis
    stops just below the divergence of q* (see :func:`_w_max`)."""
    plt = _plt()
    acts = list(activations)
    fields = list(fields)
    fig, axes = plt.subplots(len(fields), len(acts), figsize=(4.2 * len(acts), 3.4 * len(fields)),
                             squeeze=False)
    b = np.linspace(*b_range, grid)
    for j, act in enumerate(acts):
        w = np.linspace(w_range[0], min(w_range[1], _w_max(act)), grid)
        try:
            pd = grid_diagram(act, w, b, pointwise, fields=tuple(fields) + ("chi1",))
        except OverflowError:  # sin: the table build overflows at large q; pointwise instead
            pd = grid_diagram(act, w, b, True, fields=tuple(fields) + ("chi1",))
        for i, field in enumerate(fields):
            pd.plot(field, ax=axes[i, j])
    fig.tight_layout()
    return fig
