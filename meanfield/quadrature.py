"""Gaussian expectations E[g(sqrt(q) z)] and E[g1(u1) g2(u2)] to ~1e-14 relative.

Smooth integrands: the trapezoid rule on z in [-L, L] converges geometrically for analytic
integrands; the step resolves the activation's scale 1/sqrt(q) (tanh has poles at distance
pi/(2 sqrt(q)) from the real axis, so the rule's error is ~exp(-pi^2 / H) with H = h sqrt(q);
H = 0.25 gives ~1e-17). Low-order Gauss-Hermite would need O(q) nodes (see spec, "Numerics").
Kinked integrands: composite Gauss-Legendre on panels split at the kinks.
Correlated pairs u1 = a x + b y, u2 = a x - b y (a^2 = q(1+c)/2, b^2 = q(1-c)/2, x, y iid
N(0, 1)) have covariance [[q, qc], [qc, q]]; in (x, y) each direction has one scale, so a
tensor trapezoid with steps H/max(1, a), H/max(1, b) is accurate for every c.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

L_TRUNC = 10.0          # |z| <= 10: Gaussian mass outside is 1.5e-23
H_STEP = 0.25           # trapezoid step in units of the activation's scale
GL_ORDER = 20
H_SEGMENT = 0.25      # segments shorter than this: g' averaged by Gauss-Legendre (near_ratio_smooth)
SEGMENT_GL = ((0.01, 4), (0.05, 6), (H_SEGMENT, 10))   # (segment half-width below, nodes)
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)


def normal_pdf(z):
    return _INV_SQRT2PI * np.exp(-0.5 * z * z)


def trapezoid_nodes(scale: float, extra_band: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights for E[f(z)], z ~ N(0, 1), f varying on the length ``1/scale``."""
    h = H_STEP / max(1.0, scale)
    if extra_band > 0.0:  # oscillations of Hermite functions of high order
        h = min(h, 1.0 / extra_band)
    n = int(math.ceil(L_TRUNC / h))
    z = h * np.arange(-n, n + 1, dtype=np.float64)
    return z, h * normal_pdf(z)


