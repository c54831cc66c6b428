"""Length/correlation maps and fixed points: published values, quadrature oracles, limits."""
import math

import numpy as np
import pytest

import meanfield as mf

# Poole et al. 2016 (tanh, sigma_b = 0.3; sigma_w = 1.3, 2.5, 4.0), as quoted in the spec
POOLE = [(1.3, 0.6070, 0.9398, 1.0), (2.5, 4.0791, 1.5852, 0.1221), (4.0, 12.604, 2.3673, 0.02970)]


@pytest.mark.parametrize("sw, qs, c1, cs", POOLE)
def test_poole_published_values(sw, qs, c1, cs):
    """Oracle: the published 4-5 significant digits."""
    w, b = sw ** 2, 0.3 ** 2
    assert mf.q_star("tanh", w, b) == pytest.approx(qs, abs=6e-5 * max(1, qs))
    assert mf.chi1("tanh", w, b) == pytest.approx(c1, abs=6e-5)
    assert mf.c_star("tanh", w, b) == pytest.approx(cs, abs=6e-5 * max(cs, 0.1))


@pytest.mark.parametrize("name, w, b", [("tanh", 2.0, 0.3), ("sigmoid", 4.0, 0.1), ("gelu", 1.8, 0.2),
                                         ("elu", 1.2, 0.4), ("hard_tanh", 3.0, 0.1), ("softplus", 1.5, 0.05)])
def test_q_star_against_quadrature_root(name, w, b, oracle):
    """Oracle: brentq on the length map with V from scipy quad."""
    act = mf.get_activation(name)
    qs = mf.q_star(name, w, b)
    ref = oracle.q_star(act, w, b, 0.5 * qs, 2.0 * qs)
    assert abs(qs - ref) <= 1e-9 * ref
    assert mf.length_map(qs, name, w, b) == pytest.approx(qs, rel=1e-13)


def test_q_star_relu_closed_form_and_divergence():
    """Oracle: q* = 2 sigma_b2 / (2 - sigma_w2); inf for sigma_w2 >= 2 unless (2, 0)."""
    w = np.array([0.5, 1.0, 1.9, 2.0, 2.5])
    np.testing.assert_allclose(mf.q_star("relu", w[:3], 0.3), 0.6 / (2 - w[:3]), rtol=1e-13)
    assert mf.q_star("relu", 2.0, 0.3) == math.inf
    assert mf.q_star("relu", 2.5, 0.0) == math.inf
    assert mf.q_star("relu", 2.0, 0.0, q0=3.7) == 3.7  # every q is fixed at the marginal point


def test_q_star_collapses_for_odd_phi_without_bias():
    assert mf.q_star("tanh", 0.8, 0.0) == 0.0
    assert mf.q_star("tanh", 1.0, 0.0) == 0.0
    assert mf.q_star("tanh", 1.5, 0.0) > 0.1


def test_bistable_activations_depend_on_q0():
    """Spec: gelu and swish at (3, 0) go to 0 from q0 = 0.1 and to inf from q0 = 1."""
    for name in ("gelu", "swish"):
        np.testing.assert_array_equal(mf.q_star(name, 3.0, 0.0, q0=[0.1, 1.0]), [0.0, math.inf])


def test_q_star_is_the_limit_of_iteration():
    """Oracle: iterate the length map 200 times from q0."""
    for name, w, b, q0 in [("tanh", 3.0, 0.2, 5.0), ("sin", 2.0, 0.1, 0.3), ("erf", 2.5, 0.0, 2.0)]:
        q = q0
        for _ in range(200):
            q = mf.length_map(q, name, w, b)
        assert mf.q_star(name, w, b, q0=q0) == pytest.approx(q, rel=1e-10)


def test_broadcasting_shapes():
    w = np.linspace(1, 4, 3)[:, None]
    b = np.array([0.0, 0.1])[None, :]
    assert np.shape(mf.q_star("tanh", w, b)) == (3, 2)
    assert np.shape(mf.chi1("tanh", w, b)) == (3, 2)
    assert np.shape(mf.correlation_map(np.array([0.1, 0.5]), "tanh", 2.0, 0.1)) == (2,)
    assert isinstance(mf.q_star("tanh", 2.0, 0.1), float)


def test_correlation_map_fixes_one_exactly():
    for name in mf.BUILTIN_NAMES:
        w, b = (1.5, 0.2) if name != "linear" else (0.5, 0.2)
        assert mf.correlation_map(1.0, name, w, b) == 1.0


def test_relu_correlation_map_closed_form():
    """Oracle: sigma_b = 0 ReLU c-map c -> [sqrt(1 - c^2) + (pi - arccos c) c]/pi."""
    c = np.linspace(-1, 1, 9)
    want = (np.sqrt(1 - c ** 2) + (np.pi - np.arccos(c)) * c) / np.pi
    np.testing.assert_allclose(mf.correlation_map(c, "relu", 1.7, 0.0, q=2.0), want, rtol=1e-13, atol=1e-15)
    assert mf.correlation_map(0.0, "relu", 2.0, 0.0, q=1.0) == pytest.approx(1 / np.pi, rel=1e-14)


