"""Wall time of the latent-variable experiments at their full (figure) settings, 2 processes.

- ``gs``: the Gumbel-Softmax estimator comparison, 4 estimators x 5 seeds, 3000 steps each
  (target <= 10 minutes on the 2-core machine);
- ``toy`` / ``digits``: the Broken-ELBO beta sweeps (1-D toy: 2 decoders x 7 betas; digits:
  2 decoders x 6 betas);
- ``delta``: the delta-VAE comparison on the noisy digit prototypes, 3 models x 3 seeds, 10000
  steps each (target 30 minutes); ``delta_digits``: the same on binarised digits, 3000 steps.

Prints the wall time and its ratio to the target (10 minutes for ``gs``, 20 for the sweeps;
the step-level comparison against hand-written numpy is ``latent_vae_step.py``). Runs in a
temporary cache (nothing is reused); the machine's load counts, so run it on a quiet machine.

    python benchmarks/latent_sweeps.py [gs toy digits delta delta_digits]
"""
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import _bench_util  # noqa: E402,F401  (pins BLAS threads)

from expressivity.papers import alemi2018_elbo, get_job, jang2017_gumbel, razavi2019_delta  # noqa: E402

RUNS = {   # name: (run function, figure job whose full settings it uses, target minutes)
    "gs": (jang2017_gumbel.estimator_runs, "jang2017_gumbel_estimators", 10.0),
    "toy": (alemi2018_elbo.toy_runs, "alemi2018_elbo_toy_rd", 20.0),
    "digits": (alemi2018_elbo.digits_runs, "alemi2018_elbo_digits_rd", 20.0),
    "delta": (razavi2019_delta.delta_runs, "razavi2019_delta_collapse", 30.0),
    "delta_digits": (razavi2019_delta.delta_runs, "razavi2019_delta_digits", 20.0),
}


def main(which):
    for name in which:
        fn, job, target = RUNS[name]
        kw = get_job(job).kwargs(quick=False)
        kw = {k: v for k, v in kw.items() if k in fn.__code__.co_varnames}
        with tempfile.TemporaryDirectory() as tmp:
            c0, t0 = _cpu(), time.perf_counter()
            res, rows = fn(**kw, cache_dir=tmp, progress=False, executor=None)
            wall, cpu = time.perf_counter() - t0, _cpu() - c0
        print(f"{name:7s} {len(rows):3d} runs  {wall / 60:6.2f} min wall (2 processes), {cpu / 60:6.2f} CPU-min "
              f"(idle 2-core estimate {cpu / 120:5.2f} min)   ratio of wall to the {target:g}-minute target: "
              f"{wall / 60 / target:4.2f}x", flush=True)


def _cpu():
    """CPU seconds of this process and its finished children (the sweep's worker processes)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


if __name__ == "__main__":
    main(sys.argv[1:] or list(RUNS))
