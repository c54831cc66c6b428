"""Iterated maps and derived depths of the theory API: q_dynamics, c_dynamics,
iterations_to_converge, trainable_depth, gradient_factor, phase_diagram_pointwise.

Oracles: erf has closed forms (Williams 1997; tests/oracles.py), so the length map, the
correlation map, q*, chi1 and the ordered/chaotic slopes of the c-map are iterated or solved
in plain Python (scipy brentq) without meanfield. For tanh the length map is iterated with V
from scipy adaptive quadrature (conftest ``oracle.gauss1``) and q* is Poole's published
value refined by the same quadrature.
"""
import math

import numpy as np
import pytest
from scipy import optimize

import meanfield as F
from tests.oracles import erf_C, erf_V, erf_chi1, erf_qstar, erf_xi_c


def test_q_dynamics_erf_closed_form():
    """Oracle: the erf length map iterated in plain Python."""
    w, b, q0 = 3.0, 0.2, 7.0
    got = F.q_dynamics("erf", w, b, q0, 12)
    want = [q0]
    for _ in range(11):
        want.append(w * erf_V(want[-1]) + b)
    np.testing.assert_allclose(got, want, rtol=1e-11)


def test_c_dynamics_erf_closed_form():
    """Oracle: the erf correlation map at the closed-form q*, iterated in plain Python."""
    w, b = 4.0, 0.1
    q = erf_qstar(w, b)
    got = F.c_dynamics("erf", w, b, np.array([0.2, 0.8]), 20)
    for k, c0 in enumerate((0.2, 0.8)):
        want = [c0]
        for _ in range(19):
            want.append((w * erf_C(want[-1], q) + b) / q)
        np.testing.assert_allclose(got[:, k], want, rtol=1e-9, atol=1e-12)


def _oracle_iterations(V, w, b, q0, qs, rtol=0.01):
    q, n = q0, 0
    while abs(q - qs) > rtol * qs:
        q = w * V(q) + b
        n += 1
        assert n < 500
    # the count must not hinge on rounding: the deviation is clearly inside the tolerance
    assert abs(q - qs) < rtol * qs * (1 - 1e-6)
    return n


@pytest.mark.parametrize("w,b,q0", [(1.69, 0.09, 1.0), (6.25, 0.09, 1.0), (16.0, 0.09, 1.0),
                                    (9.0, 4.0, 0.5), (2.0, 0.0, 3.0), (1.1, 0.01, 10.0)])
def test_iterations_to_converge_erf(w, b, q0):
    """Oracle: count steps of the closed-form erf length map until within 1 % of q*."""
    want = _oracle_iterations(erf_V, w, b, q0, erf_qstar(w, b))
    assert F.iterations_to_converge("erf", w, b, q0) == want


def test_iterations_to_converge_tanh_poole_networks(oracle):
    """Oracle: tanh length map with V by adaptive quadrature, q* by brentq on it (close to
    Poole's published 0.6070, 4.0791, 12.604), counted in plain Python; also the
    array path of iterations_to_converge (the heat map) with precomputed q*."""
    V = lambda q: oracle.gauss1(lambda x: math.tanh(x) ** 2, q)
    ws = np.array([1.3, 2.5, 4.0]) ** 2
    b = 0.09
    want = []
    for w, lo, hi, pub in zip(ws, (0.5, 3.5, 12.0), (0.7, 4.5, 13.0), (0.6070, 4.0791, 12.604)):
        qs = optimize.brentq(lambda q: w * V(q) + b - q, lo, hi, xtol=1e-13)
        assert abs(qs - pub) < 1e-3 * pub
        want.append(_oracle_iterations(V, w, b, 15.0, qs))
    np.testing.assert_array_equal(F.iterations_to_converge("tanh", ws, b, 15.0), want)
    np.testing.assert_array_equal(F.iterations_to_converge("tanh", ws, b, 15.0, qstar=F.q_star("tanh", ws, b)), want)


def test_iterations_nan_where_no_finite_fixed_point():
    """Oracle: q* = 0 (tanh, sigma_b2 = 0, sigma_w2 < 1) and q* = inf (ReLU, sigma_w2 > 2)
    have no relative tolerance: NaN, documented."""
    assert math.isnan(F.iterations_to_converge("tanh", 0.5, 0.0))
    assert math.isnan(F.iterations_to_converge("relu", 3.0, 0.1))
    assert F.iterations_to_converge("relu", 1.0, 0.5, q0=1.0) == 0  # q* = 2*0.5/(2-1) = 1


@pytest.mark.parametrize("w,b", [(0.8, 0.05), (2.0, 0.05), (5.0, 0.3), (3.0, 0.0)])
def test_trainable_depth_erf(w, b):
    """Oracle: 6 xi_c with xi_c = -1/log(c-map slope at c*) from the erf closed forms."""
    np.testing.assert_allclose(F.trainable_depth("erf", w, b), 6 * erf_xi_c(w, b), rtol=1e-7)


def test_gradient_factor_erf():
    """Oracle: chi1^(L-l) with chi1 = sigma_w2 (4/pi)(1+4q*)^-1/2 (erf closed form)."""
    ws = np.array([1.0, 2.0, 4.0])
    got = F.gradient_factor("erf", ws, 0.05, 7)
    chi = np.array([erf_chi1(w, 0.05) for w in ws])
    want = chi[None, :] ** (7 - np.arange(1, 8))[:, None]
    np.testing.assert_allclose(got, want, rtol=1e-10)
    assert np.all(got[-1] == 1.0)


def test_phase_diagram_pointwise_erf():
    """Oracle: q* and chi1 of the erf closed forms on a small grid (pointwise path)."""
    w = np.array([0.5, 2.0, 4.0])
    b = np.array([0.05, 1.0])
    pd = F.phase_diagram_pointwise("erf", w, b)
    for i, wi in enumerate(w):
        for j, bj in enumerate(b):
            assert abs(pd.q_star[i, j] - erf_qstar(wi, bj)) <= 1e-10 * erf_qstar(wi, bj)
            assert abs(pd.chi1[i, j] - erf_chi1(wi, bj)) <= 1e-10
            assert abs(pd.xi_c[i, j] - erf_xi_c(wi, bj)) <= 1e-7 * erf_xi_c(wi, bj)


@pytest.mark.parametrize("call", [
    lambda: F.q_dynamics("tanh", 1.0, 0.1, 1.0, 0),
    lambda: F.c_dynamics("tanh", 1.0, 0.1, 0.5, 2.5),
    lambda: F.iterations_to_converge("tanh", 1.0, 0.1, rtol=1.5),
    lambda: F.gradient_factor("tanh", 1.0, 0.1, -3),
])
def test_bad_input_raises(call):
    with pytest.raises(ValueError):
        call()
