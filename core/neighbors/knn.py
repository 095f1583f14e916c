"""Fast exact k-nearest-neighbour helpers (euclidean, dense float64).

Brute force in blocks (scikit-learn's search for 4,000+ fitted rows): candidate neighbours come from squared distances computed as
``||a||^2 + ||b||^2 - 2 a.b`` (one matrix product per block of ~2048 query rows), then the
candidates are re-scored with the exact sum of squared differences (feature by feature, the
order a kd-tree uses) and sorted by ``(distance, not self, index)``. The answer is therefore the
same as scikit-learn's ``NearestNeighbors`` up to the order of exactly tied distances, and a
query row that is also a fitted row always comes first among its zero-distance ties.
"""

from __future__ import annotations

import contextlib
import functools

import numpy as np

from core.neighbors import knn32, npkernels
from core.params import Interval, check

#: Query rows per block at most (memory: block x n_fit float64, also capped by BLOCK_CELLS).
BLOCK_ROWS = 2048
#: Cells of one block of the distance matrix (4M float64 = 32 MB).
BLOCK_CELLS = 4_000_000
#: From this many fitted rows, candidates come from scikit-learn's search instead of brute force.
KDTREE_MIN_ROWS = 4000
#: Extra candidates re-scored exactly beyond k, to absorb rounding of the fast formula.
_MARGIN = 4


