"""Shared timing helpers for the autodiff benchmarks (pin BLAS to one thread first)."""
import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
           "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_v] = "1"

import time  # noqa: E402

import numpy as np  # noqa: E402

try:  # belt and braces: also limit an already-initialised BLAS
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)
except Exception:  # pragma: no cover - threadpoolctl is optional
    pass


def time_interleaved(fns: dict, n_steps=50, rounds=7, warmup=10, clock=time.process_time):
    """Best-of-``rounds`` mean seconds per call of each zero-argument function; rounds are
    interleaved so that load from other processes hits all contenders alike. The default
    clock is this process's CPU time (the benchmark machine is shared; with one BLAS thread
    CPU time equals wall time on an idle machine and is far less noisy on a busy one)."""
    for f in fns.values():
        for _ in range(warmup):
            f()
    best = {k: np.inf for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            t0 = clock()
            for _ in range(n_steps):
                f()
            best[k] = min(best[k], (clock() - t0) / n_steps)
    return best


def report(title, times, baseline):
    print(title)
    b = times[baseline]
    for k, t in times.items():
        print(f"  {k:<34s} {t * 1e3:9.3f} ms/step   ratio vs {baseline}: {t / b:5.2f}x")
