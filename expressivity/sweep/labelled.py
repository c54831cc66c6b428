"""Labelled arrays: sweep results indexed by parameter values (a tiny stand-in for xarray)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np


class NotOnGrid(KeyError, ValueError):
    """A coordinate value or field name that the array does not have. A ``KeyError`` (as in
    xarray and dicts) and a ``ValueError`` (as every other bad argument of the sweep API)."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0]) if self.args else ""


def _plain_list(values: np.ndarray) -> str:
    """A coordinate as a user reads it: ``[0.5, 1.0]``, shortened past 12 values."""
    items = np.asarray(values).tolist()
    if len(items) > 12:
        return f"[{', '.join(map(repr, items[:5]))}, ..., {', '.join(map(repr, items[-3:]))}] ({len(items)} values)"
    return repr(items)


@dataclass
class LabelledArray:
    """Result fields over a grid.

    ``dims`` names the leading axes of every array in ``values``; ``coords[d]`` is the 1-D
    array of values along dim ``d``; ``values[f]`` has shape ``grid shape + result shape``
    (the trailing dims are whatever the function returned for field ``f``). ``attrs`` holds
    free-form metadata (function, store, package version).

    Parameters
    ----------
    dims : sequence of str
        Names of the leading axes.
    coords : dict of str to 1-D array
        One coordinate array per dim (exactly the dims).
    values : dict of str to array
        The fields; each one's leading axes have the lengths of the coords.
    attrs : dict, optional
        Free-form metadata.

    Raises
    ------
    TypeError
        ``dims`` is not a sequence of strings, or ``coords``/``values`` are not mappings.
    ValueError
        Coords that do not name exactly the dims, a coord that is not 1-D, or a field whose
        leading shape does not match.
    """

    dims: tuple[str, ...]
    coords: dict[str, np.ndarray]
    values: dict[str, np.ndarray]
    attrs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if isinstance(self.dims, str) or not all(isinstance(d, str) for d in _iterable("dims", self.dims)):
            raise TypeError(f"dims must be a sequence of strings (names of the axes), got {self.dims!r}")
        self.dims = tuple(self.dims)
        if len(set(self.dims)) != len(self.dims):
            raise ValueError(f"dims {list(self.dims)} must be distinct")
        for name in ("coords", "values"):
            if not isinstance(getattr(self, name), Mapping):
                raise TypeError(f"{name} must be a dict, got {type(getattr(self, name)).__name__}")
        if set(self.coords) != set(self.dims):
            raise ValueError(f"coords {sorted(self.coords)} must name exactly the dims {list(self.dims)}")
        self.coords = {d: np.asarray(self.coords[d]) for d in self.dims}
        for d, c in self.coords.items():
            if c.ndim != 1:
                raise ValueError(f"coords[{d!r}] must be 1-D, got shape {c.shape}")
        self.values = dict(self.values)
        shape = self.shape
        for name, arr in self.values.items():
            if tuple(np.shape(arr)[: len(shape)]) != shape:
                raise ValueError(f"field {name!r} has shape {np.shape(arr)}; its leading dims must be {shape}")

    @property
    def shape(self) -> tuple[int, ...]:
        """Grid shape (without the trailing result dims)."""
        return tuple(len(self.coords[d]) for d in self.dims)

    def __getitem__(self, name: str) -> np.ndarray:
        """The array of field ``name`` (grid dims first); ``NotOnGrid`` (a KeyError and a
        ValueError) naming the fields if there is none."""
        try:
            return self.values[name]
        except (KeyError, TypeError):
            raise NotOnGrid(f"no field {name!r}; the fields are {sorted(self.values)}") from None

    def __contains__(self, name: object) -> bool:
        return name in self.values

    def __repr__(self) -> str:
        dims = ", ".join(f"{d}: {len(self.coords[d])}" for d in self.dims)
        fields = ", ".join(f"{k}{tuple(v.shape[len(self.dims):])}" for k, v in self.values.items())
        return f"LabelledArray(dims=({dims}), fields=[{fields}])"

    def _check_dims(self, given: Mapping[str, Any]) -> None:
        for d in given:
            if d not in self.dims:
                raise ValueError(f"unknown dim {d!r}; dims are {list(self.dims)}")

    def _index(self, dim: str, value: Any) -> int:
        coord = self.coords[dim]
        try:
            if coord.dtype.kind in "fc":
                hits = np.flatnonzero(np.isclose(coord, value, rtol=1e-12, atol=0.0))
            else:
                hits = np.flatnonzero(coord == value)
        except TypeError:
            hits = np.array([], dtype=int)
        if hits.size == 0:
            shown = value.item() if isinstance(value, np.generic) else value
            raise NotOnGrid(f"{dim}={shown!r} is not on the grid; {dim} has values {_plain_list(coord)}")
        return int(hits[0])

    def _position(self, dim: str, i: Any) -> int:
        n = len(self.coords[dim])
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)):
            raise TypeError(f"isel({dim}=...) takes integer positions, a list of them or a slice; "
                            f"got {type(i).__name__}")
        if not -n <= i < n:
            raise ValueError(f"isel({dim}={int(i)}) is out of range; {dim} has {n} positions (0 to {n - 1}, "
                             f"or negative from the end)")
        return int(i) % n

    def isel(self, **indexers: int | list[int] | slice) -> "LabelledArray":
        """Select by position: an int drops the dim, a list or slice keeps it.

        Parameters
        ----------
        **indexers : int, list of int or slice
            One per dim to select along; positions may be negative (from the end).

        Returns
        -------
        LabelledArray
            The selection (arrays are numpy views or copies, as numpy indexing gives them).

        Raises
        ------
        ValueError
            An unknown dim or a position out of range.
        TypeError
            A position that is not an integer (or a list of integers, or a slice).
        """
        self._check_dims(indexers)
        index, dims, coords = [], [], {}
        for d in self.dims:
            if d not in indexers:
                index.append(slice(None)); dims.append(d); coords[d] = self.coords[d]
                continue
            i = indexers[d]
            if isinstance(i, slice):
                index.append(i)
                dims.append(d); coords[d] = self.coords[d][i]
            elif isinstance(i, (int, np.integer)) and not isinstance(i, (bool, np.bool_)):
                index.append(self._position(d, i))
            else:
                if isinstance(i, (str, bytes)) or not hasattr(i, "__iter__"):
                    raise TypeError(f"isel({d}=...) takes integer positions, a list of them or a slice; "
                                    f"got {type(i).__name__}")
                pos = np.asarray([self._position(d, j) for j in i], dtype=int)
                index.append(pos)
                dims.append(d); coords[d] = self.coords[d][pos]
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
        relative tolerance of 1e-12.

        Parameters
        ----------
        **coords : scalar or list
            One per dim to select along: the coordinate value(s) wanted.

        Returns
        -------
        LabelledArray
            The selection.

        Raises
        ------
        NotOnGrid
            (a ``KeyError`` and a ``ValueError``) a value not on the grid, naming the
            values the dim has.
        ValueError
            An unknown dim.
        """
        self._check_dims(coords)
        indexers = {}
        for d, v in coords.items():
            if np.ndim(v) == 0:
                indexers[d] = self._index(d, v)
            else:
                indexers[d] = [self._index(d, x) for x in np.asarray(v).tolist()]
        return self.isel(**indexers)


def _iterable(name: str, value: Any):
    if not hasattr(value, "__iter__"):
        raise TypeError(f"{name} must be a sequence of strings, got {type(value).__name__}")
    return value
