"""Unrolled GAN surrogate (Metz et al. 2017).

Oracles: central finite differences of the whole unrolled loss f_K as a function of the
generator parameters (tiny networks, float64); for the first-order ablation, the gradient of
the generator loss at the separately computed, frozen theta_D^K; for the warm-started unrolled
optimiser, the in-place Adam recursion it must continue.
"""
import numpy as np
import pytest

from expressivity.autodiff import grad, nn, optim, tree_leaves, tree_map
from expressivity.autodiff.testing import numerical_grad, rel_error
from expressivity.gan import GANTrainer, unrolled_generator_loss
from expressivity.gan.models import discriminator, generator
from expressivity.gan.unrolled import adam_state_of, unroll_discriminator


def _tiny(seed=0):
    r = np.random.default_rng(seed)
    G = nn.mlp_init(r, [3, 5, 2], sigma_w2=1.0, sigma_b2=0.05)
    D = nn.mlp_init(r, [2, 6, 1], sigma_w2=1.0, sigma_b2=0.05)
    z = r.normal(size=(10, 3))
    x = r.normal(size=(10, 2)) + np.array([1.0, -0.5])
    return G, D, z, x


@pytest.mark.parametrize("objective", ["minimax", "logd", "kl"])
def test_unrolled_gradient_vs_finite_differences(objective):
    G, D, z, x = _tiny()
    opt = optim.adam(0.05, b1=0.5)
    f = lambda G: unrolled_generator_loss(G, D, z, x, 4, objective, opt, None, False, "tanh")
    g = grad(f)(G)
    gn = numerical_grad(f, (G,))
    assert rel_error(g, gn) < 1e-6
    # second-order terms matter: the first-order ablation differs
    g1 = grad(lambda G: unrolled_generator_loss(G, D, z, x, 4, objective, opt, None, True, "tanh"))(G)
    assert rel_error(g1, g) > 1e-3


def test_first_order_ablation_is_gradient_at_frozen_unrolled_discriminator():
    G, D, z, x = _tiny(1)
    opt = optim.sgd(0.1)
    DK = unroll_discriminator(D, x, generator(G, z, "tanh"), 3, opt, activation="tanh")
    import expressivity.autodiff.numpy as anp
    ref = grad(lambda G: -anp.mean(anp.softplus(discriminator(DK, generator(G, z, "tanh"), "tanh"))))(G)
    g1 = grad(lambda G: unrolled_generator_loss(G, D, z, x, 3, "minimax", opt, None, True, "tanh"))(G)
    assert rel_error(g1, ref) < 1e-12


def test_k0_is_plain_gan_and_sgd_unroll_vs_fd():
    """K = 0: the minimax loss at theta_D itself (the real term has no theta_G dependence);
    K = 2 with SGD: finite differences."""
    G, D, z, x = _tiny(2)
    import expressivity.autodiff.numpy as anp
    g0 = grad(lambda G: unrolled_generator_loss(G, D, z, x, 0, "minimax", activation="tanh"))(G)
    ref = grad(lambda G: -anp.mean(anp.softplus(discriminator(D, generator(G, z, "tanh"), "tanh"))))(G)
    assert rel_error(g0, ref) < 1e-12
    opt = optim.sgd(0.3)
    f = lambda G: unrolled_generator_loss(G, D, z, x, 2, "minimax", opt, None, False, "tanh")
    assert rel_error(grad(f)(G), numerical_grad(f, (G,))) < 1e-6


def test_adam_state_of_continues_inplace_adam():
    """After 3 in-place Adam steps, one pure Adam step from adam_state_of equals the 4th
    in-place step (the two Adam forms differ only in where eps enters: ~1e-8 relative)."""
    r = np.random.default_rng(3)
    p = {"a": r.normal(size=(4, 3)), "b": r.normal(size=3)}
    grads = [tree_map(lambda a: r.normal(size=a.shape), p) for _ in range(4)]
    inpl = tree_map(np.copy, p)
    opt = optim.adam_inplace(inpl, lr=0.01, b1=0.5)
    for g in grads[:3]:
        opt.step(g)
    state = adam_state_of(opt, inpl)
    pure_p, _ = optim.adam(0.01, b1=0.5).update(grads[3], state, tree_map(np.copy, inpl))
    opt.step(grads[3])
    assert rel_error(pure_p, inpl) < 1e-9
    assert state.count == 3


def test_trainer_step_and_errors():
    """A trainer step changes both networks, returns finite losses; bad K is named."""
    tr = GANTrainer(unroll_steps=2, latent_dim=4, hidden=8, seed=0)
    G0 = tree_map(np.copy, tr.G)
    D0 = tree_map(np.copy, tr.D)
    r = np.random.default_rng(0)
    lg, ld = tr.step(r.normal(size=(16, 2)), r.normal(size=(16, 4)))
    assert np.isfinite(lg) and np.isfinite(ld)
    assert rel_error(tr.G, G0) > 0 and rel_error(tr.D, D0) > 0
    with pytest.raises(ValueError, match="unroll_steps"):
        GANTrainer(unroll_steps=-1)
    with pytest.raises(ValueError, match="objective"):
        GANTrainer(objective="nope")



@pytest.mark.parametrize("unroll_steps,first_order", [(0, False), (3, False), (3, True)])
def test_trainer_step_equals_separate_generator_and_discriminator_updates(unroll_steps, first_order):
    """The trainer reuses the first unrolled step's discriminator gradient for the real
    discriminator step. Oracle: the simultaneous update written out on a copy of the trainer
    (generator gradient of the surrogate f_K, discriminator gradient of d_loss at the current
    generator samples, one in-place Adam step each); equal to rounding."""
    from expressivity.autodiff import value_and_grad
    from expressivity.gan.unrolled import d_loss

    make = lambda: GANTrainer(unroll_steps=unroll_steps, first_order=first_order, latent_dim=4,
                              hidden=8, seed=1)
    tr, ref = make(), make()
    r = np.random.default_rng(5)
    x0, z0 = r.normal(size=(16, 2)), r.normal(size=(16, 4))
    tr.step(x0, z0)  # nonzero Adam moments
    ref.step(x0, z0)
    x, z = r.normal(size=(16, 2)) + 0.5, r.normal(size=(16, 4))
    state = adam_state_of(ref.opt_D, ref.D) if unroll_steps else None
    lg_ref, gG = value_and_grad(unrolled_generator_loss)(ref.G, ref.D, z, x, unroll_steps,
                                                         "minimax", optim.adam(1e-4, b1=0.5),
                                                         state, first_order, "tanh")
    ld_ref, gD = value_and_grad(d_loss)(ref.D, x, generator(ref.G, z, "tanh"), "tanh")
    ref.opt_G.step(gG)
    ref.opt_D.step(gD)
    lg, ld = tr.step(x, z)
    assert abs(lg - lg_ref) < 1e-12 and abs(ld - ld_ref) < 1e-12
    assert rel_error(tr.G, ref.G) < 1e-12 and rel_error(tr.D, ref.D) < 1e-12
