"""A recipe's pipeline on the rows of one partition of a cluster run (whole classes), as
:func:`core.strategies.resample` runs it on the whole catalog.

Each step runs its spec's own runner on the partition's rows. What a step would read of the other
classes comes from the client's :class:`~core.engines.plan.Plan`: class targets that depend on the
largest or smallest class (``auto``, ``balanced``) arrive as a table of the partition's classes, a
reweighting step's weights are the catalog's, and random over-sampling's noise is scaled by the
rows of the whole run (``rows_total``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from core.data import FeatureSpace
from core.engines.plan import Plan, StepPlan
from core.export.recipe import Recipe
from core.strategies import REGISTRY, ResampleResult, TargetSpec
from core.strategies.run import _result as finished  # the same result record as a single-machine run
from core.strategies.state import Ctx, State, encode

__all__ = ["PartCtx", "run_plan"]


@dataclass(frozen=True)
class PartCtx(Ctx):
    """The run's fixed inputs for one step of a partition; ``rows_total``: rows of the whole run."""

    rows_total: int | None = None


def _step_target(step: StepPlan, recipe: Recipe, state: State, excluded: frozenset) -> TargetSpec:
    """The step's target for this partition's classes (a table when it depends on the whole catalog)."""
    target = recipe.target_spec()
    active = {c: n for c, n in state.counts().items() if c not in excluded}
    if step.targets is not None:
        return TargetSpec.table_of({c: step.targets[c] for c in active})
    if target.kind == "table":  # the classes of the recipe's table that are here (others keep their size)
        table = dict(target.table)
        return TargetSpec.table_of({c: table.get(c, n) for c, n in active.items()})
    return target


def run_plan(space: FeatureSpace, recipe: Recipe, plan: Plan) -> ResampleResult:
    """The partition's :class:`ResampleResult` (row ids are positions in ``space``)."""
    t0 = time.perf_counter()
    yc, names = encode(space.y)
    state = State(
        X=space.X, yc=yc, names=names, pos=np.arange(space.n_rows, dtype=np.int64),
        seed_row=np.full(space.n_rows, -1, dtype=np.int64), neighbor_row=np.full(space.n_rows, -1, dtype=np.int64),
        alpha=np.full(space.n_rows, np.nan), space_rows=space.rows,
    )
    counts_before = state.counts()
    excluded = frozenset(plan.excluded & set(names))
    targets_used = None
    for step in plan.steps:
        spec = REGISTRY[step.name]
        if step.weights is not None:  # the catalog's weights, as the step gives them to every row of a class
            per_code = np.array([step.weights.get(c, np.nan) for c in state.names], dtype=np.float64)
            state.weight = per_code[state.yc]
            continue
        ctx = PartCtx(rows=space.rows, seed=recipe.seed, target=_step_target(step, recipe, state, excluded),
                      small_classes=recipe.small_classes, space=space, excluded=excluded, rows_total=step.rows_total)
        used = spec.runner(state, spec, dict(step.params), ctx)
        if used is not None:
            targets_used = used
    return finished(state, space, counts_before, targets_used, t0, strategy=recipe.strategy, params=recipe.params,
                    seed=recipe.seed, target=recipe.target_spec().to_text(), small_classes=recipe.small_classes)
