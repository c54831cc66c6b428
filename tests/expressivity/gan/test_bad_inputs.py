"""Bad input to every public function of expressivity.gan raises ValueError or TypeError
naming the argument (and printing plain numbers), never a silent NaN.

Oracle: the table below; each row is (call, exception type, words the message must contain).
Training calls use tiny networks and fail before any training step is taken.
"""
import numpy as np
import pytest

from expressivity import gan
from expressivity.gan import metrics, models, objectives, unrolled
from expressivity.gan.ali import ali_losses, maxout_apply

TINY = dict(latent_dim=4, g_hidden=8, d_hidden=8, batch_size=16, progress=False)
ALI_TINY = dict(gen_hidden=8, d_hidden=8, batch_size=16, progress=False)
NAN, INF = float("nan"), float("inf")
RING = gan.ring()
OK = RING.sample(20, seed=0)


def _trainer(**kw):
    return gan.GANTrainer(arch=gan.Architecture(latent_dim=4, g_hidden=8, d_hidden=8), **kw)


CASES = [
    # mixtures
    (lambda: gan.ring(0), ValueError, ["n_modes", ">= 1"]),
    (lambda: gan.ring(2.5), TypeError, ["n_modes", "2.5"]),
    (lambda: gan.ring("8"), TypeError, ["n_modes"]),
    (lambda: gan.ring(radius=NAN), ValueError, ["radius", "nan"]),
    (lambda: gan.ring(radius=-1.0), ValueError, ["radius", "-1.0"]),
    (lambda: gan.ring(variance=INF), ValueError, ["variance", "inf"]),
    (lambda: gan.ring(variance=0.0), ValueError, ["variance"]),
    (lambda: gan.ring(weights=[1, 1]), ValueError, ["weights", "8"]),
    (lambda: gan.ring(weights=[NAN] * 8), ValueError, ["weights"]),
    (lambda: gan.grid(0), ValueError, ["n_per_side"]),
    (lambda: gan.grid(spacing=-2.0), ValueError, ["spacing", "-2.0"]),
    (lambda: gan.unbalanced(RING, 0.5), ValueError, ["ratio", ">= 1", "0.5"]),
    (lambda: gan.unbalanced(RING, NAN), ValueError, ["ratio", "nan"]),
    (lambda: gan.unbalanced("ring"), TypeError, ["mixture", "Mixture"]),
    (lambda: gan.Mixture([[NAN, 0.0]], 1.0, [1.0]), ValueError, ["means", "NaN"]),
    (lambda: gan.Mixture(np.zeros(3), 1.0, [1.0]), ValueError, ["means", "shape"]),
    (lambda: RING.sample(-1), ValueError, ["n", ">= 0", "-1"]),
    (lambda: RING.sample(2.5), TypeError, ["n", "2.5"]),
    (lambda: RING.sample(3, seed=1.5), TypeError, ["seed"]),
    (lambda: RING.sample(3, seed=-1), ValueError, ["seed", "-1"]),
    (lambda: RING.log_prob(np.full((2, 2), NAN)), ValueError, ["x", "NaN"]),
    (lambda: RING.log_prob(np.zeros((2, 3))), ValueError, ["x", "shape"]),
    (lambda: RING.log_prob(OK, extra_variance=-1.0), ValueError, ["extra_variance", "-1.0"]),
    # metrics
    (lambda: gan.mode_metrics(np.full((3, 2), NAN), RING), ValueError, ["samples", "NaN"]),
    (lambda: gan.mode_metrics(np.full((3, 2), INF), RING), ValueError, ["samples", "inf"]),
    (lambda: gan.mode_metrics(np.zeros((0, 2)), RING), ValueError, ["samples", "shape"]),
    (lambda: gan.mode_metrics(OK, RING, n_sigma=0.0), ValueError, ["n_sigma", "0.0"]),
    (lambda: gan.mode_metrics(OK, RING, n_sigma=NAN), ValueError, ["n_sigma", "nan"]),
    (lambda: gan.mode_metrics(OK, RING, min_count=0), ValueError, ["min_count", ">= 1"]),
    (lambda: gan.mode_metrics(OK, "ring"), TypeError, ["mixture", "Mixture"]),
    (lambda: gan.mode_fractions(np.full((3, 2), NAN), RING), ValueError, ["samples", "NaN"]),
    (lambda: gan.mode_fractions(np.zeros((3, 3)), RING), ValueError, ["samples", "shape"]),
    (lambda: gan.kl_estimates(OK, RING, smoothing_variance=-1.0), ValueError, ["smoothing_variance", "-1.0"]),
    (lambda: gan.kl_estimates(OK, RING, n_data=0), ValueError, ["n_data", ">= 1"]),
    (lambda: gan.kl_estimates(OK[:1], RING), ValueError, ["samples", "n >= 2"]),
    (lambda: metrics.kde_log_density(OK, OK, 0.0), ValueError, ["variance", "0.0"]),
    (lambda: metrics.kde_log_density(np.full((2, 2), NAN), OK, 1.0), ValueError, ["points", "NaN"]),
    # objectives
    (lambda: gan.get_objective("wasserstein"), ValueError, ["objective", "kl", "reverse_kl"]),
    (lambda: gan.get_objective(3), ValueError, ["objective"]),
    (lambda: gan.custom(1.0, lambda u: u), TypeError, ["f and f_prime"]),
    # networks
    (lambda: gan.Architecture(latent_dim=0), ValueError, ["latent_dim", ">= 1"]),
    (lambda: gan.Architecture(g_hidden=2.5), TypeError, ["g_hidden", "2.5"]),
    (lambda: gan.Architecture(d_activation="nope"), ValueError, ["d_activation", "relu"]),
    (lambda: gan.Architecture(d_input_scale=NAN), ValueError, ["d_input_scale", "nan"]),
    (lambda: gan.Architecture(init_gain=0.0), ValueError, ["init_gain"]),
    (lambda: gan.Architecture(init="xavier"), ValueError, ["init", "orthogonal", "gaussian"]),
    (lambda: gan.Architecture(fan_ratio="yes"), TypeError, ["fan_ratio"]),
    (lambda: models.network_init(0, [2, 3], gain=-1.0), ValueError, ["gain", "-1.0"]),
    (lambda: models.network_init(0, [2, 0]), ValueError, ["sizes[1]"]),
    (lambda: gan.ALIArchitecture(d_pieces=1), ValueError, ["d_pieces", ">= 2"]),
    (lambda: gan.ALIArchitecture(encoder="flow"), ValueError, ["encoder", "noise", "gaussian"]),
    (lambda: maxout_apply([], np.zeros((2, 2)), 0), ValueError, ["pieces"]),
    # trainers
    (lambda: _trainer(unroll_steps=-1), ValueError, ["unroll_steps", ">= 0", "-1"]),
    (lambda: _trainer(unroll_steps=2.5), TypeError, ["unroll_steps", "2.5"]),
    (lambda: _trainer(objective="nope"), ValueError, ["objective"]),
    (lambda: _trainer(update="jacobi"), ValueError, ["update", "alternating", "simultaneous"]),
    (lambda: _trainer(d_lr=NAN), ValueError, ["d_lr", "nan"]),
    (lambda: _trainer(g_lr=0.0), ValueError, ["g_lr", "0.0"]),
    (lambda: _trainer(b1=1.0), ValueError, ["b1", "1.0"]),
    (lambda: _trainer(dtype=np.int32), TypeError, ["dtype", "int32"]),
    (lambda: _trainer(first_order="yes"), TypeError, ["first_order"]),
    (lambda: gan.GANTrainer(arch="metz2017"), TypeError, ["arch", "Architecture"]),
    (lambda: _trainer().step(np.full((4, 2), NAN), np.zeros((4, 4))), ValueError, ["x_real", "NaN"]),
    (lambda: _trainer().step(np.zeros((4, 2)), np.zeros((4, 3))), ValueError, ["z", "shape", "4"]),
    (lambda: _trainer().sample(-1), ValueError, ["n", "-1"]),
    (lambda: gan.ALITrainer("vae"), ValueError, ["model", "ali", "gan"]),
    (lambda: gan.ALITrainer("ali", arch=gan.ALIArchitecture(gen_hidden=4, d_hidden=4)).step(
        np.zeros((4, 2)), np.zeros((4, 2)), np.full((4, 2), INF)), ValueError, ["eps", "inf"]),
    (lambda: gan.ALITrainer("gan", arch=gan.ALIArchitecture(gen_hidden=4, d_hidden=4)).reconstruct(
        np.zeros((3, 2))), ValueError, ["model='ali'"]),
    (lambda: unrolled.unrolled_generator_loss(None, None, None, None, unroll_steps=-3), ValueError,
     ["unroll_steps", "-3"]),
    # experiments
    (lambda: gan.train_gan(steps=2.5, **TINY), TypeError, ["steps", "2.5"]),
    (lambda: gan.train_gan(steps=-1, **TINY), ValueError, ["steps", ">= 0", "-1"]),
    (lambda: gan.train_gan(steps="10", **TINY), TypeError, ["steps"]),
    (lambda: gan.train_gan(steps=10, snapshot_steps=[-1, 99], **TINY), ValueError, ["snapshot_steps", ">= 0", "-1"]),
    (lambda: gan.train_gan(steps=10, snapshot_steps=[3, 99], **TINY), ValueError, ["snapshot_steps", "[0, 10]", "99"]),
    (lambda: gan.train_gan(steps=10, snapshot_steps=5, **TINY), TypeError, ["snapshot_steps"]),
    (lambda: gan.train_gan(steps=10, snapshot_steps=[2.5], **TINY), TypeError, ["snapshot_steps", "2.5"]),
    (lambda: gan.train_gan(steps=1, **dict(TINY, batch_size=0)), ValueError, ["batch_size", ">= 1", "0"]),
    (lambda: gan.train_gan(steps=1, seed=-1, **TINY), ValueError, ["seed", "-1"]),
    (lambda: gan.train_gan("spiral", 1, **TINY), ValueError, ["mixture", "ring", "grid"]),
    (lambda: gan.train_gan(steps=1, setting="biggan", **TINY), ValueError, ["setting", "metz2017", "cpu_scale"]),
    (lambda: gan.train_gan(steps=1, hiden=3, **TINY), TypeError, ["unknown keyword", "hiden", "g_hidden"]),
    (lambda: gan.train_gan(steps=1, d_lr=-1e-4, **TINY), ValueError, ["d_lr", "-0.0001"]),
    (lambda: gan.train_gan(steps=1, update="gauss-seidel", **TINY), ValueError, ["update", "alternating"]),
    (lambda: gan.train_gan(steps=1, dtype="int32", **TINY), ValueError, ["dtype", "float32", "float64"]),
    (lambda: gan.train_gan(steps=1, n_eval=0, **TINY), ValueError, ["n_eval", ">= 2"]),
    (lambda: gan.train_gan(steps=1, threads=0, **TINY), ValueError, ["threads", ">= 1"]),
    (lambda: gan.train_gan(steps=1, progress="yes", **TINY), TypeError, ["progress"]),
    (lambda: gan.train_gan(steps=1, checkpoint="x.pkl", checkpoint_every=-1.0, **TINY), ValueError,
     ["checkpoint_every", "-1.0"]),
    (lambda: gan.ring_experiment(unroll_steps=-2, steps=1, **TINY), ValueError, ["unroll_steps", "-2"]),
    (lambda: gan.ring_experiment(unroll_steps=1.5, steps=1, **TINY), TypeError, ["unroll_steps", "1.5"]),
    (lambda: gan.objectives_experiment("kl", steps=1, **TINY), TypeError, ["objectives", "sequence"]),
    (lambda: gan.objectives_experiment(("kl", "nope"), steps=0, **TINY), ValueError, ["objective", "nope"]),
    (lambda: gan.grid_experiment("vae", steps=1, **ALI_TINY), ValueError, ["model", "ali", "gan"]),
    (lambda: gan.grid_experiment("ali", steps=2.5, **ALI_TINY), TypeError, ["steps", "2.5"]),
    (lambda: gan.grid_experiment("ali", steps=1, **dict(ALI_TINY, batch_size=0)), ValueError, ["batch_size", "0"]),
    (lambda: gan.grid_experiment("ali", steps=1, setting="x", **ALI_TINY), ValueError, ["setting", "dumoulin2017"]),
    (lambda: gan.grid_experiment("ali", steps=1, hidden=3, **ALI_TINY), TypeError, ["unknown keyword", "hidden"]),
    (lambda: gan.grid_experiment("ali", steps=5, snapshot_steps=[6], **ALI_TINY), ValueError, ["snapshot_steps", "6"]),
    (lambda: gan.get_setting("nope"), ValueError, ["setting", "metz2017"]),
    (lambda: gan.get_setting(batch_size=0), ValueError, ["batch_size", "0"]),
]


@pytest.mark.parametrize("call,exc,words", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_bad_input_raises_with_named_argument(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    msg = str(info.value)
    for w in words:
        assert w in msg, f"{w!r} not in {msg!r}"
    assert "np.float64(" not in msg and "np.int64(" not in msg


def test_ali_losses_and_objectives_never_silently_nan():
    """Extreme logits and extreme samples give finite losses (clipped exponentials)."""
    for obj in gan.OBJECTIVES.values():
        assert np.isfinite(float(obj.generator_loss(np.array([-1e4, 1e4]))))
    arch = gan.ALIArchitecture(gen_hidden=4, d_hidden=4)
    p = arch.init_params("ali", 0)
    x = np.array([[1e3, -1e3], [0.0, 0.0]])
    LD, LG = ali_losses(p["E"], p["Gx"], p["D"], x, np.zeros((2, 2)), np.zeros((2, 2)), arch)
    assert np.isfinite(float(LD)) and np.isfinite(float(LG))
    assert objectives.discriminator_loss(np.array([1e4]), np.array([-1e4])) >= 0
