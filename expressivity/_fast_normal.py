"""Standard normal draws, bit-identical to ``Generator.standard_normal``, about 3x faster.

numpy's ``Generator(PCG64).standard_normal`` is the Marsaglia-Tsang ziggurat (Marsaglia and
Tsang 2000, "The Ziggurat Method for Generating Random Variables", J. Stat. Softw. 5(8)) on
256 layers, fed by PCG64 (O'Neill 2014, XSL-RR output of a 128-bit LCG)::

    s <- s * 0x2360ED051FC65DA44385DF649FCCF645 + inc   (mod 2^128)
    r = rotr64(hi(s) ^ lo(s), hi(s) >> 58)
    idx = r & 255;  sign = (r >> 8) & 1;  rabs = (r >> 9) & (2^52 - 1)
    x = +-rabs * w[idx], accepted at once if rabs < k[idx] (99.3 %), else the wedge / tail test.

numpy calls the bit generator through a function pointer per draw and branches on the sign; the
kernel below inlines the 128-bit LCG (one 64x64->128 multiply, an LLVM intrinsic) and applies
the sign without a branch, which is what makes it faster. The ziggurat tables are numba's
port of numpy's (``numba.np.random._constants``). The draws and the generator's final state
are exactly numpy's: the test suite checks millions of draws, tail and wedge paths included,
against ``Generator.standard_normal`` itself; :func:`standard_normal_into` also checks a short
stream once per process and falls back to numpy if that ever disagrees.

Only plain ``PCG64`` generators take the fast path (``default_rng`` builds those); any other
bit generator goes to numpy. The generator's lock is not taken: do not share one generator
between threads while a draw runs (numpy's own methods would serialise).
This module imports numba: import it lazily.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core.extending import intrinsic

try:  # numba's port of numpy's ziggurat tables
    from numba.np.random._constants import (fi_double, ki_double, wi_double, ziggurat_nor_inv_r,
                                            ziggurat_nor_r)
except ImportError:  # pragma: no cover - a numba without them: numpy does the drawing
    _TABLES = False
else:
    _TABLES = True

_MULT = 0x2360ED051FC65DA44385DF649FCCF645   # PCG64's 128-bit LCG multiplier
_M64 = (1 << 64) - 1
_MULT_HI = np.uint64(_MULT >> 64)
_MULT_LO = np.uint64(_MULT & _M64)


@intrinsic
def _lcg128(typingctx, shi, slo, mhi, mlo, chi, clo):
    """(s * m + c) mod 2^128 on (hi, lo) uint64 halves, as one i128 multiply-add."""
    u64 = types.uint64
    sig = types.UniTuple(u64, 2)(u64, u64, u64, u64, u64, u64)

    def codegen(context, builder, signature, args):
        i128, i64 = ir.IntType(128), ir.IntType(64)
        sixty_four = ir.Constant(i128, 64)

        def join(h, lo):
            return builder.or_(builder.shl(builder.zext(h, i128), sixty_four),
                               builder.zext(lo, i128))

        s, m, c = join(args[0], args[1]), join(args[2], args[3]), join(args[4], args[5])
        n = builder.add(builder.mul(s, m), c)
        hi = builder.trunc(builder.lshr(n, sixty_four), i64)
        return context.make_tuple(builder, signature.return_type, [hi, builder.trunc(n, i64)])

    return sig, codegen


@njit(inline="always")
def _xsl_rr(shi, slo):
    x = shi ^ slo
    rot = shi >> np.uint64(58)
    return (x >> rot) | (x << ((np.uint64(64) - rot) & np.uint64(63)))


@njit(inline="always")
def _unit(shi, slo):
    """numpy's next_double: the top 53 bits of the next output over 2^53."""
    return np.float64(np.int64(_xsl_rr(shi, slo) >> np.uint64(11))) * (1.0 / 9007199254740992.0)


