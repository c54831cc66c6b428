"""Synaptic Intelligence: the path integral, the consolidation step and the surrogate.

Oracles: for gradient descent with step eta on a quadratic L = 1/2 (theta - a)^T H (theta - a)
the path integral sum_t -g . Delta theta equals the drop in loss up to the exactly known
second-order term eta^2/2 sum_t g^T H g (Zenke et al. 2017, Sec. 3: the identity that
defines omega), so it converges to the drop linearly in eta; the penalty's gradient against
central finite differences; Omega against Eq. 4 evaluated directly; the fused kernels against
their numpy formulas; a whole two-task run against an independent re-implementation of the
paper's equations (autodiff gradients, textbook Adam or SGD, omega from the unregularised
gradient and the actual step).
"""
import math

import numpy as np
import pytest

from expressivity.autodiff import value_and_grad
from expressivity.autodiff.testing import numerical_grad
from expressivity.continual import SI, _kernels, run
from expressivity.continual.model import cross_entropy, init_network, one_hot, task_offset
from expressivity.continual.protocols import Protocol, Task


class _Flat:
    def __init__(self, theta):
        self.theta = theta


def _gd_on_quadratic(eta, steps, H, a, theta0):
    theta = theta0.copy()
    si = SI(c=0.0, xi=1e-3)
    si.start(_Flat(theta))
    loss = lambda th: 0.5 * (th - a) @ H @ (th - a)
    second_order = 0.0
    L0 = loss(theta)
    for _ in range(steps):
        g = H @ (theta - a)
        second_order += 0.5 * eta**2 * g @ H @ g
        prev = theta.copy()
        theta -= eta * g
        si.after_step(g, theta, prev)
    return si.omega, L0 - loss(theta), second_order


def test_path_integral_equals_loss_drop_for_small_step_gradient_descent():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((6, 6))
    H = A @ A.T / 6 + 0.1 * np.eye(6)
    a, theta0 = rng.standard_normal(6), rng.standard_normal(6)
    errs = []
    for eta in (0.1, 0.01, 0.001):
        steps = int(round(20 / eta))          # the same time horizon t = eta * steps
        omega, drop, second = _gd_on_quadratic(eta, steps, H, a, theta0)
        assert omega.sum() - drop == pytest.approx(second, rel=1e-9, abs=1e-13)   # exact decomposition
        errs.append(abs(omega.sum() - drop) / drop)
    assert errs[2] < 2e-3 and errs[1] / errs[2] == pytest.approx(10, rel=0.1)  # O(eta) convergence


def test_path_integral_per_parameter_on_a_separable_quadratic():
    h = np.array([0.5, 1.0, 2.0, 4.0])
    a, theta0 = np.array([1.0, -1.0, 0.5, 0.0]), np.array([-1.0, 2.0, 0.0, 1.0])
    eta = 1e-3
    omega, _, _ = _gd_on_quadratic(eta, 10000, np.diag(h), a, theta0)
    theta_end = a + (theta0 - a) * (1 - eta * h) ** 10000
    drop_k = 0.5 * h * ((theta0 - a) ** 2 - (theta_end - a) ** 2)
    # each step: -g_k Delta_k = eta g_k^2 and the drop of term k is eta g_k^2 (1 - eta h_k / 2)
    np.testing.assert_allclose(omega * (1 - eta * h / 2), drop_k, rtol=1e-10)


def test_consolidation_is_eq4_and_penalty_gradient_matches_finite_differences():
    rng = np.random.default_rng(1)
    theta = rng.standard_normal(50)
    si = SI(c=0.7, xi=0.05)
    si.start(_Flat(theta))
    anchor0 = theta.copy()
    omegas, deltas = [], []
    for task in range(3):
        for _ in range(5):
            g, prev = rng.standard_normal(50), theta.copy()
            theta += 0.1 * rng.standard_normal(50)
            si.after_step(g, theta, prev)
        omegas.append(si.omega.copy())
        deltas.append(theta - (anchor0 if task == 0 else anchors[-1]))
        si.end_task(_Flat(theta), None, task)
        anchors = [theta.copy()] if task == 0 else anchors + [theta.copy()]
        assert not si.omega.any()
    Omega = np.zeros(50)
    for w, d in zip(omegas, deltas):
        Omega = np.maximum(Omega + w / (d * d + 0.05), 0)   # pathint: relu(Omega + omega / (Delta^2 + xi))
    np.testing.assert_allclose(si.Omega, Omega, rtol=1e-12)
    assert (si.Omega == 0).any() and (si.Omega > 0).any()   # the clip at 0 acts
    np.testing.assert_array_equal(si.anchor, theta)
    x = theta + rng.standard_normal(50)
    assert si.penalty(x) == pytest.approx(0.7 * np.sum(Omega * (x - theta) ** 2), rel=1e-12)
    g0, out = rng.standard_normal(50), np.empty(50)
    si.add_penalty_grad(x, g0, out)
    fd = numerical_grad(lambda v: si.penalty(v), (x,))
    np.testing.assert_allclose(out - g0, fd, rtol=1e-6, atol=1e-8)


