"""Every primitive's gradient against central finite differences (float64, random inputs,
broadcast shapes), and its second derivative (Hessian-vector product) against central
differences of the gradient.

Oracle: ``expressivity.autodiff.testing.numerical_grad`` (coordinate-wise central differences,
h = 1e-6 relative, error ~1e-10), and for the HVP, central differences of the engine's own
(already checked) gradient along a random direction.
"""
import numpy as np
import pytest

import expressivity.autodiff.numpy as anp
from expressivity.autodiff import grad
from expressivity.autodiff.testing import numerical_grad, rel_error

RTOL = 1e-6


def R(*shape, seed=0, low=-2.0, high=2.0, away=0.1):
    """Random float64 array bounded away from 0 (keeps kinks of relu/abs off the grid)."""
    rng = np.random.default_rng(seed + 1000 * len(shape) + sum(shape))
    x = rng.uniform(low, high, size=shape)
    if away:
        x = np.where(np.abs(x) < away, np.sign(x + 1e-300) * away + x, x)
    return x


def P(*shape, seed=0):
    """Random positive float64 array in [0.5, 2]."""
    rng = np.random.default_rng(seed + 7 + sum(shape))
    return rng.uniform(0.5, 2.0, size=shape)


# name, function, args, indices of the differentiable args
CASES = [
    ("add_bcast_row", lambda a, b: a + b, (R(3, 4), R(4, seed=1)), (0, 1)),
    ("add_bcast_outer", lambda a, b: a + b, (R(3, 1), R(1, 4, seed=1)), (0, 1)),
    ("add_scalar_shape", lambda a, b: a + b, (R(), R(3, seed=1)), (0, 1)),
    ("sub_bcast_3d", lambda a, b: a - b, (R(2, 3, 4), R(3, 1, seed=1)), (0, 1)),
    ("mul_bcast", lambda a, b: a * b, (R(2, 3, 4), R(3, 1, seed=1)), (0, 1)),
    ("mul_const", lambda a: 3.0 * a * 2.5, (R(3, 4),), (0,)),
    ("div_bcast", lambda a, b: a / b, (R(3, 4), P(1, 4, seed=1)), (0, 1)),
    ("rdiv_const", lambda a: 2.0 / a, (P(3, 4),), (0,)),
    ("rsub_const", lambda a: 2.0 - a, (R(3, 4),), (0,)),
    ("neg", lambda a: -a, (R(3, 4),), (0,)),
    ("pow_arrays", lambda a, b: a ** b, (P(3, 4), R(4, seed=1)), (0, 1)),
    ("pow_2", lambda a: a ** 2, (R(3, 4),), (0,)),
    ("pow_3_5", lambda a: a ** 3.5, (P(3, 4),), (0,)),
    ("rpow", lambda a: 2.0 ** a, (R(3, 4),), (0,)),
    ("square", lambda a: anp.square(a), (R(3, 4),), (0,)),
    ("matmul_2d", lambda a, b: a @ b, (R(3, 4), R(4, 5, seed=1)), (0, 1)),
    ("matmul_vec_mat", lambda a, b: a @ b, (R(4), R(4, 5, seed=1)), (0, 1)),
    ("matmul_mat_vec", lambda a, b: a @ b, (R(3, 4), R(4, seed=1)), (0, 1)),
    ("matmul_vec_vec", lambda a, b: anp.matmul(a, b), (R(4), R(4, seed=1)), (0, 1)),
    ("matmul_batched", lambda a, b: a @ b, (R(2, 3, 4), R(4, 5, seed=1)), (0, 1)),
    ("matmul_batched_both", lambda a, b: a @ b, (R(2, 3, 4), R(2, 4, 5, seed=1)), (0, 1)),
    ("matmul_bcast_left", lambda a, b: a @ b, (R(3, 4), R(2, 4, 5, seed=1)), (0, 1)),
    ("matmul_batched_vec", lambda a, b: a @ b, (R(2, 3, 4), R(4, seed=1)), (0, 1)),
    ("einsum_matmul", lambda a, b: anp.einsum("ij,jk->ik", a, b), (R(3, 4), R(4, 2, seed=1)), (0, 1)),
    ("einsum_batch_sum_only_in_one", lambda a, b: anp.einsum("bij,jk->bi", a, b), (R(2, 3, 4), R(4, 5, seed=1)), (0, 1)),
    ("einsum_implicit_3ops", lambda a, b, c: anp.einsum("ij,jk,k", a, b, c), (R(3, 4), R(4, 2, seed=1), R(2, seed=2)), (0, 1, 2)),
    ("einsum_outer_transpose", lambda a, b: anp.einsum("i,j->ji", a, b), (R(3), R(4, seed=1)), (0, 1)),
    ("dot", lambda a, b: anp.dot(a, b), (R(3, 4), R(4, 2, seed=1)), (0, 1)),
    ("outer", lambda a, b: anp.outer(a, b), (R(3), R(4, seed=1)), (0, 1)),
    ("vdot", lambda a, b: anp.vdot(a, b), (R(3, 2), R(3, 2, seed=1)), (0, 1)),
    ("exp", anp.exp, (R(3, 4),), (0,)),
    ("log", anp.log, (P(3, 4),), (0,)),
    ("log1p", anp.log1p, (P(3, 4) - 0.4,), (0,)),
    ("expm1", anp.expm1, (R(3, 4),), (0,)),
    ("sqrt", anp.sqrt, (P(3, 4),), (0,)),
    ("tanh", anp.tanh, (R(3, 4),), (0,)),
    ("sigmoid", anp.sigmoid, (R(3, 4),), (0,)),
    ("softplus", anp.softplus, (R(3, 4),), (0,)),
    ("log_sigmoid", anp.log_sigmoid, (R(3, 4),), (0,)),
    ("relu", anp.relu, (R(3, 4),), (0,)),
    ("abs", anp.abs, (R(3, 4),), (0,)),
    ("abs_op", lambda a: abs(a), (R(3, 4),), (0,)),
    ("sin", anp.sin, (R(3, 4),), (0,)),
    ("cos", anp.cos, (R(3, 4),), (0,)),
    ("sinh", anp.sinh, (R(3, 4),), (0,)),
    ("cosh", anp.cosh, (R(3, 4),), (0,)),
    ("arctan", anp.arctan, (R(3, 4),), (0,)),
    ("erf", anp.erf, (R(3, 4),), (0,)),
    ("maximum_bcast", anp.maximum, (R(3, 4), R(4, seed=1)), (0, 1)),
    ("minimum_bcast", anp.minimum, (R(3, 1), R(1, 4, seed=1)), (0, 1)),
    ("clip", lambda a: anp.clip(a, -1.05, 0.95), (R(3, 4),), (0,)),
    ("where_bcast", lambda a, b: anp.where(R(3, 4, seed=5) > 0, a, b), (R(3, 4), R(4, seed=1)), (0, 1)),
    ("sum_all", lambda a: anp.sum(a), (R(2, 3, 4),), (0,)),
    ("sum_ax1", lambda a: anp.sum(a, axis=1), (R(2, 3, 4),), (0,)),
    ("sum_ax_neg_keep", lambda a: anp.sum(a, axis=-1, keepdims=True), (R(2, 3, 4),), (0,)),
    ("sum_ax_tuple", lambda a: a.sum(axis=(0, 2)), (R(2, 3, 4),), (0,)),
    ("mean_all", lambda a: anp.mean(a), (R(2, 3, 4),), (0,)),
    ("mean_ax0", lambda a: a.mean(axis=0), (R(2, 3, 4),), (0,)),
    ("mean_keep", lambda a: anp.mean(a, axis=(1, 2), keepdims=True), (R(2, 3, 4),), (0,)),
    ("max_all", lambda a: anp.max(a), (R(3, 4),), (0,)),
    ("max_ax1", lambda a: anp.max(a, axis=1), (R(3, 4),), (0,)),
    ("min_ax0_keep", lambda a: anp.min(a, axis=0, keepdims=True), (R(3, 4),), (0,)),
    ("var", lambda a: anp.var(a, axis=0), (R(5, 3),), (0,)),
    ("std_ddof", lambda a: anp.std(a, axis=1, ddof=1), (R(3, 5),), (0,)),
    ("reshape", lambda a: anp.reshape(a, (4, 3)) * R(4, 3, seed=9), (R(3, 4),), (0,)),
    ("reshape_method", lambda a: a.reshape(2, 6) * R(2, 6, seed=9), (R(3, 4),), (0,)),
    ("transpose", lambda a: a.T * R(4, 3, seed=9), (R(3, 4),), (0,)),
    ("transpose_axes", lambda a: anp.transpose(a, (2, 0, 1)) * R(4, 2, 3, seed=9), (R(2, 3, 4),), (0,)),
    ("swapaxes", lambda a: anp.swapaxes(a, 0, 2) * R(4, 3, 2, seed=9), (R(2, 3, 4),), (0,)),
    ("moveaxis", lambda a: anp.moveaxis(a, 0, -1) * R(3, 4, 2, seed=9), (R(2, 3, 4),), (0,)),
    ("expand_dims", lambda a: anp.expand_dims(a, 1) * R(3, 2, 4, seed=9), (R(3, 4),), (0,)),
    ("squeeze", lambda a: anp.squeeze(a, 1) * R(3, 4, seed=9), (R(3, 1, 4),), (0,)),
    ("broadcast_to", lambda a: anp.broadcast_to(a, (2, 3, 4)) * R(2, 3, 4, seed=9), (R(3, 1),), (0,)),
    ("ravel", lambda a: anp.ravel(a) * R(12, seed=9), (R(3, 4),), (0,)),
    ("getitem_slice", lambda a: a[1:, ::2] * R(2, 2, seed=9), (R(3, 4),), (0,)),
    ("getitem_int_none_ellipsis", lambda a: a[..., 1, None] * R(2, 3, 1, seed=9), (R(2, 3, 4),), (0,)),
    ("getitem_int_array_dup", lambda a: a[np.array([0, 2, 0, 0])] * R(4, 4, seed=9), (R(3, 4),), (0,)),
    ("getitem_pairs", lambda a: a[np.arange(3), np.arange(3)], (R(3, 4),), (0,)),
    ("getitem_bool", lambda a: a[R(3, 4, seed=4) > 0], (R(3, 4),), (0,)),
    ("take", lambda a: anp.take(a, np.array([1, 1, 3]), axis=1), (R(3, 4),), (0,)),
    ("concatenate_ax0", lambda a, b: anp.concatenate([a, b, a]) * R(8, 4, seed=9), (R(3, 4), R(2, 4, seed=1)), (0, 1)),
    ("concatenate_ax_neg", lambda a, b: anp.concatenate((a, b), axis=-1) * R(3, 6, seed=9), (R(3, 4), R(3, 2, seed=1)), (0, 1)),
    ("concatenate_with_constant", lambda a, b: anp.concatenate([a, np.ones((1, 4)), b]) * R(6, 4, seed=9), (R(3, 4), R(2, 4, seed=1)), (0, 1)),
    ("stack_with_constant", lambda a: anp.stack([np.ones(3), a, a * 2], axis=-1), (R(3),), (0,)),
    ("stack", lambda a, b: anp.stack([a, b], axis=1) * R(3, 2, 4, seed=9), (R(3, 4), R(3, 4, seed=1)), (0, 1)),
    ("hstack_vstack", lambda a, b: anp.vstack([anp.hstack([a, b]), anp.hstack([b, a])]), (R(3), R(2, seed=1)), (0, 1)),
    ("array_of_boxes", lambda a, b: anp.array([a[0] * b[1], b[0]]), (R(3), R(2, seed=1)), (0, 1)),
    ("diag_extract", lambda a: anp.diag(a), (R(3, 4),), (0,)),
    ("diag_extract_k", lambda a: anp.diag(a, -1), (R(4, 3),), (0,)),
    ("diag_build", lambda a: anp.diag(a, 1) * R(4, 4, seed=9), (R(3),), (0,)),
    ("trace", lambda a: anp.trace(a), (R(3, 3),), (0,)),
    ("logsumexp_all", lambda a: anp.logsumexp(a), (R(3, 4),), (0,)),
    ("logsumexp_ax1", lambda a: anp.logsumexp(a, axis=1), (R(3, 4),), (0,)),
    ("logsumexp_ax0_keep", lambda a: anp.logsumexp(a, axis=0, keepdims=True), (R(3, 4),), (0,)),
    ("logsumexp_tuple", lambda a: anp.logsumexp(a, axis=(0, 2)), (R(2, 3, 4),), (0,)),
    ("logaddexp_bcast", anp.logaddexp, (R(3, 4), R(4, seed=1)), (0, 1)),
    ("softmax", lambda a: anp.softmax(a), (R(3, 4),), (0,)),
    ("softmax_ax0", lambda a: anp.softmax(a, axis=0), (R(3, 4),), (0,)),
    ("log_softmax", lambda a: anp.log_softmax(a), (R(3, 4),), (0,)),
    ("log_softmax_ax0", lambda a: anp.log_softmax(a, axis=0), (R(3, 4),), (0,)),
    ("cumsum_ax1", lambda a: anp.cumsum(a, axis=1), (R(3, 4),), (0,)),
    ("cumsum_flat", lambda a: anp.cumsum(a), (R(3, 4),), (0,)),
    ("logcumsumexp_ax1", lambda a: anp.logcumsumexp(a, axis=1), (R(3, 4),), (0,)),
    ("logcumsumexp_ax0_big", lambda a: anp.logcumsumexp(50.0 * a, axis=0), (R(4, 3),), (0,)),
    ("loo_logsumexp_ax1", lambda a: anp.loo_logsumexp(a, axis=1), (R(3, 4),), (0,)),
    ("loo_logsumexp_ax0_big", lambda a: anp.loo_logsumexp(50.0 * a, axis=0), (R(4, 3),), (0,)),
    ("loo_logsumexp_3d", lambda a: anp.loo_logsumexp(a, axis=1), (R(2, 3, 4),), (0,)),
    ("tril", lambda a: anp.tril(a, -1), (R(3, 4),), (0,)),
    ("triu_batched", lambda a: anp.triu(a, 1), (R(2, 3, 3),), (0,)),
    ("sort_ax1", lambda a: anp.sort(a, axis=1), (R(3, 4),), (0,)),
    ("sort_ax0", lambda a: anp.sort(a, axis=0), (R(3, 4),), (0,)),
    ("flip", lambda a: anp.flip(a, 1) * R(3, 4, seed=9), (R(3, 4),), (0,)),
    ("astype", lambda a: anp.astype(a, np.float64) * 2, (R(3, 4),), (0,)),
    ("one_hot_weights", lambda a: a * anp.one_hot(np.array([0, 2, 1]), 4), (R(3, 4),), (0,)),
]


