"""Speed of the MI benchmark of Poole et al. (2019) on expressivity.autodiff.

1. A full staircase (2, 4, 6, 8, 10 nats x 4000 steps = 20 000 steps, batch 64, d = 20, Adam
   5e-4) with the separable critic (2 x 256 ReLU, 32-d embeddings) for every estimator of
   Fig. 2 (TUBA, NWJ, JS, InfoNCE, I_alpha for alpha = 0.01, 0.5, 0.99; TUBA and I_alpha with
   the 2 x 512 MLP baseline). ``--jobs 2`` runs the estimators in two processes (2 cores).
   ``--steps-per-level N`` runs a shorter staircase and extrapolates to 4000 (labelled).
   ``--cache-dir figures/.cache/poole2019_fig2_separable_gaussian`` stores the runs where the
   figure job finds them (full length only), so the benchmark also produces the figure data.
2. The concat critic (K^2 = 4096 pairs through 2 x 256 ReLU): ``--concat-steps`` steps per
   estimator, extrapolated to the full staircase.
3. One training step (separable critic, K = 64, InfoNCE and NWJ, Adam; and the concat critic
   with InfoNCE) on the library path (``mi.train``'s step) against hand-written numpy
   forward/backward in the same process.

    python benchmarks/mi_staircase.py [--jobs 2] [--steps-per-level 4000] [--concat-steps 100]
"""
import argparse
import math
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from _bench_util import report, time_interleaved  # noqa: E402  (pins BLAS threads)

import numpy as np  # noqa: E402

from expressivity import mi  # noqa: E402
from expressivity.autodiff import optim, tree_leaves  # noqa: E402
from expressivity.papers import poole2019_bounds as figures  # noqa: E402
from expressivity.mi.train import _make_step  # noqa: E402

FULL_STEPS = 4000
LEVELS = (2.0, 4.0, 6.0, 8.0, 10.0)


def _run_one(args):
    name, critic, steps_per_level, cache_dir = args
    t0, c0 = time.perf_counter(), time.process_time()
    if cache_dir is not None and steps_per_level == FULL_STEPS:
        runs = figures.staircase_runs((name,), critic, False, LEVELS, steps_per_level,
                                      cache_dir=cache_dir, progress=False)
        est, true = runs[name]
    else:
        res = mi.train(name, critic, mi=mi.staircase(LEVELS, steps_per_level), progress=False)
        est, true = res.estimates, res.true_mi
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    last = true == true[-1]
    return name, wall, cpu, float(np.mean(est[last][-500:]))


def staircase(critic, steps_per_level, jobs, cache_dir=None):
    names = mi.PAPER_ESTIMATORS
    # longest first, one task at a time, so the workers finish together (as staircase_runs)
    tasks = [(n, critic, steps_per_level, cache_dir) for n in figures.longest_first(names)]
    t0 = time.perf_counter()
    if jobs > 1:
        import multiprocessing as mp

        with mp.get_context("spawn").Pool(jobs) as pool:
            out = pool.map(_run_one, tasks, chunksize=1)
    else:
        out = [_run_one(t) for t in tasks]
    out.sort(key=lambda o: names.index(o[0]))
    total_wall = time.perf_counter() - t0
    scale = FULL_STEPS / steps_per_level
    print(f"\n{critic} critic staircase: {len(LEVELS)} levels x {steps_per_level} steps, "
          f"{len(names)} estimators, {jobs} process(es)"
          + ("" if scale == 1 else f"  [extrapolated x{scale:g} to 4000 steps/level]"))
    for name, wall, cpu, final in out:
        print(f"  {name:<12s} wall {wall * scale:8.1f} s   cpu {cpu * scale:8.1f} s   "
              f"ms/step {1e3 * cpu / (len(LEVELS) * steps_per_level):6.2f}   "
              f"estimate at 10 nats (last steps) {final:6.2f}")
    print(f"  TOTAL wall {total_wall * scale:8.1f} s = {total_wall * scale / 60:.1f} min   "
          f"(sum of cpu {sum(o[2] for o in out) * scale / 60:.1f} min)")
    return total_wall * scale


# ----------------------------------------------------------------------------- step vs numpy

K, D, HID, EMB = 64, 20, 256, 32
DT = np.float32


