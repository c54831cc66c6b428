"""Gaussian integrals at large q with a node count that does not grow with q.

The trapezoid rule of :mod:`meanfield.quadrature` works in z = u / sqrt(q) with a step that
resolves the activation's unit scale, ~40 sqrt(q) nodes per direction: fine for the tables
(q <= 1e6 in 1-D, <= 1e3 in 2-D) and hopeless beyond (q = 1e12 needed 2.7 GB). Here the
integrals are taken in the pre-activation u itself,

    E[g(sqrt(q) z)] = int g(u) N(u; 0, q) du,

by composite Gauss-Legendre (N_GL nodes a panel) on panels graded around the activation's
features (its kinks, or 0 for a smooth phi): width BASE next to a feature, growing like the
distance to the nearest feature (phi is analytic there with its singularities no closer than
about that distance: tanh's poles sit at +-i pi/2), capped at CAP times the Gaussian's standard
deviation, out to L_TRUNC standard deviations. Kinks are panel edges, so each panel's integrand
is analytic. The node count grows like log(q): q = 1e12 takes ~1300 nodes, q = 1e300 ~16000.

Two-point integrals use the rotated pair u1,2 = v +- h (v ~ N(0, a^2), h ~ N(0, b^2),
a^2 = q (1 + c) / 2, b^2 = q (1 - c) / 2; Poole et al. 2016 Eq. 5 written in the two
directions in which each variable has one scale): an outer integral over h >= 0 (the
integrands are even in h), graded around 0 and where two features of phi(v + h) and
phi(v - h) meet (h = (k_j - k_i) / 2), and for each outer node an inner integral over v graded
around the features k +- h. C = E[phi(u1) phi(u2)] and Dc = E[phi'(u1) phi'(u2)] integrate
the product; the chord slope R = [V - C] / (1 - c) integrates q y^2 m(v, h)^2 with
y = h / b and m the mean of phi' over [v - h, v + h] (Gauss-Legendre over the pieces between
kinks for short segments: no cancellation as c -> 1, see :func:`meanfield.quadrature.near_ratio_smooth`).
dV/dq is E[u phi(u) phi'(u)] / q (Stein's lemma once: positive, no cancellation, and the
kinks' delta terms are included automatically).

Every integral carries an error estimate from the last two Legendre coefficients of each
panel's integrand (a pessimistic proxy: ~rho^-15 where the quadrature error is ~rho^-32); an
integrand the graded panels do not resolve (an activation that oscillates, like sin, whose
closed forms are used instead) gives an estimate near 1 and raises :class:`IntegrationError`.
Memory: the inner nodes are processed in chunks of at most CHUNK (a few arrays of 8 MB).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numba
import numpy as np

from .errors import IntegrationError

L_TRUNC = 10.0       # +-10 standard deviations (Gaussian mass outside: 1.5e-23)
N_GL = 12            # Gauss-Legendre nodes a panel
BASE = 1.0           # panel width next to a feature (the activation's unit scale)
D_NEAR = 8.0         # within this distance of a feature panels stay BASE wide (phi' and phi''
                     # may fall like a Gaussian there: gelu's phi'' ~ exp(-x^2/2) (2 - x^2))
RATIO = 1.0          # beyond it: panel width / distance to the nearest feature
D_FAR = 64.0         # beyond this distance from every feature phi is its asymptote to rounding
RATIO_FAR = 16.0     # (its deviation falls like exp(-|u|) or faster): panels grow faster there
CAP = 1.0            # largest panel width, in standard deviations of the Gaussian
H_SEG = 0.25         # shorter half-segments: m by Gauss-Legendre over the pieces
SEG_GL = 10          # nodes a piece for the segment means
REFUSE = 1e-10       # estimated relative error above which an integral is refused
MAX_EDGES = 1 << 15  # per panel layout (q = 1e300 with two features needs ~4000)
CHUNK = 1 << 20      # inner nodes per pass


@numba.njit(cache=True, nogil=True)
def _edges(feats, lo, hi, cap, base, ratio, out, zone_hi=-math.inf, zone_cap=math.inf):
    """Panel edges on [lo, hi] graded around the sorted ``feats``; returns their number, or -1
    if ``out`` is too short. A panel's width is at most max(base, ratio x its distance to the
    nearest feature), at most ``cap``, and at most ``zone_cap`` below ``zone_hi``; features
    inside [lo, hi] and zone_hi are edges."""
    nf = feats.shape[0]
    j = 0
    while j < nf and feats[j] <= lo:
        j += 1
    out[0] = lo
    n = 1
    x = lo
    while x < hi:
        w = math.inf
        if j > 0:      # the feature behind: widths grow with the distance to it
            d = x - feats[j - 1]
            w = base if d < D_NEAR else max(base, (ratio if d < D_FAR else RATIO_FAR) * d)
        if j < nf:     # the feature ahead: end ratio x the width before it, outside its near zone
            d = feats[j] - x
            r = ratio if d < (1.0 + RATIO_FAR) * D_FAR else RATIO_FAR
            w = min(w, max(base, min(r / (1.0 + r) * d, d - D_NEAR)))
        w = min(w, cap)
        if x < zone_hi:
            w = min(w, zone_cap)
        w = max(w, 1e-12 * abs(x))   # (beyond ~1e12 the rounding of u hides the unit scale)
        nxt = x + w
        if j < nf and nxt >= feats[j]:
            nxt = feats[j]
        if x < zone_hi < nxt:
            nxt = zone_hi
        if nxt >= hi:
            nxt = hi
        if n >= out.shape[0]:
            return -1
        out[n] = nxt
        n += 1
        x = nxt
        while j < nf and feats[j] <= x:
            j += 1
    return n


@numba.njit(cache=True, nogil=True)
def _gl_nodes(edges, n, gx, gw, sd):
    """Nodes and weights (Gauss-Legendre x panel half-width x the density N(u; 0, sd^2)) on
    the first n edges."""
    ng = gx.shape[0]
    u = np.empty((n - 1) * ng)
    w = np.empty((n - 1) * ng)
    norm = 1.0 / (sd * math.sqrt(2.0 * math.pi))
    for p in range(n - 1):
        half = 0.5 * (edges[p + 1] - edges[p])
        mid = 0.5 * (edges[p + 1] + edges[p])
        for i in range(ng):
            x = mid + half * gx[i]
            z = x / sd
            u[p * ng + i] = x
            w[p * ng + i] = gw[i] * half * norm * math.exp(-0.5 * z * z)
    return u, w


@numba.njit(cache=True, nogil=True)
def _pair_edges(h, base_feats, a, cap, base, ratio, out_edges):
    """Edges over v in [-L a, L a] graded around base_feats +- h; their number or -1."""
    nb = base_feats.shape[0]
    feats = np.empty(2 * nb)
    for i in range(nb):
        feats[2 * i] = base_feats[i] - h
        feats[2 * i + 1] = base_feats[i] + h
    return _edges(np.sort(feats), -L_TRUNC * a, L_TRUNC * a, cap, base, ratio, out_edges)


@numba.njit(cache=True, nogil=True)
def _pair_counts(hs, base_feats, a, cap, base, ratio, ng, out_edges):
    """Inner node count for each outer h (-1 where the layout overflows)."""
    counts = np.empty(hs.shape[0], dtype=np.int64)
    for j in range(hs.shape[0]):
        n = _pair_edges(hs[j], base_feats, a, cap, base, ratio, out_edges)
        counts[j] = (n - 1) * ng if n > 0 else -1
    return counts


@numba.njit(cache=True, nogil=True)
def _pair_inner(hs, starts, base_feats, a, cap, base, ratio, gx, gw, out_edges):
    """Inner nodes and weights (density N(v; 0, a^2) included) of each h, flat, h's block at
    starts[j]:starts[j + 1]."""
    v = np.empty(starts[-1])
    w = np.empty(starts[-1])
    for j in range(hs.shape[0]):
        n = _pair_edges(hs[j], base_feats, a, cap, base, ratio, out_edges)
        uj, wj = _gl_nodes(out_edges, n, gx, gw, a)
        v[starts[j]:starts[j + 1]] = uj
        w[starts[j]:starts[j + 1]] = wj
    return v, w


@lru_cache(maxsize=None)
def _gauss_legendre(n: int):
    x, w = np.polynomial.legendre.leggauss(n)
    return x, w


@lru_cache(maxsize=None)
def _tail_matrix():
    """(N_GL, 4): maps a panel's weighted integrand values w_i f_i to its last four Legendre
    coefficients times the panel length, c_k (2 half) = (2k + 1) sum_i w_i f_i P_k(x_i)."""
    from numpy.polynomial import legendre

    x, _ = _gauss_legendre(N_GL)
    cols = []
    for k in range(N_GL - 4, N_GL):
        e = np.zeros(k + 1)
        e[k] = 1.0
        cols.append((2 * k + 1) * legendre.legval(x, e))
    return np.stack(cols, axis=1)


def _panel_errors(wf: np.ndarray) -> np.ndarray:
    """Error estimate of each panel from its weighted integrand values (N_GL a panel, in
    order), from the decay of its Legendre coefficients: T1 = |c_{n-1}| + |c_{n-2}|,
    T0 = |c_{n-3}| + |c_{n-4}| (pairs, so that a parity zero does not fake a decay), decay per
    two degrees r = T1 / T0. Gauss-Legendre is exact to degree 2n - 1, so its error is ~ the
    coefficients near degree 2n, T1 r^(n/2) (a margin of one degree pair); r >= 1 (nothing
    resolved) keeps T1 itself."""
    t = np.abs(wf.reshape(-1, N_GL) @ _tail_matrix())
    t0 = t[:, 0] + t[:, 1]
    t1 = t[:, 2] + t[:, 3]
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(t0 > 0, np.minimum(t1 / t0, 1.0), np.where(t1 > 0, 1.0, 0.0))
    return t1 * r ** (N_GL // 2)


def features(act) -> np.ndarray:
    """Where phi is not smooth or varies on its unit scale: the kinks, or 0."""
    return np.array(sorted(act.kinks) if act.kinks else [0.0])


def _layout(feats, sd, lo, hi, zone_hi=-math.inf, zone_sd=math.inf):
    """Nodes and weights (density N(u; 0, sd^2) included) on [lo, hi], graded around feats;
    below zone_hi panels are also at most CAP zone_sd wide."""
    edges = np.empty(MAX_EDGES)
    n = _edges(np.sort(np.asarray(feats, dtype=np.float64)), float(lo), float(hi), CAP * sd, BASE, RATIO,
               edges, float(zone_hi), CAP * zone_sd)
    if n < 0:
        raise IntegrationError(f"more than {MAX_EDGES} panels needed (standard deviation {sd:g})")
    gx, gw = _gauss_legendre(N_GL)
    return _gl_nodes(edges, n, gx, gw, sd)


def _check(total, err, scale, what):
    if not err <= REFUSE * scale:
        raise IntegrationError(
            f"{what}: the q-independent quadrature does not resolve the integrand (estimated "
            f"relative error {err / scale if scale > 0 else math.inf:.2g} > {REFUSE:g}); the "
            "activation varies on its unit scale far from its features (oscillates?) -- "
            "give it a closed form or stay at smaller q")
    return float(total)


def expect(g, q: float, feats, what: str = "E[g(u)]") -> float:
    """E[g(u)], u ~ N(0, q), for a vectorised g whose non-smooth points are among ``feats``."""
    sd = math.sqrt(q)
    u, w = _layout(feats, sd, -L_TRUNC * sd, L_TRUNC * sd)
    wf = w * g(u)
    return _check(wf.sum(), _panel_errors(wf).sum(), np.abs(wf).sum(), what)


def one_d(act, kind: str, q: float) -> float:
    """V, D, W or X2 (see :mod:`meanfield.kernels`) at large q; X2 only for chi2-finite phi."""
    phi, dphi, d2phi = act.phi, act.dphi, act.d2phi
    feats = features(act)
    what = f"{kind}({act.name}) at q = {q:g}"
    if kind == "V":
        return expect(lambda u: phi(u) ** 2, q, feats, what)
    if kind == "D":
        return expect(lambda u: dphi(u) ** 2, q, feats, what)
    if kind == "X2":
        return expect(lambda u: d2phi(u) ** 2, q, feats, what)
    if kind == "W":   # Stein once: dV/dq = E[(phi^2)''] / 2 = E[u phi phi'] / q, deltas included
        return expect(lambda u: u * phi(u) * dphi(u), q, feats, what) / q
    raise ValueError(f"kind must be one of V, D, W, X2; got {kind!r}")


def anti(act, g, q: float) -> float:
    """E[g(u) g(-u)], u ~ N(0, q) (the two-point integrals at c = -1)."""
    feats = features(act)
    return expect(lambda u: g(u) * g(-u), q, np.r_[feats, -feats],
                  f"c = -1 integral of {act.name} at q = {q:g}")


def _segment_mean(act, v, h):
    """m(v, h) = [phi(v + h) - phi(v - h)] / (2 h): the difference quotient for long segments
    (h >= H_SEG and h >= 1e-6 |v|, so that rounding of v +- h costs < 1e-10), else the mean of
    phi' by Gauss-Legendre over the pieces of [v - h, v + h] between kinks (offsets from v, so
    the pieces keep their lengths to every digit)."""
    m = np.empty_like(v)
    longs = (h >= H_SEG) & (h >= 1e-6 * np.abs(v))
    if longs.any():
        vl, hl = v[longs], h[longs]
        m[longs] = (act.phi(vl + hl) - act.phi(vl - hl)) / (2.0 * hl)
    short = ~longs
    if short.any():
        vs, hs = v[short], h[short]
        kinks = np.array(sorted(act.kinks))
        # piece boundaries as offsets from v: -h, the kinks clipped to [-h, h], +h
        bnd = np.concatenate([-hs[:, None], np.clip(kinks[None, :] - vs[:, None], -hs[:, None], hs[:, None]),
                              hs[:, None]], axis=1)
        lo, hi = bnd[:, :-1], bnd[:, 1:]
        half = 0.5 * (hi - lo)
        mid = 0.5 * (hi + lo)
        x, w = _gauss_legendre(SEG_GL)
        acc = np.zeros_like(vs)
        for xi, wi in zip(x, w):
            acc += (wi * half * act.dphi(vs[:, None] + (mid + half * xi))).sum(axis=1)
        m[short] = acc / (2.0 * hs)
    return m


def two_d(act, kind: str, c: float, q: float) -> float:
    """C, Dc (at -1 < c < 1) or R = [V - C(c)] / (1 - c) (at 0 < 1 - c <= 2) at large q."""
    a = math.sqrt(0.5 * q * (1.0 + c))
    eps = 1.0 - c
    b = math.sqrt(0.5 * q * eps)
    feats = features(act)
    gx, gw = _gauss_legendre(N_GL)
    # outer: h in [0, L b], features at 0 and where features of phi(v + h), phi(v - h) meet;
    # the inner Gaussian (scale a) shapes F(h) on that scale for h up to L a + the features'
    # spread (relu at c -> -1: F(h) falls like exp(-h^2 / 2a^2)): panels <= CAP a there
    meet = [0.5 * (p - r) for p in feats for r in feats if p > r]
    spread = float(feats[-1] - feats[0])
    h, wh = _layout([0.0] + meet, b, 0.0, L_TRUNC * b, zone_hi=L_TRUNC * a + spread, zone_sd=a)
    wh = 2.0 * wh                       # the integrands are even in h
    if kind == "R":
        wh = wh * q * (h / b) ** 2      # q y^2, y = h / b
    g = act.phi if kind in ("C", "R") else act.dphi
    F = np.empty_like(h)
    Ferr = np.empty_like(h)
    Fabs = np.empty_like(h)
    edges = np.empty(MAX_EDGES)
    counts = _pair_counts(h, feats, a, CAP * a, BASE, RATIO, N_GL, edges)
    if (counts < 0).any():
        raise IntegrationError(f"more than {MAX_EDGES} panels needed at q = {q:g}, c = {c!r}")
    j = 0
    while j < h.size:   # chunks of outer nodes with at most CHUNK inner nodes (or one h)
        k = j + max(1, int(np.searchsorted(np.cumsum(counts[j:]), CHUNK, side="right")))
        hs = h[j:k]
        starts = np.r_[0, np.cumsum(counts[j:k])]
        v, w = _pair_inner(hs, starts, feats, a, CAP * a, BASE, RATIO, gx, gw, edges)
        hv = np.repeat(hs, counts[j:k])
        if kind == "R":
            f = _segment_mean(act, v, hv) ** 2
        else:
            f = g(v + hv) * g(v - hv)
        wf = w * f
        s0 = starts[:-1]
        F[j:k] = np.add.reduceat(wf, s0)
        Fabs[j:k] = np.add.reduceat(np.abs(wf), s0)
        Ferr[j:k] = np.add.reduceat(_panel_errors(wf), s0 // N_GL)
        j = k
    wF = wh * F
    total = wF.sum()
    err = _panel_errors(wF).sum() + np.dot(np.abs(wh), Ferr)
    return _check(total, err, np.dot(np.abs(wh), Fabs), f"{kind}({act.name}) at q = {q:g}, c = {c!r}")
