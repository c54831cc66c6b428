"""Generator objectives for any f-divergence from a density-ratio estimate (Poole et al. 2016).

A logistic discriminator D = sigmoid(T) is optimal at D* = p / (p + q), so its logit estimates
the log density ratio, T* = log r with r = p_data / q_gen. Holding r_hat = exp(T) fixed (no
gradient through the discriminator's parameters), the generator loss

    L_G(theta) = E_{x ~ q_theta}[ f(r_hat(x)) - r_hat(x) f'(r_hat(x)) ]

has exactly the gradient of D_f(P || Q_theta) = E_q[f(p/q)] when r_hat = r (Poole, Alemi,
Sohl-Dickstein & Angelova 2016, "Improved generator objectives for GANs"): no lower bound is
minimised. The family (constants dropped; T is clipped to [-T_CLIP, T_CLIP] before any
exponential so no overflow or NaN can occur):

| name           | target                  | f(u)                               | loss in T        |
|----------------|-------------------------|------------------------------------|------------------|
| "kl"           | KL(P||Q), mode covering | u log u                            | -E[e^T]          |
| "reverse_kl"   | KL(Q||P), mode seeking  | -log u                             | -E[T]            |
| "minimax"      | 2 JSD (minimax GAN)     | u log u - (1+u) log((1+u)/2)       | -E[softplus(T)]  |
| "logd"         | the -log D trick        | (1+u) log((1+u)/u)                 | E[softplus(-T)]  |
| "hellinger"    | squared Hellinger       | (sqrt u - 1)^2                     | -E[e^{T/2}]      |
| "pearson"      | Pearson chi^2           | (u - 1)^2                          | -E[e^{2T}]       |

The -log D trick's f gives KL(Q||P) - 2 JSD(P, Q) + const. :func:`custom` builds the loss of
any user f from f and f' by the general formula.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

import expressivity.autodiff.numpy as anp

__all__ = ["Objective", "OBJECTIVES", "get_objective", "custom", "discriminator_loss", "T_CLIP"]

T_CLIP = 15.0  # |T| bound before exponentiating: e^{2 T_CLIP} ~ 1e13 stays finite in float32


@dataclass(frozen=True)
class Objective:
    """A generator objective: ``f`` (numpy, for quadrature/plots), ``loss_terms(T)`` the
    per-sample generator loss in the logit T (differentiable), ``name``, ``target`` (text)."""

    name: str
    f: Callable
    loss_terms: Callable
    target: str = ""

    def generator_loss(self, T):
        """Mean generator loss over the fake logits T (differentiable in T)."""
        return anp.mean(self.loss_terms(T))


def _clip(T):
    return anp.clip(T, -T_CLIP, T_CLIP)


def _xlogx(u):
    u = np.asarray(u, dtype=np.float64)
    return np.where(u > 0, u * np.log(np.where(u > 0, u, 1.0)), 0.0)


OBJECTIVES = {
    "kl": Objective("kl", _xlogx, lambda T: -anp.exp(_clip(T)), "KL(P||Q)"),
    "reverse_kl": Objective("reverse_kl", lambda u: -np.log(u), lambda T: -T, "KL(Q||P)"),
    "minimax": Objective(
        "minimax", lambda u: _xlogx(u) - (1 + u) * np.log((1 + u) / 2),
        lambda T: -anp.softplus(T), "2 JSD(P,Q) - log 4"),
    "logd": Objective(
        "logd", lambda u: (1 + u) * np.log((1 + u) / u),
        lambda T: anp.softplus(-T), "KL(Q||P) - 2 JSD(P,Q)"),
    "hellinger": Objective(
        "hellinger", lambda u: (np.sqrt(u) - 1) ** 2,
        lambda T: -anp.exp(0.5 * _clip(T)), "squared Hellinger"),
    "pearson": Objective(
        "pearson", lambda u: (u - 1) ** 2, lambda T: -anp.exp(2.0 * _clip(T)), "Pearson chi^2"),
}


def custom(f, f_prime, f_np=None, name="custom") -> Objective:
    """Objective of a user f-divergence: loss terms f(r) - r f'(r) with r = exp(clip(T)).

    ``f`` and ``f_prime`` must be written with :mod:`expressivity.autodiff.numpy` operations
    (they are differentiated); ``f_np`` (default ``f``) is used for numpy evaluation.
    """
    if not callable(f) or not callable(f_prime):
        raise TypeError("f and f_prime must be callables u -> value")

    def terms(T):
        r = anp.exp(_clip(T))
        return f(r) - r * f_prime(r)

    return Objective(name, f if f_np is None else f_np, terms, f"D_f with user f ({name})")


def get_objective(objective) -> Objective:
    """An :class:`Objective` from its name (see ``OBJECTIVES``) or an Objective itself."""
    if isinstance(objective, Objective):
        return objective
    try:
        return OBJECTIVES[objective]
    except (KeyError, TypeError):
        raise ValueError(
            f"objective must be an Objective or one of {sorted(OBJECTIVES)}, got {objective!r}"
        ) from None


def discriminator_loss(T_real, T_fake):
    """Logistic loss E_p[softplus(-T)] + E_q[softplus(T)], minimised by T* = log p/q."""
    return anp.mean(anp.softplus(-T_real)) + anp.mean(anp.softplus(T_fake))
