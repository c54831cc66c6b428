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

import math
from dataclasses import dataclass

import numpy as np

from . import kernels
from ._validate import as_array
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


def _pointwise(act, w: float, b: float, q0: float):
    from .depth import _scales
    from .maps import _c_star_scalar, _d_limit, _q_star_scalar

    qs = _q_star_scalar(act, w, b, q0)
    if math.isinf(qs):
        return qs, w * _d_limit(act), math.nan, math.nan, math.nan
    chi = w * kernels.one_d(act, "D", qs)
    xq, xc = _scales(act, w, b, qs)
    return qs, chi, _c_star_scalar(act, w, b, qs), xq, xc


def phase_diagram(activation, sigma_w2, sigma_b2, q0: float = 1.0, progress: bool = False) -> PhaseDiagram:
    """q*, chi1, c*, xi_q, xi_c on the grid sigma_w2 (rows) x sigma_b2 (columns)."""
    act = get_activation(activation)
    w = as_array("sigma_w2", sigma_w2, 0.0)
    b = as_array("sigma_b2", sigma_b2, 0.0)
    if w.ndim != 1 or b.ndim != 1 or w.size == 0 or b.size == 0:
        raise ValueError("sigma_w2 and sigma_b2 must be non-empty 1-D arrays")
    if not (np.isfinite(w).all() and np.isfinite(b).all()):
        raise ValueError("sigma_w2 and sigma_b2 must be finite")
    q0 = float(as_array("q0", q0, 0.0, lo_open=True))
    W, B = np.meshgrid(w, b, indexing="ij")
    out = np.full(W.shape + (5,), np.nan)
    status = np.ones(W.shape, dtype=np.int64)
    if act.closed_form not in ("relu", "linear"):
        from . import _phasekernels as pk
        from .maps import _d_limit
        from .tables import CHECKPOINTS, DS, DSM, NEAR_B, get_tables

        import numba

        t = get_tables(act)
        # prange gives each thread a contiguous block of rows; a sorted grid has its costly
        # chaotic rows together, so deal the rows out round-robin instead
        nt = numba.get_num_threads()
        order = np.concatenate([np.arange(r, w.size, nt) for r in range(nt)])
        # dV/dq can fall by decades (sin: e^{-2q}); interpolate its log where it is positive
        w_log = bool(np.all(t.W >= 0))
        log_w = np.log(np.maximum(t.W, 1e-300))   # (values that underflowed stay ~0)
        pk.phase_grid(W, B, q0, t.s0_1d, DS, t.V, t.D, t.W, t.s0_m, DSM, t.a, t.tail0, t.tail1,
                      CHECKPOINTS, t.at_zero, _d_limit(act), bool(act.odd), t.s0_near, t.near, t.near_err, NEAR_B,
                      t.near_breaks, log_w, w_log, order, out, status)
    todo = np.argwhere(status != 0)
    it = todo
    if progress and len(todo) > 100:
        from tqdm.auto import tqdm

        it = tqdm(todo, desc=f"{act.name}: direct quadrature", unit="pt")
    for i, j in it:
        out[i, j] = _pointwise(act, float(W[i, j]), float(B[i, j]), q0)
    fields = [out[..., k] for k in range(5)]
    return PhaseDiagram(act.name, w, b, *fields, n_fallback=len(todo))


def phase_diagram_pointwise(activation, sigma_w2, sigma_b2, fields=PhaseDiagram.FIELDS, q0: float = 1.0) -> PhaseDiagram:
    """A :class:`PhaseDiagram` from the pointwise functions (:func:`q_star`, :func:`chi1`,
    :func:`c_star`, :func:`depth_scales`), without building the activation's tables.

    For tiny grids (quick figures, a machine whose table cache is cold); fields not named in
    ``fields`` are left NaN. :func:`phase_diagram` is the fast path for anything larger.
    """
    from .depth import depth_scales
    from .maps import c_star, chi1, q_star

    act = get_activation(activation)
    w = as_array("sigma_w2", sigma_w2, 0.0)
    b = as_array("sigma_b2", sigma_b2, 0.0)
    if w.ndim != 1 or b.ndim != 1 or w.size == 0 or b.size == 0:
        raise ValueError("sigma_w2 and sigma_b2 must be non-empty 1-D arrays")
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
