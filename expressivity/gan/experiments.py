"""Experiments on 2-D mixtures: the unrolled-GAN ring, generator objectives, ALI vs GAN.

All entry points are seeded (data, latents and initial parameters from ``seed``), show a tqdm
progress bar (``progress=False`` to hide it), stop cleanly on Ctrl-C (the result then holds the
partial run, ``interrupted=True``) and evaluate on ``n_eval`` = 2500 generator samples with
:func:`.metrics.mode_metrics` and :func:`.metrics.kl_estimates`.

CPU-scale defaults (the reference code uses z in R^256, 2 x 128 units, batch 512, 25k steps):
latent 32, 2 x 64 tanh units (orthogonal init, gain 1.4), batch 256, float32, Adam b1 = 0.5, discriminator lr 1e-4,
generator lr 1e-3, ring of 8 at radius 2 with std 0.02.

Measured at this scale (minimax objective, 5000 generator steps, seeds 0-4, mean +- std;
``figures/metz2017_unrolled_seed_table.png``):
K = 0: 6.8 +- 1.8 modes (6, 8, 8, 8, 4), 20.7 +- 7.6 % high quality, KL(P||Q) 160 +- 313;
K = 5: 7.2 +- 1.8 modes (8, 8, 8, 8, 4), 17.1 +- 6.1 % high quality, KL(P||Q) 6.3 +- 9.3;
K = 10: 8.0 +- 0.0 modes, 27.6 +- 15.4 % high quality, KL(P||Q) 1.95 +- 0.48.
Unrolling with K = 10 covers every mode on every seed; the plain GAN drops modes on some seeds
but does not collapse onto one mode as in the paper (GAN 1 mode, Unrolled 7.6 modes after 25k
steps with larger networks; K = 0 at the reference sizes after 5000 steps: 8 modes, 73 %).
Because K = 0 reaches all 8 modes on 3 of 5 seeds, no single seeded run separates K = 10 from
K = 0; the tests check the unrolled gradient itself (finite differences) and leave the mode
counts to the figure command.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..training import run_steps
from . import data as _data
from .metrics import kl_estimates, mode_metrics
from .trainer import GANTrainer

__all__ = ["GANResult", "train_gan", "ring_experiment", "objectives_experiment", "grid_experiment"]

CPU_SCALE = dict(latent_dim=32, hidden=64, n_layers=2, batch_size=256, d_lr=1e-4, g_lr=1e-3,
                 b1=0.5, dtype="float32")


@dataclass
class GANResult:
    """Outcome of one run: metrics on ``n_eval`` samples, the samples, snapshots over training
    (``{step: samples}``), per-step losses (``history``), the configuration and wall time."""

    modes_covered: int
    high_quality_fraction: float
    kl_pq: float
    kl_qp: float
    samples: np.ndarray
    snapshots: dict = field(default_factory=dict)
    history: object = None
    config: dict = field(default_factory=dict)
    seconds: float = 0.0
    interrupted: bool = False
    mode_counts: np.ndarray = None

    def summary(self) -> dict:
        """The scalar results (JSON-friendly)."""
        return dict(modes_covered=self.modes_covered, high_quality_fraction=self.high_quality_fraction,
                    kl_pq=self.kl_pq, kl_qp=self.kl_qp, seconds=self.seconds,
                    interrupted=self.interrupted)


def _mixture(name_or_mixture):
    if isinstance(name_or_mixture, _data.Mixture):
        return name_or_mixture
    table = {"ring": _data.ring, "grid": _data.grid,
             "unbalanced_ring": lambda: _data.unbalanced(_data.ring(), 10.0)}
    try:
        return table[name_or_mixture]()
    except (KeyError, TypeError):
        raise ValueError(f"mixture must be a Mixture or one of {sorted(table)}, got {name_or_mixture!r}") from None


def _check_steps(steps):
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps!r}")
    return int(steps)


def train_gan(mixture="ring", steps=5000, seed=0, unroll_steps=0, objective="minimax",
              first_order=False, snapshot_steps=(), n_eval=2500, n_snapshot=1000, progress=True,
              desc=None, **kw) -> GANResult:
    """Train a GAN (unrolled for ``unroll_steps`` > 0) on ``mixture`` and evaluate it.

    ``kw`` overrides the CPU-scale settings (``CPU_SCALE``) and ``activation``.
    ``snapshot_steps``: generator steps after which ``n_snapshot`` samples are stored
    (step 0 = before training).
    """
    steps = _check_steps(steps)
    mix = _mixture(mixture)
    cfg = dict(CPU_SCALE)
    unknown = set(kw) - set(cfg) - {"activation"}
    if unknown:
        raise TypeError(f"unknown keyword arguments {sorted(unknown)}; allowed: {sorted(cfg) + ['activation']}")
    cfg.update(kw)
    dtype = np.dtype(cfg["dtype"])
    rng = np.random.default_rng([int(seed), 1])
    tr = GANTrainer(unroll_steps, objective, first_order, cfg["latent_dim"], cfg["hidden"],
                    cfg["n_layers"], mix.dim, cfg.get("activation", "tanh"), cfg["d_lr"],
                    cfg["g_lr"], cfg["b1"], seed=int(seed), dtype=dtype)
    snaps = {}
    snapshot_steps = set(int(s) for s in snapshot_steps)
    if 0 in snapshot_steps:
        snaps[0] = tr.sample(n_snapshot, seed=10_000 + int(seed))
    bs = int(cfg["batch_size"])

    def step(i):
        x = mix.sample(bs, rng).astype(dtype)
        z = rng.standard_normal((bs, tr.latent_dim)).astype(dtype)
        lg, ld = tr.step(x, z)
        if i + 1 in snapshot_steps:
            snaps[i + 1] = tr.sample(n_snapshot, seed=10_000 + int(seed))
        return {"g_loss": lg, "d_loss": ld}

    name = desc or f"GAN K={unroll_steps} {tr.objective.name} seed={seed}"
    hist = run_steps(step, steps, desc=name, progress=progress)
    samples = tr.sample(n_eval, seed=20_000 + int(seed))
    mm = mode_metrics(samples, mix)
    kl_pq, kl_qp = kl_estimates(samples, mix, seed=int(seed))
    config = dict(cfg, mixture=mixture if isinstance(mixture, str) else "custom", steps=steps,
                  seed=int(seed), unroll_steps=int(unroll_steps), objective=tr.objective.name,
                  first_order=bool(first_order))
    config["dtype"] = str(dtype)
    return GANResult(mm.modes_covered, mm.high_quality_fraction, kl_pq, kl_qp, samples, snaps,
                     hist, config, hist.seconds, hist.interrupted, mm.counts)


def ring_experiment(unroll_steps=10, steps=5000, seed=0, **kw) -> GANResult:
    """Metz et al. (2017) on the 8-mode ring (radius 2, std 0.02): a GAN with ``unroll_steps``
    unrolled discriminator steps (0 = standard GAN). Paper: GAN 1 mode, Unrolled 7.6 modes
    (VEEGAN's table). ``kw``: see :func:`train_gan`."""
    return train_gan("ring", steps, seed, unroll_steps=unroll_steps, **kw)


def objectives_experiment(objectives=("kl", "reverse_kl", "minimax", "logd", "hellinger", "pearson"),
                          mixture="ring", steps=5000, seed=0, unroll_steps=0, **kw) -> dict:
    """Poole et al. (2016): the same data, seed and networks trained with each generator
    objective; returns ``{name: GANResult}``."""
    return {o if isinstance(o, str) else o.name:
            train_gan(mixture, steps, seed, unroll_steps=unroll_steps, objective=o, **kw)
            for o in objectives}


def grid_experiment(model="ali", steps=5000, seed=0, latent_dim=2, hidden=64, n_layers=2,
                    batch_size=256, d_lr=1e-4, g_lr=1e-4, b1=0.5, dtype="float32",
                    snapshot_steps=(), n_eval=2500, n_snapshot=1000, progress=True) -> GANResult:
    """Dumoulin et al. (2017): ALI (``model="ali"``) or a GAN with the same decoder
    (``model="gan"``) on the 25-mode grid {-4,...,4}^2, std 0.05, 2-D latent. Paper: modes
    covered ALI 13.4 +- 5.8, GAN 10.4 +- 9.2. The result's ``config["reconstruction_error"]``
    holds mean ||x - G_x(mu(x))||^2 over 2500 data points (ALI; NaN for the GAN)."""
    from .ali import ALITrainer

    steps = _check_steps(steps)
    mix = _data.grid()
    dt = np.dtype(dtype)
    rng = np.random.default_rng([int(seed), 2])
    tr = ALITrainer(model, latent_dim, hidden, n_layers, 2, "relu", d_lr, g_lr, b1, int(seed), dt)
    snaps = {}
    snapshot_steps = set(int(s) for s in snapshot_steps)
    if 0 in snapshot_steps:
        snaps[0] = tr.sample(n_snapshot, seed=10_000 + int(seed))

    def step(i):
        x = mix.sample(batch_size, rng).astype(dt)
        z = rng.standard_normal((batch_size, latent_dim)).astype(dt)
        eps = rng.standard_normal((batch_size, latent_dim)).astype(dt)
        lg, ld = tr.step(x, z, eps)
        if i + 1 in snapshot_steps:
            snaps[i + 1] = tr.sample(n_snapshot, seed=10_000 + int(seed))
        return {"g_loss": lg, "d_loss": ld}

    hist = run_steps(step, steps, desc=f"{model.upper()} grid seed={seed}", progress=progress)
    samples = tr.sample(n_eval, seed=20_000 + int(seed))
    mm = mode_metrics(samples, mix)
    kl_pq, kl_qp = kl_estimates(samples, mix, seed=int(seed))
    rec = np.nan
    if model == "ali":
        xd = mix.sample(n_eval, seed=30_000 + int(seed))
        rec = float(np.mean(np.sum((xd - tr.reconstruct(xd)) ** 2, 1)))
    config = dict(model=model, steps=steps, seed=int(seed), latent_dim=latent_dim, hidden=hidden,
                  n_layers=n_layers, batch_size=batch_size, d_lr=d_lr, g_lr=g_lr, b1=b1,
                  dtype=str(dt), reconstruction_error=rec)
    return GANResult(mm.modes_covered, mm.high_quality_fraction, kl_pq, kl_qp, samples, snaps,
                     hist, config, hist.seconds, hist.interrupted, mm.counts)
