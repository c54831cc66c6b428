"""Adversarially Learned Inference (Dumoulin et al. 2017; BiGAN, Donahue et al. 2017).

An encoder G_z (x -> z, reparameterised: z = mu(x) + sqrt(var(x)) eps), a decoder G_x
(z -> x, z ~ N(0, I)) and a discriminator D(x, z) on joint pairs play

    min_G max_D  E_{q(x)}[log D(x, G_z(x))] + E_{p(z)}[log(1 - D(G_x(z), z))];

the optimal D makes the game the Jensen-Shannon divergence between the encoder joint
q(x, z) = q(x) q(z|x) and the decoder joint p(x, z) = p(z) p(x|z). With logits T_q = T(x,
G_z(x)) and T_p = T(G_x(z), z) the losses are (the generator in the non-saturating form,
labels swapped):

    L_D = E[softplus(-T_q)] + E[softplus(T_p)],    L_G = E[softplus(T_q)] + E[softplus(-T_p)].

:class:`ALITrainer` trains it; ``model="gan"`` trains the same decoder as a plain
(non-saturating) GAN with a discriminator on x alone, the paper's comparison. Reconstruction
error: mean ||x - G_x(mu(x))||^2 over data x (the encoder mean).
"""
from __future__ import annotations

import numpy as np

import expressivity.autodiff.numpy as anp
from expressivity.autodiff import optim, value_and_grad
from expressivity.autodiff.nn import mlp_apply

from .models import init_mlp

__all__ = ["ALITrainer", "ali_losses"]


def _encode(E, x, eps, activation):
    h = mlp_apply(E, x, activation)
    k = eps.shape[1]
    mu, logvar = h[:, :k], anp.clip(h[:, k:], -12.0, 6.0)
    return mu + anp.exp(0.5 * logvar) * eps, mu


def _joint_logits(D, x, z, activation):
    return mlp_apply(D, anp.concatenate([x, z], axis=1), activation)[:, 0]


def ali_losses(E, Gx, D, x, z, eps, activation="relu"):
    """(L_D, L_G) of ALI for data ``x``, prior latents ``z`` and encoder noise ``eps``."""
    z_hat, _ = _encode(E, x, eps, activation)
    x_tilde = mlp_apply(Gx, z, activation)
    n = x.shape[0]
    T = _joint_logits(D, anp.concatenate([x, x_tilde], 0), anp.concatenate([z_hat, z], 0), activation)
    Tq, Tp = T[:n], T[n:]
    L_D = anp.mean(anp.softplus(-Tq)) + anp.mean(anp.softplus(Tp))
    L_G = anp.mean(anp.softplus(Tq)) + anp.mean(anp.softplus(-Tp))
    return L_D, L_G


class ALITrainer:
    """ALI (``model="ali"``) or a GAN with the same decoder (``model="gan"``).

    ``step(x, z, eps)`` takes simultaneous Adam steps for the discriminator and for the
    generator(s) (decoder, and encoder for ALI).
    """

    def __init__(self, model="ali", latent_dim=2, hidden=64, n_layers=2, data_dim=2,
                 activation="relu", d_lr=1e-4, g_lr=1e-4, b1=0.5, seed=0, dtype=np.float64):
        if model not in ("ali", "gan"):
            raise ValueError(f"model must be 'ali' or 'gan', got {model!r}")
        self.model, self.latent_dim, self.activation, self.dtype = model, int(latent_dim), activation, dtype
        rng = np.random.default_rng(seed)
        self.Gx = init_mlp(rng, latent_dim, data_dim, hidden, n_layers, activation, dtype)
        if model == "ali":
            self.E = init_mlp(rng, data_dim, 2 * latent_dim, hidden, n_layers, activation, dtype)
            self.D = init_mlp(rng, data_dim + latent_dim, 1, hidden, n_layers, activation, dtype)
            self.gen = {"E": self.E, "Gx": self.Gx}
        else:
            self.E = None
            self.D = init_mlp(rng, data_dim, 1, hidden, n_layers, activation, dtype)
            self.gen = {"Gx": self.Gx}
        self.opt_G = optim.adam_inplace(self.gen, lr=g_lr, b1=b1)
        self.opt_D = optim.adam_inplace(self.D, lr=d_lr, b1=b1)

        def d_obj(D, gen, x, z, eps):
            return self._losses(gen, D, x, z, eps)[0]

        def g_obj(gen, D, x, z, eps):
            return self._losses(gen, D, x, z, eps)[1]

        self._dgrad, self._ggrad = value_and_grad(d_obj), value_and_grad(g_obj)

    def _losses(self, gen, D, x, z, eps):
        if self.model == "ali":
            return ali_losses(gen["E"], gen["Gx"], D, x, z, eps, self.activation)
        n = x.shape[0]
        T = mlp_apply(D, anp.concatenate([x, mlp_apply(gen["Gx"], z, self.activation)], 0),
                      self.activation)[:, 0]
        Tr, Tf = T[:n], T[n:]
        return (anp.mean(anp.softplus(-Tr)) + anp.mean(anp.softplus(Tf)),
                anp.mean(anp.softplus(-Tf)))

    def step(self, x, z, eps):
        """One simultaneous update; returns (generator loss, discriminator loss)."""
        ld, gD = self._dgrad(self.D, self.gen, x, z, eps)
        lg, gG = self._ggrad(self.gen, self.D, x, z, eps)
        self.opt_D.step(gD)
        self.opt_G.step(gG)
        lg, ld = float(lg), float(ld)
        if not (np.isfinite(lg) and np.isfinite(ld)):
            raise FloatingPointError(f"ALI losses became non-finite: generator {lg}, discriminator {ld}")
        return lg, ld

    def sample(self, n, seed=0):
        """Decoder samples G_x(z), z ~ N(0, I)."""
        z = np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype(self.dtype)
        return np.asarray(mlp_apply(self.Gx, z, self.activation))

    def reconstruct(self, x):
        """G_x(mu(x)) with the encoder mean (ALI only)."""
        if self.E is None:
            raise ValueError("reconstruct needs model='ali' (a GAN has no encoder)")
        x = np.asarray(x, self.dtype)
        _, mu = _encode(self.E, x, np.zeros((len(x), self.latent_dim), self.dtype), self.activation)
        return np.asarray(mlp_apply(self.Gx, mu, self.activation))
