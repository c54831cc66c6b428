"""Dumoulin, Belghazi, Poole, Mastropietro, Lamb, Arjovsky & Courville (2017), "Adversarially
Learned Inference" (ICLR 2017, arXiv 1606.00704): settings and figures (25-mode grid).

Notebook: ``notebooks/dumoulin2017_ali.ipynb``.
"""
from __future__ import annotations

from ..gan.figures import fig_ali_vs_gan
from . import FigureJob

_QUICK_NET = dict(hidden=16, batch_size=64, progress=False)

JOBS = [
    FigureJob("dumoulin2017_ali_vs_gan", fig_ali_vs_gan,
              # 2 x 64 ReLU at lr 1e-4 is still diffuse after 5000 steps (2-5 % of samples near
              # a mode); 3 x 128 at lr 5e-4 for 20 000 steps concentrates ~60 % (5 min a run)
              full=dict(seeds=(0, 1, 2, 3, 4), steps=20000, hidden=128, n_layers=3, d_lr=5e-4,
                        g_lr=5e-4),
              quick=dict(seeds=(0, 1), steps=10, hidden=16, batch_size=64, progress=False),
              uses_cache=True,
              description="ALI vs GAN with the same decoder on the 25-mode grid: modes over seeds"),
]
