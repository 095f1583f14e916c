"""numpy's own float sums, reproduced from parts of an array held in different places.

The single-machine feature space standardizes a numeric column with ``filled.mean()`` and
``filled.std()`` (:mod:`core.data.features`). numpy adds a float64 array by *pairwise summation*:
an array of at most :data:`BLOCK` values is one leaf (eight running sums, combined as
``((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))``, then the remainder one by one; fewer than
eight values are added one by one to ``-0.0``); a longer one is split at ``n // 2`` rounded down to
a multiple of eight and the two halves' sums are added. The leaves and the tree depend on ``n``
only, so a cluster can compute the sum of every leaf where its rows are (a leaf cut by a partition
boundary travels as two fragments) and the client adds the leaves in numpy's tree: the very bits
``np.add.reduce`` gives on the whole array, so every class's features equal the single-machine ones.

:func:`check_numpy` compares this with ``np.add.reduce`` on arrays of many sizes; a numpy that sums
another way is refused rather than giving other rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.errors import SkewlabError

__all__ = ["BLOCK", "LeafParts", "check_numpy", "combine", "leaf_layout", "leaf_parts", "leaf_sums", "mean_std",
           "merge_parts", "pairwise_sum"]

#: Values of one leaf of numpy's pairwise summation (``PW_BLOCKSIZE``).
BLOCK = 128
#: Running sums of a leaf.
UNROLL = 8


def leaf_layout(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Starts and lengths of the leaves of numpy's pairwise sum of ``n`` values, in order."""
    starts, lengths = np.zeros(1, dtype=np.int64), np.array([int(n)], dtype=np.int64)
    while True:
        big = lengths > BLOCK
        if not big.any():
            return starts, lengths
        half = lengths // 2
        half -= half % UNROLL
        left_len = np.where(big, half, lengths)
        right_len = np.where(big, lengths - half, -1)
        s = np.stack([starts, starts + left_len], axis=1).ravel()
        ln = np.stack([left_len, right_len], axis=1).ravel()
        keep = ln >= 0
        starts, lengths = s[keep], ln[keep]


