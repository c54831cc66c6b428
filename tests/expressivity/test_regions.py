"""Exact region walking.

Oracles: dense sampling of the activation pattern (a lower bound that must converge to the
exact counts), forward-mode lengths on ever finer grids (must converge to the exact piecewise
sum), the polyline through the walked vertices (Grassmannian length = sum of turning angles),
and brute-force sampling of the weight sweep for dichotomies.
"""
import numpy as np
import pytest

from expressivity import curves, networks, propagate, regions


def _line_points(x0, x1, n):
    t = np.linspace(0, 1, n)[:, None]
    return x0 + t * (x1 - x0)


@pytest.mark.parametrize("act", ["relu", "hard_tanh"])
def test_walk_matches_dense_sampling_in_the_limit(act):
    net = networks.random_network(8, [25, 25, 25, 1], activation=act, sigma_w2=4.0, sigma_b2=0.1,
                                  seed=2)
    rng = np.random.default_rng(1)
    x0, x1 = 2 * rng.standard_normal(8), 2 * rng.standard_normal(8)
    w = regions.walk_line(net, x0, x1)
    errs = []
    for n in (10, 100, 40_000):
        per_layer, n_pat, sign = regions.sampled_counts(net, _line_points(x0, x1, n))
        assert np.all(per_layer <= w.transitions) and n_pat <= w.n_patterns
        errs.append(int(np.sum(w.transitions - per_layer)) + w.n_patterns - n_pat)
    assert errs[0] > 0 and errs[-1] == 0, errs  # converges from below, and exactly
    per_layer, n_pat, sign = regions.sampled_counts(net, _line_points(x0, x1, 40_000))
    assert n_pat == w.n_patterns and sign == len(w.output_sign_changes)
    assert len(w.event_s) == w.transitions.sum() and np.all(np.diff(w.event_s) >= 0)


def test_arc_walk_matches_dense_sampling():
    net = networks.random_network(6, [20, 20, 1], activation="hard_tanh", sigma_w2=6.0,
                                  sigma_b2=0.05, seed=5)
    rng = np.random.default_rng(4)
    x0, x1 = 3 * rng.standard_normal(6), 3 * rng.standard_normal(6)
    w = regions.walk_arc(net, x0, x1)
    t = np.linspace(0, 1, 60_000)[:, None]
    X = np.cos(np.pi * t / 2) * x0 + np.sin(np.pi * t / 2) * x1
    per_layer, n_pat, sign = regions.sampled_counts(net, X)
    np.testing.assert_array_equal(per_layer, w.transitions)
    assert n_pat == w.n_patterns and sign == len(w.output_sign_changes)
    assert w.transitions.sum() > 20


@pytest.mark.parametrize("post", [False, True])
def test_forward_mode_length_converges_to_exact_piecewise_sum(post):
    """Forward-mode (trapezoid of ||v||) lengths converge to the walker's exact sums."""
    net = networks.random_network(10, [30, 30, 30], activation="hard_tanh", sigma_w2=8.0,
                                  sigma_b2=0.0, seed=3)
    rng = np.random.default_rng(2)
    x0, x1 = 2 * rng.standard_normal(10), 2 * rng.standard_normal(10)
    exact = regions.walk_arc(net, x0, x1, post_activation=post).euclidean_length
    errs = []
    for n in (200, 2000, 20000):
        fm = propagate.propagate_curve(net, curves.arc(x0, x1, n), post_activation=post)
        errs.append(np.max(np.abs(fm.euclidean_length[1:] * np.sqrt(30) / exact - 1)))
    assert errs[2] < errs[0] and errs[2] < 1e-3, errs
    line = regions.walk_line(net, x0, x1, post_activation=post).euclidean_length
    fm = propagate.propagate_curve(net, curves.line(x0, x1, 20000), post_activation=post)
    np.testing.assert_allclose(fm.euclidean_length[1:] * np.sqrt(30), line, rtol=1e-3)


