"""Core behaviour: pytrees, value_and_grad, stop_gradient, higher orders, errors, dtypes,
numerical stability.

Oracles: closed-form derivatives (polynomials, tanh), central finite differences
(``numerical_grad``) and the float64 result for the float32 checks.
"""
import collections
import math
from functools import partial

import numpy as np
import pytest

import expressivity.autodiff.numpy as anp
from expressivity.autodiff import Box, grad, stop_gradient, value_and_grad
from expressivity.autodiff.testing import numerical_grad, rel_error


def test_value_and_grad_scalar_closed_form():
    """d/dx sum(x^3) = 3 x^2 (closed form)."""
    x = np.array([0.5, -1.5, 2.0])
    v, g = value_and_grad(lambda x: anp.sum(x**3))(x)
    assert np.isclose(v, np.sum(x**3), rtol=1e-15)
    np.testing.assert_allclose(g, 3 * x**2, rtol=1e-15)


def test_python_float_input_and_third_derivative():
    """d^3/dx^3 sin(x) x^2 at x = 0.7 against the closed form."""
    f = lambda x: anp.sin(x) * x**2
    x = 0.7
    d3 = grad(grad(grad(f)))(x)
    exact = -math.cos(x) * x**2 - 6 * x * math.sin(x) + 6 * math.cos(x)
    assert abs(d3 - exact) < 1e-13


def test_fourth_derivative_polynomial():
    """d^4/dx^4 x^5 = 120 x (closed form)."""
    d4 = grad(grad(grad(grad(lambda x: x**5))))(1.3)
    assert abs(d4 - 120 * 1.3) < 1e-10


def _composite(x):
    h = anp.tanh(x @ W1 + b1)
    return anp.logsumexp(h @ W2) + anp.sum(anp.softplus(h) * x[:, :1]) + anp.mean(anp.sigmoid(h) ** 2)


rng0 = np.random.default_rng(0)
W1, b1, W2 = rng0.normal(size=(3, 5)), rng0.normal(size=5), rng0.normal(size=(5, 2))


def test_hvp_of_composite_vs_finite_difference_of_gradient():
    """H v by grad-of-grad against central differences of the (checked) gradient."""
    x = np.random.default_rng(1).normal(size=(4, 3))
    v = np.random.default_rng(2).normal(size=(4, 3))
    assert rel_error(grad(_composite)(x), numerical_grad(_composite, (x,))) < 1e-6
    hv = grad(lambda x: anp.sum(grad(_composite)(x) * v))(x)
    h = 1e-5
    fd = (grad(_composite)(x + h * v) - grad(_composite)(x - h * v)) / (2 * h)
    assert rel_error(hv, fd) < 1e-6


def test_third_order_directional_vs_finite_difference_of_hvp():
    """D^3 f[v, v, .] by three nested grads against central differences of the HVP."""
    x = np.random.default_rng(3).normal(size=(4, 3))
    v = np.random.default_rng(4).normal(size=(4, 3))
    hvp = lambda x: grad(lambda y: anp.sum(grad(_composite)(y) * v))(x)
    t3 = grad(lambda x: anp.sum(hvp(x) * v))(x)
    h = 1e-4
    fd = (hvp(x + h * v) - hvp(x - h * v)) / (2 * h)
    assert rel_error(t3, fd) < 1e-6


def test_gradient_wrt_nested_pytree():
    """Gradient of a function of a dict/list/tuple/namedtuple pytree equals finite differences
    leaf by leaf and keeps the structure."""
    NT = collections.namedtuple("NT", "a b")
    r = np.random.default_rng(5)
    tree = {"w": [r.normal(size=(2, 3)), (r.normal(size=3), NT(r.normal(size=2), 0.5))], "z": None}

    def f(t):
        w0, (w1, nt) = t["w"]
        return anp.sum(anp.tanh(w0 @ w1)) * anp.sum(nt.a**2) + nt.b * anp.sum(w1)

    g = grad(f)(tree)
    assert isinstance(g, dict) and isinstance(g["w"], list) and isinstance(g["w"][1][1], NT)
    assert g["z"] is None
    gn = numerical_grad(f, (tree,))
    assert rel_error(g, gn) < 1e-6


