"""Sweeps: one function over a grid of parameters, from a laptop to a dask cluster.

>>> from expressivity import sweep
>>> def cell(width, sigma_w2, seed):
...     return {"q": ...}
>>> grid = sweep.Grid(width=[16, 64], sigma_w2=[1.0, 2.0, 4.0], seeds=3)
>>> res = sweep.run(cell, grid, "runs/cell")                        # all local cores
>>> res = sweep.run(cell, grid, "runs/cell", executor=client)       # a dask.distributed Client
>>> res.sel(width=64).values["q"].shape                              # (3, 3): sigma_w2 x seed

Results are stored one file per cell, written atomically and verified on read; running the
same sweep again computes only what is missing or corrupt; cells are keyed by the function's
content, so a script and a REPL share them. Modules: :mod:`.grid` (the grid and its checks),
:mod:`.store` (cell files and keys), :mod:`.claims` (several drivers on one store),
:mod:`.labelled` (the result array), :mod:`.run` (executors, resume, faults, progress),
:mod:`.ensembles` (named groups of cells under one cache directory: what the figures use),
:mod:`.phase_tiles` (a phase diagram too large for one call, computed tile by tile).
"""
from .ensembles import ensemble, run_one, run_rows
from .grid import Grid, check_call
from .claims import StoreNotWritable
from .labelled import LabelledArray, NotOnGrid
from .phase_tiles import tiled_phase_diagram
from .run import INPROCESS, CorruptCellWarning, IncompleteSweep, SweepError, load, missing, run
from .store import CorruptCell, Store

__all__ = ["Grid", "check_call", "LabelledArray", "NotOnGrid", "run", "load", "missing", "Store",
           "CorruptCell", "CorruptCellWarning", "IncompleteSweep", "SweepError", "StoreNotWritable",
           "INPROCESS", "tiled_phase_diagram", "ensemble", "run_rows", "run_one"]
