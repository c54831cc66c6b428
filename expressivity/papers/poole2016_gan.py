"""Poole, Alemi, Sohl-Dickstein & Angelova (2016), "Improved generator objectives for GANs"
(NIPS 2016 workshop on adversarial training, arXiv 1612.02780): settings and figures.

Notebook: ``notebooks/poole2016_gan.ipynb``.
"""
from __future__ import annotations

from ..gan.figures import fig_objectives
from . import FigureJob

_QUICK_NET = dict(hidden=16, batch_size=64, progress=False)

JOBS = [
    FigureJob("poole2016_gan_objectives", fig_objectives,
              full=dict(mixture="ring", seeds=(0, 1, 2), steps=5000),
              quick=dict(mixture="ring", seeds=(0,), steps=10, **_QUICK_NET),
              uses_cache=True,
              description="Improved generator objectives: samples, densities, modes and KL per f-divergence"),
]
