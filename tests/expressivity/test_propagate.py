"""Forward-mode propagation and propagate_circle.

Oracles: central finite differences of the propagated curve (derivatives); the input circle's
exact geometry; an independent scipy.integrate.quad mean-field solve and Poole et al. (2016)'s
published q*/chi1 (tanh); the closed forms of the spec for hard-tanh and ReLU (Eq. 8 growth
sqrt(chi1)); the exact ReLU identity E||v_{l+1}||^2 = (sigma_w2/2)||v_l||^2 (Monte-Carlo).
"""
import numpy as np
import pytest
from scipy import integrate, optimize, special

import expressivity as ex
from expressivity import curves, networks, propagate


def _gauss(f, q, kinks=()):
    s = np.sqrt(q)
    pts = sorted(k / s for k in kinks)
    g = lambda z: f(s * z) * np.exp(-z * z / 2) / np.sqrt(2 * np.pi)
    return integrate.quad(g, -np.inf, np.inf, points=None, limit=400)[0] if not pts else sum(
        integrate.quad(g, a, b, limit=400)[0] for a, b in zip([-40] + pts, pts + [40]))


def _tanh_theory(sigma_w2, sigma_b2):
    V = lambda q: sigma_w2 * _gauss(lambda u: np.tanh(u) ** 2, q) + sigma_b2
    qs = optimize.brentq(lambda q: V(q) - q, 1e-3, 100.0, xtol=1e-14)
    chi1 = sigma_w2 * _gauss(lambda u: (1 - np.tanh(u) ** 2) ** 2, qs)
    chi2 = sigma_w2 * _gauss(lambda u: (2 * np.tanh(u) * (1 - np.tanh(u) ** 2)) ** 2, qs)
    return qs, chi1, chi2


POOLE = [(1.3, 0.6070, 0.9398), (2.5, 4.0791, 1.5852), (4.0, 12.604, 2.3673)]


@pytest.mark.parametrize("sigma_w, q_pub, chi1_pub", POOLE)
def test_oracle_matches_poole_published(sigma_w, q_pub, chi1_pub):
    """The test oracle itself against Poole et al. (2016)'s published q* and chi1."""
    qs, chi1, _ = _tanh_theory(sigma_w ** 2, 0.09)
    assert qs == pytest.approx(q_pub, rel=2e-4) and chi1 == pytest.approx(chi1_pub, rel=2e-4)


@pytest.mark.parametrize("activation", ["tanh", "relu", "hard_tanh", "gelu", "sin"])
def test_forward_mode_matches_finite_differences(activation):
    """v and a at every layer vs central differences of the propagated values (O(h^2))."""
    rng = np.random.default_rng(3)
    net = networks.random_network(6, [7, 7, 5], activation=activation, sigma_w2=1.7, sigma_b2=0.2,
                                  seed=4)
    x0, x1 = rng.standard_normal(6), rng.standard_normal(6)
    t0, h = 0.37, 1e-4
    pts = curves.arc(x0, x1, 2)
    w = 0.5 * np.pi
    X = lambda t: np.cos(w * t) * x0 + np.sin(w * t) * x1
    c = curves.Curve(np.array([t0]), X(t0)[None], (w * (-np.sin(w * t0) * x0 + np.cos(w * t0) * x1))[None],
                     (-(w * w) * X(t0))[None], np.ones(1), False)
    assert pts.n_points == 2
    for post in (False, True):
        # the yielded views live in reused buffers: copy each layer before the next one
        layers = [tuple(np.array(y) for y in xva)
                  for xva in propagate.iterate_layers(net, c, post_activation=post)]
        fp = net.forward(X(t0 + h)[None], post_activation=post)
        f0 = net.forward(X(t0)[None], post_activation=post)
        fm = net.forward(X(t0 - h)[None], post_activation=post)
        h1 = 1e-5  # first derivative: a smaller step (truncation error h^2 * third derivative / 6)
        fp1 = net.forward(X(t0 + h1)[None], post_activation=post)
        fm1 = net.forward(X(t0 - h1)[None], post_activation=post)
        for (x, v, a), p, z, m, p1, m1 in zip(layers[1:], fp, f0, fm, fp1, fm1):
            np.testing.assert_allclose(x[0], z[0], rtol=1e-13, atol=1e-13)
            np.testing.assert_allclose(v[0], (p1[0] - m1[0]) / (2 * h1), rtol=1e-6, atol=1e-7)
            if activation not in ("relu", "hard_tanh"):
                np.testing.assert_allclose(a[0], (p[0] - 2 * z[0] + m[0]) / h ** 2, rtol=1e-4,
                                           atol=1e-5)


