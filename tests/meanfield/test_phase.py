"""phase_diagram (tables + compiled solver) against the pointwise functions.

The pointwise functions are themselves checked against adaptive quadrature and closed forms
(test_kernels, test_maps); here the oracle is them, at every grid point, including points
within 1e-3 of the critical line and the q* = 0 row.
"""
import math

import numpy as np
import pytest

import meanfield as mf


def _grid(name):
    rng = np.random.default_rng(1)
    w = np.sort(rng.uniform(0.5, 25.0, 7))
    b = np.sort(np.r_[0.0, rng.uniform(0.0, 16.0, 4)])
    bc = np.array([0.05, 2.0])
    wc = mf.critical_sigma_w2(name, bc)
    w = np.sort(np.r_[w, wc * (1 + 2e-2), wc * (1 + 2e-3), wc * (1 - 2e-3)])
    return w, np.sort(np.r_[b, bc])


@pytest.mark.parametrize("name", ["tanh", "erf", "hard_tanh"])
def test_fields_match_pointwise(name):
    w, b = _grid(name)
    pd = mf.phase_diagram(name, w, b)
    assert pd.q_star.shape == (w.size, b.size)
    for i, wi in enumerate(w):
        for j, bj in enumerate(b):
            chi = mf.chi1(name, wi, bj)
            xi_q, xi_c = mf.depth_scales(name, wi, bj)
            ref = {"q_star": mf.q_star(name, wi, bj), "chi1": chi, "c_star": mf.c_star(name, wi, bj),
                   "xi_q": xi_q, "xi_c": xi_c}
            for f, r in ref.items():
                v = getattr(pd, f)[i, j]
                tol = 1e-9
                if f == "xi_c":  # the tolerances near the critical line
                    tol = 1e-7 if abs(chi - 1) > 1e-2 else 1e-5
                if f == "c_star":
                    assert abs(v - r) <= 1e-9 * max(abs(r), 1e-3), (f, wi, bj, v, r)
                elif math.isinf(r):
                    assert v == r
                else:
                    assert abs(v - r) <= tol * abs(r), (f, wi, bj, v, r)


def test_relu_grid_reports_divergence():
    pd = mf.phase_diagram("relu", np.array([1.0, 2.5]), np.array([0.0, 0.5]))
    assert pd.q_star[0, 1] == pytest.approx(1.0)
    assert np.all(np.isinf(pd.q_star[1]))
    assert np.all(np.isnan(pd.c_star[1]))
    np.testing.assert_allclose(pd.chi1[:, 0], [0.5, 1.25])


@pytest.mark.parametrize("name", ["softplus", "swish"])
def test_tabulated_grid_reports_divergence_without_direct_quadrature(name):
    # oracle: the pointwise q_star (inf once sigma_w2 lim E[phi'^2] > 1, here 1/2 of sigma_w2)
    # and chi1 = sigma_w2 / 2 in the q -> inf limit; the compiled solver decides these itself
    w, b = np.array([1.5, 2.5, 9.0]), np.array([0.0, 0.5, 4.0])
    pd = mf.phase_diagram(name, w, b)
    assert pd.n_fallback == 0
    n_inf = 0
    for i, wi in enumerate(w):
        for j, bj in enumerate(b):
            ref = mf.q_star(name, wi, bj)
            assert ref == pytest.approx(pd.q_star[i, j], rel=1e-9)
            if math.isinf(ref):
                n_inf += 1
                assert pd.chi1[i, j] == pytest.approx(wi / 2, rel=1e-12)
                assert all(math.isnan(getattr(pd, f)[i, j]) for f in ("c_star", "xi_q", "xi_c"))
    assert n_inf >= 5   # (swish at sigma_w2 = 2.5, sigma_b2 = 0 collapses to q* = 0 instead)


