"""Table-driven bad-input test of the public functions of propagate, regions, compare,
networks, curves, measures and activations (issue 19).

Oracle: the documented contract (DESIGN.md "Errors"): every bad input gives a ValueError or
TypeError naming the argument and the allowed values, or a documented inf/NaN; never a numba
typing error, an IndexError/KeyError from inside, a warning, a silent NaN or a hang. The
harness is tests/expressivity/_bad_input.py.
"""
from __future__ import annotations

import math

import numpy as np

import expressivity as ex
from expressivity import compare, curves, measures, networks, propagate, regions
from expressivity.activations import get_activation
from tests.expressivity._bad_input import Doc, Named, finite, table_tests

nan, inf = math.nan, math.inf

# bad values for a variance argument, and what each must name
BAD_VARIANCE = [nan, inf, -inf, -1.0, -1e-300, "1", None, 1 + 0j, [1.0], np.array([1.0, 2.0])]
BAD_SIZE = [0, -3, 2.5, "5", None, nan, 1 + 0j, [5], True]
BAD_SEED = [-1, 2.5, "0", None, 1 + 0j]
BAD_ACTIVATION = ["tanhh", "", None, 3, 1.5]
BAD_VECTOR = [None, "abc", np.array([]), np.array([1.0, nan, 0.0]), np.array([1.0, inf, 0.0]),
              np.array([1 + 1j, 0, 0]), [[1.0, 2.0, 3.0]]]

_NET = networks.random_network(3, 4, 2, "relu", 2.0, 0.1, seed=0)
_TANH_NET = networks.random_network(3, 4, 2, "tanh", 1.0, 0.1, seed=0)
_X = np.random.default_rng(0).standard_normal((5, 3))
_CIRCLE = curves.great_circle(3, 8, 1.0, seed=0)

CASES = []


def add(name, thunk, expect):
    CASES.append((f"{name}", thunk, expect))


# ---------------------------------------------------------------- propagate_circle & friends
PC = dict(activation="tanh", sigma_w2=1.5, sigma_b2=0.05, width=8, depth=3, n_points=16)


def pc(fn=ex.propagate_circle, **kw):
    args = dict(PC, **kw)
    return lambda: fn(**args)


for fn in (ex.propagate_circle, propagate.circle_network):
    fname = fn.__name__
    for i, v in enumerate(BAD_VARIANCE):
        add(f"{fname}-sigma_w2-{i}", pc(fn, sigma_w2=v), Named("sigma_w2"))
        add(f"{fname}-sigma_b2-{i}", pc(fn, sigma_b2=v), Named("sigma_b2"))
    for i, v in enumerate(BAD_SIZE):
        add(f"{fname}-width-{i}", pc(fn, width=v), Named("width"))
        add(f"{fname}-depth-{i}", pc(fn, depth=v), Named("depth"))
        add(f"{fname}-n_points-{i}", pc(fn, n_points=v), Named("n_points"))
    for i, v in enumerate(BAD_SEED):
        add(f"{fname}-seed-{i}", pc(fn, seed=v), Named("seed"))
    for i, v in enumerate(BAD_ACTIVATION):
        add(f"{fname}-activation-{i}", pc(fn, activation=v), Named("activation"))
    for i, v in enumerate([0.0, -1.0, nan, inf, "1", 1 + 0j, [1.0]]):
        add(f"{fname}-q0-{i}", pc(fn, q0=v), Named("q0"))
    # q* = 0 (no weights, no bias) and q* = inf (relu in the ordered... unbounded phase)
    add(f"{fname}-qstar-zero", pc(fn, sigma_w2=0.0, sigma_b2=0.0), Named("q*", "q0"))
    add(f"{fname}-qstar-inf", pc(fn, activation="relu", sigma_w2=3.0), Named("q*", "q0"))
    add(f"{fname}-huge-variance", pc(fn, sigma_w2=1e300), Named("sigma_w2", "n_points", "q*"))
    add(f"{fname}-huge-width", pc(fn, width=10**9), Named("width"))
    add(f"{fname}-huge-points", pc(fn, n_points=10**12), Named("n_points"))

# the 442-case run's findings
add("propagate_circle-tanh-1e6-underflow", lambda: ex.propagate_circle("tanh", 1e6, 0, 20, 3),
    Named("n_points"))
add("propagate_circle-post_activation-str", pc(post_activation="yes"), Named("post_activation"))
add("propagate_circle-zero-sigma_w2-documented",
    pc(sigma_w2=0.0, sigma_b2=0.5),
    Doc(lambda r: r.gbar[0] > 0 and r.gbar[-1] == 0 and np.isnan(r.kappa_bar2[-1]),
        "gbar 0 and kappa_bar2 NaN above the circle when sigma_w2 = 0 (documented)"))