def _mlp_fwd(layers, x):
    hs = [x]
    for i, l in enumerate(layers):
        z = hs[-1] @ l["W"]
        z += l["b"]
        if i < len(layers) - 1:
            np.maximum(z, 0, out=z)
        hs.append(z)
    return hs


def _mlp_bwd(layers, hs, dz, grads):
    for i in range(len(layers) - 1, -1, -1):
        grads[i]["W"] = hs[i].T @ dz
        grads[i]["b"] = dz.sum(axis=0)
        if i > 0:
            dz = dz @ layers[i]["W"].T
            dz *= hs[i] > 0


def _dS(bound, S):
    """d(-bound)/dS by hand."""
    n = S.shape[0]
    if bound == "infonce":  # bound = log K + mean diag S - mean_j lse_i S_ij
        E = np.exp(S - S.max(axis=0, keepdims=True))
        E /= E.sum(axis=0, keepdims=True) * n
        E.flat[:: n + 1] -= 1.0 / n
        return E
    # nwj: bound = mean diag S - e^-1 mean_{i != j} e^S_ij
    E = np.exp(np.minimum(S - 1.0, 80.0)) / (n * (n - 1))  # (clip: the fixed 8 batches overfit)
    E.flat[:: n + 1] = -1.0 / n
    return E


def make_numpy_step(params, bound):
    opt = optim.adam_inplace(params, lr=5e-4)
    grads = {"critic": {"g": [dict() for _ in params["critic"]["g"]],
                        "h": [dict() for _ in params["critic"]["h"]]}, "baseline": {}}

    def step(x, y):
        p = params["critic"]
        hg, hh = _mlp_fwd(p["g"], x), _mlp_fwd(p["h"], y)
        G, H = hg[-1], hh[-1]
        dS = _dS(bound, G @ H.T).astype(DT, copy=False)
        _mlp_bwd(p["g"], hg, dS @ H, grads["critic"]["g"])
        _mlp_bwd(p["h"], hh, dS.T @ G, grads["critic"]["h"])
        opt.step(grads)

    return step


def _params(seed=0):
    return {"critic": mi.CRITICS["separable"].init(seed, D, D, dtype=DT), "baseline": {}}


def check_same_gradients(bound):
    """Sanity: the hand-written gradient equals the library's (float32 accuracy)."""
    from expressivity.autodiff import grad, tree_leaves

    x, y = mi.sample_gaussian(1, K, D, 2.0, dtype=DT)
    p = _params(1)
    est = mi.ESTIMATORS[bound]
    g1 = grad(lambda q: -({"infonce": mi.infonce, "nwj": mi.nwj}[bound](
        mi.CRITICS["separable"].apply(q["critic"], x, y))))(p)
    pc = p["critic"]
    hg, hh = _mlp_fwd(pc["g"], x), _mlp_fwd(pc["h"], y)
    G, H = hg[-1], hh[-1]
    dS = _dS(bound, (G @ H.T).astype(np.float64)).astype(DT)
    g2 = {"g": [dict() for _ in pc["g"]], "h": [dict() for _ in pc["h"]]}
    _mlp_bwd(pc["g"], hg, dS @ H, g2["g"])
    _mlp_bwd(pc["h"], hh, dS.T @ G, g2["h"])
    for a, b in zip(tree_leaves(g1["critic"]), tree_leaves(g2)):
        assert np.max(np.abs(a - b)) <= 1e-3 * np.max(np.abs(b)) + 1e-6, (est, np.max(np.abs(a - b)))


def step_vs_numpy(bound):
    check_same_gradients(bound)
    rng = np.random.default_rng(0)
    data = [mi.sample_gaussian(rng, K, D, 2.0, dtype=DT) for _ in range(8)]
    pe, pn = _params(), _params()
    est = mi.ESTIMATORS[bound]
    lib = _make_step(est, mi.CRITICS["separable"], mi.BASELINES["none"], pe, 5e-4, [None, None], [])
    hand = make_numpy_step(pn, bound)
    it = {"e": 0, "n": 0}

    def run_e():
        lib(*data[it["e"] % 8])
        it["e"] += 1

    def run_n():
        hand(*data[it["n"] % 8])
        it["n"] += 1

    times = time_interleaved({"hand-written numpy": run_n, "expressivity.mi (autodiff)": run_e},
                             n_steps=20, rounds=30)
    report(f"\nMI training step, separable critic 2x(20-256-256-32), K=64, {bound}, Adam, float32, 1 thread",
           times, "hand-written numpy")