def test_bad_grids():
    with pytest.raises(ValueError, match="1-D"):
        mf.phase_diagram("tanh", np.ones((2, 2)), np.ones(2))
    with pytest.raises(ValueError, match="sigma_b2"):
        mf.phase_diagram("tanh", np.ones(2), np.array([-0.1]))
    with pytest.raises(ValueError, match="finite"):
        mf.phase_diagram("tanh", np.array([np.inf]), np.ones(2))


def test_plot_returns_axes():
    import matplotlib

    matplotlib.use("Agg")
    pd = mf.phase_diagram("tanh", np.linspace(1, 9, 12), np.linspace(0, 1, 10))
    ax = pd.plot("c_star", stds=True)
    assert ax.get_xlabel() == r"$\sigma_b$"
    with pytest.raises(ValueError, match="field"):
        pd.plot("nope")


def test_near_table_panels_and_mehler_region_match_pointwise():
    """Oracle: the pointwise c_star / depth_scales (bracketing on the quadrature kernels, no
    tables). The tanh grid is chosen so that b* = sqrt(q* (1 - c*)/2) falls in each Chebyshev
    panel of the near-c=1 table and beyond it (short Mehler sums); every panel of the tanh table
    is certified, so these points take the fast path."""
    from meanfield.tables import get_tables, near_bmax

    t = get_tables(mf.get_activation("tanh"))
    assert np.all(t.near_err <= 1e-10)
    w = np.array([1.2, 1.8, 3.0, 6.0, 12.0, 24.0])
    b = np.array([0.0, 0.01, 0.3, 2.0, 9.0])
    pd = mf.phase_diagram("tanh", w, b)
    frac = np.sqrt(pd.q_star * (1.0 - pd.c_star) / 2.0) / near_bmax(pd.q_star)
    seen = np.digitize(frac[pd.chi1 > 1.0], t.near_breaks[1:-1].tolist() + [1.0 + 1e-12])
    assert set(seen.tolist()) >= {0, 1, 2}   # both panels and the Mehler side
    for i, wi in enumerate(w):
        for j, bj in enumerate(b):
            c_ref = mf.c_star("tanh", wi, bj)
            assert abs(pd.c_star[i, j] - c_ref) <= 1e-9 * max(c_ref, 1e-3), (wi, bj)
            xi_c = mf.depth_scales("tanh", wi, bj)[1]
            assert abs(pd.xi_c[i, j] - xi_c) <= 1e-7 * xi_c, (wi, bj)


@pytest.mark.parametrize("name", ["hard_tanh", "elu"])
def test_kinked_near_critical_band_takes_the_fast_path(name):
    """Kinked phi just on the chaotic side (chi1 - 1 from ~1e-4 to ~3e-2, c* within ~1e-7 to
    1e-2 of 1): every point is solved from the near-c=1 table (no direct quadrature) and c*,
    xi_c agree with the pointwise bracketing solver (the oracle, tested in test_maps). (elu's
    q* diverges for sigma_w2 > 2, so its offsets stay small.)"""
    from meanfield.tables import get_tables

    assert np.all(get_tables(mf.get_activation(name)).near_err[:, 0] <= 1e-10)
    for bj in (0.05, 1.0):
        wc = mf.critical_sigma_w2(name, bj)
        w = wc * (1.0 + np.array([1e-4, 3e-3, 3e-2]))
        pd = mf.phase_diagram(name, w, np.array([bj]))
        assert pd.n_fallback == 0
        for i, wi in enumerate(w):
            c_ref = mf.c_star(name, wi, bj)
            assert abs(pd.c_star[i, 0] - c_ref) <= 1e-9 * c_ref, (wi, bj, pd.c_star[i, 0], c_ref)
            chi = pd.chi1[i, 0]
            if abs(chi - 1.0) > 1e-3:   # the tolerances for xi_c
                xi_c = mf.depth_scales(name, wi, bj)[1]
                tol = 1e-7 if abs(chi - 1.0) > 1e-2 else 1e-5
                assert abs(pd.xi_c[i, 0] - xi_c) <= tol * xi_c, (wi, bj, chi)