def _sympy_softsign():
    import meanfield as mf
    import sympy as sp

    x = sp.Symbol("x")
    return mf.Activation.from_sympy(x / sp.sqrt(1 + x * x), x)


add("propagate_circle-from_sympy-computes-qstar",
    lambda: ex.propagate_circle(_sympy_softsign(), 1.5, 0.05, 8, 2, 16),
    Doc(lambda r: finite(r.q) and r.q[0] > 0, "q* through meanfield for a from_sympy activation"))

for i, v in enumerate(BAD_VARIANCE):
    add(f"circle_q-sigma_w2-{i}", lambda v=v: propagate.circle_q("tanh", v, 0.1), Named("sigma_w2"))
add("circle_q-activation", lambda: propagate.circle_q("nope", 1.0, 0.1), Named("activation"))

# propagate_curve / iterate_layers
add("propagate_curve-net-None", lambda: propagate.propagate_curve(None, _CIRCLE), Named("net"))
add("propagate_curve-curve-str", lambda: propagate.propagate_curve(_NET, "circle"), Named("curve"))
add("propagate_curve-dim-mismatch",
    lambda: propagate.propagate_curve(_NET, curves.great_circle(5, 8)), Named("curve", "input_dim"))
add("iterate_layers-bad-shape", lambda: list(propagate.iterate_layers(_NET, np.zeros((4, 3)))),
    Named("curve"))
add("iterate_layers-nan",
    lambda: list(propagate.iterate_layers(_NET, np.full((3, 3), nan))), Named("curve"))

# ---------------------------------------------------------------- networks
RN = dict(input_dim=3, widths=4, depth=2, activation="tanh", sigma_w2=1.0, sigma_b2=0.1, seed=0)


def rn(**kw):
    args = dict(RN, **kw)
    return lambda: networks.random_network(**args)


for i, v in enumerate(BAD_VARIANCE):
    add(f"random_network-sigma_w2-{i}", rn(sigma_w2=v), Named("sigma_w2"))
    add(f"random_network-sigma_b2-{i}", rn(sigma_b2=v), Named("sigma_b2"))
for i, v in enumerate(BAD_SIZE):
    add(f"random_network-input_dim-{i}", rn(input_dim=v), Named("input_dim"))
    add(f"random_network-widths-{i}", rn(widths=v), Named("widths"))
    add(f"random_network-depth-{i}", rn(depth=v), Named("depth"))
for i, v in enumerate(BAD_SEED):
    add(f"random_network-seed-{i}", rn(seed=v), Named("seed"))
for i, v in enumerate(BAD_ACTIVATION):
    add(f"random_network-activation-{i}", rn(activation=v), Named("activation"))
add("random_network-widths-empty", rn(widths=[], depth=None), Named("widths"))
add("random_network-widths-list-bad", rn(widths=[3, 0], depth=None), Named("widths"))
add("random_network-depth-mismatch", rn(widths=[3, 4], depth=3), Named("depth"))
add("random_network-no-depth", rn(depth=None), Named("depth"))
add("random_network-huge", rn(input_dim=10**6, widths=10**6, depth=3), Named("widths", "input_dim"))
for i, v in enumerate([None, "x", np.zeros((2, 4)), np.array([[nan, 0, 0]]), np.array([1 + 0j, 0, 0]),
                       np.zeros((0, 3))]):
    add(f"forward-x-{i}", lambda v=v: _NET.forward(v), Named("x"))
add("forward-int-x-converted", lambda: _NET.forward(np.ones((2, 3), dtype=int)),
    Doc(lambda hs: all(finite(h) for h in hs), "integer inputs converted to float"))
for i, v in enumerate(BAD_SIZE[:3] + [None]):
    add(f"draw_layers-input_dim-{i}",
        lambda v=v: list(networks.draw_layers(np.random.default_rng(0), v, [3], 1.0, 0.0)),
        Named("input_dim"))
add("draw_layers-rng", lambda: list(networks.draw_layers(0, 3, [3], 1.0, 0.0)), Named("rng"))
add("draw_layers-sigma_w2", lambda: list(networks.draw_layers(np.random.default_rng(0), 3, [3], -1.0, 0.0)),
    Named("sigma_w2"))
add("standard_normal-out-int",
    lambda: networks.standard_normal(np.random.default_rng(0), np.zeros(3, int)), Named("out"))
add("standard_normal-out-list",
    lambda: networks.standard_normal(np.random.default_rng(0), [0.0, 0.0]), Named("out"))
