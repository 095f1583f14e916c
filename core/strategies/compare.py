"""Strategies side by side: class sizes and skew metrics before and after, rows added and removed."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from core.data.features import FeatureSpace
from core.data.skew import HEAD_MIN, K_NEIGHBORS, TAIL_MAX, profile_counts
from core.strategies.result import SYNTHETIC, ResampleResult


def class_sizes_after(result: ResampleResult) -> tuple[dict[str, float], bool]:
    """Rows per class after a strategy; for reweighting, the sum of sample weights per class.

    Returns the sizes and whether they are weighted.
    """
    if result.sample_weight is None:
        return dict(result.counts_after), False
    sums = pd.Series(result.sample_weight).groupby(pd.Series(result.y.astype(str))).sum()
    return {str(k): float(v) for k, v in sums.items()}, True


def summary_table(
    before: dict[str, int],
    results: Sequence[tuple[str, ResampleResult]],
    *,
    head_min: int = HEAD_MIN,
    tail_max: int = TAIL_MAX,
    k_neighbors: int = K_NEIGHBORS,
) -> pd.DataFrame:
    """One row for the catalog before, then one per strategy: rows, added, removed, classes and
    tail rows lost, skew metrics.

    A class present before and absent after is a lost class: the metrics after count it as a
    class with 0 rows (never as if it had not existed), so losing a class never reads as less
    skew. The imbalance ratio of a strategy that lost a class is then ``inf`` (largest class / 0),
    evenness divides by the log of every class before, Gini counts the 0, and the lost class is a
    tail class.

    Parameters
    ----------
    before : dict
        Rows per class before resampling.
    results : sequence of (display name, ResampleResult)
    head_min, tail_max, k_neighbors : int
        Group bounds of :func:`core.data.skew.profile_counts`.

    Returns
    -------
    pandas.DataFrame
        Columns ``strategy, rows, added, removed, classes lost, tail rows lost, imbalance ratio,
        evenness, effective classes, Gini, tail classes, runtime (s)``. ``classes lost``: classes
        of ``before`` with no row after; ``tail rows lost``: original rows of the classes in the
        tail before (fewer than ``tail_max`` rows) that are no longer in their class (a class the
        small-class policy merged into ``Other`` counts as lost with its rows). Reweighting rows are
        named ``"<name> (weighted)"`` and their metrics use weighted class sizes.
    """
    bounds = dict(head_min=head_min, tail_max=tail_max, k_neighbors=k_neighbors)
    tail = [c for c, n in before.items() if 0 < n < tail_max]

    def row(name: str, sizes: dict, n_rows: int, added: int, removed: int, lost: tuple[int, int], runtime) -> dict:
        prof = profile_counts({**{c: 0 for c in before}, **sizes}, keep_empty=True, **bounds)
        return {"strategy": name, "rows": n_rows, "added": added, "removed": removed,
                "classes lost": lost[0], "tail rows lost": lost[1],
                "imbalance ratio": prof.imbalance_ratio, "evenness": prof.normalized_entropy,
                "effective classes": prof.effective_classes, "Gini": prof.gini, "tail classes": len(prof.tail),
                "runtime (s)": runtime}

    rows = [row("before", before, sum(before.values()), 0, 0, (0, 0), None)]
    for name, r in results:
        sizes, weighted = class_sizes_after(r)
        kept = pd.Series(r.y_code[r.row >= 0]).value_counts()
        kept_rows = {r.classes[int(code)]: int(n) for code, n in kept.items()}
        lost = (sum(1 for c, n in before.items() if n > 0 and not r.counts_after.get(c)),
                sum(before[c] - min(kept_rows.get(c, 0), before[c]) for c in tail))
        rows.append(row(name + (" (weighted)" if weighted else ""), sizes, len(r.y), r.n_synthetic, r.n_removed,
                        lost, r.runtime_s))
    return pd.DataFrame(rows)


def class_changes(space: FeatureSpace, results: Sequence[tuple[str, ResampleResult]]) -> pd.DataFrame:
    """Per class: rows before, then for each strategy the synthetic rows added (``+``) and the
    original rows removed (``−``). Largest class first."""
    before = space.class_counts()
    classes = sorted(before, key=lambda c: (-before[c], c))
    out = pd.DataFrame({"class": classes, "rows before": [before[c] for c in classes]})
    for name, r in results:
        added = pd.Series(r.y[r.origin == SYNTHETIC].astype(str)).value_counts()
        removed_classes = space.y[space.position_of(r.removed_rows)] if r.n_removed else np.empty(0, dtype=object)
        removed = pd.Series(removed_classes.astype(str)).value_counts()
        out[f"{name}: +"] = [int(added.get(c, 0)) for c in classes]
        out[f"{name}: −"] = [int(removed.get(c, 0)) for c in classes]
    return out
