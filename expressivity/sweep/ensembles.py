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
import re
import tempfile
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from .grid import Grid, check_names
from .run import run
from .store import Store, _store_path

__all__ = ["ensemble", "run_rows", "run_one"]

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\Z")


def _check_name(name: Any) -> str:
    if not isinstance(name, str):
        raise TypeError(f"name must be a string (the store's folder under cache_dir), got {type(name).__name__}")
    if not _NAME.match(name):
        raise ValueError(f"name={name!r} must be a folder name: letters, digits, '_', '-' or '.', "
                         "not starting with '.' or '-' (no '/')")
    return name


def ensemble(name: str, fn: Callable, grid: Grid, cache_dir, *, fixed: Mapping[str, Any] | None = None,
             executor: Any = None, progress: bool = False):
    """``run(fn, grid, <cache_dir>/<name>, ...)``; a throw-away store if ``cache_dir`` is None.

    Parameters
    ----------
    name : str
        Folder of this group of cells under ``cache_dir`` (letters, digits, ``_-.``).
    fn, grid, fixed
        As for :func:`expressivity.sweep.run`.
    cache_dir : str, path-like or None
        Directory of the figure's (or study's) cache; None: a temporary directory removed
        once the results are loaded.
    executor : optional
        As for :func:`expressivity.sweep.run` (None: local processes on all cores;
        ``"inprocess"``: this process).
    progress : bool
        Show the progress bar.

    Returns
    -------
    LabelledArray
        Every cell's fields over the grid's dims.

    Raises
    ------
    TypeError, ValueError
        A bad name or cache_dir, and everything :func:`expressivity.sweep.run` raises.
    """
    name = _check_name(name)
    if cache_dir is None:
        with tempfile.TemporaryDirectory(prefix=f"{name}-") as tmp:
            store = Store(Path(tmp) / name, fsync=False, shared=False)  # private, never reused
            return run(fn, grid, store, fixed=fixed, executor=executor, progress=progress, desc=name)
    return run(fn, grid, _store_path(cache_dir, "cache_dir") / name, fixed=fixed, executor=executor,
               progress=progress, desc=name)


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"row values must be numbers, bools or strings, got {type(value).__name__}")


def _row_cell(row: str, *, fn: Callable, **fixed: Any):
    """Cell of :func:`run_rows`: ``fn(**json.loads(row), **fixed)``."""
    return fn(**json.loads(row), **fixed)


def _row_labels(rows: Any) -> list[str]:
    if isinstance(rows, (str, bytes, Mapping)) or not hasattr(rows, "__iter__"):
        raise TypeError(f"rows must be a list of dicts of parameters, got {type(rows).__name__}")
    rows = list(rows)
    if not rows:
        raise ValueError("rows is empty; give at least one dict of parameters")
    labels = []
    for i, r in enumerate(rows):
        if not isinstance(r, Mapping):
            raise TypeError(f"rows[{i}] must be a dict of parameters, got {type(r).__name__}")
        for k in r:
            if not isinstance(k, str) or not k.isidentifier():
                raise ValueError(f"rows[{i}] has the key {k!r}; parameter names must be identifiers")
        try:
            labels.append(json.dumps(dict(r), sort_keys=True, default=_plain, allow_nan=False))
        except ValueError as exc:
            raise ValueError(f"rows[{i}] has a non-finite value ({exc}); row values must be finite") from None
    seen = {}
    for i, label in enumerate(labels):
        if label in seen:
            raise ValueError(f"rows[{i}] repeats rows[{seen[label]}] ({label}); give each row once")
        seen[label] = i
    return labels


def run_rows(name: str, fn: Callable, rows: Sequence[Mapping[str, Any]], cache_dir, *,
             fixed: Mapping[str, Any] | None = None, executor: Any = None, progress: bool = False):
    """Run ``fn(**row, **fixed)`` for each parameter set in ``rows`` as one sweep.

    Parameters
    ----------
    name, cache_dir, executor, progress
        As for :func:`ensemble`.
    fn : callable
        The cell function (module level for process executors).
    rows : list of dict
        Distinct parameter sets of numbers, bools or strings; each is one cell, keyed by its
        own parameters (adding or reordering rows reuses the stored ones).
    fixed : dict, optional
        Keyword arguments passed to every cell (not ``fn``).

    Returns
    -------
    LabelledArray
        One dim ``"row"`` in the order of ``rows`` (its coords are the rows in JSON).

    Raises
    ------
    TypeError, ValueError
        Rows that are not dicts of finite numbers, bools or strings, repeated rows,
        ``"fn"`` in ``fixed``, and everything :func:`ensemble` raises.
    """
    labels = _row_labels(rows)
    grid = Grid(row=labels)
    if fixed is not None and not isinstance(fixed, Mapping):
        raise TypeError(f"fixed must be a dict of keyword arguments, got {type(fixed).__name__}")
    fixed = dict(fixed or {})
    if "fn" in fixed:
        raise ValueError("fixed must not contain 'fn' (the row function is passed as fn)")
    if not callable(fn):
        raise TypeError(f"fn must be a callable (the function to run per row), got {type(fn).__name__}")
    checked = set()
    for i, label in enumerate(labels):
        names = tuple(sorted(json.loads(label)))
        if names not in checked:
            try:
                check_names(fn, list(names), list(fixed), where=f"rows[{i}]")
            except ValueError as exc:
                raise ValueError(str(exc)) from None
            checked.add(names)
    return ensemble(name, _row_cell, grid, cache_dir, fixed={"fn": fn, **fixed},
                    executor=executor, progress=progress)


def run_one(name: str, fn: Callable, params: Mapping[str, Any], cache_dir, *,
            fixed: Mapping[str, Any] | None = None, progress: bool = False) -> dict[str, Any]:
    """One stored cell, ``fn(**params, **fixed)``, run in this process; its fields as a dict.

    For long single runs (a GAN training run, say) that a figure averages or draws one by
    one: with a ``cache_dir`` a finished run is verified and reused, never recomputed.

    Parameters
    ----------
    name, cache_dir, progress
        As for :func:`ensemble`.
    fn : callable
        The cell function.
    params : dict
        Its parameters (numbers, bools or strings).
    fixed : dict, optional
        Further keyword arguments (not part of ``params``).

    Returns
    -------
    dict
        Field name -> value (0-d fields as Python scalars, others as arrays).

    Raises
    ------
    TypeError, ValueError
        ``params`` not a dict, and everything :func:`run_rows` raises.
    """
    if not isinstance(params, Mapping):
        raise TypeError(f"params must be a dict of parameters, got {type(params).__name__}")
    res = run_rows(name, fn, [params], cache_dir, fixed=fixed, executor="inprocess", progress=progress)
    out = {}
    for key, value in res.values.items():
        v = value[0]
        out[key] = v.item() if getattr(v, "ndim", 1) == 0 else v
    return out
