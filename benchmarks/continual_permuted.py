"""The permuted-digits numbers: SI at its best c against fine-tuning and joint training, EWC beside.

Runs (or reuses, from the figure's cache ``figures/.cache/zenke2017_synaptic_permuted``) the
full sweep of :func:`expressivity.papers.zenke2017_synaptic.fig_permuted`: 10 permuted-digits
tasks, 3 seeds, every method and strength, and prints the average accuracy after all tasks
(mean ± std over seeds) with the two claims of the issue checked against a tolerance from the
standard errors:

* SI - fine-tuning >= 15 points: the difference of the means minus 2 standard errors of the
  difference (seed-to-seed std / sqrt(n) per method, at least the binomial s.e. of one run
  over n_tasks x 359 test predictions);
* joint - SI <= 5 points: the difference plus 2 standard errors.

Next to the paper's permuted MNIST (SI 96.9 %, no consolidation 57.4 %).

``--canvas S`` checks the same claims on the ablation of
:func:`expressivity.papers.zenke2017_synaptic.fig_permuted_why` (digits centred on a blank
S x S canvas before permuting; its cells in ``figures/.cache/zenke2017_synaptic_permuted_why``).

    python benchmarks/continual_permuted.py [--cache figures/.cache/zenke2017_synaptic_permuted]
    python benchmarks/continual_permuted.py --canvas 20
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from expressivity.papers import get_job  # noqa: E402
from expressivity.papers import zenke2017_synaptic as paper  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default=None, help="the figure's cache directory (default: the committed figure's)")
    ap.add_argument("--canvas", type=int, default=None, help="the blank-canvas ablation with this side")
    a = ap.parse_args()
    t0 = time.perf_counter()
    if a.canvas is None:
        kw = get_job("zenke2017_synaptic_permuted").kwargs(quick=False)
        seeds, T = kw["seeds"], kw["n_tasks"]
        rows = paper._rows(seeds, kw["si_strengths"], kw["ewc_strengths"])
        cache = a.cache or os.path.join(ROOT, "figures", ".cache", "zenke2017_synaptic_permuted")
        res = paper.runs("permuted", rows, T, None, cache, executor=None, progress=True, name="permuted")
        what = paper._settings_text("permuted", None)
    else:
        kw = get_job("zenke2017_synaptic_permuted_why").kwargs(quick=False)
        seeds, T = kw["canvas_seeds"], kw["n_tasks"]
        extra = dict(hidden=paper.DIGITS["permuted"]["hidden"], canvas=a.canvas)
        rows = [dict(method="finetune", seed=s, options=extra) for s in seeds]
        rows += [dict(method="joint", seed=s, options=dict(extra, joint_stages="last")) for s in seeds]
        rows += [dict(method="si", strength=c, seed=s, options=extra) for c in kw["si_strengths"] for s in seeds]
        cache = a.cache or os.path.join(ROOT, "figures", ".cache", "zenke2017_synaptic_permuted_why")
        res = paper.runs("permuted", rows, T, {}, cache, executor=None, progress=True, name=f"why_canvas_{a.canvas}")
        what = f"digits centred on a blank {a.canvas} x {a.canvas} canvas; " + paper._settings_text("permuted", None)
    final, _ = paper.strength_table(res, rows)
    secs = {}
    for r, x in zip(rows, res):
        secs.setdefault(r["method"], []).append(float(x["seconds"]))
    print(f"permuted digits, {T} tasks, seeds {list(seeds)} ({time.perf_counter() - t0:.0f} s to gather; {what})")
    for key in sorted(final):
        v = final[key]
        print(f"  {key[0]:<9s} {key[1]:>8g}   {100 * v.mean():5.1f} ± {100 * v.std(ddof=1):4.1f} %")
    print("  seconds per run (mean over the sweep's cells, as computed): " +
          ", ".join(f"{m} {np.mean(s):.1f}" for m, s in secs.items()) +
          (" (joint: all 10 stages)" if a.canvas is None else " (joint: on all tasks only)"))
    n_test = 359 * T
    ft, joint = final[("finetune", 0.0)], final[("joint", 0.0)]
    si_key, ewc_key = paper._best(final, "si"), paper._best(final, "ewc")
    si = final[si_key]

    def se(v):
        p = v.mean()
        return max(v.std(ddof=1) / np.sqrt(len(v)), np.sqrt(p * (1 - p) / n_test))

    d1, s1 = si.mean() - ft.mean(), np.hypot(se(si), se(ft))
    d2, s2 = joint.mean() - si.mean(), np.hypot(se(si), se(joint))
    ewc_txt = "" if ewc_key is None else f"best EWC lambda = {ewc_key[1]:g}: {100 * final[ewc_key].mean():.1f} %; "
    print(f"best SI c = {si_key[1]:g}: {100 * si.mean():.1f} %; {ewc_txt}"
          f"fine-tuning {100 * ft.mean():.1f} %; joint {100 * joint.mean():.1f} %")
    print(f"SI - fine-tuning = {100 * d1:.1f} ± {100 * s1:.1f} points (claim >= 15: "
          f"{'met' if d1 - 2 * s1 >= 0.15 else 'met on the mean' if d1 >= 0.15 else 'NOT met'})")
    print(f"joint - SI = {100 * d2:.1f} ± {100 * s2:.1f} points (claim <= 5: "
          f"{'met' if d2 + 2 * s2 <= 0.05 else 'met on the mean' if d2 <= 0.05 else 'NOT met'})")
    pub = paper.PUBLISHED["permuted_mnist"]
    print(f"paper (permuted MNIST, 2 x 2000): SI {100 * pub['si']:.1f} %, "
          f"no consolidation {100 * pub['finetune']:.1f} %")


if __name__ == "__main__":
    main()
