"""The rows of a run while its steps work on them, and what the family modules share.

Every step of a pipeline receives the same :class:`State` (rows, class codes, provenance,
removals, notes) and :class:`Ctx` (the run's fixed inputs) and changes the state in place.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.data.features import FeatureSpace
from core.neighbors import knn32
from core.strategies.targets import TargetSpec

__all__ = [
    "PARALLEL_MIN_WORK", "Ctx", "State", "active_counts", "class_rng", "class_seed", "encode", "fmt_classes", "row_ids",
    "run_by_class",
]

Progress = Callable[[float, str], None]


@dataclass
class State:
    """Rows during a run. ``pos`` = position in the space for original rows, -1 for synthetic.

    Classes are carried as integer codes ``yc`` into ``names`` (class names in sorted order, so
    code order is name order, the order imbalanced-learn walks classes in); names are only
    materialised when the result is built or a method needs text labels.
    """

    X: np.ndarray
    yc: np.ndarray
    names: list[str]
    pos: np.ndarray
    seed_row: np.ndarray
    neighbor_row: np.ndarray
    alpha: np.ndarray
    space_rows: np.ndarray  # row id of each space position
    removed_rows: list[np.ndarray] = field(default_factory=list)  # row ids, one array per removal
    removed_reasons: list[np.ndarray] = field(default_factory=list)  # object arrays, aligned
    notes: list[str] = field(default_factory=list)
    weight: np.ndarray | None = None

    def __post_init__(self) -> None:
        self._index = {c: i for i, c in enumerate(self.names)}

    def code(self, cls: str) -> int:
        """Code of a class name (-1 when no row ever had it)."""
        return self._index.get(cls, -1)

    def bincount(self) -> np.ndarray:
        return np.bincount(self.yc, minlength=len(self.names))

    def counts(self) -> dict[str, int]:
        """Rows per class present, sorted by class name."""
        n = self.bincount()
        return {self.names[i]: int(n[i]) for i in np.flatnonzero(n)}

    def names_array(self) -> np.ndarray:
        """Class names as an object array (index = code)."""
        return np.array(self.names, dtype=object)

    def labels(self, idx: np.ndarray | None = None) -> np.ndarray:
        """Class names (fixed-width str, as ``y.astype(str)`` gives) of the rows ``idx`` (default all)."""
        yc = self.yc if idx is None else self.yc[idx]
        return np.array(self.names, dtype=str)[yc]

    def set_labels(self, y: np.ndarray) -> None:
        """Replace every row's class by name (re-codes; rare paths only)."""
        self.yc, self.names = encode(y)
        self.__post_init__()

    def positions(self, *, real: bool = True) -> dict[str, np.ndarray]:
        """Ascending positions of the rows (real rows only by default) of every class, in one pass."""
        sel = np.flatnonzero(self.pos >= 0) if real else np.arange(len(self.yc))
        codes = self.yc[sel]
        if len(self.names) < 2**15:
            codes = codes.astype(np.int16)  # radix sort
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(len(self.names) + 1))
        return {self.names[i]: sel[order[bounds[i] : bounds[i + 1]]] for i in range(len(self.names)) if bounds[i + 1] > bounds[i]}

    def keep(self, mask: np.ndarray, reasons: str | Mapping[int, str], rows: np.ndarray) -> None:
        """Keep rows where ``mask``; removed original rows get ``reasons`` (one for all, or by state index)."""
        gone = np.flatnonzero(~mask)
        gone = gone[self.pos[gone] >= 0]
        if len(gone):
            self.removed_rows.append(rows[self.pos[gone]].astype(np.int64))
            if isinstance(reasons, str):
                why = np.empty(len(gone), dtype=object)
                why.fill(reasons)  # one shared str (np.full would make one str per row)
                self.removed_reasons.append(why)
            else:
                self.removed_reasons.append(np.array([reasons.get(int(i), "removed") for i in gone.tolist()] or [], dtype=object))
        kept = np.flatnonzero(mask)
        for name in ("X", "yc", "pos", "seed_row", "neighbor_row", "alpha"):
            setattr(self, name, getattr(self, name).take(kept, axis=0))
        if self.weight is not None:
            self.weight = self.weight.take(kept)

    def extend(self, m: int) -> int:
        """Room for ``m`` synthetic rows at the end; returns where they start (caller fills X, yc, provenance)."""
        n = len(self.yc)
        if m <= 0:
            return n
        X = np.empty((n + m, self.X.shape[1]), dtype=np.float64)
        X[:n] = self.X
        self.X = X
        for name, fill, dtype in (("yc", None, self.yc.dtype), ("pos", -1, np.int64), ("seed_row", -1, np.int64),
                                  ("neighbor_row", -1, np.int64), ("alpha", np.nan, np.float64)):
            old = getattr(self, name)
            new = np.empty(n + m, dtype=dtype)
            new[:n] = old
            if fill is not None:
                new[n:] = fill
            setattr(self, name, new)
        return n

    def append(self, X: np.ndarray, yc: np.ndarray, seed_row: np.ndarray, neighbor_row: np.ndarray, alpha: np.ndarray) -> None:
        m = len(X)
        if m == 0:
            return
        at = self.extend(m)
        self.X[at:] = X
        self.yc[at:] = yc
        self.seed_row[at:] = seed_row
        self.neighbor_row[at:] = neighbor_row
        self.alpha[at:] = alpha



