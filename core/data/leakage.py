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

Both figures are over the labelled rows that have a value in the column (a child level is often
empty where the path is shorter); a row whose value (class) occurs once counts as a wrong guess, and
columns with a value in fewer than a fifth of the labelled rows are not judged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

#: Leave-one-out accuracy from which a column is said to predict the label almost alone.
PREDICTS = 0.90
#: Leave-one-out accuracy from which a column is said to follow from the label (one value per class).
FOLLOWS = 0.98
#: A column whose most common value covers this share of rows is not reported as following from the label.
NEAR_CONSTANT = 0.90
#: Columns with a value in fewer than this share of labelled rows are not judged.
MIN_COVERAGE = 0.20


@dataclass(frozen=True)
class Leak:
    """One column that gives the label away, with the measured figure."""

    column: str
    kind: str  # "predicts" (a child level, a class code) or "follows" (a parent level)
    accuracy: float  # leave-one-out share guessed right, of the labelled rows with a value
    n_values: int
    coverage: float  # share of labelled rows with a value in the column

    def describe(self, label: str) -> str:
        """One sentence in the analyst's words."""
        rows = "rows" if self.coverage >= 0.995 else f"the rows that have a value ({self.coverage:.0%} of rows)"
        if self.kind == "predicts":
            return (f"'{self.column}' alone names the {label} of {self.accuracy:.0%} of {rows} "
                    f"({self.n_values:,} values; like a lower level of the same hierarchy)")
        return (f"'{self.column}' has one value per class for {self.accuracy:.0%} of {rows} "
                f"({self.n_values:,} values; like a higher level of the same hierarchy)")


def _loo_accuracy(key: pd.Series, target: pd.Series) -> float:
    """Share of rows whose ``target`` is the strict majority among the other rows with the same ``key``."""
    pairs = pd.DataFrame({"k": key.to_numpy(), "t": target.to_numpy()}).dropna()
    if pairs.empty:
        return 0.0
    counts = pairs.groupby(["k", "t"], sort=False, observed=True).size().rename("n").reset_index()
    counts = counts.sort_values(["k", "n"], ascending=[True, False], kind="stable")
    rank = counts.groupby("k", sort=False, observed=True).cumcount().to_numpy()
    top = counts.loc[rank == 0, ["k", "n"]].set_index("k")["n"]
    # the runner-up count per key (the top count again when two targets tie for it; 0 when alone)
    second = counts.loc[rank == 1, ["k", "n"]].set_index("k")["n"].reindex(top.index, fill_value=0)
    right = (top - 1 > second) * top  # the top target's rows, each guessed from the others
    return float(right.sum() / len(pairs))


def find_leaks(frame: pd.DataFrame, labels: pd.Series, columns: Iterable[str]) -> list[Leak]:
    """Columns of ``columns`` that predict the label almost alone or follow from it, strongest first.

    ``labels`` is aligned with ``frame`` (NA for unlabelled rows, which are left out).
    """
    known = labels.notna().to_numpy()
    target = labels[known].astype("string").reset_index(drop=True)
    if len(target) < 2 or target.nunique() < 2:
        return []
    leaks = []
    for column in columns:
        values = frame[column][known].reset_index(drop=True)
        text = values.astype("string").str.strip()
        text = text.mask(text == "")
        n_values = int(text.nunique())
        present = text.notna()
        coverage = float(present.mean())
        if n_values < 2 or coverage < MIN_COVERAGE:
            continue
        text, known_target = text[present].reset_index(drop=True), target[present.to_numpy()].reset_index(drop=True)
        predicts = _loo_accuracy(text, known_target)
        if predicts >= PREDICTS:
            leaks.append(Leak(str(column), "predicts", predicts, n_values, coverage))
            continue
        if text.value_counts(normalize=True).iloc[0] >= NEAR_CONSTANT:
            continue
        follows = _loo_accuracy(known_target, text)
        if follows >= FOLLOWS:
            leaks.append(Leak(str(column), "follows", follows, n_values, coverage))
    return sorted(leaks, key=lambda leak: -leak.accuracy)
