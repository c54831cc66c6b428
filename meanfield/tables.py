"""Per-activation tables that make whole phase diagrams fast (cached on disk).

Every forward quantity depends on (sigma_w2, sigma_b2) only through q* and sigma_w2, so one
table per activation serves every grid (spec, "Numerics that matter"):

* 1-D: V(q), D(q), W(q) = dV/dq on a uniform grid in s = log q, q in [1e-8, 1e6],
  interpolated by 8-point Lagrange polynomials in s (error ~ (ds * scale)^8 / 8!).
* Mehler (Hermite) coefficients a_k(q) = E[phi(sqrt(q) z) h_k(z)] with the normalised
  Hermite polynomials h_k = He_k / sqrt(k!), so that
      C(c, q) = sum_k a_k(q)^2 c^k,    E[phi'(u1) phi'(u2)] = (1/q) sum_k k a_k^2 c^(k-1),
  for q in [1e-6, 1e3] and k <= K_MAX, with the tails sum_{k>K} a_k^2 and
  sum_{k>K} k a_k^2 at checkpoints K = 16, 32, ..., K_MAX that bound the truncation error
  of every evaluation (the coefficients a_k^2 are non-negative). The series is taken as
  converged once its last 16 terms are below 1e-22 V (the truncation at |z| = 10 leaves a floor near 1e-24 V); where it is not converged by K_MAX
  (steep activations at large q) the remainder V - sum a_k^2 is kept as the tail and the
  phase diagram falls back to direct quadrature for the points that need it.
* Near c = 1: the chord slope R(eps, q) = [V(q) - C(1 - eps, q)]/eps as Chebyshev series in
  b = sqrt(q eps / 2) on [0, near_bmax(q)] (panels of NEAR_N coefficients per q node: two, four
  for kinked phi; q in [0.2, 1e3]), from the cancellation-free segment-mean quadrature
  (:func:`meanfield.kernels.near_ratio`; for kinked phi the first panel uses the same form
  with phi' averaged piecewise between the kinks, :mod:`meanfield._nearkinked`). With it, c* of every chaotic point with
  c* > 1 - 18/(q* + 9) is a few Newton steps on a 32-term series; the Mehler sums are left
  with |c| small enough to converge in a few dozen terms. Each panel carries its fit error
  (the size of its last coefficients); the solver uses only certified panels (<= 1e-10).

Tables are written to ``$MEANFIELD_CACHE`` (default ``~/.cache/meanfield``) for the
built-in activations; sympy-defined ones are tabulated once per process.
"""
from __future__ import annotations

import math
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import kernels
from .activations import Activation

TABLE_VERSION = 7
DS = 0.025
S1D = (-round(math.log(1e8) / DS), round(math.log(1e6) / DS))       # node index range
DSM = 0.05
SMEHLER = (-round(math.log(1e6) / DSM), round(math.log(1e3) / DSM))
K_MAX = 4096
# near c = 1 the Mehler series converges slowly at large q; there R(eps, q) = Delta/eps is
# tabulated as Chebyshev series in b = sqrt(q eps / 2) on b in [0, near_bmax(q)], split into
# panels at the fractions NEAR_BREAKS (b is the spread of the rotated coordinate; R is analytic
# in b, not in eps, for kinked phi, where powers (1 - c)^(3/2) appear). near_bmax(q) -> NEAR_B at
# large q and -> sqrt(q) (c = -1) at small q, so the table covers c in [1 - 2 NEAR_B^2/(q + NEAR_B^2), 1]:
# beyond it |c| is small enough for a short Mehler sum.
NEAR_B = 3.0
NEAR_BREAKS = np.array([0.0, 0.4, 1.0])
# kinked phi (hard_tanh): two kink zones of a segment meet at b y = (k_j - k_i)/2, which leaves
# terms ~ exp(-(k_j - k_i)^2 / (8 b^2)) in R(b): smooth but not analytic at b = 0, so short
# panels near 0 keep the Chebyshev fits at ~1e-13
NEAR_BREAKS_KINKED = np.array([0.0, 0.05, 0.15, 0.4, 1.0])
NEAR_N = 32
SNEAR = (round(math.log(0.2) / DSM), SMEHLER[1])


def near_breaks(act: Activation) -> np.ndarray:
    """Panel edges of the near-c=1 table, as fractions of near_bmax(q)."""
    return NEAR_BREAKS if act.smooth else NEAR_BREAKS_KINKED


def near_bmax(q):
    """Upper end in b of the near-c=1 table at q: NEAR_B sqrt(q / (q + NEAR_B^2)) (< sqrt(q))."""
    return NEAR_B * np.sqrt(q / (q + NEAR_B * NEAR_B))


