"""Ensembles as sweeps: named groups of cells under one cache directory, or a throw-away store.

A figure (or any study) that overlays or averages many simulations states each one as a cell
function of named parameters (module level, so it can run in worker processes) and runs the
cells with :func:`expressivity.sweep.run`. :func:`ensemble` picks the store: ``<cache_dir>/<name>``
when the figure command passes a cache directory, so an interrupted figure resumes cell by
cell (finished cells are verified and reused, only missing or corrupt ones are computed);
with ``cache_dir=None`` a temporary directory that is removed once the results are loaded.

:func:`run_rows` runs a list of parameter sets that is not a Cartesian product (curves that
pair a width with its own seed, say): each set is one cell, labelled by its parameters in
JSON, so a cell's key depends only on its own parameters.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from .grid import Grid
from .run import run
from .store import Store

__all__ = ["ensemble", "run_rows", "run_one"]


def ensemble(name: str, fn: Callable, grid, cache_dir, *, fixed: Mapping[str, Any] | None = None,
                 executor: Any = None, progress: bool = False):
    """``run(fn, grid, <cache_dir>/<name>, ...)``; a throw-away store if ``cache_dir`` is None.

    ``executor`` is as in :func:`expressivity.sweep.run` (None: local processes on all
    cores; ``"inprocess"``: this process). Returns the :class:`~expressivity.sweep.LabelledArray`.
    """
    if cache_dir is None:
        with tempfile.TemporaryDirectory(prefix=f"{name}-") as tmp:
            store = Store(Path(tmp) / name, fsync=False)  # never reused: no need to fsync
            return run(fn, grid, store, fixed=fixed, executor=executor, progress=progress)
    return run(fn, grid, Path(cache_dir) / name, fixed=fixed, executor=executor, progress=progress)


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"row values must be numbers, bools or strings, got {type(value).__name__}")


def _row_cell(row: str, *, fn: Callable, **fixed: Any):
    """Cell of :func:`run_rows`: ``fn(**json.loads(row), **fixed)``."""
    return fn(**json.loads(row), **fixed)


def run_rows(name: str, fn: Callable, rows: Sequence[Mapping[str, Any]], cache_dir, *,
             fixed: Mapping[str, Any] | None = None, executor: Any = None, progress: bool = False):
    """Run ``fn(**row, **fixed)`` for each parameter set in ``rows`` as one sweep.

    Returns the LabelledArray with one dim ``"row"`` (in the order of ``rows``; its coords are
    the rows in JSON). Rows must be distinct mappings of numbers, bools or strings.
    """
    labels = [json.dumps(dict(r), sort_keys=True, default=_plain) for r in rows]
    grid = Grid(row=labels)
    fixed = dict(fixed or {})
    if "fn" in fixed:
        raise ValueError("fixed must not contain 'fn' (the row function is passed as fn)")
    return ensemble(name, _row_cell, grid, cache_dir, fixed={"fn": fn, **fixed},
                        executor=executor, progress=progress)


def run_one(name: str, fn: Callable, params: Mapping[str, Any], cache_dir, *,
            fixed: Mapping[str, Any] | None = None, progress: bool = False) -> dict[str, Any]:
    """One stored cell, ``fn(**params, **fixed)``, run in this process; its fields as a dict.

    For long single runs (a GAN training run, say) that a figure averages or draws one by
    one: with a ``cache_dir`` a finished run is verified and reused, never recomputed.
    """
    res = run_rows(name, fn, [params], cache_dir, fixed=fixed, executor="inprocess", progress=progress)
    out = {}
    for key, value in res.values.items():
        v = value[0]
        out[key] = v.item() if getattr(v, "ndim", 1) == 0 else v
    return out
