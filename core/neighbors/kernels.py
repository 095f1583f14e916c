"""numba kernels: the k-NN scan of ``core.neighbors.knn32`` and SMOTE's interpolation (imported on first use;
cached on disk by numba)."""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(nogil=True, cache=True)
def push(bv, bi, v, j):  # pragma: no cover - compiled
    """Insert value ``v`` (position ``j``) into the ascending list ``bv``/``bi``, dropping the last."""
    p = bv.shape[0] - 1
    while p > 0 and bv[p - 1] > v:
        bv[p] = bv[p - 1]
        bi[p] = bi[p - 1]
        p -= 1
    bv[p] = v
    bi[p] = j


#: ``_CTZ[(low * _DEBRUIJN) >> 58]`` is the index of the single set bit of ``low`` (de Bruijn).
_DEBRUIJN = np.uint64(0x03F79D71B4CB0A89)
_CTZ = np.zeros(64, dtype=np.int64)
with np.errstate(over="ignore"):
    for _b in range(64):
        _CTZ[((np.uint64(1) << np.uint64(_b)) * _DEBRUIJN) >> np.uint64(58)] = _b


@nb.njit(nogil=True, cache=True, inline="always")
def _lowest_bit(mask, tab):  # pragma: no cover - compiled
    """Index of the lowest set bit of a non-zero uint64."""
    return tab[((mask & (~mask + np.uint64(1))) * np.uint64(0x03F79D71B4CB0A89)) >> np.uint64(58)]


@nb.njit(nogil=True, cache=True, inline="always")
def _cold_threshold(row, nfull, groups, mins):  # pragma: no cover - compiled
    """A value above the ``groups``-th smallest of ``row[:nfull]`` (``groups`` a power of two <= 64).

    Column ``j`` of ``row`` falls in group ``j % groups``; the largest of the groups' minima is
    at least the ``groups``-th smallest value (those minima are that many distinct entries), so
    every entry up to it must be offered. Vertical minima: all SIMD, no branches.
    """
    for j in range(64):
        mins[j] = row[j]
    for s in range(64, nfull, 64):
        for j in range(64):
            v = row[s + j]
            mins[j] = v if v < mins[j] else mins[j]
    w = 64
    while w > groups:
        w //= 2
        for j in range(w):
            v = mins[j + w]
            mins[j] = v if v < mins[j] else mins[j]
    top = mins[0]
    for j in range(1, groups):
        top = mins[j] if mins[j] > top else top
    return np.float32(np.nextafter(top, np.float32(np.inf)))  # entries equal to it count too


@nb.njit(nogil=True, cache=True)
def scan_tile(tile, r0, c0, best_v, best_i, both, hint):  # pragma: no cover - compiled
    """Offer tile values to the candidate lists.

    Row ``a`` of the tile offers ``tile[a, j]`` for query ``r0 + a`` and candidate ``c0 + j``;
    with ``both`` (an off-diagonal tile of a symmetric matrix) also for query ``c0 + j`` and
    candidate ``r0 + a``, in the same pass (the two sets of lists are disjoint). Blocks of 64
    values are compared to the thresholds in one SIMD pass that builds a bit mask; only the
    set bits are visited. A row's threshold is its list's last value, or ``hint`` when lower: a
    bound of the row's L-th smallest value known from another thread's list (a larger value
    cannot be among the L smallest). A row whose list is still empty starts from a bound taken
    from this tile's own values (:func:`_cold_threshold`), so a first tile does not push most of
    its values through the list.
    """
    tab = _CTZ
    m, n = tile.shape
    L = best_v.shape[1]
    last = L - 1
    nfull = n // 64 * 64  # tiles are padded to a multiple of 64 columns
    groups = 1
    while groups < L:
        groups *= 2
    mins = np.empty(64, np.float32)
    thr = np.empty(n, np.float32)
    if both:
        for j in range(n):
            thr[j] = min(best_v[c0 + j, last], hint[c0 + j])
    for a in range(m):
        row = tile[a]
        r = r0 + a
        t = min(best_v[r, last], hint[r])
        if t == np.inf and groups <= 64 and nfull >= 64:
            t = _cold_threshold(row, nfull, groups, mins)
        for s in range(0, nfull, 64):
            mask = np.uint64(0)
            cmask = np.uint64(0)
            if both:
                for j in range(64):
                    v = row[s + j]
                    mask |= np.uint64(v < t) << np.uint64(j)
                    cmask |= np.uint64(v < thr[s + j]) << np.uint64(j)
            else:
                for j in range(64):
                    mask |= np.uint64(row[s + j] < t) << np.uint64(j)
            while mask:
                j = s + _lowest_bit(mask, tab)
                mask &= mask - np.uint64(1)
                if row[j] < t:
                    push(best_v[r], best_i[r], row[j], c0 + j)
                    t = min(t, best_v[r, last])
            while cmask:
                j = s + _lowest_bit(cmask, tab)
                cmask &= cmask - np.uint64(1)
                if row[j] < thr[j]:
                    push(best_v[c0 + j], best_i[c0 + j], row[j], r0 + a)
                    thr[j] = min(thr[j], best_v[c0 + j, last])


