"""The masked autoregressive decoder.

Oracles: finite differences for the masked_dense primitive (every activation, first order and
through a second derivative); masked weights get exactly zero gradient; the autoregressive
property by perturbation (output d changes only when an earlier pixel changes); the decoder's
p(x | z) sums to 1 over all 2^D binary images (exact enumeration, D = 5).
"""
import itertools

import numpy as np
import pytest

import expressivity.autodiff.numpy as anp
from expressivity import latent
from expressivity.autodiff import grad
from expressivity.autodiff.testing import check_grads
from expressivity.latent.made import made_masks


@pytest.mark.parametrize("act", ["relu", "tanh", "linear"])
def test_masked_dense_gradients(act):
    rng = np.random.default_rng(0)
    x, W, b = rng.standard_normal((4, 5)), rng.standard_normal((5, 3)), rng.standard_normal(3)
    M = (rng.random((5, 3)) < 0.6).astype(float)
    f = lambda x, W, b: anp.sum(anp.sin(latent.masked_dense(x, W, b, M, act)))
    for i in range(3):
        check_grads(f, (x, W, b), argnum=i)
    gW = grad(f, 1)(x, W, b)
    assert np.all(gW[M == 0] == 0.0)
    # second order: the gradient of a gradient norm, against finite differences
    h = lambda W: anp.sum(grad(f, 0)(x, W, b) ** 2)
    if act != "relu":   # (relu's second derivative is 0 a.e.; tanh and linear exercise the traced VJP)
        check_grads(h, (W,), rtol=1e-5)


def test_autoregressive_property():
    rng = np.random.default_rng(1)
    D = 6
    p = latent.made_init(rng, D, hidden=(16, 16), n_latent=3)
    for layer in p["layers"]:
        layer["b"] += rng.standard_normal(layer["b"].shape)
    p["direct"] += rng.standard_normal(p["direct"].shape)
    z = rng.standard_normal((1, 3))
    x = (rng.random((1, D)) < 0.5).astype(float)
    base = np.asarray(latent.made_logits(p, x, z))
    for j in range(D):
        x2 = x.copy()
        x2[0, j] = 1 - x2[0, j]
        changed = np.abs(np.asarray(latent.made_logits(p, x2, z)) - base)[0] > 1e-12
        assert not np.any(changed[: j + 1]), (j, changed)   # outputs <= j never see pixel j
        assert np.any(changed[j + 1:]) or j == D - 1


def test_made_distribution_normalises():
    """Oracle: sum over all 2^D images of prod_d p(x_d | x_<d, z) = 1."""
    rng = np.random.default_rng(2)
    D = 5
    p = latent.made_init(rng, D, hidden=(8,), n_latent=2)
    p["direct"] += rng.standard_normal((D, D))
    z = rng.standard_normal((1, 2))
    X = np.array(list(itertools.product([0.0, 1.0], repeat=D)))
    lp = np.sum(latent.bernoulli_log_prob(X, latent.made_logits(p, X, np.repeat(z, len(X), 0))), -1)
    assert np.exp(lp).sum() == pytest.approx(1.0, abs=1e-12)


def test_masks_and_bad_input():
    masks, direct = made_masks(4, (5,))
    assert masks[0].shape == (4, 5) and masks[1].shape == (5, 4) and np.all(np.triu(direct.T) == 0)
    with pytest.raises(ValueError, match="mask"):
        latent.masked_dense(np.zeros((1, 2)), np.zeros((2, 3)), np.zeros(3), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="activation"):
        latent.masked_dense(np.zeros((1, 2)), np.zeros((2, 3)), np.zeros(3), np.zeros((2, 3)), "sigmoid")
