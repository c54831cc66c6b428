"""Raghu et al. (2017) random-network figures plot their cells with the documented seeds.

Oracles: direct calls of the cell functions with seed + i for curve i, and a mean over seeds
for the dichotomies, compared exactly with what is plotted.
"""
import matplotlib
import numpy as np
import pytest

from expressivity.papers import raghu2017_expressive as R

matplotlib.use("Agg")


@pytest.fixture
def plt():
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_trajectory_curves_use_seed_plus_curve_index(plt):
    """Oracle: trajectory_lengths called directly with seed + i for curve i."""
    fig = R.fig_trajectory_length(widths=(6, 9), sigma_w2s=(2.0, 8.0), fixed_width=7, depth=2,
                                  n_points=40, seed=3, executor="inprocess")
    ax0, ax1 = fig.axes[:2]
    configs = [(6, 4.0, ax0, 0), (9, 4.0, ax0, 1), (7, 2.0, ax1, 0), (7, 8.0, ax1, 1)]
    for i, (k, sw2, ax, j) in enumerate(configs):
        want = R.trajectory_lengths("hard_tanh", sw2, 0.0, k, 2, 40, 3 + i)
        curves = [line for line in ax.lines if line.get_marker() == "o"]
        np.testing.assert_array_equal(curves[j].get_ydata(), want)



def test_transitions_points_are_the_cells_of_seed_plus_index(plt):
    """Oracle: transitions_and_lengths called directly with seed + i for network i."""
    fig = R.fig_transitions_vs_length(sigma_w2s=(4.0, 16.0), width=6, depth=2, seed=1, executor="inprocess")
    points = [line for line in fig.axes[0].lines if line.get_linestyle() == "None"]
    for i, sw2 in enumerate((4.0, 16.0)):
        want = R.transitions_and_lengths(sw2, 1 + i, width=6, depth=2)
        np.testing.assert_array_equal(points[i].get_xdata(), want["length"])
        np.testing.assert_array_equal(points[i].get_ydata(), want["transitions"])



def test_dichotomy_curves_are_seed_means_against_remaining_depth(plt):
    """Oracle: a direct loop of dichotomy_count over seeds, layer = depth + 1 - remaining."""
    depth, seeds = 2, (0, 1)
    fig = R.fig_dichotomies(widths=(4, 5), depth=depth, n_inputs=4, seeds=seeds, executor="inprocess")
    for a, k in enumerate((4, 5)):
        want = [np.mean([R.dichotomy_count(k, depth, depth + 1 - rem, 4, 8.0, 0.0, s) for s in seeds])
                for rem in range(depth + 1)]
        np.testing.assert_array_equal(fig.axes[0].lines[a].get_ydata(), want)
