"""Unrolled GAN surrogate (Metz et al. 2017) and its fused Adam step.

Oracles: central finite differences of the whole unrolled loss f_K as a function of the
generator parameters (tiny networks, float64), for the composed and the fused path; the
composed engine form itself (the fused step must give the same values and first and second
derivatives, to rounding); for the first-order ablation, the gradient of the generator loss
at the separately computed, frozen theta_D^K; for the warm-started unrolled optimiser, the
in-place Adam recursion it must continue; for the trainer, its updates written out by hand.
"""
import numpy as np
import pytest

import expressivity.autodiff.numpy as anp
from expressivity.autodiff import grad, optim, tree_leaves, tree_map, value_and_grad
from expressivity.autodiff.testing import numerical_grad, rel_error
from expressivity.gan import Architecture, GANTrainer, unrolled_generator_loss
from expressivity.gan.fused import AdamHyper, eligible, fused_unroll, loss_and_grad
from expressivity.gan.models import discriminator, generator, network_init
from expressivity.gan.unrolled import adam_state_of, d_loss, unroll_discriminator, unrolled_surrogate

TINY = Architecture(latent_dim=4, g_hidden=8, d_hidden=8)


def _tiny(seed=0, d_sizes=(2, 6, 1)):
    r = np.random.default_rng(seed)
    G = network_init(r, [3, 5, 2], 1.0)
    D = network_init(r, list(d_sizes), 1.0)
    for layer in G + D:  # nonzero biases
        layer["b"] += 0.1 * r.standard_normal(layer["b"].shape)
    z = r.normal(size=(10, 3))
    x = r.normal(size=(9, 2)) + np.array([1.0, -0.5])
    return G, D, z, x


@pytest.mark.parametrize("objective", ["minimax", "logd", "kl"])
@pytest.mark.parametrize("d_act", ["tanh", "relu"])
def test_unrolled_gradient_vs_finite_differences(objective, d_act):
    """Composed path (optim.adam), two hidden layers in D, input scale 1/4."""
    G, D, z, x = _tiny(d_sizes=(2, 6, 6, 1))
    opt = optim.adam(0.05, b1=0.5)
    f = lambda G: unrolled_generator_loss(G, D, z, x, 4, objective, opt, None, False, "tanh", d_act, 0.25)
    g = grad(f)(G)
    assert rel_error(g, numerical_grad(f, (G,))) < 1e-6
    # second-order terms matter: the first-order ablation differs
    g1 = grad(lambda G: unrolled_generator_loss(G, D, z, x, 4, objective, opt, None, True, "tanh", d_act, 0.25))(G)
    assert rel_error(g1, g) > 1e-3


@pytest.mark.parametrize("kernels", [True, False], ids=["compiled", "numpy"])
@pytest.mark.parametrize("objective", ["minimax", "reverse_kl"])
def test_fused_step_equals_composed_and_finite_differences(objective, kernels, monkeypatch):
    """The fused Adam step (one ReLU hidden layer; its compiled and its numpy form) against
    the composed engine form (values and gradients to rounding) and against central finite
    differences, starting from nonzero Adam moments."""
    from expressivity.gan import fused

    monkeypatch.setattr(fused, "USE_KERNELS", kernels)
    G, D, z, x = _tiny(1)
    assert eligible(D, "relu")
    r = np.random.default_rng(2)
    state = optim.AdamState(3, tree_map(lambda a: 0.1 * r.standard_normal(a.shape), D),
                            tree_map(lambda a: 0.01 * r.random(a.shape), D))
    hp = AdamHyper(0.05, b1=0.5)
    fused = lambda G: unrolled_generator_loss(G, D, z, x, 5, objective, hp, state, False, "tanh", "relu", 0.25)
    composed = lambda G: unrolled_generator_loss(G, D, z, x, 5, objective, hp.optimizer(), state, False,
                                                 "tanh", "relu", 0.25)
    assert abs(float(fused(G)) - float(composed(G))) < 1e-13
    gf = grad(fused)(G)
    assert rel_error(gf, grad(composed)(G)) < 1e-12
    assert rel_error(gf, numerical_grad(fused, (G,))) < 1e-6


