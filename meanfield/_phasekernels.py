"""numba kernels for whole phase diagrams from the per-activation tables (see tables.py).

Each grid point (sigma_w2, sigma_b2) is independent: q* by walking the 1-D table from q0 to
the first sign change of sigma_w2 V(q) + sigma_b2 - q and Newton in s = log q; chi1, xi_q
from the tables; in the chaotic phase c* = 1 - eps solves sigma_w2 R(eps) = q* with
R(eps) = [V - C(1 - eps)]/eps (Poole et al. 2016, Eq. 5 at its non-trivial fixed point) by
safeguarded Newton, R from the near-c=1 Chebyshev panels in b = sqrt(q eps/2) where they are
certified, else from the Mehler series written without cancellation,
R = sum_k b_k (1 + c + ... + c^(k-1)), with as many terms as the tail bounds require. Along a
row the c* of the previous two points give the starting guess. Points the tables cannot
certify get status 1 (direct quadrature).

The kernel takes the activation's tables as one :class:`PhaseTables` (a namedtuple of arrays
and scalars, built by :func:`meanfield.tables.phase_tables`) and writes the fields into the
columns Q_STAR, CHI1, C_STAR, XI_Q, XI_C of its output.
"""
import math
from collections import namedtuple

import numba
import numpy as np

# output columns of phase_grid (the order of PhaseDiagram.FIELDS)
Q_STAR, CHI1, C_STAR, XI_Q, XI_C = range(5)
FIELD_COLUMNS = {"q_star": Q_STAR, "chi1": CHI1, "c_star": C_STAR, "xi_q": XI_Q, "xi_c": XI_C}

PhaseTables = namedtuple("PhaseTables", [
    "s0", "ds", "V", "D", "W",        # 1-D tables on s = log q = s0 + i ds: V, D = E[phi'^2], W = dV/dq
    "logW", "w_log",                  # log W (interpolated instead of W when w_log: W > 0 throughout)
    "at_zero", "d_lim", "odd",        # V, D, W at q = 0; lim E[phi'^2] as q -> inf; phi odd
    "sm0", "dsm", "A",                # Mehler coefficients a_k on s = sm0 + i dsm
    "tail0", "tail1", "checkpoints",  # their tail bounds at the checkpoints K
    "sn0", "near", "near_err",        # near-c=1 Chebyshev panels of R(b) on s = sn0 + i dsm
    "near_b", "near_breaks",          # b_max scale and the panel edges (fractions of b_max)
])

ORDER = 8
TOL = 1e-14
NEWTON_LAST = 1e-9


ORDER_M = 12   # the Mehler coefficients vary faster in log q: a higher-order stencil


def _den(order):
    return np.array([float(np.prod([j - m for m in range(order) if m != j])) for j in range(order)])


_DEN = _den(ORDER)
_DEN_M = _den(ORDER_M)


@numba.njit(cache=True)
def _stencil(s, s0, ds, n, w):
    """Lagrange weights (len(w) points) at s on the grid s0 + i ds; returns the first index."""
    order = w.shape[0]
    den = _DEN if order == ORDER else _DEN_M
    x = (s - s0) / ds
    i0 = int(math.floor(x)) - order // 2 + 1
    if i0 < 0:
        i0 = 0
    if i0 > n - order:
        i0 = n - order
    t = x - i0
    # w_j = prod_{m != j} (t - m) / den_j with prefix and suffix products
    pre = 1.0
    for j in range(order):
        w[j] = pre
        pre *= t - j
    suf = 1.0
    for j in range(order - 1, -1, -1):
        w[j] *= suf / den[j]
        suf *= t - j
    return i0


@numba.njit(cache=True)
def _dot(tab, i0, w):
    acc = 0.0
    for j in range(w.shape[0]):
        acc += w[j] * tab[i0 + j]
    return acc


