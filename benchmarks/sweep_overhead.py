"""Sweep overhead per cell and 1 -> 2 worker scaling (issue 7; target: <= 5 ms per cell).

Baseline: the same function called directly in a loop in this process. A sweep adds, per
cell: a claim file (created exclusively before the cell runs, removed after; what lets
several drivers share a store), pickling to a worker and back, writing one verified .npz
file atomically (fsync), and the progress bookkeeping. The overhead per cell is (sweep time
- direct time) / cells; on a shared machine the driver's CPU time per cell is the steadier
figure.
Scaling: a CPU-bound cell (~0.1 s of pure Python) on 1 and 2 local worker processes.

    OMP_NUM_THREADS=1 python benchmarks/sweep_overhead.py [--cells 2000] [--cpu-cells 16]

(from a source checkout without installing: PYTHONPATH=. python benchmarks/...)
"""
import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import argparse  # noqa: E402
import math  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from expressivity import sweep  # noqa: E402


def cheap(x, seed):
    """A cell that costs microseconds: the sweep machinery is all that is measured."""
    return {"y": x * 0.5 + seed, "v": np.full(4, float(x))}


def cpu_bound(x, seed, n=300_000):
    """~0.1 s of pure-Python arithmetic (holds the GIL; scales only with processes)."""
    acc = 0.0
    for i in range(n):
        acc += math.sin(i * 1e-3 + x + seed)
    return {"acc": acc}


def _time(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _time_cpu(fn):
    """(wall seconds, CPU seconds of this process): CPU time is robust on a loaded machine."""
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cells", type=int, default=2000)
    p.add_argument("--cpu-cells", type=int, default=16)
    args = p.parse_args()
    n = args.cells
    grid = sweep.Grid(x=list(range(n // 2)), seeds=2)
    n = len(grid)
    print(f"cores available: {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()}")

    def direct():
        for _, params in grid:
            cheap(**params)

    t_direct = _time(direct)
    print(f"\n== overhead per cell ({n} cells of a ~{1e6 * t_direct / n:.1f} us function) ==")
    print(f"{'mode':48s} {'total s':>8s} {'ms/cell':>8s} {'overhead ms/cell':>17s} {'ratio':>8s} "
          f"{'driver CPU ms/cell':>19s}")
    print(f"{'direct loop in this process (baseline)':48s} {t_direct:8.3f} {1e3 * t_direct / n:8.4f} {'-':>17s} {1.0:8.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        cases = [
            ("in-process, fsync", dict(executor="inprocess"), True),
            ("in-process, no fsync", dict(executor="inprocess"), False),
            ("local processes (default), fsync", dict(executor=None), True),
            ("local processes (default), no fsync", dict(executor=None), False),
            ("local processes, chunksize=32, fsync", dict(executor=None, chunksize=32), True),
        ]
        for i, (label, kw, fsync) in enumerate(cases):
            store = sweep.Store(Path(tmp) / f"s{i}", fsync=fsync)
            t, cpu = _time_cpu(lambda: sweep.run(cheap, grid, store, progress=False, **kw))
            print(f"{label:48s} {t:8.3f} {1e3 * t / n:8.4f} {1e3 * (t - t_direct) / n:17.3f} {t / t_direct:8.1f} "
                  f"{1e3 * cpu / n:19.3f}")
        floor = Path(tmp) / "floor"
        floor.mkdir()

        def create_files():
            for i in range(n):
                with open(floor / f".{i}.tmp", "wb") as fh:
                    fh.write(b"x" * 1000)
                os.replace(floor / f".{i}.tmp", floor / f"{i}.npz")

        t = _time(create_files)
        print(f"{'(filesystem floor: create+rename a 1 KB file)':48s} {t:8.3f} {1e3 * t / n:8.4f}")
        store = sweep.Store(Path(tmp) / "s0")
        t, cpu = _time_cpu(lambda: sweep.run(cheap, grid, store, progress=False, executor="inprocess"))
        print(f"{'resume with nothing to do (verify + load)':48s} {t:8.3f} {1e3 * t / n:8.4f} "
              f"{1e3 * (t - t_direct) / n:17.3f} {t / t_direct:8.1f} {1e3 * cpu / n:19.3f}")

        m = args.cpu_cells
        cgrid = sweep.Grid(x=list(range(m // 2)), seeds=2)
        t_cell = _time(lambda: cpu_bound(0, 0))
        print(f"\n== scaling: {len(cgrid)} CPU-bound cells of {t_cell:.3f} s each ==")
        t_loop = _time(lambda: [cpu_bound(**prm) for _, prm in cgrid])
        times = {}
        for workers in (1, 2):
            store = sweep.Store(Path(tmp) / f"cpu{workers}")
            times[workers] = _time(lambda: sweep.run(cpu_bound, cgrid, store, executor=workers, progress=False))
        print(f"direct loop in this process: {t_loop:.3f} s")
        print(f"1 worker:  {times[1]:.3f} s  ({times[1] / t_loop:.3f} x the direct loop)")
        print(f"2 workers: {times[2]:.3f} s")
        print(f"speed-up 1 -> 2 workers: {times[1] / times[2]:.2f} x (ideal 2.00; the machine is shared)")


if __name__ == "__main__":
    main()
