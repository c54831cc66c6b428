"""One categorical-VAE training step (Gumbel-Softmax estimator) on expressivity.autodiff vs the
same step written by hand in numpy, in the same process.

The Gumbel-Softmax experiment's model (Jang et al. 2017 at digits scale): 64 binary pixels,
encoder 64-256-128-64 (ReLU), 8 categorical variables x 8 classes, y = softmax((l + g)/tau),
decoder 64-128-256-64, Bernoulli likelihood, analytic KL to the uniform prior, batch 100,
float64, one BLAS thread; both versions use the same in-place Adam and the same Gumbel noise.
Prints absolute times and the ratio (target <= 1.2).

    python benchmarks/latent_vae_step.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from _bench_util import relu_mlp_forward as _fwd, report, time_interleaved  # noqa: E402  (pins BLAS threads)

import numpy as np  # noqa: E402
from scipy.special import expit  # noqa: E402

from expressivity.autodiff import optim, tree_leaves, value_and_grad  # noqa: E402
from expressivity.datasets import load_digits  # noqa: E402
from expressivity.latent import beta_objective, init_vae, rate_distortion  # noqa: E402
from expressivity.latent.experiments import gs_spec  # noqa: E402

B, TAU = 100, 0.7
SPEC = gs_spec()
V, K = SPEC.n_vars, SPEC.n_classes


def make_batches(n=8, seed=0):
    x = load_digits(binarize=True).x_train
    r = np.random.default_rng(seed)
    return [x[r.permutation(len(x))[:B]] for _ in range(n)]


# ----------------------------------------------------------------------------- engine

def make_engine_step(params, seed):
    rng = np.random.default_rng(seed)

    def loss(p, xb):
        D, R, _ = rate_distortion(SPEC, p, xb, rng, "gumbel", TAU)
        return beta_objective(D, R, 1.0)

    vg = value_and_grad(loss)
    opt = optim.adam_inplace(params, lr=1e-3)

    def step(xb):
        val, g = vg(params, xb)
        opt.step(g)
        return val

    return step


# ----------------------------------------------------------------------------- numpy

def _bwd(layers, hs, dz, grads):
    """Backward through a ReLU MLP (linear last layer); returns the input cotangent."""
    for i in range(len(layers) - 1, -1, -1):
        grads[i]["W"] = hs[i].T @ dz
        grads[i]["b"] = dz.sum(axis=0)
        dh = dz @ layers[i]["W"].T
        if i > 0:
            dh *= hs[i] > 0
        dz = dh
    return dz


def numpy_loss_grads(params, xb, g, genc, gdec):
    """-ELBO (mean over the batch) and its gradients, by hand."""
    enc, dec = params["enc"], params["dec"]
    he = _fwd(enc, xb)
    l = he[-1].reshape(B, V, K)
    # y = softmax((l + g) / tau)
    a = (l + g) / TAU
    a -= a.max(-1, keepdims=True)
    y = np.exp(a)
    y /= y.sum(-1, keepdims=True)
    hd = _fwd(dec, y.reshape(B, V * K))
    xl = hd[-1]
    D = np.logaddexp(0, xl) - xb * xl
    # KL(q || uniform) per variable: sum q log q + log K
    lq = l - l.max(-1, keepdims=True)
    lq -= np.log(np.exp(lq).sum(-1, keepdims=True))
    q = np.exp(lq)
    qlq = q * lq
    s = qlq.sum(-1, keepdims=True)
    loss = (D.sum() + s.sum() + B * V * np.log(K)) / B
    # backward
    dxl = expit(xl)
    dxl -= xb
    dxl *= 1.0 / B
    dy = _bwd(dec, hd, dxl, gdec).reshape(B, V, K)
    dl = y * (dy - (dy * y).sum(-1, keepdims=True))
    dl *= 1.0 / TAU
    dl += (qlq - q * s) * (1.0 / B)
    _bwd(enc, he, dl.reshape(B, V * K), genc)
    return loss


def make_numpy_step(params, seed):
    rng = np.random.default_rng(seed)
    opt = optim.adam_inplace(params, lr=1e-3)
    genc = [dict() for _ in params["enc"]]
    gdec = [dict() for _ in params["dec"]]
    grads = {"enc": genc, "dec": gdec}

    def step(xb):
        g = -np.log(rng.standard_exponential((B, V, K)))
        val = numpy_loss_grads(params, xb, g, genc, gdec)
        opt.step(grads)
        return val

    return step


def check_same_gradients():
    xb = make_batches(1)[0]
    p = init_vae(SPEC, 1, pixel_mean=xb.mean(0))
    g = -np.log(np.random.default_rng(3).standard_exponential((B, V, K)))
    genc, gdec = [dict() for _ in p["enc"]], [dict() for _ in p["dec"]]
    val = numpy_loss_grads(p, xb, g, genc, gdec)
    rng = np.random.default_rng(3)   # the engine draws the same noise from the same generator

    def loss(pp):
        D, R, _ = rate_distortion(SPEC, pp, xb, rng, "gumbel", TAU)
        return beta_objective(D, R, 1.0)

    v2, g2 = value_and_grad(loss)(p)
    assert np.isclose(val, v2, rtol=1e-10), (val, v2)
    for a, b in zip(tree_leaves({"enc": genc, "dec": gdec}), tree_leaves(g2)):
        assert np.max(np.abs(a - b)) <= 1e-9 * (np.max(np.abs(a)) + 1e-12) + 1e-12


def main():
    check_same_gradients()
    batches = make_batches()
    it = {"e": 0, "n": 0}
    xm = batches[0].mean(0)
    se = make_engine_step(init_vae(SPEC, 0, pixel_mean=xm), 5)
    sn = make_numpy_step(init_vae(SPEC, 0, pixel_mean=xm), 5)

    def run(key, step):
        def f():
            step(batches[it[key] % len(batches)])
            it[key] += 1
        return f

    times = time_interleaved({"hand-written numpy": run("n", sn), "expressivity.autodiff": run("e", se)},
                             n_steps=20, rounds=15)
    report(f"categorical-VAE step (GS, {V} x {K} latent, enc 64-256-128-{V * K}, dec {V * K}-128-256-64, batch 100, "
           "Adam, float64, 1 thread)", times, "hand-written numpy")


if __name__ == "__main__":
    main()