def test_argnum_tuple_and_has_aux():
    """Closed form: d/dx sum(x y^2) = y^2, d/dy = 2 x y."""
    f = lambda x, y: (anp.sum(x * y**2), {"aux": x.sum()})
    x, y = np.arange(3.0), np.ones(3) * 2
    (val, aux), (gx, gy) = value_and_grad(f, argnum=(0, 1), has_aux=True)(x, y)
    assert val == np.sum(x * 4) and aux["aux"] == 3.0 and type(aux["aux"]) is not Box
    np.testing.assert_array_equal(gx, y**2)
    np.testing.assert_array_equal(gy, 2 * x * y)
    g, aux2 = grad(f, 1, has_aux=True)(x, y)
    np.testing.assert_array_equal(g, gy)


def test_stop_gradient_blocks_all_orders():
    """d/dx [x * stop(x)] = stop(x) (product rule with one factor constant)."""
    f = lambda x: anp.sum(x * stop_gradient(x))
    x = np.array([1.0, 2.0])
    np.testing.assert_array_equal(grad(f)(x), x)
    np.testing.assert_array_equal(grad(lambda x: anp.sum(grad(f)(x)))(x), np.zeros(2))


def test_same_box_used_twice_in_one_operation():
    """d/dx sum((x + x) * x) = 4x, d/dx sum((x - x) * x + x.x) = 3 * 2x: one VJP hands the same
    cotangent object to the same parent twice (closed form)."""
    x = np.array([0.5, -2.0, 3.0])
    np.testing.assert_allclose(grad(lambda x: anp.sum((x + x) * x))(x), 4 * x, rtol=1e-15)
    np.testing.assert_allclose(grad(lambda x: anp.sum((x - x) * x + x @ x))(x), 6 * x, rtol=1e-15)
    np.testing.assert_allclose(grad(lambda x: anp.sum(anp.maximum(x, x)))(x), np.ones(3))
    t = {"a": x, "b": [x]}
    s = stop_gradient(t)
    assert s["b"][0] is x


def test_unused_input_gets_zero_gradient_and_constant_function():
    """Closed form: the derivative of a function that ignores x is 0."""
    g = grad(lambda x, y: anp.sum(y**2), argnum=0)(np.ones(3), np.ones(2))
    np.testing.assert_array_equal(g, np.zeros(3))
    assert grad(lambda x: 3.0)(np.ones(2)).tolist() == [0.0, 0.0]


def test_gradients_do_not_alias():
    """sum(x + y): both gradients are ones, returned as distinct writeable arrays."""
    gx, gy = grad(lambda x, y: anp.sum(x + y), argnum=(0, 1))(np.zeros(3), np.zeros(3))
    gx *= 5
    np.testing.assert_array_equal(gy, np.ones(3))


def test_closure_over_outer_trace_perturbation_confusion():
    """d/dx [x * d/dy (x + y)] = 1 (Siskind & Pearlmutter's perturbation-confusion test)."""
    f = lambda x: x * grad(lambda y: x + y)(1.0)
    assert grad(f)(2.0) == 1.0
    # and d/dx [ d/dy (x*y) ]|_{y=x} ... = d/dx x = 1
    assert grad(lambda x: grad(lambda y: x * y)(x))(3.0) == 1.0


# ----------------------------------------------------------------------------- dtypes