def test_input_circle_index_zero():
    """Index 0 is h^1 = the circle at q*: gbar = q*, kappa_bar2 = 1/q*, L^G = 2 pi (exact)."""
    qs, _, _ = _tanh_theory(2.5 ** 2, 0.09)
    r = ex.propagate_circle("tanh", 2.5 ** 2, 0.09, width=50, depth=3, n_points=64, seed=1)
    assert r.q.shape == (3,)
    assert r.q[0] == pytest.approx(qs, rel=1e-9) and r.gbar[0] == pytest.approx(qs, rel=1e-9)
    assert r.kappa_bar2[0] == pytest.approx(1 / qs, rel=1e-9)
    assert r.grassmannian_length[0] == pytest.approx(2 * np.pi, rel=1e-12)
    assert r.euclidean_length[0] == pytest.approx(2 * np.pi * np.sqrt(qs), rel=1e-12)
    r1 = ex.propagate_circle("tanh", 2.5 ** 2, 0.09, width=50, depth=1, n_points=64, seed=1, q0=2.0)
    assert r1.q.shape == (1,) and r1.gbar[0] == pytest.approx(2.0)


@pytest.mark.parametrize("sigma_w", [1.3, 2.5, 4.0])
def test_tanh_circle_agrees_with_mean_field(sigma_w):
    """Width 1000, 3 seeds, 10 layers: length growth within 2 % of sqrt(chi1); kappa_bar2
    within 5 % of Eq. 8 and q within 3 % of the length map on average (quad oracle)."""
    sw2, sb2 = sigma_w ** 2, 0.09
    qs, chi1, chi2 = _tanh_theory(sw2, sb2)
    depth = 11
    kb = [1 / qs]
    for _ in range(depth - 1):
        kb.append(3 * chi2 / chi1 ** 2 + kb[-1] / chi1)
    kb = np.array(kb)
    rates, kratio, qratio = [], [], []
    for seed in range(3):
        r = ex.propagate_circle("tanh", sw2, sb2, width=1000, depth=depth, n_points=400, seed=seed)
        rates.append(np.exp(np.mean(np.diff(np.log(r.euclidean_length)))))
        kratio.append(r.kappa_bar2[1:] / kb[1:])
        qratio.append(r.q[1:] / qs)
    assert np.mean(rates) == pytest.approx(np.sqrt(chi1), rel=0.02)
    assert np.mean(kratio) == pytest.approx(1.0, rel=0.05)
    assert np.mean(qratio) == pytest.approx(1.0, rel=0.03)


def _hard_tanh_qstar(sw2):
    def V(q):
        a = q ** -0.5
        return q * (special.erf(a / np.sqrt(2)) - 2 * a * np.exp(-a * a / 2) / np.sqrt(2 * np.pi)) \
            + 2 * (1 - special.ndtr(a))
    return optimize.brentq(lambda q: sw2 * V(q) - q, 1e-6, 1e3, xtol=1e-14)


@pytest.mark.parametrize("sw2, spec_rate", [(2.0, 1.1579), (4.0, 1.3452), (16.0, 1.8453)])
def test_hard_tanh_growth_rate(sw2, spec_rate):
    """Width 400, sigma_b2 = 0: growth within 2 % of sqrt(chi1) = sqrt(sw2 erf(1/sqrt(2 q*)))
    from the closed-form V (spec), which itself matches the spec's tabulated value."""
    qs = _hard_tanh_qstar(sw2)
    rate = np.sqrt(sw2 * special.erf(1 / np.sqrt(2 * qs)))
    assert rate == pytest.approx(spec_rate, abs=1e-4)
    rates = [ex.measures.growth_rate(ex.propagate_circle("hard_tanh", sw2, 0.0, 400, 11, n_points=500,
                                                         seed=s).euclidean_length) for s in range(3)]
    assert np.mean(rates) == pytest.approx(rate, rel=0.02)


