"""Edges of the parameter space (issue 19): every solver stops and says what it found.

Oracles: ReLU's closed forms (V(q) = q/2: q* = q0 at the marginal point (2, 0), no finite q*
at sigma_w2 = 2 with bias); the collapse q* = 0 of odd phi without bias for sigma_w2
phi'(0)^2 <= 1 (then chi1 = sigma_w2 phi'(0)^2 and c* = 1); the parametric critical line (its
points have chi1 = 1, so c* = 1 up to rounding); the pointwise functions for the 1 x 1 phase
diagrams. Each call runs under a deadline (a hang fails the test instead of stalling the run).
"""
import math

import numpy as np
import pytest

import meanfield as mf
from tests.timeouts import deadline


def _all_fields(name, w, b):
    with deadline(60):
        xq, xc = mf.depth_scales(name, w, b)
        return {"q_star": mf.q_star(name, w, b), "chi1": mf.chi1(name, w, b), "c_star": mf.c_star(name, w, b),
                "xi_q": xq, "xi_c": xc}


def _same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-9)


def test_relu_at_the_marginal_slope_with_and_without_bias():
    f = _all_fields("relu", 2.0, 0.0)
    assert f == {"q_star": 1.0, "chi1": 1.0, "c_star": 1.0, "xi_q": math.inf, "xi_c": math.inf}
    assert mf.q_star("relu", 2.0, 0.0, q0=7.5) == 7.5
    f = _all_fields("relu", 2.0, 0.5)
    assert f["q_star"] == math.inf and f["chi1"] == 1.0
    assert all(math.isnan(f[k]) for k in ("c_star", "xi_q", "xi_c"))
    assert mf.chi2("relu", 2.0, 0.5) == math.inf
    with pytest.raises(ValueError, match="infinite"):
        mf.correlation_map(0.5, "relu", 2.0, 0.5)


def _sigmoid_v_c(c, q):
    """V(q) = E[sigmoid(x)^2] and C(c, q) = E[sigmoid(x) sigmoid(y)], (x, y) ~ N(0, q [[1, c],
    [c, 1]]), by scipy quad in the pre-activation: sigmoid = step + g with g odd and below
    e^-|y|, so the inner integral is Phi(c x / s) + int_{-40}^{40} g(y) N(y; c x, s^2) dy
    (s^2 = q (1 - c^2)); the outer one is split at 0, +-40 and +-10 sqrt(q)."""
    from scipy import integrate, special

    def sig(x):
        return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))

    def quad(fn, pts):
        return sum(integrate.quad(fn, a, b, epsabs=0, epsrel=1e-12, limit=200)[0] for a, b in zip(pts[:-1], pts[1:]))

    def dens(x, m, sd):
        return math.exp(-0.5 * ((x - m) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))

    rq, s = math.sqrt(q), math.sqrt(q * (1 - c * c))
    g = lambda y: sig(y) - (1.0 if y > 0 else 0.0)  # noqa: E731
    inner = lambda x: special.ndtr(c * x / s) + quad(lambda y: g(y) * dens(y, c * x, s), [-40.0, 0.0, 40.0])  # noqa: E731
    outer = [-10 * rq, -40.0, 0.0, 40.0, 10 * rq]
    return (quad(lambda x: sig(x) ** 2 * dens(x, 0.0, rq), outer),
            quad(lambda x: sig(x) * inner(x) * dens(x, 0.0, rq), outer))