@numba.njit(cache=True, inline="always")
def _solve_q(sw, sb, q0, t, qn, w8):
    """q* from q0 (returns q*, status): status 0 ok, 1 outside the table."""
    s0, ds, V, Wt = t.s0, t.ds, t.V, t.W
    n = V.shape[0]
    s = math.log(q0)
    i0 = _stencil(s, s0, ds, n, w8)
    g0 = sw * _dot(V, i0, w8) + sb - q0
    if abs(g0) <= 4e-16 * q0:
        return q0, 0
    x = (s - s0) / ds
    if g0 > 0.0:
        i = int(math.floor(x)) + 1
        # stride 8 nodes (ds 0.2 in log q), then back up to the first node past the crossing
        while i + 8 < n and sw * V[i + 8] + sb - qn[i + 8] > 0.0:
            i += 8
        while i < n and sw * V[i] + sb - qn[i] > 0.0:
            i += 1
        if i >= n:
            return math.inf, 1
        lo = max(s, s0 + (i - 1) * ds)
        hi = s0 + i * ds
    else:
        i = int(math.ceil(x)) - 1
        if i > n - 1:
            i = n - 1
        while i - 8 >= 0 and sw * V[i - 8] + sb - qn[i - 8] <= 1e-14 * qn[i - 8]:
            i -= 8
        while i >= 0:
            qi = qn[i]
            if sw * V[i] + sb - qi > 1e-14 * qi:
                break
            i -= 1
        if i < 0:
            return 0.0, 1
        lo = s0 + i * ds
        hi = min(s, s0 + (i + 1) * ds)
    # safeguarded Newton in s on G(s) = sw V(e^s) + sb - e^s (G > 0 at lo, < 0 at hi),
    # started from the secant of the bracketing nodes
    glo = sw * _dot(V, _stencil(lo, s0, ds, n, w8), w8) + sb - math.exp(lo)
    ghi = sw * _dot(V, _stencil(hi, s0, ds, n, w8), w8) + sb - math.exp(hi)
    t = lo + (hi - lo) * glo / (glo - ghi) if glo != ghi else 0.5 * (lo + hi)
    converged = False
    for _ in range(60):   # (bisection alone shrinks the bracket, ds = 0.025, below 1e-19 in 60)
        q = math.exp(t)
        i0 = _stencil(t, s0, ds, n, w8)
        g = sw * _dot(V, i0, w8) + sb - q
        if g > 0.0:
            lo = t
        else:
            hi = t
        dg = (sw * _dot(Wt, i0, w8) - 1.0) * q
        step = g / dg if dg != 0.0 else 0.0
        if g == 0.0 or (dg != 0.0 and abs(step) <= 1e-15 * max(1.0, abs(t))):
            t -= step   # converged: a step at rounding level (it may touch the bracket)
            converged = True
            break
        tn = t - step
        if not (lo < tn < hi) or dg == 0.0:
            tn = 0.5 * (lo + hi)
        if abs(tn - t) <= 1e-15 * max(1.0, abs(t)) or hi - lo <= 1e-15 * max(1.0, abs(t)):
            t = tn
            converged = True
            break
        t = tn
    if not converged:
        return math.exp(t), 1   # (never seen) direct quadrature decides
    return math.exp(t), 0


@numba.njit(cache=True)
def marginal_diverges(g_lo, g_hi, ratio, margin):
    """At sigma_w2 lim E[phi'^2] = 1 (to rounding; elu, softplus at sigma_w2 = 2) the map's
    slope tends to 1 and its gap G = sw V(q) + sb - q to a constant, G ~ G_inf + c / sqrt(q).
    From G at q / ratio and q: divergent (linearly) when G > 0 and not falling, or when
    G_inf = G(q) - (G(q/r) - G(q)) / (sqrt(r) - 1) exceeds ``margin`` times the drop (room for
    the O(1/q) term the extrapolation neglects); else undecided. Shared by the compiled
    solver and :func:`meanfield.maps.q_star`."""
    if not g_hi > 0.0:
        return False
    drop = g_lo - g_hi
    return drop <= 0.0 or g_hi - drop / (math.sqrt(ratio) - 1.0) > margin * drop


