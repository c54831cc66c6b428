"""One compiled pass of Adam over a flat float buffer (used by :class:`optim.AdamInPlace`).

The numpy form of the update walks the parameters about twelve times (g^2, v, m, sqrt, divide,
...); for the 0.4 M-parameter critic + baseline of the MI benchmark that is a third of a
training step. This kernel does the same float arithmetic, in the same order and the same
dtype (every scalar is passed in the buffer's dtype, as ``AdamInPlace._update`` uses them),
in one read-only pass for the NaN check and one pass for the update, so its result is
bit-identical to the numpy form.

Imported lazily: ``import expressivity.autodiff`` does not import numba.
"""
import numpy as np
from numba import njit


@njit(cache=True, nogil=True, error_model="numpy")  # (no zero-division branch: vectorises)
def adam_flat(g, m, v, tmp, a1, a2, lr_t, eps_t, clip):
    """v += a2 (g^2 - v); m += a1 (g - m); tmp = lr_t m / (sqrt(v) + eps_t), with g clipped
    to [-clip, clip] (so g^2 stays finite). Returns False, and changes nothing, if g holds NaN."""
    n = g.size
    bad = False
    for i in range(n):
        bad |= g[i] != g[i]
    if bad:
        return False
    for i in range(n):
        gi = g[i]
        if gi > clip:
            gi = clip
        elif gi < -clip:
            gi = -clip
        vi = v[i] + a2 * (gi * gi - v[i])
        mi = m[i] + a1 * (gi - m[i])
        v[i] = vi
        m[i] = mi
        tmp[i] = (mi / (np.sqrt(vi) + eps_t)) * lr_t
    return True
