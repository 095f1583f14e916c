"""The budgeted search: which strategy, parameters and target help the tail without hurting the head.

How it works (the contract the tests check)
-------------------------------------------
* **Split first.** A stratified share of every class (``confirm_share``, seeded, by row ids) is held
  out before any trial (:func:`core.search.split.hold_out`); no trial sees those rows.
* **Trials.** Trials 0 and 1 are always no resampling and balanced class weights; then optuna's TPE
  sampler (seeded) proposes configurations from the :class:`SearchSpace`, run one after the other.
  Each trial cross-validates on the search part (after the evaluation's row budget,
  :func:`core.evaluation.budget_sample`) with the same folds for every trial and the evaluation's fold
  runner (resampling only the training part). The feature matrix is computed once, by the caller.
* **Pruning.** After each fold the running objective is reported; optuna's median pruner stops a trial
  below the median of earlier trials at that fold (from the sixth trial, after the second fold). With a
  time budget alone, a trial whose remaining folds would run past the budget is stopped too.
  A configuration tried before is not run again (its scores are reused). Before a trial runs, the
  evaluation's cost estimate refuses it when its largest training part would exceed the row budget or
  (with a time budget) when it would not finish in the time left.
* **Budget.** No new trial starts after ``budget_s`` seconds (the baselines always run; the trial in
  progress finishes). With ``n_trials`` the search stops after that many trials, and the same seed and
  count give the same trials and winner. With a time budget alone the count depends on the machine.
* **Winner and confirmation.** The best complete trial (ties: the earlier) is fitted with no resampling
  on the whole search part and both are scored on the held-out part with bootstrap intervals
  (:func:`core.search.confirm.confirm`).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.data.features import FeatureSpace
from core.data.skew import HEAD_MIN, TAIL_MAX
from core.errors import SchemaError, SkewlabError
from core.evaluation import DEFAULT_CLASSIFIER, MIN_BUDGET, budget_sample, fmt_seconds, get_classifier
from core.evaluation.pool import Cancel, is_cancelled
from core.params import SEED, Choice, Interval, check
from core.search.confirm import confirm
from core.search.objective import Objective
from core.search.result import SearchResult, TrialResult
from core.search.space import (
    BASELINE_CHOICES,
    Candidate,
    SearchSpace,
    TargetBounds,
    baseline,
    search_space_of,
    suggest,
)
from core.search.split import Folds, groups_of, hold_out, make_folds
from core.search.trials import COMPLETE, DUPLICATE, FAILED, PRUNED, SKIPPED, TrialRun, estimate_trial, run_trial
from core.strategies import SMALL_CLASS_CHOICES

__all__ = ["BUDGET_RANGE", "DEFAULT_MAX_ROWS", "MAX_REPEATS", "Progress", "search", "search_bytes"]

Progress = Callable[[float, str], None]
BUDGET_RANGE = (1.0, 24 * 3600.0)
#: Rows the trials cross-validate on (a stratified sample of the search part above it, every tail row kept).
DEFAULT_MAX_ROWS = 20_000
#: Proposals in a row that repeat earlier trials before the search says the space is exhausted.
MAX_REPEATS = 25
_BUDGET = Interval("float", *BUDGET_RANGE)
_TRIALS = Interval("int", 2, 100_000)
_FOLDS = Interval("int", 2, 10)
_SHARE = Interval("float", 0.05, 0.5)
_ROWS = Interval("int", MIN_BUDGET, None)


@dataclass
class _Run:
    """What the trial loop shares: the rows, folds, settings, the study and the trials so far."""

    space: FeatureSpace
    folds: Folds
    bounds: TargetBounds
    search_space: SearchSpace
    objective: Objective
    classifier: str
    small_classes: str
    seed: int
    keep_rows: bool
    max_fit_rows: int | None
    budget_s: float
    n_trials: int | None
    progress: Progress | None
    cancel: Cancel | None
    t0: float = 0.0
    trials: list[TrialResult] = field(default_factory=list)
    base_folds: tuple = ()
    by_key: dict[str, TrialResult] = field(default_factory=dict)

    def left(self) -> float:
        return self.budget_s - (time.perf_counter() - self.t0)

    def baseline_head(self, upto: int | None = None) -> float | None:
        """Head recall of no resampling (trial 0), over its first ``upto`` folds (all by default)."""
        if not self.objective.needs_head or not self.base_folds:
            return None
        head = np.array([f["head_recall"] for f in self.base_folds[:upto]], dtype=np.float64)
        return float(np.nanmean(head)) if len(head) and not np.isnan(head).all() else None

    def best(self) -> TrialResult | None:
        done = [t for t in self.trials if t.scored]
        # values equal to 9 decimals are a tie (two sums of the same recalls in another order): the earlier wins
        return max(done, key=lambda t: (round(t.value, 9), -t.number)) if done else None

    def report(self, message: str) -> None:
        if self.progress is None:
            return
        by_time = (time.perf_counter() - self.t0) / self.budget_s
        by_count = len(self.trials) / self.n_trials if self.n_trials else 0.0
        best = self.best()
        tail = (f"; best so far {self.objective.describe()} {best.value:.3f}: {best.candidate.describe()}"
                if best is not None else "")
        left = f"{fmt_seconds(max(self.left(), 0))} left" + (f", trial {len(self.trials)} of {self.n_trials}"
                                                              if self.n_trials else "")
        self.progress(float(min(max(by_time, by_count), 1.0)), f"{message}{tail} ({left})")


def search_bytes(n_rows: int, n_features: int, max_rows: int | None = DEFAULT_MAX_ROWS, max_growth: float = 1.0) -> int:
    """Peak memory of :func:`search`, roughly: the catalog's matrix and its search part, and one trial's
    training part (grown by at most ``max_growth``) about three times over with its test part."""
    d = max(int(n_features), 1)
    trial = int(n_rows) if max_rows is None else min(int(n_rows), int(max_rows))
    return int((2 * int(n_rows) + 3 * trial * (1 + float(max_growth)) + trial) * d * 8)


def search(
    space: FeatureSpace, *, budget_s: float, n_trials: int | None = None, metric: str = "macro_f1",
    objective: str | Objective | None = None, search_space: SearchSpace | dict | list | None = None,
    classifier: str = DEFAULT_CLASSIFIER, folds: int = 3, seed: int = 0, confirm_share: float = 0.2,
    small_classes: str = "lower_k", max_rows: int | None = DEFAULT_MAX_ROWS, head_min: int = HEAD_MIN,
    tail_max: int = TAIL_MAX, keep_rows: bool = False, progress: Progress | None = None,
    cancel: Cancel | None = None,
) -> SearchResult:
    """Search strategies, parameters and targets for the best objective; confirm the winner on held-out rows.

    Parameters
    ----------
    space : FeatureSpace
        The labelled rows (features computed once by the caller).
    budget_s : float
        Seconds after which no new trial starts (the baselines always run).
    n_trials : int, optional
        Trials to run at most (baselines included); with a seed, the same trials and winner every time.
    metric : str
        The metric maximized when ``objective`` is None.
    objective : str or Objective, optional
        A metric name or ``tail:DROP`` (tail recall, head recall at most DROP below no resampling's).
    search_space : SearchSpace, dict, list of samplers, optional
        What may be tried (default :func:`core.search.space.default_space`).
    classifier : str
        The evaluation's classifier (default: the fast LDA).
    folds : int
        Folds of every trial's cross-validation (2..10).
    seed : int
        Seed of the hold-out, the folds, the sampler, every strategy and the bootstrap.
    confirm_share : float
        Share of every class held out for the confirmation (0.05..0.5).
    small_classes : str
        The registry's policy for classes too small for k-NN (``lower_k`` by default), in every trial and the recipe.
    max_rows : int, optional
        Row budget of the trials (None: every row of the search part).
    head_min, tail_max : int
        Head: classes with more rows; tail: fewer (sizes in ``space``).
    keep_rows : bool
        Keep the row ids every trial touched (``TrialResult.rows_seen``), for leak checks.
    progress : callable(fraction, message), optional
        After every fold and trial, with the best so far and the time left.
    cancel : threading.Event or callable, optional
        Checked between trials: the search stops and confirms the best trial so far.

    Returns
    -------
    SearchResult

    Raises
    ------
    ParameterError, SchemaError
    """
    settings = _check(budget_s, n_trials, folds, seed, confirm_share, small_classes, max_rows, classifier)
    obj = Objective.parse(objective, metric=metric)
    sspace = search_space_of(search_space)
    groups = groups_of(space.class_counts(), head_min=head_min, tail_max=tail_max)
    _check_groups(groups, obj)
    held, trial_space, sampling = _parts(space, settings, head_min=head_min, tail_max=tail_max)
    fold_set = make_folds(trial_space, folds=settings["folds"], seed=settings["seed"], groups=groups)
    run = _Run(trial_space, fold_set, TargetBounds.of(trial_space.class_counts(), sspace.max_growth), sspace, obj,
               settings["classifier"], settings["small_classes"], settings["seed"], bool(keep_rows),
               None if settings["max_rows"] is None else int(settings["max_rows"] * (1 + sspace.max_growth)),
               settings["budget_s"], settings["n_trials"], progress, cancel)
    stopped = _study(run)
    search_s = time.perf_counter() - run.t0
    winner, base = run.best(), run.trials[0]
    t1 = time.perf_counter()
    conf = confirm(space, winner.candidate, search=held.search, confirm_pos=held.confirm, groups=groups,
                   classifier=run.classifier, small_classes=run.small_classes, seed=run.seed)
    notes = list(held.notes) + ([sampling.replace("Evaluated on", "Trials cross-validate on")] if sampling else [])
    notes += _fold_notes(fold_set, settings["folds"])
    return SearchResult(tuple(run.trials), winner, base, conf, obj, run.classifier, settings["folds"], run.seed,
                        run.small_classes, run.budget_s, run.n_trials, stopped, held.confirm_rows,
                        space.rows[held.search].copy(), trial_space.n_rows, sspace.to_dict(), tuple(notes),
                        search_s, time.perf_counter() - t1)


def _parts(space: FeatureSpace, settings: dict[str, Any], *, head_min: int, tail_max: int):
    """The hold-out, the rows the trials use (the search part after the row budget) and what was sampled."""
    held = hold_out(space, share=settings["confirm_share"], seed=settings["seed"])
    search_part = space.subset(held.search)
    if settings["max_rows"] is None:
        return held, search_part, None
    pos, sampling = budget_sample(search_part, settings["max_rows"], group_counts=space.class_counts(),
                                  head_min=head_min, tail_max=tail_max, seed=settings["seed"])
    return held, (search_part.subset(pos) if len(pos) < search_part.n_rows else search_part), sampling


def _check(budget_s, n_trials, folds, seed, share, small_classes, max_rows, classifier) -> dict[str, Any]:
    return {
        "budget_s": check(budget_s, _BUDGET, name="budget_s"),
        "n_trials": None if n_trials is None else check(n_trials, _TRIALS, name="n_trials",
                                                         hint="The two baselines are trials."),
        "folds": check(folds, _FOLDS, name="folds"),
        "seed": check(seed, SEED, name="seed"),
        "confirm_share": check(share, _SHARE, name="confirm_share"),
        "small_classes": check(small_classes, Choice(SMALL_CLASS_CHOICES), name="small_classes"),
        "max_rows": None if max_rows is None else check(max_rows, _ROWS, name="max_rows"),
        "classifier": get_classifier(classifier).name,
    }


def _check_groups(groups: dict[str, str], obj: Objective) -> None:
    if obj.kind == "tail" and "tail" not in groups.values():
        raise SchemaError("No class is in the tail, so there is no tail recall to maximize.",
                          hint="Raise the tail bound (tail_max) or choose a metric as the objective.")


def _fold_notes(folds: Folds, n: int) -> list[str]:
    if not folds.unscored:
        return []
    return [f"{len(folds.unscored)} class(es) of the search part have fewer than {n} rows: in every training part of "
            "the trials, not scored there (they are scored in the confirmation when they gave it a row)."]


def _study(run: _Run) -> str:
    """Run trials until the count, the budget, a stop or an exhausted space; say which."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        study = optuna.create_study(direction="maximize",
                                    sampler=optuna.samplers.TPESampler(seed=run.seed),
                                    pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1))
        run.t0 = time.perf_counter()
        for name in BASELINE_CHOICES:  # always trials, before the sampler proposes anything
            cand = baseline(name)
            _record(run, len(run.trials), cand, run_trial(run.space, cand, run.folds, classifier=run.classifier,
                                                          small_classes=run.small_classes, seed=run.seed,
                                                          keep_rows=run.keep_rows))
        repeats = 0
        while True:
            stop = _stop_reason(run, repeats)
            if stop:
                return stop
            trial = study.ask()
            repeats = repeats + 1 if _one_trial(run, study, trial) == DUPLICATE else 0


