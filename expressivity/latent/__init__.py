"""expressivity.latent: latent-variable models on :mod:`expressivity.autodiff`.

Jang, Gu & Poole (2017) Gumbel-Softmax, Alemi et al. (2018) "Fixing a Broken ELBO", Razavi et
al. (2019) delta-VAEs, on one set of VAE parts:

    from expressivity import latent
    y = latent.gumbel_softmax_sample(logits, tau, rng, hard=False)   # relaxed sample (last axis)
    latent.gumbel_softmax_log_prob(y, logits, tau)                   # density w.r.t. the first k-1 coordinates
    res = latent.train_vae(latent.VAESpec(latent="categorical"), "digits", estimator="gumbel")

Modules: :mod:`.distributions` (Bernoulli, Gaussian, categorical, Gumbel-Softmax, AR(1)),
:mod:`.estimators` (GS, ST-GS, ST, score function; the tau schedule), :mod:`.kl` (closed forms,
the AR(1) KL and committed rate, the relaxed KL), :mod:`.made` (masked autoregressive layers),
:mod:`.vae` (encoders, decoders, rate and distortion), :mod:`.train` (D + beta R training),
:mod:`.toy` (the Broken-ELBO 1-D problem with exact information), :mod:`.synthetic` (noisy
digit prototypes with an exact density), :mod:`.probe` (linear probe), :mod:`.experiments` (the papers' runs as sweep cells).
"""
from .distributions import (
    ar1_log_prob,
    ar1_sample,
    bernoulli_log_prob,
    bernoulli_sample,
    categorical_log_prob,
    categorical_sample,
    gaussian_log_prob,
    gaussian_sample,
    gumbel_softmax_log_prob,
    gumbel_softmax_log_prob_from_log,
    gumbel_softmax_log_sample,
    gumbel_softmax_sample,
    logits_from_probs,
)
from .estimators import ESTIMATORS, LABELS, MovingAverageBaseline, anneal_tau, draw_latent, surrogate_loss
from .kl import (
    alpha_for_rate,
    ar1_committed_rate,
    gaussian_committed_rate,
    kl_ar1,
    kl_categorical,
    kl_gaussian,
    kl_standard_normal,
    relaxed_kl,
    sigma2_for_rate,
)
from . import probe, synthetic, toy  # noqa: F401  (latent.toy, latent.probe, latent.synthetic)
from .made import made_init, made_logits, made_sample, masked_dense
from .train import VAEResult, beta_objective, check_beta, resolve_data, train_vae
from .vae import VAESpec, decoder_logits, encode, evaluate, init_vae, posterior_means, posterior_samples, rate_distortion, sample_images

__all__ = [
    "gumbel_softmax_sample", "gumbel_softmax_log_prob", "gumbel_softmax_log_sample",
    "gumbel_softmax_log_prob_from_log", "bernoulli_log_prob", "bernoulli_sample",
    "gaussian_log_prob", "gaussian_sample", "categorical_log_prob", "categorical_sample",
    "logits_from_probs", "ar1_log_prob", "ar1_sample",
    "ESTIMATORS", "LABELS", "draw_latent", "surrogate_loss", "MovingAverageBaseline", "anneal_tau",
    "kl_gaussian", "kl_standard_normal", "kl_categorical", "kl_ar1", "relaxed_kl",
    "ar1_committed_rate", "gaussian_committed_rate", "alpha_for_rate", "sigma2_for_rate",
    "masked_dense", "made_init", "made_logits", "made_sample",
    "VAESpec", "init_vae", "encode", "decoder_logits", "rate_distortion", "evaluate",
    "posterior_means", "posterior_samples", "sample_images",
    "train_vae", "VAEResult", "beta_objective", "check_beta", "resolve_data",
]