def _scalarize(fun, args):
    """f(args) = sum(w * fun(args)) with fixed random weights w, so every output counts."""
    out = np.asarray(fun(*args))
    w = np.random.default_rng(123).normal(size=out.shape) if out.shape else 1.3

    def f(*a):
        return anp.sum(w * fun(*a))

    return f


@pytest.mark.parametrize("name,fun,args,diff", CASES, ids=[c[0] for c in CASES])
def test_first_order_vs_finite_differences(name, fun, args, diff):
    f = _scalarize(fun, args)
    for i in diff:
        g = grad(f, i)(*args)
        assert np.shape(g) == np.shape(args[i])
        gn = numerical_grad(f, args, i)
        assert rel_error(g, gn) <= RTOL, (name, i, rel_error(g, gn))


@pytest.mark.parametrize("name,fun,args,diff", CASES, ids=[c[0] for c in CASES])
def test_hessian_vector_product_vs_finite_differences(name, fun, args, diff):
    """d/dt grad f(x + t v) at t = 0, against central differences of grad f (h = 1e-5)."""
    f = _scalarize(fun, args)
    h = 1e-5
    for i in diff:
        v = np.random.default_rng(7 + i).normal(size=np.shape(args[i]))

        def gdot(*a):
            return anp.sum(grad(f, i)(*a) * v)

        hv = grad(gdot, i)(*args)
        ap, am = list(args), list(args)
        ap[i] = args[i] + h * v
        am[i] = args[i] - h * v
        hv_fd = (grad(f, i)(*ap) - grad(f, i)(*am)) / (2 * h)
        scale = max(np.linalg.norm(hv_fd), 1e-3)  # piecewise-linear primitives: Hv = 0
        assert np.linalg.norm(np.asarray(hv) - hv_fd) / scale <= 1e-6, (name, i)


