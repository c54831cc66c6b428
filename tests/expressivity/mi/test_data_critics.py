"""Data, critics and baselines.

Oracles: closed-form MI <-> rho, sample correlation of many draws (Monte-Carlo tolerance),
scipy.stats densities, brute-force per-pair evaluation of the concat critic.
"""
import math

import numpy as np
import pytest
from scipy import stats

from expressivity import mi
from expressivity.autodiff import nn


def test_mi_rho_roundtrip_and_closed_form():
    """Oracle: I = -(d/2) log(1 - rho^2)."""
    for d in (1, 5, 20):
        for I in (0.0, 0.5, 2.0, 10.0):
            r = mi.mi_to_rho(I, d)
            assert -0.5 * d * math.log(1 - r * r) == pytest.approx(I, abs=1e-7)  # rho near 1 at d=1, I=10
            assert mi.rho_to_mi(r, d) == pytest.approx(I, abs=1e-7)
    with pytest.raises(ValueError, match="mi"):
        mi.mi_to_rho(-1.0, 3)
    with pytest.raises(ValueError, match="dim"):
        mi.mi_to_rho(1.0, 0)


def test_samples_have_the_requested_correlation():
    """Oracle: per-dimension sample correlation equals rho within 5 standard errors
    ((1 - rho^2) / sqrt(n)); the cubic variant is y**3 of the same draw."""
    n, d, I = 20000, 4, 2.0
    x, y = mi.sample_gaussian(0, n, d, I)
    rho = mi.mi_to_rho(I, d)
    r = np.array([np.corrcoef(x[:, k], y[:, k])[0, 1] for k in range(d)])
    assert np.all(np.abs(r - rho) < 5 * (1 - rho**2) / math.sqrt(n))
    xc, yc = mi.sample_gaussian(0, 10, d, I, cubic=True)
    x0, y0 = mi.sample_gaussian(0, 10, d, I)
    np.testing.assert_allclose(yc, y0**3)
    np.testing.assert_allclose(mi.pmi(xc, yc, I, cubic=True), mi.pmi(x0, y0, I), rtol=1e-10, atol=1e-10)


def test_log_densities_match_scipy():
    """Oracle: scipy.stats.multivariate_normal."""
    x, y = mi.sample_gaussian(1, 4, 3, 1.5)
    rho = mi.mi_to_rho(1.5, 3)
    L = mi.log_conditional(x, y, 1.5)
    for i in range(4):
        for j in range(4):
            ref = stats.multivariate_normal(rho * x[i], (1 - rho**2) * np.eye(3)).logpdf(y[j])
            assert L[i, j] == pytest.approx(ref, rel=1e-12)
    np.testing.assert_allclose(mi.log_marginal(y), stats.multivariate_normal(np.zeros(3), np.eye(3)).logpdf(y))
    np.testing.assert_allclose(mi.BASELINES["gaussian"].apply({}, y), mi.log_marginal(y))
    assert mi.entropy_gaussian(3) == pytest.approx(stats.multivariate_normal(np.zeros(3), np.eye(3)).entropy())


def test_staircase_schedule():
    """Oracle: explicit repetition."""
    s = mi.staircase((2, 4), 3)
    np.testing.assert_array_equal(s, [2, 2, 2, 4, 4, 4])
    assert mi.staircase().size == 20000


def test_critics_against_per_pair_evaluation():
    """Oracle: evaluate the MLPs pair by pair (concat on [x_i, y_j]; separable g(x_i).h(y_j))."""
    x, y = mi.sample_gaussian(2, 5, 3, 1.0)
    c = mi.CRITICS["concat"]
    p = c.init(0, 3, 3, hidden=(8, 8), dtype=np.float64)
    S = c.apply(p, x, y)
    for i in range(5):
        for j in range(5):
            ref = nn.mlp_apply(p, np.concatenate([x[i], y[j]])[None], "relu")[0, 0]
            assert S[i, j] == pytest.approx(ref, rel=1e-10)
    s = mi.CRITICS["separable"]
    p = s.init(0, 3, 3, hidden=(8,), embed_dim=4, dtype=np.float64)
    S = s.apply(p, x, y)
    assert S[1, 3] == pytest.approx((nn.mlp_apply(p["g"], x[1:2]) @ nn.mlp_apply(p["h"], y[3:4]).T)[0, 0])
    b = mi.CRITICS["bilinear"]
    p = b.init(0, 3, 3, dtype=np.float64)
    assert b.apply(p, x, y)[2, 0] == pytest.approx(x[2] @ p["W"] @ y[0])
    with pytest.raises(ValueError, match="critic"):
        mi.make_critic("nope")
    with pytest.raises(ValueError, match="baseline"):
        mi.make_baseline("nope")


def test_optimal_critic_is_the_pmi():
    """Oracle: data.pmi."""
    x, y = mi.sample_gaussian(3, 6, 2, 1.0)
    np.testing.assert_allclose(mi.optimal_critic(1.0).apply({}, x, y), mi.pmi(x, y, 1.0))
