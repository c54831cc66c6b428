"""Schoenholz et al. (2017) figures draw the theory's numbers.

Oracles: the erf closed forms (tests/oracles.py): 6 xi_c and the critical sigma_w2.
"""
import numpy as np
import pytest
from scipy import optimize

from expressivity.papers import schoenholz2017_propagation as P
from tests.oracles import erf_chi1, erf_xi_c

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def test_trainable_depth_line_in_figure():
    """Oracle: the dashed line drawn over the depth x sigma_w2 plane is 6 xi_c of the erf
    closed forms at the plotted sigma_w2 (checked where it lies inside the plotted depths)."""
    fig = P.fig_trainable_depth("erf", sigma_b2=0.05, w_range=(0.5, 4.0), n_w=9, n_depth=5)
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
    fig = P.fig_depth_scales("erf", w_range=(0.5, 2.0), n_w=64, depth=5, decay_sigma_w2=(2.0,))
    try:
        xc_line = fig.axes[0].lines[1]
        x, y = xc_line.get_xdata(), xc_line.get_ydata()
        assert abs(x[np.nanargmax(y)] - wc) <= x[1] - x[0]
        assert abs(fig.axes[0].lines[2].get_xdata()[0] - wc) < 1e-9  # the critical marker
    finally:
        plt.close(fig)


def test_trainability_heat_map_and_agreement_are_the_cells():
    """Oracle: trainability_cell called directly for every (depth, sigma_w2); the heat map
    holds their test accuracies and the title's agreement is the hand count against 6 xi_c."""
    from expressivity.trained.trainability import theory_depth, trainability_cell

    depths, ws = (2, 40), (1.0, 1.76)
    fig = P.fig_trainability(depths=depths, sigma_w2s=ws, width=6, steps=3, threshold=0.11, n_line=5,
                             executor="inprocess")
    try:
        acc = np.array([[trainability_cell(d, w, 0, activation="tanh", sigma_b2=0.05, width=6, steps=3,
                                           optimizer="sgd", lr=1e-3, batch_size=16, lr_decay=0.3)["test_accuracy"]
                         for w in ws] for d in depths])
        np.testing.assert_array_equal(fig.axes[0].collections[0].get_array().reshape(2, 2), acc)
        line = [l for l in fig.axes[0].lines if l.get_linestyle() == "--"][0]
        np.testing.assert_allclose(line.get_ydata(), theory_depth(line.get_xdata()), rtol=1e-12)
        pred = np.array(depths)[:, None] < theory_depth(np.array(ws))[None, :]
        frac = np.mean((acc >= 0.11) == pred)
        assert f"in {100 * frac:.0f} % of cells" in fig.axes[0].get_title()
    finally:
        plt.close(fig)


def test_trainability_curves_figure_holds_the_runs():
    """Oracle: accuracy_cell called directly; the dots are each seed's test accuracy."""
    from expressivity.trained.classifier import accuracy_cell

    fig = P.fig_trainability_curves(sigma_w2s=(1.0, 3.0), depth=2, seeds=(0, 1), steps=3, width=6,
                                    executor="inprocess")
    try:
        dots = [l for l in fig.axes[1].lines if l.get_marker() == "o"]
        kw = dict(P.TRAINABILITY, steps=3, width=6, depth=2)
        for i, w in enumerate((1.0, 3.0)):
            want = [accuracy_cell(s, **dict(kw, sigma_w2=w))["test_accuracy"] for s in (0, 1)]
            np.testing.assert_array_equal(dots[i].get_ydata(), want)
    finally:
        plt.close(fig)
