"""Benchmark: expressivity.propagate_circle against a bare numpy loop doing the same products.

Width 1000, depth 40, 500 angles; value, velocity and acceleration stacked as one (1500, 1000)
batch per layer, so 39 products (1500 x 1000) @ (1000 x 1000). Target: ratio <= 1.25 against
the products alone, in the same process.

The baseline is the strongest bare loop we know: the weights are drawn before the clock
starts and the products write into two preallocated buffers (``np.matmul(..., out=)``), so it
pays for nothing but BLAS. A second baseline also draws its weights with numpy
(``rng.standard_normal`` into one buffer, then scaled), the work propagate_circle cannot skip.

Two thread settings, each applied to BOTH contenders alike:
  * pinned:  BLAS limited to one thread (threadpoolctl) and numba.set_num_threads(1);
             propagate_circle then runs on one core, start to end.
  * default: BLAS and numba at the machine's default thread counts, for both.
propagate_circle starts no thread of its own (drawing the next layer's weights in an extra
thread was tried and measured ~10 % slower on this shared 2-core machine: the BLAS threads and
other processes compete for the same cores), so neither contender has a core the other lacks.
Rounds are interleaved (ours, products, products + draws, ours, ...) so that load from other
processes hits all alike; we print the best of ``--repeat`` wall-clock times and the median of
the per-round ratios. In the pinned setting the process CPU time (one thread: the work done,
less sensitive to other processes) follows in [brackets].

    python benchmarks/propagate_circle.py [--width 1000 --depth 40 --points 500 --repeat 3]
                                          [--settings pinned default]
"""
import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import expressivity as ex  # noqa: E402


def products_only(Ws, S):
    """The bare loop: the same products, ping-ponging between two preallocated buffers."""
    bufs = (np.empty_like(S), np.empty_like(S))
    t0, c0 = time.perf_counter(), time.process_time()
    Z = S
    for i, W in enumerate(Ws):
        Z = np.matmul(Z, W.T, out=bufs[i % 2])
    return time.perf_counter() - t0, time.process_time() - c0


def products_and_draws(width, depth, S, seed):
    """The bare loop that also draws its Gaussian weights (numpy, one reused buffer)."""
    rng = np.random.default_rng(seed)
    W = np.empty((width, width))
    bufs = (np.empty_like(S), np.empty_like(S))
    t0, c0 = time.perf_counter(), time.process_time()
    Z = S
    for i in range(depth - 1):
        rng.standard_normal(out=W)
        W *= np.sqrt(6.25 / width)
        rng.standard_normal(width)
        Z = np.matmul(Z, W.T, out=bufs[i % 2])
    return time.perf_counter() - t0, time.process_time() - c0


def ours(width, depth, points, seed):
    t0, c0 = time.perf_counter(), time.process_time()
    ex.propagate_circle("tanh", 2.5 ** 2, 0.09, width, depth, n_points=points, seed=seed)
    return time.perf_counter() - t0, time.process_time() - c0


def run(setting, a):
    import numba
    from threadpoolctl import threadpool_info, threadpool_limits

    default_numba = numba.config.NUMBA_NUM_THREADS
    limit = 1 if setting == "pinned" else None
    with threadpool_limits(limits=limit, user_api="blas"):
        numba.set_num_threads(1 if setting == "pinned" else default_numba)
        blas = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
        rng = np.random.default_rng(0)
        S = rng.standard_normal((3 * a.points, a.width))
        Ws = [rng.standard_normal((a.width, a.width)) / np.sqrt(a.width)
              for _ in range(a.depth - 1)]
        times = {"ours": [], "products": [], "draws": []}
        for r in range(a.repeat):
            times["ours"].append(ours(a.width, a.depth, a.points, r))
            times["products"].append(products_only(Ws, S))
            times["draws"].append(products_and_draws(a.width, a.depth, S, r))
        numba.set_num_threads(default_numba)
    t = {k: np.array(v) for k, v in times.items()}   # (repeat, 2): wall, process CPU
    print(f"[{setting}: BLAS threads {blas}, numba threads "
          f"{1 if setting == 'pinned' else default_numba}]  best of {a.repeat}, wall clock"
          + ("; [process CPU time]" if setting == "pinned" else ""))

    def line(label, k):
        o, b = t["ours"][:, 0], t[k][:, 0]
        out = (f"  {label}: {b.min():.3f} s -> ratio {o.min() / b.min():.3f} "
               f"(median paired {np.median(o / b):.3f})")
        if setting == "pinned":  # one thread: CPU time is the work, and robust to other load
            oc, bc = t["ours"][:, 1], t[k][:, 1]
            out += f"; [{bc.min():.3f} s -> ratio {oc.min() / bc.min():.3f}]"
        return out

    ours_line = f"  propagate_circle (width {a.width}, depth {a.depth}, {a.points} points, " \
                f"value+velocity+acceleration, weights drawn, all measures): " \
                f"{t['ours'][:, 0].min():.3f} s"
    if setting == "pinned":
        ours_line += f"; [{t['ours'][:, 1].min():.3f} s]"
    print(ours_line)
    print(line(f"bare loop, the same {a.depth - 1} products ({3 * a.points}x{a.width} @ "
               f"{a.width}x{a.width}) only", "products") + "  target <= 1.25")
    print(line("bare loop that also draws its Gaussian weights (numpy)", "draws"))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--width", type=int, default=1000)
    p.add_argument("--depth", type=int, default=40)
    p.add_argument("--points", type=int, default=500)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--settings", nargs="+", choices=["pinned", "default"],
                   default=["pinned", "default"])
    a = p.parse_args()
    ours(300, 3, 20, 0)  # warm up first (imports, compiled kernels), so every BLAS is limited
    for setting in a.settings:
        run(setting, a)


if __name__ == "__main__":
    main()
