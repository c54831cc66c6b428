"""phase_diagram against its own earlier outputs (tests/meanfield/data/phase_reference.npz).

The reference was written by the code before the solver restructuring of issue 16 (one
table argument and named output columns for the compiled kernel, one solver module); the
restructuring must not change a bit. Points whose q* exceeds 1e3 come from the pointwise
solvers, whose large-q integrals were replaced later (issue 19, the q-independent path):
they are compared to 1e-9, xi_c to 1e-7 -- the old 2-D integrals lost digits there (elu at
q* = 3395, 1 - c* = 2.5e-4: V - C over 1 - c was 2.5e-12 off the cancellation-free segment-mean
value, which the new path matches to 6e-16), and xi_c = -1/log(slope) multiplies such errors
by xi_c (~700 near the critical line).
"""
from pathlib import Path

import numpy as np
import pytest

import meanfield as mf

REF = Path(__file__).parent / "data" / "phase_reference.npz"
NAMES = ["tanh", "erf", "hard_tanh", "elu", "softplus", "gelu", "swish"]


@pytest.mark.parametrize("name", NAMES)
def test_phase_diagram_matches_the_reference_bit_for_bit(name):
    ref = np.load(REF)
    pd = mf.phase_diagram(name, ref[f"{name}/sigma_w2"], ref["sigma_b2"])
    exact = ~(np.isfinite(ref[f"{name}/q_star"]) & (ref[f"{name}/q_star"] > 1e3))
    assert exact.sum() >= 40
    for f in pd.FIELDS:
        got, want = getattr(pd, f), ref[f"{name}/{f}"]
        np.testing.assert_array_equal(got[exact], want[exact], err_msg=f)
        np.testing.assert_allclose(got[~exact], want[~exact], rtol=1e-7 if f == "xi_c" else 1e-9, err_msg=f)
