"""Classes too small for a per-class k-NN: find them before a run and apply the analyst's choice.

``small_classes`` is one of :data:`SMALL_CLASS_CHOICES`: ``error`` (raise SmallClassError),
``lower_k`` (k = rows - 1 for those classes), ``random_over`` (copies instead), ``merge`` (into
one class ``"Other"``) or ``drop`` (leave them out of resampling). Every decision is a note.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from core.errors import SmallClassError
from core.strategies.spec import REGISTRY, StrategySpec
from core.strategies.state import State, fmt_classes
from core.strategies.targets import TargetSpec, resolve_targets

__all__ = ["OTHER_CLASS", "SMALL_CLASS_CHOICES", "k_for_class", "plan_small_classes", "small_hint"]

SMALL_CLASS_CHOICES: tuple[str, ...] = ("error", "lower_k", "random_over", "merge", "drop")
OTHER_CLASS = "Other"


def small_hint(spec: StrategySpec) -> str:
    return (
        "Choose what to do with them: small_classes='lower_k' (k = rows - 1 for those classes), 'random_over' "
        "(random over-sampling instead), 'merge' (into one class 'Other'), or 'drop' (leave them out of resampling)."
    )



def _needed_rows(spec: StrategySpec, params: Mapping[str, Any]) -> int | None:
    if spec.k_param is None:
        return None
    return int(params[spec.k_param]) + spec.k_extra


def _classes_needing_knn(spec: StrategySpec, counts: Mapping[str, int], target: TargetSpec) -> dict[str, int]:
    """Classes the step runs its per-class k-NN on."""
    if spec.generates:
        want = resolve_targets(counts, target, family=spec.family)
        return {c: n for c, n in counts.items() if want[c] > n}
    return dict(counts)


def plan_small_classes(state: State, names, per_step, target: TargetSpec, choice: str) -> set[str]:
    """Find classes too small for a k-NN step; apply ``merge``; raise for ``error``; return dropped classes."""
    counts = state.counts()
    small: dict[str, int] = {}
    first_spec = None
    needed_max = 0
    for name in names:
        spec = REGISTRY[name]
        needed = _needed_rows(spec, per_step[name])
        if needed is None:
            continue
        for c, n in _classes_needing_knn(spec, counts, target).items():
            if n < needed:
                small[c] = n
        if needed > needed_max:
            needed_max, first_spec = needed, spec
    if not small:
        return set()
    small = dict(sorted(small.items(), key=lambda kv: (kv[1], kv[0])))
    spec = first_spec
    k = needed_max - spec.k_extra
    desc = f"{spec.label} with {spec.k_param}={k} needs at least {needed_max}"
    if choice == "error":
        raise SmallClassError(
            f"{len(small)} class{'es are' if len(small) > 1 else ' is'} too small: {fmt_classes(small)}; {desc}.",
            classes=small,
            needed=needed_max,
            hint=small_hint(spec),
        )
    if choice == "merge":
        existing = OTHER_CLASS in counts and OTHER_CLASS not in small
        merged_rows = sum(small.values()) + (counts[OTHER_CLASS] if existing else 0)
        y_names = state.names_array().take(state.yc)
        state.set_labels(np.where(np.isin(y_names.astype(str), list(small)), OTHER_CLASS, y_names).astype(object))
        state.notes.append(
            f"Merged {len(small)} small class(es) ({', '.join(map(repr, list(small)[:10]))}{'...' if len(small) > 10 else ''}) "
            f"into {OTHER_CLASS!r}{' (which already existed)' if existing else ''}: {merged_rows} rows."
        )
        if len(state.counts()) < 2:
            raise SmallClassError(
                "Merging the small classes leaves a single class; resampling needs at least 2.",
                classes=small, needed=needed_max, hint="Use small_classes='lower_k' or 'random_over' instead.",
            )
        if merged_rows < needed_max:
            raise SmallClassError(
                f"Merged into {OTHER_CLASS!r} the small classes make {merged_rows} rows; {desc}.",
                classes=small, needed=needed_max, hint="Use small_classes='lower_k', 'random_over' or 'drop' instead.",
            )
        return set()
    if choice == "random_over" and spec.family == "under":
        state.notes.append(
            f"Random over-sampling does not apply to the under-sampler {spec.label}; {len(small)} class(es) too small for it "
            f"pass through unchanged: {fmt_classes(small)}."
        )
        return set(small)
    if choice == "drop":
        state.notes.append(
            f"Left {len(small)} class(es) too small for {spec.label} out of resampling (their rows pass through unchanged): "
            f"{fmt_classes(small)}."
        )
        return set(small)
    # lower_k and random_over are applied inside the steps (per class)
    return set()


def k_for_class(spec: StrategySpec, k: int, n: int, state: State, small_classes: str, cls: str) -> int | None:
    """k for one class, or None when the class must be randomly over-sampled instead."""
    if n >= k + spec.k_extra:
        return k
    if small_classes == "lower_k":
        if n - spec.k_extra >= 1:
            state.notes.append(f"Class {cls!r} has {n} rows: {spec.label} uses {spec.k_param}={n - spec.k_extra} for it (asked {k}).")
            return n - spec.k_extra
        state.notes.append(f"Class {cls!r} has {n} row: too few for any k-NN, so it is randomly over-sampled (copies).")
        return None
    if small_classes == "random_over":
        state.notes.append(f"Class {cls!r} has {n} rows (fewer than {k + spec.k_extra}): randomly over-sampled instead of {spec.label}.")
        return None
    raise SmallClassError(  # pragma: no cover - planned earlier
        f"Class {cls!r} has {n} rows; {spec.label} with {spec.k_param}={k} needs at least {k + spec.k_extra}.",
        classes={cls: n}, needed=k + spec.k_extra, hint=small_hint(spec),
    )