@numba.njit(cache=True, inline="always")
def _marginal_divergent(sw, sb, t, qn):
    """The marginal rule at the table's end (q = 1e6, over its last factor 4 in q; margin 0.1:
    for softplus the neglected O(1/q) term is ~1 % of the drop there)."""
    if abs(sw * t.d_lim - 1.0) > 1e-12:
        return False
    V = t.V
    n = V.shape[0]
    k = int(round(math.log(4.0) / t.ds))
    g1 = sw * V[n - 1] + sb - qn[n - 1]
    g0 = sw * V[n - 1 - k] + sb - qn[n - 1 - k]
    return marginal_diverges(g0, g1, 4.0, 0.1)


@numba.njit(cache=True)
def _interp_b(A, i0, w, k_from, k_to, b):
    for k in range(k_from, k_to + 1):
        acc = 0.0
        for j in range(w.shape[0]):
            acc += w[j] * A[i0 + j, k]
        b[k] = acc * acc


@numba.njit(cache=True)
def _r_and_slope(b, K, c, eps):
    """R = sum_{k<=K} b_k G_k(c), dR/dc, and S = sum k b_k c^(k-1) (= q E[phi'phi'])."""
    g = 0.0      # G_k = 1 + c + ... + c^(k-1)
    dg = 0.0     # dG_k/dc
    ck = 1.0     # c^(k-1)
    r = 0.0
    dr = 0.0
    sl = 0.0
    for k in range(1, K + 1):
        dg = g + c * dg
        g = 1.0 + c * g
        bk = b[k]
        r += bk * g
        dr += bk * dg
        sl += k * bk * ck
        ck *= c
    return r, dr, sl


@numba.njit(cache=True)
def _tail(tab, i0, jc):
    """Largest stencil tail at checkpoint jc (a safe bound)."""
    m = 0.0
    for j in range(ORDER_M):
        v = tab[i0 + j, jc]
        if v > m:
            m = v
    return m


@numba.njit(cache=True)
def _clenshaw(c, x):
    """sum_m c_m T_m(x) and its derivative in x."""
    n = c.shape[0]
    b1 = 0.0
    b2 = 0.0
    d1 = 0.0
    d2 = 0.0
    for m in range(n - 1, 0, -1):
        b0 = 2.0 * x * b1 - b2 + c[m]
        d0 = 2.0 * b1 + 2.0 * x * d1 - d2
        b2 = b1
        b1 = b0
        d2 = d1
        d1 = d0
    val = x * b1 - b2 + c[0]
    der = b1 + x * d1 - d2
    return val, der


@numba.njit(cache=True)
def _c_sum(b, K, c):
    """C_K = sum_{k<=K} b_k c^k and S = sum_{k<=K} k b_k c^(k-1)."""
    ck = 1.0
    cs = b[0]
    sl = 0.0
    for k in range(1, K + 1):
        sl += k * b[k] * ck
        ck *= c
        cs += b[k] * ck
    return cs, sl


@numba.njit(cache=True)
def _panel(frac, breaks, certified):
    """Index of the near-table panel holding b / bmax = frac, or -1 (outside or uncertified)."""
    if frac > breaks[breaks.shape[0] - 1]:
        return -1
    for p in range(breaks.shape[0] - 1):
        if frac <= breaks[p + 1]:
            return p if (certified >> p) & 1 else -1
    return -1


@numba.njit(cache=True)
def _interp_panel(near, i0, w, pan, out):
    """out[pan, m] = sum_j w_j near[i0 + j, pan, m]."""
    for m in range(near.shape[2]):
        acc = 0.0
        for j in range(w.shape[0]):
            acc += w[j] * near[i0 + j, pan, m]
        out[pan, m] = acc


