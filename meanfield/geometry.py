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
from ._solvers import d_limit, dd_limit
from ._validate import VALUE_MAX, positive_int, scalar
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

    def __repr__(self) -> str:
        return (f"CurveTheory({self.q.size} layers: q {self.q[0]:.4g} -> {self.q[-1]:.4g}, "
                f"gbar {self.gbar[0]:.4g} -> {self.gbar[-1]:.4g}, grassmannian_length "
                f"{self.grassmannian_length[0]:.4g} -> {self.grassmannian_length[-1]:.4g})")


def curve_theory(activation, sigma_w2, sigma_b2, depth, q0=None) -> CurveTheory:
    """Mean-field length and curvature of a great circle propagated through a wide random
    network (Poole et al. 2016, Eq. 8): gbar^l = chi1 gbar^(l-1),
    kappa_bar2^l = 3 chi2 / chi1^2 + kappa_bar2^(l-1) / chi1, with chi1, chi2 at q^(l-1).

    Parameters
    ----------
    activation : str or Activation
        A built-in name or an :class:`Activation`.
    sigma_w2, sigma_b2 : float
        Weight and bias variances, in [0, 1e300] (single numbers).
    depth : int
        Number of layers reported, in [1, 1e6]; index 0 is the input circle h^1.
    q0 : float, optional
        Squared length per neuron of the circle, in (0, 1e300]; default q*.

    Returns
    -------
    CurveTheory
        Fields q, gbar, kappa_bar2, euclidean_length (2 pi sqrt(gbar), per sqrt(width)),
        grassmannian_length (2 pi sqrt(kappa_bar2 gbar)), each of shape (depth,); kappa_bar2
        is inf after the first layer for ReLU and hard-tanh (chi2 = inf).

    Raises
    ------
    ValueError
        Arguments out of range; q* is 0 or infinite and no q0 is given.
    TypeError
        Arrays where single numbers are due; strings, None, bools, complex numbers; a
        non-integer depth.
    """
    act = get_activation(activation)
    w = scalar("sigma_w2", sigma_w2, 0.0, VALUE_MAX)
    b = scalar("sigma_b2", sigma_b2, 0.0, VALUE_MAX)
    depth = positive_int("depth", depth)
    if q0 is None:
        q1 = float(q_star(act, w, b))
        if not (0.0 < q1 < math.inf):
            raise ValueError(f"q* = {q1} for {act.name} at sigma_w2={w!r}, sigma_b2={b!r}: "
                             "give the circle's squared length q0 explicitly")
    else:
        q1 = scalar("q0", q0, 0.0, VALUE_MAX, lo_open=True)
    q = np.empty(depth)
    g = np.empty(depth)
    k2 = np.empty(depth)
    q[0], g[0], k2[0] = q1, q1, 1.0 / q1
    for l in range(1, depth):
        ql = float(q[l - 1])
        if ql > VALUE_MAX:   # q^l diverged: the q -> inf limits of chi1, chi2
            c1, c2, q[l] = w * d_limit(act), (math.inf if act.deltas else w * dd_limit(act)), math.inf
        else:
            c1 = w * kernels.one_d(act, "D", ql)
            c2 = math.inf if act.deltas else w * kernels.one_d(act, "X2", ql)
            q[l] = w * kernels.one_d(act, "V", ql) + b
        with np.errstate(over="ignore", invalid="ignore"):
            g[l] = c1 * g[l - 1]
            k2[l] = 3.0 * c2 / c1 ** 2 + k2[l - 1] / c1 if c1 > 0 else math.inf
    with np.errstate(over="ignore", invalid="ignore"):
        return CurveTheory(q=q, gbar=g, kappa_bar2=k2, euclidean_length=2 * np.pi * np.sqrt(g),
                           grassmannian_length=2 * np.pi * np.sqrt(k2 * g))
