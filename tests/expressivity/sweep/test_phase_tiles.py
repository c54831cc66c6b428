"""The tiled phase diagram: tiles of phase_diagram written to the store, read back as one.

Oracle: one call of the same phase_diagram function on the whole grid (the tiles must
reassemble to it exactly: bit for bit after the same rounding to the stored dtype). A fake
phase_diagram with closed-form fields (including inf) keeps most tests fast; the last tests
run the real ``meanfield.phase_diagram``.
"""
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import meanfield
from expressivity import sweep
from expressivity.sweep.phase_tiles import FIELDS, decode, encode


@dataclass
class FakeDiagram:
    q_star: np.ndarray
    chi1: np.ndarray
    c_star: np.ndarray
    xi_q: np.ndarray
    xi_c: np.ndarray


def fake_phase_diagram(activation, sigma_w2, sigma_b2):
    """Closed-form stand-in with the contract of meanfield.phase_diagram ([i_w, i_b])."""
    markers = os.environ.get("FAKE_PD_MARKERS")
    if markers:
        Path(markers, f"{len(sigma_w2)}x{len(sigma_b2)}_{os.getpid()}_{os.urandom(4).hex()}").touch()
    w = np.asarray(sigma_w2, dtype=float)[:, None]
    b = np.asarray(sigma_b2, dtype=float)[None, :]
    scale = {"tanh": 1.0, "erf": 2.0}[activation]
    return FakeDiagram(q_star=scale * w + b + 0 * w * b, chi1=w / (1.0 + b), c_star=np.cos(w * b),
                       xi_q=1.0 / (1.0 + w * w + b), xi_c=np.where(w > 2 * b, np.inf, w - b))


def _assert_same(res, sw, sb, activation="tanh", pd=fake_phase_diagram, rtol=0.0):
    markers = os.environ.pop("FAKE_PD_MARKERS", None)  # the oracle call is not a tile
    try:
        direct = pd(activation, sigma_w2=sw, sigma_b2=sb)
    finally:
        if markers is not None:
            os.environ["FAKE_PD_MARKERS"] = markers
    assert res.dims == ("sigma_w2", "sigma_b2")
    np.testing.assert_array_equal(res.coords["sigma_w2"], sw)
    np.testing.assert_array_equal(res.coords["sigma_b2"], sb)
    for f in FIELDS:
        expected = np.asarray(getattr(direct, f), dtype=float).astype(res[f].dtype)
        assert res[f].shape == (len(sw), len(sb))
        if rtol == 0.0:
            np.testing.assert_array_equal(res[f], expected, err_msg=f)
        else:
            np.testing.assert_allclose(res[f], expected, rtol=rtol, atol=0, equal_nan=True, err_msg=f)


def _markers(tmp_path, monkeypatch):
    d = tmp_path / "markers"
    d.mkdir()
    monkeypatch.setenv("FAKE_PD_MARKERS", str(d))
    return d


def _tile_sizes(markers):
    return sorted(p.name.split("_")[0] for p in markers.iterdir())


def test_tiles_reassemble_to_one_call_and_resume_does_nothing(tmp_path, monkeypatch):
    markers = _markers(tmp_path, monkeypatch)
    sw, sb = np.linspace(0.5, 4.0, 10), np.linspace(0.0, 0.3, 7)
    res = sweep.tiled_phase_diagram("tanh", sw, sb, tmp_path / "s", tile=(3, 4), executor="inprocess",
                                    progress=False, phase_diagram=fake_phase_diagram)
    _assert_same(res, sw, sb)
    # ceil(10/3) x ceil(7/4) = 4 x 2 tiles; the last row/column are the remainders
    assert _tile_sizes(markers) == sorted(["3x4"] * 3 + ["3x3"] * 3 + ["1x4", "1x3"])
    assert np.isinf(res["xi_c"]).any()
    again = sweep.tiled_phase_diagram("tanh", sw, sb, tmp_path / "s", tile=(3, 4), executor="inprocess",
                                      progress=False, phase_diagram=fake_phase_diagram)
    assert len(list(markers.iterdir())) == 8, "resume must not recompute stored tiles"
    _assert_same(again, sw, sb)
    np.testing.assert_array_equal(res.sel(sigma_w2=sw[4])["chi1"], (sw[4] / (1 + sb)).astype(np.float32))


def test_other_activation_or_grid_gets_its_own_tiles(tmp_path, monkeypatch):
    markers = _markers(tmp_path, monkeypatch)
    sw, sb = np.linspace(0.5, 4.0, 5), np.linspace(0.0, 0.3, 4)
    kw = dict(tile=(2, 2), executor="inprocess", progress=False, phase_diagram=fake_phase_diagram)
    sweep.tiled_phase_diagram("tanh", sw, sb, tmp_path / "s", **kw)
    _assert_same(sweep.tiled_phase_diagram("erf", sw, sb, tmp_path / "s", **kw), sw, sb, "erf")
    sb2 = sb.copy()
    sb2[-1] = 0.31
    _assert_same(sweep.tiled_phase_diagram("tanh", sw, sb2, tmp_path / "s", **kw), sw, sb2)
    assert len(list(markers.iterdir())) == 3 * 6


def test_process_pool_gives_the_same_diagram(tmp_path, monkeypatch):
    _markers(tmp_path, monkeypatch)
    sw, sb = np.linspace(0.1, 3.0, 9), np.linspace(0.0, 1.0, 6)
    with ProcessPoolExecutor(2) as pool:
        res = sweep.tiled_phase_diagram("tanh", sw, sb, tmp_path / "s", tile=(4, 4), executor=pool,
                                        progress=False, phase_diagram=fake_phase_diagram)
    _assert_same(res, sw, sb)


