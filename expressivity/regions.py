"""Exact region walking for piecewise-linear networks (Raghu et al. 2017, Sec. 2-3).

With phi = relu or hard_tanh the network is affine inside each linear region. Along an input
curve x(s) = c + g1(s) u + g2(s) w, with (g1, g2) = (s, 0) for a line and (cos s, sin s) for
a circle or circular arc, every pre-activation inside a region therefore reads

    h_i(s) = A_i g1(s) + B_i g2(s) + C_i,

and the next region boundary is the smallest root s' > s of h_i(s') = kink over all neurons
(a linear equation on a line; R cos(s - phi) = kink - C on a circle). The walker crosses that
boundary, flips the one neuron, updates the coefficients of the layers above, and repeats.
It counts exactly:

- transitions: region switches of every neuron, per layer (relu off/on; hard_tanh -1/linear/+1);
- activation patterns: distinct patterns of all neurons met along the curve (Zobrist hashes);
- sign changes of the output h^D_0;
- Euclidean length of each layer's curve (closed form on a line, Gauss-Legendre inside each
  region on a circle) and the Grassmannian length: the turning inside regions plus
  arccos(T_before . T_after) at every kink (all turning of a piecewise-linear image of a line
  happens at the kinks; spec "Measuring exactly").

:func:`dichotomies` sweeps one layer's weights along W cos t + W' sin t: every input's
pre-activation in that layer is then A cos t + B sin t + C, so the same walker gives the exact
times where each output label flips (Raghu et al. 2017, Sec. 3, s = 15 inputs).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from .networks import RandomNetwork, as_generator

_RELU, _HARD_TANH, _LINEAR = 0, 1, 2
_LINE, _TRIG = 0, 1
_TWO_PI = 2.0 * np.pi
_GLX, _GLW = np.polynomial.legendre.leggauss(16)


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
def _walk_kernel(kind, s_start, s_end, A1, B1, C1, WT, w_off, bias, widths, act, post,
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


class Walk(NamedTuple):
    """Exact counts along one curve. Per-layer arrays have shape (depth,) (layer 1 first);
    lengths measure h^l (or z^l with ``post_activation``) over the walked parameter range."""

    transitions: np.ndarray
    n_patterns: int
    output_sign_changes: np.ndarray
    euclidean_length: np.ndarray
    grassmannian_length: np.ndarray
    event_s: np.ndarray
    event_layer: np.ndarray
    event_unit: np.ndarray


def _act_code(net: RandomNetwork) -> int:
    name = net.activation.name
    codes = {"relu": _RELU, "hard_tanh": _HARD_TANH, "linear": _LINEAR}
    if name not in codes:
        raise ValueError(f"region walking needs a piecewise-linear activation (relu, hard_tanh, "
                         f"linear); got {name!r}")
    return codes[name]


def _pack(weights, biases):
    """Transposed weights of layers 2.. flattened, with offsets; biases flattened."""
    widths = np.array([w.shape[0] for w in weights], np.int64)
    w_off = np.zeros(len(weights), np.int64)
    parts = []
    off = 0
    for j, W in enumerate(weights):
        w_off[j] = off
        if j > 0:
            parts.append(np.ascontiguousarray(W.T).ravel())
            off += W.size
    WT = np.concatenate(parts) if parts else np.zeros(1)
    return WT, w_off, np.concatenate([np.asarray(b, float) for b in biases]), widths


def _zobrist(n_units, seed=12345):
    rng = np.random.default_rng(seed)
    return rng.integers(0, np.iinfo(np.uint64).max, size=(n_units, 3), dtype=np.uint64,
                        endpoint=True)


def walk_coefficients(kind: str, s_range, A1, B1, C1, weights, biases, activation_code: int,
                      post_activation: bool = False, max_events: int = 10_000_000):
    """Low-level walk from first-layer coefficients h^1(s) = A1 g1(s) + B1 g2(s) + C1."""
    kinds = {"line": _LINE, "trig": _TRIG}
    if kind not in kinds:
        raise ValueError(f"kind must be 'line' or 'trig'; got {kind!r}")
    s0, s1 = (float(v) for v in s_range)
    if not (np.isfinite(s0) and np.isfinite(s1) and s1 > s0):
        raise ValueError(f"s_range must be finite with s_range[0] < s_range[1]; got {s_range}")
    WT, w_off, b, widths = _pack(weights, biases)
    res = _walk_kernel(kinds[kind], s0, s1, np.ascontiguousarray(A1, float),
                       np.ascontiguousarray(B1, float), np.ascontiguousarray(C1, float), WT,
                       w_off, b, widths, activation_code, bool(post_activation),
                       _zobrist(int(widths.sum())), int(max_events), _GLX, _GLW)
    if res[-1]:
        raise RuntimeError(f"more than max_events={max_events} events along the curve; raise "
                           "max_events")
    return res


def walk(net: RandomNetwork, center, u, w=None, kind: str = "line", s_range=(0.0, 1.0),
         post_activation: bool = False, max_events: int = 10_000_000) -> Walk:
    """Walk x(s) = center + g1(s) u + g2(s) w through ``net`` (see the module docstring).

    kind ``"line"``: (g1, g2) = (s, 0); ``"trig"``: (cos s, sin s), e.g. s in [0, 2 pi].
    """
    act = _act_code(net)
    center = np.asarray(center, float)
    u = np.asarray(u, float)
    w = np.zeros_like(u) if w is None else np.asarray(w, float)
    for name, v in (("center", center), ("u", u), ("w", w)):
        if v.shape != (net.input_dim,):
            raise ValueError(f"{name} must have shape ({net.input_dim},); got {v.shape}")
        if not np.all(np.isfinite(v)):
            raise ValueError(f"{name} must be finite")
    W1, b1 = net.weights[0], net.biases[0]
    (trans, length, turning, ev_s, ev_layer, ev_unit, ev_hash, h0, out_s, _) = walk_coefficients(
        kind, s_range, W1 @ u, W1 @ w, W1 @ center + b1, net.weights, net.biases, act,
        post_activation, max_events)
    n_patterns = int(np.unique(np.concatenate([[h0], ev_hash])).size)
    return Walk(trans, n_patterns, out_s, length, turning, ev_s, ev_layer, ev_unit)


def walk_line(net: RandomNetwork, x0, x1, post_activation: bool = False, **kw) -> Walk:
    """Exact walk along the segment x0 + t (x1 - x0), t in [0, 1]."""
    x0 = np.asarray(x0, float)
    return walk(net, x0, np.asarray(x1, float) - x0, None, "line", (0.0, 1.0), post_activation, **kw)


def walk_arc(net: RandomNetwork, x0, x1, post_activation: bool = False, **kw) -> Walk:
    """Exact walk along Raghu's arc cos(pi t/2) x0 + sin(pi t/2) x1; event times are in t."""
    x0 = np.asarray(x0, float)
    r = walk(net, np.zeros_like(x0), x0, x1, "trig", (0.0, 0.5 * np.pi), post_activation, **kw)
    scale = 2.0 / np.pi
    return r._replace(event_s=r.event_s * scale, output_sign_changes=r.output_sign_changes * scale)


