"""nn initialisers and MLPs, optimisers, and differentiation through unrolled optimiser steps.

Oracles: sample moments with standard-error tolerances (initialisers), orthogonality (closed
form Q^T Q = I), a hand-written numpy forward pass (mlp_apply), the Adam/SGD/momentum
recursions written out in numpy (optimisers), closed-form gradients through SGD on a
quadratic, and central finite differences of the whole unrolled loss (K = 5 Adam steps).
"""
import numpy as np
import pytest

import expressivity.autodiff.numpy as anp
from expressivity.autodiff import grad, nn, optim, tree_leaves, tree_map, value_and_grad
from expressivity.autodiff.testing import numerical_grad, rel_error


def test_gaussian_init_variances_within_standard_error():
    """Var W = sigma_w2 / n_in, Var b = sigma_b2; tolerance 5 standard errors of the sample
    variance (sqrt(2/n) relative for Gaussian samples)."""
    p = nn.mlp_init(np.random.default_rng(0), [400, 300, 2], sigma_w2=1.7, sigma_b2=0.3)
    W, b = p[0]["W"], p[0]["b"]
    assert W.shape == (400, 300) and b.shape == (300,)
    assert abs(W.var() / (1.7 / 400) - 1) < 5 * np.sqrt(2 / W.size)
    assert abs(b.var() / 0.3 - 1) < 5 * np.sqrt(2 / b.size)
    assert abs(W.mean()) < 5 * np.sqrt(1.7 / 400 / W.size)


@pytest.mark.parametrize("n_in,n_out", [(30, 30), (20, 50), (50, 20)])
def test_orthogonal_init(n_in, n_out):
    """Q^T Q or Q Q^T is sigma_w2 max(1, n_out/n_in) I (closed form); entry variance
    sigma_w2/n_in exactly on average."""
    W = nn.orthogonal_init(3, n_in, n_out, sigma_w2=2.0)
    s2 = 2.0 * max(1.0, n_out / n_in)
    G = W.T @ W if n_in >= n_out else W @ W.T
    np.testing.assert_allclose(G, s2 * np.eye(min(n_in, n_out)), atol=1e-12)
    assert np.isclose(np.sum(W**2) / W.size, 2.0 / n_in, rtol=1e-12)


def test_mlp_init_seed_dtype_and_errors():
    """Same seed and same Generator give identical parameters; bad arguments are named."""
    a = nn.mlp_init(5, [3, 4, 2], dtype=np.float32)
    b = nn.mlp_init(np.random.default_rng(5), [3, 4, 2], dtype=np.float32)
    for x, y in zip(tree_leaves(a), tree_leaves(b)):
        np.testing.assert_array_equal(x, y)
        assert x.dtype == np.float32
    with pytest.raises(ValueError, match="sigma_w2"):
        nn.mlp_init(0, [3, 2], sigma_w2=-1.0)
    with pytest.raises(ValueError, match=r"sizes\[1\]"):
        nn.mlp_init(0, [3, 0])
    with pytest.raises(TypeError, match="rng_or_seed"):
        nn.mlp_init(0.5, [3, 2])
    with pytest.raises(ValueError, match="activation"):
        nn.mlp_apply(a, np.ones((1, 3)), activation="nope")
    with pytest.raises(ValueError, match="init"):
        nn.mlp_init(0, [3, 2], init="xavier")


@pytest.mark.parametrize("act", sorted(nn.ACTIVATIONS))
def test_mlp_apply_matches_numpy_and_gradient_matches_fd(act):
    """Forward against a hand-written numpy MLP; parameter gradient against finite differences."""
    from scipy.special import erf, expit

    ref = {
        "relu": lambda z: np.maximum(z, 0), "tanh": np.tanh, "sigmoid": expit,
        "linear": lambda z: z, "identity": lambda z: z, "softplus": lambda z: np.log1p(np.exp(z)),
        "erf": erf, "hard_tanh": lambda z: np.clip(z, -1, 1), "swish": lambda z: z * expit(z),
        "elu": lambda z: np.where(z > 0, z, np.expm1(z)), "gelu": lambda z: 0.5 * z * (1 + erf(z / np.sqrt(2))),
        "sin": np.sin,
    }[act]
    p = nn.mlp_init(1, [3, 5, 4, 2], sigma_w2=1.5, sigma_b2=0.1)
    x = np.random.default_rng(2).normal(size=(6, 3))
    h = x
    for i, l in enumerate(p):
        h = h @ l["W"] + l["b"]
        if i < 2:
            h = ref(h)
    np.testing.assert_allclose(nn.mlp_apply(p, x, act), h, rtol=1e-13, atol=1e-14)
    f = lambda p: anp.sum(anp.sin(nn.mlp_apply(p, x, act)))
    assert rel_error(grad(f)(p), numerical_grad(f, (p,))) < 1e-6