@pytest.mark.parametrize(
    "fun",
    [
        lambda x: anp.sum(anp.tanh(x) * 2.0),
        lambda x: anp.mean(anp.relu(x) ** 2),
        lambda x: anp.logsumexp(x, axis=1).sum(),
        lambda x: anp.sum(anp.log_softmax(x) * 0.5),
        lambda x: anp.sum(anp.softplus(x) + anp.log_sigmoid(x) + anp.sigmoid(x)),
        lambda x: anp.sum(x @ x.T / 3),
        lambda x: anp.sum(anp.sqrt(anp.abs(x) + 1.0)),
        lambda x: anp.max(x, axis=0).sum() + anp.var(x),
        lambda x: anp.sum(x[:, 1:] * anp.concatenate([x, x], axis=1)[:, :2]),
        lambda x: anp.sum(anp.erf(x)),
    ],
)
def test_float32_preserved_and_close_to_float64(fun):
    """float32 in -> float32 value and gradient; equal to the float64 result to float32 accuracy."""
    x64 = np.random.default_rng(0).normal(size=(4, 3))
    x32 = x64.astype(np.float32)
    v32, g32 = value_and_grad(fun)(x32)
    v64, g64 = value_and_grad(fun)(x64)
    assert np.asarray(v32).dtype == np.float32
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, g64, rtol=1e-4, atol=1e-5)
    # second order keeps float32 too
    h = grad(lambda x: anp.sum(grad(fun)(x) * x))(x32)
    assert h.dtype == np.float32


# ----------------------------------------------------------------------------- stability

def test_logsumexp_masked_rows_value_and_gradient():
    """where(mask, -inf, S) then logsumexp: value = logsumexp over unmasked entries (scipy
    oracle), gradient 0 on masked entries and softmax elsewhere, never NaN; a fully masked
    row gives -inf and (if excluded from the loss) zero gradient."""
    from scipy.special import logsumexp as sp_lse

    S = np.random.default_rng(0).normal(size=(4, 5))
    mask = np.eye(4, 5, dtype=bool)
    mask[3] = True  # row 3 fully masked

    def rows(S):
        return anp.logsumexp(anp.where(mask, -np.inf, S), axis=1)

    def loss(S):
        r = rows(S)
        return anp.sum(anp.where(np.arange(4) < 3, r, 0.0))

    r = rows(S)
    for i in range(3):
        assert np.isclose(r[i], sp_lse(S[i][~mask[i]]), rtol=1e-14)
    assert r[3] == -np.inf
    g = grad(loss)(S)
    assert np.all(np.isfinite(g))
    assert np.all(g[mask] == 0)
    gn = numerical_grad(loss, (S,))
    assert rel_error(g, gn) < 1e-6
    # second order: no NaN either
    h = grad(lambda S: anp.sum(grad(loss)(S) ** 2))(S)
    assert np.all(np.isfinite(h)) and np.all(h[mask] == 0)