def test_tile_larger_than_grid_is_one_call(tmp_path, monkeypatch):
    markers = _markers(tmp_path, monkeypatch)
    sw, sb = np.array([1.0, 2.0]), np.array([0.0, 0.1, 0.2])
    res = sweep.tiled_phase_diagram("tanh", sw, sb, tmp_path / "s", executor="inprocess", progress=False,
                                    phase_diagram=fake_phase_diagram)
    _assert_same(res, sw, sb)
    assert _tile_sizes(markers) == ["2x3"]


@pytest.mark.parametrize("kwargs, word", [
    (dict(sigma_w2=[1.0, -1.0]), "sigma_w2"),
    (dict(sigma_b2=[0.0, np.nan]), "sigma_b2"),
    (dict(sigma_w2=np.ones((2, 2))), "sigma_w2"),
    (dict(sigma_b2=[]), "sigma_b2"),
    (dict(tile=(0, 3)), "tile"),
    (dict(tile=3), "tile"),
])
def test_bad_input_fails_before_any_tile(tmp_path, monkeypatch, kwargs, word):
    markers = _markers(tmp_path, monkeypatch)
    args = dict(sigma_w2=[1.0, 2.0], sigma_b2=[0.0, 0.5], tile=(2, 2))
    args.update(kwargs)
    with pytest.raises(ValueError, match=word):
        sweep.tiled_phase_diagram("tanh", store=tmp_path / "s", executor="inprocess", progress=False,
                                  phase_diagram=fake_phase_diagram, **args)
    assert not list(markers.iterdir())


def _wrong_shape(activation, sigma_w2, sigma_b2):
    d = fake_phase_diagram(activation, sigma_w2, sigma_b2)
    d.chi1 = d.chi1.T
    return d


def test_wrong_shape_from_phase_diagram_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="chi1.*i_w, i_b"):
        sweep.tiled_phase_diagram("tanh", [1.0, 2.0, 3.0], [0.0, 0.5], tmp_path / "s", executor="inprocess",
                                  progress=False, phase_diagram=_wrong_shape)


@pytest.mark.skipif(not hasattr(meanfield, "phase_diagram"),
                    reason="meanfield.phase_diagram not merged yet (runs after the merge)")
def test_real_meanfield_phase_diagram_tiled_equals_one_call(tmp_path):
    """Oracle: one meanfield.phase_diagram call on the whole grid; tiles must match it to
    1e-12 (identical up to evaluation order inside a vectorised solver)."""
    sw, sb = np.linspace(0.5, 3.0, 7), np.linspace(0.0, 0.2, 5)
    res = sweep.tiled_phase_diagram("tanh", sw, sb, tmp_path / "s", tile=(3, 2), executor="inprocess",
                                    progress=False, dtype="float64")
    assert res["chi1"].dtype == np.float64
    _assert_same(res, sw, sb, pd=meanfield.phase_diagram, rtol=1e-10)
    small = sweep.tiled_phase_diagram("tanh", sw, sb, tmp_path / "s32", tile=(3, 2), executor="inprocess",
                                      progress=False)  # the default: float32, compressed
    assert small["chi1"].dtype == np.float32
    _assert_same(small, sw, sb, pd=meanfield.phase_diagram, rtol=2 ** -23)  # Newton warm-starts along rows: tiles agree to the solver tolerance, not bit for bit
    for f in FIELDS:  # inf (unbounded depth scales) in the same places
        direct = np.asarray(getattr(meanfield.phase_diagram("tanh", sigma_w2=sw, sigma_b2=sb), f))
        np.testing.assert_array_equal(np.isinf(res[f]), np.isinf(direct))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_encode_decode_is_lossless(dtype):
    """Oracle: the array itself, bit for bit (NaN, inf, -0.0, subnormals and noise)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((37, 23)).astype(dtype)
    x[0, :6] = [np.nan, np.inf, -np.inf, -0.0, np.finfo(dtype).tiny / 4, np.finfo(dtype).max]
    back = decode(encode(x), np.dtype(dtype).name, x.shape)
    assert back.dtype == dtype
    np.testing.assert_array_equal(back.view(np.uint8), x.view(np.uint8))


def test_store_layout_and_size(tmp_path, monkeypatch, capsys):
    """Oracle: the bytes of the raw float64 fields (n_w * n_b * 5 * 8). The default store is
    float32 and compressed: smaller than half of that on a smooth diagram; float64 without
    compression is the old layout (plain float64 fields, at least the raw size); the size is
    printed before any tile runs."""
    _markers(tmp_path, monkeypatch)
    sw, sb = np.linspace(0.5, 4.0, 64), np.linspace(0.0, 0.3, 48)
    kw = dict(tile=(32, 16), executor="inprocess", phase_diagram=fake_phase_diagram)
    raw64 = sw.size * sb.size * len(FIELDS) * 8
    small = sweep.tiled_phase_diagram("tanh", sw, sb, tmp_path / "a", progress=True, **kw)
    err = capsys.readouterr().err
    assert f"64 x 48 points in 2 x 3 tiles of 32 x 16" in err and "at most 0.1 MB (float32" in err
    assert err.index("at most") < err.index("6 computed")
    old = sweep.tiled_phase_diagram("tanh", sw, sb, tmp_path / "b", progress=False, dtype="float64",
                                    compress=False, **kw)
    assert small.attrs["store_bytes"] < raw64 / 2 <= old.attrs["store_bytes"] / 2
    st = sweep.Store(tmp_path / "b")
    fields, _ = st.read(st.keys()[0])
    assert fields["chi1"].dtype == np.float64 and fields["chi1"].shape == (32, 16)
    _assert_same(old, sw, sb)
    _assert_same(small, sw, sb)
