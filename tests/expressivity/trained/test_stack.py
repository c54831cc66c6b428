"""The fused hidden stack (one recorded operation for all hidden layers).

Oracles: the layer-by-layer composition with autodiff.nn.dense_apply (values and gradients,
every activation, every subset of trainable layers), central finite differences of first
derivatives and of a Hessian-vector product (the traced VJP path).
"""
import numpy as np
import pytest

import expressivity.autodiff.numpy as anp
from expressivity.autodiff import grad, nn, value_and_grad
from expressivity.autodiff.testing import check_grads, rel_error
from expressivity.trained.stack import hidden_stack


def _setup(seed=0, L=4, n=5, d=3, w=6):
    r = np.random.default_rng(seed)
    layers = nn.mlp_init(r, [d] + [w] * L, sigma_w2=2.5, sigma_b2=0.2)
    x = r.standard_normal((n, d)) * 1.5
    R = r.standard_normal((n, w))
    return layers, x, R


def _composed(layers, x, act):
    z = x
    for layer in layers:
        z = nn.dense_apply(layer, z, act)
    return z


@pytest.mark.parametrize("act", ["tanh", "relu", "hard_tanh", "linear"])
def test_values_and_gradients_equal_the_composition(act):
    """Same output; same gradients w.r.t. all layers, one middle layer only, and the input."""
    layers, x, R = _setup()
    np.testing.assert_allclose(hidden_stack(layers, x, act), _composed(layers, x, act), rtol=1e-13)
    f = lambda ls, x: anp.sum(R * hidden_stack(ls, x, act))  # noqa: E731
    g = lambda ls, x: anp.sum(R * _composed(ls, x, act))  # noqa: E731
    for argnum in (0, 1):
        a, b = grad(f, argnum)(layers, x), grad(g, argnum)(layers, x)
        assert rel_error(a, b) < 1e-13
    mid = lambda l2: f(layers[:2] + [l2] + layers[3:], x)  # noqa: E731
    ref = lambda l2: g(layers[:2] + [l2] + layers[3:], x)  # noqa: E731
    assert rel_error(grad(mid)(layers[2]), grad(ref)(layers[2])) < 1e-13


@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_gradient_and_hessian_vector_product_match_finite_differences(act):
    layers, x, R = _setup(1, L=3)
    f = lambda ls: anp.sum(R * hidden_stack(ls, x, act) ** 2)  # noqa: E731
    check_grads(f, (layers,), rtol=1e-6)
    v = [{k: np.random.default_rng(2).standard_normal(a.shape) for k, a in l.items()} for l in layers]

    def hv(ls):
        gr = grad(f)(ls)
        return sum(anp.sum(gr[i][k] * v[i][k]) for i in range(len(ls)) for k in ("W", "b"))

    check_grads(hv, (layers,), rtol=1e-5)


def test_float32_kept_and_bad_activation():
    layers, x, R = _setup(3)
    l32 = [{k: a.astype(np.float32) for k, a in l.items()} for l in layers]
    val, g = value_and_grad(lambda ls: anp.sum(hidden_stack(ls, x.astype(np.float32), "tanh")))(l32)
    assert g[0]["W"].dtype == np.float32
    with pytest.raises(ValueError, match="activation"):
        hidden_stack(layers, x, "gelu")
