"""Benchmark: ``import meanfield`` and the first phase diagram, each in a fresh process.

Targets (issue 2): ``import meanfield`` <= 0.5 s; the first tanh phase diagram in a fresh
process with warm caches (numba's on-disk cache and the per-activation table in
``~/.cache/meanfield``) <= 3 s. The caches are warmed by one untimed child process first.
As a baseline in the same run, the bare interpreter start (``python -c pass``) and
``import numpy`` are timed the same way.

    python benchmarks/import_time.py [--repeat 5] [--n 1024]
"""
import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
exec(sys.argv[1])
t1 = time.perf_counter()
exec(sys.argv[2])
t2 = time.perf_counter()
print(json.dumps([t1 - t0, t2 - t1]))
"""


def child(setup, work="pass"):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, "1")
    out = subprocess.run([sys.executable, "-c", CHILD, setup, work], capture_output=True, text=True,
                         env=env, cwd=str(ROOT), check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def best(setup, work, repeat):
    runs = [child(setup, work) for _ in range(repeat)]
    return min(r[0] for r in runs), min(r[1] for r in runs), min(r[0] + r[1] for r in runs)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--n", type=int, default=1024, help="grid side of the first phase diagram")
    a = p.parse_args()
    pd = (f"import numpy as np; mf.phase_diagram('tanh', np.linspace(1, 25, {a.n}), "
          f"np.linspace(0, 16, {a.n}))")
    child("import meanfield as mf", pd)  # warm numba's cache and the tanh table
    r = a.repeat
    numpy = best("import numpy", "pass", r)[0]
    imp = best("import meanfield", "pass", r)[0]
    print(f"import numpy                                         : {numpy * 1e3:7.1f} ms")
    print(f"import meanfield                                     : {imp * 1e3:7.1f} ms  "
          f"(best of {r}; {imp / numpy:.1f}x import numpy; target <= 500 ms)")
    i, first, total = best("import meanfield as mf", pd, r)
    print(f"first phase_diagram('tanh', {a.n}x{a.n}) in a fresh process, warm caches: {first:.3f} s; "
          f"with the import: {total:.3f} s (best of {r}; target <= 3 s)")
    i, small, total_s = best("import meanfield as mf",
                             "import numpy as np; mf.phase_diagram('tanh', np.linspace(1, 25, 64), np.linspace(0, 16, 64))", r)
    print(f"first phase_diagram('tanh', 64x64) in a fresh process, warm caches: {small:.3f} s "
          f"(fixed cost: loading kernels and the table); with the import: {total_s:.3f} s")


if __name__ == "__main__":
    main()
