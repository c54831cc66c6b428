"""The flat-parameter MLP, its masked cross-entropy and the diagonal Fisher.

Oracles: cross-entropy over a head computed directly with scipy's log-softmax of the head's
logits; gradients against central finite differences (``autodiff.testing.check_grads``);
the Fisher diagonal against a direct computation, one autodiff gradient of log p(c | x_n) per
example and class, squared and weighted; the sampled Fisher against the exact one within 5
Monte-Carlo standard errors.
"""
import numpy as np
import pytest
from scipy.special import log_softmax

from expressivity.autodiff import grad, nn
from expressivity.autodiff.testing import check_grads
from expressivity.continual import model

import expressivity.autodiff.numpy as anp


def _net(seed=0, sizes=(5, 4, 3, 6)):
    net = model.init_network(sizes, seed, np.float64)
    net.theta[...] += 0.1 * np.random.default_rng(seed + 1).standard_normal(net.n_params)  # nonzero biases
    return net


def test_params_are_views_of_theta_and_glorot_init():
    net = model.init_network([64, 300, 10], 0)
    assert net.n_params == 64 * 300 + 300 + 300 * 10 + 10 and net.theta.dtype == np.float32
    net.params[1]["b"][3] = 7.0
    assert net.theta[64 * 300 + 300 + 300 * 10 + 3] == 7.0
    W = net.params[0]["W"]
    lim = np.sqrt(6 / 364)
    assert np.abs(W).max() <= lim and abs(W.var() - lim**2 / 3) < 0.05 * lim**2 / 3  # U(-a, a): var a^2/3
    assert not net.params[0]["b"].any()
    z = model.init_network([4, 3, 10], 0, zero_head=True)
    assert not z.params[-1]["W"].any() and z.params[0]["W"].any()


def test_masked_cross_entropy_is_the_heads_cross_entropy():
    net = _net()
    rng = np.random.default_rng(2)
    x, y = rng.standard_normal((7, 5)), np.array([2, 3, 3, 2, 2, 3, 3])
    head = (2, 3)
    t = model.one_hot(y, 6, np.float64)
    got = model.cross_entropy(net.params, x, t, model.task_offset(head, 6, np.float64))
    z = net.logits(x)[:, head]
    want = -np.mean(log_softmax(z, axis=1)[np.arange(7), y - 2])
    assert got == pytest.approx(want, rel=1e-12)
    assert model.task_offset(range(6), 6) is None
    g = grad(model.cross_entropy)(net.params, x, t, model.task_offset(head, 6, np.float64))
    W = g[-1]["W"]
    assert not W[:, [0, 1, 4, 5]].any() and W[:, 2:4].any()  # other heads get exactly zero gradient
    check_grads(lambda th: model.cross_entropy(model.unflatten(th, net.sizes), x, t,
                                               model.task_offset(head, 6, np.float64)), (net.theta.copy(),))
    assert net.accuracy(x, y, head) == np.mean(np.array(head)[z.argmax(1)] == y)


def _direct_fisher(net, x, head, weights):
    """sum_n sum_c w[n, c] (d log p_c(x_n) / d theta)^2 / N by autodiff, one gradient at a time."""
    def logp(th, xn, c):
        p = model.unflatten(th, net.sizes)
        z = nn.mlp_apply(p, xn[None, :], activation="relu")[0]
        zh = anp.stack([z[k] for k in head])
        return anp.log_softmax(zh)[c]

    g = grad(logp)
    F = np.zeros(net.n_params)
    for n in range(len(x)):
        for c in range(len(head)):
            if weights[n, c]:
                F += weights[n, c] * g(net.theta.copy(), x[n], c) ** 2
    return F / len(x)


@pytest.mark.parametrize("head", [(0, 1, 2, 3, 4, 5), (2, 3)])
def test_fisher_exact_and_empirical_against_direct_computation(head):
    net = _net(3)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((9, 5))
    y = np.array(head)[rng.integers(0, len(head), 9)]
    z = net.logits(x)[:, head]
    p = np.exp(log_softmax(z, axis=1))
    F = model.fisher_diagonal(net, x, head, "exact", chunk=4)
    np.testing.assert_allclose(F, _direct_fisher(net, x, head, p), rtol=1e-10, atol=1e-14)
    onehot = (np.array(head)[None, :] == y[:, None]).astype(float)
    Fe = model.fisher_diagonal(net, x, head, "empirical", y=y)
    np.testing.assert_allclose(Fe, _direct_fisher(net, x, head, onehot), rtol=1e-10, atol=1e-14)


def test_sampled_fisher_is_unbiased():
    net = _net(5)
    x = np.random.default_rng(6).standard_normal((4, 5))
    F = model.fisher_diagonal(net, x, range(6), "exact")
    draws = np.array([model.fisher_diagonal(net, x, range(6), "sampled", rng=np.random.default_rng(s))
                      for s in range(400)])
    se = draws.std(0, ddof=1) / np.sqrt(len(draws))
    ok = np.abs(draws.mean(0) - F) <= 5 * se + 1e-12
    assert ok.all(), np.flatnonzero(~ok)


def test_fisher_arguments():
    net = _net()
    with pytest.raises(ValueError, match="kind"):
        model.fisher_diagonal(net, np.zeros((2, 5)), (0, 1), "diagonal")
    with pytest.raises(ValueError, match="y"):
        model.fisher_diagonal(net, np.zeros((2, 5)), (0, 1), "empirical")
    with pytest.raises(ValueError, match="y"):
        model.fisher_diagonal(net, np.zeros((2, 5)), (0, 1), "empirical", y=[0, 4])
