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
        """Activation from a sympy expression in ``symbol``, with phi' and phi'' by sympy.

        Non-smooth expressions (``Max``, ``Min``, ``Abs``, ``Heaviside``, ``Piecewise``) are
        rewritten piecewise: their kinks are found from the pieces' conditions (and joined with
        ``kinks``), phi'' is taken away from the kinks and each jump J of phi' at a kink k is
        recorded as a Dirac delta ``(k, J)`` in ``deltas`` (chi2 is then infinite, as for ReLU).
        The Gaussian integrals need phi defined, finite and continuous on the whole real line
        and growing slower than any Gaussian; expressions that are not are refused here by name.

        Parameters
        ----------
        expr : sympy expression or str
            phi(symbol); a string is parsed by ``sympy.sympify``.
        symbol : sympy.Symbol
            The variable of ``expr`` (its only free symbol).
        name : str, optional
            Name for messages and plots (default ``str(expr)``).
        kinks : sequence of float, default ()
            Extra points where phi, phi' or phi'' is not smooth (quadrature splits there).
        odd : bool, optional
            phi(-x) = -phi(x); default: decided by sympy.

        Returns
        -------
        Activation
            phi, dphi, d2phi compiled by numba (once per process; not cached on disk).

        Raises
        ------
        TypeError
            ``symbol`` not a Symbol, ``expr`` not an expression or string (e.g. None, a
            relation), ``kinks`` not a sequence of numbers, ``name`` not a str, ``odd`` not a bool.
        ValueError
            A string sympy cannot parse; other free symbols; phi undefined somewhere on the real
            line (``log(x)``, ``sqrt(x)``), infinite or discontinuous there, or growing like
            exp(c x^2) (``exp(x**2)``: its Gaussian integrals diverge); derivatives numba cannot
            compile.
        """
        import sympy as sp

        if not isinstance(symbol, sp.Symbol):
            raise TypeError(f"symbol must be a sympy Symbol, got {symbol!r}")
        if expr is None or isinstance(expr, (bool, bytes)) or not isinstance(expr, (sp.Basic, str, int, float)):
            raise TypeError(f"expr must be a sympy expression or a string, got {expr!r}")
        try:
            parsed = sp.sympify(expr)
        except (sp.SympifyError, SyntaxError, TypeError, ValueError) as err:
            raise ValueError(f"expr {expr!r} cannot be parsed by sympy: {err}") from None
        if not isinstance(parsed, sp.Expr):
            raise TypeError(f"expr must be a real-valued expression in {symbol}, got {parsed!r}")
        expr = parsed
        free = expr.free_symbols - {symbol}
        if free:
            raise ValueError(f"expr must depend on {symbol} only; also found {sorted(map(str, free))}")
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a str, got {name!r}")
        if odd is not None and not isinstance(odd, (bool, np.bool_)):
            raise TypeError(f"odd must be True, False or None, got {odd!r}")
        kinks = _kink_list(kinks)
        x = sp.Dummy("x", real=True)   # real: Abs, sign, re, im simplify; pieces stay printable

        def piecewise(f):
            f = sp.piecewise_fold(f.rewrite(sp.Piecewise))
            return f.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.S.Zero)

        e0 = piecewise(expr.subs(symbol, x))
        e1 = piecewise(sp.diff(e0, x))
        e2 = piecewise(sp.diff(e1, x))
        kinks = tuple(sorted(set(kinks) | _piece_boundaries((e0, e1, e2), x)))
        try:
            fns = tuple(sp.lambdify(x, e, modules="math") for e in (e0, e1, e2))
        except Exception as err:   # sympy printers raise their own classes
            raise ValueError(f"cannot turn {expr} or its derivatives into code: {err}") from None
        if odd is None:
            odd = sp.simplify(e0.subs(x, -x) + e0) == 0
        act = cls(name or str(expr), fns, kinks=kinks, odd=bool(odd), expr=expr, _cache=False)
        for i in range(3):  # fail early, with the expression in the message
            try:
                act._get(i)(np.array([0.3]))
            except Exception as err:  # numba typing errors are long; keep the cause
                raise ValueError(f"cannot compile derivative {i} of {expr} with numba: {err}") from None
        _check_real_line(act, expr)
        deltas = []
        for k in kinks:   # jumps of phi' at the kinks: Dirac deltas in phi''
            # J(h) = phi'(k + h) - phi'(k - h) = J + h (phi''(k+) + phi''(k-)) + O(h^2): Richardson
            h = 1e-6 * max(1.0, abs(k))
            jh = float(act.dphi(k + h)) - float(act.dphi(k - h))
            j2h = float(act.dphi(k + 2 * h)) - float(act.dphi(k - 2 * h))
            jump = 2.0 * jh - j2h
            if abs(jump) > 1e-9 * max(1.0, abs(float(act.dphi(k + h)))):
                deltas.append((k, jump))
        act.deltas = tuple(deltas)
        return act


