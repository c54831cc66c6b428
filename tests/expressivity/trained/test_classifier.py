"""train_classifier: training works, frozen layers stay frozen, checkpoints resume
bit-identically, MNIST files a user points at are read, optimisers follow their recursions.

Oracles: chance accuracy 1/10 (a shallow net must beat it by far); the initial parameters
drawn again from the same seed (frozen layers); an uninterrupted run (resume); the same
digits written as MNIST IDX files (the same accuracy as training on digits directly); the
RMSProp recursion written out in numpy.
"""
import numpy as np
import pytest

from expressivity import datasets, trained
from expressivity.trained import classifier as C
from expressivity.trained import model as M
from expressivity.trained.optimizers import RMSPropInPlace, make_optimizer


def test_shallow_tanh_net_learns_digits():
    """Depth 2, width 32, 300 Adam steps: test accuracy far above chance (>= 0.85); the
    result carries one loss per step, its timing and a one-line repr."""
    r = trained.train_classifier("tanh", 1.5, 0.05, depth=2, width=32, steps=300, seed=0,
                                 optimizer="adam", lr=3e-3)
    assert r.test_accuracy >= 0.85 and r.train_accuracy >= 0.9
    assert r.train_loss.shape == (300,) and r.train_loss[-20:].mean() < r.train_loss[:20].mean() / 3
    assert r.seconds > 0 and r.seconds_per_step > 0 and r.skipped_steps == 0
    assert "test accuracy" in repr(r) and "\n" not in repr(r)


def test_only_the_trainable_layer_changes():
    """Layers other than the trained one equal a fresh draw from the same seed, bit for bit."""
    r = trained.train_classifier("hard_tanh", 2.0, 0.0, depth=3, width=16, steps=20, seed=7,
                                 trainable_layers=[2], optimizer="sgd", lr=0.05)
    d = trained.prepare()
    p0 = M.init_params(d.input_dim, 10, 3, 16, 2.0, 0.0, seed=7)
    for l, (a, b) in enumerate(zip(r.params, p0)):
        same = all(np.array_equal(a[k], b[k]) for k in ("W", "b"))
        assert same == (l != 2), l


def test_checkpoint_resume_is_bit_identical(tmp_path, monkeypatch):
    """Interrupt (KeyboardInterrupt at step 13 of 30, saving every step), resume from the
    file: parameters and the loss curve equal an uninterrupted run's; the file is removed."""
    kw = dict(activation="tanh", sigma_w2=1.76, sigma_b2=0.05, depth=3, width=16, steps=30, seed=3,
              optimizer="rmsprop", lr=1e-3, batch_size=64)
    full = trained.train_classifier(**kw)
    path = tmp_path / "run.ckpt"
    step = C.ClassifierTrainer.step

    def interrupting(self, i=None):
        if i == 13:
            raise KeyboardInterrupt
        return step(self, i)

    monkeypatch.setattr(C.ClassifierTrainer, "step", interrupting)
    part = trained.train_classifier(**kw, checkpoint=path, checkpoint_every=0.0)
    assert part.interrupted and len(part.train_loss) == 13 and path.exists()
    monkeypatch.setattr(C.ClassifierTrainer, "step", step)
    resumed = trained.train_classifier(**kw, checkpoint=path, checkpoint_every=0.0)
    assert not path.exists() and not resumed.interrupted
    np.testing.assert_array_equal(resumed.train_loss, full.train_loss)
    for a, b in zip(resumed.params, full.params):
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])
    assert resumed.test_accuracy == full.test_accuracy


def test_mnist_idx_directory_the_user_points_at(tmp_path):
    """Digits written as the four MNIST IDX files (uint8 images, its split) train like the
    digits themselves: same data, same seed, same accuracy."""
    d = datasets.load_digits()
    img = lambda x: np.round(x * 255).astype(np.uint8).reshape(-1, 8, 8)  # noqa: E731
    datasets.write_idx(tmp_path / "train-images-idx3-ubyte", img(d.x_train))
    datasets.write_idx(tmp_path / "train-labels-idx1-ubyte", d.y_train.astype(np.uint8))
    datasets.write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", img(d.x_test))
    datasets.write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", d.y_test.astype(np.uint8))
    kw = dict(activation="relu", sigma_w2=2.0, sigma_b2=0.0, depth=1, width=32, steps=150, seed=1,
              optimizer="adam", lr=3e-3)
    r = trained.train_classifier(data=str(tmp_path), **kw)
    ref = trained.train_classifier(data="digits", **kw)
    assert r.settings["data"] == str(tmp_path)
    assert r.test_accuracy >= 0.85 and abs(r.test_accuracy - ref.test_accuracy) <= 0.03


