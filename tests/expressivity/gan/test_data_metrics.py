"""Mixture samplers and sample metrics.

Oracles: closed-form geometry (angles 2 pi i/8, grid coordinates), sample moments within
5 standard errors, scipy.stats multivariate normal densities, the chi-square tail
P(|e|^2 <= 9 sigma^2) = 1 - exp(-4.5) for 2-D Gaussian noise (binomial standard error),
and exact KL(Q||P) = log(8/7) for Q = the ring with one mode removed.
"""
import numpy as np
import pytest
from scipy import stats

from expressivity.gan import data, metrics


def test_ring_has_eight_distinct_modes_at_radius_2():
    m = data.ring()
    ang = np.sort(np.mod(np.arctan2(m.means[:, 1], m.means[:, 0]), 2 * np.pi))
    np.testing.assert_allclose(ang, 2 * np.pi * np.arange(8) / 8, atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(m.means, axis=1), 2.0)
    assert m.n_modes == 8 and np.isclose(m.std, 0.02)


def test_grid_coordinates():
    m = data.grid()
    assert m.n_modes == 25
    assert set(np.unique(m.means)) == {-4.0, -2.0, 0.0, 2.0, 4.0}
    assert len({tuple(r) for r in m.means}) == 25


def test_sampler_seeded_and_moments():
    m = data.unbalanced(data.ring(), ratio=10.0)
    np.testing.assert_allclose(m.weights[0] / m.weights[-1], 10.0)
    x1, l1 = m.sample(20000, seed=5, return_labels=True)
    x2 = m.sample(20000, seed=np.random.default_rng(5))
    np.testing.assert_array_equal(x1, x2)
    freq = np.bincount(l1, minlength=8) / len(l1)
    assert np.all(np.abs(freq - m.weights) < 5 * np.sqrt(m.weights * (1 - m.weights) / len(l1)))
    resid = x1 - m.means[l1]
    assert abs(resid.var() / m.variance - 1) < 5 * np.sqrt(2 / resid.size)


def test_log_prob_matches_scipy():
    m = data.unbalanced(data.grid(3, spacing=1.0, variance=0.1), 3.0)
    x = np.random.default_rng(0).normal(size=(7, 2))
    ref = np.log(sum(w * stats.multivariate_normal(mu, 0.15 * np.eye(2)).pdf(x)
                     for w, mu in zip(m.weights, m.means)))
    np.testing.assert_allclose(m.log_prob(x, extra_variance=0.05), ref, rtol=1e-12)


def test_bad_inputs_named():
    with pytest.raises(ValueError, match="variance"):
        data.ring(variance=-1.0)
    with pytest.raises(ValueError, match="n_modes"):
        data.ring(0)
    with pytest.raises(ValueError, match="samples"):
        metrics.mode_metrics(np.full((3, 2), np.nan), data.ring())
    with pytest.raises(TypeError, match="seed"):
        data.ring().sample(3, seed=1.5)


def test_mode_metrics_on_data_samples():
    """Data samples: all 8 modes; HQ fraction = 1 - exp(-4.5) within 5 binomial SEs."""
    m = data.ring()
    x = m.sample(2500, seed=1)
    r = metrics.mode_metrics(x, m)
    p = 1 - np.exp(-4.5)
    assert r.modes_covered == 8
    assert abs(r.high_quality_fraction - p) < 5 * np.sqrt(p * (1 - p) / 2500)


def test_mode_metrics_exact_cases():
    m = data.ring()
    r = metrics.mode_metrics(np.repeat(m.means[:3], 10, axis=0), m)
    assert r.modes_covered == 3 and r.high_quality_fraction == 1.0
    assert r.counts.tolist() == [10, 10, 10, 0, 0, 0, 0, 0]
    r = metrics.mode_metrics(np.zeros((50, 2)), m)  # the ring's centre: far from all modes
    assert r.modes_covered == 0 and r.high_quality_fraction == 0.0


def test_kl_estimates_known_answers():
    """Q = P: both KL ~ 0; Q = P without one mode: KL(Q||P) = log(8/7) (exact for the
    smoothed pair too, the modes being far apart), KL(P||Q) huge. Tolerance 0.03 nats covers
    the KDE and Monte-Carlo error at n = 2500 (measured spread over seeds ~0.01)."""
    m = data.ring()
    kpq, kqp = metrics.kl_estimates(m.sample(2500, seed=1), m, seed=2)
    assert abs(kpq) < 0.03 and abs(kqp) < 0.03
    m7 = data.Mixture(m.means[:7], m.variance, np.ones(7))
    kpq, kqp = metrics.kl_estimates(m7.sample(2500, seed=3), m, seed=4)
    assert abs(kqp - np.log(8 / 7)) < 0.03
    assert kpq > 50


def test_kde_leave_one_out_oracle():
    """Leave-one-out KDE equals the direct sum with the own sample removed."""
    r = np.random.default_rng(0)
    s = r.normal(size=(6, 2))
    got = metrics.kde_log_density(s, s, 0.3, leave_one_out=True)
    for i in range(6):
        o = np.delete(s, i, 0)
        ref = np.log(np.mean(stats.multivariate_normal(np.zeros(2), 0.3 * np.eye(2)).pdf(s[i] - o)))
        assert np.isclose(got[i], ref, rtol=1e-12)


def test_mode_fractions_see_a_collapse_the_3_sigma_metric_misses():
    """A blob of std 0.2 (10 sigma of the data) around one mode: VEEGAN's high-quality
    fraction is P(|e| <= 0.06) = 1 - exp(-0.045) = 4.4 % (chi-square tail, within 5 binomial
    standard errors), while the nearest-mode fractions put > 99 % of the samples on that mode
    (the boundary to the next mode is 0.77 = 3.8 blob standard deviations away)."""
    m = data.ring()
    x = m.means[3] + 0.2 * np.random.default_rng(0).standard_normal((4000, 2))
    r = metrics.mode_metrics(x, m)
    p = 1 - np.exp(-0.045)
    assert abs(r.high_quality_fraction - p) < 5 * np.sqrt(p * (1 - p) / 4000)
    f = metrics.mode_fractions(x, m)
    np.testing.assert_array_equal(f, r.fractions)
    assert f[3] > 0.99 and np.isclose(f.sum(), 1.0)


def test_mode_fractions_exact_counts():
    m = data.ring()
    x = np.concatenate([np.repeat(m.means[:1], 6, 0), np.repeat(m.means[5:6], 2, 0) * 1.3])
    np.testing.assert_array_equal(metrics.mode_fractions(x, m), [0.75, 0, 0, 0, 0, 0.25, 0, 0])
