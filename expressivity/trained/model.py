"""The classifier: a deep fully connected network at the mean-field initialisation.

``depth`` hidden layers of ``width`` units and a linear readout to the classes,

    h^l = z^{l-1} W^l + b^l,   z^l = phi(h^l)   (l = 1..depth),   logits = z^depth W^{L+1} + b^{L+1},

with W^l_ij ~ N(0, sigma_w2 / n_{l-1}), b^l_i ~ N(0, sigma_b2) for every layer, the readout
included (Schoenholz et al. 2017, Sec. 2; Raghu et al. 2017, Sec. 2). ``params`` is the list of
``depth + 1`` layer dicts ``{"W": (n_in, n_out), "b": (n_out,)}``; with ``norm="batch_norm"``
each hidden layer also holds ``"gamma"``, ``"beta"`` and computes phi(BN(h^l)) (Ioffe &
Szegedy 2015; batch statistics in training, population statistics of the training set at
evaluation, :func:`population_stats`); with ``norm="trajectory"`` it holds a learned scalar
``"scale"`` lambda (initially 1) and computes phi(lambda h^l), the trajectory-regularisation
layer of Raghu et al. 2017, Sec. 5 (its loss term: :mod:`.regularizer`). Loss: the mean
softmax cross-entropy.
"""
from __future__ import annotations

import numpy as np

import expressivity.autodiff.numpy as anp
from expressivity.autodiff import getval, nn

from .stack import FUSED, hidden_stack
from ..checks import check_choice, check_nonnegative_int, check_positive_int, check_variance

__all__ = ["NORMS", "ACTIVATIONS", "init_params", "forward", "cross_entropy", "population_stats",
           "predict", "accuracy", "hidden_network", "check_activation"]

NORMS = (None, "batch_norm", "trajectory")
#: activations the classifiers support (their derivative is needed by the trajectory
#: regulariser and by the exact forward-mode measurement)
ACTIVATIONS = ("tanh", "hard_tanh", "relu", "linear")


def check_activation(activation) -> str:
    return check_choice("activation", activation, ACTIVATIONS)


def init_params(input_dim, n_classes, depth, width, sigma_w2, sigma_b2, seed=0, dtype=np.float32,
                norm=None):
    """Parameters of the classifier (see the module docstring), drawn from ``seed`` (int or
    Generator) layer by layer with :func:`expressivity.autodiff.nn.mlp_init`."""
    depth = check_nonnegative_int("depth", depth)
    width = check_positive_int("width", width)
    sigma_w2 = check_variance("sigma_w2", sigma_w2)
    sigma_b2 = check_variance("sigma_b2", sigma_b2)
    if norm not in NORMS:
        raise ValueError(f"norm must be one of {NORMS}, got {norm!r}")
    sizes = [check_positive_int("input_dim", input_dim)] + [width] * depth + [check_positive_int("n_classes", n_classes)]
    params = nn.mlp_init(seed, sizes, sigma_w2, sigma_b2, dtype)
    if norm == "batch_norm":
        for layer in params[:-1]:
            layer.update(nn.batch_norm_init(width, dtype))
    elif norm == "trajectory":
        for layer in params[:-1]:
            layer["scale"] = np.ones((), dtype)
    return params


def _hidden(layer, z, activation, stats=None):
    """phi(z W + b), with batch norm between the affine map and phi when the layer has gamma."""
    if "gamma" in layer:
        h = z @ layer["W"] + layer["b"]
        if stats is None:
            h = nn.batch_norm(h, layer["gamma"], layer["beta"])
        else:
            h = nn.batch_norm(h, layer["gamma"], layer["beta"], mean=stats[0], var=stats[1])
        return nn.get_activation(activation)(h)
    if "scale" in layer:
        return nn.get_activation(activation)((z @ layer["W"] + layer["b"]) * layer["scale"])
    return nn.dense_apply(layer, z, activation)


