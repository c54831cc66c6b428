"""VAE parts shared by the three papers: encoders, decoders, and the per-example rate and
distortion of a minibatch.

A model is a :class:`VAESpec` (what kind of latent, prior, posterior and decoder) plus a
params pytree ``{"enc": MLP, "dec": MLP or MADE}`` (:func:`init_vae`). For data x and
encoder e(z|x), decoder d(x|z) and prior m(z) (Alemi et al. 2018):

    D = -E_e[log d(x|z)]   (distortion, nats),   R = KL(e(z|x) || m(z))   (rate, nats),
    ELBO = -(D + R),       beta-VAE objective D + beta R.

Latents: ``"gaussian"`` (``n_latent`` dims, reparameterised; prior ``"normal"`` N(0, I) or
``"ar1"`` with correlation ``alpha`` over the latent sequence, Razavi et al. 2019; posterior
variance learned or fixed at ``posterior_var``, the delta-VAE's two ways of committing a
rate) or ``"categorical"`` (``n_vars`` variables of ``n_classes`` classes, uniform prior; the
estimator decides how z is drawn, :mod:`.estimators`; KL analytic or ``"relaxed"``).
Decoders: ``"factorized"`` (an MLP of z giving independent Bernoulli pixels: weak, must use z
to model pixel correlations) or ``"autoregressive"`` (a z-conditioned MADE over the pixels,
:mod:`.made`: powerful enough to ignore z).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from ..autodiff import nn
from ..autodiff import numpy as anp
from ..autodiff.core import getval
from ..checks import as_generator, check_choice, check_positive, check_positive_int
from . import distributions as dist
from . import estimators as est
from . import kl as KL
from .made import made_init, made_logits

__all__ = ["VAESpec", "init_vae", "encode", "decoder_logits", "rate_distortion", "evaluate",
           "posterior_means", "posterior_samples", "sample_images"]


@dataclass(frozen=True)
class VAESpec:
    """What a VAE is made of (all sizes in units; see the module docstring).

    Raises ValueError naming the field for an out-of-range value.
    """

    n_pixels: int = 64
    latent: str = "gaussian"
    n_latent: int = 16
    n_vars: int = 8
    n_classes: int = 8
    encoder_hidden: tuple = (256, 128)
    decoder: str = "factorized"
    decoder_hidden: tuple = (128, 256)
    prior: str = "normal"
    alpha: float = 0.0
    posterior_var: float | None = None
    kl: str = "analytic"
    activation: str = "relu"

    def __post_init__(self):
        check_positive_int("n_pixels", self.n_pixels, minimum=2)
        check_choice("latent", self.latent, ("gaussian", "categorical"))
        check_positive_int("n_latent", self.n_latent)
        check_positive_int("n_vars", self.n_vars)
        check_positive_int("n_classes", self.n_classes, minimum=2)
        check_choice("decoder", self.decoder, ("factorized", "autoregressive"))
        check_choice("prior", self.prior, ("normal", "ar1"))
        check_choice("kl", self.kl, ("analytic", "relaxed"))
        check_choice("activation", self.activation, ("relu", "tanh"))
        for name in ("encoder_hidden", "decoder_hidden"):
            v = getattr(self, name)
            object.__setattr__(self, name, tuple(int(h) for h in v))
            for h in getattr(self, name):
                check_positive_int(name, h)
        if self.prior == "ar1":
            dist.check_alpha(self.alpha)
            if self.latent != "gaussian":
                raise ValueError("prior='ar1' needs latent='gaussian'")
        if self.posterior_var is not None:
            check_positive("posterior_var", self.posterior_var)
            if self.latent != "gaussian":
                raise ValueError("posterior_var applies to latent='gaussian' only")
        if self.kl == "relaxed" and self.latent != "categorical":
            raise ValueError("kl='relaxed' needs latent='categorical'")

    @property
    def latent_size(self) -> int:
        """Width of the decoder's latent input."""
        return self.n_latent if self.latent == "gaussian" else self.n_vars * self.n_classes

    @property
    def committed_rate(self) -> float:
        """delta: the least rate the posterior family can reach (0 for an ordinary VAE)."""
        if self.latent != "gaussian":
            return 0.0
        if self.prior == "ar1":
            return KL.ar1_committed_rate(self.n_latent, self.alpha, self.posterior_var)
        if self.posterior_var is not None:
            return KL.gaussian_committed_rate(self.posterior_var, self.n_latent)
        return 0.0

    def to_dict(self) -> dict:
        return asdict(self)


