"""In-place optimisers for the classifiers, by name, with a picklable state for checkpoints.

``"sgd"``, ``"momentum"`` and ``"adam"`` are :mod:`expressivity.autodiff.optim`'s in-place
optimisers; ``"rmsprop"`` (Tieleman & Hinton 2012, the form of TensorFlow's RMSPropOptimizer
that Schoenholz et al. 2017 trained with) is defined here:

    v <- rho v + (1 - rho) g^2,     p <- p - lr g / (sqrt(v) + eps).
"""
from __future__ import annotations

import numpy as np

from expressivity.autodiff import optim, tree_leaves

from ..checks import check_choice, check_in_range, check_positive

__all__ = ["OPTIMIZERS", "RMSPropInPlace", "make_optimizer", "optimizer_state", "set_optimizer_state"]

OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")


class RMSPropInPlace:
    """RMSProp updating the arrays of ``params`` in place: ``step(grads)`` per iteration."""

    def __init__(self, params, lr=1e-3, rho=0.9, eps=1e-8):
        self.lr = check_positive("lr", lr)
        self.rho = check_in_range("rho", rho, 0.0, 1.0 - 1e-12)
        self.eps = check_positive("eps", eps)
        self.params = tree_leaves(params)
        self.v = [np.zeros_like(p) for p in self.params]
        self.tmp = [np.empty_like(p) for p in self.params]

    def step(self, grads):
        gl = tree_leaves(grads)
        if len(gl) != len(self.params):
            raise ValueError(f"rmsprop: grads has {len(gl)} leaves but params has {len(self.params)}")
        a = 1.0 - self.rho
        for p, g, v, t in zip(self.params, gl, self.v, self.tmp):
            np.multiply(g, g, out=t)
            t -= v
            t *= a
            v += t                  # v = rho v + (1 - rho) g^2
            np.sqrt(v, out=t)
            t += self.eps
            np.divide(g, t, out=t)
            t *= self.lr
            p -= t


def make_optimizer(name, params, lr, **kwargs):
    """An in-place optimiser over the arrays of ``params`` (``name`` in :data:`OPTIMIZERS`)."""
    check_choice("optimizer", name, OPTIMIZERS)
    lr = check_positive("lr", lr)
    if name == "sgd":
        return optim.sgd_inplace(params, lr)
    if name == "momentum":
        return optim.momentum_inplace(params, lr, **kwargs)
    if name == "adam":
        return optim.adam_inplace(params, lr, **kwargs)
    return RMSPropInPlace(params, lr, **kwargs)


_STATE = ("count", "m", "v")


def optimizer_state(opt) -> dict:
    """Copies of the optimiser's moving state (step count, moments)."""
    out = {}
    for name in _STATE:
        if hasattr(opt, name):
            val = getattr(opt, name)
            out[name] = [a.copy() for a in val] if isinstance(val, list) else (
                val.copy() if isinstance(val, np.ndarray) else val)
    return out


def set_optimizer_state(opt, state: dict) -> None:
    """Put a state of :func:`optimizer_state` back (into the optimiser's own buffers)."""
    for name, val in state.items():
        cur = getattr(opt, name)
        if isinstance(cur, list):
            for a, b in zip(cur, val):
                np.copyto(a, b)
        elif isinstance(cur, np.ndarray):
            np.copyto(cur, val)
        else:
            setattr(opt, name, val)
