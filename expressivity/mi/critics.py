"""Critics f(x, y) evaluated on all K^2 pairs of a batch: S[i, j] = f(x_i, y_j).

* separable: S = g(x) h(y)^T with two MLPs (paper: 2 x 256 ReLU, 32-d embeddings);
* concat: one MLP on [x_i, y_j] for every pair (the first layer is split, x W_x + y W_y + b,
  so the K^2 x (dx + dy) input is never materialised);
* bilinear: S = x W y^T;
* the true conditional / optimal critic of the Gaussian benchmark lives in :mod:`.data`
  (``data.pmi``, ``data.log_conditional``) and is wrapped by :func:`optimal_critic`.

A critic is a pair of functions ``init(seed, x_dim, y_dim) -> params`` and
``apply(params, x, y) -> S``; :func:`make_critic` builds them by name.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from ..autodiff import nn
from ..autodiff import numpy as anp
from ..autodiff.nn import as_generator
from . import data as _data
from ..checks import check_array, check_bool, check_real

__all__ = ["Critic", "make_critic", "separable_init", "separable_apply", "concat_init",
           "concat_apply", "bilinear_init", "bilinear_apply", "optimal_critic", "CRITICS", "glorot_mlp"]


def glorot_mlp(seed, sizes, dtype=np.float32):
    """MLP params with Glorot-normal weights, Var W = 2 / (n_in + n_out), zero biases (the
    Keras default used by the paper's code; He scaling makes the initial scores ~10x larger
    and early TUBA/NWJ steps overflow in float32)."""
    params = nn.mlp_init(as_generator(seed), sizes, sigma_w2=1.0, dtype=dtype)
    for layer in params:
        n_in, n_out = layer["W"].shape
        layer["W"] *= np.asarray(np.sqrt(2.0 * n_in / (n_in + n_out)), dtype)
    return params


class Critic(NamedTuple):
    init: Callable
    apply: Callable
    name: str = ""


def separable_init(seed, x_dim, y_dim, hidden=(256, 256), embed_dim=32, dtype=np.float32):
    rng = as_generator(seed)
    return {"g": glorot_mlp(rng, [x_dim, *hidden, embed_dim], dtype),
            "h": glorot_mlp(rng, [y_dim, *hidden, embed_dim], dtype)}


def separable_apply(params, x, y):
    """S = g(x) h(y)^T."""
    return nn.mlp_apply(params["g"], x, "relu") @ anp.transpose(nn.mlp_apply(params["h"], y, "relu"))


def concat_init(seed, x_dim, y_dim, hidden=(256, 256), dtype=np.float32):
    return glorot_mlp(seed, [x_dim + y_dim, *hidden, 1], dtype)


def concat_apply(params, x, y):
    """S[i, j] = MLP([x_i, y_j]) for all K^2 pairs.

    The first layer is split, [x, y] W + b = x W_x + y W_y + b, so its K^2 pre-activations are
    a broadcast sum of a K x H and a K x H product (:func:`~expressivity.autodiff.nn.pair_apply`,
    one fused node) and the K^2 x (dx + dy) input is never formed."""
    kx, dx = np.shape(x)
    ky = np.shape(y)[0]
    first = params[0]
    W = first["W"]
    h = nn.pair_apply(x @ W[:dx], y @ W[dx:], first["b"], "relu")
    out = nn.mlp_apply(params[1:], h, "relu")
    return anp.reshape(out, (kx, ky))


def bilinear_init(seed, x_dim, y_dim, dtype=np.float32):
    rng = as_generator(seed)
    return {"W": (rng.standard_normal((x_dim, y_dim)) * 0.01).astype(dtype)}


def bilinear_apply(params, x, y):
    """S = x W y^T."""
    return (x @ params["W"]) @ anp.transpose(y)


def optimal_critic(mi, cubic=False, shift=0.0):
    """The analytic critic PMI + shift of the Gaussian benchmark with the given MI (no params)."""
    _data.mi_to_rho(check_array("mi", mi, ndim=0), 1)  # validates mi (finite, >= 0)
    cubic = check_bool("cubic", cubic)
    shift = check_real("shift", shift)

    def apply(params, x, y):
        return _data.pmi(np.asarray(x), np.asarray(y), mi, cubic) + shift
    return Critic(lambda *a, **k: {}, apply, "optimal")


CRITICS = {
    "separable": Critic(separable_init, separable_apply, "separable"),
    "concat": Critic(concat_init, concat_apply, "concat"),
    "bilinear": Critic(bilinear_init, bilinear_apply, "bilinear"),
}


def make_critic(critic):
    """A :class:`Critic` from a name in ``CRITICS`` or a Critic / (init, apply) pair."""
    if isinstance(critic, Critic):
        return critic
    if isinstance(critic, tuple) and len(critic) == 2 and all(callable(c) for c in critic):
        return Critic(critic[0], critic[1], "custom")
    try:
        return CRITICS[critic]
    except (KeyError, TypeError):
        raise ValueError(f"critic must be one of {sorted(CRITICS)} or an (init, apply) pair, got {critic!r}") from None