@numba.njit(cache=True)
def _near_eval(cn, pan, breaks, bq, bmax):
    """R and dR/db from panel pan's Chebyshev series at b = bq."""
    lo = breaks[pan] * bmax
    width = (breaks[pan + 1] - breaks[pan]) * bmax
    r, rx = _clenshaw(cn[pan], 2.0 * (bq - lo) / width - 1.0)
    return r, rx * 2.0 / width


@numba.njit(cache=True, inline="always")
def _near_r(t, cn, ready, inear, wn, pan, bq, bmax):
    """R and dR/db at b = bq from near-table panel ``pan``; its coefficients at q* are
    interpolated into cn on first use (bit ``pan`` of ``ready``). Returns (R, dR/db, ready)."""
    if not (ready >> pan) & 1:
        _interp_panel(t.near, inear, wn, pan, cn)
        ready |= 1 << pan
    r, drdb = _near_eval(cn, pan, t.near_breaks, bq, bmax)
    return r, drdb, ready


@numba.njit(cache=True, inline="always")
def _more_terms(t, im, wm, b, jc):
    """Extend the Mehler sum from checkpoint jc to jc + 1 (interpolating the new b_k at q*);
    returns (jc + 1, K)."""
    K = t.checkpoints[jc]
    K_new = t.checkpoints[jc + 1]
    _interp_b(t.A, im, wm, K + 1, K_new, b)
    return jc + 1, K_new


@numba.njit(parallel=True, cache=True)
def phase_grid(SW, SB, q0, t, order, out, status):
    """Rows of the grid in parallel (``order``: a permutation of the rows, see phase.py); along
    a row the previous c* warm-starts Newton. Fills out[i, j, Q_STAR..XI_C] and status[i, j]
    (0: done, 1: direct quadrature needed)."""
    qn = np.exp(t.s0 + t.ds * np.arange(t.V.shape[0]))
    for k in numba.prange(SW.shape[0]):
        _row(order[k], SW, SB, q0, t, qn, out, status)


@numba.njit(cache=True)
def _row(i, SW, SB, q0, t, qn, out, status):
    """Row i of the grid. One call per row (with _point inlined): passing the tables' arrays
    into a compiled function costs reference-count updates, once a row instead of once a
    point; and inlining into this plain function, not into the parallel loop, keeps the
    compile time of the kernel where it was."""
    w8 = np.empty(ORDER)
    wm = np.empty(ORDER_M)
    wn = np.empty(ORDER)
    b = np.zeros(t.A.shape[1])
    cn = np.zeros((t.near.shape[1], t.near.shape[2]))
    eps1 = -1.0   # eps = 1 - c* at the previous two points of the row (-1: none)
    eps2 = -1.0
    for j in range(SW.shape[1]):
        # warm start: linear extrapolation along the row (smooth in sigma_b2)
        guess = eps1
        if eps1 > 0.0 and eps2 > 0.0:
            guess = 2.0 * eps1 - eps2
            if not (0.5 * eps1 < guess < 2.0 * eps1):
                guess = eps1
        eps2 = eps1
        eps1 = _point(i, j, SW[i, j], SB[i, j], guess, q0, t, qn, out, status, w8, wm, wn, b, cn)


