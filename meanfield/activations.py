"""Activation functions phi with phi' and phi'' compiled by numba.

Built-ins are looked up by name (``get_activation("tanh")``); any other scalar function can be
built from a sympy expression with :meth:`Activation.from_sympy`, whose derivatives are taken
symbolically. The compiled ufuncs are created on first use (import stays cheap) and cached on
disk by numba for the built-ins.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

_SQRT2 = math.sqrt(2.0)
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TWO_OVER_SQRTPI = 2.0 / math.sqrt(math.pi)


# ---- scalar definitions (plain Python; numba compiles them) --------------------------------
def _tanh(x): return math.tanh(x)
def _tanh_d(x): t = math.tanh(x); return 1.0 - t * t
def _tanh_dd(x): t = math.tanh(x); return -2.0 * t * (1.0 - t * t)

def _relu(x): return x if x > 0.0 else 0.0
def _relu_d(x): return 1.0 if x > 0.0 else 0.0
def _zero(x): return 0.0

def _hard_tanh(x): return -1.0 if x < -1.0 else (1.0 if x > 1.0 else x)
def _hard_tanh_d(x): return 1.0 if -1.0 < x < 1.0 else 0.0

def _erf(x): return math.erf(x)
def _erf_d(x): return _TWO_OVER_SQRTPI * math.exp(-x * x)
def _erf_dd(x): return -2.0 * x * _TWO_OVER_SQRTPI * math.exp(-x * x)

def _linear(x): return x
def _one(x): return 1.0

def _sig(x):
    # exp(-|x|) on both branches (see _elu)
    e = math.exp(-abs(x))
    if x >= 0.0:
        return 1.0 / (1.0 + e)
    return e / (1.0 + e)
def _sigmoid(x): return _sig(x)
def _sigmoid_d(x): s = _sig(x); return s * (1.0 - s)
def _sigmoid_dd(x): s = _sig(x); return s * (1.0 - s) * (1.0 - 2.0 * s)

def _softplus(x): return max(x, 0.0) + math.log1p(math.exp(-abs(x)))
def _softplus_d(x): return _sig(x)
def _softplus_dd(x): s = _sig(x); return s * (1.0 - s)

def _swish(x): return x * _sig(x)
def _swish_d(x): s = _sig(x); return s + x * s * (1.0 - s)
def _swish_dd(x): s = _sig(x); return s * (1.0 - s) * (2.0 + x * (1.0 - 2.0 * s))

def _gelu(x): return 0.5 * x * math.erfc(-x / _SQRT2)
def _gelu_d(x): return 0.5 * math.erfc(-x / _SQRT2) + x * _INV_SQRT2PI * math.exp(-0.5 * x * x)
def _gelu_dd(x): return _INV_SQRT2PI * math.exp(-0.5 * x * x) * (2.0 - x * x)

# -|x| (= x on the branch taken): compiled code may evaluate both sides of the branch, and
# exp(x) at x >> 0 would flag an overflow (a numpy RuntimeWarning) for nothing; min(x, 0) is
# not enough, the compiler folds it back to x on that branch
def _elu(x): return x if x > 0.0 else math.expm1(-abs(x))
def _elu_d(x): return 1.0 if x > 0.0 else math.exp(-abs(x))
def _elu_dd(x): return 0.0 if x > 0.0 else math.exp(-abs(x))

def _sin(x): return math.sin(x)
def _cos(x): return math.cos(x)
def _msin(x): return -math.sin(x)


def _vectorize(fn: Callable, cache: bool):
    import numba

    g = globals()
    if not hasattr(g["_sig"], "py_func"):  # helpers called by the definitions compile first
        g["_sig"] = numba.njit(cache=True)(g["_sig"])
    return numba.vectorize(["float64(float64)"], cache=cache)(fn)


@dataclass(eq=False)
class Activation:
    """A scalar activation phi with its first two derivatives.

    Attributes: ``name``; ``phi``, ``dphi``, ``d2phi`` (numba ufuncs, float64 in and out);
    ``kinks``: points where phi, phi' or phi'' is not smooth (quadrature splits there);
    ``deltas``: ``(x, jump)`` pairs where phi' jumps, i.e. phi'' holds ``jump * delta(x)``
    (ReLU: ``((0, 1),)``) -- chi2 is then infinite; ``odd``: phi(-x) = -phi(x);
    ``piecewise_linear``: phi'' = 0 away from the kinks (region walking applies).
    """

    name: str
    _py: tuple[Callable, Callable, Callable]
    kinks: tuple[float, ...] = ()
    deltas: tuple[tuple[float, float], ...] = ()
    odd: bool = False
    piecewise_linear: bool = False
    closed_form: str | None = None
    expr: object = None
    _cache: bool = True
    _compiled: dict = field(default_factory=dict, repr=False)

    def _get(self, i: int):
        if i not in self._compiled:
            self._compiled[i] = _vectorize(self._py[i], self._cache)
        return self._compiled[i]

    @property
    def phi(self):
        return self._get(0)

    @property
    def dphi(self):
        return self._get(1)

    @property
    def d2phi(self):
        return self._get(2)

    @property
    def smooth(self) -> bool:
        """True when phi is analytic on the real line (no kinks)."""
        return not self.kinks

    @property
    def chi2_finite(self) -> bool:
        return not self.deltas

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"

    @classmethod
    def from_sympy(cls, expr, symbol, name: str | None = None, kinks=(), odd: bool | None = None):
        """Activation from a sympy expression in ``symbol``; phi', phi'' by sympy.

        ``kinks`` lists the points where the expression is not smooth (e.g. ``(0.0,)`` for a
        ``Max``); quadrature splits there. Derivatives are compiled per process.
        """
        import sympy as sp

        if not isinstance(symbol, sp.Symbol):
            raise TypeError(f"symbol must be a sympy Symbol, got {symbol!r}")
        expr = sp.sympify(expr)
        free = expr.free_symbols - {symbol}
        if free:
            raise ValueError(f"expr must depend on {symbol} only; also found {sorted(map(str, free))}")
        d1 = sp.diff(expr, symbol)
        d2 = sp.diff(d1, symbol)
        fns = tuple(sp.lambdify(symbol, e, modules="math") for e in (expr, d1, d2))
        if odd is None:
            odd = sp.simplify(expr.subs(symbol, -symbol) + expr) == 0
        kinks = tuple(sorted(float(k) for k in kinks))
        act = cls(name or str(expr), fns, kinks=kinks, odd=bool(odd), expr=expr, _cache=False)
        for i, f in enumerate(fns):  # fail early, with the expression in the message
            try:
                act._get(i)(np.array([0.3]))
            except Exception as err:  # numba typing errors are long; keep the cause
                raise ValueError(f"cannot compile derivative {i} of {expr} with numba: {err}") from err
        return act


_BUILTINS = {
    "tanh": dict(_py=(_tanh, _tanh_d, _tanh_dd), odd=True),
    "relu": dict(_py=(_relu, _relu_d, _zero), kinks=(0.0,), deltas=((0.0, 1.0),),
                 piecewise_linear=True, closed_form="relu"),
    "hard_tanh": dict(_py=(_hard_tanh, _hard_tanh_d, _zero), kinks=(-1.0, 1.0),
                      deltas=((-1.0, 1.0), (1.0, -1.0)), odd=True, piecewise_linear=True,
                      closed_form="hard_tanh"),
    "erf": dict(_py=(_erf, _erf_d, _erf_dd), odd=True, closed_form="erf"),
    "linear": dict(_py=(_linear, _one, _zero), odd=True, piecewise_linear=True, closed_form="linear"),
    "sigmoid": dict(_py=(_sigmoid, _sigmoid_d, _sigmoid_dd)),
    "softplus": dict(_py=(_softplus, _softplus_d, _softplus_dd)),
    "swish": dict(_py=(_swish, _swish_d, _swish_dd)),
    "gelu": dict(_py=(_gelu, _gelu_d, _gelu_dd)),
    "elu": dict(_py=(_elu, _elu_d, _elu_dd), kinks=(0.0,)),
    "sin": dict(_py=(_sin, _cos, _msin), odd=True, closed_form="sin"),
}
BUILTIN_NAMES = tuple(_BUILTINS)
_INSTANCES: dict[str, Activation] = {}


def get_activation(activation) -> Activation:
    """The :class:`Activation` for a built-in name, or ``activation`` itself if it is one."""
    if isinstance(activation, Activation):
        return activation
    if isinstance(activation, str):
        key = activation.lower().replace("-", "_")
        key = {"hardtanh": "hard_tanh", "identity": "linear", "silu": "swish"}.get(key, key)
        if key not in _BUILTINS:
            raise ValueError(f"unknown activation {activation!r}; built-ins are {', '.join(BUILTIN_NAMES)}"
                             " (or pass an Activation, e.g. Activation.from_sympy(expr, x))")
        if key not in _INSTANCES:
            _INSTANCES[key] = Activation(key, **_BUILTINS[key])
        return _INSTANCES[key]
    raise TypeError(f"activation must be a name or an Activation, got {type(activation).__name__}")
