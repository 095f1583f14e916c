"""numpy twins of the numba kernels (:mod:`core.neighbors.kernels`), for jobs too small to pay numba's start.

numba's first kernel call in a process costs about 0.6 s on a 2-core machine (its import, its
typing and lowering registries, and the SciPy import it makes to check for BLAS) before any
work is done: more than the whole k-NN search of a 60,000-row catalog. A process that has not
loaded numba yet therefore searches small jobs with these functions (:func:`use_numba`). They
give the same answers: SMOTE's rows and the row hashes bit for bit (the same float64 and uint64
operations in the same order, no fused multiply-add), and the candidate lists of
:func:`candidates` hold each row's ``L`` smallest float32 values as the tile scan does (they go
through the same float64 proof afterwards, so the neighbours found are the same either way).
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

#: k-NN work (query rows x fitted rows x (features + 2), the multiply-adds of the products) from
#: which a process that has not loaded numba yet loads it: below, numpy's search costs less than
#: numba's start (0.6 s). Measured at 18 columns: numba 1.3 ns per distance once loaded (it
#: computes half the products of a full query), numpy 1.8-2.4 ns; with hundreds of features the
#: products dominate both, and numba's half of them wins sooner.
NUMBA_MIN_WORK = 10_000_000_000
#: Cells of one tile of the numpy search (float32: 16 MB): rows of a block times a chunk of columns.
BLOCK_CELLS = 4_000_000
#: Rows of a block and columns of a chunk (at most) of the numpy search.
ROW_BLOCK = 1024
COL_CHUNK = 8192
#: Rows per chunk of the row-wise numpy kernels (bounded temporaries).
CHUNK = 1 << 16
#: Synthetic rows per chunk of :func:`smote_fill` (two 1 MB buffers at 16 features: in cache).
FILL_CHUNK = 8192


def numba_loaded() -> bool:
    """Whether this process has the numba kernels (the app warms them up in the background)."""
    return getattr(sys.modules.get("core.neighbors.kernels"), "READY", False)


def use_numba(work: float) -> bool:
    """Whether a search of ``work`` multiply-adds (:data:`NUMBA_MIN_WORK`) runs on the numba
    kernels: always once they are loaded, else only when it is large enough to repay their start."""
    return numba_loaded() or work >= NUMBA_MIN_WORK


def load_for(work: float) -> None:
    """Load the numba kernels now when a job's whole k-NN work (the sum over its searches) repays
    their start, so each of its searches uses them (a search alone may be small: 2,000 classes)."""
    if not numba_loaded() and work >= NUMBA_MIN_WORK:
        import core.neighbors.kernels  # noqa: F401  (sets READY)


def smote_hits(draws: np.ndarray, k: int, n: int) -> np.ndarray:
    """Which of ``n`` seed rows SMOTE's draws (``seed row * k + neighbour column``) use."""
    hit = np.zeros(n, dtype=bool)
    hit[np.asarray(draws, dtype=np.int64) // k] = True
    return hit


def smote_fill(X, at, idx, draws, k, nn, at_row, steps, pos, rows, seed_row, neighbor_row, alpha) -> None:
    """:func:`core.neighbors.kernels.smote_fill` in numpy: the same three float64 operations
    per value (``a + step * (b - a)``; a product does not depend on the order of its factors),
    so the same bits; in chunks small enough for the cache, into two reused buffers."""
    a = np.empty((FILL_CHUNK, X.shape[1]), dtype=X.dtype)
    b = np.empty_like(a)
    for lo in range(0, len(draws), FILL_CHUNK):
        d = draws[lo : lo + FILL_CHUNK]
        r = d // k
        s = idx[r]
        n = idx[nn[at_row[r], d - r * k + 1]]
        step, m = steps[lo : lo + FILL_CHUNK], len(d)
        np.take(X, s, axis=0, out=a[:m])
        np.take(X, n, axis=0, out=b[:m])
        b[:m] -= a[:m]
        b[:m] *= step[:, None]
        np.add(a[:m], b[:m], out=X[at + lo : at + lo + m])
        for src, out in ((s, seed_row), (n, neighbor_row)):
            p = pos[src]
            out[at + lo : at + lo + m] = np.where(p >= 0, rows[np.maximum(p, 0)], -1)
        alpha[at + lo : at + lo + m] = step


_C1 = np.uint64(0xBF58476D1CE4E5B9)
_C2 = np.uint64(0x94D049BB133111EB)


def row_hash(bits: np.ndarray, mix: np.ndarray) -> np.ndarray:
    """Per row: the sum (mod 2**64) of splitmix64(bits + column constant) over its values."""
    out = np.empty(len(bits), dtype=np.uint64)
    for lo in range(0, len(bits), CHUNK):
        z = bits[lo : lo + CHUNK] + mix[None, :]
        z = (z ^ (z >> np.uint64(30))) * _C1
        z = (z ^ (z >> np.uint64(27))) * _C2
        z ^= z >> np.uint64(31)
        out[lo : lo + CHUNK] = z.sum(axis=1, dtype=np.uint64)
    return out


def sq_dists(X: np.ndarray, q_idx: np.ndarray, cand: np.ndarray, out: np.ndarray) -> None:
    """``out[i, p] = |X[cand[i, p]] - X[q_idx[i]]|^2`` in float64, features summed in order
    (a running sum, as the numba kernel adds them one by one from 0.0: the same bits); whole rows
    are gathered, in chunks of at most ``BLOCK_CELLS`` values."""
    m, L = cand.shape
    d = X.shape[1]
    step = max(1, BLOCK_CELLS // max(L * d, 1))
    for lo in range(0, m, step):
        diff = X[cand[lo : lo + step]] - X[q_idx[lo : lo + step]][:, None, :]
        diff *= diff
        out[lo : lo + step] = np.cumsum(diff, axis=2)[:, :, -1] if d else 0.0


def candidates(A: np.ndarray, Bt: np.ndarray, L: int, *, threads: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The ``L`` smallest values of every row of ``A @ Bt.T`` (float32), ascending, and their columns
    (``Bt`` row-major, one row per column of the product: built without a transposed copy).

    Per block of rows: a bound per row (its ``L``-th smallest value among the first 1,024
    columns: at least ``L`` values are at most that), then, chunk of columns by chunk, the
    products and the values under the bound (about ``L * columns / 1,024`` per row), sorted at
    the end. Blocks of rows times chunks of columns keep each product in cache-sized tiles (a
    chunk of ``B`` serves every row of the block). Blocks run on ``threads`` threads (numpy
    releases the GIL in the heavy calls).
    """
    m, n = A.shape[0], Bt.shape[0]
    head = min(n, max(1024, L))
    chunk = max(COL_CHUNK, head)  # the first chunk holds the first `head` columns
    rows = max(1, min(ROW_BLOCK, BLOCK_CELLS // max(min(n, chunk), 1)))
    vals = np.empty((m, L), dtype=np.float32)
    cols = np.empty((m, L), dtype=np.int64)

    def block(r0: int) -> None:
        a = A[r0 : r0 + rows]
        bound = None
        found_r, found_c, found_v = [], [], []
        for c0 in range(0, n, chunk):
            T = a @ Bt[c0 : c0 + chunk].T
            if bound is None:
                bound = np.partition(T[:, :head], L - 1, axis=1)[:, L - 1]
            flat = np.flatnonzero(T <= bound[:, None])
            r, c = np.divmod(flat, T.shape[1])
            found_r.append(r)
            found_c.append(c + c0)
            found_v.append(T.ravel()[flat])
        r, c, v = np.concatenate(found_r), np.concatenate(found_c), np.concatenate(found_v)
        # by row, then value, then column (chunks in column order, kept by a stable sort)
        order = np.argsort((r.astype(np.uint64) << np.uint64(32)) | _sortable(v), kind="stable")
        r, c, v = r[order], c[order], v[order]
        take = np.searchsorted(r, np.arange(len(a)))[:, None] + np.arange(L)
        vals[r0 : r0 + len(a)] = v[take]
        cols[r0 : r0 + len(a)] = c[take]

    starts = range(0, m, rows)
    if threads > 1 and len(starts) > 1:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(block, starts))
    else:
        for r0 in starts:
            block(r0)
    return vals, cols


def _sortable(v: np.ndarray) -> np.ndarray:
    """float32 values as uint64 integers in the same order (IEEE bits, negatives flipped)."""
    bits = v.view(np.uint32)
    return np.where(bits >> np.uint32(31), ~bits, bits | np.uint32(0x80000000)).astype(np.uint64)
