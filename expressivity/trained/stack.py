"""The hidden layers of a deep classifier as one recorded operation (a fused primitive).

    z^0 = x,   z^l = phi(z^{l-1} W^l + b^l),   l = 1..L   ->   returns z^L

A 100-layer classifier would otherwise record one dense node per layer and pay the engine's
per-node cost (~14 us for boxing, VJP dispatch and cotangent bookkeeping) a hundred times a
step; here the forward keeps its activations as a residual and one hand-written VJP
backpropagates through the whole stack (phi' from the outputs: tanh 1 - z^2, relu [z > 0],
hard_tanh [|z| < 1], linear 1), computing only the cotangents asked for and stopping below
the lowest layer that needs one (frozen lower layers cost no backward pass). When the VJP
itself is traced (higher derivatives) it is written with the engine's primitives on a
recomputed forward pass, so the stack is differentiable to any order. Tested against the
layer-by-layer composition and finite differences (tests/expressivity/trained/test_stack.py).
"""
from __future__ import annotations

import numpy as np

import expressivity.autodiff.numpy as anp
from expressivity.autodiff import FusedVJP, getval, primitive
from expressivity.autodiff import nn

__all__ = ["FUSED", "hidden_stack"]

FUSED = ("tanh", "relu", "hard_tanh", "linear")


def _apply(h, activation):
    if activation == "tanh":
        np.tanh(h, out=h)
    elif activation == "relu":
        np.maximum(h, 0, out=h)
    elif activation == "hard_tanh":
        np.clip(h, -1.0, 1.0, out=h)
    return h


def _forward(x, *wb, activation):
    zs = [x]
    z = x
    for k in range(0, len(wb), 2):
        h = z @ wb[k]
        h += wb[k + 1]
        z = _apply(h, activation)
        zs.append(z)
    return zs


def _stack_fun(x, *wb, activation):
    return _forward(x, *wb, activation=activation)[-1]


def _stack_res(x, *wb, activation):
    zs = _forward(x, *wb, activation=activation)
    return zs[-1], zs


def _cotangent(g, z, activation):
    """d loss / d h from d loss / d z = g and z = phi(h) (plain arrays; a fresh array)."""
    if activation == "tanh":
        gz = z * z
        np.subtract(1, gz, out=gz)
        gz *= g
        return gz
    if activation == "relu":
        return g * (z > 0)
    if activation == "hard_tanh":
        return g * (np.abs(z) < 1.0)
    return g.copy()


def _traced_cotangent(g, z, activation):
    if activation == "tanh":
        return g * (1.0 - z * z)
    zv = getval(z)
    if activation == "relu":
        return g * (np.asarray(zv) > 0)
    if activation == "hard_tanh":
        return g * (np.abs(np.asarray(zv)) < 1.0)
    return g


def _stack_vjp(g, ans, argnums, x, *wb, activation, _res=None):
    L = len(wb) // 2
    want = set(argnums)
    lowest = min(argnums)                       # arg 0 = x, 1 + 2l = W^(l+1), 2 + 2l = b^(l+1)
    lowest_layer = 0 if lowest == 0 else (lowest - 1) // 2
    grads = {}
    nd = np.ndarray
    fast = _res is not None and g.__class__ is nd and all(a.__class__ is nd for a in wb)
    if fast:
        zs = _res
        for l in range(L - 1, lowest_layer - 1, -1):
            gz = _cotangent(g, zs[l + 1], activation)
            iw, ib = 1 + 2 * l, 2 + 2 * l
            if iw in want:
                grads[iw] = zs[l].T @ gz
            if ib in want:
                grads[ib] = np.add.reduce(gz, axis=0)
            if l > lowest_layer or 0 in want:
                g = gz @ wb[2 * l].T
        if 0 in want:
            grads[0] = g
        return [grads[i] for i in argnums]
    # traced (higher order): recompute the forward with the engine's primitives
    zs = [x]
    for k in range(L):
        zs.append(nn.dense_apply({"W": wb[2 * k], "b": wb[2 * k + 1]}, zs[-1], activation))
    for l in range(L - 1, lowest_layer - 1, -1):
        gz = _traced_cotangent(g, zs[l + 1], activation)
        iw, ib = 1 + 2 * l, 2 + 2 * l
        if iw in want:
            grads[iw] = anp.transpose(zs[l]) @ gz
        if ib in want:
            grads[ib] = anp.sum(gz, axis=0)
        if l > lowest_layer or 0 in want:
            g = gz @ anp.transpose(wb[2 * l])
    if 0 in want:
        grads[0] = g
    return [grads[i] for i in argnums]


_stack = primitive(_stack_fun, "hidden_stack", vjp_table=FusedVJP(_stack_vjp), with_residual=_stack_res)


def hidden_stack(layers, x, activation="tanh"):
    """phi(... phi(phi(x W^1 + b^1) W^2 + b^2) ...) for ``layers`` = [{"W", "b"}, ...]
    (plain or traced), one recorded operation; ``activation`` in :data:`FUSED`."""
    if activation not in FUSED:
        raise ValueError(f"activation must be one of {FUSED} for the fused stack, got {activation!r}")
    if not layers:
        return x
    wb = []
    for layer in layers:
        wb += [layer["W"], layer["b"]]
    return _stack(x, *wb, activation=activation)
