"""VAE parts and training.

Oracles: on a tiny categorical model the ELBO is below the exact log-likelihood (enumeration
of z) and their gap is the KL to the exact posterior; a short training run lowers the test
-ELBO; a checkpointed run interrupted half-way and resumed is bit-identical to an uninterrupted
one; one step on a tiny MNIST IDX directory written by the test; bad input names the argument.
"""
import numpy as np
import pytest

from expressivity import latent
from expressivity.autodiff import tree_leaves
from expressivity.datasets import Dataset, write_idx
from expressivity.latent import train as T


def test_elbo_below_exact_log_likelihood():
    """Oracle: log p(x) = logsumexp_z [log p(z) + log p(x|z)] by enumerating the 4 classes of a
    1 x 4 categorical latent; evaluate()'s ELBO (many samples) within 3 s.e. of the exact
    ELBO = E_q log p(x|z) - KL, and below log p(x)."""
    spec = latent.VAESpec(n_pixels=6, latent="categorical", n_vars=1, n_classes=4, encoder_hidden=(8,),
                          decoder_hidden=(8,))
    p = latent.init_vae(spec, 0)
    x = (np.random.default_rng(0).random((1, 6)) < 0.5).astype(float)
    logits = np.asarray(latent.encode(spec, p, x))[0, 0]
    q = np.exp(logits - np.logaddexp.reduce(logits))
    Z = np.eye(4)
    lpx_z = np.sum(latent.bernoulli_log_prob(x, latent.decoder_logits(spec, p, np.repeat(x, 4, 0), Z)), -1)
    log_px = np.logaddexp.reduce(np.log(0.25) + lpx_z)
    elbo_exact = float(q @ lpx_z - np.sum(q * np.log(4 * q)))
    ev = latent.evaluate(spec, p, x, seed=1, n_samples=20000)
    se = np.sqrt(q @ (lpx_z - q @ lpx_z) ** 2 / 20000)
    assert abs(ev["elbo"] - elbo_exact) < 3 * se + 1e-12
    assert elbo_exact <= log_px


@pytest.mark.parametrize("estimator", latent.ESTIMATORS)
def test_short_training_improves(estimator):
    res = latent.train_vae(latent.VAESpec(latent="categorical", n_vars=4, n_classes=4, encoder_hidden=(32,),
                                          decoder_hidden=(32,)), "digits", estimator=estimator, steps=60,
                           progress=False, seed=1)
    h = res.history
    assert len(h) == 60 and np.all(np.isfinite(h["elbo"]))
    assert h["elbo"][-10:].mean() > h["elbo"][:10].mean()
    assert "steps" in repr(res) and len(repr(res)) < 200


def test_gaussian_autoregressive_and_ar1_train():
    res = latent.train_vae(None, "digits", steps=30, progress=False, latent="gaussian", n_latent=4,
                           decoder="autoregressive", decoder_hidden=(32,), prior="ar1", alpha=0.5,
                           encoder_hidden=(32,), eval_every=15)
    assert np.isfinite(res.test["elbo"]) and res.test["R"] >= latent.ar1_committed_rate(4, 0.5) - 1e-9
    assert np.sum(~np.isnan(res.history["test_elbo"])) == 2


def test_checkpoint_resume_is_bit_identical(tmp_path, monkeypatch):
    kw = dict(steps=12, progress=False, latent="categorical", n_vars=3, n_classes=4, encoder_hidden=(16,),
              decoder_hidden=(16,), estimator="score_function", seed=3)
    ref = latent.train_vae(None, "digits", **kw)
    calls = {"n": 0}
    real = T.rate_distortion

    def flaky(*a, **k):
        calls["n"] += 1
        if calls["n"] == 7:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(T, "rate_distortion", flaky)
    ck = tmp_path / "run.ckpt"
    part = latent.train_vae(None, "digits", checkpoint=ck, checkpoint_every=0.0, **kw)
    assert part.interrupted and len(part.history) == 6 and ck.exists()
    monkeypatch.setattr(T, "rate_distortion", real)
    again = latent.train_vae(None, "digits", checkpoint=ck, checkpoint_every=0.0, **kw)
    assert again.history.resumed_from == 6 and not ck.exists()
    for k in ("loss", "D", "R"):
        np.testing.assert_array_equal(again.history[k], ref.history[k])
    for a, b in zip(tree_leaves(again.params), tree_leaves(ref.params)):
        np.testing.assert_array_equal(a, b)
    assert again.test == ref.test


