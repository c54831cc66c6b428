"""Masked autoregressive layers (MADE; Germain, Gregor, Murray & Larochelle 2015).

A decoder p(x | z) = prod_d p(x_d | x_(<d), z) over binary pixels in raster order: every
output logit d sees only the pixels before d (and all of z), enforced by binary masks on the
weights. Degrees: input pixel d has degree d + 1 (1..D); hidden unit k of every layer has
degree m(k) = k mod (D - 1) + 1 (cyclic, so all degrees are used and the layout is
deterministic); the masks are

    input -> hidden:   m_1(k) >= d_in(j),     hidden -> hidden:  m_(l+1)(k) >= m_l(j),
    hidden -> output:  d_out(d) > m_L(j),     input -> output (direct): d_out(d) > d_in(j).

Such a decoder can model the pixels well with no latent at all, which is what lets a VAE's
posterior collapse (Bowman et al. 2016; Chen et al. 2017; Razavi et al. 2019).

:func:`masked_dense` is one fused primitive phi(x (W * M) + b) with its VJP (the masked
weights get exactly zero gradient), differentiable again; its gradients are checked against
finite differences in the tests.
"""
from __future__ import annotations

import functools

import numpy as np

from ..autodiff import nn
from ..autodiff import numpy as anp
from ..autodiff.core import FusedVJP, getval, primitive
from ..checks import as_generator, check_choice, check_positive_int

__all__ = ["masked_dense", "made_masks", "made_init", "made_logits", "made_sample"]

_ACTS = ("relu", "tanh", "linear")


# ----------------------------------------------------------------------------- the primitive

def _masked_fun(x, W, b, mask, activation):
    z = x @ (W * mask)
    z += b
    if activation == "relu":
        np.maximum(z, 0, out=z)
    elif activation == "tanh":
        np.tanh(z, out=z)
    return z


def _masked_vjp(g, ans, argnums, x, W, b, mask, activation):
    if activation == "relu":
        gz = g * (getval(ans) > 0)
    elif activation == "tanh":
        gz = g * (1.0 - ans * ans)      # traced when differentiated again
    else:
        gz = g
    nd = np.ndarray
    plain = g.__class__ is nd and ans.__class__ is nd and x.__class__ is nd and W.__class__ is nd
    out = []
    for i in argnums:
        if i == 0:
            out.append(gz @ (W * mask).T if plain else anp.matmul(gz, anp.transpose(W * mask)))
        elif i == 1:
            if plain:
                gw = x.T @ gz
                gw *= mask
                out.append(gw)
            else:
                out.append(anp.matmul(anp.transpose(x), gz) * mask)
        else:
            out.append(anp.unbroadcast(gz, b))
    return out


_masked = primitive(_masked_fun, "masked_dense", vjp_table=FusedVJP(_masked_vjp))


def masked_dense(x, W, b, mask, activation="linear"):
    """phi(x @ (W * mask) + b) as one recorded operation; ``mask`` is a constant 0/1 array of
    W's shape (never differentiated), ``activation`` one of relu, tanh, linear."""
    check_choice("activation", activation, _ACTS)
    sw, sm = np.shape(getval(W)), np.shape(getval(mask))
    if sw != sm:
        raise ValueError(f"mask must have W's shape {sw}, got {sm}")
    if np.shape(getval(x))[-1] != sw[0]:
        raise ValueError(f"x's last axis ({np.shape(getval(x))[-1]}) must match W's rows ({sw[0]})")
    return _masked(x, W, b, getval(mask), activation)


# ----------------------------------------------------------------------------- MADE

