"""What an evaluation returns: fold scores, per-strategy aggregates, the verdict, and the whole run."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.errors import ParameterError
from core.evaluation.metrics import ALPHA, METRICS, WILCOXON_MIN, Interval, finite_or_none
from core.params import Choice, check
from core.strategies import NO_RESAMPLING

__all__ = ["ComparisonResult", "Evaluation", "FoldLog", "FoldScore", "Verdict"]


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

    def recall_change(self, strategy: str, classifier: str | None = None, *, baseline: str = NO_RESAMPLING) -> pd.DataFrame:
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
        metric = check(metric, Choice(tuple(METRICS)), name="metric")
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
        if top.name != NO_RESAMPLING:
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
            "significance": {"alpha": ALPHA, "baseline": NO_RESAMPLING,
                             "test": f"paired t-test below {WILCOXON_MIN} fold scores, Wilcoxon signed-rank from there"},
            "folds_scheme": "repeat r: StratifiedKFold(folds, shuffle=True, random_state=seed + r) over the scored rows",
            "runtime_s": self.runtime_s,
        })


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
        return finite_or_none(value)
    return value