add("standard_normal-scale-nan",
    lambda: networks.standard_normal(np.random.default_rng(0), np.zeros(3), nan), Named("scale"))

# ---------------------------------------------------------------- activations
for i, v in enumerate(BAD_ACTIVATION):
    add(f"get_activation-{i}", lambda v=v: get_activation(v), Named("activation"))

# ---------------------------------------------------------------- curves
for i, v in enumerate(BAD_SIZE):
    add(f"orthonormal_pair-dim-{i}", lambda v=v: curves.orthonormal_pair(v), Named("dim"))
    add(f"great_circle-n_points-{i}", lambda v=v: curves.great_circle(3, v), Named("n_points"))
    add(f"great_circle-dim-{i}", lambda v=v: curves.great_circle(v, 8), Named("dim"))
    add(f"arc-n_points-{i}", lambda v=v: curves.arc([1.0, 0], [0, 1.0], v), Named("n_points"))
    add(f"line-n_points-{i}", lambda v=v: curves.line([1.0, 0], [0, 1.0], v), Named("n_points"))
    add(f"interpolate-n_points-{i}", lambda v=v: curves.interpolate(np.eye(3), v), Named("n_points"))
for i, v in enumerate([0.0, -1.0, nan, inf, "1", None, 1 + 0j]):
    add(f"great_circle-q-{i}", lambda v=v: curves.great_circle(3, 8, v), Named("q"))
for i, v in enumerate(BAD_SEED):
    add(f"great_circle-seed-{i}", lambda v=v: curves.great_circle(3, 8, seed=v), Named("seed"))
add("great_circle-basis-mismatch", lambda: curves.great_circle(3, 8, basis=([1.0, 0], [0, 1.0, 0])),
    Named("basis"))
add("great_circle-basis-nan", lambda: curves.great_circle(3, 8, basis=([nan, 0, 0], [0, 1.0, 0])),
    Named("basis"))
add("great_circle-basis-str", lambda: curves.great_circle(3, 8, basis="ab"), Named("basis"))
for fn in (curves.arc, curves.line):
    for i, v in enumerate(BAD_VECTOR):
        add(f"{fn.__name__}-x0-{i}", lambda fn=fn, v=v: fn(v, [0.0, 1.0, 0.0]), Named("x0"))
        add(f"{fn.__name__}-x1-{i}", lambda fn=fn, v=v: fn([0.0, 1.0, 0.0], v), Named("x1"))
    add(f"{fn.__name__}-mismatch", lambda fn=fn: fn([1.0, 0.0], [0.0, 1.0, 0.0]), Named("x0"))
    add(f"{fn.__name__}-int-converted", lambda fn=fn: fn([1, 0], [0, 1], 4),
        Doc(lambda c: c.x.dtype == np.float64, "integer points converted to float"))
for i, v in enumerate([None, "ab", np.zeros((1, 3)), np.zeros(3), np.array([[nan, 0], [0, 1]]),
                       np.array([[1j, 0], [0, 1]]), np.zeros((0, 2))]):
    add(f"interpolate-points-{i}", lambda v=v: curves.interpolate(v), Named("points"))
add("interpolate-closed-str", lambda: curves.interpolate(np.eye(3), 8, closed="yes"), Named("closed"))

# ---------------------------------------------------------------- measures
_v = np.ones((4, 3))
for i, v in enumerate([None, "x", np.zeros((0, 3)), np.full((4, 3), nan), np.ones((4, 3)) * 1j,
                       np.ones(4)]):
    add(f"layer_measures-x-{i}", lambda v=v: measures.layer_measures(v, _v, _v, np.ones(4)), Named("x"))
add("layer_measures-shape-mismatch",
    lambda: measures.layer_measures(_v, np.ones((3, 3)), _v, np.ones(4)), Named("v"))
add("layer_measures-weights-mismatch",
    lambda: measures.layer_measures(_v, _v, _v, np.ones(3)), Named("weights"))
add("layer_measures-weights-negative",
    lambda: measures.layer_measures(_v, _v, _v, -np.ones(4)), Named("weights"))
add("layer_measures-zero-speed-documented",
    lambda: measures.layer_measures(_v, np.zeros((4, 3)), _v, np.ones(4)),
    Doc(lambda r: r[1] == 0 and math.isnan(r[2]) and math.isnan(r[4]),
        "kappa_bar2 and grassmannian_length NaN at zero speed (documented)"))
for fn in (measures.autocorrelation, measures.pca_spectrum, measures.pca_projection):
    for i, v in enumerate([None, "x", np.zeros((0, 3)), np.full((4, 3), nan), np.ones((4, 3)) * 1j,
                           np.ones(4), np.ones((2, 2, 2))]):
        add(f"{fn.__name__}-h-{i}", lambda fn=fn, v=v: fn(v), Named("h"))
