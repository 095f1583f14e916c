"""Honest comparison: leak-free cross-validation of strategies x classifiers.

How it works (the contract the tests check)
-------------------------------------------
* **Rows.** Optionally a row budget first (:func:`budget_sample`): every tail and medium row is
  kept, head classes are sampled, and the result says so.
* **Too-small classes.** A class with fewer rows than ``folds`` cannot appear in every test
  part. Its rows are put in the *training* part of every fold and the class is **not scored**
  (``Evaluation.unscored``); a note says so.
* **Folds.** Repeat ``r`` (0-based) splits the scored rows with
  ``StratifiedKFold(folds, shuffle=True, random_state=seed + r)`` (positions in the space after
  the budget and without the unscored rows). Every scored class has at least ``folds`` rows, so
  it is in every test part.
* **Split first.** The strategy sees only the training part:
  ``resample(space.subset(train), name, params=..., target=..., small_classes=..., seed=seed)``.
  The test part is the fold's original rows, untouched: natural distribution, no synthetic row,
  none removed. Reweighting strategies pass their weights as ``fit(..., sample_weight=w)``; a
  classifier that takes no sample weights gets the same weights as ``class_weight``. The
  classifier is ``spec.make(seed=seed)``.
* **Metrics per fold**, over the scored classes ``labels`` (sorted):
  ``balanced_accuracy_score(y, p)``; ``f1_score(y, p, labels=labels, average="macro" |
  "weighted", zero_division=0)``; ``geometric_mean_score(y, p, labels=labels)``;
  ``matthews_corrcoef(y, p)``; macro PR-AUC = mean over ``labels`` of
  ``average_precision_score(y == c, score_c)`` (probabilities or decision scores);
  head / medium / tail recall = mean per-class recall (``recall_score(..., labels=labels,
  average=None, zero_division=0)``) over the scored classes of the group, groups from class
  sizes in the full data.
* **Aggregation**: mean over all folds of all repeats with a t-based 95% interval
  (``mean +- t(0.975, n-1) * sd / sqrt(n)``). Paired test against ``none`` (same classifier,
  same folds): paired t-test below :data:`WILCOXON_MIN` fold scores, Wilcoxon signed-rank from
  there; significant when p < 0.05. Fold scores share training rows, so these p-values are
  optimistic: read "not significant" as "no evidence", and "significant" as "worth a look".
"""

from __future__ import annotations

import json
import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.evaluation.classifiers import DEFAULT_CLASSIFIER, class_scores, get_classifier
from core.errors import ParameterError, SchemaError, SkewlabError, SmallClassError
from core.data.features import FeatureSpace
from core.strategies import SMALL_CLASS_CHOICES, resample
from core.data.skew import HEAD_MIN, TAIL_MAX, group_for_count
from core.strategies import get_spec, parse_pipeline, validate_params
from core.strategies import coerce_target

#: Metrics in display order, with their labels.
METRICS: dict[str, str] = {
    "balanced_accuracy": "balanced accuracy",
    "macro_f1": "macro F1",
    "weighted_f1": "weighted F1",
    "g_mean": "G-mean",
    "mcc": "MCC",
    "macro_pr_auc": "macro PR-AUC",
    "head_recall": "head recall",
    "medium_recall": "medium recall",
    "tail_recall": "tail recall",
}
GROUPS = ("head", "medium", "tail")
BASELINES = ("none", "balanced_weights")
#: Paired fold scores from which the Wilcoxon signed-rank test replaces the paired t-test.
WILCOXON_MIN = 10
ALPHA = 0.05
FOLDS_RANGE = (2, 20)
REPEATS_RANGE = (1, 20)
MIN_BUDGET = 100

Progress = Callable[[float, str], None]


# ------------------------------------------------------------------------------------ results


@dataclass(frozen=True)
class Interval:
    """Mean over fold scores with a t-based 95% interval (NaN when undefined)."""

    mean: float
    ci_low: float
    ci_high: float
    n: int

    def to_dict(self) -> dict[str, float | None]:
        """``{"mean", "ci_low", "ci_high"}`` with None for NaN."""
        return {k: _num(getattr(self, k)) for k in ("mean", "ci_low", "ci_high")}

    def overlaps(self, other: Interval) -> bool:
        """Whether the two intervals share a point."""
        return not (self.ci_low > other.ci_high or other.ci_low > self.ci_high)


@dataclass(frozen=True)
class FoldScore:
    """Scores of one strategy x classifier on one fold."""

    strategy: str
    classifier: str
    repeat: int
    fold: int
    metrics: dict[str, float]
    per_class: dict[str, dict[str, float]]
    n_train: int
    n_train_synthetic: int
    n_train_removed: int
    n_test: int
    resample_s: float
    fit_s: float
    predict_s: float


