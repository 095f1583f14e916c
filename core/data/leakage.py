"""Feature columns that give the label away.

A column leaks the label when it is another level of the same hierarchy, or a code that names the
class. Two tests, both on the labelled rows and exact (no sampling, no model):

* **predicts the label**: each row's label is guessed as the most common label among the *other*
  rows with the same value in the column (leave one out, so a title or an id that is unique per
  row predicts nothing). A child level of the label (``type`` under ``sub_category``) is right
  for almost every row.
* **follows from the label**: the same guess the other way round (the column's value from the
  other rows of the class). A parent level (``category`` above ``sub_category``) has one value per
  class, so it is right for every row of every class with two or more rows. Columns whose most
  common value covers most rows are not reported: a near-constant column follows from anything.

Each figure is judged against the guess that needs no column (the most common label, or the most
common value): a column of a two-class catalog whose big class has 95% of rows is "right" for 95%
of rows without knowing anything. Both figures are over the labelled rows that have a value in the column (a child level is often
empty where the path is shorter); a row whose value (class) occurs once counts as a wrong guess, and
columns with a value in fewer than a fifth of the labelled rows are not judged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: Share of the rows the most-common guess gets wrong that the column gets right, from which it is said to
#: predict the label almost alone ...
PREDICTS = 0.90
#: ... or to follow from the label (one value per class).
FOLLOWS = 0.95
#: A column whose most common value covers this share of rows is not reported as following from the label.
NEAR_CONSTANT = 0.90
#: Columns with a value in fewer than this share of labelled rows are not judged.
MIN_COVERAGE = 0.20
#: At most this many columns are judged (each takes a few milliseconds; a 5,000-column table would
#: keep the page waiting); callers pick which and say how many were left unjudged.
MAX_COLUMNS = 500


@dataclass(frozen=True)
class Leak:
    """One column that gives the label away, with the measured figure."""

    column: str
    kind: str  # "predicts" (a child level, a class code) or "follows" (a parent level)
    accuracy: float  # leave-one-out share guessed right, of the labelled rows with a value
    n_values: int
    coverage: float  # share of labelled rows with a value in the column
    baseline: float  # the same share for the guess that needs no column (the most common label or value)

    def describe(self, label: str) -> str:
        """One sentence in the analyst's words."""
        rows = "rows" if self.coverage >= 0.995 else f"the rows that have a value ({self.coverage:.0%} of rows)"
        if self.kind == "predicts":
            return (f"'{self.column}' alone names the {label} of {self.accuracy:.0%} of {rows}, against "
                    f"{self.baseline:.0%} for the most common {label} ({self.n_values:,} values; like a lower level "
                    "of the same hierarchy)")
        return (f"'{self.column}' has one value per class for {self.accuracy:.0%} of {rows}, against "
                f"{self.baseline:.0%} for its most common value ({self.n_values:,} values; like a higher level "
                "of the same hierarchy)")


def _codes(values: pd.Series) -> tuple[np.ndarray, int]:
    """Integer codes of the cells (-1 where empty: NA or blank text) and the number of distinct values."""
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        text = values.astype("string").str.strip()
        values = text.mask(text == "")
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    return codes.astype(np.int64), len(uniques)


def _loo_accuracy(key: np.ndarray, n_keys: int, target: np.ndarray, n_targets: int) -> float:
    """Share of rows (with a key and a target; codes >= 0) whose target is the strict majority among the
    other rows with the same key."""
    present = (key >= 0) & (target >= 0)
    if not present.any():
        return 0.0
    pair, counts = np.unique(key[present] * n_targets + target[present], return_counts=True)
    keys = pair // n_targets
    # per key: the largest count and the runner-up (equal to it when two targets tie; 0 when alone)
    order = np.lexsort((-counts, keys))
    keys, counts = keys[order], counts[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])  # each key's largest count comes first
    ends = np.r_[starts[1:], len(keys)]
    top = counts[starts]
    second = np.where(starts + 1 < ends, counts[np.minimum(starts + 1, len(keys) - 1)], 0)
    right = np.where(top - 1 > second, top, 0)  # the top target's rows, each guessed from the others
    return float(right.sum() / present.sum())


def _beyond(accuracy: float, baseline: float) -> float:
    """Share of the rows the baseline guess gets wrong that ``accuracy`` gets right (1 = all of them)."""
    return (accuracy - baseline) / (1.0 - baseline) if baseline < 1.0 else 0.0


def find_leaks(frame: pd.DataFrame, labels: pd.Series, columns: Iterable[str]) -> list[Leak]:
    """Columns of ``columns`` that predict the label almost alone or follow from it, strongest first.

    ``labels`` is aligned with ``frame`` (NA for unlabelled rows, which are left out).
    """
    known = labels.notna().to_numpy()
    target, n_targets = _codes(labels[known].astype("string"))
    if len(target) < 2 or n_targets < 2:
        return []
    target_share = np.bincount(target[target >= 0]).max() / max((target >= 0).sum(), 1)
    leaks = []
    for column in columns:
        key, n_values = _codes(frame[column][known])
        present = key >= 0
        coverage = float(present.mean())
        if n_values < 2 or coverage < MIN_COVERAGE or n_values == present.sum():
            continue  # nothing to judge: one value, mostly empty, or a value per row (an id, a title)
        predicts = _loo_accuracy(key, n_values, target, n_targets)
        base = float(np.bincount(target[present]).max() / present.sum()) if coverage < 1 else float(target_share)
        if _beyond(predicts, base) >= PREDICTS:
            leaks.append(Leak(str(column), "predicts", predicts, n_values, coverage, base))
            continue
        base = float(np.bincount(key[present]).max() / present.sum())
        if base >= NEAR_CONSTANT:
            continue
        follows = _loo_accuracy(target, n_targets, key, n_values)
        if _beyond(follows, base) >= FOLLOWS:
            leaks.append(Leak(str(column), "follows", follows, n_values, coverage, base))
    return sorted(leaks, key=lambda leak: -leak.accuracy)