def test_fused_kernels_equal_their_numpy_formulas():
    rng = np.random.default_rng(2)
    for dt in (np.float32, np.float64):
        g, w, th, an, prev = (rng.standard_normal(1001).astype(dt) for _ in range(5))
        a, b = np.empty_like(g), np.empty_like(g)
        _kernels.penalty_grad(g, a, w, th, an, dt(0.3))
        _kernels.penalty_grad_numpy(g, b, w, th, an, dt(0.3))
        np.testing.assert_allclose(a, b, rtol=4 * np.finfo(dt).eps, atol=4 * np.finfo(dt).eps)
        c, keep = np.empty_like(g), np.empty_like(g)
        _kernels.penalty_grad_keep(g, c, w, th, an, dt(0.3), keep)
        np.testing.assert_array_equal(c, a)
        np.testing.assert_array_equal(keep, th)
        o1, o2 = w.copy(), w.copy()
        _kernels.accumulate_omega(o1, g, th, prev)
        _kernels.accumulate_omega_numpy(o2, g, th, prev)
        np.testing.assert_allclose(o1, o2, rtol=4 * np.finfo(dt).eps, atol=4 * np.finfo(dt).eps)


def test_bad_strength_and_damping_raise_naming_them():
    with pytest.raises(ValueError, match="c must"):
        SI(c=-1.0)
    with pytest.raises(ValueError, match="xi"):
        SI(c=1.0, xi=0.0)
    with pytest.raises(ValueError, match="xi"):
        SI(c=1.0, xi=-1e-3)
    with pytest.raises(ValueError, match="strength"):
        run("split", "si", strength=-0.1, n_tasks=1)
    with pytest.raises(ValueError, match="xi"):
        run("split", "si", strength=1.0, xi=0.0, n_tasks=1)


def _tiny_protocol(seed=0):
    rng = np.random.default_rng(seed)
    tasks = []
    for k in range(2):
        x = rng.standard_normal((12, 3))
        y = (x[:, k] > 0).astype(np.int64) + 2 * k
        tasks.append(Task(str(k), x, y, x[:6], y[:6], (2 * k, 2 * k + 1)))
    return Protocol("split", tuple(tasks), 3, 4, True, "toy", seed)


def _reference_si(proto, c, xi, lr, steps, optimizer, seed):
    """Zenke et al. Eqs. 3-5 written out: full-batch steps, omega from the unregularised gradient."""
    net = init_network([3, 5, 4], np.random.default_rng([seed, 1]), np.float64, zero_head=True)
    theta = net.theta
    vg = value_and_grad(lambda th, x, t, o: cross_entropy(_unflatten(th), x, t, o))
    Omega, anchor = np.zeros_like(theta), theta.copy()
    for task in proto:
        x, t, o = task.x_train, one_hot(task.y_train, 4, np.float64), task_offset(task.classes, 4, np.float64)
        omega, m, v = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta)  # optimiser reset
        start = theta.copy()
        for s in range(1, steps + 1):
            _, g = vg(theta, x, t, o)
            g_tot = g + 2 * c * Omega * (theta - anchor)
            if optimizer == "sgd":
                step = lr * g_tot
            else:
                m = 0.9 * m + 0.1 * g_tot
                v = 0.999 * v + 0.001 * g_tot**2
                step = lr * (m / (1 - 0.9**s)) / (np.sqrt(v / (1 - 0.999**s)) + 1e-8)
            new = theta - step
            omega += -g * (new - theta)
            theta[...] = new
        Omega = np.maximum(Omega + omega / ((theta - start) ** 2 + xi), 0)
        anchor = theta.copy()
    return Omega, theta


def _unflatten(th):
    from expressivity.continual.model import unflatten

    return unflatten(th, (3, 5, 4))


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_run_against_a_direct_implementation_of_the_equations(optimizer):
    proto = _tiny_protocol()
    lr = 0.05 if optimizer == "sgd" else 0.01
    r = run(proto, "si", strength=2.0, xi=0.1, hidden=(5,), epochs=7, batch_size=12, lr=lr, optimizer=optimizer,
            dtype="float64", seed=0)
    Omega, _ = _reference_si(proto, 2.0, 0.1, lr, 7, optimizer, seed=0)
    assert (Omega > 0).sum() > 10
    np.testing.assert_allclose(r.extra["Omega"], Omega, rtol=1e-9, atol=1e-15)


def test_c_zero_is_fine_tuning_bit_for_bit():
    a = run("split", "si", strength=0.0, n_tasks=3, hidden=(32,), epochs=2, seed=1)
    b = run("split", "finetune", n_tasks=3, hidden=(32,), epochs=2, seed=1)
    np.testing.assert_array_equal(a.accuracy, b.accuracy)
    np.testing.assert_array_equal(a.loss, b.loss)
    assert (a.extra["Omega"] > 0).any() and math.isnan(a.forgetting) is False