@dataclass(frozen=True, eq=False)
class FoldLog:
    """What one strategy did in one fold (row ids, for leak checks)."""

    strategy: str
    repeat: int
    fold: int
    test_rows: np.ndarray
    train_input_rows: np.ndarray
    train_row: np.ndarray
    train_origin: np.ndarray
    train_seed_row: np.ndarray
    train_neighbor_row: np.ndarray
    removed_rows: np.ndarray


@dataclass(frozen=True, eq=False)
class ComparisonResult:
    """One strategy x classifier, aggregated over folds.

    Attributes
    ----------
    strategy : str
        Key of the strategy in this evaluation (the name; ``name (2)`` for a repeated name).
    name, label : str
        Registry name and display label.
    params : dict
    classifier : str
    metrics : dict[str, Interval]
    per_class : dict[str, dict]
        ``{class: {"precision", "recall", "f1" (means over folds), "support" (test rows per
        repeat), "group"}}``.
    p_values : dict[str, float or None]
        Paired test against ``none`` with the same classifier (None for ``none`` itself).
    better, worse : tuple of str
        Metrics significantly above / below ``none`` (p < 0.05).
    test : str
        ``"paired t-test"`` or ``"Wilcoxon signed-rank"``.
    weighting : str
        ``"sample_weight"``, ``"class_weight"`` or ``""``.
    resample_s, fit_s, predict_s : float
        Mean seconds per fold.
    folds : tuple of FoldScore
    predictions : ndarray (repeats, n_rows_used), object
        Out-of-fold predicted class of every row (None for unscored rows).
    notes : tuple of str
        Notes of the strategy on the training parts (deduplicated).
    """

    strategy: str
    name: str
    label: str
    params: dict
    classifier: str
    metrics: dict[str, Interval]
    per_class: dict[str, dict]
    p_values: dict[str, float | None]
    better: tuple[str, ...]
    worse: tuple[str, ...]
    test: str
    weighting: str
    resample_s: float
    fit_s: float
    predict_s: float
    folds: tuple[FoldScore, ...]
    predictions: np.ndarray
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict (no per-row predictions)."""
        return _json_clean({
            "strategy": self.strategy,
            "name": self.name,
            "label": self.label,
            "params": self.params,
            "classifier": self.classifier,
            "metrics": {m: iv.to_dict() for m, iv in self.metrics.items()},
            "p_values": self.p_values,
            "significantly_better": list(self.better),
            "significantly_worse": list(self.worse),
            "test": self.test,
            "weighting": self.weighting,
            "per_class": self.per_class,
            "resample_s": self.resample_s,
            "fit_s": self.fit_s,
            "predict_s": self.predict_s,
            "notes": list(self.notes),
            "folds": [
                {"repeat": f.repeat, "fold": f.fold, "metrics": f.metrics, "n_train": f.n_train,
                 "n_train_synthetic": f.n_train_synthetic, "n_train_removed": f.n_train_removed,
                 "n_test": f.n_test, "resample_s": f.resample_s, "fit_s": f.fit_s, "predict_s": f.predict_s}
                for f in self.folds
            ],
        })


@dataclass(frozen=True)
class Verdict:
    """The best strategy for a metric, and how sure that is."""

    metric: str
    strategy: str
    label: str
    classifier: str
    interval: Interval
    runner_up: str | None
    clearly_better: bool
    better_than_none: bool
    text: str


@dataclass(frozen=True, eq=False)
class Evaluation:
    """Strategies x classifiers under leak-free repeated stratified k-fold CV.

    Attributes
    ----------
    results : tuple of ComparisonResult
        Strategy-major, classifiers in the order asked.
    strategies : tuple of str
        Strategy keys in order (baselines first).
    classifiers : dict[str, dict]
        ``{name: {"label", "settings", "sample_weight"}}`` of the classifiers used.
    folds, repeats, seed : int
    target, small_classes : str
    head_min, tail_max : int
    n_rows_used, n_rows_total : int
        Labelled rows evaluated / labelled rows of the space given.
    sampling : str or None
        The sentence that says a row budget was applied (None when every row was used).
    groups : dict[str, str]
        Group of every class (from ``group_counts``).
    group_counts : dict[str, int]
        Class sizes in the full data.
    scored : tuple of str
        Classes scored.
    unscored : dict[str, int]
        Classes with fewer rows than folds: in training in every fold, not scored.
    y, rows : ndarray
        Classes and row ids of the rows used.
    failed : dict[str, str]
        Strategies that failed (``on_error="skip"``) and why.
    notes : tuple of str
    fold_log : tuple of FoldLog
        Only with ``keep_fold_log=True``.
    runtime_s : float
    """

    results: tuple[ComparisonResult, ...]
    strategies: tuple[str, ...]
    classifiers: dict[str, dict]
    folds: int
    repeats: int
    seed: int
    target: str
    small_classes: str
    head_min: int
    tail_max: int
    n_rows_used: int
    n_rows_total: int
    sampling: str | None
    groups: dict[str, str]
    group_counts: dict[str, int]
    scored: tuple[str, ...]
    unscored: dict[str, int]
    y: np.ndarray
    rows: np.ndarray
    failed: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    fold_log: tuple[FoldLog, ...] = ()
    runtime_s: float = 0.0

    # ---- lookups

    def result(self, strategy: str, classifier: str | None = None) -> ComparisonResult:
        """The result of ``strategy`` with ``classifier`` (the first classifier by default)."""
        clf = classifier or next(iter(self.classifiers))
        for r in self.results:
            if r.strategy == strategy and r.classifier == clf:
                return r
        raise ParameterError(f"No result for strategy {strategy!r} with classifier {clf!r}.",
                             hint=f"Strategies: {', '.join(self.strategies)}; classifiers: {', '.join(self.classifiers)}.")

    # ---- tables

    def table(self, metrics: Sequence[str] | None = None) -> pd.DataFrame:
        """One row per strategy x classifier: mean, CI bounds and p-value of every metric.

        Columns: ``strategy``, ``classifier``, then for every metric ``{m}``, ``{m}_ci_low``,
        ``{m}_ci_high``, ``{m}_p``, then ``better``, ``worse`` (metric labels), ``fit_s``,
        ``predict_s``.
        """
        metrics = list(metrics or METRICS)
        out = []
        for r in self.results:
            row: dict[str, Any] = {"strategy": r.label if r.strategy == r.name else f"{r.label} [{r.strategy}]",
                                   "key": r.strategy, "classifier": r.classifier}
            for m in metrics:
                iv = r.metrics[m]
                row[m] = iv.mean
                row[f"{m}_ci_low"] = iv.ci_low
                row[f"{m}_ci_high"] = iv.ci_high
                row[f"{m}_p"] = r.p_values.get(m)
            row["better"] = ", ".join(METRICS[m] for m in r.better if m in metrics)
            row["worse"] = ", ".join(METRICS[m] for m in r.worse if m in metrics)
            row["resample_s"] = r.resample_s
            row["fit_s"] = r.fit_s
            row["predict_s"] = r.predict_s
            out.append(row)
        return pd.DataFrame(out)

    def recall_change(self, strategy: str, classifier: str | None = None, *, baseline: str = "none") -> pd.DataFrame:
        """Per-class recall of ``strategy`` against ``baseline`` (same classifier).

        Columns: ``class``, ``group``, ``rows`` (full data), ``support`` (test rows per repeat),
        ``baseline_recall``, ``recall``, ``change``; sorted by change, largest gain first.
        """
        res = self.result(strategy, classifier)
        base = self.result(baseline, res.classifier)
        out = []
        for c in self.scored:
            out.append({"class": c, "group": self.groups[c], "rows": self.group_counts.get(c, 0),
                        "support": res.per_class[c]["support"], "baseline_recall": base.per_class[c]["recall"],
                        "recall": res.per_class[c]["recall"],
                        "change": res.per_class[c]["recall"] - base.per_class[c]["recall"]})
        frame = pd.DataFrame(out, columns=["class", "group", "rows", "support", "baseline_recall", "recall", "change"])
        return frame.sort_values(["change", "rows"], ascending=[False, False], kind="stable").reset_index(drop=True)

    def confusion(self, strategy: str, classifier: str | None = None, *, classes: Sequence[str] | None = None) -> pd.DataFrame:
        """Row-normalized confusion matrix of the out-of-fold predictions (all repeats pooled).

        Rows are the true classes ``classes`` (default: every scored class); columns the same
        classes plus ``"(other)"`` for predictions of any other class. Each row sums to 1.
        """
        res = self.result(strategy, classifier)
        classes = list(classes) if classes is not None else list(self.scored)
        cols = classes + ["(other)"]
        index = {c: i for i, c in enumerate(classes)}
        mat = np.zeros((len(classes), len(cols)))
        for rep in range(res.predictions.shape[0]):
            pred = res.predictions[rep]
            for t, p in zip(self.y, pred):
                if p is None or t not in index:
                    continue
                mat[index[t], index.get(p, len(classes))] += 1
        sums = mat.sum(axis=1, keepdims=True)
        return pd.DataFrame(mat / np.where(sums > 0, sums, 1), index=pd.Index(classes, name="true"),
                            columns=pd.Index(cols, name="predicted"))

    def best(self, metric: str = "macro_f1", classifier: str | None = None) -> Verdict:
        """The strategy with the highest mean ``metric`` (over the classifier's results).

        ``clearly_better`` is False when its interval overlaps the runner-up's.
        """
        if metric not in METRICS:
            raise ParameterError(f"Unknown metric {metric!r}.", hint=f"Metrics: {', '.join(METRICS)}.")
        clf = classifier or next(iter(self.classifiers))
        cands = [r for r in self.results if r.classifier == clf and not math.isnan(r.metrics[metric].mean)]
        if not cands:
            raise ParameterError(f"No result has a value of {METRICS[metric]} with classifier {clf!r}.")
        cands.sort(key=lambda r: -r.metrics[metric].mean)
        top = cands[0]
        iv = top.metrics[metric]
        runner = cands[1] if len(cands) > 1 else None
        clearly = runner is not None and not iv.overlaps(runner.metrics[metric])
        vs_none = metric in top.better
        name = METRICS[metric]
        text = f"Best {name} with {clf}: {top.label} at {iv.mean:.3f} (95% interval {iv.ci_low:.3f}–{iv.ci_high:.3f})."
        if runner is None:
            text += " It is the only result."
        elif clearly:
            text += f" Its interval lies above that of the runner-up, {runner.label}."
        else:
            riv = runner.metrics[metric]
            text += (f" Not clearly better: its interval overlaps that of {runner.label} "
                     f"({riv.mean:.3f}, {riv.ci_low:.3f}–{riv.ci_high:.3f}).")
        if top.name != "none":
            text += (" The paired test says it beats no resampling (p < 0.05)." if vs_none else
                     " The paired test finds no significant difference from no resampling.")
        if self.sampling:
            text += " Measured on a sample of the rows."
        return Verdict(metric, top.strategy, top.label, clf, iv, runner.strategy if runner else None, clearly,
                       vs_none, text)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict: settings, results (aggregates, per class, per fold), notes."""
        return _json_clean({
            "results": [r.to_dict() for r in self.results],
            "strategies": list(self.strategies),
            "classifiers": self.classifiers,
            "folds": self.folds,
            "repeats": self.repeats,
            "seed": self.seed,
            "target": self.target,
            "small_classes": self.small_classes,
            "head_min": self.head_min,
            "tail_max": self.tail_max,
            "n_rows_used": self.n_rows_used,
            "n_rows_total": self.n_rows_total,
            "sampling": self.sampling,
            "scored_classes": list(self.scored),
            "unscored_classes": self.unscored,
            "groups": self.groups,
            "failed": self.failed,
            "notes": list(self.notes),
            "significance": {"alpha": ALPHA, "baseline": "none",
                             "test": f"paired t-test below {WILCOXON_MIN} fold scores, Wilcoxon signed-rank from there"},
            "folds_scheme": "repeat r: StratifiedKFold(folds, shuffle=True, random_state=seed + r) over the scored rows",
            "runtime_s": self.runtime_s,
        })


# ------------------------------------------------------------------------------------ helpers


def _num(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def _json_clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_clean(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return _num(value)
    return value


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
    name = "Wilcoxon signed-rank" if len(x) >= WILCOXON_MIN else "paired t-test"
    if len(x) < 2:
        return None, name
    d = x - y
    if np.allclose(d, 0, atol=1e-12):
        return 1.0, name
    if np.allclose(d, d[0], atol=1e-12):  # constant non-zero difference: no variance, clearly different
        return 0.0, name
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = stats.wilcoxon(x, y).pvalue if name.startswith("Wilcoxon") else stats.ttest_rel(x, y).pvalue
    return float(p), name


def budget_sample(
    space: FeatureSpace,
    max_rows: int,
    *,
    group_counts: Mapping[str, int] | None = None,
    head_min: int = HEAD_MIN,
    tail_max: int = TAIL_MAX,
    min_per_class: int = 10,
    seed: int = 0,
) -> tuple[np.ndarray, str | None]:
    """Positions of a stratified sample of at most ``max_rows`` rows, every tail row kept.

    Tail rows are always kept; medium rows are kept when they fit (else sampled like the head);
    head classes share the rest in proportion to their size, each keeping at least
    ``min_per_class`` rows.

    Returns
    -------
    (sorted positions, the sentence that says what was sampled, or None when nothing was)
    """
    n = space.n_rows
    if max_rows is None or n <= max_rows:
        return np.arange(n, dtype=np.int64), None
    if max_rows < MIN_BUDGET:
        raise ParameterError(f"Row budget {max_rows:,} is too small; it must be at least {MIN_BUDGET}.")
    counts = space.class_counts()
    gc = dict(group_counts) if group_counts is not None else counts
    group = {c: group_for_count(gc.get(c, m), head_min=head_min, tail_max=tail_max) for c, m in counts.items()}
    rng = np.random.default_rng(seed)
    by_class = {c: np.flatnonzero(space.y == c) for c in counts}
    keep: list[np.ndarray] = []
    tail_n = sum(m for c, m in counts.items() if group[c] == "tail")
    medium_n = sum(m for c, m in counts.items() if group[c] == "medium")
    keep.extend(by_class[c] for c in counts if group[c] == "tail")
    left = max_rows - tail_n
    sampled_groups = ["head"]
    if medium_n <= left:
        keep.extend(by_class[c] for c in counts if group[c] == "medium")
        left -= medium_n
        pool = [c for c in counts if group[c] == "head"]
    else:
        pool = [c for c in counts if group[c] in ("head", "medium")]
        sampled_groups = ["medium", "head"]
    total = sum(counts[c] for c in pool)
    if pool:
        floors = {c: min(counts[c], min_per_class) for c in pool}
        spare = max(left - sum(floors.values()), 0)
        rest = total - sum(floors.values())
        for c in sorted(pool):
            extra = int(round(spare * (counts[c] - floors[c]) / rest)) if rest > 0 else 0
            take = min(counts[c], floors[c] + extra)
            keep.append(np.sort(rng.choice(by_class[c], size=take, replace=False)))
    pos = np.sort(np.concatenate(keep)) if keep else np.arange(0)
    kept_txt = "all tail and medium rows, head classes sampled" if sampled_groups == ["head"] else \
        "all tail rows, medium and head classes sampled"
    if tail_n > max_rows:
        kept_txt += f" (the {tail_n:,} tail rows alone exceed the budget)"
    return pos.astype(np.int64), f"Evaluated on {len(pos):,} of {n:,} labelled rows: {kept_txt}."


def _fold_metrics(y_true: np.ndarray, y_pred: np.ndarray, scores: np.ndarray | None, labels: list[str],
                  groups: Mapping[str, str]) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    from imblearn.metrics import geometric_mean_score
    from sklearn.metrics import (average_precision_score, balanced_accuracy_score, f1_score, matthews_corrcoef,
                                 precision_recall_fscore_support)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prec, rec, f1, sup = precision_recall_fscore_support(y_true, y_pred, labels=labels, average=None, zero_division=0)
        m = {
            "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
            "macro_f1": float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
            "weighted_f1": float(f1_score(y_true, y_pred, labels=labels, average="weighted", zero_division=0)),
            "g_mean": float(geometric_mean_score(y_true, y_pred, labels=labels, average="multiclass")),
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


@dataclass(frozen=True)
class _Task:
    key: str
    name: str
    params: dict
    repeat: int
    fold: int
    train: np.ndarray  # positions in the evaluated space
    test: np.ndarray


def _portable_error(exc: SkewlabError) -> dict:
    return {"type": type(exc).__name__, "message": str(exc),
            "classes": getattr(exc, "classes", None), "needed": getattr(exc, "needed", None)}


def _run_task(space: FeatureSpace, task: _Task, classifiers: Sequence[str], labels: list[str],
              groups: Mapping[str, str], target: str, small_classes: str, seed: int, keep_log: bool) -> dict:
    """Resample one training part, fit every classifier, score the test part (runs in a worker)."""
    t0 = time.perf_counter()
    train_space = space.subset(task.train)
    try:
        res = resample(train_space, task.name, params=task.params, target=target, small_classes=small_classes, seed=seed)
    except SkewlabError as exc:
        return {"error": _portable_error(exc), "task": task}
    resample_s = time.perf_counter() - t0
    X_test, y_test = space.X[task.test], space.y[task.test].astype(str)
    y_train = res.y.astype(str)
    out: dict[str, Any] = {"task": task, "scores": [], "notes": res.notes, "weighting": ""}
    for name in classifiers:
        spec = get_classifier(name)
        fit_kw: dict[str, Any] = {}
        class_weight = None
        if res.sample_weight is not None:
            if spec.sample_weight:
                fit_kw["sample_weight"] = res.sample_weight
                out["weighting"] = "sample_weight"
            else:
                class_weight = {c: float(res.sample_weight[y_train == c].mean()) for c in np.unique(y_train)}
                out["weighting"] = "class_weight"
        est = spec.make(seed=seed, class_weight=class_weight)
        if len(np.unique(y_train)) < 2:
            return {"error": {"type": "SchemaError", "message": f"the training part holds a single class after "
                              f"{task.name}", "classes": None, "needed": None}, "task": task}
        t1 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(res.X, y_train, **fit_kw)
        fit_s = time.perf_counter() - t1
        t2 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pred = np.asarray(est.predict(X_test)).astype(str)
            scores = class_scores(est, spec, X_test, labels)
        predict_s = time.perf_counter() - t2
        metrics, per_class = _fold_metrics(y_test, pred, scores, labels, groups)
        out["scores"].append((FoldScore(task.key, name, task.repeat, task.fold, metrics, per_class, len(res.y),
                                        res.n_synthetic, res.n_removed, len(task.test), resample_s, fit_s, predict_s),
                              pred))
    if keep_log:
        out["log"] = FoldLog(task.key, task.repeat, task.fold, space.rows[task.test].copy(),
                             train_space.rows.copy(), res.row.copy(), res.origin.copy(), res.seed_row.copy(),
                             res.neighbor_row.copy(), res.removed_rows.copy())
    return out


def _raise_portable(err: dict, where: str) -> None:
    msg = f"{where}: {err['message']}"
    if err["type"] == "SmallClassError":
        raise SmallClassError(msg, classes=err["classes"] or {}, needed=err["needed"] or 0)
    if err["type"] == "SchemaError":
        raise SchemaError(msg)
    raise ParameterError(msg)


def _normalize_strategies(strategies: Sequence[Any]) -> list[tuple[str, str, dict]]:
    """``[(key, name, params)]`` with the baselines first."""
    items: list[tuple[str, dict]] = []
    for s in strategies:
        if isinstance(s, str):
            name, params = s.strip(), {}
        elif isinstance(s, Mapping):
            name, params = str(s.get("name", "")).strip(), dict(s.get("params") or {})
        elif isinstance(s, (tuple, list)) and len(s) == 2:
            name, params = str(s[0]).strip(), dict(s[1] or {})
        else:
            raise ParameterError(f"Strategy {s!r} is not a name, (name, params) or {{'name', 'params'}}.")
        parse_pipeline(name)
        items.append((name, validate_params(name, params)))
    names = [n for n, _ in items]
    for b in reversed(BASELINES):
        if b not in names:
            items.insert(0, (b, validate_params(b, {})))
    items.sort(key=lambda it: BASELINES.index(it[0]) if it[0] in BASELINES else len(BASELINES))
    out: list[tuple[str, str, dict]] = []
    seen: dict[str, int] = {}
    for name, params in items:
        if name in seen and any(k == name and p == params for k, _, p in out):
            continue  # exact duplicate
        seen[name] = seen.get(name, 0) + 1
        key = name if seen[name] == 1 else f"{name} ({seen[name]})"
        out.append((key, name, params))
    return out


def _label(name: str) -> str:
    return " + ".join(get_spec(n).label for n in parse_pipeline(name))


def _check_int(value: Any, what: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= int(value) <= hi:
        raise ParameterError(f"{what}={value!r} is not allowed; it must be a whole number in {lo}..{hi}.")
    return int(value)


# ------------------------------------------------------------------------------------ evaluate


def evaluate(
    space: FeatureSpace,
    strategies: Sequence[Any],
    *,
    classifier: str | Sequence[str] = DEFAULT_CLASSIFIER,
    folds: int = 5,
    repeats: int = 1,
    seed: int = 0,
    target: Any = "auto",
    small_classes: str = "error",
    head_min: int = HEAD_MIN,
    tail_max: int = TAIL_MAX,
    group_counts: Mapping[str, int] | None = None,
    max_rows: int | None = None,
    n_jobs: int = 2,
    keep_fold_log: bool = False,
    on_error: str = "raise",
    progress: Progress | None = None,
) -> Evaluation:
    """Compare strategies x classifiers with leak-free repeated stratified k-fold CV.

    Parameters
    ----------
    space : FeatureSpace
        The labelled rows.
    strategies : sequence
        Names (``"smote"``, pipelines ``"enn+smote"``), ``(name, params)`` pairs or
        ``{"name", "params"}`` dicts (the Strategies page's run config). The baselines
        ``none`` and ``balanced_weights`` are always added (first).
    classifier : str or sequence of str
        Names from :data:`core.evaluation.classifiers.CLASSIFIERS`.
    folds, repeats : int
        Folds per repeat (2-20) and repeats (1-20).
    seed : int
        Seed of the folds (repeat r uses ``seed + r``), of every strategy and classifier.
    target, small_classes
        As for :func:`core.strategies.resample`, applied to every training part.
    head_min, tail_max : int
        Group bounds (head: more than ``head_min`` rows; tail: fewer than ``tail_max``).
    group_counts : mapping, optional
        Class sizes in the full data (default: those of ``space``); groups come from them.
    max_rows : int, optional
        Row budget (see :func:`budget_sample`); None uses every row.
    n_jobs : int
        Worker processes over folds (1 = in this process).
    keep_fold_log : bool
        Keep the row ids of every fold (``Evaluation.fold_log``) for leak checks.
    on_error : {"raise", "skip"}
        A strategy that fails on a training part raises (default) or is left out and listed
        in ``Evaluation.failed``. A failing baseline always raises.
    progress : callable(fraction, message), optional

    Returns
    -------
    Evaluation

    Raises
    ------
    ParameterError, SchemaError, SmallClassError
    """
    t_start = time.perf_counter()
    folds = _check_int(folds, "folds", *FOLDS_RANGE)
    repeats = _check_int(repeats, "repeats", *REPEATS_RANGE)
    seed = _check_int(seed, "seed", 0, 2**32 - 1 - REPEATS_RANGE[1])
    n_jobs = _check_int(n_jobs, "n_jobs", 1, 64)
    head_min = _check_int(head_min, "head_min", 1, 10**9)
    tail_max = _check_int(tail_max, "tail_max", 1, 10**9)
    if on_error not in ("raise", "skip"):
        raise ParameterError(f"on_error={on_error!r} is not allowed; it must be 'raise' or 'skip'.")
    if small_classes not in SMALL_CLASS_CHOICES:
        raise ParameterError(f"small_classes={small_classes!r} is not allowed; it must be one of {', '.join(SMALL_CLASS_CHOICES)}.")
    target_text = coerce_target(target).to_text()
    clfs = [classifier] if isinstance(classifier, str) else list(classifier)
    if not clfs:
        raise ParameterError("No classifier was chosen.", hint="Pick at least one, e.g. 'logreg'.")
    clfs = list(dict.fromkeys(get_classifier(c).name for c in clfs))
    items = _normalize_strategies(strategies)
    notes: list[str] = []
    asked = {(s if isinstance(s, str) else (s.get("name") if isinstance(s, Mapping) else s[0])) for s in strategies}
    added = [b for b in BASELINES if b not in asked]
    if added:
        notes.append(f"Baselines always compared: {', '.join(added)} added.")

    def report(f: float, msg: str) -> None:
        if progress is not None:
            progress(float(min(max(f, 0.0), 1.0)), msg)

    n_total = space.n_rows
    full_counts = dict(group_counts) if group_counts is not None else space.class_counts()
    pos, sampling = (budget_sample(space, max_rows, group_counts=full_counts, head_min=head_min, tail_max=tail_max,
                                   seed=seed) if max_rows is not None else (np.arange(n_total, dtype=np.int64), None))
    used = space.subset(pos) if len(pos) < n_total else space
    counts = used.class_counts()
    groups = {c: group_for_count(full_counts.get(c, n), head_min=head_min, tail_max=tail_max) for c, n in counts.items()}
    unscored = {c: n for c, n in counts.items() if n < folds}
    scored = tuple(c for c in sorted(counts) if c not in unscored)
    if len(scored) < 2:
        raise SchemaError(
            f"Only {len(scored)} class(es) have at least {folds} rows, so there is nothing to compare across {folds} folds.",
            hint="Lower the number of folds, or raise the row budget.",
        )
    if unscored:
        notes.append(
            f"{len(unscored)} class(es) have fewer rows than the {folds} folds "
            f"({', '.join(f'{c!r} {n}' for c, n in list(sorted(unscored.items(), key=lambda kv: (kv[1], kv[0])))[:8])}"
            f"{' …' if len(unscored) > 8 else ''}): their {sum(unscored.values())} rows are in the training part of "
            f"every fold and are not scored."
        )
    always_train = np.flatnonzero(np.isin(used.y.astype(str), list(unscored)))
    scored_pos = np.flatnonzero(~np.isin(used.y.astype(str), list(unscored)))

    from sklearn.model_selection import StratifiedKFold

    tasks: list[_Task] = []
    y_scored = used.y[scored_pos].astype(str)
    splits = []
    for r in range(repeats):
        skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed + r)
        for f, (tr, te) in enumerate(skf.split(np.zeros(len(y_scored)), y_scored)):
            splits.append((r, f, np.sort(np.concatenate([scored_pos[tr], always_train])), np.sort(scored_pos[te])))
    for key, name, params in items:
        for r, f, tr, te in splits:
            tasks.append(_Task(key, name, params, r, f, tr, te))

    report(0.0, f"{len(tasks)} training parts to resample ({len(items)} strategies x {folds} folds x {repeats} repeats)")
    labels = list(scored)
    from joblib import Parallel, delayed

    outputs: list[dict] = []
    if n_jobs == 1 or len(tasks) == 1:
        gen = (_run_task(used, t, clfs, labels, groups, target_text, small_classes, seed, keep_fold_log) for t in tasks)
    else:
        gen = Parallel(n_jobs=min(n_jobs, len(tasks)), return_as="generator")(
            delayed(_run_task)(used, t, clfs, labels, groups, target_text, small_classes, seed, keep_fold_log)
            for t in tasks
        )
    for i, out in enumerate(gen):
        t = out["task"]
        outputs.append(out)
        report((i + 1) / len(tasks), f"{_label(t.name)}: repeat {t.repeat + 1}, fold {t.fold + 1} of {folds} done")

    failed: dict[str, str] = {}
    for out in outputs:
        if "error" in out:
            t = out["task"]
            where = (f"{_label(t.name)} failed on the training part of repeat {t.repeat + 1}, fold {t.fold + 1} "
                     f"({len(t.train):,} rows)")
            if on_error == "raise" or t.name in BASELINES:
                _raise_portable(out["error"], where)
            failed.setdefault(t.key, f"{where}: {out['error']['message']}")

    results: list[ComparisonResult] = []
    fold_log: list[FoldLog] = []
    for key, name, params in items:
        if key in failed:
            continue
        mine = [o for o in outputs if o["task"].key == key]
        if keep_fold_log:
            fold_log.extend(o["log"] for o in mine)
        strat_notes = tuple(dict.fromkeys(n for o in mine for n in o["notes"]))
        weighting = next((o["weighting"] for o in mine if o["weighting"]), "")
        for ci, clf in enumerate(clfs):
            scores = [o["scores"][ci][0] for o in mine]
            preds = np.full((repeats, used.n_rows), None, dtype=object)
            for o in mine:
                t = o["task"]
                preds[t.repeat, t.test] = o["scores"][ci][1]
            metrics = {m: interval([s.metrics[m] for s in scores], **metric_range(m)) for m in METRICS}
            per_class = {}
            for c in labels:
                per_class[c] = {
                    "precision": float(np.mean([s.per_class[c]["precision"] for s in scores])),
                    "recall": float(np.mean([s.per_class[c]["recall"] for s in scores])),
                    "f1": float(np.mean([s.per_class[c]["f1"] for s in scores])),
                    "support": int(round(sum(s.per_class[c]["support"] for s in scores) / repeats)),
                    "group": groups[c],
                }
            results.append(ComparisonResult(
                strategy=key, name=name, label=_label(name), params=params, classifier=clf, metrics=metrics,
                per_class=per_class, p_values={}, better=(), worse=(), test="", weighting=weighting,
                resample_s=float(np.mean([s.resample_s for s in scores])),
                fit_s=float(np.mean([s.fit_s for s in scores])),
                predict_s=float(np.mean([s.predict_s for s in scores])),
                folds=tuple(sorted(scores, key=lambda s: (s.repeat, s.fold))), predictions=preds, notes=strat_notes,
            ))
    # paired tests against "none" with the same classifier
    final: list[ComparisonResult] = []
    for r in results:
        base = next(b for b in results if b.strategy == "none" and b.classifier == r.classifier)
        pv: dict[str, float | None] = {}
        better, worse, test = [], [], ""
        for m in METRICS:
            if r.strategy == "none":
                pv[m] = None
                continue
            a = [s.metrics[m] for s in r.folds]
            b = [s.metrics[m] for s in base.folds]
            p, test = paired_test(a, b)
            pv[m] = p
            if p is not None and p < ALPHA:
                (better if np.nanmean(a) > np.nanmean(b) else worse).append(m)
        final.append(_replace(r, p_values=pv, better=tuple(better), worse=tuple(worse), test=test or
                              ("Wilcoxon signed-rank" if folds * repeats >= WILCOXON_MIN else "paired t-test")))
    if any(g == "head" for g in groups.values()) is False:
        notes.append(f"No class has more than {head_min} rows: head recall is empty.")
    if failed:
        notes.append(f"{len(failed)} strateg{'ies' if len(failed) > 1 else 'y'} failed and are left out: "
                     f"{', '.join(failed)}.")
    return Evaluation(
        results=tuple(final),
        strategies=tuple(k for k, _, _ in items if k not in failed),
        classifiers={c: {"label": get_classifier(c).label, "settings": dict(get_classifier(c).settings),
                         "sample_weight": get_classifier(c).sample_weight} for c in clfs},
        folds=folds, repeats=repeats, seed=seed, target=target_text, small_classes=small_classes,
        head_min=head_min, tail_max=tail_max, n_rows_used=used.n_rows, n_rows_total=n_total, sampling=sampling,
        groups=groups, group_counts={c: int(full_counts.get(c, n)) for c, n in counts.items()}, scored=scored,
        unscored=unscored, y=used.y.astype(str), rows=used.rows.copy(), failed=failed, notes=tuple(notes),
        fold_log=tuple(fold_log), runtime_s=time.perf_counter() - t_start,
    )


def _replace(obj: Any, **kw: Any) -> Any:
    from dataclasses import replace

    return replace(obj, **kw)


def request_key(strategies: Sequence[Any], **options: Any) -> str:
    """A stable JSON text of an evaluation request (for content-keyed caches)."""
    return json.dumps({"strategies": [s if isinstance(s, (str, dict)) else list(s) for s in strategies], **options},
                      sort_keys=True, default=str)
