"""The network of the continual-learning experiments: a ReLU MLP whose parameters are views into
one flat vector, its masked cross-entropy, accuracy per head, and the diagonal Fisher.

Zenke et al. (2017) use ReLU MLPs (2 x 256 for split MNIST, 2 x 2000 for permuted MNIST) with
one output layer; in the multi-head protocol a task's softmax runs over its own output units
only (the reference code masks the other logits). Here a task's inactive units get the logit
offset -1e30, so softmax and cross-entropy are those of the task's units and their gradient
is exactly zero elsewhere.

Parameters live in one flat float vector ``theta`` and ``params`` is the usual
``[{"W", "b"}, ...]`` pytree of views into it (layer by layer, ``W`` row-major then ``b``):
:func:`expressivity.autodiff.nn.mlp_apply` and the in-place optimisers work on the views,
while SI and EWC do their per-parameter bookkeeping in a few vector operations on ``theta``.

Initialisation: Keras' defaults, as in ``ganguli-lab/pathint`` (Glorot-uniform weights,
W ~ U(-a, a) with a = sqrt(6 / (fan_in + fan_out)), zero biases); the split-MNIST code sets
the output layer's weights to zero (``zero_head=True``).
"""
from __future__ import annotations

import numpy as np

import expressivity.autodiff.numpy as anp
from expressivity.autodiff import nn

from ..checks import as_generator, check_choice, check_positive_int

__all__ = ["Network", "init_network", "unflatten", "cross_entropy", "task_offset", "one_hot", "fisher_diagonal",
           "FISHER_KINDS", "NEG"]

#: Logit offset of a task's inactive output units (finite: 0 * NEG is 0, not NaN).
NEG = -1e30
FISHER_KINDS = ("exact", "empirical", "sampled")


class Network:
    """A ReLU MLP of layer widths ``sizes`` with its parameters in the flat vector ``theta``.

    ``params`` are views into ``theta`` (writing either writes both). ``logits(x)`` and
    ``accuracy(x, y, classes)`` run on plain numpy.
    """

    def __init__(self, sizes, theta):
        self.sizes = tuple(int(s) for s in sizes)
        n = sum(a * b + b for a, b in zip(self.sizes[:-1], self.sizes[1:]))
        theta = np.asarray(theta)
        if theta.ndim != 1 or theta.size != n or theta.dtype.kind != "f":
            raise ValueError(f"theta must be a flat float vector of {n} parameters for sizes {self.sizes}")
        self.theta = theta
        self.params = []
        self.slices = []  # (W slice, b slice) into theta, layer by layer
        o = 0
        for a, b in zip(self.sizes[:-1], self.sizes[1:]):
            sw, sb = slice(o, o + a * b), slice(o + a * b, o + a * b + b)
            self.params.append({"W": theta[sw].reshape(a, b), "b": theta[sb]})
            self.slices.append((sw, sb))
            o += a * b + b

    @property
    def n_params(self) -> int:
        return self.theta.size

    def layer_names(self):
        """``"W1", "b1", "W2", ...`` in the order of :attr:`slices`."""
        return [f"{k}{i + 1}" for i in range(len(self.slices)) for k in ("W", "b")]

    def logits(self, x) -> np.ndarray:
        h = np.asarray(x, self.theta.dtype)
        last = len(self.params) - 1
        for i, p in enumerate(self.params):
            h = h @ p["W"] + p["b"]
            if i < last:
                np.maximum(h, 0, out=h)
        return h

    def predict(self, x, classes) -> np.ndarray:
        """The predicted output unit among ``classes`` (the task's head)."""
        classes = np.asarray(classes)
        return classes[np.argmax(self.logits(x)[:, classes], axis=1)]

    def accuracy(self, x, y, classes) -> float:
        return float(np.mean(self.predict(x, classes) == np.asarray(y)))

    def copy(self) -> "Network":
        return Network(self.sizes, self.theta.copy())

    def __repr__(self) -> str:
        return f"Network(sizes={list(self.sizes)}, {self.n_params} parameters, {self.theta.dtype})"


def unflatten(theta, sizes):
    """``[{"W", "b"}, ...]`` of a flat parameter vector laid out like :class:`Network`'s, for
    plain arrays and traced values alike (differentiate a loss with respect to ``theta``)."""
    out, o = [], 0
    for a, b in zip(sizes[:-1], sizes[1:]):
        out.append({"W": anp.reshape(theta[o:o + a * b], (a, b)), "b": theta[o + a * b:o + a * b + b]})
        o += a * b + b
    return out


def init_network(sizes, seed=0, dtype=np.float32, zero_head: bool = False) -> Network:
    """Glorot-uniform weights, zero biases (Keras' ``Dense`` defaults); ``zero_head`` zeroes the
    output layer's weights (the split-MNIST code's ``kernel_initializer='zero'``)."""
    sizes = [check_positive_int(f"sizes[{i}]", s) for i, s in enumerate(sizes)]
    if len(sizes) < 2:
        raise ValueError(f"sizes must list at least an input and an output width, got {sizes}")
    rng = as_generator(seed)
    n = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    net = Network(sizes, np.zeros(n, dtype))
    for i, (p, (a, b)) in enumerate(zip(net.params, zip(sizes[:-1], sizes[1:]))):
        if zero_head and i == len(net.params) - 1:
            continue
        lim = np.sqrt(6.0 / (a + b))
        p["W"][...] = rng.uniform(-lim, lim, (a, b))
    return net


