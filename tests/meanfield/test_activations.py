"""Activations: derivatives against central finite differences and sympy; name lookup."""
import numpy as np
import pytest
import sympy as sp

import meanfield as mf

XS = np.array([-3.1, -1.7, -0.6, -0.05, 0.2, 0.9, 1.4, 2.8])


@pytest.mark.parametrize("name", mf.BUILTIN_NAMES)
def test_derivatives_match_finite_differences(name):
    """Oracle: 4th-order central differences (step 1e-4, truncation ~1e-14)."""
    act = mf.get_activation(name)
    xs = XS[np.all(np.abs(XS[:, None] - np.array(act.kinks or [99.0])[None, :]) > 1e-2, axis=1)]
    h = 1e-4

    def fd(f, x):
        return (-f(x + 2 * h) + 8 * f(x + h) - 8 * f(x - h) + f(x - 2 * h)) / (12 * h)

    np.testing.assert_allclose(act.dphi(xs), fd(act.phi, xs), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(act.d2phi(xs), fd(act.dphi, xs), rtol=1e-8, atol=1e-9)


def test_builtin_values_at_reference_points():
    """Oracle: numpy/math closed forms."""
    from scipy.special import erf, expit

    x = np.linspace(-4, 4, 17)
    ref = {"tanh": np.tanh(x), "relu": np.maximum(x, 0), "hard_tanh": np.clip(x, -1, 1),
           "erf": erf(x), "linear": x, "sigmoid": expit(x), "softplus": np.log1p(np.exp(x)),
           "swish": x * expit(x), "gelu": 0.5 * x * (1 + erf(x / np.sqrt(2))),
           "elu": np.where(x > 0, x, np.expm1(x)), "sin": np.sin(x)}
    for name, want in ref.items():
        np.testing.assert_allclose(mf.get_activation(name).phi(x), want, rtol=1e-14, atol=1e-15)


def test_extreme_inputs_are_finite_and_raise_no_floating_point_warnings():
    """Oracle: IEEE flags. The quadratures evaluate phi at |x| up to ~1e151 (q up to 1e300);
    compiled branches may evaluate both sides (exp(-x) at x = -1000 overflows in the side not
    taken), which numpy reports as RuntimeWarning (issue 18: elu, sigmoid, swish did)."""
    import warnings

    x = np.array([-1e150, -1e8, -1000.0, -30.0, 30.0, 1000.0, 1e8, 1e150])
    for name in mf.BUILTIN_NAMES:
        act = mf.get_activation(name)
        for f in (act.phi, act.dphi, act.d2phi):
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                assert np.all(np.isfinite(f(x))), name


def test_from_sympy_takes_derivatives_symbolically():
    """Oracle: sympy's own derivative evaluated with mpmath-free float arithmetic."""
    x = sp.Symbol("x")
    expr = x * sp.tanh(x) + sp.sin(2 * x) / 3
    act = mf.Activation.from_sympy(expr, x, name="mix")
    pts = np.array([-1.3, 0.2, 2.0])
    for k, f in enumerate((act.phi, act.dphi, act.d2phi)):
        want = [float(sp.diff(expr, x, k).subs(x, p)) for p in pts]
        np.testing.assert_allclose(f(pts), want, rtol=1e-13)
    assert not act.odd
    assert mf.Activation.from_sympy(sp.tanh(x), x).odd


def test_from_sympy_rejects_other_symbols():
    x, y = sp.symbols("x y")
    with pytest.raises(ValueError, match="depend on x only"):
        mf.Activation.from_sympy(x * y, x)
    with pytest.raises(TypeError, match="symbol"):
        mf.Activation.from_sympy(x, "x")


def test_unknown_name_lists_builtins():
    with pytest.raises(ValueError, match="unknown activation 'tahn'.*tanh"):
        mf.get_activation("tahn")
    with pytest.raises(TypeError, match="activation"):
        mf.get_activation(3)
