"""The data a classifier trains on: a :class:`expressivity.datasets.Dataset`, standardised.

``prepare(data)`` accepts ``"digits"`` (scikit-learn's 8 x 8 digits, shipped; the default), a
:class:`~expressivity.datasets.Dataset`, or the path of a directory holding the real MNIST IDX
files or the CIFAR-10 python batches (loaded with :func:`expressivity.datasets.load_mnist` /
:func:`~expressivity.datasets.load_cifar10`; nothing is downloaded). Inputs are centred on the
training set's mean image and scaled by one number so that the mean squared input per
coordinate is 1 on the training set: the first layer then sits at q^1 = sigma_w2 + sigma_b2
whatever the data set (the mean-field input length of Schoenholz et al. 2017, q^0 = 1).
"""
from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..datasets import Dataset, load_cifar10, load_digits, load_mnist

__all__ = ["Prepared", "prepare", "load"]


class Prepared(NamedTuple):
    """Standardised rows ``x_*`` (``dtype``), integer labels, and the affine map used:
    ``x_std = (x - mean) / scale``."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    name: str
    mean: np.ndarray
    scale: float

    @property
    def input_dim(self) -> int:
        return self.x_train.shape[1]

    def __repr__(self) -> str:
        return (f"Prepared({self.name!r}: train {self.x_train.shape}, test {self.x_test.shape}, "
                f"{self.n_classes} classes, {self.x_train.dtype})")


@functools.lru_cache(maxsize=4)
def _load_path(path: str) -> Dataset:
    d = Path(path).expanduser()
    if (d / "data_batch_1").exists():
        return load_cifar10(d)
    return load_mnist(d)


def load(data="digits") -> Dataset:
    """The raw :class:`~expressivity.datasets.Dataset` for ``data`` (see the module docstring)."""
    if isinstance(data, Dataset):
        return data
    if isinstance(data, str) and data == "digits":
        return load_digits()
    if isinstance(data, (str, os.PathLike)):
        if not Path(data).expanduser().is_dir():
            raise ValueError(f"data must be 'digits', a datasets.Dataset, or a directory holding MNIST "
                             f"IDX files or CIFAR-10 batches; {str(data)!r} is not a directory")
        return _load_path(str(Path(data).expanduser().resolve()))
    raise TypeError(f"data must be 'digits', a datasets.Dataset or a directory path, got {type(data).__name__}")


def prepare(data="digits", dtype=np.float32, standardize: bool = True) -> Prepared:
    """Load ``data`` and standardise it: ``(x - mean image) / scale`` with
    ``scale = sqrt(mean ||x - mean||^2 / d)`` over the training rows (so E||x||^2/d = 1).

    Raises
    ------
    ValueError, TypeError
        An unknown data name or a path that is not a directory; a non-floating ``dtype``.
    """
    if np.dtype(dtype).kind != "f":
        raise TypeError(f"dtype must be a floating dtype, got {np.dtype(dtype)}")
    d = load(data)
    xtr = np.asarray(d.x_train, np.float64)
    if standardize:
        mean = xtr.mean(axis=0)
        scale = float(np.sqrt(np.mean((xtr - mean) ** 2)))
        scale = scale if scale > 0 else 1.0
    else:
        mean, scale = np.zeros(xtr.shape[1]), 1.0
    f = lambda x: ((np.asarray(x, np.float64) - mean) / scale).astype(dtype)  # noqa: E731
    return Prepared(f(d.x_train), np.asarray(d.y_train, np.int64), f(d.x_test),
                    np.asarray(d.y_test, np.int64), int(d.n_classes), d.name, mean, scale)
