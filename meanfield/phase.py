"""Order-to-chaos phase diagrams on (sigma_w2, sigma_b2) grids (Poole et al. 2016, Fig. 2;
Schoenholz et al. 2017, Fig. 1).

``phase_diagram`` evaluates q*, chi1, c*, xi_q and xi_c on the outer product of two 1-D
arrays. It uses the activation's tables (:mod:`meanfield.tables`) and one compiled,
parallel pass over the grid; points the tables cannot certify (q* outside their range,
steep activations right next to the critical line at large q) are computed by the pointwise
functions, so every entry has the accuracy of :func:`q_star`, :func:`c_star` and
:func:`depth_scales`. Where q* is infinite (ReLU with sigma_w2 > 2) q_star is inf and the
other fields are NaN, as documented for the pointwise functions.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._solvers import phase_point
from ._validate import VALUE_MAX, as_array, flag, scalar
from .activations import get_activation


@dataclass(frozen=True)
class PhaseDiagram:
    """Fields indexed [i_w, i_b] over ``sigma_w2`` x ``sigma_b2``."""

    activation: str
    sigma_w2: np.ndarray
    sigma_b2: np.ndarray
    q_star: np.ndarray
    chi1: np.ndarray
    c_star: np.ndarray
    xi_q: np.ndarray
    xi_c: np.ndarray
    n_fallback: int = 0

    FIELDS = ("q_star", "chi1", "c_star", "xi_q", "xi_c")

    def __repr__(self) -> str:
        w, b = self.sigma_w2, self.sigma_b2
        return (f"PhaseDiagram({self.activation!r}, {w.size} x {b.size} over sigma_w2 "
                f"[{float(w.min()):g}, {float(w.max()):g}], sigma_b2 [{float(b.min()):g}, {float(b.max()):g}]; "
                f"{self.n_fallback} points by direct quadrature)")

    def as_dict(self) -> dict[str, np.ndarray]:
        return {f: getattr(self, f) for f in self.FIELDS}

    def critical_sigma_w2(self) -> np.ndarray:
        """sigma_w2 of the chi1 = 1 line at each sigma_b2 of the grid (NaN where none)."""
        from .critical import critical_sigma_w2

        out = np.full(self.sigma_b2.shape, np.nan)
        for i, b in enumerate(self.sigma_b2):
            try:
                out[i] = critical_sigma_w2(self.activation, float(b))
            except ValueError:
                pass
        return out

    def plot(self, field: str = "chi1", ax=None, stds: bool = False, critical_line: bool = True,
             log: bool | None = None, cmap: str = "viridis"):
        """Heat map of one field with the chi1 = 1 line (see :func:`meanfield.figures.plot_phase_diagram`)."""
        from .figures import plot_phase_diagram

        return plot_phase_diagram(self, field, ax=ax, stds=stds, critical_line=critical_line, log=log, cmap=cmap)


def _grid(sigma_w2, sigma_b2):
    w = as_array("sigma_w2", sigma_w2, 0.0, VALUE_MAX)
    b = as_array("sigma_b2", sigma_b2, 0.0, VALUE_MAX)
    for name, v in (("sigma_w2", w), ("sigma_b2", b)):
        if v.ndim != 1 or v.size == 0:
            raise ValueError(f"{name} must be a non-empty 1-D array (the grid's axis); got shape {v.shape}")
    return w, b


def phase_diagram(activation, sigma_w2, sigma_b2, q0: float = 1.0, progress: bool = False) -> PhaseDiagram:
    """q*, chi1, c*, xi_q, xi_c on the grid sigma_w2 (rows) x sigma_b2 (columns): the
    order-to-chaos phase diagram (Poole et al. 2016, Fig. 2; Schoenholz et al. 2017, Fig. 1).

    Every entry equals what :func:`q_star`, :func:`chi1`, :func:`c_star` and
    :func:`depth_scales` give at that point (from the activation's tables where they certify
    it, by those functions themselves where not). The first call for an activation builds its
    tables (seconds to a minute, with a progress bar; cached in ``~/.cache/meanfield``).

    Parameters
    ----------
    activation : str or Activation
        A built-in name or an :class:`Activation`.
    sigma_w2, sigma_b2 : array_like
        Non-empty 1-D axes of the grid, each entry in [0, 1e300].
    q0 : float, default 1
        Where the length map starts (selects q*), in (0, 1e300].
    progress : bool, default False
        Show a progress bar for the points computed directly (more than 100 of them).

    Returns
    -------
    PhaseDiagram
        Fields q_star, chi1, c_star, xi_q, xi_c of shape (len(sigma_w2), len(sigma_b2)),
        indexed [i_w, i_b]; where q* is infinite q_star is inf, chi1 its q -> inf limit and
        the other fields NaN; ``n_fallback`` counts the points computed directly.

    Raises
    ------
    ValueError
        Axes that are not non-empty 1-D arrays, entries out of range; an unknown name.
    TypeError
        Strings, None, bools, complex numbers; q0 not a single number; progress not a bool.
    IntegrationError, ConvergenceError
        As for the pointwise functions.
    """
    act = get_activation(activation)
    w, b = _grid(sigma_w2, sigma_b2)
    q0 = scalar("q0", q0, 0.0, VALUE_MAX, lo_open=True)
    progress = flag("progress", progress)
    from . import _phasekernels as pk

    cols = [pk.FIELD_COLUMNS[f] for f in PhaseDiagram.FIELDS]   # named output columns, phase_point's order
    W, B = np.meshgrid(w, b, indexing="ij")
    out = np.full(W.shape + (len(cols),), np.nan)
    status = np.ones(W.shape, dtype=np.int64)
    if act.closed_form not in ("relu", "linear"):
        import numba

        from .tables import phase_tables

        t = phase_tables(act)
        # prange gives each thread a contiguous block of rows; a sorted grid has its costly
        # chaotic rows together, so deal the rows out round-robin instead
        nt = numba.get_num_threads()
        order = np.concatenate([np.arange(r, w.size, nt) for r in range(nt)])
        pk.phase_grid(W, B, q0, t, order, out, status)
    todo = np.argwhere(status != 0)
    it = todo
    if progress and len(todo) > 100:
        from tqdm.auto import tqdm

        it = tqdm(todo, desc=f"{act.name}: direct quadrature", unit="pt")
    for i, j in it:
        out[i, j, cols] = phase_point(act, float(W[i, j]), float(B[i, j]), q0)
    return PhaseDiagram(act.name, w, b, **{f: out[..., pk.FIELD_COLUMNS[f]] for f in PhaseDiagram.FIELDS},
                        n_fallback=len(todo))


def phase_diagram_pointwise(activation, sigma_w2, sigma_b2, fields=PhaseDiagram.FIELDS, q0: float = 1.0) -> PhaseDiagram:
    """A :class:`PhaseDiagram` from the pointwise functions (:func:`q_star`, :func:`chi1`,
    :func:`c_star`, :func:`depth_scales`; Poole et al. 2016, Fig. 2), without building the
    activation's tables.

    For tiny grids (quick figures, a machine whose table cache is cold); :func:`phase_diagram`
    is the fast path for anything larger.

    Parameters
    ----------
    activation : str or Activation
        A built-in name or an :class:`Activation`.
    sigma_w2, sigma_b2 : array_like
        Non-empty 1-D axes of the grid, each entry in [0, 1e300].
    fields : sequence of str, default all
        The fields to compute, among ``PhaseDiagram.FIELDS``; the others are left NaN
        (q_star is always computed).
    q0 : float, default 1
        Where the length map starts (selects q*), in (0, 1e300].

    Returns
    -------
    PhaseDiagram
        As :func:`phase_diagram`, except that chi1 is NaN (not its limit) where q* is infinite.

    Raises
    ------
    ValueError
        As :func:`phase_diagram`; an unknown field name.
    TypeError
        As :func:`phase_diagram`; fields not a sequence of names.
    """
    from .depth import depth_scales
    from .maps import c_star, chi1, q_star

    act = get_activation(activation)
    w, b = _grid(sigma_w2, sigma_b2)
    q0 = scalar("q0", q0, 0.0, VALUE_MAX, lo_open=True)
    if isinstance(fields, str) or not all(isinstance(f, str) for f in fields):
        raise TypeError(f"fields must be a sequence of names among {PhaseDiagram.FIELDS}; got {fields!r}")
    unknown = set(fields) - set(PhaseDiagram.FIELDS)
    if unknown:
        raise ValueError(f"fields must be among {PhaseDiagram.FIELDS}; got {sorted(unknown)}")
    W, B = np.meshgrid(w, b, indexing="ij")
    qs = np.asarray(q_star(act, W, B, q0), dtype=float)
    f = {k: np.full(W.shape, np.nan) for k in PhaseDiagram.FIELDS}
    f["q_star"] = qs
    fin = np.isfinite(qs)
    if "chi1" in fields or "c_star" in fields:
        f["chi1"][fin] = chi1(act, W[fin], B[fin], q=qs[fin])
    if "c_star" in fields:
        f["c_star"][fin] = c_star(act, W[fin], B[fin], q0)
    if "xi_q" in fields or "xi_c" in fields:
        xq, xc = depth_scales(act, W[fin], B[fin], q0)
        f["xi_q"][fin], f["xi_c"][fin] = xq, xc
    return PhaseDiagram(act.name, w, b, **f)
