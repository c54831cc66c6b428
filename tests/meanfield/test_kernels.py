"""Gaussian integrals V, D, W, X2, C, Dc, Delta against adaptive quadrature and closed forms."""
import dataclasses
import math

import numpy as np
import pytest

import meanfield as mf
from meanfield import kernels

QS = [1e-4, 0.37, 6.0, 100.0]
TOL = 1e-9


def _rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def _check(value, ref):
    """1e-9 relative, or 1e-12 absolute where the value is (numerically) zero."""
    assert abs(value - ref) <= max(TOL * abs(ref), 1e-12), (value, ref, _rel(value, ref))


@pytest.mark.parametrize("name", mf.BUILTIN_NAMES)
def test_one_d_against_adaptive_quadrature(name, oracle):
    """V = E[phi^2], D = E[phi'^2], X2 = E[phi''^2] vs scipy quad split at kinks."""
    act = mf.get_activation(name)
    phi, dphi, d2phi = (oracle.scalar(f) for f in (act.phi, act.dphi, act.d2phi))
    for q in QS:
        _check(kernels.one_d(act, "V", q), oracle.gauss1(lambda x: phi(x) ** 2, q, act.kinks))
        _check(kernels.one_d(act, "D", q), oracle.gauss1(lambda x: dphi(x) ** 2, q, act.kinks))
        if not act.deltas:
            _check(kernels.one_d(act, "X2", q), oracle.gauss1(lambda x: d2phi(x) ** 2, q, act.kinks))
        else:
            assert kernels.one_d(act, "X2", q) == math.inf


@pytest.mark.parametrize("name", mf.BUILTIN_NAMES)
def test_dV_dq_against_finite_differences(name):
    """W = dV/dq (with the kinks' delta terms) vs a central difference of V (h = 1e-5 q)."""
    act = mf.get_activation(name)
    for q in (0.05, 1.3, 20.0):
        h = 1e-4 * q
        fd = (-kernels.one_d(act, "V", q + 2 * h) + 8 * kernels.one_d(act, "V", q + h)
              - 8 * kernels.one_d(act, "V", q - h) + kernels.one_d(act, "V", q - 2 * h)) / (12 * h)
        floor = 1e-11 * kernels.one_d(act, "V", q) / q  # FD round-off, relative to V's scale
        assert abs(kernels.one_d(act, "W", q) - fd) < 1e-8 * abs(fd) + floor


# 2-D: nested adaptive quadrature is slow, so a few points per activation
PAIRS = [(0.37, -0.83), (6.0, 0.41), (100.0, 0.995)]


@pytest.mark.parametrize("name", mf.BUILTIN_NAMES)
def test_two_d_against_nested_quadrature(name, oracle):
    act = mf.get_activation(name)
    phi, dphi = oracle.scalar(act.phi), oracle.scalar(act.dphi)
    for q, c in PAIRS:
        ref = oracle.gauss2(phi, phi, c, q, act.kinks)
        _check(kernels.two_d(act, "C", c, q), ref)
        v = kernels.one_d(act, "V", q)
        assert abs(kernels.two_d(act, "Delta", c, q) - (v - ref)) <= 1e-9 * v
    q, c = PAIRS[1]
    _check(kernels.two_d(act, "Dc", c, q), oracle.gauss2(dphi, dphi, c, q, act.kinks))


def _generic(name):
    """The same activation with its closed forms switched off: exercises the quadrature."""
    act = mf.get_activation(name)
    return dataclasses.replace(act, closed_form=None, _compiled={})


C_GRID = np.array([-1.0, -0.999, -0.7, -0.2, 0.0, 0.3, 0.8, 0.99, 0.9999, 1.0])