@numba.njit(cache=True, inline="always")
def _point(pi, pj, sw, sb, eps_prev, q0, t, qn, out, status, w8, wm, wn, b, cn):
    """One grid point; returns its eps = 1 - c* (or -1) to warm-start the next."""
    n1 = t.V.shape[0]
    nm = t.A.shape[0]
    nn = t.near.shape[0]
    ncp = t.checkpoints.shape[0]
    npan = t.near.shape[1]
    odd = t.odd
    status[pi, pj] = 0
    qs, st = _solve_q(sw, sb, q0, t, qn, w8)
    if st != 0:
        if qs == 0.0 and sb == 0.0 and t.at_zero[0] == 0.0:
            # collapse to q* = 0 (odd phi, no bias, sigma_w2 phi'(0)^2 <= 1)
            chi = sw * t.at_zero[1]
            out[pi, pj, Q_STAR] = 0.0
            out[pi, pj, CHI1] = chi
            out[pi, pj, C_STAR] = 1.0
            slope = sw * t.at_zero[2]
            out[pi, pj, XI_Q] = math.inf if slope == 1.0 else -1.0 / math.log(slope)
            out[pi, pj, XI_C] = math.inf if chi == 1.0 else -1.0 / math.log(chi)
            return -1.0
        if qs == math.inf and (sw * t.d_lim > 1.0 or _marginal_divergent(sw, sb, t, qn)):
            # G > 0 at every table node up to q = 1e6 and the asymptotic slope of the
            # length map, sigma_w2 lim E[phi'^2], exceeds 1 (or equals 1 with G not
            # falling): divergent, as maps.q_star decides
            out[pi, pj, Q_STAR] = math.inf
            out[pi, pj, CHI1] = sw * t.d_lim
            out[pi, pj, C_STAR] = math.nan
            out[pi, pj, XI_Q] = math.nan
            out[pi, pj, XI_C] = math.nan
            return -1.0
        status[pi, pj] = 1
        return -1.0
    s = math.log(qs)
    i0 = _stencil(s, t.s0, t.ds, n1, w8)
    chi = sw * _dot(t.D, i0, w8)
    slope_q = sw * (math.exp(_dot(t.logW, i0, w8)) if t.w_log else _dot(t.W, i0, w8))
    Vq = _dot(t.V, i0, w8)
    out[pi, pj, Q_STAR] = qs
    out[pi, pj, CHI1] = chi
    out[pi, pj, XI_Q] = math.inf if slope_q == 1.0 else -1.0 / math.log(slope_q)
    if chi <= 1.0:
        out[pi, pj, C_STAR] = 1.0
        out[pi, pj, XI_C] = math.inf if chi == 1.0 else -1.0 / math.log(chi)
        return -1.0
    Q = sw * Vq + sb
    if s < t.sm0 or s > t.sm0 + (nm - 1) * t.dsm:
        status[pi, pj] = 1
        return -1.0
    im = _stencil(s, t.sm0, t.dsm, nm, wm)
    if odd and sb == 0.0:
        _interp_b(t.A, im, wm, 0, 1, b)
        out[pi, pj, C_STAR] = 0.0
        sl = sw * b[1] / qs
        out[pi, pj, XI_C] = -1.0 / math.log(sl) if sl > 0.0 else 0.0
        return -1.0
    # near c = 1: Chebyshev panels of R(b), b = sqrt(q eps / 2) in [0, bmax(q*)] (tables.py);
    # a panel is used only where its fit is certified at every stencil row, and its
    # coefficients at q* are interpolated on first use (bit p of ready)
    bmax = t.near_b * math.sqrt(qs / (qs + t.near_b * t.near_b))
    certified = 0   # bit p set: panel p usable
    inear = 0
    if t.sn0 <= s <= t.sn0 + (nn - 1) * t.dsm:
        inear = _stencil(s, t.sn0, t.dsm, nn, wn)
        for p_ in range(npan):
            good = True
            for j in range(ORDER):
                if not t.near_err[inear + j, p_] <= 1e-10:
                    good = False
            if good:
                certified |= 1 << p_
    ready = 0
    emax = 1.0 if odd else 2.0
    jc = 0
    K = t.checkpoints[0]
    mehler_ready = False
    lo = 0.0
    hi = emax
    eps = eps_prev if 0.0 < eps_prev < emax else 0.5 * emax
    ok = False
    for it in range(300):
        c = 1.0 - eps
        bq = math.sqrt(0.5 * qs * eps)
        pan = _panel(bq / bmax, t.near_breaks, certified)
        if pan >= 0:
            r, drdb, ready = _near_r(t, cn, ready, inear, wn, pan, bq, bmax)
            g = sw * r - Q
            dgde = sw * drdb * qs / (4.0 * bq)   # db/deps = q / (4 b)
        else:
            if not mehler_ready:
                _interp_b(t.A, im, wm, 0, K, b)
                mehler_ready = True
            # Mehler as V - C_K(c): truncation error damped by |c|^(K+1) (moderate c)
            cs, sl = _c_sum(b, K, c)
            delta = Vq - cs
            t0 = _tail(t.tail0, im, jc)
            if t0 * abs(c) ** (K + 1) <= TOL * delta and delta >= 1e-3 * Vq:
                r = delta / eps
                dr = (r - sl) / eps     # dR/dc = (R - S)/eps since dDelta/dc = -S
            else:
                # or without cancellation, R = sum b_k (1 + c + ... + c^(k-1)) (c near 1)
                r, dr, sl = _r_and_slope(b, K, c, eps)
                t1 = _tail(t.tail1, im, jc)
                err = t1 if t1 < t0 / eps else t0 / eps
                if c < 0.0:
                    err = 2.0 * t0 / eps
                if err > TOL * r:
                    if jc + 1 < ncp:
                        jc, K = _more_terms(t, im, wm, b, jc)
                        continue
                    break  # the series cannot certify this point: direct quadrature
            g = sw * r - Q
            dgde = -sw * dr
        if g > 0.0:
            lo = eps
        else:
            hi = eps
        en = eps - g / dgde if dgde != 0.0 else -1.0
        # Newton converges quadratically: after a step of 1e-9 eps the error is ~1e-18 eps
        # (times eps R''/R', O(1)), so that step is the last one taken
        if g == 0.0 or (dgde != 0.0 and abs(en - eps) <= NEWTON_LAST * eps):
            eps = en if dgde != 0.0 else eps   # converged (the step may touch the bracket)
            ok = True
            break
        if not (lo < en < hi):  # bisect, geometrically when the bracket spans decades
            if lo == 0.0:
                en = 0.1 * hi
            elif hi > 4.0 * lo:
                en = math.sqrt(lo * hi)
            else:
                en = 0.5 * (lo + hi)
        if abs(en - eps) <= 1e-14 * eps or hi - lo <= 1e-15 * hi:
            eps = en
            ok = True
            break
        eps = en
    if not ok:
        status[pi, pj] = 1
        return -1.0
    # the slope of the C-map at c*, dC/dc (for xi_c), from the same representation
    c = 1.0 - eps
    bq = math.sqrt(0.5 * qs * eps)
    pan = _panel(bq / bmax, t.near_breaks, certified)
    if pan >= 0:
        r, drdb, ready = _near_r(t, cn, ready, inear, wn, pan, bq, bmax)
        sl = r + 0.5 * bq * drdb    # dC/dc = R + eps dR/deps = R + (b/2) dR/db
    else:
        if not mehler_ready:
            _interp_b(t.A, im, wm, 0, K, b)
        cs, sl = _c_sum(b, K, c)
        t1 = _tail(t.tail1, im, jc)
        ck = abs(c) ** K
        while t1 * ck > TOL * sl and jc + 1 < ncp:
            jc, K = _more_terms(t, im, wm, b, jc)
            cs, sl = _c_sum(b, K, c)
            t1 = _tail(t.tail1, im, jc)
            ck = abs(c) ** K
        if t1 * ck > TOL * sl:
            status[pi, pj] = 1
            return -1.0
    out[pi, pj, C_STAR] = c
    slope_c = sw * sl / qs
    out[pi, pj, XI_C] = math.inf if slope_c == 1.0 else -1.0 / math.log(slope_c)
    return eps