@pytest.mark.parametrize("name", ["tanh", "erf", "hard_tanh", "sigmoid", "softplus", "elu"])
def test_huge_sigma_w2(name):
    """sigma_w2 = 1e6: bounded phi have q* <= sigma_w2 sup phi^2 + sigma_b2 and are chaotic;
    ReLU-like phi diverge (slope sigma_w2 / 2 > 1). At q* ~ 1e6 phi acts as a step: c* = 0 for
    the odd ones. For sigmoid the step limit (a 0/1 step: C = 1/4 + asin(c)/(2 pi), V = 1/2)
    is the root of c = 1/2 + asin(c)/pi, 0.78983, which the true c* (0.79169 at q* = 5e5)
    approaches as O(q*^-1/2); the exact check is that (q*, c*) is a fixed point of both maps
    evaluated by scipy quad in the pre-activation (:func:`_sigmoid_v_c`)."""
    for b in (0.0, 1.0):
        f = _all_fields(name, 1e6, b)
        if name in ("softplus", "elu"):
            assert f["q_star"] == math.inf and math.isnan(f["c_star"])
            continue
        assert 0 < f["q_star"] <= 1e6 + b and f["chi1"] > 1
        if name == "sigmoid":
            from scipy.optimize import brentq

            qs, cs = f["q_star"], f["c_star"]
            step = brentq(lambda c: 0.5 + math.asin(c) / math.pi - c, 0.5, 0.99, xtol=1e-14)
            assert abs(cs - step) <= 3.0 / math.sqrt(qs)
            V, C = _sigmoid_v_c(cs, qs)
            assert abs((1e6 * V + b) / qs - 1) <= 1e-12
            assert abs((1e6 * C + b) / (1e6 * V + b) - cs) <= 1e-12
        else:
            assert 0.0 <= f["c_star"] < 1e-2
            if b == 0.0:
                assert f["c_star"] == 0.0
        assert all(np.isfinite(f[k]) and f[k] > 0 for k in ("xi_q", "xi_c"))


@pytest.mark.parametrize("name", ["tanh", "erf", "sin", "hard_tanh", "gelu"])
def test_tiny_sigma_w2(name):
    """sigma_w2 = 1e-12: without bias odd phi collapse (q* = 0, chi1 = sigma_w2 phi'(0)^2);
    with bias q* ~ sigma_b2 and the map forgets within a layer (xi ~ 1/27)."""
    f = _all_fields(name, 1e-12, 0.0)
    if name != "gelu":
        assert f["q_star"] == 0.0 and f["c_star"] == 1.0
        assert f["chi1"] == pytest.approx(1e-12 * float(mf.get_activation(name).dphi(0.0)) ** 2, rel=1e-12)
        assert f["xi_c"] == pytest.approx(-1 / math.log(f["chi1"]), rel=1e-12)
    f = _all_fields(name, 1e-12, 0.5)
    assert f["q_star"] == pytest.approx(0.5, rel=1e-11) and f["c_star"] == 1.0
    assert 0 < f["xi_c"] < 0.05 and 0 <= f["xi_q"] < 0.05


def test_c_star_on_the_critical_line():
    """On chi1 = 1 the only fixed point is c* = 1 (to rounding: 1 - c* < 1e-6), also far up
    the line (q* = 1e8, where the critical sigma_w2 ~ 2.4e4); critical_sigma_w2 finds those
    points again (it used to give up at q* = 1e6)."""
    for b in (0.05, 2.0):
        w = mf.critical_sigma_w2("tanh", b)
        with deadline(60):
            assert 1 - mf.c_star("tanh", w, b) < 1e-6
            assert mf.depth_scales("tanh", w, b)[1] > 1e4
    w, b = mf.critical_line("tanh", 1e8)
    assert mf.chi1("tanh", w, b) == pytest.approx(1.0, abs=1e-9)
    with deadline(60):
        assert 1 - mf.c_star("tanh", w, b) < 1e-6
        assert mf.critical_sigma_w2("tanh", b) == pytest.approx(w, rel=1e-9)


@pytest.mark.parametrize("name, w, b", [("tanh", 2.0, 0.1), ("relu", 2.0, 0.0), ("hard_tanh", 4.0, 0.0),
                                         ("elu", 2.5, 0.3), ("tanh", 1e6, 1.0), ("gelu", 3.0, 0.0)])
def test_one_by_one_phase_diagram(name, w, b):
    with deadline(60):
        pd = mf.phase_diagram(name, [w], [b])
    ref = _all_fields(name, w, b)
    assert pd.q_star.shape == (1, 1)
    for k, v in ref.items():
        assert _same(float(getattr(pd, k)[0, 0]), v), (k, getattr(pd, k), v)


def test_brentq_failure_says_what_it_did():
    """brentq stopped at its iteration bound (here 3 steps) raises ConvergenceError naming the
    quantity and the bracket, never scipy's bare 'Failed to converge'."""
    from meanfield import _solvers

    with pytest.raises(mf.ConvergenceError, match="test quantity"):
        old = _solvers.MAXITER
        _solvers.MAXITER = 3
        try:
            _solvers.brentq(lambda x: x ** 3 - 2.0, 0.0, 2.0, "test quantity")
        finally:
            _solvers.MAXITER = old
