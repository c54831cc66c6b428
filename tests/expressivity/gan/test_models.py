"""Generator/discriminator networks and their initialisation.

Oracles: closed-form orthogonality (W W^T = gain^2 I for a widening layer without the fan
ratio, the TensorFlow ``orthogonal_initializer(gain)`` convention; gain^2 n_out/n_in I with
it), Metz et al.'s input scaling (D(x) = MLP(x / 4)) against the bare MLP on x / 4.
"""
import numpy as np
import pytest

from expressivity.autodiff import nn
from expressivity.gan import Architecture
from expressivity.gan.models import discriminator, network_init


@pytest.mark.parametrize("n_in,n_out", [(2, 128), (128, 128), (128, 1)])
def test_orthogonal_without_fan_ratio_has_rows_of_norm_gain(n_in, n_out):
    W = network_init(0, [n_in, n_out], gain=0.8, fan_ratio=False)[0]["W"]
    G = W @ W.T if n_in <= n_out else W.T @ W
    np.testing.assert_allclose(G, 0.64 * np.eye(min(n_in, n_out)), atol=1e-12)
    assert W.flags.c_contiguous


def test_fan_ratio_convention_of_nn_orthogonal_init():
    """nn.orthogonal_init(fan_ratio=True) (its default) scales a 2 -> 128 layer's rows to norm
    gain sqrt(64) = 8 gain: the reason the old CPU setting's D had rows of norm ~11."""
    W = nn.orthogonal_init(0, 2, 128, sigma_w2=1.96)
    np.testing.assert_allclose(np.linalg.norm(W, axis=1), 1.4 * 8.0, rtol=1e-12)
    W0 = nn.orthogonal_init(0, 2, 128, sigma_w2=1.96, fan_ratio=False)
    np.testing.assert_allclose(np.linalg.norm(W0, axis=1), 1.4, rtol=1e-12)
    np.testing.assert_allclose(W, 8.0 * W0, rtol=1e-12)
    with pytest.raises(TypeError, match="fan_ratio"):
        nn.orthogonal_init(0, 2, 3, fan_ratio=1)


def test_architecture_shapes_and_input_scale():
    a = Architecture()
    G, D = a.init_params(0)
    assert [l["W"].shape for l in G] == [(256, 128), (128, 128), (128, 2)]
    assert [l["W"].shape for l in D] == [(2, 128), (128, 1)]
    assert all(np.all(l["b"] == 0) for l in G + D)
    x = np.random.default_rng(1).normal(size=(5, 2))
    np.testing.assert_allclose(a.logits(D, x), nn.mlp_apply(D, x / 4.0, "relu")[:, 0], rtol=1e-14)
    np.testing.assert_allclose(discriminator(D, x, "relu", 1.0), nn.mlp_apply(D, x, "relu")[:, 0])
    G2, D2 = a.init_params(0)
    np.testing.assert_array_equal(G[0]["W"], G2[0]["W"])
