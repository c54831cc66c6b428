"""Cost of the full Schoenholz trainability grid (expressivity-figures, 13 depths x 13 sigma_w2).

Projection (default): times ``ClassifierTrainer.step`` at every depth of the grid (process CPU
time, one BLAS thread, the grid's batch of 16), multiplies by the step budget and the number of
sigma_w2 and seeds, and schedules the cells longest-first on 2 workers (as the figure does) to
give the wall time on an idle 2-core machine; prints it against the 30-minute target.

``--run`` computes the whole grid for real in a temporary store on 2 local processes and
prints its wall time (on a shared machine, expect it to scale with the load).

    python benchmarks/trained_trainability_grid.py [--run]
"""
import heapq
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import _bench_util  # noqa: E402,F401  (pins BLAS threads)

from expressivity.papers import schoenholz2017_propagation as P  # noqa: E402
from expressivity.trained.classifier import ClassifierTrainer  # noqa: E402

TARGET_MIN = 30.0


def step_seconds(depth, n=60):
    kw = P.TRAINABILITY
    tr = ClassifierTrainer(kw["activation"], 1.76, kw["sigma_b2"], depth, kw["width"], 0, "digits",
                           kw["optimizer"], kw["lr"], kw["batch_size"])
    for _ in range(5):
        tr.step()
    best = float("inf")
    for _ in range(3):
        t0 = time.process_time()
        for _ in range(n):
            tr.step()
        best = min(best, (time.process_time() - t0) / n)
    return best


def lpt_wall(costs, workers=2):
    loads = [0.0] * workers
    heapq.heapify(loads)
    for c in sorted(costs, reverse=True):
        heapq.heappush(loads, heapq.heappop(loads) + c)
    return max(loads)


def main():
    steps, n_w = P.TRAINABILITY["steps"], len(P.SIGMA_W2S)
    per_step = {d: step_seconds(d) for d in P.DEPTHS}
    costs = [per_step[d] * steps for d in P.DEPTHS for _ in range(n_w)]
    cpu = sum(costs)
    wall = lpt_wall(costs)
    print(f"trainability grid: {len(P.DEPTHS)} depths x {n_w} sigma_w2 x 1 seed, {steps} SGD steps, "
          f"batch {P.TRAINABILITY['batch_size']}, width {P.TRAINABILITY['width']}  [process CPU time]")
    for d in (P.DEPTHS[0], 100, P.DEPTHS[-1]):
        print(f"  depth {d:3d}: {per_step[d] * 1e3:6.2f} ms/step, {per_step[d] * steps:6.1f} s per cell")
    print(f"  projected: {cpu / 60:.1f} CPU-min; {wall / 60:.1f} min wall on 2 idle cores "
          f"(longest first); ratio vs the {TARGET_MIN:g}-minute target: {wall / 60 / TARGET_MIN:.2f}x")
    if "--run" in sys.argv:
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            P.fig_trainability(cache_dir=tmp, executor=2)
            w = time.perf_counter() - t0
        print(f"  measured: {w / 60:.1f} min wall on 2 local processes; ratio vs target {w / 60 / TARGET_MIN:.2f}x")


if __name__ == "__main__":
    main()
