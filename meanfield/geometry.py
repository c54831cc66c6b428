"""Geometry of a curve propagated through a wide random network (Poole et al. 2016, Eq. 8).

For a great circle h^1(theta) of squared length q^1 per neuron, the renormalised metric
gbar = ||dh/dtheta||^2 / N and curvature kappa_bar^2 = N kappa^2 obey, layer by layer,

  q^{l+1}           = sigma_w2 V(q^l) + sigma_b2
  gbar^{l+1}        = chi1(q^l) gbar^l
  kappa_bar2^{l+1}  = 3 chi2(q^l) / chi1(q^l)^2 + kappa_bar2^l / chi1(q^l)

with chi1(q) = sigma_w2 E[phi'(sqrt(q) z)^2], chi2(q) = sigma_w2 E[phi''(sqrt(q) z)^2]. At
q^1 = q* this is Poole's Eq. 8; a ``q0`` different from q* follows the transient of q too.
The circle starts at gbar = q^1, kappa_bar2 = 1/q^1, Grassmannian length 2 pi;
euclidean_length = 2 pi sqrt(gbar) (per sqrt(N)) and grassmannian_length =
2 pi sqrt(kappa_bar2 gbar). For ReLU and hard-tanh chi2 = inf: the curvature is infinite
after the first layer (all turning happens at the kinks; measure it in simulation).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import kernels
from ._validate import as_array, variances
from .activations import get_activation
from .maps import q_star


@dataclass(frozen=True)
class CurveTheory:
    """Per-layer predictions; index 0 is h^1 (the input circle), index l-1 is h^l."""

    q: np.ndarray
    gbar: np.ndarray
    kappa_bar2: np.ndarray
    euclidean_length: np.ndarray
    grassmannian_length: np.ndarray

    def as_dict(self) -> dict[str, np.ndarray]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def curve_theory(activation, sigma_w2, sigma_b2, depth, q0=None) -> CurveTheory:
    """Mean-field prediction of the length and curvature of a propagated great circle."""
    act = get_activation(activation)
    w, b = variances(sigma_w2, sigma_b2)
    if w.ndim or b.ndim:
        raise ValueError("curve_theory takes scalar sigma_w2 and sigma_b2")
    w, b = float(w), float(b)
    if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 1:
        raise ValueError(f"depth must be a positive integer, got {depth!r}")
    if q0 is None:
        q1 = float(q_star(act, w, b))
        if not (0.0 < q1 < math.inf):
            raise ValueError(f"q* = {q1} for {act.name} at sigma_w2={w}, sigma_b2={b}: "
                             "give the circle's squared length q0 explicitly")
    else:
        q1 = float(as_array("q0", q0, 0.0, lo_open=True))
        if math.isinf(q1):
            raise ValueError("q0 must be finite")
    q = np.empty(depth)
    g = np.empty(depth)
    k2 = np.empty(depth)
    q[0], g[0], k2[0] = q1, q1, 1.0 / q1
    for l in range(1, depth):
        ql = q[l - 1]
        c1 = w * kernels.one_d(act, "D", ql)
        c2 = math.inf if act.deltas else w * kernels.one_d(act, "X2", ql)
        q[l] = w * kernels.one_d(act, "V", ql) + b
        g[l] = c1 * g[l - 1]
        k2[l] = 3.0 * c2 / c1 ** 2 + k2[l - 1] / c1 if c1 > 0 else math.inf
    return CurveTheory(q=q, gbar=g, kappa_bar2=k2, euclidean_length=2 * np.pi * np.sqrt(g),
                       grassmannian_length=2 * np.pi * np.sqrt(k2 * g))
