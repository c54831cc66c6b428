"""Input curves with exact first and second derivatives.

A :class:`Curve` samples x(t) at ``n`` parameter values together with dx/dt and d^2x/dt^2,
and carries the quadrature weights for integrals over t: the periodic trapezoid rule
(spectrally accurate for smooth closed curves) or the ordinary trapezoid rule for open ones.

- :func:`great_circle`: Poole et al. 2016, Sec. 3: h^1(theta) = sqrt(N q)(u0 cos theta +
  u1 sin theta), u0 and u1 orthonormal, so that ||h^1||^2 / N = q at every theta.
- :func:`arc`: Raghu et al. 2017, Sec. 2: x(t) = cos(pi t / 2) x0 + sin(pi t / 2) x1, t in [0, 1].
- :func:`line`: x(t) = x0 + t (x1 - x0).
- :func:`interpolate`: a cubic spline through data points (periodic when ``closed``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .checks import check_array, check_bool, check_positive
from .networks import as_generator, check_positive_int


@dataclass(frozen=True)
class Curve:
    """Samples ``x``, ``dx``, ``ddx`` of shape (n, dim) at parameters ``t`` (shape (n,)).

    ``weights`` integrate a sampled function of t: integral f dt ~= sum(weights * f).
    """

    t: np.ndarray
    x: np.ndarray
    dx: np.ndarray
    ddx: np.ndarray
    weights: np.ndarray
    periodic: bool

    @property
    def n_points(self) -> int:
        return self.t.shape[0]

    @property
    def dim(self) -> int:
        return self.x.shape[1]

    def stacked(self) -> np.ndarray:
        """[x; dx; ddx] as one C-contiguous (3n, dim) array (one matrix product per layer)."""
        return np.ascontiguousarray(np.concatenate([self.x, self.dx, self.ddx], axis=0))


def _trapezoid_weights(t):
    w = np.zeros_like(t)
    d = np.diff(t)
    w[:-1] += 0.5 * d
    w[1:] += 0.5 * d
    return w


def _check_points(name, n_points, minimum):
    return check_positive_int(name, n_points, minimum)


def _as_vector(name, x):
    return check_array(name, x, ndim=1)


def orthonormal_pair(dim: int, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Two random orthonormal vectors in R^dim (QR of a Gaussian dim x 2 matrix)."""
    dim = check_positive_int("dim", dim, 2)
    rng = as_generator(seed)
    Q, R = np.linalg.qr(rng.standard_normal((dim, 2)))
    Q = Q * np.sign(np.diag(R))
    return Q[:, 0].copy(), Q[:, 1].copy()


def great_circle(dim: int, n_points: int = 500, q: float = 1.0, seed=0, basis=None) -> Curve:
    """Great circle of squared length per unit ``q``: x(theta) = sqrt(dim q)(u0 cos + u1 sin).

    theta_j = 2 pi j / n (periodic). ``basis`` = (u0, u1) overrides the random orthonormal pair.
    """
    n = _check_points("n_points", n_points, 3)
    q = check_positive("q", q)
    if basis is None:
        u0, u1 = orthonormal_pair(dim, seed)
    else:
        if isinstance(basis, (str, bytes)) or not hasattr(basis, "__len__") or len(basis) != 2:
            raise TypeError(f"basis must be a pair (u0, u1) of 1-D arrays, got {type(basis).__name__}")
        u0, u1 = check_array("basis[0]", basis[0], ndim=1), check_array("basis[1]", basis[1], ndim=1)
        if u0.shape != u1.shape:
            raise ValueError(f"basis vectors must have the same shape, got {u0.shape} and {u1.shape}")
    theta = 2.0 * np.pi * np.arange(n) / n
    r = np.sqrt(u0.shape[0] * q)
    c, s = np.cos(theta)[:, None], np.sin(theta)[:, None]
    x = r * (c * u0 + s * u1)
    dx = r * (-s * u0 + c * u1)
    return Curve(theta, x, dx, -x, np.full(n, 2.0 * np.pi / n), True)


def arc(x0, x1, n_points: int = 500) -> Curve:
    """x(t) = cos(pi t/2) x0 + sin(pi t/2) x1 on t in [0, 1] (Raghu et al. 2017)."""
    x0, x1 = _as_vector("x0", x0), _as_vector("x1", x1)
    if x0.shape != x1.shape:
        raise ValueError(f"x0 and x1 must have the same shape; got {x0.shape} and {x1.shape}")
    n = _check_points("n_points", n_points, 2)
    t = np.linspace(0.0, 1.0, n)
    w = 0.5 * np.pi
    c, s = np.cos(w * t)[:, None], np.sin(w * t)[:, None]
    x = c * x0 + s * x1
    dx = w * (-s * x0 + c * x1)
    return Curve(t, x, dx, -(w * w) * x, _trapezoid_weights(t), False)


def line(x0, x1, n_points: int = 500) -> Curve:
    """x(t) = x0 + t (x1 - x0) on t in [0, 1]."""
    x0, x1 = _as_vector("x0", x0), _as_vector("x1", x1)
    if x0.shape != x1.shape:
        raise ValueError(f"x0 and x1 must have the same shape; got {x0.shape} and {x1.shape}")
    n = _check_points("n_points", n_points, 2)
    t = np.linspace(0.0, 1.0, n)
    d = x1 - x0
    x = x0 + t[:, None] * d
    return Curve(t, x, np.broadcast_to(d, x.shape).copy(), np.zeros_like(x), _trapezoid_weights(t),
                 False)


def interpolate(points, n_points: int = 500, closed: bool = False) -> Curve:
    """Cubic spline through ``points`` (shape (K, dim)) at t_k = k / (K - 1), t in [0, 1].

    ``closed`` joins the last point back to the first with a periodic spline (knots k / K).
    Derivatives are the spline's own (exact for the curve that is propagated).
    """
    from scipy.interpolate import CubicSpline

    P = check_array("points", points, ndim=2)
    if P.shape[0] < 2:
        raise ValueError(f"points must have shape (K >= 2, dim); got {P.shape}")
    n = _check_points("n_points", n_points, 2)
    closed = check_bool("closed", closed)
    if closed:
        knots = np.arange(P.shape[0] + 1) / P.shape[0]
        spline = CubicSpline(knots, np.vstack([P, P[:1]]), bc_type="periodic")
        t = np.arange(n) / n
        weights = np.full(n, 1.0 / n)
    else:
        spline = CubicSpline(np.linspace(0.0, 1.0, P.shape[0]), P,
                             bc_type="natural" if P.shape[0] > 2 else "not-a-knot")
        t = np.linspace(0.0, 1.0, n)
        weights = _trapezoid_weights(t)
    return Curve(t, spline(t), spline(t, 1), spline(t, 2), weights, closed)
