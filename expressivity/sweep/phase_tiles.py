"""A phase diagram too large for one call: ``meanfield.phase_diagram`` tile by tile.

The (sigma_w2, sigma_b2) plane is cut into tiles of ``tile = (n_w, n_b)`` points; each tile
is one sweep cell (so it runs on any executor, is stored atomically, and is skipped on
resume), and the tiles are read back into one :class:`LabelledArray` with dims
``("sigma_w2", "sigma_b2")`` and the fields of the phase diagram (Poole et al. 2016, Fig. 2;
Schoenholz et al. 2017, Fig. 1): ``q_star``, ``chi1``, ``c_star``, ``xi_q``, ``xi_c``, each
indexed ``[i_w, i_b]`` exactly as one ``meanfield.phase_diagram`` call on the whole grid
would return them (rounded to float32 by default: see ``dtype``).

Storage: each tile is rounded to ``dtype`` and compressed losslessly in the worker
(:func:`encode`: bytes regrouped by significance, then zlib level 1), so the driver only
writes bytes. On the tanh grid of the issue (4096 x 4096, tiles of 512 x 512) that is 97 MB
instead of 671 MB as raw float64 (6.9x) for ~14% more worker time
(``benchmarks/sweep_tile_store.py``).
"""
from __future__ import annotations

import os
import shutil
import sys
import warnings
import zlib
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..checks import check_choice
from .grid import Grid
from .labelled import LabelledArray
from .run import _check_bool, _Plan, run
from .store import Store, _store_path

FIELDS = ("q_star", "chi1", "c_star", "xi_q", "xi_c")
DTYPES = ("float32", "float64")
LEVEL = 1  # zlib level 1: 3.5x on float32 tanh tiles for ~14% of a tile's compute time


def encode(arr: np.ndarray) -> np.ndarray:
    """Lossless compression of a float array: its bytes regrouped by significance (all first
    bytes, then all second bytes, ...; smooth fields then repeat their high bytes), then
    zlib. Returns the compressed bytes as a uint8 array."""
    arr = np.ascontiguousarray(arr)
    shuffled = arr.reshape(-1).view(np.uint8).reshape(-1, arr.itemsize).T
    return np.frombuffer(zlib.compress(np.ascontiguousarray(shuffled).tobytes(), LEVEL), dtype=np.uint8)


