"""KL terms against Monte Carlo (3 standard errors), direct sums and numerical minimisation.

Oracles: E_q[log q - log p] by Monte Carlo with independent draws (the Gaussian, the AR(1)
closed form derived in expressivity.latent.kl); the categorical KL by a direct sum; the
committed rate against scipy.optimize over the posterior family; a relaxed KL of q against
itself is exactly 0 and its Monte-Carlo mean against another Gumbel-Softmax is >= 0.
"""
import math

import numpy as np
import pytest
from scipy import optimize

from expressivity import latent
from expressivity.autodiff.testing import check_grads


def _mc(logq, logp, n):
    s = logq - logp
    return s.mean(), s.std(ddof=1) / math.sqrt(n)


@pytest.mark.parametrize("alpha", [0.0, 0.4, -0.7, 0.95])
def test_ar1_kl_closed_form_vs_monte_carlo(alpha):
    rng = np.random.default_rng(int(abs(alpha) * 100))
    n, N = 7, 200000
    mu = rng.standard_normal(n)
    lv = 0.6 * rng.standard_normal(n) - 0.3
    z = mu + np.exp(0.5 * lv) * rng.standard_normal((N, n))
    m, se = _mc(latent.gaussian_log_prob(z, mu, lv).sum(-1), latent.ar1_log_prob(z, alpha), N)
    assert abs(float(latent.kl_ar1(mu, lv, alpha)) - m) < 3 * se


def test_gaussian_and_categorical_kl():
    rng = np.random.default_rng(1)
    N = 200000
    mq, lq, mp, lp = 0.3, -0.5, -0.2, 0.4
    z = mq + math.exp(0.5 * lq) * rng.standard_normal(N)
    m, se = _mc(latent.gaussian_log_prob(z, mq, lq), latent.gaussian_log_prob(z, mp, lp), N)
    assert abs(float(latent.kl_gaussian(mq, lq, mp, lp)) - m) < 3 * se
    np.testing.assert_allclose(latent.kl_standard_normal(np.array([0.3]), np.array([-0.5])),
                               latent.kl_gaussian(np.array([0.3]), np.array([-0.5])), rtol=1e-14)
    a, b = rng.standard_normal(5), rng.standard_normal(5)
    q, p = np.exp(a) / np.exp(a).sum(), np.exp(b) / np.exp(b).sum()
    assert float(latent.kl_categorical(a, b)) == pytest.approx(float(np.sum(q * np.log(q / p))), rel=1e-12)
    assert float(latent.kl_categorical(a)) == pytest.approx(float(np.sum(q * np.log(5 * q))), rel=1e-12)


def test_kl_gradients_finite_differences():
    rng = np.random.default_rng(2)
    mu, lv = rng.standard_normal(5), rng.standard_normal(5) * 0.3
    check_grads(lambda m: latent.kl_ar1(m, lv, 0.6), (mu,))
    check_grads(lambda v: latent.kl_ar1(mu, v, 0.6), (lv,))
    check_grads(lambda a: latent.kl_categorical(a), (rng.standard_normal(4),))


@pytest.mark.parametrize("n, alpha", [(2, 0.5), (5, 0.8), (16, 0.3)])
def test_committed_rate_is_the_minimum(n, alpha):
    """Oracle: scipy.optimize.minimize of the closed-form KL over means and log-variances."""
    f = lambda th: float(latent.kl_ar1(th[:n], th[n:], alpha))
    best = optimize.minimize(f, np.r_[np.full(n, 0.3), np.zeros(n)], method="BFGS", options=dict(gtol=1e-10)).fun
    assert latent.ar1_committed_rate(n, alpha) == pytest.approx(best, abs=1e-7)
    # fixed variances: min over means only
    s2 = 0.3
    best = optimize.minimize(lambda m: float(latent.kl_ar1(m, np.full(n, math.log(s2)), alpha)), np.full(n, 0.5),
                             method="BFGS", options=dict(gtol=1e-10)).fun
    assert latent.ar1_committed_rate(n, alpha, s2) == pytest.approx(best, abs=1e-7)
    assert latent.gaussian_committed_rate(s2, n) == pytest.approx(float(latent.kl_standard_normal(np.zeros(n), np.full(n, math.log(s2))).sum()))


def test_rate_inversions_round_trip():
    for delta in (0.5, 3.0, 10.0):
        assert latent.ar1_committed_rate(16, latent.alpha_for_rate(delta, 16)) == pytest.approx(delta, rel=1e-10)
        assert latent.gaussian_committed_rate(latent.sigma2_for_rate(delta, 16), 16) == pytest.approx(delta, rel=1e-10)
    assert latent.alpha_for_rate(0.0, 8) == 0.0 and latent.sigma2_for_rate(0.0) == 1.0


def test_relaxed_kl():
    """Oracle: KL(q || q) = 0 exactly; the Monte-Carlo mean of log q - log p is >= 0 (Gibbs) and
    close to the categorical KL at small tau."""
    rng = np.random.default_rng(3)
    lq = np.array([[1.5, -0.5, 0.0]])
    ly = latent.gumbel_softmax_log_sample(np.broadcast_to(lq, (20000, 3)), 0.5, rng)
    assert np.all(latent.relaxed_kl(ly, lq, 0.5, logits_p=lq) == 0.0)
    v = latent.relaxed_kl(ly, lq, 0.5)
    assert v.mean() - 3 * v.std(ddof=1) / math.sqrt(len(v)) > 0


@pytest.mark.parametrize("call", [lambda: latent.alpha_for_rate(-1.0, 4), lambda: latent.sigma2_for_rate(-0.1)])
def test_negative_delta_raises(call):
    with pytest.raises(ValueError, match="delta"):
        call()
