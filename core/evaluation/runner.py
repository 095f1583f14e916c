"""One fold of one strategy: resample the training part, fit every classifier, score the test part.

:func:`run_task` runs in a joblib worker (or in the calling process). A SkewlabError of the
strategy on its training part is told where it happened (strategy, repeat, fold, rows) and
either raised, crossing to the parent as itself (``Task.must_succeed``), or returned as text so
that the evaluation can leave the strategy out. Any other exception is a bug and is raised as it is.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.data.features import FeatureSpace
from core.errors import SchemaError, SkewlabError
from core.evaluation.classifiers import ClassifierSpec, class_scores, get_classifier
from core.evaluation.metrics import fold_metrics
from core.evaluation.result import FoldLog, FoldScore
from core.strategies import ResampleResult, resample

__all__ = ["Shared", "Task", "run_task"]


@dataclass(frozen=True)
class Task:
    """One strategy on one fold of one repeat.

    ``train`` and ``test`` are positions in the evaluated space; ``must_succeed`` says that a
    failure raises (``on_error="raise"``, or a baseline) instead of leaving the strategy out.
    """

    key: str
    name: str
    label: str
    params: dict
    repeat: int
    fold: int
    train: np.ndarray
    test: np.ndarray
    must_succeed: bool = True

    @property
    def where(self) -> str:
        """The words that say which training part a failure happened on."""
        return (f"{self.label} failed on the training part of repeat {self.repeat + 1}, fold {self.fold + 1} "
                f"({len(self.train):,} rows)")


@dataclass(frozen=True)
class Shared:
    """What every task of an evaluation shares."""

    classifiers: tuple[str, ...]
    labels: list[str]
    groups: dict[str, str]
    target: str
    small_classes: str
    seed: int
    keep_log: bool


def run_task(space: FeatureSpace, task: Task, shared: Shared) -> dict[str, Any]:
    """Resample one training part, fit every classifier, score the test part.

    Returns
    -------
    dict
        ``{"task", "scores": [(FoldScore, predictions) per classifier], "notes", "weighting"}``
        plus ``"log"`` (a FoldLog) when asked; or ``{"task", "error": text}`` when the strategy
        failed and need not succeed.
    """
    t0 = time.perf_counter()
    train_space = space.subset(task.train)
    try:
        res = resample(train_space, task.name, params=task.params, target=shared.target,
                       small_classes=shared.small_classes, seed=shared.seed)
        if len(np.unique(res.y.astype(str))) < 2:
            raise SchemaError(f"the training part holds a single class after {task.name}")
    except SkewlabError as exc:
        exc.args = (f"{task.where}: {exc.message}",)  # same type, hint and attributes
        if task.must_succeed:
            raise
        return {"task": task, "error": str(exc)}
    resample_s = time.perf_counter() - t0
    out: dict[str, Any] = {"task": task, "scores": [], "notes": res.notes, "weighting": ""}
    for name in shared.classifiers:
        score, pred, weighting = _fit_and_score(get_classifier(name), space, task, res, shared, resample_s)
        out["scores"].append((score, pred))
        if weighting:
            out["weighting"] = weighting
    if shared.keep_log:
        out["log"] = FoldLog(task.key, task.repeat, task.fold, space.rows[task.test].copy(),
                             train_space.rows.copy(), res.row.copy(), res.origin.copy(), res.seed_row.copy(),
                             res.neighbor_row.copy(), res.removed_rows.copy())
    return out


def _weights(spec: ClassifierSpec, res: ResampleResult, y_train: np.ndarray) -> tuple[dict, dict | None, str]:
    """How a strategy's row weights reach the classifier: ``(fit keywords, class_weight, how)``.

    A classifier that takes no sample weights gets the mean weight of every class as its
    class weight.
    """
    if res.sample_weight is None:
        return {}, None, ""
    if spec.sample_weight:
        return {"sample_weight": res.sample_weight}, None, "sample_weight"
    class_weight = {c: float(res.sample_weight[y_train == c].mean()) for c in np.unique(y_train)}
    return {}, class_weight, "class_weight"


def _fit_and_score(spec: ClassifierSpec, space: FeatureSpace, task: Task, res: ResampleResult, shared: Shared,
                   resample_s: float) -> tuple[FoldScore, np.ndarray, str]:
    """Fit one classifier on the resampled training part and score it on the test part."""
    X_test, y_test = space.X[task.test], space.y[task.test].astype(str)
    y_train = res.y.astype(str)
    fit_kw, class_weight, weighting = _weights(spec, res, y_train)
    est = spec.make(seed=shared.seed, class_weight=class_weight)
    t1 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(res.X, y_train, **fit_kw)
    fit_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pred = np.asarray(est.predict(X_test)).astype(str)
        scores = class_scores(est, spec, X_test, shared.labels)
    predict_s = time.perf_counter() - t2
    metrics, per_class = fold_metrics(y_test, pred, scores, shared.labels, shared.groups)
    score = FoldScore(task.key, spec.name, task.repeat, task.fold, metrics, per_class, len(res.y), res.n_synthetic,
                      res.n_removed, len(task.test), resample_s, fit_s, predict_s)
    return score, pred, weighting

