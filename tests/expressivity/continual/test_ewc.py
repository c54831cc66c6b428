"""EWC: the summed quadratic penalty, online EWC and the task Fisher.

Oracles: the penalty lam/2 sum_t sum_k F_t,k (theta_k - theta*_t,k)^2 evaluated directly
from the stored per-task Fishers and anchors (Kirkpatrick et al. 2017, one quadratic per
past task); its gradient against central finite differences; the Fisher of a task against
:func:`model.fisher_diagonal` on the same images (itself checked against per-example
autodiff gradients in test_model.py); online EWC against its recursion F <- gamma F + F_t.
"""
import numpy as np
import pytest

from expressivity.autodiff.testing import numerical_grad
from expressivity.continual import EWC, model, run, task_fisher
from expressivity.continual.protocols import split


def _moved(net, rng, scale=0.05):
    net.theta[...] += scale * rng.standard_normal(net.n_params).astype(net.theta.dtype)


@pytest.mark.parametrize("online", [False, True])
def test_penalty_is_the_sum_of_per_task_quadratics(online):
    proto = split(n_tasks=3)
    rng = np.random.default_rng(0)
    net = model.init_network([64, 7, 10], 0, np.float64)
    ewc = EWC(3.0, online=online, gamma=0.8, fisher="exact", fisher_samples=40)
    ewc.start(net)
    Fs, anchors = [], []
    for k, task in enumerate(proto):
        _moved(net, rng)
        ewc.end_task(net, task, k, rng=np.random.default_rng(k))
        Fs.append(task_fisher(net, task, "exact", 40, np.random.default_rng(k)))
        anchors.append(net.theta.copy())
    x = net.theta + 0.1 * rng.standard_normal(net.n_params)
    if online:
        F = Fs[0]
        for Ft in Fs[1:]:
            F = 0.8 * F + Ft
        want = 1.5 * np.sum(F * (x - anchors[-1]) ** 2)
    else:
        want = sum(1.5 * np.sum(F * (x - a) ** 2) for F, a in zip(Fs, anchors))
    assert ewc.penalty(x) == pytest.approx(want, rel=1e-10)
    g0, out = rng.standard_normal(net.n_params), np.empty(net.n_params)
    ewc.add_penalty_grad(x, g0, out)
    fd = numerical_grad(ewc.penalty, (x,))
    np.testing.assert_allclose(out - g0, fd, rtol=1e-5, atol=1e-9)


def test_task_fisher_uses_the_tasks_head_and_images():
    proto = split(n_tasks=2)
    net = model.init_network([64, 9, 10], 1, np.float64)
    _moved(net, np.random.default_rng(1), 0.3)
    t = proto[1]
    F = task_fisher(net, t, "empirical")
    np.testing.assert_array_equal(F, model.fisher_diagonal(net, t.x_train, (2, 3), "empirical", y=t.y_train))
    W_out = F[net.slices[-1][0]].reshape(9, 10)
    assert not W_out[:, [0, 1, 4, 5, 6, 7, 8, 9]].any() and (W_out[:, 2:4] > 0).sum() >= 12


def test_ewc_arguments_and_zero_strength():
    with pytest.raises(ValueError, match="lam"):
        EWC(-1.0)
    with pytest.raises(ValueError, match="gamma"):
        EWC(1.0, online=True, gamma=1.5)
    with pytest.raises(ValueError, match="fisher"):
        EWC(1.0, fisher="hessian")
    with pytest.raises(ValueError, match="strength"):
        run("permuted", "ewc", strength=-2.0, n_tasks=2)
    a = run("split", "ewc", strength=0.0, n_tasks=2, hidden=(16,), epochs=1)
    b = run("split", "finetune", n_tasks=2, hidden=(16,), epochs=1)
    np.testing.assert_array_equal(a.accuracy, b.accuracy)
