"""What an evaluation will cost, before it runs: rows to fit, classes, folds and seconds.

Rows are exact arithmetic on class sizes: the largest training part of every fold keeps
``n - n // folds`` rows of a scored class and every row of a class too small to score; each
strategy's rows after resampling that part come from :func:`core.strategies.cost.estimate`
(synthetic rows included; an upper bound when a cleaning step runs). Seconds are a formula
measured on this project's long-tail catalogs (``benchmarks/bench_evaluate.py``), per task
(one strategy on one fold): resampling per input and output row (k-NN strategies per row and
feature), the classifier's fit (:data:`FIT_COST`), and prediction plus metrics per test row and
class; tasks share ``n_jobs`` workers. It is a rough guide (the machine's load changes it), used
to refuse a run that would not finish in reasonable time and to say what to change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.errors import ResourceError
from core.strategies import REGISTRY, parse_pipeline
from core.strategies.cost import estimate as strategy_estimate

__all__ = ["FIT_COST", "EvaluationEstimate", "check_budget", "fmt_seconds", "plan"]

#: Seconds per (fit row x feature^2), per (fit row x feature x class) and per (test row x test-part row)
#: of each classifier's fit and prediction; measured on 20k x 700 and 100k x 2,000 catalogs.
FIT_COST: dict[str, tuple[float, float, float]] = {
    "lda": (3.0e-9, 0.0, 0.0),
    "logreg": (0.0, 4.0e-8, 0.0),
    "hgb": (0.0, 6.0e-8, 0.0),
    "random_forest": (0.0, 4.0e-9, 0.0),
    "linear_svm": (0.0, 2.5e-8, 0.0),
    "knn": (0.0, 0.0, 2.0e-9),
}
#: Seconds per test row x class (decision scores, PR-AUC and the other metrics).
PREDICT_COST = 1.5e-7
#: Seconds per row of a resampling step: per input row, per output row, per (row x feature) for k-NN steps.
RESAMPLE_ROW = 2.0e-6
RESAMPLE_OUT = 1.0e-6
RESAMPLE_KNN = 3.0e-7
#: Seconds per class an outlier step fits a model on, per tree (isolation forest, compiled:
#: core/strategies/iforest.py; 100 trees on a 20-row class take ~0.02 s on a busy 2-core machine) or per
#: class (the others).
OUTLIER_PER_TREE = 2.0e-4
OUTLIER_PER_CLASS = 5.0e-3
#: Start-up of the worker processes (imports, the feature space sent to each).
START_S = 4.0


def fmt_seconds(s: float) -> str:
    """``45 s``, ``3 min 20 s``, ``2 h 05 min``."""
    s = max(float(s), 0.0)
    if s < 60:
        return f"{s:.0f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60):02d} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60):02d} min"


@dataclass(frozen=True)
class EvaluationEstimate:
    """Rows, classes, folds and seconds of one evaluation, before it runs.

    Attributes
    ----------
    rows, rows_total : int
        Labelled rows evaluated (after the row budget) and in the data.
    classes, scored : int
        Classes in the training parts, and those scored (at least ``folds`` rows).
    unscored_rows : int
        Rows of the classes too small to score (in every training part).
    fit_rows : dict
        Strategy key -> rows of its largest training part after resampling (real + synthetic).
    synthetic : dict
        Strategy key -> synthetic rows in that part.
    seconds_per_task : dict
        Strategy key -> estimated seconds of one fold (resample, fit every classifier, score).
    seconds : float
        The whole run on ``n_jobs`` workers.
    n_features : int
        Columns of the feature matrix (for :attr:`bytes_needed`).
    """

    rows: int
    rows_total: int
    classes: int
    scored: int
    unscored_rows: int
    folds: int
    repeats: int
    n_jobs: int
    classifiers: tuple[str, ...]
    test_rows: int
    fit_rows: dict[str, int] = field(default_factory=dict)
    synthetic: dict[str, int] = field(default_factory=dict)
    seconds_per_task: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    n_features: int = 0

    @property
    def bytes_needed(self) -> int:
        """Peak memory of the run, roughly: the evaluated matrix (written once for the workers), and per
        worker its largest training part about three times over (the part, its resampled copy, the
        classifier's working copy) with the test part and a class-by-feature model per classifier."""
        d = max(self.n_features, 1)
        _, most = self.largest if self.fit_rows else ("", 0)
        per_worker = (3 * most + self.test_rows) * d * 8 + 4 * self.classes * d * 8 * max(len(self.classifiers), 1)
        return int(self.rows * d * 8 + self.n_jobs * per_worker)

    @property
    def tasks(self) -> int:
        """Training parts to resample and fit: strategies x folds x repeats."""
        return len(self.fit_rows) * self.folds * self.repeats

    @property
    def largest(self) -> tuple[str, int]:
        """The strategy with the largest training part and its rows."""
        key = max(self.fit_rows, key=lambda k: (self.fit_rows[k], k))
        return key, self.fit_rows[key]

    @property
    def total_fit_rows(self) -> int:
        """Rows fitted over the whole run (every strategy, fold and repeat)."""
        return sum(self.fit_rows.values()) * self.folds * self.repeats

    def text(self) -> str:
        """One sentence with the rows, classes, folds and seconds, as the Evaluate page shows it."""
        key, most = self.largest
        syn = self.synthetic.get(key, 0)
        return (f"About {fmt_seconds(self.seconds)}: {len(self.fit_rows)} strategies x {self.folds} folds x "
                f"{self.repeats} repeat(s) = {self.tasks} training parts on {self.rows:,} labelled rows, "
                f"{self.total_fit_rows:,} rows to fit in all; the largest part has {most:,} rows ({key}"
                + (f", {syn:,} of them synthetic" if syn else "") + f"); {self.classes:,} classes, "
                f"{self.scored:,} scored.")


def _part_counts(counts: Mapping[str, int], unscored: Mapping[str, int], folds: int) -> dict[str, int]:
    """Class sizes of the largest training part: ``n - n // folds`` of a scored class, all rows of the others."""
    return {c: (n if c in unscored else n - n // folds) for c, n in counts.items()}


def _resample_seconds(name: str, params: Mapping[str, Any], part: Mapping[str, int], rows_out: int, d: int) -> float:
    """The formula's seconds of resampling one training part (0 for the baseline and reweighting)."""
    steps = parse_pipeline(name)
    if all(REGISTRY[s].family in ("baseline", "reweight") for s in steps):
        return 0.0
    per_step = {steps[0]: params} if len(steps) == 1 else params
    rows_in = sum(part.values())
    knn = sum(1 for s in steps if REGISTRY[s].k_param or REGISTRY[s].family in ("clean", "combined", "outlier"))
    seconds = rows_in * RESAMPLE_ROW + rows_out * RESAMPLE_OUT + knn * max(rows_in, rows_out) * d * RESAMPLE_KNN
    for s in steps:
        if REGISTRY[s].family == "outlier":
            p = per_step.get(s, {})
            guard = max(int(p.get("min_class_rows", 0)), 2)
            fitted = sum(1 for n in part.values() if n >= guard)
            trees = int(p.get("n_estimators", 0))
            seconds += fitted * (trees * OUTLIER_PER_TREE if trees else OUTLIER_PER_CLASS)
    return seconds


def _fit_seconds(classifier: str, rows: int, d: int, k: int, test_rows: int) -> float:
    per_d2, per_dk, per_pair = FIT_COST.get(classifier, (0.0, 4.0e-8, 0.0))
    return rows * d * d * per_d2 + rows * d * k * per_dk + rows * test_rows * per_pair + test_rows * k * PREDICT_COST


def plan(counts: Mapping[str, int], unscored: Mapping[str, int], items: Sequence[tuple[str, str, dict]], *,
         n_features: int, rows_total: int, folds: int, repeats: int, classifiers: Sequence[str], target: str,
         small_classes: str, n_jobs: int) -> EvaluationEstimate:
    """The estimate of the run of ``items`` (``(key, name, params)``) on classes of size ``counts``."""
    part = _part_counts(counts, unscored, folds)
    test_rows = sum(-(-n // folds) for c, n in counts.items() if c not in unscored)
    fit_rows, synthetic, per_task = {}, {}, {}
    for key, name, params in items:
        est = strategy_estimate(part, n_features, name, target=target, params=params, small_classes=small_classes)
        fit_rows[key], synthetic[key] = int(est.rows_out), int(est.synthetic)
        per_task[key] = _resample_seconds(name, params, part, est.rows_out, n_features) + sum(
            _fit_seconds(c, est.rows_out, n_features, len(counts), test_rows) for c in classifiers)
    workers = max(1, min(int(n_jobs), len(items) * folds * repeats))
    seconds = sum(per_task.values()) * folds * repeats / workers + (START_S if workers > 1 else 0.0)
    return EvaluationEstimate(
        rows=sum(counts.values()), rows_total=int(rows_total), classes=len(counts), scored=len(counts) - len(unscored),
        unscored_rows=int(sum(unscored.values())), folds=folds, repeats=repeats, n_jobs=workers,
        classifiers=tuple(classifiers), test_rows=test_rows, fit_rows=fit_rows, synthetic=synthetic,
        seconds_per_task=per_task, seconds=float(seconds), n_features=int(n_features),
    )


def check_budget(est: EvaluationEstimate, *, max_fit_rows: int | None = None, max_seconds: float | None = None) -> None:
    """Refuse a run whose largest training part (synthetic rows included) or time is over budget.

    Raises
    ------
    ResourceError
        Saying which strategy is over, by how much, and what to change.
    """
    key, most = est.largest
    if max_fit_rows is not None and most > int(max_fit_rows):
        syn = est.synthetic.get(key, 0)
        raise ResourceError(
            f"{key} would fit the classifier on {most:,} rows per training part ({syn:,} of them synthetic), more "
            f"than the row budget of {int(max_fit_rows):,} rows (synthetic rows count in the budget).",
            hint=f"Raise the row budget to {most:,}, leave {key} out, or use a smaller target on the Strategies page "
                 "(a tail floor such as floor:20 instead of lifting every class to the same size).",
        )
    if max_seconds is not None and est.seconds > float(max_seconds):
        slow = max(est.seconds_per_task, key=lambda k: (est.seconds_per_task[k], k))
        raise ResourceError(
            f"This evaluation would take about {fmt_seconds(est.seconds)} ({est.tasks} training parts, up to "
            f"{most:,} rows to fit, {est.classes:,} classes), more than the {fmt_seconds(float(max_seconds))} "
            "allowed.",
            hint=f"Use fewer folds or repeats, a lower row budget, the default classifier, or leave out {slow} "
                 f"(the slowest, about {fmt_seconds(est.seconds_per_task[slow])} per fold).",
        )
