"""ALI (Dumoulin et al. 2017).

Oracles: central finite differences of the ALI losses in every parameter group (tiny
networks, float64, both encoder types); a hand-written numpy maxout network; the closed-form
optimum of the joint discriminator's logistic loss (dL_D/dT = 0 at T = log q(x,z)/p(x,z),
pointwise); the reparameterised Gaussian encoder's sample moments against its own mean and
variance heads (5 standard errors); the shapes of the official 25-Gaussian experiment.
"""
import numpy as np
import pytest

import expressivity.autodiff.numpy as anp
from expressivity import gan
from expressivity.autodiff import grad, nn
from expressivity.autodiff.testing import numerical_grad, rel_error
from expressivity.gan.ali import ALIArchitecture, ALITrainer, ali_losses, maxout_apply


def _tiny(encoder, seed=0, batch_norm=True):
    arch = ALIArchitecture(gen_hidden=5, decoder_layers=2, encoder_layers=1, d_hidden=4, d_layers=2,
                           d_pieces=3, encoder=encoder, gen_activation="tanh", batch_norm=batch_norm,
                           init_std=0.5)
    p = arch.init_params("ali", seed)
    r = np.random.default_rng(seed)
    for net in p.values():
        for layer in net:
            layer["b"] += 0.1 * r.standard_normal(layer["b"].shape)
    x, z = r.normal(size=(7, 2)), r.normal(size=(7, 2))
    eps = r.normal(size=(7, arch.encoder_noise_dim))
    return arch, p, x, z, eps


@pytest.mark.parametrize("encoder", ["noise", "gaussian"])
@pytest.mark.parametrize("which,loss", [("E", 1), ("Gx", 1), ("D", 0)])
def test_ali_loss_gradients_vs_fd(encoder, which, loss):
    arch, p, x, z, eps = _tiny(encoder)

    def f(net):
        q = dict(p, **{which: net})
        return ali_losses(q["E"], q["Gx"], q["D"], x, z, eps, arch)[loss]

    assert rel_error(grad(f)(p[which]), numerical_grad(f, (p[which],))) < 1e-6


def test_batch_norm_matches_numpy():
    """Batch statistics (population variance) and eps = 1e-4, then scale and shift."""
    from expressivity.gan.ali import batch_norm

    r = np.random.default_rng(2)
    z, g, b = r.normal(size=(9, 4)) * 3 + 1, r.normal(size=4), r.normal(size=4)
    ref = (z - z.mean(0)) / np.sqrt(z.var(0) + 1e-4) * g + b
    np.testing.assert_allclose(batch_norm(z, g, b), ref, rtol=1e-13)


def test_maxout_matches_numpy():
    """Hidden units are the maximum over contiguous blocks of ``pieces`` column groups."""
    r = np.random.default_rng(1)
    params = [{"W": r.normal(size=(3, 4 * 3)), "b": r.normal(size=12)}, {"W": r.normal(size=(4, 1)), "b": r.normal(size=1)}]
    x = r.normal(size=(5, 3))
    h = (x @ params[0]["W"] + params[0]["b"]).reshape(5, 3, 4).max(1)
    np.testing.assert_allclose(maxout_apply(params, x, 3), h @ params[1]["W"] + params[1]["b"], rtol=1e-13)


