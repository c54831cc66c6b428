"""Generator objectives of the f-divergence family (Poole et al. 2016).

Oracle: with the exact log ratio T = log p/q_theta0 held fixed, the gradient of the generator
loss E_{x~q_theta}[g(T(x))] at theta0 must equal the gradient of D_f(P||Q_theta) =
int q_theta f(p/q_theta) dx. The divergence is computed by scipy.integrate.quad and
differentiated by central finite differences (independent of the autodiff); the generator
loss's expectation over the reparameterisation x = mu + s eps uses Gauss-Hermite quadrature.
P = N(0, 1), Q_theta = N(mu, s^2) with s^2 > 1/2 so that the Pearson chi^2 is finite.
"""
import numpy as np
import pytest
from scipy import integrate, stats

import expressivity.autodiff.numpy as anp
from expressivity.autodiff import grad
from expressivity.gan import objectives as O

MU0, S0 = 0.4, 1.3
EPS, W = np.polynomial.hermite_e.hermegauss(60)
W = W / W.sum()


def _T_fixed(x):
    """log p(x) - log q_theta0(x), a fixed function of x (theta0 does not move)."""
    return -0.5 * x**2 + 0.5 * ((x - MU0) / S0) ** 2 + np.log(S0)


def _gen_loss(theta, obj):
    mu, s = theta[0], theta[1]
    x = mu + s * EPS
    return anp.sum(W * obj.loss_terms(_T_fixed(x)))


def _divergence(mu, s, f):
    def integrand(x):
        q = stats.norm.pdf(x, mu, s)
        return q * f(stats.norm.pdf(x) / q)
    return integrate.quad(integrand, -30, 30, epsabs=1e-13, epsrel=1e-12, limit=200)[0]


def _fd_grad(f, h=1e-5):
    return np.array([
        (_divergence(MU0 + h, S0, f) - _divergence(MU0 - h, S0, f)) / (2 * h),
        (_divergence(MU0, S0 + h, f) - _divergence(MU0, S0 - h, f)) / (2 * h),
    ])


@pytest.mark.parametrize("name", sorted(O.OBJECTIVES))
def test_generator_loss_gradient_is_divergence_gradient(name):
    obj = O.OBJECTIVES[name]
    g = grad(_gen_loss)(np.array([MU0, S0]), obj)
    g_ref = _fd_grad(obj.f)
    np.testing.assert_allclose(g, g_ref, rtol=1e-6, atol=1e-8)
    assert np.linalg.norm(g) > 1e-3  # not trivially zero


def test_custom_f_alpha_divergence():
    """A user f (alpha-divergence, alpha = 0.3) through the general formula f(r) - r f'(r)."""
    a = 0.3
    c = 1.0 / (a * (a - 1))
    obj = O.custom(lambda u: c * (u**a - a * u - (1 - a)), lambda u: c * (a * u ** (a - 1) - a),
                   name="alpha0.3")
    g = grad(_gen_loss)(np.array([MU0, S0]), obj)
    np.testing.assert_allclose(g, _fd_grad(lambda u: c * (u**a - a * u - (1 - a))), rtol=1e-6, atol=1e-8)


def test_custom_kl_matches_table_kl():
    """The general formula for f = u log u reproduces the table's -E[e^T] (same gradient)."""
    obj = O.custom(lambda u: u * anp.log(u), lambda u: anp.log(u) + 1.0)
    th = np.array([MU0, S0])
    np.testing.assert_allclose(grad(_gen_loss)(th, obj), grad(_gen_loss)(th, O.OBJECTIVES["kl"]), rtol=1e-10)


@pytest.mark.parametrize("name", sorted(O.OBJECTIVES))
def test_extreme_logits_stay_finite(name):
    """Clipped exponentials: logits of +-1e4 give finite losses and gradients (no NaN/inf)."""
    T = np.array([-1e4, -50.0, 0.0, 50.0, 1e4])
    obj = O.OBJECTIVES[name]
    assert np.isfinite(float(obj.generator_loss(T)))
    assert np.all(np.isfinite(grad(lambda t: obj.generator_loss(t))(T)))


def test_discriminator_optimum_is_log_ratio():
    """The logistic loss is minimised pointwise at T = log p/q: its derivative in T,
    -p sigmoid(-T) + q sigmoid(T), vanishes there (closed form)."""
    p, q = 0.3, 0.7
    T = np.log(p / q)
    dT = grad(lambda t: p * anp.softplus(-t) + q * anp.softplus(t))(T)
    assert abs(dT) < 1e-14


def test_bad_objective_names():
    with pytest.raises(ValueError, match="objective"):
        O.get_objective("wasserstein")
    with pytest.raises(TypeError, match="f and f_prime"):
        O.custom(1.0, lambda u: u)