def _kink_list(kinks) -> tuple[float, ...]:
    """``kinks`` as a tuple of finite floats; TypeError / ValueError naming it otherwise."""
    if isinstance(kinks, (str, bytes)) or not hasattr(kinks, "__iter__"):
        raise TypeError(f"kinks must be a sequence of real numbers, got {kinks!r}")
    out = []
    for k in kinks:
        if isinstance(k, (str, bytes, bool, np.bool_)) or not isinstance(k, (int, float, np.integer, np.floating)):
            raise TypeError(f"kinks must be a sequence of real numbers, got {kinks!r}")
        if not math.isfinite(float(k)):
            raise ValueError(f"kinks must be finite real numbers, got {kinks!r}")
        out.append(float(k))
    return tuple(out)


def _piece_boundaries(exprs, x) -> set[float]:
    """Real points where the conditions of Piecewise pieces switch (x < 0 -> 0)."""
    import sympy as sp

    out = set()
    for e in exprs:
        for rel in e.atoms(sp.core.relational.Relational):
            try:
                roots = sp.solve(sp.Eq(rel.lhs, rel.rhs), x)
            except Exception:
                continue
            for r in roots:
                if r.is_real and r.is_number:
                    out.add(float(r))
    return out


def _check_real_line(act: "Activation", expr) -> None:
    """Refuse phi that the Gaussian integrals cannot take: undefined (NaN) or infinite anywhere
    on |x| <= 50, discontinuous at a kink, or growing like exp(c x^2)."""
    with np.errstate(all="ignore"):
        # growth first (exp(x^2) is infinite beyond |x| ~ 27): log|phi| / x^2 not falling with x
        pts = np.array([10.0, 20.0, 40.0])
        for sign in (-1.0, 1.0):
            v = np.abs(np.asarray(act.phi(sign * pts), dtype=float))
            g = np.where(np.isfinite(v), np.log(np.maximum(v, 1e-300)), np.inf) / pts ** 2
            if g[0] > 1e-3 and g[1] >= 0.8 * g[0] and g[2] >= 0.8 * g[1]:
                c = float(g[1])
                raise ValueError(f"phi = {expr} grows like exp({c:.3g} x^2) or faster: E[phi(sqrt(q) z)^2] "
                                 f"diverges for q >= {1 / (4 * c):.3g}, so q*, chi1 and c* are undefined")
        x = np.unique(np.r_[np.linspace(-50.0, 50.0, 2001), np.array(act.kinks, dtype=float)])
        for i, f in enumerate((act.phi, act.dphi, act.d2phi)):
            what = ("phi", "phi'", "phi''")[i]
            try:
                v = np.asarray(f(x), dtype=float)
            except Exception as err:   # e.g. ZeroDivisionError from 1/x at 0
                raise ValueError(f"{what} of {expr} cannot be evaluated on the whole real line: {err}") from None
            bad = ~np.isfinite(v)
            if bad.any():
                xb = float(x[bad][np.argmin(np.abs(x[bad]))])
                kind = "is not defined" if np.isnan(v[bad]).any() else "is infinite"
                raise ValueError(f"{what} of {expr} {kind} at x = {xb!r}: the Gaussian integrals of "
                                 "mean-field theory need phi, phi', phi'' finite on the whole real line")
        for k in act.kinks:
            h = 1e-9 * max(1.0, abs(k))
            lo, hi = float(act.phi(k - h)), float(act.phi(k + h))
            if abs(hi - lo) > 1e-6 * max(1.0, abs(lo)):
                raise ValueError(f"phi = {expr} jumps at x = {k!r} ({lo!r} to {hi!r}): phi' holds a "
                                 "Dirac delta there and chi1 = sigma_w2 E[phi'^2] is infinite")


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
    """The :class:`Activation` for a built-in name, or ``activation`` itself if it is one.

    Parameters
    ----------
    activation : str or Activation
        A built-in name (``BUILTIN_NAMES``; case and ``-``/``_`` ignored, aliases
        ``hardtanh``, ``identity``, ``silu``) or an :class:`Activation` (returned as is).

    Returns
    -------
    Activation
        One shared instance per built-in name (its compiled functions and tables are reused).

    Raises
    ------
    ValueError
        An unknown name (the message lists the built-ins).
    TypeError
        Anything that is neither a str nor an Activation.
    """
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