def _adam_reference(p, grads_seq, lr, b1, b2, eps):
    """Kingma & Ba (2015), Algorithm 1, written out."""
    m = np.zeros_like(p)
    v = np.zeros_like(p)
    out = []
    for t, g in enumerate(grads_seq, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        p = p - lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
        out.append(p)
    return out


def test_adam_pure_and_inplace_follow_the_algorithm():
    """Pure and in-place Adam against Kingma & Ba's Algorithm 1 written out in numpy."""
    r = np.random.default_rng(0)
    p0 = r.normal(size=(3, 2))
    gs = [r.normal(size=(3, 2)) for _ in range(6)]
    ref = _adam_reference(p0, gs, 0.01, 0.5, 0.99, 1e-8)
    opt = optim.adam(0.01, b1=0.5, b2=0.99)
    params = {"w": p0.copy()}
    state = opt.init(params)
    ip = {"w": p0.copy()}
    fast = optim.adam_inplace(ip, lr=0.01, b1=0.5, b2=0.99)
    for g, pr in zip(gs, ref):
        params, state = opt.update({"w": g}, state, params)
        fast.step({"w": g})
        np.testing.assert_allclose(params["w"], pr, rtol=1e-13)
        np.testing.assert_allclose(ip["w"], pr, rtol=1e-12)
    assert state.count == 6


@pytest.mark.parametrize("mixed", [False, True])
def test_adam_inplace_many_leaves_flat_and_mixed_dtypes(mixed):
    """Several leaves (one flat moment buffer; or per-leaf buffers when dtypes differ) follow
    the written-out algorithm leaf by leaf."""
    r = np.random.default_rng(2)
    shapes = [(3, 2), (4,), (2, 2, 2), ()]
    p0 = [r.normal(size=s) for s in shapes]
    if mixed:
        p0[1] = p0[1].astype(np.float32)
    ps = {"a": [x.copy() for x in p0[:2]], "b": (p0[2].copy(), p0[3].copy())}
    opt = optim.adam_inplace(ps, lr=0.05, b1=0.8, b2=0.95, eps=1e-6)
    assert opt.flat is (not mixed)
    gs = [[r.normal(size=s).astype(x.dtype) for s, x in zip(shapes, p0)] for _ in range(4)]
    for k, x in enumerate(p0):
        ref = _adam_reference(x, [g[k] for g in gs], 0.05, 0.8, 0.95, 1e-6)[-1]
        if k == 0:
            for g in gs:
                opt.step({"a": g[:2], "b": (g[2], g[3])})
        got = tree_leaves(ps)[k]
        np.testing.assert_allclose(got, ref, rtol=1e-5 if got.dtype == np.float32 else 1e-12)


def test_sgd_momentum_pure_and_inplace():
    """Against the heavy-ball / Nesterov recursions written out in numpy."""
    r = np.random.default_rng(1)
    p0 = r.normal(size=4)
    gs = [r.normal(size=4) for _ in range(4)]
    for nesterov in (False, True):
        opt = optim.momentum(0.1, mass=0.8, nesterov=nesterov)
        p, s = p0.copy(), None
        s = opt.init(p)
        ip = p0.copy()
        fast = optim.momentum_inplace([ip], lr=0.1, mass=0.8, nesterov=nesterov)
        pr, v = p0.copy(), np.zeros(4)
        for g in gs:
            v = 0.8 * v + g
            pr = pr - 0.1 * ((g + 0.8 * v) if nesterov else v)
            p, s = opt.update(g, s, p)
            fast.step([g])
        np.testing.assert_allclose(p, pr, rtol=1e-14)
        np.testing.assert_allclose(ip, pr, rtol=1e-14)
    opt = optim.sgd(0.5)
    p, s = opt.update({"a": np.ones(2)}, opt.init(None), {"a": np.zeros(2)})
    np.testing.assert_array_equal(p["a"], [-0.5, -0.5])
    ip = np.zeros(2)
    optim.sgd_inplace([ip], lr=0.5).step([np.ones(2)])
    np.testing.assert_array_equal(ip, [-0.5, -0.5])
    with pytest.raises(ValueError, match="b1"):
        optim.adam(0.1, b1=1.0)
    with pytest.raises(TypeError, match="leaf 0"):
        optim.adam_inplace([np.arange(3)])


def test_gradient_through_sgd_steps_closed_form():
    """Inner loss (theta - a)^2 / 2 minimised by K SGD steps from theta0 = 0:
    theta_K = a (1 - (1 - lr)^K), so d theta_K^2 / da = 2 a (1 - (1-lr)^K)^2."""
    lr, K = 0.3, 5
    opt = optim.sgd(lr)

    def outer(a):
        th = 0.0 * a
        s = opt.init(th)
        for _ in range(K):
            g = grad(lambda t: anp.sum((t - a) ** 2) / 2)(th)
            th, s = opt.update(g, s, th)
        return anp.sum(th**2)

    a = np.array([1.3])
    assert np.isclose(grad(outer)(a)[0], 2 * a[0] * (1 - (1 - lr) ** K) ** 2, rtol=1e-14)


def _tiny_gan(seed=0):
    r = np.random.default_rng(seed)
    G = nn.mlp_init(r, [2, 4, 2], sigma_w2=1.0, sigma_b2=0.05)
    D = nn.mlp_init(r, [2, 5, 1], sigma_w2=1.0, sigma_b2=0.05)
    z = r.normal(size=(8, 2))
    xr = r.normal(size=(8, 2)) + 1.0
    return G, D, z, xr


def _d_loss(D, G, z, xr):
    fake = nn.mlp_apply(G, z, "tanh")
    lr_ = nn.mlp_apply(D, xr, "tanh")
    lf = nn.mlp_apply(D, fake, "tanh")
    return -anp.mean(anp.log_sigmoid(lr_)) - anp.mean(anp.log_sigmoid(-lf))


def _unrolled_g_loss(G, D, z, xr, K=5):
    """Metz et al. (2017): the generator loss against the discriminator after K Adam steps,
    each step differentiated through (second-order terms included)."""
    opt = optim.adam(0.05, b1=0.5)
    s = opt.init(D)
    for _ in range(K):
        gD = grad(_d_loss)(D, G, z, xr)
        D, s = opt.update(gD, s, D)
    fake = nn.mlp_apply(G, z, "tanh")
    return -anp.mean(anp.log_sigmoid(nn.mlp_apply(D, fake, "tanh")))


def test_unrolled_k5_adam_generator_gradient_vs_finite_differences():
    G, D, z, xr = _tiny_gan()
    val, g = value_and_grad(_unrolled_g_loss)(G, D, z, xr)
    gn = numerical_grad(_unrolled_g_loss, (G, D, z, xr))
    assert rel_error(g, gn) < 1e-6
    # the unrolling matters: the K = 0 gradient differs
    g0 = grad(lambda G: _unrolled_g_loss(G, D, z, xr, K=0))(G)
    assert rel_error(g0, g) > 1e-3


def test_unrolled_float32_runs_and_keeps_dtype():
    """Second-order gradients through Adam in float32 stay float32 and finite."""
    G, D, z, xr = _tiny_gan(1)
    to32 = lambda t: tree_map(lambda a: np.asarray(a, np.float32), t)
    g = grad(_unrolled_g_loss)(to32(G), to32(D), to32(z), to32(xr))
    assert all(l.dtype == np.float32 and np.all(np.isfinite(l)) for l in tree_leaves(g))


def test_adam_through_zero_gradient_entries_is_finite():
    """A parameter whose gradient is always exactly 0 (a dead ReLU: v = 0, but the zero still
    depends on the outer variable) must not produce NaN in the unrolled gradient
    (d sqrt(v)/dv = inf times dv/dg = 0). Oracle: finite differences."""
    opt = optim.adam(0.1)

    def outer(a):
        w = {"used": np.ones(2), "dead": np.ones(2)}
        s = opt.init(w)
        for _ in range(3):
            gw = grad(lambda w: anp.sum((w["used"] * a - 1.0) ** 2) + anp.sum(anp.relu(-w["dead"] * a)))(w)
            w, s = opt.update(gw, s, w)
        return anp.sum(w["used"] ** 2) + anp.sum(w["dead"])

    g = grad(outer)(np.array([0.7, 1.4]))
    assert np.all(np.isfinite(g))
    gn = numerical_grad(outer, (np.array([0.7, 1.4]),))
    assert rel_error(g, gn) < 1e-6


def _adam_composite(lr, b1, b2, eps):
    """Adam's update written as the plain chain of primitives (the pre-fusion form): the
    oracle for the fused adam_m / adam_v / adam_apply primitives and their VJPs."""
    def update(grads, state, params):
        t = state.count + 1
        c1, c2 = 1.0 / (1.0 - b1**t), 1.0 / (1.0 - b2**t)
        m = tree_map(lambda mi, g: b1 * mi + (1.0 - b1) * g, state.m, grads)
        v = tree_map(lambda vi, g: b2 * vi + (1.0 - b2) * (g * g), state.v, grads)
        newp = tree_map(lambda p, mi, vi: p - lr * (mi * c1) / (optim._adam_sqrt(vi * c2) + eps),
                        params, m, v)
        return newp, optim.AdamState(t, m, v)
    return update


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fused_adam_derivatives_to_third_order(dtype):
    """The fused Adam primitives through three unrolled steps: gradient and Hessian-vector
    product (which runs the fused VJPs on traced values) against central finite differences
    (float64) and against the same loss built from the composite Adam chain (both dtypes).
    One parameter entry always has gradient exactly 0 (v = 0: the sqrt's safe derivative)."""
    lr, b1, b2, eps = 0.1, 0.5, 0.9, 1e-8
    opt = optim.adam(lr, b1=b1, b2=b2, eps=eps)
    comp = _adam_composite(lr, b1, b2, eps)
    x = np.array([0.7, -1.2, 0.4], dtype)
    mask = np.array([1.0, 1.0, 0.0], dtype)  # third entry: dead gradient

    def unrolled(a, update):
        w = {"w": np.array([0.3, 0.5, -0.2], dtype)}
        s = opt.init(w)
        for _ in range(3):
            gw = grad(lambda w: anp.sum(anp.tanh(w["w"] * a * mask + x) ** 2) + anp.sum(w["w"] ** 2 * a[0]))(w)
            w, s = update(gw, s, w)
        return anp.sum(anp.sin(w["w"] * a))

    fused = lambda a: unrolled(a, opt.update)
    ref = lambda a: unrolled(a, comp)
    a0 = np.array([0.9, 1.3, -0.6], dtype)
    v = np.array([0.4, -0.7, 1.1], dtype)
    hvp = lambda f: grad(lambda a: anp.sum(grad(f)(a) * v))(a0)
    tol = 1e-12 if dtype == np.float64 else 2e-5
    assert rel_error(grad(fused)(a0), grad(ref)(a0)) < tol
    assert rel_error(hvp(fused), hvp(ref)) < tol
    if dtype == np.float64:
        assert rel_error(grad(fused)(a0), numerical_grad(fused, (a0,))) < 1e-7
        h = 1e-5
        fd = (grad(fused)(a0 + h * v) - grad(fused)(a0 - h * v)) / (2 * h)
        assert rel_error(hvp(fused), fd) < 1e-6
        # third order: d/da of the HVP's first component
        h3 = grad(lambda a: grad(lambda b: anp.sum(grad(fused)(b) * v))(a)[0])(a0)
        fd3 = numerical_grad(lambda a: grad(lambda b: anp.sum(grad(fused)(b) * v))(a)[0], (a0,))
        assert rel_error(h3, fd3) < 1e-5
    else:
        assert grad(fused)(a0).dtype == np.float32


def test_fused_dense_shared_cotangent_and_higher_order():
    """Two fused ReLU layers receive the same cotangent object from an add (aliasing): the
    in-place ReLU backward must not corrupt it. Also the HVP through fused tanh/relu layers.
    Oracle: finite differences of the loss and of the gradient."""
    p = nn.mlp_init(4, [3, 6, 6, 2], sigma_b2=0.2)
    x = np.random.default_rng(0).normal(size=(5, 3))

    def f(p):
        h = nn.dense_apply(p[0], x, "relu") + nn.dense_apply(p[0], x * 0.5 + 0.1, "relu")
        h = nn.dense_apply(p[1], h, "relu") * 1.0 + nn.dense_apply(p[1], h, "tanh")
        return anp.sum(anp.sin(nn.dense_apply(p[2], h)))

    assert rel_error(grad(f)(p), numerical_grad(f, (p,))) < 1e-6
    v = tree_map(lambda a: np.random.default_rng(a.size).normal(size=a.shape), p)
    vdot = lambda a, b: sum(anp.sum(x * y) for x, y in zip(tree_leaves(a), tree_leaves(b)))
    hv = grad(lambda q: vdot(grad(f)(q), v))(p)
    h = 1e-5
    fd = tree_map(lambda a, b: (a - b) / (2 * h),
                  grad(f)(tree_map(lambda a, b: a + h * b, p, v)),
                  grad(f)(tree_map(lambda a, b: a - h * b, p, v)))
    assert rel_error(hv, fd) < 1e-6


def test_fused_tanh_dense_third_order():
    """Third derivative through a fused tanh layer (its backward's tanh_grad primitive and that
    primitive's own VJPs, traced). Oracle: finite differences of the second derivative."""
    layer = nn.dense_init(2, 3, 4, sigma_b2=0.3)
    x = np.random.default_rng(3).normal(size=(5, 3))
    u = np.random.default_rng(4).normal(size=(5, 4))
    f = lambda s: anp.sum(nn.dense_apply(layer, x * s, "tanh") * u)
    d2 = lambda s: grad(grad(f))(s)
    d3 = grad(d2)(np.array(0.8))
    h = 1e-4
    assert abs(d3 - (d2(np.array(0.8 + h)) - d2(np.array(0.8 - h))) / (2 * h)) < 1e-6 * (1 + abs(d3))
    assert abs(d3) > 1e-3


def test_dense_apply_shapes_and_dtypes():
    """1-D and 3-D inputs and a float32 layer: same as the unfused x @ W + b."""
    layer = nn.dense_init(0, 3, 4, sigma_b2=0.5)
    for x in (np.ones(3), np.random.default_rng(1).normal(size=(2, 5, 3))):
        for act in ("relu", "tanh", "linear"):
            ref = nn.get_activation(act)(x @ layer["W"] + layer["b"])
            np.testing.assert_allclose(nn.dense_apply(layer, x, act), ref, rtol=1e-14)
            f = lambda l: anp.sum(anp.sin(nn.dense_apply(l, x, act)))
            assert rel_error(grad(f)(layer), numerical_grad(f, (layer,))) < 1e-6
    l32 = tree_map(lambda a: a.astype(np.float32), layer)
    g = grad(lambda l: anp.sum(nn.dense_apply(l, np.ones((2, 3), np.float32), "relu")))(l32)
    assert g["W"].dtype == np.float32 and g["b"].dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_training_loop_reaches_least_squares_solution(dtype):
    """End to end: value_and_grad + adam_inplace on a linear model converge to the
    least-squares solution (oracle: numpy.linalg.lstsq)."""
    r = np.random.default_rng(0)
    X = r.normal(size=(64, 3)).astype(dtype)
    y = (X @ np.array([[1.5], [-2.0], [0.5]]) + 0.3 + 0.1 * r.normal(size=(64, 1))).astype(dtype)
    params = nn.mlp_init(1, [3, 1], dtype=dtype)
    vg = value_and_grad(lambda p: anp.mean((nn.mlp_apply(p, X) - y) ** 2))
    opt = optim.adam_inplace(params, lr=0.05)
    for _ in range(1500):
        loss, g = vg(params)
        opt.step(g)
    A = np.hstack([X, np.ones((64, 1))]).astype(np.float64)
    coef = np.linalg.lstsq(A, y.astype(np.float64), rcond=None)[0]
    np.testing.assert_allclose(params[0]["W"][:, 0], coef[:3, 0], atol=2e-3)
    np.testing.assert_allclose(params[0]["b"], coef[3], atol=2e-3)
    assert params[0]["W"].dtype == dtype and np.asarray(loss).dtype == dtype


@pytest.mark.parametrize("activation", ["relu", "tanh", "linear", "softplus"])
def test_pair_apply_matches_concatenated_input_and_finite_differences(activation):
    """The fused pairwise layer phi(a_i + c_j + b) equals the layer on explicitly built pairs,
    row i * K_c + j (oracle: numpy on the tiled input); its gradient in a, c, b matches central
    finite differences, and so does a Hessian-vector product (traced VJP path). A shared
    cotangent (the same output used twice) must not be modified in place."""
    r = np.random.default_rng(3)
    a, c, b = r.normal(size=(4, 5)), r.normal(size=(3, 5)), r.normal(size=5)
    out = nn.pair_apply(a, c, b, activation)
    ref = nn.get_activation(activation)(
        np.repeat(a, 3, axis=0) + np.tile(c, (4, 1)) + b)
    np.testing.assert_allclose(out, ref, rtol=1e-13, atol=1e-15)
    w = r.normal(size=(12, 5))

    def f(p):
        h = nn.pair_apply(p["a"], p["c"], p["b"], activation)
        h2 = h + nn.pair_apply(0.5 * p["a"], p["c"] + 0.1, p["b"], activation)  # shared cotangent
        return anp.sum(anp.sin(h2 * w)) + anp.sum(h * h)

    p = {"a": a, "c": c, "b": b}
    assert rel_error(grad(f)(p), numerical_grad(f, (p,))) < 1e-6
    v = tree_map(lambda t: r.normal(size=t.shape), p)
    vdot = lambda u, q: sum(anp.sum(s * t) for s, t in zip(tree_leaves(u), tree_leaves(q)))
    hv = grad(lambda q: vdot(grad(f)(q), v))(p)
    h = 1e-5
    fd = tree_map(lambda s, t: (s - t) / (2 * h), grad(f)(tree_map(lambda s, t: s + h * t, p, v)),
                  grad(f)(tree_map(lambda s, t: s - h * t, p, v)))
    assert rel_error(hv, fd) < 1e-6


def test_pair_apply_float32_and_bad_shapes():
    """float32 in, float32 values and gradients out (no promotion); mismatched widths raise."""
    r = np.random.default_rng(0)
    a, c, b = (r.normal(size=s).astype(np.float32) for s in ((4, 6), (5, 6), (6,)))
    g = grad(lambda t: anp.sum(nn.pair_apply(t[0], t[1], t[2]) ** 2))((a, c, b))
    assert nn.pair_apply(a, c, b).dtype == np.float32
    assert all(x.dtype == np.float32 for x in g)
    with pytest.raises(ValueError, match="same H"):
        nn.pair_apply(a, c[:, :3], b)


def test_adam_inplace_survives_gradients_whose_square_overflows():
    """float32 gradients of 1e30 and inf (a critic whose exp-terms blew up) used to make
    v = inf and then NaN parameters. Now the step stays finite and points downhill (sign of
    -g), no larger than ~lr per coordinate (Adam's first step is exactly lr sign(g), the
    oracle for the ordinary entries too); a NaN gradient raises. Ordinary steps are
    unchanged: the same trajectory as the textbook formula in float64 (oracle)."""
    p = {"w": np.zeros(4, np.float32)}
    opt = optim.adam_inplace(p, lr=1e-3)
    opt.step({"w": np.array([1e30, -np.inf, 2.0, -3.0], np.float32)})
    assert np.all(np.isfinite(p["w"])) and np.all(np.isfinite(opt.v))
    np.testing.assert_allclose(p["w"], [-1e-3, 1e-3, -1e-3, 1e-3], rtol=1e-4)
    opt.step({"w": np.array([1.0, 1.0, 1.0, 1.0], np.float32)})
    assert np.all(np.isfinite(p["w"]))
    with pytest.raises(FloatingPointError, match="NaN"):
        opt.step({"w": np.array([np.nan, 0, 0, 0], np.float32)})
    # ordinary gradients: textbook Adam (float64) step by step
    r = np.random.default_rng(0)
    q = {"w": np.zeros(5)}
    opt = optim.adam_inplace(q, lr=1e-2)
    w, m, v = np.zeros(5), np.zeros(5), np.zeros(5)
    for t in range(1, 30):
        g = r.normal(size=5) * 10.0 ** r.integers(-3, 3)
        opt.step({"w": g})
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        w = w - 1e-2 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    np.testing.assert_allclose(q["w"], w, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("mixed", [False, True])
def test_adam_inplace_skip_nan_leaves_state_untouched(mixed):
    """Oracle: a run with a NaN step skipped equals, bit for bit, the run without that step
    (flat buffer when the dtypes agree, per-leaf state when they are mixed)."""
    dt2 = np.float64 if mixed else np.float32
    rng = np.random.default_rng(0)
    grads = [{"a": rng.standard_normal(3).astype(np.float32), "b": rng.standard_normal(2).astype(dt2)}
             for _ in range(3)]
    bad = {"a": np.array([0.0, np.nan, 0.0], np.float32), "b": np.zeros(2, dt2)}

    def run(seq):
        p = {"a": np.ones(3, np.float32), "b": np.ones(2, dt2)}
        opt = optim.adam_inplace(p, lr=0.1)
        applied = [opt.step(g, skip_nan=True) for g in seq]
        return p, applied

    p_ref, _ = run(grads)
    p, applied = run([grads[0], bad, grads[1], grads[2]])
    assert applied == [True, False, True, True]
    for k in p:
        np.testing.assert_array_equal(p[k], p_ref[k])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_inplace_compiled_pass_equals_numpy_passes(dtype):
    """Oracle: the numpy form of the update (``AdamInPlace._update``, twelve array passes).
    The compiled flat pass does the same float operations in the same order and dtype, so 40
    steps of both agree bit for bit, including clipped overflowing entries (1e30, -inf in
    float32), and a NaN gradient is refused without touching the state."""
    from expressivity.autodiff import _adam_kernel

    r = np.random.default_rng(5)
    shapes = [(7, 5), (5,), (3, 4, 2)]
    pa = [r.normal(size=s).astype(dtype) for s in shapes]
    pb = [x.copy() for x in pa]
    fast = optim.adam_inplace(pa, lr=3e-3, b1=0.8, b2=0.99, eps=1e-7)
    slow = optim.adam_inplace(pb, lr=3e-3, b1=0.8, b2=0.99, eps=1e-7)
    assert fast.flat
    slow._update_flat = lambda a1, a2, lr_t, eps_t: _numpy_update(slow, a1, a2, lr_t, eps_t)
    for t in range(40):
        gs = [(r.normal(size=s) * 10.0 ** r.integers(-4, 3)).astype(dtype) for s in shapes]
        if t in (3, 17) and dtype == np.float32:
            gs[0][1, 2], gs[2][0, 0, 1] = 1e30, -np.inf
        assert fast.step(gs) and slow.step(gs)
        for a, b in zip(pa, pb):
            assert np.array_equal(a, b)
    assert np.array_equal(fast.m, slow.m) and np.array_equal(fast.v, slow.v)
    m0, v0, p0 = fast.m.copy(), fast.v.copy(), [x.copy() for x in pa]
    bad = [g.copy() for g in gs]
    bad[1][2] = np.nan
    assert fast.step(bad, skip_nan=True) is False
    assert np.array_equal(fast.m, m0) and np.array_equal(fast.v, v0) and fast.count == 40
    assert all(np.array_equal(a, b) for a, b in zip(pa, p0))
    assert _adam_kernel.adam_flat.signatures  # the compiled pass did run


def _numpy_update(opt, a1, a2, lr_t, eps_t):
    try:
        opt._update(opt._g, opt.m, opt.v, opt._tmp, a1, a2, lr_t, eps_t)
    except FloatingPointError:
        return False
    return True


def test_mlp_init_refuses_variances_that_overflow_the_dtype():
    """Oracle: float32's largest value 3.4e38. sigma_w2 = 1e300 would draw inf weights in
    float32 (and NaN downstream): a ValueError naming sigma_w2 and the dtype; float64 holds
    them (finite weights of scale 1e150); a modest variance is untouched."""
    import numpy as np
    import pytest

    from expressivity.autodiff import nn

    with pytest.raises(ValueError, match=r"sigma_w2=1e\+300 is too large for float32"):
        nn.mlp_init(0, [4, 3, 2], sigma_w2=1e300, dtype=np.float32)
    with pytest.raises(ValueError, match="sigma_b2"):
        nn.mlp_init(0, [4, 3, 2], sigma_w2=1.0, sigma_b2=1e80, dtype=np.float32)
    p = nn.mlp_init(0, [4, 3, 2], sigma_w2=1e300, dtype=np.float64)
    assert all(np.isfinite(layer["W"]).all() for layer in p)
    assert np.abs(p[0]["W"]).max() > 1e148
    assert np.isfinite(nn.mlp_init(0, [4, 3, 2], sigma_w2=1e30, dtype=np.float32)[0]["W"]).all()
