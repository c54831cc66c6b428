"""Figures that show the sweep API at work (:mod:`expressivity.sweep`).

The tiled phase diagram is its worked example: a grid too large for one
``meanfield.phase_diagram`` call, computed and stored tile by tile (resumable), read back as
one labelled array.
"""
from . import FigureJob

_S = "expressivity.figures_sweep:"

JOBS = [
    FigureJob("sweep_phase_diagram_tiled", _S + "phase_diagram_tiled",
              full=dict(activation="tanh", n_w=2048, n_b=2048, tile=(256, 256)),
              quick=dict(activation="tanh", n_w=40, n_b=30, tile=(16, 16), executor="inprocess"),
              uses_cache=True,
              description="tanh phase diagram (chi1, c*) on 2048x2048 points in 64 stored tiles"),
]