@lru_cache(maxsize=None)
def _gl(n: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.legendre.leggauss(n)
    return x, w


def legendre_nodes(breaks, width: float, lo: float = -L_TRUNC, hi: float = L_TRUNC):
    """Composite Gauss-Legendre nodes/weights on [lo, hi] split at ``breaks``, panels <= width.

    Returns nodes z and plain weights (no Gaussian density).
    """
    pts = [lo] + sorted(b for b in breaks if lo < b < hi) + [hi]
    x0, w0 = _gl(GL_ORDER)
    zs, ws = [], []
    for left, right in zip(pts[:-1], pts[1:]):
        npan = max(1, int(math.ceil((right - left) / width)))
        edges = np.linspace(left, right, npan + 1)
        half = 0.5 * np.diff(edges)
        mid = 0.5 * (edges[1:] + edges[:-1])
        zs.append((mid[:, None] + half[:, None] * x0[None, :]).ravel())
        ws.append((half[:, None] * w0[None, :]).ravel())
    return np.concatenate(zs), np.concatenate(ws)


def gaussian_nodes(q: float, kinks=(), extra_band: float = 0.0):
    """Nodes z and weights w (density included) for E[g(sqrt(q) z)], z ~ N(0, 1)."""
    rq = math.sqrt(q)
    if not kinks or q == 0.0:
        return trapezoid_nodes(rq, extra_band)
    width = 2.0 * H_STEP / max(1.0, rq)
    if extra_band > 0.0:
        width = min(width, 2.0 / extra_band)
    z, w = legendre_nodes([k / rq for k in kinks], width)
    return z, w * normal_pdf(z)


def expect(g, q: float, kinks=()) -> float:
    """E[g(sqrt(q) z)] for a vectorised g."""
    z, w = gaussian_nodes(q, kinks)
    return float(np.dot(w, g(math.sqrt(q) * z)))


def _half_line(z, w):
    """Fold a symmetric rule onto z >= 0 (for integrands even in z)."""
    keep = z >= 0.0
    w = np.where(z > 0.0, 2.0 * w, w)[keep]
    return z[keep], w


def _rotated(c: float, q: float):
    a = math.sqrt(max(0.0, 0.5 * q * (1.0 + c)))
    b = math.sqrt(max(0.0, 0.5 * q * (1.0 - c)))
    x, wx = trapezoid_nodes(a)
    y, wy = _half_line(*trapezoid_nodes(b))   # y -> -y swaps u1 and u2
    return (a * x)[:, None], wx, (b * y)[None, :], wy


def expect_pair_smooth(g, c: float, q: float) -> float:
    """E[g(u1) g(u2)], u ~ N(0, q [[1, c], [c, 1]]), for analytic g."""
    ax, wx, by, wy = _rotated(c, q)
    return float(wx @ (g(ax + by) * g(ax - by)) @ wy)


def expect_half_sq_diff_smooth(g, c: float, q: float) -> float:
    """(1/2) E[(g(u1) - g(u2))^2] = E[g^2] - E[g(u1) g(u2)], without the cancellation near c = 1."""
    ax, wx, by, wy = _rotated(c, q)
    d = g(ax + by) - g(ax - by)
    return float(0.5 * (wx @ (d * d) @ wy))


def near_ratio_smooth(g, dg, b: float, q: float) -> float:
    """R = [V(q) - C(c, q)] / (1 - c) at b = sqrt(q (1 - c) / 2), for smooth g (no cancellation).

    With u1,2 = a x +- b y (a^2 = q - b^2): g(u1) - g(u2) = 2 b y m(a x, b y), m = the mean of
    g' over [u - h, u + h], so R = q E[y^2 m(a x, b y)^2] -- accurate to rounding for every b,
    including b -> 0 where R -> q E[g'(u)^2]. m is the difference quotient where the segment
    is long (|h| >= H_SEGMENT) and Gauss-Legendre over the segment where it is short (there
    the quotient would lose digits; g' is analytic over a width-1 neighbourhood for the
    smooth activations, so SEGMENT_GL nodes reach rounding).
    """
    a = math.sqrt(max(0.0, q - b * b))
    x, wx = trapezoid_nodes(a)
    y, wy = _half_line(*trapezoid_nodes(b))
    u = (a * x)[:, None]
    short = b * y < H_SEGMENT
    total = 0.0
    lo = 0.0
    for hi, n in SEGMENT_GL:   # Gauss-Legendre orders by segment length (error ~ (h/2)^(2n))
        sel = (b * y >= lo) & (b * y < hi)
        lo = hi
        if not sel.any():
            continue
        h = (b * y[sel])[None, :]
        x0, w0 = _gl(n)
        m = 0.5 * w0[0] * dg(u + h * x0[0])
        for xk, wk in zip(x0[1:], w0[1:]):
            m += 0.5 * wk * dg(u + h * xk)
        total += wx @ (m * m) @ (wy * y * y)[sel]
    if not short.all():
        yl = y[~short]
        h = (b * yl)[None, :]
        m = (g(u + h) - g(u - h)) / (2.0 * h)
        total += wx @ (m * m) @ (wy * y * y)[~short]
    return float(q * total)


def expect_pair_inner_closed(g1, inner, c: float, q: float, kinks=()) -> float:
    """E[g1(u1) g2(u2)] with E_z[g2(m + s z)] = inner(m, s) known in closed form.

    u1 = sqrt(q) z1, u2 = m + s z2 with m = sqrt(q) c z1, s = sqrt(q (1 - c^2)). The outer
    integral over z1 is split at the kinks of g1 (z1 = k/sqrt(q)) and where the smoothed inner
    function turns (z1 = k/(sqrt(q) c)).
    """
    rq = math.sqrt(q)
    s = rq * math.sqrt(max(0.0, 1.0 - c * c))
    breaks = [k / rq for k in kinks]
    width = 2.0 * H_STEP / max(1.0, rq)
    if c != 0.0:
        # the inner expectation is a kink smoothed over delta = s/(sqrt(q)|c|) in z1:
        # grade the panels geometrically towards it
        delta = s / (rq * abs(c))
        for k in kinks:
            centre = k / (rq * c)
            breaks.append(centre)
            d = delta
            while d < width:
                breaks += [centre - d, centre + d]
                d *= 2.0
    z, w = legendre_nodes(breaks, width)
    w = w * normal_pdf(z)
    return float(np.dot(w, g1(rq * z) * inner(rq * c * z, s)))
