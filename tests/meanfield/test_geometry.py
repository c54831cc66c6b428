"""Curve geometry (Poole Eq. 8): start values, limits and the recursion."""
import math

import numpy as np
import pytest

import meanfield as mf


def test_input_circle_values():
    w, b = 6.25, 0.09
    r = mf.curve_theory("tanh", w, b, 5)
    qs = mf.q_star("tanh", w, b)
    assert r.q[0] == qs and r.gbar[0] == qs and r.kappa_bar2[0] == pytest.approx(1 / qs)
    assert r.grassmannian_length[0] == pytest.approx(2 * np.pi)
    np.testing.assert_allclose(r.euclidean_length, 2 * np.pi * np.sqrt(r.gbar))
    np.testing.assert_allclose(r.q, qs, rtol=1e-12)


def test_growth_is_chi1_per_layer():
    w, b = 16.0, 0.09
    r = mf.curve_theory("tanh", w, b, 8)
    np.testing.assert_allclose(r.gbar[1:] / r.gbar[:-1], mf.chi1("tanh", w, b), rtol=1e-12)


def test_chaotic_curvature_limit():
    """Oracle: the fixed point of the kappa recursion, 3 chi2 / [chi1 (chi1 - 1)]."""
    w, b = 16.0, 0.09
    c1, c2 = mf.chi1("tanh", w, b), mf.chi2("tanh", w, b)
    r = mf.curve_theory("tanh", w, b, 60)
    assert r.kappa_bar2[-1] == pytest.approx(3 * c2 / (c1 * (c1 - 1)), rel=1e-10)


def test_critical_grassmannian_length_grows_linearly_in_square():
    b = 0.05
    w = mf.critical_sigma_w2("tanh", b)
    r = mf.curve_theory("tanh", w, b, 40)
    inc = np.diff(r.grassmannian_length ** 2)
    assert inc[-1] == pytest.approx(inc[-2], rel=1e-6)


def test_kinked_curvature_is_infinite_and_q0_transient():
    r = mf.curve_theory("relu", 2.0, 0.0, 4, q0=1.0)
    assert r.kappa_bar2[0] == 1.0 and np.all(np.isinf(r.kappa_bar2[1:]))
    np.testing.assert_allclose(r.gbar, 1.0)
    r = mf.curve_theory("tanh", 2.0, 0.1, 6, q0=3.0)
    assert r.q[0] == 3.0
    assert r.q[1] == pytest.approx(mf.length_map(3.0, "tanh", 2.0, 0.1))


def test_bad_depth_and_missing_q_star():
    with pytest.raises(ValueError, match="depth"):
        mf.curve_theory("tanh", 2.0, 0.1, 0)
    with pytest.raises(ValueError, match="q0"):
        mf.curve_theory("relu", 2.5, 0.0, 3)
