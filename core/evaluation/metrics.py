"""What the evaluation measures: the metrics of one fold, their aggregate over folds, the paired test.

* **Metrics per fold**, over the scored classes ``labels`` (sorted):
  ``balanced_accuracy_score(y, p)``; ``f1_score(y, p, labels=labels, average="macro" |
  "weighted", zero_division=0)``; G-mean = geometric mean of per-class recall over the scored
  classes with support in the test part, a class with zero recall counted as recall
  :data:`GMEAN_ZERO_RECALL` (0.01; without it one class never found makes the G-mean 0 on every
  long-tailed catalog; equals ``geometric_mean_score(y, p, labels=supported, correction=0.01)``);
  ``matthews_corrcoef(y, p)``; macro PR-AUC = mean over ``labels`` of
  ``average_precision_score(y == c, score_c)`` (probabilities or decision scores);
  head / medium / tail recall = mean per-class recall (``recall_score(..., labels=labels,
  average=None, zero_division=0)``) over the scored classes of the group, groups from class
  sizes in the full data.
* **Aggregation**: mean over all folds of all repeats with a t-based 95% interval
  (``mean +- t(0.975, n-1) * sd / sqrt(n)``), clipped to the metric's range.
* **Paired test** against the baseline (same classifier, same folds): paired t-test below
  :data:`WILCOXON_MIN` fold scores, Wilcoxon signed-rank from there; significant when
  p < :data:`ALPHA`. Fold scores share training rows, so these p-values are optimistic: read
  "not significant" as "no evidence", and "significant" as "worth a look".
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.data import GROUPS

__all__ = [
    "ALPHA", "GMEAN_DESCRIPTION", "GMEAN_ZERO_RECALL", "GROUPS", "METRICS", "WILCOXON_MIN", "Interval", "finite_or_none",
    "fold_metrics", "g_mean", "interval", "metric_range", "paired_test", "paired_test_name",
]

#: Metrics in display order, with their labels.
METRICS: dict[str, str] = {
    "balanced_accuracy": "balanced accuracy",
    "macro_f1": "macro F1",
    "weighted_f1": "weighted F1",
    "g_mean": "G-mean (zero recall as 0.01)",
    "mcc": "MCC",
    "macro_pr_auc": "macro PR-AUC",
    "head_recall": "head recall",
    "medium_recall": "medium recall",
    "tail_recall": "tail recall",
}
#: Recall a class with zero recall counts as in the G-mean (a plain G-mean is 0 as soon as one class is
#: never found, which on a long-tailed catalog is always).
GMEAN_ZERO_RECALL = 0.01
#: What the G-mean is, in the words of the Evaluate page.
GMEAN_DESCRIPTION = (
    f"G-mean = geometric mean of the per-class recalls over the classes present in the test part; a class "
    f"with zero recall counts as recall {GMEAN_ZERO_RECALL:g} (a plain G-mean is 0 as soon as one class is never "
    "found, so it would be 0 for every strategy on a long-tailed catalog)."
)
#: Paired fold scores from which the Wilcoxon signed-rank test replaces the paired t-test.
WILCOXON_MIN = 10
#: Significance level of the paired test.
ALPHA = 0.05


def finite_or_none(v: Any) -> float | None:
    """``v`` as a float, or None when it is None, NaN or infinite (JSON has no NaN)."""
    if v is None:
        return None
    f = float(v)
    return f if math.isfinite(f) else None


@dataclass(frozen=True)
class Interval:
    """Mean over fold scores with a t-based 95% interval (NaN when undefined)."""

    mean: float
    ci_low: float
    ci_high: float
    n: int

    def to_dict(self) -> dict[str, float | None]:
        """``{"mean", "ci_low", "ci_high"}`` with None for NaN."""
        return {k: finite_or_none(getattr(self, k)) for k in ("mean", "ci_low", "ci_high")}

    def overlaps(self, other: Interval) -> bool:
        """Whether the two intervals share a point."""
        return not (self.ci_low > other.ci_high or other.ci_low > self.ci_high)


def interval(values: Sequence[float], *, low: float = -math.inf, high: float = math.inf) -> Interval:
    """Mean and t-based 95% interval of fold scores (NaN scores are left out).

    The interval is clipped to the metric's range ``[low, high]``: with few folds a t-interval of
    a score near 1 otherwise reaches past 1, which no score can.

    Parameters
    ----------
    values : sequence of float
    low, high : float
        The metric's possible range.

    Returns
    -------
    Interval
        NaN bounds with fewer than 2 values.
    """
    from scipy import stats

    a = np.asarray([v for v in values if v is not None and not math.isnan(v)], dtype=np.float64)
    n = len(a)
    if n == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    mean = float(a.mean())
    if n < 2:
        return Interval(mean, math.nan, math.nan, 1)
    half = float(stats.t.ppf(0.975, n - 1) * a.std(ddof=1) / math.sqrt(n))
    return Interval(mean, max(mean - half, low), min(mean + half, high), n)


def metric_range(metric: str) -> dict[str, float]:
    """The range a metric can take: rates and scores in [0, 1], Matthews correlation in [-1, 1],
    times from 0 up."""
    if metric == "mcc":
        return {"low": -1.0, "high": 1.0}
    if metric.endswith("_s") or "time" in metric:
        return {"low": 0.0, "high": math.inf}
    return {"low": 0.0, "high": 1.0}


def paired_test_name(pairs: int) -> str:
    """The paired test used for ``pairs`` fold scores."""
    return "Wilcoxon signed-rank" if pairs >= WILCOXON_MIN else "paired t-test"


def paired_test(a: Sequence[float], b: Sequence[float]) -> tuple[float | None, str]:
    """Two-sided paired test of fold scores ``a`` against ``b``.

    Paired t-test below :data:`WILCOXON_MIN` pairs, Wilcoxon signed-rank from there. Pairs with
    a NaN are left out. Identical scores give p = 1.

    Returns
    -------
    (p-value or None when fewer than 2 pairs, test name)
    """
    from scipy import stats

    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    name = paired_test_name(len(x))
    if len(x) < 2:
        return None, name
    d = x - y
    if np.allclose(d, 0, atol=1e-12):
        return 1.0, name
    if np.allclose(d, d[0], atol=1e-12):  # constant non-zero difference: no variance, clearly different
        return 0.0, name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = stats.wilcoxon(x, y).pvalue if len(x) >= WILCOXON_MIN else stats.ttest_rel(x, y).pvalue
    return float(p), name


def g_mean(recall: np.ndarray, support: np.ndarray) -> float:
    """Geometric mean of per-class ``recall`` over the classes with ``support`` > 0, a zero recall
    counted as :data:`GMEAN_ZERO_RECALL` (NaN when no class has support)."""
    r = np.asarray(recall, dtype=np.float64)[np.asarray(support) > 0]
    if r.size == 0:
        return math.nan
    r = np.where(r == 0, GMEAN_ZERO_RECALL, r)
    return float(np.exp(np.mean(np.log(r))))


def fold_metrics(y_true: np.ndarray, y_pred: np.ndarray, scores: np.ndarray | None, labels: list[str],
                 groups: Mapping[str, str]) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Every metric of one test part, and precision / recall / F1 / support of every class.

    Parameters
    ----------
    y_true, y_pred : ndarray of str
    scores : ndarray (rows, len(labels)) or None
        Class scores for PR-AUC (None: the classifier gives none, PR-AUC is NaN).
    labels : list of str
        The scored classes, sorted.
    groups : mapping
        Group (head / medium / tail) of every class.
    """
    from sklearn.metrics import (
        average_precision_score,
        balanced_accuracy_score,
        f1_score,
        matthews_corrcoef,
        precision_recall_fscore_support,
    )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prec, rec, f1, sup = precision_recall_fscore_support(y_true, y_pred, labels=labels, average=None, zero_division=0)
        m = {
            "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
            "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
            "weighted_f1": float(f1_score(y_true, y_pred, labels=labels, average="weighted", zero_division=0)),
            "g_mean": g_mean(rec, sup),
            "mcc": float(matthews_corrcoef(y_true, y_pred)),
        }
        if scores is None:
            m["macro_pr_auc"] = math.nan
        else:
            m["macro_pr_auc"] = float(np.mean([average_precision_score(y_true == c, scores[:, j])
                                               for j, c in enumerate(labels)]))
    for g in GROUPS:
        idx = [i for i, c in enumerate(labels) if groups[c] == g]
        m[f"{g}_recall"] = float(np.mean(rec[idx])) if idx else math.nan
    per_class = {c: {"precision": float(prec[i]), "recall": float(rec[i]), "f1": float(f1[i]), "support": int(sup[i])}
                 for i, c in enumerate(labels)}
    return m, per_class