CHECKPOINTS = np.array([16 * 2 ** j for j in range(int(math.log2(K_MAX // 16)) + 1)])
_MEMORY: dict[str, "Tables"] = {}
_PHASE: dict = {}


@dataclass(frozen=True)
class Tables:
    s0_1d: float            # s of the first 1-D node
    V: np.ndarray
    D: np.ndarray
    W: np.ndarray
    s0_m: float             # s of the first Mehler node
    a: np.ndarray           # (n_s, K_MAX + 1) Mehler coefficients
    tail0: np.ndarray       # (n_s, n_checkpoints) V - sum_{k<=K} a_k^2
    tail1: np.ndarray       # (n_s, n_checkpoints) qD - sum_{k<=K} k a_k^2
    at_zero: np.ndarray     # V(0), D(0), W(0)
    odd: bool
    s0_near: float          # s of the first near-c=1 node (same spacing as Mehler)
    near: np.ndarray        # (n_near, n_panels, NEAR_N) Chebyshev coefficients of R(b) per panel
    near_err: np.ndarray    # (n_near, n_panels) estimated relative interpolation error of R
    near_breaks: np.ndarray  # panel edges as fractions of near_bmax(q)


def shipped_dir() -> Path:
    """Where tables shipped with the package would live (``meanfield/data/tables``, optional)."""
    return Path(__file__).parent / "data" / "tables"


TABLE_ACTIVATIONS = ("tanh", "erf", "hard_tanh", "sigmoid", "softplus", "swish", "gelu", "elu", "sin")


def cache_dir() -> Path:
    return Path(os.environ.get("MEANFIELD_CACHE", Path.home() / ".cache" / "meanfield"))


class _NoBar:
    def update(self, n=1):
        pass

    def close(self):
        pass


N_1D = S1D[1] - S1D[0] + 1
N_MEHLER = SMEHLER[1] - SMEHLER[0] + 1


def _build_1d(act: Activation, bar=_NoBar()):
    idx = np.arange(S1D[0], S1D[1] + 1)
    qs = np.exp(idx * DS)
    out = np.empty((3, len(qs)))
    for j, q in enumerate(qs):
        for i, kind in enumerate(("V", "D", "W")):
            out[i, j] = kernels.one_d(act, kind, float(q))
        bar.update(1)
    return idx[0] * DS, out


def _hermite_coefficients(act: Activation, q: float, kmax: int) -> np.ndarray:
    """a_k = E[phi(sqrt(q) z) h_k(z)] for k <= kmax (trapezoid/Gauss-Legendre in z)."""
    from . import quadrature as quad

    band = 0.5 * math.sqrt(2.0 * kmax + 1.0)   # h_k oscillates with frequency <= sqrt(2k+1)
    z, w = quad.gaussian_nodes(q, act.kinks, extra_band=band)
    f = act.phi(math.sqrt(q) * z) * w
    return _numba_kernels().hermite_projections(f, z, kmax)


def _thread_map(fn, items, bar=_NoBar()) -> list:
    """[fn(x) for x in items] on up to 4 threads (the table kernels release the GIL); ``bar``
    advances by one as each item finishes."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    items = list(items)
    out = [None] * len(items)
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        futures = {pool.submit(fn, x): i for i, x in enumerate(items)}
        for f in as_completed(futures):
            out[futures[f]] = f.result()
            bar.update(1)
    return out


def _build_mehler(act: Activation, V: np.ndarray, D: np.ndarray, s0_1d: float, bar=_NoBar()):
    idx = np.arange(SMEHLER[0], SMEHLER[1] + 1)
    qs = np.exp(idx * DSM)
    a = np.zeros((len(qs), K_MAX + 1))
    tail0 = np.empty((len(qs), len(CHECKPOINTS)))
    tail1 = np.empty_like(tail0)
    k = np.arange(K_MAX + 1)

    def row(j):
        q = qs[j]
        i1 = int(round((idx[j] * DSM - s0_1d) / DS))   # the 1-D node at the same q
        kmax = 256
        while True:  # as many terms as the decay needs (smooth phi: few at small q)
            coef = _hermite_coefficients(act, float(q), kmax)
            if act.odd:
                coef[0::2] = 0.0
            b = coef ** 2
            converged = np.all(b[-16:] <= 1e-22 * V[i1])  # the |z| <= 10 truncation leaves a 1e-24 V floor
            if converged or kmax >= K_MAX:
                return coef, kmax, converged, i1
            kmax = min(4 * kmax, K_MAX)

    rows = _thread_map(row, range(len(qs)), bar)   # (the projections release the GIL)
    for j, q in enumerate(qs):
        coef, kmax, converged, i1 = rows[j]
        a[j, : kmax + 1] = coef
        b = a[j] ** 2
        # tails beyond each checkpoint K: sum_{K<k<=kmax} b_k (and k b_k); if the series did
        # not converge by K_MAX the unresolved remainder V - sum b_k is added (q too large)
        rest0 = 0.0 if converged else max(V[i1] - b.sum(), 0.0)
        rest1 = 0.0 if converged else max(q * D[i1] - (k * b).sum(), 0.0)
        c0 = np.cumsum(b[::-1])[::-1]          # c0[K] = sum_{k>=K} b_k
        c1 = np.cumsum((k * b)[::-1])[::-1]
        for m, K in enumerate(CHECKPOINTS):
            tail0[j, m] = (c0[K + 1] if K < K_MAX else 0.0) + rest0
            tail1[j, m] = (c1[K + 1] if K < K_MAX else 0.0) + rest1
    return idx[0] * DSM, a, tail0, tail1


def chebyshev_nodes(n: int) -> np.ndarray:
    """Chebyshev points of the first kind on [-1, 1]."""
    return np.cos(np.pi * (np.arange(n) + 0.5) / n)


def chebyshev_coefficients(values: np.ndarray) -> np.ndarray:
    """Coefficients c_m with f(x) = sum_m c_m T_m(x) interpolating values at chebyshev_nodes."""
    n = values.shape[-1]
    j = np.arange(n) + 0.5
    m = np.arange(n)[:, None]
    T = np.cos(np.pi * m * j[None, :] / n)
    c = (2.0 / n) * values @ T.T
    c[..., 0] *= 0.5
    return c


def _near_row(act: Activation, q: float):
    x = 0.5 * (chebyshev_nodes(NEAR_N) + 1.0)
    bm = float(near_bmax(q))
    breaks = near_breaks(act)
    npan = len(breaks) - 1
    coef = np.empty((npan, NEAR_N))
    err = np.empty(npan)
    for p in range(npan):
        lo, hi = breaks[p], breaks[p + 1]
        if lo == 0.0 and not act.smooth:
            # Delta/eps of a kinked phi loses ~1e-16/eps as eps -> 0: the segment-mean form
            from ._nearkinked import near_ratio_kinked

            vals = near_ratio_kinked(act, bm * (lo + (hi - lo) * x), q)
        elif act.smooth:
            vals = np.array([kernels.near_ratio(act, bm * (lo + (hi - lo) * t), q) for t in x])
        else:   # eps >= 2 (0.05 bm)^2 / q: Delta/eps keeps ~1e-12 or better
            eps = 2.0 * (bm * (lo + (hi - lo) * x)) ** 2 / q
            vals = np.array([kernels.two_d(act, "Delta", 1.0 - e, q) / e for e in eps])
        coef[p] = chebyshev_coefficients(vals)
        # size of the last coefficients: the interpolation error, relative to R
        err[p] = np.abs(coef[p, -4:]).max() / np.abs(vals).max()
    return coef, err


def _build_near(act: Activation, bar=_NoBar()):
    idx = np.arange(SNEAR[0], SNEAR[1] + 1)
    qs = np.exp(idx * DSM)
    rows = _thread_map(lambda q: _near_row(act, float(q)), qs, bar)
    coef = np.array([r[0] for r in rows])
    err = np.array([r[1] for r in rows])
    return idx[0] * DSM, coef, err


N_NEAR = SNEAR[1] - SNEAR[0] + 1
# relative cost of a row in the three stages (measured for tanh and elu; the bar's unit)
_COST = {"1d": 1, "mehler": 12, "near": 6}


def build_tables(act: Activation, progress: bool = False) -> Tables:
    """Build the tables of ``act`` (seconds to a few minutes; see the module docstring).

    With ``progress`` a tqdm bar on stderr counts the rows of the three stages, weighted by
    their typical cost, and estimates the time left."""
    bar = _NoBar()
    if progress:
        from tqdm.auto import tqdm

        total = N_1D * _COST["1d"] + N_MEHLER * _COST["mehler"] + N_NEAR * _COST["near"]
        bar = tqdm(total=total, desc=f"meanfield: tables for {act.name}", unit="", mininterval=1.0,
                   bar_format="{desc}: {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]")
    try:
        s0, one = _build_1d(act, _Weighted(bar, _COST["1d"]))
        sm, a, t0, t1 = _build_mehler(act, one[0], one[1], s0, _Weighted(bar, _COST["mehler"]))
        sn, near, near_err = _build_near(act, _Weighted(bar, _COST["near"]))
    finally:
        bar.close()
    at_zero = np.array([kernels.one_d(act, kind, 0.0) for kind in ("V", "D", "W")])
    return Tables(s0, one[0], one[1], one[2], sm, a, t0, t1, at_zero, act.odd, sn, near, near_err,
                  near_breaks(act))


class _Weighted:
    """Advance ``bar`` by ``weight`` per row."""

    def __init__(self, bar, weight):
        self.bar, self.weight = bar, weight

    def update(self, n=1):
        self.bar.update(n * self.weight)


def _key(act: Activation) -> str | None:
    from .activations import _BUILTINS

    if act.name in _BUILTINS and act.expr is None:
        return f"{act.name}-v{TABLE_VERSION}-K{K_MAX}"
    return None


def get_tables(act: Activation) -> Tables:
    """The tables of ``act``: from memory, from the disk cache, or built (and cached)."""
    key = _key(act)
    mem_key = key or f"id{id(act)}"
    if mem_key in _MEMORY:
        return _MEMORY[mem_key]
    path = cache_dir() / f"{key}.npz" if key else None
    tab = None
    for p in ([path, shipped_dir() / path.name] if path is not None else []):
        if p.exists():   # the user's cache first, then tables shipped with the package
            try:
                tab = _load(p)
                break
            except Exception:  # a partial or corrupt file is rebuilt, never used
                tab = None
    if tab is None:
        show = os.environ.get("MEANFIELD_PROGRESS", "1") != "0"
        if show:
            where = f"cached in {path}" if path is not None else "kept for this process"
            print(f"meanfield: building the tables of {act.name!r} once ({where}); "
                  "about 10-60 s for smooth activations, 1-3 min for kinked ones", file=sys.stderr, flush=True)
        tab = build_tables(act, progress=show)
        if path is not None:
            _save(path, tab)
    _MEMORY[mem_key] = tab
    return tab


def _load(path: Path) -> Tables:
    """Tables from an .npz written by :func:`_save` (0-d entries back to Python scalars)."""
    with np.load(path) as f:
        vals = {k: f[k] for k in Tables.__dataclass_fields__}
    for k, v in vals.items():
        if v.ndim == 0:
            vals[k] = v.item()
    return Tables(**vals)


def phase_tables(act: Activation):
    """The tables of ``act`` as the one argument of the compiled phase-diagram kernel
    (:class:`meanfield._phasekernels.PhaseTables`), built once per process."""
    from ._phasekernels import PhaseTables
    from ._solvers import d_limit

    key = _key(act) or f"id{id(act)}"
    if key not in _PHASE:
        t = get_tables(act)
        # dV/dq can fall by decades (sin: e^{-2q}); interpolate its log where it is positive
        w_log = bool(np.all(t.W >= 0))
        log_w = np.log(np.maximum(t.W, 1e-300))   # (values that underflowed stay ~0)
        _PHASE[key] = PhaseTables(
            s0=t.s0_1d, ds=DS, V=t.V, D=t.D, W=t.W, logW=log_w, w_log=w_log,
            at_zero=t.at_zero, d_lim=d_limit(act), odd=bool(act.odd),
            sm0=t.s0_m, dsm=DSM, A=t.a, tail0=t.tail0, tail1=t.tail1, checkpoints=CHECKPOINTS,
            sn0=t.s0_near, near=t.near, near_err=t.near_err, near_b=NEAR_B, near_breaks=t.near_breaks)
    return _PHASE[key]


def _save(path: Path, tab: Tables, compressed: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
    os.close(fd)
    try:
        with open(tmp, "wb") as fh:
            (np.savez_compressed if compressed else np.savez)(fh, **{k: getattr(tab, k) for k in Tables.__dataclass_fields__})
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _numba_kernels():
    from . import _tablekernels

    return _tablekernels


def main(argv=None) -> None:
    """``python -m meanfield.tables [--out DIR] [--compressed] [NAME ...]``: build (or take from
    the cache) the tables of the named built-ins (default: all that use tables) and write them
    to DIR (default: the cache). ``--out meanfield/data/tables --compressed`` before building a
    wheel ships them with the package."""
    import argparse
    import time

    from .activations import get_activation

    p = argparse.ArgumentParser(description=main.__doc__.splitlines()[0])
    p.add_argument("names", nargs="*", default=list(TABLE_ACTIVATIONS))
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--compressed", action="store_true")
    a = p.parse_args(argv)
    for name in a.names:
        act = get_activation(name)
        t0 = time.perf_counter()
        tab = get_tables(act)
        dt = time.perf_counter() - t0
        if a.out is not None:
            a.out.mkdir(parents=True, exist_ok=True)
            out = a.out / f"{_key(act)}.npz"
            _save(out, tab, compressed=a.compressed)
            print(f"{name}: {dt:.1f} s, {out} {out.stat().st_size / 1e6:.1f} MB", flush=True)
        else:
            print(f"{name}: {dt:.1f} s", flush=True)


if __name__ == "__main__":
    main()
