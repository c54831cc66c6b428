"""The q-independent large-q path (meanfield._largeq) and the public functions at large q.

Oracles: closed forms (erf: Williams' arcsine kernel; ReLU: Cho & Saul's arc-cosine kernel;
hard-tanh: the spec's V, D), evaluated in 60-digit arithmetic (mpmath) so that the reference
does not lose the digits it is meant to check; scipy adaptive quadrature in the
pre-activation x (not in z = x / sqrt(q)), split at 0 and the kinks; the trapezoid path of
meanfield.quadrature at the q where it is still affordable (an independent rule); and the
bounds of the issue (a bounded phi has q* <= sigma_w2 sup phi^2 + sigma_b2).
"""
import dataclasses
import math
import tracemalloc
from functools import lru_cache

import mpmath as mp
import numpy as np
import pytest
from scipy import integrate

import meanfield as mf
from meanfield import _largeq, kernels, quadrature

mp.mp.dps = 60
C_GRID = [-0.999999, -0.3, 0.2, 0.9, 0.999999, 1 - 1e-12]


@lru_cache(maxsize=None)
def _generic(name):
    """The built-in with its closed forms switched off (so the large-q quadrature runs)."""
    return dataclasses.replace(mf.get_activation(name), closed_form=None, _compiled={})


def _rel(a, b):
    return abs(a - float(b)) / abs(float(b))


@pytest.mark.parametrize("q", [2e6, 1e12, 1e40, 1e300])
def test_one_d_matches_closed_forms(q):
    """erf: V = (2/pi) asin(2q/(1+2q)), D = (4/pi)(1+4q)^-1/2, W = dV/dq; hard-tanh (a =
    q^-1/2): V = q[erf(a/sqrt2) - 2a phi_N(a)] + erfc(a/sqrt2), D = erf(a/sqrt2), W = the
    bracket; ReLU: V = q/2, D = W = 1/2 -- all in 60 digits."""
    Q = mp.mpf(q)
    a = 1 / mp.sqrt(Q)
    e = mp.erf(a / mp.sqrt(2))
    bracket = e - 2 * a * mp.npdf(a)
    refs = {"erf": {"V": 2 / mp.pi * mp.asin(2 * Q / (1 + 2 * Q)), "D": 4 / mp.pi / mp.sqrt(1 + 4 * Q),
                    "W": 4 / mp.pi / ((1 + 2 * Q) * mp.sqrt(1 + 4 * Q))},
            "hard_tanh": {"V": Q * bracket + mp.erfc(a / mp.sqrt(2)), "D": e, "W": bracket},
            "relu": {"V": Q / 2, "D": mp.mpf(0.5), "W": mp.mpf(0.5)}}
    for name, ref in refs.items():
        for kind, want in ref.items():
            if float(want) < 1e-300:
                continue   # (erf's W underflows at q = 1e300)
            tol = 1e-13
            assert _rel(_largeq.one_d(_generic(name), kind, q), want) <= tol, (name, kind, q)
            assert _rel(kernels.one_d(mf.get_activation(name), kind, q), want) <= tol, (name, kind, q)


# phi^2 minus its asymptote: alpha^2 x^2 (x > 0) + beta_-^2 (x < 0) + beta_+^2 (x > 0), so that the
# oracle's integrands are localised and the derivative of the density can be used for W
ASYMPTOTES = {"tanh": (0.0, 1.0, 1.0), "sigmoid": (0.0, 0.0, 1.0), "softplus": (1.0, 0.0, 0.0),
              "swish": (1.0, 0.0, 0.0), "gelu": (1.0, 0.0, 0.0), "elu": (1.0, 1.0, 0.0)}


def _scipy_one_d(act, kind, q):
    """V, D, X2 by quad in x over [-10 sqrt(q), 10 sqrt(q)] split at 0, +-40; W by the
    q-derivative of the density, W = int (phi^2 - asymptote) N(x; 0, q) (x^2/q - 1)/(2q) dx +
    alpha^2/2 (a different formula from the library's E[x phi phi'] / q)."""
    s = math.sqrt(q)
    alpha, bm, bp = ASYMPTOTES[act.name]
    phi, dphi, d2phi = (lambda x, f=f: float(f(x)) for f in (act.phi, act.dphi, act.d2phi))

    def dens(x):
        return math.exp(-0.5 * x * x / q) / math.sqrt(2 * math.pi * q)

    asym = lambda x: alpha ** 2 * x * x + bp ** 2 if x > 0 else bm ** 2  # noqa: E731
    g = {"V": lambda x: phi(x) ** 2 * dens(x), "D": lambda x: dphi(x) ** 2 * dens(x),
         "X2": lambda x: d2phi(x) ** 2 * dens(x),
         "W": lambda x: (phi(x) ** 2 - asym(x)) * dens(x) * (x * x / q - 1) / (2 * q)}[kind]
    pts = [-10 * s, -40.0, 0.0, 40.0, 10 * s]
    val = sum(integrate.quad(g, lo, hi, epsabs=0, epsrel=1e-13, limit=400)[0] for lo, hi in zip(pts[:-1], pts[1:]))
    return val + (0.5 * alpha ** 2 if kind == "W" else 0.0)


