"""numba kernels behind the tables (compiled once, cached on disk)."""
import math

import numba
import numpy as np


@numba.njit(cache=True)
def hermite_projections(f, z, kmax):
    """sum_i f_i h_k(z_i) for k = 0..kmax, h_k = He_k/sqrt(k!) (three-term recurrence)."""
    out = np.zeros(kmax + 1)
    n = z.shape[0]
    for i in range(n):
        zi = z[i]
        fi = f[i]
        if fi == 0.0:
            continue
        hm = 0.0
        h = 1.0
        out[0] += fi
        for k in range(kmax):
            hn = (zi * h - math.sqrt(k) * hm) / math.sqrt(k + 1.0)
            hm = h
            h = hn
            out[k + 1] += fi * h
    return out
