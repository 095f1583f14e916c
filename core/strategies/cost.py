"""What a strategy run will cost, before it runs: output rows and memory.

Each family has its own arithmetic (:data:`STEP_COST`, keyed by family), exact where the rows are
known before the run:

- over-sampling: classes below their target grow to it (synthetic = target - size), no row goes;
- under-sampling: classes above their target shrink to it (removed = size - target), none is made,
  no class below ``min(rows, min_class_rows)`` (the tail guard);
- outlier removal with a share (Isolation Forest, LOF): ``floor(share * rows)`` rows of every class
  at or above the tail guard, exactly;
- cleaning and distance to the centroid: which rows go depends on neighbourhoods and distances and
  is found during the run; the estimate keeps every row and states an upper bound (every row of
  the classes the step may take rows from, above the tail guard);
- SMOTE + cleaning (combined): the over-sampling, then a cleaning over every class;
- reweighting and the baseline: no row changes.

Where the arithmetic gives a range, :func:`settle` makes it exact by running the strategy ahead when the
run is small (:data:`COUNT_AHEAD_CELLS`): the run is seeded, so the rows it counts are the rows the run
makes, and a caller that caches the run (the Strategies page does) pays for it once.

A pipeline is estimated step by step, twice: once as if every cleaning removed nothing (``rows_out``,
an upper bound) and once as if it removed every row it may (``rows_out_at_least``). Classes the
small-class policy leaves out (``drop``, or ``random_over`` for an under-sampler) or merges are
handled as the run does.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from core.errors import ResourceError, SkewlabError, SmallClassError
from core.strategies.clean import cleanable_classes
from core.strategies.outlier import share_of
from core.strategies.smallclass import plan_small_classes
from core.strategies.spec import REGISTRY, StrategySpec, parse_pipeline, validate_params
from core.strategies.state import State
from core.strategies.targets import TargetSpec, coerce_target, resolve_targets

__all__ = ["COUNT_AHEAD_CELLS", "OVERHEAD", "STEP_COST", "Estimate", "StepCost", "available_memory", "check_fits",
           "counts_ahead", "estimate", "settle"]

#: The tail guard parameter of under-sampling, cleaning and outlier removal (each family reads it its own way).
GUARD = "min_class_rows"
#: Bytes a run needs per output cell beyond the matrix itself (copies, neighbour lists, provenance).
OVERHEAD = 4.0
#: Largest run :func:`settle` counts ahead: rows (the estimate's upper bound) times features.
COUNT_AHEAD_CELLS = 6_000_000


@dataclass(frozen=True)
class Estimate:
    """Expected size of one strategy's output.

    Attributes
    ----------
    rows_in : int
        Rows before the run.
    rows_out : int
        Rows after it; exact unless a cleaning or centroid-distance step runs, then an upper bound
        (that step removing nothing).
    synthetic : int
        Synthetic rows made (exact for over-sampling; a cleaning after it may remove some).
    removed_at_most : int
        Rows the run may remove: exact for under-sampling, an upper bound for cleaning and
        outlier removal (the rows of the classes they may take rows from).
    bytes_needed : int
        Peak memory of the run.
    rows_out_at_least : int
        Rows after it if every cleaning or outlier step removed all it may (= ``rows_out`` when exact).
    counted : bool
        The figures were counted by running the strategy ahead (:func:`settle`), not by arithmetic.
    """

    strategy: str
    rows_in: int
    rows_out: int
    synthetic: int
    removed_at_most: int
    bytes_needed: int
    rows_out_at_least: int = -1
    counted: bool = False

    def __post_init__(self) -> None:
        if self.rows_out_at_least < 0:
            object.__setattr__(self, "rows_out_at_least", self.rows_out)

    @property
    def growth(self) -> float:
        return self.rows_out / max(self.rows_in, 1)

    @property
    def exact(self) -> bool:
        """Whether ``rows_out`` is known before the run (no cleaning or centroid-distance step)."""
        return self.rows_out_at_least == self.rows_out


@dataclass(frozen=True)
class StepCost:
    """One step on class sizes: the sizes after it if it removes nothing it may, the rows it makes,
    and per class the rows it may remove on top (cleaning, outliers)."""

    counts: dict[str, int]
    synthetic: int = 0
    may_remove: Mapping[str, int] | None = None


#: ``cost(spec, params, counts, target) -> StepCost`` over the classes the step works on.
Cost = Callable[[StrategySpec, Mapping[str, Any], dict[str, int], TargetSpec], StepCost]


def _over(spec: StrategySpec, p: Mapping[str, Any], counts: dict[str, int], target: TargetSpec) -> StepCost:
    """Classes below their target grow to it; none shrinks (the cap applies to under-sampling only)."""
    if not spec.uses_targets:
        return StepCost(dict(counts))
    goal = resolve_targets(counts, target, family=spec.family)
    return StepCost(goal, synthetic=sum(goal[c] - n for c, n in counts.items()))


def _kept(n: int, p: Mapping[str, Any]) -> int:
    """Rows of a class of ``n`` the tail guard of under-sampling and cleaning keeps: ``min(n, min_class_rows)``."""
    return min(n, max(int(p.get(GUARD, 0)), 0))


def _under(spec: StrategySpec, p: Mapping[str, Any], counts: dict[str, int], target: TargetSpec) -> StepCost:
    """Classes above their target shrink to it (never below the tail guard); none grows."""
    if not spec.uses_targets:
        return StepCost(dict(counts))
    goal = resolve_targets(counts, target, family=spec.family)
    return StepCost({c: max(min(goal[c], n), _kept(n, p)) for c, n in counts.items()})


def _clean(spec: StrategySpec, p: Mapping[str, Any], counts: dict[str, int], target: TargetSpec) -> StepCost:
    """At most every row above the tail guard of the classes the cleaner may take rows from (its ``classes`` choice)."""
    if len(counts) < 2:
        return StepCost(dict(counts))
    touched = cleanable_classes(counts, str(p.get("classes", "not minority")))
    return StepCost(dict(counts), may_remove={c: counts[c] - _kept(counts[c], p) for c in touched})


def _outlier(spec: StrategySpec, p: Mapping[str, Any], counts: dict[str, int], target: TargetSpec) -> StepCost:
    """Classes at or above the tail guard (``min_class_rows``, at least 2) lose exactly ``floor(share * rows)``
    rows with a ``contamination`` share; without one (distance to the centroid), at most every row."""
    guard = max(int(p.get(GUARD, 0)), 2)
    share = p.get("contamination")
    if share is None:
        return StepCost(dict(counts), may_remove={c: n for c, n in counts.items() if n >= guard})
    return StepCost({c: n - share_of(n, share) if n >= guard else n for c, n in counts.items()})


def _combined(spec: StrategySpec, p: Mapping[str, Any], counts: dict[str, int], target: TargetSpec) -> StepCost:
    """The over-sampling, then a cleaning over every class (it may remove synthetic rows too)."""
    grown = _over(spec, p, counts, target)
    if len(counts) < 2:
        return grown
    return StepCost(grown.counts, grown.synthetic, may_remove={c: n - _kept(n, p) for c, n in grown.counts.items()})


def _same(spec: StrategySpec, p: Mapping[str, Any], counts: dict[str, int], target: TargetSpec) -> StepCost:
    """No row changes (reweighting, the baseline)."""
    return StepCost(dict(counts))


#: The arithmetic of each family's step.
STEP_COST: dict[str, Cost] = {
    "baseline": _same, "over": _over, "under": _under, "clean": _clean, "combined": _combined,
    "outlier": _outlier, "reweight": _same,
}


def available_memory() -> int:
    """Bytes of memory available now (MemAvailable), or the physical total when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 8 * 1024**3


