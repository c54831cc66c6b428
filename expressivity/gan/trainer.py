"""One GAN training state: generator and discriminator parameters with their Adam optimisers.

``GANTrainer.step(x_real, z)`` performs one simultaneous update (Metz et al. 2017, as in the
reference code): the generator gradient of the unrolled surrogate f_K and the discriminator
gradient of the logistic loss are both taken at the current parameters, then both Adam steps
are applied. The K unrolled discriminator steps use the differentiable Adam with the
discriminator's learning rate, started from the real discriminator optimiser's moments.
"""
from __future__ import annotations

import numpy as np

from expressivity.autodiff import grad, optim, value_and_grad

from .models import generator, init_mlp
from .objectives import get_objective
from .unrolled import _surrogate, adam_state_of, d_loss

__all__ = ["GANTrainer"]


class GANTrainer:
    """State of a (possibly unrolled) GAN on ``data_dim``-dimensional data.

    Parameters: ``unroll_steps`` K >= 0, ``objective`` (name or Objective), ``first_order``
    (ablation), network sizes, ``d_lr``, ``g_lr``, Adam ``b1``, ``seed`` (int) for the
    initial parameters, ``dtype``.
    """

    def __init__(self, unroll_steps=0, objective="minimax", first_order=False, latent_dim=32,
                 hidden=128, n_layers=2, data_dim=2, activation="tanh", d_lr=1e-4, g_lr=1e-3,
                 b1=0.5, seed=0, dtype=np.float64):
        if not isinstance(unroll_steps, (int, np.integer)) or unroll_steps < 0:
            raise ValueError(f"unroll_steps must be an integer >= 0, got {unroll_steps!r}")
        self.unroll_steps = int(unroll_steps)
        self.objective = get_objective(objective)
        self.first_order = bool(first_order)
        self.latent_dim = int(latent_dim)
        self.activation = activation
        self.dtype = dtype
        rng = np.random.default_rng(seed)
        self.G = init_mlp(rng, latent_dim, data_dim, hidden, n_layers, activation, dtype)
        self.D = init_mlp(rng, data_dim, 1, hidden, n_layers, activation, dtype)
        self.opt_G = optim.adam_inplace(self.G, lr=g_lr, b1=b1)
        self.opt_D = optim.adam_inplace(self.D, lr=d_lr, b1=b1)
        self.unroll_opt = optim.adam(d_lr, b1=b1)
        self._g_grad = value_and_grad(_surrogate, has_aux=True)
        self._d_grad = value_and_grad(d_loss)

    def step(self, x_real, z):
        """One simultaneous update; returns (generator loss, discriminator loss).

        With K >= 1 the discriminator's gradient is the first unrolled step's (the same
        d_loss at the same D and generator samples), returned by the surrogate as aux."""
        x_real = np.asarray(x_real, self.dtype)
        state = adam_state_of(self.opt_D, self.D) if self.unroll_steps else None
        (lg, first), gG = self._g_grad(self.G, self.D, z, x_real, self.unroll_steps,
                                       self.objective, self.unroll_opt, state, self.first_order,
                                       self.activation)
        if first is None:
            fake = generator(self.G, z, self.activation)
            ld, gD = self._d_grad(self.D, x_real, fake, self.activation)
        else:
            ld, gD = first
        self.opt_G.step(gG)
        self.opt_D.step(gD)
        lg, ld = float(lg), float(ld)
        if not (np.isfinite(lg) and np.isfinite(ld)):
            raise FloatingPointError(f"GAN losses became non-finite: generator {lg}, discriminator {ld}")
        return lg, ld

    def sample(self, n, seed=0):
        """``n`` generator samples (plain array) with latents from ``seed``."""
        rng = np.random.default_rng(seed)
        z = rng.standard_normal((n, self.latent_dim)).astype(self.dtype, copy=False)
        return np.asarray(generator(self.G, z, self.activation))