def decode(data: np.ndarray, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    """Inverse of :func:`encode`."""
    dtype = np.dtype(dtype)
    raw = np.frombuffer(zlib.decompress(np.ascontiguousarray(data).tobytes()), dtype=np.uint8)
    return raw.reshape(dtype.itemsize, -1).T.copy().view(dtype).reshape(shape)


def _phase_tile(tile_w: int, tile_b: int, *, activation: Any, sigma_w2: np.ndarray, sigma_b2: np.ndarray,
                tile: tuple[int, int], phase_diagram: Callable | None = None, dtype: str = "float64",
                compress: bool = False) -> dict[str, np.ndarray]:
    """One tile of the phase diagram, padded with NaN to the full tile shape, rounded to
    ``dtype`` and (``compress``) encoded with :func:`encode` in the worker."""
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
        padded = np.full(tile, np.nan, dtype=dtype)
        padded[: sw.size, : sb.size] = arr
        out[name] = encode(padded) if compress else padded
    return out


def _variances(name: str, values: Any) -> np.ndarray:
    if isinstance(values, (str, bytes)) or np.ndim(values) == 0 and not hasattr(values, "__len__"):
        raise TypeError(f"{name} must be a 1-D array of variances (finite numbers >= 0), "
                        f"got {type(values).__name__}")
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a 1-D array of variances (finite numbers >= 0)") from exc
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError(f"{name} must be finite and >= 0 (a variance); got min {float(np.nanmin(arr))!r}, "
                         f"{int(np.sum(~np.isfinite(arr)))} non-finite values")
    return arr


def _megabytes(n: float) -> str:
    return f"{n / 1e6:.1f} MB" if n < 1e9 else f"{n / 1e9:.2f} GB"


def _free_bytes(path) -> int | None:
    from pathlib import Path

    p = Path(path).absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        return shutil.disk_usage(p).free
    except OSError:
        return None


def tiled_phase_diagram(activation: Any, sigma_w2: Sequence[float], sigma_b2: Sequence[float],
                        store: Store | str | os.PathLike, tile: tuple[int, int] = (256, 256),
                        executor: Any = None, progress: bool = True,
                        phase_diagram: Callable | None = None, dtype: str = "float32",
                        compress: bool = True) -> LabelledArray:
    """``meanfield.phase_diagram`` over a large grid, computed and stored tile by tile.

    Each tile is one sweep cell (any executor; stored atomically; skipped on resume). Before
    any work the store size is estimated and, with ``progress``, printed (with the free
    space; a warning if it may not fit). Tiles are stored as ``float32`` by default (relative
    rounding <= 6e-8, far below what a figure resolves) and compressed losslessly (bytes
    grouped by significance, then zlib: ~3.5x on float32 tanh tiles), so a 4096 x 4096 grid
    takes ~97 MB instead of 671 MB as raw float64.

    Parameters
    ----------
    activation : str or meanfield.Activation
        As for every theory function (an Activation must be picklable to run in processes).
    sigma_w2, sigma_b2 : 1-D arrays
        Weight and bias variances (finite, >= 0).
    store : Store or path
        Where the tiles go; rerunning with the same arguments only computes missing tiles.
    tile : (int, int)
        Points per tile along sigma_w2 and sigma_b2 (each >= 1; clipped to the grid).
    executor, progress
        As in :func:`expressivity.sweep.run` (default: local processes on all cores).
    phase_diagram : callable, optional
        Replaces ``meanfield.phase_diagram`` (same signature; returns an object or mapping
        with the five fields). Must be picklable for process executors.
    dtype : {"float32", "float64"}
        Precision of the stored (and returned) fields. ``"float64"`` keeps the solver's
        values exactly (twice the size).
    compress : bool
        Compress each tile losslessly in the worker (default True; ~14% of a tile's
        compute time as float32, ~50% as float64). ``dtype="float64", compress=False`` is the layout of stores written
        before these options, which are then reused as they are.

    Returns
    -------
    LabelledArray
        Dims ``("sigma_w2", "sigma_b2")``; fields ``q_star``, ``chi1``, ``c_star``, ``xi_q``,
        ``xi_c`` of shape ``(len(sigma_w2), len(sigma_b2))`` and dtype ``dtype``, indexed
        ``[i_w, i_b]`` as one ``meanfield.phase_diagram`` call on the whole grid.
        ``attrs["store_bytes"]`` is the size of the tiles on disk.

    Raises
    ------
    TypeError, ValueError
        Bad variances, tile, dtype, compress, activation (unknown name) or executor, before
        any tile runs; a ``phase_diagram`` that returns fields of the wrong shape.
    OSError
        The store cannot be written (see :func:`expressivity.sweep.run`).
    """
    sw = _variances("sigma_w2", sigma_w2)
    sb = _variances("sigma_b2", sigma_b2)
    if (not isinstance(tile, (tuple, list)) or len(tile) != 2
            or any(isinstance(t, (bool, np.bool_)) or not isinstance(t, (int, np.integer)) or t < 1 for t in tile)):
        raise ValueError(f"tile={tile!r} must be two integers >= 1 (points along sigma_w2, sigma_b2)")
    dtype = check_choice("dtype", np.dtype(dtype).name if isinstance(dtype, type) else dtype, DTYPES)
    compress = _check_bool("compress", compress)
    progress = _check_bool("progress", progress)
    if phase_diagram is None:
        from meanfield.activations import get_activation

        get_activation(activation)  # an unknown name fails here, not in every worker
    elif not callable(phase_diagram):
        raise TypeError(f"phase_diagram must be None or a callable like meanfield.phase_diagram, "
                        f"got {type(phase_diagram).__name__}")
    if not isinstance(store, Store):
        store = Store(_store_path(store))
    tile = (min(int(tile[0]), sw.size), min(int(tile[1]), sb.size))
    n_tiles = (-(-sw.size // tile[0]), -(-sb.size // tile[1]))
    grid = Grid(tile_w=range(n_tiles[0]), tile_b=range(n_tiles[1]))
    fixed = {"activation": activation, "sigma_w2": sw, "sigma_b2": sb, "tile": tile,
             "phase_diagram": phase_diagram}
    if not (dtype == "float64" and not compress):
        fixed.update(dtype=dtype, compress=compress)
    raw = len(grid) * tile[0] * tile[1] * len(FIELDS) * np.dtype(dtype).itemsize
    if progress:
        free = _free_bytes(store.path)
        print(f"tiled_phase_diagram: {sw.size} x {sb.size} points in {n_tiles[0]} x {n_tiles[1]} tiles of "
              f"{tile[0]} x {tile[1]}; store {store.path}: at most {_megabytes(raw)} ({dtype}"
              f"{', compressed: typically ~3x less' if compress else ''})"
              + (f", {_megabytes(free)} free" if free is not None else ""), file=sys.stderr)
        if free is not None and raw / (2.0 if compress else 1.0) > free:
            warnings.warn(f"the tiles may not fit in {store.path} ({_megabytes(raw)} uncompressed, "
                          f"{_megabytes(free)} free); a full disk stops the sweep with what is stored, "
                          "and a rerun resumes", RuntimeWarning, stacklevel=2)
    run(_phase_tile, grid, store, fixed=fixed, executor=executor, progress=progress, load=False)

    # read the tiles straight into the full arrays (never holding the tiles twice)
    plan = _Plan(_phase_tile, grid, store, fixed)
    values = {name: np.empty((sw.size, sb.size), dtype=dtype) for name in FIELDS}
    on_disk = 0
    for (index, _), (params, key) in zip(grid, plan.cells):
        fields, _ = plan.store.read(key, params)
        on_disk += plan.store.file(key).stat().st_size
        w0, b0 = index[0] * tile[0], index[1] * tile[1]
        nw, nb = min(tile[0], sw.size - w0), min(tile[1], sb.size - b0)
        for name in FIELDS:
            arr = fields[name]
            if arr.dtype == np.uint8:
                arr = decode(arr, dtype, tile)
            values[name][w0:w0 + nw, b0:b0 + nb] = arr[:nw, :nb]
    attrs = dict(plan.attrs(), activation=plan.fixed_c["activation"], tile=tile, dtype=dtype,
                 compress=compress, store_bytes=on_disk)
    return LabelledArray(("sigma_w2", "sigma_b2"), {"sigma_w2": sw, "sigma_b2": sb}, values, attrs)
