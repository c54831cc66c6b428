"""Argument checks shared by every module of :mod:`expressivity` (one definition of each rule).

A leaf module: it imports only numpy, so :mod:`expressivity.autodiff` may use it too. Every
check names the argument and the allowed values in its message, prints numbers as plain
numbers (``2.5``, never ``np.float64(2.5)``), and raises ``TypeError`` for a wrong type and
``ValueError`` for a value out of range:

    as_generator(seed)                      # int seed or numpy Generator -> Generator
    check_variance("sigma_w2", v)           # real, finite, >= 0       -> float
    check_positive("tau", v)                # real, finite, > 0        -> float
    check_in_range("alpha", v, 0, 1)        # real, finite, lo <= v <= hi -> float
    check_positive_int("width", n)          # integer >= 1 (or >= minimum) -> int
    check_nonnegative_int("steps", n)       # integer >= 0             -> int
    check_choice("method", s, ("si", "ewc"))  # one of the names       -> str
    check_real("log_baseline", v)           # real, finite             -> float
    check_bool("closed", b)                 # bool (or numpy bool)     -> bool
    check_array("x", a, ndim=2)             # real array (ints -> float), finite, non-empty
    check_memory("width", n, nbytes)        # refuse up front what cannot fit in memory
"""
from __future__ import annotations

import math

import os
from numbers import Integral, Real
from typing import Iterable

import numpy as np

__all__ = ["as_generator", "check_variance", "check_positive", "check_in_range",
           "check_positive_int", "check_nonnegative_int", "check_choice", "check_real",
           "check_bool", "check_array", "check_memory", "plain"]


def plain(value) -> str:
    """``value`` as a user reads it: numpy scalars as plain numbers, everything else by repr."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return repr(float(value))
    return repr(value)


def as_generator(seed, name: str = "seed") -> np.random.Generator:
    """A ``numpy.random.Generator`` from a Generator (returned as is) or an integer seed >= 0."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, Integral):
        raise TypeError(f"{name} must be an int seed >= 0 or a numpy.random.Generator, "
                        f"got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"{name} must be an int seed >= 0 or a numpy.random.Generator, got {plain(seed)}")
    return np.random.default_rng(int(seed))


def _real(name: str, value, allowed: str) -> float:
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be {allowed}, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be {allowed}, got {plain(value)}")
    return value


def check_variance(name: str, value) -> float:
    """A finite real number >= 0 (a variance such as ``sigma_w2`` or ``sigma_b2``)."""
    value = _real(name, value, "a finite variance >= 0")
    if value < 0:
        raise ValueError(f"{name} must be a finite variance >= 0, got {plain(value)}")
    return value


def check_positive(name: str, value) -> float:
    """A finite real number > 0 (a temperature, a learning rate, a damping constant)."""
    value = _real(name, value, "a finite number > 0")
    if value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {plain(value)}")
    return value


def check_in_range(name: str, value, lo: float, hi: float) -> float:
    """A finite real number with ``lo <= value <= hi``."""
    if math.isinf(hi) and not math.isinf(lo):
        allowed = f"a finite number >= {plain(float(lo))}"
    else:
        allowed = f"a number in [{plain(float(lo))}, {plain(float(hi))}]"
    value = _real(name, value, allowed)
    if not lo <= value <= hi:
        raise ValueError(f"{name} must be {allowed}, got {plain(value)}")
    return value


def check_positive_int(name: str, value, minimum: int = 1) -> int:
    """An integer (Python or numpy, not bool) >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {type(value).__name__}"
                        + (f" {plain(value)}" if isinstance(value, Real) else ""))
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {plain(value)}")
    return int(value)


def check_nonnegative_int(name: str, value) -> int:
    """An integer >= 0 (a number of steps, a count that may be zero)."""
    return check_positive_int(name, value, minimum=0)


def check_choice(name: str, value, options: Iterable[str]) -> str:
    """One of ``options`` (strings); the message lists them."""
    options = tuple(options)
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, options))}; got {plain(value)}")
    return value


def check_real(name: str, value) -> float:
    """A finite real number of any sign (a log-baseline, a logit, a shift)."""
    return _real(name, value, "a finite real number")


def check_bool(name: str, value) -> bool:
    """``True`` or ``False`` (Python or numpy bool; not 0/1, not a string)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__} {plain(value)}")
    return bool(value)


def check_array(name: str, value, *, ndim=None, shape=None, min_size: int = 1, finite: bool = True,
                dtype=np.float64) -> np.ndarray:
    """A real numeric array: lists and integer arrays are converted to ``dtype`` (float64;
    ``dtype=None`` keeps floating dtypes and converts the others to float64).

    ``TypeError`` for None, strings, complex, boolean or object data; ``ValueError`` for a
    wrong number of dimensions (``ndim``: an int or a tuple of allowed ones), a wrong shape
    (``shape``: a tuple with None for any length), fewer than ``min_size`` entries, or
    (with ``finite``) NaN or infinite entries.
    """
    if value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a real array, got {type(value).__name__}")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as e:
        raise TypeError(f"{name} must be a real array (a ragged or mixed sequence is not): {e}") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be a real array, got dtype {arr.dtype}")
    if dtype is None:
        arr = arr if arr.dtype.kind == "f" else arr.astype(np.float64)
    elif arr.dtype != dtype:
        arr = arr.astype(dtype)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be a {want} array, got shape {arr.shape}")
    if shape is not None:
        if arr.ndim != len(shape) or any(s is not None and s != n for s, n in zip(shape, arr.shape)):
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
            raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    if arr.size < min_size:
        raise ValueError(f"{name} must have at least {min_size} entries, got shape {arr.shape}")
    if finite and arr.size and not np.isfinite(arr).all():
        what = "NaN" if np.isnan(arr).any() else "an infinite value"
        raise ValueError(f"{name} must be finite, got {what}")
    return arr


def _memory_bytes() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):  # pragma: no cover (non-POSIX)
        return 1 << 40


def check_memory(name: str, value, nbytes: float, what: str = "") -> None:
    """Refuse up front (``ValueError`` naming ``name=value`` and the estimate) a computation
    whose arrays would need more than the machine's physical memory, instead of letting it
    start allocating."""
    avail = _memory_bytes()
    if nbytes > avail:
        raise ValueError(f"{name}={plain(value)} needs about {nbytes:.3g} bytes{' of ' + what if what else ''}, "
                         f"more than the {avail / 2**30:.1f} GiB of memory of this machine")
