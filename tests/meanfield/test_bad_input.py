"""Bad input to every public function of meanfield, as a table (issue 19).

Each case replaces one argument of a valid call by a bad (or extreme but valid) value. The
outcome is either a ValueError/TypeError whose message names the argument, states what is
allowed and prints numbers as plain numbers (never ``np.float64(...)``), or a value the
docstrings document (inf for a diverging q*, an empty array for empty input, the same values
for integer arrays as for floats, finite numbers at 1e300) -- never a numba typing error, an
IndexError/KeyError from inside, a silent NaN, or a hang (each call runs under a deadline).

Oracle: the documented contract itself (meanfield/_validate.py and the numpydoc Raises
sections). ``python tests/meanfield/test_bad_input.py`` prints the totals.
"""
import math

import numpy as np
import pytest

import meanfield as mf
from tests.timeouts import deadline

W, B = 2.0, 0.0   # (odd tanh without bias: c* = 0 needs no root search, so the 1e300 cases stay quick)


def _sympy_act(**kw):
    import sympy as sp

    x = sp.Symbol("x")
    args = {"expr": sp.tanh(x), "symbol": x}
    args.update(kw)
    return mf.Activation.from_sympy(args.pop("expr"), args.pop("symbol"), **args)


def _plot(field):
    import matplotlib

    matplotlib.use("Agg")
    pd = mf.phase_diagram_pointwise("erf", [1.0, 2.0], [0.0, 0.1], fields=("q_star", "chi1"))
    return pd.plot(field)


