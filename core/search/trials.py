"""One trial: a configuration cross-validated on the search part with the evaluation's own fold runner.

Every fold goes through :func:`core.evaluation.runner.run_task`: the strategy resamples only the
training part, the classifier is fitted on it, the test part (natural distribution, real rows only)
is scored with :func:`core.evaluation.metrics.fold_metrics`. After each fold the running objective is
reported, so the pruner can stop a trial that is already worse than most (pruning on folds).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.data.features import FeatureSpace
from core.errors import SkewlabError
from core.evaluation import METRICS
from core.evaluation.cost import check_budget, plan
from core.evaluation.runner import Shared, Task, run_task
from core.search.space import Candidate
from core.search.split import Folds

__all__ = ["COMPLETE", "DUPLICATE", "FAILED", "PRUNED", "SKIPPED", "STATES", "TrialRun", "estimate_trial",
           "run_trial"]

COMPLETE, PRUNED, FAILED, SKIPPED, DUPLICATE = "complete", "pruned", "failed", "skipped", "duplicate"
STATES = (COMPLETE, PRUNED, FAILED, SKIPPED, DUPLICATE)

#: ``after_fold(fold index, mean metrics so far, seconds so far) -> why to stop the trial (pruned), or ""``
AfterFold = Callable[[int, dict[str, float], float], str]


@dataclass(frozen=True, eq=False)
class TrialRun:
    """What one configuration did on the folds."""

    state: str
    fold_metrics: tuple[dict[str, float], ...] = ()
    seconds: float = 0.0
    note: str = ""
    notes: tuple[str, ...] = ()
    rows_seen: np.ndarray | None = None

    @property
    def metrics(self) -> dict[str, float]:
        """Mean of every metric over the folds run (NaN where undefined)."""
        return mean_metrics(self.fold_metrics)


def mean_metrics(per_fold: tuple[dict[str, float], ...] | list[dict[str, float]]) -> dict[str, float]:
    out = {}
    for m in METRICS:
        vals = [f[m] for f in per_fold if f.get(m) is not None and not math.isnan(f[m])]
        out[m] = float(np.mean(vals)) if vals else math.nan
    return out


def estimate_trial(space: FeatureSpace, cand: Candidate, folds: Folds, *, classifier: str, small_classes: str,
                   max_fit_rows: int | None, max_seconds: float | None) -> tuple[int, float]:
    """Rows of the largest training part after resampling and estimated seconds of the trial
    (:func:`core.evaluation.cost.plan`); ResourceError when over ``max_fit_rows`` or ``max_seconds``."""
    counts = space.class_counts()
    est = plan(counts, folds.unscored, [(cand.strategy, cand.strategy, cand.params)], n_features=int(space.X.shape[1]),
               rows_total=space.n_rows, folds=len(folds.splits), repeats=1, classifiers=(classifier,),
               target=cand.target, small_classes=small_classes, n_jobs=1)
    check_budget(est, max_fit_rows=max_fit_rows, max_seconds=max_seconds)
    return est.largest[1], est.seconds


def _rows_seen(log: Any) -> np.ndarray:
    """Every row id a fold touched: test rows, training input, kept rows and the parents of synthetic rows."""
    parts = [log.test_rows, log.train_input_rows, log.train_row, log.train_seed_row, log.train_neighbor_row]
    seen = np.concatenate([np.asarray(p, dtype=np.int64) for p in parts])
    return np.unique(seen[seen >= 0])


def run_trial(space: FeatureSpace, cand: Candidate, folds: Folds, *, classifier: str, small_classes: str, seed: int,
              keep_rows: bool = False, after_fold: AfterFold | None = None) -> TrialRun:
    """Cross-validate one configuration fold by fold.

    A SkewlabError of the strategy (a class too small, parameters wrong together...) makes the
    trial ``failed`` with its message; so does any other error of a strategy's library on a
    training part, named with its type, so that one bad configuration does not end a search.
    """
    t0 = time.perf_counter()
    shared = Shared((classifier,), list(folds.labels), folds.groups, cand.target, small_classes, int(seed),
                    bool(keep_rows))
    per_fold: list[dict[str, float]] = []
    notes: list[str] = []
    seen: list[np.ndarray] = []
    for f, (train, test) in enumerate(folds.splits):
        task = Task(cand.key, cand.strategy, cand.label, cand.params, 0, f, train, test, must_succeed=False)
        try:
            out = run_task(space, task, shared)
        except Exception as exc:  # a library's error on one configuration: recorded, the search goes on
            why = str(exc) if isinstance(exc, SkewlabError) else f"{type(exc).__name__}: {str(exc)[:200]}"
            return TrialRun(FAILED, tuple(per_fold), time.perf_counter() - t0,
                            f"{cand.label} failed on fold {f + 1} ({why})")
        if "error" in out:
            return TrialRun(FAILED, tuple(per_fold), time.perf_counter() - t0, out["error"])
        per_fold.append(dict(out["scores"][0][0].metrics))
        notes.extend(n for n in out["notes"] if n not in notes)
        if keep_rows:
            seen.append(_rows_seen(out["log"]))
        why = after_fold(f, mean_metrics(per_fold), time.perf_counter() - t0) if after_fold is not None and \
            f + 1 < len(folds.splits) else ""
        if why:
            return TrialRun(PRUNED, tuple(per_fold), time.perf_counter() - t0,
                            f"pruned after fold {f + 1} of {len(folds.splits)}: {why}",
                            tuple(notes), np.unique(np.concatenate(seen)) if seen else None)
    return TrialRun(COMPLETE, tuple(per_fold), time.perf_counter() - t0, "", tuple(notes),
                    np.unique(np.concatenate(seen)) if seen else None)