def test_erf_engine_matches_williams_arcsine_over_the_grid():
    """Oracle: Williams (1997) arcsine kernel; E[phi'phi'] closed form. Engine: rotated trapezoid."""
    gen = _generic("erf")
    for q in QS:
        for c in C_GRID:
            _check(kernels.two_d(gen, "C", c, q), (2 / np.pi) * np.arcsin(2 * q * c / (1 + 2 * q)))
            _check(kernels.two_d(gen, "Dc", c, q), (4 / np.pi) / np.sqrt((1 + 2 * q) ** 2 - 4 * q * q * c * c))
        _check(kernels.one_d(gen, "V", q), (2 / np.pi) * np.arcsin(2 * q / (1 + 2 * q)))
        _check(kernels.one_d(gen, "D", q), (4 / np.pi) / np.sqrt(1 + 4 * q))


def test_sin_engine_matches_closed_form_over_the_grid():
    """Oracle: E[sin u1 sin u2] = exp(-q) sinh(qc), E[cos u1 cos u2] = exp(-q) cosh(qc)."""
    gen = _generic("sin")
    for q in QS:
        for c in C_GRID:
            _check(kernels.two_d(gen, "C", c, q), math.exp(-q) * math.sinh(q * c))
            _check(kernels.two_d(gen, "Dc", c, q), math.exp(-q) * math.cosh(q * c))
            delta = kernels.two_d(gen, "Delta", c, q)
            ref = math.exp(-q) * (math.sinh(q) - math.sinh(q * c))
            assert abs(delta - ref) <= 1e-9 * abs(ref) + 1e-15


def test_relu_engine_matches_arccosine_over_the_grid():
    """Oracle: Cho & Saul arc-cosine kernel. Engine: closed inner expectation + split outer."""
    gen = _generic("relu")
    for q in QS:
        for c in C_GRID:
            th = np.arccos(c)
            _check(kernels.two_d(gen, "C", c, q), q / (2 * np.pi) * (np.sin(th) + (np.pi - th) * c))
            _check(kernels.two_d(gen, "Dc", c, q), (np.pi - th) / (2 * np.pi))
        _check(kernels.one_d(gen, "V", q), q / 2)
        _check(kernels.one_d(gen, "W", q), 0.5)


def test_hard_tanh_closed_forms_match_quadrature(oracle):
    """Oracle: the spec's hard-tanh V, D (a = q^-1/2) vs adaptive quadrature."""
    act = mf.get_activation("hard_tanh")
    gen = _generic("hard_tanh")
    for q in QS:
        for kind in ("V", "D", "W"):
            _check(kernels.one_d(act, kind, q), kernels.one_d(gen, kind, q))


@pytest.mark.parametrize("name", ["tanh", "hard_tanh", "elu", "softplus"])
def test_c_equal_one_is_the_length_map(name):
    act = mf.get_activation(name)
    for q in QS:
        assert kernels.two_d(act, "C", 1.0, q) == kernels.one_d(act, "V", q)
        assert kernels.two_d(act, "Delta", 1.0, q) == 0.0


def test_sin_closed_forms_do_not_overflow_at_large_q():
    """Oracle: the limits exp(-q(1-c))/2 for C and (1 - e^{-q(1-c)})/2 for Delta at large q."""
    act = mf.get_activation("sin")
    q, c = 2000.0, 0.999
    assert kernels.two_d(act, "C", c, q) == pytest.approx(0.5 * math.exp(-q * (1 - c)), rel=1e-12)
    assert kernels.two_d(act, "Delta", c, q) == pytest.approx(0.5 * -math.expm1(-q * (1 - c)), rel=1e-12)
    assert kernels.two_d(act, "Dc", c, q) == pytest.approx(0.5 * math.exp(-q * (1 - c)), rel=1e-12)


@pytest.mark.parametrize("q", [0.2, 3.0, 40.0, 700.0])
def test_near_ratio_matches_sin_closed_form_down_to_c_equal_one(q):
    """Oracle: sin's Delta = [-expm1(-q eps) + e^{-2q} expm1(q eps)] / 2 (no cancellation), so
    R = Delta/eps in closed form at every eps = 2 b^2/q, down to b = 1e-7 where V - C would have
    lost every digit. Engine: the segment-mean quadrature on the generic (quadrature) path."""
    gen = _generic("sin")
    for b in [1e-7, 1e-4, 3e-3, 0.05, 0.3, 1.0, 2.9]:
        if b * b >= q:
            continue
        eps = 2.0 * b * b / q
        ref = 0.5 * (-math.expm1(-q * eps) + math.exp(-2.0 * q) * math.expm1(q * eps)) / eps
        assert _rel(kernels.near_ratio(gen, b, q), ref) <= 1e-12, (b, q)


