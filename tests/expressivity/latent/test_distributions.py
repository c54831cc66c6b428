"""Distributions of expressivity.latent against independent oracles.

Oracles: every density integrates to 1 by quadrature (the Gumbel-Softmax density on the
1- and 2-simplex through the softmax parameterisation, whose Jacobian y_1 ... y_k is known
independently); scipy.stats for the Gaussian, AR(1) (a multivariate normal with covariance
alpha^|i-j|) and Bernoulli; the Gumbel-max trick's argmax frequencies against softmax(logits)
within 3 standard errors; finite differences for gradients.
"""
import math

import numpy as np
import pytest
from scipy import integrate, stats

from expressivity import latent
from expressivity.autodiff import grad
from expressivity.autodiff.testing import check_grads


def _gs_total_mass(logits, tau, n=1201):
    """Integral of the Gumbel-Softmax density over the simplex, in softmax coordinates
    y = softmax(u, 0) with u = v / tau (Jacobian prod_i y_i / tau^(k-1)), trapezoid on
    v in [-L, L]^(k-1): the integrand decays like exp(-|v|), so L = 60 leaves < 1e-20."""
    k = len(logits)
    v = np.linspace(-60.0, 60.0, n)
    h = v[1] - v[0]
    w = np.full(n, h)
    w[[0, -1]] *= 0.5
    if k == 2:
        u = np.stack([v / tau, np.zeros(n)], -1)
        W = w
    else:
        A, B = np.meshgrid(v / tau, v / tau, indexing="ij")
        u = np.stack([A.ravel(), B.ravel(), np.zeros(A.size)], -1)
        W = np.outer(w, w).ravel()
    log_y = u - np.logaddexp.reduce(u, axis=-1, keepdims=True)
    lp = latent.gumbel_softmax_log_prob_from_log(log_y, np.asarray(logits), tau)
    log_jac = log_y.sum(-1) - (k - 1) * math.log(tau)
    return float(np.sum(W * np.exp(lp + log_jac)))


@pytest.mark.parametrize("tau", [0.1, 0.5, 1.0, 2.0])
@pytest.mark.parametrize("logits", [[0.3, -1.2], [0.5, -0.4, 1.3]])
def test_gumbel_softmax_density_integrates_to_one(logits, tau):
    """Oracle: total probability 1 (quadrature in softmax coordinates), k = 2 and 3."""
    assert _gs_total_mass(logits, tau, 1201 if len(logits) == 2 else 601) == pytest.approx(1.0, abs=2e-6)


def test_gumbel_softmax_density_k2_plain_quadrature():
    """Oracle: scipy.integrate.quad of p(y_1) over (0, 1) in the original coordinate (k = 2)."""
    l = np.array([0.7, -0.2])
    f = lambda y1: math.exp(float(latent.gumbel_softmax_log_prob(np.array([y1, 1.0 - y1]), l, 1.5)))
    val, err = integrate.quad(f, 0, 1, limit=200)
    assert val == pytest.approx(1.0, abs=1e-7)


def test_gumbel_softmax_log_prob_matches_log_form_and_shift():
    rng = np.random.default_rng(0)
    l = rng.standard_normal((5, 4))
    y = latent.gumbel_softmax_sample(l, 0.7, rng)
    a = latent.gumbel_softmax_log_prob(y, l, 0.7)
    b = latent.gumbel_softmax_log_prob_from_log(np.log(y), l, 0.7)
    c = latent.gumbel_softmax_log_prob(y, l + 3.0, 0.7)   # a constant shift of the logits changes nothing
    np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(a, c, rtol=1e-12)


def test_gumbel_softmax_samples_match_density_histogram():
    """Oracle: samples vs the density (k = 2): the fraction with y_1 < 0.3 against the
    integral of the density over (0, 0.3), within 3 standard errors."""
    l, tau, n = np.array([0.4, -0.3]), 0.8, 40000
    y = latent.gumbel_softmax_sample(np.broadcast_to(l, (n, 2)), tau, np.random.default_rng(1))
    frac = np.mean(y[:, 0] < 0.3)
    p = integrate.quad(lambda t: math.exp(float(latent.gumbel_softmax_log_prob(np.array([t, 1 - t]), l, tau))), 0, 0.3)[0]
    assert abs(frac - p) < 3 * math.sqrt(p * (1 - p) / n)


def test_gumbel_max_frequencies_match_softmax():
    """Oracle: argmax of Gumbel-perturbed logits ~ Categorical(softmax(logits)); each class
    frequency within 3 standard errors sqrt(p (1 - p) / n)."""
    l = np.array([1.0, 0.0, -0.5, 2.0, 0.3])
    p = np.exp(l - l.max())
    p /= p.sum()
    n = 50000
    z = latent.categorical_sample(np.broadcast_to(l, (n, 5)), np.random.default_rng(2))
    assert np.all(z.sum(-1) == 1)
    freq = z.mean(0)
    assert np.all(np.abs(freq - p) < 3 * np.sqrt(p * (1 - p) / n))
    # small tau: relaxed samples' argmax is the same Gumbel-max draw
    y = latent.gumbel_softmax_sample(np.broadcast_to(l, (n, 5)), 0.05, np.random.default_rng(3))
    freq = np.eye(5)[y.argmax(-1)].mean(0)
    assert np.all(np.abs(freq - p) < 3 * np.sqrt(p * (1 - p) / n))


