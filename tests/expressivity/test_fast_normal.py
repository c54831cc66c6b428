"""The compiled ziggurat (expressivity._fast_normal) against numpy's Generator.standard_normal.

Oracle: numpy itself. The kernel must reproduce ``Generator(PCG64).standard_normal`` bit for
bit, and leave the generator in the same state, over millions of draws (so that the ~1 % of
draws that take the wedge test and the tail beyond r = 3.654 are exercised, not only the fast
path); other bit generators go to numpy unchanged.
"""
import numpy as np
import pytest

from expressivity import _fast_normal, networks

R_TAIL = 3.6541528853610088   # the ziggurat's base-strip edge (Marsaglia and Tsang 2000)


@pytest.mark.parametrize("seed", [0, 12345])
def test_bit_identical_stream_and_state(seed):
    a, b = np.random.default_rng(seed), np.random.default_rng(seed)
    out = np.empty((1000, 1000))
    tail = 0
    for _ in range(3):
        ref = a.standard_normal((1000, 1000))
        _fast_normal.standard_normal_into(b, out)
        np.testing.assert_array_equal(out, ref)
        tail += int(np.sum(np.abs(ref) > R_TAIL))
    assert a.bit_generator.state == b.bit_generator.state
    assert tail > 100   # expected ~780: the tail branch really ran
    # and the streams go on together, through numpy's other draws
    np.testing.assert_array_equal(a.random(5), b.random(5))
    np.testing.assert_array_equal(a.standard_normal(7), b.standard_normal(7))


def test_odd_sizes_and_fallbacks():
    for shape in [(1,), (3,), (257, 3)]:
        a, b = np.random.default_rng(9), np.random.default_rng(9)
        out = np.empty(shape)
        _fast_normal.standard_normal_into(b, out)
        np.testing.assert_array_equal(out, a.standard_normal(shape))
        assert a.bit_generator.state == b.bit_generator.state
    # other bit generators: numpy draws, same stream
    a, b = np.random.Generator(np.random.Philox(4)), np.random.Generator(np.random.Philox(4))
    out = np.empty(10 ** 5)
    _fast_normal.standard_normal_into(b, out)
    np.testing.assert_array_equal(out, a.standard_normal(10 ** 5))
    with pytest.raises(TypeError, match="out"):
        _fast_normal.standard_normal_into(a, np.empty((4, 4))[:, ::2])
    with pytest.raises(TypeError, match="out"):
        _fast_normal.standard_normal_into(a, np.empty(4, dtype=np.float32))


def test_draw_layers_match_plain_numpy_draws():
    """Large layers (the compiled path) and small ones (numpy) draw exactly what the plain
    numpy recipe W = N(0,1) * sqrt(sigma_w2 / fan_in), b = N(0,1) * sqrt(sigma_b2) draws."""
    widths = [300, 300, 20]
    rng = np.random.default_rng(3)
    ref = []
    fan_in = 500
    for n in widths:
        W = rng.standard_normal((n, fan_in)) * np.sqrt(2.0 / fan_in)
        ref.append((W, rng.standard_normal(n) * np.sqrt(0.1)))
        fan_in = n
    for reuse in (False, True):
        got = [(W.copy(), b) for W, b in networks.draw_layers(np.random.default_rng(3), 500, widths,
                                                              2.0, 0.1, reuse=reuse)]
        for (W, b), (Wr, br) in zip(got, ref):
            np.testing.assert_array_equal(W, Wr)
            np.testing.assert_array_equal(b, br)


def test_scale_is_one_rounding_of_the_product():
    """scale * N(0,1) in the kernel == numpy's draw followed by out *= scale, bit for bit."""
    a, b = np.random.default_rng(21), np.random.default_rng(21)
    s = np.sqrt(6.25 / 1000)
    ref = a.standard_normal((500, 300))
    ref *= s
    out = np.empty((500, 300))
    _fast_normal.standard_normal_into(b, out, s)
    np.testing.assert_array_equal(out, ref)
