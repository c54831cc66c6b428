"""Generator and discriminator MLPs for 2-D mixtures.

Generator x = G(z), z ~ N(0, I_latent); discriminator logit T(x) = D(x), read as an estimate
of the log density ratio log p_data(x)/q_gen(x) (the optimum of the logistic loss, see
:mod:`.objectives`). Both are :func:`expressivity.autodiff.nn.mlp_apply` networks with
``n_layers`` hidden layers of width ``hidden`` and a linear output, initialised with
orthogonal weights of entry variance sigma_w2 / fan_in (gain 1.4 as in the reference code).
"""
from __future__ import annotations

import numpy as np

from expressivity.autodiff import nn

__all__ = ["init_mlp", "generator", "discriminator", "sample_latent"]


def _check_pos_int(name, v):
    if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
        raise ValueError(f"{name} must be a positive integer, got {v!r}")
    return int(v)


def init_mlp(seed, n_in, n_out, hidden=128, n_layers=2, activation="tanh", dtype=np.float64,
             init="orthogonal", sigma_w2=1.96):
    """Parameters of an MLP n_in -> hidden x n_layers -> n_out (list of {"W","b"}), zero biases.

    Default as the reference code ``poolio/unrolled_gan``: orthogonal weights with gain 1.4
    (sigma_w2 = 1.96)."""
    sizes = [_check_pos_int("n_in", n_in)] + [_check_pos_int("hidden", hidden)] * \
        _check_pos_int("n_layers", n_layers) + [_check_pos_int("n_out", n_out)]
    return nn.mlp_init(seed, sizes, sigma_w2=sigma_w2, sigma_b2=0.0, dtype=dtype, init=init)


def generator(params, z, activation="tanh"):
    """x = G(z), rows of ``z`` to rows of ``x`` (differentiable in params and z)."""
    return nn.mlp_apply(params, z, activation)


def discriminator(params, x, activation="tanh"):
    """Logits T(x), shape (n,): the estimated log p_data(x)/q_gen(x)."""
    return nn.mlp_apply(params, x, activation)[:, 0]


def sample_latent(rng, n, latent_dim, dtype=np.float64):
    """z ~ N(0, I_latent), shape (n, latent_dim)."""
    return rng.standard_normal((n, latent_dim)).astype(dtype, copy=False)
