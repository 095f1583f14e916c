"""How skewed the classes are: counts, imbalance metrics and head / medium / tail groups."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from core.params import Interval, check

#: Defaults: head = more than 100 rows, tail = fewer than 20, k-NN methods need k + 1 rows.
#: The one definition of the group bounds and of k: every other module imports these.
HEAD_MIN = 100
TAIL_MAX = 20
K_NEIGHBORS = 5
#: The groups, largest classes first.
GROUPS: tuple[str, ...] = ("head", "medium", "tail")
#: A group bound (head or tail): a whole number of rows.
GROUP_BOUND = Interval("int", 0, None)
#: k of k-NN methods.
K_RANGE = Interval("int", 1, None)


@dataclass(frozen=True)
class SkewProfile:
    """Class distribution of a label and its imbalance metrics.

    ``counts`` is ordered from the largest class to the smallest (ties by name). Groups: head =
    more than ``head_min`` rows, tail = fewer than ``tail_max`` rows, medium = the rest.
    """

    n_rows: int
    n_labelled: int
    n_missing_label: int
    n_classes: int
    counts: dict[str, int]
    imbalance_ratio: float
    normalized_entropy: float
    effective_classes: float
    gini: float
    classes_for_80pct: int
    head: list[str]
    medium: list[str]
    tail: list[str]
    too_small_for_knn: list[str]
    singletons: list[str]
    head_min: int = HEAD_MIN
    tail_max: int = TAIL_MAX
    k_neighbors: int = K_NEIGHBORS
    shares: dict[str, float] = field(default_factory=dict)

    def group_of(self, cls: str) -> str:
        """``"head"``, ``"medium"`` or ``"tail"``."""
        return group_for_count(self.counts[cls], head_min=self.head_min, tail_max=self.tail_max)

    def to_dict(self) -> dict:
        """Plain JSON-able dict."""
        return asdict(self)

    def table(self) -> pd.DataFrame:
        """One row per class: rows, share, cumulative share, group, flags."""
        counts = pd.Series(self.counts, dtype="int64")
        total = max(int(counts.sum()), 1)
        frame = pd.DataFrame(
            {
                "class": counts.index.astype(str),
                "rows": counts.to_numpy(),
                "share": counts.to_numpy() / total,
            }
        )
        frame["cumulative share"] = frame["share"].cumsum()
        frame["group"] = [self.group_of(c) for c in frame["class"]]
        frame[f"< {self.k_neighbors + 1} rows (k-NN)"] = frame["rows"] < self.k_neighbors + 1
        frame.index = pd.RangeIndex(1, len(frame) + 1, name="rank")
        return frame


def check_bounds(head_min: int, tail_max: int, *, where: str = "") -> tuple[int, int]:
    """``(head_min, tail_max)`` checked: whole numbers of rows, the tail bound at most the head bound + 1.

    Raises
    ------
    ParameterError
    """
    head_min = check(head_min, GROUP_BOUND, name="head_min", where=where)
    tail_max = check(
        tail_max, Interval("int", 0, head_min + 1), name="tail_max", where=where,
        hint="The tail bound must not exceed the head bound + 1.",
    )
    return head_min, tail_max


def group_for_count(n: int, *, head_min: int = HEAD_MIN, tail_max: int = TAIL_MAX) -> str:
    """Group of a class with ``n`` rows."""
    if n > head_min:
        return "head"
    if n < tail_max:
        return "tail"
    return "medium"


def gini(counts: np.ndarray) -> float:
    """Gini coefficient of class sizes (0 = all equal; towards 1 = one class holds all)."""
    x = np.sort(np.asarray(counts, dtype="float64"))
    n = len(x)
    if n <= 1 or x.sum() == 0:
        return 0.0
    # mean absolute difference over all ordered pairs / (2 * mean)
    index = np.arange(1, n + 1)
    return float((2.0 * np.sum(index * x) / (n * x.sum())) - (n + 1) / n)


def profile_skew(
    labels: pd.Series,
    *,
    head_min: int = HEAD_MIN,
    tail_max: int = TAIL_MAX,
    k_neighbors: int = K_NEIGHBORS,
) -> SkewProfile:
    """Profile the class distribution of ``labels`` (missing labels are counted, not classed).

    Parameters
    ----------
    labels : pandas.Series
        One label per row, NA where missing (see :func:`core.data.schema.label_values`).
    head_min : int
        Classes with more rows than this are the head.
    tail_max : int
        Classes with fewer rows than this are the tail.
    k_neighbors : int
        k of k-NN methods; classes with fewer than k + 1 rows are flagged.

    Returns
    -------
    SkewProfile
    """
    n_rows = int(len(labels))
    present = labels.dropna()
    vc = present.astype(str).value_counts()
    return profile_counts(
        {str(k): int(v) for k, v in vc.items()}, n_rows=n_rows, head_min=head_min, tail_max=tail_max,
        k_neighbors=k_neighbors,
    )


def profile_counts(
    counts: dict[str, float],
    *,
    n_rows: int | None = None,
    head_min: int = HEAD_MIN,
    tail_max: int = TAIL_MAX,
    k_neighbors: int = K_NEIGHBORS,
    keep_empty: bool = False,
) -> SkewProfile:
    """Profile class sizes given directly (``{class: rows}``), e.g. after resampling.

    Sizes may be fractional (sums of sample weights); ``n_rows`` defaults to their total, so no
    label counts as missing. Classes of size 0 are left out, unless ``keep_empty``: then they
    count as classes with 0 rows (a strategy lost them), in the tail, and the imbalance ratio is
    infinite (largest / 0); evenness divides by the log of every class, lost ones included.
    """
    head_min, tail_max = check_bounds(head_min, tail_max)
    k_neighbors = check(k_neighbors, K_RANGE, name="k_neighbors")
    # order: largest first, ties by name, so the output is deterministic
    order = sorted(((str(k), v) for k, v in counts.items() if v > 0 or (keep_empty and v == 0)),
                   key=lambda kv: (-kv[1], kv[0]))
    counts = {k: (int(v) if float(v).is_integer() else float(v)) for k, v in order}
    arr = np.array(list(counts.values()), dtype="float64")
    n_labelled = int(round(arr.sum()))
    n_rows = n_labelled if n_rows is None else int(n_rows)
    k = len(counts)
    if k and arr.sum() > 0:
        total = arr.sum()
        p = arr[arr > 0] / total
        entropy = float(-(p * np.log(p)).sum())
        norm_entropy = entropy / math.log(k) if k > 1 else 1.0
        effective = math.exp(entropy)
        ir = float(arr.max() / arr.min()) if arr.min() > 0 else math.inf
        cum = np.cumsum(arr) / total
        for80 = int(np.searchsorted(cum, 0.8 - 1e-12) + 1)
    else:
        norm_entropy = effective = ir = float("nan")
        for80 = 0
    groups = {c: group_for_count(n, head_min=head_min, tail_max=tail_max) for c, n in counts.items()}
    return SkewProfile(
        n_rows=n_rows,
        n_labelled=n_labelled,
        n_missing_label=n_rows - n_labelled,
        n_classes=k,
        counts=counts,
        imbalance_ratio=ir,
        normalized_entropy=float(norm_entropy),
        effective_classes=float(effective),
        gini=gini(arr) if k else float("nan"),
        classes_for_80pct=for80,
        head=[c for c, g in groups.items() if g == "head"],
        medium=[c for c, g in groups.items() if g == "medium"],
        tail=[c for c, g in groups.items() if g == "tail"],
        too_small_for_knn=[c for c, n in counts.items() if n < k_neighbors + 1],
        singletons=[c for c, n in counts.items() if n == 1],
        head_min=head_min,
        tail_max=tail_max,
        k_neighbors=k_neighbors,
        shares={c: n / float(arr.sum()) for c, n in counts.items()} if k and arr.sum() > 0 else {},
    )
