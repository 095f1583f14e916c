"""Honest comparison: leak-free cross-validation of strategies x classifiers.

How it works (the contract the tests check)
-------------------------------------------
* **Rows.** Optionally a row budget first (:func:`budget_sample`): every tail and medium row is
  kept, head classes are sampled, and the result says so.
* **Too-small classes.** A class with fewer rows than ``folds`` cannot appear in every test
  part. Its rows are put in the *training* part of every fold and the class is **not scored**
  (``Evaluation.unscored``); a note says so.
* **Folds.** Repeat ``r`` (0-based) splits the scored rows with
  ``StratifiedKFold(folds, shuffle=True, random_state=seed + r)`` (``seed + r`` wraps past
  2**32 - 1; positions in the space after the budget and without the unscored rows). Every
  scored class has at least ``folds`` rows, so it is in every test part.
* **Split first.** The strategy sees only the training part:
  ``resample(space.subset(train), name, params=..., target=..., small_classes=..., seed=seed)``.
  The test part is the fold's original rows, untouched: natural distribution, no synthetic row,
  none removed. Reweighting strategies pass their weights as ``fit(..., sample_weight=w)``; a
  classifier that takes no sample weights gets the same weights as ``class_weight``. The
  classifier is ``spec.make(seed=seed)``.
* **Metrics, aggregation and the paired test** against no resampling: see
  :mod:`core.evaluation.metrics`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from core.data.features import FeatureSpace
from core.data.skew import HEAD_MIN, TAIL_MAX, group_for_count
from core.errors import ParameterError, SchemaError
from core.evaluation.classifiers import DEFAULT_CLASSIFIER, get_classifier
from core.evaluation.cost import EvaluationEstimate, check_budget, fmt_seconds, plan
from core.evaluation.metrics import ALPHA, METRICS, interval, metric_range, paired_test, paired_test_name
from core.evaluation.pool import Cancel, run_tasks
from core.evaluation.result import ComparisonResult, Evaluation, FoldLog, FoldScore
from core.evaluation.runner import Shared, Task
from core.params import SEED, Choice, Interval, check
from core.strategies import NO_RESAMPLING, SMALL_CLASS_CHOICES, coerce_target, get_spec, parse_pipeline, validate_params

__all__ = ["BASELINES", "FOLDS_RANGE", "MIN_BUDGET", "ON_ERROR", "REPEATS_RANGE", "Progress", "budget_sample",
           "estimate_evaluation", "evaluate"]

#: Strategies every evaluation compares (first, in this order).
BASELINES = (NO_RESAMPLING, "balanced_weights")
FOLDS_RANGE = (2, 20)
REPEATS_RANGE = (1, 20)
#: The smallest row budget.
MIN_BUDGET = 100
#: What a strategy that fails on a training part does: raise, or is left out.
ON_ERROR = ("raise", "skip")

Progress = Callable[[float, str], None]

_FOLDS = Interval("int", *FOLDS_RANGE)
_REPEATS = Interval("int", *REPEATS_RANGE)
_N_JOBS = Interval("int", 1, 64)
_GROUP_BOUND = Interval("int", 1, 10**9)
_BUDGET = Interval("int", MIN_BUDGET, None)


@dataclass(frozen=True)
class _Settings:
    """The checked settings of one evaluation."""

    folds: int
    repeats: int
    seed: int
    n_jobs: int
    head_min: int
    tail_max: int
    on_error: str
    small_classes: str
    target: str
    classifiers: tuple[str, ...]


@dataclass(frozen=True)
class _Rows:
    """The rows evaluated and which classes are scored."""

    space: FeatureSpace
    n_total: int
    sampling: str | None
    counts: dict[str, int]
    full_counts: dict[str, int]
    groups: dict[str, str]
    unscored: dict[str, int]
    scored: tuple[str, ...]


# ------------------------------------------------------------------------------------ evaluate


def evaluate(
    space: FeatureSpace,
    strategies: Sequence[Any],
    *,
    classifier: str | Sequence[str] = DEFAULT_CLASSIFIER,
    folds: int = 5, repeats: int = 1, seed: int = 0,
    target: Any = "auto",
    small_classes: str = "error",
    head_min: int = HEAD_MIN, tail_max: int = TAIL_MAX,
    group_counts: Mapping[str, int] | None = None,
    max_rows: int | None = None,
    n_jobs: int = 2,
    keep_fold_log: bool = False, on_error: str = "raise",
    progress: Progress | None = None,
    max_fit_rows: int | None = None, max_seconds: float | None = None, cancel: Cancel | None = None,
) -> Evaluation:
    """Compare strategies x classifiers with leak-free repeated stratified k-fold CV.

    Parameters
    ----------
    space : FeatureSpace
        The labelled rows.
    strategies : sequence
        Names (``"smote"``, pipelines ``"enn+smote"``), ``(name, params)`` pairs or
        ``{"name", "params"}`` dicts (the Strategies page's run config). The :data:`BASELINES`
        (no resampling, balanced weights) are always added (first).
    classifier : str or sequence of str
        Names from :data:`core.evaluation.classifiers.CLASSIFIERS`.
    folds, repeats : int
        Folds per repeat (:data:`FOLDS_RANGE`) and repeats (:data:`REPEATS_RANGE`).
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
        Called after every training part, with the time left.
    max_fit_rows, max_seconds : optional
        Budgets checked before the run (:func:`estimate_evaluation`): rows of the largest training
        part after resampling (synthetic rows count) and estimated seconds.
    cancel : threading.Event or callable, optional
        Checked between training parts: when set, workers stop and EvaluationCancelled is raised.

    Returns
    -------
    Evaluation

    Raises
    ------
    ParameterError, SchemaError, SmallClassError, ResourceError (over budget), EvaluationCancelled
        The error a strategy raised on a training part keeps its type and says where it happened.
    """
    t_start = time.perf_counter()
    settings = _check_settings(folds=folds, repeats=repeats, seed=seed, n_jobs=n_jobs, head_min=head_min,
                               tail_max=tail_max, on_error=on_error, small_classes=small_classes, target=target,
                               classifier=classifier)
    items = _normalize_strategies(strategies)
    notes = _baseline_notes(strategies)
    rows = _rows(space, settings, group_counts, max_rows)
    est = _plan(rows, items, settings)
    check_budget(est, max_fit_rows=max_fit_rows, max_seconds=max_seconds)
    notes += _unscored_notes(rows.unscored, settings.folds)
    shared = Shared(settings.classifiers, list(rows.scored), rows.groups, settings.target, settings.small_classes,
                    settings.seed, bool(keep_fold_log))
    outputs = _run_tasks(rows.space, _tasks(items, _splits(rows, settings), settings), shared, settings, progress,
                         cancel, est)
    return _evaluation(items, outputs, rows, settings, notes, keep_fold_log=keep_fold_log, t_start=t_start)


def estimate_evaluation(
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
) -> EvaluationEstimate:
    """What :func:`evaluate` with these arguments will cost (:mod:`core.evaluation.cost`), without running it.

    Raises the errors of :func:`evaluate`'s checks (settings, strategies, too few scored classes).
    """
    settings = _check_settings(folds=folds, repeats=repeats, seed=seed, n_jobs=n_jobs, head_min=head_min,
                               tail_max=tail_max, on_error="raise", small_classes=small_classes, target=target,
                               classifier=classifier)
    return _plan(_rows(space, settings, group_counts, max_rows), _normalize_strategies(strategies), settings)


def _plan(rows: _Rows, items: Sequence[tuple[str, str, dict]], settings: _Settings) -> EvaluationEstimate:
    return plan(rows.counts, rows.unscored, items, n_features=int(rows.space.X.shape[1]), rows_total=rows.n_total,
                folds=settings.folds, repeats=settings.repeats, classifiers=settings.classifiers,
                target=settings.target, small_classes=settings.small_classes, n_jobs=settings.n_jobs)


# ------------------------------------------------------------------------------------ the steps


def _check_settings(*, folds: Any, repeats: Any, seed: Any, n_jobs: Any, head_min: Any, tail_max: Any,
                    on_error: Any, small_classes: Any, target: Any, classifier: Any) -> _Settings:
    """Every setting checked and in its type (ParameterError naming what is allowed)."""
    folds = check(folds, _FOLDS, name="folds")
    repeats = check(repeats, _REPEATS, name="repeats")
    seed = check(seed, SEED, name="seed")
    n_jobs = check(n_jobs, _N_JOBS, name="n_jobs")
    head_min = check(head_min, _GROUP_BOUND, name="head_min")
    tail_max = check(tail_max, _GROUP_BOUND, name="tail_max")
    on_error = check(on_error, Choice(ON_ERROR), name="on_error")
    small_classes = check(small_classes, Choice(SMALL_CLASS_CHOICES), name="small_classes")
    target_text = coerce_target(target).to_text()
    clfs = [classifier] if isinstance(classifier, str) else list(classifier)
    if not clfs:
        raise ParameterError("No classifier was chosen.", hint="Pick at least one, e.g. 'logreg'.")
    names = tuple(dict.fromkeys(get_classifier(c).name for c in clfs))
    return _Settings(folds, repeats, seed, n_jobs, head_min, tail_max, on_error, small_classes, target_text, names)


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


def _baseline_notes(strategies: Sequence[Any]) -> list[str]:
    """The note that names the baselines added to those asked for (none when all were asked)."""
    asked = {(s if isinstance(s, str) else (s.get("name") if isinstance(s, Mapping) else s[0])) for s in strategies}
    added = [b for b in BASELINES if b not in asked]
    return [f"Baselines always compared: {', '.join(added)} added."] if added else []


def _rows(space: FeatureSpace, settings: _Settings, group_counts: Mapping[str, int] | None,
          max_rows: int | None) -> _Rows:
    """The rows evaluated (after the budget), the group of every class, and which are scored."""
    n_total = space.n_rows
    full_counts = dict(group_counts) if group_counts is not None else space.class_counts()
    pos, sampling = (budget_sample(space, max_rows, group_counts=full_counts, head_min=settings.head_min,
                                   tail_max=settings.tail_max, seed=settings.seed)
                     if max_rows is not None else (np.arange(n_total, dtype=np.int64), None))
    used = space.subset(pos) if len(pos) < n_total else space
    counts = used.class_counts()
    groups = {c: group_for_count(full_counts.get(c, n), head_min=settings.head_min, tail_max=settings.tail_max)
              for c, n in counts.items()}
    unscored = {c: n for c, n in counts.items() if n < settings.folds}
    scored = tuple(c for c in sorted(counts) if c not in unscored)
    if len(scored) < 2:
        raise SchemaError(
            f"Only {len(scored)} class(es) have at least {settings.folds} rows, so there is nothing to compare "
            f"across {settings.folds} folds.",
            hint="Lower the number of folds, or raise the row budget.",
        )
    return _Rows(used, n_total, sampling, counts, full_counts, groups, unscored, scored)


def _unscored_notes(unscored: Mapping[str, int], folds: int) -> list[str]:
    """The note that names the classes too small to score (none when every class is scored)."""
    if not unscored:
        return []
    smallest = sorted(unscored.items(), key=lambda kv: (kv[1], kv[0]))[:8]
    return [
        f"{len(unscored)} class(es) have fewer rows than the {folds} folds "
        f"({', '.join(f'{c!r} {n}' for c, n in smallest)}{' …' if len(unscored) > 8 else ''}): their "
        f"{sum(unscored.values())} rows are in the training part of every fold and are not scored."
    ]


def _splits(rows: _Rows, settings: _Settings) -> list[tuple[int, int, np.ndarray, np.ndarray]]:
    """``[(repeat, fold, train positions, test positions)]``; unscored rows are in every training part."""
    from sklearn.model_selection import StratifiedKFold

    y = rows.space.y.astype(str)
    unscored = np.isin(y, list(rows.unscored))
    always_train = np.flatnonzero(unscored)
    scored_pos = np.flatnonzero(~unscored)
    y_scored = rows.space.y[scored_pos].astype(str)
    splits = []
    for r in range(settings.repeats):
        skf = StratifiedKFold(n_splits=settings.folds, shuffle=True, random_state=(settings.seed + r) % (SEED.high + 1))
        for f, (tr, te) in enumerate(skf.split(np.zeros(len(y_scored)), y_scored)):
            splits.append((r, f, np.sort(np.concatenate([scored_pos[tr], always_train])), np.sort(scored_pos[te])))
    return splits


def _tasks(items: Sequence[tuple[str, str, dict]], splits: Sequence[tuple[int, int, np.ndarray, np.ndarray]],
           settings: _Settings) -> list[Task]:
    """One task per strategy and split; a baseline's (and every one with ``on_error="raise"``) must succeed."""
    tasks = []
    for key, name, params in items:
        label = " → ".join(get_spec(n).label for n in parse_pipeline(name))
        must_succeed = settings.on_error == "raise" or name in BASELINES
        tasks.extend(Task(key, name, label, params, r, f, tr, te, must_succeed) for r, f, tr, te in splits)
    return tasks


def _run_tasks(space: FeatureSpace, tasks: Sequence[Task], shared: Shared, settings: _Settings,
               progress: Progress | None, cancel: Cancel | None, est: EvaluationEstimate) -> list[dict[str, Any]]:
    """Every task's output, in task order (in worker processes when ``n_jobs > 1``), with progress and time left."""
    def report(f: float, msg: str) -> None:
        if progress is not None:
            progress(float(min(max(f, 0.0), 1.0)), msg)

    n_strategies = len({t.key for t in tasks})
    report(0.0, f"{len(tasks)} training parts to resample ({n_strategies} strategies x {settings.folds} folds x "
                f"{settings.repeats} repeats); about {fmt_seconds(est.seconds)} (estimate)")
    weight = {t.key: max(est.seconds_per_task.get(t.key, 0.0), 1e-3) for t in tasks}
    total_w = sum(weight[t.key] for t in tasks)
    state = {"done": 0, "w": 0.0, "t0": time.perf_counter()}

    def on_done(out: dict[str, Any]) -> None:
        t = out["task"]
        state["done"] += 1
        state["w"] += weight[t.key]
        elapsed = time.perf_counter() - state["t0"]
        left = elapsed * (total_w - state["w"]) / state["w"]
        report(state["done"] / len(tasks),
               f"{t.label}: repeat {t.repeat + 1}, fold {t.fold + 1} of {settings.folds} done "
               f"({state['done']} of {len(tasks)}; about {fmt_seconds(left)} left)")

    return run_tasks(space, tasks, shared, n_jobs=settings.n_jobs, cancel=cancel, on_done=on_done)


def _aggregate(items: Sequence[tuple[str, str, dict]], outputs: Sequence[dict[str, Any]], failed: Mapping[str, str],
               rows: _Rows, settings: _Settings, keep_fold_log: bool) -> tuple[list[ComparisonResult], list[FoldLog]]:
    """One ComparisonResult per strategy (that did not fail) and classifier, without paired tests yet."""
    results: list[ComparisonResult] = []
    fold_log: list[FoldLog] = []
    for key, name, params in items:
        if key in failed:
            continue
        mine = [o for o in outputs if o["task"].key == key]
        if keep_fold_log:
            fold_log.extend(o["log"] for o in mine)
        notes = tuple(dict.fromkeys(n for o in mine for n in o["notes"]))
        weighting = next((o["weighting"] for o in mine if o["weighting"]), "")
        for ci, clf in enumerate(settings.classifiers):
            scores = [o["scores"][ci][0] for o in mine]
            preds = np.full((settings.repeats, rows.space.n_rows), None, dtype=object)
            for o in mine:
                preds[o["task"].repeat, o["task"].test] = o["scores"][ci][1]
            results.append(ComparisonResult(
                strategy=key, name=name, label=mine[0]["task"].label, params=params, classifier=clf,
                metrics={m: interval([s.metrics[m] for s in scores], **metric_range(m)) for m in METRICS},
                per_class=_per_class(scores, rows, settings.repeats), p_values={}, better=(), worse=(), test="",
                weighting=weighting, resample_s=float(np.mean([s.resample_s for s in scores])),
                fit_s=float(np.mean([s.fit_s for s in scores])), predict_s=float(np.mean([s.predict_s for s in scores])),
                folds=tuple(sorted(scores, key=lambda s: (s.repeat, s.fold))), predictions=preds, notes=notes,
            ))
    return results, fold_log


def _per_class(scores: Sequence[FoldScore], rows: _Rows, repeats: int) -> dict[str, dict]:
    """Precision, recall and F1 of every scored class (means over folds), its test rows per repeat, its group."""
    return {c: {
        "precision": float(np.mean([s.per_class[c]["precision"] for s in scores])),
        "recall": float(np.mean([s.per_class[c]["recall"] for s in scores])),
        "f1": float(np.mean([s.per_class[c]["f1"] for s in scores])),
        "support": int(round(sum(s.per_class[c]["support"] for s in scores) / repeats)),
        "group": rows.groups[c],
    } for c in rows.scored}


def _paired_against_baseline(results: Sequence[ComparisonResult], settings: _Settings) -> list[ComparisonResult]:
    """Every result with its paired tests against no resampling with the same classifier."""
    final: list[ComparisonResult] = []
    for r in results:
        base = next(b for b in results if b.strategy == NO_RESAMPLING and b.classifier == r.classifier)
        pv: dict[str, float | None] = {}
        better, worse, test = [], [], ""
        for m in METRICS:
            if r.strategy == NO_RESAMPLING:
                pv[m] = None
                continue
            a = [s.metrics[m] for s in r.folds]
            b = [s.metrics[m] for s in base.folds]
            p, test = paired_test(a, b)
            pv[m] = p
            if p is not None and p < ALPHA:
                (better if np.nanmean(a) > np.nanmean(b) else worse).append(m)
        final.append(replace(r, p_values=pv, better=tuple(better), worse=tuple(worse),
                             test=test or paired_test_name(settings.folds * settings.repeats)))
    return final


def _classifier_info(names: Sequence[str]) -> dict[str, dict]:
    """``{name: {"label", "settings", "sample_weight"}}`` of the classifiers used."""
    specs = [get_classifier(c) for c in names]
    return {s.name: {"label": s.label, "settings": dict(s.settings), "sample_weight": s.sample_weight} for s in specs}


def _evaluation(items: Sequence[tuple[str, str, dict]], outputs: Sequence[dict[str, Any]], rows: _Rows,
                settings: _Settings, notes: list[str], *, keep_fold_log: bool, t_start: float) -> Evaluation:
    """The Evaluation of the task outputs: results with paired tests, failures and notes."""
    failed: dict[str, str] = {}
    for out in outputs:
        if "error" in out:
            failed.setdefault(out["task"].key, out["error"])
    results, fold_log = _aggregate(items, outputs, failed, rows, settings, keep_fold_log)
    if "head" not in rows.groups.values():
        notes.append(f"No class has more than {settings.head_min} rows: head recall is empty.")
    if failed:
        notes.append(f"{len(failed)} strateg{'ies' if len(failed) > 1 else 'y'} failed and are left out: "
                     f"{', '.join(failed)}.")
    return Evaluation(
        results=tuple(_paired_against_baseline(results, settings)),
        strategies=tuple(k for k, _, _ in items if k not in failed),
        classifiers=_classifier_info(settings.classifiers), folds=settings.folds, repeats=settings.repeats,
        seed=settings.seed, target=settings.target, small_classes=settings.small_classes,
        head_min=settings.head_min, tail_max=settings.tail_max, n_rows_used=rows.space.n_rows,
        n_rows_total=rows.n_total, sampling=rows.sampling, groups=rows.groups,
        group_counts={c: int(rows.full_counts.get(c, n)) for c, n in rows.counts.items()}, scored=rows.scored,
        unscored=rows.unscored, y=rows.space.y.astype(str), rows=rows.space.rows.copy(), failed=failed,
        notes=tuple(notes), fold_log=tuple(fold_log), runtime_s=time.perf_counter() - t_start,
    )


# ------------------------------------------------------------------------------------ row budget


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

    Raises
    ------
    ParameterError
        A budget below :data:`MIN_BUDGET` that would sample.
    """
    n = space.n_rows
    if max_rows is None or n <= max_rows:
        return np.arange(n, dtype=np.int64), None
    max_rows = check(max_rows, _BUDGET, name="max_rows")
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