def _stop_reason(run: _Run, repeats: int) -> str:
    n = len(run.trials)
    if run.n_trials is not None and n >= run.n_trials:
        return f"{run.n_trials} trials run"
    if n < len(BASELINE_CHOICES):
        return ""
    if is_cancelled(run.cancel):
        return f"stopped after {n} trials"
    if run.left() <= 0:
        return f"the {run.budget_s:g} s budget was used"
    if repeats >= MAX_REPEATS:
        return f"the last {MAX_REPEATS} proposals repeated earlier trials (the space is exhausted)"
    return ""


def _one_trial(run: _Run, study: Any, trial: Any) -> str:
    """Ask, run and tell one trial; returns its state."""
    from optuna.trial import TrialState

    number = len(run.trials)
    try:
        cand = suggest(trial, run.search_space, run.bounds)
    except SkewlabError as exc:
        study.tell(trial, state=TrialState.FAIL)
        run.trials.append(TrialResult(number, _unknown(trial), FAILED, None, {}, 0, 0.0, str(exc)))
        return FAILED
    if cand.key in run.by_key:
        prev = run.by_key[cand.key]
        study.tell(trial, prev.value if prev.scored else None,
                   state=TrialState.COMPLETE if prev.scored else TrialState.PRUNED)
        run.trials.append(TrialResult(number, cand, DUPLICATE, prev.value if prev.scored else None, prev.metrics, 0,
                                      0.0, f"same as trial {prev.number}", feasible=prev.feasible))
        return DUPLICATE
    skip = _over_budget(run, cand)
    if skip:
        study.tell(trial, state=TrialState.PRUNED)
        return _record(run, number, cand, TrialRun(SKIPPED, note=skip))
    run.report(f"Trial {number}: {cand.describe()}")
    done = run_trial(run.space, cand, run.folds, classifier=run.classifier, small_classes=run.small_classes,
                     seed=run.seed, keep_rows=run.keep_rows, after_fold=_pruning(run, trial, number, cand))
    state = _tell(run, study, trial, done)
    return _record(run, number, cand, done, state)