def test_fused_second_order_matches_composed():
    """A Hessian-vector product of f_K in G: the fused step's VJP, itself differentiated,
    falls back to the composed form; both paths agree to rounding. (Warm Adam moments: with
    v = 0 the composed Adam's own third derivative is 0 * inf.)"""
    G, D, z, x = _tiny(3)
    r = np.random.default_rng(4)
    u = tree_map(lambda a: r.standard_normal(a.shape), G)
    hp = AdamHyper(0.05, b1=0.5)
    state = optim.AdamState(2, tree_map(lambda a: 0.1 * r.standard_normal(a.shape), D),
                            tree_map(lambda a: 0.01 + 0.01 * r.random(a.shape), D))

    def hvp(opt):
        f = lambda G: unrolled_generator_loss(G, D, z, x, 3, "minimax", opt, state, False, "tanh", "relu", 0.25)
        F = lambda G: sum(anp.sum(a * b) for a, b in zip(tree_leaves(grad(f)(G)), tree_leaves(u)))
        return grad(F)(G)

    assert rel_error(hvp(hp), hvp(hp.optimizer())) < 1e-10


def test_fused_float32_agrees_with_float64():
    """The float32 path (the trainer's) against float64 at the paper's shapes: the unrolled
    gradient agrees to float32 rounding (relative 1e-4)."""
    arch = Architecture(latent_dim=16, g_hidden=32)
    g = {}
    for dt in (np.float64, np.float32):
        G, D = arch.init_params(0, dt)
        r = np.random.default_rng(1)
        z = r.standard_normal((64, 16)).astype(dt)
        x = r.standard_normal((64, 2)).astype(dt) * 2
        g[dt] = grad(lambda G: unrolled_generator_loss(G, D, z, x, 5, "minimax", AdamHyper(1e-2), None, False,
                                                       "relu", "relu", 0.25))(G)
    assert all(a.dtype == np.float32 for a in tree_leaves(g[np.float32]))
    assert rel_error(g[np.float32], g[np.float64]) < 1e-4


@pytest.mark.parametrize("kernels", [True, False], ids=["compiled", "numpy"])
def test_fused_first_step_loss_and_gradient(kernels, monkeypatch):
    """The closed-form loss and gradient at theta_D^0 equal d_loss and its engine gradient."""
    from expressivity.gan import fused

    monkeypatch.setattr(fused, "USE_KERNELS", kernels)
    G, D, z, x = _tiny(5)
    fake = np.asarray(generator(G, z, "tanh"))
    ld, g = loss_and_grad(D, x, fake, 0.25)
    ld_ref, g_ref = value_and_grad(d_loss)(D, x, fake, "relu", 0.25)
    assert abs(ld - float(ld_ref)) < 1e-13 and rel_error(g, g_ref) < 1e-12
    DK, first = fused_unroll(D, x, fake, 2, AdamHyper(0.05), None, 0.25)
    DK_ref = unroll_discriminator(D, x, fake, 2, optim.adam(0.05, b1=0.5), None, "relu", 0.25)
    assert rel_error(DK, DK_ref) < 1e-12 and rel_error(first[1], g_ref) < 1e-12


def test_first_order_ablation_is_gradient_at_frozen_unrolled_discriminator():
    G, D, z, x = _tiny(1)
    for opt in (optim.sgd(0.1), AdamHyper(0.05)):
        o = opt.optimizer() if isinstance(opt, AdamHyper) else opt
        DK = unroll_discriminator(D, x, generator(G, z, "tanh"), 3, o, activation="relu")
        ref = grad(lambda G: -anp.mean(anp.softplus(discriminator(DK, generator(G, z, "tanh"), "relu"))))(G)
        g1 = grad(lambda G: unrolled_generator_loss(G, D, z, x, 3, "minimax", opt, None, True, "tanh", "relu"))(G)
        assert rel_error(g1, ref) < 1e-12


