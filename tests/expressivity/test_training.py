"""Tests of the shared training loop (oracle: the values the step function returned)."""
import numpy as np
import pytest

from expressivity.training import History, run_steps


def test_records_every_step_exactly():
    """Oracle: the recorded arrays equal the values returned step by step."""
    h = run_steps(lambda i: {"a": i * 0.5, "b": -i}, 7, progress=False)
    assert isinstance(h, History) and len(h) == 7 and not h.interrupted
    np.testing.assert_array_equal(h["a"], 0.5 * np.arange(7))
    np.testing.assert_array_equal(h["b"], -np.arange(7))


def test_scalar_and_none_records():
    """Oracle: a scalar is recorded under 'value'; None records nothing."""
    h = run_steps(lambda i: float(i) ** 2, 4, progress=False)
    np.testing.assert_array_equal(h["value"], [0, 1, 4, 9])
    assert len(run_steps(lambda i: None, 3, progress=False)) == 0


def test_keyboard_interrupt_returns_partial_history():
    """Oracle: steps before the interrupt are kept, later ones are not."""
    def step(i):
        if i == 5:
            raise KeyboardInterrupt
        return {"x": i}

    h = run_steps(step, 10, progress=True)
    assert h.interrupted and len(h) == 5
    np.testing.assert_array_equal(h["x"], np.arange(5))
    with pytest.raises(KeyboardInterrupt):
        run_steps(step, 10, progress=False, interrupt="raise")


def test_check_finite_and_bad_arguments():
    """Oracle: documented errors."""
    with pytest.raises(FloatingPointError, match="step 2"):
        run_steps(lambda i: np.nan if i == 2 else 1.0, 5, progress=False, check_finite=True)
    with pytest.raises(ValueError, match="n_steps"):
        run_steps(lambda i: 1.0, -1)
    with pytest.raises(ValueError, match="interrupt"):
        run_steps(lambda i: 1.0, 1, interrupt="maybe")
    with pytest.raises(TypeError, match="step"):
        run_steps(3, 1)


def test_blas_threads_limits_inside_and_restores_after():
    """Oracle: threadpoolctl's own report of the BLAS pools' thread counts."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from expressivity.training import blas_threads

    before = [p["num_threads"] for p in threadpoolctl.threadpool_info()]
    with blas_threads(1):
        assert all(p["num_threads"] == 1 for p in threadpoolctl.threadpool_info())
    assert [p["num_threads"] for p in threadpoolctl.threadpool_info()] == before
    with blas_threads(None):
        assert [p["num_threads"] for p in threadpoolctl.threadpool_info()] == before
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match="threads"):
            with blas_threads(bad):
                pass


def _sgd_run(n, ckpt=None, stop_at=None):
    """Noisy gradient descent on (x - 3)^2 whose every step draws from the generator."""
    from expressivity.training import Checkpoint

    st = {"x": np.zeros(2), "rng": np.random.default_rng(0)}

    def step(i):
        if stop_at is not None and i == stop_at:
            raise KeyboardInterrupt
        st["x"] = st["x"] - 0.1 * (2 * (st["x"] - 3.0) + st["rng"].standard_normal(2))
        return {"x0": st["x"][0]}

    cp = None if ckpt is None else Checkpoint(ckpt, lambda: st, lambda s: st.update(s), every=0.0)
    return run_steps(step, n, progress=False, checkpoint=cp), st


def test_checkpoint_resume_equals_an_uninterrupted_run(tmp_path):
    """Oracle: the same run without interruption. Interrupted at step 13 and resumed from
    its checkpoint (saved after every step here), the records and the final state are
    bit-identical; the file is gone once the run completes."""
    full, st_full = _sgd_run(30)
    path = tmp_path / "run.ckpt"
    part, _ = _sgd_run(30, path, stop_at=13)
    assert part.interrupted and len(part) == 13 and path.exists()
    rest, st = _sgd_run(30, path)
    assert rest.resumed_from == 13 and len(rest) == 30 and not path.exists()
    np.testing.assert_array_equal(rest["x0"], full["x0"])
    np.testing.assert_array_equal(st["x"], st_full["x"])


def test_damaged_or_foreign_checkpoint_starts_afresh_with_a_warning(tmp_path):
    """Oracle: an uninterrupted run; a truncated file or one written for another length is
    reported (RuntimeWarning) and ignored."""
    full, _ = _sgd_run(10)
    path = tmp_path / "run.ckpt"
    path.write_bytes(b"\x80\x05garbage")
    with pytest.warns(RuntimeWarning, match="not used"):
        again, _ = _sgd_run(10, path)
    np.testing.assert_array_equal(again["x0"], full["x0"])
    _sgd_run(20, path, stop_at=5)
    with pytest.warns(RuntimeWarning, match="n_steps=20"):
        other, _ = _sgd_run(10, path)
    assert other.resumed_from == 0


def test_a_diverging_step_is_reported_with_the_run_and_the_step():
    """Oracle: the step that raises is known (step 3 of 10). A FloatingPointError from the step
    (as the optimisers raise on a NaN gradient) comes back naming the run's desc and the step,
    with the original error chained."""
    import pytest

    from expressivity.training import run_steps

    def step(i):
        if i == 3:
            raise FloatingPointError("adam_inplace: the gradient contains NaN")
        return float(i)

    with pytest.raises(FloatingPointError, match=r"my run: training diverged at step 3 of 10 \(adam_inplace") as e:
        run_steps(step, 10, desc="my run", progress=False)
    assert isinstance(e.value.__cause__, FloatingPointError)


def test_an_open_ended_range_is_stated_as_such():
    """check_in_range with hi = inf says 'a finite number >= lo' (inf itself is refused)."""
    import pytest

    from expressivity.checks import check_in_range

    with pytest.raises(ValueError, match=r"strength must be a finite number >= 0.0, got inf"):
        check_in_range("strength", float("inf"), 0.0, float("inf"))
    assert check_in_range("strength", 3.0, 0.0, float("inf")) == 3.0
