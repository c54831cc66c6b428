"""Generator gradient through 5 unrolled Adam steps of the discriminator (Metz et al. 2017).

The same Python function (MLPs written as ``tanh(h @ W + b)``, a hand-written Adam, softplus
losses) is differentiated by expressivity.autodiff and, if installed, by HIPS autograd
(``pip install autograd``; a benchmark-only dependency, skipped when absent). G 256 -> 128 ->
128 -> 2 and D 2 -> 128 -> 128 -> 1 (tanh), batch 512, float32, one BLAS thread. Also timed:
the same loss written with the engine's fused layers and differentiable optimiser
(nn.mlp_apply + optim.adam). Prints absolute times and ratios.

    python benchmarks/autodiff_unrolled.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from _bench_util import report, time_interleaved  # noqa: E402  (pins BLAS threads)

import numpy as np  # noqa: E402

import expressivity.autodiff as ad  # noqa: E402
import expressivity.autodiff.numpy as anp  # noqa: E402
from expressivity.autodiff import nn, optim, tree_leaves  # noqa: E402

B, Z, K = 512, 256, 5
DT = np.float32


def make_unrolled_loss(np_, grad_fn, lr=1e-4, b1=0.5, b2=0.999, eps=1e-8):
    """The unrolled generator loss, written once against a numpy-like module ``np_``."""

    def mlp(params, x):
        h = x
        for i, (W, b) in enumerate(params):
            h = h @ W + b
            if i < len(params) - 1:
                h = np_.tanh(h)
        return h

    def softplus(x):
        return np_.logaddexp(0.0, x)

    def d_loss(D, G, z, x):
        return np_.mean(softplus(-mlp(D, x))) + np_.mean(softplus(mlp(D, mlp(G, z))))

    d_grad = grad_fn(d_loss)

    def unrolled(G, D, z, x):
        m = [tuple(np_.zeros(np_.shape(p), dtype=DT) for p in layer) for layer in D]
        v = [tuple(np_.zeros(np_.shape(p), dtype=DT) for p in layer) for layer in D]
        for t in range(1, K + 1):
            g = d_grad(D, G, z, x)
            c1, c2 = 1.0 / (1.0 - b1**t), 1.0 / (1.0 - b2**t)
            newD, newm, newv = [], [], []
            for pl, gl, ml, vl in zip(D, g, m, v):
                mm = [b1 * mi + (1 - b1) * gi for mi, gi in zip(ml, gl)]
                vv = [b2 * vi + (1 - b2) * gi * gi for vi, gi in zip(vl, gl)]
                newD.append(tuple(p - lr * (mi * c1) / (np_.sqrt(vi * c2) + eps)
                                  for p, mi, vi in zip(pl, mm, vv)))
                newm.append(tuple(mm))
                newv.append(tuple(vv))
            D, m, v = newD, newm, newv
        return np_.mean(softplus(-mlp(D, mlp(G, z))))

    return unrolled


def engine_native_loss(G, D, z, x):
    """Same objective with the engine's fused layers and differentiable optimiser."""
    opt = optim.adam(1e-4, b1=0.5)
    s = opt.init(D)

    def d_loss(D):
        return (anp.mean(anp.softplus(-nn.mlp_apply(D, x, "tanh"))) +
                anp.mean(anp.softplus(nn.mlp_apply(D, nn.mlp_apply(G, z, "tanh"), "tanh"))))

    for _ in range(K):
        D, s = opt.update(ad.grad(d_loss)(D), s, D)
    return anp.mean(anp.softplus(-nn.mlp_apply(D, nn.mlp_apply(G, z, "tanh"), "tanh")))


def setup(seed=0):
    r = np.random.default_rng(seed)
    G = nn.mlp_init(r, [Z, 128, 128, 2], dtype=DT)
    D = nn.mlp_init(r, [2, 128, 128, 1], dtype=DT)
    z = r.standard_normal((B, Z)).astype(DT)
    k = r.integers(0, 8, size=B)
    x = np.stack([2 * np.cos(2 * np.pi * k / 8), 2 * np.sin(2 * np.pi * k / 8)], 1).astype(DT)
    as_tuples = lambda P: [(l["W"], l["b"]) for l in P]
    return G, D, as_tuples(G), as_tuples(D), z, x


def main():
    G, D, Gt, Dt, z, x = setup()
    ours = ad.grad(make_unrolled_loss(anp, ad.grad))
    native = ad.grad(engine_native_loss)
    contenders = {
        "expressivity.autodiff (same code)": lambda: ours(Gt, Dt, z, x),
        "expressivity.autodiff (nn + optim)": lambda: native(G, D, z, x),
    }
    g_ours = ours(Gt, Dt, z, x)
    g_native = native(G, D, z, x)
    scale = max(float(np.max(np.abs(a))) for a in tree_leaves(g_ours))
    for a, b in zip(tree_leaves(g_ours), tree_leaves(g_native)):
        assert a.dtype == np.float32
        assert np.max(np.abs(a - b)) <= 1e-3 * scale
    try:
        import autograd
        import autograd.numpy as agnp
    except ImportError:
        print("HIPS autograd not installed (pip install autograd): comparing engine variants only")
        baseline = "expressivity.autodiff (same code)"
    else:
        theirs = autograd.grad(make_unrolled_loss(agnp, autograd.grad))
        g_theirs = theirs(Gt, Dt, z, x)
        for a, b in zip(tree_leaves(g_ours), tree_leaves(g_theirs)):
            assert np.max(np.abs(a - np.asarray(b))) <= 1e-3 * scale
        contenders = {"HIPS autograd (same code)": lambda: theirs(Gt, Dt, z, x), **contenders}
        baseline = "HIPS autograd (same code)"
    times = time_interleaved(contenders, n_steps=2, rounds=5, warmup=1)
    report(f"generator gradient through {K} unrolled Adam steps of D (G 256-128-128-2, D 2-128-128-1 "
           "tanh, batch 512, float32, 1 thread)", times, baseline)


if __name__ == "__main__":
    main()
