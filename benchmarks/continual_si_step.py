"""Synaptic Intelligence's cost: its training step against plain training, and whole runs.

The step is the one of ``continual.run`` on permuted digits at the default network
(64 -> 2 x hidden -> 10 ReLU, batch 256, Adam, float32, one BLAS thread), taken inside the
second task so SI's penalty is active: plain fine-tuning does the autodiff forward/backward
and the Adam pass; SI adds the surrogate's gradient 2 c Omega (theta - theta~), one copy of
theta and the path-integral update omega -= g (theta - theta_old) (two fused passes). The
target is <= 1.1x. The two steps alternate in blocks of 60 (short blocks measure the
cache misses of switching between two networks rather than SI's cost). Then one whole 10-task permuted-digits run per method (wall clock;
target <= 60 s each).

    python benchmarks/continual_si_step.py [--hidden 1000] [--no-runs]
"""
import argparse
import importlib
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from _bench_util import report, time_interleaved  # noqa: E402  (pins BLAS threads)

import numpy as np  # noqa: E402

from expressivity import continual  # noqa: E402

R = importlib.import_module("expressivity.continual.run")


def runner(method, hidden, strength):
    proto = continual.make("permuted", n_tasks=2, seed=0)
    d = R.DEFAULTS["permuted"]
    meth = R.make_method(method, strength, d["xi"])
    net = continual.init_network([64, *hidden, 10], np.random.default_rng([0, 1]), np.float32)
    stages = R._stages(proto, method, "all", d["epochs"], d["batch_size"])
    r = R._Runner(proto, method, meth, stages, net, batch_size=d["batch_size"], epochs=d["epochs"], lr=1e-3,
                  b1=0.9, b2=0.999, optimizer="adam", reset_optimizer=False, seed=0)
    for i in range(int(r.bounds[1]) + 1):          # the first task, and the first step of the second
        r.step(i)
    inner = list(range(int(r.bounds[1]) + 1, int(r.bounds[2]) - 1))
    it = {"k": 0}

    def step():
        r.step(inner[it["k"] % len(inner)])
        it["k"] += 1

    return r, step


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hidden", type=int, default=R.DEFAULTS["permuted"]["hidden"][0])
    ap.add_argument("--no-runs", action="store_true")
    a = ap.parse_args()
    hidden = (a.hidden, a.hidden)
    r_ft, ft = runner("finetune", hidden, 0.0)
    r_si, si = runner("si", hidden, 1.0)
    assert r_si.method.has_penalty and r_si.method.tracks_steps
    times = time_interleaved({"fine-tuning (plain step)": ft, "SI step": si}, n_steps=60, rounds=12, warmup=5)
    report(f"continual step: permuted digits, 64-{hidden[0]}-{hidden[1]}-10 ReLU, batch 256, Adam, float32, "
           f"{r_si.net.n_params} parameters", times, "fine-tuning (plain step)")
    if a.no_runs:
        return
    print("whole runs: permuted digits, 10 tasks, seed 0 (wall clock)")
    for method, kw in [("finetune", {}), ("si", {}), ("ewc", {}), ("joint", dict(joint_stages="last")),
                       ("joint", dict(joint_stages="all"))]:
        t0 = time.perf_counter()
        res = continual.run("permuted", method, n_tasks=10, seed=0, hidden=hidden, **kw)
        print(f"  {method:<9s}{' ' + kw.get('joint_stages', ''):<5s} {time.perf_counter() - t0:7.1f} s   "
              f"average accuracy {res.average_accuracy:.3f}")


if __name__ == "__main__":
    main()
