"""Data sets for the trained models: what ships with a package, and loaders for files you have.

Nothing is downloaded. ``load_digits`` uses scikit-learn's bundled 8 x 8 digits (1797 images,
10 classes; ``pip install ".[digits]"``); ``load_mnist`` and ``load_cifar10`` read the
original files from a directory you point at:

    d = load_digits()                        # x in [0, 1], shape (n, 64); fixed 80/20 split
    d = load_digits(binarize=True)           # pixels > 1/2 -> 1 (VAEs with Bernoulli decoders)
    d = load_mnist("~/data/mnist")           # train-images-idx3-ubyte[.gz], ... (LeCun's IDX)
    d = load_cifar10("~/data/cifar-10-batches-py")   # data_batch_1..5, test_batch (python pickles)
    d.x_train, d.y_train, d.x_test, d.y_test, d.image_shape, d.n_classes

The split is stratified and fixed by ``seed`` (default 0), so every paper module, test and
notebook sees the same train and test sets. :func:`read_idx` / :func:`write_idx` read and
write IDX files (the tests write tiny ones).
"""
from __future__ import annotations

import gzip
import os
import pickle
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .checks import as_generator, check_in_range

__all__ = ["Dataset", "load_digits", "load_mnist", "load_cifar10", "read_idx", "write_idx",
           "stratified_split", "binarize"]


class Dataset(NamedTuple):
    """Images flattened to rows of floats in [0, 1] (float64) and integer labels."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    image_shape: tuple
    n_classes: int
    name: str

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}: train {self.x_train.shape}, test {self.x_test.shape}, "
                f"images {self.image_shape}, {self.n_classes} classes)")


def binarize(x: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Pixels in [0, 1] to {0, 1}: ``x > threshold`` (the fixed binarisation)."""
    return (np.asarray(x) > threshold).astype(np.float64)


def stratified_split(y: np.ndarray, test_fraction: float = 0.2, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices (sorted) with ``round(test_fraction * n_c)`` test items per class."""
    test_fraction = check_in_range("test_fraction", test_fraction, 0.0, 1.0)
    rng = as_generator(seed)
    y = np.asarray(y)
    test = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        test.append(rng.permutation(idx)[: int(round(test_fraction * len(idx)))])
    test = np.sort(np.concatenate(test)) if test else np.zeros(0, int)
    train = np.setdiff1d(np.arange(len(y)), test)
    return train, test


def _finish(x, y, image_shape, name, bin_, test_fraction, seed, split=None) -> Dataset:
    x = np.asarray(x, np.float64)
    if bin_:
        x = binarize(x)
    y = np.asarray(y, np.int64)
    if split is None:
        split = stratified_split(y, test_fraction, seed)
    tr, te = split
    return Dataset(x[tr], y[tr], x[te], y[te], tuple(image_shape), int(y.max()) + 1, name)


def load_digits(binarize: bool = False, test_fraction: float = 0.2, seed=0) -> Dataset:
    """scikit-learn's 8 x 8 digits scaled to [0, 1] (pixel / 16), a fixed stratified split.

    1797 images; with the defaults 1438 train and 359 test (35-36 per class). ``binarize``
    thresholds at 1/2 (pixel values 9..16 -> 1).
    """
    try:
        from sklearn.datasets import load_digits as _load
    except ImportError as e:  # pragma: no cover - exercised only without scikit-learn
        raise ImportError("load_digits needs scikit-learn (it ships the data): "
                          "pip install 'expressivity[digits]'") from e
    d = _load()
    return _finish(d.data / 16.0, d.target, (8, 8), "digits" + ("-binarized" if binarize else ""),
                   binarize, test_fraction, seed)


# ---- IDX (LeCun's MNIST format) -----------------------------------------------------------
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _open(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """An IDX file (optionally gzipped) as a numpy array of its stored shape and type."""
    path = Path(path).expanduser()
    with _open(path) as f:
        head = f.read(4)
        if len(head) != 4 or head[0] != 0 or head[1] != 0 or head[2] not in _IDX_TYPES:
            raise ValueError(f"{path} is not an IDX file (magic bytes {head!r})")
        ndim = head[3]
        dims = np.frombuffer(f.read(4 * ndim), ">i4")
        if len(dims) != ndim:
            raise ValueError(f"{path}: truncated IDX header")
        dtype = np.dtype(_IDX_TYPES[head[2]])
        data = f.read()
    n = int(np.prod(dims)) if ndim else 1
    if len(data) != n * dtype.itemsize:
        raise ValueError(f"{path}: expected {n * dtype.itemsize} data bytes for shape "
                         f"{tuple(int(d) for d in dims)}, found {len(data)}")
    return np.frombuffer(data, dtype).reshape(tuple(int(d) for d in dims)).astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write ``array`` as an IDX file (gzipped if ``path`` ends in .gz)."""
    array = np.asarray(array)
    code = {np.dtype(v).newbyteorder("="): k for k, v in _IDX_TYPES.items()}.get(array.dtype)
    if code is None:
        raise TypeError(f"array dtype {array.dtype} has no IDX type code "
                        "(uint8, int8, int16, int32, float32, float64)")
    path = Path(path)
    payload = (bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">i4").tobytes()
               + array.astype(np.dtype(_IDX_TYPES[code])).tobytes())
    with (gzip.open(path, "wb") if path.suffix == ".gz" else open(path, "wb")) as f:
        f.write(payload)


