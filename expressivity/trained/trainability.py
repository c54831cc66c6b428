"""Trainability over depth x sigma_w2 (Schoenholz et al. 2017, Sec. 5, Fig. 5) at CPU scale.

One cell trains one tanh classifier of the given depth at the given sigma_w2 (sigma_b2 =
0.05) for a fixed number of steps and records its accuracy; the grid of cells runs through
:mod:`expressivity.sweep` (one stored, verified cell per (depth, sigma_w2, seed); an
interrupted grid resumes; any executor). Mean field predicts that a network trains when
signals cross it, depth < ~6 xi_c, with xi_c the correlation depth scale of
:func:`meanfield.depth_scales` (it diverges at the critical sigma_w2, 1.76 for tanh at
sigma_b2 = 0.05). :func:`agreement` scores a measured grid against that line.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import sweep
from .classifier import accuracy_cell

__all__ = ["trainability_cell", "trainability_grid", "theory_depth", "agreement"]


def trainability_cell(depth, sigma_w2, seed, **kwargs) -> dict:
    """Sweep cell: train ``depth`` hidden layers at ``sigma_w2`` with weights from ``seed``
    (``kwargs``: the rest of :func:`~.classifier.train_classifier`'s arguments); the fields
    of :func:`~.classifier.accuracy_cell` except the loss curve (a grid keeps scalars)."""
    out = accuracy_cell(seed, depth=int(depth), sigma_w2=float(sigma_w2), **kwargs)
    out.pop("train_loss")
    return out


def trainability_grid(depths, sigma_w2s, seeds=1, cache_dir=None, *, executor=None, progress=False,
                      name="trainability", **fixed):
    """Run :func:`trainability_cell` over ``depths`` x ``sigma_w2s`` x ``seeds`` as one sweep
    (stored under ``<cache_dir>/<name>``, with mid-run checkpoints in its ``checkpoints``
    folder; None: a temporary store, no checkpoints). Cells are submitted deepest
    first (the longest first, so a pool of workers ends together); the result is returned with
    ``depth`` ascending: a :class:`~expressivity.sweep.LabelledArray` with dims
    (depth, sigma_w2, seed)."""
    desc = sorted({int(d) for d in depths}, reverse=True)
    grid = sweep.Grid(depth=desc, sigma_w2=[float(w) for w in sigma_w2s], seeds=seeds)
    if cache_dir is not None and "checkpoint_dir" not in fixed:   # long cells resume mid-run
        fixed["checkpoint_dir"] = str(Path(cache_dir) / name / "checkpoints")
    res = sweep.ensemble(name, trainability_cell, grid, cache_dir, fixed=fixed, executor=executor,
                         progress=progress)
    order = np.argsort(res.coords["depth"])
    from ..sweep import LabelledArray

    coords = dict(res.coords)
    coords["depth"] = [coords["depth"][i] for i in order]
    return LabelledArray(res.dims, coords, {k: v[order] for k, v in res.values.items()}, res.attrs)


def theory_depth(sigma_w2, sigma_b2=0.05, activation="tanh", factor=6.0):
    """The trainable depth factor * xi_c of mean-field theory (Schoenholz et al. 2017, Sec. 5)."""
    import meanfield as mf

    return factor * np.asarray(mf.depth_scales(activation, sigma_w2, sigma_b2)[1], np.float64)


def agreement(accuracy, depths, sigma_w2s, threshold, sigma_b2=0.05, activation="tanh", factor=6.0):
    """Fraction of grid cells where "trains" (``accuracy[i_depth, i_w] >= threshold``) agrees
    with "depth < factor * xi_c(sigma_w2)"; also returns the two boolean grids.

    Returns ``(fraction, trains, predicted)``."""
    acc = np.asarray(accuracy, np.float64)
    d = np.asarray(depths, np.float64)[:, None]
    line = theory_depth(np.asarray(sigma_w2s, np.float64), sigma_b2, activation, factor)[None, :]
    if acc.shape != (d.shape[0], line.shape[1]):
        raise ValueError(f"accuracy must have shape (len(depths), len(sigma_w2s)) = "
                         f"{(d.shape[0], line.shape[1])}, got {acc.shape}")
    trains = acc >= threshold
    predicted = d < line
    return float(np.mean(trains == predicted)), trains, predicted
