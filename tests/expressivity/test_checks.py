"""The shared argument checks (expressivity.checks): one rule each, named errors.

Oracle: the documented allowed values; messages name the argument and print plain numbers.
"""
import numpy as np
import pytest

from expressivity import checks


@pytest.mark.parametrize("fn,args,exc,match", [
    (checks.check_variance, ("sigma_w2", -1.0), ValueError, "sigma_w2 must be a finite variance >= 0, got -1.0"),
    (checks.check_variance, ("sigma_w2", np.float64(np.nan)), ValueError, "got nan"),
    (checks.check_variance, ("sigma_w2", True), TypeError, "sigma_w2 must be"),
    (checks.check_variance, ("sigma_b2", "1"), TypeError, "got str"),
    (checks.check_variance, ("sigma_b2", 1 + 0j), TypeError, "got complex"),
    (checks.check_positive, ("tau", 0.0), ValueError, "tau must be a finite number > 0, got 0.0"),
    (checks.check_positive, ("tau", np.inf), ValueError, "got inf"),
    (checks.check_in_range, ("alpha", 1.5, 0, 1), ValueError, r"alpha must be a number in \[0.0, 1.0\], got 1.5"),
    (checks.check_positive_int, ("width", 0), ValueError, "width must be an integer >= 1, got 0"),
    (checks.check_positive_int, ("width", 2.5), TypeError, "width must be an integer >= 1, got float 2.5"),
    (checks.check_positive_int, ("width", True), TypeError, "got bool"),
    (checks.check_nonnegative_int, ("steps", -1), ValueError, "steps must be an integer >= 0, got -1"),
    (checks.check_choice, ("method", "x", ("si", "ewc")), ValueError, "method must be one of 'si', 'ewc'; got 'x'"),
    (checks.as_generator, (1.5,), TypeError, "seed must be an int seed"),
    (checks.as_generator, (-3,), ValueError, "got -3"),
])
def test_bad_values_raise_named_errors(fn, args, exc, match):
    with pytest.raises(exc, match=match):
        fn(*args)


def test_good_values_pass_through():
    assert checks.check_variance("v", np.float32(2.0)) == 2.0 and checks.check_variance("v", 0) == 0.0
    assert checks.check_positive_int("n", np.int64(3)) == 3 and checks.check_nonnegative_int("n", 0) == 0
    assert checks.check_in_range("a", 1, 0, 1) == 1.0 and checks.check_choice("m", "si", ("si",)) == "si"
    g = np.random.default_rng(0)
    assert checks.as_generator(g) is g
    assert checks.as_generator(5).random() == np.random.default_rng(5).random()
    assert checks.plain(np.float64(2.5)) == "2.5" and checks.plain(np.int64(3)) == "3"
