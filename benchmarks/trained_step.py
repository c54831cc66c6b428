"""One training step of a deep tanh classifier on expressivity.autodiff vs hand-written numpy.

Depth 100, width 64, tanh, 8 x 8 digits (64 inputs, 10 classes), batch 16 (the trainability
grid's setting) and 128, float32, SGD, one BLAS thread. Both steps draw the same batch, run a
forward and backward pass, check the gradient is finite (the trainer's guard against
exploding gradients) and apply the same in-place SGD update; the engine's step is
``ClassifierTrainer.step`` exactly as ``train_classifier`` runs it, the baseline writes the
forward/backward by hand. Prints absolute times and the ratio (target <= 1.2).

    python benchmarks/trained_step.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from _bench_util import report, time_interleaved  # noqa: E402  (pins BLAS threads)

import numpy as np  # noqa: E402

from expressivity.autodiff import optim, tree_leaves  # noqa: E402
from expressivity.trained.classifier import ClassifierTrainer  # noqa: E402

DEPTH, WIDTH = 100, 64


def numpy_loss_and_grads(params, x, y):
    """Hand-written forward/backward of the mean softmax cross-entropy (tanh hidden layers)."""
    zs = [x]
    z = x
    for layer in params[:-1]:
        h = z @ layer["W"]
        h += layer["b"]
        np.tanh(h, out=h)
        zs.append(h)
        z = h
    logits = z @ params[-1]["W"]
    logits += params[-1]["b"]
    n = len(y)
    m = logits.max(axis=1, keepdims=True)
    e = np.exp(logits - m)
    s = e.sum(axis=1, keepdims=True)
    val = float(np.mean(np.log(s[:, 0]) + m[:, 0] - logits[np.arange(n), y]))
    g = e / s
    g[np.arange(n), y] -= 1.0
    g /= n
    grads = [None] * len(params)
    grads[-1] = {"W": zs[-1].T @ g, "b": g.sum(axis=0)}
    g = g @ params[-1]["W"].T
    for l in range(len(params) - 2, -1, -1):
        z = zs[l + 1]
        gz = z * z
        np.subtract(1, gz, out=gz)
        gz *= g
        grads[l] = {"W": zs[l].T @ gz, "b": gz.sum(axis=0)}
        if l:
            g = gz @ params[l]["W"].T
    return val, grads


def make_numpy_step(tr):
    """The trainer's state (same params, batches and optimiser type), stepped by hand."""
    opt = optim.sgd_inplace(tr.params, lr=1e-3)

    def step():
        x, y = tr._batch()
        val, g = numpy_loss_and_grads(tr.params, x, y)
        if np.isfinite(val) and all(np.isfinite(a).all() for a in tree_leaves(g)):
            opt.step(g)
        return val

    return step


def check_same_gradients():
    """Sanity: loss and gradients of both implementations agree (float32 accuracy)."""
    tr = ClassifierTrainer("tanh", 1.76, 0.05, DEPTH, WIDTH, seed=1, optimizer="sgd", lr=1e-3, batch_size=16)
    x, y = tr._batch()
    v1, g1 = tr._vg(tr.tparams, x, y)
    v2, g2 = numpy_loss_and_grads(tr.params, x, y)
    assert np.isclose(float(v1), v2, rtol=1e-5), (v1, v2)
    for a, b in zip(tree_leaves(g1), tree_leaves(g2)):
        assert a.dtype == np.float32
        assert np.max(np.abs(a - b)) <= 1e-4 * np.max(np.abs(b)) + 1e-6


def main():
    check_same_gradients()
    for batch in (16, 128):
        te = ClassifierTrainer("tanh", 1.76, 0.05, DEPTH, WIDTH, seed=0, optimizer="sgd", lr=1e-3,
                               batch_size=batch)
        tn = ClassifierTrainer("tanh", 1.76, 0.05, DEPTH, WIDTH, seed=0, optimizer="sgd", lr=1e-3,
                               batch_size=batch)
        times = time_interleaved({"hand-written numpy": make_numpy_step(tn),
                                  "expressivity.autodiff": te.step}, n_steps=10, rounds=40)
        report(f"classifier step (tanh, depth {DEPTH}, width {WIDTH}, batch {batch}, digits, SGD, float32, 1 thread)",
               times, "hand-written numpy")


if __name__ == "__main__":
    main()
