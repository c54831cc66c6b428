"""Continual-learning protocols: a fixed sequence of classification tasks built from one data set.

Two protocols of Zenke, Poole & Ganguli (2017), Sec. 5 (and of their code,
``ganguli-lab/pathint``, ``utils.construct_split_mnist`` / ``construct_permute_mnist``):

* ``split`` — five two-class tasks (0/1, 2/3, 4/5, 6/7, 8/9) in that order, **multi-head**:
  one output layer of 10 units of which a task uses only its own two (the cross-entropy and
  the prediction are taken over the task's units; the reference code masks the softmax).
* ``permuted`` — ``n_tasks`` tasks with the same images under fixed pixel permutations,
  **single head** (all 10 units every time). As in the reference code, the first task sees
  the unpermuted images (``permute_first=False``).

The data: ``"digits"`` (scikit-learn's 8 x 8 digits through
:func:`expressivity.datasets.load_digits`, fixed stratified split, 64 inputs), a directory
holding the four MNIST IDX files (:func:`expressivity.datasets.load_mnist`), or any
:class:`expressivity.datasets.Dataset`.

    p = make("permuted", n_tasks=10, seed=0)         # digits
    p = make("split", data="~/data/mnist")           # real MNIST
    p.tasks[3].x_train, p.tasks[3].classes

The permutations are drawn from ``seed`` (fixed: the same seed gives the same tasks);
the split protocol's order is the paper's and does not depend on the seed.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..checks import as_generator, check_choice, check_positive_int

__all__ = ["Task", "Protocol", "PROTOCOLS", "split", "permuted", "make", "load_data", "permutations", "on_canvas"]

PROTOCOLS = ("split", "permuted")
#: Class pairs of the split protocol, in the paper's order (Zenke et al. 2017, Fig. 2).
SPLIT_CLASSES = ((0, 1), (2, 3), (4, 5), (6, 7), (8, 9))


@dataclass(frozen=True, eq=False)
class Task:
    """One classification task.

    ``x_*`` are float32 rows, ``y_*`` the labels as output-unit indices (the digit itself),
    ``classes`` the output units this task uses (its head): the loss and the prediction are
    taken over these units only.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: tuple

    def __repr__(self) -> str:
        return (f"Task({self.name!r}: train {len(self.y_train)}, test {len(self.y_test)}, "
                f"classes {list(self.classes)})")


@dataclass(frozen=True, eq=False)
class Protocol:
    """A fixed sequence of tasks sharing one network (``n_inputs`` -> ``n_outputs`` units)."""

    name: str
    tasks: tuple
    n_inputs: int
    n_outputs: int
    multi_head: bool
    data_name: str
    seed: int

    def __len__(self) -> int:
        return len(self.tasks)

    def __getitem__(self, i) -> Task:
        return self.tasks[i]

    def __iter__(self):
        return iter(self.tasks)

    def __repr__(self) -> str:
        head = "multi-head" if self.multi_head else "single head"
        return (f"Protocol({self.name!r} on {self.data_name}: {len(self.tasks)} tasks, {head}, "
                f"{self.n_inputs} inputs, {self.n_outputs} outputs, seed {self.seed})")


def load_data(data="digits"):
    """The data set behind a protocol: ``"digits"``, a directory of MNIST IDX files, or a
    :class:`~expressivity.datasets.Dataset` (returned as is)."""
    from .. import datasets

    if isinstance(data, datasets.Dataset):
        return data
    if isinstance(data, str) and data == "digits":
        return _digits()
    if isinstance(data, (str, os.PathLike)):
        return datasets.load_mnist(data)
    raise TypeError(f"data must be 'digits', a directory of MNIST IDX files or a datasets.Dataset, "
                    f"got {type(data).__name__}")


@functools.lru_cache(maxsize=1)
def _digits():
    """The digits, loaded once per process (tasks copy what they use)."""
    from .. import datasets

    return datasets.load_digits()


def _f32(x):
    return np.ascontiguousarray(x, dtype=np.float32)