def _unknown(trial: Any) -> Candidate:
    return Candidate(str(trial.params.get("sampler", BASELINE_CHOICES[0])), {}, "auto")


def _over_budget(run: _Run, cand: Candidate) -> str:
    """Why the trial is skipped before it runs (the cost estimate), or ""."""
    timed = run.n_trials is None and len(run.trials) >= len(BASELINE_CHOICES)
    try:
        estimate_trial(run.space, cand, run.folds, classifier=run.classifier, small_classes=run.small_classes,
                       max_fit_rows=run.max_fit_rows, max_seconds=max(run.left(), 1.0) if timed else None)
    except SkewlabError as exc:
        return f"skipped before it ran: {exc.message}"
    return ""


def _pruning(run: _Run, trial: Any, number: int, cand: Candidate):
    """After each fold: report the running objective; stop a trial below the median of earlier trials at that
    fold, or (with a time budget alone) one whose remaining folds would run past the budget."""
    n_folds = len(run.folds.splits)

    def after_fold(f: int, metrics: dict[str, float], seconds: float) -> str:
        value = run.objective.value(metrics, run.baseline_head(f + 1))
        run.report(f"Trial {number}: {cand.describe()}, fold {f + 1} of {n_folds}")
        if number < len(BASELINE_CHOICES):
            return ""
        if value == value:  # not NaN
            trial.report(value, f)
            if trial.should_prune():
                return "below the median of earlier trials at this fold"
        still = seconds / (f + 1) * (n_folds - f - 1)
        if run.n_trials is None and still > run.left():
            return f"its other folds would take about {fmt_seconds(still)}, past the budget"
        return ""
    return after_fold


