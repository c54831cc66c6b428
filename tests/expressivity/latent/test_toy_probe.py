"""The Broken-ELBO toy and the linear probe.

Oracles: H of the toy data by a direct sum; the exact I(X; Z) against scipy quadrature of
H(Z) for a two-bin encoder, and its limits (identical encodings: I = 0; separated, narrow
encodings: I = H); every trained toy model satisfies H - D <= I <= R (Alemi et al. Eq. 4-6);
the toy's quadrature D against a Monte-Carlo estimate (3 s.e.); the probe separates linearly
separable classes perfectly and is at chance on noise.
"""
import math

import numpy as np
import pytest
from scipy import integrate, stats

from expressivity.latent import toy
from expressivity.latent.probe import linear_probe


def test_toy_entropy_and_bad_probs():
    d = toy.toy_data()
    assert d.n_bins == 30 and d.H == pytest.approx(-np.sum(d.probs * np.log(d.probs)), rel=1e-14)
    with pytest.raises(ValueError, match="probs"):
        toy.toy_data(probs=[0.5, 0.6])
    with pytest.raises(ValueError, match="beta"):
        toy.train_toy("weak", -1.0, steps=1)
    with pytest.raises(ValueError, match="decoder"):
        toy.train_toy("medium", 1.0, steps=1)


def test_exact_mutual_information():
    d = toy.toy_data(probs=[0.3, 0.7])
    p = {"mu": np.array([-0.4, 0.5]), "log_var": np.array([-0.5, 0.2])}
    s = np.exp(0.5 * p["log_var"])
    q = lambda z: 0.3 * stats.norm.pdf(z, -0.4, s[0]) + 0.7 * stats.norm.pdf(z, 0.5, s[1])
    HZ = integrate.quad(lambda z: -q(z) * math.log(q(z)) if q(z) > 0 else 0.0, -15, 15, limit=200)[0]
    HZX = 0.3 * stats.norm.entropy(scale=s[0]) + 0.7 * stats.norm.entropy(scale=s[1])
    assert toy.toy_mutual_information(p, d) == pytest.approx(HZ - HZX, abs=1e-9)
    same = {"mu": np.zeros(2), "log_var": np.zeros(2)}
    assert toy.toy_mutual_information(same, d) == pytest.approx(0.0, abs=1e-12)
    apart = {"mu": np.array([-3.0, 3.0]), "log_var": np.full(2, -8.0)}
    assert toy.toy_mutual_information(apart, d) == pytest.approx(d.H, abs=1e-9)


@pytest.mark.parametrize("decoder, beta", [("powerful", 1.0), ("weak", 0.5), ("powerful", 3.0)])
def test_trained_models_obey_the_information_bounds(decoder, beta):
    r = toy.train_toy(decoder, beta, steps=150, lr=1e-2)
    assert r.H - r.D - 1e-9 <= r.I <= r.R + 1e-9
    assert "H=" in repr(r)
    # the quadrature D against Monte Carlo (3 s.e.)
    rng = np.random.default_rng(0)
    vals = [float(toy.toy_rate_distortion(decoder, r.params, toy.toy_data(), 400, rng)[0]) for _ in range(20)]
    assert abs(np.mean(vals) - r.D) < 3 * np.std(vals, ddof=1) / math.sqrt(20) + 1e-9


def test_linear_probe():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    f = np.eye(3)[y] * 5 + 0.1 * rng.standard_normal((300, 3))
    assert linear_probe(f[:200], y[:200], f[200:], y[200:]) == 1.0
    noise = rng.standard_normal((300, 3))
    assert linear_probe(noise[:200], y[:200], noise[200:], y[200:]) < 0.6
    with pytest.raises(ValueError, match="C"):
        linear_probe(f[:200], y[:200], f[200:], y[200:], C=0.0)
