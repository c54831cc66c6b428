"""The package's own worked examples (no paper): phase diagrams of several activations, and a
phase diagram too large for one call computed tile by tile through the sweep API.

``phase_diagram_tiled`` computes :func:`meanfield.phase_diagram` on an ``n_w x n_b`` grid
through :func:`expressivity.sweep.tiled_phase_diagram`: each tile is one sweep cell, stored
atomically under ``cache_dir`` (an interrupted run resumes with the missing tiles) and run on
any executor (local processes, a dask cluster), read back as one labelled array and drawn
with the critical line.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

import meanfield as mf
from meanfield.figures import phase_diagrams, pyplot

from . import FigureJob


def _critical_line_in(activation, w_range, b_range, n=300):
    """The chi1 = 1 line from meanfield's parametrisation by q* (independent of the grid):
    points (sigma_w2, sigma_b2) = (1/D(q), q - V(q)/D(q)) that fall inside the plotted box."""
    q = np.geomspace(1e-4, 1e2, n)
    w, b = (np.atleast_1d(a) for a in mf.critical_line(activation, q))
    inside = (w >= w_range[0]) & (w <= w_range[1]) & (b >= b_range[0]) & (b <= b_range[1])
    return w[inside], b[inside]


def phase_diagram_tiled(activation="tanh", n_w=2048, n_b=2048, sigma_w2_range=(0.5, 5.0),
                        sigma_b2_range=(0.0, 2.0), tile=(256, 256), cache_dir=None, executor=None,
                        progress=False):
    """chi1 and c* over ``n_w x n_b`` (sigma_w2, sigma_b2) points, computed tile by tile.

    Each panel shows the field, the chi1 = 1 contour of the computed chi1 (gold on the chi1
    panel, white on the c* panel) and the critical line of :func:`meanfield.critical_line`
    (dashed black; an independent computation that the contour must follow). ``tile`` is the
    number of points per tile along sigma_w2 and sigma_b2; ``executor`` is as in
    :func:`expressivity.sweep.run` (None: local processes on all cores). Without ``cache_dir`` the tiles go to a temporary
    directory that is removed afterwards.
    """
    plt = pyplot()
    from matplotlib import colors

    from .. import sweep

    for name, n in (("n_w", n_w), ("n_b", n_b)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
            raise ValueError(f"{name}={n!r} must be an int >= 2 (grid points)")
    sw = np.linspace(*sigma_w2_range, int(n_w))
    sb = np.linspace(*sigma_b2_range, int(n_b))
    tile = tuple(tile)
    if cache_dir is None:
        with tempfile.TemporaryDirectory(prefix="phase_tiles-") as tmp:
            res = sweep.tiled_phase_diagram(activation, sw, sb, sweep.Store(Path(tmp), fsync=False),
                                            tile=tile, executor=executor, progress=progress)
    else:
        res = sweep.tiled_phase_diagram(activation, sw, sb, Path(cache_dir) / "phase_tiles", tile=tile,
                                        executor=executor, progress=progress)
    name = activation if isinstance(activation, str) else getattr(activation, "name", str(activation))
    wc, bc = _critical_line_in(activation, sigma_w2_range, sigma_b2_range)
    chi1, c_star = res["chi1"], res["c_star"]
    crosses = bool(np.nanmin(chi1) < 1 < np.nanmax(chi1))
    # the grids are uniform, so an image with cell-centred extent draws every point exactly
    # (and 2048 x 2048 renders in a fraction of the time pcolormesh takes)
    dw, db = sw[1] - sw[0], sb[1] - sb[0]
    extent = (sb[0] - db / 2, sb[-1] + db / 2, sw[0] - dw / 2, sw[-1] + dw / 2)

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    finite = chi1[np.isfinite(chi1)]
    panels = (
        (chi1, r"$\chi_1$", "RdBu_r", colors.TwoSlopeNorm(vcenter=1.0, vmin=finite.min(), vmax=finite.max())
         if crosses else None, "gold", "(ordered < 1 < chaotic)"),
        (c_star, r"$c^*$", "viridis", None, "w", "(1 in the ordered phase)"),
    )
    for ax, (z, label, cmap, norm, line, note) in zip(axes, panels):
        image = ax.imshow(np.ma.masked_invalid(z), origin="lower", extent=extent, aspect="auto",
                          interpolation="nearest", cmap=cmap, norm=norm)
        fig.colorbar(image, ax=ax, label=label)
        if crosses:
            ax.contour(sb, sw, chi1, levels=[1.0], colors=line, linewidths=2.5)
        ax.plot(bc, wc, "k--", lw=1.2, label=r"$\chi_1 = 1$ (meanfield.critical_line)")
        ax.set(xlabel=r"$\sigma_b^2$", ylabel=r"$\sigma_w^2$", title=f"{name}: {label} {note}")
    axes[0].legend(fontsize=7, loc="upper left")
    t = res.attrs["tile"]
    fig.suptitle(f"{n_w} x {n_b} grid in {-(-n_w // t[0])} x {-(-n_b // t[1])} tiles of {t[0]} x {t[1]} "
                 "(expressivity.sweep.tiled_phase_diagram)")
    fig.tight_layout()
    return fig


JOBS = [
    FigureJob("showcase_phase_diagrams", phase_diagrams,
              full=dict(grid=256),
              quick=dict(activations=("tanh", "erf"), grid=5, pointwise=True),
              description="c* and chi1 phase diagrams with the critical line for seven activations"),
    FigureJob("showcase_sweep_tiled", phase_diagram_tiled,
              full=dict(activation="tanh", n_w=2048, n_b=2048, tile=(256, 256)),
              quick=dict(activation="tanh", n_w=40, n_b=30, tile=(16, 16), executor="inprocess"),
              uses_cache=True,
              description="tanh phase diagram (chi1, c*) on 2048x2048 points in 64 stored tiles"),
]