add("autocorrelation-zero-documented", lambda: measures.autocorrelation(np.zeros((4, 3))),
    Named("h"))
for i, v in enumerate(BAD_SIZE):
    add(f"pca_projection-k-{i}", lambda v=v: measures.pca_projection(np.ones((4, 3)), v), Named("k"))
add("pca_projection-k-too-big", lambda: measures.pca_projection(np.eye(4)[:, :3], 5), Named("k"))
for i, v in enumerate([None, "x", [1.0], [1.0, -1.0], [1.0, 0.0], [1.0, nan], [1.0, inf],
                       np.ones((2, 2)), [1j, 1.0]]):
    add(f"growth_rate-lengths-{i}", lambda v=v: measures.growth_rate(v), Named("lengths"))

# ---------------------------------------------------------------- compare
for i, v in enumerate([-1, 0, 2.5, "3", None]):
    add(f"correlation_iterates-n_layers-{i}",
        lambda v=v: compare.correlation_iterates("tanh", 1.5, 0.05, 0.5, v), Named("n_layers"))
for i, v in enumerate([1.5, -1.5, nan, inf, "0.5", None, 1j, [0.2, 2.0]]):
    add(f"correlation_iterates-c0-{i}",
        lambda v=v: compare.correlation_iterates("tanh", 1.5, 0.05, v, 3), Named("c0"))
    add(f"correlation_dynamics-c0-{i}",
        lambda v=v: compare.correlation_dynamics_theory_vs_simulation("tanh", 1.5, 0.05, v, 3, width=8),
        Named("c0"))
for i, v in enumerate(BAD_VARIANCE):
    add(f"correlation_iterates-sigma_w2-{i}",
        lambda v=v: compare.correlation_iterates("tanh", v, 0.05, 0.5, 3), Named("sigma_w2"))
add("correlation_iterates-activation", lambda: compare.correlation_iterates("nope", 1.5, 0.05, 0.5, 3),
    Named("activation"))
for i, v in enumerate([[], [0], [-1], [2.5], "3", None, 3, [1, None]]):
    add(f"autocorrelation_tvs-layers-{i}",
        lambda v=v: compare.autocorrelation_theory_vs_simulation("tanh", 1.5, 0.05, 8, v, n_points=8),
        Named("layers"))
for i, v in enumerate(BAD_SIZE):
    add(f"correlation_dynamics-depth-{i}",
        lambda v=v: compare.correlation_dynamics_theory_vs_simulation("tanh", 1.5, 0.05, 0.5, v, width=8),
        Named("depth"))
    add(f"correlation_dynamics-width-{i}",
        lambda v=v: compare.correlation_dynamics_theory_vs_simulation("tanh", 1.5, 0.05, 0.5, 3, width=v),
        Named("width"))
    add(f"length_map_tvs-width-{i}",
        lambda v=v: compare.length_map_theory_vs_simulation("tanh", 1.5, 0.05, [1.0], width=v),
        Named("width"))
    add(f"circle_tvs-depth-{i}",
        lambda v=v: compare.circle_theory_vs_simulation("tanh", 1.5, 0.05, 8, v, n_points=8),
        Named("depth"))
for i, v in enumerate([None, "x", [], [-1.0], [nan], [inf], [1j], [[1.0]]]):
    add(f"length_map_tvs-q_values-{i}",
        lambda v=v: compare.length_map_theory_vs_simulation("tanh", 1.5, 0.05, v, width=8),
        Named("q_values"))
for i, v in enumerate(BAD_VARIANCE):
    add(f"length_map_tvs-sigma_w2-{i}",
        lambda v=v: compare.length_map_theory_vs_simulation("tanh", v, 0.05, [1.0], width=8),
        Named("sigma_w2"))
    add(f"circle_tvs-sigma_b2-{i}",
        lambda v=v: compare.circle_theory_vs_simulation("tanh", 1.5, v, 8, 3, n_points=8), Named("sigma_b2"))
for i, v in enumerate([(), [-1], ["a"], None, [2.5]]):
    add(f"circle_tvs-seeds-{i}",
        lambda v=v: compare.circle_theory_vs_simulation("tanh", 1.5, 0.05, 8, 3, n_points=8, seeds=v),
        Named("seeds", "seed"))