@pytest.mark.parametrize("name", list(ASYMPTOTES))
def test_one_d_matches_scipy_quadrature_in_x(name):
    act = mf.get_activation(name)
    for q in (2e6, 1e10, 1e16):
        for kind in ("V", "D", "W", "X2"):
            want = _scipy_one_d(act, kind, q)
            got = kernels.one_d(act, kind, q)
            assert abs(got - want) <= 1e-10 * abs(want) + 1e-300, (name, kind, q, got, want)


@pytest.mark.parametrize("q", [2e3, 1e6, 1e12, 1e40])
def test_two_d_matches_arcsine_and_arccosine_kernels(q):
    """C, Dc and the chord slope R = (V - C)/(1 - c) of erf and ReLU (closed forms switched
    off), every c of the grid, against the kernels in 60 digits (R straight from them, so the
    reference keeps its digits down to 1 - c = 1e-12)."""
    erf, relu = _generic("erf"), _generic("relu")
    Q = mp.mpf(q)
    for c in C_GRID:
        C_ = mp.mpf(c)
        erf_c = 2 / mp.pi * mp.asin(2 * Q * C_ / (1 + 2 * Q))
        erf_v = 2 / mp.pi * mp.asin(2 * Q / (1 + 2 * Q))
        th = mp.acos(C_)
        relu_c = Q / (2 * mp.pi) * (mp.sin(th) + (mp.pi - th) * C_)
        refs = [(erf, "C", erf_c), (erf, "Dc", 4 / mp.pi / mp.sqrt((1 + 2 * Q) ** 2 - 4 * Q * Q * C_ * C_)),
                (relu, "C", relu_c), (relu, "Dc", (mp.pi - th) / (2 * mp.pi))]
        if c > 0:
            refs += [(erf, "R", (erf_v - erf_c) / (1 - C_)), (relu, "R", (Q / 2 - relu_c) / (1 - C_))]
        for act, kind, want in refs:
            assert _rel(_largeq.two_d(act, kind, c, q), want) <= 1e-11, (act.name, kind, c, q)


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "softplus", "gelu", "hard_tanh", "elu"])
def test_two_d_matches_the_trapezoid_path_at_q_2000(name):
    """At q = 2000 the z-trapezoid (smooth phi) and the closed-inner Gauss-Legendre rule (kinked
    phi) of meanfield.quadrature are still affordable: an independent rule for C, Dc, Delta."""
    act = mf.get_activation(name)
    q = 2000.0
    for c in (-0.9, 0.1, 0.95, 1 - 1e-6):
        if act.smooth:
            refs = {"C": quadrature.expect_pair_smooth(act.phi, c, q),
                    "Dc": quadrature.expect_pair_smooth(act.dphi, c, q),
                    "Delta": quadrature.expect_half_sq_diff_smooth(act.phi, c, q)}
        else:
            inner = kernels._INNER[act.name]
            C = quadrature.expect_pair_inner_closed(act.phi, inner[0], c, q, act.kinks)
            refs = {"C": C, "Dc": quadrature.expect_pair_inner_closed(act.dphi, inner[1], c, q, act.kinks)}
        for kind, want in refs.items():
            got = kernels.two_d(act, kind, c, q)
            assert abs(got - want) <= 1e-11 * abs(want) + 1e-14 * kernels.one_d(act, "V", q), (name, kind, c)


def test_two_d_at_large_q_matches_nested_scipy_quadrature_in_x():
    """tanh at q = 1e8, c = 0.3: C = int tanh(x) E[tanh(c x + s z)] N(x; 0, q) dx, both
    integrals adaptive in the pre-activation, split at 0 and +-40 (s = sqrt(q (1 - c^2)))."""
    act = mf.get_activation("tanh")
    q, c = 1e8, 0.3
    rq, s = math.sqrt(q), math.sqrt(q * (1 - c * c))

    def pieces(f, centre, sd):
        pts = sorted({centre - 10 * sd, centre + 10 * sd} | {p for p in (-40.0, 0.0, 40.0)
                                                             if abs(p - centre) < 10 * sd})
        return sum(integrate.quad(f, a, b, epsabs=1e-15, epsrel=1e-12, limit=200)[0] for a, b in zip(pts[:-1], pts[1:]))

    def inner(x):
        m = c * x
        return pieces(lambda y: math.tanh(y) * math.exp(-0.5 * ((y - m) / s) ** 2) / (s * math.sqrt(2 * math.pi)), m, s)

    want = pieces(lambda x: math.tanh(x) * inner(x) * math.exp(-0.5 * x * x / q) / (rq * math.sqrt(2 * math.pi)), 0.0, rq)
    assert abs(kernels.two_d(act, "C", c, q) - want) <= 1e-10 * abs(want)


