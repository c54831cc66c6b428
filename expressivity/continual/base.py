"""What a continual-learning method does around ordinary training: the interface of
:mod:`.finetune`, :mod:`.si` and :mod:`.ewc`.

The training loop (:mod:`.run`) calls, on the flat parameter vector ``theta``:

    method.start(net)                         # once, before the first task
    method.begin_task(net, task, index)       # before each task
    method.step_gradient(theta, g, out, prev) # each step: g or out = g + d(penalty)/d(theta)
                                              #   (and prev = theta, if method.tracks_steps)
    method.after_step(g, theta, prev)         # each step, if method.tracks_steps:
                                              #   g the unregularised gradient, prev theta before the step
    method.end_task(net, task, index, rng)    # after each task (consolidation)

``penalty(theta)`` is the surrogate's value; ``get_state()`` / ``set_state(state)`` snapshot
what the remaining tasks depend on (for checkpoints).
"""
from __future__ import annotations

import numpy as np

from ..checks import check_in_range

__all__ = ["Method", "check_strength"]


def check_strength(name: str, value) -> float:
    """A regularisation strength: a finite number >= 0 (ValueError naming ``name`` otherwise)."""
    return check_in_range(name, value, 0.0, float("inf"))


class Method:
    """A method without a penalty: plain training (subclasses add consolidation)."""

    name = "method"
    #: whether :meth:`after_step` needs the gradient and the step (SI's path integral)
    tracks_steps = False

    def start(self, net) -> None:
        pass

    def begin_task(self, net, task, index: int) -> None:
        pass

    @property
    def has_penalty(self) -> bool:
        """False while the penalty is identically zero (its gradient is then skipped)."""
        return False

    def penalty(self, theta) -> float:
        return 0.0

    def add_penalty_grad(self, theta, g, out) -> None:
        np.copyto(out, g)

    def step_gradient(self, theta, g, out, prev):
        """The gradient the optimiser takes (``g``, or ``out`` = g + the penalty's gradient), and
        theta copied into ``prev`` when :attr:`tracks_steps` (subclasses fuse the two)."""
        if self.tracks_steps:
            np.copyto(prev, theta)
        if not self.has_penalty:
            return g
        self.add_penalty_grad(theta, g, out)
        return out

    def after_step(self, g, theta, prev) -> None:
        pass

    def end_task(self, net, task, index: int, rng=None) -> None:
        pass

    def get_state(self) -> dict:
        return {}

    def set_state(self, state: dict) -> None:
        pass

    def extra(self) -> dict:
        """Arrays worth keeping in the result (importances, Fisher diagonals)."""
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
