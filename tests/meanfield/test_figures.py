"""meanfield.figures: the figures render in quick mode, and the numbers they draw are right.

Oracles: erf has closed forms (Williams 1997): V(q) = (2/pi) asin(2q/(1+2q)),
C(c, q) = (2/pi) asin(2qc/(1+2q)), D(q) = (4/pi)(1+4q)^-1/2, so the length map, the
correlation map, q*, chi1 and the ordered/chaotic slopes of the c-map are iterated or solved
here in plain Python (scipy brentq) without meanfield. For tanh the length map is iterated
with V from scipy adaptive quadrature (conftest ``oracle.gauss1``) and q* is Poole's
published value refined by the same quadrature.
"""
import math

import numpy as np
import pytest
from scipy import optimize

from expressivity.figure_jobs import meanfield as jobs
from meanfield import figures as F

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


# ---- erf closed forms (independent of meanfield) ----------------------------------------
def erf_V(q):
    return (2 / math.pi) * math.asin(2 * q / (1 + 2 * q))


def erf_C(c, q):
    return (2 / math.pi) * math.asin(2 * q * c / (1 + 2 * q))


def erf_qstar(w, b):
    return optimize.brentq(lambda q: w * erf_V(q) + b - q, 1e-12, 1e3, xtol=1e-15, rtol=1e-15)


def erf_chi1(w, b):
    return w * (4 / math.pi) / math.sqrt(1 + 4 * erf_qstar(w, b))


def erf_xi_c(w, b):
    """-1/log of the c-map slope at c*: c* by brentq on the closed-form map (chaotic) or 1."""
    q = erf_qstar(w, b)
    cmap = lambda c: (w * erf_C(c, q) + b) / q
    if erf_chi1(w, b) <= 1:
        cs = 1.0
    else:
        cs = optimize.brentq(lambda c: cmap(c) - c, -0.999999, 1 - 1e-9, xtol=1e-15)
    x = 2 * q / (1 + 2 * q)
    slope = w * (2 / math.pi) * x / math.sqrt(1 - (x * cs) ** 2) / q
    return -1 / math.log(slope)


# ---- rendering ---------------------------------------------------------------------------
# axes per figure: panels + one colorbar per heat map
EXPECTED_AXES = {"poole2016_fig1_length_map": 6, "poole2016_fig2_correlation_map": 6,
                 "schoenholz2017_depth_scales": 3, "schoenholz2017_gradients": 2,
                 "schoenholz2017_trainable_depth": 2, "phase_diagrams_activations": 8}


@pytest.mark.parametrize("job", jobs.JOBS, ids=lambda j: j.name)
def test_quick_figure_renders(job):
    """Oracle: a Figure with the panel + colorbar count of the layout, finite axis limits."""
    fig = job.function()(**job.kwargs(quick=True))
    try:
        assert isinstance(fig, matplotlib.figure.Figure)
        assert len(fig.axes) == EXPECTED_AXES[job.name]
        assert all(np.isfinite(ax.get_ylim()).all() for ax in fig.axes)
    finally:
        plt.close(fig)


def test_every_meanfield_job_has_an_axes_count():
    assert {j.name for j in jobs.JOBS} == set(EXPECTED_AXES)


# ---- the numbers -------------------------------------------------------------------------
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


def test_trainable_depth_line_in_figure():
    """Oracle: the dashed line drawn over the depth x sigma_w2 plane is 6 xi_c of the erf
    closed forms at the plotted sigma_w2 (checked where it lies inside the plotted depths)."""
    fig = F.schoenholz_trainable_depth("erf", sigma_b2=0.05, w_range=(0.5, 4.0), n_w=9, n_depth=5)
    try:
        line = fig.axes[0].lines[0]
        x, y = line.get_xdata(), line.get_ydata()
        want = [6 * erf_xi_c(w, 0.05) for w in x]
        np.testing.assert_allclose(y, want, rtol=1e-7)
    finally:
        plt.close(fig)


def test_xi_c_peaks_at_the_critical_line():
    """Oracle: the erf critical point in closed form (chi1 = 1 at sigma_b2 = 0.05 solved by
    brentq on w D(q*(w)) = 1); xi_c drawn in panel (a) peaks within a grid step of it."""
    wc = optimize.brentq(lambda w: erf_chi1(w, 0.05) - 1, 0.5, 3.0, xtol=1e-14)
    fig = F.schoenholz_depth_scales("erf", w_range=(0.5, 2.0), n_w=64, depth=5, decay_sigma_w2=(2.0,))
    try:
        xc_line = fig.axes[0].lines[1]
        x, y = xc_line.get_xdata(), xc_line.get_ydata()
        assert abs(x[np.nanargmax(y)] - wc) <= x[1] - x[0]
        assert abs(fig.axes[0].lines[2].get_xdata()[0] - wc) < 1e-9  # the critical marker
    finally:
        plt.close(fig)


def test_gradient_factor_erf():
    """Oracle: chi1^(L-l) with chi1 = sigma_w2 (4/pi)(1+4q*)^-1/2 (erf closed form)."""
    ws = np.array([1.0, 2.0, 4.0])
    got = F.gradient_factor("erf", ws, 0.05, 7)
    chi = np.array([erf_chi1(w, 0.05) for w in ws])
    want = chi[None, :] ** (7 - np.arange(1, 8))[:, None]
    np.testing.assert_allclose(got, want, rtol=1e-10)
    assert np.all(got[-1] == 1.0)


def test_grid_diagram_pointwise_erf():
    """Oracle: q* and chi1 of the erf closed forms on a small grid (pointwise path)."""
    w = np.array([0.5, 2.0, 4.0])
    b = np.array([0.05, 1.0])
    pd = F.grid_diagram("erf", w, b, pointwise=True)
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


def test_w_max_stops_below_the_divergence():
    """Oracle: ReLU's closed form q* = 2 sigma_b2 / (2 - sigma_w2), finite below sigma_w2 = 2
    only; bounded activations are never cut."""
    wm = F._w_max("relu")
    assert wm == pytest.approx(0.975 * 2.0, rel=1e-12)
    assert F.q_star("relu", wm, 0.5) == pytest.approx(2 * 0.5 / (2 - wm), rel=1e-12)
    assert math.isinf(F._w_max("tanh")) and math.isinf(F._w_max("sin"))
