"""Recover the parents of synthetic rows made by a library that does not report them.

Borderline-SMOTE, SVM-SMOTE, KMeans-SMOTE and ADASYN (imbalanced-learn) make every synthetic row
as ``seed + alpha * (neighbour - seed)`` from two real rows of its class, but do not say which.
The geometry does: the synthetic row lies on the line through its two parents. For each synthetic
row this module tries the real rows of its class nearest to it as one end and its nearest
candidates as the other, and keeps the pair whose line passes through the row (residual below a
relative tolerance). The nearer end is reported as the seed, so ``alpha <= 0.5`` on a segment; a
negative ``alpha`` is an extrapolation (SVM-SMOTE does this for safe support vectors). Rows
whose parents cannot be found (SMOTE-NC's categorical vote) keep only their nearest real row.
"""

from __future__ import annotations

import numpy as np

#: How many nearest real rows of the class are tried as the far end, and as the near end.
CANDIDATES = 32
NEAR_ENDS = 3
#: A line "passes through" a row when the residual is below this share of the pair's distance.
RELATIVE_TOLERANCE = 1e-7


def segment_parents(
    X_class: np.ndarray, X_syn: np.ndarray, *, candidates: int = CANDIDATES, block: int = 512
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Parents of synthetic rows among the real rows of their class.

    Parameters
    ----------
    X_class : ndarray (n, d)
        Real rows of one class.
    X_syn : ndarray (m, d)
        Synthetic rows of that class.
    candidates : int
        Nearest real rows tried per synthetic row.
    block : int
        Synthetic rows handled at once (bounds memory to ``block * 3 * candidates * d`` floats).

    Returns
    -------
    seed, neighbor : ndarray (m,) int64
        Positions in ``X_class``; ``neighbor`` is -1 where no line was found, and ``seed`` is then
        the nearest real row.
    alpha : ndarray (m,) float64
        ``X_syn = X_class[seed] + alpha * (X_class[neighbor] - X_class[seed])``; NaN where not found.
    found : ndarray (m,) bool
    """
    X_class = np.asarray(X_class, dtype=np.float64)
    X_syn = np.asarray(X_syn, dtype=np.float64)
    m = len(X_syn)
    seed = np.full(m, -1, dtype=np.int64)
    neighbor = np.full(m, -1, dtype=np.int64)
    alpha = np.full(m, np.nan)
    found = np.zeros(m, dtype=bool)
    if m == 0 or len(X_class) == 0:
        return seed, neighbor, alpha, found
    k = min(candidates, len(X_class))
    from sklearn.neighbors import NearestNeighbors  # only for the rows a library made (imported on use)

    _, cand = NearestNeighbors(n_neighbors=k).fit(X_class).kneighbors(X_syn)
    seed[:] = cand[:, 0]
    if len(X_class) < 2:
        return seed, neighbor, alpha, found
    ends = min(NEAR_ENDS, k)
    for start in range(0, m, block):
        stop = min(start + block, m)
        s = X_syn[start:stop][:, None, None, :]  # (b, 1, 1, d)
        a = X_class[cand[start:stop, :ends]][:, :, None, :]  # (b, e, 1, d)
        b = X_class[cand[start:stop]][:, None, :, :]  # (b, 1, k, d)
        ab = b - a
        norm2 = np.einsum("...d,...d->...", ab, ab)
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.einsum("...d,...d->...", s - a, ab) / norm2
            resid = np.linalg.norm(s - a - t[..., None] * ab, axis=-1)
            ok = (norm2 > 0) & np.isfinite(t) & (t >= -1 - 1e-9) & (t <= 1 + 1e-9) \
                & (resid <= RELATIVE_TOLERANCE * np.sqrt(norm2) + 1e-12)
        score = np.where(ok, resid, np.inf).reshape(stop - start, -1)
        best = score.argmin(axis=1)
        hit = np.isfinite(score[np.arange(stop - start), best])
        ei, ki = np.divmod(best, k)
        rows = np.arange(start, stop)
        near = cand[rows, ei]
        far = cand[rows, ki]
        tt = t.reshape(stop - start, ends, k)[np.arange(stop - start), ei, ki]
        # report the nearer end as the seed: on a segment that makes alpha <= 0.5
        swap = hit & (tt > 0.5) & (tt <= 1 + 1e-9)
        seed_pos = np.where(swap, far, near)
        nbr_pos = np.where(swap, near, far)
        a_val = np.where(swap, 1.0 - tt, tt)
        seed[rows[hit]] = seed_pos[hit]
        neighbor[rows[hit]] = nbr_pos[hit]
        alpha[rows[hit]] = a_val[hit]
        found[rows[hit]] = True
    return seed, neighbor, alpha, found
