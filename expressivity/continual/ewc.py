"""Elastic Weight Consolidation (Kirkpatrick et al., PNAS 2017), with the diagonal Fisher.

After task t the parameters theta*_t and the diagonal Fisher F_t of the task's head (averaged
over the task's training images, :func:`.model.fisher_diagonal`) are kept, and later tasks
minimise

    L + lambda/2 * sum_{t done} sum_k F_{t,k} (theta_k - theta*_{t,k})^2          (EWC)

— one quadratic per past task, as in the paper's Eq. 3 extended to several tasks. It is
stored without one anchor per task: with S = sum_t F_t, P = sum_t F_t theta*_t and
Q = sum_t F_t theta*_t^2 the penalty is lambda/2 sum_k (S theta^2 - 2 P theta + Q) and its
gradient lambda (S theta - P), one vector pass a step.

``online=True`` is online EWC (Schwarz et al. 2018; Huszar 2018): one quadratic anchored at
the latest parameters, with the running Fisher F <- gamma F + F_t.
"""
from __future__ import annotations

import numpy as np

from ..checks import as_generator, check_choice, check_in_range, check_positive_int
from .base import Method, check_strength
from .model import FISHER_KINDS, fisher_diagonal

__all__ = ["EWC", "task_fisher"]


def _kernels():
    from . import _kernels

    return _kernels


def task_fisher(net, task, kind: str = "exact", samples=None, rng=None) -> np.ndarray:
    """Diagonal Fisher of ``task``'s head at the network's parameters, averaged over the task's
    training images (all of them, or ``samples`` drawn without replacement with ``rng``)."""
    x, y = task.x_train, task.y_train
    if samples is not None and samples < len(x):
        idx = np.sort(as_generator(0 if rng is None else rng, "rng").choice(len(x), samples, replace=False))
        x, y = x[idx], y[idx]
    return fisher_diagonal(net, x, task.classes, kind, y=y, rng=rng)


class EWC(Method):
    """EWC with strength ``lam`` >= 0 (``online`` with decay ``gamma`` in [0, 1])."""

    name = "ewc"

    def __init__(self, lam: float, online: bool = False, gamma: float = 1.0, fisher: str = "exact",
                 fisher_samples=None):
        self.lam = check_strength("lam", lam)
        self.online = bool(online)
        self.gamma = check_in_range("gamma", gamma, 0.0, 1.0)
        self.fisher = check_choice("fisher", fisher, FISHER_KINDS)
        self.fisher_samples = None if fisher_samples is None else check_positive_int("fisher_samples",
                                                                                      fisher_samples)
        self.S = self.P = self.Q = None
        self.n_tasks_done = 0

    def start(self, net) -> None:
        self.S = np.zeros_like(net.theta)      # sum_t F_t            (online: running F)
        self.P = np.zeros_like(net.theta)      # sum_t F_t theta*_t   (online: theta*)
        self.Q = np.zeros(net.theta.size)      # sum_t F_t theta*_t^2 (float64; the value only)
        self.n_tasks_done = 0

    @property
    def has_penalty(self) -> bool:
        return self.lam > 0 and self.n_tasks_done > 0

    def penalty(self, theta) -> float:
        th = np.asarray(theta, np.float64)
        S, P = self.S.astype(np.float64), self.P.astype(np.float64)
        if self.online:
            return float(0.5 * self.lam * np.sum(S * (th - P) ** 2))
        return float(0.5 * self.lam * np.sum(S * th * th - 2.0 * P * th + self.Q))

    def add_penalty_grad(self, theta, g, out) -> None:
        """out = g + lam (S theta - P) (online: g + lam F (theta - theta*))."""
        if not self.has_penalty:
            np.copyto(out, g)
            return
        k = _kernels()
        lam = theta.dtype.type(self.lam)
        if self.online:
            k.penalty_grad(g, out, self.S, theta, self.P, lam)
        else:
            k.penalty_grad(g, out, self.S, theta, self._P_over_S, lam)

    def end_task(self, net, task, index: int, rng=None) -> None:
        F = task_fisher(net, task, self.fisher, self.fisher_samples, rng)
        theta = net.theta.astype(np.float64)
        if self.online:
            self.S[...] = self.gamma * self.S + F
            self.P[...] = theta
        else:
            self.S += F.astype(self.S.dtype)
            self.P += (F * theta).astype(self.P.dtype)
            self.Q += F * theta * theta
        self.n_tasks_done += 1
        self._update_anchor()

    def _update_anchor(self):
        # S theta - P = S (theta - P / S): one fused pass with the anchor P / S (0 where S = 0)
        if not self.online:
            with np.errstate(invalid="ignore", divide="ignore"):
                a = np.where(self.S > 0, self.P / np.where(self.S > 0, self.S, 1), 0)
            self._P_over_S = a.astype(self.S.dtype)

    def get_state(self) -> dict:
        return dict(S=self.S.copy(), P=self.P.copy(), Q=self.Q.copy(), n_tasks_done=self.n_tasks_done)

    def set_state(self, state: dict) -> None:
        for k in ("S", "P", "Q"):
            np.copyto(getattr(self, k), state[k])
        self.n_tasks_done = int(state["n_tasks_done"])
        self._update_anchor()

    def extra(self) -> dict:
        return {"fisher": self.S.astype(np.float64)}

    def __repr__(self) -> str:
        return (f"EWC(lam={self.lam:g}" + (f", online, gamma={self.gamma:g}" if self.online else "")
                + f", fisher={self.fisher!r})")