def _find(directory: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (directory / name).exists():
            return directory / name
    raise FileNotFoundError(f"{directory} has no {stem}[.gz] (the MNIST IDX files: "
                            "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
                            "t10k-labels-idx1-ubyte)")


def load_mnist(path: str | os.PathLike, binarize: bool = False) -> Dataset:
    """MNIST (or Fashion-MNIST) from the four IDX files in directory ``path``; its own split.

    Pixels are scaled to [0, 1]; ``binarize`` thresholds at 1/2.
    """
    d = Path(path).expanduser()
    if not d.is_dir():
        raise FileNotFoundError(f"path must be a directory holding the MNIST IDX files, got {str(path)!r}")
    xtr = read_idx(_find(d, "train-images-idx3-ubyte"))
    ytr = read_idx(_find(d, "train-labels-idx1-ubyte"))
    xte = read_idx(_find(d, "t10k-images-idx3-ubyte"))
    yte = read_idx(_find(d, "t10k-labels-idx1-ubyte"))
    for x, y, which in ((xtr, ytr, "train"), (xte, yte, "t10k")):
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise ValueError(f"{d}: {which} images {x.shape} and labels {y.shape} do not match")
    x = np.concatenate([xtr.reshape(len(xtr), -1), xte.reshape(len(xte), -1)]) / 255.0
    y = np.concatenate([ytr, yte])
    split = (np.arange(len(xtr)), np.arange(len(xtr), len(x)))
    return _finish(x, y, xtr.shape[1:], "mnist" + ("-binarized" if binarize else ""), binarize,
                   0.0, 0, split=split)


def load_cifar10(path: str | os.PathLike) -> Dataset:
    """CIFAR-10 from the python pickles (``data_batch_1`` .. ``_5``, ``test_batch``) in ``path``.

    Rows are the 3072 values in the files' channel-major order, scaled to [0, 1];
    ``image_shape`` is (3, 32, 32).
    """
    d = Path(path).expanduser()
    if not d.is_dir():
        raise FileNotFoundError(f"path must be a directory holding cifar-10-batches-py, got {str(path)!r}")
    xs, ys = [], []
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in names:
        f = d / name
        if not f.exists():
            raise FileNotFoundError(f"{d} has no {name} (CIFAR-10 python version: {', '.join(names)})")
        with open(f, "rb") as fh:
            batch = pickle.load(fh, encoding="bytes")
        x = np.asarray(batch[b"data"], np.uint8)
        y = np.asarray(batch[b"labels"], np.int64)
        if x.ndim != 2 or x.shape[1] != 3072 or len(x) != len(y):
            raise ValueError(f"{f}: data {x.shape} and labels {y.shape} are not a CIFAR-10 batch")
        xs.append(x)
        ys.append(y)
    n_test = len(xs[-1])
    x = np.concatenate(xs) / 255.0
    y = np.concatenate(ys)
    split = (np.arange(len(x) - n_test), np.arange(len(x) - n_test, len(x)))
    return _finish(x, y, (3, 32, 32), "cifar10", False, 0.0, 0, split=split)