@pytest.mark.parametrize("post", [False, True])
def test_grassmannian_length_is_the_polyline_turning(post):
    """Along a line every layer's image is a polyline with vertices at the events; its total
    turning (sum of arccos between successive edge directions) is the Grassmannian length."""
    net = networks.random_network(5, [12, 12, 12], activation="relu", sigma_w2=2.5, sigma_b2=0.1,
                                  seed=8)
    rng = np.random.default_rng(3)
    x0, x1 = rng.standard_normal(5), rng.standard_normal(5)
    w = regions.walk_line(net, x0, x1, post_activation=post)
    s = np.concatenate([[0.0], w.event_s, [1.0]])
    mids = 0.5 * (s[1:] + s[:-1])
    eps = 1e-7
    for layer in range(3):
        a = net.forward(_line_points(x0, x1, 2)[:1] + (mids - eps)[:, None] * (x1 - x0),
                        post_activation=post)[layer]
        b = net.forward(_line_points(x0, x1, 2)[:1] + (mids + eps)[:, None] * (x1 - x0),
                        post_activation=post)[layer]
        d = b - a
        norms = np.linalg.norm(d, axis=1)
        d, norms_ok = d[norms > 0], norms[norms > 0]
        T = d / norms_ok[:, None]
        cos = np.clip(np.sum(T[1:] * T[:-1], 1), -1, 1)
        assert w.grassmannian_length[layer] == pytest.approx(np.sum(np.arccos(cos)), abs=1e-5)
    assert w.grassmannian_length[0] == (0.0 if not post else w.grassmannian_length[0])


def test_dichotomies_match_brute_force_sweep():
    # sigma_b2 > 0: with zero biases a tiny ReLU net's output can sit at exactly 0 on an
    # interval (all top units off), where "the sign" is not defined
    net = networks.random_network(4, [10, 10, 1], activation="relu", sigma_w2=8.0, sigma_b2=0.1,
                                  seed=1)
    X = np.random.default_rng(0).standard_normal((6, 4))
    for layer in (1, 2, 3):
        count, times, masks = regions.dichotomies(net, layer, X, seed=9, return_times=True)
        rng = np.random.default_rng(9)
        W = net.weights[layer - 1]
        W2 = rng.standard_normal(W.shape) * np.sqrt(8.0 / W.shape[1])
        seen = set()
        for t in np.linspace(0, 2 * np.pi, 20_000, endpoint=False):
            Ws = list(net.weights)
            Ws[layer - 1] = W * np.cos(t) + W2 * np.sin(t)
            z = X
            for j, (Wj, bj) in enumerate(zip(Ws, net.biases)):
                h = z @ Wj.T + bj
                z = np.maximum(h, 0)
            assert np.all(h[:, 0] != 0)
            seen.add(int(np.sum((h[:, 0] > 0) << np.arange(6))))
        assert seen <= set(masks.tolist()) and len(seen) == count, (layer, len(seen), count)


def test_performance_sanity_many_transitions():
    """A chaotic hard-tanh net gives > 1e4 exact transitions along a circle; the walker's
    totals equal the per-event records."""
    net = networks.random_network(50, 50, 6, "hard_tanh", 16.0, 0.0, seed=0)
    u0, u1 = curves.orthonormal_pair(50, 1)
    w = regions.walk_circle(net, u0, u1, radius=np.sqrt(50.0))
    assert w.transitions.sum() > 5000
    np.testing.assert_array_equal(np.bincount(w.event_layer, minlength=6), w.transitions)


def test_bad_input():
    tanh_net = networks.random_network(3, 4, 2, "tanh")
    with pytest.raises(ValueError, match="piecewise-linear"):
        regions.walk_line(tanh_net, np.zeros(3), np.ones(3))
    net = networks.random_network(3, 4, 2, "relu")
    with pytest.raises(ValueError, match="x0"):   # walk_line names its own argument
        regions.walk_line(net, np.zeros(4), np.ones(4))
    with pytest.raises(ValueError, match="center"):
        regions.walk(net, np.zeros(4), np.ones(3))
    with pytest.raises(ValueError, match="s_range"):
        regions.walk(net, np.zeros(3), np.ones(3), s_range=(1.0, 0.0))
    with pytest.raises(ValueError, match="layer"):
        regions.dichotomies(net, 3, np.ones((2, 3)))
    with pytest.raises(ValueError, match="X"):
        regions.dichotomies(net, 1, np.ones((2, 4)))
    with pytest.raises(RuntimeError, match="max_events"):
        big = networks.random_network(10, 20, 3, "relu", 2.0, 0.0, seed=0)
        regions.walk_line(big, -10 * np.ones(10), 10 * np.linspace(-1, 1, 10), max_events=2)