def test_k0_is_plain_gan_and_sgd_unroll_vs_fd():
    """K = 0: the minimax loss at theta_D itself (the real term has no theta_G dependence);
    K = 2 with SGD: finite differences."""
    G, D, z, x = _tiny(2)
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


def test_trainer_step_changes_both_networks():
    tr = GANTrainer(unroll_steps=2, arch=TINY, seed=0)
    G0, D0 = tree_map(np.copy, tr.G), tree_map(np.copy, tr.D)
    r = np.random.default_rng(0)
    lg, ld = tr.step(r.normal(size=(16, 2)), r.normal(size=(16, 4)))
    assert np.isfinite(lg) and np.isfinite(ld)
    assert rel_error(tr.G, G0) > 0 and rel_error(tr.D, D0) > 0
    assert "GANTrainer(K=2" in repr(tr) and len(repr(tr)) < 200


@pytest.mark.parametrize("update", ["simultaneous", "alternating"])
@pytest.mark.parametrize("unroll_steps,first_order", [(0, False), (3, False), (3, True)])
def test_trainer_step_equals_updates_written_out(update, unroll_steps, first_order):
    """Oracle: the update written out on a copy of the trainer. Simultaneous: generator
    gradient of f_K and discriminator gradient of d_loss at the current parameters, then one
    in-place Adam step each. Alternating: the discriminator step first, then the generator
    gradient at the updated discriminator (continuing its moments) on the second batch."""
    make = lambda: GANTrainer(unroll_steps=unroll_steps, first_order=first_order, arch=TINY,
                              update=update, seed=1)
    tr, ref = make(), make()
    r = np.random.default_rng(5)
    x0, z0 = r.normal(size=(16, 2)), r.normal(size=(16, 4))
    tr.step(x0, z0)  # nonzero Adam moments
    ref.step(x0, z0)
    x, z = r.normal(size=(16, 2)) + 0.5, r.normal(size=(16, 4))
    x2, z2 = r.normal(size=(16, 2)) - 0.5, r.normal(size=(16, 4))
    a = TINY

    def g_grad():
        state = adam_state_of(ref.opt_D, ref.D) if unroll_steps else None
        xg, zg = (x2, z2) if update == "alternating" else (x, z)
        return value_and_grad(unrolled_generator_loss)(ref.G, ref.D, zg, xg, unroll_steps, "minimax",
                                                       optim.adam(1e-4, b1=0.5), state, first_order,
                                                       a.g_activation, a.d_activation, a.d_input_scale)

    d_grad = lambda: value_and_grad(d_loss)(ref.D, x, generator(ref.G, z, a.g_activation), a.d_activation,
                                            a.d_input_scale)
    if update == "simultaneous":
        (lg_ref, gG), (ld_ref, gD) = g_grad(), d_grad()
        ref.opt_G.step(gG)
        ref.opt_D.step(gD)
        lg, ld = tr.step(x, z)
    else:
        ld_ref, gD = d_grad()
        ref.opt_D.step(gD)
        lg_ref, gG = g_grad()
        ref.opt_G.step(gG)
        lg, ld = tr.step(x, z, x2, z2)
    assert abs(lg - lg_ref) < 1e-12 and abs(ld - ld_ref) < 1e-12
    assert rel_error(tr.G, ref.G) < 1e-11 and rel_error(tr.D, ref.D) < 1e-11


def test_trainer_state_roundtrip():
    """get_state / set_state put parameters and Adam moments back in place: the next step
    after restoring equals the next step of the trainer the state was taken from."""
    r = np.random.default_rng(6)
    batches = [(r.normal(size=(16, 2)), r.normal(size=(16, 4))) for _ in range(3)]
    a = GANTrainer(unroll_steps=1, arch=TINY, seed=2)
    b = GANTrainer(unroll_steps=1, arch=TINY, seed=3)
    a.step(*batches[0])
    b.set_state(a.get_state())
    for x, z in batches[1:]:
        assert a.step(x, z) == b.step(x, z)
    assert rel_error(a.G, b.G) == 0 and rel_error(a.D, b.D) == 0
