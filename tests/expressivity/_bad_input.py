"""Harness of the table-driven bad-input tests (issue 19).

Each case is ``(id, thunk, expect)``. ``Named(*names)`` expects a ValueError or TypeError
(or the given exception types) whose message names one of ``names`` (as a whole word) and prints numbers as
plain numbers (no ``np.float64(...)``); ``Doc(check, what)`` expects a documented return
value for which ``check(value)`` is true. Anything else fails: another exception (a numba
typing error, an IndexError/KeyError from inside), a warning (warnings are errors here), a
silent NaN, or a value the check rejects.
"""
from __future__ import annotations

import math
import re
import warnings

import numpy as np

__all__ = ["Named", "Doc", "run_case", "table_tests", "is_nan", "is_inf", "finite"]


class Named:
    def __init__(self, *names, types=(ValueError, TypeError)):
        self.names = names
        self.types = types

    def __repr__(self):
        return f"Named{self.names}"


class Doc:
    def __init__(self, check, what):
        self.check = check
        self.what = what

    def __repr__(self):
        return f"Doc({self.what})"


def is_nan(v):
    return math.isnan(float(v))


def is_inf(v):
    return math.isinf(float(v))


def finite(v):
    return bool(np.all(np.isfinite(np.asarray(v, dtype=float))))


def run_case(thunk, expect):
    """Run one case; returns 'named' or 'documented', raises AssertionError otherwise."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            out = thunk()
        except Exception as e:  # noqa: BLE001  (classified below)
            if isinstance(expect, Named) and isinstance(e, expect.types):
                msg = str(e)
                # the name as a whole word ("n" must not match inside "must")
                assert any(re.search(r"(?<![\w.])" + re.escape(n) + r"(?!\w)", msg) for n in expect.names), (
                    f"{type(e).__name__} does not name {expect.names}: {msg}")
                assert "np.float" not in msg and "np.int" not in msg, f"numpy repr in message: {msg}"
                return "named"
            raise AssertionError(f"expected {expect!r}, got {type(e).__name__}: {e}") from e
    if isinstance(expect, Doc):
        assert expect.check(out), f"expected {expect.what}, got {out!r}"
        return "documented"
    raise AssertionError(f"expected {expect!r}, got a value: {out!r}"[:500])


def table_tests(cases):
    """The two tests of a table, to bind at module level:
    ``test_bad_input, test_case_ids_unique = table_tests(CASES)``."""
    import pytest

    @pytest.mark.parametrize("case", cases, ids=[c[0] for c in cases])
    def test_bad_input(case):
        """Each bad input gives a named ValueError/TypeError or its documented value."""
        _, thunk, expect = case
        run_case(thunk, expect)

    def test_case_ids_unique():
        ids = [c[0] for c in cases]
        assert len(ids) == len(set(ids))

    return test_bad_input, test_case_ids_unique
