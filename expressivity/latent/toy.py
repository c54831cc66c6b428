"""The Broken-ELBO toy (Alemi et al. 2018, Sec. 4.1, at our own settings): a discrete 1-D data
distribution with known entropy H, a 1-D Gaussian latent, and every information quantity
exact.

Data: x in {0, ..., n_bins - 1} with p*(x) a mixture of discretised Gaussians (two modes by
default), H = -sum_x p*(x) log p*(x) exactly. Model: encoder e(z|x) = N(mu_x, s_x^2) (a table,
one mean and log-variance per bin), marginal m(z) = N(0, 1), decoder d(x|z) categorical over
the bins, either

- ``"powerful"``: logits b_x + f(z)_x with a free bias per bin (an MLP f): it can model
  p*(x) exactly while ignoring z, so the ELBO optimum may sit at R = 0;
- ``"weak"``: a discretised Gaussian over the bins whose centre and width are MLP functions
  of z: unimodal, so it reaches the bimodal p*(x) only by reading the mode from z.

Because p*(x) is known and z is 1-D, the population objective is computed exactly (no
sampling): D = -sum_x p*(x) E_{e(z|x)} log d(x|z) by Gauss-Hermite quadrature in z (nodes
moved with mu_x, s_x: exact gradients), R = sum_x p*(x) KL(e(z|x) || N(0, 1)) in closed form,
and the mutual information I(X; Z) = H(Z) - H(Z|X) with H(Z|X) = sum_x p*(x) 1/2 log(2 pi e
s_x^2) and H(Z) of the mixture q(z) = sum_x p*(x) N(mu_x, s_x^2) by Gauss-Hermite per
component. Every trained model must satisfy H - D <= I <= R (Alemi et al. Eq. 4-6).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..autodiff import nn, optim, value_and_grad
from ..autodiff import numpy as anp
from ..checks import as_generator, check_choice, check_nonnegative_int, check_positive, check_positive_int
from ..training import blas_threads, run_steps
from .distributions import logits_from_probs
from .train import check_beta

__all__ = ["ToyData", "toy_data", "init_toy", "toy_rate_distortion", "toy_mutual_information",
           "ToyResult", "train_toy", "DECODERS"]

DECODERS = ("powerful", "weak")


@dataclass(frozen=True)
class ToyData:
    """p*(x) over ``n_bins`` bins and its entropy ``H`` (nats)."""

    probs: np.ndarray
    H: float

    @property
    def n_bins(self) -> int:
        return len(self.probs)

    def __repr__(self):
        return f"ToyData({self.n_bins} bins, H={self.H:.4f} nats)"


def toy_data(n_bins=30, centers=(0.27, 0.73), std=0.07, weights=None, probs=None) -> ToyData:
    """A mixture of discretised Gaussians on ``n_bins`` bins (``centers``, ``std`` as fractions
    of the range), or explicit ``probs`` (checked to be probabilities summing to 1)."""
    if probs is not None:
        p = np.exp(logits_from_probs(probs))
        if p.ndim != 1 or p.size < 2:
            raise ValueError(f"probs must be a 1-D vector of >= 2 probabilities, got shape {p.shape}")
    else:
        n_bins = check_positive_int("n_bins", n_bins, minimum=2)
        std = check_positive("std", std)
        centers = np.atleast_1d(np.asarray(centers, np.float64))
        w = np.full(len(centers), 1.0 / len(centers)) if weights is None else np.exp(
            logits_from_probs(weights, "weights"))
        if len(w) != len(centers):
            raise ValueError(f"weights ({len(w)}) must match centers ({len(centers)})")
        grid = (np.arange(n_bins) + 0.5) / n_bins
        comp = np.exp(-0.5 * ((grid[None, :] - centers[:, None]) / std) ** 2)
        comp /= comp.sum(1, keepdims=True)
        p = w @ comp
    p = p / p.sum()
    nz = p > 0
    return ToyData(p, float(-np.sum(p[nz] * np.log(p[nz]))))


def init_toy(decoder, n_bins, seed=0, hidden=32):
    """Parameters: encoder table (``mu``, ``log_var``: means spread over [-1, 1], variances
    e^-2), decoder MLP of z (plus the free ``bias`` of the powerful decoder)."""
    decoder = check_choice("decoder", decoder, DECODERS)
    rng = as_generator(seed, "seed")
    n_out = n_bins if decoder == "powerful" else 2
    p = {"mu": np.linspace(-1.0, 1.0, n_bins) + 0.05 * rng.standard_normal(n_bins),
         "log_var": np.full(n_bins, -2.0),
         "dec": nn.mlp_init(rng, [1, hidden, hidden, n_out], sigma_w2=1.0)}
    if decoder == "powerful":
        p["bias"] = np.zeros(n_bins)
    return p


def _decoder_log_probs(decoder, params, z, n_bins):
    """log d(x|z) for every bin: (n_z, n_bins)."""
    h = nn.mlp_apply(params["dec"], anp.reshape(z, (-1, 1)), activation="tanh")
    if decoder == "powerful":
        return anp.log_softmax(h + params["bias"], axis=-1)
    j = np.arange(n_bins, dtype=np.float64)[None, :]
    centre = (n_bins - 1) * (0.5 + 0.6 * anp.tanh(h[:, :1]))
    log_w = h[:, 1:2] + math.log(n_bins / 10.0)
    d = (j - centre) * anp.exp(-log_w)
    return anp.log_softmax(-0.5 * d * d, axis=-1)


def toy_rate_distortion(decoder, params, data: ToyData, n_nodes=4001, rng=None):
    """Population distortion D and rate R (traced scalars): R in closed form; D by the
    trapezoid rule over eps in [-8, 8] (z = mu_x + s_x eps, ``n_nodes`` points per bin: exact
    to ~1e-12 for any decoder that is smooth on the grid's scale) or, with ``rng``, an unbiased
    reparameterised Monte-Carlo estimate with ``n_nodes`` draws per bin (what training uses:
    a decoder trained on fixed nodes learns to fit the nodes, and D on those nodes then falls
    below H(X|Z); Gauss-Hermite is no good either once the decoder is sharp)."""
    if rng is None:
        t = np.linspace(-8.0, 8.0, n_nodes)
        w = np.exp(-0.5 * t * t) / math.sqrt(2 * math.pi) * (t[1] - t[0])
        w[[0, -1]] *= 0.5
        t = np.broadcast_to(t, (data.n_bins, n_nodes))
    else:
        t = as_generator(rng, "rng").standard_normal((data.n_bins, n_nodes))
        w = np.full(n_nodes, 1.0 / n_nodes)
    p = data.probs
    n = data.n_bins
    s = anp.exp(0.5 * params["log_var"])
    z = params["mu"][:, None] + s[:, None] * t                                     # (n, K)
    logd = _decoder_log_probs(decoder, params, anp.reshape(z, (-1,)), n)           # (n K, n)
    own = anp.sum(anp.reshape(logd, (n, n_nodes, n)) * np.eye(n)[:, None, :], axis=-1)  # log d(x|z_xk)
    D = -anp.sum(p * anp.sum(own * w[None, :], axis=-1))
    kl = 0.5 * (params["mu"] * params["mu"] + anp.exp(params["log_var"]) - params["log_var"] - 1.0)
    R = anp.sum(p * kl)
    return D, R


def toy_mutual_information(params, data: ToyData, n_nodes=200):
    """Exact I(X; Z) = H(Z) - H(Z|X) of the encoder under p*(x) (nats), by Gauss-Hermite
    quadrature of H(Z) over each mixture component (``n_nodes`` nodes)."""
    p = data.probs
    mu = np.asarray(params["mu"], np.float64)
    lv = np.asarray(params["log_var"], np.float64)
    s = np.exp(0.5 * lv)
    t, w = np.polynomial.hermite.hermgauss(n_nodes)
    w = w / math.sqrt(math.pi)
    z = mu[:, None] + math.sqrt(2.0) * s[:, None] * t[None, :]                      # (n, K)
    # log q(z) = logsumexp_x' [log p(x') + log N(z; mu_x', s_x'^2)]
    lq = (np.log(p)[None, None, :] - 0.5 * (math.log(2 * math.pi) + lv)[None, None, :]
          - 0.5 * ((z[:, :, None] - mu[None, None, :]) / s[None, None, :]) ** 2)
    m = lq.max(-1, keepdims=True)
    log_q = (m + np.log(np.exp(lq - m).sum(-1, keepdims=True)))[..., 0]
    HZ = -np.sum(p * (log_q @ w))
    HZX = np.sum(p * 0.5 * (math.log(2 * math.pi * math.e) + lv))
    return float(HZ - HZX)


@dataclass
class ToyResult:
    """A trained toy model: D, R, the exact I, H, the ELBO, and the per-step history."""

    decoder: str
    beta: float
    D: float
    R: float
    I: float
    H: float
    params: dict
    history: object
    seconds: float

    @property
    def elbo(self) -> float:
        return -(self.D + self.R)

    def __repr__(self):
        return (f"ToyResult({self.decoder}, beta={self.beta:g}: D={self.D:.4f} R={self.R:.4f} "
                f"I={self.I:.4f} H={self.H:.4f} -ELBO={-self.elbo:.4f})")


def train_toy(decoder="powerful", beta=1.0, data: ToyData | None = None, steps=3000, lr=3e-3,
              seed=0, hidden=32, n_samples=16, progress=False, threads=1) -> ToyResult:
    """Minimise D + beta R on the toy: Adam on the population objective (every bin, weighted
    by p*(x); ``n_samples`` reparameterised draws of z per bin and step; R exact).

    Returns a :class:`ToyResult` with D by quadrature (:func:`toy_rate_distortion`), R in
    closed form and the exact I.

    Raises
    ------
    ValueError
        ``beta < 0``, unknown ``decoder``, non-positive ``lr``.
    """
    decoder = check_choice("decoder", decoder, DECODERS)
    beta = check_beta(beta)
    steps = check_nonnegative_int("steps", steps)
    lr = check_positive("lr", lr)
    data = toy_data() if data is None else data
    n_samples = check_positive_int("n_samples", n_samples)
    params = init_toy(decoder, data.n_bins, seed, hidden)
    opt = optim.adam_inplace(params, lr=lr)
    rng = np.random.default_rng([int(seed), 3])

    def loss(p):
        D, R = toy_rate_distortion(decoder, p, data, n_samples, rng)
        return D + beta * R, (D, R)

    vg = value_and_grad(loss, has_aux=True)

    def step(i):
        (v, (D, R)), g = vg(params)
        opt.step(g)
        return {"loss": float(v), "D": float(D), "R": float(R)}

    with blas_threads(threads):
        hist = run_steps(step, steps, desc=f"toy {decoder} beta={beta:g}", progress=progress)
        D, R = toy_rate_distortion(decoder, params, data)
    return ToyResult(decoder, beta, float(D), float(R), toy_mutual_information(params, data), data.H,
                     params, hist, hist.seconds)
