"""Drawing helpers for 2-D mixtures (matplotlib axes in, nothing returned): generator samples
over the mixture's means, a log-density heat map of samples (the style of Metz et al.'s
Fig. 1), and "mean +- std" table entries. The paper modules compose them into figures."""
from __future__ import annotations

import numpy as np

from .data import Mixture

__all__ = ["samples_panel", "density_panel", "pm", "limits"]


def limits(mixture: Mixture):
    """Half-width of a square view around the mixture's means (3 for the radius-2 ring, as
    in Metz et al.'s figures)."""
    return 1.35 * float(np.abs(mixture.means).max()) + 0.3


def _frame(ax, mixture, lim, title):
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=8)


def samples_panel(ax, samples, mixture: Mixture, title="", lim=None, color="tab:blue", means=True):
    """Scatter of ``samples`` with the mixture's means as open circles."""
    x = np.asarray(samples)
    lim = limits(mixture) if lim is None else lim
    if means:
        ax.scatter(mixture.means[:, 0], mixture.means[:, 1], s=22, facecolors="none",
                   edgecolors="k", lw=0.6, zorder=3)
    ax.scatter(x[:, 0], x[:, 1], s=1.5, alpha=0.4, color=color, rasterized=True, lw=0)
    _frame(ax, mixture, lim, title)


def density_panel(ax, samples, mixture: Mixture, title="", lim=None, bins=120, cmap="Greens", means=False):
    """Log-scaled 2-D histogram of ``samples`` (Metz et al. Fig. 1 style: where the generator
    puts its mass); samples outside the view are counted at its edge. ``means``: the
    mixture's means as open circles on top."""
    x = np.asarray(samples, float)
    lim = limits(mixture) if lim is None else lim
    xc = np.clip(x, -lim, lim)
    h, _, _ = np.histogram2d(xc[:, 0], xc[:, 1], bins=bins, range=[[-lim, lim], [-lim, lim]])
    ax.imshow(np.log1p(h.T), origin="lower", extent=(-lim, lim, -lim, lim), cmap=cmap,
              interpolation="nearest", aspect="equal")
    if means:
        ax.scatter(mixture.means[:, 0], mixture.means[:, 1], s=22, facecolors="none",
                   edgecolors="tab:red", lw=0.6, zorder=3)
    _frame(ax, mixture, lim, title)


def pm(values, fmt="{:.2f}"):
    """"mean ± std" (sample std, ddof 1) of ``values``; NaNs ignored."""
    a = np.asarray(values, float)
    a = a[np.isfinite(a)]
    if a.size == 0:
        return "-"
    return (fmt + " ± " + fmt).format(a.mean(), a.std(ddof=1) if a.size > 1 else 0.0)
