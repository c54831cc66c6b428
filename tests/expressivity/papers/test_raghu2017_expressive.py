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


# ---- trained networks -------------------------------------------------------------------------
_TINY = dict(width=6, depth=3, executor="inprocess")


def test_single_layer_figure_plots_seed_means_of_the_cells(plt):
    """Oracle: single_layer_cell called directly for each (layer, seed); the plotted test
    accuracy is their mean over seeds."""
    from expressivity.trained.single_layer import single_layer_cell

    fig = R.fig_trained_single_layer(seeds=(0, 1), steps=3, **_TINY)
    test_line = [c for c in fig.axes[1].containers][1].lines[0]
    kw = dict(R.TRAINED, width=6, depth=3, steps=3)
    kw.pop("depth")
    want = [np.mean([single_layer_cell(l, s, depth=3, **kw)["test_accuracy"] for s in (0, 1)]) for l in (1, 2)]
    np.testing.assert_allclose(test_line.get_ydata(), want, rtol=1e-15)


def test_noise_figure_curves_are_seed_means(plt):
    """Oracle: noise_cell called directly; one curve per layer = mean over seeds."""
    from expressivity.trained.noise import noise_cell

    fig = R.fig_trained_noise(seeds=(0, 1), steps=3, draws=1, scales=(0.0, 0.5), **_TINY)
    kw = dict(R.TRAINED, width=6, depth=3, steps=3)
    cells = [noise_cell(s, layers=[0, 1, 2, 3], scales=[0.0, 0.5], draws=1, **kw)["accuracy"] for s in (0, 1)]
    mean = np.mean(cells, axis=0)
    for i, line in enumerate(fig.axes[0].lines):
        np.testing.assert_allclose(line.get_ydata(), mean[i], rtol=1e-15)


def test_trajectory_figure_is_the_geometric_mean_of_the_runs(plt):
    """Oracle: lengths_during_training called directly; the first panel's curves are the
    geometric means over seeds of the recorded lengths."""
    from expressivity.trained.length_dynamics import lengths_during_training

    fig = R.fig_trained_trajectory(sigma_w2s=(16.0,), seeds=(0, 1), steps=4, record_every=2, n_points=40,
                                   **_TINY)
    kw = dict(R.TRAJECTORY, width=6, depth=3)
    runs = [lengths_during_training(sigma_w2=16.0, steps=4, record_every=2, n_points=40, seed=s, **kw)["length"]
            for s in (0, 1)]
    G = np.exp(np.log(np.array(runs)).mean(axis=0))
    ys = [line.get_ydata() for line in fig.axes[0].lines]
    np.testing.assert_allclose(ys, G, rtol=1e-12)


def test_regularization_bars_are_seed_means(plt):
    """Oracle: accuracy_cell called directly with norm None / batch_norm / trajectory."""
    from expressivity.trained.classifier import accuracy_cell

    fig = R.fig_trained_regularization(seeds=(0, 1), steps=3, **_TINY)
    kw = dict(R.REGULARIZATION, width=6, depth=3, steps=3)
    bars = [p.get_height() for p in fig.axes[1].patches]
    for i, norm in enumerate((None, "batch_norm", "trajectory")):
        want = np.mean([accuracy_cell(s, norm=norm, **kw)["test_accuracy"] for s in (0, 1)])
        assert bars[i] == pytest.approx(want, rel=1e-15)
