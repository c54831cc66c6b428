"""Per-operation overhead of expressivity.autodiff (forward + backward), on tiny arrays.

A chain of N cheap elementwise operations on a 4-element float64 vector is differentiated;
the numpy cost of the same chain (forward, and a hand-written backward with the same numpy
calls the VJPs make) is timed in the same process. Overhead per recorded operation =
(engine time - numpy forward - numpy backward) / N. Target: <= 6 us.

    python benchmarks/autodiff_overhead.py
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from _bench_util import time_interleaved  # noqa: E402  (pins BLAS threads)

import numpy as np  # noqa: E402

import expressivity.autodiff.numpy as anp  # noqa: E402
from expressivity.autodiff import grad  # noqa: E402

N_BLOCKS = 50  # each block: multiply, add, tanh, multiply (4 recorded operations)
OPS = 4 * N_BLOCKS + 1  # + the final sum
c = np.array([0.9, 1.1, 0.95, 1.05])


def chain(x):
    for _ in range(N_BLOCKS):
        x = anp.tanh(x * c + 0.1) * 0.9
    return anp.sum(x)


def numpy_forward(x):
    xs = []
    for _ in range(N_BLOCKS):
        u = x * c
        v = u + 0.1
        t = np.tanh(v)
        xs.append(t)
        x = t * 0.9
    return np.sum(x), xs


def numpy_fwd_bwd(x):
    val, ts = numpy_forward(x)
    g = np.ones_like(x)
    for t in reversed(ts):
        g = g * 0.9
        g = g * (1 - t * t)
        g = g * c
    return val, g


def main():
    x = np.array([0.3, -0.2, 0.5, 0.1])
    g_engine = grad(chain)(x)
    np.testing.assert_allclose(g_engine, numpy_fwd_bwd(x)[1], rtol=1e-12)
    gfun = grad(chain)
    times = time_interleaved(
        {"numpy forward+backward": lambda: numpy_fwd_bwd(x), "engine grad": lambda: gfun(x),
         "engine forward only (plain)": lambda: chain(x)},
        n_steps=200, rounds=9)
    te, tn = times["engine grad"], times["numpy forward+backward"]
    print(f"chain of {OPS} recorded operations on a 4-vector (float64, 1 thread)")
    print(f"  numpy forward+backward        {tn * 1e6:9.1f} us  ({tn / OPS * 1e6:.2f} us/op)")
    print(f"  expressivity.autodiff grad    {te * 1e6:9.1f} us  ({te / OPS * 1e6:.2f} us/op)"
          f"   ratio vs numpy: {te / tn:.2f}x")
    print(f"  overhead per recorded operation (forward + backward): {(te - tn) / OPS * 1e6:.2f} us"
          "   (target <= 6 us)")


if __name__ == "__main__":
    main()