# function -> (call(**kwargs), valid kwargs, {argument: category})
SPECS = {
    "length_map": (mf.length_map, dict(q=1.0, activation="tanh", sigma_w2=W, sigma_b2=B),
                   dict(q="q", activation="act", sigma_w2="var", sigma_b2="var")),
    "q_star": (mf.q_star, dict(activation="tanh", sigma_w2=W, sigma_b2=B, q0=1.0),
               dict(activation="act", sigma_w2="var", sigma_b2="var", q0="qpos")),
    "correlation_map": (mf.correlation_map, dict(c=0.5, activation="tanh", sigma_w2=W, sigma_b2=B, q=1.0),
                        dict(c="c", activation="act", sigma_w2="var", sigma_b2="var", q="q_opt")),
    "c_star": (mf.c_star, dict(activation="tanh", sigma_w2=W, sigma_b2=B, q0=1.0),
               dict(activation="act", sigma_w2="var", sigma_b2="var", q0="qpos")),
    "chi1": (mf.chi1, dict(activation="tanh", sigma_w2=W, sigma_b2=B, q=1.0),
             dict(activation="act", sigma_w2="var", sigma_b2="var", q="q_opt")),
    "chi2": (mf.chi2, dict(activation="tanh", sigma_w2=W, sigma_b2=B, q=1.0),
             dict(activation="act", sigma_w2="var", sigma_b2="var", q="q_opt")),
    "q_dynamics": (mf.q_dynamics, dict(activation="tanh", sigma_w2=W, sigma_b2=B, q0=1.0, n_layers=3),
                   dict(activation="act", sigma_w2="var", sigma_b2="var", q0="q", n_layers="size")),
    "c_dynamics": (mf.c_dynamics, dict(activation="tanh", sigma_w2=W, sigma_b2=B, c0=0.5, n_layers=3),
                   dict(activation="act", sigma_w2="var", sigma_b2="var", c0="c", n_layers="size")),
    "iterations_to_converge": (mf.iterations_to_converge,
                               dict(activation="tanh", sigma_w2=W, sigma_b2=B, q0=1.0, rtol=0.01, max_iter=50),
                               dict(activation="act", sigma_w2="var", sigma_b2="var", q0="qpos", rtol="rtol",
                                    max_iter="size", qstar="qstar")),
    "depth_scales": (mf.depth_scales, dict(activation="tanh", sigma_w2=W, sigma_b2=B, q0=1.0),
                     dict(activation="act", sigma_w2="var", sigma_b2="var", q0="qpos")),
    "gradient_depth_scale": (mf.gradient_depth_scale, dict(activation="tanh", sigma_w2=W, sigma_b2=B, q0=1.0),
                             dict(activation="act", sigma_w2="var", sigma_b2="var", q0="qpos")),
    "trainable_depth": (mf.trainable_depth, dict(activation="tanh", sigma_w2=W, sigma_b2=B, factor=6.0),
                        dict(activation="act", sigma_w2="var", sigma_b2="var", factor="factor")),
    "gradient_factor": (mf.gradient_factor, dict(activation="tanh", sigma_w2=W, sigma_b2=B, depth=4),
                        dict(activation="act", sigma_w2="var", sigma_b2="var", depth="size")),
    "critical_sigma_w2": (mf.critical_sigma_w2, dict(activation="tanh", sigma_b2=B, q0=1.0),
                          dict(activation="act", sigma_b2="var_crit", q0="scalar_qpos")),
    "critical_line": (mf.critical_line, dict(activation="tanh", q=1.0), dict(activation="act", q="qpos")),
    "curve_theory": (mf.curve_theory, dict(activation="tanh", sigma_w2=W, sigma_b2=B, depth=4),
                     dict(activation="act", sigma_w2="scalar_var", sigma_b2="scalar_var", depth="size",
                          q0="scalar_qpos_opt")),
    "phase_diagram": (mf.phase_diagram, dict(activation="tanh", sigma_w2=[1.0, 2.0], sigma_b2=[0.0]),
                      dict(activation="act", sigma_w2="axis", sigma_b2="axis", q0="scalar_qpos", progress="flag")),
    "phase_diagram_pointwise": (mf.phase_diagram_pointwise,
                                dict(activation="tanh", sigma_w2=[1.0, 2.0], sigma_b2=[0.0]),
                                dict(activation="act", sigma_w2="axis", sigma_b2="axis", fields="fields",
                                     q0="scalar_qpos")),
    "get_activation": (mf.get_activation, dict(activation="tanh"), dict(activation="act")),
    "Activation.from_sympy": (_sympy_act, dict(), dict(expr="expr", symbol="symbol", kinks="kinks", name="name",
                                                       odd="odd")),
    "PhaseDiagram.plot": (_plot, dict(field="chi1"), dict(field="plot_field")),
}

ERR_V, ERR_T = ValueError, TypeError
_NUMBER = [(float("nan"), ERR_V), (float("inf"), ERR_V), (-float("inf"), ERR_V), (1e301, ERR_V),
           ("1.0", ERR_T), (None, ERR_T), (1 + 1j, ERR_T), (True, ERR_T), ([[1.0], [1.0, 2.0]], ERR_T),
           (["a"], ERR_T), (np.array([1.0 + 2j]), ERR_T)]
