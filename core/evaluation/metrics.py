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
    "average_precisions", "fold_metrics", "g_mean", "interval", "metric_range", "paired_test", "paired_test_name",
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


def _codes(values: np.ndarray, index: Mapping[str, int]) -> np.ndarray:
    """The position of every value in ``index`` (-1 when absent)."""
    import pandas as pd

    inv, uniq = pd.factorize(pd.Series(values, dtype=object), sort=False)
    return np.array([index.get(str(u), -1) for u in uniq], dtype=np.int64)[inv] if len(uniq) else inv.astype(np.int64)


def average_precisions(true_code: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """``average_precision_score(true_code == j, scores[:, j])`` of every column ``j``, without a loop of sorts.

    AP is the mean over the positive rows of the precision at their score (rows scoring at least
    as high; ties count together, as scikit-learn's thresholds do). A column without positive
    row is left to scikit-learn.
    """
    from sklearn.metrics import average_precision_score

    n, k = scores.shape
    order = np.argsort(true_code, kind="stable")
    bounds = np.searchsorted(true_code[order], np.arange(k + 1))
    by_class = np.ascontiguousarray(scores.T)  # one pass, then every column is contiguous
    out = np.empty(k)
    for j in range(k):
        col = by_class[j]
        pos = col[order[bounds[j]:bounds[j + 1]]]
        if pos.size == 0:
            out[j] = average_precision_score(true_code == j, col)
            continue
        above_pos = pos.size - np.searchsorted(np.sort(pos), pos, side="left")
        if pos.size <= 16:
            above = (col[None, :] >= pos[:, None]).sum(axis=1)
        else:
            above = n - np.searchsorted(np.sort(col), pos, side="left")
        out[j] = float(np.mean(above_pos / above))
    return out


def fold_metrics(y_true: np.ndarray, y_pred: np.ndarray, scores: np.ndarray | None, labels: list[str],
                 groups: Mapping[str, str]) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Every metric of one test part, and precision / recall / F1 / support of every class.

    The values are scikit-learn's (see the module docstring), computed from class codes and
    counts so that thousands of classes cost no more than a few.

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
    labels = [str(c) for c in labels]
    extra = sorted((set(map(str, np.unique(y_true.astype(str)))) | set(map(str, np.unique(y_pred.astype(str)))))
                   - set(labels))
    index = {c: i for i, c in enumerate(labels + extra)}
    t, p = _codes(y_true, index), _codes(y_pred, index)
    k_all, k = len(index), len(labels)
    support_all = np.bincount(t, minlength=k_all).astype(np.float64)
    predicted_all = np.bincount(p, minlength=k_all).astype(np.float64)
    tp_all = np.bincount(t[t == p], minlength=k_all).astype(np.float64)
    tp, sup, pred_n = tp_all[:k], support_all[:k], predicted_all[:k]
    with np.errstate(divide="ignore", invalid="ignore"):
        prec = np.where(pred_n > 0, tp / pred_n, 0.0)
        rec = np.where(sup > 0, tp / sup, 0.0)
        f1 = np.where(sup + pred_n > 0, 2 * tp / (sup + pred_n), 0.0)
        present = support_all > 0
        n_samples = float(len(t))
        cov_tp = float(tp_all.sum()) * n_samples - float(support_all @ predicted_all)
        cov_pp = n_samples ** 2 - float(predicted_all @ predicted_all)
        cov_tt = n_samples ** 2 - float(support_all @ support_all)
    m = {
        "balanced_accuracy": float(np.mean(tp_all[present] / support_all[present])),
        "macro_f1": float(np.mean(f1)) if k else 0.0,
        "weighted_f1": float(f1 @ sup / sup.sum()) if sup.sum() > 0 else 0.0,
        "g_mean": g_mean(rec, sup),
        "mcc": 0.0 if cov_pp * cov_tt == 0 else float(cov_tp / np.sqrt(cov_pp * cov_tt)),
    }
    if scores is None:
        m["macro_pr_auc"] = math.nan
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m["macro_pr_auc"] = float(np.mean(average_precisions(np.where(t < k, t, k), np.asarray(scores, dtype=np.float64))))
    for g in GROUPS:
        idx = [i for i, c in enumerate(labels) if groups[c] == g]
        m[f"{g}_recall"] = float(np.mean(rec[idx])) if idx else math.nan
    per_class = {c: {"precision": float(prec[i]), "recall": float(rec[i]), "f1": float(f1[i]), "support": int(sup[i])}
                 for i, c in enumerate(labels)}
    return m, per_class
