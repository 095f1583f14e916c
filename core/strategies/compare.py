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
    """One row for the catalog before, then one per strategy: rows, added, removed, skew metrics.

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
        Columns ``strategy, rows, added, removed, imbalance ratio, evenness, effective classes,
        Gini, tail classes, runtime (s)``; reweighting rows are named ``"<name> (weighted)"`` and
        their metrics use weighted class sizes.
    """
    bounds = dict(head_min=head_min, tail_max=tail_max, k_neighbors=k_neighbors)

    def row(name: str, sizes: dict, n_rows: int, added: int, removed: int, runtime) -> dict:
        prof = profile_counts(sizes, **bounds)
        return {"strategy": name, "rows": n_rows, "added": added, "removed": removed,
                "imbalance ratio": prof.imbalance_ratio, "evenness": prof.normalized_entropy,
                "effective classes": prof.effective_classes, "Gini": prof.gini, "tail classes": len(prof.tail),
                "runtime (s)": runtime}

    rows = [row("before", before, sum(before.values()), 0, 0, None)]
    for name, r in results:
        sizes, weighted = class_sizes_after(r)
        rows.append(row(name + (" (weighted)" if weighted else ""), sizes, len(r.y), r.n_synthetic, r.n_removed,
                        r.runtime_s))
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