@pytest.mark.parametrize("sw2", [2.0, 4.0, 8.0])
def test_relu_growth_rate_at_stated_q0(sw2):
    """ReLU, sigma_b2 = 0, input at q0 = 1: growth within 2 % of sqrt(chi1) = sqrt(sw2 / 2)."""
    rates = [ex.measures.growth_rate(ex.propagate_circle("relu", sw2, 0.0, 400, 11, n_points=500,
                                                         seed=s, q0=1.0).euclidean_length)
             for s in range(3)]
    assert np.mean(rates) == pytest.approx(np.sqrt(sw2 / 2), rel=0.02)


def test_relu_velocity_identity_monte_carlo():
    """ReLU, sigma_b2 = 0: E||v_{l+1}||^2 = (sigma_w2/2)||v_l||^2 exactly at any width;
    averaged over 400 random one-layer draws, within 4 standard errors."""
    rng = np.random.default_rng(0)
    curve = curves.great_circle(20, 16, q=1.0, seed=1)
    ratios = []
    for s in range(400):
        net = networks.random_network(20, 20, 1, "relu", 3.0, 0.0, seed=rng)
        (x0, v0, _), (x1, v1, _) = list(propagate.iterate_layers(net, curve, input_is_preactivation=True))
        ratios.append(np.sum(v1 ** 2) / np.sum(v0 ** 2))
    se = np.std(ratios) / np.sqrt(len(ratios))
    assert abs(np.mean(ratios) - 1.5) < 4 * se


def test_post_activation_measures_phi_of_h():
    """post_activation=True measures z = phi(h): compare with measures of phi applied directly
    (chain rule written out independently)."""
    r = ex.propagate_circle("tanh", 2.0, 0.1, 30, 2, n_points=200, seed=5, q0=1.5, post_activation=True)
    net, circle = propagate.circle_network("tanh", 2.0, 0.1, 30, 2, n_points=200, seed=5, q0=1.5)
    t = np.tanh(circle.x)
    v = (1 - t ** 2) * circle.dx
    a = -2 * t * (1 - t ** 2) * circle.dx ** 2 + (1 - t ** 2) * circle.ddx
    ref = ex.measures.layer_measures(t, v, a, circle.weights)
    np.testing.assert_allclose([f[0] for f in r], ref, rtol=1e-12)


@pytest.mark.parametrize("post", [False, True])
def test_propagate_circle_equals_explicit_network(post):
    """propagate_circle (layers drawn lazily) == propagate_curve on circle_network (same draws)."""
    r = ex.propagate_circle("tanh", 3.0, 0.2, 40, 4, n_points=50, seed=11, post_activation=post)
    net, circle = propagate.circle_network("tanh", 3.0, 0.2, 40, 4, n_points=50, seed=11)
    ref = propagate.propagate_curve(net, circle, post, input_is_preactivation=True)
    for a, b in zip(r, ref):
        np.testing.assert_array_equal(a, b)
    one = ex.propagate_circle("relu", 3.0, 0.2, 40, 1, n_points=50, seed=11, q0=1.0, post_activation=post)
    assert one.q.shape == (1,)


def test_bad_input():
    with pytest.raises(ValueError, match="q\\*"):
        ex.propagate_circle("tanh", 0.5, 0.0, 10, 3)  # q* = 0
    with pytest.raises(ValueError, match="q0"):
        ex.propagate_circle("relu", 4.0, 0.0, 10, 3)  # q* = inf
    with pytest.raises(ValueError, match="q0"):
        ex.propagate_circle("relu", 4.0, 0.0, 10, 3, q0=-1.0)
    with pytest.raises(ValueError, match="activation"):
        ex.propagate_circle("nope", 1.0, 0.0, 10, 3)
    with pytest.raises(ValueError, match="sigma_w2"):
        ex.propagate_circle("tanh", -1.0, 0.0, 10, 3)
    with pytest.raises(ValueError, match="sigma_b2"):
        ex.propagate_circle("tanh", 1.0, float("nan"), 10, 3)
    with pytest.raises(ValueError, match="depth"):
        ex.propagate_circle("tanh", 1.0, 0.1, 10, 0)
    with pytest.raises(TypeError, match="width"):
        ex.propagate_circle("tanh", 1.0, 0.1, 10.5, 3)
    with pytest.raises(TypeError, match="activation"):
        ex.propagate_circle(3, 1.0, 0.1, 10, 3)


