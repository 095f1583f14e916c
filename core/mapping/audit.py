"""How good are the synthetic rows, and what did removal cost? Checks in the feature space.

:func:`audit` looks at one :class:`~core.strategies.ResampleResult` against the real rows of its
:class:`~core.data.features.FeatureSpace`:

- **overlap**: a synthetic row whose ``k`` nearest *real* rows are mostly (more than ``k / 2``)
  of other classes sits inside another class (searched for at most :data:`CHECK_CAP` synthetic rows
  of a strategy: a sample stratified by class, every class kept; ``checked`` says which);
- **near copy**: a synthetic row closer to a real row than ``near_copy`` (default: 1% of the
  median distance from a real row to its nearest other real row) adds no new information;
- **drift**: per class and feature column, how far the synthetic rows' distribution is from the
  real rows' (Kolmogorov-Smirnov statistic for numeric columns, total variation distance of the
  category shares for categorical columns);
- **impossible values** on the raw interpolated rows in original units, *before* the repair
  that :meth:`FeatureSpace.to_original` applies (the export writes parents' own cells instead): negative values in a column that is never
  negative, fractional values in an integer column, values outside the observed range of the
  row's class;
- **removal**: rows lost per class, with the class's head / medium / tail group.

:func:`summary_table` puts several audits in one table, worst first.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.data import HEAD_MIN, K_NEIGHBORS, TAIL_MAX, FeatureSpace, check_bounds, group_for_count
from core.errors import ParameterError
from core.mapping.projection import _check_width, capped_sample
from core.neighbors import kneighbors
from core.params import SEED, Interval, check
from core.strategies import SYNTHETIC, ResampleResult

#: Share of the median nearest-neighbour distance under which a synthetic row is a near copy.
NEAR_COPY_FRACTION = 0.01
#: Real rows used to estimate the median nearest-neighbour distance (query sample).
NN_SAMPLE = 5000
#: Synthetic rows of one strategy whose nearest real rows are searched (overlap, near copies) at most:
#: each search costs (real rows x features) per row, so above this a sample stratified by class, every
#: class kept, is checked and the rates are shares of the checked rows.
CHECK_CAP = 5_000
#: Tolerance of the integer check (values within this of a whole number are whole).
INT_TOL = 1e-6
#: Neighbours of the overlap check, and the near-copy distance.
OVERLAP_K = Interval("int", 1, 50)
NEAR_COPY = Interval("float", 0, None)
#: How the audit's parameters are named in messages.
WHERE = "audit: "


@dataclass(frozen=True, eq=False)
class Audit:
    """Quality of one strategy's synthetic rows and cost of its removals.

    Attributes
    ----------
    strategy : str
    n_synthetic, n_removed : int
    k : int
        Neighbours of the overlap check.
    near_copy_distance : float
        Distance (feature space) under which a synthetic row counts as a near copy.
    synthetic_index : ndarray (m,) int64
        Positions in ``result.X`` of the synthetic rows; the masks below are aligned with it.
    overlap, near_copy, impossible : ndarray (m,) bool
        Per synthetic row: inside another class, near copy of a real row (False where not
        ``checked``), any impossible value.
    checked : ndarray (m,) bool
        Synthetic rows whose nearest real rows were searched (all up to :data:`CHECK_CAP`).
    overlap_rate, near_copy_rate, impossible_rate : float
        Shares of the checked synthetic rows (overlap, near copies) and of all synthetic rows
        (impossible values); NaN when there are none.
    drift : pandas.DataFrame
        ``class, column, statistic (ks|tv), value, real_rows, synthetic_rows``.
    impossible_values : pandas.DataFrame
        ``class, column, negative, fractional, outside_class_range`` (counts of synthetic rows,
        only the pairs with at least one).
    removed_by_class : pandas.DataFrame
        ``class, group, rows_before, removed, share_removed`` (classes that lost rows).
    per_class : pandas.DataFrame
        One row per class: group, rows before / after, synthetic, checked, overlap, near copies
        (of the checked rows), impossible, worst drift, removed.
    """

    strategy: str
    n_synthetic: int
    n_removed: int
    k: int
    near_copy_distance: float
    synthetic_index: np.ndarray
    overlap: np.ndarray
    near_copy: np.ndarray
    impossible: np.ndarray
    overlap_rate: float
    near_copy_rate: float
    impossible_rate: float
    drift: pd.DataFrame
    impossible_values: pd.DataFrame
    removed_by_class: pd.DataFrame
    per_class: pd.DataFrame
    checked: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.checked is None:
            object.__setattr__(self, "checked", np.ones(len(self.synthetic_index), dtype=bool))

    @property
    def n_checked(self) -> int:
        """Synthetic rows whose nearest real rows were searched."""
        return int(self.checked.sum())

    @property
    def tail_rows_removed(self) -> int:
        """Rows removed from tail classes."""
        rb = self.removed_by_class
        return int(rb.loc[rb["group"] == "tail", "removed"].sum()) if len(rb) else 0

    @property
    def max_drift(self) -> float:
        """Largest drift statistic over classes and columns (NaN when there is none)."""
        return float(self.drift["value"].max()) if len(self.drift) else float("nan")

    def flagged(self) -> np.ndarray:
        """Synthetic rows flagged by the overlap or near-copy check (mask aligned with ``synthetic_index``)."""
        return self.overlap | self.near_copy

    def table(self) -> pd.DataFrame:
        """The per-class table (what the export report shows)."""
        return self.per_class

    def summary(self) -> dict:
        """One row of :func:`summary_table`."""
        before = self.per_class["rows_before"]
        tail_rows = int(before[self.per_class["group"] == "tail"].sum())
        tail_loss = self.tail_rows_removed / tail_rows if tail_rows else 0.0
        rates = [r for r in (self.overlap_rate, self.near_copy_rate, self.impossible_rate) if np.isfinite(r)]
        return {
            "strategy": self.strategy,
            "synthetic rows": self.n_synthetic,
            "checked": self.n_checked,
            "overlap": self.overlap_rate,
            "near copies": self.near_copy_rate,
            "impossible values": self.impossible_rate,
            "worst drift": self.max_drift,
            "removed rows": self.n_removed,
            "tail rows removed": self.tail_rows_removed,
            "tail rows lost": tail_loss,
            "worst issue": max(rates + [tail_loss]),
        }


#: Near-copy thresholds of the default fraction and seed per real matrix, held as long as it lives
#: (every strategy's audit of one feature space asks the same).
_THRESHOLDS: dict[int, tuple[weakref.ref, float]] = {}


def near_copy_threshold(X: np.ndarray, *, fraction: float = NEAR_COPY_FRACTION, seed: int = 0) -> float:
    """``fraction`` of the median distance from a real row to its nearest other real row.

    Exact duplicates are left out of the median (distance 0); the median is taken over at most
    ``NN_SAMPLE`` query rows (a fixed random sample) against all rows. Returns 0 when every row
    is a duplicate.
    """
    seed = check(seed, SEED, name="seed", where=WHERE)
    if fraction == NEAR_COPY_FRACTION and seed == 0 and isinstance(X, np.ndarray):
        known = _THRESHOLDS.get(id(X))
        if known is not None and known[0]() is X:
            return known[1]
        value = _near_copy_threshold(X, fraction, seed)
        _THRESHOLDS[id(X)] = (weakref.ref(X), value)
        weakref.finalize(X, _THRESHOLDS.pop, id(X), None)
        return value
    return _near_copy_threshold(X, fraction, seed)


def _near_copy_threshold(X: np.ndarray, fraction: float, seed: int) -> float:
    X = np.asarray(X, dtype=np.float64)
    n = len(X)
    if n < 2:
        return 0.0
    rng = np.random.default_rng(seed)
    q = np.sort(rng.choice(n, size=min(n, NN_SAMPLE), replace=False))
    dist, _ = kneighbors(X, 1, query=X[q], query_index=q, exclude_self=True)
    d = dist[:, 0]
    d = d[d > 0]
    return float(fraction * np.median(d)) if len(d) else 0.0


def _raw_numeric(space: FeatureSpace, X: np.ndarray, col: str) -> np.ndarray:
    """A numeric column of ``X`` in original units, neither clipped nor rounded."""
    st = space._numeric[col]
    return X[:, space.blocks[col].start] * st.std + st.mean


def _category_codes(space: FeatureSpace, X: np.ndarray, col: str) -> np.ndarray:
    """The category of each row of ``X`` as its position in the column's values (one past them: missing)."""
    block = X[:, space.blocks[col]]
    return block.argmax(axis=1).astype(np.int64) if block.shape[1] else np.zeros(len(X), dtype=np.int64)


