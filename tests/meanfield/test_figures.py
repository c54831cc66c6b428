"""meanfield.figures: the library's phase-diagram figures.

Oracles: ReLU's closed form q* = 2 sigma_b2 / (2 - sigma_w2) (finite below sigma_w2 = 2
only) for where the multi-activation figure stops and where a diagram marks divergence.
"""
import math

import numpy as np
import pytest

import meanfield as mf
from meanfield import figures as F

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def test_w_max_stops_below_the_divergence():
    """Oracle: ReLU's closed form q* = 2 sigma_b2 / (2 - sigma_w2), finite below sigma_w2 = 2
    only; bounded activations are never cut."""
    wm = F._w_max("relu")
    assert wm == pytest.approx(0.975 * 2.0, rel=1e-12)
    assert mf.q_star("relu", wm, 0.5) == pytest.approx(2 * 0.5 / (2 - wm), rel=1e-12)
    assert math.isinf(F._w_max("tanh")) and math.isinf(F._w_max("sin"))


def test_diverging_q_star_is_marked_on_the_plot():
    """Oracle: ReLU's closed form, q* = inf exactly for sigma_w2 > 2; those cells are hatched
    and the legend names them (a plain white area would read as missing data)."""
    pd = mf.phase_diagram("relu", np.linspace(1.0, 3.0, 9), np.linspace(0.0, 1.0, 5))
    assert np.isinf(pd.q_star[pd.sigma_w2 > 2]).all() and np.isfinite(pd.q_star[pd.sigma_w2 < 2]).all()
    ax = pd.plot("chi1")
    try:
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == ["$q^*$ diverges"]
    finally:
        plt.close(ax.figure)
    ax = mf.phase_diagram("tanh", np.linspace(1.0, 3.0, 5), np.linspace(0.0, 1.0, 4)).plot("chi1")
    try:
        assert ax.get_legend() is None
    finally:
        plt.close(ax.figure)
