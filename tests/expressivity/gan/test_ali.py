"""ALI (Dumoulin et al. 2017).

Oracles: central finite differences of the ALI losses in every parameter group (tiny
networks, float64); the closed-form optimum of the joint discriminator's logistic loss
(dL_D/dT = 0 at T = log q(x,z)/p(x,z), checked pointwise); the reparameterised encoder's
sample moments against the encoder's own mean and variance heads.
"""
import numpy as np
import pytest

import expressivity.autodiff.numpy as anp
from expressivity.autodiff import grad, nn
from expressivity.autodiff.testing import numerical_grad, rel_error
from expressivity.gan.ali import ALITrainer, _encode, ali_losses


def _tiny(seed=0):
    r = np.random.default_rng(seed)
    E = nn.mlp_init(r, [2, 5, 4], sigma_w2=1.0, sigma_b2=0.05)
    Gx = nn.mlp_init(r, [2, 5, 2], sigma_w2=1.0, sigma_b2=0.05)
    D = nn.mlp_init(r, [4, 6, 1], sigma_w2=1.0, sigma_b2=0.05)
    x, z, eps = r.normal(size=(7, 2)), r.normal(size=(7, 2)), r.normal(size=(7, 2))
    return E, Gx, D, x, z, eps


@pytest.mark.parametrize("which,loss", [(0, 1), (1, 1), (2, 0)])
def test_ali_loss_gradients_vs_fd(which, loss):
    args = list(_tiny())
    f = lambda p: ali_losses(*(args[:which] + [p] + args[which + 1:]), activation="tanh")[loss]
    g = grad(f)(args[which])
    assert rel_error(g, numerical_grad(f, (args[which],))) < 1e-6


def test_joint_discriminator_optimum_is_log_ratio():
    """For densities q, p at one (x, z): q softplus(-T) + p softplus(T) is minimal at T = log q/p."""
    q, p = 0.2, 0.9
    assert abs(grad(lambda t: q * anp.softplus(-t) + p * anp.softplus(t))(np.log(q / p))) < 1e-14


def test_encoder_reparameterisation_moments():
    """z = mu + exp(logvar/2) eps: over many eps at one x, the sample mean and variance match
    the heads within 5 standard errors."""
    E = _tiny()[0]
    x = np.repeat(np.array([[0.3, -0.7]]), 20000, 0)
    eps = np.random.default_rng(1).normal(size=(20000, 2))
    z, mu = _encode(E, x, eps, "tanh")
    h = nn.mlp_apply(E, x[:1], "tanh")[0]
    var = np.exp(h[2:])
    np.testing.assert_allclose(mu[0], h[:2])
    assert np.all(np.abs(z.mean(0) - h[:2]) < 5 * np.sqrt(var / 20000))
    assert np.all(np.abs(z.var(0) / var - 1) < 5 * np.sqrt(2 / 20000))


def test_trainer_models_and_errors():
    r = np.random.default_rng(0)
    for model in ("ali", "gan"):
        tr = ALITrainer(model, hidden=8, seed=0)
        lg, ld = tr.step(r.normal(size=(16, 2)), r.normal(size=(16, 2)), r.normal(size=(16, 2)))
        assert np.isfinite(lg) and np.isfinite(ld)
        assert tr.sample(5).shape == (5, 2)
    assert ALITrainer("ali", hidden=8).reconstruct(np.zeros((3, 2))).shape == (3, 2)
    with pytest.raises(ValueError, match="reconstruct"):
        ALITrainer("gan", hidden=8).reconstruct(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="model"):
        ALITrainer("vae")
