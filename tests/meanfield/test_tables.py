"""Pieces of the per-activation tables against independent oracles (the tables as a whole are
checked through phase_diagram against the pointwise solver in test_phase)."""
import math

import numpy as np
from numpy.polynomial import hermite_e

import meanfield as mf
from meanfield import _tablekernels, tables


def test_hermite_projections_match_numpy_hermite_e():
    """Oracle: numpy's probabilists' Hermite polynomials He_k / sqrt(k!) evaluated directly,
    summed against the same weights, for k <= 40 (where direct evaluation is still exact to
    ~1e-13 relative to the sum of |f|)."""
    rng = np.random.default_rng(0)
    z = rng.uniform(-6, 6, 300)
    f = rng.standard_normal(300) * np.exp(-0.25 * z * z)
    f[::7] = 0.0   # skipped nodes
    got = _tablekernels.hermite_projections(f, z, 40)
    for k in range(41):
        c = np.zeros(k + 1)
        c[k] = 1.0
        ref = np.dot(f, hermite_e.hermeval(z, c)) / math.sqrt(math.factorial(k))
        assert abs(got[k] - ref) <= 1e-12 * np.abs(f).sum() * max(1.0, abs(ref)), k


def test_mehler_coefficients_resum_to_the_two_point_kernel():
    """Oracle: C(c, q) by direct quadrature (kernels.two_d); the Hermite coefficients of a
    table row satisfy C = sum_k a_k^2 c^k (Mehler) at moderate c, for a smooth and a kinked phi."""
    from meanfield import kernels

    for name, q in [("tanh", 2.0), ("elu", 1.5)]:
        act = mf.get_activation(name)
        a = tables._hermite_coefficients(act, q, 1024)
        for c in (-0.6, 0.3, 0.7):
            series = np.sum(a ** 2 * c ** np.arange(a.size))
            assert abs(series - kernels.two_d(act, "C", c, q)) <= 1e-12, (name, c)


# ---- cold starts (issue 18 item 3): a table build is announced, shown and cached -------------
class _RecordingBar:
    """Stands in for tqdm: records the total, the sum of the updates and whether it closed."""

    made = []

    def __init__(self, total=None, **kwargs):
        self.total, self.n, self.closed = total, 0, False
        _RecordingBar.made.append(self)

    def update(self, n=1):
        self.n += n

    def close(self):
        self.closed = True


def test_progress_bar_counts_every_row_of_the_three_stages(monkeypatch):
    """Oracle: the row counts of the three stages (N_1D, N_MEHLER, N_NEAR) weighted by _COST:
    the bar reaches its total exactly once every row is built, and is closed. The quadratures
    are replaced by constants (their values are tested elsewhere), so this runs in a second."""
    import tqdm.auto

    from meanfield import kernels

    monkeypatch.setattr(tqdm.auto, "tqdm", _RecordingBar)
    monkeypatch.setattr(kernels, "one_d", lambda act, kind, q: 1.0)
    monkeypatch.setattr(tables, "_hermite_coefficients", lambda act, q, kmax: np.zeros(kmax + 1))
    monkeypatch.setattr(tables, "_near_row", lambda act, q: (np.zeros((2, tables.NEAR_N)), np.zeros(2)))
    _RecordingBar.made.clear()
    tab = tables.build_tables(mf.get_activation("tanh"), progress=True)
    (bar,) = _RecordingBar.made
    want = tables.N_1D * tables._COST["1d"] + tables.N_MEHLER * tables._COST["mehler"] + tables.N_NEAR * tables._COST["near"]
    assert bar.total == want and bar.n == want and bar.closed
    assert tab.V.shape == (tables.N_1D,) and tab.a.shape[0] == tables.N_MEHLER and tab.near.shape[0] == tables.N_NEAR
    _RecordingBar.made.clear()
    tables.build_tables(mf.get_activation("tanh"))
    assert _RecordingBar.made == []   # no bar unless asked


def test_thread_map_keeps_the_order_and_counts_each_item():
    class Count:
        n = 0

        def update(self, n=1):
            Count.n += n

    assert tables._thread_map(lambda x: x * x, range(50), Count()) == [x * x for x in range(50)]
    assert Count.n == 50


def test_a_table_build_is_announced_cached_and_shipped_tables_are_used(monkeypatch, tmp_path, capsys):
    """A cold cache prints one line on stderr naming the activation, where the tables go and
    the expected time, then builds once; the next process loads the cache silently; a corrupt
    cache file is rebuilt; tables shipped with the package (shipped_dir) are used when the
    cache is empty; MEANFIELD_PROGRESS=0 silences the announcement and the bar."""
    act = mf.get_activation("tanh")
    real = tables.get_tables(act)   # (built or loaded from the real cache before redirecting it)
    builds = []

    def fake_build(a, progress=False):
        builds.append(progress)
        return real

    monkeypatch.setenv("MEANFIELD_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(tables, "shipped_dir", lambda: tmp_path / "shipped")
    monkeypatch.setattr(tables, "build_tables", fake_build)
    monkeypatch.delenv("MEANFIELD_PROGRESS", raising=False)
    fresh = lambda: monkeypatch.setattr(tables, "_MEMORY", {})  # noqa: E731  (a new process)

    fresh()
    capsys.readouterr()
    assert tables.get_tables(act) is real
    err = capsys.readouterr().err
    assert "building the tables of 'tanh' once" in err and str(tmp_path / "cache") in err
    assert "about" in err and " s" in err                   # the estimate
    assert builds == [True]
    path = tmp_path / "cache" / f"{tables._key(act)}.npz"
    assert path.exists()

    fresh()
    loaded = tables.get_tables(act)
    assert builds == [True] and capsys.readouterr().err == ""
    assert np.array_equal(loaded.a, real.a) and np.array_equal(loaded.near, real.near)

    path.write_bytes(b"not an npz")
    fresh()
    tables.get_tables(act)
    assert builds == [True, True]

    (tmp_path / "shipped").mkdir()
    tables._save(tmp_path / "shipped" / path.name, real, compressed=True)
    path.unlink()
    fresh()
    capsys.readouterr()
    shipped = tables.get_tables(act)
    assert builds == [True, True] and capsys.readouterr().err == ""
    assert all(np.array_equal(getattr(shipped, k), getattr(real, k)) for k in ("V", "D", "W", "a", "tail0", "near"))

    (tmp_path / "shipped" / path.name).unlink()
    monkeypatch.setenv("MEANFIELD_PROGRESS", "0")
    fresh()
    tables.get_tables(act)
    assert builds == [True, True, False] and capsys.readouterr().err == ""
