"""Poole et al. (2016) figures: their ensembles, split into sweep cells, give the numbers of one
sequential run.

Oracles: the pre-sweep algorithm written out sequentially with one generator (Fig. 5), and
compare.circle_theory_vs_simulation (one propagate_circle per seed, averaged) for Fig. 4.
"""
import matplotlib
import numpy as np
import pytest

from expressivity.curves import great_circle
from expressivity.networks import as_generator, random_network
from expressivity.papers import poole2016_chaos as P
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
