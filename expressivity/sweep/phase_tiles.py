"""A phase diagram too large for one call: ``meanfield.phase_diagram`` tile by tile.

The (sigma_w2, sigma_b2) plane is cut into tiles of ``tile = (n_w, n_b)`` points; each tile
is one sweep cell (so it runs on any executor, is stored atomically, and is skipped on
resume), and the tiles are read back into one :class:`LabelledArray` with dims
``("sigma_w2", "sigma_b2")`` and the fields of the phase diagram (Poole et al. 2016, Fig. 2;
Schoenholz et al. 2017, Fig. 1): ``q_star``, ``chi1``, ``c_star``, ``xi_q``, ``xi_c``, each
indexed ``[i_w, i_b]`` exactly as one ``meanfield.phase_diagram`` call on the whole grid
would return them.
"""
from __future__ import annotations

import os
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .grid import Grid
from .labelled import LabelledArray
from .run import _Plan, run
from .store import Store

FIELDS = ("q_star", "chi1", "c_star", "xi_q", "xi_c")


def _phase_tile(tile_w: int, tile_b: int, *, activation: Any, sigma_w2: np.ndarray, sigma_b2: np.ndarray,
                tile: tuple[int, int], phase_diagram: Callable | None = None) -> dict[str, np.ndarray]:
    """One tile of the phase diagram, padded with NaN to the full tile shape."""
    if phase_diagram is None:
        import meanfield

        phase_diagram = meanfield.phase_diagram
    tw, tb = tile
    sw = sigma_w2[tile_w * tw:(tile_w + 1) * tw]
    sb = sigma_b2[tile_b * tb:(tile_b + 1) * tb]
    diagram = phase_diagram(activation, sigma_w2=sw, sigma_b2=sb)
    out = {}
    for name in FIELDS:
        value = diagram[name] if isinstance(diagram, Mapping) else getattr(diagram, name)
        arr = np.asarray(value, dtype=np.float64)
        if arr.shape != (sw.size, sb.size):
            raise ValueError(f"phase_diagram returned {name} with shape {arr.shape}; "
                             f"expected {(sw.size, sb.size)} ([i_w, i_b])")
        padded = np.full(tile, np.nan)
        padded[: sw.size, : sb.size] = arr
        out[name] = padded
    return out


def _variances(name: str, values: Any) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a 1-D array of numbers") from exc
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"{name} must be finite and >= 0 (a variance); got min {np.nanmin(arr)!r}, "
                         f"{int(np.sum(~np.isfinite(arr)))} non-finite values")
    return arr


def tiled_phase_diagram(activation: Any, sigma_w2: Sequence[float], sigma_b2: Sequence[float],
                        store: Store | str | os.PathLike, tile: tuple[int, int] = (256, 256),
                        executor: Any = None, progress: bool = True,
                        phase_diagram: Callable | None = None) -> LabelledArray:
    """``meanfield.phase_diagram`` over a large grid, computed and stored tile by tile.

    Parameters
    ----------
    activation : str or meanfield.Activation
        As for every theory function (an Activation must be picklable to run in processes).
    sigma_w2, sigma_b2 : 1-D arrays
        Weight and bias variances (finite, >= 0).
    store : Store or path
        Where the tiles go; rerunning with the same arguments only computes missing tiles.
    tile : (int, int)
        Points per tile along sigma_w2 and sigma_b2 (clipped to the grid).
    executor, progress
        As in :func:`expressivity.sweep.run` (default: local processes on all cores).
    phase_diagram : callable, optional
        Replaces ``meanfield.phase_diagram`` (same signature; returns an object or mapping
        with the five fields). Must be picklable for process executors.

    Returns
    -------
    LabelledArray with dims ``("sigma_w2", "sigma_b2")`` and fields ``q_star``, ``chi1``,
    ``c_star``, ``xi_q``, ``xi_c`` of shape ``(len(sigma_w2), len(sigma_b2))``.
    """
    sw = _variances("sigma_w2", sigma_w2)
    sb = _variances("sigma_b2", sigma_b2)
    if (not isinstance(tile, (tuple, list)) or len(tile) != 2
            or any(isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 1 for t in tile)):
        raise ValueError(f"tile={tile!r} must be two positive ints (points along sigma_w2, sigma_b2)")
    tile = (min(int(tile[0]), sw.size), min(int(tile[1]), sb.size))
    grid = Grid(tile_w=range(-(-sw.size // tile[0])), tile_b=range(-(-sb.size // tile[1])))
    fixed = {"activation": activation, "sigma_w2": sw, "sigma_b2": sb, "tile": tile,
             "phase_diagram": phase_diagram}
    run(_phase_tile, grid, store, fixed=fixed, executor=executor, progress=progress, load=False)

    # read the tiles straight into the full arrays (never holding the tiles twice)
    plan = _Plan(_phase_tile, grid, store, fixed)
    values = {name: np.empty((sw.size, sb.size)) for name in FIELDS}
    for (index, _), (params, key) in zip(grid, plan.cells):
        fields, _ = plan.store.read(key, params)
        w0, b0 = index[0] * tile[0], index[1] * tile[1]
        nw, nb = min(tile[0], sw.size - w0), min(tile[1], sb.size - b0)
        for name in FIELDS:
            values[name][w0:w0 + nw, b0:b0 + nb] = fields[name][:nw, :nb]
    attrs = dict(plan.attrs(), activation=plan.fixed_c["activation"], tile=tile)
    return LabelledArray(("sigma_w2", "sigma_b2"), {"sigma_w2": sw, "sigma_b2": sb}, values, attrs)
