"""numba kernels behind the tables (compiled once, cached on disk)."""
import math

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def hermite_projections(f, z, kmax):
    """sum_i f_i h_k(z_i) for k = 0..kmax, h_k = He_k/sqrt(k!) (three-term recurrence).

    The recurrence runs over k for all nodes at once (no dependency chain across nodes, so the
    loop vectorises); each out[k] still sums its nodes in index order, as a loop over nodes
    would, so the result does not depend on the loop order."""
    keep = f != 0.0
    zk = z[keep]
    fk = f[keep]
    n = zk.shape[0]
    out = np.zeros(kmax + 1)
    hm = np.zeros(n)
    h = np.ones(n)
    hn = np.empty(n)
    s = 0.0
    for i in range(n):
        s += fk[i]
    out[0] = s
    for k in range(kmax):
        a = math.sqrt(k)
        c = math.sqrt(k + 1.0)
        s = 0.0
        for i in range(n):
            v = (zk[i] * h[i] - a * hm[i]) / c
            hn[i] = v
            s += fk[i] * v
        out[k + 1] = s
        hm, h, hn = h, hn, hm
    return out
