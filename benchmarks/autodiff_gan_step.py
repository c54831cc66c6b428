"""One GAN training step (one D and one G update) on expressivity.autodiff vs hand-written numpy.

Generator 256 -> 128 -> 128 -> 2, discriminator 2 -> 128 -> 128 -> 1 (ReLU, D outputs a
logit), batch 512, non-saturating loss with softplus, Adam (b1 = 0.5; D lr 1e-4, G lr 1e-3),
float32, one BLAS thread. Both versions use the same in-place Adam. Prints absolute times and
the ratio (target <= 1.2).

    python benchmarks/autodiff_gan_step.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from _bench_util import relu_mlp_forward as _fwd, report, time_interleaved  # noqa: E402  (pins BLAS threads)

import numpy as np  # noqa: E402
from scipy.special import expit  # noqa: E402

import expressivity.autodiff.numpy as anp  # noqa: E402
from expressivity.autodiff import nn, optim, tree_leaves, value_and_grad  # noqa: E402

B, Z = 512, 256
DT = np.float32


def make_data(n_batches=8, seed=0):
    """Ring of 8 Gaussians (the unrolled-GAN toy data) and generator noise."""
    r = np.random.default_rng(seed)
    out = []
    for _ in range(n_batches):
        k = r.integers(0, 8, size=B)
        ang = 2 * np.pi * k / 8
        x = np.stack([2 * np.cos(ang), 2 * np.sin(ang)], 1) + 0.02 * r.standard_normal((B, 2))
        z = r.standard_normal((B, Z))
        out.append((x.astype(DT), z.astype(DT)))
    return out


def init_params(seed=0):
    r = np.random.default_rng(seed)
    return (nn.mlp_init(r, [Z, 128, 128, 2], sigma_w2=2.0, dtype=DT),
            nn.mlp_init(r, [2, 128, 128, 1], sigma_w2=2.0, dtype=DT))


# ----------------------------------------------------------------------------- engine

def d_loss(D, x_real, x_fake):
    return (anp.mean(anp.softplus(-nn.mlp_apply(D, x_real))) +
            anp.mean(anp.softplus(nn.mlp_apply(D, x_fake))))


def g_loss(G, D, z):
    return anp.mean(anp.softplus(-nn.mlp_apply(D, nn.mlp_apply(G, z))))


def make_engine_step(G, D):
    vg_d = value_and_grad(d_loss)
    vg_g = value_and_grad(g_loss)
    opt_d = optim.adam_inplace(D, lr=1e-4, b1=0.5)
    opt_g = optim.adam_inplace(G, lr=1e-3, b1=0.5)

    def step(x, z):
        fake = nn.mlp_apply(G, z)
        ld, gd = vg_d(D, x, fake)
        opt_d.step(gd)
        lg, gg = vg_g(G, D, z)
        opt_g.step(gg)
        return ld, lg

    return step


# ----------------------------------------------------------------------------- numpy

def _bwd(layers, hs, dout, grads, need_input=False):
    dz = dout
    for i in range(len(layers) - 1, -1, -1):
        grads[i]["W"] = hs[i].T @ dz
        grads[i]["b"] = dz.sum(axis=0)
        if i > 0 or need_input:
            dh = dz @ layers[i]["W"].T
            if i > 0:
                dh *= hs[i] > 0
            dz = dh
    return dz


def numpy_d_loss_grads(D, x, fake, gd):
    hr = _fwd(D, x)
    hf = _fwd(D, fake)
    lr_, lf = hr[-1], hf[-1]
    n = lr_.shape[0]
    loss = np.logaddexp(0, -lr_).mean() + np.logaddexp(0, lf).mean()
    # d softplus(-l)/dl = -sigmoid(-l); d softplus(l)/dl = sigmoid(l)
    dr = expit(-lr_)
    dr *= -1.0 / n
    df = expit(lf)
    df *= 1.0 / n
    g2 = [dict() for _ in D]
    _bwd(D, hr, dr, gd)
    _bwd(D, hf, df, g2)
    for a, b in zip(gd, g2):
        a["W"] += b["W"]
        a["b"] += b["b"]
    return loss


def numpy_g_loss_grads(G, D, z, gg):
    hg = _fwd(G, z)
    hd = _fwd(D, hg[-1])
    l = hd[-1]
    n = l.shape[0]
    loss = np.logaddexp(0, -l).mean()
    dl = expit(-l)
    dl *= -1.0 / n
    gd_unused = [dict() for _ in D]
    dx = _bwd(D, hd, dl, gd_unused, need_input=True)
    _bwd(G, hg, dx, gg)
    return loss


def make_numpy_step(G, D):
    opt_d = optim.adam_inplace(D, lr=1e-4, b1=0.5)
    opt_g = optim.adam_inplace(G, lr=1e-3, b1=0.5)
    gd = [dict() for _ in D]
    gg = [dict() for _ in G]

    def step(x, z):
        fake = _fwd(G, z)[-1]
        ld = numpy_d_loss_grads(D, x, fake, gd)
        opt_d.step(gd)
        lg = numpy_g_loss_grads(G, D, z, gg)
        opt_g.step(gg)
        return ld, lg

    return step


def check_same_gradients():
    x, z = make_data(1)[0]
    G, D = init_params(1)
    fake = _fwd(G, z)[-1]
    gd, gg = [dict() for _ in D], [dict() for _ in G]
    ld = numpy_d_loss_grads(D, x, fake, gd)
    lg = numpy_g_loss_grads(G, D, z, gg)
    ld2, gd2 = value_and_grad(d_loss)(D, x, fake)
    lg2, gg2 = value_and_grad(g_loss)(G, D, z)
    assert np.isclose(ld, ld2, rtol=1e-5) and np.isclose(lg, lg2, rtol=1e-5)
    for a, b in zip(tree_leaves(gd) + tree_leaves(gg), tree_leaves(gd2) + tree_leaves(gg2)):
        assert b.dtype == np.float32
        assert np.max(np.abs(a - b)) <= 1e-4 * np.max(np.abs(a)) + 1e-6


def main():
    check_same_gradients()
    data = make_data()
    it = {"e": 0, "n": 0}
    se = make_engine_step(*init_params())
    sn = make_numpy_step(*init_params())

    def run(key, step):
        def f():
            x, z = data[it[key] % len(data)]
            it[key] += 1
            step(x, z)
        return f

    times = time_interleaved({"hand-written numpy": run("n", sn), "expressivity.autodiff": run("e", se)},
                             n_steps=5, rounds=40)
    report("GAN step (G 256-128-128-2, D 2-128-128-1 ReLU, batch 512, one D + one G Adam update, "
           "float32, 1 thread)", times, "hand-written numpy")


if __name__ == "__main__":
    main()
