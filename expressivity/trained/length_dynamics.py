"""Trajectory length per layer while a network trains (Raghu et al. 2017, Sec. 4.2, Figs. 8-9).

A classifier is trained as usual (:class:`~.classifier.ClassifierTrainer`); every
``record_every`` steps the exact length of a fixed input trajectory through the data
(:func:`~.trajectory.data_trajectory`) is measured at every hidden layer with the
forward-mode machinery (:func:`~.trajectory.layer_lengths`). Raghu et al. report that
training *reduces* the length when the initialisation is strongly chaotic (sigma_w2 = 16,
hard-tanh: trading expressivity for stability) and *increases* it from a mild one
(sigma_w2 = 3).
"""
from __future__ import annotations

import numpy as np

from ..checks import check_nonnegative_int, check_positive_int
from ..training import blas_threads, run_steps
from .classifier import ClassifierTrainer
from .trajectory import data_trajectory, layer_lengths

__all__ = ["lengths_during_training"]


def lengths_during_training(activation="hard_tanh", sigma_w2=16.0, sigma_b2=0.0, depth=6, width=100,
                            steps=2000, record_every=100, seed=0, *, curve="loop", n_points=2000,
                            curve_seed=0, data="digits", optimizer="adam", lr=1e-3, batch_size=128,
                            dtype=np.float32, standardize=True, threads=1, progress=False) -> dict:
    """Train one classifier and measure trajectory lengths along the way.

    Returns ``{"step": (k,), "length": (k, depth + 1), "test_accuracy": (k,)}``: at steps 0,
    ``record_every``, 2 ``record_every``, ... (and the last step), the exact length of the
    ``curve`` (``"loop"``, ``"arc"`` or ``"circle"``, ``n_points`` samples, digits chosen by
    ``curve_seed`` from the test set) at the input (column 0) and after each hidden layer, and
    the test accuracy. The other arguments are those of
    :func:`~.classifier.train_classifier`. Raises KeyboardInterrupt if interrupted.
    """
    steps = check_nonnegative_int("steps", steps)
    record_every = check_positive_int("record_every", record_every)
    with blas_threads(threads):
        tr = ClassifierTrainer(activation, sigma_w2, sigma_b2, depth, width, seed, data, optimizer, lr,
                               batch_size, dtype=dtype, standardize=standardize)
        c = data_trajectory(tr.data, curve, n_points, curve_seed)
        marks = sorted(set(range(0, steps, record_every)) | {steps})
        rec_steps, lengths, accs = [], [], []
        done = 0
        for m in marks:
            if m > done:
                h = run_steps(tr.step, m - done, desc=f"to step {m}", progress=progress)
                if h.interrupted:
                    raise KeyboardInterrupt("training interrupted")
                done = m
            rec_steps.append(m)
            lengths.append(layer_lengths(tr.params, c, activation))
            accs.append(tr.evaluate()[0])
    return {"step": np.asarray(rec_steps), "length": np.asarray(lengths), "test_accuracy": np.asarray(accs)}
