"""Exact k nearest neighbours in scikit-learn's order, found in float32 and proven in float64.

scikit-learn's brute-force search (what ``NearestNeighbors`` uses above 15 features, so what
imbalanced-learn's SMOTE, Tomek links and ENN use) computes every distance in float64 and
pushes each one through a heap. Here the same search runs in three steps:

1. **Candidates in float32.** Squared distances come from one float32 matrix product per tile
   of the augmented rows ``[-2x, |x|^2, 1] . [y, 1, |y|^2]`` (centred on a median, scaled
   by a power of two so any units fit float32), and a numba kernel keeps each row's
   ``L = K + EXTRA`` smallest. A SIMD compare of 64 values at a time builds a bit mask, and
   only the set bits are visited; a row's first tile starts from a bound taken from its own
   values, so a cold list does not take most of them in. When every row is a query, only tiles
   on or above the diagonal are computed and each is read both ways in one pass (the matrix is
   symmetric). The tiles are split over threads (BLAS itself runs on
   one thread: :func:`single_threaded_blas`), each thread with its own candidate lists, merged
   at the end; the diagonal tiles go first and the best bound per row from them caps every
   thread's thresholds.
2. **A proof per row.** The float32 value of a squared distance is within
   ``2 (d + 6) u32 (|x_i| + |x_j|)^2`` of the exact one (:func:`error_bound`: rounding of the
   inputs plus a dot product of ``d + 2`` terms, any summation order). The K first candidates
   bound the true K-th distance from above; any row that could beat them lies that close to
   the query, which bounds its norm and so its rounding. If the row's L-th candidate is above
   all of that, the true K nearest are among the candidates (``_margin_ok``). They are then
   re-scored exactly in float64 and sorted. (A row with a thinner margin gets a second round
   with more candidates, then, if still thin, every distance in float64.) If every gap between
   consecutive distances up to the (K+1)-th is wider than twice the rounding error of
   scikit-learn's own float64 formula, the order is the one scikit-learn finds: it cannot
   differ without a near tie.
3. **Ties go to scikit-learn.** Rows that fail either check (exact duplicates, near ties,
   crowded margins) are answered by scikit-learn itself, with the work split exactly as it
   splits it for the full query (``knn.sklearn_kneighbors_rows``), so tied rows come back in
   its order too.

The answer is therefore identical to ``NearestNeighbors(n_neighbors=K).fit(X).kneighbors(Q)``
row for row, ties included; ``tests/core/test_knn32.py`` checks this on data built to have
duplicates, near ties and large offsets.
"""

from __future__ import annotations

import os
import threading

import numpy as np

from core.neighbors import npkernels

#: Below this many fitted rows scikit-learn's own search is used.
MIN_ROWS = 16
#: Tiles per thread at least (a thread costs more than a few small tiles).
MIN_TILES_PER_THREAD = 4
#: Candidates kept per row beyond the K asked for (the margin that proves the K).
EXTRA = 2
#: Rows and columns of one float32 tile of the distance matrix (4 MB).
TILE = 1024
#: When more than this share of rows needs scikit-learn anyway, it answers all of them.
MAX_FALLBACK_SHARE = 0.25
_U32 = float(np.finfo(np.float32).eps) / 2
_U64 = float(np.finfo(np.float64).eps) / 2
_SENTINEL = np.float32(1e30)


def _kernels():
    """The numba kernels (``core/neighbors/kernels.py``), imported and compiled on first use."""
    from core.neighbors import kernels as k

    return k.scan_tile, k.merge


def applies(X: np.ndarray, K: int) -> bool:
    """Whether this search is used: dense float rows, scikit-learn would brute-force, enough rows."""
    return (
        isinstance(X, np.ndarray) and X.ndim == 2 and X.shape[1] > 15
        and len(X) >= MIN_ROWS and K + EXTRA < len(X)
    )


_BLAS_LOCK = threading.Lock()
_BLAS_SINGLE = False


def single_threaded_blas() -> None:
    """Set every loaded BLAS to one thread, for the rest of the process (once).

    The search runs its own threads, each calling BLAS on its tiles; a multi-threaded BLAS
    under them oversubscribes the cores (100k rows: 2.7 s instead of 1.6 s). The limit is not
    lifted afterwards: lifting a process-wide limit while other threads run BLAS under their
    own limits (scikit-learn sets one around its k-NN) loses updates, and OpenBLAS sometimes
    ignores a raise of its thread count right after threaded calls. One thread is also no
    slower for the rest of the app on this kind of machine (feature building at 100k rows:
    1.8 s with one BLAS thread, 2.1-2.7 s with two); Skewlab parallelises its own work.
    """
    global _BLAS_SINGLE
    with _BLAS_LOCK:
        if not _BLAS_SINGLE:
            from threadpoolctl import ThreadpoolController

            ThreadpoolController().limit(limits=1, user_api="blas")
            _BLAS_SINGLE = True