def test_one_step_on_tiny_mnist_idx(tmp_path):
    """A directory of IDX files written here (12 train, 4 test images of 6 x 6): the same entry
    point trains on it (binarised by load_mnist)."""
    rng = np.random.default_rng(0)
    write_idx(tmp_path / "train-images-idx3-ubyte", rng.integers(0, 256, (12, 6, 6)).astype(np.uint8))
    write_idx(tmp_path / "train-labels-idx1-ubyte", rng.integers(0, 10, 12).astype(np.uint8))
    write_idx(tmp_path / "t10k-images-idx3-ubyte", rng.integers(0, 256, (4, 6, 6)).astype(np.uint8))
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", rng.integers(0, 10, 4).astype(np.uint8))
    res = latent.train_vae(None, str(tmp_path), steps=1, batch_size=8, progress=False, latent="gaussian",
                           n_latent=2, encoder_hidden=(8,), decoder_hidden=(8,))
    assert res.spec.n_pixels == 36 and res.settings["data"] == "mnist-binarized" and np.isfinite(res.test["elbo"])


@pytest.mark.parametrize("kw, name", [
    (dict(beta=-0.5), "beta"), (dict(estimator="nope"), "estimator"), (dict(tau0=0.0), "tau0"),
    (dict(latent="gaussian", posterior_var=-1.0), "posterior_var"), (dict(prior="ar1", alpha=1.5), "alpha"),
])
def test_bad_input(kw, name):
    with pytest.raises(ValueError, match=name):
        latent.train_vae(None, "digits", steps=1, progress=False, **kw)


def test_non_binary_dataset_rejected():
    d = Dataset(np.full((4, 4), 0.5), np.zeros(4, int), np.zeros((2, 4)), np.zeros(2, int), (2, 2), 1, "x")
    with pytest.raises(ValueError, match="binary"):
        T.resolve_data(d)


def test_relaxed_kl_option():
    """The relaxed (density-based) KL of the paper's reference code trains with the relaxed
    estimators and is refused with the others."""
    kw = dict(steps=5, progress=False, latent="categorical", n_vars=3, n_classes=4, encoder_hidden=(16,),
              decoder_hidden=(16,), kl="relaxed")
    res = latent.train_vae(None, "digits", estimator="gumbel", **kw)
    assert np.all(np.isfinite(res.history["R"]))
    with pytest.raises(ValueError, match="relaxed"):
        latent.train_vae(None, "digits", estimator="st", **kw)


def test_posterior_samples_follow_the_posterior():
    """Oracle: over 4000 repeated draws for one image, posterior_samples' mean and variance
    match the encoder's mean and exp(log_var) within 4 s.e. (Gaussian), and the one-hot
    frequencies match softmax(logits) within 4 s.e. (categorical)."""
    n = 4000
    spec = latent.VAESpec(n_pixels=6, n_latent=3, encoder_hidden=(8,), decoder_hidden=(8,))
    p = latent.init_vae(spec, 0)
    p["enc"][-1]["W"] *= 10.0   # means away from 0
    x = np.repeat((np.arange(6) % 2).astype(float)[None], n, 0)
    z = latent.posterior_samples(spec, p, x, seed=3)
    mean, log_var = (np.asarray(a)[0] for a in latent.encode(spec, p, x[:1]))
    var = np.exp(log_var)
    assert np.all(np.abs(z.mean(0) - mean) < 4 * np.sqrt(var / n))
    assert np.all(np.abs(z.var(0, ddof=1) - var) < 4 * var * np.sqrt(2 / (n - 1)))
    cspec = latent.VAESpec(n_pixels=6, latent="categorical", n_vars=2, n_classes=3, encoder_hidden=(8,),
                           decoder_hidden=(8,))
    cp = latent.init_vae(cspec, 1)
    zc = latent.posterior_samples(cspec, cp, x, seed=4).reshape(n, 2, 3)
    assert np.all(zc.sum(-1) == 1)
    q = np.asarray(latent.posterior_means(cspec, cp, x[:1])).reshape(2, 3)
    assert np.all(np.abs(zc.mean(0) - q) < 4 * np.sqrt(q * (1 - q) / n))
