"""A sweep grid: the Cartesian product of named parameter lists, plus seeds.

``Grid(width=[16, 64], sigma_w2=[1.0, 2.0], seeds=3)`` has dims ``("width", "sigma_w2",
"seed")`` and shape ``(2, 2, 3)``; cell ``(i, j, k)`` calls ``fn(width=..., sigma_w2=...,
seed=k)``. Everything that can be checked is checked here, before any work starts: empty
lists, non-finite numbers, duplicates, values that are not scalars, and (with
:func:`check_call`) names that the function does not accept.
"""
from __future__ import annotations

import inspect
import itertools
import math
import numbers
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

SEED = "seed"


def _scalar(name: str, value: Any) -> Any:
    """Return ``value`` as a plain Python scalar (int, float, bool, complex or str)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"grid parameter {name!r} has a non-finite value {value!r}; "
                             "values must be finite numbers or strings")
        return value
    if isinstance(value, numbers.Complex):
        value = complex(value)
        if not (math.isfinite(value.real) and math.isfinite(value.imag)):
            raise ValueError(f"grid parameter {name!r} has a non-finite value {value!r}")
        return value
    raise TypeError(f"grid parameter {name!r} has a value of type {type(value).__name__} "
                    f"({value!r}); values must be numbers, bools or strings (pass objects "
                    "as fixed keyword arguments instead)")


def _kind(v: Any) -> str:
    return "str" if isinstance(v, str) else "bool" if isinstance(v, bool) else "number"


def _values(name: str, values: Any) -> tuple:
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"grid parameter name {name!r} must be a Python identifier")
    if isinstance(values, (str, bytes, Mapping, set, frozenset)) or not hasattr(values, "__iter__"):
        shown = values.item() if isinstance(values, np.generic) else values
        raise TypeError(f"grid parameter {name!r} must be a list of values (e.g. {name}=[{shown!r}]), "
                        f"got {type(values).__name__} {shown!r}")
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise ValueError(f"grid parameter {name!r} must be a 1-D list of values, got shape {values.shape}")
    values = list(values)
    if not values:
        raise ValueError(f"grid parameter {name!r} is an empty list; give at least one value")
    out = tuple(_scalar(name, v) for v in values)
    kinds = {_kind(v) for v in out}
    if len(kinds) > 1:
        raise TypeError(f"grid parameter {name!r} mixes {sorted(kinds)}; use one kind per parameter")
    seen = set()
    for v in out:
        if v in seen:
            raise ValueError(f"grid parameter {name!r} lists the value {v!r} twice; values must be distinct")
        seen.add(v)
    return out


class Grid:
    """The product of named parameter lists, optionally times a list of seeds.

    Parameters
    ----------
    seeds : int or list of int, optional
        ``seeds=n`` means seeds ``0..n-1`` (n >= 1); a list gives them explicitly (distinct
        integers >= 0). They form the last dim, named ``"seed"``, and reach the function as
        ``seed=``.
    **params : lists of numbers, bools or strings
        One dim per keyword, in the order given. Values must be finite, distinct and of one
        kind (numbers, bools or strings) per parameter.

    Raises
    ------
    ValueError
        No parameter at all, an empty list, a non-finite or repeated value, a name that is
        not an identifier, ``seed=[...]`` (use ``seeds=``), or bad seeds.
    TypeError
        A parameter given as a single value rather than a list, values that are not
        scalars, or kinds mixed in one list.

    Examples
    --------
    >>> Grid(width=[16, 64], sigma_w2=[1.0, 2.0], seeds=3).shape
    (2, 2, 3)
    """

    def __init__(self, seeds: int | Sequence[int] | None = None, **params: Sequence[Any]):
        if not params and seeds is None:
            raise ValueError("a grid needs at least one parameter list or seeds "
                             "(e.g. Grid(width=[16, 64], seeds=3))")
        axes = {name: _values(name, vals) for name, vals in params.items()}
        if SEED in axes:
            raise ValueError("name the seed axis with seeds=..., not seed=[...]")
        if seeds is not None:
            allowed = "seeds must be a count >= 1 (seeds 0..n-1) or a list of distinct integers >= 0"
            if isinstance(seeds, (numbers.Integral, np.integer)) and not isinstance(seeds, (bool, np.bool_)):
                if seeds < 1:
                    raise ValueError(f"{allowed}; got seeds={int(seeds)}")
                seeds = range(int(seeds))
            elif isinstance(seeds, (bool, np.bool_, numbers.Number, str, bytes)):
                raise TypeError(f"{allowed}; got {type(seeds).__name__} {seeds!r}")
            seed_values = _values("seeds", seeds)
            for s in seed_values:
                if isinstance(s, bool) or not isinstance(s, int) or s < 0:
                    raise ValueError(f"{allowed}; got the seed {s!r}")
            axes[SEED] = seed_values
        self._axes = axes

    @property
    def dims(self) -> tuple[str, ...]:
        return tuple(self._axes)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self._axes.values())

    @property
    def coords(self) -> dict[str, np.ndarray]:
        """Name -> 1-D numpy array of that dim's values."""
        return {name: np.asarray(vals) for name, vals in self._axes.items()}

    def __len__(self) -> int:
        return math.prod(self.shape)

    def __iter__(self) -> Iterator[tuple[tuple[int, ...], dict[str, Any]]]:
        """Yield ``(index, params)`` for every cell in C order."""
        names = self.dims
        for index in itertools.product(*(range(n) for n in self.shape)):
            yield index, {n: self._axes[n][i] for n, i in zip(names, index)}

    def __repr__(self) -> str:
        parts = [f"{n}={list(v)!r}" for n, v in self._axes.items() if n != SEED]
        if SEED in self._axes:
            parts.append(f"seeds={list(self._axes[SEED])!r}")
        return f"Grid({', '.join(parts)})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Grid) and self._axes == other._axes


