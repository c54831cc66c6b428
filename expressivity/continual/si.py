"""Synaptic Intelligence (Zenke, Poole & Ganguli, ICML 2017): per-parameter importance from the
path integral of the gradient along the training trajectory.

During task mu every parameter accumulates (Eq. 3 of the paper, ``grads2`` in
``ganguli-lab/pathint``)

    omega_k += -g_k(t) * Delta theta_k(t),

with g the gradient of the **unregularised** task loss on the step's minibatch at the
parameters before the step, and Delta theta(t) the step the optimiser actually took (Adam's,
including the surrogate's pull). For plain gradient flow sum_k omega_k is exactly the drop of
the task loss along the trajectory. After the task (Eq. 4; ``task_updates`` of
``PATH_INT_PROTOCOL``):

    Omega_k <- max(0, Omega_k + omega_k / (Delta_k^2 + xi)),  Delta_k = theta_k(end) - theta~_k,
    theta~ <- theta(end),  omega <- 0,

where theta~ are the parameters at the end of the previous task (the initial ones for the
first task) and xi > 0 damps parameters that barely moved. The max(0, .) is the reference
code's ``tf.nn.relu`` (the paper does not state it: with Adam and noisy gradients omega_k can
come out negative). The next task minimises the surrogate (Eq. 5)

    L~ = L + c * sum_k Omega_k (theta~_k - theta_k)^2.

Shortcuts avoided here: omega from the gradient of the *regularised* loss, from the
gradient after the step, or from lr * g instead of the optimiser's real step (with Adam the
two differ by the per-parameter step size), and Omega summed before the division by
(Delta^2 + xi) over several tasks.
"""
from __future__ import annotations

import numpy as np

from ..checks import check_positive
from .base import Method, check_strength

__all__ = ["SI"]


def _kernels():
    from . import _kernels

    return _kernels


class SI(Method):
    """Synaptic Intelligence with strength ``c`` >= 0 and damping ``xi`` > 0.

    With ``c = 0`` the trajectory is plain fine-tuning while the importances are still
    accumulated (what the Omega-vs-Fisher comparison needs). ``fisher`` (None, "exact",
    "empirical", "sampled") additionally records the Fisher diagonal of each task at its end,
    summed over tasks, next to Omega (not used in training).
    """

    name = "si"
    tracks_steps = True

    def __init__(self, c: float, xi: float = 1e-3, fisher: str | None = None, fisher_samples=None):
        self.c = check_strength("c", c)
        self.xi = check_positive("xi", xi)
        self.fisher = fisher
        self.fisher_samples = fisher_samples
        self.omega = self.Omega = self.anchor = None
        self.fisher_sum = None
        self.n_tasks_done = 0

    def start(self, net) -> None:
        theta = net.theta
        self.omega = np.zeros_like(theta)
        self.Omega = np.zeros_like(theta)
        self.anchor = theta.copy()
        self.fisher_sum = np.zeros(theta.size) if self.fisher else None
        self.n_tasks_done = 0

    @property
    def has_penalty(self) -> bool:
        return self.c > 0 and self.n_tasks_done > 0

    def penalty(self, theta) -> float:
        d = np.asarray(theta, np.float64) - self.anchor
        return float(self.c * np.sum(self.Omega * d * d))

    def add_penalty_grad(self, theta, g, out) -> None:
        """out = g + 2 c Omega (theta - theta~)."""
        if not self.has_penalty:
            np.copyto(out, g)
            return
        _kernels().penalty_grad(g, out, self.Omega, theta, self.anchor, theta.dtype.type(2.0 * self.c))

    def step_gradient(self, theta, g, out, prev):
        """g + 2 c Omega (theta - theta~) into ``out`` and theta into ``prev``, in one pass."""
        if not self.has_penalty:
            np.copyto(prev, theta)
            return g
        _kernels().penalty_grad_keep(g, out, self.Omega, theta, self.anchor, theta.dtype.type(2.0 * self.c), prev)
        return out

    def after_step(self, g, theta, prev) -> None:
        """omega += -g * (theta - prev)."""
        _kernels().accumulate_omega(self.omega, g, theta, prev)

    def end_task(self, net, task, index: int, rng=None) -> None:
        theta = net.theta
        delta = theta - self.anchor
        self.Omega += self.omega / (delta * delta + theta.dtype.type(self.xi))
        np.maximum(self.Omega, 0, out=self.Omega)
        np.copyto(self.anchor, theta)
        self.omega[...] = 0
        self.n_tasks_done += 1
        if self.fisher:
            from .ewc import task_fisher

            self.fisher_sum += task_fisher(net, task, self.fisher, self.fisher_samples, rng)

    def get_state(self) -> dict:
        st = dict(omega=self.omega.copy(), Omega=self.Omega.copy(), anchor=self.anchor.copy(),
                  n_tasks_done=self.n_tasks_done)
        if self.fisher_sum is not None:
            st["fisher_sum"] = self.fisher_sum.copy()
        return st

    def set_state(self, state: dict) -> None:
        for k in ("omega", "Omega", "anchor"):
            np.copyto(getattr(self, k), state[k])
        self.n_tasks_done = int(state["n_tasks_done"])
        if self.fisher_sum is not None:
            np.copyto(self.fisher_sum, state["fisher_sum"])

    def extra(self) -> dict:
        out = {"Omega": self.Omega.copy()}
        if self.fisher_sum is not None:
            out["fisher"] = self.fisher_sum.copy()
        return out

    def __repr__(self) -> str:
        return f"SI(c={self.c:g}, xi={self.xi:g})"