@pytest.mark.parametrize("name", ["tanh", "swish"])
def test_near_ratio_limits_and_chord(name, oracle):
    """Oracles: as b -> 0 the chord slope R tends to q E[phi'^2] (adaptive quadrature, the
    correction is O(eps) = 2e-14 here); at moderate eps R = [V - C]/eps with V and C by nested
    adaptive quadrature (eps >= 0.1, so the subtraction costs at most one digit)."""
    act = mf.get_activation(name)
    for q in [0.3, 5.0, 30.0]:
        slope = q * oracle.gauss1(lambda u: oracle.scalar(act.dphi)(u) ** 2, q)
        assert _rel(kernels.near_ratio(act, 1e-7 * math.sqrt(q), q), slope) <= 1e-12
        b = math.sqrt(0.15 * q)   # eps = 0.3
        f = oracle.scalar(act.phi)
        ref = (oracle.gauss1(lambda u: f(u) ** 2, q) - oracle.gauss2(f, f, 0.7, q)) / 0.3
        assert _rel(kernels.near_ratio(act, b, q), ref) <= 1e-10


def test_near_ratio_kinked_limits_and_chord():
    """Kinked phi (segment means split at the kinks). Oracles: as b -> 0, R -> q E[phi'^2] in
    closed form -- elu: q [1/2 + erfcx(sqrt(2q))/2], hard_tanh: q erf(1/sqrt(2q)) (the kink
    correction is O(b) = 1e-12 here) -- and at eps = 1e-2..0.3 R = Delta/eps from the
    closed-form inner integrals (accurate there to ~1e-13)."""
    from scipy.special import erf, erfcx

    for name, lim in [("elu", lambda q: q * (0.5 + 0.5 * erfcx(math.sqrt(2 * q)))),
                      ("hard_tanh", lambda q: q * erf(1 / math.sqrt(2 * q)))]:
        act = mf.get_activation(name)
        for q in [0.3, 5.0, 300.0]:
            assert _rel(kernels.near_ratio(act, 1e-12, q), lim(q)) <= 1e-11, (name, q)
            for eps in [1e-2 * (1 - 1e-9), 0.3]:   # both sides of the switch to Delta/eps
                b = math.sqrt(q * eps / 2)
                from meanfield._nearkinked import near_ratio_kinked
                ref = kernels.two_d(act, "Delta", 1.0 - eps, q) / eps
                assert _rel(float(near_ratio_kinked(act, b, q)[0]), ref) <= 1e-11, (name, q, eps)


def test_sin_closed_delta_keeps_its_digits_near_c_equal_one():
    """Oracle: the series Delta = [e (1 + e^{-2q}) - (e^2 / 2)(1 - e^{-2q})] / 2 + O(e^3), e = q eps,
    at eps = 2^-30 (the closed form must not subtract nearly equal exponentials)."""
    act = mf.get_activation("sin")
    eps = 2.0 ** -30   # c = 1 - eps exactly
    for q in [0.2, 3.0]:
        e = q * eps
        ref = 0.5 * (e * (1 + math.exp(-2 * q)) - 0.5 * e * e * (1 - math.exp(-2 * q)))
        assert _rel(kernels.two_d(act, "Delta", 1.0 - eps, q), ref) <= 1e-12


def test_near_ratio_rejects_b_outside_its_range():
    act = mf.get_activation("tanh")
    for b in [0.0, 3.1]:
        with pytest.raises(ValueError, match="b must satisfy"):
            kernels.near_ratio(act, b, 9.0)
