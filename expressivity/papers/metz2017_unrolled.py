"""Metz, Poole, Pfau & Sohl-Dickstein (2017), "Unrolled Generative Adversarial Networks"
(ICLR 2017, arXiv 1611.02163): settings and figures (8-mode ring, K unrolled steps).

Notebook: ``notebooks/metz2017_unrolled.ipynb``.
"""
from __future__ import annotations

from ..gan.figures import fig_unrolled_samples, fig_unrolled_seed_table
from . import FigureJob

_QUICK_NET = dict(hidden=16, batch_size=64, progress=False)

JOBS = [
    FigureJob("metz2017_unrolled_samples", fig_unrolled_samples,
              full=dict(unroll_steps=(0, 5, 10), steps=5000, seed=0, n_snapshots=5),
              quick=dict(unroll_steps=(0, 2), steps=20, seed=0, n_snapshots=2, **_QUICK_NET),
              uses_cache=True,
              description="Unrolled GAN Fig. 1/2: ring-of-8 samples over training for K = 0, 5, 10"),
    FigureJob("metz2017_unrolled_seed_table", fig_unrolled_seed_table,
              full=dict(unroll_steps=(0, 5, 10), seeds=(0, 1, 2, 3, 4), steps=5000),
              quick=dict(unroll_steps=(0, 2), seeds=(0, 1), steps=10, **_QUICK_NET),
              uses_cache=True,
              description="Unrolled GAN: modes covered / HQ fraction over 5 seeds vs published (GAN 1, Unrolled 7.6)"),
]
