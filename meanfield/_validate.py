"""Argument checks shared by the theory functions: clear errors that name the argument."""
from __future__ import annotations

import numpy as np


def as_array(name: str, value, lo: float | None = None, hi: float | None = None,
             lo_open: bool = False) -> np.ndarray:
    """``value`` as a float64 array; ValueError naming ``name`` if NaN or outside [lo, hi]."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a real number or array of real numbers, got {value!r}") from None
    if np.isnan(arr).any():
        raise ValueError(f"{name} must not be NaN")
    if lo is not None:
        bad = arr <= lo if lo_open else arr < lo
        if bad.any():
            rng = f"({lo}, " if lo_open else f"[{lo}, "
            rng += f"{hi}]" if hi is not None else "inf)"
            raise ValueError(f"{name} must lie in {rng}; got {arr[bad].flat[0]!r}")
    if hi is not None and (arr > hi).any():
        raise ValueError(f"{name} must lie in [{lo}, {hi}]; got {arr[arr > hi].flat[0]!r}")
    return arr


def variances(sigma_w2, sigma_b2) -> tuple[np.ndarray, np.ndarray]:
    w = as_array("sigma_w2", sigma_w2, 0.0)
    b = as_array("sigma_b2", sigma_b2, 0.0)
    if np.isinf(w).any():
        raise ValueError("sigma_w2 must be finite")
    if np.isinf(b).any():
        raise ValueError("sigma_b2 must be finite")
    return w, b


def scalar_or_array(x: np.ndarray):
    """Return a Python float for 0-d results, the array otherwise."""
    return float(x) if np.ndim(x) == 0 else x


def positive_int(name: str, n) -> int:
    """An integer (not bool) >= 1; ValueError naming ``name`` otherwise."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {n!r}")
    return int(n)
