"""Grid definition and the checks done before any work (oracle: itertools.product, and the
error messages, which must name the offending parameter)."""
import itertools
import math

import numpy as np
import pytest

from expressivity.sweep import Grid, check_call


def test_cells_are_the_product_in_c_order_with_seeds_last():
    """Oracle: itertools.product of the lists; np.ndindex for the indices."""
    g = Grid(width=[16, 64], sigma_w2=[1.0, 2.0, 4.0], seeds=2)
    assert g.dims == ("width", "sigma_w2", "seed")
    assert g.shape == (2, 3, 2) and len(g) == 12
    cells = list(g)
    assert [c[0] for c in cells] == list(np.ndindex(2, 3, 2))
    expected = [dict(width=w, sigma_w2=s, seed=k)
                for w, s, k in itertools.product([16, 64], [1.0, 2.0, 4.0], [0, 1])]
    assert [c[1] for c in cells] == expected
    np.testing.assert_array_equal(g.coords["sigma_w2"], [1.0, 2.0, 4.0])
    np.testing.assert_array_equal(g.coords["seed"], [0, 1])


def test_values_become_plain_python_scalars():
    g = Grid(a=np.array([1, 2]), b=np.linspace(0, 1, 2), c=["tanh", "relu"], seeds=[5, 7])
    params = list(g)[-1][1]
    assert params == {"a": 2, "b": 1.0, "c": "relu", "seed": 7}
    assert type(params["a"]) is int and type(params["b"]) is float


@pytest.mark.parametrize("kwargs, exc, words", [
    (dict(width=[]), ValueError, ["'width'", "empty"]),
    (dict(sigma_w2=[1.0, float("nan")]), ValueError, ["'sigma_w2'", "non-finite"]),
    (dict(sigma_w2=np.array([1.0, np.inf])), ValueError, ["'sigma_w2'", "non-finite"]),
    (dict(sigma_b2=[0.1, 0.1]), ValueError, ["'sigma_b2'", "twice"]),
    (dict(depth=[1, "two"]), TypeError, ["'depth'", "mixes"]),
    (dict(depth=[[1, 2]]), TypeError, ["'depth'", "list"]),
    (dict(depth=5), TypeError, ["'depth'", "list of values"]),
    (dict(depth="abc"), TypeError, ["'depth'"]),
    (dict(depth=np.zeros((2, 2))), ValueError, ["'depth'", "1-D"]),
    (dict(seed=[1, 2]), ValueError, ["seeds="]),
    (dict(x=[1], seeds=0), ValueError, ["seeds"]),
    (dict(x=[1], seeds=[-1]), ValueError, ["seeds", ">= 0", "-1"]),
    (dict(x=[1], seeds=[0.5]), ValueError, ["seeds"]),
    (dict(), ValueError, ["at least one"]),
])
def test_bad_grids_raise_naming_the_parameter(kwargs, exc, words):
    with pytest.raises(exc) as info:
        Grid(**kwargs)
    for w in words:
        assert w in str(info.value)


def _f(width, sigma_w2, seed, depth=3):
    return width


def test_check_call_accepts_a_matching_grid_and_fixed():
    check_call(_f, Grid(width=[1], seeds=2), fixed={"sigma_w2": 1.0})
    check_call(lambda **kw: 0, Grid(anything=[1]))  # **kwargs accepts every name


@pytest.mark.parametrize("grid, fixed, words", [
    (Grid(width=[1], sigma_w2=[1.0], depht=[2], seeds=1), None, ["'depht'", "not an argument"]),
    (Grid(width=[1], sigma_w2=[1.0]), None, ["'seed'", "required"]),
    (Grid(width=[1], seeds=1), None, ["'sigma_w2'", "required"]),
    (Grid(width=[1], sigma_w2=[1.0], seeds=1), {"width": 3}, ["width", "both"]),
    (Grid(width=[1], sigma_w2=[1.0], seeds=1), {"bogus": 3}, ["'bogus'", "not an argument"]),
])
def test_check_call_rejects_names_the_function_does_not_take(grid, fixed, words):
    with pytest.raises(ValueError) as info:
        check_call(_f, grid, fixed)
    for w in words:
        assert w in str(info.value)


def test_seeds_without_seed_argument_is_an_error():
    def g(x):
        return x

    with pytest.raises(ValueError, match="seeds"):
        check_call(g, Grid(x=[1], seeds=2))


def test_not_callable():
    with pytest.raises(TypeError, match="callable"):
        check_call(3, Grid(x=[1]))


def test_len_of_large_grid_is_product():
    g = Grid(a=range(100), b=range(100), c=range(10))
    assert len(g) == math.prod([100, 100, 10])