def split(data="digits", n_tasks: int = 5, classes: Sequence[Sequence[int]] = SPLIT_CLASSES,
          seed: int = 0) -> Protocol:
    """Split protocol: task k holds the images of ``classes[k]`` (default 0/1, 2/3, ..., 8/9),
    multi-head. ``seed`` is recorded only (the order is the paper's)."""
    d = load_data(data)
    classes = tuple(tuple(int(c) for c in pair) for pair in classes)
    n_tasks = check_positive_int("n_tasks", n_tasks)
    if n_tasks > len(classes):
        raise ValueError(f"n_tasks must be an integer in [1, {len(classes)}] for the split protocol, "
                         f"got {n_tasks}")
    tasks = []
    for pair in classes[:n_tasks]:
        tr, te = np.isin(d.y_train, pair), np.isin(d.y_test, pair)
        if not tr.any() or not te.any():
            raise ValueError(f"classes {pair} have no training or test images in {d.name}")
        tasks.append(Task("/".join(map(str, pair)), _f32(d.x_train[tr]), d.y_train[tr].astype(np.int64),
                          _f32(d.x_test[te]), d.y_test[te].astype(np.int64), pair))
    return Protocol("split", tuple(tasks), d.x_train.shape[1], d.n_classes, True, d.name, int(seed))


def permutations(n_pixels: int, n_tasks: int, seed=0, permute_first: bool = False) -> np.ndarray:
    """``(n_tasks, n_pixels)`` pixel permutations drawn from ``seed``; row 0 is the identity
    unless ``permute_first`` (as ``construct_permute_mnist(permute_all=False)``)."""
    rng = as_generator(seed)
    perms = np.empty((n_tasks, n_pixels), np.int64)
    for k in range(n_tasks):
        perms[k] = rng.permutation(n_pixels) if (permute_first or k > 0) else np.arange(n_pixels)
    return perms


def on_canvas(x, image_shape, canvas: int) -> np.ndarray:
    """Rows of images of ``image_shape`` centred on a blank ``canvas`` x ``canvas`` square,
    flattened (MNIST's digits sit in the middle of a 28 x 28 frame with blank borders)."""
    h, w = image_shape
    canvas = check_positive_int("canvas", canvas)
    if canvas < max(h, w):
        raise ValueError(f"canvas must be an integer >= the image side {max(h, w)}, got {canvas}")
    out = np.zeros((len(x), canvas, canvas), np.float32)
    oh, ow = (canvas - h) // 2, (canvas - w) // 2
    out[:, oh:oh + h, ow:ow + w] = np.asarray(x).reshape(len(x), h, w)
    return out.reshape(len(x), -1)


def permuted(data="digits", n_tasks: int = 10, seed: int = 0, permute_first: bool = False,
             canvas: int | None = None) -> Protocol:
    """Permuted protocol: ``n_tasks`` tasks, task k the images with pixels permuted by the k-th
    permutation drawn from ``seed``; single head (all classes).

    ``canvas`` (an ablation, not the paper's protocol): first centre each image on a blank
    ``canvas`` x ``canvas`` square, so a permutation scatters the informative pixels over
    canvas^2 inputs (as MNIST's blank border does) instead of reusing every input."""
    d = load_data(data)
    n_tasks = check_positive_int("n_tasks", n_tasks)
    xtr, xte, name = d.x_train, d.x_test, d.name
    if canvas is not None:
        xtr, xte = on_canvas(xtr, d.image_shape, canvas), on_canvas(xte, d.image_shape, canvas)
        name = f"{d.name} on a {canvas}x{canvas} canvas"
    perms = permutations(xtr.shape[1], n_tasks, seed, permute_first)
    classes = tuple(range(d.n_classes))
    tasks = tuple(Task(f"perm{k}", _f32(xtr[:, p]), d.y_train.astype(np.int64), _f32(xte[:, p]),
                       d.y_test.astype(np.int64), classes) for k, p in enumerate(perms))
    return Protocol("permuted", tasks, xtr.shape[1], d.n_classes, False, name, int(seed))


def make(protocol: str, n_tasks: int | None = None, seed: int = 0, data="digits", canvas: int | None = None) -> Protocol:
    """``split(...)`` or ``permuted(...)`` by name (``n_tasks`` None: 5 and 10; ``canvas``
    only for the permuted protocol)."""
    check_choice("protocol", protocol, PROTOCOLS)
    if protocol == "split":
        if canvas is not None:
            raise ValueError("canvas applies to the permuted protocol only; got canvas for 'split'")
        return split(data, 5 if n_tasks is None else n_tasks, seed=seed)
    return permuted(data, 10 if n_tasks is None else n_tasks, seed=seed, canvas=canvas)
