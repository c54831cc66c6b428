"""LabelledArray selection (oracle: plain numpy indexing of the same arrays)."""
import numpy as np
import pytest

from expressivity.sweep import LabelledArray


def _arr():
    rng = np.random.default_rng(0)
    return LabelledArray(("w", "s", "seed"),
                         {"w": np.array([16, 64]), "s": np.array([0.5, 1.0, 1.5]), "seed": np.arange(4)},
                         {"q": rng.standard_normal((2, 3, 4)), "v": rng.standard_normal((2, 3, 4, 5))})


def test_sel_scalar_drops_dim_and_matches_numpy_indexing():
    a = _arr()
    b = a.sel(w=64, s=1.0)
    assert b.dims == ("seed",) and b.shape == (4,)
    np.testing.assert_array_equal(b["q"], a["q"][1, 1], strict=True)
    np.testing.assert_array_equal(b["v"], a["v"][1, 1], strict=True)


def test_sel_list_keeps_dim_in_given_order():
    a = _arr()
    b = a.sel(s=[1.5, 0.5], seed=2)
    assert b.dims == ("w", "s") and b.shape == (2, 2)
    np.testing.assert_array_equal(b.coords["s"], [1.5, 0.5])
    np.testing.assert_array_equal(b["q"], a["q"][:, [2, 0], 2], strict=True)
    c = a.sel(w=[64], s=[1.5, 0.5])
    np.testing.assert_array_equal(c["v"], a["v"][[1]][:, [2, 0]], strict=True)


def test_sel_float_tolerance_and_errors():
    a = _arr()
    np.testing.assert_array_equal(a.sel(s=0.1 * 5)["q"], a["q"][:, 0])
    with pytest.raises(KeyError, match="s=0.7"):
        a.sel(s=0.7)
    for near in (0.55, 0.5 + 1e-9):  # close is not equal
        with pytest.raises(KeyError):
            a.sel(s=near)
    with pytest.raises(ValueError, match="unknown dim 'depth'"):
        a.sel(depth=3)


def test_isel_and_shape_checks():
    a = _arr()
    np.testing.assert_array_equal(a.isel(seed=slice(1, 3))["q"], a["q"][:, :, 1:3])
    with pytest.raises(ValueError, match="leading dims"):
        LabelledArray(("w",), {"w": np.arange(3)}, {"q": np.zeros(4)})
    with pytest.raises(ValueError, match="coords"):
        LabelledArray(("w",), {"x": np.arange(3)}, {"q": np.zeros(3)})
