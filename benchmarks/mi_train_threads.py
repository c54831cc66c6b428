"""mi.train steps with the default BLAS thread cap (threads=1) and with it lifted (threads=None).

Issue 18: on a loaded 2-core machine OpenBLAS with its default thread count made 1000 MI
training steps take 62 s instead of 1.5 s (threads busy-wait for cores other processes hold).
The training entry points now run inside ``expressivity.training.blas_threads(threads)``
with ``threads=1`` by default. This script starts BLAS with its own default pool (it clears
OMP_NUM_THREADS and friends before numpy loads) and times the same short training run both
ways, interleaved, in wall-clock time (what oversubscription costs). The ratio is
lifted / capped; > 1 means the cap helps. The result depends on the machine's load.

    python benchmarks/mi_train_threads.py [--steps 200] [--rounds 3]
"""
import os
import sys

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ.pop(_v, None)
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from expressivity import mi  # noqa: E402


def run(steps, threads):
    t0 = time.perf_counter()
    res = mi.train("infonce", "separable", mi=2.0, steps=steps, batch_size=64, dim=20, seed=0,
                   progress=False, threads=threads)
    return time.perf_counter() - t0, res


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--rounds", type=int, default=3)
    a = p.parse_args()
    from threadpoolctl import threadpool_info

    pools = [(i["internal_api"], i["num_threads"]) for i in threadpool_info()]
    print(f"BLAS/OpenMP pools at start: {pools}; {os.cpu_count()} CPUs; "
          f"load average {os.getloadavg()[0]:.2f}")
    run(5, 1)  # warm up (imports, first allocations)
    times = {1: [], None: []}
    ests = {}
    for _ in range(a.rounds):
        for threads in (1, None):
            t, res = run(a.steps, threads)
            times[threads].append(t)
            ests[threads] = res.estimates
    np.testing.assert_array_equal(ests[1].shape, ests[None].shape)
    capped, lifted = min(times[1]), min(times[None])
    print(f"mi.train InfoNCE, separable critic, K=64, dim 20, float32, {a.steps} steps, best of {a.rounds} (wall clock):")
    print(f"  threads=1 (default cap)   {capped:7.3f} s  ({1e3 * capped / a.steps:.2f} ms/step)")
    print(f"  threads=None (lifted)     {lifted:7.3f} s  ({1e3 * lifted / a.steps:.2f} ms/step)"
          f"   ratio lifted/capped: {lifted / capped:.2f}x")


if __name__ == "__main__":
    main()
