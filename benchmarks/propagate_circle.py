"""Benchmark: expressivity.propagate_circle against a bare numpy loop doing the same products.

Width 1000, depth 40, 500 angles; value, velocity and acceleration stacked as one (1500, 1000)
batch per layer. The baseline does exactly the matrix products (and nothing else) on the same
shapes in the same process; the target is a ratio <= 1.25. BLAS is pinned to one thread.

    python benchmarks/propagate_circle.py [--width 1000 --depth 40 --points 500 --repeat 3]
"""
import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import expressivity as ex  # noqa: E402


def bare_loop(width, depth, n_points, seed=0):
    """(seconds for the products alone, seconds including drawing the Gaussian weights)."""
    rng = np.random.default_rng(seed)
    S = rng.standard_normal((3 * n_points, width))
    t0 = time.perf_counter()
    Ws = [rng.standard_normal((width, width)) / np.sqrt(width) for _ in range(depth - 1)]
    t1 = time.perf_counter()
    for W in Ws:
        S = S @ W.T
    t2 = time.perf_counter()
    return t2 - t1, t2 - t0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--width", type=int, default=1000)
    p.add_argument("--depth", type=int, default=40)
    p.add_argument("--points", type=int, default=500)
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    ex.propagate_circle("tanh", 2.5 ** 2, 0.09, 50, 3, n_points=20)  # warm up imports
    ours, base, base_draw = [], [], []
    for r in range(a.repeat):
        t0 = time.perf_counter()
        ex.propagate_circle("tanh", 2.5 ** 2, 0.09, a.width, a.depth, n_points=a.points, seed=r)
        ours.append(time.perf_counter() - t0)
        b, bd = bare_loop(a.width, a.depth, a.points, seed=r)
        base.append(b)
        base_draw.append(bd)
    o, b, bd = min(ours), min(base), min(base_draw)
    print(f"propagate_circle (width {a.width}, depth {a.depth}, {a.points} points, value+velocity+"
          f"acceleration, weights drawn, all measures): {o:.3f} s (best of {a.repeat})")
    print(f"bare numpy loop, the same {a.depth - 1} products ({3 * a.points}x{a.width} @ "
          f"{a.width}x{a.width}) only: {b:.3f} s -> ratio {o / b:.3f}")
    print(f"bare numpy loop that also draws its Gaussian weights: {bd:.3f} s -> ratio {o / bd:.3f}"
          "  (target <= 1.25)")


if __name__ == "__main__":
    main()
