"""The outcome of one continual-learning run: the task-by-task accuracy matrix and its summaries.

``accuracy[i, j]`` is the test accuracy on task j after training task i (for joint training:
of the model trained jointly on tasks 0..i). Summaries (Lopez-Paz & Ranzato 2017; Chaudhry
et al. 2018):

* ``average_accuracy`` = mean_j accuracy[T-1, j], over all T tasks after the last one;
* ``average_accuracy_curve[i]`` = mean_{j <= i} accuracy[i, j], over the tasks seen so far
  (the curve of Zenke et al. 2017, Fig. 4);
* ``forgetting`` = mean_{j < T-1} (max_{j <= i < T-1} accuracy[i, j] - accuracy[T-1, j]):
  how much of its best accuracy each earlier task lost by the end (NaN for one task).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Result"]


@dataclass
class Result:
    """One run of :func:`expressivity.continual.run`.

    ``loss`` is the unregularised training loss per step, ``settings`` every setting used,
    ``extra`` method arrays (SI's ``Omega``; the summed ``fisher`` of EWC, or of SI when asked
    for), ``seconds`` the wall time, ``interrupted`` whether Ctrl-C stopped it early (the rows
    of unfinished tasks are then NaN).
    """

    protocol: str
    method: str
    strength: float
    seed: int
    accuracy: np.ndarray
    seconds: float
    loss: np.ndarray = field(default_factory=lambda: np.zeros(0))
    settings: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    interrupted: bool = False

    @property
    def n_tasks(self) -> int:
        return self.accuracy.shape[0]

    @property
    def average_accuracy(self) -> float:
        return float(np.mean(self.accuracy[-1]))

    @property
    def average_accuracy_curve(self) -> np.ndarray:
        a = self.accuracy
        return np.array([np.mean(a[i, :i + 1]) for i in range(len(a))])

    @property
    def forgetting(self) -> float:
        a = self.accuracy
        T = len(a)
        if T < 2:
            return float("nan")
        best = np.array([np.max(a[j:T - 1, j]) for j in range(T - 1)])
        return float(np.mean(best - a[T - 1, :T - 1]))

    def __repr__(self) -> str:
        s = "" if self.method in ("finetune", "joint") else f", strength {self.strength:g}"
        flag = ", INTERRUPTED" if self.interrupted else ""
        return (f"Result({self.protocol}, {self.method}{s}, seed {self.seed}, {self.n_tasks} tasks: "
                f"average accuracy {self.average_accuracy:.3f}, forgetting {self.forgetting:.3f}, "
                f"{self.seconds:.1f} s{flag})")
