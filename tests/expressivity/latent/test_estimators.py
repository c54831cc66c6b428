"""Gradient estimators for a categorical latent against exact enumeration.

Oracle: on a tiny model (2 categorical variables x 3 classes, f(z) a fixed nonlinear function
of the one-hot z), E_q[f(z)] and its gradient in the logits by enumerating all 9 values of z.
The score-function estimator is unbiased (mean over draws within 4 standard errors in every
coordinate); the Gumbel-Softmax estimator's bias shrinks as tau -> 0; the straight-through
estimators are biased (documented, and asserted beyond 6 standard errors).
"""
import itertools
import math

import numpy as np
import pytest

import expressivity.autodiff.numpy as anp
from expressivity import latent
from expressivity.autodiff import grad

W = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])
C = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, -1.0]])


def f(z):
    """A fixed nonlinear function of the (n_draws, 2, 3) one-hot or relaxed latent, per draw."""
    s = anp.sum(anp.sum(z * W, axis=-1), axis=-1)
    return s * s + anp.sum(anp.sum(z * C, axis=-1), axis=-1)


LOGITS = np.array([[0.2, -0.5, 0.4], [1.0, 0.0, -0.3]])


def exact_grad():
    def expected(l):
        lp = anp.log_softmax(l, axis=-1)
        tot = 0.0
        for a, b in itertools.product(range(3), range(3)):
            z = np.zeros((1, 2, 3))
            z[0, 0, a] = z[0, 1, b] = 1.0
            tot = tot + anp.exp(lp[0, a] + lp[1, b]) * f(z)[0]
        return tot
    return grad(expected)(LOGITS)


def estimator_grads(name, tau, n=20000, seed=0):
    """Per-draw gradients of the estimator's surrogate (n draws at once, batch axis first)."""
    rng = np.random.default_rng(seed)
    L = np.broadcast_to(LOGITS, (n, 2, 3)).copy()
    b = 0.0
    if name == "score_function":
        b = float(np.mean(f(latent.categorical_sample(L, np.random.default_rng(seed + 1)))))

    def total(L):
        d = latent.draw_latent(L, name, tau, rng)
        return anp.sum(latent.surrogate_loss(f(d.z), d, b))

    return grad(total)(L)   # row i = gradient of draw i's surrogate


def test_score_function_unbiased_against_enumeration():
    g = estimator_grads("score_function", 1.0)
    m, se = g.mean(0), g.std(0, ddof=1) / math.sqrt(len(g))
    assert np.all(np.abs(m - exact_grad()) < 4 * se)


def test_gumbel_softmax_converges_as_tau_shrinks():
    ex = exact_grad()
    err = {}
    for tau in (1.0, 0.3, 0.05):
        g = estimator_grads("gumbel", tau, n=40000, seed=1)
        err[tau] = float(np.linalg.norm(g.mean(0) - ex))
        se = float(np.linalg.norm(g.std(0, ddof=1))) / math.sqrt(len(g))
        err[tau] = (err[tau], se)
    assert err[1.0][0] > err[0.3][0] > err[0.05][0]
    assert err[0.05][0] < 0.05 * np.linalg.norm(ex) + 4 * err[0.05][1]


@pytest.mark.parametrize("name", ["st", "st_gumbel"])
def test_straight_through_is_biased(name):
    g = estimator_grads(name, 0.5, seed=2)
    m, se = g.mean(0), g.std(0, ddof=1) / math.sqrt(len(g))
    assert np.max(np.abs(m - exact_grad()) / se) > 6


def test_draw_latent_forward_values():
    rng = np.random.default_rng(4)
    for name in latent.ESTIMATORS:
        d = latent.draw_latent(LOGITS[None], name, 0.5, rng)
        v = np.asarray(d.z)
        assert v.shape == (1, 2, 3) and np.allclose(v.sum(-1), 1)
        if name != "gumbel":
            assert set(np.unique(v)) <= {0.0, 1.0}


def test_anneal_tau_schedule():
    """Oracle: the paper's tau = max(0.5, exp(-r t)) with t rounded down to a multiple of N."""
    assert latent.anneal_tau(0) == 1.0
    assert latent.anneal_tau(499, rate=1e-4, every=500) == 1.0
    assert latent.anneal_tau(500, rate=1e-4, every=500) == pytest.approx(math.exp(-0.05))
    assert latent.anneal_tau(10 ** 6, rate=1e-4) == 0.5


def test_baseline_and_bad_names():
    b = latent.MovingAverageBaseline(0.9)
    b.update([2.0, 4.0])
    b.update([13.0])
    assert b.value == pytest.approx(0.9 * 3.0 + 0.1 * 13.0)
    with pytest.raises(ValueError, match="estimator"):
        latent.draw_latent(LOGITS, "reinforce", 1.0, 0)
    with pytest.raises(ValueError, match="tau"):
        latent.draw_latent(LOGITS, "gumbel", 0.0, 0)
