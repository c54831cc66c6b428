"""Data sets: scikit-learn's digits with a fixed split, and loaders for real MNIST IDX and
CIFAR-10 files, tested on tiny files the tests write.

Oracles: IDX bytes written by hand from the format's definition (magic 0x00 0x00 type ndim,
big-endian int32 dimensions, then the data); sklearn's own digits array; the class counts of
a stratified split computed directly.
"""
import gzip
import pickle
import struct

import numpy as np
import pytest

from expressivity import datasets


def _idx_bytes(array, code):
    head = bytes([0, 0, code, array.ndim]) + b"".join(struct.pack(">i", d) for d in array.shape)
    return head + array.astype(array.dtype.newbyteorder(">")).tobytes()


def test_read_idx_of_hand_written_bytes(tmp_path):
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "a.idx").write_bytes(_idx_bytes(a, 0x08))
    np.testing.assert_array_equal(datasets.read_idx(tmp_path / "a.idx"), a)
    f = np.linspace(-1, 1, 5).astype(np.float32)
    with gzip.open(tmp_path / "f.idx.gz", "wb") as g:
        g.write(_idx_bytes(f, 0x0D))
    np.testing.assert_array_equal(datasets.read_idx(tmp_path / "f.idx.gz"), f)


def test_write_idx_round_trip_and_bad_files(tmp_path):
    for arr in (np.arange(6, dtype=np.int16).reshape(3, 2), np.eye(3), np.zeros((0,), np.uint8)):
        datasets.write_idx(tmp_path / "x.idx", arr)
        assert (tmp_path / "x.idx").read_bytes() == _idx_bytes(arr, {np.int16: 0x0B, np.float64: 0x0E,
                                                                     np.uint8: 0x08}[arr.dtype.type])
        np.testing.assert_array_equal(datasets.read_idx(tmp_path / "x.idx"), arr)
    (tmp_path / "bad").write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="not an IDX file"):
        datasets.read_idx(tmp_path / "bad")
    (tmp_path / "short").write_bytes(_idx_bytes(np.arange(10, dtype=np.uint8), 0x08)[:-3])
    with pytest.raises(ValueError, match="data bytes"):
        datasets.read_idx(tmp_path / "short")
    with pytest.raises(TypeError, match="dtype"):
        datasets.write_idx(tmp_path / "c.idx", np.zeros(2, complex))


def _write_mnist(d, n_train=12, n_test=5, gz=False):
    rng = np.random.default_rng(0)
    sfx = ".gz" if gz else ""
    xtr = rng.integers(0, 256, (n_train, 4, 3)).astype(np.uint8)
    xte = rng.integers(0, 256, (n_test, 4, 3)).astype(np.uint8)
    ytr, yte = np.arange(n_train, dtype=np.uint8) % 10, np.arange(n_test, dtype=np.uint8) % 10
    for name, a in (("train-images-idx3-ubyte", xtr), ("train-labels-idx1-ubyte", ytr),
                    ("t10k-images-idx3-ubyte", xte), ("t10k-labels-idx1-ubyte", yte)):
        datasets.write_idx(d / (name + sfx), a)
    return xtr, ytr, xte, yte


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_from_tiny_idx_files(tmp_path, gz):
    xtr, ytr, xte, yte = _write_mnist(tmp_path, gz=gz)
    d = datasets.load_mnist(tmp_path)
    np.testing.assert_array_equal(d.x_train, xtr.reshape(12, -1) / 255.0)
    np.testing.assert_array_equal(d.y_test, yte)
    assert d.image_shape == (4, 3) and d.n_classes == 10
    b = datasets.load_mnist(tmp_path, binarize=True)
    np.testing.assert_array_equal(b.x_test, (xte.reshape(5, -1) / 255.0 > 0.5).astype(float))


def test_load_mnist_names_what_is_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="path must be a directory"):
        datasets.load_mnist(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        datasets.load_mnist(tmp_path)


def test_load_cifar10_from_tiny_pickles(tmp_path):
    rng = np.random.default_rng(1)
    batches = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        batches[name] = {b"data": rng.integers(0, 256, (3, 3072)).astype(np.uint8),
                         b"labels": list(rng.integers(0, 10, 3))}
        (tmp_path / name).write_bytes(pickle.dumps(batches[name]))
    d = datasets.load_cifar10(tmp_path)
    assert d.x_train.shape == (15, 3072) and d.x_test.shape == (3, 3072) and d.image_shape == (3, 32, 32)
    np.testing.assert_array_equal(d.x_test, batches["test_batch"][b"data"] / 255.0)
    np.testing.assert_array_equal(d.y_train[:3], batches["data_batch_1"][b"labels"])
    (tmp_path / "test_batch").unlink()
    with pytest.raises(FileNotFoundError, match="test_batch"):
        datasets.load_cifar10(tmp_path)


def test_load_digits_fixed_stratified_split():
    sklearn = pytest.importorskip("sklearn.datasets")
    raw = sklearn.load_digits()
    d = datasets.load_digits()
    assert d.x_train.shape == (1438, 64) and d.x_test.shape == (359, 64) and d.n_classes == 10
    assert np.bincount(d.y_test).tolist() == [int(round(0.2 * c)) for c in np.bincount(raw.target)]
    # the rows are sklearn's rows, scaled: every test row appears in the raw data
    tr, te = datasets.stratified_split(raw.target, 0.2, 0)
    np.testing.assert_array_equal(d.x_test, raw.data[te] / 16.0)
    np.testing.assert_array_equal(d.y_train, raw.target[tr])
    assert set(tr).isdisjoint(te) and len(tr) + len(te) == len(raw.target)
    again = datasets.load_digits()
    np.testing.assert_array_equal(again.x_test, d.x_test)
    b = datasets.load_digits(binarize=True)
    assert set(np.unique(b.x_train)) == {0.0, 1.0}
    np.testing.assert_array_equal(b.x_train, (raw.data[tr] > 8).astype(float))
    with pytest.raises(ValueError, match="test_fraction"):
        datasets.load_digits(test_fraction=1.5)
