"""Trajectory length of a trained network's hidden layers, measured exactly (forward mode).

Raghu et al. (2017, Sec. 4.2, Figs. 8-9) follow the length l(z^(d)) = integral ||dz^(d)/dt|| dt
of an input trajectory x(t) pushed through layer d while the network trains. Here the trained
weights are put into an :class:`expressivity.networks.RandomNetwork`
(:func:`~expressivity.trained.model.hidden_network`) and the curve is propagated with the
exact forward-mode machinery of :func:`expressivity.propagate.propagate_curve` (value and
velocity carried together; no finite differences), post-activation, as in Raghu et al.

Input trajectories through the data (:func:`data_trajectory`):
``"loop"``  a closed cubic spline through one digit of each class (periodic trapezoid rule);
``"arc"``   Raghu's arc cos(pi t/2) x0 + sin(pi t/2) x1 between two digits of different classes;
``"circle"`` a circle in the plane of the data's two leading principal directions, of
            squared length per coordinate 1 (the standardised data's mean).
"""
from __future__ import annotations

import numpy as np

from ..checks import check_choice, check_positive_int, as_generator
from ..curves import Curve, arc, great_circle, interpolate
from ..propagate import propagate_curve
from .model import hidden_network

__all__ = ["TRAJECTORIES", "data_trajectory", "layer_lengths"]

TRAJECTORIES = ("loop", "arc", "circle")


def data_trajectory(data, kind="loop", n_points=400, seed=0, split="test") -> Curve:
    """An input curve through the standardised data ``data`` (a :class:`~.data.Prepared`).

    ``seed`` picks the digits (one per class for ``"loop"``, two of different classes for
    ``"arc"``) from the ``split`` (``"test"`` or ``"train"``) rows. Float64 samples.
    """
    check_choice("kind", kind, TRAJECTORIES)
    check_choice("split", split, ("test", "train"))
    n_points = check_positive_int("n_points", n_points, 3)
    x = np.asarray(data.x_test if split == "test" else data.x_train, np.float64)
    y = data.y_test if split == "test" else data.y_train
    rng = as_generator(seed)
    if kind == "circle":
        c = np.asarray(data.x_train, np.float64)
        _, _, vt = np.linalg.svd(c - c.mean(axis=0), full_matrices=False)
        return great_circle(c.shape[1], n_points, 1.0, basis=(vt[0], vt[1]))
    classes = np.unique(y)
    picks = [int(rng.choice(np.flatnonzero(y == k))) for k in rng.permutation(classes)]
    if kind == "arc":
        return arc(x[picks[0]], x[picks[1]], n_points)
    return interpolate(x[picks], n_points, closed=True)


def layer_lengths(params, curve: Curve, activation="tanh", stats=None, post_activation=True) -> np.ndarray:
    """Exact lengths l(z^(d)) = integral ||dz^(d)/dt|| dt of ``curve`` at the input (d = 0)
    and after every hidden layer d = 1..depth, shape (depth + 1,): post-activation z^(d) (as
    Raghu et al.) or, with ``post_activation=False``, the pre-activations h^(d).

    ``params`` are the classifier's (:mod:`.model`); ``stats`` the population statistics of
    its batch-norm layers, if any (folded into an affine map, as is a trajectory layer's scale)."""
    net = hidden_network(params, activation, stats)
    m = propagate_curve(net, curve, post_activation=post_activation)
    widths = np.array([curve.dim] + list(net.widths), np.float64)
    return m.euclidean_length * np.sqrt(widths)
