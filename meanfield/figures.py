"""Library figures of the theory: phase-diagram heat maps, one activation or several.

Matplotlib is imported inside the functions (:func:`pyplot`), so ``import meanfield`` stays
cheap. The figures of the papers (Poole et al. 2016, Schoenholz et al. 2017) are composed
from these and from the theory functions in their paper modules,
:mod:`expressivity.papers.poole2016_chaos` and :mod:`expressivity.papers.schoenholz2017_propagation`.
"""
from __future__ import annotations

import math

import numpy as np

from .activations import get_activation
from .phase import PhaseDiagram, phase_diagram, phase_diagram_pointwise

ACTIVATIONS = ("tanh", "erf", "hard_tanh", "sin", "elu", "gelu", "softplus")


def pyplot():
    """``matplotlib.pyplot``, imported on first use (the package's one lazy import of it)."""
    import matplotlib.pyplot as plt

    return plt


def plot_phase_diagram(pd: PhaseDiagram, field: str = "chi1", ax=None, stds: bool = False,
                       critical_line: bool = True, log: bool | None = None, cmap: str = "viridis"):
    """Heat map of one field of ``pd`` with the chi1 = 1 line (white); returns the axes.

    ``stds`` labels the axes in standard deviations sigma_w, sigma_b (Poole's convention);
    ``log`` (default: for q*, xi_q, xi_c) uses a logarithmic colour scale. Entries that are
    NaN because q* diverges are hatched and named in the legend.
    """
    from matplotlib import colors

    if field not in PhaseDiagram.FIELDS:
        raise ValueError(f"field must be one of {PhaseDiagram.FIELDS}, got {field!r}")
    if ax is None:
        _, ax = pyplot().subplots(figsize=(4.2, 3.4))
    x = np.sqrt(pd.sigma_b2) if stds else pd.sigma_b2
    y = np.sqrt(pd.sigma_w2) if stds else pd.sigma_w2
    z = np.asarray(getattr(pd, field), dtype=float)
    finite = z[np.isfinite(z)]
    if log is None:
        log = field in ("q_star", "xi_q", "xi_c") and finite.size and finite.min() > 0
    norm = None
    if log and finite.size:
        norm = colors.LogNorm(vmin=max(finite.min(), 1e-3), vmax=finite.max())
    mesh = ax.pcolormesh(x, y, np.ma.masked_invalid(z), shading="auto", cmap=cmap, norm=norm)
    ax.figure.colorbar(mesh, ax=ax, label=field)
    diverged = np.isinf(np.asarray(pd.q_star, float))
    if diverged.any():
        ax.contourf(x, y, diverged.astype(float), levels=[0.5, 1.5], colors="none", hatches=["//"])
        from matplotlib.patches import Patch

        ax.legend(handles=[Patch(facecolor="white", edgecolor="0.3", hatch="//", label="$q^*$ diverges")],
                  loc="upper right", fontsize=7, framealpha=0.8)
    chi = np.asarray(pd.chi1, float)
    if critical_line and np.isfinite(chi).any() and np.nanmax(chi) > 1 > np.nanmin(chi):
        ax.contour(x, y, chi, levels=[1.0], colors="w", linewidths=1.5)
    ax.set_xlabel(r"$\sigma_b$" if stds else r"$\sigma_b^2$")
    ax.set_ylabel(r"$\sigma_w$" if stds else r"$\sigma_w^2$")
    ax.set_title(f"{pd.activation}: {field}")
    return ax


def _diagram(activation, w, b, pointwise, fields) -> PhaseDiagram:
    if pointwise:
        return phase_diagram_pointwise(activation, w, b, fields=fields)
    return phase_diagram(activation, w, b)


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
    plt = pyplot()
    acts = list(activations)
    fields = list(fields)
    fig, axes = plt.subplots(len(fields), len(acts), figsize=(4.2 * len(acts), 3.4 * len(fields)),
                             squeeze=False)
    b = np.linspace(*b_range, grid)
    for j, act in enumerate(acts):
        w = np.linspace(w_range[0], min(w_range[1], _w_max(act)), grid)
        try:
            pd = _diagram(act, w, b, pointwise, tuple(fields) + ("chi1",))
        except OverflowError:  # sin: the table build overflows at large q; pointwise instead
            pd = _diagram(act, w, b, True, tuple(fields) + ("chi1",))
        for i, field in enumerate(fields):
            pd.plot(field, ax=axes[i, j])
    fig.tight_layout()
    return fig