def _reference_circle_measures(act, sw2, sb2, width, depth, n_points, seed, q0, post):
    """The same experiment in plain numpy, written out: circle from great_circle, then
    W = N(0,1) sqrt(sw2/N) and b = N(0,1) sqrt(sb2) drawn with rng.standard_normal, the chain
    rule with np.tanh / np.maximum / np.clip, and the measures from their definitions
    (q = <|h|^2>/N, gbar = <|v|^2>/N, kappa^2 = (|v|^2 |a|^2 - (v.a)^2) / |v|^6,
    L^E = sum |v| dtheta / sqrt(N), L^G = sum kappa |v| dtheta)."""
    phi = {"tanh": lambda h: (np.tanh(h), 1 - np.tanh(h) ** 2,
                              -2 * np.tanh(h) * (1 - np.tanh(h) ** 2)),
           "relu": lambda h: (np.maximum(h, 0), (h > 0) * 1.0, 0 * h),
           "hard_tanh": lambda h: (np.clip(h, -1, 1), (np.abs(h) < 1) * 1.0, 0 * h),
           "gelu": lambda h: (h * special.ndtr(h), special.ndtr(h) + h * np.exp(-h * h / 2)
                              / np.sqrt(2 * np.pi),
                              (2 - h * h) * np.exp(-h * h / 2) / np.sqrt(2 * np.pi))}[act]
    rng = np.random.default_rng(seed)
    c = curves.great_circle(width, n_points, q0, seed=rng)
    h, v, a = c.x, c.dx, c.ddx
    dtheta = 2 * np.pi / n_points

    def measures(x, v, a):
        vv, aa, va = (v * v).sum(1), (a * a).sum(1), (v * a).sum(1)
        k2 = (vv * aa - va ** 2) / vv ** 3
        return [np.mean((x * x).sum(1)) / width, np.mean(vv) / width, width * np.mean(k2),
                np.sum(np.sqrt(vv)) * dtheta / np.sqrt(width), np.sum(np.sqrt(k2 * vv)) * dtheta]

    rows = []
    for layer in range(depth):
        f, d1, d2 = phi(h)
        z, zv, za = f, d1 * v, d2 * v * v + d1 * a
        rows.append(measures(z, zv, za) if post else measures(h, v, a))
        if layer == depth - 1:
            break
        W = rng.standard_normal((width, width)) * np.sqrt(sw2 / width)
        b = rng.standard_normal(width) * np.sqrt(sb2)
        h, v, a = z @ W.T + b, zv @ W.T, za @ W.T
    return np.array(rows).T


@pytest.mark.parametrize("act, sw2, sb2, post", [("tanh", 2.5 ** 2, 0.09, False),
                                                ("tanh", 1.7, 0.05, True),
                                                ("relu", 2.0, 0.1, False),
                                                ("hard_tanh", 3.0, 0.0, True),
                                                ("gelu", 2.0, 0.1, False)])
def test_propagate_circle_matches_plain_numpy_reference(act, sw2, sb2, post):
    """The compiled path (one-pass kernels, compiled ziggurat draws, fused row sums) against
    the straightforward numpy formulas of the same forward mode (oracle above), width 300
    (the compiled draw path), depth 6: agreement to 1e-12 relative (measured: ~4e-16)."""
    r = ex.propagate_circle(act, sw2, sb2, 300, 6, n_points=48, seed=7, q0=1.3,
                            post_activation=post)
    ref = _reference_circle_measures(act, sw2, sb2, 300, 6, 48, 7, 1.3, post)
    for name, got, want in zip(r._fields, r, ref):
        np.testing.assert_allclose(got, want, rtol=1e-12, err_msg=name)
