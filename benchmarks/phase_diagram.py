"""Benchmark: a 1024 x 1024 tanh phase diagram against a plain numpy Gauss-Hermite solver.

Ours: ``meanfield.phase_diagram`` (all five fields q*, chi1, c*, xi_q, xi_c) on 1024 x 1024
points of Poole's range sigma_w in [1, 5], sigma_b in [0, 4] (variances on the grid), timed
after one warm-up call (numba compiled, tables loaded from the disk cache).

Baseline: what one writes without tables -- per grid point, fixed-point iteration of the
length map for q* and of the correlation map for c*, with expectations by Gauss-Hermite
quadrature (``scipy.special.roots_hermitenorm``, NODES nodes; 2-D by tensor product; the
c-map is iterated only where chi1 > 1, c* = 1 otherwise), chi1,
xi_q and xi_c from the same rules, vectorised with numpy over the nodes. It runs on an 8 x 8
sub-grid of the same grid (every 128th point), so the accuracy of the baseline against our
values is printed too.

    python benchmarks/phase_diagram.py [--n 1024] [--sub 8] [--nodes 200] [--repeat 3]

BLAS is pinned to one thread; numba uses its default threads (the machine's cores).
"""
import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import argparse  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from scipy.special import roots_hermitenorm  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import meanfield as mf  # noqa: E402


class GaussHermiteTanh:
    """Straightforward mean-field solver for tanh: fixed-point iterations, GH expectations."""

    def __init__(self, nodes=200, tol=1e-12, max_iter=2000):
        z, wt = roots_hermitenorm(nodes)
        self.z, self.wt = z, wt / math.sqrt(2 * math.pi)
        self.z1, self.z2 = np.meshgrid(z, z, indexing="ij")
        self.w2 = np.outer(self.wt, self.wt)
        self.tol, self.max_iter = tol, max_iter

    def E(self, f):
        return float(self.wt @ f)

    def E2(self, f):
        return float(np.sum(self.w2 * f))

    def point(self, w, b):
        z = self.z
        q = 1.0
        for _ in range(self.max_iter):   # q* by iterating the length map
            q_new = w * self.E(np.tanh(math.sqrt(q) * z) ** 2) + b
            done = abs(q_new - q) <= self.tol * max(q, 1e-300)
            q = q_new
            if done:
                break
        if q <= 1e-300:
            return (0.0,) + (math.nan,) * 4
        u = math.sqrt(q) * z
        t = np.tanh(u)
        d1 = 1 - t ** 2                 # phi'
        d2 = -2 * t * d1                # phi''
        chi1 = w * self.E(d1 ** 2)
        slope_q = w * self.E(d1 ** 2 + t * d2)  # sigma_w2 dV/dq (Gaussian integration by parts)
        xi_q = -1 / math.log(slope_q) if slope_q > 0 else math.nan  # GH can miss the sign at large q
        u1 = math.sqrt(q) * self.z1
        c = 1.0 if chi1 <= 1 else 0.5   # ordered phase: c* = 1; else iterate the c-map at q*
        for _ in range(self.max_iter if chi1 > 1 else 0):
            u2 = math.sqrt(q) * (c * self.z1 + math.sqrt(max(0.0, 1 - c * c)) * self.z2)
            c_new = (w * self.E2(np.tanh(u1) * np.tanh(u2)) + b) / q
            c_new = min(c_new, 1.0)
            done = abs(c_new - c) <= self.tol
            c = c_new
            if done:
                break
        u2 = math.sqrt(q) * (c * self.z1 + math.sqrt(max(0.0, 1 - c * c)) * self.z2)
        slope_c = w * self.E2((1 - np.tanh(u1) ** 2) * (1 - np.tanh(u2) ** 2))
        xi_c = -1 / math.log(slope_c) if 0 < slope_c != 1 else (math.inf if slope_c == 1 else math.nan)
        return q, chi1, c, xi_q, xi_c


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1024)
    p.add_argument("--sub", type=int, default=8)
    p.add_argument("--nodes", type=int, default=200)
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    w = np.linspace(1.0, 5.0, a.n) ** 2
    b = np.linspace(0.0, 4.0, a.n) ** 2

    t0 = time.perf_counter()
    mf.phase_diagram("tanh", w[:: max(1, a.n // 16)], b[:: max(1, a.n // 16)])
    print(f"warm-up (compile or load numba cache, load or build tables): {time.perf_counter() - t0:.2f} s")
    times, cpu = [], []
    for _ in range(a.repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        pd = mf.phase_diagram("tanh", w, b)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    ours = min(times)
    n_pts = a.n * a.n
    print(f"meanfield.phase_diagram tanh {a.n}x{a.n} (q*, chi1, c*, xi_q, xi_c): {ours:.3f} s "
          f"(best of {a.repeat}; all: {', '.join(f'{t:.3f}' for t in times)}), "
          f"{ours / n_pts * 1e6:.3f} us/point, {pd.n_fallback} points by direct quadrature; "
          f"process CPU time {min(cpu):.3f} s over all threads (wall time is inflated on a shared machine)",
          flush=True)

    idx = np.linspace(0, a.n - 1, a.sub).round().astype(int)
    gh = GaussHermiteTanh(a.nodes)
    base = np.empty((a.sub, a.sub, 5))
    t0 = time.perf_counter()
    for i, iw in enumerate(idx):
        for j, ib in enumerate(idx):
            base[i, j] = gh.point(w[iw], b[ib])
    tb = time.perf_counter() - t0
    per_base = tb / a.sub ** 2
    per_ours = ours / n_pts
    print(f"numpy Gauss-Hermite baseline ({a.nodes} nodes, {a.nodes}^2 in 2-D, fixed-point iteration) "
          f"on {a.sub}x{a.sub} points: {tb:.2f} s, {per_base * 1e3:.2f} ms/point")
    print(f"speed-up per point: {per_base / per_ours:,.0f}x")

    print("baseline accuracy against meanfield on the sub-grid (relative |base - ours| / |ours|):")
    for k, field in enumerate(pd.FIELDS):
        ours_f = getattr(pd, field)[np.ix_(idx, idx)]
        bf = base[..., k]
        ok = np.isfinite(ours_f) & np.isfinite(bf) & (np.abs(ours_f) > 0)
        if field == "c_star":  # compare 1 - c (c* = 1 in the ordered phase)
            ours_f, bf = 1 - ours_f, 1 - bf
            ok &= np.abs(ours_f) > 0
        err = np.abs(bf[ok] - ours_f[ok]) / np.abs(ours_f[ok])
        n_bad = int((~ok).sum())
        print(f"  {field if field != 'c_star' else '1 - c*':8s} median {np.median(err):.1e}  max {err.max():.1e}"
              f"  ({ok.sum()} points; {n_bad} skipped: zero/inf/NaN)")


if __name__ == "__main__":
    main()
