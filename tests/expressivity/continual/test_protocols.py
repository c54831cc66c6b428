"""Protocols: the split and permuted task sequences, on digits and on a tiny MNIST IDX directory.

Oracles: the class pairs of Zenke et al. (2017) counted directly from the labels; a
permutation is a bijection (sorted indices are arange) applied column-wise, checked pixel by
pixel against the unpermuted images; seeds reproduce and differ; IDX files written by the
test through ``datasets.write_idx``.
"""
import numpy as np
import pytest

from expressivity import continual, datasets
from expressivity.continual import protocols


def test_split_digits_is_five_two_class_heads():
    p = continual.split()
    d = datasets.load_digits()
    assert len(p) == 5 and p.multi_head and p.n_inputs == 64 and p.n_outputs == 10
    for k, t in enumerate(p):
        assert t.classes == (2 * k, 2 * k + 1)
        assert set(np.unique(t.y_train)) == {2 * k, 2 * k + 1}
        assert len(t.y_train) == np.isin(d.y_train, t.classes).sum()
        assert len(t.y_test) == np.isin(d.y_test, t.classes).sum()
        assert t.x_train.dtype == np.float32
    assert sum(len(t.y_test) for t in p) == len(d.y_test) == 359


def test_permuted_digits_permutes_pixels_with_fixed_seed():
    p = continual.permuted(n_tasks=10, seed=3)
    d = datasets.load_digits()
    assert len(p) == 10 and not p.multi_head and p.tasks[0].classes == tuple(range(10))
    np.testing.assert_array_equal(p.tasks[0].x_train, d.x_train.astype(np.float32))  # first task unpermuted
    perms = protocols.permutations(64, 10, seed=3)
    for k, t in enumerate(p):
        assert np.array_equal(np.sort(perms[k]), np.arange(64))
        np.testing.assert_array_equal(t.x_test, d.x_test[:, perms[k]].astype(np.float32))
        np.testing.assert_array_equal(t.y_train, d.y_train)
    assert len({tuple(q) for q in perms}) == 10
    again = continual.permuted(n_tasks=10, seed=3)
    other = continual.permuted(n_tasks=10, seed=4)
    np.testing.assert_array_equal(again.tasks[7].x_train, p.tasks[7].x_train)
    assert not np.array_equal(other.tasks[7].x_train, p.tasks[7].x_train)


def test_canvas_centres_the_image_before_permuting():
    d = datasets.load_digits()
    p = continual.permuted(n_tasks=2, seed=1, canvas=12)
    assert p.n_inputs == 144 and "12x12 canvas" in p.data_name
    x0 = p.tasks[0].x_train.reshape(-1, 12, 12)                # task 0 unpermuted: the digit in the middle
    np.testing.assert_array_equal(x0[:, 2:10, 2:10], d.x_train.reshape(-1, 8, 8).astype(np.float32))
    assert not x0[:, :2].any() and not x0[:, :, 10:].any()
    perm = protocols.permutations(144, 2, seed=1)[1]
    np.testing.assert_array_equal(p.tasks[1].x_train, p.tasks[0].x_train[:, perm])
    with pytest.raises(ValueError, match="canvas"):
        continual.permuted(n_tasks=1, canvas=7)
    with pytest.raises(ValueError, match="canvas"):
        continual.make("split", canvas=16)


def _tiny_mnist(path, rng):
    # 4-pixel "images" of 2 x 2, 10 classes; pixel values from the label so tasks are learnable
    for prefix, n in (("train", 60), ("t10k", 30)):
        y = np.arange(n) % 10
        x = (rng.integers(0, 60, (n, 2, 2)) + 19 * y[:, None, None]).astype(np.uint8)
        datasets.write_idx(path / f"{prefix}-images-idx3-ubyte", x)
        datasets.write_idx(path / f"{prefix}-labels-idx1-ubyte", y.astype(np.uint8))


def test_protocols_from_a_tiny_mnist_idx_directory(tmp_path):
    _tiny_mnist(tmp_path, np.random.default_rng(0))
    s = continual.make("split", data=tmp_path)
    q = continual.make("permuted", n_tasks=3, seed=1, data=str(tmp_path))
    assert s.data_name == "mnist" and s.n_inputs == 4 and len(s) == 5
    assert [len(t.y_train) for t in s] == [12] * 5 and [len(t.y_test) for t in s] == [6] * 5
    raw = datasets.read_idx(tmp_path / "t10k-images-idx3-ubyte").reshape(30, 4) / 255.0
    perms = protocols.permutations(4, 3, seed=1)
    for k, t in enumerate(q):
        np.testing.assert_allclose(t.x_test, raw[:, perms[k]], rtol=1e-6)
    r = continual.run(q, "si", strength=1.0, epochs=2, batch_size=16, hidden=(8,))
    assert r.accuracy.shape == (3, 3) and np.isfinite(r.accuracy).all()


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="protocol"):
        continual.make("rotated")
    with pytest.raises(ValueError, match="n_tasks"):
        continual.split(n_tasks=6)
    with pytest.raises(ValueError, match="n_tasks"):
        continual.permuted(n_tasks=0)
    with pytest.raises(TypeError, match="data"):
        continual.split(data=3)
    assert "permuted" in repr(continual.permuted(n_tasks=2)) and "Task(" in repr(continual.split()[0])