def test_correlation_map_against_quadrature(oracle):
    act = mf.get_activation("tanh")
    w, b = 6.25, 0.09
    qs = mf.q_star("tanh", w, b)
    phi = oracle.scalar(act.phi)
    for c in (-0.5, 0.3, 0.9):
        ref = (w * oracle.gauss2(phi, phi, c, qs) + b) / qs
        assert mf.correlation_map(c, "tanh", w, b) == pytest.approx(ref, rel=1e-10)


@pytest.mark.parametrize("name, w, b", [("tanh", 6.25, 0.09), ("tanh", 9.0, 1.0), ("erf", 3.0, 0.2),
                                         ("hard_tanh", 4.0, 0.05), ("sin", 2.0, 0.3), ("elu", 1.9, 0.01)])
def test_c_star_is_a_stable_fixed_point(name, w, b):
    """Oracle: the correlation map itself (fixed point to 1e-12) and its slope below 1."""
    cs = mf.c_star(name, w, b)
    assert cs < 1.0
    assert mf.correlation_map(cs, name, w, b) == pytest.approx(cs, abs=1e-12)
    h = 1e-6
    slope = (mf.correlation_map(cs + h, name, w, b) - mf.correlation_map(cs - h, name, w, b)) / (2 * h)
    assert 0 <= slope < 1


def test_c_star_erf_against_arcsine_root():
    """Oracle: brentq on the Williams closed-form c-map."""
    from scipy.optimize import brentq

    w, b = 3.0, 0.2
    q = mf.q_star("erf", w, b)
    f = lambda c: (w * (2 / np.pi) * np.arcsin(2 * q * c / (1 + 2 * q)) + b) / q - c
    ref = brentq(f, 0.0, 0.999, xtol=1e-16, rtol=1e-15)
    assert mf.c_star("erf", w, b) == pytest.approx(ref, rel=1e-12)


def test_c_star_close_to_the_critical_line():
    """Bracketing works where 1 - c* ~ 1e-6: the fixed point holds to machine precision."""
    b = 0.05
    wc = mf.critical_sigma_w2("tanh", b)
    for dw in (1e-2, 1e-4, 1e-6):
        cs = mf.c_star("tanh", wc + dw, b)
        assert 0 < 1 - cs < 0.1
        assert abs(mf.correlation_map(cs, "tanh", wc + dw, b) - cs) < 1e-14
    assert mf.c_star("tanh", wc - 1e-6, b) == 1.0


def test_ordered_and_unbiased_cases():
    assert mf.c_star("tanh", 0.9, 0.3) == 1.0
    assert mf.c_star("tanh", 4.0, 0.0) == 0.0
    assert np.isnan(mf.c_star("relu", 3.0, 0.1))  # q* is infinite: no correlation fixed point


def test_chi_values():
    """Oracles: ReLU chi1 = sigma_w2/2; erf chi1, chi2 closed forms; chi2 = inf for kinks."""
    assert mf.chi1("relu", 1.4, 0.3) == pytest.approx(0.7, rel=1e-15)
    assert mf.chi2("relu", 1.4, 0.3) == math.inf
    assert mf.chi2("hard_tanh", 1.4, 0.3) == math.inf
    q = 0.8
    assert mf.chi1("erf", 2.0, 0.1, q=q) == pytest.approx(2.0 * (4 / np.pi) / np.sqrt(1 + 4 * q), rel=1e-14)
    assert mf.chi2("erf", 2.0, 0.1, q=q) == pytest.approx(2.0 * 16 / np.pi * q * (1 + 4 * q) ** -1.5, rel=1e-14)


@pytest.mark.parametrize("call, match", [
    (lambda: mf.q_star("tanh", -1.0, 0.1), "sigma_w2"),
    (lambda: mf.q_star("tanh", 1.0, float("nan")), "sigma_b2"),
    (lambda: mf.q_star("tanh", 1.0, 0.1, q0=0.0), "q0"),
    (lambda: mf.length_map(-0.5, "tanh", 1.0, 0.1), "q"),
    (lambda: mf.correlation_map(1.2, "tanh", 1.0, 0.1), "c must lie in"),
    (lambda: mf.chi1("tanh", 1.0, -0.1), "sigma_b2"),
    (lambda: mf.q_star("tahn", 1.0, 0.1), "unknown activation"),
    (lambda: mf.correlation_map(0.3, "relu", 3.0, 0.1), "infinite"),
])
def test_bad_input_names_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_sympy_activation_q_star_on_an_exact_node():
    """Oracle: phi = 2x gives q* = sigma_b2 / (1 - 4 sigma_w2); the bracket lands on the root."""
    import sympy as sp

    x = sp.Symbol("x")
    act = mf.Activation.from_sympy(2 * x, x)
    assert mf.q_star(act, 0.2, 0.1) == pytest.approx(0.5, rel=1e-14)
    assert mf.chi1(act, 0.2, 0.1) == pytest.approx(0.8, rel=1e-14)


def test_divergence_of_relu_like_maps_is_detected_from_the_asymptotic_slope():
    """ELU's length map grows like q/2: sigma_w2 > 2 diverges (without integrating to 1e9)."""
    assert mf.q_star("elu", 2.1, 0.1) == math.inf
    assert math.isfinite(mf.q_star("elu", 1.9, 0.1))


def test_q_star_on_a_halving_point():
    """Regression: q* = 0.5 exactly on the bisection grid (erf at (1.35, 0.05))."""
    assert mf.q_star("erf", 1.35, 0.05) == pytest.approx(0.5, rel=1e-9)