def walk_circle(net: RandomNetwork, u0, u1, radius: float = 1.0, post_activation: bool = False,
                **kw) -> Walk:
    """Exact walk around radius (u0 cos s + u1 sin s), s in [0, 2 pi)."""
    u0 = np.asarray(u0, float) * radius
    return walk(net, np.zeros_like(u0), u0, np.asarray(u1, float) * radius, "trig",
                (0.0, _TWO_PI), post_activation, **kw)


def patterns_at(net: RandomNetwork, X) -> tuple[np.ndarray, np.ndarray]:
    """Region index of every neuron at inputs X (n, dim): (states (n, units), output h^D_0).

    relu: 0 off / 1 on; hard_tanh: 0 (h < -1) / 1 / 2 (h > 1). The dense-sampling oracle.
    """
    code = _act_code(net)
    hs = net.forward(np.asarray(X, float))
    if code == _RELU:
        states = [(h > 0).astype(np.int8) for h in hs]
    elif code == _HARD_TANH:
        states = [((h > -1).astype(np.int8) + (h > 1).astype(np.int8)) for h in hs]
    else:
        states = [np.ones_like(h, dtype=np.int8) for h in hs]
    return np.concatenate(states, axis=1), hs[-1][:, 0]


def sampled_counts(net: RandomNetwork, X) -> tuple[np.ndarray, int, int]:
    """Counts seen by sampling the curve at the rows of X: (transitions per layer, distinct
    patterns, output sign changes). A lower bound that converges to the exact walk as the
    samples get dense (crossings missed between two samples are never counted)."""
    states, out = patterns_at(net, X)
    jumps = np.abs(np.diff(states.astype(np.int64), axis=0)).sum(axis=0)
    bounds = np.cumsum((0,) + net.widths)
    per_layer = np.array([jumps[a:b].sum() for a, b in zip(bounds[:-1], bounds[1:])])
    n_patterns = np.unique(states, axis=0).shape[0]
    sign_changes = int(np.count_nonzero(np.diff(np.sign(out)) != 0))
    return per_layer, n_patterns, sign_changes


