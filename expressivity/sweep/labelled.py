"""Labelled arrays: sweep results indexed by parameter values (a tiny stand-in for xarray)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class LabelledArray:
    """Result fields over a grid.

    ``dims`` names the leading axes of every array in ``values``; ``coords[d]`` is the 1-D
    array of values along dim ``d``; ``values[f]`` has shape ``grid shape + result shape``
    (the trailing dims are whatever the function returned for field ``f``). ``attrs`` holds
    free-form metadata (function, store, package version).
    """

    dims: tuple[str, ...]
    coords: dict[str, np.ndarray]
    values: dict[str, np.ndarray]
    attrs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        self.dims = tuple(self.dims)
        if set(self.coords) != set(self.dims):
            raise ValueError(f"coords {sorted(self.coords)} must name exactly the dims {list(self.dims)}")
        self.coords = {d: np.asarray(self.coords[d]) for d in self.dims}
        shape = self.shape
        for name, arr in self.values.items():
            if tuple(np.shape(arr)[: len(shape)]) != shape:
                raise ValueError(f"field {name!r} has shape {np.shape(arr)}; its leading dims must be {shape}")

    @property
    def shape(self) -> tuple[int, ...]:
        """Grid shape (without the trailing result dims)."""
        return tuple(len(self.coords[d]) for d in self.dims)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]

    def __repr__(self) -> str:
        dims = ", ".join(f"{d}: {len(self.coords[d])}" for d in self.dims)
        fields = ", ".join(f"{k}{tuple(v.shape[len(self.dims):])}" for k, v in self.values.items())
        return f"LabelledArray(dims=({dims}), fields=[{fields}])"

    def _index(self, dim: str, value: Any) -> int:
        coord = self.coords[dim]
        if coord.dtype.kind in "fc":
            hits = np.flatnonzero(np.isclose(coord, value, rtol=1e-12, atol=0.0))
        else:
            hits = np.flatnonzero(coord == value)
        if hits.size == 0:
            raise KeyError(f"{dim}={value!r} is not on the grid; {dim} has values {coord.tolist()}")
        return int(hits[0])

    def isel(self, **indexers: int | list[int] | slice) -> "LabelledArray":
        """Select by position: an int drops the dim, a list or slice keeps it."""
        for d in indexers:
            if d not in self.dims:
                raise ValueError(f"unknown dim {d!r}; dims are {list(self.dims)}")
        index, dims, coords = [], [], {}
        for d in self.dims:
            if d not in indexers:
                index.append(slice(None)); dims.append(d); coords[d] = self.coords[d]
                continue
            i = indexers[d]
            if isinstance(i, (int, np.integer)):
                index.append(int(i))
            else:
                sub = self.coords[d][i]
                index.append(i if isinstance(i, slice) else np.asarray(i, dtype=int))
                dims.append(d); coords[d] = sub
        # apply one axis at a time so several list indexers do not broadcast together
        values = {}
        for name, arr in self.values.items():
            out, axis = arr, 0
            for ix in index:
                if isinstance(ix, int):
                    out = np.take(out, ix, axis=axis)
                else:
                    out = out[(slice(None),) * axis + (ix,)]
                    axis += 1
            values[name] = out
        return LabelledArray(tuple(dims), coords, values, dict(self.attrs))

    def sel(self, **coords: Any) -> "LabelledArray":
        """Select by coordinate value: ``res.sel(width=64, sigma_w2=[1.0, 2.0])``.

        A scalar drops the dim, a list keeps it in the order given. Floats match to a
        relative tolerance of 1e-12. Raises ``KeyError`` naming a value not on the grid and
        ``ValueError`` for an unknown dim.
        """
        indexers = {}
        for d, v in coords.items():
            if d not in self.dims:
                raise ValueError(f"unknown dim {d!r}; dims are {list(self.dims)}")
            if np.ndim(v) == 0:
                indexers[d] = self._index(d, v)
            else:
                indexers[d] = [self._index(d, x) for x in np.asarray(v).tolist()]
        return self.isel(**indexers)