def one_hot(y, n_outputs, dtype=np.float32) -> np.ndarray:
    out = np.zeros((len(y), n_outputs), dtype)
    out[np.arange(len(y)), np.asarray(y)] = 1
    return out


def task_offset(classes, n_outputs, dtype=np.float32):
    """The logit offset row of a head: 0 on ``classes``, :data:`NEG` elsewhere; None when the
    head is every unit (single head)."""
    classes = np.asarray(classes)
    if len(classes) == n_outputs:
        return None
    off = np.full((1, n_outputs), NEG, dtype)
    off[0, classes] = 0
    return off


def cross_entropy(params, x, targets, offset=None):
    """Mean cross-entropy -1/n sum_i log softmax(z_i + offset_i)[y_i] of the MLP's logits z,
    over each example's head (``offset``: 0 on its units, -1e30 elsewhere; None: all units).
    ``targets`` are one-hot rows. Differentiable (:mod:`expressivity.autodiff`)."""
    z = nn.mlp_apply(params, x, activation="relu")
    if offset is not None:
        z = z + offset
    return -anp.sum(targets * anp.log_softmax(z, axis=1)) / x.shape[0]


def fisher_diagonal(net: Network, x, classes, kind: str = "exact", y=None, rng=None,
                    chunk: int = 512) -> np.ndarray:
    """Diagonal of the Fisher information of the model's head ``classes``, averaged over the rows
    of ``x``, as a flat vector laid out like ``net.theta`` (float64).

    F_k = 1/N sum_n sum_c w_nc (d log p(c | x_n, theta) / d theta_k)^2 over the head's classes c,
    with w_nc = p(c | x_n) for ``"exact"`` (the Fisher of the model's predictive distribution,
    as in EWC, Kirkpatrick et al. 2017, computed in expectation instead of by sampling),
    w_nc = 1[c = y_n] for ``"empirical"`` (observed labels ``y``), and one class drawn from
    p(. | x_n) per example for ``"sampled"`` (``rng``).

    Per-example gradients of a dense layer are outer products (d/dW = a_{l-1} delta_l^T), so
    sum_n w (d/dW)^2 = (a_{l-1}^2)^T (sum_c w delta_l^2): one backward pass per class, one
    product per layer.
    """
    check_choice("kind", kind, FISHER_KINDS)
    classes = np.asarray(classes, np.int64)
    x = np.asarray(x, net.theta.dtype)
    if kind == "empirical":
        if y is None:
            raise ValueError("kind='empirical' needs the labels y")
        y = np.asarray(y)
        pos = {int(c): i for i, c in enumerate(classes)}
        try:
            y_local = np.array([pos[int(v)] for v in y], np.int64)
        except KeyError:
            raise ValueError(f"y must hold labels among the head's classes {classes.tolist()}") from None
    if kind == "sampled":
        rng = as_generator(0 if rng is None else rng, "rng")
    n = len(x)
    L = len(net.params)
    dt = net.theta.dtype
    acc = [np.zeros(sw.stop - sw.start) for sw, _ in net.slices], [np.zeros(sb.stop - sb.start)
                                                                  for _, sb in net.slices]
    for s in range(0, n, chunk):
        xb = x[s:s + chunk]
        acts, masks = [xb], []
        h = xb
        for i, p in enumerate(net.params):
            h = h @ p["W"] + p["b"]
            if i < L - 1:
                masks.append(h > 0)
                h = np.maximum(h, 0)
                acts.append(h)
        z = h[:, classes].astype(np.float64)
        z -= z.max(axis=1, keepdims=True)
        prob = np.exp(z)
        prob /= prob.sum(axis=1, keepdims=True)
        if kind == "exact":
            cols = [(np.full(len(xb), k), prob[:, k]) for k in range(len(classes))]
        elif kind == "empirical":
            cols = [(y_local[s:s + chunk], np.ones(len(xb)))]
        else:
            u = rng.random(len(xb))[:, None]
            cols = [(np.minimum((np.cumsum(prob, axis=1) < u).sum(axis=1), len(classes) - 1),
                     np.ones(len(xb)))]
        sq = [np.zeros((len(xb), net.sizes[i + 1])) for i in range(L)]  # sum_c w delta_l^2
        for k, w in cols:
            d_local = -prob.copy()
            d_local[np.arange(len(xb)), k] += 1.0                 # d log p_k / d z = e_k - p
            delta = np.zeros((len(xb), net.sizes[-1]), dt)   # backward in the network's dtype
            delta[:, classes] = d_local
            for i in range(L - 1, -1, -1):
                d64 = delta.astype(np.float64)
                sq[i] += w[:, None] * d64 * d64
                if i:
                    delta = (delta @ net.params[i]["W"].T) * masks[i - 1]
        for i in range(L):
            a = acts[i]
            acc[0][i] += ((a * a).T @ sq[i].astype(dt)).ravel()
            acc[1][i] += sq[i].sum(axis=0)
    out = np.empty(net.n_params)
    for i, (sw, sb) in enumerate(net.slices):
        out[sw] = acc[0][i] / n
        out[sb] = acc[1][i] / n
    return out