def leaf_sums(values: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """numpy's sum of every leaf ``values[start : start + length]`` (float64, as its C loop adds)."""
    values = np.asarray(values, dtype=np.float64)
    out = np.empty(len(starts), dtype=np.float64)
    for length in np.unique(lengths).tolist():
        sel = np.flatnonzero(lengths == length)
        block = values[starts[sel, None] + np.arange(length)]
        out[sel] = _block_sums(block)
    return out


def _block_sums(block: np.ndarray) -> np.ndarray:
    """The sum of each row of ``block`` (k, length <= BLOCK) in numpy's order."""
    k, length = block.shape
    if length < UNROLL:
        res = np.full(k, -0.0)
        for i in range(length):
            res = res + block[:, i]
        return res
    r = block[:, :UNROLL].copy()
    end = length - length % UNROLL
    for i in range(UNROLL, end, UNROLL):
        r += block[:, i : i + UNROLL]
    res = ((r[:, 0] + r[:, 1]) + (r[:, 2] + r[:, 3])) + ((r[:, 4] + r[:, 5]) + (r[:, 6] + r[:, 7]))
    for i in range(end, length):
        res = res + block[:, i]
    return res


def combine(n: int, sums: np.ndarray) -> float:
    """The pairwise sum of ``n`` values from the sums of their leaves (:func:`leaf_layout` order)."""
    it = iter(np.asarray(sums, dtype=np.float64).tolist())

    def node(length: int) -> float:
        if length <= BLOCK:
            return next(it)
        half = length // 2
        half -= half % UNROLL
        left = node(half)
        return left + node(length - half)

    return node(int(n))


def pairwise_sum(values: np.ndarray) -> float:
    """``np.add.reduce(values)`` of a 1-D float64 array, computed leaf by leaf."""
    starts, lengths = leaf_layout(len(values))
    return combine(len(values), leaf_sums(values, starts, lengths))


@dataclass
class LeafParts:
    """What one part of an array (global positions ``offset .. offset + len``) gives towards its sum.

    Attributes
    ----------
    full : dict leaf number -> sum
        Leaves wholly inside the part.
    pieces : dict leaf number -> list of (position in the leaf, values)
        Leaves cut by the part's ends: the values it holds of them.
    """

    full: dict[int, float]
    pieces: dict[int, list[tuple[int, np.ndarray]]]


def leaf_parts(values: np.ndarray, offset: int, n: int) -> LeafParts:
    """The leaves of an ``n``-value sum that ``values`` (positions ``offset`` on) holds or cuts."""
    values = np.asarray(values, dtype=np.float64)
    starts, lengths = leaf_layout(n)
    end = offset + len(values)
    first = int(np.searchsorted(starts + lengths, offset, side="right"))
    last = int(np.searchsorted(starts, end, side="left"))
    idx = np.arange(first, last)
    inside = (starts[idx] >= offset) & (starts[idx] + lengths[idx] <= end)
    whole = idx[inside]
    sums = leaf_sums(values, starts[whole] - offset, lengths[whole])
    pieces: dict[int, list[tuple[int, np.ndarray]]] = {}
    for leaf in idx[~inside].tolist():
        lo, hi = max(int(starts[leaf]), offset), min(int(starts[leaf] + lengths[leaf]), end)
        pieces[leaf] = [(lo - int(starts[leaf]), values[lo - offset : hi - offset].copy())]
    return LeafParts(dict(zip(whole.tolist(), sums.tolist())), pieces)


def merge_parts(parts: list[LeafParts], n: int) -> float:
    """The sum of ``n`` values from every part's :class:`LeafParts`."""
    starts, lengths = leaf_layout(n)
    sums = np.zeros(len(starts))
    seen = np.zeros(len(starts), dtype=bool)
    pieces: dict[int, list[tuple[int, np.ndarray]]] = {}
    for part in parts:
        for leaf, s in part.full.items():
            sums[leaf], seen[leaf] = s, True
        for leaf, bits in part.pieces.items():
            pieces.setdefault(leaf, []).extend(bits)
    for leaf, bits in pieces.items():
        values = np.concatenate([v for _, v in sorted(bits, key=lambda b: b[0])])
        if len(values) != lengths[leaf]:
            raise RuntimeError(f"leaf {leaf} of a sum of {n} values got {len(values)} of its {lengths[leaf]} values")
        sums[leaf] = leaf_sums(values, np.zeros(1, dtype=np.int64), lengths[leaf : leaf + 1])[0]
        seen[leaf] = True
    if not seen.all():
        raise RuntimeError(f"a sum of {n} values lacks {int((~seen).sum())} of its leaves")
    return combine(n, sums)


def mean_std(values: np.ndarray) -> tuple[float, float]:
    """``(values.mean(), values.std())`` as numpy computes them (for tests and checks)."""
    n = len(values)
    mean = pairwise_sum(values) / n
    dev = np.asarray(values, dtype=np.float64) - mean
    return mean, float(np.sqrt(pairwise_sum(dev * dev) / n))


def check_numpy(seed: int = 0) -> None:
    """Raise when this numpy's float sums are not the pairwise sums reproduced here."""
    rng = np.random.default_rng(seed)
    for n in (1, 5, 8, 9, 64, 127, 128, 129, 130, 1000, 4099, 8192, 8193, 65_537, 200_003):
        values = rng.standard_normal(n) * 10.0 ** rng.integers(-4, 7, n)
        mean, std = mean_std(values)
        if pairwise_sum(values) != np.add.reduce(values) or mean != values.mean() or std != values.std():
            raise SkewlabError(
                f"This numpy ({np.__version__}) adds floats in another order than the one the Dask engine "
                "reproduces, so its feature scaling would differ from the single-machine run.",
                hint="Replay the recipe with --engine local, or use the numpy version of requirements.txt.",
            )