# documented values: "value" (finite numbers), "inf_ok" (inf allowed), "empty" (an empty result)
_ARRAYS_OK = [(np.array([1, 2]), "value"), ([], "empty"), (1e300, "inf_ok")]
BAD = {
    "var": _NUMBER + [(-1.0, ERR_V), (-1e-300, ERR_V), (0.0, "value")] + _ARRAYS_OK,
    "q": _NUMBER + [(-1.0, ERR_V), (0.0, "value")] + _ARRAYS_OK,
    "qpos": _NUMBER + [(-1.0, ERR_V), (0.0, ERR_V)] + _ARRAYS_OK,
    "q_opt": [v for v in _NUMBER if v[0] is not None] + [(-1.0, ERR_V), (0.0, "value")] + _ARRAYS_OK,
    "var_crit": _NUMBER + [(-1.0, ERR_V), (0.0, "value"), (np.array([1, 2]), "value"), ([], "empty"),
                           (1e300, ERR_V)],   # (the critical q* would exceed 1e300: refused by name)
    "scalar_qpos_opt": [v for v in _NUMBER if v[0] is not None] + [(-1.0, ERR_V), (0.0, ERR_V), ([1.0, 2.0], ERR_T)],
    "scalar_qpos": _NUMBER + [(-1.0, ERR_V), (0.0, ERR_V), ([1.0, 2.0], ERR_T), (1e300, "inf_ok")],
    "scalar_var": _NUMBER + [(-1.0, ERR_V), ([1.0, 2.0], ERR_T), (np.array(3), "value")],
    "axis": _NUMBER + [(-1.0, ERR_V), ([], ERR_V), ([[1.0, 2.0], [3.0, 4.0]], ERR_V), (3.0, ERR_V),
                       (np.array([1, 2]), "value"), ([1e300], "inf_ok")],
    "c": _NUMBER[:-4] + [(1.5, ERR_V), (-1.0000001, ERR_V), ("0.5", ERR_T), (-1.0, "value"), (1.0, "value"),
                         (np.array([0, 1]), "value"), ([], "empty")],
    "size": [(0, ERR_V), (-1, ERR_V), (2.5, ERR_V), ("3", ERR_T), (None, ERR_T), (True, ERR_V), (10 ** 7, ERR_V),
             ([3], ERR_T), (np.int64(3), "value"), (float("nan"), ERR_V)],
    "rtol": [(0.0, ERR_V), (1.0, ERR_V), (-0.1, ERR_V), (float("nan"), ERR_V), ("0.1", ERR_T), (None, ERR_T),
             ([0.1, 0.2], ERR_T), (0.5, "value")],
    "factor": [(0.0, ERR_V), (-1.0, ERR_V), (float("nan"), ERR_V), (float("inf"), ERR_V), ("6", ERR_T),
               (None, ERR_T), ([1.0, 2.0], ERR_T), (3, "value")],
    "qstar": [(-1.0, ERR_V), (float("nan"), ERR_V), ("a", ERR_T), ([1.0, 2.0, 3.0], ERR_V),
              (float("inf"), "nan_ok"), (0.0, "nan_ok")],
    "act": [("tahn", ERR_V), ("", ERR_V), (3, ERR_T), (None, ERR_T), (1.5, ERR_T), (["tanh"], ERR_T)],
    "flag": [("yes", ERR_T), (None, ERR_T), (1, ERR_T)],
    "fields": [("chi1", ERR_T), (["nope"], ERR_V), ([1], ERR_T)],
    "plot_field": [("nope", ERR_V), (None, ERR_V)],
    "expr": [(None, ERR_T), ("x +* 2", ERR_V), ("x > 0", ERR_T), ("log(x)", ERR_V), ("sqrt(x)", ERR_V),
             ("exp(x**2)", ERR_V), ("Heaviside(x)", ERR_V), ("1/x", ERR_V), ("x*y", ERR_V), ([1], ERR_T),
             ("Max(x, 0)", "value"), ("Abs(x)", "value")],
    "symbol": [("x", ERR_T), (None, ERR_T)],
    "kinks": [(("a",), ERR_T), ("0", ERR_T), ((float("nan"),), ERR_V), ((None,), ERR_T), (3.0, ERR_T)],
    "name": [(3, ERR_T)],
    "odd": [("yes", ERR_T)],
}
# the names the messages must use for each argument (sympy's x / y for the expression)
NAMES = {"expr": ("expr", "phi"), "plot_field": ("field",)}

CASES = [(fn, arg, i) for fn, (_, _, args) in SPECS.items() for arg, cat in args.items()
         for i in range(len(BAD[cat]))]
MISMATCH = ["length_map", "q_star", "correlation_map", "c_star", "chi1", "chi2", "q_dynamics", "c_dynamics",
            "iterations_to_converge", "depth_scales", "gradient_depth_scale", "trainable_depth", "gradient_factor"]