def _exact_sq(query: np.ndarray, fit: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """Exact squared distances from each query row to its candidate fitted rows."""
    out = np.zeros(cand.shape, dtype=np.float64)
    for j in range(query.shape[1]):
        diff = fit[cand, j] - query[:, j][:, None]
        out += diff * diff
    return out


@functools.cache
def _controller():
    from threadpoolctl import ThreadpoolController  # scikit-learn's own dependency

    return ThreadpoolController()


def _one_thread_if_one_chunk(n_rows: int):
    """One OpenMP thread for a scikit-learn brute k-NN over at most one chunk of rows, else no limit.

    Within one chunk scikit-learn computes the same distances in the same order whatever the thread
    count (so ties break the same way: tested), and a thread pool woken per call is what costs: 200
    per-class queries of 6-200 rows took 23 s with two threads and 0.7 s with one on a loaded 2-core
    machine.
    """
    from sklearn import get_config

    if n_rows <= get_config()["pairwise_dist_chunk_size"]:
        return _controller().limit(limits=1, user_api="openmp")
    return contextlib.nullcontext()


def _check_k(k: int, avail: int, name: str) -> int:
    """``k`` as an int in ``1..avail`` (the rows that can be neighbours)."""
    return check(k, Interval("int", 1, avail), name=name, where="k-NN: ", hint=f"{avail} rows can be neighbours.")


def kneighbors(
    X: np.ndarray,
    k: int,
    *,
    query: np.ndarray | None = None,
    query_index: np.ndarray | None = None,
    exclude_self: bool = False,
    block_rows: int = BLOCK_ROWS,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest fitted rows of every query row.

    Parameters
    ----------
    X : ndarray of shape (n, d)
        Fitted rows.
    k : int
        Neighbours wanted (at most ``n``, or ``n - 1`` when ``exclude_self``).
    query : ndarray of shape (m, d), optional
        Query rows; default ``X`` itself (then ``query_index`` is ``arange(n)``).
    query_index : ndarray of shape (m,), optional
        Position in ``X`` of each query row (-1 when it is not a fitted row). Used to put a row
        first among its zero-distance ties, or to leave it out with ``exclude_self``.
    exclude_self : bool
        Leave each query row's own position out of its neighbours.
    block_rows : int
        Query rows per block.

    Returns
    -------
    distances : ndarray of shape (m, k)
        Euclidean distances, ascending.
    indices : ndarray of shape (m, k)
        Positions in ``X``.
    """
    X = np.asarray(X, dtype=np.float64)
    query, query_index = _queries(X, query, query_index)
    m, n = len(query), len(X)
    avail = n - 1 if exclude_self else n
    k = _check_k(k, avail, "k")
    n_cand = min(n, k + _MARGIN + (1 if exclude_self else 0))
    out_d = np.empty((m, k), dtype=np.float64)
    out_i = np.empty((m, k), dtype=np.int64)
    cand_all = None
    if n >= KDTREE_MIN_ROWS and n_cand < n and m:
        # large inputs: candidates from a proven float32 search where scikit-learn would brute-force
        # in float64, else (and for the rows it cannot prove) from scikit-learn's multi-threaded
        # search (kd-tree in low dimensions); the exact re-scoring below decides
        cand_all = _large_candidates(X, query, k + (1 if exclude_self else 0), n_cand)
        block_rows = max(block_rows, 8192)
    else:
        block_rows = max(16, min(block_rows, BLOCK_CELLS // max(n, 1)))
        brute = _BruteCandidates(X, n_cand)
    for start in range(0, m, block_rows):
        stop = min(start + block_rows, m)
        q = query[start:stop]
        cand = brute.of(q) if cand_all is None else cand_all[start:stop]
        out_d[start:stop], out_i[start:stop] = _rank(q, query_index[start:stop], X, cand, k, exclude_self)
    return out_d, out_i


def _large_candidates(X: np.ndarray, query: np.ndarray, K: int, n_cand: int) -> np.ndarray:
    """``n_cand`` candidate rows per query row holding its true ``K`` nearest (:func:`kneighbors`)."""
    cand = ok = None
    if X.shape[1] > 15 and np.isfinite(X).all() and np.isfinite(query).all():
        cand, ok = knn32.query_candidates(X, query, K, n_cand)
        if ok.all():
            return cand
    from sklearn.neighbors import NearestNeighbors

    rest = np.arange(len(query)) if ok is None else np.flatnonzero(~ok)
    got = NearestNeighbors(n_neighbors=n_cand).fit(X).kneighbors(query[rest], return_distance=False)
    if cand is None:
        return got
    cand[rest] = got
    return cand


def _queries(X: np.ndarray, query: np.ndarray | None, query_index: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Query rows (default ``X``) and the position in ``X`` of each (-1: not a fitted row)."""
    if query is None:
        query = X
        if query_index is None:
            query_index = np.arange(len(X))
    query = np.asarray(query, dtype=np.float64)
    if query_index is None:
        query_index = np.full(len(query), -1, dtype=np.int64)
    return query, np.asarray(query_index, dtype=np.int64)


class _BruteCandidates:
    """The ``n_cand`` fitted rows nearest each query row by the fast formula (every row when that is all)."""

    def __init__(self, X: np.ndarray, n_cand: int) -> None:
        self.n, self.n_cand = len(X), n_cand
        self.sq_fit = np.einsum("ij,ij->i", X, X)
        self.XT = np.ascontiguousarray(X.T)

    def of(self, q: np.ndarray) -> np.ndarray:
        if self.n_cand >= self.n:
            return np.broadcast_to(np.arange(self.n), (len(q), self.n)).copy()
        # ranking per row needs only ||b||^2 - 2ab (||a||^2 is constant along a row)
        d2 = q @ self.XT
        d2 *= -2.0
        d2 += self.sq_fit[None, :]
        return np.argpartition(d2, self.n_cand - 1, axis=1)[:, : self.n_cand]


def _rank(q: np.ndarray, qi: np.ndarray, X: np.ndarray, cand: np.ndarray, k: int,
          exclude_self: bool) -> tuple[np.ndarray, np.ndarray]:
    """Candidates re-scored exactly and sorted by ``(distance, not self, index)``; the ``k`` first."""
    exact = _exact_sq(q, X, cand)
    is_self = cand == qi[:, None]
    if exclude_self:
        exact = np.where(is_self, np.inf, exact)
    # sort by (distance, not self, index): lexsort keys, last is primary
    order = np.lexsort((cand, ~is_self, exact), axis=1)[:, :k]
    return np.sqrt(np.take_along_axis(exact, order, axis=1)), np.take_along_axis(cand, order, axis=1)


def sklearn_kneighbors(X: np.ndarray, n_neighbors: int, *, query: np.ndarray | None = None,
                       threads: int | None = None) -> np.ndarray:
    """Neighbour positions exactly as scikit-learn's ``NearestNeighbors`` orders them.

    Each query row's own position is among its neighbours (usually first, but scikit-learn does
    not promise that among exactly tied rows). Cleaning methods use this so that the rows they
    keep are identical to imbalanced-learn's, ties included; one call serves every class.
    With more than 15 features and no separate ``query``, ``knn32`` answers (same neighbours,
    same order) on ``threads`` threads (default: every core).
    """
    X = np.asarray(X, dtype=np.float64)
    n_neighbors = _check_k(n_neighbors, len(X), "n_neighbors")
    if query is None and knn32.applies(X, n_neighbors) and np.isfinite(X).all():
        return _proven_or_sklearn(X, n_neighbors, None, threads)
    from sklearn.neighbors import NearestNeighbors  # imported where it answers (~1 s of a short job)

    nn = NearestNeighbors(n_neighbors=n_neighbors).fit(X)
    with _one_thread_if_one_chunk(max(len(X), 0 if query is None else len(query))):
        return nn.kneighbors(X if query is None else query, return_distance=False)


#: When rows with an exact twin (tied neighbours: scikit-learn must order them) fall in more
#: than this share of scikit-learn's query chunks, scikit-learn answers everything directly.
MAX_TWIN_CHUNKS = 0.6


_MIX = np.random.default_rng(20261128).integers(1, 2**63, size=4096, dtype=np.uint64)


def _twin_rows(X: np.ndarray) -> np.ndarray:
    """Whether each row has an exact twin (same bits in every feature).

    Each value's bits plus a per-column constant go through splitmix64's finaliser and a row's
    hash is their sum (mod 2**64); rows are then sorted by hash. A collision only sends more
    work to scikit-learn, never a wrong answer.
    """
    n, d = X.shape
    if n < 2:
        return np.zeros(n, dtype=bool)
    if npkernels.use_numba(float(n) * d):
        from core.neighbors.kernels import row_hash
    else:
        row_hash = npkernels.row_hash
    bits = np.ascontiguousarray(X, dtype=np.float64).view(np.uint64)
    h = row_hash(bits, np.ascontiguousarray(_MIX[np.arange(d) % len(_MIX)]))
    order = np.argsort(h, kind="stable")
    same = h[order][1:] == h[order][:-1]
    twin = np.zeros(n, dtype=bool)
    twin[1:] |= same
    twin[:-1] |= same
    out = np.empty(n, dtype=bool)
    out[order] = twin
    return out


def _sklearn_chunks(n: int) -> int:
    """Query rows per chunk when scikit-learn splits a full query over query rows (0: it does not)."""
    from sklearn import get_config
    from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

    chunk = get_config()["pairwise_dist_chunk_size"]
    return chunk if 4 * chunk * _openmp_effective_n_threads() < n else 0


def _proven_or_sklearn(X: np.ndarray, K: int, rows: np.ndarray | None, threads: int | None = None) -> np.ndarray:
    """``knn32``'s float32-found, float64-proven answer; its unproven rows from scikit-learn.

    Tied rows cost a scikit-learn query of their whole chunk; when twins are spread over most
    chunks (or the set is small enough that scikit-learn answers any tie with the full query),
    scikit-learn answers directly instead, so this is never much slower than scikit-learn.
    """
    q = np.arange(len(X)) if rows is None else np.asarray(rows, dtype=np.int64)
    twins = _twin_rows(X)[q]
    if twins.any():
        chunk = _sklearn_chunks(len(X))
        spread = len(np.unique(q[twins] // chunk)) / -(-len(X) // chunk) if chunk else 1.0
        if spread > MAX_TWIN_CHUNKS:
            return _sklearn_rows(X, K, q)
    nbr, unproven = knn32.kneighbors(X, K, rows, threads=threads)
    if len(unproven) > knn32.MAX_FALLBACK_SHARE * len(nbr):
        return _sklearn_rows(X, K, np.arange(len(X)) if rows is None else rows)
    if len(unproven):
        q = unproven if rows is None else np.asarray(rows, dtype=np.int64)[unproven]
        nbr[unproven] = _sklearn_rows(X, K, q)
    return nbr


def sklearn_kneighbors_rows(X: np.ndarray, K: int, rows: np.ndarray, *, threads: int | None = None) -> np.ndarray:
    """Rows ``rows`` of ``sklearn_kneighbors(X, K)``, without querying the others.

    A kd-tree answers each query on its own. Brute force (more than 15 features) breaks ties by
    the order it scans fitted rows and by how the distances round, which depend on how it splits
    the work; asking for the split it uses when every row is a query (whole chunks of query rows,
    aligned as there) gives the same answer.
    With more than 15 features ``knn32`` answers (same neighbours, same order), on ``threads``
    threads (default: every core).
    """
    X = np.asarray(X, dtype=np.float64)
    rows = np.asarray(rows, dtype=np.int64)
    if knn32.applies(X, K) and np.isfinite(X).all():
        # every row a query costs numba's scan half the products (symmetric): cheaper above half
        # the rows; numpy's search computes every product, so it asks for the rows alone
        if 2 * len(rows) > len(X) and npkernels.use_numba(float(len(rows)) * X.size):
            return _proven_or_sklearn(X, K, None, threads)[rows]
        return _proven_or_sklearn(X, K, rows, threads)
    return _sklearn_rows(X, K, rows)


def _sklearn_rows(X: np.ndarray, K: int, rows: np.ndarray) -> np.ndarray:
    """scikit-learn's own answer for query rows ``rows`` of ``X`` (as in the full query)."""
    from sklearn.neighbors import NearestNeighbors

    nn = NearestNeighbors(n_neighbors=K).fit(X)
    if nn._fit_method != "brute":
        return nn.kneighbors(X[rows], return_distance=False)
    from sklearn import get_config
    from sklearn.metrics._pairwise_distances_reduction import ArgKmin
    from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

    # scikit-learn's "auto" for a full query (n_X == n_Y) splits over query rows only when
    # 4 * chunk * threads < n; otherwise over fitted rows. Small sets: ask the full query.
    chunk = get_config()["pairwise_dist_chunk_size"]
    if not 4 * chunk * _openmp_effective_n_threads() < len(X):
        with _one_thread_if_one_chunk(len(X)):
            return nn.kneighbors(X, return_distance=False)[rows]
    # Over query rows, each chunk of `chunk` query rows is one matrix product against each chunk
    # of fitted rows. Equal distances can round differently in another chunk layout, so ask for
    # whole chunks, aligned as in the full query: then every tie breaks as it does there.
    out = np.empty((len(rows), K), dtype=np.int64)
    ids = rows // chunk
    needed = np.unique(ids)
    runs = np.split(needed, np.flatnonzero(np.diff(needed) > 1) + 1)
    for run in runs:
        lo, hi = int(run[0]) * chunk, min((int(run[-1]) + 1) * chunk, len(X))
        got = ArgKmin.compute(X=X[lo:hi], Y=nn._fit_X, k=K, metric=nn.effective_metric_,
                              metric_kwargs=nn.effective_metric_params_, strategy="parallel_on_X",
                              return_distance=False)
        sel = (ids >= run[0]) & (ids <= run[-1])
        out[sel] = got[rows[sel] - lo]
    return out