def encode(y: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Integer codes of class names and the names in sorted order (code order = name order)."""
    codes, uniq = pd.factorize(np.asarray(y, dtype=object))
    if not all(isinstance(u, str) for u in uniq) or (len(codes) and codes.min() < 0):
        codes, uniq = pd.factorize(np.asarray(y).astype(str).astype(object))
    uniq = [str(u) for u in uniq]
    order = sorted(range(len(uniq)), key=uniq.__getitem__)
    rank = np.empty(len(uniq), dtype=np.intp)
    rank[order] = np.arange(len(uniq))
    return rank[codes], [uniq[i] for i in order]


@dataclass(frozen=True)
class Ctx:
    rows: np.ndarray  # space row ids by position
    seed: int
    target: TargetSpec
    small_classes: str
    space: FeatureSpace
    excluded: frozenset  # classes left out of resampling (drop)



def class_seed(seed: int, cls: str) -> np.random.SeedSequence:
    """The seed of one class's random draws: the run's seed and a stable 64-bit hash of the class name.

    A class draws from its own stream, so its rows depend on its own rows, the seed and its name only:
    never on which other classes are in the catalog or in the same partition of a cluster run
    (``python -m core apply --engine dask``). The hash is BLAKE2b of the name's UTF-8 bytes (the
    same in every process and on every machine, unlike Python's ``hash``).
    """
    digest = hashlib.blake2b(str(cls).encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return np.random.SeedSequence([int(seed), int.from_bytes(digest, "little")])


def class_rng(seed: int, cls: str) -> np.random.Generator:
    """A generator on :func:`class_seed` (``seed``, ``cls``)."""
    return np.random.default_rng(class_seed(seed, cls))


def fmt_classes(classes: Mapping[str, int], limit: int = 6) -> str:
    items = [f"{c!r} has {n} row{'s' if n != 1 else ''}" for c, n in list(classes.items())[:limit]]
    more = f" and {len(classes) - limit} more" if len(classes) > limit else ""
    return "; ".join(items) + more



def active_counts(state: State, ctx: Ctx) -> dict[str, int]:
    """Rows per class the steps work on (classes the small-class policy dropped are left out)."""
    return {c: n for c, n in state.counts().items() if c not in ctx.excluded}


def row_ids(state: State, positions: np.ndarray) -> np.ndarray:
    """Original row ids of state positions (-1 for synthetic ones)."""
    pos = state.pos[positions]
    return np.where(pos >= 0, state.space_rows[np.maximum(pos, 0)], -1).astype(np.int64)


#: k-NN work (the sum over classes of rows squared) below which classes run one after another:
#: handing small jobs between threads (and the GIL between them) costs more than it saves.
PARALLEL_MIN_WORK = 8_000_000


def run_by_class(jobs: list, fn, *, size) -> None:
    """Run ``fn(job, threads)`` for every job (each writes its own rows), classes in parallel.

    Classes go to a pool of ``knn32.worker_threads()`` threads, largest first, one thread each
    (below ``PARALLEL_MIN_WORK``, one after another)
    (numpy and the k-NN kernels release the GIL). A class with at least half of all the k-NN
    work (size squared) runs first, alone, on every thread.
    """
    workers = knn32.worker_threads()
    if workers < 2 or len(jobs) < 2 or sum(float(size(j)) ** 2 for j in jobs) < PARALLEL_MIN_WORK:
        for job in jobs:
            fn(job, None)
        return
    jobs = sorted(jobs, key=lambda j: -size(j))
    work = [float(size(j)) ** 2 for j in jobs]
    if work[0] >= 0.5 * sum(work):
        fn(jobs[0], None)
        jobs = jobs[1:]

    with ThreadPoolExecutor(max_workers=workers) as pool:
        for fut in [pool.submit(fn, job, 1) for job in jobs]:
            fut.result()