# ----------------------------------------------------------------------------- concat step vs numpy

def make_numpy_concat_step(params, bound):
    """Hand-written forward/backward of the concat critic on all K^2 pairs (first layer split
    as x W_x + y W_y + b, in-place bias/ReLU/masks), the same Adam."""
    opt = optim.adam_inplace(params, lr=5e-4)
    layers = params["critic"]
    grads = {"critic": [dict() for _ in layers], "baseline": {}}

    def step(x, y):
        n, dx = x.shape
        W1, b1 = layers[0]["W"], layers[0]["b"]
        z1 = (x @ W1[:dx])[:, None, :] + (y @ W1[dx:] + b1)[None, :, :]
        h1 = np.maximum(z1, 0, out=z1).reshape(n * n, -1)
        hs = _mlp_fwd(layers[1:], h1)
        S = hs[-1].reshape(n, n)
        dS = _dS(bound, S).astype(DT, copy=False).reshape(n * n, 1)
        g2 = grads["critic"]
        dz = dS
        for i in range(len(layers) - 1, 0, -1):  # layers 1.. (hs[i - 1] is their input)
            g2[i]["W"] = hs[i - 1].T @ dz
            g2[i]["b"] = dz.sum(axis=0)
            dz = dz @ layers[i]["W"].T
            dz *= hs[i - 1] > 0
        dz = dz.reshape(n, n, -1)
        gx, gy = dz.sum(axis=1), dz.sum(axis=0)
        g2[0]["W"] = np.concatenate([x.T @ gx, y.T @ gy])
        g2[0]["b"] = gy.sum(axis=0)
        opt.step(grads)

    return step


def concat_step_vs_numpy(bound="infonce"):
    rng = np.random.default_rng(0)
    data = [mi.sample_gaussian(rng, K, D, 2.0, dtype=DT) for _ in range(4)]
    mk = lambda: {"critic": mi.CRITICS["concat"].init(0, D, D, dtype=DT), "baseline": {}}  # noqa: E731
    pe, pn = mk(), mk()
    # sanity: one step of each from the same parameters gives the same parameters
    lib = _make_step(mi.ESTIMATORS[bound], mi.CRITICS["concat"], mi.BASELINES["none"], pe, 5e-4, [None, None], [])
    hand = make_numpy_concat_step(pn, bound)
    lib(*data[0])
    hand(*data[0])
    for a, b in zip(tree_leaves(pe), tree_leaves(pn)):
        assert np.max(np.abs(a - b)) <= 1e-5 * max(1.0, np.max(np.abs(b))), np.max(np.abs(a - b))
    it = {"e": 0, "n": 0}

    def run_e():
        lib(*data[it["e"] % 4])
        it["e"] += 1

    def run_n():
        hand(*data[it["n"] % 4])
        it["n"] += 1

    times = time_interleaved({"hand-written numpy": run_n, "expressivity.mi (autodiff)": run_e},
                             n_steps=3, rounds=8, warmup=2)
    report(f"\nMI training step, concat critic (40-256-256-1 on K^2 = {K * K} pairs), K=64, {bound}, "
           "Adam, float32, 1 thread", times, "hand-written numpy")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--steps-per-level", type=int, default=FULL_STEPS)
    ap.add_argument("--concat-steps", type=int, default=100, help="steps per estimator to time the concat critic")
    ap.add_argument("--cache-dir", default=None)
    ap.add_argument("--skip-staircase", action="store_true")
    a = ap.parse_args()
    print(f"load average at start: {os.getloadavg()}")
    for bound in ("infonce", "nwj"):
        step_vs_numpy(bound)
    if a.concat_steps > 0:
        concat_step_vs_numpy("infonce")
    if not a.skip_staircase:
        staircase("separable", a.steps_per_level, a.jobs, a.cache_dir)
    if a.concat_steps > 0:
        per_level = max(1, math.ceil(a.concat_steps / len(LEVELS)))
        staircase("concat", per_level, a.jobs)
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