def test_rmsprop_recursion():
    """v = rho v + (1 - rho) g^2, p -= lr g / (sqrt(v) + eps), written out in numpy."""
    r = np.random.default_rng(0)
    p = [r.standard_normal(5)]
    q, v = p[0].copy(), np.zeros(5)
    opt = RMSPropInPlace(p, lr=0.01, rho=0.8, eps=1e-6)
    for _ in range(4):
        g = r.standard_normal(5)
        opt.step([g])
        v = 0.8 * v + 0.2 * g * g
        q = q - 0.01 * g / (np.sqrt(v) + 1e-6)
    np.testing.assert_allclose(p[0], q, rtol=1e-13)
    with pytest.raises(ValueError, match="optimizer"):
        make_optimizer("adagrad", p, 0.1)


def test_nonfinite_gradient_skips_the_update(monkeypatch):
    """A step whose gradient is inf leaves every parameter unchanged and is counted."""
    tr = C.ClassifierTrainer("tanh", 1.0, 0.0, 1, 8, seed=0, optimizer="sgd", lr=0.1)
    before = [{k: v.copy() for k, v in layer.items()} for layer in tr.params]
    vg = tr._vg

    def bad(tp, x, y):
        val, g = vg(tp, x, y)
        g[0][0, 0] = np.inf
        return val, g

    tr._vg = bad
    tr.step(0)
    assert tr.skipped == 1
    for a, b in zip(tr.params, before):
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="trainable_layers"):
        trained.train_classifier(depth=2, width=4, steps=1, trainable_layers=[3])
    with pytest.raises(ValueError, match="activation"):
        trained.train_classifier("swish", depth=2, width=4, steps=1)
    with pytest.raises(ValueError, match="steps"):
        trained.train_classifier(depth=2, width=4, steps=-1)
    with pytest.raises(ValueError, match="norm"):
        trained.train_classifier(depth=2, width=4, steps=1, norm="layer")
    with pytest.raises(ValueError, match="lr"):
        trained.train_classifier(depth=2, width=4, steps=1, lr=0.0)


def test_learning_rate_decay_schedule_and_sgd_step():
    """lr_decay = 0.25 of 8 steps: lr, lr, lr, lr, lr, lr, lr/2 ... (linear over the last 2);
    the applied SGD step equals lr_at(i) x gradient (one step written out)."""
    tr = C.ClassifierTrainer("tanh", 1.0, 0.0, 1, 4, seed=0, optimizer="sgd", lr=0.1, steps=8, lr_decay=0.25)
    assert [tr.lr_at(i) for i in range(8)] == [0.1] * 6 + [0.1, 0.05]
    tr6 = C.ClassifierTrainer("tanh", 1.0, 0.0, 1, 4, seed=0, optimizer="sgd", lr=0.1, steps=8, lr_decay=0.5)
    w0 = tr6.params[0]["W"].copy()
    state = tr6.rng.bit_generator.state
    x, y = tr6._batch()
    _, g = tr6._vg(tr6.tparams, x, y)
    tr6.rng.bit_generator.state, tr6.perm, tr6.pos = state, np.zeros(0, np.int64), 0
    tr6.step(7)
    np.testing.assert_allclose(tr6.params[0]["W"], w0 - 0.1 * (1 / 4) * g[0], rtol=1e-6)
    with pytest.raises(ValueError, match="steps"):
        C.ClassifierTrainer("tanh", 1.0, 0.0, 1, 4, lr_decay=0.5)
    with pytest.raises(ValueError, match="lr_decay"):
        trained.train_classifier(depth=1, width=4, steps=2, lr_decay=2.0)