def test_log_softmax_and_logaddexp_with_minus_inf():
    x = np.array([[0.0, -np.inf, 1.0], [-np.inf, -np.inf, 2.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        g = grad(lambda x: anp.sum(anp.log_softmax(x)[:, [0, 2]][:, 1]))(x)
    assert np.all(np.isfinite(g)) and g[0, 1] == 0 and np.all(g[1] == 0)
    ga, gb = grad(lambda a, b: anp.sum(anp.logaddexp(a, b)), argnum=(0, 1))(
        np.array([-np.inf, 0.0]), np.array([-np.inf, 0.0]))
    np.testing.assert_array_equal(ga, [0.0, 0.5])
    np.testing.assert_array_equal(gb, [0.0, 0.5])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softplus_log_sigmoid_sigmoid_at_1000(dtype):
    """Closed forms at +-1000: softplus = (1000, 0), log_sigmoid = (0, -1000),
    derivatives sigmoid(+-1000) = (1, 0); no overflow warnings."""
    x = np.array([1000.0, -1000.0], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        np.testing.assert_array_equal(anp.softplus(x), [1000.0, 0.0])
        np.testing.assert_array_equal(anp.log_sigmoid(x), [0.0, -1000.0])
        np.testing.assert_array_equal(anp.sigmoid(x), [1.0, 0.0])
        g1 = grad(lambda x: anp.sum(anp.softplus(x)))(x)
        g2 = grad(lambda x: anp.sum(anp.log_sigmoid(x)))(x)
        g3 = grad(lambda x: anp.sum(grad(lambda y: anp.sum(anp.log_sigmoid(y)))(x)))(x)
    np.testing.assert_array_equal(g1, [1.0, 0.0])
    np.testing.assert_array_equal(g2, [0.0, 1.0])
    np.testing.assert_array_equal(g3, [0.0, 0.0])
    assert g1.dtype == dtype


def test_softmax_all_minus_inf_row_is_not_nan_in_gradient_of_other_rows():
    x = np.array([[1.0, 2.0], [-np.inf, 3.0]])
    g = grad(lambda x: anp.sum(anp.softmax(x, axis=1)[:, 1] * np.array([1.0, 2.0])))(x)
    assert np.all(np.isfinite(g)) and g[1, 0] == 0


# ----------------------------------------------------------------------------- errors

def test_integer_input_raises_type_error_naming_argument():
    """The message names the offending argument (and pytree leaf)."""
    with pytest.raises(TypeError, match="argument 1"):
        grad(lambda x, n: anp.sum(x) * n, argnum=1)(np.ones(2), np.arange(3))
    with pytest.raises(TypeError, match="leaf 1"):
        grad(lambda t: anp.sum(t[0]))([np.ones(2), np.array([1, 2])])
    with pytest.raises(TypeError, match="argument 0"):
        grad(lambda x: x * 2)(3)


def test_unsupported_numpy_function_is_named():
    """anp.<name> for a numpy name without a VJP raises AttributeError naming it."""
    with pytest.raises(AttributeError, match="'fft'"):
        anp.fft
    with pytest.raises(AttributeError, match="'polyval'"):
        anp.polyval(np.ones(2), 1.0)


def test_einsum_matches_numpy_and_rejects_unsupported():
    """Value against numpy.einsum; unsupported subscripts raise NotImplementedError."""
    r = np.random.default_rng(0)
    a, b, c = r.normal(size=(3, 4)), r.normal(size=(4, 2)), r.normal(size=2)
    np.testing.assert_allclose(anp.einsum("ij,jk,k", a, b, c), np.einsum("ij,jk,k", a, b, c), rtol=1e-14)
    with pytest.raises(NotImplementedError, match="repeated index"):
        anp.einsum("ii->i", np.eye(3))
    with pytest.raises(NotImplementedError, match="ellipsis"):
        anp.einsum("...i->...", a)


def test_shape_mismatch_surfaces_numpy_message():
    """User shape errors reach the caller as numpy's own ValueError."""
    with pytest.raises(ValueError, match="matmul"):
        grad(lambda x: anp.sum(x @ np.ones((4, 2))))(np.ones((2, 3)))
    with pytest.raises(ValueError, match="broadcast"):
        grad(lambda x: anp.sum(x + np.ones(4)))(np.ones(3))


def test_non_scalar_output_and_misuse_raise():
    """Non-scalar outputs, numpy calls on traced values and in-place assignment raise
    TypeError with an actionable message."""
    with pytest.raises(TypeError, match="scalar"):
        grad(lambda x: x * 2)(np.ones(3))
    with pytest.raises(TypeError, match="anp"):
        grad(lambda x: np.sum(np.asarray(x)))(np.ones(3))
    with pytest.raises(TypeError, match="ufunc"):
        grad(lambda x: np.exp(x).sum())(np.ones(3))

    def setitem(x):
        x[0] = 1.0
        return anp.sum(x)

    with pytest.raises(TypeError, match="in-place"):
        grad(setitem)(np.ones(3))
    with pytest.raises(ValueError, match="argnum"):
        grad(lambda x: x, argnum=2)(1.0)


def test_plain_numpy_calls_run_numpy():
    """On plain arrays the namespace returns numpy's own result (bitwise)."""
    x = np.random.default_rng(0).normal(size=(3, 4))
    np.testing.assert_array_equal(anp.tanh(x), np.tanh(x))
    np.testing.assert_array_equal(anp.sum(x, axis=1), np.sum(x, axis=1))
    np.testing.assert_allclose(anp.logsumexp(x, axis=1), np.log(np.sum(np.exp(x), axis=1)), rtol=1e-15)
    assert anp.zeros(3).shape == (3,)
    y = np.random.default_rng(1).normal(size=(2, 3, 4))
    np.testing.assert_array_equal(anp.tril(y, -1), np.tril(y, -1))
    np.testing.assert_array_equal(anp.triu(y, 1), np.triu(y, 1))
    np.testing.assert_array_equal(anp.sort(y, axis=1), np.sort(y, axis=1))
    np.testing.assert_array_equal(anp.sort(y, axis=None), np.sort(y, axis=None))


def test_logcumsumexp_value_and_masked_entries():
    """Value against numpy's cumulative sum of exp in float64 (and scipy logsumexp of each
    prefix); -inf entries get zero gradient, leading -inf prefix rows give no NaN."""
    from scipy.special import logsumexp as sp_lse

    x = np.random.default_rng(3).normal(size=(2, 5)) * 3
    y = anp.logcumsumexp(x, axis=1)
    for i in range(5):
        np.testing.assert_allclose(y[:, i], sp_lse(x[:, : i + 1], axis=1), rtol=1e-14)
    xm = x.copy()
    xm[0, :2] = -np.inf
    xm[1, 3] = -np.inf
    w = np.random.default_rng(4).normal(size=(2, 5))
    f = lambda x: anp.sum(anp.where(anp.isfinite(anp.logcumsumexp(x, axis=1)), w * anp.logcumsumexp(x, axis=1), 0.0))
    with np.errstate(invalid="raise"):
        g = grad(f)(xm)
    assert np.all(np.isfinite(g)) and g[0, 0] == 0 and g[0, 1] == 0 and g[1, 3] == 0
    ok = np.isfinite(xm)
    gn = numerical_grad(lambda z: f(np.where(ok, z, -np.inf)), (np.where(ok, xm, 0.0),))
    assert rel_error(g[ok], gn[ok]) < 1e-6


def test_float32_model_has_no_float64_intermediate_or_cotangent():
    """Every recorded value and every cotangent of a float32 MLP + InfoNCE + softplus loss
    is float32 (so numpy runs float32 kernels throughout). Oracle: the dtypes themselves."""
    import expressivity.autodiff.core as core
    from expressivity.autodiff import nn

    r = np.random.default_rng(0)
    p = {"g": nn.mlp_init(r, [5, 8, 4], dtype=np.float32), "h": nn.mlp_init(r, [5, 8, 4], dtype=np.float32)}
    x = r.normal(size=(6, 5)).astype(np.float32)

    def loss(p):
        S = nn.mlp_apply(p["g"], x, "tanh") @ nn.mlp_apply(p["h"], x).T
        S = anp.where(np.eye(6, dtype=bool), -np.inf, S) * 0.5
        return (anp.mean(anp.logsumexp(S, axis=1)) + anp.mean(anp.softplus(-S[:, :2]))
                + anp.var(S[0, 1:]) + anp.max(anp.sigmoid(S[2:, :3])) + anp.sum(anp.log_softmax(S[3])[:2]))

    tape = []
    out, _, boxed, tape, level = core._make_vjp_run(loss, (p,), {}, (0,), False, tape)
    dtypes = {np.asarray(n._value).dtype for n in tape}
    assert dtypes == {np.dtype(np.float32)}, dtypes
    seen = []
    for node in tape:  # wrap every VJP to record the cotangents it produces
        vj = node._vjps
        if isinstance(vj, core.FusedVJP):
            fn = vj.fn
            node._vjps = core.FusedVJP(
                lambda *a, fn=fn, **k: [seen.append(np.asarray(c).dtype) or c for c in fn(*a, **k)])
        else:
            def rec(*a, f=None, **k):
                c = f(*a, **k)
                seen.append(np.asarray(c).dtype)
                return c

            node._vjps = {i: partial(rec, f=vj[i]) for i in node._argnums}
    core._backward(tape, out, np.ones((), np.float32))
    assert seen and set(seen) == {np.dtype(np.float32)}, set(seen)
    tape.clear()


def test_mi_bound_patterns_gradients():
    """Patterns the MI bounds use: masked off-diagonal log-mean-exp over all entries,
    InfoNCE, NWJ with exp of a masked matrix, and a leave-one-out log-sum-exp built from
    prefix/suffix logcumsumexp. Oracle: finite differences (and the direct formula for the
    leave-one-out values)."""
    K = 5
    S = np.random.default_rng(9).normal(size=(K, K)) * 2
    eye = np.eye(K, dtype=bool)

    def lme_off(S):
        return anp.logsumexp(anp.where(eye, -np.inf, S)) - np.log(K * (K - 1))

    def nce(S):
        return np.log(K) + anp.mean(anp.diag(S) - anp.logsumexp(S, axis=0))

    def nwj(S):
        return anp.mean(anp.diag(S)) - np.exp(-1.0) * anp.sum(anp.where(eye, 0.0, anp.exp(S))) / (K * (K - 1))

    def loo(S):
        # log sum_{j != i} exp(S[i, j]) via prefix/suffix logcumsumexp (exact)
        pre = anp.logcumsumexp(S, axis=1)
        suf = anp.flip(anp.logcumsumexp(anp.flip(S, 1), axis=1), 1)
        ninf = np.full((K, 1), -np.inf)
        left = anp.concatenate([ninf, pre[:, :-1]], axis=1)
        right = anp.concatenate([suf[:, 1:], ninf], axis=1)
        return anp.logaddexp(left, right)

    ref = np.array([[np.log(np.sum(np.exp(np.delete(S[i], j)))) for j in range(K)] for i in range(K)])
    np.testing.assert_allclose(loo(S), ref, rtol=1e-13)
    w = np.random.default_rng(1).normal(size=(K, K))
    for f in (lme_off, nce, nwj, lambda S: anp.sum(w * loo(S))):
        g = grad(f)(S)
        assert np.all(np.isfinite(g))
        assert rel_error(g, numerical_grad(f, (S,))) < 1e-6


def test_multi_argument_primitive_with_residual():
    """A two-argument primitive f(x, y) = sum(exp(x) y) keeps exp(x) from its forward as a
    residual: first-order VJPs receive it, VJPs under an outer trace receive None and use
    their traced formula. Oracles: the closed forms exp(x) y, exp(x) and, second order,
    d/dx sum(grad_x f * v) = exp(x) y v; also the binary fast path is not taken (it has no
    residual)."""
    from expressivity.autodiff import FusedVJP, primitive

    seen = []

    def res_fn(x, y):
        e = np.exp(x)
        return np.sum(e * y), e

    def vjp(g, ans, argnums, x, y, _res=None):
        seen.append(_res is not None)
        e = anp.exp(x) if _res is None else _res
        return [(g * e * y) if i == 0 else (g * e) for i in argnums]

    f = primitive(lambda x, y: res_fn(x, y)[0], "expdot", vjp_table=FusedVJP(vjp), with_residual=res_fn)
    x, y, v = np.array([0.3, -1.2]), np.array([2.0, 0.5]), np.array([1.5, -0.7])
    gx, gy = grad(f, (0, 1))(x, y)
    np.testing.assert_allclose(gx, np.exp(x) * y, rtol=1e-15)
    np.testing.assert_allclose(gy, np.exp(x), rtol=1e-15)
    assert seen == [True]
    hv = grad(lambda x: anp.sum(grad(f)(x, y) * v))(x)
    np.testing.assert_allclose(hv, np.exp(x) * y * v, rtol=1e-14)
    assert False in seen[1:]
    assert f(x, y) == pytest.approx(np.sum(np.exp(x) * y), rel=1e-15)
