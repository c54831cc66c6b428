"""Robustness of a trained network to noise in one layer's weights (Raghu et al. 2017, Sec. 4.1).

After training every layer, Gaussian noise is added to the weights of a single layer,
W^l -> W^l + eps * rms(W^l) * N(0, 1) (eps relative to that layer's own root-mean-square
weight, so layers of different fan-in are perturbed alike), and the test accuracy is measured.
Raghu et al. find the accuracy falls faster the lower the perturbed layer: lower layers have
more remaining depth to amplify the perturbation.
"""
from __future__ import annotations

import numpy as np

from ..checks import as_generator, check_positive_int
from . import model as M
from .classifier import train_classifier

__all__ = ["perturbed_accuracy", "noise_cell"]


def perturbed_accuracy(params, x, y, layers, scales, activation="tanh", stats=None, draws=5, seed=0):
    """Accuracy on (x, y) with noise of relative size ``scales[j]`` in the weights of
    ``layers[i]``, averaged over ``draws`` noise samples: array (len(layers), len(scales)).

    The parameters are restored afterwards. Draw k uses one standard-normal matrix for all
    scales (common random numbers: the curves against eps are smooth)."""
    draws = check_positive_int("draws", draws)
    scales = np.asarray(scales, np.float64)
    if np.any(~np.isfinite(scales)) or np.any(scales < 0):
        raise ValueError(f"scales must be finite numbers >= 0, got {scales}")
    rng = as_generator(seed)
    out = np.zeros((len(layers), len(scales)))
    for i, l in enumerate(layers):
        W = params[l]["W"]
        W0 = W.copy()
        rms = float(np.sqrt(np.mean(W0.astype(np.float64) ** 2)))
        try:
            for _ in range(draws):
                E = rng.standard_normal(W0.shape)
                for j, eps in enumerate(scales):
                    np.copyto(W, W0 + (eps * rms) * E, casting="same_kind")
                    out[i, j] += M.accuracy(params, x, y, activation, stats)
        finally:
            np.copyto(W, W0)
    return out / draws


def noise_cell(seed, *, layers, scales, draws=5, **kwargs) -> dict:
    """Sweep cell: train a classifier (all layers; ``kwargs`` to
    :func:`~.classifier.train_classifier`) with weights from ``seed``, then
    :func:`perturbed_accuracy` on the test set for ``layers`` x ``scales`` (lists, or JSON
    strings of lists). Returns ``accuracy`` (layers, scales) and the clean ``test_accuracy``."""
    import json

    layers = json.loads(layers) if isinstance(layers, str) else list(layers)
    scales = json.loads(scales) if isinstance(scales, str) else list(scales)
    r = train_classifier(seed=seed, **kwargs)
    if r.interrupted:
        raise KeyboardInterrupt("training interrupted")
    from .data import prepare

    # the test set exactly as the classifier saw it (same data, dtype and standardisation)
    d = prepare(kwargs.get("data", "digits"), kwargs.get("dtype", np.float32), kwargs.get("standardize", True))
    acc = perturbed_accuracy(r.params, d.x_test, d.y_test, layers, scales, r.settings["activation"],
                             r.stats, draws, seed=int(seed) + 10_000)
    return {"accuracy": acc, "test_accuracy": r.test_accuracy}
