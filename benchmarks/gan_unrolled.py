"""Benchmark: the unrolled generator step in Metz et al.'s setting, and a K = 10 ring run.

    OMP_NUM_THREADS=1 python benchmarks/gan_unrolled.py [--steps 12500] [--skip-experiment]

1. One unrolled generator gradient (K = 10 differentiable Adam steps of the discriminator,
   second-order terms) at the paper's networks (App. A: G 256 -> 128 -> 128 -> 2 ReLU, D x/4
   -> 128 ReLU -> logit, batch 512, float32): this package with the fused unrolled step (the
   trainer's path), the same loss composed from the engine's primitives (nn.mlp_apply +
   optim.adam), and HIPS ``autograd`` (if installed) on the same function written in plain
   numpy. Interleaved rounds, process CPU time (see _bench_util); float64 gradients of the
   three are compared.
2. Wall and CPU time of ``gan.ring_experiment(unroll_steps=10, steps=12500)`` (target: <= 3
   minutes on one core); ``--steps`` runs fewer and extrapolates.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from _bench_util import report, time_interleaved  # noqa: E402  (pins BLAS threads)

import numpy as np  # noqa: E402

from expressivity import gan  # noqa: E402
from expressivity.autodiff import grad, tree_leaves  # noqa: E402
from expressivity.gan.fused import AdamHyper  # noqa: E402
from expressivity.gan.unrolled import unrolled_generator_loss  # noqa: E402

K, LR, B1 = 10, 1e-4, 0.5


def _autograd_grad(K, lr, b1, b2=0.999, eps=1e-8, scale=0.25):
    import autograd.numpy as np_
    from autograd import grad as agrad

    def mlp(params, x):
        h = x
        for i, l in enumerate(params):
            h = np_.dot(h, l["W"]) + l["b"]
            if i < len(params) - 1:
                h = np_.maximum(h, 0.0)
        return h

    def softplus(t):
        return np_.logaddexp(0.0, t)

    def d_loss(D, xr, xf):
        n = xr.shape[0]
        T = mlp(D, np_.concatenate([xr, xf], 0) * scale)[:, 0]
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
        T = mlp(D, np_.concatenate([xr, fake], 0) * scale)[:, 0]
        return -np_.mean(softplus(T[n:])) - np_.mean(softplus(-T[:n]))

    return agrad(g_loss)


def _flat(tree):
    return np.concatenate([np.ravel(x) for x in tree_leaves(tree)])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=12_500)
    ap.add_argument("--skip-experiment", action="store_true")
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()

    arch = gan.Architecture()
    results = {}
    for dt in (np.float64, np.float32):
        G, D = arch.init_params(0, dt)
        rng = np.random.default_rng(1)
        z = rng.standard_normal((512, 256)).astype(dt)
        xr = gan.ring().sample(512, rng).astype(dt)
        fused = grad(lambda G: unrolled_generator_loss(G, D, z, xr, K, "minimax", AdamHyper(LR, B1), None, False,
                                                       "relu", "relu", 0.25))
        hp = AdamHyper(LR, B1).optimizer()
        composed = grad(lambda G: unrolled_generator_loss(G, D, z, xr, K, "minimax", hp, None, False,
                                                          "relu", "relu", 0.25))
        fns = {"expressivity fused step": lambda: fused(G), "expressivity composed": lambda: composed(G)}
        try:
            import autograd  # noqa: F401
        except ImportError:
            ag = None
        else:
            agf = _autograd_grad(K, LR, B1)
            ag = lambda: agf(G, D, z, xr)  # noqa: E731
            fns["HIPS autograd"] = ag
        if dt is np.float64:
            g1, g2 = _flat(fused(G)), _flat(composed(G))
            print(f"float64 gradients: fused vs composed rel. diff {np.linalg.norm(g1 - g2) / np.linalg.norm(g2):.1e}",
                  end="")
            if ag is not None:
                g3 = np.concatenate([np.ravel(x) for l in ag() for x in (l["W"], l["b"])])
                print(f", fused vs autograd {np.linalg.norm(g1 - g3) / np.linalg.norm(g3):.1e}", end="")
            print()
            continue
        results = time_interleaved(fns, n_steps=5, rounds=a.rounds, warmup=2)
        report(f"unrolled generator gradient, K={K}, App. A networks, batch 512, float32", results,
               "HIPS autograd" if ag is not None else "expressivity composed")

    if not a.skip_experiment:
        t, c = time.perf_counter(), time.process_time()
        r = gan.ring_experiment(unroll_steps=10, steps=a.steps, seed=0, progress=False)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        per = cpu / max(a.steps, 1)
        print(f"ring_experiment(K=10, steps={a.steps}): {wall:.1f} s wall, {cpu:.1f} s CPU "
              f"({1e3 * per:.1f} ms CPU/iteration; 12 500 iterations: {12_500 * per:.0f} s CPU, target <= 180 s); "
              f"{r}")


if __name__ == "__main__":
    main()