def test_official_shapes():
    """IshmaelBelghazi/ALI experiments/ali_mixture.py: decoder 2 -> 4 x 400 -> 2, encoder on
    [x, eps] -> 2 x 400 -> 2, joint D 3 maxout layers of 200 units x 5 pieces; Adam 1e-4,
    beta1 = 0.8, batch 100."""
    s = gan.ALI_SETTINGS["dumoulin2017"]
    assert (s["gen_hidden"], s["decoder_layers"], s["encoder_layers"], s["encoder"]) == (400, 4, 2, "noise")
    assert (s["d_hidden"], s["d_layers"], s["d_pieces"]) == (200, 3, 5)
    assert (s["d_lr"], s["g_lr"], s["b1"], s["batch_size"]) == (1e-4, 1e-4, 0.8, 100)
    p = ALIArchitecture().init_params("ali", 0)
    assert [l["W"].shape for l in p["E"]] == [(4, 400), (400, 400), (400, 2)]
    assert [l["W"].shape for l in p["Gx"]] == [(2, 400)] + [(400, 400)] * 3 + [(400, 2)]
    assert [l["W"].shape for l in p["D"]] == [(4, 1000), (200, 1000), (200, 1000), (200, 1)]
    assert [l["W"].shape for l in ALIArchitecture().init_params("gan", 0)["D"]][0] == (2, 1000)
    assert all("gamma" in l for l in p["Gx"][:-1]) and "gamma" not in p["Gx"][-1]
    assert abs(p["D"][1]["W"].std() / 0.02 - 1) < 0.01  # IsotropicGaussian(std=0.02)


def test_joint_discriminator_optimum_is_log_ratio():
    """For densities q, p at one (x, z): q softplus(-T) + p softplus(T) is minimal at T = log q/p."""
    q, p = 0.2, 0.9
    assert abs(grad(lambda t: q * anp.softplus(-t) + p * anp.softplus(t))(np.log(q / p))) < 1e-14


def test_gaussian_encoder_reparameterisation_moments():
    """z = mu + exp(logvar/2) eps: over many eps at one x, the sample mean and variance match
    the heads within 5 standard errors."""
    arch, p, _, _, _ = _tiny("gaussian", batch_norm=False)
    x = np.repeat(np.array([[0.3, -0.7]]), 20000, 0)
    eps = np.random.default_rng(1).normal(size=(20000, 2))
    z, mu = arch.encode(p["E"], x, eps)
    h = nn.mlp_apply(p["E"], x[:1], "tanh")[0]
    var = np.exp(h[2:])
    np.testing.assert_allclose(mu[0], h[:2])
    assert np.all(np.abs(z.mean(0) - h[:2]) < 5 * np.sqrt(var / 20000))
    assert np.all(np.abs(z.var(0) / var - 1) < 5 * np.sqrt(2 / 20000))


def test_trainer_models_state_and_reconstruction():
    arch = ALIArchitecture(gen_hidden=8, d_hidden=8)
    r = np.random.default_rng(0)
    for model in ("ali", "gan"):
        tr = ALITrainer(model, arch, seed=0)
        lg, ld = tr.step(r.normal(size=(16, 2)), r.normal(size=(16, 2)), r.normal(size=(16, 2)))
        assert np.isfinite(lg) and np.isfinite(ld)
        assert tr.sample(5).shape == (5, 2) and len(repr(tr)) < 400
    a, b = ALITrainer("ali", arch, seed=1), ALITrainer("ali", arch, seed=2)
    b.set_state(a.get_state())
    xb = r.normal(size=(16, 2)), r.normal(size=(16, 2)), r.normal(size=(16, 2))
    assert a.step(*xb) == b.step(*xb)
    assert a.reconstruct(np.zeros((3, 2))).shape == (3, 2)


def test_grid_experiment_returns_reconstructions():
    r = gan.grid_experiment("ali", steps=3, seed=0, gen_hidden=8, d_hidden=8, batch_size=16,
                            n_eval=200, n_reconstruct=50, progress=False)
    assert r.extras["data"].shape == r.extras["reconstruction"].shape == (50, 2)
    err = np.mean(np.sum((r.extras["data"] - r.extras["reconstruction"]) ** 2, 1))
    assert np.isclose(r.config["reconstruction_error"], err)
    g = gan.grid_experiment("gan", steps=3, seed=0, gen_hidden=8, d_hidden=8, batch_size=16,
                            n_eval=200, progress=False)
    assert np.isnan(g.config["reconstruction_error"]) and g.extras == {}