def dichotomies(net: RandomNetwork, layer: int, X, seed=0, return_times: bool = False):
    """Distinct labellings sign(h^D_0(x_i)) of the rows of X while sweeping one layer's weights.

    W^layer(t) = W cos t + W' sin t, t in [0, 2 pi), W' an independent draw with the same
    variance (Raghu et al. 2017, Sec. 3; 1-based ``layer``; remaining depth = depth - layer).
    Exact: every input's swept pre-activation is A cos t + B sin t + C, walked through the
    layers above. Needs at most 62 inputs (labellings are stored as int64 bit masks).
    """
    code = _act_code(net)
    X = np.asarray(X, float)
    if X.ndim != 2 or X.shape[1] != net.input_dim:
        raise ValueError(f"X must have shape (s, {net.input_dim}); got {X.shape}")
    if not 1 <= X.shape[0] <= 62:
        raise ValueError(f"X must hold between 1 and 62 inputs; got {X.shape[0]}")
    if not (isinstance(layer, (int, np.integer)) and 1 <= layer <= net.depth):
        raise ValueError(f"layer must be an int in [1, {net.depth}]; got {layer!r}")
    rng = as_generator(seed)
    W = net.weights[layer - 1]
    W2 = rng.standard_normal(W.shape) * np.sqrt(net.sigma_w2 / W.shape[1])
    z = X if layer == 1 else net.activation.phi(net.forward(X)[layer - 2])
    above_w = net.weights[layer - 1:]
    above_b = net.biases[layer - 1:]
    times, who, init = [], [], 0
    for i in range(X.shape[0]):
        res = walk_coefficients("trig", (0.0, _TWO_PI), W @ z[i], W2 @ z[i], net.biases[layer - 1],
                                above_w, above_b, code)
        out_s = res[8]
        h_out = net.forward(X[i:i + 1])[-1][0, 0]
        init |= int(h_out > 0) << i
        times.append(out_s)
        who.append(np.full(out_s.size, i, np.int64))
    times = np.concatenate(times)
    who = np.concatenate(who)
    order = np.argsort(times, kind="stable")
    flips = np.left_shift(np.int64(1), who[order])
    masks = np.bitwise_xor.accumulate(np.concatenate([[np.int64(init)], flips]))
    count = int(np.unique(masks).size)
    return (count, times[order], masks) if return_times else count
