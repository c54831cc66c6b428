"""Figures of Poole, Ozair, van den Oord, Alemi & Tucker (2019), variational MI bounds.

Full settings are the paper's: staircase 2, 4, 6, 8, 10 nats with 4000 steps each, batch 64,
Adam 5e-4, 2 x 256 ReLU critics with 32-d embeddings (separable) and the concat critic on
all K^2 pairs, d = 20. One separable staircase (7 estimators x 20 000 steps) is ~10 CPU-minutes;
one concat staircase ~75-95 CPU-minutes (each step is three 4096 x 256 x 256 float32 products,
at the speed of hand-written numpy). Every estimator's run is cached in ``cache_dir`` (one
atomically written file each), so an interrupted job resumes.
"""
from . import FigureJob

_F = "expressivity.mi.figures:"

_QUICK_STAIR = dict(levels=(2.0, 4.0), steps_per_level=15, batch_size=16, dim=5,
                    critic_kwargs=dict(hidden=(16,)), progress=False)
_FULL_STAIR = dict(levels=(2.0, 4.0, 6.0, 8.0, 10.0), steps_per_level=4000, batch_size=64, dim=20,
                   lr=5e-4, seed=0)

JOBS = [
    FigureJob(f"poole2019_fig2_{critic}_{data}", _F + "figure_staircase",
              full=dict(_FULL_STAIR, critics=(critic,), cubic=data == "cubic"),
              quick=dict(_QUICK_STAIR, critics=(critic,), cubic=data == "cubic"),
              uses_cache=True,
              description=f"Poole 2019 Fig. 2: MI staircase, {critic} critic, {data} data, all estimators")
    for critic in ("separable", "concat") for data in ("gaussian", "cubic")
] + [
    FigureJob("poole2019_fig3_bias_variance", _F + "figure_bias_variance",
              full=dict(mis=tuple(float(v) for v in range(0, 11)), Ks=(64, 128), n_batches=1000, dim=20),
              quick=dict(mis=(1.0, 4.0), Ks=(16, 32), n_batches=10, dim=5),
              description="Poole 2019 Fig. 3: bias, variance, MSE vs true MI with the optimal critic"),
    FigureJob("poole2019_alpha_tradeoff", _F + "figure_alpha_tradeoff",
              full=dict(alphas=tuple(float(a) for a in (1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 0.5, 0.9, 0.99, 1.0)),
                        mis=(2.0, 6.0, 10.0), K=64, n_batches=1000, dim=20),
              quick=dict(alphas=(0.01, 0.5, 1.0), mis=(2.0,), K=16, n_batches=10, dim=5),
              description="Poole 2019: I_alpha bias/variance/MSE trade-off across alpha"),
]