if _TABLES:
    @njit(cache=True, nogil=True, error_model="numpy")
    def _ziggurat_fill(st, out, scale):
        """Fill the 1-D ``out`` with ``scale`` times standard normals (the product rounded once,
        as ``out *= scale`` after the draw would); st = [s_hi, s_lo, inc_hi, inc_lo] (updated)."""
        shi, slo, ihi, ilo = st[0], st[1], st[2], st[3]
        mhi, mlo = _MULT_HI, _MULT_LO
        ki, wi, fi = ki_double, wi_double, fi_double
        one = np.uint64(1)
        for k in range(out.size):
            while True:
                shi, slo = _lcg128(shi, slo, mhi, mlo, ihi, ilo)
                r = _xsl_rr(shi, slo)
                idx = np.int64(r & np.uint64(0xff))
                r >>= np.uint64(8)
                rabs = (r >> one) & np.uint64(0x000fffffffffffff)
                # the sign as a factor +-1.0 (exact): a branch here mispredicts half the time
                x = (1.0 - 2.0 * np.float64(np.int64(r & one))) * (np.float64(np.int64(rabs))
                                                                   * wi[idx])
                if rabs < ki[idx]:
                    break
                if idx == 0:  # the tail beyond r = 3.654...
                    while True:
                        shi, slo = _lcg128(shi, slo, mhi, mlo, ihi, ilo)
                        xx = -ziggurat_nor_inv_r * np.log1p(-_unit(shi, slo))
                        shi, slo = _lcg128(shi, slo, mhi, mlo, ihi, ilo)
                        yy = -np.log1p(-_unit(shi, slo))
                        if yy + yy > xx * xx:
                            break
                    x = ziggurat_nor_r + xx
                    if (rabs >> np.uint64(8)) & one:
                        x = -x
                    break
                shi, slo = _lcg128(shi, slo, mhi, mlo, ihi, ilo)   # the wedge test
                if (fi[idx - 1] - fi[idx]) * _unit(shi, slo) + fi[idx] < np.exp(-0.5 * x * x):
                    break
            out[k] = x * scale
        st[0] = shi
        st[1] = slo


def _fill_pcg64(rng: np.random.Generator, flat: np.ndarray, scale: float = 1.0) -> None:
    bg = rng.bit_generator
    state = bg.state
    s, inc = state["state"]["state"], state["state"]["inc"]
    st = np.array([s >> 64, s & _M64, inc >> 64, inc & _M64], dtype=np.uint64)
    _ziggurat_fill(st, flat, float(scale))
    state["state"]["state"] = (int(st[0]) << 64) | int(st[1])
    bg.state = state


_VERIFIED = []


def _fast_path_ok() -> bool:
    """Once per process: the kernel reproduces numpy on a short stream (else numpy draws)."""
    if not _VERIFIED:
        ok = _TABLES
        if ok:
            try:
                a, b = np.random.default_rng(20240613), np.random.default_rng(20240613)
                ref = a.standard_normal(4096)
                mine = np.empty(4096)
                _fill_pcg64(b, mine)
                ok = (np.array_equal(ref, mine)
                      and a.bit_generator.state == b.bit_generator.state)
            except Exception:  # noqa: BLE001 - any failure means: use numpy
                ok = False
        _VERIFIED.append(ok)
    return _VERIFIED[0]


def standard_normal_into(rng: np.random.Generator, out: np.ndarray,
                         scale: float = 1.0) -> np.ndarray:
    """``rng.standard_normal(out=out); out *= scale``, bit for bit and state for state, for a
    C-contiguous float64 ``out``; a compiled ziggurat when ``rng`` is a plain PCG64 generator
    (then in one pass over ``out``)."""
    if not (isinstance(out, np.ndarray) and out.dtype == np.float64 and out.flags.c_contiguous
            and out.flags.writeable):
        raise TypeError("out must be a writeable C-contiguous float64 array")
    if type(rng.bit_generator) is np.random.PCG64 and _fast_path_ok():
        _fill_pcg64(rng, out.reshape(-1), scale)
    else:
        rng.standard_normal(out=out)
        if scale != 1.0:
            out *= scale
    return out
