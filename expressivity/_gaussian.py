"""Private 1-D Gaussian quadrature: where to place the input circle (q*), nothing more.

``meanfield`` owns the theory; the simulation only needs the fixed point q* of the length map
q -> sigma_w2 E[phi(sqrt(q) z)^2] + sigma_b2 (Poole et al. 2016, Eq. 3) to scale its input, and
must not depend on ``meanfield`` being importable. E[f(sqrt(q) z)] is integrated with 8-point
Gauss-Legendre panels on z in [-12, 12], split at the activation's kinks (k / sqrt(q)), with
panel width 0.25 min(1, max(q^-1/2, 2e-3)) so that steep activations at large q stay resolved.
"""
from __future__ import annotations

import numpy as np

_GL_X, _GL_W = np.polynomial.legendre.leggauss(8)
_ZMAX = 12.0


def gaussian_nodes(q: float, kinks=()) -> tuple[np.ndarray, np.ndarray]:
    """Nodes u = sqrt(q) z and weights for E_z[f(sqrt(q) z)], z ~ N(0, 1)."""
    sq = np.sqrt(q)
    cuts = [-_ZMAX, _ZMAX] + [k / sq for k in kinks if sq > 0 and abs(k / sq) < _ZMAX]
    cuts = np.unique(cuts)
    h = 0.25 * min(1.0, max(1.0 / sq, 2e-3)) if sq > 0 else 0.25
    z, w = [], []
    for a, b in zip(cuts[:-1], cuts[1:]):
        n = max(1, int(np.ceil((b - a) / h)))
        edges = np.linspace(a, b, n + 1)
        mid = 0.5 * (edges[1:] + edges[:-1])[:, None]
        half = 0.5 * (edges[1:] - edges[:-1])[:, None]
        z.append((mid + half * _GL_X).ravel())
        w.append((half * _GL_W).ravel())
    z = np.concatenate(z)
    w = np.concatenate(w) * np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)
    return sq * z, w


def length_map(q: float, act, sigma_w2: float, sigma_b2: float) -> float:
    """V(q) = sigma_w2 E[phi(sqrt(q) z)^2] + sigma_b2 (Poole Eq. 3)."""
    u, w = gaussian_nodes(q, act.kinks)
    return float(sigma_w2 * np.dot(w, act.phi(u) ** 2) + sigma_b2)


def q_star(act, sigma_w2: float, sigma_b2: float, q0: float = 1.0, rtol: float = 1e-13,
           max_iter: int = 20000) -> float:
    """Limit of the length map iterated from q0; 0.0 or inf where it collapses / diverges."""
    q = float(q0)
    for _ in range(max_iter):
        qn = length_map(q, act, sigma_w2, sigma_b2)
        if not np.isfinite(qn) or qn > 1e10:
            return np.inf
        if qn < 1e-12:
            return 0.0
        if abs(qn - q) <= rtol * qn:
            return qn
        q = qn
    return 0.0 if q < 1e-6 else q
