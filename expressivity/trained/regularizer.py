"""Trajectory regularisation (Raghu et al. 2017, Sec. 5): a penalty in place of batch norm.

Each hidden layer that would carry batch norm instead adds

    lambda * l(z^(d)) / l_0(z^(d))

to the loss, where l(z^(d)) = integral ||dz^(d)/dt|| dt is the current length of a fixed
input trajectory x(t) at that layer's output and l_0 its length at initialisation (Raghu et
al. scale the term by 0.01, the default ``lambda``). The length is differentiable and exact
(up to the quadrature in t): value and velocity are propagated together inside the traced
loss,

    h = z W + b,  hdot = v W,   z' = phi(h),  v' = phi'(h) hdot,

so its gradient reaches every weight below the layer. phi' is 1 - z'^2 for tanh, the
indicator of the linear piece for hard_tanh and relu (constant almost everywhere), 1 for
linear.
"""
from __future__ import annotations

import numpy as np

import expressivity.autodiff.numpy as anp
from expressivity.autodiff import getval, nn

from ..curves import Curve

__all__ = ["traced_lengths", "trajectory_penalty"]

_TINY = 1e-30   # keeps sqrt differentiable where a layer's velocity is exactly zero


def _dphi(activation, h, z):
    if activation == "tanh":
        return 1.0 - z * z
    hv = getval(h)
    if activation == "hard_tanh":
        return (np.abs(hv) < 1.0).astype(hv.dtype)
    if activation == "relu":
        return (hv > 0.0).astype(hv.dtype)
    if activation == "linear":
        return 1.0
    raise ValueError(f"activation must be one of tanh, hard_tanh, relu, linear; got {activation!r}")


def traced_lengths(params, curve: Curve, activation="tanh"):
    """[l(z^(1)), ..., l(z^(depth))] of ``curve`` through the hidden layers of ``params``
    (plain or traced), a list of scalars; the curve in the parameters' dtype."""
    dtype = getval(params[0]["W"]).dtype
    z = curve.x.astype(dtype)
    v = curve.dx.astype(dtype)
    w = curve.weights.astype(dtype)
    out = []
    for layer in params[:-1]:
        h = z @ layer["W"] + layer["b"]
        hv = v @ layer["W"]
        z = nn.get_activation(activation)(h)
        v = _dphi(activation, h, z) * hv
        out.append(anp.sum(w * anp.sqrt(anp.sum(v * v, axis=1) + _TINY)))
    return out


def trajectory_penalty(params, curve: Curve, original, strength=0.01, activation="tanh"):
    """strength * sum_d l(z^(d)) / l_0(z^(d)) with ``original`` = the l_0 (plain floats)."""
    lengths = traced_lengths(params, curve, activation)
    total = 0.0
    for l, l0 in zip(lengths, original):
        total = total + l / float(l0)
    return strength * total