def worker_threads() -> int:
    """Threads a search uses: SKEWLAB_KNN_THREADS, else the cores this process may run on (<= 8)."""
    env = os.environ.get("SKEWLAB_KNN_THREADS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, min(len(os.sched_getaffinity(0)), 8))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, min(os.cpu_count() or 1, 8))


def unit(Xc: np.ndarray) -> float:
    """The power of two that brings the largest centred value near 1 (scaling by it is exact).

    float32 then neither overflows nor underflows, whatever the units of the features;
    :func:`candidates` returns values and bounds in these scaled units (squared: ``unit ** 2``).
    """
    top = float(np.abs(Xc).max()) if Xc.size else 0.0
    return float(2.0 ** -np.ceil(np.log2(top))) if top > 0 and np.isfinite(top) else 1.0


#: Rows (at most) whose median centres the search.
CENTRE_ROWS = 1024


def centre(X: np.ndarray) -> np.ndarray:
    """Median of every feature over at most ``CENTRE_ROWS`` evenly spaced rows.

    The error bound grows with the norms, so the bulk of the rows must sit near zero for thin
    margins to be provable, and one far row must not pull it away (a mean would). Any centre is
    correct (the bounds use the centred rows' own norms); a sample's median is as good as the
    whole column's and costs nothing next to the search.
    """
    step = max(1, -(-len(X) // CENTRE_ROWS))
    return np.median(X[::step], axis=0)


def candidates(X: np.ndarray, L: int, rows: np.ndarray | None = None, *, threads: int | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The ``L`` smallest float32 squared distances of each query row (numba's tile scan; numpy's
    search when numba's start would cost more: :func:`npkernels.use_numba`).

    Returns ``(values (m, L) float32 ascending, positions (m, L) int64, norms (n,) float64, u)``:
    values in units scaled by ``u ** 2`` (``u = unit(X - centre(X))``), norms of the centred scaled
    rows (for :func:`error_bound`); queries are ``X[rows]`` (default: every row)."""
    n, d = X.shape
    Xc = X - centre(X)
    u = unit(Xc)
    Xc *= u
    sq = np.einsum("ij,ij->i", Xc, Xc)
    sym = rows is None
    q_idx = np.arange(n) if sym else np.asarray(rows, dtype=np.int64)
    m = len(q_idx)
    if not npkernels.use_numba(float(m) * n * (d + 2)):
        return (*_numpy_candidates(Xc, sq, q_idx, L, threads), np.sqrt(sq), u)
    scan_tile, merge = _kernels()
    n_pad = -(-n // 64) * 64
    B = np.zeros((d + 2, n_pad), dtype=np.float32)
    B[:d, :n] = Xc.T
    B[d, :n] = 1.0
    B[d + 1, :n] = sq
    B[d + 1, n:] = _SENTINEL
    m_pad = n_pad if sym else m
    A = np.zeros((m_pad, d + 2), dtype=np.float32)
    A[:m, :d] = -2.0 * Xc[q_idx]
    A[:m, d] = sq[q_idx]
    A[:m, d + 1] = 1.0
    A[m:, d] = _SENTINEL
    tile = TILE
    q_blocks = range(0, m_pad, tile)
    f_blocks = range(0, n_pad, tile)
    # phase 1: one tile per block of query rows (the diagonal one when symmetric) fills every
    # list; phase 2: the other tiles, each row's threshold capped by its best list of phase 1
    # (threads keep their own lists, so this shares what one thread learnt with the others)
    if sym:
        first = [(r0, r0) for r0 in q_blocks]
        rest = [(r0, c0) for r0 in q_blocks for c0 in f_blocks if c0 > r0]
    else:
        first = [(r0, 0) for r0 in q_blocks]
        rest = [(r0, c0) for r0 in q_blocks for c0 in f_blocks if c0 > 0]
    n_threads = max(1, min(threads or worker_threads(), (len(first) + len(rest)) // MIN_TILES_PER_THREAD))
    best = [(np.full((m_pad, L), np.inf, dtype=np.float32), np.full((m_pad, L), -1, dtype=np.int64))
            for _ in range(n_threads)]
    hint = np.full(m_pad, np.inf, dtype=np.float32)
    errors: list[BaseException] = []

    def work(tid: int, tasks: list) -> None:
        try:
            bv, bi = best[tid]
            buf = np.empty(min(tile, m_pad) * min(tile, n_pad), dtype=np.float32)  # every tile's product, in turn
            for t in range(tid, len(tasks), n_threads):
                r0, c0 = tasks[t]
                a, b = A[r0 : r0 + tile], B[:, c0 : c0 + tile]
                T = np.matmul(a, b, out=buf[: a.shape[0] * b.shape[1]].reshape(a.shape[0], b.shape[1]))
                scan_tile(T, r0, c0, bv, bi, sym and c0 != r0, hint)
        except BaseException as exc:  # pragma: no cover - re-raised below
            errors.append(exc)

    single_threaded_blas()
    for phase in (first, rest):
        if n_threads == 1:
            work(0, phase)
        else:
            pool = [threading.Thread(target=work, args=(t, phase), daemon=True) for t in range(n_threads)]
            for th in pool:
                th.start()
            for th in pool:
                th.join()
        if phase is first and n_threads > 1:
            np.minimum.reduce([bv[:, L - 1] for bv, _ in best], out=hint)
    if errors:
        raise errors[0]
    bv, bi = best[0]
    for ov, oi in best[1:]:
        merge(bv, bi, ov, oi)
    bv, bi = bv[:m], bi[:m]
    return bv, bi, np.sqrt(sq), u


def _numpy_candidates(Xc: np.ndarray, sq: np.ndarray, q_idx: np.ndarray, L: int, threads: int | None
                      ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`candidates`' lists from numpy (:func:`npkernels.candidates`): the same augmented
    float32 rows, every product computed (no symmetric half), the same ``L`` smallest per row."""
    n, d = Xc.shape
    Bt = np.empty((n, d + 2), dtype=np.float32)
    Bt[:, :d], Bt[:, d], Bt[:, d + 1] = Xc, 1.0, sq
    A = np.empty((len(q_idx), d + 2), dtype=np.float32)
    A[:, :d], A[:, d], A[:, d + 1] = -2.0 * Xc[q_idx], sq[q_idx], 1.0
    single_threaded_blas()
    return npkernels.candidates(A, Bt, L, threads=threads or worker_threads())


def _exact_sq(X: np.ndarray, q_idx: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """Exact float64 squared distances of query rows ``q_idx`` to their candidates."""
    if npkernels.numba_loaded():
        from core.neighbors.kernels import sq_dists
    else:
        sq_dists = npkernels.sq_dists
    out = np.empty(cand.shape, dtype=np.float64)
    sq_dists(np.ascontiguousarray(X, dtype=np.float64), np.ascontiguousarray(q_idx, dtype=np.int64),
             np.ascontiguousarray(cand, dtype=np.int64), out)
    return out


def _exact_all(X: np.ndarray, q_idx: np.ndarray, L: int, cells: int = 4_000_000) -> tuple[np.ndarray, np.ndarray]:
    """The ``L`` smallest exact float64 squared distances of a few query rows to every row."""
    n = len(X)
    out_d = np.empty((len(q_idx), L), dtype=np.float64)
    out_i = np.empty((len(q_idx), L), dtype=np.int64)
    step = max(1, cells // n)
    for lo in range(0, len(q_idx), step):
        q = X[q_idx[lo : lo + step]]
        D = np.zeros((len(q), n), dtype=np.float64)
        for f in range(X.shape[1]):
            diff = X[:, f][None, :] - q[:, f][:, None]
            D += diff * diff
        idx = np.argpartition(D, L - 1, axis=1)[:, :L]
        out_i[lo : lo + len(q)] = idx
        out_d[lo : lo + len(q)] = np.take_along_axis(D, idx, axis=1)
    return out_d, out_i


def _sklearn_tol(d: int, a, b):
    """Bound of the rounding of scikit-learn's float64 ``|a|^2 - 2a.b + |b|^2`` (raw norms), doubled."""
    return 4.0 * (d + 4) * _U64 * (a + b) ** 2


def _prove(X: np.ndarray, q_idx: np.ndarray, cand: np.ndarray, K: int, raw_norms: np.ndarray,
           beyond: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Re-score candidates exactly and sort them; returns ``(nbr, proven)``.

    A row is proven when scikit-learn's float64 rounding cannot reorder its K nearest nor let
    anything else in: every gap between consecutive candidates up to the (K+1)-th is wider
    than both their rounding bounds, and every row outside the candidates, known to be farther
    than ``beyond`` (raw squared units), stays farther than the K-th even after rounding.
    """
    d = X.shape[1]
    exact = _exact_sq(X, q_idx, cand)
    order = np.argsort(exact, axis=1, kind="stable")
    exact = np.take_along_axis(exact, order, axis=1)
    cand = np.take_along_axis(cand, order, axis=1)
    q = raw_norms[q_idx][:, None]
    tol = _sklearn_tol(d, q, raw_norms[cand[:, : K + 1]])
    ok = np.all(np.diff(exact[:, : K + 1], axis=1) > tol[:, :-1] + tol[:, 1:], axis=1)
    with np.errstate(invalid="ignore"):
        far = beyond - _sklearn_tol(d, 2.0 * q[:, 0], np.sqrt(np.maximum(beyond, 0.0)))
    ok &= np.isinf(beyond) | (far > exact[:, K - 1] + tol[:, K - 1])
    return cand[:, :K], ok


def error_bound(norm_a, norm_b, d: int):
    """Bound of |float32 value - exact squared distance| for rows of these (centred, scaled)
    norms: rounding of the inputs plus a dot product of ``d + 2`` terms, any order, times 2."""
    return 2.0 * (d + 6) * _U32 * (norm_a + norm_b) ** 2


def _margin_ok(vals: np.ndarray, cand: np.ndarray, norms: np.ndarray, q_norms: np.ndarray, K: int, d: int
               ) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose float32 candidates provably hold their true K nearest, and ``U`` per row:
    every row outside the candidates is farther than ``U`` (scaled squared units).

    ``U`` bounds the true K-th distance from above (the K first candidates' values plus their
    own error bounds). A row outside the candidates that belonged to the true K would be within
    ``sqrt(U)`` of the query, so its norm is at most ``|q| + sqrt(U)`` and its float32 value at
    most ``U + error_bound(|q|, |q| + sqrt(U))``; the L-th candidate's value above that proves
    there is none. The bound is local: one outlying row does not loosen every row's proof.
    """
    n = len(norms)
    L = vals.shape[1]
    ok = (cand.min(axis=1) >= 0) & (cand.max(axis=1) < n)
    c = np.where(ok[:, None], cand, 0)
    q = np.asarray(q_norms, dtype=np.float64)[:, None]
    v = vals.astype(np.float64)
    U = np.max(v[:, :K] + error_bound(q, norms[c[:, :K]], d), axis=1)
    reach = np.sqrt(np.maximum(U, 0.0))
    limit = U + error_bound(q[:, 0], q[:, 0] + reach, d)
    return ok & (v[:, L - 1] > limit), U


#: Query rows x fitted rows x features that ``_exact_all`` may take on (float64, all distances).
EXACT_ALL_CELLS = 200_000_000
#: Candidates per row in the second round, for rows whose first margin was too thin.
SECOND_EXTRA = 16


def kneighbors(X: np.ndarray, K: int, rows: np.ndarray | None = None, *, threads: int | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """Neighbour positions of the proven rows, and the rows scikit-learn must answer.

    Returns ``(nbr (m, K) int64, unproven)`` where ``unproven`` holds positions in the query
    list (not in ``X``) whose rows of ``nbr`` are not filled. A row whose float32 margin is too
    thin to prove its candidates (dense clusters, such as many SMOTE rows between the same
    parents) gets a second round with ``SECOND_EXTRA`` more candidates, then, for the few left,
    every distance in float64; when there are many, they are all left to scikit-learn.
    """
    n, d = X.shape
    vals, cand, norms, u = candidates(X, K + EXTRA, rows, threads=threads)
    q_idx = np.arange(n) if rows is None else np.asarray(rows, dtype=np.int64)
    m = len(q_idx)
    raw = np.sqrt(np.einsum("ij,ij->i", X, X))  # scikit-learn rounds on the raw rows
    nbr = np.zeros((m, K), dtype=np.int64)
    proven = np.zeros(m, dtype=bool)
    found, U = _margin_ok(vals, cand, norms, norms[q_idx], K, d)
    sel = np.flatnonzero(found)
    nbr[sel], proven[sel] = _prove(X, q_idx[sel], cand[sel], K, raw, U[sel] / (u * u))
    thin = np.flatnonzero(~found)
    if len(thin) > MAX_FALLBACK_SHARE * m:
        return nbr, np.flatnonzero(~proven)
    if len(thin) and len(thin) * n * d > EXACT_ALL_CELLS // 4 and K + EXTRA + SECOND_EXTRA < n:
        v2, c2, _, _ = candidates(X, K + EXTRA + SECOND_EXTRA, q_idx[thin], threads=threads)
        f2, U2 = _margin_ok(v2, c2, norms, norms[q_idx[thin]], K, d)
        sel = thin[f2]
        nbr[sel], proven[sel] = _prove(X, q_idx[sel], c2[f2], K, raw, U2[f2] / (u * u))
        thin = thin[~f2]
    if len(thin) and len(thin) * n * d <= EXACT_ALL_CELLS:
        L = min(n, K + EXTRA)
        d3, c3 = _exact_all(X, q_idx[thin], L)
        # every other row is at least as far as the L-th (up to our own float64 rounding)
        beyond = np.max(d3, axis=1) * (1.0 - 4.0 * (d + 2) * _U64) if L < n else np.full(len(thin), np.inf)
        nbr[thin], proven[thin] = _prove(X, q_idx[thin], c3, K, raw, beyond)
    return nbr, np.flatnonzero(~proven)


def query_candidates(X: np.ndarray, Q: np.ndarray, K: int, L: int, *, threads: int | None = None
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The ``L`` fitted rows of ``X`` nearest each query row of ``Q`` (rows anywhere, not only
    rows of ``X``) by float32 distance, and whether each row's list provably holds its true ``K``
    nearest (exact float64 distances; :func:`_margin_ok`: every row outside the list is farther
    than the ``K``-th, rounding of both searches included).

    The products run in float32 on numpy (:func:`npkernels.candidates`), half the work of
    scikit-learn's float64 search; a caller re-scores the lists exactly and asks scikit-learn for
    the rows not proven.
    """
    n, d = X.shape
    c = centre(X)
    Xc, Qc = X - c, np.asarray(Q, dtype=np.float64) - c
    top = max(float(np.abs(Xc).max()) if Xc.size else 0.0, float(np.abs(Qc).max()) if Qc.size else 0.0)
    u = float(2.0 ** -np.ceil(np.log2(top))) if top > 0 and np.isfinite(top) else 1.0
    Xc *= u
    Qc *= u
    sq, sqq = np.einsum("ij,ij->i", Xc, Xc), np.einsum("ij,ij->i", Qc, Qc)
    Bt = np.empty((n, d + 2), dtype=np.float32)
    Bt[:, :d], Bt[:, d], Bt[:, d + 1] = Xc, 1.0, sq
    A = np.empty((len(Qc), d + 2), dtype=np.float32)
    A[:, :d], A[:, d], A[:, d + 1] = -2.0 * Qc, sqq, 1.0
    single_threaded_blas()
    vals, cand = npkernels.candidates(A, Bt, L, threads=threads or worker_threads())
    ok, _ = _margin_ok(vals, cand, np.sqrt(sq), np.sqrt(sqq), K, d)
    return cand, ok


def warm_up() -> None:
    """Load (or compile, the first time on a machine) the numba kernels with every signature used."""
    scan_tile, merge = _kernels()
    bv = np.full((64, 3), np.inf, dtype=np.float32)
    bi = np.full((64, 3), -1, dtype=np.int64)
    tile = np.ones((64, 64), dtype=np.float32)
    scan_tile(tile, 0, 0, bv, bi, True, np.full(64, np.inf, dtype=np.float32))
    merge(bv, bi, bv.copy(), bi.copy())
    from core.neighbors.kernels import row_hash, smote_fill, smote_hits  # SMOTE's and knn's, loaded here too

    row_hash(np.zeros((2, 2), dtype=np.uint64), np.ones(2, dtype=np.uint64))
    X = np.zeros((4, 2))
    draws = np.array([0, 1], dtype=np.int64)
    one, none = np.ones(2, dtype=np.int64), np.full(4, -1, dtype=np.int64)
    smote_hits(draws, 1, 2)
    smote_fill(X, 2, np.arange(2, dtype=np.int64), draws, 1, np.zeros((2, 2), dtype=np.int64),
               np.arange(2, dtype=np.int64), np.full(2, 0.5), one, one, none, none.copy(), np.zeros(4))
    _exact_sq(X, np.zeros(2, dtype=np.int64), np.ones((2, 2), dtype=np.int64))
