"""The compiled region walker behind :mod:`expressivity.regions` (numba, ``cache=True``).

Inputs are plain arrays: first-layer coefficients h^1(s) = A1 g1(s) + B1 g2(s) + C1, the
transposed weights of layers 2.. flattened (``WT``, offsets ``w_off``), the flattened biases,
the widths, an activation code (RELU, HARD_TANH, LINEAR) and a curve kind (LINE: (g1, g2) =
(s, 0); TRIG: (cos s, sin s)). :func:`walk_kernel` returns the raw counts that
:func:`expressivity.regions.walk_coefficients` wraps in a named tuple; the equations are in
that module's docstring (Raghu et al. 2017, Sec. 2-3).
"""
from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["RELU", "HARD_TANH", "LINEAR", "LINE", "TRIG", "walk_kernel"]

RELU, HARD_TANH, LINEAR = 0, 1, 2
LINE, TRIG = 0, 1


@njit(cache=True)
def _g(kind, s):
    if kind == 0:
        return s, 0.0
    return np.cos(s), np.sin(s)


@njit(cache=True)
def _dg(kind, s):
    if kind == 0:
        return 1.0, 0.0
    return -np.sin(s), np.cos(s)


@njit(cache=True)
def _root(kind, a, b, c, kink, upward, s_cur):
    """Smallest s >= s_cur where a g1 + b g2 + c crosses ``kink`` in the given direction."""
    tol = 1e-12 * (1.0 + abs(s_cur))
    if kind == 0:
        if (upward and a <= 0.0) or ((not upward) and a >= 0.0):
            return np.inf
        r = (kink - c) / a
        if r < s_cur - tol:
            return np.inf
        return max(r, s_cur)
    dk = kink - c
    R2 = a * a + b * b
    if dk * dk >= R2:  # never reaches the kink (or only touches it)
        return np.inf
    R = np.sqrt(R2)
    x = dk / R
    if x >= 1.0 or x <= -1.0:
        return np.inf
    alpha = np.arccos(x)
    ph = np.arctan2(b, a)
    base = ph - alpha if upward else ph + alpha
    m = np.ceil((s_cur - tol - base) / (2.0 * np.pi))
    r = base + 2.0 * np.pi * m
    return max(r, s_cur)


@njit(cache=True)
def _unit_root(kind, act, state, a, b, c, s_cur):
    if act == 0:
        return _root(kind, a, b, c, 0.0, state == 0, s_cur)
    if act == 1:
        if state == 0:
            return _root(kind, a, b, c, -1.0, True, s_cur)
        if state == 2:
            return _root(kind, a, b, c, 1.0, False, s_cur)
        return min(_root(kind, a, b, c, -1.0, False, s_cur), _root(kind, a, b, c, 1.0, True, s_cur))
    return np.inf


@njit(cache=True)
def _initial_state(kind, act, a, b, c, s):
    g1, g2 = _g(kind, s)
    d1, d2 = _dg(kind, s)
    v = a * g1 + b * g2 + c
    d = a * d1 + b * d2
    if act == 0:
        return 1 if (v > 0.0 or (v == 0.0 and d > 0.0)) else 0
    if act == 1:
        if v < -1.0 or (v == -1.0 and d < 0.0):
            return 0
        if v > 1.0 or (v == 1.0 and d > 0.0):
            return 2
        return 1
    return 1


@njit(cache=True)
def _set_z(act, state, HA, HB, HC, ZA, ZB, ZC, u):
    if act == 2 or (act == 0 and state == 1) or (act == 1 and state == 1):
        ZA[u] = HA[u]
        ZB[u] = HB[u]
        ZC[u] = HC[u]
    else:
        ZA[u] = 0.0
        ZB[u] = 0.0
        ZC[u] = 0.0
        if act == 1:
            ZC[u] = -1.0 if state == 0 else 1.0


@njit(cache=True)
def _layer_from_below(j, widths, u_off, w_off, WT, bias, ZA, ZB, ZC, HA, HB, HC):
    """H_j = W_j Z_{j-1} + b_j for the three coefficient vectors (skipping zero columns)."""
    n = widths[j]
    m = widths[j - 1]
    o = u_off[j]
    p = u_off[j - 1]
    for r in range(n):
        HA[o + r] = 0.0
        HB[o + r] = 0.0
        HC[o + r] = bias[o + r]
    for k in range(m):
        za = ZA[p + k]
        zb = ZB[p + k]
        zc = ZC[p + k]
        row = w_off[j] + k * n
        if za == 0.0 and zb == 0.0:
            if zc != 0.0:
                for r in range(n):
                    HC[o + r] += WT[row + r] * zc
            continue
        for r in range(n):
            w = WT[row + r]
            HA[o + r] += w * za
            HB[o + r] += w * zb
            HC[o + r] += w * zc


