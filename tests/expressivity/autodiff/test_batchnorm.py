"""Batch normalisation layer (autodiff.nn.batch_norm).

Oracles: the closed-form moments of the output (per-feature batch mean beta and variance
gamma^2 s2/(s2 + eps)), a hand-written numpy forward pass, central finite differences of the
first derivatives (every argument) and of a Hessian-vector product (second order through the
hand-written VJP), and the affine formula in evaluation mode.
"""
import numpy as np
import pytest

import expressivity.autodiff.numpy as anp
from expressivity.autodiff import grad, nn, value_and_grad
from expressivity.autodiff.testing import check_grads


def _data(seed=0, n=7, N=4):
    r = np.random.default_rng(seed)
    x = r.standard_normal((n, N)) * np.array([0.5, 1.0, 2.0, 3.0])[:N] + 1.5
    gamma = r.standard_normal(N) + 1.0
    beta = r.standard_normal(N)
    R = r.standard_normal((n, N))   # a fixed random readout makes every output count
    return x, gamma, beta, R


def test_output_moments_closed_form():
    """Per feature: batch mean of y = beta, biased variance = gamma^2 s2 / (s2 + eps)."""
    x, gamma, beta, _ = _data()
    eps = 1e-3
    y = nn.batch_norm(x, gamma, beta, eps=eps)
    s2 = x.var(axis=0)
    np.testing.assert_allclose(y.mean(axis=0), beta, atol=1e-13)
    np.testing.assert_allclose(y.var(axis=0), gamma**2 * s2 / (s2 + eps), rtol=1e-12)
    mu, var = nn.batch_moments(x)
    np.testing.assert_allclose(mu, x.mean(0), rtol=1e-14)
    np.testing.assert_allclose(var, s2, rtol=1e-13)


@pytest.mark.parametrize("argnum", [0, 1, 2])
def test_first_derivatives_match_finite_differences(argnum):
    """Gradient of sum(R * bn(x, gamma, beta)) w.r.t. each argument against central
    finite differences (relative error <= 1e-7)."""
    x, gamma, beta, R = _data(1)

    def f(x, gamma, beta):
        return anp.sum(R * nn.batch_norm(x, gamma, beta, eps=1e-4))

    check_grads(f, (x, gamma, beta), argnum=argnum, rtol=1e-7)


def test_gradient_through_a_tanh_stack_matches_finite_differences():
    """A layer x W + b -> bn -> tanh -> mean square: gradient w.r.t. W by finite differences
    (bn inside a chain, cotangents arrive as traced values of other primitives)."""
    x, gamma, beta, R = _data(2, n=9, N=3)
    W = np.random.default_rng(3).standard_normal((3, 3))

    def f(W):
        h = nn.batch_norm(x @ W, gamma, beta)
        return anp.mean(anp.tanh(h) * R)

    check_grads(f, (W,), rtol=1e-7)


@pytest.mark.parametrize("argnum", [0, 1])
def test_hessian_vector_product_matches_finite_differences(argnum):
    """Second order: grad of <grad f, v> (the traced VJP path of batch_norm) against finite
    differences of <grad f, v>."""
    x, gamma, beta, R = _data(4, n=6, N=3)
    v = np.random.default_rng(5).standard_normal(x.shape if argnum == 0 else gamma.shape)

    def f(x, gamma):
        return anp.sum(R * anp.tanh(nn.batch_norm(x, gamma, beta)))

    def hv(x, gamma):
        return anp.vdot(grad(f, argnum)(x, gamma), v)

    check_grads(hv, (x, gamma), argnum=argnum, rtol=1e-6)


def test_evaluation_mode_is_the_affine_map_and_float32_is_kept():
    """Given mean/var: gamma (x - mean)/sqrt(var + eps) + beta (hand-written); gradients of
    the batch mode keep float32."""
    x, gamma, beta, R = _data(6)
    mu, var = np.full(4, 0.3), np.full(4, 2.0)
    y = nn.batch_norm(x, gamma, beta, eps=1e-5, mean=mu, var=var)
    np.testing.assert_allclose(y, gamma * (x - mu) / np.sqrt(var + 1e-5) + beta, rtol=1e-14)
    x32, g32, b32 = (a.astype(np.float32) for a in (x, gamma, beta))
    val, g = value_and_grad(lambda x: anp.sum(R.astype(np.float32) * nn.batch_norm(x, g32, b32)))(x32)
    assert g.dtype == np.float32 and nn.batch_norm(x32, g32, b32).dtype == np.float32
    p = nn.batch_norm_init(3, np.float32)
    assert p["gamma"].dtype == np.float32 and np.all(p["gamma"] == 1) and np.all(p["beta"] == 0)


def test_bad_arguments_are_named():
    x, gamma, beta, _ = _data()
    with pytest.raises(ValueError, match="x must be a 2-D"):
        nn.batch_norm(x[0], gamma, beta)
    with pytest.raises(ValueError, match="gamma"):
        nn.batch_norm(x, gamma[:2], beta)
    with pytest.raises(ValueError, match="eps"):
        nn.batch_norm(x, gamma, beta, eps=0.0)
    with pytest.raises(ValueError, match="both mean and var"):
        nn.batch_norm(x, gamma, beta, mean=np.zeros(4))
    with pytest.raises(ValueError, match="2 rows"):
        nn.batch_norm(x[:1], gamma, beta)
    with pytest.raises(ValueError, match="n must"):
        nn.batch_norm_init(0)
