"""Benchmark: the q-independent large-q quadrature against the z-trapezoid it replaced.

For q beyond the tables (1-D: q > 1e6; 2-D: q > 1e3) meanfield integrates in the
pre-activation on panels graded around the activation's features (meanfield._largeq). The
baseline, run in the same process, is the uniform trapezoid in z = u / sqrt(q) of
meanfield.quadrature (what the library used before), with ~40 sqrt(q) nodes a direction; it
is run only where it fits in memory. Accuracy: erf, whose kernels have closed forms (Williams
1997), evaluated in 60-digit arithmetic (mpmath), with its closed forms switched off so that
both quadratures run. Memory: peak of numpy allocations (tracemalloc).

    python benchmarks/meanfield_largeq.py [--repeat 3]
"""
import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

import mpmath as mp  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import meanfield as mf  # noqa: E402
from meanfield import _largeq, quadrature  # noqa: E402

mp.mp.dps = 60


def timed(fn, repeat):
    best, peak, out = math.inf, 0, None
    for _ in range(repeat):
        tracemalloc.start()
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
        peak = max(peak, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    return out, best, peak / 2 ** 20


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    erf = dataclasses.replace(mf.get_activation("erf"), closed_form=None, _compiled={})
    _largeq.one_d(erf, "V", 1e8), _largeq.two_d(erf, "C", 0.3, 1e4)   # compile
    print("1-D V(q) = E[erf(sqrt(q) z)^2]            time        peak numpy    relative error")
    for q in (1e6, 1e8, 1e10, 1e12, 1e100, 1e300):
        Q = mp.mpf(q)
        ref = 2 / mp.pi * mp.asin(2 * Q / (1 + 2 * Q))
        v, t, m = timed(lambda: _largeq.one_d(erf, "V", q), a.repeat)
        line = f"  q = {q:7.0e}  graded   {t * 1e3:8.2f} ms  {m:8.2f} MB  {abs(v - float(ref)) / float(ref):.1e}"
        if q <= 1e10:
            vb, tb, mb = timed(lambda: quadrature.expect(lambda x: erf.phi(x) ** 2, q), a.repeat)
            line += (f"   | trapezoid {tb * 1e3:8.2f} ms {mb:8.1f} MB {abs(vb - float(ref)) / float(ref):.1e}"
                     f"  -> {tb / t:,.0f}x faster, {mb / max(m, 1e-3):,.0f}x less memory")
        print(line, flush=True)
    print("2-D C(c, q) = E[erf(u1) erf(u2)], c = 0.3")
    for q in (2e3, 1e4, 1e6, 1e12, 1e300):
        Q, c = mp.mpf(q), 0.3
        ref = 2 / mp.pi * mp.asin(2 * Q * mp.mpf(c) / (1 + 2 * Q))
        v, t, m = timed(lambda: _largeq.two_d(erf, "C", c, q), a.repeat)
        line = f"  q = {q:7.0e}  graded   {t * 1e3:8.1f} ms  {m:8.2f} MB  {abs(v - float(ref)) / float(ref):.1e}"
        if q <= 1e4:
            vb, tb, mb = timed(lambda: quadrature.expect_pair_smooth(erf.phi, c, q), 1)
            line += (f"   | trapezoid {tb * 1e3:8.1f} ms {mb:8.1f} MB {abs(vb - float(ref)) / float(ref):.1e}"
                     f"  -> {tb / t:,.1f}x faster, {mb / max(m, 1e-3):,.0f}x less memory")
        print(line, flush=True)
    print("public calls of issue 19 (tanh; before: see the issue)")
    for label, fn in [("length_map(1e12)", lambda: mf.length_map(1e12, "tanh", 1.0, 0.0)),
                      ("length_map(1e14)", lambda: mf.length_map(1e14, "tanh", 1.0, 0.0)),
                      ("q_star(1e10, 0)", lambda: mf.q_star("tanh", 1e10, 0.0)),
                      ("c_star(1e5, 1)", lambda: mf.c_star("tanh", 1e5, 1.0)),
                      ("c_star(1e6, 1)", lambda: mf.c_star("tanh", 1e6, 1.0)),
                      ("depth_scales(5e8, 0)", lambda: mf.depth_scales("tanh", 5e8, 0.0)),
                      ("phase_diagram([1e5, 1e6], [1])", lambda: mf.phase_diagram("tanh", [1e5, 1e6], [1.0]).c_star)]:
        _, t, m = timed(fn, 1)
        print(f"  {label:32s} {t:7.2f} s  {m:7.1f} MB", flush=True)


if __name__ == "__main__":
    main()
