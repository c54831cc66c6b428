"""Benchmark: exact region walking (transitions per second) against dense sampling.

A chaotic hard-tanh network (sigma_w2 = 16, sigma_b2 = 0, width 200, depth 8) and one great
circle in its input space: the walker counts every transition exactly (> 1e5 of them). The
baseline samples the circle at n points in the same process (one forward pass) and counts
pattern changes between samples: it is cheaper per point but misses transitions.

    python benchmarks/region_walk.py [--width 200 --depth 8 --samples 64000]
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
from expressivity import curves, networks, regions  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--width", type=int, default=200)
    p.add_argument("--depth", type=int, default=8)
    p.add_argument("--sigma_w2", type=float, default=16.0)
    p.add_argument("--samples", type=int, default=64000)
    a = p.parse_args()
    net = networks.random_network(a.width, a.width, a.depth, "hard_tanh", a.sigma_w2, 0.0, seed=1)
    u0, u1 = curves.orthonormal_pair(a.width, 0)
    r = np.sqrt(a.width)
    small = networks.random_network(5, 5, 2, "hard_tanh", 4.0, 0.0, seed=0)  # compile / load cache
    regions.walk_circle(small, *curves.orthonormal_pair(5, 0))
    t0 = time.perf_counter()
    w = regions.walk_circle(net, u0, u1, radius=r)
    t_walk = time.perf_counter() - t0
    n = int(w.transitions.sum())
    print(f"exact walk: {n} transitions, {w.n_patterns} patterns, {len(w.output_sign_changes)} "
          f"output sign changes in {t_walk:.2f} s = {n / t_walk:,.0f} transitions/s")
    theta = 2 * np.pi * np.arange(a.samples) / a.samples
    X = r * (np.cos(theta)[:, None] * u0 + np.sin(theta)[:, None] * u1)
    X = np.vstack([X, X[:1]])
    t0 = time.perf_counter()
    per_layer, _, _ = regions.sampled_counts(net, X)
    t_s = time.perf_counter() - t0
    print(f"dense sampling at {a.samples} points: {int(per_layer.sum())} transitions found "
          f"({per_layer.sum() / n:.1%} of exact) in {t_s:.2f} s")
    print(f"time ratio walk / sampling: {t_walk / t_s:.2f}")


if __name__ == "__main__":
    main()
