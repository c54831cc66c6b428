"""Training a VAE: the beta-weighted objective D + beta R, minibatch Adam, per-step records.

    res = train_vae(VAESpec(latent="categorical"), data="digits", estimator="gumbel", steps=5000)
    res.history["elbo"]        # per step: -(D + R) on the minibatch (the trained objective's z)
    res.test                   # {"D", "R", "elbo"} on the test set (posterior samples, exact R)

``data`` is ``"digits"`` (scikit-learn's 8 x 8 digits, binarised, fixed split), a directory
holding the MNIST IDX files (read with :func:`expressivity.datasets.load_mnist`, binarised),
or any :class:`expressivity.datasets.Dataset` with binary pixels. The loop is
:func:`expressivity.training.run_steps` (progress bar, Ctrl-C returns the partial run,
checkpoints that resume bit-identically) inside ``blas_threads(threads)``.

Each step: a minibatch (a fresh permutation of the training set every epoch, fixed by the
seed), one draw of z per example, loss = mean(D_surrogate + beta R) (the estimator's
surrogate for categorical latents; D itself otherwise), one Adam step. For the score
function the baseline is updated with the batch's mean D after the step.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..autodiff import numpy as anp
from ..autodiff import optim, tree_leaves, value_and_grad
from ..checks import as_generator, check_nonnegative_int, check_positive, check_positive_int
from ..datasets import Dataset, load_digits, load_mnist
from ..training import Checkpoint, History, blas_threads, run_steps
from . import estimators as est
from .vae import VAESpec, evaluate, init_vae, rate_distortion

__all__ = ["check_beta", "beta_objective", "resolve_data", "VAEResult", "train_vae"]


def check_beta(beta) -> float:
    """beta >= 0 (finite): the weight of the rate in D + beta R."""
    if isinstance(beta, bool) or not isinstance(beta, (int, float, np.floating, np.integer)):
        raise TypeError(f"beta must be a number >= 0, got {type(beta).__name__}")
    beta = float(beta)
    if not math.isfinite(beta) or beta < 0:
        raise ValueError(f"beta must be a finite number >= 0, got {beta!r}")
    return beta


def beta_objective(D, R, beta=1.0):
    """mean(D + beta R) (Alemi et al. 2018 Eq. 9; beta = 1 is the negative ELBO)."""
    beta = check_beta(beta)
    return anp.mean(D + beta * R)


def resolve_data(data) -> Dataset:
    """``"digits"`` -> binarised digits; a directory -> binarised MNIST; a Dataset as is
    (checked to hold binary pixels)."""
    if isinstance(data, Dataset):
        for name in ("x_train", "x_test"):
            v = getattr(data, name)
            if v.size and not np.all((v == 0) | (v == 1)):
                raise ValueError(f"data.{name} must hold binary pixels (0/1): binarise it first "
                                 "(expressivity.datasets.binarize)")
        return data
    if isinstance(data, str) and data == "digits":
        return load_digits(binarize=True)
    if isinstance(data, (str, os.PathLike)):
        p = Path(data).expanduser()
        if p.is_dir():
            return load_mnist(p, binarize=True)
        raise ValueError(f"data must be 'digits', a directory of MNIST IDX files or a Dataset; "
                         f"{str(data)!r} is not a directory")
    raise TypeError(f"data must be 'digits', a directory of MNIST IDX files or a Dataset, "
                    f"got {type(data).__name__}")


@dataclass
class VAEResult:
    """A trained VAE: ``spec``, ``params``, per-step ``history`` (D, R, elbo, loss, tau, and
    test_elbo / test_D / test_R every ``eval_every`` steps), final ``test`` and ``train``
    metrics ({"D", "R", "elbo"}), the settings, ``seconds``, ``interrupted``."""

    spec: VAESpec
    params: dict
    history: History
    test: dict
    train: dict
    beta: float
    estimator: str
    seconds: float
    interrupted: bool = False
    settings: dict = field(default_factory=dict)

    def __repr__(self):
        t = self.test
        return (f"VAEResult({self.spec.latent}/{self.spec.decoder}, beta={self.beta:g}, "
                f"estimator={self.estimator!r}: {len(self.history)} steps, test D={t['D']:.2f} "
                f"R={t['R']:.2f} -ELBO={-t['elbo']:.2f} nats{' (interrupted)' if self.interrupted else ''})")


def _batch_indices(n, batch_size, step, seed):
    """Rows of minibatch ``step``: epoch e uses the permutation of rng [seed, e] (stateless, so
    a resumed run sees the same batches)."""
    per_epoch = max(1, n // batch_size)
    e, k = divmod(step, per_epoch)
    perm = np.random.default_rng([int(seed), 7919, e]).permutation(n)
    return perm[k * batch_size:(k + 1) * batch_size]


def train_vae(spec: VAESpec | None = None, data="digits", *, beta=1.0, estimator="gumbel",
              steps=2000, batch_size=100, lr=1e-3, tau0=1.0, anneal_rate=1e-4, tau_min=0.5,
              anneal_every=500, baseline_decay=0.99, seed=0, eval_every=0, eval_samples=10,
              dtype=np.float64, progress=True, threads=1, checkpoint=None,
              checkpoint_every=30.0, **spec_kwargs) -> VAEResult:
    """Train a VAE on binary images with Adam on mean(D + beta R).

    Parameters
    ----------
    spec : VAESpec, optional
        The model; or give its fields as keyword arguments (``latent="categorical"``, ...).
        ``n_pixels`` is taken from the data.
    data : "digits", a directory of MNIST IDX files, or a Dataset with binary pixels.
    beta : float >= 0
        Weight of the rate (1: the ELBO).
    estimator : one of :data:`expressivity.latent.estimators.ESTIMATORS` (categorical latents).
    steps, batch_size, lr : Adam steps, minibatch size, learning rate.
    tau0, anneal_rate, tau_min, anneal_every : tau = max(tau_min, tau0 exp(-rate t)) updated
        every ``anneal_every`` steps (:func:`~expressivity.latent.estimators.anneal_tau`).
    baseline_decay : decay of the score function's moving-average baseline.
    seed : int; the initial parameters, the batches and the noise.
    eval_every : evaluate the test ELBO (one posterior sample) every this many steps (0: never).
    eval_samples : posterior samples per test example in the final evaluation.
    threads : BLAS threads (None: leave as is). checkpoint : a path; the run saves its state
        there every ``checkpoint_every`` seconds and resumes from it (bit-identical).

    Returns
    -------
    VAEResult

    Raises
    ------
    ValueError
        ``beta < 0``, unknown ``estimator``, ``tau0``/``tau_min``/``lr`` <= 0, bad spec fields.
    """
    beta = check_beta(beta)
    estimator = est.check_estimator(estimator)
    steps = check_nonnegative_int("steps", steps)
    batch_size = check_positive_int("batch_size", batch_size)
    lr = check_positive("lr", lr)
    check_positive("tau0", tau0)
    check_positive("tau_min", tau_min)
    eval_every = check_nonnegative_int("eval_every", eval_every)
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be an int >= 0, got {seed!r}")
    ds = resolve_data(data)
    n_pixels = int(ds.x_train.shape[1])
    if spec is None:
        spec = VAESpec(n_pixels=n_pixels, **spec_kwargs)
    elif spec_kwargs:
        raise TypeError(f"give either spec or its fields, not both (got {sorted(spec_kwargs)})")
    if spec.n_pixels != n_pixels:
        raise ValueError(f"spec.n_pixels ({spec.n_pixels}) must match the data's {n_pixels} pixels")
    if spec.kl == "relaxed" and estimator not in ("gumbel", "st_gumbel"):
        raise ValueError("kl='relaxed' needs estimator 'gumbel' or 'st_gumbel'")
    x_train = ds.x_train.astype(dtype)
    x_test = ds.x_test.astype(dtype)
    batch_size = min(batch_size, len(x_train))
    params = init_vae(spec, seed, pixel_mean=x_train.mean(0), dtype=dtype)
    opt = optim.adam_inplace(params, lr=lr)
    rng = as_generator(np.random.default_rng([int(seed), 104729]))
    baseline = est.MovingAverageBaseline(baseline_decay)
    leaves = tree_leaves(params)

    def loss(p, xb, tau, b):
        D, R, draw = rate_distortion(spec, p, xb, rng, estimator, tau)
        Ds = est.surrogate_loss(D, draw, b) if draw is not None else D
        return beta_objective(Ds, R, beta), (anp.mean(D), anp.mean(R), D)

    vg = value_and_grad(loss, has_aux=True)

    def step(i):
        tau = est.anneal_tau(i, tau0, anneal_rate, tau_min, anneal_every)
        xb = x_train[_batch_indices(len(x_train), batch_size, i, seed)]
        (val, (D, R, Dex)), g = vg(params, xb, tau, baseline.value)
        opt.step(g)
        if estimator == "score_function":
            baseline.update(Dex)
        D, R = float(D), float(R)
        rec = {"loss": float(val), "D": D, "R": R, "elbo": -(D + R), "tau": tau}
        if eval_every and ((i + 1) % eval_every == 0 or i + 1 == steps):
            m = evaluate(spec, params, x_test, seed=np.random.default_rng([int(seed), 31, i]),
                         n_samples=1)
            rec.update(test_D=m["D"], test_R=m["R"], test_elbo=m["elbo"])
        return rec

    ck = None
    if checkpoint is not None:
        def get_state():
            return {"params": [np.array(p) for p in leaves], "count": opt.count,
                    "m": np.array(opt.m) if opt.flat else [np.array(a) for a in opt.m],
                    "v": np.array(opt.v) if opt.flat else [np.array(a) for a in opt.v],
                    "rng": rng.bit_generator.state, "baseline": baseline.state()}

        def set_state(s):
            for p, v in zip(leaves, s["params"]):
                np.copyto(p, v)
            opt.count = s["count"]
            if opt.flat:
                np.copyto(opt.m, s["m"])
                np.copyto(opt.v, s["v"])
            else:
                for a, b in zip(opt.m, s["m"]):
                    np.copyto(a, b)
                for a, b in zip(opt.v, s["v"]):
                    np.copyto(a, b)
            rng.bit_generator.state = s["rng"]
            baseline.set_state(s["baseline"])

        ck = Checkpoint(checkpoint, get_state, set_state, every=checkpoint_every)

    with blas_threads(threads):
        hist = run_steps(step, steps, desc=f"VAE {spec.latent}/{spec.decoder} {estimator if spec.latent == 'categorical' else ''}".strip(),
                         progress=progress, checkpoint=ck)
        test = evaluate(spec, params, x_test, seed=np.random.default_rng([int(seed), 17]), n_samples=eval_samples)
        train = evaluate(spec, params, x_train, seed=np.random.default_rng([int(seed), 19]), n_samples=1)
    settings = dict(beta=beta, estimator=estimator, steps=steps, batch_size=batch_size, lr=lr, tau0=tau0,
                    anneal_rate=anneal_rate, tau_min=tau_min, anneal_every=anneal_every, seed=int(seed),
                    data=ds.name)
    return VAEResult(spec, params, hist, test, train, beta, estimator, hist.seconds, hist.interrupted,
                     settings)

