"""Joint (multitask) training, the upper bound of a continual-learning method: the network is
trained on the union of the tasks' data at once, every example with its own head.

After "task" i the joint model is the one trained from the initial parameters on tasks
0..i together (``stages="all"``; the row i of its accuracy matrix), or only on all tasks
(``stages="last"``; earlier rows are NaN). It is also the natural training set for any
i.i.d. baseline: :func:`union` returns the stacked data with one head offset per example.
"""
from __future__ import annotations

import numpy as np

from .model import one_hot, task_offset

__all__ = ["TrainSet", "task_set", "union"]


class TrainSet:
    """Rows to train on: inputs ``x``, one-hot ``targets`` and the logit ``offset`` (None: every
    unit; a (1, n_out) row shared by all examples; or one row per example)."""

    def __init__(self, x, targets, offset):
        self.x, self.targets, self.offset = x, targets, offset

    def __len__(self) -> int:
        return len(self.x)

    def batch(self, idx):
        off = self.offset
        if off is not None and len(off) > 1:
            off = off[idx]
        return self.x[idx], self.targets[idx], off


def task_set(task, n_outputs: int) -> TrainSet:
    """One task's training rows with its head."""
    return TrainSet(task.x_train, one_hot(task.y_train, n_outputs), task_offset(task.classes, n_outputs))


def union(tasks, n_outputs: int) -> TrainSet:
    """The tasks' training rows stacked, each with its own task's head."""
    sets = [task_set(t, n_outputs) for t in tasks]
    x = np.concatenate([s.x for s in sets])
    t = np.concatenate([s.targets for s in sets])
    if all(s.offset is None for s in sets):
        off = None
    else:
        off = np.concatenate([np.repeat(np.zeros((1, n_outputs), np.float32) if s.offset is None else s.offset,
                                        len(s), axis=0) for s in sets])
    return TrainSet(x, t, off)