def _tell(run: _Run, study: Any, trial: Any, done: TrialRun) -> str:
    from optuna.trial import TrialState

    if done.state == COMPLETE:
        value = run.objective.value(done.metrics, run.baseline_head())
        if value == value:
            study.tell(trial, value)
            return COMPLETE
        study.tell(trial, state=TrialState.FAIL)
        return FAILED
    study.tell(trial, state=TrialState.PRUNED if done.state == PRUNED else TrialState.FAIL)
    return done.state


def _record(run: _Run, number: int, cand: Candidate, done: TrialRun, state: str | None = None) -> str:
    state = state or done.state
    if state == COMPLETE and not run.trials:
        run.base_folds = done.fold_metrics
    if cand.strategy in BASELINE_CHOICES and number < len(BASELINE_CHOICES) and state != COMPLETE:
        raise SchemaError(f"The baseline {cand.label} could not be cross-validated on the search part: "
                          f"{done.note or 'its metric is undefined'}.",
                          hint="Check the label and the classes (at least two need as many rows as folds).")
    value = run.objective.value(done.metrics, run.baseline_head()) if state == COMPLETE else None
    note = done.note if state != FAILED or done.note else f"{run.objective.describe()} is undefined for it"
    result = TrialResult(number, cand, state, value, done.metrics, len(done.fold_metrics), done.seconds, note,
                         done.notes, done.rows_seen,
                         feasible=run.objective.feasible(done.metrics, run.baseline_head()))
    run.trials.append(result)
    run.by_key[cand.key] = result
    run.report(f"Trial {number}: {cand.describe()} {state}" + (f", {value:.3f}" if value is not None else ""))
    return state
