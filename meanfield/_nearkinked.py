"""Compiled R = [V - C(c)] / (1 - c) for kinked activations, without cancellation.

With u1,2 = a x +- b y (x, y iid N(0, 1), a^2 = q - b^2, b^2 = q (1 - c) / 2),

    R = q E[y^2 m(a x, b y)^2],   m(u, h) = [phi(u + h) - phi(u - h)] / (2 h),

m being the mean of phi' over [u - h, u + h]. For a short segment m is Gauss-Legendre over
its pieces between kinks (phi' is smooth on each), so no digits are lost as c -> 1; a long
segment uses the difference quotient. The outer integrals are composite Gauss-Legendre: over
y >= 0 (R is even in y) split where two kink zones meet, y = (k_j - k_i) / (2 b); over u = a x
split at every k +- h, with unit panels within D_BAND of a kink (phi' varies on scale 1 there:
elu's e^u) and Gaussian-scale panels beyond.
"""
from __future__ import annotations

import math

import numba
import numpy as np

H_SEGMENT = 0.25       # shorter half-segments: Gauss-Legendre over the pieces
D_BAND = 20.0          # phi' resolved on unit panels within this distance of a kink
L_TRUNC = 10.0         # |x|, y <= 10
Y_ORDER = 12
U_ORDER = 10
W_IN = 2.0            # panel widths: u near a kink, x = u/a (Gaussian scale), y
W_OUT = 1.0
W_Y = 2.0


def _gl(n):
    return np.polynomial.legendre.leggauss(n)


_NODES = {n: _gl(n) for n in (4, 6, 10, 12, 16)}


@numba.njit(nogil=True)
def _piece(dphi, u, lo, hi, x4, w4, x6, w6, x10, w10):
    """Integral of phi' over [u + lo, u + hi] (smooth there) by Gauss-Legendre; the piece is
    given by offsets from u so that its length keeps every digit when |u| >> hi - lo."""
    half = 0.5 * (hi - lo)
    mid = 0.5 * (hi + lo)
    if half <= 0.01:
        xs, ws = x4, w4
    elif half <= 0.05:
        xs, ws = x6, w6
    else:
        xs, ws = x10, w10
    s = 0.0
    for i in range(xs.shape[0]):
        s += ws[i] * dphi(u + (mid + half * xs[i]))
    return half * s


@numba.njit(nogil=True)
def _seg_mean(phi, dphi, kinks, u, h, x4, w4, x6, w6, x10, w10):
    if h >= H_SEGMENT:
        return (phi(u + h) - phi(u - h)) / (2.0 * h)
    left = -h
    total = 0.0
    for k in kinks:
        t = k - u
        if t <= left:
            continue
        if t >= h:
            break
        total += _piece(dphi, u, left, t, x4, w4, x6, w6, x10, w10)
        left = t
    total += _piece(dphi, u, left, h, x4, w4, x6, w6, x10, w10)
    return total / (2.0 * h)


@numba.njit(nogil=True)
def _inner(phi, dphi, kinks, a, h, xu, wu, x4, w4, x6, w6, x10, w10, pts):
    """F(h) = E_x[m(a x, h)^2] by composite Gauss-Legendre in u = a x."""
    nk = kinks.shape[0]
    ulo = -L_TRUNC * a
    uhi = L_TRUNC * a
    band_lo = kinks[0] - D_BAND
    band_hi = kinks[nk - 1] + D_BAND
    n = 0
    pts[n] = ulo
    n += 1
    for k in kinks:
        for v in (k - h, k + h):
            if ulo < v < uhi:
                pts[n] = v
                n += 1
    for v in (band_lo, band_hi):
        if ulo < v < uhi:
            pts[n] = v
            n += 1
    pts[n] = uhi
    n += 1
    p = np.sort(pts[:n])
    w_in = min(W_IN, W_OUT * a)
    w_out = W_OUT * a
    inv_a = 1.0 / a
    total = 0.0
    for j in range(n - 1):
        left = p[j]
        right = p[j + 1]
        if right <= left:
            continue
        mid0 = 0.5 * (left + right)
        width = w_in if band_lo <= mid0 <= band_hi else w_out
        npan = int(math.ceil((right - left) / width))
        step = (right - left) / npan
        for m in range(npan):
            lo = left + m * step
            half = 0.5 * step
            mid = lo + half
            for i in range(xu.shape[0]):
                u = mid + half * xu[i]
                z = u * inv_a
                g = _seg_mean(phi, dphi, kinks, u, h, x4, w4, x6, w6, x10, w10)
                total += half * wu[i] * g * g * math.exp(-0.5 * z * z)
    return total * inv_a / math.sqrt(2.0 * math.pi)


@numba.njit(nogil=True)
def near_ratio_kinked_many(phi, dphi, kinks, bs, q, xy, wy, xu, wu, x4, w4, x6, w6, x10, w10):
    """R(b_i, q) for each b_i (0 < b_i^2 <= q); kinks sorted, non-empty."""
    out = np.empty(bs.shape[0])
    nk = kinks.shape[0]
    pts = np.empty(2 * nk + 4)
    for ib in range(bs.shape[0]):
        b = bs[ib]
        a = math.sqrt(max(0.0, q - b * b))
        if a == 0.0:
            out[ib] = math.nan   # (c = -1: not needed near c = 1)
            continue
        ybr = [0.0]
        for i in range(nk):
            for j in range(i + 1, nk):
                v = (kinks[j] - kinks[i]) / (2.0 * b)
                if v < L_TRUNC:
                    ybr.append(v)
        ybr.append(L_TRUNC)
        yb = np.sort(np.array(ybr))
        wmax = min(W_Y, W_Y / b)
        total = 0.0
        for j in range(yb.shape[0] - 1):
            left = yb[j]
            right = yb[j + 1]
            if right <= left:
                continue
            npan = int(math.ceil((right - left) / wmax))
            step = (right - left) / npan
            for m in range(npan):
                half = 0.5 * step
                mid = left + m * step + half
                for i in range(xy.shape[0]):
                    y = mid + half * xy[i]
                    F = _inner(phi, dphi, kinks, a, b * y, xu, wu, x4, w4, x6, w6, x10, w10, pts)
                    total += half * wy[i] * y * y * math.exp(-0.5 * y * y) * F
        out[ib] = q * 2.0 * total / math.sqrt(2.0 * math.pi)
    return out


_JIT = {}


def near_ratio_kinked(act, b, q: float) -> np.ndarray:
    """R at each b of the array ``b`` (see module docstring) for the kinked activation ``act``."""
    key = act.name if act.expr is None else id(act)
    if key not in _JIT:
        _JIT[key] = (numba.njit(nogil=True)(act._py[0]), numba.njit(nogil=True)(act._py[1]))
    phi, dphi = _JIT[key]
    kinks = np.array(sorted(act.kinks), dtype=np.float64)
    bs = np.atleast_1d(np.asarray(b, dtype=np.float64))
    return near_ratio_kinked_many(phi, dphi, kinks, bs, float(q), *_NODES[Y_ORDER], *_NODES[U_ORDER],
                                  *_NODES[4], *_NODES[6], *_NODES[10])
