"""What a cluster run will do, decided on the client from the catalog's class counts alone.

A recipe replays on a cluster class by class. :func:`check_recipe` refuses what a class cannot do
alone (strategies that look at other classes' rows, a split scope, merging small classes, text
features fitted on the catalog). :func:`plan_run` walks the pipeline over the catalog's counts as
the single-machine run would: each step's targets, the rows it leaves, which classes it changes
(the others pass through without a shuffle), the weights of a reweighting step; and
:func:`group_classes` packs the changed classes into partitions that each hold whole classes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.engines.stats import text_encoder_of
from core.errors import RecipeError
from core.export.recipe import Recipe
from core.strategies import REGISTRY, TargetSpec, parse_pipeline, resolve_targets
from core.strategies.outlier import share_of
from core.strategies.reweight import class_weights
from core.strategies.smallclass import plan_small_classes

__all__ = ["PER_CLASS", "Plan", "StepPlan", "check_recipe", "group_classes", "plan_run"]

#: Strategies whose rows for a class depend on that class's rows, the seed and the class name only
#: (and on the catalog's class counts, which the client knows), so a partition holding whole classes
#: makes exactly the single-machine rows.
PER_CLASS: dict[str, str] = {
    "none": "keeps every row",
    "random_over": "copies drawn per class",
    "smote": "neighbours within the class, draws per class",
    "random_under": "rows drawn per class",
    "isolation_forest": "trees grown per class",
    "lof": "neighbours within the class",
    "centroid_distance": "the class's own centroid",
    "balanced_weights": "weights from the catalog's counts",
    "effective_number_weights": "weights from the catalog's counts",
}
#: Target kinds whose class targets need the whole catalog's counts (the largest or smallest class).
GLOBAL_TARGETS = ("auto", "balanced")


def _refuse(what: str, hint: str) -> RecipeError:
    return RecipeError(what, hint=hint)


def check_recipe(recipe: Recipe) -> tuple[str, ...]:
    """The pipeline's steps, or RecipeError when the Dask engine cannot replay the recipe exactly."""
    steps = parse_pipeline(recipe.strategy)
    refused = [s for s in steps if s not in PER_CLASS]
    if refused:
        raise _refuse(
            f"The Dask engine cannot replay {', '.join(map(repr, refused))}: it compares a class's rows with other "
            "classes' rows (neighbours across classes, or one random stream over every class), so a cluster "
            "that holds each class in its own partition would make other rows.",
            f"Per-class strategies that run on a cluster: {', '.join(PER_CLASS)} (and pipelines of them); "
            "or replay this recipe with --engine local.",
        )
    if recipe.scope.kind != "whole":
        raise _refuse("The Dask engine replays recipes of the whole catalog; this one holds out a stratified "
                      "test split, drawn over every class at once.", "Replay it with --engine local.")
    if recipe.small_classes == "merge":
        raise _refuse("The Dask engine cannot merge small classes into 'Other' (small_classes='merge').",
                      "Choose lower_k, random_over or drop in the recipe, or replay it with --engine local.")
    if recipe.features.text and text_encoder_of(recipe.features) is None:
        raise _refuse(
            f"The Dask engine encodes text columns ({', '.join(map(repr, recipe.features.text[:5]))}) only with a "
            "text encoder of fixed weights; this recipe's TF-IDF + SVD text features are fitted on every row at once.",
            "Make the recipe with the text encoder minilm-static, give those columns the role 'ignore', or replay it "
            "with --engine local.",
        )
    return steps


@dataclass(frozen=True)
class StepPlan:
    """One step of the pipeline on the cluster.

    Attributes
    ----------
    name : str
    params : dict
    targets : dict class -> rows, or None
        For targets that need the catalog's counts (auto, balanced): every class's target, which a
        partition gets as a table of its classes. None: the recipe's own target applies per class.
    rows_total : int or None
        Rows of the whole run when the step starts (the smoothing of random over-sampling's noise).
    weights : dict class -> weight, or None (a reweighting step)
    """

    name: str
    params: dict
    targets: dict[str, int] | None = None
    rows_total: int | None = None
    weights: dict[str, float] | None = None


@dataclass(frozen=True)
class Plan:
    """A cluster run decided on the client.

    Attributes
    ----------
    steps : tuple of StepPlan
    excluded : frozenset of str
        Classes the small-class policy ``drop`` leaves out of resampling.
    touched : frozenset of str
        Classes some step changes (grouped into partitions); the others pass through.
    counts_before : dict class -> rows
    counts_after : dict class -> rows (predicted; a class missing: not known before the run)
    weights : dict class -> weight, or None
        Each class's final weight (a reweighting step).
    notes : tuple of str
    """

    steps: tuple[StepPlan, ...]
    excluded: frozenset
    touched: frozenset
    counts_before: dict[str, int]
    counts_after: dict[str, int]
    weights: dict[str, float] | None = None
    notes: tuple[str, ...] = field(default=())

    def rows_out(self, cls: str) -> int:
        """Rows of a class after the run (before, when not known ahead)."""
        return max(self.counts_after.get(cls, 0), self.counts_before[cls])