def forward(params, x, activation="tanh", stats=None):
    """Logits of the rows of ``x`` (plain or traced arrays). ``stats``: per hidden layer
    (mean, var) for batch norm at evaluation (None: batch statistics)."""
    if params[:-1] and len(params[0]) == 2 and activation in FUSED:
        z = hidden_stack(params[:-1], x, activation)     # one recorded operation for all layers
    else:
        z = x
        for l, layer in enumerate(params[:-1]):
            z = _hidden(layer, z, activation, None if stats is None else stats[l])
    return nn.dense_apply(params[-1], z, "linear")


def cross_entropy(logits, y):
    """Mean softmax cross-entropy: mean_i [logsumexp_k logits_ik - logits_{i, y_i}]."""
    value = getval(logits)
    n, k = value.shape
    onehot = np.zeros((n, k), dtype=value.dtype)
    onehot[np.arange(n), y] = 1.0
    return anp.mean(anp.logsumexp(logits, axis=1)) - anp.sum(logits * onehot) / n


def population_stats(params, x, activation="tanh"):
    """Per hidden layer the mean and variance of the batch-norm input over all rows of ``x``
    (the training set): what batch norm uses at evaluation. None for a net without batch norm."""
    if not params or "gamma" not in params[0]:
        return None
    stats = []
    z = np.asarray(x)
    for layer in params[:-1]:
        h = z @ layer["W"] + layer["b"]
        m = nn.batch_moments(h)
        stats.append(m)
        z = np.asarray(nn.get_activation(activation)(nn.batch_norm(h, layer["gamma"], layer["beta"],
                                                                  mean=m[0], var=m[1])))
    return stats


def predict(params, x, activation="tanh", stats=None, batch=4096):
    """Predicted classes (argmax of the logits) for the rows of ``x``."""
    out = [np.argmax(np.asarray(forward(params, x[i:i + batch], activation, stats)), axis=1)
           for i in range(0, len(x), batch)]
    return np.concatenate(out) if out else np.zeros(0, np.int64)


def accuracy(params, x, y, activation="tanh", stats=None) -> float:
    """Fraction of rows whose predicted class is ``y``; rows with non-finite logits count as wrong."""
    correct = 0
    for i in range(0, len(x), 4096):
        logits = np.asarray(forward(params, x[i:i + 4096], activation, stats))
        ok = np.all(np.isfinite(logits), axis=1)
        correct += int(np.sum(ok & (np.argmax(logits, axis=1) == y[i:i + 4096])))
    return correct / max(1, len(x))


def hidden_network(params, activation="tanh", stats=None):
    """The hidden layers as an :class:`expressivity.networks.RandomNetwork` (float64), for the
    exact forward-mode measures of :mod:`expressivity.propagate` on trained weights.

    Batch norm with population ``stats`` is an affine map of h, folded into W and b:
    W' = W s, b' = (b - mean) s + beta with s = gamma / sqrt(var + eps); so is the
    trajectory layer's scale lambda: W' = lambda W, b' = lambda b.
    """
    from ..activations import get_activation
    from ..networks import RandomNetwork

    Ws, bs = [], []
    for l, layer in enumerate(params[:-1]):
        W = np.asarray(layer["W"], np.float64)
        b = np.asarray(layer["b"], np.float64)
        if "scale" in layer:
            s = float(layer["scale"])
            W, b = W * s, b * s
        if "gamma" in layer:
            if stats is None:
                raise ValueError("a batch-norm network needs its population stats to be a fixed map")
            m, v = (np.asarray(s, np.float64) for s in stats[l])
            s = np.asarray(layer["gamma"], np.float64) / np.sqrt(v + 1e-5)
            W, b = W * s, (b - m) * s + np.asarray(layer["beta"], np.float64)
        Ws.append(np.ascontiguousarray(W.T))
        bs.append(b)
    return RandomNetwork(tuple(Ws), tuple(bs), get_activation(activation), float("nan"), float("nan"))