@njit(cache=True)
def _tangent_norm2(kind, AA, AB, BB, s):
    d1, d2 = _dg(kind, s)
    return d1 * d1 * AA + 2.0 * d1 * d2 * AB + d2 * d2 * BB


@njit(cache=True)
def _segment(kind, MA, MB, o, n, s0, s1, glx, glw):
    """(length, turning) of the curve MA g1 + MB g2 (+ const) on [s0, s1] for units o..o+n."""
    if s1 <= s0:
        return 0.0, 0.0
    AA = 0.0
    AB = 0.0
    BB = 0.0
    for r in range(n):
        AA += MA[o + r] * MA[o + r]
        AB += MA[o + r] * MB[o + r]
        BB += MB[o + r] * MB[o + r]
    if kind == 0:
        return np.sqrt(AA) * (s1 - s0), 0.0
    # length: Gauss-Legendre on panels <= pi/8; turning: arccos between tangents at panel ends
    # (an ellipse's tangent turns monotonically, by less than pi over a parameter range < pi).
    npan = int(np.ceil((s1 - s0) / (np.pi / 8.0)))
    h = (s1 - s0) / npan
    length = 0.0
    turning = 0.0
    for p in range(npan):
        a = s0 + p * h
        for k in range(glx.shape[0]):
            s = a + 0.5 * h * (glx[k] + 1.0)
            length += 0.5 * h * glw[k] * np.sqrt(max(_tangent_norm2(kind, AA, AB, BB, s), 0.0))
        b = a + h
        da1, da2 = _dg(kind, a)
        db1, db2 = _dg(kind, b)
        na = np.sqrt(max(_tangent_norm2(kind, AA, AB, BB, a), 0.0))
        nb = np.sqrt(max(_tangent_norm2(kind, AA, AB, BB, b), 0.0))
        if na > 0.0 and nb > 0.0:
            dot = da1 * db1 * AA + (da1 * db2 + da2 * db1) * AB + da2 * db2 * BB
            turning += np.arccos(min(1.0, max(-1.0, dot / (na * nb))))
    return length, turning


