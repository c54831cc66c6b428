"""The figures' ensembles, split into sweep cells, give the numbers of one sequential run.

Oracles: the pre-sweep algorithms written out sequentially with one generator (Poole Fig. 5),
and direct calls of the cell functions with the seeds the figures document (seed + i for
curve i, a mean over seeds for the dichotomies), compared exactly with what is plotted."""
import matplotlib
import numpy as np
import pytest

from expressivity import figures_poole as P
from expressivity import figures_raghu as R
from expressivity.curves import great_circle
from expressivity.networks import as_generator, random_network
from expressivity.propagate import circle_q

matplotlib.use("Agg")


@pytest.fixture
def plt():
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def test_fig5_cells_equal_one_sequential_run():
    """Oracle: the original single-generator algorithm (circle, deep net, then the shallow
    nets in order from the same generator); every cell must reproduce its part exactly."""
    sw2, sb2, d_in, n, depths, width, shallow, freqs, seed = 16.0, 0.09, 8, 60, (1, 3), 12, (5, 9, 7), (1.0, 3.0), 4
    rng = as_generator(seed)
    qs = circle_q("tanh", sw2, sb2)
    theta = np.pi * np.arange(n) / n
    u0, u1 = great_circle(d_in, 4, 1.0, seed=rng).x[:2] / np.sqrt(d_in)
    r = np.sqrt(d_in * max(qs - sb2, 1e-12) / sw2)
    X = r * (np.cos(theta)[:, None] * u0 + np.sin(theta)[:, None] * u1)
    Y = np.cos(theta[:, None] * np.asarray(freqs)[None, :])
    deep = random_network(d_in, [width] * max(depths), None, "tanh", sw2, sb2, seed=rng)
    z, want_deep = X, []
    for d, (W, b) in enumerate(zip(deep.weights, deep.biases), 1):
        z = np.tanh(z @ W.T + b)
        if d in depths:
            want_deep.append(P._readout_error(z, Y))
    want_shallow = [P._readout_error(random_network(d_in, [k], None, "tanh", sw2, sb2, seed=rng)
                                     .forward(X, post_activation=True)[0], Y) for k in shallow]

    fixed = dict(sigma_w2=sw2, sigma_b2=sb2, input_dim=d_in, n_points=n, depths=depths, width=width,
                 frequencies=freqs)
    np.testing.assert_array_equal(P.fig5_deep_cell(seed, **fixed)["error"], np.array(want_deep))
    for k, want in zip(shallow[::-1], want_shallow[::-1]):  # any order: cells are independent
        got = P.fig5_shallow_cell(k, seed, shallow_widths=shallow, **fixed)["error"]
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="shallow_width"):
        P.fig5_shallow_cell(4, seed, shallow_widths=shallow, **fixed)


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


def test_fig4_dots_are_the_seed_means_of_compare(plt):
    """Oracle: compare.circle_theory_vs_simulation (the pre-sweep path: one propagate_circle
    per seed, averaged) for each sigma_w; theory lines are its Eq. 8 curves."""
    from expressivity import compare

    sigma_ws, seeds = (1.3, 4.0), (0, 2)
    fig = P.fig4_curve_geometry(sigma_ws=sigma_ws, width=20, depth=3, n_points=24, seeds=seeds,
                                executor="inprocess")
    for i, sw in enumerate(sigma_ws):
        r = compare.circle_theory_vs_simulation("tanh", sw ** 2, 0.3 ** 2, 20, 3, 24, seeds)
        for ax, field, f in ((fig.axes[0], "gbar", np.asarray), (fig.axes[1], "kappa_bar2", np.sqrt),
                             (fig.axes[2], "grassmannian_length", np.asarray)):
            theory_line, dots = ax.lines[2 * i], ax.lines[2 * i + 1]
            np.testing.assert_array_equal(dots.get_ydata(), f(getattr(r.simulation, field)))
            np.testing.assert_array_equal(theory_line.get_ydata(), f(getattr(r.theory, field)))
