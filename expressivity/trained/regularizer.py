"""Trajectory regularisation (Raghu et al. 2017, Sec. 5): a layer in place of batch norm.

Where a network would carry batch norm (between a hidden layer's affine map and its
nonlinearity), the trajectory-regularisation layer takes h^(d) = z^(d-1) W + b, adds

    c * |lambda_d| * l(h^(d)) / l_0(h^(d))

to the loss and passes lambda_d h^(d) on to the nonlinearity, with lambda_d a learned scalar
(initially 1): "This layer adds to the loss lambda (current length / orig length), and then
scales the outgoing activations by lambda, where lambda is a parameter to be learnt. In
implementation, we typically scale the additional loss above with a constant (0.01)"
(Raghu et al. 2017, Sec. 5). l(h^(d)) = integral ||dh^(d)/dt|| dt is the current length of a
fixed input trajectory x(t) at the layer, l_0 its length at initialisation, c = ``strength``
(default 0.01). |lambda| instead of lambda only guards against a sign flip making the penalty
unbounded below (identical while lambda > 0). The scale lives in the layer as ``"scale"``
(:func:`~.model.init_params` with ``norm="trajectory"``).

The length is differentiable and exact up to the quadrature in t: value and velocity are
propagated together inside the traced loss,

    h = z W + b,  hdot = v W,   z' = phi(lambda h),  v' = phi'(lambda h) lambda hdot,

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
    """[l(h^(1)), ..., l(h^(depth))]: lengths of ``curve`` at the pre-activations of the hidden
    layers of ``params`` (plain or traced; a layer's ``"scale"`` is applied after its length
    is taken), a list of scalars; the curve in the parameters' dtype."""
    dtype = getval(params[0]["W"]).dtype
    z = curve.x.astype(dtype)
    v = curve.dx.astype(dtype)
    w = curve.weights.astype(dtype)
    out = []
    phi = nn.get_activation(activation)
    for layer in params[:-1]:
        h = z @ layer["W"] + layer["b"]
        hv = v @ layer["W"]
        out.append(anp.sum(w * anp.sqrt(anp.sum(hv * hv, axis=1) + _TINY)))
        if "scale" in layer:
            h = h * layer["scale"]
            hv = hv * layer["scale"]
        z = phi(h)
        v = _dphi(activation, h, z) * hv
    return out


def trajectory_penalty(params, curve: Curve, original, strength=0.01, activation="tanh"):
    """strength * sum_d |lambda_d| l(h^(d)) / l_0(h^(d)), with ``original`` = the l_0 (plain
    floats) and lambda_d the layers' ``"scale"`` (1 where a layer has none)."""
    lengths = traced_lengths(params, curve, activation)
    total = 0.0
    for layer, l, l0 in zip(params[:-1], lengths, original):
        term = l / float(l0)
        if "scale" in layer:
            term = anp.abs(layer["scale"]) * term
        total = total + term
    return strength * total
