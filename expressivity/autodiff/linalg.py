"""Linear-algebra primitives with their VJPs: matmul (and the fused a @ b.T, a.T @ b used by
its own VJPs), dot, outer, vdot, diag, trace, einsum.
"""
from __future__ import annotations

import numpy as _np

from .core import VariadicVJP, defvjp, getval, primitive, primitive1


def _matmul_nt_fun(a, b):
    return a @ b.T


def _matmul_tn_fun(a, b):
    return a.T @ b


# a @ b.T and a.T @ b for 2-D arrays as single primitives: the matmul VJPs recorded when a
# backward pass is itself differentiated, without a separate transpose node each.
_matmul_nt = primitive(_matmul_nt_fun, "matmul_nt")
_matmul_tn = primitive(_matmul_tn_fun, "matmul_tn")
defvjp(_matmul_nt, lambda g, ans, a, b: g @ b, lambda g, ans, a, b: _matmul_tn(g, a))
defvjp(_matmul_tn, lambda g, ans, a, b: _matmul_nt(b, g), lambda g, ans, a, b: a @ g)


def _matmul_vjp0(g, ans, a, b):
    bn = b.ndim
    an = a.ndim
    if bn == 2 and an == 2:
        if b.shape[1] == 1:
            # an outer product (inner dimension 1): broadcasting is exact (one product per
            # entry) and several times faster than BLAS gemm with k = 1
            return g * b.T
        return _matmul_nt(g, b)
    if bn == 1:
        if an == 1:
            return g * b
        return unbroadcast(expand_dims(g, -1) * b, a)
    return unbroadcast(matmul(g, swapaxes(b, -1, -2)), a)


def _matmul_vjp1(g, ans, a, b):
    an = a.ndim
    bn = b.ndim
    if an == 2 and bn == 2:
        return _matmul_tn(a, g)
    if an == 1:
        if bn == 1:
            return g * a
        return unbroadcast(expand_dims(a, -1) * expand_dims(g, -2), b)
    if bn == 1:
        ga = matmul(swapaxes(a, -1, -2), expand_dims(g, -1))
        return unbroadcast(reshape(ga, _shape(g)[:-1] + (a.shape[-1],)), b)
    return unbroadcast(matmul(swapaxes(a, -1, -2), g), b)


matmul = primitive(_np.matmul, "matmul")
defvjp(matmul, _matmul_vjp0, _matmul_vjp1)


def dot(a, b):
    """numpy.dot for arrays of at most 2 dimensions (scalars multiply)."""
    an, bn = _np.ndim(getval(a)), _np.ndim(getval(b))
    if an == 0 or bn == 0:
        return a * b
    if an > 2 or bn > 2:
        raise ValueError(
            f"anp.dot supports arrays with ndim <= 2 (got ndim {an} and {bn}); use anp.matmul"
        )
    return matmul(a, b)


def outer(a, b):
    """Outer product of the flattened inputs."""
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


def vdot(a, b):
    """Sum of the elementwise product of the flattened inputs (real arrays)."""
    return sum(ravel(a) * ravel(b))


def _diag_vjp(g, ans, x, k=0):
    if x.ndim == 1:
        return diag(g, k)
    return _diag_embed(g, x.shape, k)


diag = primitive1(lambda x, k=0: _np.diag(x, k), "diag")
diag.__doc__ = "numpy.diag: extract a diagonal of a 2-D array or build a 2-D array from a 1-D one."
defvjp(diag, _diag_vjp)


def _diag_embed_fun(g, shape, k=0):
    """Zeros of ``shape`` with ``g`` on the k-th diagonal (the adjoint of numpy.diag)."""
    z = _np.zeros(shape, dtype=_np.result_type(g))
    ncol = shape[1]
    start = k if k >= 0 else -k * ncol
    n = _np.shape(g)[0]
    z.reshape(-1)[start : start + n * (ncol + 1) : ncol + 1] = g
    return z


_diag_embed = primitive1(_diag_embed_fun, "_diag_embed")
defvjp(_diag_embed, lambda g, ans, x, shape, k=0: diag(g, k))


def trace(x):
    """Sum of the main diagonal of a 2-D array."""
    return sum(diag(x))


def _parse_einsum(subscripts, n_operands):
    subscripts = subscripts.replace(" ", "")
    if "." in subscripts:
        raise NotImplementedError("anp.einsum: ellipsis ('...') subscripts are not supported")
    if "->" in subscripts:
        ins, out = subscripts.split("->")
    else:
        ins = subscripts
        letters = ins.replace(",", "")
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    ins = ins.split(",")
    if len(ins) != n_operands:
        raise ValueError(f"anp.einsum: {len(ins)} subscripts for {n_operands} operands")
    for sub in ins:
        if len(set(sub)) != len(sub):
            raise NotImplementedError(
                f"anp.einsum: repeated index within one operand ({sub!r}) is not supported; "
                "use anp.diag / anp.trace"
            )
    return ins, out


def _einsum_fun(subscripts, *operands):
    return _np.einsum(subscripts, *operands, optimize=len(operands) > 2)


def _einsum_vjp(i, g, ans, subscripts, *operands):
    ins, out = _parse_einsum(subscripts, len(operands))
    k = i - 1
    target = ins[k]
    others = [ins[j] for j in range(len(ins)) if j != k]
    available = set(out).union(*others) if others else set(out)
    kept = "".join(c for c in target if c in available)
    spec = ",".join([out] + others) + "->" + kept
    r = einsum(spec, g, *[operands[j] for j in range(len(operands)) if j != k])
    if kept != target:  # indices summed only inside this operand: broadcast back
        shape = _shape(operands[k])
        r = reshape(r, tuple(shape[p] if c in available else 1 for p, c in enumerate(target)))
        r = broadcast_to(r, shape)
    return r


_einsum_p = primitive(_einsum_fun, "einsum", vjp_table=VariadicVJP(_einsum_vjp))


def einsum(subscripts, *operands):
    """numpy.einsum for explicit or implicit subscripts without '...' and without an index
    repeated within one operand. The VJP of each operand is another einsum (indices summed
    in that operand alone are broadcast back)."""
    _parse_einsum(subscripts, len(operands))
    return _einsum_p(subscripts, *operands)


from .reductions import sum  # noqa: E402  (bound last: the primitive modules import one another)
from .shapes import broadcast_to, expand_dims, ravel, reshape, swapaxes  # noqa: E402
from ._helpers import _shape, unbroadcast  # noqa: E402
