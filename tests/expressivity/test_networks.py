"""Random networks: weight and bias variances (Monte-Carlo, 5 standard errors), shapes, errors."""
import numpy as np
import pytest

from expressivity.networks import random_network


def test_variances_match_sigma_w2_over_fan_in():
    net = random_network(300, [200, 100], activation="tanh", sigma_w2=2.5, sigma_b2=0.3, seed=0)
    W1, W2 = net.weights
    # var of a sample variance of n Gaussians: 2 s^4 / n
    for W, fan_in in ((W1, 300), (W2, 200)):
        s2 = 2.5 / fan_in
        assert abs(W.var() - s2) < 5 * s2 * np.sqrt(2 / W.size)
    b = np.concatenate(net.biases)
    assert abs(np.mean(b ** 2) - 0.3) < 5 * 0.3 * np.sqrt(2 / b.size)
    assert net.widths == (200, 100) and net.input_dim == 300 and net.depth == 2


def test_seed_reproducible_and_forward_shapes():
    a = random_network(5, 4, 3, "relu", 2.0, 0.1, seed=7)
    b = random_network(5, 4, 3, "relu", 2.0, 0.1, seed=7)
    assert all(np.array_equal(x, y) for x, y in zip(a.weights, b.weights))
    x = np.ones((2, 5))
    hs = a.forward(x)
    assert [h.shape for h in hs] == [(2, 4)] * 3
    np.testing.assert_allclose(hs[1], np.maximum(hs[0], 0) @ a.weights[1].T + a.biases[1])


def test_bad_input():
    with pytest.raises(ValueError, match="depth"):
        random_network(3, 4)
    with pytest.raises(ValueError, match="depth"):
        random_network(3, [4, 4], depth=3)
    with pytest.raises(ValueError, match="sigma_w2"):
        random_network(3, 4, 2, sigma_w2=-1)
    with pytest.raises(ValueError, match="input_dim"):
        random_network(0, 4, 2)
    with pytest.raises(TypeError, match="seed"):
        random_network(3, 4, 2, seed=1.5)
    with pytest.raises(ValueError, match="widths"):
        random_network(3, [])