def check_call(fn: Callable, grid: Grid, fixed: Mapping[str, Any] | None = None) -> None:
    """Check that ``fn(**cell_params, **fixed)`` binds for every cell, before any work.

    Parameters
    ----------
    fn : callable
        The function to sweep.
    grid : Grid
        Its cells' parameters.
    fixed : dict, optional
        Keyword arguments given to every cell.

    Raises
    ------
    TypeError
        ``fn`` is not callable, ``grid`` is not a Grid, ``fixed`` is not a dict or has
        names that are not strings.
    ValueError
        Naming a parameter the function does not accept, a parameter given both in the grid
        and in ``fixed``, a required argument of ``fn`` that nobody supplies, or a
        positional-only argument.
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {type(fn).__name__}")
    if not isinstance(grid, Grid):
        raise TypeError(f"grid must be a sweep.Grid, got {type(grid).__name__}")
    if fixed is not None and not isinstance(fixed, Mapping):
        raise TypeError(f"fixed must be a dict of keyword arguments, got {type(fixed).__name__}")
    fixed = dict(fixed or {})
    for name in fixed:
        if not isinstance(name, str):
            raise TypeError(f"fixed keyword names must be strings, got {name!r}")
    both = set(grid.dims) & set(fixed)
    if both:
        raise ValueError(f"parameter(s) {sorted(both)} are given both in the grid and in fixed")
    check_names(fn, list(grid.dims), list(fixed), "grid")


def check_names(fn: Callable, names: list[str], fixed_names: list[str], where: str = "grid") -> None:
    """Check that ``fn`` accepts the keywords ``names + fixed_names`` and needs no others
    (ValueError naming the argument; ``where`` says where ``names`` come from)."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # builtins without a signature: let the call decide
        return
    params = sig.parameters
    for name, p in params.items():
        if p.kind is p.POSITIONAL_ONLY and p.default is p.empty:
            raise ValueError(f"{_name(fn)}{sig} has a positional-only argument {name!r}; sweeps pass "
                             "every argument by keyword")
    var_kw = any(p.kind is p.VAR_KEYWORD for p in params.values())
    accepted = {n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    supplied = list(names) + list(fixed_names)
    for name in supplied:
        if name not in accepted and not var_kw:
            what = "seeds (passed as seed=)" if name == SEED and where == "grid" else f"parameter {name!r}"
            src = where if name in names else "fixed"
            raise ValueError(f"{src} {what} is not an argument of {_name(fn)}{sig}; "
                             f"it accepts {sorted(accepted)}")
    for name, p in params.items():
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.default is p.empty \
                and name not in supplied:
            raise ValueError(f"argument {name!r} of {_name(fn)} is required but neither the {where} "
                             "nor fixed gives it")


def _name(fn: Callable) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)