class _Counts:
    """What :func:`plan_small_classes` reads of a run's state: the class counts, and its notes."""

    def __init__(self, counts: Mapping[str, int]):
        self._counts = dict(sorted(counts.items()))
        self.notes: list[str] = []

    def counts(self) -> dict[str, int]:
        return dict(self._counts)


def _step_counts(spec, p: Mapping[str, Any], target: TargetSpec, counts: dict[str, int | None],
                 excluded: frozenset) -> tuple[dict[str, int | None], set[str], dict[str, int] | None]:
    """The counts a step leaves, the classes it changes, and its class targets when they need the catalog."""
    active = {c: n for c, n in counts.items() if c not in excluded}
    touched: set[str] = set()
    after = dict(counts)
    targets = None
    if spec.uses_targets:
        known = {c: n for c, n in active.items() if n is not None}
        asked = resolve_targets(known, target, family=spec.family) if known else {}
        if spec.family == "under":
            floor = int(p.get("min_class_rows", 0))
            asked = {c: max(min(t, known[c]), min(known[c], floor)) for c, t in asked.items()}
        for c, t in asked.items():
            if t != known[c]:
                touched.add(c)
            after[c] = t
        touched.update(c for c, n in active.items() if n is None)
        targets = resolve_targets(known, target, family=spec.family) if target.kind in GLOBAL_TARGETS else None
    elif spec.family == "outlier":
        guard = max(int(p["min_class_rows"]), 2)
        for c, n in active.items():
            if n is None or n >= guard:
                share = p.get("contamination")
                gone = None if share is None or n is None else share_of(n, share)
                if gone != 0:
                    touched.add(c)
                after[c] = None if gone is None else n - gone
    return after, touched, targets


def plan_run(recipe: Recipe, counts: Mapping[str, int]) -> Plan:
    """Walk the recipe's pipeline over the catalog's class ``counts`` (see the module).

    Raises
    ------
    SmallClassError
        Classes too small for a k-NN step under ``small_classes='error'``, as the single-machine run.
    RecipeError
        A step needs the catalog's counts (a target auto / balanced, reweighting, noisy copies) after a
        step whose removals are only known once it ran (distance to the class centroid).
    """
    steps = check_recipe(recipe)
    per_step = {steps[0]: recipe.params} if len(steps) == 1 else recipe.params
    target = recipe.target_spec()
    stub = _Counts(counts)
    excluded = frozenset(plan_small_classes(stub, steps, per_step, target, recipe.small_classes))
    current: dict[str, int | None] = {c: int(n) for c, n in sorted(counts.items())}
    planned, touched, weights = [], set(), None
    for name in steps:
        spec, p = REGISTRY[name], dict(per_step[name])
        unknown = [c for c, n in current.items() if n is None]
        needs_counts = spec.family == "reweight" or float(p.get("shrinkage", 0) or 0) > 0 or (
            spec.uses_targets and target.kind in GLOBAL_TARGETS)
        if unknown and needs_counts:
            raise _refuse(
                f"Step {name!r} needs the catalog's class counts after the step before it, whose removals are only "
                f"known once it ran ({len(unknown)} class(es)); the Dask engine plans counts ahead.",
                "Use a target floor:N, cap:M, hybrid:M:N or a table with that pipeline, or replay it with --engine local.",
            )
        rows_total = sum(n for n in current.values() if n is not None)
        if spec.family == "reweight":
            weights = class_weights(spec, {c: n for c, n in current.items() if n}, p)
            planned.append(StepPlan(name, p, rows_total=rows_total, weights=weights))
            continue
        current, changed, targets = _step_counts(spec, p, target, current, excluded)
        touched |= changed
        planned.append(StepPlan(name, p, targets=targets, rows_total=rows_total))
    return Plan(steps=tuple(planned), excluded=excluded, touched=frozenset(touched),
                counts_before={c: int(n) for c, n in sorted(counts.items())},
                counts_after={c: n for c, n in current.items() if n is not None}, weights=weights,
                notes=tuple(stub.notes))


def group_classes(sizes: Mapping[str, int], *, group_rows: int) -> list[list[str]]:
    """Classes packed into groups of about ``group_rows`` rows (a larger class alone), largest first;
    each group becomes one partition of the cluster run."""
    groups: list[list[str]] = []
    loads: list[int] = []
    for cls in sorted(sizes, key=lambda c: (-sizes[c], c)):
        n = int(sizes[cls])
        best = min(range(len(groups)), key=loads.__getitem__, default=None)
        if best is not None and loads[best] + n <= group_rows:
            groups[best].append(cls)
            loads[best] += n
        else:
            groups.append([cls])
            loads.append(n)
    return [sorted(g) for g in groups]


def largest(sizes: Mapping[str, int], classes: Sequence[str]) -> str | None:
    """The class of ``classes`` with the most rows (None for none)."""
    return max(classes, key=lambda c: (sizes[c], c), default=None)
