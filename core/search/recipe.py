"""The winner as a recipe (what the analyst would have chosen by hand) and as the Strategies page's choice.

The recipe stores the chosen strategy, parameters, target, small-class policy and seed, not the search:
it is built by :func:`core.export.make_recipe`, the function behind the Export page and
``python -m core recipe``, so ``python -m core apply`` replays it like any other recipe.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.data.features import FeatureConfig
from core.export.recipe import InputSpec, LabelSpec, Recipe, ScopeSpec, make_recipe
from core.search.result import SearchResult

__all__ = ["handover", "winner_recipe"]


def winner_recipe(result: SearchResult, *, input: InputSpec, roles: Mapping[str, str], label: LabelSpec,
                  features: FeatureConfig, scope: ScopeSpec | None = None) -> Recipe:
    """The recipe of the search's winner on the catalog it was searched on.

    Raises
    ------
    RecipeError
    """
    cand = result.winner.candidate
    return make_recipe(input=input, roles=roles, label=label, features=features, strategy=cand.strategy,
                       params=cand.params, target=cand.target, small_classes=result.small_classes,
                       seed=result.seed, scope=scope)


def handover(result: SearchResult) -> dict[str, Any]:
    """What the Strategies page preselects (JSON-able): the winner's name, parameters, target, policy, seed."""
    w = result.winner
    c = result.confirmation
    m = result.objective.metric
    why = (f"trial {w.number} of {len(result.trials)}, best {result.objective.describe()} in cross-validation "
           f"({w.value:.3f} against {result.baseline.value:.3f} for no resampling)")
    if m in c.winner.metrics:
        why += (f"; confirmed on {c.n_rows:,} held-out rows: {c.winner.metrics[m]:.3f} against "
                f"{c.baseline.metrics[m]:.3f}")
    return {"name": w.candidate.strategy, "params": w.candidate.params, "target": w.candidate.target,
            "small_classes": result.small_classes, "seed": result.seed, "label": w.candidate.describe(),
            "why": why}
