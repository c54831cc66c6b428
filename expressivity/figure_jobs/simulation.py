"""Figures of the finite-network simulations: Poole et al. (2016) overlays and Raghu et al. (2017).

Poole figures that overlay theory need ``meanfield`` (curve_theory, length_map,
correlation_map); the Raghu figures draw the mean-field rate when ``meanfield`` offers chi1.
Jobs with ``uses_cache`` run their ensembles as sweeps (:mod:`expressivity.sweep`) stored in
their cache directory, so an interrupted run resumes cell by cell; the quick settings run the
cells in-process, the full ones on local processes (all cores).
"""
from . import FigureJob

_P = "expressivity.figures_poole:"
_R = "expressivity.figures_raghu:"

JOBS = [
    FigureJob("poole2016_fig1a_simulation", _P + "fig1a_length_map",
              full=dict(width=1000, n_q=31, n_layers=15),
              quick=dict(width=100, n_q=8, n_layers=6, q0s=(0.5, 10.0)),
              description="Poole Fig. 1A: length map, theory vs one simulated layer; q^l dynamics"),
    FigureJob("poole2016_fig2b_simulation", _P + "fig2b_correlation_dynamics",
              full=dict(width=1000, depth=30),
              quick=dict(width=100, depth=8),
              description="Poole Fig. 2B: c^l dynamics, theory vs N=1000 simulation"),
    FigureJob("poole2016_fig3_circle", _P + "fig3_circle",
              full=dict(width=1000, depth=40, n_points=500, layers=(5, 10, 15)),
              quick=dict(width=100, depth=10, n_points=60, layers=(2, 5, 10)),
              description="Poole Fig. 3: great circle PCA projections, spectra, autocorrelation"),
    FigureJob("poole2016_fig4cde_curve_geometry", _P + "fig4_curve_geometry",
              full=dict(width=1000, depth=15, n_points=500, seeds=(0, 1, 2)),
              quick=dict(width=100, depth=5, n_points=60, executor="inprocess"),
              uses_cache=True,
              description="Poole Fig. 4 C-E: gbar, kappa_bar, Grassmannian length, Eq. 8 vs simulation"),
    FigureJob("poole2016_fig5_deep_vs_shallow", _P + "fig5_deep_vs_shallow",
              full=dict(input_dim=500, n_points=10_000, depths=(1, 3, 5, 7, 9, 11, 13), width=1000,
                        shallow_widths=(100, 300, 1000, 3000), frequencies=tuple(range(1, 61))),
              quick=dict(input_dim=20, n_points=400, depths=(1, 3), width=40,
                         shallow_widths=(20, 80), frequencies=(1, 2, 4, 8), executor="inprocess"),
              uses_cache=True,
              description="Poole Fig. 5: deep vs shallow random features, readout error per frequency"),
    FigureJob("raghu2017_trajectory_length", _R + "fig_trajectory_length",
              full=dict(widths=(20, 100, 500), sigma_w2s=(2.0, 4.0, 8.0, 16.0), depth=12,
                        n_points=4000),
              quick=dict(widths=(10, 40), sigma_w2s=(2.0, 16.0), fixed_width=40, depth=4, n_points=200,
                         executor="inprocess"),
              uses_cache=True,
              description="Raghu Fig. 1: trajectory length vs depth, sweeping k and sigma_w2"),
    FigureJob("raghu2017_transitions_vs_length", _R + "fig_transitions_vs_length",
              full=dict(sigma_w2s=(4.0, 8.0, 16.0), width=100, depth=8),
              quick=dict(sigma_w2s=(4.0, 16.0), width=15, depth=3, executor="inprocess"),
              uses_cache=True,
              description="Raghu Fig. 2: exact transitions vs trajectory length"),
    FigureJob("raghu2017_activation_regions", _R + "fig_activation_regions",
              full=dict(grid=800), quick=dict(grid=80),
              description="Raghu Fig. 3: activation regions of a 3x4 ReLU net in a 2-D plane"),
    FigureJob("raghu2017_dichotomies", _R + "fig_dichotomies",
              full=dict(widths=(32, 64, 128), depth=6, n_inputs=15, sigma_w2=8.0, seeds=(0, 1, 2)),
              quick=dict(widths=(6, 12), depth=2, n_inputs=6, executor="inprocess"),
              uses_cache=True,
              description="Raghu Figs. 4-5: dichotomies vs remaining depth and width"),
]