def _small_class_plan(counts: dict[str, int], names: tuple[str, ...], per_step: Mapping[str, Mapping[str, Any]],
                      target: TargetSpec, small_classes: str) -> tuple[dict[str, int], set[str]]:
    """Class sizes after the small-class policy (``merge``) and the classes it leaves out, as the run plans them."""
    if small_classes not in ("merge", "drop", "random_over"):
        return counts, set()
    classes = sorted(counts)
    yc = np.repeat(np.arange(len(classes), dtype=np.int32), [counts[c] for c in classes])
    empty = np.zeros(0, dtype=np.int64)
    state = State(X=np.zeros((0, 0)), yc=yc, names=classes, pos=empty, seed_row=empty, neighbor_row=empty,
                  alpha=np.zeros(0), space_rows=empty)
    try:
        excluded = plan_small_classes(state, names, per_step, target, small_classes)
    except SmallClassError:  # the run refuses it and says why; the estimate keeps the classes as they are
        return counts, set()
    return state.counts(), set(excluded)


def _walk(counts: dict[str, int], names: tuple[str, ...], per_step: Mapping[str, Mapping[str, Any]], target: TargetSpec,
          excluded: set[str], *, remove_all: bool) -> tuple[dict[str, int], int, int]:
    """Class sizes after every step (cleaning removing nothing, or all it may), rows made and peak rows."""
    current = dict(counts)
    synthetic, peak = 0, sum(current.values())
    for name in names:
        spec = REGISTRY[name]
        active = {c: n for c, n in current.items() if c not in excluded and n > 0}
        if not active:
            continue
        step = STEP_COST[spec.family](spec, per_step[name], active, target)
        synthetic += step.synthetic
        current.update(step.counts)
        peak = max(peak, sum(current.values()))
        if remove_all and step.may_remove:
            for c, m in step.may_remove.items():
                current[c] -= m
    return current, synthetic, peak


