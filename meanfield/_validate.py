"""Argument checks shared by the theory functions: clear errors that name the argument.

Every bad argument raises ValueError (a value outside its range, NaN, inf, an unknown name,
shapes that do not broadcast) or TypeError (a string, None, a bool, a complex number, a ragged
list, an array where a single number is due), with a message that names the argument and the
allowed values and prints numbers as plain numbers.
"""
from __future__ import annotations

import numbers

import numpy as np

VALUE_MAX = 1e300     # largest variance / q the integrals take (q* above it: see _solvers.Q_CAP)
SIZE_MAX = 10 ** 6    # largest number of layers / depth / iterations


def fmt(v) -> str:
    """A number as a plain Python literal (never ``np.float64(...)``)."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return repr(v)
    if f.is_integer() and abs(f) < 1e16:
        return str(int(f)) if isinstance(v, (int, np.integer)) else repr(f)
    return repr(f)


def show(v, limit: int = 80) -> str:
    """A short, plain repr of an argument (arrays as lists, numpy scalars as Python ones)."""
    if isinstance(v, np.ndarray):
        v = v.tolist()
    elif isinstance(v, np.generic):
        v = v.item()
    r = repr(v)
    return r if len(r) <= limit else r[: limit - 3] + "..."


def _range(lo, hi, lo_open) -> str:
    left = "(" if lo_open else "["
    lo_s = "-inf" if lo is None else fmt(lo)
    hi_s = "inf" if hi is None else fmt(hi)
    return f"{left}{lo_s}, {hi_s}{']' if hi is not None else ')'}"


def as_array(name: str, value, lo: float | None = None, hi: float | None = None,
             lo_open: bool = False, allow_inf: bool = False) -> np.ndarray:
    """``value`` as a float64 array with every entry in [lo, hi] (or (lo, hi] if lo_open);
    TypeError for strings, None, bools, complex numbers and ragged lists; ValueError naming
    ``name`` and the range for NaN, inf (unless allow_inf) or an entry outside it."""
    rng = _range(lo, hi, lo_open)
    what = f"{name} must be a real number or an array of real numbers in {rng}"
    if value is None or isinstance(value, (str, bytes, bool, np.bool_)):
        raise TypeError(f"{what}; got {show(value)}")
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError):  # ragged nested lists
        raise TypeError(f"{what}; got {show(value)}") from None
    if raw.dtype.kind not in "iuf" and not (raw.dtype.kind == "O" and raw.size
                                             and all(isinstance(x, numbers.Real) and not isinstance(x, bool)
                                                     for x in raw.flat)):
        kind = {"b": "bools", "c": "complex numbers", "U": "strings", "S": "bytes"}.get(raw.dtype.kind, str(raw.dtype))
        if raw.dtype.kind == "O" and raw.size == 0:
            kind = "an empty object array"
        raise TypeError(f"{what}; got {kind}: {show(value)}")
    arr = raw.astype(np.float64)
    bad = np.isnan(arr)
    if not allow_inf:
        bad |= np.isinf(arr)
    if lo is not None:
        bad |= (arr <= lo) if lo_open else (arr < lo)
    if hi is not None:
        bad |= arr > hi
    if bad.any():
        v = arr[bad].flat[0]
        extra = " (finite)" if np.isinf(v) and not allow_inf else ""
        raise ValueError(f"{name} must lie in {rng}{extra}; got {fmt(v)}")
    return arr


def scalar(name: str, value, lo: float | None = None, hi: float | None = None,
           lo_open: bool = False, allow_inf: bool = False) -> float:
    """A single real number in range (see :func:`as_array`); TypeError for arrays."""
    arr = as_array(name, value, lo, hi, lo_open, allow_inf)
    if arr.ndim != 0:
        raise TypeError(f"{name} must be a single number, got an array of shape {arr.shape}")
    return float(arr)


def variances(sigma_w2, sigma_b2) -> tuple[np.ndarray, np.ndarray]:
    """sigma_w2, sigma_b2 as float arrays in [0, VALUE_MAX]."""
    return as_array("sigma_w2", sigma_w2, 0.0, VALUE_MAX), as_array("sigma_b2", sigma_b2, 0.0, VALUE_MAX)


def broadcast(**arrays) -> list[np.ndarray]:
    """The arrays broadcast against each other; ValueError naming them and their shapes."""
    try:
        return np.broadcast_arrays(*arrays.values())
    except ValueError:
        shapes = ", ".join(f"{k} {np.shape(v)}" for k, v in arrays.items())
        raise ValueError(f"the shapes of {', '.join(arrays)} do not broadcast together: {shapes}") from None


def scalar_or_array(x: np.ndarray):
    """Return a Python float for 0-d results, the array otherwise."""
    return float(x) if np.ndim(x) == 0 else x


def positive_int(name: str, n, hi: int = SIZE_MAX) -> int:
    """An integer (not bool) in [1, hi]; ValueError naming ``name`` for other numbers (2.5,
    True), TypeError for non-numbers."""
    if isinstance(n, (bool, np.bool_)) or (isinstance(n, numbers.Real) and not isinstance(n, (int, np.integer))):
        raise ValueError(f"{name} must be an integer in [1, {hi}], got {show(n)}")
    if not isinstance(n, (int, np.integer)):
        raise TypeError(f"{name} must be an integer in [1, {hi}], got {show(n)}")
    if not 1 <= n <= hi:
        raise ValueError(f"{name} must be an integer in [1, {hi}], got {int(n)}")
    return int(n)


def flag(name: str, value) -> bool:
    """A bool (Python or numpy); TypeError naming ``name`` otherwise."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {show(value)}")
    return bool(value)