@functools.lru_cache(maxsize=32)
def made_masks(n_pixels: int, hidden: tuple, dtype=np.float64):
    """(layer masks, direct mask) for a MADE over ``n_pixels`` with hidden widths ``hidden``."""
    D = check_positive_int("n_pixels", n_pixels, minimum=2)
    d_in = np.arange(1, D + 1)
    degrees = [d_in]
    for h in hidden:
        degrees.append(np.arange(check_positive_int("hidden width", h)) % (D - 1) + 1)
    masks = [(degrees[l + 1][None, :] >= degrees[l][:, None]).astype(dtype) for l in range(len(hidden))]
    masks.append((d_in[None, :] > degrees[-1][:, None]).astype(dtype))
    direct = (d_in[None, :] > d_in[:, None]).astype(dtype)
    for m in masks + [direct]:
        m.setflags(write=False)
    return tuple(masks), direct


def made_init(rng, n_pixels, hidden=(256,), n_latent=0, direct=True, dtype=np.float64):
    """Parameters of a z-conditioned MADE decoder.

    ``{"layers": [{"W", "b"}...], "cond": [{"W", "b"}...] (one per layer, from z; empty when
    n_latent = 0), "direct": (n_pixels, n_pixels) or absent}``. Weights N(0, 2 / fan_in)
    (He), biases 0; the conditioning weights N(0, 1 / n_latent).
    """
    rng = as_generator(rng, "rng")
    D = check_positive_int("n_pixels", n_pixels, minimum=2)
    hidden = tuple(int(h) for h in hidden)
    sizes = [D, *hidden, D]
    layers, cond = [], []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers.append({"W": (rng.standard_normal((a, b)) * np.sqrt(2.0 / a)).astype(dtype),
                       "b": np.zeros(b, dtype)})
        if n_latent:
            cond.append({"W": (rng.standard_normal((n_latent, b)) * np.sqrt(1.0 / n_latent)).astype(dtype),
                         "b": np.zeros(b, dtype)})
    p = {"layers": layers, "cond": cond}
    if direct:
        p["direct"] = np.zeros((D, D), dtype)
    return p


def _hidden_of(params):
    return tuple(int(np.shape(getval(l["W"]))[1]) for l in params["layers"][:-1])


def made_logits(params, x, z=None, activation="relu"):
    """Logits of p(x_d | x_(<d), z) for every pixel d (rows of ``x``); ``z`` (batch, n_latent)
    conditions every layer (omit it for an unconditional MADE)."""
    x_shape = np.shape(getval(x))
    D = int(np.shape(getval(params["layers"][0]["W"]))[0])
    if len(x_shape) != 2 or x_shape[1] != D:
        raise ValueError(f"x must be (batch, {D}), got {x_shape}")
    masks, direct = made_masks(D, _hidden_of(params), np.dtype(getval(params["layers"][0]["W"]).dtype))
    cond = params.get("cond") or []
    if cond and z is None:
        raise ValueError("this MADE is conditioned on z: pass z (batch, n_latent)")
    h = x
    n = len(params["layers"])
    for i, (layer, mask) in enumerate(zip(params["layers"], masks)):
        last = i == n - 1
        if cond:
            pre = masked_dense(h, layer["W"], layer["b"], mask, "linear") + nn.dense_apply(cond[i], z)
            h = pre if last else nn.get_activation(activation)(pre)
        else:
            h = masked_dense(h, layer["W"], layer["b"], mask, "linear" if last else activation)
    if "direct" in params:
        h = h + masked_dense(x, params["direct"], 0.0, direct, "linear")
    return h


def made_sample(params, z, rng, activation="relu"):
    """Ancestral samples x ~ p(x | z), one pixel at a time (D passes); ``z`` (batch, n_latent)
    or an int batch size for an unconditional MADE. Plain arrays."""
    rng = as_generator(rng, "rng")
    D = int(np.shape(params["layers"][0]["W"])[0])
    if np.ndim(z) == 0:
        n, z = int(z), None
    else:
        n = np.shape(z)[0]
    x = np.zeros((n, D), dtype=np.asarray(params["layers"][0]["W"]).dtype)
    for d in range(D):
        logit = made_logits(params, x, z, activation)[:, d]
        x[:, d] = rng.random(n) < 0.5 * (1.0 + np.tanh(0.5 * logit))
    return x