def estimate(counts: Mapping[str, int], n_features: int, strategy: str, *, target="auto",
             params: Mapping[str, Any] | None = None, small_classes: str = "error") -> Estimate:
    """Estimate output rows and peak memory of ``strategy`` on classes of size ``counts``.

    Each step follows its family's arithmetic (:data:`STEP_COST`): over-sampling and
    under-sampling are exact, cleaning and outlier steps give bounds (``rows_out_at_least`` ..
    ``rows_out``, at most ``removed_at_most`` rows removed), reweighting changes no rows.
    ``params`` and ``small_classes`` are those of the run (defaults: the strategy's defaults, ``error``).
    """
    names = parse_pipeline(strategy)
    checked = validate_params(strategy, params)
    per_step = {names[0]: checked} if len(names) == 1 else checked
    spec = coerce_target(target)
    start = {str(c): int(n) for c, n in counts.items() if int(n) > 0}
    rows_in = sum(start.values())
    start, excluded = _small_class_plan(start, names, per_step, spec, small_classes)
    most, synthetic, peak = _walk(start, names, per_step, spec, excluded, remove_all=False)
    least, synthetic_least, _ = _walk(start, names, per_step, spec, excluded, remove_all=True)
    rows_out, rows_least = sum(most.values()), sum(least.values())
    # a cleaning before an over-sampler may make it lift more: bound the removals with the larger count
    removed_at_most = rows_in + max(synthetic, synthetic_least) - rows_least
    cells = max(peak, rows_in) * max(n_features, 1)
    return Estimate(strategy, rows_in, rows_out, synthetic, removed_at_most, int(cells * 8 * OVERHEAD), rows_least)


def counts_ahead(est: Estimate, n_features: int, *, max_cells: int = COUNT_AHEAD_CELLS) -> bool:
    """Whether :func:`settle` runs the strategy ahead: a range, of at most ``max_cells`` rows x features."""
    return not est.exact and est.rows_out * max(int(n_features), 1) <= max_cells


def settle(est: Estimate, run: Callable[[], Any], n_features: int, *, max_cells: int = COUNT_AHEAD_CELLS) -> Estimate:
    """Make a range exact by running the strategy ahead, when it is small enough.

    ``run()`` returns the run's :class:`~core.strategies.result.ResampleResult` (same data, parameters,
    target and seed as the real run). An exact estimate, a run larger than ``max_cells`` (upper bound of
    rows times ``n_features``) or a run that fails (it fails the same way when run for real) keeps the range.
    """
    if not counts_ahead(est, n_features, max_cells=max_cells):
        return est
    try:
        result = run()
    except SkewlabError:
        return est
    rows = len(result.y)
    return replace(est, rows_out=rows, rows_out_at_least=rows, synthetic=int(result.n_synthetic),
                   removed_at_most=int(result.n_removed), counted=True)


def check_fits(est: Estimate, *, budget: int | None = None) -> None:
    """Refuse a run whose estimate exceeds the memory budget (default: 60 % of available memory)."""
    budget = int(available_memory() * 0.6) if budget is None else int(budget)
    if est.bytes_needed > budget:
        raise ResourceError(
            f"{est.strategy} would grow {est.rows_in:,} rows to {est.rows_out:,} ({est.growth:.1f}x) and need about "
            f"{est.bytes_needed / 1024**3:.1f} GB, more than the {budget / 1024**3:.1f} GB this server can spare.",
            hint="Use a tail floor (every class at least N rows) instead of balancing every class up to the largest; "
                 "to cap the head as well, under-sample first with a hybrid target (a pipeline such as random_under+smote).",
        )