def init_vae(spec: VAESpec, seed=0, pixel_mean=None, dtype=np.float64):
    """Parameters ``{"enc", "dec"}`` (He-initialised ReLU MLPs / MADE). ``pixel_mean`` (the
    training data's mean image) sets the decoder's output bias to its logit, a common start."""
    rng = as_generator(seed, "seed")
    n_enc_out = (spec.n_vars * spec.n_classes if spec.latent == "categorical"
                 else spec.n_latent * (1 if spec.posterior_var is not None else 2))
    enc = nn.mlp_init(rng, [spec.n_pixels, *spec.encoder_hidden, n_enc_out], sigma_w2=2.0, dtype=dtype)
    if spec.latent == "gaussian":
        enc[-1]["W"] *= 0.1  # start near the prior: small posterior means and unit variances
    if spec.decoder == "factorized":
        dec = nn.mlp_init(rng, [spec.latent_size, *spec.decoder_hidden, spec.n_pixels], sigma_w2=2.0,
                          dtype=dtype)
        out_b = dec[-1]["b"]
    else:
        dec = made_init(rng, spec.n_pixels, spec.decoder_hidden, spec.latent_size, dtype=dtype)
        out_b = dec["layers"][-1]["b"]
    if pixel_mean is not None:
        m = np.clip(np.asarray(pixel_mean, np.float64), 1e-3, 1 - 1e-3)
        out_b[...] = np.log(m) - np.log1p(-m)
    return {"enc": enc, "dec": dec}


def encode(spec: VAESpec, params, x):
    """Gaussian: (mean, log_var) each (batch, n_latent); categorical: logits (batch, n_vars,
    n_classes)."""
    h = nn.mlp_apply(params["enc"], x, activation=spec.activation)
    if spec.latent == "categorical":
        return anp.reshape(h, (-1, spec.n_vars, spec.n_classes))
    if spec.posterior_var is not None:
        return h, np.full(np.shape(getval(h)), math.log(spec.posterior_var), dtype=getval(h).dtype)
    return h[:, : spec.n_latent], h[:, spec.n_latent:]


def decoder_logits(spec: VAESpec, params, x, z):
    """Bernoulli logits of every pixel given z (and, for the autoregressive decoder, the
    preceding pixels of ``x``)."""
    if spec.decoder == "factorized":
        return nn.mlp_apply(params["dec"], z, activation=spec.activation)
    return made_logits(params["dec"], x, z, activation=spec.activation)


def _rate_gaussian(spec, mean, log_var):
    if spec.prior == "ar1":
        return KL.kl_ar1(mean, log_var, spec.alpha)
    return anp.sum(KL.kl_standard_normal(mean, log_var), axis=-1)


def rate_distortion(spec: VAESpec, params, x, rng, estimator="gumbel", tau=1.0):
    """Per-example distortion D, rate R (traced) and the latent draw, for one sample of z.

    Returns ``(D, R, draw)``; ``draw`` is the :class:`~.estimators.LatentDraw` for a
    categorical latent (the score-function surrogate needs it), else None. For categorical
    latents the decoder sees z as the flattened (n_vars * n_classes) one-hot or relaxed vector.
    """
    if spec.latent == "gaussian":
        mean, log_var = encode(spec, params, x)
        z = dist.gaussian_sample(mean, log_var, rng)
        R = _rate_gaussian(spec, mean, log_var)
        draw = None
    else:
        logits = encode(spec, params, x)
        draw = est.draw_latent(logits, estimator, tau, rng)
        z = anp.reshape(draw.z, (-1, spec.n_vars * spec.n_classes))
        if spec.kl == "relaxed":
            if draw.log_y is None:
                raise ValueError("kl='relaxed' needs a relaxed estimator ('gumbel' or 'st_gumbel')")
            R = anp.sum(KL.relaxed_kl(draw.log_y, logits, tau), axis=-1)
        else:
            R = anp.sum(KL.kl_categorical(logits), axis=-1)
    D = -anp.sum(dist.bernoulli_log_prob(x, decoder_logits(spec, params, x, z)), axis=-1)
    return D, R, draw