def test_an_oscillating_activation_is_refused_by_name():
    """sin varies on its unit scale everywhere: the graded panels cannot resolve it, and the
    error estimate says so (the built-in sin uses its closed forms instead)."""
    gen = _generic("sin")
    with pytest.raises(_largeq.IntegrationError, match="does not resolve"):
        _largeq.one_d(gen, "V", 1e8)
    with pytest.raises(_largeq.IntegrationError, match="does not resolve"):
        _largeq.two_d(gen, "C", 0.4, 1e8)
    assert kernels.one_d(mf.get_activation("sin"), "V", 1e8) == 0.5


# ---- the public functions at large q (issue 19's examples) ---------------------------------
def test_bounded_activations_have_finite_q_star_at_huge_variances():
    """q* <= sigma_w2 sup phi^2 + sigma_b2 for bounded phi; it is a fixed point of the length
    map to rounding, and chi1 there is the chaotic ~ sigma_w2 E[phi'^2] ~ 5e4, not 0."""
    for name, w, b in [("tanh", 1e10, 0.0), ("erf", 1e10, 0.0), ("tanh", 1.0, 1e12), ("sigmoid", 1e9, 1.0)]:
        qs = mf.q_star(name, w, b)
        assert 0 < qs <= w + b, name
        assert mf.length_map(qs, name, w, b) == pytest.approx(qs, rel=1e-13)
    # at large q, E[g(sqrt(q) z)] -> int g / sqrt(2 pi q) for integrable g: int sech^4 = 4/3,
    # int (tanh'')^2 = 16/15 (the corrections are O(1/q))
    assert mf.chi1("tanh", 1e10, 0.0) == pytest.approx(1e10 * (4 / 3) / math.sqrt(2 * math.pi * 1e10), rel=1e-5)
    assert mf.chi2("tanh", 1e10, 0.0) == pytest.approx(1e10 * (16 / 15) / math.sqrt(2 * math.pi * 1e10), rel=1e-5)
    assert mf.length_map(1e300, "tanh", 1.0, 0.0) == pytest.approx(1.0, rel=4e-16)
    assert mf.chi2("tanh", 1.0, 0.0, q=1e300) == pytest.approx((16 / 15) / math.sqrt(2 * math.pi * 1e300), rel=1e-12)


def test_phase_diagram_at_large_sigma_w2_agrees_with_the_pointwise_functions():
    pd = mf.phase_diagram("tanh", np.array([1e5, 1e6]), np.array([1.0]))
    for i, w in enumerate((1e5, 1e6)):
        assert pd.q_star[i, 0] == pytest.approx(mf.q_star("tanh", w, 1.0), rel=1e-12)
        assert pd.chi1[i, 0] > 1 and 0 < pd.c_star[i, 0] < 1e-3
        assert pd.c_star[i, 0] == pytest.approx(mf.c_star("tanh", w, 1.0), rel=1e-9)
        assert np.isfinite(pd.xi_q[i, 0]) and np.isfinite(pd.xi_c[i, 0])


MEMORY_BOUND_MB = 150


def test_no_large_q_call_allocates_more_than_the_stated_bound():
    """The calls of issue 19 that took GBs (or 5.8 TiB) now stay within MEMORY_BOUND_MB of numpy
    allocations (tracemalloc; the compiled kernels allocate only per-panel scratch)."""
    calls = [lambda: mf.length_map(1e14, "tanh", 1.0, 0.0), lambda: mf.length_map(1e12, "softplus", 1.0, 0.0),
             lambda: mf.c_star("tanh", 1e6, 1.0), lambda: mf.depth_scales("tanh", 5e8, 0.0),
             lambda: mf.correlation_map(0.5, "tanh", 1.0, 0.0, q=1e300),
             lambda: mf.phase_diagram("tanh", [1e5, 1e6], [1.0])]
    # compile the kernels first (numba's compiler allocates through numpy too)
    mf.correlation_map(0.5, "tanh", 1.0, 0.0, q=1e4)
    mf.length_map(1e14, "softplus", 1.0, 0.0)
    mf.phase_diagram("tanh", [1.0], [1.0])
    for call in calls:
        tracemalloc.start()
        try:
            call()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak <= MEMORY_BOUND_MB * 2 ** 20, peak / 2 ** 20
