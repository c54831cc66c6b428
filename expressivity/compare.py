"""Mean-field theory against finite-network simulation, one function per experiment.

Each helper returns the theory curve, the simulated curve and their disagreement, so that
notebooks, figures and tests call the same code. ``meanfield`` is imported lazily (inside
the functions): the simulation itself never needs it.

- :func:`circle_theory_vs_simulation`: Poole et al. (2016) Eq. 8 (``meanfield.curve_theory``)
  against :func:`expressivity.propagate_circle`, field by field.
- :func:`autocorrelation_theory_vs_simulation`: c^l(dtheta) from iterating the correlation map
  from c^1 = cos(dtheta) against the simulated autocorrelation of h^l (Fig. 3).
- :func:`length_map_theory_vs_simulation`: V(q) against one simulated layer (Fig. 1A).
- :func:`correlation_dynamics_theory_vs_simulation`: c^l from c^1 = c0 (Fig. 2B).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .checks import check_array, check_variance
from .curves import great_circle
from .measures import CurveMeasures, autocorrelation
from .networks import as_generator, check_positive_int, random_network
from .propagate import circle_network, circle_q, iterate_layers, propagate_circle


def _meanfield():
    import meanfield as mf

    if not hasattr(mf, "curve_theory"):
        raise ImportError("meanfield.curve_theory is not available in this installation")
    return mf


class Comparison(NamedTuple):
    """``theory`` and ``simulation`` (mean over seeds) with ``relative_error`` = sim/theory - 1."""

    theory: CurveMeasures
    simulation: CurveMeasures
    per_seed: tuple
    relative_error: CurveMeasures


def circle_theory_vs_simulation(activation, sigma_w2, sigma_b2, width, depth, n_points=500,
                                seeds=(0,), q0=None) -> Comparison:
    """Eq. 8 against propagate_circle, averaged over ``seeds`` (fields of shape (depth,))."""
    _check_common(sigma_w2, sigma_b2)
    depth = check_positive_int("depth", depth)
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__len__") or len(seeds) == 0:
        raise ValueError(f"seeds must be a non-empty sequence of int seeds >= 0, got {seeds!r}")
    for s in seeds:
        as_generator(s, "seeds[i]")
    mf = _meanfield()
    th = mf.curve_theory(activation, sigma_w2, sigma_b2, depth, q0=q0)
    theory = CurveMeasures(*(np.asarray(getattr(th, f), dtype=float) for f in CurveMeasures._fields))
    sims = tuple(propagate_circle(activation, sigma_w2, sigma_b2, width, depth, n_points, seed=s,
                                  q0=q0) for s in seeds)
    sim = CurveMeasures(*(np.mean([getattr(s, f) for s in sims], axis=0)
                          for f in CurveMeasures._fields))
    rel = CurveMeasures(*(getattr(sim, f) / getattr(theory, f) - 1 for f in CurveMeasures._fields))
    return Comparison(theory, sim, sims, rel)


def _check_common(sigma_w2, sigma_b2):
    check_variance("sigma_w2", sigma_w2)
    check_variance("sigma_b2", sigma_b2)


def _check_c0(c0):
    c = check_array("c0", c0, ndim=(0, 1))
    if np.any(np.abs(c) > 1):
        raise ValueError(f"c0 must lie in [-1, 1], got values up to {float(np.max(np.abs(c)))}")
    return c


def correlation_iterates(activation, sigma_w2, sigma_b2, c0, n_layers):
    """Theory: c^1 = c0 (array), c^{l+1} = correlation_map(c^l) at q*; shape (n_layers, ...)."""
    _check_common(sigma_w2, sigma_b2)
    n_layers = check_positive_int("n_layers", n_layers)
    mf = _meanfield()
    c = _check_c0(c0)
    out = [c]
    for _ in range(n_layers - 1):
        c = np.asarray(mf.correlation_map(c, activation, sigma_w2, sigma_b2), dtype=float)
        out.append(c)
    return np.array(out)


class LayerwiseComparison(NamedTuple):
    x: np.ndarray            # abscissa (dtheta, q, or layer index)
    theory: np.ndarray
    simulation: np.ndarray
    max_abs_error: float


def autocorrelation_theory_vs_simulation(activation, sigma_w2, sigma_b2, width, layers,
                                         n_points=500, seed=0, q0=None) -> LayerwiseComparison:
    """Autocorrelation vs dtheta at the given layers (1-based; layer 1 = the circle h^1).

    Theory iterates the correlation map at q* from cos(dtheta) (Poole et al. 2016, Fig. 3);
    simulation: sum_theta h(theta).h(theta+dtheta) / sum_theta ||h||^2 of one network.
    Arrays have shape (len(layers), n_points).
    """
    if isinstance(layers, (str, bytes)) or not hasattr(layers, "__iter__"):
        raise TypeError(f"layers must be a non-empty sequence of 1-based layer indices, got "
                        f"{type(layers).__name__}")
    layers = [check_positive_int("layers[i]", l) for l in layers]
    if not layers:
        raise ValueError("layers must be a non-empty sequence of 1-based layer indices, got []")
    depth = max(layers)
    net, circle = circle_network(activation, sigma_w2, sigma_b2, width, depth, n_points, seed, q0)
    dtheta = circle.t
    sim = {}
    if net is None:
        sim[1] = autocorrelation(circle.x)
    else:
        for l, (x, _, _) in enumerate(iterate_layers(net, circle, input_is_preactivation=True), 1):
            if l in layers:
                sim[l] = autocorrelation(x)
    th = correlation_iterates(activation, sigma_w2, sigma_b2, np.cos(dtheta), depth)
    theory = np.array([th[l - 1] for l in layers])
    simulation = np.array([sim[l] for l in layers])
    return LayerwiseComparison(dtheta, theory, simulation, float(np.max(np.abs(theory - simulation))))


def length_map_theory_vs_simulation(activation, sigma_w2, sigma_b2, q_values, width=1000,
                                    seed=0) -> LayerwiseComparison:
    """V(q) against one simulated layer: h on the sphere ||h||^2/N = q, q_out = ||W phi(h) + b||^2/N."""
    _check_common(sigma_w2, sigma_b2)
    width = check_positive_int("width", width)
    q_values = check_array("q_values", q_values, ndim=1)
    if np.any(q_values < 0):
        raise ValueError("q_values must be squared lengths per unit >= 0")
    mf = _meanfield()
    rng = as_generator(seed)
    net = random_network(width, width, 1, activation, sigma_w2, sigma_b2, seed=rng)
    sim = []
    for q in q_values:
        u = rng.standard_normal(width)
        h = u * np.sqrt(width * q) / np.linalg.norm(u)
        out = net.forward(h, input_is_preactivation=True)[0]
        sim.append(out @ out / width)
    theory = np.array([float(mf.length_map(q, activation, sigma_w2, sigma_b2)) for q in q_values])
    sim = np.array(sim)
    return LayerwiseComparison(q_values, theory, sim, float(np.max(np.abs(theory - sim))))


def correlation_dynamics_theory_vs_simulation(activation, sigma_w2, sigma_b2, c0, depth,
                                              width=1000, seed=0, q0=None) -> LayerwiseComparison:
    """c^l for l = 1..depth from two inputs h^1 at q* with correlation c0 (array of c0 values).

    Simulation: c^l = h_a.h_b / (||h_a|| ||h_b||) through one network; arrays (len(c0), depth).
    """
    c0 = np.atleast_1d(_check_c0(c0))
    depth = check_positive_int("depth", depth)
    width = check_positive_int("width", width, 2)
    q = circle_q(activation, sigma_w2, sigma_b2, q0)
    rng = as_generator(seed)
    u0 = great_circle(width, 3, q, seed=rng).x[0]
    net = random_network(width, width, depth - 1, activation, sigma_w2, sigma_b2, seed=rng) \
        if depth > 1 else None
    e = rng.standard_normal(width)
    e -= (e @ u0) / (u0 @ u0) * u0
    e *= np.linalg.norm(u0) / np.linalg.norm(e)
    sim = []
    for c in c0:
        ha, hb = u0, c * u0 + np.sqrt(1 - c * c) * e
        H = np.stack([ha, hb])
        rows = [H] + (net.forward(H, input_is_preactivation=True) if net is not None else [])
        sim.append([r[0] @ r[1] / np.linalg.norm(r[0]) / np.linalg.norm(r[1]) for r in rows])
    theory = correlation_iterates(activation, sigma_w2, sigma_b2, c0, depth).T
    sim = np.array(sim)
    return LayerwiseComparison(np.arange(1, depth + 1), theory, sim,
                               float(np.max(np.abs(theory - sim))))
