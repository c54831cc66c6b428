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

_ROUNDS = {}


def relu_mlp_forward(layers, x):
    """Hand-written baseline: activations of a ReLU MLP (linear last layer), in place."""
    hs = [x]
    h = x
    n = len(layers)
    for i, l in enumerate(layers):
        z = h @ l["W"]
        z += l["b"]
        if i < n - 1:
            np.maximum(z, 0, out=z)
        hs.append(z)
        h = z
    return hs


# CPU time of this process by default; BENCH_WALL=1 switches to wall-clock time.
_CLOCK = time.perf_counter if os.environ.get("BENCH_WALL") == "1" else time.process_time


def time_interleaved(fns: dict, n_steps=50, rounds=7, warmup=10, clock=None):
    """Best-of-``rounds`` mean seconds per call of each zero-argument function.

    Rounds are interleaved (A, B, A, B, ...) so that load from other processes hits all
    contenders alike; the per-round times are kept for :func:`report`'s paired ratios. The
    default clock is this process's CPU time: with one BLAS thread it equals wall time on an
    idle machine and is much less noisy on a shared one.
    """
    clock = clock or _CLOCK
    for f in fns.values():
        for _ in range(warmup):
            f()
    per_round = {k: [] for k in fns}
    for _ in range(rounds):
        for k, f in fns.items():
            t0 = clock()
            for _ in range(n_steps):
                f()
            per_round[k].append((clock() - t0) / n_steps)
    _ROUNDS.clear()
    _ROUNDS.update(per_round)
    return {k: min(v) for k, v in per_round.items()}


def report(title, times, baseline):
    """Print best-of times, their ratio to ``baseline`` and the median of per-round ratios."""
    print(title + ("  [wall clock]" if _CLOCK is time.perf_counter else "  [process CPU time]"))
    b = times[baseline]
    for k, t in times.items():
        line = f"  {k:<36s} {t * 1e3:9.3f} ms/step   ratio vs {baseline}: {t / b:5.2f}x"
        if k != baseline and k in _ROUNDS and baseline in _ROUNDS:
            paired = np.median(np.array(_ROUNDS[k]) / np.array(_ROUNDS[baseline]))
            line += f"  (median of paired rounds {paired:4.2f}x)"
        print(line)
