"""Benchmark: the K = 10 unrolled GAN on the 8-mode ring, and the unrolled generator step
against HIPS autograd on the same model.

    OMP_NUM_THREADS=1 python benchmarks/gan_unrolled.py [--steps 5000] [--skip-experiment]

1. Wall time of ``gan.ring_experiment(unroll_steps=10, steps=5000)`` with the CPU-scale
   networks (latent 32, 2 x 64 tanh, batch 256, float32); target <= 5 minutes on 2 cores.
2. Time of one unrolled generator gradient (K = 10 differentiable Adam steps, second-order
   terms) on our autodiff vs HIPS ``autograd`` (if installed), same parameters and batch,
   float64; also the relative difference of the two gradients (they must agree).
Prints absolute times (CPU time of this process, best of 3) and the ratio ours / autograd.
"""
import argparse
import os
import sys
import time

for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(v, "1")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

from expressivity import gan  # noqa: E402
from expressivity.autodiff import grad, optim, tree_leaves  # noqa: E402
from expressivity.gan.models import init_mlp  # noqa: E402
from expressivity.gan.unrolled import unrolled_generator_loss  # noqa: E402


def _autograd_step(K, lr, b1, b2=0.999, eps=1e-8):
    import autograd.numpy as np_
    from autograd import grad as agrad

    def mlp(params, x):
        h = x
        for i, l in enumerate(params):
            h = np_.dot(h, l["W"]) + l["b"]
            if i < len(params) - 1:
                h = np_.tanh(h)
        return h

    def softplus(t):
        return np_.logaddexp(0.0, t)

    def d_loss(D, xr, xf):
        n = xr.shape[0]
        T = mlp(D, np_.concatenate([xr, xf], 0))[:, 0]
        return np_.mean(softplus(-T[:n])) + np_.mean(softplus(T[n:]))

    def g_loss(G, D, z, xr):
        fake = mlp(G, z)
        m = [{k: np_.zeros_like(v) for k, v in l.items()} for l in D]
        v = [{k: np_.zeros_like(a) for k, a in l.items()} for l in D]
        for t in range(1, K + 1):
            g = agrad(d_loss)(D, xr, fake)
            c1, c2 = 1 / (1 - b1**t), 1 / (1 - b2**t)
            m = [{k: b1 * mi[k] + (1 - b1) * gi[k] for k in gi} for mi, gi in zip(m, g)]
            v = [{k: b2 * vi[k] + (1 - b2) * gi[k] ** 2 for k in gi} for vi, gi in zip(v, g)]
            D = [{k: p[k] - lr * (mi[k] * c1) / (np_.sqrt(vi[k] * c2) + eps) for k in p}
                 for p, mi, vi in zip(D, m, v)]
        n = xr.shape[0]
        T = mlp(D, np_.concatenate([xr, fake], 0))[:, 0]
        return -np_.mean(softplus(T[n:])) - np_.mean(softplus(-T[:n]))

    return agrad(g_loss)


def _time(f, repeat):
    """Best of 3 rounds of the mean CPU time (process_time: robust to other processes' load)."""
    f()
    best = np.inf
    for _ in range(3):
        t = time.process_time()
        for _ in range(repeat):
            f()
        best = min(best, (time.process_time() - t) / repeat)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=5000)
    ap.add_argument("--skip-experiment", action="store_true")
    ap.add_argument("--repeat", type=int, default=10)
    a = ap.parse_args()

    # 2. unrolled step, ours vs autograd (float64, same model and batch)
    K, lr, b1, hidden, batch = 10, 1e-4, 0.5, 64, 256
    rng = np.random.default_rng(0)
    G = init_mlp(rng, 32, 2, hidden, 2)
    D = init_mlp(rng, 2, 1, hidden, 2)
    z = rng.standard_normal((batch, 32))
    xr = gan.ring().sample(batch, rng)
    opt = optim.adam(lr, b1=b1)
    ours_fn = grad(unrolled_generator_loss)
    ours = lambda: ours_fn(G, D, z, xr, K, "minimax", opt, None, False, "tanh")
    t_ours = _time(ours, a.repeat)
    print(f"unrolled generator gradient (K={K}, 2x{hidden} tanh, batch {batch}, float64):")
    print(f"  expressivity.autodiff: {1e3 * t_ours:8.1f} ms/step")
    try:
        import autograd  # noqa: F401
    except ImportError:
        print("  HIPS autograd not installed: baseline skipped")
    else:
        ag = _autograd_step(K, lr, b1)
        ag_fn = lambda: ag(G, D, z, xr)
        t_ag = _time(ag_fn, a.repeat)
        g1 = np.concatenate([np.ravel(x) for x in tree_leaves(ours())])
        g2 = np.concatenate([np.ravel(x) for l in ag_fn() for x in (l["W"], l["b"])])
        print(f"  HIPS autograd:         {1e3 * t_ag:8.1f} ms/step")
        print(f"  ratio ours/autograd:   {t_ours / t_ag:8.2f}   "
              f"(gradient rel. difference {np.linalg.norm(g1 - g2) / np.linalg.norm(g2):.1e})")

    # 1. the K = 10 ring experiment
    if not a.skip_experiment:
        t, c = time.perf_counter(), time.process_time()
        r = gan.ring_experiment(unroll_steps=10, steps=a.steps, seed=0)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        print(f"ring_experiment(K=10, steps={a.steps}): {wall:.1f} s wall, {cpu:.1f} s CPU "
              f"({1e3 * r.seconds / max(a.steps, 1):.1f} ms/step; target <= 300 s for 5000 steps); "
              f"modes {r.modes_covered}/8, HQ {100 * r.high_quality_fraction:.1f} %")


if __name__ == "__main__":
    main()
