"""Which rows a map is fitted on and which synthetic rows it places: stratified samples that keep
every class (:func:`fit_sample`, :func:`capped_sample`)."""

from __future__ import annotations

import numpy as np

from core.data import HEAD_MIN
from core.params import SEED, check

__all__ = ["capped_sample", "fit_sample"]

#: How the map's parameters are named in messages.
WHERE = "map: "


def fit_sample(y: np.ndarray, *, cap: int, head_min: int = HEAD_MIN, seed: int = 0) -> np.ndarray:
    """Positions of a stratified sample of rows: small classes whole, head classes sampled.

    Every row of a class with at most ``head_min`` rows is kept. The rest of the budget
    (``cap`` minus those rows) is shared among head classes in proportion to their size
    (largest remainder), each head class keeping at least ``min(head_min, size)`` rows so it
    stays visible. The sample can therefore exceed ``cap`` only when the small classes and that
    floor alone do; the caller reports it.

    Parameters
    ----------
    y : ndarray (n,)
        Class of every row.
    cap : int
        Rows wanted at most.
    head_min : int
        Classes with more rows than this are head classes.
    seed : int

    Returns
    -------
    ndarray of int64
        Sorted positions.
    """
    seed = check(seed, SEED, name="seed", where=WHERE)
    y = np.asarray(y).astype(str)
    n = len(y)
    if n <= cap:
        return np.arange(n, dtype=np.int64)
    names, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    head = counts > head_min
    n_small = int(counts[~head].sum())
    floor = np.where(head, np.minimum(head_min, counts), counts)
    quota = floor.copy()
    budget = cap - n_small - int(floor[head].sum())
    if budget > 0 and head.any():
        spare = np.where(head, counts - floor, 0).astype(np.float64)
        share = spare / spare.sum() * budget
        extra = np.floor(share).astype(np.int64)
        left = int(budget - extra.sum())
        if left > 0:
            order = np.argsort(-(share - extra), kind="stable")
            extra[order[:left]] += 1
        quota = np.minimum(floor + extra, counts)
    rng = np.random.default_rng(seed)
    keep: list[np.ndarray] = []
    for c in range(len(names)):
        idx = np.flatnonzero(inverse == c)
        if quota[c] >= len(idx):
            keep.append(idx)
        else:
            keep.append(np.sort(rng.choice(idx, size=int(quota[c]), replace=False)))
    return np.sort(np.concatenate(keep)).astype(np.int64)


def capped_sample(codes: np.ndarray, cap: int, *, seed: int = 0) -> np.ndarray:
    """Positions of at most about ``cap`` rows, stratified by class, every class kept.

    Each class keeps ``min(rows, cap // classes)`` rows at least (at least one), so a class with
    few rows keeps all of them; the rest of the budget goes to the larger classes in proportion to
    their rows (largest remainder). The result exceeds ``cap`` only when there are more classes
    than ``cap`` (one row each). Sorted positions.
    """
    codes = np.asarray(codes)
    if len(codes) <= cap:
        return np.arange(len(codes), dtype=np.int64)
    names, inverse, counts = np.unique(codes, return_inverse=True, return_counts=True)
    floor = np.minimum(counts, max(1, cap // len(names)))
    quota = floor.copy()
    budget = cap - int(floor.sum())
    if budget > 0:
        spare = (counts - floor).astype(np.float64)
        share = spare / spare.sum() * budget
        extra = np.floor(share).astype(np.int64)
        left = int(budget - extra.sum())
        if left > 0:
            extra[np.argsort(-(share - extra), kind="stable")[:left]] += 1
        quota = np.minimum(floor + extra, counts)
    rng = np.random.default_rng(seed)
    order = np.argsort(inverse, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)])
    keep = [order[starts[c]:starts[c + 1]] if quota[c] >= counts[c]
            else rng.choice(order[starts[c]:starts[c + 1]], size=int(quota[c]), replace=False)
            for c in range(len(names))]
    return np.sort(np.concatenate(keep)).astype(np.int64)