# ---------------------------------------------------------------- regions
for i, v in enumerate(BAD_VECTOR + [np.zeros(4)]):
    add(f"walk-center-{i}", lambda v=v: regions.walk(_NET, v, np.ones(3)), Named("center"))
    add(f"walk-u-{i}", lambda v=v: regions.walk(_NET, np.zeros(3), v), Named("u"))
    add(f"walk_line-x0-{i}", lambda v=v: regions.walk_line(_NET, v, np.ones(3)), Named("x0", "center"))
    add(f"walk_arc-x1-{i}", lambda v=v: regions.walk_arc(_NET, np.ones(3), v), Named("x1", "w"))
    add(f"walk_circle-u0-{i}", lambda v=v: regions.walk_circle(_NET, v, np.ones(3)), Named("u0", "u"))
add("walk-kind", lambda: regions.walk(_NET, np.zeros(3), np.ones(3), kind="spiral"), Named("kind"))
for i, v in enumerate([(1.0, 0.0), (0.0, nan), (0.0, inf), "ab", None, (0.0,), (0, 1j)]):
    add(f"walk-s_range-{i}", lambda v=v: regions.walk(_NET, np.zeros(3), np.ones(3), s_range=v),
        Named("s_range"))
for i, v in enumerate([0, -1, 2.5, "9", None]):
    add(f"walk-max_events-{i}",
        lambda v=v: regions.walk(_NET, np.zeros(3), np.ones(3), max_events=v), Named("max_events"))
add("walk-max_events-exceeded",
    lambda: regions.walk(_NET, np.zeros(3), np.ones(3) * 50, s_range=(-1.0, 1.0), max_events=1),
    Named("max_events", types=(RuntimeError,)))
for i, v in enumerate([None, "net", _TANH_NET]):
    add(f"walk-net-{i}", lambda v=v: regions.walk(v, np.zeros(3), np.ones(3)), Named("net", "activation"))
for i, v in enumerate([nan, inf, -1.0, 0.0, "1", None, 1j]):
    add(f"walk_circle-radius-{i}", lambda v=v: regions.walk_circle(_NET, np.ones(3), np.ones(3), v),
        Named("radius"))
for i, v in enumerate([None, "X", np.zeros((0, 3)), np.zeros((2, 4)), np.full((2, 3), nan),
                       np.ones((2, 3)) * 1j, np.zeros(3)]):
    add(f"patterns_at-X-{i}", lambda v=v: regions.patterns_at(_NET, v), Named("X"))
    add(f"sampled_counts-X-{i}", lambda v=v: regions.sampled_counts(_NET, v), Named("X"))
    add(f"dichotomies-X-{i}", lambda v=v: regions.dichotomies(_NET, 1, v), Named("X"))
add("dichotomies-X-too-many", lambda: regions.dichotomies(_NET, 1, np.ones((63, 3))), Named("X"))
for i, v in enumerate([0, 3, -1, 1.5, "1", None]):
    add(f"dichotomies-layer-{i}", lambda v=v: regions.dichotomies(_NET, v, _X), Named("layer"))
for i, v in enumerate(BAD_SEED):
    add(f"dichotomies-seed-{i}", lambda v=v: regions.dichotomies(_NET, 1, _X, seed=v), Named("seed"))
add("dichotomies-net-tanh", lambda: regions.dichotomies(_TANH_NET, 1, _X), Named("activation"))
_W1 = _NET.weights[0]
WC = dict(kind="line", s_range=(0.0, 1.0), A1=_W1 @ np.ones(3), B1=np.zeros(4), C1=_NET.biases[0],
          weights=_NET.weights, biases=_NET.biases, activation_code=0)


def wc(**kw):
    args = dict(WC, **kw)
    return lambda: regions.walk_coefficients(**args)


for i, v in enumerate([3, -1, 1.5, "relu", None]):
    add(f"walk_coefficients-activation_code-{i}", wc(activation_code=v), Named("activation_code"))
for i, v in enumerate([None, np.zeros(3), np.full(4, nan), np.ones(4) * 1j, "abc"]):
    add(f"walk_coefficients-A1-{i}", wc(A1=v), Named("A1"))
    add(f"walk_coefficients-C1-{i}", wc(C1=v), Named("C1"))
add("walk_coefficients-weights-empty", wc(weights=(), biases=()), Named("weights"))
add("walk_coefficients-weights-mismatch", wc(weights=(_W1, np.ones((2, 5)))), Named("weights"))
add("walk_coefficients-biases-mismatch", wc(biases=(np.zeros(4),)), Named("biases"))
add("walk_coefficients-weights-nan", wc(weights=(_W1, np.full((4, 4), nan))), Named("weights"))
add("walk_coefficients-kind", wc(kind="circle"), Named("kind"))


test_bad_input, test_case_ids_unique = table_tests(CASES)
