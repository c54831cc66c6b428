"""Fused per-parameter passes of SI and EWC (numba; imported on first use).

SI adds a few vector operations to a training step (Zenke et al. 2017, Sec. 3: "the
additional cost ... is negligible"); done as separate numpy calls they are ~8 passes over
the parameters, which for a 1 M-parameter network is a third of a step. Each function here
is one pass. ``*_numpy`` are the same formulas in numpy (the tests compare them).
"""
import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def penalty_grad(g, out, weight, theta, anchor, scale):
    """out = g + scale * weight * (theta - anchor)  (the gradient of the surrogate
    scale / 2 * sum weight (theta - anchor)^2 added to the task gradient)."""
    for i in range(g.size):
        out[i] = g[i] + scale * weight[i] * (theta[i] - anchor[i])


@njit(cache=True, nogil=True)
def penalty_grad_keep(g, out, weight, theta, anchor, scale, prev):
    """:func:`penalty_grad` and prev = theta in the same pass (SI's step keeps theta_old)."""
    for i in range(g.size):
        t = theta[i]
        prev[i] = t
        out[i] = g[i] + scale * weight[i] * (t - anchor[i])


@njit(cache=True, nogil=True)
def accumulate_omega(omega, g, theta, prev):
    """omega -= g * (theta - prev): the path integral of -g along the actual step."""
    for i in range(g.size):
        omega[i] += g[i] * (prev[i] - theta[i])


def penalty_grad_numpy(g, out, weight, theta, anchor, scale):
    np.subtract(theta, anchor, out=out)
    out *= weight
    out *= scale
    out += g


def accumulate_omega_numpy(omega, g, theta, prev):
    omega += g * (prev - theta)