@njit(cache=True)
def walk_kernel(kind, s_start, s_end, A1, B1, C1, WT, w_off, bias, widths, act, post,
                 zobrist, max_events, glx, glw):
    D = widths.shape[0]
    u_off = np.zeros(D + 1, np.int64)
    for j in range(D):
        u_off[j + 1] = u_off[j] + widths[j]
    U = u_off[D]
    HA = np.empty(U)
    HB = np.empty(U)
    HC = np.empty(U)
    ZA = np.empty(U)
    ZB = np.empty(U)
    ZC = np.empty(U)
    state = np.zeros(U, np.int64)
    root = np.full(U + 1, np.inf)
    for r in range(widths[0]):
        HA[r] = A1[r]
        HB[r] = B1[r]
        HC[r] = C1[r]
    for j in range(D):
        if j > 0:
            _layer_from_below(j, widths, u_off, w_off, WT, bias, ZA, ZB, ZC, HA, HB, HC)
        for u in range(u_off[j], u_off[j + 1]):
            state[u] = _initial_state(kind, act, HA[u], HB[u], HC[u], s_start)
            _set_z(act, state[u], HA, HB, HC, ZA, ZB, ZC, u)
    for u in range(U):
        root[u] = _unit_root(kind, act, state[u], HA[u], HB[u], HC[u], s_start)
    o_last = u_off[D - 1]
    out_state = _initial_state(kind, 0, HA[o_last], HB[o_last], HC[o_last], s_start)
    root[U] = _unit_root(kind, 0, out_state, HA[o_last], HB[o_last], HC[o_last], s_start)
    h = np.uint64(0)
    for u in range(U):
        h ^= zobrist[u, state[u]]
    ev_s = np.empty(max_events)
    ev_layer = np.empty(max_events, np.int64)
    ev_unit = np.empty(max_events, np.int64)
    ev_hash = np.empty(max_events, np.uint64)
    out_s = np.empty(max_events)
    n_out = 0
    n_ev = 0
    overflow = False
    first_hash = h
    transitions = np.zeros(D, np.int64)
    length = np.zeros(D)
    turning = np.zeros(D)
    s_seg = np.full(D, s_start)
    t_old = np.empty(U)
    unit_layer = np.empty(U, np.int64)
    for j in range(D):
        for u in range(u_off[j], u_off[j + 1]):
            unit_layer[u] = j
    wmax = 0
    for j in range(D):
        wmax = max(wmax, widths[j])
    d_idx = np.empty(wmax, np.int64)
    dA = np.empty(wmax)
    dB = np.empty(wmax)
    dC = np.empty(wmax)
    eA = np.empty(wmax)
    eB = np.empty(wmax)
    eC = np.empty(wmax)
    s_cur = s_start
    while True:
        i = np.argmin(root)
        s_e = root[i]
        if not (s_e <= s_end):
            break
        s_cur = s_e
        if i == U:  # output sign change
            if n_out >= max_events:
                overflow = True
                break
            out_s[n_out] = s_e
            n_out += 1
            out_state = 1 - out_state
            root[U] = _unit_root(kind, 0, out_state, HA[o_last], HB[o_last], HC[o_last], s_e)
            continue
        if n_ev >= max_events:
            overflow = True
            break
        l = unit_layer[i]
        first_changed = l if post else l + 1  # measured layers whose coefficients change
        d1, d2 = _dg(kind, s_e)
        # 1. close the segments of the measured layers that change; remember their tangents
        for j in range(first_changed, D):
            o = u_off[j]
            n = widths[j]
            MA = ZA if post else HA
            MB = ZB if post else HB
            ln, tn = _segment(kind, MA, MB, o, n, s_seg[j], s_e, glx, glw)
            length[j] += ln
            turning[j] += tn
            s_seg[j] = s_e
            for r in range(n):
                t_old[o + r] = d1 * MA[o + r] + d2 * MB[o + r]
        # 2. cross the boundary: flip neuron i, update the layers above
        old = state[i]
        if act == 0:
            new = 1 - old
        else:
            g1, g2 = _g(kind, s_e)
            dd = HA[i] * d1 + HB[i] * d2
            new = old + 1 if dd > 0.0 else old - 1
            new = min(2, max(0, new))
        state[i] = new
        h ^= zobrist[i, old] ^ zobrist[i, new]
        transitions[l] += 1
        za0 = ZA[i]
        zb0 = ZB[i]
        zc0 = ZC[i]
        _set_z(act, new, HA, HB, HC, ZA, ZB, ZC, i)
        # the change of z is one entry in layer l; push the (sparse) change upwards: inside a
        # region only neurons in their linear piece pass a change on.
        nd = 1
        d_idx[0] = i - u_off[l]
        dA[0] = ZA[i] - za0
        dB[0] = ZB[i] - zb0
        dC[0] = ZC[i] - zc0
        for j in range(l + 1, D):
            n = widths[j]
            o = u_off[j]
            for r in range(n):
                eA[r] = 0.0
                eB[r] = 0.0
                eC[r] = 0.0
            for q in range(nd):
                row = w_off[j] + d_idx[q] * n
                a_ = dA[q]
                b_ = dB[q]
                c_ = dC[q]
                for r in range(n):
                    w_ = WT[row + r]
                    eA[r] += w_ * a_
                    eB[r] += w_ * b_
                    eC[r] += w_ * c_
            nd = 0
            for r in range(n):
                u = o + r
                HA[u] += eA[r]
                HB[u] += eB[r]
                HC[u] += eC[r]
                if act == 2 or state[u] == 1:
                    ZA[u] = HA[u]
                    ZB[u] = HB[u]
                    ZC[u] = HC[u]
                    d_idx[nd] = r
                    dA[nd] = eA[r]
                    dB[nd] = eB[r]
                    dC[nd] = eC[r]
                    nd += 1
                root[u] = _unit_root(kind, act, state[u], HA[u], HB[u], HC[u], s_e)
        root[i] = _unit_root(kind, act, new, HA[i], HB[i], HC[i], s_e)
        if l < D - 1:
            root[U] = _unit_root(kind, 0, out_state, HA[o_last], HB[o_last], HC[o_last], s_e)
        # 3. the turning angle at the kink, per changed layer
        for j in range(first_changed, D):
            o = u_off[j]
            n = widths[j]
            MA = ZA if post else HA
            MB = ZB if post else HB
            dot = 0.0
            n0 = 0.0
            n1 = 0.0
            for r in range(n):
                tn = d1 * MA[o + r] + d2 * MB[o + r]
                dot += t_old[o + r] * tn
                n0 += t_old[o + r] * t_old[o + r]
                n1 += tn * tn
            if n0 > 0.0 and n1 > 0.0:
                turning[j] += np.arccos(min(1.0, max(-1.0, dot / np.sqrt(n0 * n1))))
        ev_s[n_ev] = s_e
        ev_layer[n_ev] = l
        ev_unit[n_ev] = i - u_off[l]
        ev_hash[n_ev] = h
        n_ev += 1
    for j in range(D):
        MA = ZA if post else HA
        MB = ZB if post else HB
        ln, tn = _segment(kind, MA, MB, u_off[j], widths[j], s_seg[j], s_end, glx, glw)
        length[j] += ln
        turning[j] += tn
    return (transitions, length, turning, ev_s[:n_ev], ev_layer[:n_ev], ev_unit[:n_ev],
            ev_hash[:n_ev], first_hash, out_s[:n_out], overflow)
