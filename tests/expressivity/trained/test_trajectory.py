"""Trajectory length of trained layers, the trajectory regulariser, and lengths during training.

Oracles: the great circle's closed-form length 2 pi sqrt(d) (radius sqrt(d q), q = 1);
the spline loop passes through its digits (definition); the polyline length of densely
sampled layer outputs (finite differences: an independent, convergent estimate of the exact
forward-mode length); the autodiff regulariser's lengths against the forward-mode module
(two implementations); central finite differences of the penalty's gradient.
"""
import numpy as np
import pytest

from expressivity.autodiff.testing import check_grads
from expressivity.trained import model as M
from expressivity.trained.data import prepare
from expressivity.trained.length_dynamics import lengths_during_training
from expressivity.trained.regularizer import traced_lengths, trajectory_penalty
from expressivity.trained.trajectory import data_trajectory, layer_lengths

D = prepare("digits", np.float64)


def test_data_trajectories():
    """circle: length 2 pi sqrt(64); loop: closed, passes through one test digit per class."""
    c = data_trajectory(D, "circle", 256)
    assert np.isclose(np.sum(c.weights * np.linalg.norm(c.dx, axis=1)), 2 * np.pi * 8, rtol=1e-12)
    loop = data_trajectory(D, "loop", 100, seed=3)
    assert loop.periodic and loop.x.shape == (100, 64)
    hits = [np.min(np.linalg.norm(D.x_test - p, axis=1)) for p in loop.x[::10]]
    assert np.max(hits) < 1e-10
    arc = data_trajectory(D, "arc", 50, seed=1)
    assert not arc.periodic
    with pytest.raises(ValueError, match="kind"):
        data_trajectory(D, "spiral")


@pytest.mark.parametrize("act,rtol", [("tanh", 1e-6), ("hard_tanh", 5e-4)])
def test_layer_lengths_against_dense_polyline(act, rtol):
    """Forward-mode lengths (4001 samples) of a tanh / hard-tanh net along an arc match the
    polyline length of 20 001 samples of each layer's output (measured gaps 2e-8 and 1.3e-4:
    at hard-tanh's kinks the speed jumps, so both quadratures converge only like 1/n)."""
    p = M.init_params(64, 10, 3, 30, 4.0, 0.05, seed=2, dtype=np.float64)
    c = data_trajectory(D, "arc", 4001, seed=2)
    got = layer_lengths(p, c, act)
    dense = data_trajectory(D, "arc", 20_001, seed=2)
    net = M.hidden_network(p, act)
    zs = [dense.x] + net.forward(dense.x, post_activation=True)
    poly = [np.sum(np.linalg.norm(np.diff(z, axis=0), axis=1)) for z in zs]
    np.testing.assert_allclose(got, poly, rtol=rtol)


@pytest.mark.parametrize("act", ["tanh", "hard_tanh", "relu"])
def test_regulariser_lengths_equal_forward_mode_module(act):
    """traced_lengths (autodiff ops) == layer_lengths (expressivity.propagate) of the
    pre-activations per layer, also with trajectory-layer scales lambda != 1 (the length of
    h^(d) is taken before the scale: the folded network's h^(d) is lambda_d h^(d))."""
    p = M.init_params(64, 10, 4, 20, 3.0, 0.05, seed=4, dtype=np.float64, norm="trajectory")
    lam = [0.5, 1.5, 0.8, 1.2]
    for layer, s in zip(p[:-1], lam):
        layer["scale"][...] = s
    c = data_trajectory(D, "loop", 128, seed=0)
    np.testing.assert_allclose([float(v) * s for v, s in zip(traced_lengths(p, c, act), lam)],
                               layer_lengths(p, c, act, post_activation=False)[1:], rtol=1e-10)


def test_penalty_value_and_gradient():
    """At the original lengths (lambda = 1) the penalty is strength x depth; its gradient
    w.r.t. the weights and scales matches central finite differences (float64, tanh)."""
    p = M.init_params(64, 10, 2, 6, 2.0, 0.05, seed=5, dtype=np.float64, norm="trajectory")
    c = data_trajectory(D, "loop", 32, seed=1)
    orig = [float(v) for v in traced_lengths(p, c, "tanh")]
    assert np.isclose(trajectory_penalty(p, c, orig, 0.01, "tanh"), 0.02, rtol=1e-12)
    p[0]["scale"][...] = 0.7
    check_grads(lambda p: trajectory_penalty(p, c, orig, 0.01, "tanh"), (p,), rtol=1e-6)
    check_grads(lambda p: M.cross_entropy(M.forward(p, D.x_train[:9], "tanh"), D.y_train[:9]), (p,), rtol=1e-6)


def test_lengths_during_training_start_at_the_initial_network():
    """Row 0 = layer_lengths of a fresh init from the same seed; records at 0, 5, 10, 12."""
    out = lengths_during_training("hard_tanh", 16.0, 0.0, depth=3, width=12, steps=12, record_every=5,
                                  seed=4, n_points=300, optimizer="sgd", lr=0.01)
    np.testing.assert_array_equal(out["step"], [0, 5, 10, 12])
    assert out["length"].shape == (4, 4) and out["test_accuracy"].shape == (4,)
    d = prepare()
    p0 = M.init_params(64, 10, 3, 12, 16.0, 0.0, seed=4)
    c = data_trajectory(d, "loop", 300, 0)
    np.testing.assert_allclose(out["length"][0], layer_lengths(p0, c, "hard_tanh"), rtol=1e-12)
    assert not np.allclose(out["length"][-1], out["length"][0])