@nb.njit(nogil=True, cache=True)
def merge(bv1, bi1, bv2, bi2):  # pragma: no cover - compiled
    """Merge candidate lists ``bv2``/``bi2`` into ``bv1``/``bi1`` row by row."""
    n, L = bv1.shape
    for r in range(n):
        for p in range(L):
            v = bv2[r, p]
            if v < bv1[r, L - 1]:
                push(bv1[r], bi1[r], v, bi2[r, p])
            else:
                break


@nb.njit(nogil=True, cache=True)
def smote_hits(draws, k, n):  # pragma: no cover - compiled
    """Which of ``n`` seed rows SMOTE's draws (``seed row * k + neighbour column``) use."""
    hit = np.zeros(n, np.bool_)
    for i in range(draws.shape[0]):
        hit[draws[i] // k] = True
    return hit


@nb.njit(nogil=True, cache=True)
def smote_fill(X, at, idx, draws, k, nn, at_row, steps, pos, rows, seed_row, neighbor_row, alpha):  # pragma: no cover - compiled
    """SMOTE's rows ``at ..``: ``X[s] + step * (X[n] - X[s])`` and their provenance, one pass.

    Draw ``i`` picks seed ``s = idx[draws[i] // k]`` and its neighbour in column
    ``draws[i] % k + 1`` of ``nn`` (column 0, usually the row itself, is dropped as
    imbalanced-learn drops it), row ``at_row[draws[i] // k]``.
    The same three float64 operations per value as imbalanced-learn's expression, in the same
    order and without fused multiply-add (numba does not contract by default): the same bits.
    Seed and neighbour are written as original row ids (``rows[pos]``, -1 for a synthetic row).
    """
    d = X.shape[1]
    for i in range(draws.shape[0]):
        r = draws[i] // k
        s = idx[r]
        n = idx[nn[at_row[r], draws[i] - r * k + 1]]
        step = steps[i]
        o = at + i
        for f in range(d):
            a = X[s, f]
            X[o, f] = a + step * (X[n, f] - a)
        p = pos[s]
        seed_row[o] = rows[p] if p >= 0 else -1
        p = pos[n]
        neighbor_row[o] = rows[p] if p >= 0 else -1
        alpha[o] = step


@nb.njit(nogil=True, cache=True)
def row_hash(bits, mix):  # pragma: no cover - compiled
    """Per row: the sum (mod 2**64) of splitmix64(bits + column constant) over its values."""
    n, d = bits.shape
    out = np.empty(n, np.uint64)
    for i in range(n):
        h = np.uint64(0)
        for j in range(d):
            z = bits[i, j] + mix[j]
            z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            h += z ^ (z >> np.uint64(31))
        out[i] = h
    return out


@nb.njit(nogil=True, cache=True)
def sq_dists(X, q_idx, cand, out):  # pragma: no cover - compiled
    """``out[i, p] = |X[cand[i, p]] - X[q_idx[i]]|^2`` in float64, features summed in order."""
    d = X.shape[1]
    for i in range(cand.shape[0]):
        q = q_idx[i]
        for p in range(cand.shape[1]):
            c = cand[i, p]
            acc = 0.0
            for f in range(d):
                diff = X[c, f] - X[q, f]
                acc += diff * diff
            out[i, p] = acc




#: Set once this module has run: numba and the kernels are loaded (see ``npkernels.numba_loaded``).
READY = True
