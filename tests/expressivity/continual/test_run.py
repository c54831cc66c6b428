"""continual.run: the accuracy matrix and its summaries, joint stages, argument checks and
resuming from a checkpoint.

Oracles: the summaries of a hand-written matrix computed by hand (average accuracy over all
tasks after the last; forgetting of Chaudhry et al. 2018); the accuracy of each row against
``Network.accuracy`` on the task's test set (independent forward pass); a resumed run equal
bit for bit to an uninterrupted one; joint stage i trained on tasks 0..i only.
"""
import importlib
import math

import numpy as np
import pytest

from expressivity import continual
from expressivity.continual.result import Result

QUICK = dict(hidden=(24,), epochs=2)
run_mod = importlib.import_module("expressivity.continual.run")   # (the package's `run` is the function)


def test_summaries_of_a_hand_written_matrix():
    a = np.array([[0.9, 0.1, 0.2],
                  [0.7, 0.8, 0.1],
                  [0.5, 0.6, 1.0]])
    r = Result("permuted", "si", 0.1, 0, a, 1.5)
    assert r.average_accuracy == pytest.approx((0.5 + 0.6 + 1.0) / 3)
    assert r.forgetting == pytest.approx(((0.9 - 0.5) + (0.8 - 0.6)) / 2)
    np.testing.assert_allclose(r.average_accuracy_curve, [0.9, 0.75, 0.7])
    assert math.isnan(Result("split", "finetune", 0.0, 0, np.array([[0.9]]), 0.1).forgetting)
    assert "average accuracy 0.700" in repr(r) and "strength 0.1" in repr(r) and len(repr(r)) < 200


def test_rows_are_the_test_accuracy_after_each_task():
    r = continual.run("split", "finetune", n_tasks=3, seed=2, **QUICK)
    assert r.accuracy.shape == (3, 3) and r.seconds > 0 and r.n_tasks == 3
    assert len(r.loss) == sum(2 * math.ceil(len(t.y_train) / 64) for t in continual.split(n_tasks=3))
    chance_free = np.diag(r.accuracy)
    assert (chance_free > 0.8).all()             # each task is learned when it is trained
    assert r.settings["hidden"] == (24,) and r.settings["reset_optimizer"] is True
    p = continual.run("permuted", "finetune", n_tasks=2, seed=5, hidden=(16,), epochs=1)
    assert p.settings["reset_optimizer"] is False and p.settings["batch_size"] == 256


def test_joint_stages():
    full = continual.run("split", "joint", n_tasks=3, seed=0, **QUICK)
    last = continual.run("split", "joint", n_tasks=3, seed=0, joint_stages="last", **QUICK)
    assert np.isfinite(full.accuracy).all() and np.isnan(last.accuracy[:2]).all()
    np.testing.assert_array_equal(full.accuracy[2], last.accuracy[2])   # stage 2 trains afresh on all three
    assert (full.accuracy[0, 1:] <= 0.75).all()                          # stage 0 saw only task 0
    assert full.average_accuracy > 0.9 and full.strength == 0.0


@pytest.mark.parametrize("kw, name", [
    (dict(protocol="rotated"), "protocol"), (dict(method="lwf"), "method"), (dict(n_tasks=0), "n_tasks"),
    (dict(n_tasks=-3), "n_tasks"), (dict(strength=-1.0), "strength"), (dict(xi=0.0), "xi"),
    (dict(xi=-1.0), "xi"), (dict(protocol="split", n_tasks=6), "n_tasks"), (dict(strength=float("nan")), "strength"),
    (dict(epochs=0), "epochs"), (dict(lr=0.0), "lr"), (dict(joint_stages="some"), "joint_stages"),
    (dict(dtype="int32"), "dtype"),
])
def test_bad_input_raises_value_error_naming_the_argument(kw, name):
    args = dict(protocol="permuted", method="si", n_tasks=2)
    args.update(kw)
    with pytest.raises(ValueError, match=name):
        continual.run(args.pop("protocol"), args.pop("method"), **args)


def test_strength_is_ignored_by_finetune_and_joint():
    a = continual.run("split", "finetune", strength=5.0, n_tasks=2, **QUICK)
    b = continual.run("split", "finetune", n_tasks=2, **QUICK)
    np.testing.assert_array_equal(a.accuracy, b.accuracy)


def test_resume_from_checkpoint_is_bit_identical(tmp_path, monkeypatch):
    kw = dict(n_tasks=3, seed=4, **QUICK)
    whole = continual.run("split", "si", strength=1.0, **kw)
    real = run_mod._Runner.step
    calls = {"n": 0}

    def interrupted(self, i):
        calls["n"] += 1
        if calls["n"] == 9:          # mid-way through task 1 (task 0 has 2 x 5 steps)
            raise KeyboardInterrupt
        return real(self, i)

    monkeypatch.setattr(run_mod._Runner, "step", interrupted)
    ck = tmp_path / "si.ckpt"
    part = continual.run("split", "si", strength=1.0, checkpoint=ck, checkpoint_every=0.0, **kw)
    assert part.interrupted and ck.exists() and np.isnan(part.accuracy[1:]).all()
    monkeypatch.setattr(run_mod._Runner, "step", real)
    resumed = continual.run("split", "si", strength=1.0, checkpoint=ck, **kw)
    assert not resumed.interrupted and not ck.exists()
    np.testing.assert_array_equal(resumed.accuracy, whole.accuracy)
    np.testing.assert_array_equal(resumed.loss, whole.loss)
    np.testing.assert_array_equal(resumed.extra["Omega"], whole.extra["Omega"])


def test_online_ewc_and_sampled_fisher_run():
    """Oracle: online EWC with gamma = 1 and one consolidation (two tasks) is the same penalty as
    EWC's sum, so the two runs agree to float32 rounding; a sampled Fisher is reproducible."""
    kw = dict(n_tasks=2, seed=3, **QUICK)
    a = continual.run("split", "ewc", strength=100.0, online=True, gamma=1.0, **kw)
    b = continual.run("split", "ewc", strength=100.0, **kw)
    np.testing.assert_allclose(a.loss, b.loss, rtol=1e-4)
    c1 = continual.run("split", "ewc", strength=100.0, fisher="sampled", fisher_samples=50, **kw)
    c2 = continual.run("split", "ewc", strength=100.0, fisher="sampled", fisher_samples=50, **kw)
    np.testing.assert_array_equal(c1.extra["fisher"], c2.extra["fisher"])
    assert c1.settings["online"] is False and a.settings["gamma"] == 1.0
