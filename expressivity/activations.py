"""Vectorised activations for simulating finite networks.

The simulation needs phi, phi' and phi'' evaluated on whole arrays (one layer of a batch at a
time). Built-in names match ``meanfield`` (``"tanh"``, ``"relu"``, ``"hard_tanh"``, ``"erf"``,
``"linear"``, ``"sigmoid"``, ``"softplus"``, ``"swish"``, ``"gelu"``, ``"elu"``, ``"sin"``);
any object with ``.phi``, ``.dphi`` and ``.d2phi`` (for instance a
``meanfield.Activation`` built with ``from_sympy``) is accepted too. A built-in name carried by
such an object uses the numpy table here; other objects are called on arrays directly and,
if their functions only take scalars (numba-jitted scalar kernels), through ``np.vectorize``.

``elu`` uses alpha = 1 (phi is C^1; phi'' jumps at 0). ``relu`` and ``hard_tanh`` are
piecewise linear: phi'' is a Dirac delta at the kinks and is returned as 0 here (all turning of
a propagated curve happens at the kinks; see :mod:`expressivity.regions`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

_SQRT2 = np.sqrt(2.0)


class _LazySpecial:
    """scipy.special, imported on first use (keeps ``import expressivity`` cheap)."""

    def __getattr__(self, name):
        from scipy import special as _special

        return getattr(_special, name)


special = _LazySpecial()
_SQRT_2PI = np.sqrt(2.0 * np.pi)
_TWO_OVER_SQRTPI = 2.0 / np.sqrt(np.pi)


@dataclass(frozen=True)
class ArrayActivation:
    """phi and its first two derivatives as numpy ufunc-like callables.

    ``all(x)`` returns ``(phi, dphi, d2phi)`` sharing work where it can (tanh needs one
    ``tanh`` call for all three). ``kinks`` lists the x where phi is not C^2;
    ``piecewise_linear`` marks relu / hard_tanh / linear.
    """

    name: str
    phi: Callable[[np.ndarray], np.ndarray]
    dphi: Callable[[np.ndarray], np.ndarray]
    d2phi: Callable[[np.ndarray], np.ndarray]
    kinks: tuple = ()
    piecewise_linear: bool = False
    joint: Callable | None = None

    def all(self, x):
        if self.joint is not None:
            return self.joint(x)
        return self.phi(x), self.dphi(x), self.d2phi(x)


def _tanh_all(x):
    t = np.tanh(x)
    d = 1.0 - t * t
    return t, d, -2.0 * t * d


def _sigmoid(x):
    return special.expit(x)


def _sigmoid_all(x):
    s = special.expit(x)
    d = s * (1.0 - s)
    return s, d, d * (1.0 - 2.0 * s)


def _swish_all(x):
    s = special.expit(x)
    d = s * (1.0 - s)
    return x * s, s + x * d, 2.0 * d + x * d * (1.0 - 2.0 * s)


def _gelu_all(x):
    cdf = special.ndtr(x)
    pdf = np.exp(-0.5 * x * x) / _SQRT_2PI
    return x * cdf, cdf + x * pdf, (2.0 - x * x) * pdf


def _erf_all(x):
    g = _TWO_OVER_SQRTPI * np.exp(-x * x)
    return special.erf(x), g, -2.0 * x * g


def _elu_all(x):
    e = np.expm1(np.minimum(x, 0.0))
    pos = x > 0
    return np.where(pos, x, e), np.where(pos, 1.0, e + 1.0), np.where(pos, 0.0, e + 1.0)


def _softplus_all(x):
    s = special.expit(x)
    return np.logaddexp(0.0, x), s, s * (1.0 - s)


def _zeros(x):
    return np.zeros_like(np.asarray(x, dtype=float))


def _ones(x):
    return np.ones_like(np.asarray(x, dtype=float))


def _from_all(all_fn, k):
    return lambda x: all_fn(np.asarray(x, dtype=float))[k]


def _make(name, all_fn, kinks=(), piecewise_linear=False):
    return ArrayActivation(name, _from_all(all_fn, 0), _from_all(all_fn, 1), _from_all(all_fn, 2),
                           kinks, piecewise_linear, all_fn)


def _relu_all(x):
    return np.maximum(x, 0.0), (x > 0).astype(float), _zeros(x)


def _hard_tanh_all(x):
    return np.clip(x, -1.0, 1.0), (np.abs(x) < 1.0).astype(float), _zeros(x)


def _linear_all(x):
    x = np.asarray(x, dtype=float)
    return x.copy(), _ones(x), _zeros(x)


def _sin_all(x):
    s = np.sin(x)
    return s, np.cos(x), -s


BUILTIN = {
    "tanh": _make("tanh", _tanh_all),
    "relu": _make("relu", _relu_all, (0.0,), True),
    "hard_tanh": _make("hard_tanh", _hard_tanh_all, (-1.0, 1.0), True),
    "erf": _make("erf", _erf_all),
    "linear": _make("linear", _linear_all, (), True),
    "sigmoid": _make("sigmoid", _sigmoid_all),
    "softplus": _make("softplus", _softplus_all),
    "swish": _make("swish", _swish_all),
    "gelu": _make("gelu", _gelu_all),
    "elu": _make("elu", _elu_all, (0.0,)),
    "sin": _make("sin", _sin_all),
}


def _numba_loop(fn):
    """A compiled elementwise loop around a numba-jitted scalar function (sympy-built
    ``meanfield.Activation`` objects carry those)."""
    from numba import njit

    @njit
    def loop(x, out):
        for i in range(x.size):
            out[i] = fn(x[i])

    def call(x):
        x = np.asarray(x, dtype=float)
        flat = np.ascontiguousarray(x).ravel()
        out = np.empty_like(flat)
        loop(flat, out)
        return out.reshape(x.shape)

    return call


def _vectorised(fn):
    """Call ``fn`` on arrays directly if it accepts them, else element by element (a compiled
    loop for numba dispatchers, ``np.vectorize`` otherwise)."""
    probe = np.array([0.3, -0.7])
    try:
        from numba.core.registry import CPUDispatcher

        if isinstance(fn, CPUDispatcher):
            float(fn(0.3))
            call = _numba_loop(fn)
            call(probe)
            return call
    except Exception:  # noqa: BLE001 - fall through to the generic paths
        pass
    try:
        out = np.asarray(fn(probe), dtype=float)
        if out.shape == probe.shape:
            return lambda x: np.asarray(fn(np.asarray(x, dtype=float)), dtype=float)
    except Exception:  # scalar-only kernels (numba scalar signatures, math.*)
        pass
    vec = np.vectorize(lambda v: float(fn(float(v))), otypes=[float])
    return lambda x: vec(np.asarray(x, dtype=float))


def get_activation(activation) -> ArrayActivation:
    """Resolve a name or an object with ``.phi/.dphi/.d2phi`` to an :class:`ArrayActivation`.

    Raises ``ValueError`` for an unknown name and ``TypeError`` for anything else.
    """
    if isinstance(activation, ArrayActivation):
        return activation
    if isinstance(activation, str):
        try:
            return BUILTIN[activation]
        except KeyError:
            raise ValueError(f"activation must be one of {sorted(BUILTIN)} or an object with "
                             f".phi/.dphi/.d2phi; got {activation!r}") from None
    if all(hasattr(activation, a) for a in ("phi", "dphi", "d2phi")):
        name = getattr(activation, "name", None)
        if isinstance(name, str) and name in BUILTIN:
            return BUILTIN[name]
        kinks = tuple(float(k) for k in getattr(activation, "kinks", ()) or ())
        return ArrayActivation(str(name or "custom"), _vectorised(activation.phi),
                               _vectorised(activation.dphi), _vectorised(activation.d2phi), kinks,
                               bool(getattr(activation, "piecewise_linear", False)))
    raise TypeError(f"activation must be a name (one of {sorted(BUILTIN)}) or an object with "
                    f".phi/.dphi/.d2phi; got {type(activation).__name__}")