def _expr_value(v):
    if isinstance(v, str) and v not in ("x", ) and any(ch in v for ch in "()*/+<>") or v in ("x*y",):
        import sympy as sp

        x, y = sp.symbols("x y")
        try:
            return sp.sympify(v, locals={"x": x, "y": y})
        except Exception:
            return v
    return v


@pytest.mark.parametrize("fn, arg, i", CASES, ids=[f"{f}-{a}-{i}" for f, a, i in CASES])
def test_bad_argument(fn, arg, i):
    call, valid, args = SPECS[fn]
    value, outcome = BAD[args[arg]][i]
    if arg == "expr" and fn == "Activation.from_sympy" and isinstance(value, str) and value not in ("x +* 2", "x > 0"):
        value = _expr_value(value)   # sympy objects (strings would work too: parsed by sympify)
    kwargs = dict(valid, **{arg: value})
    with deadline(120):
        if isinstance(outcome, type):
            with pytest.raises(outcome) as info:
                call(**kwargs)
            msg = str(info.value)
            names = NAMES.get(args[arg], (arg,))
            assert any(n in msg for n in names), (msg, names)
            assert "np.float64" not in msg and "np.int64" not in msg and "array(" not in msg, msg
            assert "must" in msg or "unknown" in msg or "cannot" in msg or "grows" in msg or "jumps" in msg \
                or "not defined" in msg or "infinite" in msg or "no critical point" in msg, msg
            return
        out = call(**kwargs)
    if fn in ("Activation.from_sympy", "get_activation"):
        assert isinstance(out, mf.Activation)
        return
    if fn == "PhaseDiagram.plot":
        return
    if isinstance(out, mf.PhaseDiagram):
        vals = np.concatenate([np.ravel(getattr(out, f)) for f in out.FIELDS])
    elif isinstance(out, mf.CurveTheory):
        vals = np.concatenate([np.ravel(v) for v in out.as_dict().values()])
    else:
        vals = np.concatenate([np.ravel(np.asarray(o, float)) for o in (out if isinstance(out, tuple) else (out,))])
    if outcome == "empty":
        assert vals.size == 0
    elif outcome == "nan_ok":   # documented: NaN where q* is 0 or infinite
        assert np.all(np.isnan(vals))
    elif fn == "iterations_to_converge":   # documented: NaN where not within rtol in max_iter steps
        assert vals.size > 0
    else:   # no silent NaN (inf is documented: diverging q*, xi on the critical line)
        assert vals.size > 0 and not np.isnan(vals).any(), vals


@pytest.mark.parametrize("fn", MISMATCH)
def test_shapes_that_do_not_broadcast_are_named(fn):
    call, valid, _ = SPECS[fn]
    kwargs = dict(valid, sigma_w2=np.array([1.0, 2.0]), sigma_b2=np.array([0.1, 0.2, 0.3]))
    with deadline(60), pytest.raises(ValueError, match=r"sigma_w2.*sigma_b2.*broadcast|broadcast.*sigma_w2") as info:
        call(**kwargs)
    assert "(2,)" in str(info.value) and "(3,)" in str(info.value)


def test_integer_arrays_give_the_float_results():
    w = np.array([1, 2, 3])
    np.testing.assert_array_equal(mf.q_star("tanh", w, 0), mf.q_star("tanh", w.astype(float), 0.0))
    np.testing.assert_array_equal(mf.correlation_map(np.array([0, 1]), "erf", 2, 0),
                                  mf.correlation_map(np.array([0.0, 1.0]), "erf", 2.0, 0.0))


def summary():
    n_err = sum(isinstance(BAD[SPECS[f][2][a]][i][1], type) for f, a, i in CASES) + len(MISMATCH)
    total = len(CASES) + len(MISMATCH) + 1
    return {"functions": len(SPECS), "cases": total, "named errors": n_err, "documented values": total - n_err}


if __name__ == "__main__":
    print(summary())