def _ks(a: np.ndarray, b: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov statistic (sup of the CDF difference)."""
    a, b = np.sort(a), np.sort(b)
    grid = np.concatenate([a, b])
    return float(np.max(np.abs(np.searchsorted(a, grid, side="right") / len(a)
                               - np.searchsorted(b, grid, side="right") / len(b))))


def audit(
    space: FeatureSpace,
    result: ResampleResult,
    *,
    k: int = K_NEIGHBORS,
    near_copy: float | None = None,
    head_min: int = HEAD_MIN,
    tail_max: int = TAIL_MAX,
) -> Audit:
    """Audit one strategy's result against the real rows of its feature space.

    Parameters
    ----------
    space : FeatureSpace
        The space the strategy ran on (the real rows).
    result : ResampleResult
    k : int
        Nearest real rows of the overlap check (1..50): a synthetic row overlaps when more than
        ``k / 2`` of them are of another class.
    near_copy : float, optional
        Distance in the feature space under which a synthetic row is a near copy of a real row.
        Default: 1% of the median nearest-neighbour distance among real rows
        (:func:`near_copy_threshold`). A synthetic row at exactly the threshold counts (so an
        exact copy always counts).
    head_min, tail_max : int
        Group bounds of the removal table (as on the Skew page).

    Returns
    -------
    Audit

    Raises
    ------
    ParameterError
        ``k`` out of range, a negative ``near_copy``, group bounds out of range, or a result of
        another feature space.
    """
    k = check(k, OVERLAP_K, name="k", where=WHERE)
    k = int(min(k, space.n_rows))
    if near_copy is not None:
        near_copy = check(near_copy, NEAR_COPY, name="near_copy", where=WHERE)
    head_min, tail_max = check_bounds(head_min, tail_max, where=WHERE)
    _check_width(result, space.X.shape[1])
    thr = near_copy_threshold(space.X) if near_copy is None else near_copy
    syn = _Synthetic.of(space, result)
    checked = np.zeros(syn.m, dtype=bool)
    checked[capped_sample(syn.y, CHECK_CAP, seed=0) if syn.m else []] = True
    overlap, near = _neighbour_checks(space, syn, k, thr, checked)
    impossible, imp_rows = _impossible_values(space, syn)
    drift = _drift(space, syn)
    lost = _lost_by_class(space, result)
    removed_by_class = _removed_table(result, lost, head_min, tail_max)
    per_class = _per_class(result, syn, drift, lost, overlap, near, imp_rows, checked, head_min, tail_max)
    m = syn.m

    def rate(mask: np.ndarray, of: np.ndarray | None = None) -> float:
        return float(mask[of].mean() if of is not None else mask.mean()) if m else float("nan")

    return Audit(
        strategy=result.strategy,
        n_synthetic=int(m),
        n_removed=int(result.n_removed),
        k=k,
        near_copy_distance=thr,
        synthetic_index=syn.index,
        overlap=overlap,
        near_copy=near,
        impossible=imp_rows,
        overlap_rate=rate(overlap, checked),
        near_copy_rate=rate(near, checked),
        impossible_rate=rate(imp_rows),
        drift=drift,
        impossible_values=impossible,
        removed_by_class=removed_by_class,
        per_class=per_class,
        checked=checked,
    )


@dataclass(frozen=True, eq=False)
class _Synthetic:
    """A result's synthetic rows, and the real and synthetic rows of each class that has synthetic rows."""

    index: np.ndarray  # positions in result.X
    X: np.ndarray
    y: np.ndarray  # classes as str
    real_y: np.ndarray  # classes of the real rows of the space, as str
    classes: list[str]
    real_by_class: dict[str, np.ndarray]
    by_class: dict[str, np.ndarray]

    @property
    def m(self) -> int:
        return len(self.index)

    @classmethod
    def of(cls, space: FeatureSpace, result: ResampleResult) -> _Synthetic:
        index = np.flatnonzero(result.origin == SYNTHETIC).astype(np.int64)
        ys = result.y[index].astype(str)
        real_y = space.y.astype(str)
        by_class = _positions_by_class(ys)
        classes = sorted(by_class)
        real = _positions_by_class(real_y, set(classes))
        empty = np.zeros(0, dtype=np.int64)
        return cls(
            index=index, X=result.X[index], y=ys, real_y=real_y, classes=classes,
            real_by_class={c: real.get(c, empty) for c in classes}, by_class=by_class,
        )


def _positions_by_class(y: np.ndarray, only: set[str] | None = None) -> dict[str, np.ndarray]:
    """Positions of each class's rows (ascending), from one sort: no pass over the rows per class."""
    if not len(y):
        return {}
    names, inverse = np.unique(y, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.concatenate([[0], np.cumsum(np.bincount(inverse, minlength=len(names)))])
    return {str(c): order[bounds[i]:bounds[i + 1]].astype(np.int64) for i, c in enumerate(names)
            if only is None or str(c) in only}


def _neighbour_checks(space: FeatureSpace, syn: _Synthetic, k: int, thr: float,
                      checked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Overlap and near copies of the ``checked`` synthetic rows: their ``k`` nearest real rows."""
    overlap, near = np.zeros(syn.m, dtype=bool), np.zeros(syn.m, dtype=bool)
    rows = np.flatnonzero(checked)
    if not len(rows):
        return overlap, near
    dist, nbr = kneighbors(space.X, k, query=syn.X[rows])
    other = (syn.real_y[nbr] != syn.y[rows][:, None]).sum(axis=1)
    overlap[rows], near[rows] = other > k / 2, dist[:, 0] <= thr
    return overlap, near


def _impossible_values(space: FeatureSpace, syn: _Synthetic) -> tuple[pd.DataFrame, np.ndarray]:
    """Impossible values (raw, before repair) per class and numeric column, and the rows with any."""
    m = syn.m
    imp_rows = np.zeros(m, dtype=bool)
    records: list[dict] = []
    for col in space.config.numeric:
        stt = space._numeric[col]
        raw = _raw_numeric(space, syn.X, col)
        neg = (raw < 0) if stt.lo >= 0 else np.zeros(m, dtype=bool)
        frac = (np.abs(raw - np.round(raw)) > INT_TOL) if stt.integral else np.zeros(m, dtype=bool)
        lo = np.array([stt.class_lo.get(c, stt.lo) for c in syn.y], dtype=np.float64)
        hi = np.array([stt.class_hi.get(c, stt.hi) for c in syn.y], dtype=np.float64)
        tol = INT_TOL * max(1.0, stt.hi - stt.lo)
        out = (raw < lo - tol) | (raw > hi + tol)
        imp_rows |= neg | frac | out
        for c in syn.classes:
            s = syn.by_class[c]
            n_neg, n_frac, n_out = int(neg[s].sum()), int(frac[s].sum()), int(out[s].sum())
            if n_neg or n_frac or n_out:
                records.append({"class": c, "column": col, "negative": n_neg, "fractional": n_frac,
                                "outside_class_range": n_out})
    table = pd.DataFrame(records, columns=["class", "column", "negative", "fractional", "outside_class_range"])
    return table, imp_rows


def _drift(space: FeatureSpace, syn: _Synthetic) -> pd.DataFrame:
    """Per class and feature column: KS (numeric) or total variation (categorical), largest first."""
    records: list[dict] = []

    def add(c: str, col: str, statistic: str, value: float, r: np.ndarray, s: np.ndarray) -> None:
        records.append({"class": c, "column": col, "statistic": statistic, "value": value,
                        "real_rows": int(len(r)), "synthetic_rows": int(len(s))})

    for col in space.config.numeric:
        raw = _raw_numeric(space, syn.X, col)
        real = _raw_numeric(space, space.X, col)
        for c in syn.classes:
            r, s = syn.real_by_class[c], syn.by_class[c]
            if len(r) and len(s):
                add(c, col, "ks", _ks(real[r], raw[s]), r, s)
    for col in space.config.categorical:
        syn_cat = _category_codes(space, syn.X, col)
        real_cat = _category_codes(space, space.X, col)
        width = int(max(syn_cat.max(initial=0), real_cat.max(initial=0))) + 1
        for c in syn.classes:
            r, s = syn.real_by_class[c], syn.by_class[c]
            if len(r) and len(s):
                a = np.bincount(real_cat[r], minlength=width) / len(r)
                b = np.bincount(syn_cat[s], minlength=width) / len(s)
                add(c, col, "tv", float(0.5 * np.abs(a - b).sum()), r, s)
    drift = pd.DataFrame(records, columns=["class", "column", "statistic", "value", "real_rows", "synthetic_rows"])
    return drift.sort_values(["value", "class", "column"], ascending=[False, True, True], kind="stable").reset_index(drop=True)


def _lost_by_class(space: FeatureSpace, result: ResampleResult) -> pd.Series:
    """Rows removed per class."""
    if len(result.removed_rows):
        removed_cls = space.y[space.position_of(result.removed_rows)].astype(str)
    else:
        removed_cls = np.array([], dtype=str)
    return pd.Series(removed_cls, dtype=object).value_counts()


def _removed_table(result: ResampleResult, lost: pd.Series, head_min: int, tail_max: int) -> pd.DataFrame:
    """Classes that lost rows, tail first, then by the share lost."""
    before = dict(result.counts_before)
    records = [
        {"class": c, "group": group_for_count(before.get(c, 0), head_min=head_min, tail_max=tail_max),
         "rows_before": int(before.get(c, 0)), "removed": int(n), "share_removed": n / before[c] if before.get(c) else np.nan}
        for c, n in lost.items()
    ]
    table = pd.DataFrame(records, columns=["class", "group", "rows_before", "removed", "share_removed"])
    if not len(table):
        return table
    order = {"tail": 0, "medium": 1, "head": 2}
    return table.assign(_g=table["group"].map(order)).sort_values(
        ["_g", "share_removed", "class"], ascending=[True, False, True], kind="stable").drop(columns="_g").reset_index(drop=True)


def _per_class(result: ResampleResult, syn: _Synthetic, drift: pd.DataFrame, lost: pd.Series, overlap: np.ndarray,
               near: np.ndarray, imp_rows: np.ndarray, checked: np.ndarray, head_min: int, tail_max: int) -> pd.DataFrame:
    """One row per class of the result: group, rows, synthetic rows and their flags, worst drift, removals."""
    before = dict(result.counts_before)
    rows = []
    worst = drift.groupby("class")["value"].max() if len(drift) else pd.Series(dtype=float)
    for c in sorted(set(before) | set(result.counts_after)):
        s = syn.by_class.get(c, np.zeros(0, dtype=np.int64))
        rows.append({
            "class": c,
            "group": group_for_count(before.get(c, 0), head_min=head_min, tail_max=tail_max),
            "rows_before": int(before.get(c, 0)),
            "rows_after": int(result.counts_after.get(c, 0)),
            "synthetic": int(len(s)),
            "checked": int(checked[s].sum()) if len(s) else 0,
            "overlap": int(overlap[s].sum()) if len(s) else 0,
            "near_copies": int(near[s].sum()) if len(s) else 0,
            "impossible": int(imp_rows[s].sum()) if len(s) else 0,
            "worst_drift": float(worst.get(c, np.nan)),
            "removed": int(lost.get(c, 0)),
        })
    return pd.DataFrame(rows, columns=["class", "group", "rows_before", "rows_after", "synthetic", "checked", "overlap",
                                       "near_copies", "impossible", "worst_drift", "removed"])


def summary_table(audits: Sequence[Audit], labels: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per strategy, worst first.

    "worst issue" is the largest of the overlap, near-copy and impossible-value rates and of the
    share of tail rows removed; rows are sorted by it (descending), then by name. Rates are NaN
    for a strategy without synthetic rows.

    Parameters
    ----------
    audits : sequence of Audit
    labels : sequence of str, optional
        Display names (default: the strategy names).
    """
    rows = [a.summary() for a in audits]
    if labels is not None:
        if len(labels) != len(rows):
            raise ParameterError(f"{len(labels)} labels for {len(rows)} audits; give one label per audit.")
        for r, lab in zip(rows, labels):
            r["strategy"] = lab
    cols = ["strategy", "synthetic rows", "checked", "overlap", "near copies", "impossible values", "worst drift",
            "removed rows", "tail rows removed", "tail rows lost", "worst issue"]
    frame = pd.DataFrame(rows, columns=cols)
    return frame.sort_values(["worst issue", "strategy"], ascending=[False, True], kind="stable").reset_index(drop=True)