def test_straight_through_forward_onehot_backward_relaxed():
    l = np.array([[0.2, -0.1, 0.5]])
    w = np.array([1.0, -2.0, 0.5])
    f_hard = lambda x: (latent.gumbel_softmax_sample(x, 0.5, np.random.default_rng(4), hard=True) * w).sum()
    f_soft = lambda x: (latent.gumbel_softmax_sample(x, 0.5, np.random.default_rng(4)) * w).sum()
    y = latent.gumbel_softmax_sample(l, 0.5, np.random.default_rng(4), hard=True)
    assert set(np.unique(y)) == {0.0, 1.0} and y.sum() == 1
    np.testing.assert_allclose(grad(f_hard)(l), grad(f_soft)(l), rtol=1e-12)


def test_gumbel_softmax_gradients_finite_differences():
    """Oracle: central differences of the log density in y (interior) and logits, and of a
    function of the sample in the logits (fixed noise)."""
    l = np.array([0.3, -0.4, 1.1])
    y = np.array([0.2, 0.5, 0.3])
    import expressivity.autodiff.numpy as anp

    check_grads(lambda ll: latent.gumbel_softmax_log_prob(y, ll, 0.6), (l,))
    check_grads(lambda ll: latent.gumbel_softmax_log_prob_from_log(np.log(y), ll, 0.6), (l,))
    # in y: through its first k - 1 coordinates (the density's own coordinates)
    check_grads(lambda y2: latent.gumbel_softmax_log_prob(anp.concatenate([y2, 1.0 - anp.sum(y2, keepdims=True)]), l, 0.6),
                (y[:2],))
    check_grads(lambda ll: (latent.gumbel_softmax_sample(ll, 0.6, np.random.default_rng(5)) ** 2).sum(), (l,))


def test_other_log_probs_normalise():
    """Oracles: Bernoulli sums to 1 over {0, 1}; Gaussian and AR(1) against scipy.stats; the
    AR(1) density (n = 2) integrates to 1; categorical sums to 1 over the classes."""
    l = np.array([-3.0, 0.2, 40.0])
    tot = np.exp(latent.bernoulli_log_prob(np.zeros(3), l)) + np.exp(latent.bernoulli_log_prob(np.ones(3), l))
    np.testing.assert_allclose(tot, 1.0, rtol=1e-14)
    z = np.array([0.3, -1.0])
    np.testing.assert_allclose(latent.gaussian_log_prob(z, np.array([0.1, 0.5]), np.array([-0.3, 0.8])),
                               stats.norm.logpdf(z, [0.1, 0.5], np.exp(0.5 * np.array([-0.3, 0.8]))), rtol=1e-13)
    a, n = 0.7, 5
    cov = a ** np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
    zz = np.random.default_rng(6).standard_normal((4, n))
    np.testing.assert_allclose(latent.ar1_log_prob(zz, a), stats.multivariate_normal(np.zeros(n), cov).logpdf(zz),
                               rtol=1e-12)
    val = integrate.dblquad(lambda z2, z1: math.exp(float(latent.ar1_log_prob(np.array([z1, z2]), 0.9))),
                            -9, 9, -9, 9)[0]
    assert val == pytest.approx(1.0, abs=1e-7)
    lc = np.array([0.1, 2.0, -1.0])
    tot = sum(math.exp(float(latent.categorical_log_prob(np.eye(3)[i], lc))) for i in range(3))
    assert tot == pytest.approx(1.0, abs=1e-14)
    assert latent.categorical_log_prob(np.eye(3)[1], probs=np.array([0.2, 0.5, 0.3])) == pytest.approx(math.log(0.5))


def test_ar1_sample_covariance():
    """Oracle: sample covariance of AR(1) draws against alpha^|i-j| (4 s.e. of a covariance
    estimate ~ sqrt(2/n))."""
    a, n = 0.6, 200000
    z = latent.ar1_sample((n, 4), a, np.random.default_rng(7))
    C = np.cov(z.T)
    want = a ** np.abs(np.subtract.outer(np.arange(4), np.arange(4)))
    assert np.max(np.abs(C - want)) < 4 * math.sqrt(2.0 / n)


@pytest.mark.parametrize("call, name", [
    (lambda: latent.gumbel_softmax_sample(np.zeros(3), 0.0, 0), "tau"),
    (lambda: latent.gumbel_softmax_sample(np.zeros(3), -1.0, 0), "tau"),
    (lambda: latent.gumbel_softmax_log_prob(np.array([0.5, 0.6]), np.zeros(2), 1.0), "y"),
    (lambda: latent.gumbel_softmax_log_prob(np.array([0.5, 0.5]), np.zeros(3), 1.0), "y"),
    (lambda: latent.gumbel_softmax_log_prob(np.array([0.5, 0.5]), np.zeros(2), 0.0), "tau"),
    (lambda: latent.categorical_sample(rng=0, probs=np.array([0.5, 0.6])), "probs"),
    (lambda: latent.categorical_log_prob(np.eye(2)[0], probs=np.array([0.2, 0.2])), "probs"),
    (lambda: latent.bernoulli_log_prob(np.array([0.5]), np.zeros(1)), "x"),
    (lambda: latent.ar1_log_prob(np.zeros(3), 1.0), "alpha"),
    (lambda: latent.gaussian_log_prob(np.zeros(3), np.zeros(2), np.zeros(3)), "mean"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()