def evaluate(spec: VAESpec, params, x, seed=0, n_samples=10, batch_size=500):
    """Mean distortion, rate and ELBO on ``x`` (plain numbers, nats per example).

    z is drawn ``n_samples`` times per example from the posterior itself: one-hot categorical
    draws for categorical latents (the discrete model's ELBO, whatever estimator trained it)
    with the analytic KL; R is exact (analytic) for every latent.
    """
    rng = as_generator(seed, "seed")
    n_samples = check_positive_int("n_samples", n_samples)
    x = np.asarray(x, dtype=np.asarray(params["enc"][0]["W"]).dtype)
    Ds, Rs = [], []
    for s in range(0, len(x), batch_size):
        xb = x[s:s + batch_size]
        if spec.latent == "gaussian":
            mean, log_var = encode(spec, params, xb)
            R = np.asarray(_rate_gaussian(spec, mean, log_var))
            d = 0.0
            for _ in range(n_samples):
                z = dist.gaussian_sample(mean, log_var, rng)
                d = d - np.sum(dist.bernoulli_log_prob(xb, decoder_logits(spec, params, xb, z)), -1)
        else:
            logits = encode(spec, params, xb)
            R = np.sum(KL.kl_categorical(logits), axis=-1)
            d = 0.0
            for _ in range(n_samples):
                z = dist.categorical_sample(logits, rng).reshape(len(xb), -1)
                d = d - np.sum(dist.bernoulli_log_prob(xb, decoder_logits(spec, params, xb, z)), -1)
        Ds.append(d / n_samples)
        Rs.append(R)
    D, R = float(np.mean(np.concatenate(Ds))), float(np.mean(np.concatenate(Rs)))
    return {"D": D, "R": R, "elbo": -(D + R)}


def posterior_means(spec: VAESpec, params, x):
    """Posterior means (Gaussian: the mean; categorical: the class probabilities, flattened)
    of the rows of ``x``: the features of the linear probe."""
    x = np.asarray(x, dtype=np.asarray(params["enc"][0]["W"]).dtype)
    if spec.latent == "gaussian":
        return np.asarray(encode(spec, params, x)[0])
    return np.asarray(anp.softmax(encode(spec, params, x), axis=-1)).reshape(len(x), -1)


def posterior_samples(spec: VAESpec, params, x, seed=0):
    """One draw z ~ q(z | x) per row of ``x`` (Gaussian: mean + sigma * eps; categorical: the
    one-hot draws, flattened): what the decoder receives, so a probe on these features sees
    only the information the latent carries (a probe on the means can also read structure
    the encoder keeps at a scale far below the posterior noise)."""
    rng = as_generator(seed, "seed")
    x = np.asarray(x, dtype=np.asarray(params["enc"][0]["W"]).dtype)
    if spec.latent == "gaussian":
        mean, log_var = encode(spec, params, x)
        return np.asarray(dist.gaussian_sample(np.asarray(mean), np.asarray(log_var), rng))
    return dist.categorical_sample(np.asarray(encode(spec, params, x)), rng).reshape(len(x), -1)


def sample_images(spec: VAESpec, params, n, seed=0):
    """``n`` images from the model: z from the prior, x from the decoder (means for the
    factorized decoder, ancestral samples for the autoregressive one)."""
    from .made import made_sample

    rng = as_generator(seed, "seed")
    if spec.latent == "gaussian":
        if spec.prior == "ar1":
            z = dist.ar1_sample((n, spec.n_latent), spec.alpha, rng)
        else:
            z = rng.standard_normal((n, spec.n_latent))
    else:
        z = dist.categorical_sample(np.zeros((n, spec.n_vars, spec.n_classes)), rng).reshape(n, -1)
    z = z.astype(np.asarray(params["enc"][0]["W"]).dtype)
    if spec.decoder == "factorized":
        lg = np.asarray(decoder_logits(spec, params, None, z))
        return 0.5 * (1.0 + np.tanh(0.5 * lg))
    return made_sample(params["dec"], z, rng, spec.activation)

