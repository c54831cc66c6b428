"""Figures of the mean-field theory (no simulation): Poole et al. (2016) Figs. 1-2 theory
panels, Schoenholz et al. (2017) depth scales, gradients and trainable depth, and phase
diagrams of several activations. The functions live in :mod:`meanfield.figures`.

Quick settings stay at seconds even on a machine whose table cache is cold: heat maps use
the pointwise functions on tiny grids (``pointwise=True``), so no per-activation table is
built. Full settings use :func:`meanfield.phase_diagram` on 256 x 256 (and finer) grids;
the first run builds one table per activation (tens of seconds each, then cached on disk).
"""
from . import FigureJob

_M = "meanfield.figures:"

JOBS = [
    FigureJob("poole2016_fig1_length_map", _M + "poole_fig1_length_map",
              full=dict(n_q=301, n_layers=15, grid=256),
              quick=dict(n_q=31, n_layers=6, q0s=(0.5, 10.0), grid=6, pointwise=True),
              description="Poole Fig. 1 theory: V(q), q^l dynamics, q* heat map, iterations to 1% of q*"),
    FigureJob("poole2016_fig2_correlation_map", _M + "poole_fig2_correlation_map",
              full=dict(n_c=201, depth=30, grid=256),
              quick=dict(n_c=21, depth=8, grid=6, pointwise=True),
              description="Poole Fig. 2 theory: C-map, c^l dynamics, c* and chi1 heat maps with chi1=1"),
    FigureJob("schoenholz2017_depth_scales", _M + "schoenholz_depth_scales",
              full=dict(n_w=400, depth=60),
              quick=dict(n_w=12, depth=10, decay_sigma_w2=(1.3, 3.0)),
              description="Schoenholz Fig. 2 theory: xi_q, xi_c vs sigma_w2; |q-q*|, |c-c*| decay"),
    FigureJob("schoenholz2017_gradients", _M + "schoenholz_gradients",
              full=dict(depth=100, n_w=400),
              quick=dict(depth=10, n_w=12),
              description="Schoenholz Sec. 4 theory: gradient variance chi1^(L-l), gradient depth scale"),
    FigureJob("schoenholz2017_trainable_depth", _M + "schoenholz_trainable_depth",
              full=dict(n_w=400, max_depth=300, n_depth=300),
              quick=dict(n_w=12, max_depth=100, n_depth=10),
              description="Schoenholz Fig. 5 theory: L = 6 xi_c over the depth x sigma_w2 plane"),
    FigureJob("phase_diagrams_activations", _M + "phase_diagrams",
              full=dict(grid=256),
              quick=dict(activations=("tanh", "erf"), grid=5, pointwise=True),
              description="c* and chi1 phase diagrams with the critical line for seven activations"),
]
