"""The three papers' runs as sweep cells (module-level functions of plain parameters, so
:func:`expressivity.sweep.run_rows` can store each run as one verified file and resume an
interrupted figure run by run).

- :func:`gs_cell` (Jang et al. 2017): a categorical VAE on binarised digits with one gradient
  estimator and seed: the test -ELBO, its curve, the training curve.
- :func:`gradient_variance` (Jang et al. 2017): per-parameter variance of each estimator's
  encoder gradient at the same parameters and minibatch.
- :func:`toy_cell` (Alemi et al. 2018): one beta on the 1-D toy: D, R, exact I, H.
- :func:`rd_cell` (Alemi et al. 2018): one beta and decoder on binarised digits: test D, R.
- :func:`delta_cell` (Razavi et al. 2019): a plain VAE or a delta-VAE with the autoregressive
  decoder on binarised digits or noisy digit prototypes: test D, R, ELBO, the committed rate,
  the linear-probe accuracies and (prototypes) the exact test -log p(x).

Every cell takes ``checkpoint_dir`` (None or a directory): a long training run then saves its
state there every 30 s and a rerun resumes it (:class:`expressivity.training.Checkpoint`).
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from ..autodiff import tree_leaves, value_and_grad
from ..checks import check_choice
from ..datasets import load_digits
from . import estimators as est
from .kl import alpha_for_rate, sigma2_for_rate
from .probe import linear_probe
from .toy import toy_data, train_toy
from .train import beta_objective, train_vae
from .synthetic import prototype_digits, prototype_log_prob
from .vae import VAESpec, init_vae, posterior_means, posterior_samples, rate_distortion

__all__ = ["GS_SPEC", "gs_spec", "gs_cell", "gradient_variance", "toy_cell", "rd_cell",
           "delta_spec", "delta_data", "delta_cell", "DELTA_KINDS", "DELTA_DATA"]

#: the categorical VAE of the Gumbel-Softmax experiment at digits scale: 8 variables x 8
#: classes (the paper: 20 x 10 on 28 x 28 MNIST; on the 64 binary pixels of the digits a
#: 20 x 10 latent collapsed to R = 0 within 3000 steps for every estimator and all 3 seeds,
#: tried), 2-layer ReLU encoder and decoder (paper: 512-256 / 256-512; here 256-128 / 128-256).
GS_SPEC = dict(latent="categorical", n_vars=8, n_classes=8, encoder_hidden=(256, 128),
               decoder_hidden=(128, 256))


def gs_spec(n_pixels=64, **kw) -> VAESpec:
    return VAESpec(n_pixels=n_pixels, **{**GS_SPEC, **kw})


def _ckpt(checkpoint_dir, **key):
    if checkpoint_dir is None:
        return None
    h = hashlib.sha256(json.dumps(key, sort_keys=True, default=repr).encode()).hexdigest()[:16]
    return Path(checkpoint_dir) / f"run-{h}.ckpt"


def _data(data):
    return load_digits(binarize=True) if data == "digits" else data


def gs_cell(estimator, seed, n_vars=8, n_classes=8, steps=3000, batch_size=100, lr=1e-3, anneal_rate=2e-4,
            anneal_every=500, tau_min=0.5, kl="analytic", eval_every=250, data="digits", checkpoint_dir=None):
    """One Gumbel-Softmax-experiment run: {"test_elbo", "test_D", "test_R", "curve_step",
    "curve_test_elbo", "train_elbo" (per step, the trained objective's), "seconds"}."""
    est.check_estimator(estimator)
    res = train_vae(gs_spec(kl=kl, n_vars=n_vars, n_classes=n_classes), _data(data), estimator=estimator, steps=steps, batch_size=batch_size,
                    lr=lr, anneal_rate=anneal_rate, anneal_every=anneal_every, tau_min=tau_min,
                    seed=int(seed), eval_every=eval_every, progress=False,
                    checkpoint=_ckpt(checkpoint_dir, cell="gs", estimator=estimator, seed=int(seed),
                                     steps=steps, lr=lr, kl=kl, n_vars=n_vars, n_classes=n_classes))
    if res.interrupted:
        raise KeyboardInterrupt(f"gs run {estimator!r} seed {seed} interrupted")
    te = res.history["test_elbo"]
    ok = ~np.isnan(te)
    return {"test_elbo": res.test["elbo"], "test_D": res.test["D"], "test_R": res.test["R"],
            "curve_step": np.flatnonzero(ok) + 1, "curve_test_elbo": te[ok],
            "train_elbo": res.history["elbo"], "seconds": res.seconds}


def gradient_variance(estimators=est.ESTIMATORS, train_steps=1000, n_grads=200, tau=0.5, batch_size=100,
                      seed=0, data="digits", n_vars=8, n_classes=8):
    """Variance of each estimator's gradient of the negative ELBO w.r.t. the encoder parameters,
    all at the same parameters (a GS-trained model after ``train_steps`` steps) and minibatch,
    over ``n_grads`` independent draws of the latent noise.

    Returns {"var_<estimator>": mean over encoder parameters of the per-parameter variance,
    "norm2_<estimator>": squared norm of the mean gradient} (the score function with its
    moving-average baseline set to the batch's mean distortion).
    """
    ds = _data(data)
    spec = gs_spec(ds.x_train.shape[1], n_vars=n_vars, n_classes=n_classes)
    if train_steps:
        params = train_vae(spec, ds, estimator="gumbel", steps=train_steps, seed=seed, progress=False,
                           anneal_rate=2e-4).params
    else:
        params = init_vae(spec, seed, pixel_mean=ds.x_train.mean(0))
    xb = ds.x_train[np.random.default_rng([seed, 5]).permutation(len(ds.x_train))[:batch_size]]
    out = {}
    for name in estimators:
        rng = np.random.default_rng([seed, 11])

        def loss(enc, b):
            D, R, draw = rate_distortion(spec, {"enc": enc, "dec": params["dec"]}, xb, rng, name, tau)
            return beta_objective(est.surrogate_loss(D, draw, b), R, 1.0), D

        vg = value_and_grad(loss, has_aux=True)
        b = 0.0
        if name == "score_function":  # the baseline: the batch's mean D at these parameters
            b = float(np.mean([np.mean(vg(params["enc"], 0.0)[0][1]) for _ in range(20)]))
        gs = []
        for _ in range(n_grads):
            _, g = vg(params["enc"], b)
            gs.append(np.concatenate([np.ravel(a) for a in tree_leaves(g)]))
        G = np.asarray(gs)
        out[f"var_{name}"] = float(G.var(axis=0, ddof=1).mean())
        out[f"norm2_{name}"] = float(np.sum(G.mean(0) ** 2))
    return out


def toy_cell(decoder, beta, seed=0, steps=3000, lr=1e-2, n_samples=16):
    """One beta on the Broken-ELBO toy: {"D", "R", "I", "H", "elbo"} (I exact)."""
    r = train_toy(decoder, float(beta), toy_data(), steps=steps, lr=lr, seed=int(seed), n_samples=n_samples)
    return {"D": r.D, "R": r.R, "I": r.I, "H": r.H, "elbo": r.elbo}


def rd_cell(decoder, beta, seed=0, steps=3000, n_latent=16, lr=1e-3, data="digits", checkpoint_dir=None):
    """One beta-VAE on binarised digits with a ``"factorized"`` or ``"autoregressive"`` decoder:
    test {"D", "R", "elbo"}."""
    check_choice("decoder", decoder, ("factorized", "autoregressive"))
    hidden = (128, 256) if decoder == "factorized" else (256,)
    res = train_vae(None, _data(data), beta=float(beta), steps=steps, lr=lr, seed=int(seed), progress=False,
                    latent="gaussian", n_latent=n_latent, decoder=decoder, decoder_hidden=hidden,
                    checkpoint=_ckpt(checkpoint_dir, cell="rd", decoder=decoder, beta=float(beta),
                                     seed=int(seed), steps=steps))
    if res.interrupted:
        raise KeyboardInterrupt("rd run interrupted")
    return {"D": res.test["D"], "R": res.test["R"], "elbo": res.test["elbo"]}


DELTA_KINDS = ("vae", "delta_ar1", "delta_var")


def delta_spec(kind, delta=4.0, n_latent=16, n_pixels=64, decoder_hidden=(512,)) -> VAESpec:
    """The delta-VAE experiment's models, all with the autoregressive (MADE) decoder:
    ``"vae"`` N(0, I) prior, learned variances (can collapse); ``"delta_ar1"`` the AR(1) prior
    with alpha chosen so the committed rate is ``delta`` (Razavi et al. Sec. 3.1);
    ``"delta_var"`` N(0, I) prior with the posterior variance fixed so that the rate is at least
    ``delta`` (the paper's simplest case)."""
    check_choice("kind", kind, DELTA_KINDS)
    kw = dict(n_pixels=n_pixels, latent="gaussian", n_latent=n_latent, decoder="autoregressive",
              decoder_hidden=tuple(decoder_hidden))
    if kind == "delta_ar1":
        kw.update(prior="ar1", alpha=alpha_for_rate(delta, n_latent))
    elif kind == "delta_var":
        kw.update(posterior_var=sigma2_for_rate(delta, n_latent))
    return VAESpec(**kw)


DELTA_DATA = ("digits", "prototypes")


def delta_data(data="digits", flip=0.05):
    """The delta-VAE experiment's data: ``"digits"`` (binarised 8 x 8 digits) or
    ``"prototypes"`` (noisy digit prototypes, :func:`.synthetic.prototype_digits` with 20000
    training and 1000 test images, seed 0, pixels flipped with probability ``flip``; with 4000
    training images the MADE overfits within 10000 steps and the rate stalls near 1.2 nats)."""
    check_choice("data", data, DELTA_DATA)
    if data == "digits":
        return load_digits(binarize=True)
    return prototype_digits(flip, n_train=20000, n_test=1000, seed=0)


def delta_cell(kind, seed, delta=4.0, steps=4000, n_latent=16, lr=1e-3, data="digits", flip=0.05,
               decoder_width=512, checkpoint_dir=None):
    """One delta-VAE-experiment run on ``data`` (:func:`delta_data`), MADE decoder with one
    hidden layer of ``decoder_width`` units: test {"D", "R", "elbo"},
    "delta" (committed rate), "probe" (linear-probe test accuracy on the posterior means),
    "probe_z" (the same on one posterior sample per image: what the latent carries), "nll"
    (the exact test -log p(x) for ``"prototypes"``, NaN for digits), and over training
    "curve_step", "R_curve", "nelbo_curve" (test rate and -ELBO, one posterior sample)."""
    ds = delta_data(data, flip)
    spec = delta_spec(kind, delta, n_latent, ds.x_train.shape[1], (int(decoder_width),))
    key = dict(cell="delta", kind=kind, seed=int(seed), delta=delta, steps=steps, n_latent=n_latent, lr=lr,
               data=data, flip=flip, decoder_width=int(decoder_width))
    res = train_vae(spec, ds, steps=steps, lr=lr, seed=int(seed), progress=False, eval_every=max(1, steps // 20),
                    checkpoint=_ckpt(checkpoint_dir, **key))
    if res.interrupted:
        raise KeyboardInterrupt("delta run interrupted")
    acc = linear_probe(posterior_means(spec, res.params, ds.x_train), ds.y_train,
                       posterior_means(spec, res.params, ds.x_test), ds.y_test)
    acc_z = linear_probe(posterior_samples(spec, res.params, ds.x_train, np.random.default_rng([int(seed), 41])), ds.y_train,
                         posterior_samples(spec, res.params, ds.x_test, np.random.default_rng([int(seed), 43])), ds.y_test)
    nll = float(-np.mean(prototype_log_prob(ds.x_test, flip))) if data == "prototypes" else float("nan")
    tr = res.history["test_R"]
    ok = ~np.isnan(tr)
    return {"D": res.test["D"], "R": res.test["R"], "elbo": res.test["elbo"], "delta": spec.committed_rate,
            "probe": acc, "probe_z": acc_z, "nll": nll, "R_curve": tr[ok],
            "nelbo_curve": -res.history["test_elbo"][ok], "curve_step": np.flatnonzero(ok) + 1}