def _loo_brute(x, axis):
    """Oracle: for each j, numpy's log-sum-exp of the row with entry j deleted (float64)."""
    x = np.moveaxis(np.asarray(x, np.float64), axis, -1)
    out = np.empty_like(x)
    for j in range(x.shape[-1]):
        o = np.delete(x, j, axis=-1)
        m = o.max(-1, keepdims=True)
        m = np.where(np.isfinite(m), m, 0.0)
        with np.errstate(divide="ignore"):
            out[..., j] = np.log(np.exp(o - m).sum(-1)) + m[..., 0]
    return np.moveaxis(out, -1, axis)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_loo_logsumexp_exact_with_dominant_and_infinite_entries(axis):
    """A dominant entry (300 nats above the rest, where s - e_j would lose everything), -inf
    entries, and a row with a single finite entry (-inf there): equal to the brute-force
    oracle to 1e-14 in float64 and 1e-5 in float32; gradients finite (no NaN from -inf)."""
    r = np.random.default_rng(0)
    x = r.normal(size=(4, 6))
    x[1, 2] = 300.0
    x[2, :] = -np.inf
    x[2, 3] = 1.0
    x[3, 0] = -np.inf
    out, ref = anp.loo_logsumexp(x, axis=axis), _loo_brute(x, axis)
    assert np.array_equal(np.isfinite(out), np.isfinite(ref))
    fin = np.isfinite(ref)
    np.testing.assert_allclose(out[fin], ref[fin], rtol=1e-14, atol=1e-13)
    assert np.all(out[~fin] == -np.inf)
    o32 = anp.loo_logsumexp(x.astype(np.float32), axis=axis)
    assert o32.dtype == np.float32
    np.testing.assert_allclose(o32[fin], ref[fin], rtol=1e-5, atol=1e-5)
    w = r.normal(size=x.shape)
    g = grad(lambda t: anp.sum(anp.where(fin, anp.loo_logsumexp(t, axis=axis), 0.0) * w))(x)
    assert np.all(np.isfinite(g))
