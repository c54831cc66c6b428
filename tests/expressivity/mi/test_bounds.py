"""Bounds on a score matrix, checked without training.

Oracles: the analytic optimal critic of the correlated Gaussian (true MI in closed form,
Monte-Carlo averages compared within 4 standard errors), hard inequalities (log K, the I_alpha
cap), brute-force loops (leave-one-out log-mean-exp) and central finite differences for every
gradient.
"""
import math

import numpy as np
import pytest

from expressivity import mi
from expressivity.autodiff import grad, value_and_grad
from expressivity.autodiff import numpy as anp
from expressivity.autodiff.testing import check_grads, numerical_grad, rel_error

K = 64


def _batches(I, n, K=K, dim=20, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        yield mi.sample_gaussian(rng, K, dim, I)


def _mc(fn, I, n=300, K=K, dim=20, seed=0):
    vals = np.array([fn(x, y) for x, y in _batches(I, n, K, dim, seed)])
    return vals.mean(), vals.std(ddof=1) / math.sqrt(n), vals


# ----------------------------------------------------------------------------- optimal critic

@pytest.mark.parametrize("I", [0.5, 2.0])
def test_unbiased_bounds_with_optimal_critic(I):
    """Oracle: true MI I. NWJ(f* + 1), TUBA(log p(y|x), a = p(y)), DV(f*), the variational
    upper bound R with q = p(y) and BA with the exact decoder are unbiased (4 standard errors)."""
    def nwj1(x, y):
        return mi.nwj(mi.pmi(x, y, I) + 1.0)

    def tuba(x, y):
        return mi.tuba(mi.log_conditional(x, y, I), mi.log_marginal(y))

    def dv(x, y):
        return mi.dv(mi.pmi(x, y, I))

    def R(x, y):
        return mi.upper_bound(np.diag(mi.log_conditional(x, y, I)), mi.log_marginal(y))

    def ba(x, y):  # decoder q(x|y) = p(x|y): the same Gaussian with the roles swapped
        return mi.ba(np.diag(mi.log_conditional(y, x, I)), mi.entropy_gaussian(x.shape[1]))

    for fn in (nwj1, tuba, dv, R, ba):
        m, se, _ = _mc(fn, I)
        assert abs(m - I) < 4 * se + 0.01, (fn.__name__, m, se)


def test_nwj_of_pmi_is_one_over_e_low():
    """Oracle: E[NWJ(PMI)] = I - 1/e exactly (E_{p(x)p(y)} e^PMI = 1)."""
    I = 1.0
    m, se, _ = _mc(lambda x, y: mi.nwj(mi.pmi(x, y, I)), I)
    assert abs(m - (I - 1 / math.e)) < 4 * se + 0.01
    # and the JS report of the PMI critic (shift 1) is unbiased, shift 0 is 1/e low
    m1, se1, _ = _mc(lambda x, y: mi.js(mi.pmi(x, y, I)), I)
    assert abs(m1 - I) < 4 * se1 + 0.01


def test_infonce_never_above_log_k_and_near_it_at_high_mi():
    """Oracle: I_NCE <= log K for any scores; with the optimal critic at I = 10 >> log 64 the
    estimate sits just below log K (the paper's Fig. 2 ceiling)."""
    rng = np.random.default_rng(1)
    for scale in (0.1, 10.0, 1e3):
        S = scale * rng.standard_normal((K, K))
        S[np.diag_indices(K)] += scale * 5
        assert mi.infonce(S) <= math.log(K) + 1e-12
    m, se, vals = _mc(lambda x, y: mi.infonce(mi.pmi(x, y, 10.0)), 10.0, n=50)
    assert np.all(vals <= math.log(K) + 1e-12)
    assert math.log(K) - 0.3 < m < math.log(K)
    # TNCE (true conditional as critic) is the same number
    x, y = next(_batches(10.0, 1))
    assert mi.tnce(mi.log_conditional(x, y, 10.0)) == pytest.approx(mi.infonce(mi.pmi(x, y, 10.0)))


def test_interpolated_between_nce_and_tuba_and_under_cap():
    """Oracle: at I = 6 > log K, E[NCE] < E[I_alpha] < E[TUBA] + 4 SE with the optimal critic
    (a = p(y)); every batch value is <= 1 + log((K-1)/alpha); alpha -> 0 recovers TUBA."""
    I = 6.0
    nce, tub, ia = [], [], {0.01: [], 0.5: [], 0.99: []}
    for x, y in _batches(I, 150, seed=3):
        L, la = mi.log_conditional(x, y, I), mi.log_marginal(y)
        nce.append(mi.infonce(L))
        tub.append(mi.tuba(L, la))
        for a in ia:
            v = mi.interpolated(L, a, la)
            assert v <= mi.interpolated_cap(K, a) + 1e-9
            ia[a].append(v)
    nce, tub = np.mean(nce), np.array(tub)
    se_t = tub.std(ddof=1) / math.sqrt(tub.size)
    for a, v in ia.items():
        assert nce < np.mean(v) < tub.mean() + 4 * se_t, (a, nce, np.mean(v), tub.mean())
    # alpha = 0: the leave-one-out estimator is TUBA over the K(K-1) off-diagonal pairs
    x, y = next(_batches(1.0, 1, seed=4))
    L, la = mi.log_conditional(x, y, 1.0), mi.log_marginal(y)
    assert mi.interpolated(L, 0.0, la) == pytest.approx(float(mi.tuba(L, la)), rel=1e-12)


def test_interpolated_cap_is_attained_limit():
    """Oracle: hand computation. With positives at +60 and negatives at -60 (a = 1) the joint
    term is log((K-1)/alpha) and the marginal term vanishes, so the estimate reaches
    1 + log((K-1)/alpha) for alpha < 1; at alpha = 1 the marginal term is exactly 1 and the
    value is log(K-1)."""
    k = 8
    S = np.full((k, k), -60.0)
    S[np.diag_indices(k)] = 60.0
    for a in (0.01, 0.5):
        v = mi.interpolated(S, a, np.zeros(k))
        assert v <= mi.interpolated_cap(k, a) + 1e-12
        assert v == pytest.approx(mi.interpolated_cap(k, a), abs=1e-6)
    assert mi.interpolated(S, 1.0, np.zeros(k)) == pytest.approx(math.log(k - 1), abs=1e-6)


def test_upper_bounds_bracket_the_truth():
    """Oracle: E[TNCE] <= I <= E[leave-one-out upper bound] (Poole et al. Eq. 13)."""
    I = 3.0
    lo, _, _ = _mc(lambda x, y: mi.tnce(mi.log_conditional(x, y, I)), I, n=100)
    hi, _, _ = _mc(lambda x, y: mi.loo_upper_bound(mi.log_conditional(x, y, I)), I, n=100)
    assert lo < I < hi


def test_dv_and_mine_value_and_moving_average():
    """Oracle: MINE's value is DV's; mine_update is the closed-form EMA in log space."""
    rng = np.random.default_rng(5)
    S = rng.standard_normal((6, 6))
    assert mi.mine(S, 0.3) == pytest.approx(mi.dv(S))
    cur = math.log(np.mean(np.exp(S[~np.eye(6, dtype=bool)])))
    assert mi.mine_update(None, S) == pytest.approx(cur)
    assert mi.mine_update(0.2, S, 0.1) == pytest.approx(math.log(0.9 * math.exp(0.2) + 0.1 * math.exp(cur)))


# ----------------------------------------------------------------------------- leave-one-out

def _loo_brute(T):
    m, n = T.shape
    out = np.empty_like(T)
    for i in range(m):
        for j in range(n):
            row = np.delete(T[i], j)
            mx = row.max()
            out[i, j] = mx + math.log(np.exp(row - mx).sum()) - math.log(n - 1)
    return out


def test_loo_logmeanexp_matches_brute_force_with_dominant_entry():
    """Oracle: an explicit loop deleting each entry. One entry 300 nats above the rest: the
    exact prefix/suffix form keeps every other entry's leave-one-out value (where the
    notebook's softplus_inverse form loses it)."""
    rng = np.random.default_rng(6)
    T = rng.standard_normal((5, 7))
    T[2, 3] = 300.0
    T[4, 0] = -np.inf
    np.testing.assert_allclose(mi.loo_logmeanexp(T), _loo_brute(T), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(mi.loo_logmeanexp(T, axis=0), _loo_brute(T.T).T, rtol=1e-12, atol=1e-12)
    # the row with the dominant entry, left out at column 3: log mean of the small ones
    assert abs(mi.loo_logmeanexp(T)[2, 3]) < 5


# ----------------------------------------------------------------------------- masking / NaN

def test_masked_diagonal_never_leaks_nan():
    """Oracle: values and gradients are finite when the diagonal is huge (1e4: e^S overflows)
    in float64 and float32; diagonal entries get no gradient from the off-diagonal terms."""
    k = 6
    for dt in (np.float64, np.float32):
        S = np.random.default_rng(7).standard_normal((k, k)).astype(dt)
        S[np.diag_indices(k)] = 1e4
        fns = [mi.dv, mi.nwj, mi.infonce, mi.js, lambda s: mi.tuba(s, np.zeros(k, dt)),
               lambda s: mi.interpolated(s, 0.5, np.zeros(k, dt)), lambda s: mi.mine(s, 0.0),
               mi.loo_upper_bound, mi.lme_offdiag]
        for f in fns:
            v, g = value_and_grad(f)(S)
            assert np.all(np.isfinite(g)), f
            assert np.isfinite(v), f
        g = grad(mi.lme_offdiag)(S)
        assert np.all(np.diag(g) == 0) and np.all(np.isfinite(g))


def test_bad_inputs_raise():
    """Oracle: documented ValueErrors naming the argument."""
    with pytest.raises(ValueError, match="square"):
        mi.infonce(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="K >= 2"):
        mi.nwj(np.zeros((1, 1)))
    with pytest.raises(ValueError, match="NaN"):
        mi.dv(np.full((3, 3), np.nan))
    with pytest.raises(ValueError, match="log_baseline"):
        mi.tuba(np.zeros((3, 3)), np.zeros(4))
    with pytest.raises(ValueError, match="alpha"):
        mi.interpolated(np.zeros((3, 3)), 1.5)
    with pytest.raises(ValueError, match="exactly one"):
        mi.interpolated(np.zeros((3, 3)))


# ----------------------------------------------------------------------------- gradients

def _S(k=5, seed=8):
    r = np.random.default_rng(seed)
    S = r.standard_normal((k, k))
    S[np.diag_indices(k)] += 1.5
    return S


@pytest.mark.parametrize("name", ["dv", "nwj", "infonce", "js_objective", "lme", "loo_ub", "tnce"])
def test_gradients_vs_finite_differences(name):
    """Oracle: central finite differences of the same function."""
    f = {"dv": mi.dv, "nwj": mi.nwj, "infonce": mi.infonce, "js_objective": mi.js_objective,
         "lme": mi.lme_offdiag, "loo_ub": mi.loo_upper_bound, "tnce": mi.tnce}[name]
    check_grads(f, (_S(),), rtol=1e-6)


def test_tuba_and_interpolated_gradients_in_scores_baseline_and_alpha():
    """Oracle: finite differences in S, in log a(y) and in the alpha logit."""
    S = _S()
    la = np.random.default_rng(9).standard_normal(5)
    check_grads(lambda s, a: mi.tuba(s, a), (S, la), 0)
    check_grads(lambda s, a: mi.tuba(s, a), (S, la), 1)
    f = lambda s, a, z: mi.interpolated(s, log_baseline=a, alpha_logit=z)  # noqa: E731
    for argnum in (0, 1, 2):
        check_grads(f, (S, la, 0.3), argnum, rtol=1e-6)
    T = _S(4, 10)
    T[1, 2] = 40.0
    check_grads(lambda t: anp.sum(mi.loo_logmeanexp(t) * np.arange(16.0).reshape(4, 4)), (T,))


def test_js_and_mine_gradients_are_their_surrogates():
    """Oracle: finite differences of the surrogate objectives (the value/gradient split keeps
    the reported value and the training gradient apart)."""
    S = _S()
    g = grad(mi.js)(S)
    assert rel_error(g, numerical_grad(mi.js_objective, (S,))) < 1e-6
    log_ma = 0.4

    def surrogate(s):
        off = s[~np.eye(5, dtype=bool)]
        return np.mean(np.diag(s)) - np.mean(np.exp(off)) / math.exp(log_ma)

    assert rel_error(grad(lambda s: mi.mine(s, log_ma))(S), numerical_grad(surrogate, (S,))) < 1e-6
    assert mi.js(S) == pytest.approx(mi.nwj(S + 1.0))


@pytest.mark.parametrize("name", ["tuba", "nwj", "js", "infonce", "dv", "interpolated"])
def test_float32_scores_stay_float32(name):
    """Training runs in float32 (as the paper's TF code): no bound may promote a float32
    score matrix to float64 (a float64 scalar such as log alpha from a Python-float logit
    did, doubling the cost of I_alpha). Oracle for the value: the same bound in float64 on
    the same numbers, to float32 accuracy."""
    S = _S(8, 3)
    la = np.random.default_rng(4).standard_normal(8)
    f = {"tuba": lambda s, a: mi.tuba(s, a), "nwj": lambda s, a: mi.nwj(s),
         "js": lambda s, a: mi.js(s), "infonce": lambda s, a: mi.infonce(s),
         "dv": lambda s, a: mi.dv(s),
         "interpolated": lambda s, a: mi.interpolated(s, log_baseline=a, alpha_logit=-5.0)}[name]
    v32, (g32, ga32) = value_and_grad(f, (0, 1))(S.astype(np.float32), la.astype(np.float32))
    assert np.asarray(v32).dtype == np.float32 and g32.dtype == np.float32 and ga32.dtype == np.float32
    assert float(v32) == pytest.approx(float(f(S, la)), rel=1e-5, abs=1e-5)


def test_log_alpha_pair_of_a_python_logit_is_exact():
    """log alpha = -softplus(-z), log(1 - alpha) = -softplus(z) as Python floats; oracle:
    math.log of the sigmoid, including |z| large where the naive form underflows."""
    for z in (-30.0, -5.0, 0.0, 0.3, 5.0, 30.0):
        la, l1a = mi.bounds.log_alpha_pair(alpha_logit=z)
        assert type(la) is float and type(l1a) is float
        assert la == pytest.approx(-math.log1p(math.exp(-z)), rel=1e-14, abs=1e-300)
        assert l1a == pytest.approx(-math.log1p(math.exp(z)), rel=1e-14, abs=1e-300)


@pytest.mark.parametrize("K,scale,dtype", [(2, 1.0, np.float64), (6, 1.0, np.float64),
                                           (16, 30.0, np.float64), (64, 8.0, np.float32)])
def test_fused_interpolated_equals_the_composed_expression(K, scale, dtype):
    """Oracle: I_alpha composed from the engine's primitives (``interpolated_composed``) in
    float64. The fused primitive gives the same value and the same gradient in S, in the
    baseline column and in a traced alpha logit, also with dominant entries (+-40, where a
    naive leave-one-out would cancel); in float32 within float32 rounding of the K^2-term
    sums (the composed form in float32 is off by the same ~1e-4). Its second derivative (a
    Hessian-vector product, which goes through the composed form) agrees too."""
    from expressivity.mi._interpolated_fused import interpolated_composed, interpolated_scores

    r = np.random.default_rng(K)
    S = (r.standard_normal((K, K)) * scale).astype(dtype)
    if K > 2:
        S[0, 1], S[2, 2], S[1, 0] = 40.0, -40.0, 25.0
    col = r.standard_normal((K, 1)).astype(dtype)
    tol = 5e-4 if dtype == np.float32 else 1e-10
    for z in (-5.0, 0.3, 5.0):
        la, l1a = mi.bounds.log_alpha_pair(alpha_logit=z)
        vf, gf = value_and_grad(interpolated_scores, (0, 1))(S, col, la, l1a)
        vc, gc = value_and_grad(interpolated_composed, (0, 1))(S.astype(float), col.astype(float), la, l1a)
        assert np.asarray(vf).dtype == dtype and gf[0].dtype == dtype and gf[1].dtype == dtype
        assert float(vf) == pytest.approx(float(vc), rel=tol, abs=tol)
        for a, b in zip(gf, gc):
            assert rel_error(a, b) < tol
    traced = lambda z, f: f(S, col, *mi.bounds.log_alpha_pair(alpha_logit=z))  # noqa: E731
    gz_f = grad(lambda z: traced(z, interpolated_scores))(0.7)
    gz_c = grad(lambda z: traced(z, interpolated_composed))(0.7)
    assert float(gz_f) == pytest.approx(float(gz_c), rel=tol, abs=tol)
    if dtype == np.float64:
        v = r.standard_normal((K, K))
        hv = lambda f: grad(lambda s: anp.sum(grad(lambda t: f(t, col, -0.5, -1.0))(s) * v))(S)  # noqa: E731
        assert rel_error(hv(interpolated_scores), hv(interpolated_composed)) < 1e-9
