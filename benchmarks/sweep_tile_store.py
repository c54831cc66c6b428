"""Store size of sweep.tiled_phase_diagram (issue 18: a 4096^2 tanh grid wrote 641 MiB).

Computes a few full-resolution tiles of the issue's grid (sigma_w2 in [0.1, 4], sigma_b2 in
[0, 0.3], 4096 x 4096 points, tiles of 512 x 512) with the real meanfield.phase_diagram,
stores each in every layout through the sweep store, and extrapolates the bytes on disk to
all 64 tiles. Baseline: the old layout (float64, uncompressed) in the same process. Also
prints the time to encode a tile against the time to compute it, and the largest relative
rounding error of float32.

    OMP_NUM_THREADS=1 python benchmarks/sweep_tile_store.py [--n 4096] [--tile 512] [--samples 4]

(from a source checkout without installing: PYTHONPATH=. python benchmarks/...)
"""
import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from expressivity.sweep import Store  # noqa: E402
from expressivity.sweep.phase_tiles import FIELDS, _phase_tile, decode, encode  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=4096)
    p.add_argument("--tile", type=int, default=512)
    p.add_argument("--samples", type=int, default=4, help="tiles computed (spread over the grid)")
    args = p.parse_args()
    n, t = args.n, args.tile
    sw, sb = np.linspace(0.1, 4.0, n), np.linspace(0.0, 0.3, n)
    k = -(-n // t)
    picks = [(i * (k - 1) // max(1, args.samples - 1), j * (k - 1) // max(1, args.samples - 1))
             for i, j in zip(range(args.samples), reversed(range(args.samples)))]
    layouts = [("float64, uncompressed (before)", "float64", False), ("float64, compressed", "float64", True),
               ("float32, uncompressed", "float32", False), ("float32, compressed (default)", "float32", True)]
    fixed = dict(activation="tanh", sigma_w2=sw, sigma_b2=sb, tile=(t, t))
    _phase_tile(0, 0, **dict(fixed, sigma_w2=sw[:8], sigma_b2=sb[:8], tile=(8, 8)))  # tables, compile
    sizes = {name: 0 for name, _, _ in layouts}
    times = {name: 0.0 for name, _, _ in layouts}
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        for i, j in picks:
            t0 = time.perf_counter()
            exact = _phase_tile(i, j, **fixed)
            t_compute = time.perf_counter() - t0
            for name, dtype, compress in layouts:
                fields = _phase_tile(i, j, **fixed, dtype=dtype, compress=compress)
                if compress:  # the encoding alone, timed on the computed tile
                    t0 = time.perf_counter()
                    for f in FIELDS:
                        encode(exact[f].astype(dtype))
                    times[name] += time.perf_counter() - t0
                store = Store(Path(tmp) / name.split(" (")[0].replace(", ", "_"), fsync=False)
                sizes[name] += store.write(f"t{i}_{j}", fields, {}).stat().st_size
                if dtype == "float32":
                    for f in FIELDS:
                        arr = decode(fields[f], dtype, (t, t)) if compress else fields[f]
                        ok = np.isfinite(exact[f]) & (exact[f] != 0)
                        worst = max(worst, float(np.max(np.abs(arr[ok] / exact[f][ok] - 1), initial=0)))
            print(f"tile ({i}, {j}): computed in {t_compute:.2f} s")
            times.setdefault("compute", 0.0)
            times["compute"] += t_compute
    base = sizes[layouts[0][0]]
    scale = k * k / len(picks)
    print(f"\n== {n} x {n} tanh grid in {k} x {k} tiles of {t} x {t} (extrapolated from {len(picks)} tiles) ==")
    print(f"{'layout':34s} {'MB on disk':>11s} {'MiB':>8s} {'ratio':>7s} {'encode s/tile':>14s} {'of compute':>11s}")
    for name, _, _ in layouts:
        total = sizes[name] * scale
        enc = times[name] / len(picks)
        print(f"{name:34s} {total / 1e6:11.1f} {total / 2**20:8.1f} {base / sizes[name]:7.2f} {enc:14.3f} "
              f"{enc / (times['compute'] / len(picks)):10.0%}")
    print(f"float32 rounding: largest relative error {worst:.2e} (2^-24 = {2.0 ** -24:.2e})")


if __name__ == "__main__":
    main()
