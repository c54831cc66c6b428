"""Figures of expressivity.gan: Unrolled GANs (Metz et al. 2017), generator objectives
(Poole et al. 2016), ALI vs GAN (Dumoulin et al. 2017). Every training run is one cached
cell (resumable through ``cache_dir``)."""
from . import FigureJob

_F = "expressivity.gan.figures:"
_QUICK_NET = dict(hidden=16, batch_size=64, progress=False)

JOBS = [
    FigureJob("metz2017_unrolled_samples", _F + "fig_unrolled_samples",
              full=dict(unroll_steps=(0, 5, 10), steps=5000, seed=0, n_snapshots=5),
              quick=dict(unroll_steps=(0, 2), steps=20, seed=0, n_snapshots=2, **_QUICK_NET),
              uses_cache=True,
              description="Unrolled GAN Fig. 1/2: ring-of-8 samples over training for K = 0, 5, 10"),
    FigureJob("metz2017_unrolled_seed_table", _F + "fig_unrolled_seed_table",
              full=dict(unroll_steps=(0, 5, 10), seeds=(0, 1, 2, 3, 4), steps=5000),
              quick=dict(unroll_steps=(0, 2), seeds=(0, 1), steps=10, **_QUICK_NET),
              uses_cache=True,
              description="Unrolled GAN: modes covered / HQ fraction over 5 seeds vs published (GAN 1, Unrolled 7.6)"),
    FigureJob("poole2016_gan_objectives", _F + "fig_objectives",
              full=dict(mixture="ring", seeds=(0, 1, 2), steps=5000),
              quick=dict(mixture="ring", seeds=(0,), steps=10, **_QUICK_NET),
              uses_cache=True,
              description="Improved generator objectives: samples, densities, modes and KL per f-divergence"),
    FigureJob("dumoulin2017_ali_vs_gan", _F + "fig_ali_vs_gan",
              # 2 x 64 ReLU at lr 1e-4 is still diffuse after 5000 steps (2-5 % of samples near
              # a mode); 3 x 128 at lr 5e-4 for 20 000 steps concentrates ~60 % (5 min a run)
              full=dict(seeds=(0, 1, 2, 3, 4), steps=20000, hidden=128, n_layers=3, d_lr=5e-4,
                        g_lr=5e-4),
              quick=dict(seeds=(0, 1), steps=10, hidden=16, batch_size=64, progress=False),
              uses_cache=True,
              description="ALI vs GAN with the same decoder on the 25-mode grid: modes over seeds"),
]