def _elu_gap_closed_form(q, sigma_b2):
    """q' - q at sigma_w2 = 2 for elu (alpha = 1), in closed form: with h ~ N(0, q),
    E[phi^2] = q/2 + E[(e^h - 1)^2; h < 0] and E[e^{a h}; h < 0] = e^{a^2 q / 2} Phi(-a sqrt q)."""
    from scipy.special import log_ndtr

    def m(a):
        return math.exp(a * a * q / 2 + log_ndtr(-a * math.sqrt(q)))

    return 2.0 * (m(2.0) - 2.0 * m(1.0) + 0.5) + sigma_b2


@pytest.mark.parametrize("name", ["elu", "softplus"])
def test_marginal_sigma_w2_two_is_decided_divergent_in_the_table(name):
    """At sigma_w2 = 2 exactly, sigma_w2 lim E[phi'^2] = 1 for elu and softplus: the slope of
    the length map tends to 1 and the grid row used to go to direct quadrature, doubling q out
    to 1e9 (~5 s a point; 318 s for a 64 x 64 elu diagram). Oracles that the map diverges
    (q' - q > 0 for every q, so no fixed point above q0 = 1): for elu the closed form
    q' - q = 2 E[(e^h - 1)^2; h < 0] + sigma_b2 > 0 (checked here from q = 1e-2 to 1e8); for
    softplus, softplus(h) > max(h, 0) gives E[phi^2] > q / 2, so q' - q > sigma_b2 >= 0.
    chi1 is then sigma_w2 / 2 = 1. The b = 0 softplus point is left to the pointwise solver
    (its gap falls to 0 like 1/sqrt(q), which the table cannot tell from a root beyond it)."""
    b = np.array([0.0, 0.05, 0.5, 4.0]) if name == "elu" else np.array([0.05, 0.5, 4.0])
    if name == "elu":
        for bj in b:
            assert all(_elu_gap_closed_form(q, bj) > 0 for q in np.logspace(-2, 8, 41))
    pd = mf.phase_diagram(name, np.array([1.5, 2.0, 2.5]), b)
    assert pd.n_fallback == 0
    assert np.all(np.isinf(pd.q_star[1:])) and np.all(np.isfinite(pd.q_star[0]))
    np.testing.assert_allclose(pd.chi1[1], 1.0, rtol=1e-12)
    assert mf.q_star(name, 2.0, 0.5) == math.inf


def test_marginal_rule_keeps_finite_roots_of_a_rising_gap():
    """gelu at sigma_w2 = 2 also has slope -> 1, with a gap ~ sigma_b2 - c / sqrt(q) that
    rises to sigma_b2 at large q. At sigma_b2 = 0.05 the gap is negative at q0 = 1, so q* is
    the finite root below q0; at sigma_b2 = 0.5 it is positive at every q: divergent.
    Oracles: brentq on sigma_w2 V(q) + sigma_b2 - q with V by adaptive quadrature
    (scipy.integrate.quad), and the sign of that gap from q = 1e-3 to 1e6."""
    from scipy.integrate import quad
    from scipy.optimize import brentq
    from scipy.stats import norm

    act = mf.get_activation("gelu")

    def gap(q, b):
        s = math.sqrt(q)
        f = lambda z: act.phi(s * z) ** 2 * norm.pdf(z)  # noqa: E731
        return 2.0 * (quad(f, -40, 0, epsabs=0, epsrel=1e-13, limit=400)[0]
                      + quad(f, 0, 40, epsabs=0, epsrel=1e-13, limit=400)[0]) + b - q

    pd = mf.phase_diagram("gelu", np.array([2.0]), np.array([0.05, 0.5]))
    assert pd.n_fallback == 0
    ref = brentq(gap, 1e-3, 1.0, args=(0.05,), xtol=1e-14, rtol=1e-13)
    assert pd.q_star[0, 0] == pytest.approx(ref, rel=1e-8)
    assert all(gap(q, 0.5) > 0 for q in np.logspace(-3, 6, 19))
    assert pd.q_star[0, 1] == math.inf
