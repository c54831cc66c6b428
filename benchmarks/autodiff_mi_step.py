"""One training step of an MI critic on expressivity.autodiff vs hand-written numpy.

Separable critic (two MLPs 20 -> 256 -> 256 -> 32, ReLU), batch 128, score matrix
S = g(x) h(y)^T (128 x 128), InfoNCE loss -mean(diag S - logsumexp_j S_ij), Adam, float32,
one BLAS thread. Both versions use the same in-place Adam; the difference is the
forward/backward. Prints absolute times and the ratio (target <= 1.15).

    python benchmarks/autodiff_mi_step.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from _bench_util import relu_mlp_forward as _mlp_fwd, report, time_interleaved  # noqa: E402  (pins BLAS threads)

import numpy as np  # noqa: E402

import expressivity.autodiff.numpy as anp  # noqa: E402
from expressivity.autodiff import nn, optim, value_and_grad  # noqa: E402

B, D_IN, HID, D_OUT = 128, 20, 256, 32
DT = np.float32


def make_data(n_batches=8, rho=0.8, seed=0):
    r = np.random.default_rng(seed)
    out = []
    for _ in range(n_batches):
        x = r.standard_normal((B, D_IN))
        y = rho * x + np.sqrt(1 - rho**2) * r.standard_normal((B, D_IN))
        out.append((x.astype(DT), y.astype(DT)))
    return out


def init_params(seed=0):
    r = np.random.default_rng(seed)
    sizes = [D_IN, HID, HID, D_OUT]
    return {"g": nn.mlp_init(r, sizes, sigma_w2=2.0, dtype=DT), "h": nn.mlp_init(r, sizes, sigma_w2=2.0, dtype=DT)}


# ----------------------------------------------------------------------------- engine

def infonce_loss(params, x, y):
    G = nn.mlp_apply(params["g"], x, "relu")
    H = nn.mlp_apply(params["h"], y, "relu")
    S = G @ H.T
    return anp.mean(anp.logsumexp(S, axis=1)) - anp.mean(anp.diag(S))


def make_engine_step(params):
    vg = value_and_grad(infonce_loss)
    opt = optim.adam_inplace(params, lr=5e-4)

    def step(x, y):
        val, g = vg(params, x, y)
        opt.step(g)
        return val

    return step


# ----------------------------------------------------------------------------- numpy

def _mlp_bwd(layers, hs, dout, grads):
    dz = dout
    for i in range(len(layers) - 1, -1, -1):
        grads[i]["W"] = hs[i].T @ dz
        grads[i]["b"] = dz.sum(axis=0)
        if i > 0:
            dh = dz @ layers[i]["W"].T
            dh *= hs[i] > 0
            dz = dh


def make_numpy_step(params):
    opt = optim.adam_inplace(params, lr=5e-4)
    gg = [dict() for _ in params["g"]]
    gh = [dict() for _ in params["h"]]
    grads = {"g": gg, "h": gh}
    n = B

    def step(x, y):
        hg = _mlp_fwd(params["g"], x)
        hh = _mlp_fwd(params["h"], y)
        G, H = hg[-1], hh[-1]
        S = G @ H.T
        m = S.max(axis=1, keepdims=True)
        E = np.exp(S - m)
        s = E.sum(axis=1, keepdims=True)
        lse = np.log(s) + m
        val = lse.mean() - np.trace(S) / n
        # dL/dS = (softmax(S) - I) / n
        E /= s * n
        E.flat[:: n + 1] -= 1.0 / n
        dG = E @ H
        dH = E.T @ G
        _mlp_bwd(params["g"], hg, dG, gg)
        _mlp_bwd(params["h"], hh, dH, gh)
        opt.step(grads)
        return val

    return step


def numpy_loss_and_grads(params, x, y):
    """The hand-written forward/backward without the optimiser (for the sanity check)."""
    grads = {"g": [dict() for _ in params["g"]], "h": [dict() for _ in params["h"]]}
    hg = _mlp_fwd(params["g"], x)
    hh = _mlp_fwd(params["h"], y)
    G, H = hg[-1], hh[-1]
    n = G.shape[0]
    S = G @ H.T
    m = S.max(axis=1, keepdims=True)
    E = np.exp(S - m)
    s = E.sum(axis=1, keepdims=True)
    val = (np.log(s) + m).mean() - np.trace(S) / n
    E /= s * n
    E.flat[:: n + 1] -= 1.0 / n
    _mlp_bwd(params["g"], hg, E @ H, grads["g"])
    _mlp_bwd(params["h"], hh, E.T @ G, grads["h"])
    return val, grads


def check_same_gradients():
    """Sanity: both implementations give the same loss and gradients (float32 accuracy)."""
    from expressivity.autodiff import tree_leaves

    x, y = make_data(1)[0]
    p = init_params(1)
    v1, g1 = value_and_grad(infonce_loss)(p, x, y)
    v2, g2 = numpy_loss_and_grads(p, x, y)
    assert np.isclose(v1, v2, rtol=1e-5), (v1, v2)
    for a, b in zip(tree_leaves(g1), tree_leaves(g2)):
        assert a.dtype == np.float32
        assert np.max(np.abs(a - b)) <= 1e-4 * np.max(np.abs(b)) + 1e-5


def main():
    check_same_gradients()
    data = make_data()
    it = {"e": 0, "n": 0}
    se = make_engine_step(init_params())
    sn = make_numpy_step(init_params())

    def run_e():
        x, y = data[it["e"] % len(data)]
        it["e"] += 1
        se(x, y)

    def run_n():
        x, y = data[it["n"] % len(data)]
        it["n"] += 1
        sn(x, y)

    times = time_interleaved({"hand-written numpy": run_n, "expressivity.autodiff": run_e},
                             n_steps=10, rounds=60)
    report("MI critic step (2 x MLP 20-256-256-32 ReLU, batch 128, InfoNCE, Adam, float32, 1 thread)",
           times, "hand-written numpy")


if __name__ == "__main__":
    main()
